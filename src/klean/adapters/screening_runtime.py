"""The screener as the running app uses it: built for the current registry and policy file, image banks attached;
and rescans of the listings a registry change can affect, run right after the change is committed."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

from klean.bootstrap import App
from klean.domain.screening import ScreeningPolicy
from klean.services import enforcement, screening
from klean.signals.screener import Screener

log = logging.getLogger("klean.screening")


def recheck_seconds(app: App) -> float:
    """settings.screener_recheck_seconds: how long a held screener (or a remembered API key) is trusted; 0: never."""
    return float(getattr(app.settings, "screener_recheck_seconds", 0.0) or 0.0)


def held_screener(app: App) -> tuple[Screener | None, bool]:
    """The screener screener_for holds (None when it holds none or rechecks every time), and whether it is
    still fresh (younger than settings.screener_recheck_seconds)."""
    recheck = recheck_seconds(app)
    held = app.extras.get("screener_checked")
    if recheck <= 0 or not isinstance(held, tuple):
        return None, False
    return held[1], time.monotonic() - held[0] < recheck


def recheck_lock(app: App) -> threading.Lock:
    """Held while a thread of this process re-reads the registry for the screener (one at a time)."""
    lock = app.extras.get("screener_recheck_lock")
    if lock is None:
        lock = app.extras.setdefault("screener_recheck_lock", threading.Lock())  # setdefault: one lock even if raced
    return lock  # type: ignore[no-any-return]


def screener_for(app: App) -> Screener:
    """The screener for the current registry and policy file, with the image banks attached when installed.

    With settings.screener_recheck_seconds > 0 (`klean serve` sets it) the screener is reused for that long
    without asking the database whether the registry or the image banks changed: reading the whole registry to
    hash it cost more than screening itself. Once it is older, one thread re-reads while the others go on with the
    held screener (every request arriving then used to read at once: a herd of registry reads, each on its own
    database connection, every second in every worker). Changes made through this process are seen at once
    (rescan_after_change forgets the screener); changes made by other workers, within that many seconds plus one
    registry read.
    """
    held, fresh = held_screener(app)
    if held is not None and fresh:
        return held
    if held is None:
        return _reread(app)
    lock = recheck_lock(app)
    if not lock.acquire(blocking=False):
        return held
    try:
        return _reread(app)
    finally:
        lock.release()


def _reread(app: App) -> Screener:
    screener = _current_screener(app)
    if recheck_seconds(app) > 0:
        app.extras["screener_checked"] = (time.monotonic(), screener)
    return screener


def forget_screener(app: App) -> None:
    """Make the next screener_for ask the database again (after a change made in this process)."""
    app.extras.pop("screener_checked", None)


def _current_screener(app: App) -> Screener:
    if not isinstance(app.extras.get("screening_policy"), ScreeningPolicy):
        app.extras["screening_policy"] = ScreeningPolicy.from_section(app.policy.section("screening"),
                                                                      app.policy.version)
    screener = screening.get_screener(uow=app.uow_factory(), app_extras=app.extras)
    try:
        from klean.adapters.image_index import attach_image_index
    except ImportError:  # the image feature is optional
        return screener
    attach_image_index(app, screener)
    return screener


def rescan_after_change(app: App, *, brand_ids: Sequence[str] | None = None,
                        seller_ids: Sequence[str] | None = None) -> int:
    """Rescreen the live and held listings a committed registry change can affect; return how many.

    Registry changes are marks, products and images, and authorisations however they change: granted or revoked
    in the registry, a proof approved, a direct grant, a revocation, a proof expired or its end date corrected.

    The change itself is already committed: a failing rescan is logged (and the next rescan or catalog scan
    catches up), it does not undo or fail the change.
    """
    forget_screener(app)
    try:
        n = screening.rescan_affected(uow=app.uow_factory(), screener=screener_for(app), brand_ids=brand_ids,
                                      seller_ids=seller_ids, policy=enforcement.policy_of(app.policy))
    except Exception:
        log.exception("rescan after a registry change failed (brands %s, sellers %s)", brand_ids, seller_ids)
        return 0
    if n:
        log.info("rescanned %d listings after a registry change (brands %s, sellers %s)", n, brand_ids, seller_ids)
    return n

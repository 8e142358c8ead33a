"""The screener as the running app uses it: built for the current registry and policy file, image banks attached;
and rescans of the listings a registry change can affect, run right after the change is committed."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from klean.bootstrap import App
from klean.domain.screening import ScreeningPolicy
from klean.services import screening
from klean.signals.screener import Screener

log = logging.getLogger("klean.screening")


def screener_for(app: App) -> Screener:
    """The screener for the current registry and policy file, with the image banks attached when installed."""
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

    The change itself is already committed: a failing rescan is logged (and the next rescan or catalog scan
    catches up), it does not undo or fail the change.
    """
    try:
        n = screening.rescan_affected(uow=app.uow_factory(), screener=screener_for(app), brand_ids=brand_ids,
                                      seller_ids=seller_ids)
    except Exception:
        log.exception("rescan after a registry change failed (brands %s, sellers %s)", brand_ids, seller_ids)
        return 0
    if n:
        log.info("rescanned %d listings after a registry change (brands %s, sellers %s)", n, brand_ids, seller_ids)
    return n

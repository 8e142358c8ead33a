"""Running the scheduled jobs: once (`klean jobs run`) or in a background thread inside `klean serve`.

The loop runs when KLEAN_JOBS_INTERVAL_SECONDS > 0 (`klean serve` sets it; tests leave it at 0). Each run is
idempotent, so several server processes running it only duplicate work, never e-mails already recorded.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from fastapi import FastAPI

from klean.adapters.i18n import render
from klean.adapters.mail.notify import mailer
from klean.adapters.mail.outbound import send_mail
from klean.adapters.screening_runtime import forget_screener
from klean.bootstrap import App
from klean.domain.messages import Message
from klean.services import enforcement, jobs, notices

log = logging.getLogger("klean.jobs")


def mail_notifier(k: App) -> jobs.Notifier:
    """A Notifier that e-mails Korean and English text through the configured relay."""

    def notify(*, to: Sequence[str], subject: Message, body: Message, kind: str) -> None:
        text = f"{render(body, 'ko')}\n\n---\n\n{render(body, 'en')}\n"
        send_mail(k.settings, to=list(to), subject=f"{render(subject, 'ko')} / {render(subject, 'en')}", text=text,
                  headers={"X-Klean-Kind": kind})

    return notify


def run_once(k: App, *, notify: jobs.Notifier | None = None, now: datetime | None = None) -> jobs.JobReport:
    """Run every scheduled job once under the app's policy, counter-notice deadlines included."""
    report = jobs.run_jobs(uow_factory=k.uow_factory, notify=notify or mail_notifier(k), app_extras=k.extras,
                           policy=enforcement.policy_of(k.policy), now=now)
    if report.proofs_expired:
        forget_screener(k)  # the next screening in this process reads the registry again
    report.counter_notices_restored = notices.process_counter_notice_deadlines(
        uow=k.uow_factory(), policy=notices.notice_policy(k.policy), notify=mailer(k.settings), now=now)
    report.dsa = submit_statements(k)
    return report


def submit_statements(k: App) -> dict[str, Any] | None:
    """Send new statements of reasons to the Transparency Database when KLEAN_DSA_TDB_URL and _TOKEN are set. No
    pause inside a run: a failed request waits for a later run (its back-off is recorded with the statements)."""
    from klean.adapters.dsa_client import configured_client, submit_configured

    if configured_client(k) is None:
        return None
    try:
        r = submit_configured(k, retries=0)
    except Exception as exc:  # the other jobs have run; this one is retried next time
        log.exception("statements of reasons were not sent")
        return {"error": str(exc)}
    return {"target": r.target, "recorded": r.recorded, "submitted": r.submitted + r.duplicates + r.found,
            "refused": len(r.refused), "invalid": len(r.invalid), "pending": r.pending, "stopped": r.stopped}


def interval_seconds(k: App) -> float:
    return float(getattr(k.settings, "jobs_interval_seconds", 0) or 0)


class JobLoop:
    """A daemon thread that runs the jobs every `interval` seconds until stopped."""

    def __init__(self, k: App, interval: float, run: Callable[[App], Any] = run_once) -> None:
        self.k, self.interval, self.run = k, interval, run
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="klean-jobs", daemon=True)
        self.runs = 0

    def start(self) -> JobLoop:
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                report = self.run(self.k)
                log.info("jobs ran", extra={"report": getattr(report, "as_dict", dict)()})
            except Exception:  # the loop outlives one failed run; the next run retries
                log.exception("scheduled jobs failed")
            self.runs += 1
            self._stop.wait(self.interval)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)


def install(app: FastAPI, k: App) -> None:
    """Start the job loop with the app's lifespan when the interval is set; stop it on shutdown.

    The enforcement policy is validated here, at start-up: a malformed policy file stops the server with the
    key at fault instead of failing every enforcement request later.
    """
    enforcement.policy_of(k.policy)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: FastAPI) -> AsyncIterator[Any]:
        interval = interval_seconds(k)
        loop = JobLoop(k, interval).start() if interval > 0 else None
        a.state.job_loop = loop
        try:
            async with inner(a) as state:
                yield state
        finally:
            if loop is not None:
                loop.stop()

    app.router.lifespan_context = lifespan

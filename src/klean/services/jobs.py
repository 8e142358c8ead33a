"""Scheduled work: expire proofs and sanctions, warn sellers before a proof expires, rescan, flag identities.

Run by `klean jobs run` and by a loop inside `klean serve`. Every step is idempotent: running the jobs twice
in a row does nothing the second time (a warning is recorded on its proof once sent).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from klean.domain.messages import Message, msg
from klean.domain.policy import EnforcementPolicy
from klean.domain.verification import ProofState, warnings_due
from klean.services.enforcement import current_policy, expire_due
from klean.services.unit_of_work import AbstractUnitOfWork
from klean.services.verification import flag_unverified_high_volume


class Notifier(Protocol):
    """Sends one message to people (the adapter renders the Messages in their language and e-mails them)."""

    def __call__(self, *, to: Sequence[str], subject: Message, body: Message, kind: str) -> None: ...


@dataclass
class JobReport:
    proofs_expired: int = 0
    statements_sent: int = 0
    warnings_sent: int = 0
    warnings_undeliverable: int = 0
    mail_failures: list[str] = field(default_factory=list)
    actions_expired: int = 0
    listings_rescanned: int = 0
    rescan_skipped: str | None = None
    sellers_flagged: list[str] = field(default_factory=list)
    counter_notices_restored: int = 0
    mandates_expired: int = 0  # agencies' mandates past their end date (they stopped counting on the day already)
    dsa: dict[str, Any] | None = None  # statements of reasons sent to the Transparency Database (when configured)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _expiry_warnings(uow_factory: Callable[[], AbstractUnitOfWork], notify: Notifier, pol: EnforcementPolicy,
                     now: datetime, report: JobReport) -> None:
    today = now.date()
    horizon = today + timedelta(days=max(pol.authorisation.warn_days_before_expiry, default=0) + 1)
    with uow_factory() as uow:
        candidates = [p.id for p in uow.proofs.live_until_before(horizon)]
    for proof_id in candidates:
        uow = uow_factory()
        with uow:
            proof = uow.proofs.get(proof_id)
            if proof is None or proof.state not in (ProofState.SUBMITTED, ProofState.APPROVED):
                continue
            due = warnings_due(proof.valid_until, today, pol.authorisation.warn_days_before_expiry,
                               proof.warnings_sent)
            if not due:
                continue
            brand = uow.proofs.brand(proof.brand_id)
            brand_name = brand[0] if brand else proof.brand_id
            left = (proof.valid_until - today).days
            emails = uow.enforcement.seller_emails(proof.seller_id)
            subject = msg("Your proof of authorisation for {brand} expires in {days} days", brand=brand_name,
                          days=left)
            body = msg("Your proof #{id} of authorisation to sell {brand} (issued by {issuer}) expires on {day}, "
                       "in {days} days. After that date new listings of {brand} will be held for review and your "
                       "live listings of {brand} will be checked again. Upload a current proof before then: "
                       "POST /v1/verification/proofs.", id=proof.id, brand=brand_name, issuer=proof.issuer,
                       day=proof.valid_until.isoformat(), days=left)
            delivered = False
            if emails:
                try:
                    notify(to=emails, subject=subject, body=body, kind="proof_expiry_warning")
                    delivered = True
                except Exception as exc:  # a relay failure must not stop the other jobs; retried next run
                    report.mail_failures.append(f"proof {proof.id}: {exc}")
                    continue
            else:
                report.warnings_undeliverable += 1
            for d in due:
                uow.proofs.record_warning(proof.id, d)
            uow.events.append(type="proof.expiry_warning", actor="rule:proof_expiry", subject_type="seller",
                              subject_id=proof.seller_id, policy_version=pol.version,
                              payload={"proof_id": proof.id, "windows": due, "days_left": left,
                                       "delivered": delivered, "recipients": len(emails)},
                              reason=subject.render_en())
            uow.commit()
            report.warnings_sent += int(delivered)


def _send_statements(uow_factory: Callable[[], AbstractUnitOfWork], notify: Notifier, pol: EnforcementPolicy,
                     now: datetime, report: JobReport) -> None:
    """E-mail each new action's statement of reasons to the seller's users (once; the API shows it too)."""
    with uow_factory() as uow:
        pending = [a.id for a in uow.enforcement.unnotified()]
    for action_id in pending:
        uow = uow_factory()
        with uow:
            action = uow.enforcement.get(action_id)
            if action is None or not uow.enforcement.mark_notified(action_id, now):
                continue  # another run took it
            emails = uow.enforcement.seller_emails(action.seller_id)
            statement = action.statement or {}
            if emails and statement.get("template"):
                body = Message(str(statement["template"]), dict(statement.get("params") or {}))
                subject = msg("Decision on your seller account: {kind} ({cause})",
                              kind=action.kind.replace("_", " "), cause=action.cause_ref)
                try:
                    notify(to=emails, subject=subject, body=body, kind="statement_of_reasons")
                except Exception as exc:  # the relay is down: roll back the mark, retry next run
                    report.mail_failures.append(f"action {action_id}: {exc}")
                    continue
                report.statements_sent += 1
                uow.events.append(type="enforcement.statement_sent", actor="rule:notify", subject_type="seller",
                                  subject_id=action.seller_id, policy_version=action.policy_version,
                                  payload={"action_id": action_id, "recipients": len(emails)},
                                  reason=subject.render_en())
            uow.commit()


def _expire_proofs(uow: AbstractUnitOfWork, pol: EnforcementPolicy, now: datetime) -> tuple[int, list[tuple[str, str]]]:
    """Expire proofs past their end date; return how many, and the (seller, brand) pairs to rescan."""
    pairs = []
    with uow:
        for proof in uow.proofs.live_until_before(now.date()):
            uow.proofs.set_state(proof.id, ProofState.EXPIRED)
            uow.events.append(type="proof.expired", actor="rule:proof_expiry", subject_type="seller",
                              subject_id=proof.seller_id, policy_version=pol.version,
                              payload={"proof_id": proof.id, "brand_id": proof.brand_id,
                                       "valid_until": proof.valid_until.isoformat()},
                              reason=f"proof {proof.id} for {proof.brand_id} ended on {proof.valid_until}")
            pairs.append((proof.seller_id, proof.brand_id))
        uow.commit()
    return len(pairs), sorted(set(pairs))


def _rescan(uow_factory: Callable[[], AbstractUnitOfWork], app_extras: dict[str, Any] | None,
            pairs: Sequence[tuple[str, str]], report: JobReport, pol: EnforcementPolicy, now: datetime) -> None:
    if not pairs:
        return
    try:
        screening = importlib.import_module("klean.services.screening")
    except ImportError:
        report.rescan_skipped = "screening service not installed"
        return
    rescan = getattr(screening, "rescan_affected", None)
    get_screener = getattr(screening, "get_screener", None)
    if rescan is None or get_screener is None:
        report.rescan_skipped = "screening service has no rescan_affected/get_screener"
        return
    # The screener of the day the jobs run for: an authorisation that ended yesterday no longer counts.
    screener = get_screener(uow=uow_factory(), app_extras=app_extras if app_extras is not None else {},
                            today=now.date())
    for seller_id, brand_id in pairs:
        report.listings_rescanned += int(rescan(uow=uow_factory(), screener=screener, brand_ids=[brand_id],
                                                seller_ids=[seller_id], actor="rule:proof_expiry", policy=pol))


def run_jobs(*, uow_factory: Callable[[], AbstractUnitOfWork], notify: Notifier,
             app_extras: dict[str, Any] | None = None, policy: EnforcementPolicy | None = None,
             now: datetime | None = None) -> JobReport:
    """Run every scheduled job once: statements of reasons, warnings, proof expiry and rescans, sanction expiry,
    identity flags."""
    pol = policy or current_policy()
    now = now or datetime.now(UTC)
    report = JobReport()
    _send_statements(uow_factory, notify, pol, now, report)
    _expiry_warnings(uow_factory, notify, pol, now, report)
    report.proofs_expired, pairs = _expire_proofs(uow_factory(), pol, now)
    uow = uow_factory()
    with uow:
        report.actions_expired = expire_due(uow=uow, policy=pol, now=now)
        report.sellers_flagged = flag_unverified_high_volume(uow=uow, policy=pol, now=now)
        uow.commit()
    from klean.services import agencies  # here: agencies imports notices, which the jobs' callers import too

    report.mandates_expired = agencies.expire_mandates(uow=uow_factory(), today=now.date())
    _rescan(uow_factory, app_extras, pairs, report, pol, now)
    return report

"""Notices and cases (`uow.cases`), consumer reports (`uow.reports`), idempotency keys (`uow.idempotency`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from klean.adapters.db.base import utcnow
from klean.adapters.db.models.cases import (
    CaseRow,
    CaseTransitionRow,
    ComplaintRow,
    ConsumerReportRow,
    CounterNoticeRow,
    IdempotencyRow,
    NoticeRow,
    NotifierStandingRow,
    ReportListingRow,
)
from klean.adapters.db.models.listings import ListingRow
from klean.adapters.db.models.registry import BrandRow
from klean.domain.cases import (
    OPEN_STATES,
    Case,
    Complaint,
    CounterNotice,
    DecidedNotice,
    Notice,
    NoticeDraft,
    Outcome,
    Standing,
    Transition,
    check_transition,
)
from klean.domain.errors import Conflict, NotFound
from klean.domain.reports import ConsumerReport, ReportDraft

MAX_URL_LOOKUPS = 40
_TRACKING = re.compile(r"^(?:utm_[a-z]+|fbclid|gclid|igshid|ref|src|source|share\w*|from)$", re.IGNORECASE)


def url_spellings(url: str) -> list[str]:
    """The spellings of a link a listing may be stored under."""
    base = url.split("#", 1)[0]
    if not re.match(r"https?://", base, re.IGNORECASE):
        base = "https://" + base
    path, _, query = base.partition("?")
    kept = "&".join(p for p in query.split("&") if p and not _TRACKING.match(p.partition("=")[0]))
    out = []
    for q in dict.fromkeys([query, kept]):
        for p in dict.fromkeys([path, path.rstrip("/"), path.rstrip("/") + "/"]):
            full = p + ("?" + q if q else "")
            rest = full.split("://", 1)[1]
            hosts = [rest, rest[4:] if rest.lower().startswith("www.") else "www." + rest]
            for r in hosts:
                out += [f"https://{r}", f"http://{r}"]
    return list(dict.fromkeys([url, *out]))[:24]


def _case(r: CaseRow, transitions: Sequence[CaseTransitionRow] = ()) -> Case:
    return Case(
        id=r.id, notice_id=r.notice_id, listing_id=r.listing_id, listing_ref=r.listing_ref, seller_id=r.seller_id,
        brand_id=r.brand_id, notifier_id=r.notifier_id, trusted=r.trusted, state=r.state, outcome=r.outcome,
        manifestly_unfounded=r.manifestly_unfounded, decision_reason=r.decision_reason, reviewed_at=r.reviewed_at,
        decided_at=r.decided_at, actioned_at=r.actioned_at, created_at=r.created_at, updated_at=r.updated_at,
        transitions=tuple(Transition(t.from_state, t.to_state, t.at, t.actor, t.reason) for t in transitions),
    )


def _counter(r: CounterNoticeRow) -> CounterNotice:
    return CounterNotice(id=r.id, case_id=r.case_id, seller_id=r.seller_id, reasons=r.reasons,
                         authorisation_proof=r.authorisation_proof, filed_at=r.filed_at, deadline_at=r.deadline_at,
                         court_action_ref=r.court_action_ref, outcome=r.outcome)


def _complaint(r: ComplaintRow) -> Complaint:
    return Complaint(id=r.id, case_id=r.case_id, complainant_id=r.complainant_id,
                     complainant_side=r.complainant_side, grounds=r.grounds, state_before=r.state_before,
                     filed_at=r.filed_at, state=r.state, answer=r.answer)


def _notice(r: NoticeRow) -> Notice:
    return Notice(id=r.id, notifier_id=r.notifier_id, notifier_role=r.notifier_role, notifier_name=r.notifier_name,
                  notifier_email=r.notifier_email, brand_id=r.brand_id, trusted=r.trusted, received_at=r.received_at)


class CaseRepository:
    REPOSITORY_NAME = "cases"

    def __init__(self, session: Session) -> None:
        self.session = session

    # lookups outside this feature's tables, read-only
    def brand_owner(self, brand_id: str) -> tuple[bool, str | None]:
        """(brand exists, its owner)."""
        row = self.session.get(BrandRow, brand_id)
        return (row is not None, row.owner if row is not None else None)

    def resolve_listing(self, ref: str, candidates: Sequence[str] = ()) -> str | None:
        """The listing a reference means: an id, a stored URL, or an id a URL carries."""
        ref = ref.strip()
        if self.session.get(ListingRow, ref) is not None:
            return ref
        if ref.lower().startswith("http"):
            by_url = self.session.scalars(select(ListingRow.id).where(ListingRow.url == ref)).first()
            if by_url is None and ref.endswith("/"):
                by_url = self.session.scalars(select(ListingRow.id).where(ListingRow.url == ref[:-1])).first()
            if by_url is not None:
                return by_url
            for c in candidates:
                if self.session.get(ListingRow, c) is not None:
                    return c
        return None

    def existing_listing_ids(self, ids: Sequence[str]) -> set[str]:
        """Those of these ids (exact spellings) that stored listings have."""
        wanted = list(dict.fromkeys(i for i in ids if i and len(i) <= 200))[:500]
        if not wanted:
            return set()
        return set(self.session.scalars(select(ListingRow.id).where(ListingRow.id.in_(wanted))))

    def listings_by_url(self, urls: Sequence[str]) -> dict[str, str]:
        """Links that are stored listings' URLs, as written or with the usual differences (scheme, www., a
        trailing slash, tracking parameters): link -> listing id."""
        variants: dict[str, str] = {}
        for url in list(dict.fromkeys(urls))[:MAX_URL_LOOKUPS]:
            for v in url_spellings(url):
                variants.setdefault(v, url)
        if not variants:
            return {}
        out: dict[str, str] = {}
        rows = self.session.execute(select(ListingRow.url, ListingRow.id).where(ListingRow.url.in_(list(variants))))
        for stored, listing_id in sorted(rows, key=lambda r: r[1]):
            out.setdefault(variants[stored], listing_id)
        return out

    # notices and cases
    def add_notice(self, *, draft: NoticeDraft, notifier_id: str, notifier_role: str, trusted: bool,
                   now: datetime) -> Notice:
        row = NoticeRow(notifier_id=notifier_id, notifier_role=notifier_role, notifier_name=draft.notifier_name,
                        notifier_email=draft.notifier_email.strip(), brand_id=draft.brand_id,
                        right=dict(vars(draft.right)), listing_refs=list(draft.listings),
                        explanation=draft.explanation,
                        statements={"good_faith": draft.good_faith, "accurate": draft.accurate,
                                    "signature": draft.signature},
                        trusted=trusted, received_at=now)
        self.session.add(row)
        self.session.flush()
        return _notice(row)

    def notice(self, notice_id: int) -> Notice:
        row = self.session.get(NoticeRow, notice_id)
        if row is None:
            raise NotFound(f"no notice {notice_id}", field="notice_id")
        return _notice(row)

    def open_case_for_listing(self, listing_id: str) -> Case | None:
        row = self.session.scalars(select(CaseRow).where(
            CaseRow.listing_id == listing_id, CaseRow.state.in_([s.value for s in OPEN_STATES]))
            .order_by(CaseRow.id)).first()
        return _case(row) if row is not None else None

    def add_case(self, *, notice: Notice, listing_id: str, listing_ref: str, seller_id: str, actor: str,
                 now: datetime, reason: str = "notice received", trusted: bool | None = None) -> Case:
        """A new case; `trusted`: whether it takes the trusted lane (default: as its notice)."""
        row = CaseRow(notice_id=notice.id, listing_id=listing_id, listing_ref=listing_ref, seller_id=seller_id,
                      brand_id=notice.brand_id, notifier_id=notice.notifier_id,
                      trusted=notice.trusted if trusted is None else trusted,
                      state="received", created_at=now, updated_at=now)
        self.session.add(row)
        self.session.flush()
        self.session.add(CaseTransitionRow(case_id=row.id, from_state=None, to_state="received", at=now,
                                           actor=actor, reason=reason))
        self.session.flush()
        return self.get(row.id)

    def _row(self, case_id: int, *, lock: bool = False) -> CaseRow:
        q = select(CaseRow).where(CaseRow.id == case_id)
        if lock:
            q = q.with_for_update()
        row = self.session.scalars(q).first()
        if row is None:
            raise NotFound(f"no case {case_id}", field="case_id")
        return row

    def get(self, case_id: int, *, lock: bool = False) -> Case:
        row = self._row(case_id, lock=lock)
        ts = self.session.scalars(select(CaseTransitionRow).where(CaseTransitionRow.case_id == case_id)
                                  .order_by(CaseTransitionRow.id))
        return _case(row, list(ts))

    def transition(self, case_id: int, to_state: str, *, actor: str, reason: str | None, now: datetime,
                   **fields: Any) -> Case:
        """Move a case (checked against the state machine), record the transition and set the given fields."""
        row = self._row(case_id, lock=True)
        check_transition(row.state, to_state)
        self.session.add(CaseTransitionRow(case_id=case_id, from_state=row.state, to_state=to_state, at=now,
                                           actor=actor, reason=reason))
        row.state, row.updated_at = to_state, now
        for name, value in fields.items():
            if not hasattr(CaseRow, name):
                raise AttributeError(name)
            setattr(row, name, value)
        self.session.flush()
        return self.get(case_id)

    def update(self, case_id: int, **fields: Any) -> Case:
        row = self._row(case_id)
        for name, value in fields.items():
            if not hasattr(CaseRow, name):
                raise AttributeError(name)
            setattr(row, name, value)
        self.session.flush()
        return self.get(case_id)

    def cases_of_notice(self, notice_id: int) -> list[Case]:
        rows = self.session.scalars(select(CaseRow).where(CaseRow.notice_id == notice_id).order_by(CaseRow.id))
        return [_case(r) for r in rows]

    def list(self, *, notifier_id: str | None = None, seller_id: str | None = None, state: str | None = None,
             limit: int = 100) -> list[Case]:
        q = select(CaseRow).order_by(CaseRow.id.desc()).limit(limit)
        if notifier_id:
            q = q.where(CaseRow.notifier_id == notifier_id)
        if seller_id:
            q = q.where(CaseRow.seller_id == seller_id)
        if state:
            q = q.where(CaseRow.state == state)
        return [_case(r) for r in self.session.scalars(q)]

    def decided_of(self, notifier_id: str) -> list[DecidedNotice]:
        rows = self.session.scalars(select(CaseRow).where(CaseRow.notifier_id == notifier_id,
                                                          CaseRow.outcome.is_not(None)))
        return [DecidedNotice(decided_at=r.decided_at or r.updated_at, outcome=Outcome(r.outcome),
                              manifestly_unfounded=r.manifestly_unfounded) for r in rows]

    # counter-notices
    def add_counter_notice(self, *, case_id: int, seller_id: str, filed_by: str, reasons: str,
                           authorisation_proof: str | None, now: datetime, deadline: datetime) -> CounterNotice:
        row = CounterNoticeRow(case_id=case_id, seller_id=seller_id, filed_by=filed_by, reasons=reasons,
                               authorisation_proof=authorisation_proof, filed_at=now, deadline_at=deadline)
        self.session.add(row)
        self.session.flush()
        return _counter(row)

    def pending_counter_notice(self, case_id: int) -> CounterNotice | None:
        row = self.session.scalars(select(CounterNoticeRow).where(
            CounterNoticeRow.case_id == case_id, CounterNoticeRow.outcome == "pending")).first()
        return _counter(row) if row is not None else None

    def counter_notices(self, case_id: int) -> list[CounterNotice]:
        rows = self.session.scalars(select(CounterNoticeRow).where(CounterNoticeRow.case_id == case_id)
                                    .order_by(CounterNoticeRow.id))
        return [_counter(r) for r in rows]

    def due_counter_notices(self, now: datetime) -> list[CounterNotice]:
        rows = self.session.scalars(select(CounterNoticeRow).where(
            CounterNoticeRow.outcome == "pending", CounterNoticeRow.deadline_at <= now).order_by(CounterNoticeRow.id))
        return [_counter(r) for r in rows]

    def close_counter_notice(self, counter_id: int, *, outcome: str, now: datetime,
                             court_action_ref: str | None = None) -> CounterNotice:
        row = self.session.get(CounterNoticeRow, counter_id)
        if row is None:
            raise NotFound(f"no counter-notice {counter_id}")
        if row.outcome != "pending":
            raise Conflict(f"counter-notice {counter_id} is already {row.outcome}")
        row.outcome, row.closed_at = outcome, now
        if court_action_ref is not None:
            row.court_action_ref, row.court_action_at = court_action_ref, now
        self.session.flush()
        return _counter(row)

    # complaints
    def add_complaint(self, *, case_id: int, complainant_id: str, side: str, grounds: str, state_before: str,
                      now: datetime) -> Complaint:
        row = ComplaintRow(case_id=case_id, complainant_id=complainant_id, complainant_side=side, grounds=grounds,
                           state_before=state_before, filed_at=now)
        self.session.add(row)
        self.session.flush()
        return _complaint(row)

    def complaint(self, complaint_id: int) -> Complaint:
        row = self.session.get(ComplaintRow, complaint_id)
        if row is None:
            raise NotFound(f"no complaint {complaint_id}", field="complaint_id")
        return _complaint(row)

    def complaints(self, case_id: int) -> list[Complaint]:
        rows = self.session.scalars(select(ComplaintRow).where(ComplaintRow.case_id == case_id)
                                    .order_by(ComplaintRow.id))
        return [_complaint(r) for r in rows]

    def answer_complaint(self, complaint_id: int, *, state: str, answer: str, by: str, now: datetime) -> Complaint:
        row = self.session.get(ComplaintRow, complaint_id)
        if row is None:
            raise NotFound(f"no complaint {complaint_id}")
        if row.state != "open":
            raise Conflict(f"complaint {complaint_id} is already answered")
        row.state, row.answer, row.answered_by, row.answered_at = state, answer, by, now
        self.session.flush()
        return _complaint(row)

    # notifier standing
    def standing(self, user_id: str) -> Standing:
        row = self.session.get(NotifierStandingRow, user_id)
        if row is None:
            return Standing(user_id=user_id)
        return Standing(user_id=user_id, warnings=row.warnings, suspended_until=row.suspended_until,
                        trusted_removed_at=row.trusted_removed_at, trusted_barred_until=row.trusted_barred_until)

    def set_standing(self, standing: Standing, *, now: datetime) -> None:
        row = self.session.get(NotifierStandingRow, standing.user_id)
        if row is None:
            row = NotifierStandingRow(user_id=standing.user_id)
            self.session.add(row)
        row.warnings, row.suspended_until = standing.warnings, standing.suspended_until
        row.trusted_removed_at, row.trusted_barred_until = standing.trusted_removed_at, standing.trusted_barred_until
        row.updated_at = now
        self.session.flush()


def _report(r: ConsumerReportRow, listing_ids: Sequence[str] = ()) -> ConsumerReport:
    return ConsumerReport(
        id=r.id, case_number=r.case_number, reporter_id=r.reporter_id, reporter_key=r.reporter_key,
        contact_email=r.contact_email, channel=r.channel, lang=r.lang, category=r.category, text=r.text,
        listing_refs=tuple(r.listing_refs or ()), listing_id=r.listing_id, state=r.state, resolution=r.resolution,
        created_at=r.created_at, updated_at=r.updated_at, listing_ids=tuple(listing_ids),
        unknown_refs=tuple(r.unknown_refs or ()),
    )


_OPEN_REPORT_STATES = ("received", "under_review")


class ReportRepository:
    REPOSITORY_NAME = "reports"

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, *, draft: ReportDraft, case_number: str, follow_token_hash: str, reporter_id: str | None,
            reporter_key: str, channel: str, refs: Sequence[str], listing_id: str | None,
            now: datetime, listing_ids: Sequence[str] = (), unknown_refs: Sequence[str] = ()) -> ConsumerReport:
        """Store a report and link every listing it names (listing_id alone: a report naming one)."""
        ids = list(dict.fromkeys([*listing_ids, *([listing_id] if listing_id else [])]))
        row = ConsumerReportRow(case_number=case_number, follow_token_hash=follow_token_hash, reporter_id=reporter_id,
                                reporter_key=reporter_key, contact_email=draft.contact_email, channel=channel,
                                lang=draft.lang, category=draft.category, text=draft.text, listing_refs=list(refs),
                                listing_id=ids[0] if ids else None, unknown_refs=list(unknown_refs),
                                created_at=now, updated_at=now)
        self.session.add(row)
        self.session.flush()
        self._link(row, ids, now, have=[])
        return _report(row, ids)

    def _link(self, row: ConsumerReportRow, listing_ids: Sequence[str], now: datetime,
              have: list[str] | None = None) -> list[str]:
        have = self._links(row.id) if have is None else have
        added = [lid for lid in dict.fromkeys(listing_ids) if lid not in have]
        for n, lid in enumerate(added, start=len(have)):
            self.session.add(ReportListingRow(report_id=row.id, listing_id=lid, reporter_key=row.reporter_key,
                                              position=n, created_at=now))
        if added:
            if row.listing_id is None:
                row.listing_id = added[0]
            self.session.flush()
        return added

    def _links(self, report_id: int) -> list[str]:
        return list(self.session.scalars(select(ReportListingRow.listing_id).where(
            ReportListingRow.report_id == report_id).order_by(ReportListingRow.position, ReportListingRow.id)))

    def amend(self, report_id: int, *, listing_ids: Sequence[str], unknown_refs: Sequence[str],
              refs: Sequence[str], text: str, now: datetime) -> tuple[ConsumerReport, list[str]]:
        """Add what a reporter sent later: listings (linked now, the new ones returned), references and text."""
        row = self.session.get(ConsumerReportRow, report_id, with_for_update=True)
        if row is None:
            raise NotFound(f"no report {report_id}")
        added = self._link(row, listing_ids, now)
        row.listing_refs = list(dict.fromkeys([*(row.listing_refs or []), *refs]))[:100]
        row.unknown_refs = [u for u in dict.fromkeys([*(row.unknown_refs or []), *unknown_refs])
                            if u not in set(listing_ids)][:100]
        row.text, row.updated_at = text, now
        self.session.flush()
        return _report(row, self._links(row.id)), added

    def by_number(self, case_number: str) -> tuple[ConsumerReport, str] | None:
        """The report and its follow-token hash."""
        row = self.session.scalars(select(ConsumerReportRow)
                                   .where(ConsumerReportRow.case_number == case_number)).first()
        return (_report(row, self._links(row.id)), row.follow_token_hash) if row is not None else None

    def get(self, report_id: int) -> ConsumerReport:
        row = self.session.get(ConsumerReportRow, report_id)
        if row is None:
            raise NotFound(f"no report {report_id}")
        return _report(row, self._links(row.id))

    def independent_reporters(self, listing_id: str, *, since: datetime) -> int:
        """Distinct reporters who named the listing since then, in any report (a report may name several)."""
        return int(self.session.scalar(
            select(func.count(func.distinct(ReportListingRow.reporter_key)))
            .where(ReportListingRow.listing_id == listing_id, ReportListingRow.created_at >= since)) or 0)

    def reported_before(self, listing_id: str, reporter_key: str) -> bool:
        return self.session.scalars(select(ReportListingRow.id).where(
            ReportListingRow.listing_id == listing_id, ReportListingRow.reporter_key == reporter_key)).first() \
            is not None

    def open_for_listing(self, listing_id: str) -> list[ConsumerReport]:
        """Open reports that name the listing and whose word on it is not yet decided."""
        rows = self.session.scalars(
            select(ConsumerReportRow).join(ReportListingRow, ReportListingRow.report_id == ConsumerReportRow.id)
            .where(ReportListingRow.listing_id == listing_id, ReportListingRow.state == "open",
                   ConsumerReportRow.state.in_(_OPEN_REPORT_STATES)).order_by(ConsumerReportRow.id))
        return [_report(r, self._links(r.id)) for r in rows]

    def decide_listing(self, report_id: int, listing_id: str, outcome: str, *, now: datetime) -> dict[str, str]:
        """Record the decision on one listing of a report; the outcome of each of its listings ("open" if not yet)."""
        link = self.session.scalars(select(ReportListingRow).where(
            ReportListingRow.report_id == report_id, ReportListingRow.listing_id == listing_id)).first()
        if link is not None and link.state == "open":
            link.state, link.decided_at = outcome, now
            self.session.flush()
        return dict(self.session.execute(select(ReportListingRow.listing_id, ReportListingRow.state).where(
            ReportListingRow.report_id == report_id).order_by(ReportListingRow.position)).all())

    def set_state(self, report_id: int, state: str, *, now: datetime, resolution: str | None = None) -> None:
        row = self.session.get(ConsumerReportRow, report_id)
        if row is None:
            raise NotFound(f"no report {report_id}")
        row.state, row.updated_at = state, now
        if resolution is not None:
            row.resolution = resolution
        self.session.flush()


class IdempotencyRepository:
    REPOSITORY_NAME = "idempotency"

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, scope: str, key: str) -> tuple[str, dict[str, Any]] | None:
        """(request hash, stored answer) for a key already used, else None."""
        row = self.session.scalars(select(IdempotencyRow).where(IdempotencyRow.scope == scope,
                                                                IdempotencyRow.key == key)).first()
        return (row.request_hash, dict(row.response or {})) if row is not None else None

    def claim(self, scope: str, key: str, request_hash: str) -> None:
        """Take the key inside the current transaction; a concurrent holder makes this raise Conflict.

        On PostgreSQL the insert waits for a concurrent transaction holding the same key, so the loser
        sees the winner's committed row after rolling back."""
        self.session.add(IdempotencyRow(scope=scope, key=key, request_hash=request_hash, response={}))
        try:
            self.session.flush()
        except (IntegrityError, OperationalError) as exc:
            # IntegrityError: the key is taken. OperationalError: SQLite's snapshot went stale because another
            # writer committed meanwhile; either way the caller rolls back and looks again.
            raise Conflict("this Idempotency-Key is being used by another request", field="Idempotency-Key") \
                from exc

    def try_claim(self, scope: str, key: str, request_hash: str) -> bool:
        """Take the key inside the current transaction unless it is taken (False); never aborts the transaction.

        On PostgreSQL the insert waits for a concurrent transaction holding the same key to finish first."""
        insert = postgresql_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        res = self.session.execute(insert(IdempotencyRow).values(scope=scope, key=key, request_hash=request_hash,
                                                                 response={}, created_at=utcnow())
                                   .on_conflict_do_nothing(index_elements=["scope", "key"])
                                   .returning(IdempotencyRow.id))
        # RETURNING, not rowcount: a skipped insert returns no row on every driver (rowcount may be -1).
        return res.first() is not None

    def release(self, scope: str, key: str) -> None:
        """Give back a key taken in this transaction whose work was refused (so a retry may use it)."""
        self.session.execute(delete(IdempotencyRow).where(IdempotencyRow.scope == scope, IdempotencyRow.key == key))

    def store(self, scope: str, key: str, response: dict[str, Any]) -> None:
        row = self.session.scalars(select(IdempotencyRow).where(IdempotencyRow.scope == scope,
                                                                IdempotencyRow.key == key)).first()
        if row is None:
            raise NotFound("idempotency key not claimed")
        row.response = response
        self.session.flush()

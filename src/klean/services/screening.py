"""Screening use cases: dry runs, listing submission (screened before it goes live), rescans, catalog screening."""

from __future__ import annotations

import dataclasses
import threading
import weakref
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from klean.domain.auth import Principal, Role
from klean.domain.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from klean.domain.files import listing_to_dict
from klean.domain.listing import Listing
from klean.domain.messages import Message, msg
from klean.domain.policy import EnforcementPolicy
from klean.domain.policy_file import PolicyDocument, read_policy
from klean.domain.screening import Decision, Evidence, ScreeningPolicy, ScreeningResult
from klean.services import image_banks
from klean.services import registry as registry_service
from klean.services.idempotency import claim_once, run_once
from klean.services.unit_of_work import AbstractUnitOfWork
from klean.signals import lexicons
from klean.signals.screener import Screener
from klean.signals.text import fold

STATUS_FOR = {Decision.ALLOW: "live", Decision.REVIEW: "held", Decision.BLOCK: "blocked"}
RESCANNED = ("live", "held")  # blocked, removed and withdrawn listings are not live: a rescan leaves them be
_build_lock = threading.Lock()


def screening_policy(policy: ScreeningPolicy | PolicyDocument | None, app_extras: dict[str, Any]) -> ScreeningPolicy:
    if isinstance(policy, ScreeningPolicy):
        return policy
    if isinstance(policy, PolicyDocument):
        return ScreeningPolicy.from_section(policy.section("screening"), policy.version)
    cached = app_extras.get("screening_policy")
    if isinstance(cached, ScreeningPolicy):
        return cached
    doc = read_policy()
    return ScreeningPolicy.from_section(doc.section("screening"), doc.version)


def get_screener(*, uow: AbstractUnitOfWork, app_extras: dict[str, Any],
                 policy: ScreeningPolicy | PolicyDocument | None = None, today: date | None = None) -> Screener:
    """Return the screener for the registry as it is now (built once per registry version, policy and day)."""
    pol = screening_policy(policy, app_extras)
    snapshot = registry_service.registry_snapshot(uow=uow)
    day = today or date.today()
    key = (snapshot.version, pol, day)
    cached = app_extras.get("screener")
    if isinstance(cached, tuple) and cached[0] == key:
        return cached[1]  # type: ignore[no-any-return]
    with _build_lock:
        cached = app_extras.get("screener")
        if isinstance(cached, tuple) and cached[0] == key:
            return cached[1]  # type: ignore[no-any-return]
        screener = Screener(snapshot, pol, today=day)
        app_extras["screener"] = (key, screener)
        return screener


def dry_run(*, screener: Screener, listing: Listing) -> ScreeningResult:
    """Screen a listing without storing anything (the screener alone; `assess` adds the listing gate)."""
    return screener.screen(listing)


def evidence_dicts(evidence: Iterable[Evidence]) -> list[dict[str, Any]]:
    """Evidence as stored with a listing: the English reason plus its template and parameters for other languages."""
    return [{"signal": e.signal, "weight": float(e.weight), "brand_id": e.brand_id,
             "span": [int(e.span[0]), int(e.span[1])] if e.span is not None else None,
             "reason": e.reason.render_en(), "template": e.reason.template,
             "params": {k: v if isinstance(v, int | float) else str(v) for k, v in e.reason.params.items()}}
            for e in evidence]


def stored_reason(record: dict[str, Any]) -> Message:
    """The reason of a stored evidence record as a Message (to render in the reader's language)."""
    template = record.get("template")
    if isinstance(template, str):
        return Message(template, dict(record.get("params") or {}))
    return Message("{reason}", {"reason": str(record.get("reason", ""))})


def brands_at_issue(result: ScreeningResult) -> list[str]:
    """Brands the listing is about: every brand an evidence names."""
    return sorted({e.brand_id for e in result.evidence if e.brand_id})


def _offered_brands(result: ScreeningResult) -> list[str]:
    """Brands whose goods the listing offers (named, not merely fitted: accessory mentions are exculpatory)."""
    fitted = {e.brand_id for e in result.evidence if e.signal == "brand_mention" and e.weight < 0}
    return sorted({e.brand_id for e in result.evidence
                   if e.brand_id and e.signal == "brand_mention" and e.weight > 0} - fitted)


def _enforcement() -> Any:
    try:
        from klean.services import enforcement
    except ImportError:
        return None
    return enforcement


# --- the listing gate: one decision for dry runs, submissions and rescans ---------------------------------------


@dataclass(frozen=True)
class Unauthorised:
    """A protected brand the listing offers whose seller holds no authorisation valid on the screening day."""

    brand_id: str
    brand_name: str
    outcome: str  # hold | block (policy [enforcement.authorisation])
    message: Message


@dataclass(frozen=True)
class Assessment:
    """A listing's screening after the listing gate: what a submission of it gets (and what a dry run says)."""

    result: ScreeningResult  # decision after the gate; score and evidence are the screener's
    screened: Decision  # the screener's own decision, before the gate
    unauthorised: tuple[Unauthorised, ...] = ()

    @property
    def status(self) -> str:
        return STATUS_FOR[self.result.decision]

    @property
    def notes(self) -> tuple[Message, ...]:
        return tuple(u.message for u in self.unauthorised)


def gate_decision(decision: Decision, unauthorised: Sequence[Unauthorised]) -> Decision:
    """The screener's decision after the listing gate: a brand whose unauthorised listings are refused blocks it;
    any other missing authorisation holds an allowed listing for review."""
    if any(u.outcome == "block" for u in unauthorised):
        return Decision.BLOCK
    if unauthorised and decision is Decision.ALLOW:
        return Decision.REVIEW
    return decision


_GATE_TABLES: weakref.WeakKeyDictionary[Screener, tuple[dict[str, Any], set[tuple[str, str]]]] = \
    weakref.WeakKeyDictionary()


def _gate_table(screener: Screener) -> tuple[dict[str, Any], set[tuple[str, str]]]:
    """The screener's registry as the gate reads it (brands by id; (seller, brand) pairs with an authorisation
    valid on the screening day), built once per screener."""
    table = _GATE_TABLES.get(screener)
    if table is None:
        today = screener.context.today
        brands = {b.id: b for b in screener.snapshot.brands}
        valid = {(a.seller_id, b.id) for b in screener.snapshot.brands for a in b.authorisations if a.valid_on(today)}
        table = (brands, valid)
        _GATE_TABLES[screener] = table
    return table


def _unauthorised_in_snapshot(screener: Screener, seller_id: str, brand_ids: Sequence[str],
                              policy: EnforcementPolicy) -> list[Unauthorised]:
    brands, valid = _gate_table(screener)
    out = []
    for brand_id in sorted(set(brand_ids)):
        brand = brands.get(brand_id)
        if brand is None or not policy.is_protected(brand_id, brand.owner) or (seller_id, brand_id) in valid:
            continue
        outcome = policy.missing_authorisation_outcome(brand_id)
        day = screener.context.today.isoformat()
        message = (msg("A listing of {brand} by seller {seller} is refused: no authorisation from {brand} valid on "
                       "{day} is on file.", brand=brand.name, seller=seller_id, day=day) if outcome == "block" else
                   msg("A listing of {brand} by seller {seller} waits for review: no authorisation from {brand} "
                       "valid on {day} is on file.", brand=brand.name, seller=seller_id, day=day))
        out.append(Unauthorised(brand_id, brand.name, outcome, message))
    return out


def _enforcement_policy(policy: EnforcementPolicy | None) -> EnforcementPolicy | None:
    if policy is not None:
        return policy
    enforcement = _enforcement()
    return enforcement.current_policy() if enforcement is not None and hasattr(enforcement, "current_policy") \
        else None


def assess(*, screener: Screener, listing: Listing, uow: AbstractUnitOfWork | None = None,
           policy: EnforcementPolicy | None = None, screened: ScreeningResult | None = None) -> Assessment:
    """Screen a listing and apply the listing gate (a protected brand offered without an authorisation valid
    today is held for review, or refused per policy): the one decision dry runs, submissions and rescans share.

    With `uow` (inside the caller's transaction) authorisations are read from the database and the seller is told
    which proof is missing; without it (a dry run) from the screener's registry snapshot, which every registry or
    authorisation change made through this process refreshes at once.
    """
    result = screened if screened is not None else screener.screen(listing)
    offered = _offered_brands(result)
    unauthorised: list[Unauthorised] = []
    pol = _enforcement_policy(policy) if offered else None
    if pol is not None:
        enforcement = _enforcement()
        if uow is not None and enforcement is not None and hasattr(enforcement, "missing_authorisations"):
            unauthorised = [Unauthorised(m.brand_id, m.brand_name, m.outcome, m.message)
                            for m in enforcement.missing_authorisations(uow=uow, seller_id=listing.seller_id,
                                                                        brand_ids=offered,
                                                                        today=screener.context.today, policy=pol)]
        else:
            unauthorised = _unauthorised_in_snapshot(screener, listing.seller_id, offered, pol)
    decision = gate_decision(result.decision, unauthorised)
    gated = result if decision is result.decision else dataclasses.replace(result, decision=decision)
    if uow is not None:
        # Ban evasion: a seller linked by a strong fact to a suspended or restricted one waits for review.
        from klean.services import seller_networks

        gated = seller_networks.gate_listing(uow=uow, listing=listing, result=gated)
    return Assessment(result=gated, screened=result.decision, unauthorised=tuple(unauthorised))


@dataclass(frozen=True)
class Submission:
    listing_id: str
    status: str  # live | held | blocked
    result: ScreeningResult
    notes: tuple[Message, ...] = ()  # further reasons: missing authorisations
    review_item: int | None = None
    actions: tuple[dict[str, Any], ...] = field(default=())


def _apply(uow: AbstractUnitOfWork, listing: Listing, result: ScreeningResult, *, status: str, actor: str,
           cause: str, event: str, previous: str | None, notes: Sequence[Message] = ()) -> int | None:
    """Store the screening, snapshot the listing, queue it for review when held, append the event."""
    records = evidence_dicts(result.evidence)
    for note in notes:
        records.append({"signal": "authorisation", "weight": 0.0, "brand_id": None, "span": None,
                        "reason": note.render_en(), "template": note.template,
                        "params": {k: str(v) for k, v in note.params.items()}})
    uow.listings.record_screening(listing.id, result, records, brands_at_issue(result))
    if previous is None or previous != status:
        snap = uow.listings.set_status(listing.id, status, cause=cause)
    else:
        snap = uow.listings.snapshot(listing.id, cause=cause)
    item_id = None
    if status == "held":
        item = uow.queue.enqueue(kind="screening", subject_type="listing", subject_id=listing.id,
                                 priority=float(result.score),
                                 payload={"score": result.score, "decision": result.decision.value,
                                          "reasons": [r["reason"] for r in records[:5]]})
        item_id = item.id
    elif previous == "held" and status != "held":
        uow.queue.close_for_subject("listing", listing.id, f"{cause}: {status}", kind="screening")
    uow.events.append(type=event, actor=actor, subject_type="listing", subject_id=listing.id,
                      payload={"score": result.score, "decision": result.decision.value, **result.model_info(),
                               "from": previous,
                               "to": status, "snapshot_id": snap.id, "snapshot_sha256": snap.sha256,
                               "brand_ids": brands_at_issue(result), "review_item": item_id},
                      policy_version=result.policy_version,
                      reason="; ".join(r["reason"] for r in records[:3]) or "no evidence")
    return item_id


def _check_submitter(principal: Principal, listing: Listing) -> None:
    principal.require(Role.SELLER, Role.ADMIN)
    if principal.role is Role.SELLER and listing.seller_id != principal.seller_id:
        raise Forbidden(f"you may only submit listings of your own seller account ({principal.seller_id})",
                        field="seller_id")


def _submit_in(uow: AbstractUnitOfWork, principal: Principal, listing: Listing, screener: Screener,
               enforcement_policy: EnforcementPolicy | None, screened: ScreeningResult) -> Submission:
    """The one submission path (single listings, batches, change streams), inside the caller's open transaction;
    no commit. Every refusal (another seller's id, a removed listing, a restriction) is raised before anything is
    written, so a batch can refuse one listing and go on with the next in the same transaction."""
    _check_submitter(principal, listing)
    enforcement = _enforcement()
    existing = uow.listings.get(listing.id)
    if existing is not None:
        if existing.listing.seller_id != listing.seller_id:
            raise Conflict(f"listing id {listing.id} belongs to another seller", field="id")
        if existing.status == "removed":
            raise Conflict(f"listing {listing.id} was removed; appeal the removal instead of resubmitting",
                           field="id")
    offered = _offered_brands(screened)
    if enforcement is not None and hasattr(enforcement, "check_can_list"):
        enforcement.check_can_list(uow=uow, seller_id=listing.seller_id, brand_ids=offered,
                                   category=listing.category)
    gated = assess(screener=screener, listing=listing, uow=uow, policy=enforcement_policy, screened=screened)
    result, status, notes = gated.result, gated.status, list(gated.notes)
    previous = existing.status if existing is not None else None
    # --- writes from here on ---
    uow.listings.upsert(listing, status=previous or status)
    item_id = _apply(uow, listing, result, status=status, actor=principal.user_id, cause="submission",
                     event="listing.submitted", previous=previous, notes=notes)
    # Image-bank matches feed the flood guard (an entry suddenly matching many listings goes to review).
    image_banks.record_screening_matches(uow=uow, context=screener.context, listing_id=listing.id,
                                         evidence=result.evidence)
    actions: list[dict[str, Any]] = []
    if status == "blocked" and enforcement is not None and hasattr(enforcement, "record_violation"):
        actions = enforcement.record_violation(
            uow=uow, seller_id=listing.seller_id, actor="rule:screening",
            kind="insignia_block" if any(e.signal == "insignia" and e.weight > 0 for e in result.evidence)
            else "screening_block",
            cause_ref=f"screening:{listing.id}:{result.policy_version}", listing_id=listing.id,
            brand_id=(offered or brands_at_issue(result) or [None])[0],
            evidence=[f"listing:{listing.id}"])
    return Submission(listing_id=listing.id, status=status, result=result, notes=tuple(notes), review_item=item_id,
                      actions=tuple(actions))


def submit_listing(*, uow: AbstractUnitOfWork, principal: Principal, listing: Listing,
                   screener: Screener, enforcement_policy: EnforcementPolicy | None = None) -> Submission:
    """Screen a seller's listing before it goes live: allow -> live, review -> held for a reviewer, block -> blocked."""
    _check_submitter(principal, listing)
    screened = screener.screen(listing)
    with uow:
        sub = _submit_in(uow, principal, listing, screener, enforcement_policy, screened)
        uow.commit()
    return sub


def submission_answer(sub: Submission) -> dict[str, Any]:
    """A submission as answered and as stored for Idempotency-Key replays: no language chosen yet (reasons are kept
    as templates with parameters, rendered in the reader's language at the edge)."""
    return {"id": sub.listing_id, "status": sub.status, "score": float(sub.result.score),
            "decision": sub.result.decision.value, "evidence": evidence_dicts(sub.result.evidence),
            "notes": [{"template": m.template, "params": {k: v if isinstance(v, int | float) else str(v)
                                                         for k, v in m.params.items()}} for m in sub.notes],
            "review_item": sub.review_item, "policy_version": sub.result.policy_version}


def answer_reasons(answer: dict[str, Any]) -> list[Message]:
    """What the seller is told about a submission answer: why it is held or blocked, and the missing proofs."""
    out: list[Message] = []
    if answer["status"] != "live":
        out = [stored_reason(e) for e in answer["evidence"] if float(e.get("weight", 0.0)) > 0] or \
            [msg("No reason to hold this listing was found")]
    return out + [Message(n["template"], dict(n["params"])) for n in answer["notes"]]


def _listing_scope(principal: Principal) -> str:
    return f"listing:{principal.user_id}"


def submit_listing_once(*, uow: AbstractUnitOfWork, principal: Principal, listing: Listing, screener: Screener,
                        enforcement_policy: EnforcementPolicy | None = None,
                        idempotency_key: str | None = None) -> tuple[dict[str, Any], bool]:
    """Submit a listing once per Idempotency-Key: the answer (submission_answer) and whether it is a replay."""
    _check_submitter(principal, listing)
    screened = screener.screen(listing)
    with uow:
        return run_once(uow=uow, scope=_listing_scope(principal), key=idempotency_key,
                        request=listing_to_dict(listing),
                        work=lambda: submission_answer(_submit_in(uow, principal, listing, screener,
                                                                  enforcement_policy, screened)))


MAX_BATCH = 500
COMMIT_EVERY = 50  # listings per transaction within a batch (see submit_listings)


@dataclass(frozen=True)
class BatchItem:
    """One listing of a batch with its own Idempotency-Key; `error` when the edge already refused it (a body that
    is not a listing, an unusable image): it is reported in place and the rest of the batch goes on."""

    listing: Listing | None
    idempotency_key: str | None = None
    error: DomainError | None = None


@dataclass(frozen=True)
class BatchOutcome:
    answer: dict[str, Any] | None = None
    replayed: bool = False
    error: DomainError | None = None


def submit_listings(*, uow: AbstractUnitOfWork, principal: Principal, items: Sequence[BatchItem],
                    screener: Screener, enforcement_policy: EnforcementPolicy | None = None) -> list[BatchOutcome]:
    """Submit up to MAX_BATCH listings, each once per its own Idempotency-Key: one outcome per item, in order. A
    refused item (not the submitter's, removed, restricted, a key reused for another listing) is reported in place
    and the others go on. Committed COMMIT_EVERY listings at a time: every write holds the event log's lock from its
    first event to its commit, and a whole batch holding it would stall every other writer for seconds. A failure
    of the database raises after the chunks before it committed; sending the batch again with the same keys
    replays those and stores the rest."""
    principal.require(Role.SELLER, Role.ADMIN)
    if not items:
        raise ValidationError("listings: send at least one listing", field="listings")
    if len(items) > MAX_BATCH:
        raise ValidationError(f"listings: at most {MAX_BATCH} per batch, got {len(items)}; split the feed",
                              field="listings")
    scope = _listing_scope(principal)
    # Screening is CPU work: done before the transaction, so the write locks are held for the writes only.
    screened: list[ScreeningResult | DomainError | None] = []
    for item in items:
        if item.error is not None or item.listing is None:
            screened.append(None)
            continue
        try:
            _check_submitter(principal, item.listing)
            screened.append(screener.screen(item.listing))
        except DomainError as exc:
            screened.append(exc)
    outcomes: list[BatchOutcome] = []
    pairs = list(zip(items, screened, strict=True))
    for start in range(0, len(pairs), COMMIT_EVERY):
        _submit_chunk(uow, principal, scope, pairs[start:start + COMMIT_EVERY], screener, enforcement_policy,
                      outcomes)
    return outcomes


def _submit_chunk(uow: AbstractUnitOfWork, principal: Principal, scope: str,
                  pairs: Sequence[tuple[BatchItem, ScreeningResult | DomainError | None]], screener: Screener,
                  enforcement_policy: EnforcementPolicy | None, outcomes: list[BatchOutcome]) -> None:
    with uow:
        for item, result in pairs:
            if item.error is not None or item.listing is None:
                outcomes.append(BatchOutcome(error=item.error or ValidationError("not a listing")))
                continue
            if isinstance(result, DomainError):
                outcomes.append(BatchOutcome(error=result))
                continue
            assert result is not None
            listing = item.listing
            try:
                claim = claim_once(uow=uow, scope=scope, key=item.idempotency_key, request=listing_to_dict(listing))
                if claim.replay is not None:
                    outcomes.append(BatchOutcome(answer=claim.replay, replayed=True))
                    continue
                try:
                    answer = submission_answer(_submit_in(uow, principal, listing, screener, enforcement_policy,
                                                          result))
                except DomainError:
                    claim.release()  # nothing was written for this item: its key stays free for a retry
                    raise
                claim.store(answer)
                outcomes.append(BatchOutcome(answer=answer))
            except DomainError as exc:
                outcomes.append(BatchOutcome(error=exc))
        uow.commit()


@dataclass(frozen=True)
class StoredView:
    listing: Listing
    status: str
    score: float | None
    decision: str | None
    evidence: list[dict[str, Any]]
    policy_version: str | None


def get_listing(*, uow: AbstractUnitOfWork, principal: Principal, listing_id: str) -> StoredView:
    """Show a listing with its screening reasons to its seller, a reviewer or an admin."""
    with uow:
        stored = uow.listings.get(listing_id)
        if stored is None:
            raise NotFound(f"no listing {listing_id}", field="listing_id")
        if principal.role not in (Role.ADMIN, Role.REVIEWER) and not (
                principal.role is Role.SELLER and principal.seller_id == stored.listing.seller_id):
            # Not found rather than forbidden: other sellers' listing ids are not for probing.
            raise NotFound(f"no listing {listing_id}", field="listing_id")
        return StoredView(listing=stored.listing, status=stored.status, score=stored.score,
                          decision=stored.decision, evidence=stored.evidence, policy_version=stored.policy_version)


def _may_contain(text: str, needles: Sequence[str]) -> bool:
    compact = fold(text).compact
    return any(n in compact for n in needles)


def rescan_affected(*, uow: AbstractUnitOfWork, screener: Screener, brand_ids: Sequence[str] | None = None,
                    seller_ids: Sequence[str] | None = None, actor: str = "rule:registry_change",
                    policy: EnforcementPolicy | None = None) -> int:
    """Rescreen the live and held listings a registry change can affect; return how many were rescreened.

    brand_ids: listings whose folded text can contain one of those brands' marks, nicknames or design cues (the
    rights holder's and the default pack's), or that were linked to them; seller_ids: that seller's listings (an
    authorisation granted or withdrawn). Both: listings matching both.
    """
    if not brand_ids and not seller_ids:
        return 0
    needles: list[str] = []
    for bid in brand_ids or ():
        brand = screener.snapshot.brand(bid)
        if brand is not None:
            # A nickname just added points at listings that name no mark; a term just removed or a collision just
            # added matters only to listings already linked to the brand, which stored.brand_ids finds.
            terms = [t.term for t in lexicons.brand_knowledge(brand) if t.kind != "collision"]
            needles += [k for k in (fold(m).compact for m in (*brand.marks, *terms)) if k]
    n = 0
    with uow:
        candidates = []
        for status in RESCANNED:
            if seller_ids:
                for sid in seller_ids:
                    candidates += uow.listings.list(status=status, seller_id=sid, limit=1_000_000)
            else:
                candidates += uow.listings.list(status=status, limit=1_000_000)
        for stored in candidates:
            if brand_ids and not (set(stored.brand_ids) & set(brand_ids)
                                  or _may_contain(stored.listing.text, needles)):
                continue
            gated = assess(screener=screener, listing=stored.listing, uow=uow, policy=policy)
            _apply(uow, stored.listing, gated.result, status=gated.status, actor=actor, cause="rescan",
                   event="listing.rescanned", previous=stored.status, notes=gated.notes)
            n += 1
        uow.commit()
    return n


def screen_stored_listings(*, uow: AbstractUnitOfWork, screener: Screener, statuses: Sequence[str] = ("live",),
                           actor: str = "rule:screening", examples: int = 8) -> dict[str, Any]:
    """Screen every stored listing with these statuses and act on the decisions; summarise what was caught."""
    counts: Counter[str] = Counter()
    caught: list[tuple[float, Listing, ScreeningResult]] = []
    with uow:
        for status in statuses:
            for stored in uow.listings.list(status=status, limit=10_000_000):
                result = screener.screen(stored.listing)
                counts[result.decision.value] += 1
                _apply(uow, stored.listing, result, status=STATUS_FOR[result.decision], actor=actor,
                       cause="catalog scan", event="listing.screened", previous=stored.status)
                if result.flagged:
                    caught.append((result.score, stored.listing, result))
        uow.commit()
    caught.sort(key=lambda t: -t[0])
    lines = [f"  screened  {sum(counts.values())} listings: {counts['allow']} allowed, {counts['review']} held "
             f"for review, {counts['block']} blocked (policy {screener.policy.version})"]
    step = max(1, len(caught) // examples) if caught else 1
    for _score, listing, result in caught[::step][:examples]:
        top = [e for e in result.evidence if e.weight > 0][:3]
        lines.append(f"    {result.decision.value:<6} {result.score:.2f}  {listing.id}  {listing.title[:60]}")
        lines += [f"           - {e.reason.render_en()}" for e in top]
    return {"counts": dict(counts), "lines": lines, "caught": [lid for _, lid, _ in
                                                               ((s, x.id, r) for s, x, r in caught)]}


def screen_catalog(*, uow: AbstractUnitOfWork, app_extras: dict[str, Any],
                   policy: ScreeningPolicy | PolicyDocument | None = None) -> dict[str, Any]:
    """Screen the whole live catalog against the current registry (the demo and first-time set-ups)."""
    screener = get_screener(uow=uow, app_extras=app_extras, policy=policy)
    return screen_stored_listings(uow=uow, screener=screener)


screen_all = screen_catalog


def reasons(result: ScreeningResult) -> list[Message]:
    """What the seller is told: the reasons that weighed, strongest first."""
    return [e.reason for e in result.evidence if e.weight > 0] or [msg("No reason to hold this listing was found")]

"""Transparency report figures and DSA statements of reasons, computed from the event log alone.

Every feature records its state changes as events; this module reads them by what they say rather than by
which service wrote them, so that it keeps working as features land. The vocabulary it understands:

- Listing actions: an event about a listing (subject or payload `listing_id`) whose new status is `blocked`
  (never went live), `removed` (taken down after going live) or `live` again (restored). The new status is
  read from payload `status`/`to_status`/`new_status`, else from the type (`listing.blocked`,
  `listing.removed`, `listing.restored`), else from the snapshot cause (`... -> removed`).
- Source of an action: payload `source`, else the enforcement `kind` (screening_block, notice_upheld,
  trusted_takedown, test_buy_fake), else the `cause_ref` (`case:`, `testbuy:`, `report:`), else words in the
  type and actor (`trusted`, `notice`, `report`, `testbuy`, `screen`, `rule:`); a block with no other clue is
  proactive screening.
- Notices: the first event of a case (subject `case` or payload `case_id`) is its receipt; time to action is
  from there to the first listing action caused by that case.
- Counter-notices, appeals (and DSA complaints), consumer reports, refunds, test-buy verdicts, seller warnings /
  restrictions / suspensions: by the words in the event type (see `_kind_of`).
- A listing an enforcement reversal gives back (an appeal granted) is restored when its payload names the listing
  and the status it returns to (`restored_status`); back to `held` is not going live, so not a restoration.
- Refunds: a claim is a buyer's `refund.claimed`; approvals and refusals of claims are counted against claims,
  refunds the platform opens without a claim (after a confirmed fake) apart, so approvals never exceed claims.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from klean.domain import dsa
from klean.domain.events import Event

SOURCES = ("proactive_screening", "rights_holder_notice", "trusted_lane", "consumer_report", "test_buy", "other")
SOURCE_ALIASES: Mapping[str, str] = {
    "screening": "proactive_screening", "proactive": "proactive_screening",
    "proactive_screening": "proactive_screening",
    "scan": "proactive_screening", "notice": "rights_holder_notice", "rights_holder_notice": "rights_holder_notice",
    "trusted": "trusted_lane", "trusted_lane": "trusted_lane", "trusted_partner": "trusted_lane",
    "report": "consumer_report", "consumer_report": "consumer_report", "test_buy": "test_buy", "testbuy": "test_buy",
    "qa": "test_buy",
}
VIOLATION_KIND_SOURCE: Mapping[str, str] = {
    "screening_block": "proactive_screening", "insignia_block": "proactive_screening",
    "notice_upheld": "rights_holder_notice",
    "trusted_takedown": "trusted_lane", "test_buy_fake": "test_buy", "consumer_report": "consumer_report",
}
HISTOGRAM_BUCKETS: tuple[tuple[str, float], ...] = (
    ("< 1 h", 1), ("1-4 h", 4), ("4-24 h", 24), ("1-3 d", 72), ("3-7 d", 168), ("> 7 d", math.inf),
)
EEA = dsa.EEA


# ---- reading events -----------------------------------------------------------------------------------


# The screening service's events: the screener decided (the actor is whoever submitted or scanned).
SCREENING_TYPES = frozenset({"listing.submitted", "listing.rescanned", "listing.screened", "screening.completed"})


def _words(e: Event) -> str:
    return f"{e.type} ".lower().replace("-", "_")


def listing_of(e: Event) -> str | None:
    if e.subject_type == "listing":
        return str(e.subject_id)
    value = (e.payload or {}).get("listing_id")
    return str(value) if value is not None else None


def new_status(e: Event) -> str | None:
    """The status a listing action moved the listing to, or None when the event is not such an action.

    `live` is returned only for a restoration (a listing that was removed or blocked coming back), never for a
    listing going live for the first time.
    """
    status = _raw_status(e)
    if status == "live":
        p = e.payload or {}
        came_from = p.get("from") or p.get("previous_status")
        last = e.type.rsplit(".", 1)[-1].lower()
        if came_from not in ("removed", "blocked") and "restor" not in last and "reinstat" not in last \
                and "relist" not in last and "unblock" not in last:
            return None
    return status


def _raw_status(e: Event) -> str | None:
    p = e.payload or {}
    # Only events about a listing itself (cases and claims also carry a listing_id, but they are not its actions).
    if listing_of(e) is None or not (e.subject_type == "listing" or e.type.startswith("listing.")
                                     or "snapshot_id" in p):
        return None
    for key in ("status", "to_status", "new_status", "to", "restored_status"):
        value = p.get(key)
        if value in ("blocked", "removed", "live", "held", "withdrawn"):
            return str(value)
    last = e.type.rsplit(".", 1)[-1].lower().removeprefix("listing_")  # enforcement.listing_removed
    if last in ("blocked", "block"):
        return "blocked"
    if last in ("removed", "taken_down", "takedown", "remove"):
        return "removed"
    if last in ("restored", "reinstated", "relisted", "unblocked"):
        return "live"
    cause = str(p.get("snapshot_cause") or p.get("cause") or "")
    if "->" in cause:
        tail = cause.rsplit("->", 1)[-1].strip()
        if tail in ("blocked", "removed", "live"):
            return tail
    return None


REVIEW_KIND_SOURCE: Mapping[str, str] = {
    "screening": "proactive_screening", "report": "consumer_report", "notice": "rights_holder_notice",
    "counter_notice": "rights_holder_notice", "proof": "proactive_screening",
}


def review_kinds(events: Iterable[Event]) -> dict[str, str]:
    """Reviewer-queue item id -> its kind (screening, report, notice...), from the review events."""
    return {str(e.subject_id): str((e.payload or {}).get("kind")) for e in events
            if e.subject_type == "review_item" and (e.payload or {}).get("kind")}


def source_of(e: Event, reviews: Mapping[str, str] | None = None) -> str:
    """Which lane an action came through (one of SOURCES); `reviews` resolves a `review:<item>` cause."""
    p = e.payload or {}
    src = p.get("source")
    if isinstance(src, str) and src.lower() in SOURCE_ALIASES:
        return SOURCE_ALIASES[src.lower()]
    for key in ("violation", "violation_kind", "kind"):
        kind = p.get(key)
        if isinstance(kind, str) and kind in VIOLATION_KIND_SOURCE:
            return VIOLATION_KIND_SOURCE[kind]
    cause = str(p.get("cause_ref") or p.get("cause") or "").lower()
    if cause.startswith("review:") and reviews:
        kind = reviews.get(cause[7:].split()[0] if cause[7:].strip() else "")
        if kind is not None and kind in REVIEW_KIND_SOURCE:
            return REVIEW_KIND_SOURCE[kind]
    words = _words(e) + " " + cause
    if p.get("reports") or cause.startswith(("report:", "reports:")):  # consumer reports decided by a reviewer
        return "consumer_report"
    if p.get("trusted") is True or "trusted" in words:
        return "trusted_lane"
    if "testbuy" in words or "test_buy" in words or words.startswith("qa."):
        return "test_buy"
    if "report:" in words or words.startswith("report.") or "consumer_report" in words:
        return "consumer_report"
    if "case:" in words or "notice" in words or words.startswith("case."):
        return "rights_holder_notice"
    if e.type in SCREENING_TYPES or "screen" in words or e.actor.startswith("rule:") or "scan" in words:
        return "proactive_screening"
    return "proactive_screening" if new_status(e) == "blocked" else "other"


def case_of(e: Event) -> str | None:
    if e.subject_type == "case":
        return str(e.subject_id)
    p = e.payload or {}
    if p.get("case_id") is not None:
        return str(p["case_id"])
    for key in ("cause_ref", "cause"):
        ref = p.get(key)
        if isinstance(ref, str) and ref.startswith("case:"):
            return ref[5:].split()[0] if ref[5:].strip() else None
    return None


def seller_of(e: Event) -> str | None:
    if e.subject_type == "seller":
        return str(e.subject_id)
    value = (e.payload or {}).get("seller_id")
    return str(value) if value is not None else None


def _kind_of(e: Event) -> str | None:
    """What a non-listing-action event records, from the words of its type."""
    t = _words(e)
    head = t.split(".", 1)[0]
    if head == "case":  # the notices feature records counter-notices as case transitions
        came_from = str((e.payload or {}).get("from") or "")
        if t.startswith("case.countered"):
            return "counter.filed"
        if came_from == "countered":
            return "counter.reversed" if t.startswith("case.restored") else "counter.maintained"
    if "counter" in t:
        if any(w in t for w in ("restored", "granted", "accepted", "succeeded")):
            return "counter.reversed"
        if any(w in t for w in ("rejected", "upheld", "court", "maintained", "denied", "dismissed")):
            return "counter.maintained"
        if any(w in t for w in ("received", "filed", "submitted", "created")):
            return "counter.filed"
        return None
    if "appeal" in head or "complaint" in head:
        if any(w in t for w in ("granted", "reversed", "accepted", "overturned")):
            return "appeal.reversed"
        if any(w in t for w in ("upheld", "rejected", "denied", "dismissed", "maintained")):
            return "appeal.upheld"
        if any(w in t for w in ("filed", "received", "submitted", "created", "opened")):
            return "appeal.filed"
        return None
    if head == "report":  # consumer reports: received, then actioned or no action
        if any(w in t for w in ("received", "filed", "submitted")):
            return "report.received"
        if "no_action" in t or "dismiss" in t:
            return "report.no_action"
        if "actioned" in t:
            return "report.actioned"
        return None
    if "refund" in t or "claim" in head:
        if "paid" in t or "payout" in t:
            return "refund.paid"
        if "approved" in t:
            return "refund.approved"
        if any(w in t for w in ("rejected", "refused", "denied")):
            return "refund.rejected"
        if "queued" in t:
            return "refund.queued"
        if any(w in t for w in ("claimed", "filed", "submitted", "received")):
            return "refund.claimed"
        return None
    if ("testbuy" in t or "test_buy" in head or head == "qa") and ("verdict" in t or "inspected" in t):
        return "testbuy.verdict"
    if ("notice" in head or head == "case") and any(w in t for w in ("received", "filed", "submitted", "created")):
        return "notice.received"
    if head in ("seller", "enforcement", "strike", "account", "action") or seller_of(e) is not None:
        if any(w in t for w in ("lifted", "revers", "unsuspend", "reinstat", "expired", "removed", "withdrawn")):
            return None
        if "suspend" in t:
            return "seller.suspended"
        if "restrict" in t:
            return "seller.restricted"
        if "warn" in t:
            return "seller.warned"
        action = str((e.payload or {}).get("action") or "")
        if action in ("warning", "warn"):
            return "seller.warned"
        if action.startswith("restrict"):
            return "seller.restricted"
        if action.startswith("suspen"):
            return "seller.suspended"
    if e.type in SCREENING_TYPES or head == "screening":
        return "screened"
    return None


def _amount(value: object) -> Decimal | None:
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def nearest_rank(values: Sequence[float], q: float) -> float | None:
    """The q-quantile by the nearest-rank method (an observed value; no interpolation)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


# ---- the report ---------------------------------------------------------------------------------------


def fired_signals(evidence: Iterable[Mapping[str, Any]]) -> set[str]:
    """Signals that pointed towards a fake (positive weight); notes and exonerating evidence are not counted."""
    out = set()
    for x in evidence:
        try:
            weight = float(x.get("weight", 1.0))
        except (TypeError, ValueError):
            weight = 1.0
        if x.get("signal") and weight > 0:
            out.add(str(x["signal"]))
    return out


def _as_seen(status: str, payload: Mapping[str, Any]) -> str:
    """Blocked or removed as the public saw it: before going live (blocked) or after (removed)."""
    came_from = payload.get("from") or payload.get("previous_status")
    if status == "removed" and came_from == "held":
        return "blocked"  # held for review, then refused: it never went live
    if status == "blocked" and came_from == "live":
        return "removed"  # a catalog scan or rescan caught a live listing: taken down after going live
    return status


@dataclass(frozen=True)
class ActionRecord:
    """One listing action, enriched from the snapshot it was taken on."""

    event: Event
    listing_id: str
    status: str  # blocked | removed | live (restored)
    source: str
    brands: tuple[str, ...]
    category: str | None
    signals: tuple[str, ...]


def action_records(events: Iterable[Event], snapshots: Mapping[str, Mapping[str, Any]] | None = None
                   ) -> list[ActionRecord]:
    """Every listing action (blocked / removed / restored), with brand, category and signals from its snapshot."""
    snapshots = snapshots or {}
    events = list(events)
    reviews = review_kinds(events)
    out: list[ActionRecord] = []
    for e in events:
        status = new_status(e)
        listing_id = listing_of(e)
        if status not in ("blocked", "removed", "live") or listing_id is None:
            continue
        p = e.payload or {}
        status = _as_seen(status, p)
        snap = snapshots.get(str(p.get("snapshot_id"))) or {}
        evidence = [x for x in snap.get("evidence") or [] if isinstance(x, Mapping)]
        brands = {str(b) for b in ([p["brand_id"]] if p.get("brand_id") else []) + list(p.get("brand_ids") or [])}
        brands |= {str(x["brand_id"]) for x in evidence if x.get("brand_id")}
        listing = snap.get("listing") or {}
        category = p.get("category") or listing.get("category")
        signals = sorted(fired_signals(evidence) | set(p.get("signals") or []))
        out.append(ActionRecord(event=e, listing_id=listing_id, status=status, source=source_of(e, reviews),
                                brands=tuple(sorted(brands)), category=str(category) if category else None,
                                signals=tuple(signals)))
    return out


def _in(e: Event, start: datetime, end: datetime) -> bool:
    return start <= e.at < end


def compute_report(events: Sequence[Event], *, start: datetime, end: datetime,
                   snapshots: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """The transparency report over [start, end): every figure with its definition implied by its key."""
    events = sorted(events, key=lambda e: e.seq)
    actions = [a for a in action_records(events, snapshots) if _in(a.event, start, end)]
    takedowns = [a for a in actions if a.status in ("blocked", "removed")]
    kinds = [(e, _kind_of(e)) for e in events]
    in_period = [(e, k) for e, k in kinds if k and _in(e, start, end)]
    count = Counter(k for _, k in in_period)

    by_source: dict[str, dict[str, int]] = {s: {"blocked_before_live": 0, "taken_down_after": 0} for s in SOURCES}
    by_signal: Counter[str] = Counter()
    by_brand: Counter[str] = Counter()
    by_category: Counter[str] = Counter()
    for a in takedowns:
        by_source[a.source]["blocked_before_live" if a.status == "blocked" else "taken_down_after"] += 1
        by_signal.update(a.signals)
        by_brand.update(a.brands or ("(none)",))
        by_category[a.category or "(none)"] += 1

    # Time from notice to action: per case, its first event to the first takedown it caused.
    case_start: dict[str, datetime] = {}
    for e in events:
        c = case_of(e)
        if c is not None and c not in case_start:
            case_start[c] = e.at
    first_action: dict[str, datetime] = {}
    for a in action_records(events, snapshots):
        c = case_of(a.event)
        if c is not None and a.status in ("blocked", "removed") and c not in first_action:
            first_action[c] = a.event.at
    hours = [max(0.0, (first_action[c] - case_start[c]).total_seconds() / 3600)
             for c in first_action if c in case_start and start <= first_action[c] < end]
    histogram = []
    lower = 0.0
    for label, upper in HISTOGRAM_BUCKETS:
        histogram.append({"bucket": label, "count": sum(1 for h in hours if lower <= h < upper)})
        lower = upper

    notices_received = {str(e.subject_id) for e, k in in_period
                        if k == "notice.received" and e.subject_type == "notice"}
    cases_opened = {c for c, t in case_start.items() if start <= t < end}

    counter: dict[str, Any] = {"filed": count["counter.filed"], "restored": count["counter.reversed"],
               "maintained": count["counter.maintained"]}
    counter["reversal_rate"] = _rate(counter["restored"], counter["restored"] + counter["maintained"])
    appeals: dict[str, Any] = {"filed": count["appeal.filed"], "reversed": count["appeal.reversed"],
                               "upheld": count["appeal.upheld"]}
    appeals["reversal_rate"] = _rate(appeals["reversed"], appeals["reversed"] + appeals["upheld"])

    # A refund approved for a claim a buyer made, or opened by the platform without one (a confirmed fake).
    claims = {str(e.subject_id) for e, k in kinds if k == "refund.claimed"}
    approved = [e for e, k in in_period if k == "refund.approved"]
    paid_amounts: dict[str, Decimal] = defaultdict(Decimal)
    for e, k in in_period:
        if k == "refund.paid":
            amount = _amount((e.payload or {}).get("amount"))
            if amount is not None:
                paid_amounts[str((e.payload or {}).get("currency") or "")] += amount
    verdicts = Counter(str((e.payload or {}).get("verdict") or "unknown") for e, k in in_period
                       if k == "testbuy.verdict")
    n_verdicts = sum(verdicts.values())
    sellers = {kind: len({seller_of(e) for e, k in in_period if k == f"seller.{kind}"} - {None})
               for kind in ("warned", "restricted", "suspended")}
    screened = {listing_of(e) for e, k in in_period if k == "screened"} - {None}

    weekly: dict[str, dict[str, int]] = {}
    for a in actions:
        iso = a.event.at.isocalendar()
        week = weekly.setdefault(f"{iso.year}-W{iso.week:02d}", {"blocked": 0, "removed": 0, "restored": 0})
        week[{"blocked": "blocked", "removed": "removed", "live": "restored"}[a.status]] += 1

    return {
        "period": {"from": start.isoformat(), "to": end.isoformat()},
        "listings": {
            "screened": len(screened),
            "blocked_before_live": sum(1 for a in takedowns if a.status == "blocked"),
            "taken_down_after": sum(1 for a in takedowns if a.status == "removed"),
            "restored": sum(1 for a in actions if a.status == "live"),
        },
        "by_source": by_source,
        "by_signal": dict(by_signal.most_common()),
        "by_brand": dict(by_brand.most_common()),
        "by_category": dict(by_category.most_common()),
        "notices": {"received": len(notices_received), "cases_opened": len(cases_opened)},
        "time_to_action_hours": {
            "cases": len(hours),
            "median": round(statistics.median(hours), 2) if hours else None,
            "p90": round(nearest_rank(hours, 0.9) or 0.0, 2) if hours else None,
            "histogram": histogram,
        },
        "counter_notices": counter,
        "appeals": appeals,
        "consumer_reports": {"received": count["report.received"], "actioned": count["report.actioned"],
                             "no_action": count["report.no_action"]},
        "refunds": {"claimed": count["refund.claimed"],
                    "approved": sum(1 for e in approved if str(e.subject_id) in claims),
                    "rejected": count["refund.rejected"], "sent_to_review": count["refund.queued"],
                    "without_claim": sum(1 for e in approved if str(e.subject_id) not in claims),
                    "paid": count["refund.paid"],
                    "paid_amount": {c: f"{v.normalize():f}" for c, v in sorted(paid_amounts.items())}},
        "test_buys": {"verdicts": n_verdicts, "fake": verdicts.get("fake", 0),
                      "hit_rate": _rate(verdicts.get("fake", 0), n_verdicts), "by_verdict": dict(verdicts)},
        "sellers": sellers,
        "weekly": [{"week": w, **v} for w, v in sorted(weekly.items())],
    }


def flat_rows(report: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The report as (metric, value) rows, for CSV: nested keys joined with dots."""
    rows: list[tuple[str, str]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                label = v.get("week") or v.get("bucket") if isinstance(v, Mapping) else None
                walk(f"{prefix}.{label or i}", {k: x for k, x in v.items() if k not in ("week", "bucket")}
                     if isinstance(v, Mapping) else v)
        else:
            rows.append((prefix, "" if value is None else str(value)))

    walk("", report)
    return rows


# ---- DSA Transparency Database statements of reasons --------------------------------------------------
# The rules every statement follows are the database's own (klean.domain.dsa); this part says what Klean did.

TDB_FIELDS = dsa.FIELDS
SOURCE_TYPE: Mapping[str, str] = {
    "rights_holder_notice": "SOURCE_ARTICLE_16", "trusted_lane": "SOURCE_TRUSTED_FLAGGER",
    # Klean's consumer reports lack what makes a notice an Art. 16 notice (the notifier's name and e-mail, a
    # statement of good faith): the database's "other type of notification".
    "consumer_report": "SOURCE_TYPE_OTHER_NOTIFICATION",
    "proactive_screening": "SOURCE_VOLUNTARY", "test_buy": "SOURCE_VOLUNTARY", "other": "SOURCE_VOLUNTARY",
}
SOURCE_WORDS: Mapping[str, str] = {
    "rights_holder_notice": "a notice of trademark infringement from the rights holder (DSA Art. 16), decided by a "
                            "person",
    "trusted_lane": "a notice from a trusted partner acting for the rights holder, acted on at receipt and reviewed "
                    "afterwards",
    "consumer_report": "reports from consumers through Klean's report form, decided by a person",
    "proactive_screening": "Klean's automated counterfeit screening",
    "test_buy": "a test purchase, found counterfeit and confirmed by the rights holder",
    "other": "Klean's own review",
}
ILLEGAL_SOURCES = ("rights_holder_notice", "trusted_lane", "test_buy")
# Violations that break the marketplace's terms without being counterfeits (a listing without the brand's consent).
LAWFUL_VIOLATIONS = ("unauthorised_listing",)
ILLEGAL_GROUND = "Trademark infringement: sale of counterfeit goods (EU Trade Mark Regulation 2017/1001 Art. 9; " \
                 "Korean Trademark Act Art. 108)"
REDRESS = ("Internal complaint handling (DSA Art. 20) through a Klean appeal or counter-notice; out-of-court "
           "dispute settlement (DSA Art. 21); judicial redress")


def _decided_automatically(e: Event) -> bool:
    return e.type in SCREENING_TYPES or e.actor.startswith("rule:") or e.actor in ("system", "screening")


def how_to_appeal(e: Event, *, base_url: str = "", action_id: int | None = None) -> str:
    """Where the person a decision concerns contests it, with the real ids: the enforcement action's appeal, the
    case's complaint (DSA Art. 20) and counter-notice, or the listing's page in the seller centre."""
    base = base_url.rstrip("/")
    p = e.payload or {}
    if action_id is None and isinstance(p.get("action_id"), int):
        action_id = int(p["action_id"])
    case = case_of(e)
    listing = listing_of(e)
    ways = []
    if action_id is not None:
        ways.append(f"appeal at {base}/portal/seller#action-{action_id} (or POST "
                    f"{base}/v1/enforcement/actions/{action_id}/appeal)")
    if case is not None and case.isdigit():
        ways.append(f"complain (DSA Art. 20) or send a counter-notice at {base}/portal/seller#case-{case} (or POST "
                    f"{base}/v1/cases/{case}/complaints, POST {base}/v1/cases/{case}/counter-notice)")
    if not ways and listing is not None:
        ways.append(f"see the decision and appeal it at {base}/portal/seller/listings/{listing}")
    if not ways:
        ways.append(f"appeal in the seller centre at {base}/portal/seller")
    return "How to contest this decision: " + "; ".join(ways) + "."


def _actions_by_listing(events: Iterable[Event]) -> dict[str, list[tuple[int, int]]]:
    """listing id -> (event seq, enforcement action id) of the actions taken on it, in log order."""
    out: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for e in events:
        p = e.payload or {}
        if isinstance(p.get("action_id"), int) and p.get("listing_id"):
            out[str(p["listing_id"])].append((e.seq, int(p["action_id"])))
    return out


def _action_for(e: Event, actions: Mapping[str, list[tuple[int, int]]]) -> int | None:
    """The enforcement action recorded with a listing action (in the same step, just after it), if any."""
    p = e.payload or {}
    if isinstance(p.get("action_id"), int):
        return int(p["action_id"])
    listing = listing_of(e)
    after = [a for seq, a in actions.get(listing or "", []) if seq > e.seq]
    return after[0] if after else None


def test_buy_methods(events: Iterable[Event]) -> dict[str, str]:
    """Test-buy pick id -> how the sampler chose it (risk: by the screening risk score; random: a control)."""
    out: dict[str, str] = {}
    for e in events:
        if e.type == "qa.sampled":
            for pick in (e.payload or {}).get("picks") or []:
                if isinstance(pick, Mapping) and pick.get("id") is not None:
                    out[str(pick["id"])] = str(pick.get("method") or "")
    return out


def puid(e: Event, *, instance_id: str = "", platform: str = "klean") -> str:
    """The statement's platform unique id: the database instance (new for every database, so a recreated one never
    repeats an id), the event's number, and the start of its hash (a restored backup that numbers new events again
    gives them new ids)."""
    parts = [platform, instance_id, f"e{e.seq}", e.hash[:10]]
    return re.sub(r"[^A-Za-z0-9_-]", "-", "-".join(p for p in parts if p))[:500]


def _cause(e: Event) -> str:
    p = e.payload or {}
    return str(p.get("cause_ref") or p.get("cause") or "")


def _automation(e: Event, source: str, *, account: bool, test_buys: Mapping[str, str]) -> tuple[str, str]:
    """(automated_detection, automated_decision), as they were for this decision.

    Detection: the screener flagged the listing, or the sampler chose a test buy by its risk score; a notice, a
    report or a person's own review is not automated detection, whatever screening evidence the listing carries.
    Decision: fully automated when a rule decided (the screener, an expiry, a trusted partner's notice acted on at
    receipt); partly when a person decided on the screener's hold, or confirmed an infringement whose sanction the
    written ladder then chose; otherwise a person decided."""
    cause = _cause(e)
    pick = cause.split(":", 1)[1].split(":")[0] if cause.startswith("testbuy:") else ""
    detected = source == "proactive_screening" or (source == "test_buy" and test_buys.get(pick) == "risk")
    if _decided_automatically(e) or source == "trusted_lane":
        decision = "AUTOMATED_DECISION_FULLY"
    elif account or source == "proactive_screening":
        decision = "AUTOMATED_DECISION_PARTIALLY"
    else:
        decision = "AUTOMATED_DECISION_NOT_AUTOMATED"
    return ("Yes" if detected else "No"), decision


def _end_date(p: Mapping[str, Any]) -> date | None:
    value = p.get("expires_at")
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value)).date()
    except ValueError:
        return None


def _content_date(created: Any, fallback: date) -> str:
    try:
        day = datetime.fromisoformat(str(created)).date() if created else fallback
    except ValueError:
        day = fallback
    if not dsa.EARLIEST_CONTENT_DATE <= day <= min(dsa.LATEST_DATE, fallback):
        day = fallback
    return day.isoformat()


def _scope_words(p: Mapping[str, Any]) -> str:
    scope, target = p.get("scope"), p.get("target")
    return {"brand": f"of brand {target}", "category": f"in category {target}"}.get(str(scope), "at all")


def statement_of_reasons(e: Event, *, snapshot: Mapping[str, Any] | None = None, platform: str = "klean",
                         territorial_scope: Sequence[str] = EEA, reviews: Mapping[str, str] | None = None,
                         base_url: str = "", action_id: int | None = None, instance_id: str = "",
                         pseudonym_key: bytes = b"", names: Mapping[str, str] | dsa.Redactor | None = None,
                         test_buys: Mapping[str, str] | None = None) -> dict[str, Any] | None:
    """The DSA Transparency Database record for one action event (listing or account), or None if not an action.

    Its facts end with how to contest the decision, with the real links (`base_url`: where people reach Klean;
    `action_id`: the enforcement action recorded with a listing action, when the caller knows it). People appear
    only as pseudonymous handles keyed with `pseudonym_key` (without one, not at all); `names` maps further account
    names to what replaces them in free text. The record keeps one field the API does not take, `redress`; see
    tdb_payload."""
    p = e.payload or {}
    status = new_status(e)
    if status is not None:
        status = _as_seen(status, p)
    kind = _kind_of(e)
    if status not in ("blocked", "removed") and kind not in ("seller.suspended", "seller.restricted"):
        return None
    account = status not in ("blocked", "removed")
    source = source_of(e, reviews)
    snapshot = snapshot or {}
    listing = snapshot.get("listing") or {}
    seller = str(listing.get("seller_id") or seller_of(e) or "")
    who = dsa.handle(pseudonym_key, "seller", seller) if seller and pseudonym_key else ""
    redactor = names if isinstance(names, dsa.Redactor) else dsa.Redactor(names)
    concerned = {seller: who or "the seller"} if seller else {}

    def redact(text: str) -> str:
        return redactor(text, concerned)

    applied = e.at.date()
    pointer = f"(shortened; the full reasons are in the statement sent to the seller and in Klean's event {e.seq})"
    reason = redact(e.reason or "").strip()

    record: dict[str, Any] = {}
    end = _end_date(p) if account else None
    beyond = end is not None and end > dsa.LATEST_DATE
    until = f"until {end.isoformat()}" if end else "with no end date (until lifted or an appeal succeeds)"
    if beyond:
        until += " (later than the Transparency Database records end dates: sent without one)"
    seller_words = who or "the seller"
    account_words = f"The seller account {who}" if who else "The seller account"
    if status == "removed":
        record["decision_visibility"] = ["DECISION_VISIBILITY_CONTENT_REMOVED"]
        what = f"Listing {listing_of(e)} was taken down after it went live."
    elif status == "blocked":
        record["decision_visibility"] = ["DECISION_VISIBILITY_CONTENT_DISABLED"]
        what = f"Listing {listing_of(e)} was blocked before it went live."
    elif kind == "seller.suspended":
        record["decision_account"] = "DECISION_ACCOUNT_SUSPENDED"
        if end and not beyond:
            record["end_date_account_restriction"] = end.isoformat()
        what = f"{account_words} was suspended {until}."
    else:
        record["decision_provision"] = "DECISION_PROVISION_PARTIAL_SUSPENSION"
        if end and not beyond:
            record["end_date_service_restriction"] = end.isoformat()
        what = f"{account_words} may not create new listings {_scope_words(p)} {until}."

    evidence = [x for x in snapshot.get("evidence") or [] if isinstance(x, Mapping)]
    signals = sorted(fired_signals(evidence))
    fixed = [what, f"Source: {SOURCE_WORDS[source]}."]
    about = []
    if listing:
        title = redact(str(listing.get("title", "")))
        about.append(f"Listing {listing.get('id')} \"{title}\" at {listing.get('price', '')} "
                     f"{listing.get('currency', '')} by {seller_words}.")
    if signals:
        about.append(f"Screening signals: {', '.join(signals)}; score {snapshot.get('score')}.")
    if p.get("snapshot_sha256"):
        about.append(f"Evidence snapshot SHA-256 {p['snapshot_sha256']}; event {e.seq} hash {e.hash}.")
    redress = how_to_appeal(e, base_url=base_url, action_id=action_id)
    facts_limit = dsa.MAX_CHARS["decision_facts"]
    room = facts_limit - len(" ".join([*fixed, *about, redress])) - len(" Reasons: ")
    parts = [*fixed]
    if reason and room > 200:
        said = dsa.clip(reason, room - 1, pointer)
        parts.append("Reasons: " + said + ("" if said.endswith((".", "!", "?", ")", "。")) else "."))
    facts = " ".join([*parts, *about, redress])
    if len(facts) > facts_limit:  # a title or a ground long enough to crowd out the rest: keep how to contest
        facts = dsa.clip(" ".join([*parts, *about]), facts_limit - len(redress) - 1, pointer) + " " + redress

    violation = str(p.get("violation") or p.get("violation_kind") or "")
    illegal = (source in ILLEGAL_SOURCES or violation in ("notice_upheld", "trusted_takedown", "test_buy_fake")) \
        and not account and violation not in LAWFUL_VIOLATIONS
    detection, decision = _automation(e, source, account=account, test_buys=test_buys or {})
    record.update({
        "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT" if illegal else "DECISION_GROUND_INCOMPATIBLE_CONTENT",
        "category": "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS",
        "category_specification": ["KEYWORD_TRADEMARK_INFRINGEMENT"],
        "content_type": ["CONTENT_TYPE_PRODUCT"],
        "content_date": _content_date(listing.get("created_at"), applied),
        "application_date": applied.isoformat(),
        "territorial_scope": list(territorial_scope),
        "decision_facts": facts,
        "source_type": SOURCE_TYPE[source],
        "automated_detection": detection,
        "automated_decision": decision,
        "puid": puid(e, instance_id=instance_id, platform=platform),
    })
    limit = dsa.MAX_CHARS["illegal_content_explanation"]
    if illegal:
        record["illegal_content_legal_ground"] = ILLEGAL_GROUND
        record["illegal_content_explanation"] = dsa.clip(reason or "Counterfeit of a registered trademark.", limit,
                                                         pointer)
    else:
        version = f" {e.policy_version}" if e.policy_version else ""
        if account:
            ground = f"Marketplace policy{version}, enforcement ladder: {p.get('ground') or 'repeated infringements'}"
        elif violation in LAWFUL_VIOLATIONS:
            ground = f"Marketplace policy{version}: a protected brand is listed only with its owner's authorisation"
        else:
            ground = f"Marketplace policy{version}: counterfeit goods are prohibited"
        record["incompatible_content_ground"] = dsa.clip(redact(ground),
                                                         dsa.MAX_CHARS["incompatible_content_ground"], pointer)
        record["incompatible_content_explanation"] = dsa.clip(
            reason or "Screening found the listing likely counterfeit.", limit, pointer)
        record["incompatible_content_illegal"] = "No" if violation in LAWFUL_VIOLATIONS else "Yes"
    # Not a TDB API field (the database dropped it); kept for the person the decision concerns. See tdb_payload.
    record["redress"] = f"{REDRESS}. {redress}"
    return record


def tdb_payload(record: Mapping[str, Any]) -> dict[str, Any]:
    """Only the fields the Transparency Database API accepts, ready to POST to /api/v1/statement."""
    return {k: v for k, v in record.items() if k in TDB_FIELDS}


def seller_ids(events: Iterable[Event], snapshots: Mapping[str, Mapping[str, Any]]) -> set[str]:
    """Every seller account the log and the snapshots name (their names never reach a statement)."""
    out = {s for s in (seller_of(e) for e in events) if s}
    out |= {str((s.get("listing") or {}).get("seller_id")) for s in snapshots.values()
            if (s.get("listing") or {}).get("seller_id")}
    return out


@dataclass(frozen=True)
class Statement:
    """A statement of reasons as it will be sent (`body`: the API fields only), and why the database would refuse
    it (`problems`, empty when it would take it)."""

    event_seq: int
    body: dict[str, Any]
    problems: tuple[str, ...]
    redress: str = ""

    @property
    def puid(self) -> str:
        return str(self.body.get("puid", ""))


def statements_of_reasons(events: Iterable[Event], *, snapshots: Mapping[str, Mapping[str, Any]] | None = None,
                          start: datetime | None = None, end: datetime | None = None,
                          territorial_scope: Sequence[str] = EEA, base_url: str = "", instance_id: str = "",
                          pseudonym_key: bytes = b"", names: Mapping[str, str] | None = None,
                          after_seq: int = 0) -> list[dict[str, Any]]:
    """One statement of reasons per action event in [start, end) (and after event `after_seq`)."""
    return [{**s.body, "redress": s.redress} for s in checked_statements(
        events, snapshots=snapshots, start=start, end=end, territorial_scope=territorial_scope, base_url=base_url,
        instance_id=instance_id, pseudonym_key=pseudonym_key, names=names, after_seq=after_seq)]


def checked_statements(events: Iterable[Event], *, snapshots: Mapping[str, Mapping[str, Any]] | None = None,
                       start: datetime | None = None, end: datetime | None = None,
                       territorial_scope: Sequence[str] = EEA, base_url: str = "", instance_id: str = "",
                       pseudonym_key: bytes = b"", names: Mapping[str, str] | None = None,
                       after_seq: int = 0) -> list[Statement]:
    """One statement per action event in [start, end) after event `after_seq`, each checked against the
    Transparency Database's rules (klean.domain.dsa.problems) before anyone writes or sends it.

    Every seller account name in the log that is not an ordinary word is replaced by its handle wherever free text
    mentions it; `names` adds more (the service passes user ids)."""
    snapshots = snapshots or {}
    events = list(events)
    reviews = review_kinds(events)
    actions = _actions_by_listing(events)
    buys = test_buy_methods(events)
    redactions = {s: (dsa.handle(pseudonym_key, "seller", s) if pseudonym_key else "a seller")
                  for s in seller_ids(events, snapshots) if dsa.looks_like_handle(s)}
    redactions.update(names or {})
    redactor = dsa.Redactor(redactions)
    out = []
    for e in events:
        if e.seq <= after_seq or (start and e.at < start) or (end and e.at >= end):
            continue
        sor = statement_of_reasons(e, snapshot=snapshots.get(str((e.payload or {}).get("snapshot_id"))),
                                   territorial_scope=territorial_scope, reviews=reviews, base_url=base_url,
                                   action_id=_action_for(e, actions), instance_id=instance_id,
                                   pseudonym_key=pseudonym_key, names=redactor, test_buys=buys)
        if sor is not None:
            body = tdb_payload(sor)
            out.append(Statement(event_seq=e.seq, body=body, problems=tuple(dsa.problems(body)),
                                 redress=str(sor.get("redress", ""))))
    return out


def day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """[first 00:00 UTC, the day after last 00:00 UTC): a report --from/--to pair covers both whole days."""
    return (datetime(first.year, first.month, first.day, tzinfo=UTC),
            datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1))

"""Statements of reasons the EU DSA Transparency Database takes: one test per way issue 27 found them refused or
wrong, on hand-made events, and Klean's own check of the database's rules against the tests' (tests/dsa_tdb.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

import dsa_tdb
from klean.domain import dsa
from klean.domain.events import Event
from klean.domain.transparency import (
    checked_statements,
    compute_report,
    day_bounds,
    statement_of_reasons,
    tdb_payload,
)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
KEY = b"k" * 32
_seq = iter(range(1, 10_000))


def ev(type: str, subject_type: str, subject_id: str, *, actor: str = "rev-kim", reason: str | None = None,
       at: datetime = T0, **payload: Any) -> Event:
    seq = next(_seq)
    return Event(seq=seq, type=type, actor=actor, subject_type=subject_type, subject_id=subject_id, at=at,
                 payload=payload, reason=reason, policy_version="2026.11-1", hash=f"{seq:04x}" + "ab" * 30)


def snapshot(listing_id: str, seller: str = "user-0002", *, evidence: list[dict[str, Any]] | None = None,
             title: str = "Nike Dunk Low Panda") -> dict[str, Any]:
    return {"listing": {"id": listing_id, "title": title, "price": 39000, "currency": "KRW", "seller_id": seller,
                        "created_at": "2026-10-30T10:00:00+00:00"},
            "score": 0.4, "evidence": evidence or []}


def body(e: Event, snap: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    sor = statement_of_reasons(e, snapshot=snap, pseudonym_key=KEY, **{"instance_id": "0a1b2c3d4e5f", **kw})
    assert sor is not None
    out = tdb_payload(sor)
    assert dsa.problems(out) == [] and dsa_tdb.errors(out) == {}, (dsa.problems(out), dsa_tdb.errors(out))
    return out


def test_a_reason_over_2000_characters_is_shortened_with_a_pointer_to_the_full_reasons() -> None:
    reason = "The IMEI label and the box's seal do not match Samsung's records. " * 60  # 4,000 characters
    removed = ev("listing.removed", "listing", "gx-1", cause="case:3", reason=reason, snapshot_id=1,
                 snapshot_sha256="cd" * 32, **{"from": "live"})
    s = body(removed, snapshot("gx-1"))
    explanation = s["illegal_content_explanation"]
    assert len(explanation) <= 2000 and explanation.startswith("The IMEI label")
    assert explanation.endswith(f"(shortened; the full reasons are in the statement sent to the seller and in "
                                f"Klean's event {removed.seq})")
    assert len(s["decision_facts"]) <= 5000 and s["decision_facts"].endswith("counter-notice).")
    screened = ev("listing.removed", "listing", "gx-2", cause="review:1", reason=reason, snapshot_id=2)
    assert len(body(screened, snapshot("gx-2"))["incompatible_content_explanation"]) <= 2000


def test_only_the_30_eu_eea_countries_are_a_territorial_scope() -> None:
    for bad in (["KR", "GB"], ["XX"], ["DE", "EL"], ["Germany"]):
        with pytest.raises(ValueError, match="not an EU/EEA country code"):
            dsa.territorial_scope(bad)
    with pytest.raises(ValueError, match="Greece is GR"):
        dsa.territorial_scope(["EL"])
    assert dsa.territorial_scope([" de", "fr", "DE"]) == ["DE", "FR"]
    assert len(dsa.territorial_scope(["EEA"])) == 30 and len(dsa.territorial_scope(["eu"])) == 27
    assert dsa.problems({**_valid(), "territorial_scope": ["KR"]}) == ["territorial_scope: the selected "
                                                                       "territorial scope is invalid"]


def test_no_seller_account_name_or_contact_reaches_a_statement() -> None:
    reason = ("Seller user-0002 (Park Seo-yeon, seoyeon.park@gmail.example, 010-2345-6789) sold these; "
              "see also kicks_4_less")
    blocked = ev("listing.removed", "listing", "dunk-1", cause="review:9", reason=reason, snapshot_id=1)
    snap = snapshot("dunk-1", title="나이키 덩크 로우 문의 010-9876-5432",
                    evidence=[{"signal": "seller", "weight": 0.1, "reason": "Seller user-0002 is not authorised"}])
    names = {"Park Seo-yeon": "seller-x", "kicks_4_less": "a seller"}
    s = body(blocked, snap, names=names)
    text = " ".join(str(v) for v in s.values())
    for personal in ("user-0002", "Park Seo-yeon", "seoyeon.park", "010-2345-6789", "010-9876-5432", "kicks_4_less"):
        assert personal not in text, personal
    handle = dsa.handle(KEY, "seller", "user-0002")
    assert f"by {handle}." in s["decision_facts"] and handle != dsa.handle(b"other key" * 4, "seller", "user-0002")
    assert dsa_tdb.errors(s, people=["user-0002", "Park Seo-yeon", "kicks_4_less"]) == {}
    suspended = ev("enforcement.suspended", "seller", "user-0002", reason="Seller user-0002 suspended",
                   violation="counterfeit_confirmed", cause_ref="review:9")
    assert "user-0002" not in str(body(suspended))
    without_key = statement_of_reasons(blocked, snapshot=snap)
    assert without_key is not None and "user-0002" not in without_key["decision_facts"]
    assert "by the seller." in without_key["decision_facts"]



def test_a_handle_never_reads_as_a_telephone_number() -> None:
    """Ten hex digits that happen to be decimal (about one account in a thousand) read as a Korean number
    (seller-0212345678); such a handle gets a letter, and every other handle stays what it was."""
    import hashlib
    import hmac
    numeric = next(v for v in (f"user-{i}" for i in range(100_000))
                   if hmac.new(KEY, f"seller\x00{v}".encode(), hashlib.sha256).hexdigest()[:10].isdigit())
    handle = dsa.handle(KEY, "seller", numeric)
    assert handle.startswith("seller-g") and not handle[len("seller-"):].isdigit() and len(handle) == 17
    removed = ev("listing.removed", "listing", "dunk-7", cause="review:9", reason="Counterfeit", snapshot_id=1)
    s = body(removed, snapshot("dunk-7", seller=numeric))  # the database's rules and the tests' phone pattern
    assert f"by {handle}." in s["decision_facts"]
    other = dsa.handle(KEY, "seller", "user-0002")
    assert other == "seller-" + hmac.new(KEY, b"seller\x00user-0002", hashlib.sha256).hexdigest()[:10]


def test_a_removal_after_consumer_reports_is_another_notification_not_own_initiative() -> None:
    removed = ev("listing.removed", "listing", "aj1", cause="reports:aj1", reports=["R-20261102-ABCDEF"],
                 snapshot_id=1, reason="Replica wording", **{"from": "live"})
    restricted = ev("enforcement.restricted", "seller", "user-0002", violation="counterfeit_confirmed",
                    cause_ref="reports:aj1:1", scope="brand", target="nike",
                    expires_at=(T0 + timedelta(days=90)).isoformat(), ground="3 or more active strike points")
    s = body(removed, snapshot("aj1"))
    assert s["source_type"] == "SOURCE_TYPE_OTHER_NOTIFICATION" and "source_identity" not in s
    assert (s["automated_detection"], s["automated_decision"]) == ("No", "AUTOMATED_DECISION_NOT_AUTOMATED")
    assert body(restricted)["source_type"] == "SOURCE_TYPE_OTHER_NOTIFICATION"
    start, end = day_bounds(T0.date(), T0.date())
    report = compute_report([removed, restricted], start=start, end=end)
    assert report["by_source"]["consumer_report"] == {"blocked_before_live": 0, "taken_down_after": 1}
    assert report["by_source"]["other"] == {"blocked_before_live": 0, "taken_down_after": 0}


def test_time_limited_restrictions_say_when_they_end_and_indefinite_ones_do_not() -> None:
    until = T0 + timedelta(days=180)
    restricted = ev("enforcement.restricted", "seller", "luxe", violation="test_buy_fake", cause_ref="testbuy:7",
                    scope="brand", target="chanel", expires_at=until.isoformat(), ground="test buy fake",
                    reason="What: You may not create new listings (brand chanel) until 2027-05-01.")
    s = body(restricted)
    assert s["decision_provision"] == "DECISION_PROVISION_PARTIAL_SUSPENSION"
    assert s["end_date_service_restriction"] == until.date().isoformat()
    assert f"until {until.date().isoformat()}" in s["decision_facts"]
    suspended_for = ev("enforcement.suspended", "seller", "luxe", violation="counterfeit_confirmed",
                       cause_ref="review:1", expires_at=(T0 + timedelta(days=60)).isoformat())
    assert body(suspended_for)["end_date_account_restriction"] == (T0 + timedelta(days=60)).date().isoformat()
    indefinite = body(ev("enforcement.suspended", "seller", "luxe", violation="counterfeit_confirmed",
                         cause_ref="review:1", expires_at=None))
    assert not any(k.startswith("end_date") for k in indefinite) and "no end date" in indefinite["decision_facts"]
    beyond = body(ev("enforcement.restricted", "seller", "luxe", violation="counterfeit_confirmed",
                     cause_ref="review:1", scope="all", expires_at="2040-01-01T00:00:00+00:00"))
    assert "end_date_service_restriction" not in beyond and "2040-01-01" in beyond["decision_facts"]


def test_automated_detection_and_decision_are_true_only_when_they_were() -> None:
    evidence = [{"signal": "brand_mention", "weight": 0.4}, {"signal": "price", "weight": 0.3}]
    cases = [  # (event, evidence, detection, decision)
        (ev("listing.removed", "listing", "a", cause="case:3", snapshot_id=1, **{"from": "live"}), evidence,
         "No", "AUTOMATED_DECISION_NOT_AUTOMATED"),  # a notice decided by a person: screening evidence or not
        (ev("listing.removed", "listing", "b", cause="case:4", trusted=True, actor="brandshield", snapshot_id=2),
         evidence, "No", "AUTOMATED_DECISION_FULLY"),  # a trusted partner's notice, acted on at receipt
        (ev("listing.submitted", "listing", "c", actor="dream-shop", snapshot_id=3, to="blocked"), evidence,
         "Yes", "AUTOMATED_DECISION_FULLY"),  # the screener blocked it
        (ev("listing.removed", "listing", "d", cause="review:41", snapshot_id=4, **{"from": "held"}), evidence,
         "Yes", "AUTOMATED_DECISION_PARTIALLY"),  # a reviewer decided on the screener's hold
        (ev("enforcement.restricted", "seller", "s", actor="rev-kim", violation="notice_upheld",
            cause_ref="case:3", scope="all"), None, "No", "AUTOMATED_DECISION_PARTIALLY"),  # the ladder chose it
    ]
    events = [ev("review.decided", "review_item", "41", kind="screening", decision="remove"), *(c[0] for c in cases)]
    snaps = {str(i): snapshot(x, evidence=evidence) for i, x in enumerate("abcd", start=1)}
    built = {s.event_seq: s for s in checked_statements(events, snapshots=snaps, pseudonym_key=KEY)}
    for e, _, detection, decision in cases:
        s = built[e.seq].body
        assert (s["automated_detection"], s["automated_decision"]) == (detection, decision), e.type
    buys = [ev("qa.sampled", "qa_period", "2026-11",
               picks=[{"id": 7, "method": "risk"}, {"id": 8, "method": "random"}])]
    for pick in (7, 8):
        buys.append(ev("enforcement.listing_removed", "seller", "luxe", actor="chanel-legal", listing_id=f"l{pick}",
                       violation="test_buy_fake", cause_ref=f"testbuy:{pick}", snapshot_id=9, kind="remove_listing"))
    found = [s.body["automated_detection"] for s in checked_statements(buys, pseudonym_key=KEY)]
    assert found == ["Yes", "No"]


def test_puids_differ_between_databases_and_between_events_that_share_a_number() -> None:
    e = ev("listing.blocked", "listing", "x", actor="rule:screening")
    a = body(e, instance_id="aaaaaaaaaaaa")["puid"]
    b = body(e, instance_id="bbbbbbbbbbbb")["puid"]
    assert a != b and a.startswith("klean-aaaaaaaaaaaa-e") and e.hash[:10] in a
    again = Event(**{**e.__dict__, "hash": "ff" * 32})  # the same number in a restored backup: another event
    assert body(again, instance_id="aaaaaaaaaaaa")["puid"] != a
    assert "klean-event-" not in a


def test_statements_in_bulk_are_1_to_100() -> None:
    assert [len(b) for b in dsa.batches(list(range(250)))] == [100, 100, 50]
    assert [len(b) for b in dsa.batches(list(range(7)), size=500)] == [7]


def _valid() -> dict[str, Any]:
    return {"decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"], "decision_ground":
            "DECISION_GROUND_ILLEGAL_CONTENT", "illegal_content_legal_ground": "Trademark Act",
            "illegal_content_explanation": "Counterfeit", "category": "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_"
            "INFRINGEMENTS", "category_specification": ["KEYWORD_TRADEMARK_INFRINGEMENT"],
            "content_type": ["CONTENT_TYPE_PRODUCT"], "content_date": "2026-10-30", "application_date": "2026-11-02",
            "territorial_scope": ["DE", "FR"], "decision_facts": "Listing taken down.",
            "source_type": "SOURCE_ARTICLE_16", "automated_detection": "No",
            "automated_decision": "AUTOMATED_DECISION_NOT_AUTOMATED", "puid": "klean-0a1b2c-e12-ab12"}


@pytest.mark.parametrize("change", [
    {"decision_visibility": None},  # no restriction at all
    {"decision_ground": "ILLEGAL"},
    {"illegal_content_explanation": None},
    {"illegal_content_explanation": "x" * 2001},
    {"incompatible_content_ground": "terms"},  # not with an illegal-content ground
    {"decision_facts": "x" * 5001},
    {"territorial_scope": ["KR", "GB"]},
    {"territorial_scope": []},
    {"content_type": ["CONTENT_TYPE_OTHER"]},  # needs content_type_other
    {"decision_visibility": ["DECISION_VISIBILITY_OTHER"]},  # needs decision_visibility_other
    {"category_specification": ["KEYWORD_COUNTERFEIT"]},
    {"content_date": "1999-12-31"},
    {"application_date": "2026-11-31"},
    {"application_date": "2019-12-31"},
    {"decision_account": "DECISION_ACCOUNT_SUSPENDED", "end_date_account_restriction": "2026-11-01"},
    {"end_date_visibility_restriction": "2038-01-02"},
    {"source_type": "SOURCE_VOLUNTARY", "source_identity": "Chanel"},
    {"automated_detection": "yes"},
    {"puid": "klean event 12"},
    {"puid": "x" * 501},
    {"redress": "appeal at /portal"},  # not an API field
    {"decision_facts": "Sold by kim.minji@naver.com"},
    {"decision_facts": "Call 010-1234-5678"},
])
def test_klean_and_the_tests_read_the_database_rules_alike(change: dict[str, Any]) -> None:
    statement = {**_valid(), **change}
    statement = {k: v for k, v in statement.items() if v is not None}
    assert dsa.problems(statement), change
    assert dsa_tdb.errors(statement), change
    assert dsa.problems(_valid()) == [] and dsa_tdb.errors(_valid()) == {}
    assert date.fromisoformat(_valid()["application_date"]) >= dsa.EARLIEST_APPLICATION_DATE

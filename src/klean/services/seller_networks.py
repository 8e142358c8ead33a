"""Seller networks: facts collected as they arrive, links and networks kept up to date, ban evasion held.

Facts come from what Klean already stores: a seller's INFORM-style identity (bank account, tax id, address, and
phone and e-mail when given), its listings' photos (PDQ, never the brands' official photos) and texts (SimHash),
and the documents of its proofs of authorisation. Each arrival links the seller at once (`observe_*`, called
inside the caller's unit of work); `rebuild` recomputes every fact and network in one batch.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from klean.config import get_settings
from klean.domain.auth import Principal, Role
from klean.domain.errors import NotFound
from klean.domain.listing import Listing
from klean.domain.policy_file import PolicyDocument, read_policy
from klean.domain.screening import Decision, Evidence, ScreeningResult
from klean.domain.seller_network import (
    IDENTITY_FACTS,
    NEAR_KINDS,
    PERSONAL_KINDS,
    Fact,
    Link,
    NetworkPolicy,
    Standing,
    bands,
    evasion_links,
    evasion_reason,
    hamming,
    links_from_facts,
    mask,
    networks,
    normalise,
)
from klean.services.unit_of_work import AbstractUnitOfWork

# Roles that see a network at all; of them, only these see personal facts in clear.
VIEWERS = (Role.ADMIN, Role.REVIEWER, Role.RIGHTS_HOLDER, Role.TRUSTED_PARTNER)
SEE_PERSONAL = (Role.ADMIN, Role.REVIEWER)
# The distance at which a listing photo counts as a brand's official one (the image signals' own threshold):
# wider than the link distance, so an edited copy of an official photo does not tie resellers together either.
OFFICIAL_MAX_DISTANCE = 31


@lru_cache(maxsize=4)
def _policy_doc(path: str | None) -> PolicyDocument:
    from pathlib import Path

    return read_policy(Path(path) if path else None)


def policy_of(doc: PolicyDocument) -> NetworkPolicy:
    """The [seller_network] section of a policy document."""
    return NetworkPolicy.from_section(doc.section("seller_network"))


@lru_cache(maxsize=4)
def _policy(path: str | None) -> NetworkPolicy:
    return policy_of(_policy_doc(path))


def current_policy() -> NetworkPolicy:
    """The network policy in force (KLEAN_POLICY_PATH or the bundled default)."""
    path = get_settings().policy_path
    return _policy(str(path) if path else None)


# --- facts from what Klean stores ----------------------------------------------------------------------------------


def identity_facts(identity: Mapping[str, Any], policy: NetworkPolicy) -> list[tuple[str, str]]:
    """(kind, key) of an identity's fields, each {value, verified} or a plain string."""
    out = []
    for kind in IDENTITY_FACTS:
        entry = identity.get(kind)
        value = entry.get("value") if isinstance(entry, Mapping) else entry
        if isinstance(value, str) and value.strip():
            key = normalise(kind, value, policy)
            if key:
                out.append((kind, key))
    return out


def listing_facts(listing: Listing, policy: NetworkPolicy, official: Sequence[str] = ()) -> list[tuple[str, str]]:
    """(kind, key) of a listing's own photos and its text. A photo near a brand's official one is no fact."""
    out: list[tuple[str, str]] = []
    for image in listing.images:
        key = normalise("image", image.pdq, policy) if image.pdq else None
        if key and not any(hamming(key, o) <= OFFICIAL_MAX_DISTANCE for o in official):
            out.append(("image", key))
    text = normalise("text", listing.text, policy)
    if text:
        out.append(("text", text))
    return out


def _rows(facts: Iterable[tuple[str, str]], source: str) -> list[tuple[str, str, str, str]]:
    rows = []
    for kind, key in facts:
        if kind in NEAR_KINDS:
            rows += [(kind, key, f"{kind}:{band}", source) for band in bands(kind, key)]
        else:
            rows.append((kind, key, key, source))
    return rows


def record_facts(*, uow: AbstractUnitOfWork, seller_id: str, facts: Sequence[tuple[str, str]], source: str,
                 policy: NetworkPolicy | None = None, replace: bool = True) -> list[Link]:
    """Store a source's facts (replacing what it said before), link the seller and merge its networks.

    Runs inside the caller's unit of work (never commits); returns the seller's links after the change.
    """
    pol = policy or current_policy()
    if replace:
        uow.seller_networks.remove_facts(seller_id, source=source, keep=facts)
    uow.seller_networks.add_facts(seller_id, _rows(facts, source))
    # Links through this source's facts: the others were merged when their own facts arrived. A pair that reaches
    # the threshold only by combining kinds from different sources is not merged here (with the bundled strengths
    # every kind but text reaches it alone); `klean networks rebuild` finds it.
    found = links_for(uow=uow, seller_id=seller_id, policy=pol, sources=[source])
    for link in found:
        if link.strength >= pol.network_threshold:
            uow.seller_networks.merge(link.a, link.b)
    return found


def links_for(*, uow: AbstractUnitOfWork, seller_id: str, policy: NetworkPolicy | None = None,
              sources: Sequence[str] | None = None) -> list[Link]:
    """The seller's links now, computed by the same function as the batch job over its facts and their sharers.

    sources: only through the facts from these ("identity", "listing:L1", "proof:*"), so that a submission reads
    what it changed and the seller's identity, not every fact of a seller with ten thousand listings.
    """
    pol = policy or current_policy()
    mine = uow.seller_networks.facts(seller_id, sources=sources)
    if not mine:
        return []
    limits = {k: v.max_sellers for k, v in pol.kinds.items()}
    others = uow.seller_networks.shared_with(seller_id, limits=limits, sources=sources)
    # Whether a photo or text is a stock one depends on every seller's facts, not only these: asked of the store.
    common = uow.seller_networks.crowded({(f.kind, f.key) for f in [*mine, *others] if f.kind in NEAR_KINDS},
                                         limits=limits)
    return [lk for lk in links_from_facts([*mine, *others], pol, common=common) if seller_id in (lk.a, lk.b)]


def observe_identity(*, uow: AbstractUnitOfWork, seller_id: str, policy: NetworkPolicy | None = None) -> list[Link]:
    """The seller's identity changed: its identity facts are replaced and its links recomputed."""
    pol = policy or current_policy()
    facts = identity_facts(uow.seller_networks.identity(seller_id), pol)
    return record_facts(uow=uow, seller_id=seller_id, facts=facts, source="identity", policy=pol)


def observe_listing(*, uow: AbstractUnitOfWork, listing: Listing, policy: NetworkPolicy | None = None) -> list[Link]:
    """A listing was submitted or edited: its photos and text become the seller's facts."""
    pol = policy or current_policy()
    official = uow.seller_networks.official_hashes() if any(i.pdq for i in listing.images) else []
    return record_facts(uow=uow, seller_id=listing.seller_id, facts=listing_facts(listing, pol, official),
                        source=f"listing:{listing.id}", policy=pol)


def observe_proof(*, uow: AbstractUnitOfWork, seller_id: str, proof_id: int, document_sha256: str,
                  policy: NetworkPolicy | None = None) -> list[Link]:
    """A proof of authorisation was uploaded: the same document under two accounts links them."""
    pol = policy or current_policy()
    key = normalise("document", document_sha256, pol)
    return record_facts(uow=uow, seller_id=seller_id, facts=[("document", key)] if key else [],
                        source=f"proof:{proof_id}", policy=pol)


# --- ban evasion ---------------------------------------------------------------------------------------------------


# What ban evasion is judged on: who the seller is (identity, proofs), and the listing at hand.
EVASION_SOURCES = ("identity", "proof:*")


def evasion(*, uow: AbstractUnitOfWork, seller_id: str, sources: Sequence[str] = EVASION_SOURCES,
            policy: NetworkPolicy | None = None) -> list[tuple[Link, Standing]]:
    """Links strong enough to hold this seller: to a seller suspended or restricted now."""
    pol = policy or current_policy()
    found = links_for(uow=uow, seller_id=seller_id, policy=pol, sources=sources)
    if not found:
        return []
    standings = uow.seller_networks.standings([lk.other(seller_id) for lk in found])
    return evasion_links(seller_id, found, standings, pol)


def evasion_evidence(pairs: Sequence[tuple[Link, Standing]]) -> list[Evidence]:
    """Evidence naming each link, weighted by the link's strength so that the seller and the reviewer are told it
    (the hold is the gate's: the score stays the screener's)."""
    return [Evidence(signal="seller_network", weight=lk.strength, brand_id=None, span=None,
                     reason=evasion_reason(lk, st),
                     code="linked_to_suspended") for lk, st in pairs]


def gate_listing(*, uow: AbstractUnitOfWork, listing: Listing, result: ScreeningResult,
                 policy: NetworkPolicy | None = None) -> ScreeningResult:
    """Record a submitted listing's facts and hold it when its seller is linked to a suspended or restricted one.

    A listing that would go live is held for review instead, with each link as evidence; a blocked one stays
    blocked (with the links added to its reasons).
    """
    pol = policy or current_policy()
    observe_listing(uow=uow, listing=listing, policy=pol)
    pairs = evasion(uow=uow, seller_id=listing.seller_id, policy=pol,
                    sources=(*EVASION_SOURCES, f"listing:{listing.id}"))
    if not pairs:
        return result
    decision = Decision.REVIEW if result.decision is Decision.ALLOW else result.decision
    # The links come first: the reviewer queue shows a listing's first reasons.
    return dataclasses.replace(result, decision=decision, evidence=(*evasion_evidence(pairs), *result.evidence))


def hold_live_listings(*, uow: AbstractUnitOfWork, seller_id: str, actor: str,
                       policy: NetworkPolicy | None = None) -> list[str]:
    """A changed account now linked to a suspended seller: its live listings wait for review; return their ids."""
    pairs = evasion(uow=uow, seller_id=seller_id, policy=policy)
    if not pairs:
        return []
    reasons = [evasion_reason(lk, st).render_en() for lk, st in pairs]
    held = []
    for listing_id in uow.listings.ids(status="live", seller_id=seller_id):
        snap = uow.listings.set_status(listing_id, "held", cause="seller_network")
        uow.queue.enqueue(kind="screening", subject_type="listing", subject_id=listing_id, priority=0.9,
                          payload={"score": None, "decision": "review", "reasons": reasons[:5]})
        uow.events.append(type="listing.held", actor=actor, subject_type="listing", subject_id=listing_id,
                          payload={"cause": "seller_network", "links": [lk.other(seller_id) for lk, _ in pairs],
                                   "snapshot_id": snap.id, "snapshot_sha256": snap.sha256},
                          reason="; ".join(reasons[:3]))
        held.append(listing_id)
    return held


# --- what investigators see ----------------------------------------------------------------------------------------


def _check_viewer(uow: AbstractUnitOfWork, principal: Principal, seller_id: str) -> None:
    """Staff see any seller's network; a rights holder or trusted partner only that of a seller that listed one of
    the brands of its organisation (others answer 404, as if the seller did not exist)."""
    principal.require(*VIEWERS)
    if not uow.enforcement.seller_exists(seller_id):
        raise NotFound(f"no seller {seller_id}", field="seller_id")
    if principal.role in SEE_PERSONAL:
        return
    brands = {b for stored in uow.listings.list(seller_id=seller_id, limit=100_000) for b in stored.brand_ids}
    owners = set(uow.evidence.brand_owners(sorted(brands)).values()) if brands else set()
    if principal.org is None or principal.org not in owners:
        raise NotFound(f"no seller {seller_id}", field="seller_id")


def network_record(*, uow: AbstractUnitOfWork, seller_id: str, reveal: bool, policy: NetworkPolicy | None = None,
                   max_members: int = 200) -> dict[str, Any]:
    """A seller's network inside an open unit of work: the accounts, the facts that link them, their standing and
    strike points; personal facts masked unless `reveal`."""
    pol = policy or current_policy()
    nid = uow.seller_networks.network_of(seller_id)
    members = uow.seller_networks.members(nid)[:max_members] if nid else [seller_id]
    links: dict[tuple[str, str], Link] = {}
    for m in members:
        for lk in links_for(uow=uow, seller_id=m, policy=pol):
            links[(lk.a, lk.b)] = lk
    standings = uow.seller_networks.standings(sorted({*members, *(x for ab in links for x in ab)}))
    strikes = {s: sum(a.weight for a in uow.enforcement.for_seller(s, states=["active"]) if a.kind == "strike")
               for s in standings}

    def fact(kind: str, key: str) -> dict[str, str]:
        shown = key if reveal or kind not in PERSONAL_KINDS else mask(kind, key)
        return {"kind": kind, "value": shown}

    return {
        "seller_id": seller_id, "network_id": nid, "threshold": pol.network_threshold,
        "members": [{"seller_id": s, "status": standings[s].status, "since": standings[s].since,
                     "strike_points": strikes.get(s, 0), "in_network": s in members}
                    for s in sorted(standings)],
        "links": [{"a": lk.a, "b": lk.b, "strength": lk.strength, "kinds": list(lk.kinds),
                   "in_network": lk.strength >= pol.network_threshold,
                   "facts": [fact(k, key) for k, key in lk.facts]}
                  for lk in sorted(links.values(), key=lambda x: (-x.strength, x.a, x.b))],
        "personal_data": "shown" if reveal else "masked",
    }


def network_view(*, uow: AbstractUnitOfWork, principal: Principal, seller_id: str,
                 policy: NetworkPolicy | None = None) -> dict[str, Any]:
    """Show a seller's network: the accounts, the facts that link them, their standing and strikes.

    Reviewers and admins see every fact; rights holders and trusted partners (for sellers of their brands) see
    personal facts masked (the kind and a masked form, enough to tell two facts apart) and photo, text and
    document hashes.
    """
    with uow:
        _check_viewer(uow, principal, seller_id)
        return network_record(uow=uow, seller_id=seller_id, reveal=principal.role in SEE_PERSONAL, policy=policy)


# --- the batch job -------------------------------------------------------------------------------------------------


def collect_facts(*, uow: AbstractUnitOfWork, policy: NetworkPolicy | None = None) -> int:
    """Read every fact from what is stored (identities, listings, proofs) into the fact table; return rows added."""
    pol = policy or current_policy()
    official = uow.seller_networks.official_hashes()
    added = 0
    for seller_id in uow.seller_networks.seller_ids():
        added += uow.seller_networks.add_facts(
            seller_id, _rows(identity_facts(uow.seller_networks.identity(seller_id), pol), "identity"))
        for stored in uow.listings.list(seller_id=seller_id, limit=100_000):
            added += uow.seller_networks.add_facts(
                seller_id, _rows(listing_facts(stored.listing, pol, official), f"listing:{stored.listing.id}"))
        for proof in uow.proofs.list(seller_id=seller_id, limit=100_000):
            key = normalise("document", proof.document_sha256, pol)
            if key:
                added += uow.seller_networks.add_facts(seller_id, _rows([("document", key)], f"proof:{proof.id}"))
    return added


# An engine: every fact -> (how many links, the networks). The default is the domain's reference; the command line
# passes the columnar one (klean.adapters.scan.networks), which gives the same networks far faster.
Engine = Callable[[list[Fact], NetworkPolicy], tuple[int, list[list[str]]]]


def reference_engine(facts: list[Fact], policy: NetworkPolicy) -> tuple[int, list[list[str]]]:
    links = links_from_facts(facts, policy)
    return len(links), networks(links, policy)


def rebuild(*, uow: AbstractUnitOfWork, policy: NetworkPolicy | None = None,
            engine: Engine = reference_engine) -> dict[str, Any]:
    """Collect every fact and recompute every network from scratch (facts removed since split networks apart)."""
    pol = policy or current_policy()
    started = datetime.now(UTC)
    with uow:
        added = collect_facts(uow=uow, policy=pol)
        facts: list[Fact] = list(uow.seller_networks.all_facts())
        n_links, comps = engine(facts, pol)
        in_networks = uow.seller_networks.replace_networks(comps)
        uow.events.append(type="seller_networks.rebuilt", actor="rule:seller_networks", subject_type="system",
                          subject_id="seller_networks",
                          payload={"facts": len(facts), "links": n_links, "networks": len(comps),
                                   "sellers_in_networks": in_networks, "facts_added": added},
                          reason="seller networks recomputed from every stored fact")
        uow.commit()
    return {"facts": len(facts), "facts_added": added, "links": n_links, "networks": len(comps),
            "sellers_in_networks": in_networks, "seconds": (datetime.now(UTC) - started).total_seconds()}

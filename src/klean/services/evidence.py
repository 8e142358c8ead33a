"""Evidence exports: gather, from the event log outward, everything about a case, a listing or a seller.

The event log is the index: an export starts at its subject, takes every event that refers to it (as
subject, payload id or cause reference), follows the references those events carry (listings, test buys,
appeals, ...; sellers only when the seller is the subject), and repeats until nothing new turns up. Snapshots
are the ones captured when each action was taken. Other features' repositories are read only when present.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from klean.domain.auth import Principal, Role
from klean.domain.errors import DomainError, Forbidden, NotFound, ValidationError
from klean.domain.events import Event
from klean.domain.evidence import FOLLOW, EvidenceBundle, record_group, references, sha256_hex
from klean.domain.transparency import statement_of_reasons
from klean.services.unit_of_work import AbstractUnitOfWork

SUBJECTS = ("case", "listing", "seller")
MAX_ROUNDS = 5
# Events that are about the people using Klean, never about the goods: an export does not carry them in full.
_PRIVATE_TYPES = ("user.", "api_key.", "notifier.")
# Buyers' orders and refund claims, and consumers' reports (their ids are the events' actors): only in packages
# an admin or the operator exports. In a rights holder's package they remain in the chain as links.
_CONSUMER_TYPES = ("order.", "refund.", "report.")


def _plain(value: Any) -> Any:
    """A JSON-ready copy of a domain object from another feature's repository."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(dataclasses.asdict(value))
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _gather(uow: AbstractUnitOfWork, subject_type: str, subject_id: str, *, with_consumers: bool = True
            ) -> dict[int, Event]:
    """The events about the subject, following references to a fixpoint.

    A case package holds its own case only: other notices on the same listing (another rights holder's,
    perhaps) are left out of it, though a listing or seller package holds them all.
    """
    follow = FOLLOW[subject_type]
    excluded = _PRIVATE_TYPES if with_consumers else _PRIVATE_TYPES + _CONSUMER_TYPES
    targets: set[tuple[str, str]] = {(subject_type, subject_id)}
    if subject_type == "seller":
        targets |= {("listing", lid) for lid in uow.listings.ids(seller_id=subject_id)}
    seen: dict[int, Event] = {}
    queried: set[str] = set()
    relevant: dict[int, Event] = {}
    for _ in range(MAX_ROUNDS):
        ids = {i for _, i in targets} - queried
        if not ids:
            break
        queried |= ids
        for e in uow.evidence.events_mentioning(ids):
            seen.setdefault(e.seq, e)
        changed = True
        while changed:  # a reference found late can make an event seen earlier relevant
            changed = False
            for seq, e in seen.items():
                if seq in relevant or e.type.startswith(excluded):
                    continue
                refs = references(e)
                if subject_type == "case" and any(k == "case" and i != subject_id for k, i in refs) \
                        and ("case", subject_id) not in refs:
                    continue
                if refs & targets:
                    relevant[seq] = e
                    new = {r for r in refs if r[0] in follow} - targets
                    if new:
                        targets |= new
                        changed = True
    return relevant


def _case_brands(uow: AbstractUnitOfWork, case_id: str, events: Iterable[Event]) -> tuple[set[str], str | None]:
    """The brands a case is about and who filed it, from its events (and the cases repository when present)."""
    brands: set[str] = set()
    filer: str | None = None
    for e in events:
        p = e.payload or {}
        if p.get("brand_id"):
            brands.add(str(p["brand_id"]))
        if (e.subject_type, str(e.subject_id)) == ("case", case_id) and filer is None:
            filer = e.actor
    try:
        case = uow.cases.get(int(case_id)) if case_id.isdigit() else None
    except (AttributeError, TypeError, ValueError, DomainError):
        case = None
    if case is not None:
        if getattr(case, "brand_id", None):
            brands.add(str(case.brand_id))
        filer = getattr(case, "notifier_id", None) or filer
    return brands, filer


def _authorise(uow: AbstractUnitOfWork, principal: Principal | None, subject_type: str, subject_id: str,
               events: Iterable[Event]) -> None:
    if principal is None or principal.role is Role.ADMIN:
        return  # the operator at the command line, or an admin
    if principal.role is Role.AGENCY:  # its own notices' cases, and its live-mandate members' cases
        if subject_type != "case":
            raise Forbidden("agencies export packages for their members' cases only", field="subject")
        from klean.services import agencies

        brands, filer = _case_brands(uow, subject_id, events)
        mandated = agencies.mandated_brands(uow=uow, principal=principal, today=datetime.now(UTC).date())
        if filer == principal.user_id or brands & set(mandated):
            return
        raise Forbidden(f"case {subject_id} is not about a brand {principal.org} holds a live mandate for",
                        field="case_id")
    if principal.role not in (Role.RIGHTS_HOLDER, Role.TRUSTED_PARTNER):
        raise Forbidden(f"role {principal.role.value} may not export evidence")
    if subject_type != "case":
        raise Forbidden("rights holders export packages for their own cases only", field="subject")
    brands, filer = _case_brands(uow, subject_id, events)
    owners = set(uow.evidence.brand_owners(brands).values())
    if filer == principal.user_id or (principal.org is not None and principal.org in owners):
        return
    raise Forbidden(f"case {subject_id} is not about a brand of {principal.org or principal.user_id}",
                    field="case_id")


def _repository_records(uow: AbstractUnitOfWork, relevant: Iterable[Event], *, privileged: bool
                        ) -> dict[str, list[dict[str, Any]]]:
    """Records other features keep about what the events mention, read only through repositories that exist."""
    out: dict[str, list[dict[str, Any]]] = {}
    wanted: dict[str, set[str]] = {}
    for e in relevant:
        for kind, ident in references(e):
            wanted.setdefault(kind, set()).add(ident)
    # (kind, repository, method): each call guarded, ids given as ints where the owner keys by int.
    lookups = [("case", "cases", "get"), ("notice", "cases", "notice"), ("testbuy", "qa", "get"),
               ("appeal", "appeals", "get"), ("action", "enforcement", "get")]
    if privileged:
        lookups += [("refund_claim", "refunds", "get"), ("report", "reports", "by_number")]
    for kind, repo_name, method in lookups:
        for ident in sorted(wanted.get(kind, ())):
            try:
                fetch: Callable[[Any], Any] = getattr(getattr(uow, repo_name), method)
                found = fetch(int(ident) if ident.isdigit() else ident)
            except (AttributeError, TypeError, ValueError, LookupError, DomainError):
                continue
            if isinstance(found, tuple):  # reports.by_number: (report, follow-token hash); the hash stays home
                found = found[0]
            if found is not None:
                out.setdefault(kind, []).append(_plain(found))
    return out


def collect_evidence(
    *,
    uow: AbstractUnitOfWork,
    principal: Principal | None,
    subject_type: str,
    subject_id: str,
    policy_version: str | None = None,
    read_blob: Callable[[str], bytes | None] | None = None,
    seal: Callable[[EvidenceBundle], str] | None = None,
) -> EvidenceBundle:
    """Gather the evidence about a case, a listing or a seller, and record that it was exported.

    principal None is the operator at the command line; admins export anything; rights holders and trusted
    partners only cases about their own brands (or that they filed). `seal` turns the bundle into the signed
    package and returns its manifest's SHA-256, recorded in the export event (nothing is recorded if it fails).
    """
    if subject_type not in SUBJECTS:
        raise ValidationError(f"subject must be one of {', '.join(SUBJECTS)}", field="subject")
    subject_id = str(subject_id).strip()
    if not subject_id or len(subject_id) > 200 or not subject_id.isprintable():
        raise ValidationError("subject id: 1-200 printable characters", field="subject_id")
    with uow:
        privileged = principal is None or principal.role is Role.ADMIN
        relevant = _gather(uow, subject_type, subject_id, with_consumers=privileged)
        exists = bool(relevant) or (subject_type == "listing" and uow.listings.exists(subject_id))
        if not exists:
            raise NotFound(f"no {subject_type} {subject_id} in the event log", field=f"{subject_type}_id")
        _authorise(uow, principal, subject_type, subject_id, relevant.values())

        chain: list[Event] = uow.events.range(min(relevant), max(relevant)) if relevant else []

        listing_ids = {i for e in relevant.values() for k, i in references(e) if k == "listing"}
        if subject_type == "listing":
            listing_ids.add(subject_id)
        snaps: dict[int, Any] = {}
        for lid in sorted(listing_ids):
            for s in uow.listings.snapshots(lid):
                snaps[s.id] = s
        referenced = {(e.payload or {}).get("snapshot_id") for e in relevant.values()} - {None}
        for s in uow.evidence.snapshots_by_id(str(r) for r in referenced):
            snaps.setdefault(s.id, s)
        snapshots = tuple({"id": s.id, "listing_id": s.listing_id, "taken_at": s.taken_at.isoformat(),
                           "cause": s.cause, "sha256": s.sha256, "content": s.content}
                          for s in sorted(snaps.values(), key=lambda s: s.id))
        by_snapshot = {str(s["id"]): s["content"] for s in snapshots}

        images: dict[str, bytes] = {}
        notes: list[str] = []
        for s in snapshots:
            for img in (s["content"].get("listing") or {}).get("images") or []:
                sha = img.get("sha256") if isinstance(img, Mapping) else None
                if not sha or sha in images:
                    continue
                data = read_blob(sha) if read_blob else None
                if data is not None and sha256_hex(data) == sha:
                    images[sha] = data
                else:
                    notes.append(f"image {sha} of listing {s['listing_id']} is not in the blob store; its "
                                 f"SHA-256 as captured is in the snapshot")

        decisions = []
        records: dict[str, list[dict[str, Any]]] = {}
        # The statements carry the puids and seller handles the Transparency Database got (none before the first
        # statement was made: then no handle at all).
        instance, key = uow.dsa.meta("instance_id") or "", uow.dsa.meta("pseudonym_key")
        for e in sorted(relevant.values(), key=lambda e: e.seq):
            sor = statement_of_reasons(e, snapshot=by_snapshot.get(str((e.payload or {}).get("snapshot_id"))),
                                       instance_id=instance, pseudonym_key=bytes.fromhex(key) if key else b"")
            record = {"seq": e.seq, "type": e.type, "at": e.at.isoformat(), "actor": e.actor,
                      "subject_type": e.subject_type, "subject_id": e.subject_id, "payload": dict(e.payload),
                      "reason": e.reason, "policy_version": e.policy_version, "hash": e.hash}
            if sor is not None or any(w in e.type for w in ("decided", "upheld", "rejected", "granted", "denied",
                                                             "actioned", "restored", "verdict", "confirmed",
                                                             "approved", "blocked", "removed", "suspended",
                                                             "restricted", "warned")):
                decisions.append({"event": record, "statement_of_reasons": sor})
            records.setdefault(record_group(e), []).append(record)
        for kind, found in _repository_records(uow, relevant.values(), privileged=privileged).items():
            records[f"{kind}_records"] = found
        if subject_type == "seller":
            # The accounts tied to this seller and the facts tying them, as an investigator sees them.
            from klean.services import seller_networks

            records["seller_network"] = [seller_networks.network_record(uow=uow, seller_id=subject_id,
                                                                        reveal=privileged)]

        now = datetime.now(UTC)
        actor = principal.user_id if principal else "operator"
        bundle = EvidenceBundle(
            subject_type=subject_type, subject_id=subject_id, exported_by=actor, exported_at=now,
            policy_version=policy_version, chain=tuple(chain), relevant_seqs=frozenset(relevant),
            snapshots=snapshots, decisions=tuple(decisions), records=records, images=images, notes=tuple(notes),
        )
        # The log records which package was issued: its manifest's SHA-256, so a later package of the same
        # subject carries, hash-chained, every earlier issue of it.
        manifest_sha256 = seal(bundle) if seal is not None else None
        uow.events.append(type="evidence.exported", actor=actor, subject_type=subject_type, subject_id=subject_id,
                          payload={"first_seq": chain[0].seq if chain else None,
                                   "last_seq": chain[-1].seq if chain else None, "events": len(relevant),
                                   "snapshots": len(snapshots), "manifest_sha256": manifest_sha256},
                          policy_version=policy_version)
        uow.commit()
    return bundle

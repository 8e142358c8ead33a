"""Klean-to-Klean exchange, first part (issue 23): an agency's Klean sends its member brands' registry entries to
a marketplace's Klean in Ed25519-signed envelopes; the receiver checks the signature against the peer's registered
key, refuses replays (payload id seen, or a sequence not after the last accepted), attributes every item to its
peer (the brand's owner is `peer:<name>`) and lets the sender revoke what it sent.

Keys are held by the adapter (a PEM file in the Klean's home); this service signs and verifies with what it is
given."""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from klean.domain.auth import Principal, Role
from klean.domain.errors import Conflict, Forbidden, NotFound, ValidationError
from klean.domain.exchange import (
    FORMAT,
    KINDS,
    check_envelope,
    check_peer_name,
    check_public_key,
    exported_brand,
    signed_bytes,
)
from klean.services import agencies, registry
from klean.services.unit_of_work import AbstractUnitOfWork

POLICY_VERSION = "exchange-1"


def owner_tag(peer: str) -> str:
    """The owner an imported brand carries: its attribution to the peer that sent it."""
    return f"peer:{peer}"


def public_key_hex(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def _sign(key: Ed25519PrivateKey, envelope: dict[str, Any]) -> dict[str, Any]:
    return {"payload": envelope, "signature": base64.b64encode(key.sign(signed_bytes(envelope))).decode()}


# --- sending ---------------------------------------------------------------------------------------------

def _sendable(uow: AbstractUnitOfWork, principal: Principal, brand_ids: list[str], *, revoking: bool) -> list[str]:
    if principal.role is Role.ADMIN:
        return brand_ids
    if principal.role is not Role.AGENCY:
        raise Forbidden("only an agency (for its members' brands) or an admin sends registry entries")
    today = datetime.now(UTC).date()
    if revoking:  # what it sent under a mandate since ended it must still be able to take back
        held = {m.brand_id for m in uow.mandates.list(agency=principal.org)}
    else:
        held = set(agencies.mandated_brands(uow=uow, principal=principal, today=today))
    refused = [b for b in brand_ids if b not in held]
    if refused:
        raise Forbidden(f"no live mandate for {', '.join(refused)}: an agency sends only its members' brands",
                        field="brand_ids")
    return brand_ids


def export_brands(*, uow: AbstractUnitOfWork, principal: Principal, sender: str, key: Ed25519PrivateKey,
                  brand_ids: list[str] | None = None, now: datetime | None = None) -> dict[str, Any]:
    """Sign an envelope with the registry entries of the given brands (an agency: its live-mandate brands)."""
    check_peer_name(sender)
    now = now or datetime.now(UTC)
    with uow:
        if brand_ids is None:
            if principal.role is not Role.AGENCY:
                raise ValidationError("brand_ids: which brands to send", field="brand_ids")
            brand_ids = agencies.mandated_brands(uow=uow, principal=principal, today=now.date())
        ids = _sendable(uow, principal, list(dict.fromkeys(brand_ids)), revoking=False)
        items = []
        for bid in ids:
            brand = uow.brands.get(bid)
            if brand is None:
                raise NotFound(f"no brand {bid}", field="brand_ids")
            items.append({"kind": "brand", "id": bid, "op": "upsert", "data": exported_brand(brand)})
            for fake in uow.image_banks.entries(bank="known_fake", brand_id=bid):  # confirmed fakes' photos
                items.append({"kind": "known_fake", "id": fake.pdq, "op": "upsert", "data": {"brand_id": bid}})
        return _send(uow, principal, sender, key, items, op="upsert", now=now)


def revoke_brands(*, uow: AbstractUnitOfWork, principal: Principal, sender: str, key: Ed25519PrivateKey,
                  brand_ids: list[str], now: datetime | None = None) -> dict[str, Any]:
    """Sign an envelope revoking brands sent before: the receiver removes what it holds from this sender."""
    check_peer_name(sender)
    if not brand_ids:
        raise ValidationError("brand_ids: which brands to revoke", field="brand_ids")
    now = now or datetime.now(UTC)
    with uow:
        ids = _sendable(uow, principal, list(dict.fromkeys(brand_ids)), revoking=True)
        items = [{"kind": "brand", "id": bid, "op": "revoke"} for bid in ids]
        items += [{"kind": "known_fake", "id": fake.pdq, "op": "revoke"}
                  for bid in ids for fake in uow.image_banks.entries(bank="known_fake", brand_id=bid)]
        return _send(uow, principal, sender, key, items, op="revoke", now=now)


def _send(uow: AbstractUnitOfWork, principal: Principal, sender: str, key: Ed25519PrivateKey,
          items: list[dict[str, Any]], *, op: str, now: datetime) -> dict[str, Any]:
    payload_id = uuid.uuid4().hex
    sequence = uow.exchange.next_sent(payload_id=payload_id, op=op, item_ids=[i["id"] for i in items],
                                      sent_by=principal.user_id, now=now)
    envelope = {"format": FORMAT, "payload_id": payload_id, "sender": sender, "sequence": sequence,
                "created_at": now.isoformat(), "items": items}
    uow.events.append(type="exchange.sent", actor=principal.user_id, subject_type="exchange", subject_id=payload_id,
                      payload={"sequence": sequence, "op": op, "items": [i["id"] for i in items],
                               "sha256": hashlib.sha256(signed_bytes(envelope)).hexdigest()},
                      policy_version=POLICY_VERSION)
    uow.commit()
    return _sign(key, envelope)


# --- receiving -------------------------------------------------------------------------------------------

TRUST = ("review", "live")


def register_peer(*, uow: AbstractUnitOfWork, principal: Principal, name: str, public_key: str,
                  accept: list[str] | None = None, trust: str = "review", note: str | None = None) -> dict[str, Any]:
    """Register another Klean by name and Ed25519 public key, with the kinds taken from it and at what trust
    (`review`: each item waits for a reviewer; `live`: applied on receipt)."""
    principal.require(Role.ADMIN)
    check_peer_name(name)
    check_public_key(public_key)
    if trust not in TRUST:
        raise ValidationError(f"trust: one of {', '.join(TRUST)}", field="trust")
    accept = list(accept) if accept is not None else list(KINDS)
    unknown = [k for k in accept if k not in KINDS]
    if unknown:
        raise ValidationError(f"accept: kinds among {', '.join(KINDS)} (not {', '.join(unknown)})", field="accept")
    with uow:
        peer = uow.exchange.add_peer(name=name, public_key=public_key, accept=accept, trust=trust, note=note,
                                     created_by=principal.user_id)
        uow.events.append(type="exchange.peer_registered", actor=principal.user_id, subject_type="exchange_peer",
                          subject_id=name, payload={"public_key": public_key, "accept": accept, "trust": trust},
                          policy_version=POLICY_VERSION)
        uow.commit()
        return peer  # type: ignore[no-any-return]


def list_peers(*, uow: AbstractUnitOfWork, principal: Principal) -> list[dict[str, Any]]:
    principal.require(Role.ADMIN, Role.REVIEWER)
    with uow:
        return uow.exchange.peers()  # type: ignore[no-any-return]


def list_items(*, uow: AbstractUnitOfWork, principal: Principal, peer: str | None = None,
               state: str | None = None) -> list[dict[str, Any]]:
    """Items received, each with its peer and state (for review)."""
    principal.require(Role.ADMIN, Role.REVIEWER)
    with uow:
        return uow.exchange.items(peer=peer, state=state)  # type: ignore[no-any-return]


def _refuse(uow: AbstractUnitOfWork, actor: str, envelope: dict[str, Any], why: str) -> None:
    uow.events.append(type="exchange.refused", actor=actor, subject_type="exchange_peer",
                      subject_id=str(envelope.get("sender"))[:100],
                      payload={"payload_id": envelope.get("payload_id"), "sequence": envelope.get("sequence")},
                      policy_version=POLICY_VERSION, reason=why)
    uow.commit()


def receive(*, uow: AbstractUnitOfWork, principal: Principal, message: Any) -> dict[str, Any]:
    """Take a signed envelope from a registered peer: verify, refuse replays, apply its items attributed to it."""
    principal.require(Role.ADMIN)
    if not isinstance(message, dict) or not isinstance(message.get("signature"), str):
        raise ValidationError("a signed message: {payload, signature}", field="signature")
    envelope = check_envelope(message.get("payload"))
    try:
        signature = base64.b64decode(message["signature"], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationError("signature: base64", field="signature") from exc
    sender, payload_id, sequence = envelope["sender"], envelope["payload_id"], envelope["sequence"]
    with uow:
        peer = uow.exchange.peer(sender, lock=True)
        if peer is None:
            raise Forbidden(f"{sender} is not a registered peer", field="payload.sender")
        try:
            Ed25519PublicKey.from_public_bytes(bytes.fromhex(peer["public_key"])).verify(
                signature, signed_bytes(envelope))
        except InvalidSignature:
            _refuse(uow, principal.user_id, envelope, "bad signature")
            raise Forbidden(f"the signature does not verify with {sender}'s registered key: nothing applied",
                            field="signature") from None
        if uow.exchange.received(payload_id):
            _refuse(uow, principal.user_id, envelope, "replayed payload id")
            raise Conflict(f"payload {payload_id} was received already: nothing applied", field="payload.payload_id")
        if sequence <= peer["last_sequence"]:
            _refuse(uow, principal.user_id, envelope, "sequence not after the last accepted")
            raise Conflict(f"sequence {sequence} is not after {peer['last_sequence']}, the last accepted from "
                           f"{sender}: nothing applied", field="payload.sequence")
        applied, pending, skipped, revoked = [], [], [], []
        for item in envelope["items"]:
            outcome, note = _apply(uow, peer, envelope, item)
            {"applied": applied, "pending": pending, "skipped": skipped, "revoked": revoked}[outcome].append(
                {"kind": item["kind"], "id": item["id"], **({"note": note} if note else {})})
        uow.exchange.record_received(payload_id=payload_id, peer=sender, sequence=sequence,
                                     sha256=hashlib.sha256(signed_bytes(envelope)).hexdigest(),
                                     items=len(envelope["items"]))
        uow.exchange.set_last_sequence(sender, sequence)
        uow.events.append(type="exchange.received", actor=principal.user_id, subject_type="exchange_peer",
                          subject_id=sender, payload={"payload_id": payload_id, "sequence": sequence,
                                                      "applied": [a["id"] for a in applied],
                                                      "pending": [p["id"] for p in pending],
                                                      "skipped": skipped, "revoked": [r["id"] for r in revoked]},
                          policy_version=POLICY_VERSION)
        uow.commit()
    changed = sorted({i["id"] for i in applied + revoked if i["kind"] == "brand"})  # the registry entries to rescan
    return {"peer": sender, "payload_id": payload_id, "sequence": sequence, "applied": applied, "pending": pending,
            "skipped": skipped, "revoked": revoked, "brand_ids": changed}


def _apply(uow: AbstractUnitOfWork, peer: dict[str, Any], envelope: dict[str, Any],
           item: dict[str, Any]) -> tuple[str, str | None]:
    name, tag, bid = peer["name"], owner_tag(peer["name"]), item["id"]
    where = {"peer": name, "kind": item["kind"], "item_id": bid, "payload_id": envelope["payload_id"],
             "sequence": envelope["sequence"]}
    if item["kind"] not in peer["accept"]:
        return "skipped", f"{item['kind']} is not accepted from {name}"
    if item["kind"] == "known_fake":
        return _apply_fake(uow, peer, envelope, item, where)
    existing = uow.brands.get(bid, lock=True)
    if item["op"] == "revoke":
        held = uow.exchange.item(name, "brand", bid)
        if held is None or held["state"] not in ("active", "pending"):
            return "skipped", f"no active brand {bid} from {name} to revoke"
        if held["state"] == "active" and existing is not None and existing.owner == tag:
            uow.brands.delete(bid)
        uow.exchange.put_item(**where, state="revoked", data={})
        uow.events.append(type="exchange.item_revoked", actor=f"peer:{name}", subject_type="brand", subject_id=bid,
                          payload={"payload_id": envelope["payload_id"]}, policy_version=POLICY_VERSION)
        return "revoked", None
    brand, note = _brand_from(uow, name, existing, item["data"])
    if brand is None:
        uow.exchange.put_item(**where, state="skipped", data=item["data"], note=note)
        return "skipped", note
    if peer["trust"] != "live":  # a reviewer accepts it first (decide_item); the registry is unchanged till then
        uow.exchange.put_item(**where, state="pending", data=item["data"])
        uow.events.append(type="exchange.item_pending", actor=f"peer:{name}", subject_type="brand", subject_id=bid,
                          payload={"payload_id": envelope["payload_id"], "sequence": envelope["sequence"]},
                          policy_version=POLICY_VERSION)
        return "pending", None
    _store(uow, brand, existing)
    uow.exchange.put_item(**where, state="active", data=item["data"])
    uow.events.append(type="exchange.item_received", actor=f"peer:{name}", subject_type="brand", subject_id=bid,
                      payload={"payload_id": envelope["payload_id"], "sequence": envelope["sequence"],
                               "marks": list(brand.marks), "products": len(brand.products)},
                      policy_version=POLICY_VERSION)
    return "applied", None


def _apply_fake(uow: AbstractUnitOfWork, peer: dict[str, Any], envelope: dict[str, Any], item: dict[str, Any],
                where: dict[str, Any]) -> tuple[str, str | None]:
    """A known fake's PDQ hash into the known-fake bank, attributed to the peer (source `peer:<name>`)."""
    name, pdq = peer["name"], item["id"]
    held = uow.exchange.item(name, "known_fake", pdq)
    if item["op"] == "revoke":
        if held is None or held["state"] not in ("active", "pending"):
            return "skipped", f"no known fake {pdq[:16]}... from {name} to revoke"
        if held["state"] == "active":
            _remove_fake(uow, name, pdq)
        uow.exchange.put_item(**where, state="revoked", data={})
        return "revoked", None
    brand_id = item["data"].get("brand_id")
    state = "active" if peer["trust"] == "live" else "pending"
    if state == "active":
        _add_fake(uow, name, pdq, brand_id)
    uow.exchange.put_item(**where, state=state, data={"brand_id": brand_id})
    uow.events.append(type=f"exchange.item_{'received' if state == 'active' else 'pending'}", actor=f"peer:{name}",
                      subject_type="image_bank", subject_id="known_fake",
                      payload={"pdq": pdq, "brand_id": brand_id, "payload_id": envelope["payload_id"]},
                      policy_version=POLICY_VERSION)
    return ("applied" if state == "active" else "pending"), None


def _add_fake(uow: AbstractUnitOfWork, peer: str, pdq: str, brand_id: str | None) -> None:
    uow.image_banks.add(bank="known_fake", pdq=pdq, brand_id=brand_id, source_ref=f"peer:{peer}",
                        added_by=f"peer:{peer}", note=f"received from exchange peer {peer}")


def _remove_fake(uow: AbstractUnitOfWork, peer: str, pdq: str) -> None:
    for entry in uow.image_banks.entries(bank="known_fake"):
        if entry.pdq == pdq and entry.source_ref == f"peer:{peer}":
            uow.image_banks.remove(entry.id, removed_by=f"peer:{peer}")


def _brand_from(uow: AbstractUnitOfWork, name: str, existing: Any, entry: dict[str, Any]) -> tuple[Any, str | None]:
    """The brand a received entry makes, attributed to its peer, or None and why not."""
    tag = owner_tag(name)
    bid = entry.get("id")
    if existing is not None and existing.owner != tag:
        return None, f"brand {bid} is held here by {existing.owner or 'the platform'}, not by {name}"
    data = {**entry, "owner": tag}
    for key in ("logos", "official_images"):  # hashes only cross; the entry's path names where they came from
        if isinstance(data.get(key), list):
            data[key] = [{**i, "path": f"exchange:{name}/{i.get('sha256') or i.get('pdq')}"}
                         if isinstance(i, dict) else i for i in data[key]]
    try:
        snap, _ = registry._check_file(uow, {"brands": [data]})
    except ValidationError as exc:
        return None, f"refused: {exc.message}"
    return snap.brands[0], None


def _store(uow: AbstractUnitOfWork, brand: Any, existing: Any) -> None:
    if existing is None:
        uow.brands.add(brand)
    else:
        uow.brands.save(brand)


def decide_item(*, uow: AbstractUnitOfWork, principal: Principal, item_id: int, accept: bool,
                reason: str) -> dict[str, Any]:
    """Accept (apply to the registry) or reject an item received from a peer under review trust."""
    principal.require(Role.ADMIN, Role.REVIEWER)
    reason = (reason or "").strip()
    if not 1 <= len(reason) <= 2000:
        raise ValidationError("reason: 1-2000 characters; every decision is explained", field="reason")
    with uow:
        item, data = uow.exchange.item_by_id(item_id, lock=True)
        if item["state"] != "pending":
            raise Conflict(f"exchange item {item_id} is {item['state']}, not pending", field="item_id")
        where = {k: item[k] for k in ("peer", "kind", "item_id", "payload_id", "sequence")}
        bid, changed = item["item_id"], []
        if item["kind"] == "known_fake":
            if accept:
                _add_fake(uow, item["peer"], bid, data.get("brand_id"))
            uow.exchange.put_item(**where, state="active" if accept else "rejected", data=data, note=reason)
            bid = "known_fake"
        elif accept:
            existing = uow.brands.get(bid, lock=True)
            brand, note = _brand_from(uow, item["peer"], existing, data)
            if brand is None:
                raise Conflict(f"exchange item {item_id} cannot be applied: {note}", field="item_id")
            _store(uow, brand, existing)
            uow.exchange.put_item(**where, state="active", data=data, note=reason)
            changed = [bid]
        else:
            uow.exchange.put_item(**where, state="rejected", data=data, note=reason)
        uow.events.append(type="exchange.item_accepted" if accept else "exchange.item_rejected",
                          actor=principal.user_id, subject_type="image_bank" if bid == "known_fake" else "brand",
                          subject_id=bid,
                          payload={"peer": item["peer"], "item": item_id, "payload_id": item["payload_id"]},
                          policy_version=POLICY_VERSION, reason=reason)
        uow.commit()
        decided, _ = uow.exchange.item_by_id(item_id)
    return {**decided, "brand_ids": changed}

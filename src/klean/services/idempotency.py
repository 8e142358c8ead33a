"""Run a write once per Idempotency-Key: the answer is stored in the same transaction as the work it answers."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from klean.domain.errors import Conflict, ValidationError
from klean.domain.events import canonical_json
from klean.services.unit_of_work import AbstractUnitOfWork

MAX_KEY_LENGTH = 200


def run_once(*, uow: AbstractUnitOfWork, scope: str, key: str | None, request: Any,
             work: Callable[[], dict[str, Any]]) -> tuple[dict[str, Any], bool]:
    """Do `work` and commit, or return the stored answer of an earlier request with the same key.

    Must be called inside `with uow:`. Returns (answer, replayed).
    """
    if key is None:
        answer = work()
        uow.commit()
        return answer, False
    if not key.strip() or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationError(f"Idempotency-Key: 1-{MAX_KEY_LENGTH} printable characters", field="Idempotency-Key")
    digest = hashlib.sha256(canonical_json(request)).hexdigest()

    def replay() -> tuple[dict[str, Any], bool] | None:
        prior = uow.idempotency.get(scope, key)
        if prior is None:
            return None
        prior_hash, answer = prior
        if prior_hash != digest:
            raise Conflict("this Idempotency-Key was already used with a different request",
                           field="Idempotency-Key")
        return answer, True

    earlier = replay()
    if earlier is not None:
        return earlier
    try:
        uow.idempotency.claim(scope, key, digest)
    except Conflict:
        # a concurrent request with the same key committed first: answer as it did
        uow.rollback()
        earlier = replay()
        if earlier is not None:
            return earlier
        raise
    answer = work()
    uow.idempotency.store(scope, key, answer)
    uow.commit()
    return answer, False


def _checked(key: str) -> None:
    if not key.strip() or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationError(f"Idempotency-Key: 1-{MAX_KEY_LENGTH} printable characters", field="Idempotency-Key")


class Claim:
    """A key taken inside a transaction that goes on after it (a batch): `replay` holds the stored answer when the
    key was used before; otherwise do the work, then `store` its answer, or `release` the key if the work was
    refused before writing anything."""

    def __init__(self, uow: AbstractUnitOfWork | None, scope: str, key: str | None,
                 replay: dict[str, Any] | None = None) -> None:
        self.uow, self.scope, self.key, self.replay = uow, scope, key, replay

    def store(self, answer: dict[str, Any]) -> None:
        if self.uow is not None and self.key is not None:
            self.uow.idempotency.store(self.scope, self.key, answer)

    def release(self) -> None:
        if self.uow is not None and self.key is not None:
            self.uow.idempotency.release(self.scope, self.key)


def claim_once(*, uow: AbstractUnitOfWork, scope: str, key: str | None, request: Any) -> Claim:
    """Take an Idempotency-Key without ending the caller's transaction (run_once commits; a batch cannot).

    The key is taken with an insert that skips a taken key instead of failing (a failed insert would abort the
    whole transaction on PostgreSQL); on PostgreSQL it waits for a concurrent holder to finish first. A key used
    before answers with its stored answer, or Conflict when it was used for a different request or its holder has
    not committed yet."""
    if key is None:
        return Claim(None, scope, None)
    _checked(key)
    digest = hashlib.sha256(canonical_json(request)).hexdigest()
    if not uow.idempotency.try_claim(scope, key, digest):
        prior = uow.idempotency.get(scope, key)
        if prior is None:  # the holder rolled back between our insert and this read: rare, and safe to retry
            raise Conflict("this Idempotency-Key is being used by another request; retry", field="Idempotency-Key")
        prior_hash, answer = prior
        if prior_hash != digest:
            raise Conflict("this Idempotency-Key was already used with a different request", field="Idempotency-Key")
        if not answer:  # taken earlier in this same transaction and not answered: the same key twice in one batch
            raise Conflict("this Idempotency-Key is used twice in one request", field="Idempotency-Key")
        return Claim(None, scope, key, replay=answer)
    return Claim(uow, scope, key)

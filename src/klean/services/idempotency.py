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

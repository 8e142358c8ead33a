"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from klean.adapters.api.deps import AppDep

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
def readyz(app: AppDep) -> dict[str, str]:
    with app.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return {"status": "ready"}

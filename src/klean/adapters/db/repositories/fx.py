"""Exchange rates imported into the registry (the shipped table applies while none are)."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from klean.adapters.db.models.registry import FxRateRow
from klean.domain.fx import FxRate, FxTable


class FxRateRepository:
    REPOSITORY_NAME = "fx_rates"

    def __init__(self, session: Session) -> None:
        self.session = session

    def table(self) -> FxTable | None:
        """The imported table, or None when no rates were imported."""
        rows = self.session.scalars(select(FxRateRow)).all()
        if not rows:
            return None
        rates = {r.currency: FxRate(r.currency, r.per_usd.normalize(), r.as_of) for r in rows}
        return FxTable(rates, source=rows[0].source)

    def replace(self, table: FxTable) -> None:
        """The imported table becomes exactly `table` (a rate table is replaced whole, never merged)."""
        self.session.execute(delete(FxRateRow))
        for r in table.rates.values():
            self.session.add(FxRateRow(currency=r.currency, per_usd=r.per_usd, as_of=r.as_of, source=table.source))
        self.session.flush()

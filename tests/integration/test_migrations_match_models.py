"""The migrations create exactly the schema the models describe (no table or column left out)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from klean.adapters.db.base import load_models
from klean.bootstrap import App


def test_migrated_database_matches_the_models(klean_app: App) -> None:
    with klean_app.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), load_models())
    # Index and constraint naming can differ in reflection between backends; tables and columns cannot.
    structural = [d for d in diff if isinstance(d, tuple) and d[0] in ("add_table", "remove_table", "add_column",
                                                                        "remove_column")]
    assert structural == [], structural

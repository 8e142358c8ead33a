"""Create or migrate a database with Alembic: the only way the schema changes."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def revision(engine: Engine, message: str) -> None:
    """Autogenerate a migration against a database at head (developers: scripts/new_migration.py)."""
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.revision(cfg, message=message, autogenerate=True)


def error_reason(exc: BaseException) -> str:
    """The driver's own first line (not SQLAlchemy's wrapping and background link)."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return text[0].strip() if text else type(orig).__name__


def reachability_problem(engine: Engine) -> str | None:
    """Why the database cannot be opened at all, in one line with what to do; None when it answers."""
    url = engine.url.render_as_string(hide_password=True)
    if engine.url.get_backend_name() == "sqlite":
        path = engine.url.database
        if path and path != ":memory:" and not Path(path).parent.is_dir():
            return f"the folder of the SQLite database {path} does not exist: create it or set KLEAN_DATABASE_URL"
    try:
        with engine.connect():
            pass
    except (SQLAlchemyError, OSError) as exc:
        return (f"cannot reach the database {url}: {error_reason(exc)}. Check KLEAN_DATABASE_URL and that the "
                "database server is running")
    return None


def database_problem(engine: Engine) -> str | None:
    """What keeps commands from using this database (missing, not migrated, unreachable), in one line that says
    what to run; None when it is ready. A missing SQLite file is not created by asking."""
    url = engine.url.render_as_string(hide_password=True)
    if engine.url.get_backend_name() == "sqlite":
        path = engine.url.database
        if path and path != ":memory:" and not Path(path).exists():
            return f"there is no database at {path}: run `klean init` to create it (or set KLEAN_DATABASE_URL)"
    problem = reachability_problem(engine)
    if problem is not None:
        return problem
    try:
        current = current_revision(engine)
    except (SQLAlchemyError, OSError) as exc:
        return f"cannot read the database {url}: {error_reason(exc)}"
    head = head_revision()
    if current is None:
        return f"the database {url} has no Klean tables yet: run `klean init` to create them"
    if current != head:
        return f"the database {url} is at schema revision {current}, this Klean needs {head}: run `klean init`"
    return None

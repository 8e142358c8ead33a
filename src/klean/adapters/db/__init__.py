"""SQLAlchemy 2 storage: rows, repositories, unit of work, Alembic migrations."""

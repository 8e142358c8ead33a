"""Regenerate the single initial migration from the models (pre-release only: no deployed databases).

    python scripts/regen_initial_migration.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from klean.adapters.db import migrate
from klean.adapters.db.base import make_engine

versions = migrate.MIGRATIONS / "versions"
for f in versions.glob("*.py"):
    f.unlink()
with tempfile.TemporaryDirectory() as d:
    engine = make_engine(f"sqlite:///{Path(d) / 'x.db'}")
    migrate.revision(engine, "initial schema")
    engine.dispose()
(new,) = versions.glob("*.py")
target = versions / "0001_initial.py"
text = new.read_text().replace(new.stem.split("_")[0], "0001", 2)
new.unlink()
target.write_text(text)
print(f"wrote {target}")

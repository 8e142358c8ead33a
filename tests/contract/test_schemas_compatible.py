"""The bundled JSON Schemas extend ../shared/schemas compatibly: only new optional keys, nothing changed or removed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

SHARED = Path(__file__).resolve().parents[3] / "shared" / "schemas"
BUNDLED = Path(__file__).resolve().parents[2] / "src" / "klean" / "schemas"


def _compatible(shared: Any, bundled: Any, where: str) -> list[str]:
    """Every key of the shared schema is in the bundled one with the same value (dicts compared recursively, so new
    optional properties may be added); `required` lists must be equal (no new required keys)."""
    if isinstance(shared, dict) and isinstance(bundled, dict):
        out: list[str] = []
        for key, value in shared.items():
            if key not in bundled:
                out.append(f"{where}/{key}: missing")
            elif key == "required":
                if sorted(value) != sorted(bundled[key]):
                    out.append(f"{where}/required: {bundled[key]} instead of {value}")
            else:
                out += _compatible(value, bundled[key], f"{where}/{key}")
        return out
    return [] if shared == bundled else [f"{where}: {bundled!r} instead of {shared!r}"]


@pytest.mark.parametrize("name", ["registry.schema.json", "listing.schema.json", "result.schema.json"])
def test_bundled_schema_extends_the_shared_contract_compatibly(name: str) -> None:
    if not (SHARED / name).is_file():
        pytest.skip(f"no ../shared/schemas/{name} next to this checkout")
    shared = json.loads((SHARED / name).read_text("utf-8"))
    bundled = json.loads((BUNDLED / name).read_text("utf-8"))
    assert _compatible(shared, bundled, name) == []

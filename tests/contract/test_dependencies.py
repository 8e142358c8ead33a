"""The lock files are what pyproject.toml declares, and every runtime dependency is used."""

from __future__ import annotations

import ast
import re
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s\\;]+)", re.MULTILINE)


def _pins(name: str) -> dict[str, str]:
    text = (ROOT / name).read_text("utf-8")
    pins = {canonicalize_name(n): v for n, v in PIN.findall(text)}
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text)
    for block in blocks:
        if PIN.match(block):
            assert "--hash=sha256:" in block, f"{name}: {block.splitlines()[0]} has no hash"
    return pins


def _declared(extra: str | None = None) -> list[Requirement]:
    project = PYPROJECT["project"]
    reqs = [Requirement(r) for r in project["dependencies"]]
    if extra:
        reqs += [Requirement(r) for r in project["optional-dependencies"][extra]]
    return reqs + [Requirement(r) for r in PYPROJECT["build-system"]["requires"]]


def test_each_lock_pins_every_declared_dependency_within_its_range_with_hashes() -> None:
    for lock, extra in (("requirements.txt", None), ("requirements-test.txt", "test")):
        pins = _pins(lock)
        for req in _declared(extra):
            name = canonicalize_name(req.name)
            assert name in pins, f"{lock} does not pin {req.name}: run scripts/update_locks.sh"
            assert req.specifier.contains(pins[name], prereleases=True), \
                f"{lock} pins {req.name}=={pins[name]}, outside {req.specifier}: run scripts/update_locks.sh"


def test_the_demo_and_the_tests_install_the_same_versions() -> None:
    runtime, test = _pins("requirements.txt"), _pins("requirements-test.txt")
    assert {n: v for n, v in runtime.items() if test.get(n) != v} == {}


def test_every_runtime_dependency_is_imported_by_klean() -> None:
    imported: set[str] = set()
    for path in (ROOT / "src" / "klean").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module.split(".")[0])
    dists = {canonicalize_name(d) for m in imported for d in packages_distributions().get(m, ())}
    # Installed for what they enable, not imported: uvicorn's [standard] extras and the PostgreSQL driver,
    # which SQLAlchemy loads by URL (postgresql+psycopg://), python-multipart, which FastAPI loads for forms, and
    # itsdangerous, which Starlette's SessionMiddleware signs the portal's cookie with.
    loaded_by_others = {"psycopg", "python-multipart", "itsdangerous"}
    unused = [r.name for r in _declared() if canonicalize_name(r.name) not in dists | loaded_by_others
              and r.name not in ("setuptools", "wheel")]
    assert unused == [], f"declared in pyproject.toml but imported nowhere in src/klean: {unused}"

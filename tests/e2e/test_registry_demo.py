"""`klean demo --no-serve` as a new user runs it, and the bundled demo data it loads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from klean.adapters.commands.demo import _fresh_home, demo_file
from klean.config import Settings
from klean.domain.files import listing_from_dict, registry_from_dict

ROOT = Path(__file__).resolve().parents[2]


def klean(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KLEAN_")}
    return subprocess.run([sys.executable, "-c", "from klean.adapters.cli import main; main()", *args], cwd=cwd,
                          capture_output=True, text=True, env=env, timeout=1200)


@pytest.mark.slow
def test_demo_builds_a_fresh_database_and_prints_working_keys(tmp_path: Path) -> None:
    r = klean("demo", "--no-serve", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    home = tmp_path / ".klean-demo"
    assert "22 brands" in r.stdout and "2406 listings" in r.stdout
    keys = {line.split()[0]: line.split("key ")[1] for line in r.stdout.splitlines() if " key klean_" in line}
    assert set(keys) == {"admin", "samsung", "partner", "seller", "reviewer", "inspector"}

    if "screened" in r.stdout:  # screening installed: the demo says what it caught and why
        assert "top 5 caught" in r.stdout and "counterfeits flagged" in r.stdout

    from klean.adapters.api.app import create_app
    from klean.bootstrap import bootstrap

    k = bootstrap(Settings(home=home), database_url=f"sqlite:///{home / 'klean.db'}")
    with TestClient(create_app(k)) as client:
        admin = {"Authorization": f"Bearer {keys['admin']}"}
        assert client.get("/v1/brands", headers=admin).json()["total"] == 22
        samsung = client.get("/v1/brands", headers={"Authorization": f"Bearer {keys['samsung']}"}).json()
        assert [b["id"] for b in samsung["items"]] == ["samsung"]
        assert client.get("/v1/brands", headers={"Authorization": f"Bearer {keys['seller']}"}).status_code == 403
    with k.uow_factory() as uow:
        assert len(uow.listings.ids()) == 2406
        assert uow.users.get("admin").password_hash.startswith("scrypt$")
    k.engine.dispose()


def test_demo_starts_over_but_never_wipes_a_folder_it_did_not_make(tmp_path: Path) -> None:
    precious = tmp_path / "thesis"
    precious.mkdir()
    (precious / "chapter1.md").write_text("years of work")
    r = klean("demo", "--no-serve", "--home", str(precious), cwd=tmp_path)
    assert r.returncode != 0 and "not a Klean demo folder" in r.stderr
    assert (precious / "chapter1.md").read_text() == "years of work"

    demo_home = tmp_path / "demo"
    _fresh_home(demo_home)
    (demo_home / "klean.db").write_text("yesterday's demo")
    _fresh_home(demo_home)  # a folder the demo made is wiped and made again
    assert sorted(p.name for p in demo_home.iterdir()) == [".klean-demo"]


def _scripts(text: str) -> set[str]:
    names = [unicodedata.name(c, "") for c in text if c.isalpha()]
    return {"ko" if "HANGUL" in n else "zh" if "CJK" in n else "en" for n in names}


def test_bundled_registry_has_real_brands_in_three_scripts() -> None:
    snap = registry_from_dict(json.loads(demo_file("registry.json")))
    assert len(snap.brands) >= 20
    for b in snap.brands:
        scripts = set().union(*(_scripts(m) for m in b.marks))
        assert {"en", "ko", "zh"} <= scripts, b.id
        assert b.products and all(p.reference_price.currency == "KRW" for p in b.products)
        assert b.authorisations, b.id
    assert snap.brand("samsung").marks == ("Samsung", "삼성", "三星")


def test_bundled_catalog_is_valid_large_and_mixed() -> None:
    listings = [listing_from_dict(json.loads(line)) for line in demo_file("listings.jsonl").splitlines()]
    assert len(listings) >= 2000 and len({x.id for x in listings}) == len(listings)
    rows = [r.split("\t") for r in demo_file("labels.tsv").splitlines()[1:]]
    assert [r[0] for r in rows] == [x.id for x in listings]
    kinds = Counter(r[2] for r in rows)
    for kind in ("official", "discount", "second-hand", "accessory", "word-collision", "vocabulary",
                 "disguise-homoglyph", "disguise-fullwidth", "disguise-hangul-spaced", "disguise-typo",
                 "impossible-price", "expired-authorisation"):
        assert kinds[kind] >= 10, kind
    titles = " ".join(x.title for x in listings)
    for sample in ("Applewood", "삼성동", "case for Galaxy S24 Ultra", "정품급", "高仿", "나 이 키"):
        assert sample in titles, sample


@pytest.mark.slow
def test_the_generator_reproduces_the_bundled_files(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_demo_data.py"), str(tmp_path)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    for name in ("registry.json", "listings.jsonl", "labels.tsv"):
        assert (tmp_path / name).read_text("utf-8") == demo_file(name), name

"""`klean registry import/export/snapshot` as a user runs them, in a subprocess against a fresh home."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from klean.domain.files import registry_from_dict

REGISTRY = {
    "brands": [
        {"id": "dyson", "name": "Dyson", "owner": "Dyson Ltd", "marks": ["Dyson", "다이슨", "戴森"],
         "products": [{"id": "dyson.v15", "name": "V15 Detect", "aliases": ["V15 디텍트"],
                       "reference_price": {"amount": 1190000, "currency": "KRW"}}],
         "authorized_sellers": ["dyson-official"]},
        {"id": "sulwhasoo", "name": "Sulwhasoo", "marks": ["Sulwhasoo", "설화수", "雪花秀"]},
    ],
    "sellers": [{"id": "dyson-official", "name": "다이슨 공식몰", "strikes": 0, "account_age_days": 2400}],
}


def klean(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KLEAN_HOME": str(home), "KLEAN_LOG_JSON": "false"}
    env.pop("KLEAN_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-c", "from klean.adapters.cli import main; main()", *args],
                          capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    h = tmp_path / "home"
    assert klean(h, "init").returncode == 0
    return h


def test_import_export_snapshot_round_trip(home: Path, tmp_path: Path) -> None:
    f = tmp_path / "registry.json"
    f.write_text(json.dumps(REGISTRY, ensure_ascii=False), "utf-8")
    r = klean(home, "registry", "import", str(f))
    assert r.returncode == 0, r.stderr
    assert "brands: 2 created, 0 updated, 0 unchanged; sellers: 1 created" in r.stdout
    r = klean(home, "registry", "import", str(f))
    assert "brands: 0 created, 0 updated, 2 unchanged" in r.stdout
    out = tmp_path / "export.json"
    assert klean(home, "registry", "export", "-o", str(out)).returncode == 0
    exported = json.loads(out.read_text("utf-8"))
    assert exported["brands"][0]["marks"] == ["Dyson", "다이슨", "戴森"]
    stdout_export = klean(home, "registry", "export")
    assert json.loads(stdout_export.stdout) == exported
    snap = tmp_path / "snapshot.json"
    r = klean(home, "registry", "snapshot", "-o", str(snap))
    assert r.returncode == 0 and "2 brands, 1 sellers" in r.stderr
    assert {b.id for b in registry_from_dict(json.loads(snap.read_text("utf-8"))).brands} == {"dyson", "sulwhasoo"}


def test_brand_knowledge_round_trips_through_import_and_snapshot(home: Path, tmp_path: Path) -> None:
    reg = json.loads(json.dumps(REGISTRY))
    reg["brands"][0].update(nicknames=["다이손", {"term": "戴森家", "weight": 0.5}],
                            design_cues=[{"term": "니켈 퍼플 컬러", "weight": 0.3, "with_product": True}],
                            collisions=["다이슨 구 (Dyson sphere)"], pack=False)
    f = tmp_path / "registry.json"
    f.write_text(json.dumps(reg, ensure_ascii=False), "utf-8")
    r = klean(home, "registry", "import", str(f))
    assert r.returncode == 0, r.stderr
    snap = tmp_path / "snapshot.json"
    assert klean(home, "registry", "snapshot", "-o", str(snap)).returncode == 0
    dyson = json.loads(snap.read_text("utf-8"))["brands"][0]
    assert {k: dyson[k] for k in ("nicknames", "design_cues", "collisions", "pack")} == \
        {k: reg["brands"][0][k] for k in ("nicknames", "design_cues", "collisions", "pack")}
    brand = registry_from_dict(json.loads(snap.read_text("utf-8"))).brand("dyson")
    assert brand is not None and brand.use_pack is False and len(brand.knowledge) == 4
    out = tmp_path / "export.json"
    assert klean(home, "registry", "export", "-o", str(out)).returncode == 0
    r = klean(home, "registry", "import", str(out))
    assert r.returncode == 0 and "brands: 0 created, 0 updated, 2 unchanged" in r.stdout

    reg["brands"][0]["nicknames"].append("  戴森家 ")  # the same nickname once stripped
    text = json.dumps(reg, indent=2, ensure_ascii=False)
    f.write_text(text, "utf-8")
    r = klean(home, "registry", "import", str(f))
    assert r.returncode != 0
    line = next(n for n, ln in enumerate(text.splitlines(), 1) if "  戴森家 " in ln)
    assert f"{f}: brands/0/nicknames/2: " in r.stderr and "repeats brands/0/nicknames/1" in r.stderr
    assert f"(line {line})" in r.stderr


def test_a_bad_file_names_the_record_and_field_and_imports_nothing(home: Path, tmp_path: Path) -> None:
    bad = json.loads(json.dumps(REGISTRY))
    bad["brands"][1]["marks"] = ["Sulwhasoo", ""]
    f = tmp_path / "bad.json"
    text = json.dumps(bad, indent=2, ensure_ascii=False)
    f.write_text(text, "utf-8")
    r = klean(home, "registry", "import", str(f))
    assert r.returncode != 0
    bad_line = next(n for n, line in enumerate(text.splitlines(), 1) if line.strip() == '""')
    assert f"{f}: brands/1/marks/1: " in r.stderr and f"(line {bad_line})" in r.stderr
    assert "nothing was imported" in r.stderr
    assert json.loads(klean(home, "registry", "export").stdout) == {"brands": []}

    f.write_text('{"brands": [\n  {"id": "dyson",\n   "name": "Dyson" "marks": []}\n]}', "utf-8")
    r = klean(home, "registry", "import", str(f))
    assert r.returncode != 0 and f"{f}: line 3: not JSON" in r.stderr


def test_logo_and_official_image_files_are_validated_stored_and_hashed(home: Path, tmp_path: Path) -> None:
    import hashlib

    from PIL import Image, ImageDraw

    folder = tmp_path / "dyson-kit"
    (folder / "img").mkdir(parents=True)
    photo = Image.new("RGB", (320, 240), (240, 240, 235))
    ImageDraw.Draw(photo).rectangle((60, 40, 260, 200), fill=(120, 40, 160))
    photo.save(folder / "img" / "v15.jpg", "JPEG")
    reg = json.loads(json.dumps(REGISTRY))
    reg["brands"][0]["official_images"] = [{"path": "img/v15.jpg"}]
    f = folder / "registry.json"
    f.write_text(json.dumps(reg), "utf-8")
    r = klean(home, "registry", "import", str(f))
    assert r.returncode == 0, r.stderr
    assert "images: 1 validated and stored" in r.stdout
    exported = json.loads(klean(home, "registry", "export").stdout)
    image = exported["brands"][0]["official_images"][0]
    assert image["sha256"] == hashlib.sha256((folder / "img" / "v15.jpg").read_bytes()).hexdigest()
    assert len(image["pdq"]) == 64
    assert (home / "blobs" / image["sha256"][:2] / image["sha256"][2:4] / image["sha256"]).is_file()

    for bad_path, problem in [("../../etc/passwd", "inside the registry file's folder"), ("img/missing.png", "no file"),
                              ("registry.json", "not an image")]:
        reg["brands"][0]["official_images"] = [{"path": bad_path}]
        f.write_text(json.dumps(reg), "utf-8")
        r = klean(home, "registry", "import", str(f))
        assert r.returncode != 0 and "brands/0/official_images/0/path" in r.stderr and problem in r.stderr, r.stderr

"""`klean images ...` as an operator runs them (subprocess, fresh home), and catalog-scan image hashing."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from PIL import Image

from klean.adapters.imaging import ImageHashingScreener, image_features
from klean.domain.images import BankEntry, ImageBanks
from klean.domain.listing import ImageRef, Listing, Money
from klean.domain.screening import ScreeningPolicy
from klean.signals.examples import example_registry
from klean.signals.images import INDEX_KEY, build_image_index
from klean.signals.logo_examples import synthetic_photo
from klean.signals.screener import Screener

H1 = "c3" * 32
H2 = "5a" * 32


def klean(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KLEAN_HOME": str(home), "KLEAN_LOG_JSON": "false"}
    env.pop("KLEAN_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-c", "from klean.adapters.cli import main; main()", *args],
                          capture_output=True, text=True, env=env, timeout=120)


def _jpeg(seed: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(synthetic_photo(seed)).save(buf, "JPEG", quality=88)
    return buf.getvalue()


def test_import_export_hash_and_counts(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert klean(home, "init").returncode == 0
    bank = tmp_path / "kipo-fakes.txt"
    bank.write_text(f"# shared by KIPO\n{H1},90,,kipo:2026-0042\n{H2}\n", "utf-8")
    imported = klean(home, "images", "import-bank", str(bank), "--bank", "known_fake")
    assert imported.returncode == 0, imported.stderr
    assert "2 hashes, 2 added" in imported.stdout
    again = klean(home, "images", "import-bank", str(bank), "--bank", "known_fake")
    assert "0 added, 2 already in the known_fake bank" in again.stdout
    out = tmp_path / "export.txt"
    exported = klean(home, "images", "export-bank", "--bank", "known_fake", "-o", str(out))
    assert exported.returncode == 0, exported.stderr
    assert [ln for ln in out.read_text().splitlines() if not ln.startswith("#")] == [
        f"{H1},90,,kipo:2026-0042", f"{H2},,,import:kipo-fakes.txt"]
    assert json.loads(klean(home, "images", "counts").stdout) == {"official": 0, "known_fake": 2, "negative": 0}

    broken = tmp_path / "broken.txt"
    broken.write_text(f"{H1}\nnot a hash\n", "utf-8")
    failed = klean(home, "images", "import-bank", str(broken), "--bank", "negative")
    assert failed.returncode == 2 and "broken.txt:2" in failed.stderr
    official = klean(home, "images", "import-bank", str(bank), "--bank", "official", "--brand", "nobody")
    assert official.returncode == 2 and "no brand nobody" in official.stderr

    photo = tmp_path / "bag.jpg"
    photo.write_bytes(_jpeg(5))
    fake = tmp_path / "bag.gif"
    fake.write_bytes(b"<html>not an image</html>")
    hashed = klean(home, "images", "hash", str(photo), str(fake))
    assert hashed.returncode == 1
    first, second = (json.loads(line) for line in hashed.stdout.splitlines())
    assert first["pdq"] == image_features(photo.read_bytes(), keypoints=False).pdq and first["width"] == 1024
    assert second["error"] == "unsupported_type" and "HTML" in second["message"]


def test_catalog_scan_hashes_images_and_reports_bad_ones_without_failing(tmp_path: Path) -> None:
    fake_photo = _jpeg(90)
    (tmp_path / "imgs").mkdir()
    (tmp_path / "imgs" / "a.jpg").write_bytes(fake_photo)
    (tmp_path / "imgs" / "b.jpg").write_bytes(fake_photo[:3000])
    screener = Screener(example_registry(), ScreeningPolicy("t", 0.5, 0.8), today=date(2026, 11, 24))
    fake = image_features(fake_photo, keypoints=False)
    screener.context.indexes[INDEX_KEY] = build_image_index(screener.snapshot, ImageBanks(entries=(
        BankEntry(id=1, bank="known_fake", pdq=fake.pdq, brand_id="chanel", source_ref="testbuy:1"),)))
    scanning = ImageHashingScreener(screener, tmp_path)
    import pickle

    scanning = pickle.loads(pickle.dumps(scanning))  # as a scan worker receives it
    listing = Listing(id="c-1", title="클래식 플랩백 미러급", price=Money.of(390_000, "KRW"), seller_id="dream_outlet",
                      images=(ImageRef(path="imgs/a.jpg"), ImageRef(path="imgs/b.jpg"),
                              ImageRef(path="http://cdn.example.com/x.jpg")))
    result = scanning.screen(listing)
    signals = [e.signal for e in result.evidence]
    assert "known_fake_image" in signals and result.decision.value == "block"
    notes = [e for e in result.evidence if e.signal == "image_intake"]
    assert [e.weight for e in notes] == [0.0, 0.0]
    assert "truncated" in notes[0].reason.render_en() and "does not fetch" in notes[1].reason.render_en()
    assert scanning.policy.review_threshold == 0.5  # the wrapped screener's screening policy shows through


def test_klean_scan_matches_catalog_images_against_the_registry_files_images(tmp_path: Path) -> None:
    from klean.signals.logo_examples import draw_logo, place_logo

    reg_dir, cat_dir = tmp_path / "registry", tmp_path / "catalog"
    (reg_dir / "img").mkdir(parents=True)
    (cat_dir / "photos").mkdir(parents=True)
    official = synthetic_photo(101)
    Image.fromarray(official).save(reg_dir / "img" / "s24.jpg", quality=92)
    Image.fromarray(draw_logo("chanel")).save(reg_dir / "img" / "cc.png")
    registry_file = reg_dir / "registry.json"
    registry_file.write_text(json.dumps({"brands": [
        {"id": "samsung", "name": "Samsung", "marks": ["Samsung", "삼성"],
         "official_images": [{"path": "img/s24.jpg"}]},
        {"id": "chanel", "name": "Chanel", "marks": ["Chanel", "샤넬"], "logos": [{"path": "img/cc.png"}]},
    ]}), "utf-8")
    Image.fromarray(official[:, ::-1]).resize((800, 600)).save(cat_dir / "photos" / "mirrored.jpg", quality=70)
    bag = place_logo(synthetic_photo(102), draw_logo("chanel"), scale=1.2, angle=15, centre=(500, 380))
    Image.fromarray(bag).save(cat_dir / "photos" / "bag.jpg", quality=85)
    (cat_dir / "photos" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 broken")
    rows = [
        {"id": "p-1", "title": "갤럭시 S24 울트라 새상품", "price": 590000, "currency": "KRW",
         "seller_id": "phone-deals", "images": [{"path": "photos/mirrored.jpg"}]},
        {"id": "p-2", "title": "quilted shoulder bag", "price": 89000, "currency": "KRW", "seller_id": "bag-factory",
         "images": [{"path": "photos/bag.jpg"}, {"path": "photos/broken.jpg"}]},
        {"id": "p-3", "title": "plain tote", "price": 15000, "currency": "KRW", "seller_id": "eco-bags"},
    ]
    catalog = cat_dir / "catalog.jsonl"
    catalog.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", "utf-8")
    out = tmp_path / "results.jsonl"
    done = klean(tmp_path / "home", "scan", str(catalog), "-o", str(out), "--registry", str(registry_file),
                 "--workers", "1", "--no-progress")
    assert done.returncode == 0, done.stderr
    results = {r["id"]: r for r in map(json.loads, out.read_text("utf-8").splitlines())}
    assert [e["signal"] for e in results["p-1"]["evidence"] if e["signal"] == "official_image_reuse"] == [
        "official_image_reuse"]
    signals_2 = [e["signal"] for e in results["p-2"]["evidence"]]
    assert "logo" in signals_2 and "image_intake" in signals_2
    assert not any(e["signal"] in ("logo", "official_image_reuse") for e in results["p-3"]["evidence"])

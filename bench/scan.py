"""Catalog-scan benchmark: synthetic multi-language catalogs, a 10,000-mark registry, four engines in one run.

    python bench/scan.py                      # 1,000,000 listings (generated once into --workdir)
    python bench/scan.py --rows 200000 --skip-spark

Prints rows/s and peak memory (RSS summed over the process tree: the scan, its pool workers, Spark's JVM
and Python workers) for the local engine on 1 and 2 processes, Spark local[2], and a naive baseline
(pandas, row-by-row `apply` of the same screener; run on a sample and extrapolated, as stated).
Each configuration runs in its own child process so that memory figures do not mix.

    python bench/scan.py --rows 200000 --only engine --sample 100000

measures the local engine's own cost per row (reading, parsing, result columns, output): the sample is
screened once beforehand, untimed, and the timed scan replays those results (1 process; seconds / rows is
the engine's overhead per row).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

REAL_BRANDS = [  # (id, Latin, Hangul, Han, products as (name, KRW))
    ("gucci", "Gucci", "구찌", "古驰", [("GG Marmont shoulder bag", 2950000), ("Ace sneakers", 980000)]),
    ("chanel", "Chanel", "샤넬", "香奈儿", [("Classic Flap bag", 14970000), ("Boy bag", 9380000)]),
    ("nike", "Nike", "나이키", "耐克", [("Air Jordan 1 Retro High", 209000), ("Air Force 1 '07", 139000)]),
    ("adidas", "adidas", "아디다스", "阿迪达斯", [("Samba OG", 139000), ("Gazelle Indoor", 139000)]),
    ("louis_vuitton", "Louis Vuitton", "루이비통", "路易威登", [("Neverfull MM", 2710000), ("Speedy 25", 2400000)]),
    ("rolex", "Rolex", "롤렉스", "劳力士", [("Submariner Date", 15510000), ("Datejust 36", 11210000)]),
    ("samsung", "Samsung", "삼성", "三星", [("Galaxy S25 Ultra", 1698400), ("Galaxy Buds3 Pro", 319000)]),
    ("apple", "Apple", "애플", "苹果", [("AirPods Pro 2", 359000), ("iPhone 16 Pro", 1550000)]),
    ("dyson", "Dyson", "다이슨", "戴森", [("Airwrap multi-styler", 749000), ("Supersonic hair dryer", 599000)]),
    ("laneige", "Laneige", "라네즈", "兰芝", [("Lip Sleeping Mask", 22000), ("Water Sleeping Mask", 34000)]),
]
SYLLABLES_LATIN = ["ka", "ve", "lo", "ra", "mi", "to", "sa", "ne", "ri", "po", "da", "lu", "zen", "mor", "tis",
                   "bel", "cor", "dra", "fen", "gal", "hel", "jor", "kel", "lan", "mar", "nor", "qui", "ros"]
SYLLABLES_HANGUL = list("카베로라미토사네리포다루젠모티벨코드라펜갈헬조켈란마노키로스")
CHARS_HAN = list("澜珀蔻琳黛奥菲莎娜薇顿铂翡瑾璨熙珂缇雅莱诺妮卡")
VOCAB = {"en": ["replica", "1:1 mirror quality", "AAA grade", "super fake", "top quality copy"],
         "ko": ["정품급", "미러급", "st급", "레플", "SA급 최상급"],
         "zh": ["高仿", "一比一", "原单", "复刻", "A货"]}
GENUINE = {"en": ["authentic, receipt included", "bought at the department store", "gently used, box and dust bag",
                  "brand new, sealed"],
           "ko": ["정품 영수증 있음", "백화점 구매 정품", "중고 상태 좋음", "새상품 미개봉"],
           "zh": ["正品 专柜购入", "全新未拆封", "二手 九成新", "附购物小票"]}
UNBRANDED = {"en": ["Handmade leather wallet", "Vintage denim jacket", "Ceramic coffee mug set", "USB-C cable 2m"],
             "ko": ["수제 가죽 지갑", "빈티지 데님 자켓", "원목 도마 세트", "무선 충전기"],
             "zh": ["手工皮革钱包", "复古牛仔夹克", "陶瓷咖啡杯", "数据线 两米"]}
DISGUISE = [lambda m: " ".join(m), lambda m: m.replace("i", "1").replace("o", "0"), lambda m: ".".join(m),
            lambda m: m.upper()]


def _word(rng: random.Random, parts: list[str], lo: int, hi: int) -> str:
    return "".join(rng.choice(parts) for _ in range(rng.randint(lo, hi)))


def make_registry(marks: int = 10_000, *, seed: int = 11) -> dict[str, Any]:
    """Ten real brands and synthetic ones (Latin, Hangul and Han marks each) up to `marks` marks."""
    rng = random.Random(seed)
    brands: list[dict[str, Any]] = []
    for bid, latin, hangul, han, products in REAL_BRANDS:
        brands.append({"id": bid, "name": latin, "marks": [latin, hangul, han],
                       "products": [{"name": n, "reference_price": {"amount": p, "currency": "KRW"}}
                                    for n, p in products],
                       "authorized_sellers": [f"{bid}_official"]})
    total, seen = sum(len(b["marks"]) for b in brands), {b["marks"][0].casefold() for b in brands}
    n = 0
    while total < marks:
        latin = _word(rng, SYLLABLES_LATIN, 3, 4).capitalize()
        if latin.casefold() in seen:
            continue
        seen.add(latin.casefold())
        n += 1
        brand_marks = [latin, _word(rng, SYLLABLES_HANGUL, 3, 4), _word(rng, CHARS_HAN, 3, 3)][: marks - total]
        brands.append({"id": f"b{n:05d}", "name": latin, "marks": brand_marks,
                       "products": [{"name": f"{latin} {rng.choice(['tote', 'sneaker', 'serum', 'watch'])}",
                                     "reference_price": {"amount": rng.randrange(50, 3000) * 1000,
                                                         "currency": "KRW"}}]})
        total += len(brand_marks)
    return {"brands": brands, "sellers": [{"id": f"{b[0]}_official", "strikes": 0, "account_age_days": 3000}
                                          for b in REAL_BRANDS]}


def _listing(rng: random.Random, i: int, brands: list[dict[str, Any]]) -> dict[str, Any]:
    lang = rng.choices(["ko", "en", "zh"], weights=[5, 3, 2])[0]
    script = {"en": 0, "ko": 1, "zh": 2}[lang]
    kind = rng.choices(["genuine", "fake", "disguised", "unbranded"], weights=[45, 20, 10, 25])[0]
    brand = brands[rng.randrange(10)] if rng.random() < 0.7 else brands[rng.randrange(len(brands))]
    product = rng.choice(brand["products"])
    ref = product["reference_price"]["amount"]
    mark = brand["marks"][min(script, len(brand["marks"]) - 1)]
    seller = f"seller{rng.randrange(200_000)}"
    if kind == "unbranded":
        title, price = rng.choice(UNBRANDED[lang]), rng.randrange(5, 200) * 1000
        desc = rng.choice(GENUINE[lang])
    elif kind == "genuine":
        title = f"{mark} {product['name']} {rng.choice(GENUINE[lang])}"
        price, desc = int(ref * rng.uniform(0.7, 1.1)), f"{rng.choice(GENUINE[lang])}. {product['name']}"
        if rng.random() < 0.05:
            seller = f"{brand['id']}_official"
    else:
        shown = rng.choice(DISGUISE)(mark) if kind == "disguised" else mark
        title = f"{shown} {product['name']} {rng.choice(VOCAB[lang])}"
        price, desc = int(ref * rng.uniform(0.05, 0.3)), f"{rng.choice(VOCAB[lang])} {rng.choice(VOCAB[lang])}"
    row: dict[str, Any] = {"id": f"L{i:09d}", "title": title, "description": desc, "price": price,
                           "currency": "KRW", "seller_id": seller,
                           "condition": rng.choice(["new", "new", "used"])}
    return row


def make_catalog(path: Path, rows: int, registry: dict[str, Any], *, seed: int = 5) -> None:
    rng = random.Random(seed)
    brands = registry["brands"]
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for i in range(1, rows + 1):
            f.write(json.dumps(_listing(rng, i, brands), ensure_ascii=False) + "\n")
    tmp.replace(path)


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat", "rb") as f:
                    ppid = int(f.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(d))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, ()))
    return out


def _sample(root: int, cpu: dict[int, float]) -> int:
    """Resident bytes of a process and all its descendants; records each one's CPU seconds in `cpu`."""
    total = 0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in _tree(root):
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            cpu[pid] = (int(fields[11]) + int(fields[12])) / tick
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
        except (OSError, IndexError, ValueError):
            continue
    return total


def _measure(cmd: list[str]) -> tuple[dict[str, Any], int, float]:
    """Run one configuration; its result, peak RSS of its process tree, and the tree's CPU seconds."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    peak = 0
    cpu: dict[int, float] = {}
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, _sample(proc.pid, cpu))
            stop.wait(0.25)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    out, _ = proc.communicate()
    stop.set()
    t.join()
    if proc.returncode != 0:
        raise SystemExit(f"{cmd} failed with {proc.returncode}")
    return json.loads(out.strip().splitlines()[-1]), peak, sum(cpu.values())


def _screener(registry_path: Path) -> Any:
    from klean.domain.files import registry_from_dict
    from klean.domain.policy_file import read_policy
    from klean.domain.screening import ScreeningPolicy
    from klean.signals.screener import Screener

    doc = read_policy()
    snapshot = registry_from_dict(json.loads(registry_path.read_text("utf-8")), version="bench")
    return Screener(snapshot, ScreeningPolicy.from_section(doc.section("screening"), doc.version))


def child(args: argparse.Namespace) -> None:
    t0 = time.monotonic()
    screener = _screener(Path(args.registry))
    built = time.monotonic() - t0
    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    if args.child == "local":
        from klean.adapters.scan.local import run_local

        t1 = time.monotonic()
        o = run_local(Path(args.catalog), out, screener, workers=args.workers, progress=False)
        result = {"rows": o.stats.rows, "seconds": time.monotonic() - t1, "flagged": o.stats.screened
                  - o.stats.decisions.get("allow", 0)}
    elif args.child == "spark":
        from klean.adapters.scan.spark import run_spark, spark_session

        t1 = time.monotonic()
        spark = spark_session("local[2]")
        spark.sparkContext.setLogLevel("ERROR")
        started = time.monotonic() - t1
        t2 = time.monotonic()
        o = run_spark(Path(args.catalog), out, screener, spark=spark)
        result = {"rows": o.stats.rows, "seconds": time.monotonic() - t2, "startup": started,
                  "flagged": o.stats.screened - o.stats.decisions.get("allow", 0)}
        spark.stop()
    elif args.child == "engine":  # the local engine's own cost: screening replayed from results computed first
        from klean.adapters.scan.local import run_local
        from klean.domain.files import listing_from_dict

        sample = out.with_name(out.name + "-sample.jsonl")
        with open(args.catalog, encoding="utf-8") as f, sample.open("w", encoding="utf-8") as g:
            g.writelines(line for _, line in zip(range(args.sample), f, strict=False))
        done: dict[str, Any] = {}
        with sample.open(encoding="utf-8") as f:
            for line in f:
                listing = listing_from_dict(json.loads(line))
                done[listing.id] = screener.screen(listing)

        class Replay:  # the same results, looked up: what is left of the scan's time is the engine's
            policy, snapshot = getattr(screener, "policy", None), getattr(screener, "snapshot", None)

            def screen(self, listing: Any) -> Any:
                return done[listing.id]

        t1 = time.monotonic()
        o = run_local(sample, out, Replay(), workers=1, progress=False)
        result = {"rows": o.stats.rows, "seconds": time.monotonic() - t1, "flagged": o.stats.screened
                  - o.stats.decisions.get("allow", 0)}
        sample.unlink()
    else:  # the naive baseline: pandas, one apply call per row, on a sample
        import pandas as pd

        from klean.adapters.results import result_record
        from klean.domain.files import listing_from_dict

        t1 = time.monotonic()
        df = pd.read_json(args.catalog, lines=True, nrows=args.sample, dtype=False)
        recs = df.apply(lambda r: result_record(screener.screen(listing_from_dict(
            {k: v for k, v in r.to_dict().items() if not (isinstance(v, float) and v != v)}))), axis=1)
        pd.DataFrame({"id": [r["id"] for r in recs], "score": [r["score"] for r in recs],
                      "decision": [r["decision"] for r in recs],
                      "evidence": [json.dumps(r["evidence"], ensure_ascii=False) for r in recs]}
                     ).to_parquet(out.with_suffix(".parquet"))
        result = {"rows": len(df), "seconds": time.monotonic() - t1,
                  "flagged": sum(r["decision"] != "allow" for r in recs)}
    result["context_build"] = built
    print(json.dumps(result))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--marks", type=int, default=10_000)
    ap.add_argument("--sample", type=int, default=20_000, help="rows the pandas baseline screens")
    ap.add_argument("--workdir", default="/tmp/klean-bench-scan")
    ap.add_argument("--skip-spark", action="store_true")
    ap.add_argument("--only", choices=["local1", "local2", "spark", "pandas", "engine"], action="append",
                    help="run only these configurations (repeatable)")
    ap.add_argument("--child", choices=["local", "spark", "pandas", "engine"], help=argparse.SUPPRESS)
    ap.add_argument("--workers", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--registry", help=argparse.SUPPRESS)
    ap.add_argument("--catalog", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args)
        return

    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    registry_path, catalog = work / f"registry-{args.marks}.json", work / f"catalog-{args.rows}.jsonl"
    if not registry_path.exists():
        registry_path.write_text(json.dumps(make_registry(args.marks), ensure_ascii=False), "utf-8")
    if not catalog.exists():
        t = time.monotonic()
        make_catalog(catalog, args.rows, json.loads(registry_path.read_text("utf-8")))
        print(f"generated {args.rows:,} listings ({catalog.stat().st_size / 1e6:,.0f} MB) in "
              f"{time.monotonic() - t:.0f} s", file=sys.stderr)
    env_python = [sys.executable, __file__, "--registry", str(registry_path), "--catalog", str(catalog)]
    runs = [("local1", "local engine, 1 process", [*env_python, "--child", "local", "--workers", "1",
                                                   "--out", str(work / "out-local1")]),
            ("local2", "local engine, 2 processes", [*env_python, "--child", "local", "--workers", "2",
                                                     "--out", str(work / "out-local2")]),
            ("spark", "Spark local[2] (mapInArrow)", [*env_python, "--child", "spark", "--out",
                                                      str(work / "out-spark")]),
            ("pandas", f"pandas row-by-row apply (sample {args.sample:,}, extrapolated)",
             [*env_python, "--child", "pandas", "--sample", str(args.sample), "--out", str(work / "out-pandas")]),
            ("engine", f"local engine alone, 1 process (screening replayed; sample {args.sample:,}, extrapolated)",
             [*env_python, "--child", "engine", "--sample", str(args.sample), "--out", str(work / "out-engine")])]
    runs = [(name, cmd) for key, name, cmd in runs
            if (key in args.only if args.only else key != "engine") and not (key == "spark" and args.skip_spark)]
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB; Python "
          f"{platform.python_version()}; {args.rows:,} listings, {args.marks:,} marks", file=sys.stderr)
    print(f"load average before: {os.getloadavg()[0]:.1f}", file=sys.stderr)
    print("| engine | rows | seconds | rows/s | time for all rows | peak RSS (process tree) | CPU s (tree) | notes |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for name, cmd in runs:
        r, peak, cpu = _measure(cmd)
        rate = r["rows"] / r["seconds"]
        notes = f"context build {r['context_build']:.1f} s; {r['flagged'] / r['rows']:.0%} flagged"
        if "startup" in r:
            notes += f"; session start {r['startup']:.1f} s (not counted)"
        print(f"| {name} | {r['rows']:,} | {r['seconds']:.1f} | {rate:,.0f} | {args.rows / rate:,.0f} s | "
              f"{peak / 2**20:,.0f} MiB | {cpu:,.0f} | {notes} |", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.1f}", file=sys.stderr)


if __name__ == "__main__":
    main()

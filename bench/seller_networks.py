"""Seller-network benchmark: link building for a whole marketplace, against the baselines, in one run.

    python bench/seller_networks.py                         # 1,000,000 sellers, 10,000,000 facts
    python bench/seller_networks.py --sellers 100000        # a tenth
    python bench/seller_networks.py --spark-facts 1000000   # also Spark local[2] on a sample of that many facts

A synthetic marketplace generated straight into columns (the generation is not timed): per seller one bank
account, tax id, phone, e-mail and address, four listing photos (PDQ) and one listing text (MinHash); 3% of sellers
are evaders in rings of 2-6 accounts, each new account reusing one fact of the ring's first (an own photo re-saved a
few bits off, a text with a word changed); 50 stock photos are posted by 200 sellers each (a few bits off), 20 brand
descriptions copied by 300 sellers each, and one payment agent's account is used by 500 sellers (all three are
common facts and link nobody).

Printed: the batch engine (klean.adapters.scan.networks) on all facts: seconds (wall and CPU), facts/s, peak RSS
and the working memory above the generated columns, links and networks found, and the share of planted ring links
found; the domain's pure-Python reference (klean.domain.seller_network.links_from_facts) on a sample, checked
identical to the engine there; the naive baseline, every pair of sellers compared fact by fact, on a sample of
sellers, extrapolated to all pairs; and, with --spark-facts, the Spark job's CPU cost per fact in local[2].
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from typing import Any

import numpy as np

from klean.adapters.scan.networks import FactColumns, build_links, network_labels
from klean.domain.policy_file import read_policy
from klean.domain.seller_network import Fact, NetworkPolicy, hamming, links_from_facts, text_similarity

POLICY = NetworkPolicy.from_section(read_policy(None).section("seller_network"))
EXACT = ("bank_account", "tax_id", "phone", "email", "address")


def rss_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_now_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def flip_bits(words: np.ndarray, bits: int, rng: np.random.Generator) -> np.ndarray:
    """Flip `bits` random bits in each row of 4 uint64 words (a photo saved again)."""
    out = words.copy()
    for _ in range(bits):
        w = rng.integers(0, 4, len(out))
        b = rng.integers(0, 64, len(out)).astype(np.uint64)
        out[np.arange(len(out)), w] ^= np.uint64(1) << b
    return out


def generate(n: int, seed: int = 7) -> tuple[FactColumns, set[tuple[int, int]]]:
    """The synthetic marketplace as columns, and the planted ring pairs (seller indexes, a < b)."""
    rng = np.random.default_rng(seed)
    sellers = [f"s{i}" for i in range(n)]
    cols = FactColumns(sellers=sellers)
    idx = np.arange(n, dtype=np.int32)
    exact = {k: rng.integers(0, 2**63, n, dtype=np.int64).astype(np.uint64) for k in EXACT}
    images = rng.integers(0, 2**63, (n * 4, 4), dtype=np.int64).astype(np.uint64) << np.uint64(1)
    images |= rng.integers(0, 2, (n * 4, 4), dtype=np.int64).astype(np.uint64)
    img_seller = np.repeat(idx, 4)
    texts = rng.integers(0, 2**32, (n, 32), dtype=np.int64).astype(np.uint32)

    # Common facts: a payment agent's account, stock photos, brand descriptions.
    agent = rng.choice(n, 500, replace=False)
    exact["bank_account"][agent] = np.uint64(123456789)
    stock = rng.integers(0, 2**63, (50, 4), dtype=np.int64).astype(np.uint64)
    for s in range(50):
        users = rng.choice(n, 200, replace=False)
        slot = users * 4 + 3
        images[slot] = flip_bits(np.repeat(stock[s:s + 1], 200, axis=0), 2, rng)
    brand_texts = rng.integers(0, 2**32, (20, 32), dtype=np.int64).astype(np.uint32)
    for d in range(20):
        users = rng.choice(n, 300, replace=False)
        copy = np.repeat(brand_texts[d:d + 1], 300, axis=0)
        copy[np.arange(300), rng.integers(0, 32, 300)] = rng.integers(0, 2**32, 300, dtype=np.int64)
        texts[users] = copy

    # Evader rings: 3% of sellers; each new account reuses one fact of the ring's first account.
    planted: set[tuple[int, int]] = set()
    order = rng.permutation(n)
    pos = 0
    ring_budget = int(n * 0.03)
    kinds = (*EXACT, "image", "text")
    while pos < ring_budget:
        size = int(rng.integers(2, 7))
        members = order[pos:pos + size]
        pos += size
        head = int(members[0])
        for k, m in enumerate(members[1:].tolist()):
            kind = kinds[(k + head) % len(kinds)]
            if kind == "image":
                images[m * 4] = flip_bits(images[head * 4:head * 4 + 1], int(rng.integers(0, 6)), rng)[0]
            elif kind == "text":
                t = texts[head].copy()
                t[int(rng.integers(0, 32))] = np.uint32(rng.integers(0, 2**32))
                texts[m] = t
            else:
                exact[kind][m] = exact[kind][head]
            planted.add((min(head, m), max(head, m)))
    cols.exact = {k: (idx.copy(), v) for k, v in exact.items()}
    cols.image = (img_seller, images)
    cols.text = (idx.copy(), texts)
    return cols, planted


def to_facts(cols: FactColumns, sample: np.ndarray) -> list[Fact]:
    """Fact objects for a sample of sellers (for the reference and the naive baseline)."""
    chosen = set(sample.tolist())
    facts: list[Fact] = []
    for kind, (s, h) in cols.exact.items():
        facts += [Fact(cols.sellers[i], kind, f"{int(v):016x}") for i, v in zip(s.tolist(), h.tolist(), strict=True)
                  if i in chosen]
    assert cols.image is not None and cols.text is not None
    s, h = cols.image
    mask = np.isin(s, sample)
    facts += [Fact(cols.sellers[i], "image", "".join(f"{int(w):016x}" for w in row))
              for i, row in zip(s[mask].tolist(), h[mask], strict=True)]
    s, t = cols.text
    mask = np.isin(s, sample)
    facts += [Fact(cols.sellers[i], "text", "".join(f"{int(w):08x}" for w in row))
              for i, row in zip(s[mask].tolist(), t[mask], strict=True)]
    return facts


def naive_pairs(facts: list[Fact]) -> tuple[int, float, int]:
    """Every pair of sellers compared fact by fact: (pairs, seconds, links found)."""
    by_seller: dict[str, list[Fact]] = {}
    for f in facts:
        by_seller.setdefault(f.seller_id, []).append(f)
    sellers = sorted(by_seller)
    t0 = time.process_time()
    pairs = found = 0
    for i, a in enumerate(sellers):
        fa = by_seller[a]
        for b in sellers[i + 1:]:
            pairs += 1
            shared = False
            for x in fa:
                for y in by_seller[b]:
                    if x.kind != y.kind:
                        continue
                    if x.kind == "image":
                        shared = hamming(x.key, y.key) <= POLICY.image_max_distance
                    elif x.kind == "text":
                        shared = text_similarity(x.key, y.key) >= POLICY.text_min_similarity
                    else:
                        shared = x.key == y.key
                    if shared:
                        break
                if shared:
                    break
            found += shared
    return pairs, time.process_time() - t0, found


def restrict(cols: FactColumns, n: int) -> FactColumns:
    """The facts of the first n sellers (whole sellers, so that their links are all there)."""
    out = FactColumns(sellers=cols.sellers[:n])
    out.exact = {k: (s[s < n], h[s < n]) for k, (s, h) in cols.exact.items()}
    for name in ("image", "text"):
        data = getattr(cols, name)
        if data is not None:
            setattr(out, name, (data[0][data[0] < n], data[1][data[0] < n]))
    return out


def _tree_cpu(root: int) -> dict[int, float]:
    """CPU seconds of a process and all its descendants, by pid (Spark's JVM and its Python workers)."""
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat", "rb") as f:
                    ppid = int(f.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(d))
    out: dict[int, float] = {}
    todo = [root]
    tick = os.sysconf("SC_CLK_TCK")
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, ()))
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            out[pid] = (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            continue
    return out


def spark_cost(cols: FactColumns, n_facts: int) -> dict[str, Any]:
    """Spark local[2] on about n_facts facts (whole sellers): wall and CPU seconds of the whole process tree, CPU
    per fact, and whether its links are the local engine's. The session start is not counted."""
    import tempfile
    import threading
    from pathlib import Path

    from klean.adapters.scan.networks_spark import collect_links, links_on_spark, write_fact_tables
    from klean.adapters.scan.spark import spark_session

    n = max(1, int(len(cols.sellers) * n_facts / cols.count))
    sub = restrict(cols, n)
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        written = write_fact_tables(sub, folder)
        session = spark_session("local[2]")
        session.conf.set("spark.sql.shuffle.partitions", "8")
        try:
            seen: dict[int, float] = {}
            stop = threading.Event()

            def sample() -> None:  # Python workers may exit before the end: keep each pid's last reading
                while not stop.wait(0.5):
                    seen.update(_tree_cpu(os.getpid()))

            start = _tree_cpu(os.getpid())
            thread = threading.Thread(target=sample, daemon=True)
            thread.start()
            w0 = time.perf_counter()
            links = collect_links(links_on_spark(session, folder, POLICY))
            wall = time.perf_counter() - w0
            stop.set()
            thread.join()
            seen.update(_tree_cpu(os.getpid()))
            cpu = sum(v - start.get(pid, 0.0) for pid, v in seen.items())
        finally:
            session.stop()
    identical = links.as_tuples(sub.sellers) == build_links(sub, POLICY).as_tuples(sub.sellers)
    return {"facts": written, "sellers": n, "seconds": wall, "cpu_seconds": cpu,
            "cpu_us_per_fact": cpu / written * 1e6, "identical": identical, "links": len(links)}


def gate_cost(n_sellers: int, submissions: int = 60) -> tuple[int, float, float]:
    """The network gate of one submission (facts stored, links looked up, evasion judged) on a fresh SQLite
    database holding n_sellers' facts; (fact rows, p50 ms, p99 ms), the commit not counted."""
    import random
    import statistics
    import tempfile
    from decimal import Decimal
    from pathlib import Path

    from klean.adapters.db import migrate
    from klean.adapters.db.base import make_engine
    from klean.bootstrap import bootstrap
    from klean.config import Settings
    from klean.domain.listing import ImageRef, Listing, Money
    from klean.domain.screening import Decision, ScreeningResult
    from klean.services import seller_networks as sn

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        url = f"sqlite:///{d / 'k.db'}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        app = bootstrap(Settings(home=d / "home", signing_key_path=d / "home" / "s.pem"), database_url=url)
        rng = random.Random(1)
        with app.uow_factory() as uow:
            for i in range(n_sellers):
                ident = [("bank_account", str(rng.getrandbits(40))), ("phone", f"+8210{rng.getrandbits(27)}")]
                photos = [("image", f"{rng.getrandbits(256):064x}") for _ in range(2)]
                uow.seller_networks.add_facts(f"s{i}", sn._rows(ident, "identity") + sn._rows(photos, f"listing:l{i}"))
            uow.commit()
            rows = uow.seller_networks.count_facts()
        words = ("bag", "leather", "gold", "chain", "flap", "caviar", "mirror", "ships", "seoul", "box", "dust",
                 "card", "receipt", "new", "used", "mint")
        times = []
        for k in range(submissions):
            listing = Listing(id=f"x{k}", title="Leather bag", price=Money(Decimal("1000"), "KRW"),
                              seller_id="big-seller", description=" ".join(rng.choice(words) for _ in range(40)),
                              images=tuple(ImageRef(pdq=f"{rng.getrandbits(256):064x}") for _ in range(4)))
            result = ScreeningResult(listing_id=listing.id, score=0.0, decision=Decision.ALLOW, evidence=(),
                                     policy_version="bench")
            with app.uow_factory() as uow:
                t0 = time.perf_counter()
                sn.gate_listing(uow=uow, listing=listing, result=result)
                times.append(time.perf_counter() - t0)
                uow.commit()
        app.engine.dispose()
    times.sort()
    return rows, statistics.median(times) * 1000, times[int(len(times) * 0.99)] * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sellers", type=int, default=1_000_000)
    ap.add_argument("--reference-sellers", type=int, default=50_000)
    ap.add_argument("--naive-sellers", type=int, default=1_500)
    ap.add_argument("--spark-facts", type=int, default=0)
    ap.add_argument("--gate-sellers", type=int, default=0, help="also time the submission gate on SQLite")
    args = ap.parse_args()
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, {platform.machine()}, {os.cpu_count()} CPUs")

    t0 = time.perf_counter()
    cols, planted = generate(args.sellers)
    gen_s = time.perf_counter() - t0
    data_mb = sum(s.nbytes + h.nbytes for s, h in cols.exact.values())
    data_mb += sum(a.nbytes + b.nbytes for a, b in (cols.image, cols.text) if a is not None)
    print(f"generated {args.sellers:,} sellers, {cols.count:,} facts in {gen_s:.1f} s "
          f"(columns {data_mb / 2**20:.0f} MiB), {len(planted):,} planted ring links")

    before_rss = rss_now_mb()
    w0, c0 = time.perf_counter(), time.process_time()
    links = build_links(cols, POLICY)
    labels = network_labels(links, len(cols.sellers), POLICY)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    peak = rss_peak_mb()
    sizes = np.bincount(labels)
    in_nets = int((sizes[labels] > 1).sum())
    found = {(int(a), int(b)) for a, b in zip(links.a.tolist(), links.b.tolist(), strict=True)}
    recall = len(planted & found) / max(len(planted), 1)
    extra = len(found - planted)
    print(f"batch engine: {wall:.1f} s wall, {cpu:.1f} s CPU, {cols.count / cpu:,.0f} facts/s per core, peak RSS "
          f"{peak:,.0f} MiB ({peak - before_rss:,.0f} MiB above the generated columns)")
    print(f"  {len(links):,} links, {int((sizes > 1).sum()):,} networks of {in_nets:,} sellers; planted ring links "
          f"found {recall:.4f}; links not planted {extra:,} (chance collisions; stock photos, brand texts and the "
          f"payment agent link nobody)")

    # The domain's reference on a sample: identical links, and its speed.
    rng = np.random.default_rng(3)
    sample = np.sort(rng.choice(args.sellers, min(args.reference_sellers, args.sellers), replace=False))
    facts = to_facts(cols, sample)
    c0 = time.process_time()
    ref = links_from_facts(facts, POLICY)
    ref_cpu = time.process_time() - c0
    from klean.adapters.scan.networks import columns_from_facts

    sub = columns_from_facts(facts)
    c1 = time.process_time()
    sub_links = build_links(sub, POLICY)
    sub_cpu = time.process_time() - c1
    same = sub_links.as_tuples(sub.sellers) == sorted((lk.a, lk.b, tuple(sorted(lk.kinds)), lk.strength)
                                                      for lk in ref)
    print(f"reference (pure Python) on {len(sample):,} sellers, {len(facts):,} facts: {ref_cpu:.1f} s CPU, "
          f"{len(facts) / ref_cpu:,.0f} facts/s; batch engine on the same facts {sub_cpu:.2f} s; "
          f"identical links: {same} ({len(ref):,} links)")

    # The naive baseline: every pair of sellers compared.
    naive_sample = np.sort(rng.choice(args.sellers, min(args.naive_sellers, args.sellers), replace=False))
    pairs, naive_cpu, naive_found = naive_pairs(to_facts(cols, naive_sample))
    per_pair = naive_cpu / max(pairs, 1)
    total_pairs = args.sellers * (args.sellers - 1) / 2
    est = total_pairs * per_pair
    print(f"naive pairwise on {len(naive_sample):,} sellers: {pairs:,} pairs in {naive_cpu:.1f} s CPU "
          f"({pairs / naive_cpu:,.0f} pairs/s, {naive_found} linked, stock photos included); all {total_pairs:.3g} "
          f"pairs would take {est:.3g} CPU-s ≈ {est / 86400:,.0f} CPU-days: {est / cpu:,.0f}x the batch engine")

    if args.gate_sellers:
        rows, p50, p99 = gate_cost(args.gate_sellers)
        print(f"submission gate on SQLite with {rows:,} fact rows ({args.gate_sellers:,} sellers): p50 {p50:.1f} ms, "
              f"p99 {p99:.1f} ms (4 photos and a text per listing; the commit not counted)")

    if args.spark_facts:
        result = spark_cost(cols, args.spark_facts)
        r = result
        print(f"Spark local[2] on {r['facts']:,} facts ({r['sellers']:,} sellers): {r['seconds']:.1f} s wall, "
              f"{r['cpu_seconds']:.1f} CPU-s (driver, JVM and Python workers), {r['cpu_us_per_fact']:.1f} µs CPU "
              f"per fact; {r['links']:,} links, identical to the batch engine on the same facts: {r['identical']}")


if __name__ == "__main__":
    main()

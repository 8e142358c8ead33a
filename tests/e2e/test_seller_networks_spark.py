"""Seller-network links on Spark local[2] are the local batch engine's, link for link, on a marketplace sample with
evader rings, stock photos re-saved by many resellers and a brand description copied by many."""

from __future__ import annotations

import os
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from klean.adapters.scan.networks import build_links, columns_from_facts
from klean.domain.policy_file import read_policy
from klean.domain.seller_network import Fact, NetworkPolicy, text_minhash

pytestmark = [pytest.mark.spark, pytest.mark.slow]
POLICY = NetworkPolicy.from_section(read_policy(None).section("seller_network"))


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    pytest.importorskip("pyspark")
    from klean.adapters.scan.spark import spark_session

    saved = os.environ.get("PYSPARK_PYTHON")
    os.environ["PYSPARK_PYTHON"] = sys.executable
    session = spark_session("local[2]")
    saved_partitions = session.conf.get("spark.sql.shuffle.partitions")
    session.conf.set("spark.sql.shuffle.partitions", "4")  # a sample: 200 shuffle partitions would be all overhead
    yield session
    session.conf.set("spark.sql.shuffle.partitions", saved_partitions)
    session.stop()
    if saved is None:
        os.environ.pop("PYSPARK_PYTHON", None)
    else:
        os.environ["PYSPARK_PYTHON"] = saved


def _resave(h: str, rng: random.Random, bits: int) -> str:
    v = int(h, 16)
    for bit in rng.sample(range(256), bits):
        v ^= 1 << bit
    return f"{v:064x}"


def _marketplace(n: int) -> list[Fact]:
    rng = random.Random(21)
    words = ["bag", "leather", "gold", "chain", "flap", "caviar", "mirror", "ships", "seoul", "box", "dust",
             "card", "receipt", "new", "used", "mint", "size"]
    stock = f"{rng.getrandbits(256):064x}"
    brand = " ".join(rng.choice(words) for _ in range(30))
    facts: list[Fact] = []
    for i in range(n):
        s = f"seller-{i}"
        facts += [Fact(s, "bank_account", str(rng.getrandbits(40))), Fact(s, "phone", f"+8210{rng.getrandbits(27)}"),
                  Fact(s, "image", f"{rng.getrandbits(256):064x}")]
        if i % 4 == 0:  # resellers: the supplier's photo and the brand's description
            facts.append(Fact(s, "image", _resave(stock, rng, rng.randrange(3))))
            edited = brand.split()
            edited[rng.randrange(30)] = rng.choice(words)
            facts.append(Fact(s, "text", text_minhash(" ".join(edited)) or ""))
    for ring in range(n // 15):  # evaders reuse the ring's first account's bank account, phone or photo
        head = [f for f in facts if f.seller_id == f"seller-{ring * 15}"]
        for k in range(1, 4):
            f = head[(ring + k) % 3]
            key = _resave(f.key, rng, rng.randrange(6)) if f.kind == "image" else f.key
            facts.append(Fact(f"seller-{ring * 15 + k}", f.kind, key))
        text = " ".join(rng.choice(words) for _ in range(30))
        facts += [Fact(f"seller-{ring * 15}", "text", text_minhash(text) or ""),
                  Fact(f"seller-{ring * 15 + 1}", "text", text_minhash(text + " now") or "")]
    return [f for f in facts if f.key]


def test_spark_finds_the_local_engines_links(spark: Any, tmp_path: Path) -> None:
    from klean.adapters.scan.networks_spark import collect_links, links_on_spark, write_fact_tables

    cols = columns_from_facts(_marketplace(400))
    written = write_fact_tables(cols, tmp_path)
    assert written == cols.count
    local = build_links(cols, POLICY).as_tuples(cols.sellers)
    on_spark = collect_links(links_on_spark(spark, tmp_path, POLICY)).as_tuples(cols.sellers)
    assert on_spark == local
    kinds = {k for *_, ks, _ in local for k in ks}
    assert {"bank_account", "phone", "image", "text"} <= kinds
    assert len(local) >= 60

"""Seller-network links on Spark: the batch engine's rules as DataFrame joins, for a whole marketplace on a cluster.

Facts are read as three tables (exact facts: seller, kind, 64-bit key digest; photos: seller and PDQ as four
longs; texts: seller and 32 MinHash values), the form klean.adapters.scan.networks writes them in. Exact facts
self-join on (kind, digest) in groups of 2..max_sellers; photos and texts self-join on equal bands after crowded
bands (stock photos, copied descriptions) are dropped with every hash that has one, and are kept by Hamming distance
(bit_count of XORed longs) or MinHash agreement (zip_with), the holder rule as in the local engine; kinds per pair
combine by noisy-OR. No Python UDF runs: everything is Spark SQL, so the cost is the JVM's.

Connected components are computed from the links, one row per link, on the driver (scipy); GraphFrames'
connectedComponents would take their place on a cluster with millions of links (it is not installed here).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from klean.adapters.scan.networks import KIND_BIT, FactColumns, LinkColumns
from klean.domain.seller_network import EXACT_KINDS, FACT_KINDS, NetworkPolicy


def write_fact_tables(cols: FactColumns, folder: Path, max_facts: int | None = None) -> int:
    """Write the facts as Parquet (exact.parquet, image.parquet, text.parquet); return how many were written.

    With max_facts, a sample of whole sellers (the first ones by index) holding about that many facts."""
    folder.mkdir(parents=True, exist_ok=True)
    limit = len(cols.sellers)
    if max_facts is not None and cols.count > max_facts:
        limit = max(1, int(len(cols.sellers) * max_facts / cols.count))
    written = 0
    seller, kind, digest = [], [], []
    for k, (s, h) in cols.exact.items():
        keep = s < limit
        seller.append(s[keep])
        kind.append(np.full(int(keep.sum()), k))
        digest.append(h[keep].view(np.int64))
    ex = pa.table({"seller": np.concatenate(seller), "kind": np.concatenate(kind), "digest": np.concatenate(digest)})
    pq.write_table(ex, folder / "exact.parquet")
    written += ex.num_rows
    if cols.image is not None:
        s, h = cols.image
        keep = s < limit
        words = h[keep].view(np.int64)
        img = pa.table({"seller": s[keep], **{f"h{i}": words[:, i] for i in range(4)}})
        pq.write_table(img, folder / "image.parquet")
        written += img.num_rows
    if cols.text is not None:
        s, m = cols.text
        keep = s < limit
        sig = m[keep].astype(np.int64)
        offsets = pa.array(np.arange(0, sig.size + 1, 32, dtype=np.int32))
        txt = pa.table({"seller": s[keep], "m": pa.ListArray.from_arrays(offsets, pa.array(sig.ravel()))})
        pq.write_table(txt, folder / "text.parquet")
        written += txt.num_rows
    return written


def _near_pairs(spark: Any, df: Any, kind: str, policy: NetworkPolicy) -> Any:
    from pyspark.sql import functions as F

    limit = policy.max_sellers(kind)
    if kind == "image":
        hash_cols = ["h0", "h1", "h2", "h3"]
        band_exprs = [F.shiftrightunsigned(F.col(f"h{w}"), 32) if half == 0 else F.col(f"h{w}").bitwiseAND(0xFFFFFFFF)
                      for w in range(4) for half in (0, 1)]
    else:
        hash_cols = ["m"]
        band_exprs = [F.shiftleft(F.col("m")[2 * b], 32).bitwiseOR(F.col("m")[2 * b + 1]) for b in range(16)]
    rows = df.dropDuplicates(["seller", *hash_cols]).withColumn("rid", F.monotonically_increasing_id())
    rows = rows.withColumn("hkey", F.struct(*hash_cols)) if kind == "image" else rows.withColumn("hkey", F.col("m"))
    bands = rows.select("rid", F.explode(F.array(*[F.struct(F.lit(i).alias("bi"), e.alias("bv"))
                                                  for i, e in enumerate(band_exprs)])).alias("b"))
    bands = bands.select("rid", "b.bi", "b.bv")
    counts = bands.groupBy("bi", "bv").agg(F.count("*").alias("n"))
    crowded = bands.join(counts.where(F.col("n") > limit), ["bi", "bv"]).select("rid").distinct()
    live = bands.join(crowded, "rid", "left_anti")
    x, y = live.alias("x"), live.alias("y")
    cand = (x.join(y, (F.col("x.bi") == F.col("y.bi")) & (F.col("x.bv") == F.col("y.bv"))
                   & (F.col("x.rid") < F.col("y.rid")))
            .select(F.col("x.rid").alias("i"), F.col("y.rid").alias("j")).distinct())
    r1 = rows.select(*[F.col(c).alias(f"{c}_i") for c in ["rid", "seller", "hkey", *hash_cols]])
    r2 = rows.select(*[F.col(c).alias(f"{c}_j") for c in ["rid", "seller", "hkey", *hash_cols]])
    pairs = (cand.join(r1, cand.i == r1.rid_i).join(r2, cand.j == r2.rid_j)
             .where(F.col("seller_i") != F.col("seller_j")))
    if kind == "image":
        dist = sum((F.bit_count(F.col(f"h{w}_i").bitwiseXOR(F.col(f"h{w}_j"))) for w in range(4)), F.lit(0))
        pairs = pairs.where(dist <= policy.image_max_distance)
    else:
        agree = F.aggregate(F.zip_with("m_i", "m_j", lambda a, b: F.when(a == b, 1).otherwise(0)), F.lit(0),
                            lambda acc, v: acc + v)
        pairs = pairs.where(agree / F.lit(32.0) >= policy.text_min_similarity)
    pairs = pairs.select("seller_i", "hkey_i", "seller_j", "hkey_j").cache()
    holders = (pairs.select(F.col("hkey_i").alias("h"), F.col("seller_i").alias("s"))
               .union(pairs.select("hkey_i", "seller_j"))
               .union(pairs.select("hkey_j", "seller_j"))
               .union(pairs.select("hkey_j", "seller_i"))
               .distinct().groupBy("h").agg(F.count("*").alias("holders")))
    hi, hj = holders.alias("hi"), holders.alias("hj")
    kept = (pairs.join(hi, pairs.hkey_i == F.col("hi.h")).join(hj, pairs.hkey_j == F.col("hj.h"))
            .where(F.greatest(F.col("hi.holders"), F.col("hj.holders")) <= limit))
    return kept.select(F.least("seller_i", "seller_j").alias("a"), F.greatest("seller_i", "seller_j").alias("b"),
                       F.lit(kind).alias("kind"))


def links_on_spark(spark: Any, folder: Path, policy: NetworkPolicy) -> Any:
    """A DataFrame of links (a, b, strength, kinds bit set) from the fact tables in `folder`."""
    from pyspark.sql import functions as F

    parts = []
    ex = spark.read.parquet(str(folder / "exact.parquet")).dropDuplicates(["kind", "digest", "seller"])
    limits = spark.createDataFrame([(k, policy.max_sellers(k)) for k in EXACT_KINDS if policy.strength(k) > 0],
                                   "kind string, max_sellers int")
    ex = ex.join(F.broadcast(limits), "kind")
    groups = ex.groupBy("kind", "digest").agg(F.count("*").alias("n"), F.first("max_sellers").alias("lim"))
    ex = ex.join(groups.where((F.col("n") >= 2) & (F.col("n") <= F.col("lim"))).select("kind", "digest"),
                 ["kind", "digest"])
    x, y = ex.alias("x"), ex.alias("y")
    parts.append(x.join(y, (F.col("x.kind") == F.col("y.kind")) & (F.col("x.digest") == F.col("y.digest"))
                        & (F.col("x.seller") < F.col("y.seller")))
                 .select(F.col("x.seller").alias("a"), F.col("y.seller").alias("b"), F.col("x.kind").alias("kind")))
    for kind in ("image", "text"):
        path = folder / f"{kind}.parquet"
        if path.exists() and policy.strength(kind) > 0:
            parts.append(_near_pairs(spark, spark.read.parquet(str(path)), kind, policy))
    pairs = parts[0]
    for p in parts[1:]:
        pairs = pairs.unionByName(p)
    strengths = spark.createDataFrame([(k, math.log1p(-policy.strength(k)) if policy.strength(k) < 1 else -1e300,
                                        KIND_BIT[k]) for k in FACT_KINDS], "kind string, log_miss double, bit long")
    return (pairs.distinct().join(F.broadcast(strengths), "kind").groupBy("a", "b")
            .agg(F.sum("log_miss").alias("log_miss"), F.sum("bit").alias("kinds"))
            .select("a", "b", F.round(1 - F.exp("log_miss"), 6).alias("strength"), "kinds"))


def collect_links(df: Any) -> LinkColumns:
    table = df.toArrow() if hasattr(df, "toArrow") else pa.Table.from_pandas(df.toPandas())
    a = table.column("a").to_numpy().astype(np.int64)
    b = table.column("b").to_numpy().astype(np.int64)
    order = np.lexsort((b, a))
    return LinkColumns(a[order].astype(np.int32), b[order].astype(np.int32),
                       table.column("strength").to_numpy()[order].astype(np.float64),
                       table.column("kinds").to_numpy()[order].astype(np.int64))

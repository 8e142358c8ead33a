"""The batch engine on columns finds exactly the links and networks of the domain's reference function, on a
marketplace sample with evader rings (shared bank accounts, phones, own photos re-saved, copied texts), honest
resellers sharing a stock photo and a copied brand description, and flatmates sharing an address."""

from __future__ import annotations

import random

from klean.adapters.scan.networks import build_links, columns_from_facts, network_labels, networks_of
from klean.domain.policy_file import read_policy
from klean.domain.seller_network import Fact, NetworkPolicy, links_from_facts, networks, text_minhash

POLICY = NetworkPolicy.from_section(read_policy(None).section("seller_network"))
WORDS = tuple(" ".join((
    "bag leather gold chain classic flap caviar lambskin mirror quality ships from seoul busan guangzhou box",
    "dust card receipt warranty new used mint condition size medium small large black beige red navy strap",
    "authentic boutique outlet discount sale fast delivery message kakao photos real item")).split(" "))


def _pdq(rng: random.Random) -> str:
    return f"{rng.getrandbits(256):064x}"


def _resave(h: str, rng: random.Random, bits: int) -> str:
    v = int(h, 16)
    for bit in rng.sample(range(256), bits):
        v ^= 1 << bit
    return f"{v:064x}"


def _text(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(30))


def _edit(text: str, rng: random.Random) -> str:
    words = text.split()
    words[rng.randrange(len(words))] = rng.choice(WORDS)
    return " ".join(words)


def marketplace(n: int, seed: int) -> list[Fact]:
    rng = random.Random(seed)
    facts: list[Fact] = []
    stock_photo = _pdq(rng)
    brand_text = _text(rng)
    for i in range(n):
        s = f"seller-{i}"
        facts += [Fact(s, "bank_account", str(rng.getrandbits(40))), Fact(s, "phone", f"+8210{rng.getrandbits(27)}"),
                  Fact(s, "address", f"{i} teheranro seoul"), Fact(s, "image", _pdq(rng))]
        if i % 3 == 0:
            facts.append(Fact(s, "image", _resave(stock_photo, rng, rng.randrange(4))))
            facts.append(Fact(s, "text", text_minhash(_edit(brand_text, rng)) or ""))
    # Evader rings: each new account reuses one fact of the ring's first account.
    for ring in range(n // 20):
        first = f"seller-{ring * 20}"
        own = [f for f in facts if f.seller_id == first]
        for k in range(1, rng.randrange(2, 5)):
            s = f"seller-{ring * 20 + k}"
            f = own[(k + ring) % len(own)]
            key = _resave(f.key, rng, rng.randrange(8)) if f.kind == "image" else f.key
            facts.append(Fact(s, f.kind, key))
            if k == 2:  # a copied listing text too
                t = _text(random.Random(ring))
                facts += [Fact(first, "text", text_minhash(t) or ""),
                          Fact(s, "text", text_minhash(_edit(t, rng)) or "")]
    # Flatmates share an address and nothing else.
    facts += [Fact(f"flatmate-{i}", "address", "7 jongno jongnogu seoul") for i in range(3)]
    return [f for f in facts if f.key]


def test_the_batch_engine_finds_the_reference_links_and_networks_on_a_sample() -> None:
    facts = marketplace(600, seed=11)
    reference = sorted((lk.a, lk.b, tuple(sorted(lk.kinds)), lk.strength) for lk in links_from_facts(facts, POLICY))
    cols = columns_from_facts(facts)
    links = build_links(cols, POLICY)
    assert links.as_tuples(cols.sellers) == reference
    kinds = {k for *_, ks, _ in reference for k in ks}
    assert {"bank_account", "phone", "address", "image", "text"} <= kinds  # every path exercised
    assert len(reference) > 30
    labels = network_labels(links, len(cols.sellers), POLICY)
    assert networks_of(labels, cols.sellers) == networks(links_from_facts(facts, POLICY), POLICY)


def test_stock_photos_and_the_brands_description_link_no_honest_reseller() -> None:
    facts = [f for f in marketplace(300, seed=5) if f.kind in ("image", "text")]
    cols = columns_from_facts(facts)
    linked = {x for a, b, *_ in build_links(cols, POLICY).as_tuples(cols.sellers) for x in (a, b)}
    # 100 resellers share the stock photo and the description: none is linked through them; ring members are.
    assert not any(int(s.split("-")[1]) % 20 >= 5 for s in linked)
    assert linked

"""`klean networks rebuild` and `klean networks show` against a real database (SQLite and PostgreSQL): the rebuild
collects the facts Klean already stores (identities, listings' photos and texts, proofs) and finds the networks."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from klean.bootstrap import App
from klean.domain.listing import ImageRef, Listing, Money
from klean.services import registry

OWN_PHOTO = "a5" * 32


def _klean(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from klean.adapters.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=180, env={**os.environ, **env})


def test_rebuild_collects_stored_facts_and_show_prints_the_network(klean_app: App, database_url: str) -> None:
    registry.import_registry(uow=klean_app.uow_factory(), data={"brands": [], "sellers": [
        {"id": "gangnam-luxe"}, {"id": "seoul-bags-2"}, {"id": "jeju-crafts"}]}, actor=None)
    with klean_app.uow_factory() as uow:
        # Stored before seller networks existed: no facts yet, only identities and listings.
        uow.enforcement.set_identity("gangnam-luxe", {"tax_id": {"value": "123-45-67890", "verified": True}})
        uow.enforcement.set_identity("seoul-bags-2", {"tax_id": {"value": "1234567890", "verified": False}})
        for lid, seller in (("gl-1", "gangnam-luxe"), ("jc-1", "jeju-crafts")):
            uow.listings.upsert(Listing(id=lid, title="Leather card wallet", price=Money.of("39000", "KRW"),
                                        seller_id=seller, images=(ImageRef(pdq=OWN_PHOTO),)))
        uow.commit()
    env = {"KLEAN_DATABASE_URL": database_url, "KLEAN_HOME": str(klean_app.settings.home)}
    r = _klean("networks", "rebuild", env=env)
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    # Two tax ids written differently, and one own photo: one network of three accounts.
    assert (result["facts"], result["links"], result["networks"], result["sellers_in_networks"]) == (4, 2, 1, 3)
    r = _klean("networks", "show", "seoul-bags-2", env=env)
    assert r.returncode == 0, r.stderr
    shown = json.loads(r.stdout)
    assert [(lk["a"], lk["b"], lk["kinds"]) for lk in shown["links"]] == [
        ("gangnam-luxe", "seoul-bags-2", ["tax_id"]), ("gangnam-luxe", "jeju-crafts", ["image"])]
    assert {"kind": "tax_id", "value": "1234567890"} in shown["links"][0]["facts"]
    r = _klean("networks", "show", "nobody", env=env)
    assert r.returncode == 2 and "no seller nobody" in r.stderr

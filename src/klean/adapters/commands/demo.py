"""`klean demo`: a fresh SQLite database with real brands, a 2,406-listing catalog and demo users, then serve."""

from __future__ import annotations

import json
import os
import shutil
import time
import unicodedata
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Any

import typer

MARKER = ".klean-demo"
# Demo users: (id, role, org, seller id, portal password). Passwords are for a local demo only.
DEMO_USERS = [
    ("admin", "admin", None, None, "demo-admin"),
    ("samsung", "rights_holder", "Samsung Electronics", None, "demo-samsung"),
    ("partner", "trusted_partner", "Chanel SAS", None, "demo-partner"),
    ("seller", "seller", None, "gangnam-deals", "demo-seller"),
    ("reviewer", "reviewer", None, None, "demo-reviewer"),
    ("inspector", "inspector", "Mystery Shop Co", None, "demo-inspector"),
]


def demo_file(name: str) -> str:
    return resources.files("klean.demo").joinpath(name).read_text("utf-8")


def _script(text: str) -> str:
    scripts = set()
    for c in text:
        if not c.isalpha():
            continue
        name = unicodedata.name(c, "")
        scripts.add("Hangul" if "HANGUL" in name else "Han" if "CJK" in name else "Latin" if "LATIN" in name
                    else "other")
    return "+".join(sorted(scripts)) or "other"


def _fresh_home(home: Path) -> None:
    """Wipe the demo home, but only one the demo made (or an empty folder): never someone's real data."""
    if home.exists():
        if not home.is_dir() or (any(home.iterdir()) and not (home / MARKER).exists()):
            typer.secho(f"error: {home} exists and is not a Klean demo folder; choose another with --home",
                        fg=typer.colors.RED, err=True)
            raise typer.Exit(2)
        shutil.rmtree(home)
    home.mkdir(parents=True)
    (home / MARKER).write_text("made by `klean demo`; wiped by the next run\n", "utf-8")


def _screen_catalog(k: Any, labels: dict[str, str]) -> list[str] | None:
    """Screen every stored listing when the screening service is installed; the lines to print, or None."""
    try:
        from klean.services import screening
    except ImportError:
        return None
    screen_catalog = getattr(screening, "screen_catalog", None)
    if screen_catalog is None:
        return None
    summary = screen_catalog(uow=k.uow_factory(), app_extras=k.extras, policy=k.policy)
    counts = Counter(summary.get("counts", {}))
    caught_ids = list(summary.get("caught", []))
    lines = [f"  screened  {sum(counts.values())} listings (policy {k.policy.version}): {counts['allow']} allowed, "
             f"{counts['review']} held for review, {counts['block']} blocked"]
    # The demo knows its own truth (labels.tsv): say how screening did on it, mistakes included.
    flagged = set(caught_ids)
    fakes = {i for i, lab in labels.items() if lab == "counterfeit"}
    genuine = {i for i, lab in labels.items() if lab == "genuine"}
    if fakes:
        lines.append(f"  against the demo's labels: {len(flagged & fakes)} of {len(fakes)} counterfeits flagged; "
                     f"{len(flagged & genuine)} of {len(genuine)} genuine listings flagged by mistake")
    lines.append("  top 5 caught (highest scores, one per combination of signals):")
    shown: set[tuple[str, ...]] = set()
    with k.uow_factory() as uow:
        for lid in caught_ids:  # strongest first
            stored = uow.listings.get(lid)
            if stored is None:
                continue
            reasons = sorted((e for e in stored.evidence if float(e.get("weight", 0)) > 0),
                             key=lambda e: -float(e.get("weight", 0)))
            signals = tuple(sorted({str(e.get("signal")) for e in reasons}))
            if signals in shown:
                continue
            shown.add(signals)
            lines.append(f"    {stored.decision or '?':<6} {stored.score or 0:.2f}  {lid}  {stored.listing.title[:70]}")
            lines += [f"             - {e.get('reason', '')}" for e in reasons[:3]]
            if len(shown) == 5:
                break
    return lines


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(
        no_serve: bool = typer.Option(False, "--no-serve", help="Stop after the summary instead of serving."),
        home: Path = typer.Option(Path(".klean-demo"), "--home", help="Demo folder (wiped and re-created)."),
        host: str = typer.Option("127.0.0.1", help="Address to serve on."),
        port: int = typer.Option(8000, help="Port to serve on."),
    ) -> None:
        """Create a fresh demo (real brands in Korean, English and Chinese; 2,406 listings, official insignia
        among them), summarise, serve."""
        from klean.adapters.db import migrate
        from klean.bootstrap import bootstrap
        from klean.config import Settings, get_settings
        from klean.domain.auth import Role
        from klean.domain.files import listing_from_dict
        from klean.services import accounts, catalog, registry

        started = time.monotonic()
        home = home.resolve()
        _fresh_home(home)
        # The server started below reads its settings from the environment: point it at the demo.
        os.environ["KLEAN_HOME"] = str(home)
        os.environ["KLEAN_DATABASE_URL"] = f"sqlite:///{home / 'klean.db'}"
        get_settings.cache_clear()
        k = bootstrap(Settings())
        migrate.upgrade(k.engine)

        imported = registry.import_registry(uow=k.uow_factory(), data=json.loads(demo_file("registry.json")),
                                            actor=None)
        lines = demo_file("listings.jsonl").splitlines()
        listings = [listing_from_dict(json.loads(line), where=f"listings.jsonl line {n}")
                    for n, line in enumerate(lines, 1) if line.strip()]
        loaded = catalog.load_catalog(uow=k.uow_factory(), listings=listings, actor=None)
        labels = dict(row.split("\t")[:2] for row in demo_file("labels.tsv").splitlines()[1:] if row)

        users = []
        for user_id, role, org, seller_id, password in DEMO_USERS:
            _, key = accounts.create_user(uow=k.uow_factory(), actor=None, user_id=user_id,
                                          name=f"Demo {role.replace('_', ' ')}", role=Role(role), org=org,
                                          seller_id=seller_id)
            accounts.set_password(uow=k.uow_factory(), actor=None, user_id=user_id, password=password)
            users.append((user_id, role, org or seller_id or "", password, key))
        keys_file = home / "demo-users.txt"
        keys_file.write_text("".join(f"{u}\t{r}\t{o}\t{p}\t{key}\n" for u, r, o, p, key in users), "utf-8")
        keys_file.chmod(0o600)

        snap = registry.registry_snapshot(uow=k.uow_factory())
        marks = [m for b in snap.brands for m in b.marks]
        by_script = Counter(_script(m) for m in marks)
        products = sum(len(b.products) for b in snap.brands)
        auths = sum(len(b.authorisations) for b in snap.brands)
        truth = Counter(labels.get(listing.id, "unlabelled") for listing in listings)

        echo = typer.echo
        echo(f"Klean demo in {home} (SQLite: {home / 'klean.db'})")
        echo(f"  registry  {len(snap.brands)} brands, {len(marks)} marks "
             f"({', '.join(f'{n} {s}' for s, n in sorted(by_script.items()))}), {products} products with KRW "
             f"reference prices, {auths} authorisations, {len(snap.sellers)} sellers; version {snap.version}")
        echo(f"  catalog   {loaded} listings, all live (the demo's own labels: {truth['genuine']} genuine, "
             f"{truth['counterfeit']} counterfeit; see klean/demo/labels.tsv)")
        echo(f"  imported  {imported.brands_created} brands and {imported.sellers_created} sellers")
        echo("  users     (API key: Authorization: Bearer <key>; portal password for signing in)")
        for user_id, role, who, password, key in users:
            echo(f"    {user_id:<10} {role:<16} {who:<20} password {password:<15} key {key}")
        echo(f"  keys are also in {keys_file}")

        screened = _screen_catalog(k, labels)
        if screened is None:
            echo("  screening not installed in this build: listings are stored unscreened")
        for line in screened or []:
            echo(line)
        echo(f"  ready in {time.monotonic() - started:.1f} s")
        k.engine.dispose()
        if no_serve:
            return
        import uvicorn

        echo(f"Serving on http://{host}:{port}  (API docs: http://{host}:{port}/docs; Ctrl+C to stop)")
        echo(f"Portal     http://{host}:{port}/portal/  (sign in as a demo user above, e.g. reviewer / demo-reviewer, "
             "seller / demo-seller, samsung / demo-samsung)")
        from klean.adapters.commands.core import proxy_options

        uvicorn.run("klean.adapters.api.app:create_app", factory=True, host=host, port=port, log_level="warning",
                    **proxy_options(k.settings))

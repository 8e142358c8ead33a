"""`klean model train|evaluate|show`: the learned screening layer (see signals/learned.py and services/model.py)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from klean.adapters.commands.core import fail
from klean.domain.errors import DomainError


def _policy():  # type: ignore[no-untyped-def]
    from klean.config import get_settings
    from klean.domain.policy_file import read_policy
    from klean.domain.screening import ScreeningPolicy

    doc = read_policy(get_settings().policy_path)
    return ScreeningPolicy.from_section(doc.section("screening"), doc.version)


def _sets(data: list[Path]):  # type: ignore[no-untyped-def]
    from klean.services.model import read_labelled_dir

    return [read_labelled_dir(d) for d in data]


def register(app: typer.Typer) -> None:
    model_app = typer.Typer(help="The learned screening layer: train, evaluate, show.", no_args_is_help=True)
    app.add_typer(model_app, name="model")

    @model_app.command("train")
    def train_cmd(
        data: list[Path] = typer.Option([], "--data", help="A labelled set: registry.json + listings.jsonl with "
                                        "labels (repeatable)"),
        from_db: bool = typer.Option(False, "--from-db", help="Also learn from the platform's settled decisions "
                                     "(reviewers, upheld notices, confirmed test buys, reversed appeals)"),
        out: Path = typer.Option(..., "-o", "--out", help="Model file to write (JSON)"),
        c: float = typer.Option(1.0, help="Inverse regularisation strength of the logistic regression"),
    ) -> None:
        """Train a model on labelled outcomes and write it; print its figures on what it was trained on."""
        from klean.services import model as svc

        try:
            policy = _policy()
            sets = _sets(data)
            if from_db:
                from klean.bootstrap import bootstrap
                from klean.services.registry import registry_snapshot

                k = bootstrap()
                sets.append(svc.platform_outcomes(uow=k.uow_factory(), snapshot=registry_snapshot(uow=k.uow_factory())))
            if not sets:
                fail("give at least one --data DIR or --from-db")
            trained = svc.train(sets=sets, policy=policy, c=c)
            trained.meta["metrics"] = {d.name: svc.evaluate(model=trained, data=d, policy=policy) for d in sets}
        except (DomainError, ValueError) as exc:
            fail(str(getattr(exc, "message", exc)))
        out.write_text(json.dumps(trained.to_json(), ensure_ascii=False, indent=1) + "\n", "utf-8")
        typer.echo(f"model {trained.version} from {trained.meta['examples']} examples written to {out}")
        for name, m in trained.meta["metrics"].items():
            typer.echo(f"  {name}: rules {m['rules']}  model (on its own training data) {m['model']}")
        typer.echo("Put it in service with policy.toml [screening.model] file = \"PATH\" and mode = \"shadow\" "
                   "first; compare with `klean model evaluate`, then mode = \"live\".")

    @model_app.command("evaluate")
    def evaluate_cmd(
        data: list[Path] = typer.Option(..., "--data", help="A labelled set (repeatable)"),
        model_file: str = typer.Option("default", "--model", help="Model file, or 'default' for the shipped one"),
        lobo: bool = typer.Option(False, "--leave-one-brand-out", help="Also retrain without each brand in turn "
                                  "and score that brand"),
    ) -> None:
        """Score labelled sets with the rules and with a model, side by side."""
        from klean.services import model as svc
        from klean.signals.learned import load_model

        try:
            policy = _policy()
            model = load_model(model_file)
            sets = _sets(data)
            for d in sets:
                m = svc.evaluate(model=model, data=d, policy=policy)
                typer.echo(f"{d.name}: rules {m['rules']}")
                typer.echo(f"{' ' * len(d.name)}  model {model.version} {m['model']}")
            if lobo:
                result = svc.leave_one_brand_out(sets=sets, policy=policy)
                typer.echo(f"leave one brand out ({result['brands']} brands): rules {result['rules']}")
                typer.echo(f"  model trained without the brand {result['model']}")
        except (DomainError, ValueError) as exc:
            fail(str(getattr(exc, "message", exc)))

    @model_app.command("show")
    def show_cmd(model_file: str = typer.Argument("default", help="Model file, or 'default'")) -> None:
        """Print a model's version, training data, coefficients and figures, and how the policy uses it."""
        from klean.services.model import describe
        from klean.signals.learned import load_model

        try:
            policy = _policy()
            info = describe(load_model(model_file))
        except (DomainError, ValueError) as exc:
            fail(str(getattr(exc, "message", exc)))
        info["policy"] = {"mode": policy.model_mode, "file": policy.model_file, "shadow": policy.shadow_file or None}
        typer.echo(json.dumps(info, ensure_ascii=False, indent=1))

    @model_app.command("shadow-report")
    def shadow_report_cmd() -> None:
        """Compare the shadow model's recorded scores with the decisions taken (and with people's verdicts)."""
        from klean.bootstrap import bootstrap
        from klean.services.model import shadow_report

        try:
            k = bootstrap()
            report = shadow_report(uow=k.uow_factory(), policy=_policy())
        except (DomainError, ValueError) as exc:
            fail(str(getattr(exc, "message", exc)))
        typer.echo(json.dumps(report, ensure_ascii=False, indent=1))

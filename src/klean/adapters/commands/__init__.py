"""CLI commands, one module per feature; each defines `register(app: typer.Typer) -> None`."""

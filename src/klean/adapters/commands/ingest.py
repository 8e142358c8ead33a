"""`klean ingest jsonl SOURCE` and `klean ingest redis`: listing change streams into the submission path."""

from __future__ import annotations

import json
import os
import socket

import typer

ACTOR_HELP = "Who submits, as recorded on every event (an operator acting as admin for the marketplace's feed)"


def _principal(actor: str):  # type: ignore[no-untyped-def]
    from klean.domain.auth import Principal, Role

    return Principal(actor, Role.ADMIN)


def _print(report) -> None:  # type: ignore[no-untyped-def]
    for refusal in report.refused:
        typer.echo(json.dumps(refusal, ensure_ascii=False), err=True)
    typer.echo(json.dumps(report.as_dict()))


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Consume listing change streams (at least once, idempotent effects).",
                        no_args_is_help=True)
    app.add_typer(group, name="ingest")

    @group.command("jsonl")
    def jsonl(source: str = typer.Argument(..., help="A JSONL file, - for stdin, or an http(s) URL"),
              batch: int = typer.Option(500, "--batch", min=1, max=500, help="Listings per transaction"),
              actor: str = typer.Option("ingest", "--actor", help=ACTOR_HELP)) -> None:
        """Submit each line: {"idempotency_key": ..., "listing": {...}} or a bare listing (keyed by its content).

        Prints a summary as JSON; each refused line goes to stderr with its line number and reason (exit 1)."""
        from klean.adapters.ingest import ingest_jsonl, open_lines
        from klean.bootstrap import bootstrap

        k = bootstrap()
        try:
            report = ingest_jsonl(k, _principal(actor), open_lines(source), batch_size=batch,
                                  source="stdin" if source == "-" else source)
        except OSError as exc:
            typer.secho(f"error: cannot read {source}: {exc}", fg=typer.colors.RED, err=True)
            raise typer.Exit(2) from exc
        _print(report)
        if report.refused:
            raise typer.Exit(1)

    @group.command("redis")
    def redis_stream(
            stream: str = typer.Option("klean:listings", "--stream", help="Stream key"),
            group_name: str = typer.Option("klean-ingest", "--group", help="Consumer group"),
            consumer: str = typer.Option(None, "--consumer", help="Consumer name (default host-pid; reuse the same "
                                                                  "name after a restart to finish its own entries)"),
            url: str = typer.Option(None, "--url", help="Redis URL (default KLEAN_REDIS_URL)"),
            batch: int = typer.Option(500, "--batch", min=1, max=500, help="Entries per transaction"),
            block_ms: int = typer.Option(5000, "--block-ms", min=1, help="How long one read waits for entries"),
            min_idle_ms: int = typer.Option(60_000, "--min-idle-ms", min=0,
                                            help="Claim another consumer's unacknowledged entries after this idle "
                                                 "time"),
            start_id: str = typer.Option("0", "--start-id", help="Where a new group starts: 0 (the whole stream) "
                                                                 "or $ (new entries only)"),
            once: bool = typer.Option(False, "--once", help="Stop when no entry arrives within --block-ms"),
            actor: str = typer.Option("ingest", "--actor", help=ACTOR_HELP)) -> None:
        """Consume a Redis stream through a consumer group: each batch is stored, then acknowledged (XACK)."""
        import redis

        from klean.adapters.ingest import IngestReport, RedisIngest
        from klean.bootstrap import bootstrap

        k = bootstrap()
        target = url or k.settings.redis_url
        if not target:
            typer.secho("error: give --url or set KLEAN_REDIS_URL", fg=typer.colors.RED, err=True)
            raise typer.Exit(2)
        client = redis.Redis.from_url(target)
        ingest = RedisIngest(k, _principal(actor), client, stream=stream, group=group_name,
                             consumer=consumer or f"{socket.gethostname()}-{os.getpid()}", batch_size=batch,
                             min_idle_ms=min_idle_ms)
        report = IngestReport()
        try:
            ingest.ensure_group(start_id)
            ingest.run(once=once, block_ms=block_ms, report=report)
        except redis.RedisError as exc:
            typer.secho(f"error: Redis at {target}: {exc}", fg=typer.colors.RED, err=True)
            _print(report)
            raise typer.Exit(2) from exc
        except KeyboardInterrupt:
            pass
        _print(report)

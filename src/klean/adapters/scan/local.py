"""The local engine: chunks of the input fanned out to a process pool, one output part per chunk.

Each worker gets the screener once (inherited copy-on-write under fork, pickled once per worker
otherwise), reads its chunk itself (only offsets cross the process boundary) and commits the chunk's
results, rejects and checkpoint atomically. At most two chunks per worker are in flight, so memory is
bounded whatever the input size. A killed scan resumes with --resume: finished chunks are skipped,
a chunk cut off half-way is redone under the same file names, so no result is ever written twice.
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import os
import shutil
import sys
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from klean.adapters.scan.job import (
    FORMATS,
    ListingFilter,
    OutputFolder,
    ScanStats,
    ScreenerLike,
    merge_parts,
    merge_rejects,
    part_files,
    screen_rows,
    write_json,
)
from klean.adapters.scan.progress import Progress, render_summary
from klean.adapters.scan.readers import DEFAULT_CHUNK_ROWS, Chunk, fingerprint, plan_chunks, read_chunk
from klean.domain.errors import Conflict, ValidationError


@dataclass
class ScanOutcome:
    stats: ScanStats
    output: Path
    rejects: Path | None
    seconds: float
    chunks: int
    chunks_resumed: int

    def summary(self) -> str:
        text = render_summary(self.stats, seconds=self.seconds, output=str(self.output))
        if self.rejects is not None:
            text += f"\nrejected rows: {self.rejects}"
        if self.chunks_resumed:
            text += f"\nresumed: {self.chunks_resumed} of {self.chunks} chunks were already done"
        return text


@dataclass(frozen=True)
class Target:
    """Where results go: a folder of parts, or one file assembled from a sibling .parts folder at the end."""

    folder: OutputFolder
    file: Path | None

    @staticmethod
    def of(output: Path, fmt: str | None) -> Target:
        suffix = output.suffix.lower().lstrip(".")
        if suffix in FORMATS and not output.is_dir():
            if fmt and fmt != suffix:
                raise ValidationError(f"{output}: the name says {suffix} but --format says {fmt}", field="format")
            return Target(OutputFolder(output.with_name(output.name + ".parts"), suffix), output)
        return Target(OutputFolder(output, fmt or "parquet"), None)

    @property
    def rejects_file(self) -> Path:
        base = self.file if self.file is not None else self.folder.root
        return base.with_name(base.name + ".rejects.jsonl") if self.file is not None else base / "_rejects.jsonl"


def screener_identity(screener: Any) -> dict[str, str]:
    """What makes two screeners give the same results, as far as the object tells: kind and versions."""
    policy = getattr(screener, "policy", None)
    snapshot = getattr(screener, "snapshot", None)
    return {"type": f"{type(screener).__module__}.{type(screener).__qualname__}",
            "policy_version": str(getattr(policy, "version", "")),
            "registry_version": str(getattr(snapshot, "version", ""))}


def open_output(target: Target, plan: dict[str, Any], *, resume: bool) -> None:
    """Start a scan in the output folder, or check that --resume continues the very same scan."""
    folder = target.folder
    if folder.manifest.exists():
        if not resume:
            raise Conflict(f"{folder.root} already holds a scan: pass --resume to continue it, "
                           "or remove it to start again", field="output")
        previous = json.loads(folder.manifest.read_text("utf-8"))
        if previous != plan:
            changed = sorted(k for k in plan.keys() | previous.keys() if plan.get(k) != previous.get(k))
            raise Conflict(f"{folder.root} holds a different scan (changed: {', '.join(changed)}); "
                           "cannot resume it", field="output")
        for stale in (*folder.root.glob(".*.tmp"), *folder.root.glob("_*/.*.tmp")):
            stale.unlink()  # half-written by the killed run; its chunk is redone under the final name
        return
    if folder.root.exists() and any(folder.root.iterdir()):
        raise Conflict(f"{folder.root} exists and is not a scan output folder", field="output")
    folder.prepare()
    write_json(folder.manifest, plan)


def finish_output(target: Target, stats: ScanStats, seconds: float) -> tuple[Path, Path | None]:
    """Write the summary and the rejects file; assemble the single output file when one was asked for."""
    folder = target.folder
    rejects = sorted((folder.root / "_rejects").glob("part-*.jsonl"))
    rejects_path = target.rejects_file if rejects else None
    if rejects_path is not None:
        merge_rejects(rejects, rejects_path)
    write_json(folder.root / "_summary.json", {**stats.to_dict(), "seconds": round(seconds, 3)})
    if target.file is None:
        (folder.root / "_SUCCESS").touch()
        return folder.root, rejects_path
    merge_parts(part_files(folder.root, folder.fmt), folder.fmt, target.file)
    shutil.rmtree(folder.root)
    return target.file, rejects_path


# Set once per worker process by _init; the screener is the expensive object, built by the parent.
_WORKER: dict[str, Any] = {}


def _init(screener: ScreenerLike, only: ListingFilter | None, folder: OutputFolder, lang: str) -> None:
    _WORKER.update(screener=screener, only=only, folder=folder, lang=lang)


def _init_worker(*args: Any) -> None:
    _init(*args)
    gc.freeze()  # a spawned worker's own copy of the screener (a forked one inherits the parent's freeze)


@contextmanager
def _screener_frozen() -> Iterator[None]:
    """Keep the garbage collector off the objects alive before the scan (above all the screener's compiled
    context, millions of objects): full collections then walk only the scan's own objects, and forked
    workers do not copy every page of the parent's heap by touching the collector's fields. Left alone if
    the application freezes objects itself."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _run_chunk(chunk: Chunk) -> dict[str, Any]:
    """Read, screen and commit one chunk in this process; only its counts go back to the parent."""
    w = _WORKER
    stats = ScanStats()
    results, rejects = screen_rows(read_chunk(chunk), w["screener"], lang=w["lang"], only=w["only"], stats=stats)
    w["folder"].commit_chunk(chunk.id, results, rejects, stats)
    return stats.to_dict()


def run_local(
    input_path: Path, output: Path, screener: ScreenerLike, *, fmt: str | None = None, workers: int = 1,
    lang: str = "en", resume: bool = False, chunk_rows: int = DEFAULT_CHUNK_ROWS, only: ListingFilter | None = None,
    progress: bool | None = None, stream: TextIO | None = None, start_method: str | None = None,
) -> ScanOutcome:
    """Scan a catalog with `workers` processes (1: in this process) and return the counts."""
    started = time.monotonic()
    target = Target.of(output, fmt)
    folder = target.folder
    chunks = plan_chunks(input_path, chunk_rows=chunk_rows)
    plan = {"input": fingerprint(input_path), "chunk_rows": chunk_rows, "format": folder.fmt, "lang": lang,
            "only": repr(only) if only is not None else None, "screener": screener_identity(screener),
            "chunks": len(chunks)}
    open_output(target, plan, resume=resume)

    stats = ScanStats()
    todo: list[Chunk] = []
    for chunk in chunks:
        done = folder.finished(chunk.id)
        if done is None:
            todo.append(chunk)
        else:
            stats.merge(done)
    resumed = len(chunks) - len(todo)
    bar = Progress(sum(c.rows for c in chunks), stream=stream or sys.stderr, enabled=progress,
                   already=sum(c.rows for c in chunks) - sum(c.rows for c in todo))

    def finished(chunk: Chunk, result: dict[str, Any]) -> None:
        stats.merge(ScanStats.from_dict(result))
        bar.advance(chunk.rows)

    try:
        with _screener_frozen():
            if workers <= 1:
                _init(screener, only, folder, lang)
                try:
                    for chunk in todo:
                        finished(chunk, _run_chunk(chunk))
                finally:
                    _WORKER.clear()
            else:
                _run_pool(todo, workers, (screener, only, folder, lang), finished, start_method)
    finally:
        bar.close()
    seconds = time.monotonic() - started
    out, rejects = finish_output(target, stats, seconds)
    return ScanOutcome(stats=stats, output=out, rejects=rejects, seconds=seconds, chunks=len(chunks),
                       chunks_resumed=resumed)


def _run_pool(todo: list[Chunk], workers: int, initargs: tuple[Any, ...], finished: Any,
              start_method: str | None) -> None:
    method = start_method or ("fork" if sys.platform == "linux" else "spawn")
    pending = iter(todo)
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method),
                             initializer=_init_worker, initargs=initargs) as pool:
        in_flight: dict[Future[dict[str, Any]], Chunk] = {}
        try:
            while True:
                while len(in_flight) < 2 * workers and (chunk := next(pending, None)) is not None:
                    in_flight[pool.submit(_run_chunk, chunk)] = chunk
                if not in_flight:
                    break
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    finished(in_flight.pop(future), future.result())
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1

"""Catalog input: a JSONL or Parquet file, or a folder of part files, cut into chunks read independently.

A chunk is the unit of work, of output and of checkpointing: a run of lines of a JSONL file (found by
byte offsets, so a worker reads only its own bytes) or one row group of a Parquet file. Memory is
bounded by the chunk size times the number of workers, whatever the input size.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq

from klean.adapters.scan.rows import arrow_rows
from klean.domain.errors import ValidationError

JSONL_SUFFIXES = (".jsonl", ".ndjson")
PARQUET_SUFFIXES = (".parquet", ".parq", ".pq")
DEFAULT_CHUNK_ROWS = 20_000
_BLOCK = 8 << 20


@dataclass(frozen=True)
class Chunk:
    file_index: int
    chunk_index: int
    path: str
    kind: str  # "jsonl" | "parquet"
    start: int  # jsonl: byte offset; parquet: row group
    end: int  # jsonl: byte offset (exclusive); parquet: row group + 1
    first_row: int  # 1-based line (jsonl) or row (parquet) number of the chunk's first row
    rows: int  # lines (jsonl, blank ones included) or rows (parquet)

    @property
    def id(self) -> str:
        return f"{self.file_index:05d}-{self.chunk_index:06d}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _kind(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    if name.endswith(JSONL_SUFFIXES):
        return "jsonl"
    return None


def input_files(path: Path) -> list[tuple[Path, str]]:
    """The part files of an input, sorted by name; hidden and _-prefixed files (markers) are skipped."""
    if not path.exists():
        raise ValidationError(f"{path}: no such file or folder", field="input")
    if path.is_file():
        kind = _kind(path)
        if kind is None:
            raise ValidationError(f"{path}: not a .jsonl or .parquet file", field="input")
        return [(path, kind)]
    found = [(p, _kind(p)) for p in sorted(path.rglob("*")) if p.is_file()
             and not any(part.startswith((".", "_")) for part in p.relative_to(path).parts)]
    files = [(p, k) for p, k in found if k is not None]
    if not files:
        raise ValidationError(f"{path}: no .jsonl or .parquet part files in this folder", field="input")
    if len({k for _, k in files}) > 1:
        raise ValidationError(f"{path}: mixes JSONL and Parquet part files", field="input")
    return files


def _jsonl_chunks(file_index: int, path: Path, chunk_rows: int) -> Iterator[Chunk]:
    """Cut at every chunk_rows-th newline, scanning the bytes once without decoding them."""
    size = path.stat().st_size
    start, first_line, lines, index, offset = 0, 1, 0, 0, 0
    with path.open("rb") as f:
        while block := f.read(_BLOCK):
            pos = 0
            while True:
                need = chunk_rows - lines
                count = block.count(b"\n", pos)
                if count < need:
                    lines += count
                    break
                for _ in range(need):
                    pos = block.index(b"\n", pos) + 1
                end = offset + pos
                yield Chunk(file_index, index, str(path), "jsonl", start, end, first_line, chunk_rows)
                index, start, first_line, lines = index + 1, end, first_line + chunk_rows, 0
            offset += len(block)
    if start < size:
        tail_lines = lines + 1  # the last line may lack its newline
        yield Chunk(file_index, index, str(path), "jsonl", start, size, first_line, tail_lines)


def _parquet_chunks(file_index: int, path: Path) -> Iterator[Chunk]:
    meta = pq.ParquetFile(path).metadata
    first = 1
    for rg in range(meta.num_row_groups):
        n = meta.row_group(rg).num_rows
        yield Chunk(file_index, rg, str(path), "parquet", rg, rg + 1, first, n)
        first += n


def plan_chunks(path: Path, *, chunk_rows: int = DEFAULT_CHUNK_ROWS) -> list[Chunk]:
    """Every chunk of the input, in input order."""
    chunks: list[Chunk] = []
    for i, (p, kind) in enumerate(input_files(path)):
        chunks.extend(_jsonl_chunks(i, p, chunk_rows) if kind == "jsonl" else _parquet_chunks(i, p))
    return chunks


def fingerprint(path: Path) -> list[dict[str, Any]]:
    """Names, sizes and modification times of the input files: a resumed scan must see the same input."""
    return [{"path": str(p), "size": p.stat().st_size, "mtime_ns": p.stat().st_mtime_ns}
            for p, _ in input_files(path)]


_LONG_DIGITS = re.compile(r"\d{19}")
_LONG_ASCII_DIGITS = re.compile(rb"[0-9]{19}")  # JSON numbers are ASCII: one scan of a whole chunk's bytes


def json_loads(raw: str | bytes, *, long_digits: bool = True) -> Any:
    """orjson's decoder (a few times faster than the standard library's, per catalog row), with the standard
    library's results: a line orjson refuses (NaN, lone surrogates, bad bytes) or one with a number of 19 digits
    or more (orjson turns integers past 64 bits into floats) is decoded by the standard library, so what counts as
    JSON, big integers and the error messages stay as they were. `long_digits=False` says the caller knows the
    line has no run of 19 digits."""
    if isinstance(raw, bytes) or (long_digits and _LONG_DIGITS.search(raw)):
        return json.loads(raw)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)


BLANK = object()  # what decode_line gives for a blank line: skipped, not a row


def decode_line(raw: str | bytes, label: str, n: int, *, long_digits: bool = True) -> Any:
    """One JSONL line: the decoded value, BLANK, or a ValidationError naming the line (label + n, built only then)
    when it is not JSON or not UTF-8 text."""
    try:
        return json_loads(raw, long_digits=long_digits)
    except json.JSONDecodeError as exc:
        if not raw.strip():
            return BLANK
        return ValidationError(f"{label}{n}: not JSON ({exc.msg})", field="(not JSON)")
    except UnicodeDecodeError:
        return ValidationError(f"{label}{n}: not UTF-8 text", field="(not UTF-8)")


def read_chunk(chunk: Chunk, *, batch_rows: int = 8192) -> Iterator[tuple[str, int, Any]]:
    """(label, line or row number, decoded row or the ValidationError why it is not one) for each row of the
    chunk; the row's place is label + number ("catalog.jsonl line 12"), built only when a row is rejected."""
    name = os.path.basename(chunk.path)
    if chunk.kind == "jsonl":
        label = f"{name} line "
        with open(chunk.path, "rb") as f:
            f.seek(chunk.start)
            data = f.read(chunk.end - chunk.start)
        long_digits = _LONG_ASCII_DIGITS.search(data) is not None  # else no line needs the per-line check
        try:  # decoding the chunk at once is faster; a chunk with a bad byte is decoded line by line
            lines: list[str] | list[bytes] = data.decode("utf-8").split("\n")
        except UnicodeDecodeError:
            lines = data.split(b"\n")
        del data
        for n, raw in enumerate(lines, chunk.first_row):
            value = decode_line(raw, label, n, long_digits=long_digits)
            if value is not BLANK:
                yield label, n, value
        return
    label = f"{name} row "
    pf = pq.ParquetFile(chunk.path)
    n = chunk.first_row
    for batch in pf.iter_batches(batch_size=batch_rows, row_groups=list(range(chunk.start, chunk.end))):
        for row in arrow_rows(batch):
            yield label, n, row
            n += 1

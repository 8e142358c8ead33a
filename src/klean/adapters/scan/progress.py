"""A progress bar on a terminal (rows/s, ETA), nothing otherwise; and the end-of-scan summary."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from klean.adapters.metrics import SCAN_PROGRESS, SCAN_ROWS
from klean.adapters.scan.job import ScanStats


def _clock(seconds: float) -> str:
    s = int(max(seconds, 0))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


class Progress:
    """Redrawn in place at most a few times a second; off (silent) when the stream is not a terminal."""

    def __init__(self, total: int, *, stream: TextIO | None = None, enabled: bool | None = None,
                 already: int = 0) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.total = max(total, 1)
        self.done = already
        self._base = already  # rows finished by an earlier run do not count towards the speed
        self._start = time.monotonic()
        self._drawn = 0.0
        SCAN_PROGRESS.set(min(already / self.total, 1.0))

    def advance(self, rows: int) -> None:
        self.done += rows
        SCAN_ROWS.labels("processed").inc(rows)  # Prometheus sees scans even when no terminal does
        SCAN_PROGRESS.set(min(self.done / self.total, 1.0))
        now = time.monotonic()
        if self.enabled and (now - self._drawn >= 0.2 or self.done >= self.total):
            self._drawn = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        elapsed = max(now - self._start, 1e-9)
        rate = (self.done - self._base) / elapsed
        frac = min(self.done / self.total, 1.0)
        bar = "#" * int(frac * 30)
        eta = (self.total - self.done) / rate if rate > 0 else 0.0
        self.stream.write(f"\r[{bar:<30}] {frac:6.1%} {self.done:,}/{self.total:,} rows  {rate:,.0f} rows/s  "
                          f"ETA {_clock(eta)} ")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self._draw(time.monotonic())
            self.stream.write("\n")
            self.stream.flush()


def render_summary(stats: ScanStats, *, seconds: float | None = None, output: str = "", top: int = 5) -> str:
    lines = [f"scanned {stats.rows:,} rows: {stats.screened:,} screened, {stats.rejected:,} rejected"
             + (f", {stats.skipped:,} not affected (skipped)" if stats.skipped else "")
             + (f" in {seconds:.1f} s ({stats.rows / seconds:,.0f} rows/s)" if seconds else "")]
    if stats.screened:
        lines.append("decisions: " + ", ".join(f"{d} {stats.decisions.get(d, 0):,}"
                                               for d in ("allow", "review", "block")))
    if stats.brands:
        lines.append("top brands (flagged listings): " + ", ".join(
            f"{b} {n:,}" for b, n in stats.brands.most_common(top)))
    if stats.signals:
        lines.append("top signals (flagged listings): " + ", ".join(
            f"{s} {n:,}" for s, n in stats.signals.most_common(top)))
    if stats.rejected:
        lines.append("rejected rows by reason:")
        for reason, n in stats.reject_reasons.most_common():
            lines.append(f"  {reason}: {n:,}")
            lines.extend(f"    e.g. {sample}" for sample in stats.reject_samples.get(reason, []))
    if output:
        lines.append(f"results: {output}")
    return "\n".join(lines)

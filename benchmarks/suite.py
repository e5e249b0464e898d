"""The one benchmark suite: every speed claim of siteopt measured side by side with its peer.

Each ``benchmarks/bench_*.py`` module that takes part exposes ``suite_rows(repeats: int) ->
list[SuiteRow]``; ``python -m benchmarks`` collects them into ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class SuiteRow:
    """One measured task: siteopt's median time against its peer's on the same input."""

    task: str
    siteopt_s: float
    peer: str
    peer_s: float | None
    same_answer: bool | None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """Peer time over siteopt time (above 1: siteopt is faster)."""
        if self.peer_s is None or self.siteopt_s <= 0:
            return None
        return self.peer_s / self.siteopt_s


def median_time(func: Callable[[], T], repeats: int) -> tuple[float, T]:
    """Median wall time of ``repeats`` calls (seconds) and the last call's result."""
    times: list[float] = []
    result = func()  # warm-up: imports and caches are not what a row measures
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def machine() -> str:
    """One line naming the processor, cores, OS and Python."""
    processor = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                processor = f"{processor}, {line.split(':', 1)[1].strip()}"
                break
    return (
        f"{processor}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def timing_table(rows: dict[str, list[float]]) -> list[str]:
    """Markdown lines: the machine, then a median / min / max row of seconds per step."""
    lines = [
        f"Machine: {platform.platform()}, Python {sys.version.split()[0]}, {os.cpu_count()} cores.",
        "",
        "| step | median s | min s | max s |",
        "|---|---:|---:|---:|",
    ]
    for name, values in rows.items():
        median = statistics.median(values)
        lines.append(f"| {name} | {median:.2f} | {min(values):.2f} | {max(values):.2f} |")
    return lines

"""Benchmark: wall time of the business-case outputs of the default instance.

Run with ``python -m benchmarks.bench_export``. Solves ``instances/bch-2015.toml`` once (not
timed), then times, over several repeats in this one run, gathering the export data and writing
each format alone and all formats together; writes ``benchmarks/RESULTS-export.md`` (medians).
The issue's target: every output of the default instance in at most 10 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.suite import timing_table
from siteopt.instance.loading import load_instance
from siteopt.optimise.result import Result
from siteopt.optimise.solve import solve
from siteopt.outputs.data import ExportData, export_data
from siteopt.outputs.write import FORMATS, write_outputs

INSTANCE = Path(__file__).resolve().parents[1] / "instances" / "bch-2015.toml"
RESULTS = Path(__file__).with_name("RESULTS-export.md")


def _fresh_data(payload: dict[str, object]) -> tuple[ExportData, float]:
    started = time.perf_counter()
    data = export_data(Result.from_dict(payload, instance=load_instance(INSTANCE)))
    return data, time.perf_counter() - started


def _write_seconds(data: ExportData, formats: tuple[str, ...]) -> float:
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        write_outputs(data, Path(folder) / "out", formats=formats)
        return time.perf_counter() - started


def _cli_seconds(saved: Path, out: Path) -> float:
    """Wall time of `siteopt export` in a new process (imports and cold caches included)."""
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from siteopt.cli import entry_point; entry_point()",
            "export",
            str(saved),
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    """Time the outputs and write the Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    payload = solve(load_instance(INSTANCE)).to_dict()
    names = ("data", *FORMATS, "all", "total", "cli")
    rows: dict[str, list[float]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory() as folder:
        saved = Path(folder) / "solution.json"
        saved.write_text(json.dumps(payload | {"instance_file": str(INSTANCE)}), encoding="utf-8")
        for _ in range(args.repeats):
            rows["cli"].append(_cli_seconds(saved, Path(folder) / "out"))
    for _ in range(args.repeats):
        for fmt in FORMATS:  # each alone, on fresh data (the GIS layers are cached per object)
            data, _ = _fresh_data(payload)
            rows[fmt].append(_write_seconds(data, (fmt,)))
        data, gather = _fresh_data(payload)
        rows["data"].append(gather)
        every = _write_seconds(data, FORMATS)
        rows["all"].append(every)
        rows["total"].append(gather + every)
    lines = [
        "# Business-case outputs: wall time (default instance)",
        "",
        f"`python -m benchmarks.bench_export --repeats {args.repeats}`; median of the repeats, "
        "seconds. `data` gathers the export data (problem data from cached travel times, LSOA "
        "results, staffing); each format row writes that format alone (GIS layers included "
        "where it needs them); `total` is `data` plus writing every format in one call, in the "
        "process that solved (as `siteopt solve --out` does: travel times and problem data "
        "already in memory); `cli` is `siteopt export solution.json --out DIR` (every format) "
        "in a new process, imports and cache reads included.",
        "",
        *timing_table(rows),
    ]
    target = max(statistics.median(rows["total"]), statistics.median(rows["cli"]))
    lines += ["", f"Target ≤ 10 s for every output: {'met' if target <= 10 else 'NOT met'}."]
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

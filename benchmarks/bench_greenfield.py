"""Greenfield site search at 5, 2.5 and 1 km grids, one room and up to two, end to end.

``python -m benchmarks.bench_greenfield [--repeats 3] [--before DIR]`` writes
``benchmarks/RESULTS-greenfield.md`` (``--before``: a checkout of older code, e.g. ``git archive
main | tar -x -C DIR``, run row by row beside this one); ``python -m benchmarks --only
greenfield`` adds its rows to ``RESULTS.md``. Each row is
``siteopt solve --json`` of ``instances/bch-greenfield.toml`` with ``[sites.greenfield] grid_km``
and ``[solver] k_max`` changed (a variant file with ``extends``), each run a fresh process, as a
user runs it: seconds are the wall time of the process (median of the repeats, after one
untimed run that warms the travel-time cache), peak MB its largest resident memory. Target
(issue #21): 1 km grid, one room ≤ 5 s and ≤ 500 MB; two rooms ≤ 15 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.suite import SuiteRow, machine
from siteopt.atomic import atomic_write_text

REPO = Path(__file__).resolve().parents[1]
BASE = REPO / "instances" / "bch-greenfield.toml"
RESULTS = Path(__file__).with_name("RESULTS-greenfield.md")

#: (grid km, most rooms) of each row, in table order.
CASES = ((5.0, 1), (5.0, 2), (2.5, 1), (2.5, 2), (1.0, 1), (1.0, 2))

#: Targets of issue #21: (seconds, peak MB or None) by (grid km, most rooms).
TARGETS: dict[tuple[float, int], tuple[float, float | None]] = {
    (1.0, 1): (5.0, 500.0),
    (1.0, 2): (15.0, None),
}


@dataclass(frozen=True)
class Measured:
    """Timed runs of one row by one version of the code: median seconds, largest peak, answer."""

    seconds: float
    cpu_s: float
    peak_mb: float
    objective_gbp: float | None
    sites: tuple[str, ...]

    def same_answer(self, other: Measured) -> bool:
        """Whether both found the same optimum (objective and sites)."""
        return (self.objective_gbp, self.sites) == (other.objective_gbp, other.sites)


@dataclass(frozen=True)
class Run:
    """One row: this code's measurement and, when asked for, the code before's."""

    grid_km: float
    k_max: int
    candidates: int
    now: Measured
    before: Measured | None = None

    @property
    def target(self) -> str:
        """The issue's target for this row (``—``: none)."""
        goal = TARGETS.get((self.grid_km, self.k_max))
        if goal is None:
            return "—"
        seconds, mb = goal
        return f"≤ {seconds:g} s" + (f", ≤ {mb:g} MB" if mb is not None else "")

    @property
    def met(self) -> bool | None:
        """Whether the row meets its target (``None``: it has none)."""
        goal = TARGETS.get((self.grid_km, self.k_max))
        if goal is None:
            return None
        seconds, mb = goal
        return self.now.seconds <= seconds and (mb is None or self.now.peak_mb <= mb)


def variant(folder: Path, grid_km: float, k_max: int) -> Path:
    """A variant of the greenfield instance with this grid and most rooms."""
    path = folder / f"greenfield-{grid_km:g}km-k{k_max}.toml"
    path.write_text(
        f'extends = "{BASE.as_posix()}"\n'
        f'name = "BCH greenfield {grid_km:g} km, up to {k_max} room(s)"\n'
        f"[sites.greenfield]\ngrid_km = {grid_km}\n"
        f"[solver]\nk_min = 1\nk_max = {k_max}\n",
        encoding="utf-8",
    )
    return path


#: The measured process: ``siteopt solve --json`` (stdout to a file), then its peak memory.
#: Run with ``-c`` so that ``siteopt`` is imported from ``PYTHONPATH`` (this code or the code
#: before), not from the working folder.
CHILD = """
import json, resource, sys
from contextlib import redirect_stdout
from siteopt.cli import main
with open(sys.argv[2], "w", encoding="utf-8") as handle, redirect_stdout(handle):
    code = main(["solve", sys.argv[1], "--json"])
usage = resource.getrusage(resource.RUSAGE_SELF)
cpu = usage.ru_utime + usage.ru_stime
summary = {"code": code, "peak_mb": usage.ru_maxrss / 1024, "cpu_s": cpu}
with open(sys.argv[3], "w", encoding="utf-8") as handle:
    json.dump(summary, handle)
"""


def _one(instance: Path, folder: Path, code: Path) -> tuple[float, float, float, dict[str, Any]]:
    """Wall seconds, CPU seconds, peak MB and the JSON answer of one fresh ``solve`` process."""
    answer, summary = folder / "answer.json", folder / "summary.json"
    env = {**os.environ, "PYTHONPATH": str(code)}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", CHILD, str(instance), str(answer), str(summary)],
        check=True,
        cwd=folder,
        env=env,
    )
    wall = time.perf_counter() - started
    usage = json.loads(summary.read_text(encoding="utf-8"))
    answer_json: dict[str, Any] = json.loads(answer.read_text(encoding="utf-8"))
    return wall, float(usage["cpu_s"]), float(usage["peak_mb"]), answer_json


def _measured(instance: Path, folder: Path, code: Path, repeats: int) -> Measured:
    """One warm-up process (fills the travel-time cache), then ``repeats`` timed ones."""
    _one(instance, folder, code)
    walls, cpus, peaks = [], [], []
    answer: dict[str, Any] = {}
    for _ in range(max(1, repeats)):
        wall, cpu, peak, answer = _one(instance, folder, code)
        walls.append(wall)
        cpus.append(cpu)
        peaks.append(peak)
    objective = answer.get("objective_gbp")
    return Measured(
        seconds=statistics.median(walls),
        cpu_s=statistics.median(cpus),
        peak_mb=max(peaks),
        objective_gbp=float(objective) if objective is not None else None,
        sites=tuple(str(s["id"]) for s in answer.get("sites") or []),
    )


def _candidates(instance: Path) -> int:
    from siteopt.instance.loading import load_instance  # noqa: PLC0415 (lazy: heavy)

    return len(load_instance(instance).candidate_ids())


def measure(repeats: int, before: Path | None = None, before_repeats: int = 1) -> list[Run]:
    """Every row of :data:`CASES`, with this code and (``before``: a checkout) the code before."""
    runs = []
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        for grid_km, k_max in CASES:
            instance = variant(folder, grid_km, k_max)
            runs.append(
                Run(
                    grid_km=grid_km,
                    k_max=k_max,
                    candidates=_candidates(instance),
                    now=_measured(instance, folder, REPO, repeats),
                    before=(
                        _measured(instance, folder, before, before_repeats)
                        if before is not None
                        else None
                    ),
                )
            )
    return runs


def _met(run: Run) -> str:
    return {True: "met", False: "**not met**", None: "—"}[run.met]


def _mb(value: float) -> str:
    return f"{value:,.0f}"


def results_text(runs: list[Run], repeats: int, before: str | None) -> str:
    """The RESULTS-greenfield.md text."""
    lines = [
        "# Greenfield grid: seconds and memory of `siteopt solve`, end to end",
        "",
        "`python -m benchmarks.bench_greenfield` — `instances/bch-greenfield.toml` with "
        "`grid_km` and `k_max` changed; each run a fresh `siteopt solve --json` process (imports, "
        "instance, travel matrices from the warm cache, problem build, enumeration, why-not, "
        f"cost surface); seconds: median wall time of {repeats} runs after a warm-up run (CPU s: "
        "user + system time of the process, which other work on the cores does not inflate); "
        "peak MB: the largest resident memory of those runs. Target (issue #21): 1 km grid, "
        "one room ≤ 5 s and ≤ 500 MB; two rooms ≤ 15 s.",
        "",
    ]
    if before is not None:
        lines += [
            f"Before: {before}, run in the same session one row after the other (one timed "
            "run after a warm-up); same answer = the same optimum (objective and sites).",
            "",
        ]
    lines += [
        f"Machine: {machine()} (shared with other work while it ran).",
        "",
        "| grid | rooms | candidates | seconds | CPU s | peak MB | before s | before CPU s | "
        "before MB | faster | same answer | optimum a year | sites | target | |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|---|---|",
    ]
    for run in runs:
        now, old = run.now, run.before
        cost = f"£{now.objective_gbp:,.0f}" if now.objective_gbp is not None else "—"
        prior = ["—"] * 5
        if old is not None:
            same = "yes" if now.same_answer(old) else "**NO**"
            speedup = f"{old.seconds / now.seconds:.1f}×"
            prior = [f"{old.seconds:.2f}", f"{old.cpu_s:.2f}", _mb(old.peak_mb), speedup, same]
        cells = [
            f"{run.grid_km:g} km",
            f"≤ {run.k_max}",
            f"{run.candidates:,}",
            f"{now.seconds:.2f}",
            f"{now.cpu_s:.2f}",
            _mb(now.peak_mb),
            *prior,
            cost,
            ", ".join(now.sites) or "—",
            run.target,
            _met(run),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def suite_rows(repeats: int) -> list[SuiteRow]:
    """One row per grid and number of rooms (no peer: the issue's targets are in the note)."""
    runs = measure(repeats)
    return [
        SuiteRow(
            task=f"greenfield {run.grid_km:g} km grid ({run.candidates:,} candidates), "
            f"≤ {run.k_max} room(s), solve end to end",
            siteopt_s=run.now.seconds,
            peer="—",
            peer_s=None,
            same_answer=None,
            note=f"median of {repeats} fresh processes; peak {run.now.peak_mb:.0f} MB; "
            f"target {run.target}: {_met(run)}",
        )
        for run in runs
    ]


def main(argv: list[str] | None = None) -> int:
    """Run the rows and write RESULTS-greenfield.md."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_greenfield")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per row (median)")
    parser.add_argument(
        "--before",
        type=Path,
        help="a checkout of the code to compare with (git archive <commit> | tar -x -C DIR)",
    )
    parser.add_argument("--before-label", default=None, help="how to name it (e.g. a commit)")
    args = parser.parse_args(argv)
    runs = measure(args.repeats, args.before)
    label = (args.before_label or str(args.before)) if args.before is not None else None
    text = results_text(runs, args.repeats, label)
    atomic_write_text(RESULTS, text)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Greenfield site search at 5, 2.5 and 1 km grids, one room and up to two, end to end.

``python -m benchmarks.bench_greenfield [--repeats 3]`` writes ``benchmarks/RESULTS-greenfield.md``;
``python -m benchmarks --only greenfield`` adds its rows to ``RESULTS.md``. Each row is
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
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path

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
class Run:
    """One row: the median wall seconds and the largest peak of its timed runs, and the answer."""

    grid_km: float
    k_max: int
    candidates: int
    seconds: float
    peak_mb: float
    objective_gbp: float | None
    sites: tuple[str, ...]

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
        return self.seconds <= seconds and (mb is None or self.peak_mb <= mb)


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


def child(instance: Path, out: Path) -> int:
    """In the measured process: ``siteopt solve --json``, then its answer and peak memory."""
    from siteopt.cli import main as cli  # noqa: PLC0415 (lazy: what the run measures)

    with (
        out.with_suffix(".solve.json").open("w", encoding="utf-8") as handle,
        redirect_stdout(handle),
    ):
        code = cli(["solve", str(instance), "--json"])
    answer = json.loads(out.with_suffix(".solve.json").read_text(encoding="utf-8"))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    summary = {
        "code": code,
        "peak_mb": peak,
        "objective_gbp": answer.get("objective_gbp"),
        "sites": [s["id"] for s in answer.get("sites") or []],
    }
    out.write_text(json.dumps(summary), encoding="utf-8")
    return 0


def _one(instance: Path, folder: Path) -> tuple[float, dict[str, object]]:
    """Wall seconds and summary of one fresh ``solve`` process."""
    out = folder / "summary.json"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_greenfield", "--child", str(instance), str(out)],
        check=True,
        cwd=REPO,
        env=env,
    )
    wall = time.perf_counter() - started
    summary: dict[str, object] = json.loads(out.read_text(encoding="utf-8"))
    return wall, summary


def _candidates(instance: Path) -> int:
    from siteopt.instance.loading import load_instance  # noqa: PLC0415 (lazy: heavy)

    return len(load_instance(instance).candidate_ids())


def measure(repeats: int) -> list[Run]:
    """Every row of :data:`CASES`: one warm-up process, then ``repeats`` timed ones."""
    runs = []
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        for grid_km, k_max in CASES:
            instance = variant(folder, grid_km, k_max)
            _one(instance, folder)  # warm the travel-time cache
            walls, peaks = [], []
            summary: dict[str, object] = {}
            for _ in range(max(1, repeats)):
                wall, summary = _one(instance, folder)
                walls.append(wall)
                peaks.append(float(summary["peak_mb"]))  # type: ignore[arg-type]
            objective = summary.get("objective_gbp")
            sites = summary.get("sites") or []
            runs.append(
                Run(
                    grid_km=grid_km,
                    k_max=k_max,
                    candidates=_candidates(instance),
                    seconds=statistics.median(walls),
                    peak_mb=max(peaks),
                    objective_gbp=float(objective) if isinstance(objective, int | float) else None,
                    sites=tuple(str(s) for s in sites) if isinstance(sites, list) else (),
                )
            )
    return runs


def _met(run: Run) -> str:
    return {True: "met", False: "**not met**", None: "—"}[run.met]


def results_text(runs: list[Run], repeats: int) -> str:
    """The RESULTS-greenfield.md text."""
    lines = [
        "# Greenfield grid: seconds and memory of `siteopt solve`, end to end",
        "",
        "`python -m benchmarks.bench_greenfield` — `instances/bch-greenfield.toml` with "
        "`grid_km` and `k_max` changed; each run a fresh `siteopt solve --json` process (imports, "
        "instance, travel matrices from the warm cache, problem build, enumeration, why-not, "
        f"cost surface); seconds: median of {repeats} runs after a warm-up run; peak MB: the "
        "largest resident memory of those runs. Target (issue #21): 1 km grid, one room ≤ 5 s "
        "and ≤ 500 MB; two rooms ≤ 15 s.",
        "",
        f"Machine: {machine()} (shared with other work while it ran).",
        "",
        "| grid | rooms | candidates | seconds | peak MB | optimum a year | sites | target | |",
        "|---|---:|---:|---:|---:|---:|---|---|---|",
    ]
    for run in runs:
        cost = f"£{run.objective_gbp:,.0f}" if run.objective_gbp is not None else "—"
        lines.append(
            f"| {run.grid_km:g} km | ≤ {run.k_max} | {run.candidates:,} | {run.seconds:.2f} | "
            f"{run.peak_mb:.0f} | {cost} | {', '.join(run.sites) or '—'} | {run.target} | "
            f"{_met(run)} |"
        )
    return "\n".join(lines) + "\n"


def suite_rows(repeats: int) -> list[SuiteRow]:
    """One row per grid and number of rooms (no peer: the issue's targets are in the note)."""
    runs = measure(repeats)
    return [
        SuiteRow(
            task=f"greenfield {run.grid_km:g} km grid ({run.candidates:,} candidates), "
            f"≤ {run.k_max} room(s), solve end to end",
            siteopt_s=run.seconds,
            peer="—",
            peer_s=None,
            same_answer=None,
            note=f"peak {run.peak_mb:.0f} MB; target {run.target}: {_met(run)}",
        )
        for run in runs
    ]


def main(argv: list[str] | None = None) -> int:
    """Run the rows and write RESULTS-greenfield.md (or, with ``--child``, one measured run)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_greenfield")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per row (median)")
    parser.add_argument("--child", nargs=2, metavar=("INSTANCE", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(Path(args.child[0]), Path(args.child[1]))
    runs = measure(args.repeats)
    text = results_text(runs, args.repeats)
    atomic_write_text(RESULTS, text)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Sweep throughput: 1,000 scenarios of the BCH default, locally and through a Dask scheduler.

``python -m benchmarks.bench_sweep`` runs ``instances/sweeps/bch-monte-carlo.toml`` (1,000
draws, k ≤ 2) end to end (validation, shared travel matrices, solving, store, report) twice in
one run: with the default local cluster (one worker per core) and through the address of a
separately started 2-worker ``LocalCluster``, and writes ``benchmarks/RESULTS-sweep.md``.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.suite import SuiteRow
from siteopt.optimise.solve import solve
from siteopt.sweep.run import run_sweep
from siteopt.sweep.spec import Sweep, load_sweep

REPO = Path(__file__).resolve().parents[1]
SWEEP = REPO / "instances" / "sweeps" / "bch-monte-carlo.toml"
RESULTS = Path(__file__).with_name("RESULTS-sweep.md")


def _timed_sweep(file: Path, scheduler: str | None, draws: int | None = None) -> tuple[float, int]:

    started = time.perf_counter()
    sweep = load_sweep(file)
    if draws is not None:
        sweep = Sweep(sweep.file, sweep.spec, sweep.base, sweep.scenarios[:draws], sweep.digest)
    with tempfile.TemporaryDirectory() as folder:
        run = run_sweep(sweep, Path(folder) / "out", scheduler=scheduler, progress=False)
    assert run.lost == 0 and run.ran == len(sweep.scenarios)
    return time.perf_counter() - started, run.ran


def _with_dask_cluster(file: Path, draws: int | None = None) -> tuple[float, int]:
    import distributed  # noqa: PLC0415 (lazy: distributed is slow to import)

    dist: Any = distributed
    with dist.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=50
    ) as cluster:
        return _timed_sweep(file, cluster.scheduler_address, draws)


def _naive(file: Path, draws: int) -> tuple[float, list[str]]:
    """One process, ``solve`` per scenario, nothing shared (the peer)."""

    sweep = load_sweep(file)
    started = time.perf_counter()
    chosen = []
    for scenario in sweep.scenarios[:draws]:
        solution = solve(scenario.instance, method="enumerate").solution
        chosen.append("+".join(sorted(solution.site_ids)) if solution is not None else "")
    return time.perf_counter() - started, chosen


def suite_rows(repeats: int) -> list[SuiteRow]:
    """100 scenarios: the sweep (local cluster) against a naive serial loop of solve."""
    import pyarrow.parquet as pq  # noqa: PLC0415 (lazy: pyarrow is slow to import)

    draws = 100
    sweep_times, naive_times = [], []
    same = True
    for _ in range(repeats):
        sweep_times.append(_timed_sweep(SWEEP, None, draws)[0])
        wall, chosen = _naive(SWEEP, draws)
        naive_times.append(wall)
    full = load_sweep(SWEEP)
    sub = Sweep(full.file, full.spec, full.base, full.scenarios[:draws], full.digest)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "out"
        run_sweep(sub, out, progress=False, report=False)
        table = pq.read_table(out / "results", columns=["index", "option"]).to_pylist()
        by_index = {r["index"]: r["option"] for r in table}
        same = [by_index[i] for i in range(draws)] == chosen
    return [
        SuiteRow(
            task=f"sweep {draws} scenarios of bch-2015 (k ≤ 2)",
            siteopt_s=statistics.median(sweep_times),
            peer="serial solve loop",
            peer_s=statistics.median(naive_times),
            same_answer=same,
            note=f"{os.cpu_count()} cores; sweep time includes cluster start and report",
        )
    ]


def main() -> None:
    """Run the 1,000-scenario benchmark and write the Markdown table."""
    local_s, n = _timed_sweep(SWEEP, None)
    dask_s, _ = _with_dask_cluster(SWEEP)
    rows = [
        ("local (default: LocalCluster, one worker per core)", local_s),
        ("--scheduler: external 2-worker LocalCluster", dask_s),
    ]
    lines = [
        "# Sweep benchmark",
        "",
        f"{n} Monte-Carlo scenarios of `instances/bch-2015.toml` (k ≤ 2, exact enumeration), "
        f"`{SWEEP.relative_to(REPO)}`, end to end: validation, shared travel matrices, solving, "
        f"Parquet store and report. {os.cpu_count()} cores; both runs in one process, one after "
        "the other. Target: ≤ 120 s.",
        "",
        "| executor | wall (s) | scenarios/s |",
        "|---|---|---|",
        *[f"| {name} | {wall:.1f} | {n / wall:.1f} |" for name, wall in rows],
        "",
    ]
    RESULTS.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

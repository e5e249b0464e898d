"""Sweep throughput: the BCH Monte-Carlo sweep per core, and 1,000 scenarios end to end.

``python -m benchmarks.bench_sweep`` runs ``instances/sweeps/bch-monte-carlo.toml`` (k ≤ 2,
exact enumeration) and writes ``benchmarks/RESULTS-sweep.md``:

- **per core**: one process solving the sweep's batches as a worker does (each batch pickled
  and unpickled, so every scenario is validated in the process, then solved with the batch's
  shared inputs), the same with the instances validated before the clock (solving only), and
  the naive serial loop (validate, then ``solve`` each scenario, nothing shared), side by side
  in one run; scenarios per second of process CPU time and of wall time. The two batched paths
  run after a warm-up (first imports), alternately, :data:`PER_CORE_REPEATS` times each (the
  median is shown). All give the same plan for every scenario (checked).
- **end to end**: all 1,000 scenarios through ``run_sweep`` (validation, travel inputs, solving
  on the workers, Parquet store, report) with the default local cluster (one worker per core),
  and through the address of a separately started 2-worker ``LocalCluster``.

The machine is shared: the load average is recorded beside the numbers, and CPU time (not
wall) is the per-core measure.
"""

from __future__ import annotations

import os
import pickle
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.suite import SuiteRow, machine
from siteopt.optimise.solve import solve
from siteopt.sweep.batch import TRAVEL_PATHS, Batch, params_key, run_batch, shared_travel
from siteopt.sweep.run import batches_of, run_sweep
from siteopt.sweep.spec import Scenario, Sweep, load_sweep

REPO = Path(__file__).resolve().parents[1]
SWEEP = REPO / "instances" / "sweeps" / "bch-monte-carlo.toml"
RESULTS = Path(__file__).with_name("RESULTS-sweep.md")

#: Scenarios of the per-core comparison (the naive loop runs at ~10 a second).
PER_CORE_DRAWS = 300

#: Timed runs of each batched path (alternating; the median is reported): the machine is shared.
PER_CORE_REPEATS = 3

#: Scenarios of the warm-up run of each batched path before the clock (first imports and uses).
WARM_UP_DRAWS = 25

#: Per-core target of issue #21 (scenarios a second of CPU, validation included).
TARGET_PER_CORE = 80.0


def _fresh(scenarios: tuple[Scenario, ...]) -> tuple[Scenario, ...]:
    """The scenarios as a worker receives them: pickled without their validated instances."""
    fresh: tuple[Scenario, ...] = pickle.loads(pickle.dumps(scenarios))
    return fresh


def _one_process(
    sweep: Sweep, draws: int, *, validated: bool = False
) -> tuple[float, float, list[str]]:
    """CPU and wall seconds of one process solving ``draws`` scenarios in the sweep's batches.

    ``validated``: the scenarios' instances are built before the clock starts (solving only);
    else each batch is pickled as for a worker, which validates its scenarios.
    """
    todo = sweep.scenarios[:draws]
    firsts: dict[str, Scenario] = {}
    for scenario in todo:  # as the client: travel inputs of one scenario per travel overrides
        firsts.setdefault(params_key(scenario, TRAVEL_PATHS), scenario)
    travel = shared_travel(list(firsts.values()))
    groups = batches_of(todo, sweep.spec.batch_size)
    if validated:
        instances = [s.instance for s in todo]
        assert len(instances) == draws
    batches = [
        Batch(
            tuple(b) if validated else _fresh(tuple(b)), sweep.spec.method, sweep.spec.time_limit_s
        )
        for b in groups
    ]
    cpu, wall = time.process_time(), time.perf_counter()
    rows = [row for batch in batches for row in run_batch(batch, travel)]
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    by_index = {r["index"]: r["option"] or "" for r in rows}
    return cpu, wall, [by_index[s.index] for s in todo]


def _naive(sweep: Sweep, draws: int) -> tuple[float, float, list[str]]:
    """CPU and wall seconds of the serial loop: validate, then ``solve`` each scenario alone."""
    todo = _fresh(sweep.scenarios[:draws])
    cpu, wall = time.process_time(), time.perf_counter()
    chosen = []
    for scenario in todo:
        solution = solve(scenario.instance, method="enumerate").solution
        chosen.append("+".join(sorted(solution.site_ids)) if solution is not None else "")
    return time.process_time() - cpu, time.perf_counter() - wall, chosen


def _timed_sweep(sweep: Sweep, scheduler: str | None, draws: int | None = None) -> float:
    """Wall seconds of ``run_sweep`` (validation, travel, solving, store and report)."""
    if draws is not None:
        sweep = Sweep(sweep.file, sweep.spec, sweep.base, sweep.scenarios[:draws], sweep.digest)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        run = run_sweep(sweep, Path(folder) / "out", scheduler=scheduler, progress=False)
    assert run.lost == 0 and run.ran == len(sweep.scenarios) and run.failed == 0
    return time.perf_counter() - started


def _with_dask_cluster(sweep: Sweep) -> float:
    import distributed  # noqa: PLC0415 (lazy: distributed is slow to import)

    dist: Any = distributed
    with dist.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=50
    ) as cluster:
        return _timed_sweep(sweep, cluster.scheduler_address)


def suite_rows(repeats: int) -> list[SuiteRow]:
    """100 scenarios in one process (as a worker) against the naive serial loop of solve."""
    draws = 100
    sweep = load_sweep(SWEEP)
    mine, naive = [], []
    same = True
    for _ in range(repeats):
        cpu, _, chosen = _one_process(sweep, draws)
        mine.append(cpu)
        cpu, _, expected = _naive(sweep, draws)
        naive.append(cpu)
        same = same and chosen == expected
    return [
        SuiteRow(
            task=f"sweep {draws} scenarios of bch-2015 (k ≤ 2), one process, CPU s",
            siteopt_s=statistics.median(mine),
            peer="serial validate + solve loop",
            peer_s=statistics.median(naive),
            same_answer=same,
            note="batches as a worker receives them (validated in the process)",
        )
    ]


def _batched_medians(
    draws: int, repeats: int
) -> tuple[tuple[float, float, list[str]], tuple[float, float, list[str]]]:
    """Median CPU and wall seconds of the worker path and the solving-only path, alternating.

    Each path runs once on :data:`WARM_UP_DRAWS` scenarios first, off the clock; each timed run
    loads the sweep afresh (its scenarios not yet validated).
    """
    _one_process(load_sweep(SWEEP), WARM_UP_DRAWS)
    _one_process(load_sweep(SWEEP), WARM_UP_DRAWS, validated=True)
    runs: dict[bool, list[tuple[float, float, list[str]]]] = {False: [], True: []}
    for _ in range(repeats):
        for validated in (False, True):
            runs[validated].append(_one_process(load_sweep(SWEEP), draws, validated=validated))
    worker, solving = (
        (
            statistics.median(r[0] for r in runs[v]),
            statistics.median(r[1] for r in runs[v]),
            runs[v][0][2],
        )
        for v in (False, True)
    )
    assert all(r[2] == worker[2] for v in (False, True) for r in runs[v])
    return worker, solving


def main() -> None:
    """Run the per-core comparison and the 1,000-scenario sweeps; write the Markdown table."""
    sweep = load_sweep(SWEEP)
    load_before = os.getloadavg()
    n = PER_CORE_DRAWS
    (batch_cpu, batch_wall, chosen), (solve_cpu, solve_wall, solved) = _batched_medians(
        n, PER_CORE_REPEATS
    )
    naive_cpu, naive_wall, expected = _naive(sweep, n)
    local_s = _timed_sweep(sweep, None)
    dask_s = _with_dask_cluster(sweep)
    load_after = os.getloadavg()
    total = len(sweep.scenarios)
    lines = [
        "# Sweep benchmark",
        "",
        f"`{SWEEP.relative_to(REPO)}`: Monte-Carlo draws of `instances/bch-2015.toml` (k ≤ 2, "
        "exact enumeration). Written by `python -m benchmarks.bench_sweep` from one run.",
        "",
        machine(),
        f"Load average (1, 5, 15 min) before: {', '.join(f'{v:.2f}' for v in load_before)}; "
        f"after: {', '.join(f'{v:.2f}' for v in load_after)}. The machine is shared with other "
        "sessions, so wall times are inflated; CPU time of the solving process is the per-core "
        "measure.",
        "",
        "## Per core: one process",
        "",
        f"{n} scenarios. *Batched*: the sweep's batches as a Dask worker receives them (pickled "
        "without their validated instances, so each scenario is validated in the process), "
        "solved with the inputs a batch shares; the travel inputs come from the client, as in a "
        "sweep. *Solving only*: the same batches with their instances validated before the "
        f"clock. Both batched rows: median of {PER_CORE_REPEATS} runs, alternating, after a "
        f"warm-up of {WARM_UP_DRAWS} scenarios each. *Naive*: validate, then "
        "`solve(instance, method='enumerate')` each scenario, nothing shared (one run). "
        f"Same plan for every scenario: {'yes' if chosen == expected == solved else 'NO'}. "
        f"Target (issue #21): ≥ {TARGET_PER_CORE:.0f} scenarios/s per core with validation: "
        f"{'met' if n / batch_cpu >= TARGET_PER_CORE else '**not met**'} "
        f"({n / batch_cpu:.1f}/s).",
        "",
        "| path | CPU s | wall s | scenarios/s per core (CPU) | scenarios/s (wall) |",
        "|---|---:|---:|---:|---:|",
        f"| batched (siteopt sweep worker) | {batch_cpu:.2f} | {batch_wall:.2f} | "
        f"{n / batch_cpu:.1f} | {n / batch_wall:.1f} |",
        f"| batched, instances validated before the clock (solving only) | {solve_cpu:.2f} | "
        f"{solve_wall:.2f} | {n / solve_cpu:.1f} | {n / solve_wall:.1f} |",
        f"| naive serial loop of `solve` | {naive_cpu:.2f} | {naive_wall:.2f} | "
        f"{n / naive_cpu:.1f} | {n / naive_wall:.1f} |",
        f"| ratio (naive / batched) | {naive_cpu / batch_cpu:.1f}× | "
        f"{naive_wall / batch_wall:.1f}× | | |",
        "",
        "## End to end",
        "",
        f"{total} scenarios through `run_sweep`: validation, shared travel inputs, solving on "
        "the workers, Parquet store and report (cluster start and close included).",
        "",
        "| executor | wall (s) | scenarios/s |",
        "|---|---:|---:|",
        f"| local (default: LocalCluster, one worker per core) | {local_s:.1f} | "
        f"{total / local_s:.1f} |",
        f"| --scheduler: external 2-worker LocalCluster | {dask_s:.1f} | {total / dask_s:.1f} |",
        "",
    ]
    RESULTS.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

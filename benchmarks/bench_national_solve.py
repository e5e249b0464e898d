"""National site optimiser: ``instances/england-regions.toml``, each number of rooms on its own.

Run ``python -m benchmarks.bench_national_solve [--time-limit 300,900] [--k 1-15]``; writes
``benchmarks/RESULTS-national-solve.md``. One process builds the problem once (43 forces, 406
candidates, 34,753 LSOAs), then solves ``k_min..k_max`` in one call by the national route
(:func:`siteopt.optimise.national.solve_pooled_by_size`: facility-location relaxation bound with
HiGHS, plan from its sites or from the previous size's plan, local search), as ``siteopt solve``
does with the instance's limit shared between the sizes, and records per size the best plan's
cost, the proven bound, the gap, the seconds and the process's peak resident memory. Target
(issue #20): gap ≤ 1 % in ≤ 10 min per k on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time
from dataclasses import replace
from pathlib import Path

from siteopt.atomic import atomic_write_text

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "RESULTS-national-solve.md"
INSTANCE = ROOT / "instances" / "england-regions.toml"


def peak_mb() -> float:
    """Peak resident memory of this process so far, MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rows(
    limits: list[float], sizes: range
) -> tuple[float, dict[float, tuple[float, list[dict[str, object]]]]]:
    """Build seconds, and per time limit: its wall seconds and one row per ``k``.

    The problem is built once; each limit is one solve over ``sizes`` (as ``siteopt solve``),
    so the rows show how the gap falls as the limit grows.
    """
    from siteopt.instance.loading import load_instance  # noqa: PLC0415 (lazy: heavy)
    from siteopt.optimise.build import problem_from_instance  # noqa: PLC0415 (lazy: heavy)
    from siteopt.optimise.national import solve_pooled_by_size  # noqa: PLC0415 (lazy: heavy)

    start = time.perf_counter()
    problem = problem_from_instance(load_instance(INSTANCE))
    build_s = time.perf_counter() - start
    ranged = replace(problem, k_min=sizes.start, k_max=sizes.stop - 1)
    out: dict[float, tuple[float, list[dict[str, object]]]] = {}
    for limit in limits:
        began = time.perf_counter()
        _, parts = solve_pooled_by_size(ranged, time_limit_s=limit)
        out[limit] = (
            time.perf_counter() - began,
            [
                {
                    "k": part.k,
                    "how": part.how,
                    "cost": part.option.total if part.option is not None else None,
                    "bound": part.bound,
                    "proved": part.proved,
                    "seconds": part.wall_s,
                    "peak_mb": peak_mb(),
                }
                for part in parts
            ],
        )
    return build_s, out


def _money(units: object) -> str:
    return "—" if not isinstance(units, int) else f"£{units / 10_000 / 1e6:,.3f}m"


def _gap(row: dict[str, object]) -> str:
    cost, bound = row["cost"], row["bound"]
    if row["how"] == "closed" or (bound is None and row["proved"]):
        return "closed"
    if isinstance(cost, int) and isinstance(bound, int):
        return f"{max(cost - bound, 0) / cost:.3%}"
    return "—"


def results_text(build_s: float, runs: dict[float, tuple[float, list[dict[str, object]]]]) -> str:
    """The RESULTS-national-solve.md tables: one per time limit, then the gaps side by side."""
    limits = sorted(runs)
    first = runs[limits[0]][1]
    lines = [
        "# National site optimiser: england-regions, cost against number of rooms",
        "",
        "`python -m benchmarks.bench_national_solve` (2 shared cores). Problem built once "
        f"({build_s:.0f} s: travel matrices from the cache, the staff-transition table); then "
        f"k = {first[0]['k']}..{first[-1]['k']} solved in one call per time limit "
        f"({', '.join(f'{t:.0f} s' for t in limits)}), the limit shared between the sizes still "
        "to settle (as `siteopt solve`). Cost: the best plan found (a priced, feasible plan); "
        "bound: proven lower bound on any plan with k rooms (the facility-location relaxation "
        "solved by HiGHS; `closed`: it proves no plan of k rooms meets the constraints); "
        "gap = (cost − bound) / cost. Peak MB: the process so far. Machine: "
        f"{platform.machine()}, {os.cpu_count()} cores, load average before "
        f"{LOAD_BEFORE[0]:.2f} / {LOAD_BEFORE[1]:.2f} / {LOAD_BEFORE[2]:.2f}.",
        "",
    ]
    for limit in limits:
        wall, table = runs[limit]
        lines += [
            f"## {limit:.0f} s for all sizes (took {wall:.0f} s)",
            "",
            "| k | cost a year | bound | gap | settled by | seconds | peak MB |",
            "|---:|---:|---:|---:|---|---:|---:|",
        ]
        lines += [
            f"| {row['k']} | {_money(row['cost'])} | {_money(row['bound'])} | {_gap(row)} | "
            f"{row['how']} | {row['seconds']:.0f} | {row['peak_mb']:.0f} |"
            for row in table
        ]
        lines.append("")
    if len(limits) > 1:
        lines += [
            "## The gap as the limit grows",
            "",
            "| k | " + " | ".join(f"gap at {t:.0f} s" for t in limits) + " |",
            "|---:|" + "---:|" * len(limits),
        ]
        for i, row in enumerate(first):
            gaps = [_gap(runs[t][1][i]) for t in limits]
            lines.append(f"| {row['k']} | " + " | ".join(gaps) + " |")
        lines.append("")
    return "\n".join(lines)


LOAD_BEFORE = os.getloadavg()


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write RESULTS-national-solve.md."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_national_solve")
    parser.add_argument(
        "--time-limit", default="300,900", help="seconds for all sizes; several: comma list"
    )
    parser.add_argument("--k", default="1-15", help="range of k, e.g. 3-15")
    args = parser.parse_args(argv)
    low, high = (int(x) for x in args.k.split("-"))
    limits = [float(t) for t in args.time_limit.split(",")]
    build_s, runs = rows(limits, range(low, high + 1))
    atomic_write_text(RESULTS, results_text(build_s, runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

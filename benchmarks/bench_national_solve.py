"""National site optimiser: ``instances/england-regions.toml``, each number of rooms on its own.

Run ``python -m benchmarks.bench_national_solve [--per-k 60] [--k 3-15]``; writes
``benchmarks/RESULTS-national-solve.md``. One process builds the problem once (43 forces, 406
candidates, 34,753 LSOAs), then solves each ``k`` alone (``k_min = k_max = k``) by the national
route (:func:`siteopt.optimise.national.solve_pooled_by_size`: facility-location relaxation
bound with HiGHS, plan from its sites and local search) with ``--per-k`` seconds, and records the
best plan's cost, the proven bound, the gap, the seconds and the process's peak resident memory
so far. Target (issue #20): gap ≤ 1 % in ≤ 10 min per k on 2 cores.
"""

from __future__ import annotations

import argparse
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


def rows(per_k: float, sizes: range) -> tuple[float, list[dict[str, object]]]:
    """Build seconds, and one row per ``k``."""
    from siteopt.instance.loading import load_instance  # noqa: PLC0415 (lazy: heavy)
    from siteopt.optimise.build import problem_from_instance  # noqa: PLC0415 (lazy: heavy)
    from siteopt.optimise.national import solve_pooled_by_size  # noqa: PLC0415 (lazy: heavy)

    start = time.perf_counter()
    problem = problem_from_instance(load_instance(INSTANCE))
    build_s = time.perf_counter() - start
    out: list[dict[str, object]] = []
    for k in sizes:
        start = time.perf_counter()
        result, parts = solve_pooled_by_size(replace(problem, k_min=k, k_max=k), time_limit_s=per_k)
        part = parts[0]
        out.append(
            {
                "k": k,
                "how": part.how,
                "cost": part.option.total if part.option is not None else None,
                "bound": part.bound,
                "proved": part.proved,
                "status": result.status.value,
                "seconds": time.perf_counter() - start,
                "peak_mb": peak_mb(),
            }
        )
        print(out[-1], flush=True)
    return build_s, out


def _money(units: object) -> str:
    return "—" if not isinstance(units, int) else f"£{units / 10_000 / 1e6:,.3f}m"


def results_text(per_k: float, build_s: float, table: list[dict[str, object]]) -> str:
    """The RESULTS-national-solve.md table."""
    lines = [
        "# National site optimiser: england-regions, cost against number of rooms",
        "",
        "`python -m benchmarks.bench_national_solve` (2 shared cores). Problem built once "
        f"({build_s:.0f} s: travel matrices from the cache, the staff-transition table); each k "
        f"then solved alone with a {per_k:.0f} s limit. Cost: the best plan found (a priced, "
        "feasible plan); bound: proven lower bound on any plan with k rooms (the "
        "facility-location relaxation solved by HiGHS; `closed`: it proves no plan of k rooms "
        "meets the constraints); gap = (cost − bound) / cost. Peak MB: the process so far.",
        "",
        "| k | cost a year | bound | gap | status | seconds | peak MB |",
        "|---:|---:|---:|---:|---|---:|---:|",
    ]
    for row in table:
        cost, bound = row["cost"], row["bound"]
        if row["how"] == "closed" or (bound is None and row["proved"]):
            gap = "closed"
        elif isinstance(cost, int) and isinstance(bound, int):
            gap = f"{(cost - bound) / cost:.3%}"
        else:
            gap = "—"
        lines.append(
            f"| {row['k']} | {_money(cost)} | {_money(bound)} | {gap} | {row['status']} | "
            f"{row['seconds']:.0f} | {row['peak_mb']:.0f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write RESULTS-national-solve.md."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_national_solve")
    parser.add_argument("--per-k", type=float, default=60.0, help="seconds per number of rooms")
    parser.add_argument("--k", default="1-15", help="range of k, e.g. 3-15")
    args = parser.parse_args(argv)
    low, high = (int(x) for x in args.k.split("-"))
    build_s, table = rows(args.per_k, range(low, high + 1))
    atomic_write_text(RESULTS, results_text(args.per_k, build_s, table))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Classic location models on the BCH matrix: siteopt.locate against spopt (PuLP + CBC/HiGHS).

Run ``python -m benchmarks --only locate`` (rows in ``benchmarks/RESULTS.md``) or
``python -m benchmarks.bench_locate`` (prints the rows). The matrix is 1,558 LSOAs × 32 police
sites of ``instances/bch-2015.toml`` (drive minutes, mid-2015 population). siteopt's time is
``locate()`` on that matrix; spopt's is ``Model.from_cost_matrix(...)`` plus ``solve(CBC)``
(its model build included, like siteopt's); p-median and p-center rows are repeated with
spopt + HiGHS. The peer solver gets a time limit per row (``PEER_LIMIT_S``,
override with ``$SITEOPT_BENCH_PEER_LIMIT``): a row it does not finish says so and has no ratio
or answer check. A peer row slower than ``SLOW_PEER_S`` is timed once.
"""

from __future__ import annotations

import functools
import math
import os
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.suite import SuiteRow, median_time
from siteopt.instance.loading import load_instance
from siteopt.location.matrix import CostMatrix, instance_cost_matrix
from siteopt.location.solve import locate

ROOT = Path(__file__).resolve().parents[1]
PEER_LIMIT_S = float(os.environ.get("SITEOPT_BENCH_PEER_LIMIT", "30"))
SLOW_PEER_S = 2.0
COVER_MIN = 30.0  # MCLP threshold, minutes
LSCP_MIN = (45.0, 60.0)
CASES: list[tuple[str, int | None, float | None]] = [
    *(
        (model, p, COVER_MIN if model == "mclp" else None)
        for model in ("pmedian", "pcenter", "mclp")
        for p in (1, 2, 3, 5)
    ),
    *(("lscp", None, t) for t in LSCP_MIN),
]


def bch_matrix() -> CostMatrix:
    """The BCH default's LSOA × candidate matrix (cached travel times)."""
    return instance_cost_matrix(load_instance(ROOT / "instances" / "bch-2015.toml"))


def objective_of(model: str, matrix: CostMatrix, chosen: list[int], within: float | None) -> float:
    """A site set's objective, computed here independently of both solvers."""
    keep = matrix.weights > 0
    nearest = matrix.minutes[keep][:, chosen].min(axis=1)
    w = matrix.weights[keep]
    if model == "pmedian":
        return float(w @ nearest)
    if model == "pcenter":
        return float(nearest.max())
    if model == "mclp":
        assert within is not None
        return float(w[nearest <= within].sum())
    return float(len(chosen))


def spopt_solve(
    model: str, matrix: CostMatrix, p: int | None, within: float | None, solver_name: str
) -> tuple[list[int], bool]:
    """Build and solve the spopt model; the chosen sites and whether the solver proved them."""
    import pulp  # noqa: PLC0415 (lazy: pulp is slow to import)
    from spopt.locate import LSCP, MCLP, PCenter, PMedian  # noqa: PLC0415 (lazy: spopt is slow to import)

    cost = np.asarray(matrix.minutes)
    weights = np.asarray(matrix.weights)
    built: Any
    if model == "pmedian":
        built = PMedian.from_cost_matrix(cost, weights, p_facilities=p)
    elif model == "pcenter":
        built = PCenter.from_cost_matrix(cost, p_facilities=p)
    elif model == "mclp":
        built = MCLP.from_cost_matrix(cost, weights, service_radius=within, p_facilities=p)
    else:
        built = LSCP.from_cost_matrix(cost, service_radius=within)
    solver: Any
    if solver_name == "HiGHS":
        solver = pulp.HiGHS(msg=False, timeLimit=PEER_LIMIT_S)
    else:
        solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=PEER_LIMIT_S)
    try:
        built.solve(solver, results=False)
    except RuntimeError:  # spopt raises when the solver's status is not optimal
        return [], False
    chosen = [j for j, var in enumerate(built.fac_vars) if (var.value() or 0) > 0.5]
    proven = built.problem.sol_status == pulp.LpSolutionOptimal
    return chosen, proven


def one_row(
    matrix: CostMatrix,
    model: str,
    p: int | None,
    within: float | None,
    repeats: int,
    *,
    solver_name: str = "CBC",
) -> SuiteRow:
    """Time siteopt and spopt on one case and compare their optima."""
    ours_s, ours = median_time(lambda: locate(matrix, model, p=p, within=within), repeats)
    times = []
    chosen: list[int] = []
    proven = False
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        chosen, proven = spopt_solve(model, matrix, p, within, solver_name)
        times.append(time.perf_counter() - start)
        if times[-1] > SLOW_PEER_S or not proven:
            break
    peer_s = statistics.median(times)
    what = f"p = {p}" if p is not None else f"T = {within:g} min"
    if model == "mclp":
        what += f", T = {within:g} min"
    note = f"siteopt {ours.status} by {ours.method}"
    if len(times) == 1:
        note += "; peer timed once"
    same: bool | None = None
    if proven and chosen and ours.objective is not None:
        theirs = objective_of(model, matrix, chosen, within)
        same = bool(np.isclose(theirs, ours.objective, rtol=1e-9, atol=1e-6))
        note += f"; objective {ours.objective:,.6g}"
        if not same:
            note += f" vs spopt {theirs:,.6g}"
    else:
        note += (
            f"; {solver_name} (time limit {PEER_LIMIT_S:g} s) stopped after {peer_s:.0f} s "
            "without a proven optimum"
        )
    return SuiteRow(
        task=f"{model} {what}, BCH 1,558 × 32",
        siteopt_s=ours_s,
        peer=f"spopt + {solver_name}",
        peer_s=peer_s if proven else None,
        same_answer=same,
        note=note,
    )


def suite_rows(repeats: int) -> list[SuiteRow]:
    """Rows of ``python -m benchmarks``: p-median, p-center, MCLP at p = 1, 2, 3, 5; LSCP.

    The peer is spopt with CBC (its default); p-median and p-center also get spopt with HiGHS.
    """
    warnings.simplefilter("ignore")  # spopt's geospatial dependencies warn on import
    matrix = bch_matrix()
    rows = []
    for model, p, within in CASES:
        rows.append(one_row(matrix, model, p, within, repeats))
        if model in ("pmedian", "pcenter"):
            rows.append(one_row(matrix, model, p, within, repeats, solver_name="HiGHS"))
    return rows


def method_table(repeats: int, mip_limit_s: float = 60.0) -> list[str]:
    """Markdown rows: every exact method of every model on the BCH matrix (docs/locate.md)."""
    warnings.simplefilter("ignore")
    matrix = bch_matrix()
    lines = [
        "| model | p | T min | method | seconds | status | objective |",
        "|---|---|---|---|---:|---|---:|",
    ]
    for model, p, within in [*CASES, *(("pdispersion", p, None) for p in (2, 3, 5))]:
        for method in ("enumerate", "mip", "auto"):
            if model == "lscp" and method == "enumerate":
                continue
            if method == "enumerate" and p is not None and math.comb(32, p) > 40_000:
                lines.append(
                    f"| {model} | {p} | {within or ''} | enumerate "
                    f"| (skipped: C(32, {p}) sets) | | |"
                )
                continue
            reps = 1 if (model == "pmedian" and method == "mip") else repeats
            seconds, result = median_time(
                functools.partial(
                    locate, matrix, model, p=p, within=within, method=method,
                    time_limit=mip_limit_s,
                ),
                reps,
            )  # fmt: skip
            lines.append(
                f"| {model} | {p or ''} | {within or ''} | {method}: {result.method} "
                f"| {seconds:.4f} | {result.status} | {result.objective or 0:,.6g} |"
            )
    return lines


def _main() -> None:
    if "--methods" in sys.argv:
        print("\n".join(method_table(3)))
        return
    for row in suite_rows(3):
        ratio = f"{row.ratio:.0f}×" if row.ratio else "—"
        print(f"{row.task}: {row.siteopt_s:.4f} s vs {row.peer_s} s ({ratio}) {row.note}")


if __name__ == "__main__":
    _main()

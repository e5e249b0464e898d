"""Size by size for many forces and candidates: relaxation bound, seeded local search, gap.

The route :func:`siteopt.optimise.solve.solve` takes when the problem holds only the pooled
force groups (more forces than :data:`siteopt.optimise.build.DENSE_FORCES`, a national run).
One and two sites are enumerated exactly as everywhere else. For each larger ``k`` the
facility-location relaxation (:func:`siteopt.optimise.relaxation.relaxed_bound`) gives a proven
lower bound, or proves the size empty; its sites seed the local search
(:func:`siteopt.optimise.pooled.local_search`), whose best plan is priced exactly. The size is
proved when the plan's cost meets the bound; otherwise it is reported with its gap. The time
limit is shared between the sizes still to settle, so every size gets an answer.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from siteopt.optimise.arrays import IntArray
from siteopt.optimise.bounds import _allowed_sites
from siteopt.optimise.option import Option
from siteopt.optimise.options import OptionTable, _best_of_site_set, option_table
from siteopt.optimise.pooled import local_search, price_site_set
from siteopt.optimise.problem import ProblemData
from siteopt.optimise.relaxation import relaxed_bound
from siteopt.optimise.search import ModelResult, SizePart
from siteopt.status import Status

__all__ = ["RELAXATION_SHARE", "solve_pooled_by_size"]


#: Share of a size's time the relaxation may take; the local search has the rest.
RELAXATION_SHARE = 0.8


def solve_pooled_by_size(
    problem: ProblemData, *, time_limit_s: float, table: OptionTable | None = None
) -> tuple[ModelResult, tuple[SizePart, ...]]:
    """The cheapest plan over ``k_min..k_max`` pooled rooms, with a proven bound per size.

    Returns the overall result (``OPTIMAL`` when every size is proved, else ``FEASIBLE`` with
    the gap, ``INFEASIBLE`` when every size is proved empty, ``UNKNOWN`` when nothing was found
    and not every size is closed) and one :class:`~siteopt.optimise.search.SizePart` per size,
    with the best plan of that size (``SizePart.option``): the cost curve.
    """
    start = time.perf_counter()
    deadline = start + time_limit_s
    parts: list[SizePart] = []
    if problem.k_min <= 2:
        small = problem if problem.k_max <= 2 else replace(problem, k_max=2)
        table = table if table is not None else option_table(small)
        size = np.where(table.second < 0, 1, 2)
        for k in range(problem.k_min, min(problem.k_max, 2) + 1):
            rows = np.flatnonzero(table.feasible & (size == k))
            found = (
                _best_of_site_set(small, table.site_set(int(rows[table.total[rows].argmin()])))
                if len(rows)
                else None
            )
            bound = found.total if found is not None else None
            parts.append(
                SizePart(k, "enumeration", bound, True, time.perf_counter() - start, found)
            )
    allowed = _allowed_sites(problem)
    sizes = list(range(max(problem.k_min, 3), problem.k_max + 1))
    for i, k in enumerate(sizes):
        budget = max(1.0, (deadline - time.perf_counter()) / (len(sizes) - i))
        before = next((p.option for p in reversed(parts) if p.option is not None), None)
        parts.append(_settle(problem, k, allowed=allowed, budget=budget, before=before))
    return _overall(parts, time.perf_counter() - start), tuple(parts)


def _settle(
    problem: ProblemData, k: int, *, allowed: IntArray, budget: float, before: Option | None
) -> SizePart:
    """Bound ``k`` rooms by the relaxation, then search from its sites for the best plan.

    ``before``: the best plan of fewer rooms, completed greedily as a second start (more rooms
    only cover more, so it is often feasible when the relaxation ran out of time).
    """
    start = time.perf_counter()
    relaxed = relaxed_bound(problem, k, allowed=allowed, time_limit_s=RELAXATION_SHARE * budget)
    if relaxed.bound is None:
        return SizePart(k, "closed", None, True, time.perf_counter() - start)
    found: Option | None = None
    if relaxed.sites:
        seeded = price_site_set(problem, relaxed.sites)
        found = seeded if seeded.feasible and seeded.total <= relaxed.bound else None
    if found is None:
        searched = local_search(
            problem,
            k,
            allowed=allowed,
            deadline=start + budget,
            starts=[s for s in (relaxed.sites, before.sites if before else ()) if s],
        )
        found = searched if searched is not None and searched.feasible else None
    proved = found is not None and found.total <= relaxed.bound
    return SizePart(k, "relaxation", relaxed.bound, proved, time.perf_counter() - start, found)


def _overall(parts: list[SizePart], wall: float) -> ModelResult:
    found = [p.option for p in parts if p.option is not None]
    known = [p.bound for p in parts if p.bound is not None]
    if not found:
        proved = all(p.proved for p in parts)
        status = Status.INFEASIBLE if proved and not known else Status.UNKNOWN
        return ModelResult(status, None, None, None, None, wall, False)
    best = min(found, key=lambda o: o.total)
    bound = min([best.total, *known])
    gap = (best.total - bound) / max(1, abs(best.total))
    # a size is settled when its best plan meets its bound, or its bound is no better than the best
    proved = all(p.proved or (p.bound is None or p.bound >= best.total) for p in parts)
    status = Status.OPTIMAL if proved else Status.FEASIBLE
    return ModelResult(status, best, best.total, bound, gap, wall, proved)

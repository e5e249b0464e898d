"""Size by size for many forces and candidates: relaxation bound, seeded local search, gap.

The route :func:`siteopt.optimise.solve.solve` takes when the problem holds only the pooled
force groups (more forces than :data:`siteopt.optimise.build.DENSE_FORCES`, a national run).
One and two sites are enumerated exactly as everywhere else. For each larger ``k`` the LP of
the facility-location relaxation (:mod:`siteopt.optimise.relaxation`) gives a proven lower bound
in seconds, or proves the size empty; its most-open sites seed the local search
(:func:`siteopt.optimise.pooled.local_search`), whose best plan is priced exactly. While the plan
is more than :data:`CLOSE_GAP` above the bound the MIP runs with the time left, for a better
bound and integer sites to search from. The size is proved when the plan's cost meets the bound;
otherwise it is reported with its gap. The time limit is shared between the sizes still to
settle, so every size gets an answer.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from siteopt.optimise.arrays import IntArray
from siteopt.optimise.bounds import _allowed_sites
from siteopt.optimise.option import Option
from siteopt.optimise.options import OptionTable, _best_of_site_set, option_table
from siteopt.optimise.pooled import local_search, price_exact_split
from siteopt.optimise.problem import ProblemData
from siteopt.optimise.relaxation import build_relaxation
from siteopt.optimise.search import ModelResult, SizePart
from siteopt.status import Status

__all__ = ["CLOSE_GAP", "LP_SHARE", "SEARCH_SHARE", "solve_pooled_by_size"]


#: Shares of a size's time: the LP relaxation at most, then the local search from its sites
#: (the MIP, if the gap is still open, has what is left but the final search's share).
LP_SHARE = 0.3
SEARCH_SHARE = 0.4

#: A plan this close to the LP bound (relative) is not worth the MIP's time.
CLOSE_GAP = 2e-3

#: Share of a size's time kept after the MIP to search from its integer sites.
FINAL_SEARCH_SHARE = 0.1


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
    """Bound ``k`` rooms by the relaxation and search for the best plan, within ``budget`` s.

    The LP relaxation first (a bound in seconds, and how open it holds each site); the local
    search then starts from the LP's ``k`` most-open sites and from ``before`` (the best plan
    of fewer rooms, completed greedily: more rooms only cover more, so it is often feasible),
    trying the most-open sites first. Only if the plan is still more than :data:`CLOSE_GAP`
    above the bound does the MIP run with the time left (a better bound, and integer sites to
    search from).
    """
    start = time.perf_counter()
    deadline = start + budget
    relaxation = build_relaxation(problem, k, allowed=allowed)
    if relaxation is None:
        return SizePart(k, "closed", None, True, time.perf_counter() - start)
    lp = relaxation.solve(integer=False, time_limit_s=LP_SHARE * budget)
    if lp.bound is None:
        return SizePart(k, "closed", None, True, time.perf_counter() - start)
    bound = lp.bound
    order = _ranked_first(allowed, lp.ranked)
    starts = [s for s in (lp.sites, before.sites if before else ()) if s]
    search_end = min(time.perf_counter() + SEARCH_SHARE * budget, deadline)
    # swaps among the sites the LP opens at all first (a few dozen: fast passes), then all
    support = _ranked_first(np.asarray(sorted(set(lp.ranked).union(*starts)), np.int64), lp.ranked)
    found = _search(problem, k, support, search_end, starts)
    wider = _search(problem, k, order, search_end, [found.sites] if found else starts)
    if wider is not None and (found is None or wider.total < found.total):
        found = wider
    if found is None or found.total - bound > CLOSE_GAP * found.total:
        mip_end = deadline - FINAL_SEARCH_SHARE * budget
        mip = relaxation.solve(integer=True, time_limit_s=mip_end - time.perf_counter())
        if mip.bound is None:
            return SizePart(k, "closed", None, True, time.perf_counter() - start)
        bound = max(bound, mip.bound)
        # from the MIP's sites; without them and without a plan, the first starts once more
        seeds = [mip.sites] if mip.sites else ([] if found is not None else starts)
        again = _search(problem, k, order, deadline, seeds) if seeds else None
        if again is not None and (found is None or again.total < found.total):
            found = again
    if found is not None:  # the search priced its sets with a greedy split: split exactly
        exact = price_exact_split(problem, found.sites)
        if exact is not None and exact.feasible and exact.total < found.total:
            found = exact
    proved = found is not None and found.total <= bound
    return SizePart(k, "relaxation", bound, proved, time.perf_counter() - start, found)


def _search(
    problem: ProblemData, k: int, order: IntArray, deadline: float, starts: list[tuple[int, ...]]
) -> Option | None:
    """The local search's plan of ``k`` rooms from ``starts``, if it meets the constraints."""
    found = local_search(problem, k, allowed=order, deadline=deadline, starts=starts)
    return found if found is not None and found.feasible else None


def _ranked_first(allowed: IntArray, ranked: tuple[int, ...]) -> IntArray:
    """The allowed sites, those the LP holds most open first (the rest in their order)."""
    if not ranked:
        return allowed
    seen = set(ranked)
    rest = [int(j) for j in allowed.tolist() if int(j) not in seen]
    return np.asarray([*ranked, *rest], dtype=np.int64)


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

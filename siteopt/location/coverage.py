"""Covering models: LSCP and MCLP, and the exact hitting-set search they share with others.

LSCP (fewest sites covering everyone) and MCLP (most demand covered by p sites). Both start from
a greedy answer, so a time limit that stops HiGHS early still returns a solution, with HiGHS's
proven bound, or a bound found without a solver where that is better (for LSCP rows that share no
site, and the greedy cover's guarantee; for MCLP the p best single-site coverages).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from siteopt.location.base import (
    NO_DEADLINE,
    STOPPED,
    Deadline,
    _best_by_enumeration,
    _enumerated,
    _Found,
    _milp_sites,
    _use_enumeration,
    _weighted,
)
from siteopt.status import Status

if TYPE_CHECKING:
    from siteopt.location.matrix import CostMatrix


FloatArray = npt.NDArray[np.float64]


IntArray = npt.NDArray[np.int64]


BoolArray = npt.NDArray[np.bool_]


def _coverage_groups(matrix: CostMatrix, within: float) -> tuple[BoolArray, FloatArray, float]:
    """Distinct coverage rows of weighted demand, their summed weights, and uncovered weight."""
    times, w = _weighted(matrix)
    covers = times <= within
    reachable = covers.any(axis=1)
    patterns, inverse = np.unique(covers[reachable], axis=0, return_inverse=True)
    summed: FloatArray = np.bincount(
        inverse.ravel(), weights=w[reachable], minlength=len(patterns)
    ).astype(np.float64)
    return patterns, summed, float(w[~reachable].sum())


def _min_cover(
    patterns: BoolArray, m: int, deadline: Deadline, max_sites: int | None = None
) -> _Found:
    """Fewest sites such that every pattern (row) has an open site (HiGHS set covering).

    With ``max_sites`` the question is only whether that many suffice (any cover found is an
    answer). The bound is on the number of sites (rounded up: it is a whole number).
    """
    from scipy.sparse import csr_matrix  # noqa: PLC0415 (lazy: scipy is slow to import)

    rows = len(patterns)
    if rows == 0:
        return _Found((), Status.OPTIMAL, "HiGHS MIP (set covering)")
    a = csr_matrix(patterns.astype(np.float64))
    upper_rows = np.full(rows, np.inf)
    lower = np.ones(rows)
    if max_sites is not None:
        a = csr_matrix(np.vstack([patterns.astype(np.float64), np.ones((1, m))]))
        lower = np.append(lower, 0.0)
        upper_rows = np.append(upper_rows, float(max_sites))
    return _milp_sites(
        np.ones(m),
        a=a,
        lower=lower,
        upper_rows=upper_rows,
        upper_vars=np.ones(m),
        integrality=np.ones(m),
        m=m,
        limit=deadline.remaining(),
        name="set covering",
        to_model=lambda dual: float(math.ceil(dual - 1e-6)),
    )


def _greedy_cover(patterns: BoolArray) -> tuple[int, ...]:
    """Sites added one at a time, each covering the most rows not yet covered, until all are."""
    uncovered = np.ones(len(patterns), dtype=bool)
    chosen: list[int] = []
    while uncovered.any():
        counts = patterns[uncovered].sum(axis=0)
        j = int(np.argmax(counts))
        chosen.append(j)
        uncovered &= ~patterns[:, j]
    return tuple(sorted(chosen))


def _solve_lscp(
    matrix: CostMatrix, _p: int | None, within: float | None, _method: str, deadline: Deadline
) -> _Found:
    assert within is not None
    patterns, _, uncovered = _coverage_groups(matrix, within)
    if uncovered > 0:
        return _Found(
            (), Status.INFEASIBLE, "HiGHS MIP (set covering): some demand has no site in T"
        )
    found = _min_cover(patterns, len(matrix.candidate_ids), deadline)
    if found.status is Status.OPTIMAL or not len(patterns):
        return found
    greedy = _greedy_cover(patterns)
    # HiGHS stopped in presolve reports a dual bound of 0: keep the better of the two.
    bound = max(found.bound or 0.0, _cover_lower_bound(patterns, len(greedy)))
    name = found.method.split(":")[0]
    if found.chosen and len(found.chosen) <= len(greedy):
        chosen, method = found.chosen, f"{name}: {STOPPED}"
    else:
        chosen, method = greedy, f"greedy cover ({name} {STOPPED})"
    if len(chosen) <= bound:
        return _Found(chosen, Status.OPTIMAL, f"{method}; optimal by the cover bound", bound)
    return _Found(chosen, Status.FEASIBLE, method, bound)


def _cover_lower_bound(patterns: BoolArray, greedy_size: int) -> float:
    """A proven lower bound on the fewest sites covering every row, found without a solver.

    The larger of two: rows that pairwise share no covering site each need a site of their own
    (packed greedily, rows with the fewest covering sites first); and Chvátal's guarantee that
    the greedy cover is at most ``H(d)`` times the optimum, ``d`` being the most rows one site
    covers (so the optimum is at least ``greedy / H(d)``).
    """
    per_site = patterns.sum(axis=0)
    most = int(per_site.max()) if per_site.size else 0
    if most == 0:
        return 0.0
    harmonic = math.fsum(1.0 / i for i in range(1, most + 1))
    chvatal = math.ceil(greedy_size / harmonic - 1e-9)
    used = np.zeros(patterns.shape[1], dtype=np.bool_)
    packed = 0
    for row in np.argsort(patterns.sum(axis=1), kind="stable"):
        sites = patterns[row]
        if not (sites & used).any():
            used |= sites
            packed += 1
            if used.all():
                break
    return float(max(1, chvatal, packed))


def _greedy_coverage(patterns: BoolArray, summed: FloatArray, p: int) -> tuple[int, ...]:
    """``p`` sites added one at a time, each adding the most weight within T."""
    covered = np.zeros(len(patterns), dtype=bool)
    chosen: list[int] = []
    for _ in range(p):
        gains = summed[~covered] @ patterns[~covered]
        gains[chosen] = -1.0
        j = int(np.argmax(gains))
        chosen.append(j)
        covered |= patterns[:, j]
    return tuple(sorted(chosen))


def _covered_weight(patterns: BoolArray, summed: FloatArray, chosen: tuple[int, ...]) -> float:
    return float(summed[patterns[:, list(chosen)].any(axis=1)].sum())


def _coverage_upper_bound(patterns: BoolArray, summed: FloatArray, p: int) -> float:
    """No p sites cover more than all coverable weight, nor more than the p best alone."""
    single = np.sort(summed @ patterns)[::-1]
    return float(min(summed.sum(), single[:p].sum()))


def _solve_mclp(
    matrix: CostMatrix, p: int | None, within: float | None, method: str, deadline: Deadline
) -> _Found:
    assert p is not None and within is not None
    m = len(matrix.candidate_ids)
    patterns, summed, _ = _coverage_groups(matrix, within)
    if not len(patterns):
        return _Found(tuple(range(p)), Status.OPTIMAL, "trivial (no site covers any demand)")
    if _use_enumeration(matrix, p, method):
        columns = np.ascontiguousarray(patterns.T)

        def uncovered(chunk: IntArray) -> FloatArray:
            covered = columns[chunk[:, 0]]
            for k in range(1, chunk.shape[1]):
                covered = covered | columns[chunk[:, k]]
            out: FloatArray = -(covered.astype(np.float64) @ summed)
            return out

        chosen, value, complete = _best_by_enumeration(uncovered, m, p, len(summed), deadline)
        return _enumerated(chosen, value, complete, _coverage_upper_bound(patterns, summed, p))
    found = _max_cover(patterns, summed, p, deadline)
    if found.status is Status.OPTIMAL:
        return found
    greedy = _greedy_coverage(patterns, summed, p)
    simple = _coverage_upper_bound(patterns, summed, p)
    bound = simple if found.bound is None else min(found.bound, simple)
    name = found.method.split(":")[0]
    if found.chosen and _covered_weight(patterns, summed, found.chosen) >= _covered_weight(
        patterns, summed, greedy
    ):
        return _Found(found.chosen, Status.FEASIBLE, f"{name}: {STOPPED}", bound)
    return _Found(greedy, Status.FEASIBLE, f"greedy ({name} {STOPPED})", bound)


def _max_cover(patterns: BoolArray, summed: FloatArray, p: int, deadline: Deadline) -> _Found:
    """HiGHS maximal covering on the coverage groups (one continuous covered variable each)."""
    from scipy.sparse import coo_matrix, csr_matrix, hstack, identity, vstack  # noqa: PLC0415 (lazy: scipy is slow to import)

    g, m = patterns.shape
    # z_g − Σ_{j covers g} y_j ≤ 0 ; Σ y = p
    link = hstack([-csr_matrix(patterns.astype(np.float64)), identity(g, format="csr")])
    card = coo_matrix(np.concatenate([np.ones(m), np.zeros(g)])[None, :])
    a = vstack([link, card]).tocsr()
    cost = np.concatenate([np.zeros(m), -summed])
    lower = np.concatenate([np.full(g, -np.inf), [p]])
    upper_rows = np.concatenate([np.zeros(g), [p]])
    integrality = np.concatenate([np.ones(m), np.zeros(g)])
    upper = np.ones(m + g)
    return _milp_sites(
        cost,
        a=a,
        lower=lower,
        upper_rows=upper_rows,
        upper_vars=upper,
        integrality=integrality,
        m=m,
        limit=deadline.remaining(),
        name="max covering",
        to_model=lambda dual: -dual,
    )


def _hitting_set(covers: BoolArray, p: int, deadline: Deadline = NO_DEADLINE) -> _Found:
    """At most ``p`` sites such that every row has a covering site, by exhaustive branching.

    Branches on the sites of the row with the fewest covering sites (depth ≤ p), so the search
    is complete: ``infeasible`` is a proof that no such set exists; ``unknown`` when the
    deadline stopped it first.
    """
    masks = sorted(
        {int(sum(1 << int(j) for j in np.flatnonzero(row))) for row in np.unique(covers, axis=0)},
        key=int.bit_count,
    )

    def search(rows: list[int], budget: int, chosen: int) -> int | None:
        if not rows:
            return chosen
        if budget == 0 or deadline.passed():
            return None
        row = min(rows, key=int.bit_count)
        while row:
            bit = row & -row
            row ^= bit
            found = search([r for r in rows if not r & bit], budget - 1, chosen | bit)
            if found is not None:
                return found
        return None

    if masks and masks[0] == 0:
        return _Found((), Status.INFEASIBLE, "hitting-set search")
    hit = search(masks, p, 0)
    if hit is None:
        if deadline.passed():
            return _Found((), Status.UNKNOWN, f"hitting-set search: {STOPPED}")
        return _Found((), Status.INFEASIBLE, "hitting-set search")
    chosen = tuple(j for j in range(hit.bit_length()) if hit >> j & 1)
    return _Found(chosen, Status.OPTIMAL, "hitting-set search")

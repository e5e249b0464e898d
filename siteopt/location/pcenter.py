"""p-center: enumeration, or binary search over times with an exact hitting set per step."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from siteopt.location.base import (
    PCENTER_ENUMERATION_BUDGET,
    _best_by_enumeration,
    _enumerated,
    _Found,
    _nearest_of,
    _use_enumeration,
    _weighted,
)
from siteopt.location.coverage import _min_cover
from siteopt.status import Status

if TYPE_CHECKING:
    from siteopt.location.matrix import CostMatrix


FloatArray = npt.NDArray[np.float64]


BoolArray = npt.NDArray[np.bool_]


def _solve_pcenter(
    matrix: CostMatrix, p: int | None, _within: float | None, method: str, limit: float | None
) -> _Found:
    assert p is not None
    times, w = _weighted(matrix)
    m = times.shape[1]
    if not len(w):
        return _Found(tuple(range(p)), Status.OPTIMAL, "trivial (no weighted demand)")
    if _use_enumeration(matrix, p, method, budget=PCENTER_ENUMERATION_BUDGET):
        columns = np.ascontiguousarray(times.T)
        chosen, value = _best_by_enumeration(
            lambda c: _nearest_of(columns, c).max(axis=1), m, p, len(w)
        )
        return _enumerated(chosen, value)
    values = np.unique(times[np.isfinite(times)])
    low = float(times.min(axis=1).max())
    if method == "mip":
        return _bisect_threshold(
            values,
            lambda t: _min_cover(np.unique(times <= t, axis=0), m, limit, max_sites=p),
            p,
            "binary search, set covering",
            low=low,
            smallest=True,
        )
    found = _bisect_threshold(
        values, lambda t: _hitting_set(times <= t, p), p, "", low=low, smallest=True
    )
    return _Found(found.chosen, found.status, "binary search, exact hitting-set search")


def _hitting_set(covers: BoolArray, p: int) -> _Found:
    """At most ``p`` sites such that every row has a covering site, by exhaustive branching.

    Branches on the sites of the row with the fewest covering sites (depth ≤ p), so the search
    is complete: ``infeasible`` is a proof that no such set exists.
    """
    masks = sorted(
        {int(sum(1 << int(j) for j in np.flatnonzero(row))) for row in np.unique(covers, axis=0)},
        key=int.bit_count,
    )

    def search(rows: list[int], budget: int, chosen: int) -> int | None:
        if not rows:
            return chosen
        if budget == 0:
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
        return _Found((), Status.INFEASIBLE, "hitting-set search")
    chosen = tuple(j for j in range(hit.bit_length()) if hit >> j & 1)
    return _Found(chosen, Status.OPTIMAL, "hitting-set search")


def _bisect_threshold(
    candidates: FloatArray,
    feasible_at: Callable[[float], _Found],
    p: int,
    name: str,
    *,
    low: float,
    smallest: bool,
) -> _Found:
    """Binary search for the best threshold whose feasibility MIP finds ``p`` sites.

    ``smallest=True`` looks for the smallest feasible threshold (feasibility grows with it);
    otherwise the largest (feasibility shrinks as it grows). Every step must be proven for the
    answer to be optimal.
    """
    values = candidates[candidates >= low] if smallest else candidates[candidates <= low]
    if not smallest:
        values = values[::-1]
    lo, hi = 0, len(values) - 1
    best: _Found | None = None
    proven = True
    while lo <= hi:
        mid = (lo + hi) // 2
        found = feasible_at(float(values[mid]))
        proven = proven and found.status in (Status.OPTIMAL, Status.INFEASIBLE)
        if found.chosen:
            best, hi = found, mid - 1
        else:
            lo = mid + 1
    method = f"HiGHS MIP ({name})"
    if best is None:
        return _Found((), Status.INFEASIBLE if proven else Status.UNKNOWN, method)
    chosen = _pad(best.chosen, p)
    return _Found(chosen, Status.OPTIMAL if proven else Status.FEASIBLE, method)


def _pad(chosen: tuple[int, ...], p: int) -> tuple[int, ...]:
    """A feasible set of fewer than ``p`` sites, padded to ``p`` with the lowest unused ids."""
    extra = (j for j in itertools.count() if j not in chosen)
    return tuple(sorted([*chosen, *itertools.islice(extra, p - len(chosen))]))

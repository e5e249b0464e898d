"""p-center: enumeration, or binary search over times with an exact hitting set per step.

The search starts from a greedy answer (its worst time is the first upper bound) and the lower
bound maxᵢ minⱼ tᵢⱼ; each step of the binary search over the distinct times between them either
finds p sites covering every point within the threshold (a better answer) or proves none
exists (a better bound). A time limit stops it between or inside steps with both in hand.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from siteopt.location.base import (
    PCENTER_ENUMERATION_BUDGET,
    STOPPED,
    Deadline,
    _best_by_enumeration,
    _enumerated,
    _Found,
    _nearest_of,
    _use_enumeration,
    _weighted,
)
from siteopt.location.coverage import _hitting_set, _min_cover
from siteopt.location.interchange import row_chunks
from siteopt.status import Status

if TYPE_CHECKING:
    from siteopt.location.matrix import CostMatrix


FloatArray = npt.NDArray[np.float64]


BoolArray = npt.NDArray[np.bool_]


def _solve_pcenter(
    matrix: CostMatrix, p: int | None, _within: float | None, method: str, deadline: Deadline
) -> _Found:
    assert p is not None
    times, w = _weighted(matrix)
    m = times.shape[1]
    if not len(w):
        return _Found(tuple(range(p)), Status.OPTIMAL, "trivial (no weighted demand)")
    low = max(float(times[rows].min(axis=1).max()) for rows in row_chunks(*times.shape))
    if not math.isfinite(low):
        return _Found((), Status.INFEASIBLE, "a demand point reaches no site")
    if _use_enumeration(matrix, p, method, budget=PCENTER_ENUMERATION_BUDGET):
        columns = np.ascontiguousarray(times.T)
        chosen, value, complete = _best_by_enumeration(
            lambda c: _nearest_of(columns, c).max(axis=1), m, p, len(w), deadline
        )
        return _enumerated(chosen, value, complete, low)
    start, worst = _greedy_center(times, p)
    incumbent = (start, worst) if math.isfinite(worst) else None
    values = _distinct_times(times, low, worst)
    if method == "mip":
        return _anytime_bisect(
            values,
            lambda t: _min_cover(np.unique(times <= t, axis=0), m, deadline, max_sites=p),
            p,
            "binary search, HiGHS set covering",
            incumbent=incumbent,
            deadline=deadline,
        )
    return _anytime_bisect(
        values,
        lambda t: _hitting_set(times <= t, p, deadline),
        p,
        "binary search, exact hitting-set search",
        incumbent=incumbent,
        deadline=deadline,
    )


def _greedy_center(times: FloatArray, p: int) -> tuple[tuple[int, ...], float]:
    """``p`` sites added one at a time, each lowering the worst time to a chosen site most."""
    n, m = times.shape
    nearest = np.full(n, np.inf)
    chosen: list[int] = []
    for _ in range(p):
        worst = np.full(m, -np.inf)
        for rows in row_chunks(n, m):
            np.maximum(worst, np.minimum(times[rows], nearest[rows, None]).max(axis=0), out=worst)
        worst[chosen] = np.inf
        j = int(np.argmin(worst))
        chosen.append(j)
        np.minimum(nearest, times[:, j], out=nearest)
    return tuple(sorted(chosen)), float(nearest.max())


def _distinct_times(times: FloatArray, low: float, high: float) -> FloatArray:
    """The distinct finite times in ``[low, high]``, ascending (read in row chunks)."""
    parts = []
    for rows in row_chunks(*times.shape):
        chunk = times[rows]
        parts.append(np.unique(chunk[(chunk >= low) & (chunk <= high) & np.isfinite(chunk)]))
    values: FloatArray = np.unique(np.concatenate(parts))
    return values


def _anytime_bisect(
    values: FloatArray,
    feasible_at: Callable[[float], _Found],
    p: int,
    name: str,
    *,
    incumbent: tuple[tuple[int, ...], float] | None,
    deadline: Deadline,
) -> _Found:
    """Binary search for the first threshold of ``values`` at which ``p`` sites suffice.

    ``values`` run from the best objective to the worst (ascending for p-center, descending
    for p-dispersion); the optimum is one of them. ``incumbent`` (sites, value), when given,
    is feasible at the last value. A step that finds sites moves the answer forward, one that
    proves none exist moves the bound back; a step stopped by the deadline ends the search,
    and the answer is then ``FEASIBLE`` with the bound ``values[lo]`` (every earlier value
    proven infeasible).
    """
    lo, hi = 0, len(values) if incumbent is None else len(values) - 1
    best = incumbent[0] if incumbent is not None else None
    stopped = False
    while lo < hi:
        if deadline.passed():
            stopped = True
            break
        mid = (lo + hi) // 2
        found = feasible_at(float(values[mid]))
        if found.chosen:
            best, hi = _pad(found.chosen, p), mid
        elif found.status is Status.INFEASIBLE:
            lo = mid + 1
        else:
            stopped = True
            break
    if best is None:
        if stopped:
            bound = float(values[lo]) if lo < len(values) else None
            return _Found((), Status.UNKNOWN, f"{name}: {STOPPED}", bound)
        return _Found((), Status.INFEASIBLE, name)
    if stopped:
        return _Found(best, Status.FEASIBLE, f"{name}: {STOPPED}", float(values[lo]))
    return _Found(best, Status.OPTIMAL, name)


def _pad(chosen: tuple[int, ...], p: int) -> tuple[int, ...]:
    """A feasible set of fewer than ``p`` sites, padded to ``p`` with the lowest unused ids."""
    extra = (j for j in itertools.count() if j not in chosen)
    return tuple(sorted([*chosen, *itertools.islice(extra, p - len(chosen))]))

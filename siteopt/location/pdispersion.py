"""p-dispersion: enumeration, or binary search over times with an independent-set MIP per step.

The search starts from a greedy answer (farthest pair, then the site farthest from those
chosen), whose smallest gap is the first lower bound, and the upper bound maxⱼ (the
(p − 1)-th longest time from j): a chosen site has p − 1 others, so its nearest is at most that.
"""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from siteopt.location.base import (
    DISPERSION_ENUMERATION_BUDGET,
    Deadline,
    _best_by_enumeration,
    _enumerated,
    _Found,
    _milp_sites,
)
from siteopt.location.pcenter import _anytime_bisect

if TYPE_CHECKING:
    from siteopt.location.matrix import CostMatrix


FloatArray = npt.NDArray[np.float64]


IntArray = npt.NDArray[np.int64]


BoolArray = npt.NDArray[np.bool_]


def _solve_pdispersion(
    matrix: CostMatrix, p: int | None, _within: float | None, method: str, deadline: Deadline
) -> _Found:
    assert p is not None and matrix.between is not None
    between = matrix.between
    m = len(between)
    upper = _dispersion_upper_bound(between, p)
    pairs = np.array(list(itertools.combinations(range(p), 2)), dtype=np.int64)
    work = math.comb(m, p) * len(pairs)
    if method == "enumerate" or (method == "auto" and work <= DISPERSION_ENUMERATION_BUDGET):

        def closest(chunk: IntArray) -> FloatArray:
            out: FloatArray = -between[chunk[:, pairs[:, 0]], chunk[:, pairs[:, 1]]].min(axis=1)
            return out

        chosen, _, complete = _best_by_enumeration(closest, m, p, len(pairs), deadline)
        return _enumerated(chosen, 0.0, complete, upper)
    start, closest_gap = _greedy_dispersion(between, p)
    distinct = np.unique(between[np.triu_indices(m, 1)])
    values = distinct[(distinct >= closest_gap) & (distinct <= upper)][::-1]
    return _anytime_bisect(
        values,
        lambda d: _independent_set(between < d, p, deadline),
        p,
        "HiGHS MIP (binary search, independent set)",
        incumbent=(start, closest_gap),
        deadline=deadline,
    )


def _dispersion_upper_bound(between: FloatArray, p: int) -> float:
    """maxⱼ of the (p − 1)-th longest time from j to another site."""
    others = np.sort(between + np.diag(np.full(len(between), -np.inf)), axis=1)[:, ::-1]
    return float(others[:, p - 2].max())


def _greedy_dispersion(between: FloatArray, p: int) -> tuple[tuple[int, ...], float]:
    """The farthest pair, then each time the site whose nearest chosen site is farthest."""
    a, b = np.unravel_index(int(np.argmax(between)), between.shape)
    chosen = [int(a), int(b)]
    nearest = np.minimum(between[a], between[b])
    for _ in range(p - 2):
        nearest[chosen] = -np.inf
        j = int(np.argmax(nearest))
        chosen.append(j)
        nearest = np.minimum(nearest, between[j])
    gap = min(float(between[i, j]) for i, j in itertools.combinations(chosen, 2))
    return tuple(sorted(chosen)), gap


def _independent_set(conflict: BoolArray, p: int, deadline: Deadline) -> _Found:
    """``p`` sites no two of which conflict, if any (HiGHS, edge formulation)."""
    from scipy.sparse import coo_matrix  # noqa: PLC0415 (lazy: scipy is slow to import)

    m = len(conflict)
    a_idx, b_idx = np.nonzero(np.triu(conflict, 1))
    e = len(a_idx)
    rows = np.concatenate([np.arange(e), np.arange(e), np.full(m, e)])
    cols = np.concatenate([a_idx, b_idx, np.arange(m)])
    a = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(e + 1, m)).tocsr()
    lower = np.concatenate([np.full(e, -np.inf), [p]])
    upper_rows = np.concatenate([np.ones(e), [p]])
    return _milp_sites(
        np.zeros(m),
        a=a,
        lower=lower,
        upper_rows=upper_rows,
        upper_vars=np.ones(m),
        integrality=np.ones(m),
        m=m,
        limit=deadline.remaining(),
        name="independent set",
    )

"""p-dispersion: enumeration, or binary search over times with an independent-set MIP per step."""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from siteopt.location.base import (
    DISPERSION_ENUMERATION_BUDGET,
    _best_by_enumeration,
    _Found,
    _milp_sites,
)
from siteopt.location.pcenter import _bisect_threshold
from siteopt.status import Status

if TYPE_CHECKING:
    from siteopt.location.matrix import CostMatrix


FloatArray = npt.NDArray[np.float64]


IntArray = npt.NDArray[np.int64]


BoolArray = npt.NDArray[np.bool_]


def _solve_pdispersion(
    matrix: CostMatrix, p: int | None, _within: float | None, method: str, limit: float | None
) -> _Found:
    assert p is not None and matrix.between is not None
    between = matrix.between
    m = len(between)
    pairs = np.array(list(itertools.combinations(range(p), 2)), dtype=np.int64)
    work = math.comb(m, p) * len(pairs)
    if method == "enumerate" or (method == "auto" and work <= DISPERSION_ENUMERATION_BUDGET):

        def closest(chunk: IntArray) -> FloatArray:
            out: FloatArray = -between[chunk[:, pairs[:, 0]], chunk[:, pairs[:, 1]]].min(axis=1)
            return out

        chosen, _ = _best_by_enumeration(closest, m, p, len(pairs))
        return _Found(chosen, Status.OPTIMAL, "enumeration")
    upper = np.triu_indices(m, 1)
    distinct = np.unique(between[upper])
    return _bisect_threshold(
        distinct,
        lambda d: _independent_set(between < d, p, limit),
        p,
        "binary search, independent set",
        low=float(distinct.max()),
        smallest=False,
    )


def _independent_set(conflict: BoolArray, p: int, limit: float | None) -> _Found:
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
        limit=limit,
        name="independent set",
    )

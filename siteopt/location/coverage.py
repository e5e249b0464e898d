"""Covering models: LSCP and MCLP.

Covering models: LSCP (fewest sites covering everyone) and MCLP (most demand covered by p sites).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from siteopt.location.base import (
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
    patterns: BoolArray, m: int, limit: float | None, max_sites: int | None = None
) -> _Found:
    """Fewest sites such that every pattern (row) has an open site (HiGHS set covering)."""
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
        limit=limit,
        name="set covering",
    )


def _solve_lscp(
    matrix: CostMatrix, _p: int | None, within: float | None, _method: str, limit: float | None
) -> _Found:
    assert within is not None
    patterns, _, uncovered = _coverage_groups(matrix, within)
    if uncovered > 0:
        return _Found(
            (), Status.INFEASIBLE, "HiGHS MIP (set covering): some demand has no site in T"
        )
    return _min_cover(patterns, len(matrix.candidate_ids), limit)


def _solve_mclp(
    matrix: CostMatrix, p: int | None, within: float | None, method: str, limit: float | None
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

        chosen, value = _best_by_enumeration(uncovered, m, p, len(summed))
        return _enumerated(chosen, value)
    from scipy.sparse import coo_matrix, csr_matrix, hstack, identity, vstack  # noqa: PLC0415 (lazy: scipy is slow to import)

    g = len(patterns)
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
        limit=limit,
        name="max covering",
    )

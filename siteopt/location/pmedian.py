"""p-median: branch and bound with a submodular bound, greedy + swap start, and the Elloumi MIP."""

from __future__ import annotations

import bisect
import math
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from siteopt.location.base import (
    _best_by_enumeration,
    _enumerated,
    _Found,
    _milp_sites,
    _nearest_of,
    _weighted,
)
from siteopt.status import Status

if TYPE_CHECKING:
    from siteopt.location.matrix import CostMatrix


FloatArray = npt.NDArray[np.float64]


def _solve_pmedian(
    matrix: CostMatrix, p: int | None, _within: float | None, method: str, limit: float | None
) -> _Found:
    assert p is not None
    times, w = _weighted(matrix)
    if not len(w):
        return _Found(tuple(range(p)), Status.OPTIMAL, "trivial (no weighted demand)")
    if method == "mip":
        return _pmedian_mip(times, w, p, limit)
    if method == "enumerate":
        columns = np.ascontiguousarray(times.T)
        chosen, value = _best_by_enumeration(
            lambda c: _nearest_of(columns, c) @ w, times.shape[1], p, len(w)
        )
        return _enumerated(chosen, value)
    chosen, value = _pmedian_branch_and_bound(times, w, p)
    return (
        _Found(chosen, Status.OPTIMAL, "branch and bound")
        if math.isfinite(value)
        else (_Found((), Status.INFEASIBLE, "branch and bound"))
    )


def _pmedian_local_search(columns: FloatArray, w: FloatArray, p: int) -> list[int]:
    """A good p-median set to start from: greedy additions, then best swaps until none helps."""
    m = len(columns)
    chosen: list[int] = []
    nearest = np.full(columns.shape[1], np.inf)
    for _ in range(p):
        values = np.minimum(nearest, columns) @ w
        values[chosen] = np.inf
        j = int(np.nanargmin(np.where(np.isnan(values), np.inf, values)))
        chosen.append(j)
        nearest = np.minimum(nearest, columns[j])
    best = float(nearest @ w)
    improved = True
    while improved and p < m:
        improved = False
        for k in range(p):
            others = [c for c in chosen if c != chosen[k]]
            rest = columns[others].min(axis=0) if others else np.full(columns.shape[1], np.inf)
            values = np.minimum(rest, columns) @ w
            values[chosen] = np.inf
            j = int(np.argmin(values))
            if values[j] < best * (1 - 1e-12):
                chosen[k], best, improved = j, float(values[j]), True
    return sorted(chosen)


def _suffix_top_sums(values: FloatArray, k: int) -> FloatArray:
    """``out[i]`` = sum of the ``k`` largest of ``values[i + 1:]`` (fewer if fewer remain)."""
    out = np.zeros(len(values))
    largest: list[float] = []  # the k largest seen so far, ascending
    for i in range(len(values) - 1, 0, -1):
        bisect.insort(largest, float(values[i]))
        if len(largest) > k:
            largest.pop(0)
        out[i - 1] = sum(largest)
    return out


def _pmedian_branch_and_bound(
    times: FloatArray, w: FloatArray, p: int
) -> tuple[tuple[int, ...], float]:
    """Exact p-median by depth-first search over site sets with a submodular bound.

    A partial set S with ``r`` sites still to pick from the candidates after its last one, U,
    costs at least cost(S) − (sum of the r largest single-site gains of U over S), because the
    gain of adding sites is submodular. Subtrees whose bound cannot beat the incumbent (from
    :func:`_pmedian_local_search`) are skipped; the last pick is evaluated exactly for all of U.
    """
    columns = np.ascontiguousarray(times.T)
    m = len(columns)
    start_set = _pmedian_local_search(columns, w, p)
    best_set = [tuple(start_set)]
    best_value = [float(columns[start_set].min(axis=0) @ w)]

    def gains(nearest: FloatArray, first: int) -> FloatArray:
        with np.errstate(invalid="ignore"):
            diff = nearest[None, :] - columns[first:]
        diff[np.isnan(diff)] = 0.0  # inf - inf: unreachable either way
        out: FloatArray = np.maximum(diff, 0.0, out=diff) @ w
        return out

    def visit(nearest: FloatArray, cost: float, first: int, chosen: tuple[int, ...]) -> None:
        r = p - len(chosen)
        if r == 1:
            values = np.minimum(nearest, columns[first:]) @ w
            k = int(np.argmin(values))
            if values[k] < best_value[0]:
                best_set[0], best_value[0] = (*chosen, first + k), float(values[k])
            return
        last = m - r + 1
        if chosen:
            gain = gains(nearest, first)
            with np.errstate(invalid="ignore"):  # inf - inf: see below
                bound = cost - gain[: last - first] - _suffix_top_sums(gain, r - 1)[: last - first]
            # NaN (inf - inf: S leaves a point unreachable that U could reach) never prunes.
            open_j = first + np.flatnonzero(~(bound > best_value[0] * (1 + 1e-9)))
        else:
            open_j = np.arange(first, last)
        for j in open_j.tolist():
            child = np.minimum(nearest, columns[j])
            visit(child, float(child @ w), j + 1, (*chosen, j))

    visit(np.full(columns.shape[1], np.inf), math.inf, 0, ())
    return tuple(sorted(best_set[0])), best_value[0]


def _pmedian_mip(times: FloatArray, w: FloatArray, p: int, limit: float | None) -> _Found:
    """Elloumi's formulation with chained level variables, built with numpy.

    For demand point ``i`` with distinct sorted times D⁰ < D¹ < … (up to its (m−p+1)-th nearest
    candidate), ``z[i, l]`` = 1 when no site within Dˡ is open; cost wᵢ (Dˡ⁺¹ − Dˡ). Constraints:
    z[i, 0] + Σ_{tᵢⱼ = D⁰} yⱼ ≥ 1 and z[i, l] − z[i, l−1] + Σ_{tᵢⱼ = Dˡ} yⱼ ≥ 0.
    """
    from scipy.sparse import coo_matrix  # noqa: PLC0415 (lazy: scipy is slow to import)

    n, m = times.shape
    order = np.argsort(times, axis=1, kind="stable")
    ranked = np.take_along_axis(times, order, axis=1)
    cap = ranked[:, m - p]
    kept = ranked <= cap[:, None]
    new_level = np.ones((n, m), dtype=bool)
    new_level[:, 1:] = ranked[:, 1:] != ranked[:, :-1]
    level = np.cumsum(new_level, axis=1) - 1
    levels = level[np.arange(n), kept.sum(axis=1) - 1] + 1  # distinct kept levels per point
    values = np.full((n, m), np.inf)
    at = kept & new_level
    values[np.nonzero(at)[0], level[at]] = ranked[at]
    if not np.isfinite(values[:, 0]).all():
        return _Found((), Status.INFEASIBLE, "HiGHS MIP (Elloumi)")
    n_z = levels - 1
    row_start = np.concatenate([[0], np.cumsum(n_z)[:-1]])
    rows = int(n_z.sum())
    point = np.repeat(np.arange(n), n_z)
    lvl = np.arange(rows) - row_start[point]
    gap = values[point, lvl + 1] - values[point, lvl]
    to_inf = ~np.isfinite(gap)  # next level unreachable: this z must be 0 (a site must be open)
    cost = np.concatenate([np.zeros(m), np.where(to_inf, 0.0, w[point] * gap)])
    upper = np.concatenate([np.ones(m), np.where(to_inf, 0.0, 1.0)])
    y_entries = kept & (level < (levels - 1)[:, None])
    yi, yk = np.nonzero(y_entries)
    r_idx = [np.arange(rows), np.nonzero(lvl > 0)[0], row_start[yi] + level[yi, yk]]
    c_idx = [m + np.arange(rows), m + np.nonzero(lvl > 0)[0] - 1, order[yi, yk]]
    vals = [np.ones(rows), -np.ones(int((lvl > 0).sum())), np.ones(len(yi))]
    # the cardinality row Σ y = p
    r_idx.append(np.full(m, rows))
    c_idx.append(np.arange(m))
    vals.append(np.ones(m))
    a = coo_matrix(
        (np.concatenate(vals), (np.concatenate(r_idx), np.concatenate(c_idx))),
        shape=(rows + 1, m + rows),
    ).tocsr()
    lower = np.concatenate([np.where(lvl == 0, 1.0, 0.0), [p]])
    upper_rows = np.concatenate([np.full(rows, np.inf), [p]])
    integrality = np.concatenate([np.ones(m), np.zeros(rows)])
    return _milp_sites(
        cost,
        a=a,
        lower=lower,
        upper_rows=upper_rows,
        upper_vars=upper,
        integrality=integrality,
        m=m,
        limit=limit,
        name="Elloumi",
    )

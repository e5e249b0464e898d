"""p-median heuristics on the dense matrix: greedy additions, then fast vectorised interchange.

Both read the demand points × candidates matrix in row chunks of about a million cells, so the
only large arrays are the matrix itself and one chunk-sized temporary. Unreachable cells
(``inf``) are replaced, chunk by chunk, by a finite :func:`unreachable_penalty`, so a set that
leaves weighted demand without a route is always worse than one that does not (up to the cap
on the penalty) and the arithmetic never meets ``inf - inf``.

The interchange is the "fast swap" of Resende and Werneck (2007, *J. Heuristics* 10): with d₁, d₂
each point's nearest and second-nearest open times and k(i) its nearest open site, the profit of
opening j and closing r is gain(j) − loss(r) + extra(r, j), where gain(j) = Σᵢ wᵢ (d₁ − tᵢⱼ)⁺,
loss(r) = Σ_{k(i)=r} wᵢ (d₂ − d₁) and extra(r, j) = Σ_{k(i)=r} wᵢ (d₂ − max(tᵢⱼ, d₁))⁺ — all
swaps evaluated in one pass over the matrix; the best is made until none improves.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

from siteopt.location.base import NO_DEADLINE, Deadline

FloatArray = npt.NDArray[np.float64]


IntArray = npt.NDArray[np.int64]


CHUNK_CELLS = 1_000_000


# Relative improvement below which a swap is not worth making (float noise).
_IMPROVES = 1e-10


def row_chunks(n: int, m: int, cells: int = CHUNK_CELLS) -> Iterator[slice]:
    """Slices of about ``cells`` matrix cells, covering rows ``0..n``."""
    step = max(1, cells // max(m, 1))
    for start in range(0, n, step):
        yield slice(start, min(n, start + step))


def unreachable_penalty(times: FloatArray, w: FloatArray) -> float:
    """Minutes that stand in for "no route" in the heuristics.

    More than the worst reachable total divided by the smallest weight, so one weighted point
    left unreachable outweighs any reachable assignment; capped at a million times the longest
    finite time to keep sums of weighted minutes precise.
    """
    longest = 0.0
    for rows in row_chunks(*times.shape):
        chunk = times[rows]
        finite = chunk[np.isfinite(chunk)]
        if finite.size:
            longest = max(longest, float(finite.max()))
    positive = w[w > 0]
    smallest = float(positive.min()) if len(positive) else 1.0
    lexicographic = float(w.sum()) * longest / smallest + longest + 1.0
    return min(lexicographic, 1e6 * (longest + 1.0))


def set_cost(times: FloatArray, w: FloatArray, chosen: list[int] | IntArray) -> float:
    """Σ wᵢ × time to the nearest chosen site (``inf`` when some point has none reachable)."""
    total = 0.0
    columns = np.asarray(chosen, dtype=np.int64)
    for rows in row_chunks(len(w), len(columns)):
        total += float(w[rows] @ times[rows][:, columns].min(axis=1))
    return total


def greedy(times: FloatArray, w: FloatArray, p: int, penalty: float) -> list[int]:
    """``p`` sites added one at a time, each the one that lowers the weighted time most."""
    n, m = times.shape
    nearest = np.full(n, penalty)
    chosen: list[int] = []
    for _ in range(p):
        values = np.zeros(m)
        for rows in row_chunks(n, m):
            values += w[rows] @ np.minimum(times[rows], nearest[rows, None])
        values[chosen] = np.inf
        j = int(np.argmin(values))
        chosen.append(j)
        np.minimum(nearest, np.minimum(times[:, j], penalty), out=nearest)
    return chosen


def _nearest_two(
    times: FloatArray, chosen: list[int], penalty: float
) -> tuple[FloatArray, FloatArray, IntArray]:
    """Each point's nearest and second-nearest open time and the position of its nearest."""
    sub = np.minimum(times[:, chosen], penalty)
    n = len(sub)
    if len(chosen) == 1:
        return sub[:, 0], np.full(n, penalty), np.zeros(n, dtype=np.int64)
    two = np.argpartition(sub, 1, axis=1)[:, :2]
    values = np.take_along_axis(sub, two, axis=1)
    first = values[:, 0] <= values[:, 1]
    k1 = np.where(first, two[:, 0], two[:, 1]).astype(np.int64)
    return values.min(axis=1), values.max(axis=1), k1


def _swap_profits(
    times: FloatArray, w: FloatArray, chosen: list[int], penalty: float
) -> FloatArray:
    """``profit[r, j]``: how much opening ``j`` and closing ``chosen[r]`` lowers the cost."""
    n, m = times.shape
    p = len(chosen)
    d1, d2, k1 = _nearest_two(times, chosen, penalty)
    order = np.argsort(k1, kind="stable")  # points grouped by their nearest open site
    gain = np.zeros(m)
    extra = np.zeros((p, m))
    for rows in row_chunks(n, m):
        idx = order[rows]
        chunk = np.minimum(times[idx], penalty)
        a, b, wc = d1[idx, None], d2[idx, None], w[idx]
        gain += wc @ np.maximum(a - chunk, 0.0)
        np.maximum(chunk, a, out=chunk)
        np.subtract(b, chunk, out=chunk)
        np.maximum(chunk, 0.0, out=chunk)
        chunk *= wc[:, None]
        groups = k1[idx]
        starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
        extra[groups[starts]] += np.add.reduceat(chunk, starts, axis=0)
    loss = np.bincount(k1, weights=w * (d2 - d1), minlength=p)
    profit: FloatArray = gain[None, :] - loss[:, None] + extra
    profit[:, chosen] = -np.inf
    return profit


def interchange(
    times: FloatArray,
    w: FloatArray,
    start: list[int],
    penalty: float,
    *,
    deadline: Deadline = NO_DEADLINE,
    max_swaps: int = 10_000,
) -> list[int]:
    """Best single swaps (open one site, close another) until none lowers the cost.

    Stops early at the deadline (the set returned is then the best reached so far).
    """
    chosen = list(start)
    m = times.shape[1]
    if len(chosen) >= m:
        return sorted(chosen)
    scale = max(1.0, abs(_penalised_cost(times, w, chosen, penalty)))
    for _ in range(max_swaps):
        if deadline.passed():
            break
        profit = _swap_profits(times, w, chosen, penalty)
        r, j = np.unravel_index(int(np.argmax(profit)), profit.shape)
        if not profit[r, j] > _IMPROVES * scale:
            break
        chosen[int(r)] = int(j)
    return sorted(chosen)


def _penalised_cost(times: FloatArray, w: FloatArray, chosen: list[int], penalty: float) -> float:
    total = 0.0
    for rows in row_chunks(len(w), len(chosen)):
        total += float(w[rows] @ np.minimum(times[rows][:, chosen], penalty).min(axis=1))
    return total if math.isfinite(total) else math.inf

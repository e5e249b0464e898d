"""The Lagrangian lower bound of p-median on a radius formulation, and reduced-cost fixing.

Relaxing the assignment constraints Σⱼ xᵢⱼ = 1 with multipliers λᵢ (Beasley 1993, *EJOR* 65)
leaves, for costs cᵢⱼ = wᵢ tᵢⱼ,

    L(λ) = Σᵢ λᵢ + Σ_{j ∈ S*} ρⱼ,   ρⱼ = Σᵢ min(0, cᵢⱼ − λᵢ),

with S* the ``p`` sites of smallest ρ (sites fixed open always in, fixed closed never): a lower
bound on the optimum for every λ, as strong as the LP relaxation at the best λ. Subgradient
ascent (Polyak steps towards the incumbent's cost, the step factor halved when the bound
stalls) finds a good λ.

**Radius formulation.** Each demand point keeps only its ``K`` nearest candidates, sorted
(:class:`NearLists`); the cost of every other candidate is lowered to the first one left out
(its ``cap``). That is a relaxation, so its L(λ) is still a lower bound, and with λᵢ ≤ capᵢ the
left-out candidates add nothing to any ρⱼ: each evaluation touches only the cells with
cᵢⱼ < λᵢ (found by a vectorised binary search in the sorted lists), a few per point, instead of
all n × m. When λ is below every cap the bound equals the full one (Elloumi 2010, García,
Labbé and Marín 2011 use the same truncation of each point's distance levels).

**Fixing.** With the same λ, forcing site j open changes L to L − ρ₍ᵣ₎ + ρⱼ (the r-th smallest
free ρ leaves S*), forcing it closed to L − ρⱼ + ρ₍ᵣ₊₁₎. When that reaches the incumbent's cost
no better solution has j open (closed), so j is fixed closed (open).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from siteopt.location.base import Deadline
from siteopt.location.interchange import row_chunks

FloatArray = npt.NDArray[np.float64]


IntArray = npt.NDArray[np.int64]


BoolArray = npt.NDArray[np.bool_]


# A bound within this relative distance of the incumbent proves it (float noise in the sums).
PROVES = 1e-9


def proves(bound: float, incumbent: float) -> bool:
    """Whether a lower bound shows that nothing beats ``incumbent`` by more than float noise."""
    return bound >= incumbent - PROVES * abs(incumbent)


@dataclass(frozen=True)
class NearLists:
    """Each demand point's ``K`` nearest candidates, ascending by weighted cost wᵢ tᵢⱼ.

    ``cost`` and ``site`` are n × K (``inf`` cost where unreachable); ``cap[i]`` is the weighted
    cost of the nearest candidate not listed (``inf`` when every reachable one is listed);
    ``floor[i]`` the cost of the nearest (λᵢ below it never helps the bound).
    """

    cost: FloatArray
    site: npt.NDArray[np.int32]
    cap: FloatArray
    floor: FloatArray
    m: int
    columns: IntArray  # the matrix column of each listed site number

    @property
    def complete(self) -> bool:
        """Whether every point lists every reachable candidate (no cap binds)."""
        return bool(np.isinf(self.cap).all())


def near_lists(
    times: FloatArray, w: FloatArray, k: int, columns: IntArray | None = None
) -> NearLists:
    """The ``k`` nearest of the candidates ``columns`` (default all) of every demand point.

    Site numbers in the lists are positions in ``columns``. Built in row chunks, so memory is
    the lists (12 bytes a cell) plus one chunk.
    """
    n = len(w)
    every = np.arange(times.shape[1]) if columns is None else columns
    m = len(every)
    k = max(1, min(k, m))
    cost = np.empty((n, k))
    site = np.empty((n, k), dtype=np.int32)
    cap = np.full(n, np.inf)
    for rows in row_chunks(n, m):
        chunk = times[rows] if columns is None else times[rows][:, columns]
        if k < m:
            part = np.argpartition(chunk, k, axis=1)[:, : k + 1]
            values = np.take_along_axis(chunk, part, axis=1)
            order = np.argsort(values, axis=1, kind="stable")
            part = np.take_along_axis(part, order, axis=1)
            values = np.take_along_axis(values, order, axis=1)
            cap[rows] = values[:, k] * w[rows]
            part, values = part[:, :k], values[:, :k]
        else:
            part = np.argsort(chunk, axis=1, kind="stable")
            values = np.take_along_axis(chunk, part, axis=1)
        cost[rows] = values * w[rows, None]
        site[rows] = part
    floor = cost[:, 0].copy()
    return NearLists(cost, site, cap, floor, m, columns=every)


@dataclass(frozen=True)
class Relaxed:
    """L(λ) at one λ: its value, ρ per site, the sites S* it opens, and each point's cover count.

    ``order`` is the free sites by ascending ρ (S*'s free part first); ``covered[i]`` counts the
    sites of S* with cᵢⱼ < λᵢ (the subgradient is 1 − covered).
    """

    value: float
    rho: FloatArray
    chosen: IntArray
    order: IntArray
    r: int
    covered: FloatArray
    counts: IntArray  # per point, listed costs below λᵢ (a guess for the next λ)


def _counts_below(lists: NearLists, lam: FloatArray, guess: IntArray | None = None) -> IntArray:
    """Per point, how many listed costs are below λᵢ (binary search on the sorted rows).

    With ``guess`` (the counts at a nearby λ) only the points whose count moved are searched.
    """
    n, k = lists.cost.shape
    lo = np.zeros(n, dtype=np.int64)
    hi = np.full(n, k, dtype=np.int64)
    idx = np.arange(n)
    if guess is not None:
        # guess g is right when cost[g - 1] < λ ≤ cost[g] (with the ends open)
        above = np.ones(n, dtype=bool)
        inner = guess < k
        above[inner] = lists.cost[inner, guess[inner]] >= lam[inner]
        below = np.ones(n, dtype=bool)
        inner = guess > 0
        below[inner] = lists.cost[inner, guess[inner] - 1] < lam[inner]
        right = above & below
        lo[right] = hi[right] = guess[right]
        lo[~below] = 0
        hi[~below] = guess[~below]
        lo[~above] = guess[~above] + 1
        idx = np.flatnonzero(lo < hi)
    while len(idx):
        mid = (lo[idx] + hi[idx]) // 2
        less = lists.cost[idx, mid] < lam[idx]
        lo[idx[less]] = mid[less] + 1
        hi[idx[~less]] = mid[~less]
        idx = idx[lo[idx] < hi[idx]]
    return lo


def relax(
    lists: NearLists,
    lam: FloatArray,
    *,
    opened: BoolArray,
    free: BoolArray,
    p: int,
    guess: IntArray | None = None,
) -> Relaxed:
    """Evaluate L(λ) with the sites ``opened`` forced open and only ``free`` ones to choose.

    Needs λᵢ ≤ capᵢ (as :func:`ascend` keeps it): then every cell below λ is listed, and both
    ρ and each point's cover count by S* come from those cells alone (about as many per point
    as sites nearer than its assigned one), never from the dense matrix.
    """
    n, k = lists.cost.shape
    counts = _counts_below(lists, lam, guess)
    ends = np.cumsum(counts)
    flat = np.arange(int(ends[-1]) if n else 0, dtype=np.int64)
    flat += np.repeat(np.arange(n, dtype=np.int64) * k - (ends - counts), counts)
    values = lists.cost.ravel()[flat]
    values -= np.repeat(lam, counts)
    sites = lists.site.ravel()[flat]
    rho = np.asarray(np.bincount(sites, weights=values, minlength=lists.m), dtype=np.float64)
    r = p - int(opened.sum())
    free_sites = np.flatnonzero(free)
    by_rho = free_sites[np.argsort(rho[free_sites], kind="stable")]
    chosen = np.concatenate([np.flatnonzero(opened), by_rho[:r]])
    in_chosen = np.zeros(lists.m, dtype=bool)
    in_chosen[chosen] = True
    covered = np.bincount(flat[in_chosen[sites]] // k, minlength=n).astype(np.float64)
    value = float(lam.sum() + rho[chosen].sum())
    return Relaxed(value, rho, chosen, by_rho, r, covered, counts)


@dataclass
class Ascent:
    """The state of one subgradient ascent: the best bound, its λ and its relaxation."""

    bound: float
    lam: FloatArray
    relaxed: Relaxed
    step: float
    iterations: int = 0


def ascend(
    lists: NearLists,
    lam: FloatArray,
    *,
    opened: BoolArray,
    free: BoolArray,
    p: int,
    incumbent: float,
    deadline: Deadline,
    iterations: int,
    step: float = 2.0,
    patience: int = 20,
    smallest_step: float = 1e-4,
    progress: float = 0.02,
) -> Ascent:
    """Subgradient ascent on L(λ) from ``lam``; stops when the bound proves ``incumbent``.

    The step factor is halved after each window of ``patience`` iterations that closed less
    than ``progress`` of the gap to the incumbent (measured on 35,000 × 500: half the
    iterations to a 1 % gap of halving only when the bound stops rising at all). Also stops
    after ``iterations``, at the deadline, when the step factor falls below ``smallest_step``
    or when S* covers every point exactly once (then L = cost(S*)).
    """
    lam = np.clip(lam, lists.floor, lists.cap)
    relaxed = relax(lists, lam, opened=opened, free=free, p=p)
    best = Ascent(relaxed.value, lam, relaxed, step)
    window_start = best.bound
    for it in range(iterations):
        best.iterations = it + 1
        if proves(best.bound, incumbent) or step < smallest_step or deadline.passed():
            break
        g = 1.0 - relaxed.covered
        g[(lam >= lists.cap) & (g > 0)] = 0.0  # projected: λ may not pass its cap
        norm = float(g @ g)
        if norm == 0.0:
            break
        target = incumbent if math.isfinite(incumbent) else relaxed.value + abs(relaxed.value) + 1
        lam = np.clip(lam + step * (target - relaxed.value) / norm * g, lists.floor, lists.cap)
        relaxed = relax(lists, lam, opened=opened, free=free, p=p, guess=relaxed.counts)
        if relaxed.value > best.bound:
            best.bound, best.lam, best.relaxed = relaxed.value, lam, relaxed
        if (it + 1) % patience == 0:
            if best.bound - window_start < progress * abs(target - window_start):
                step /= 2
            window_start = best.bound
    best.step = step
    return best


def fixings(relaxed: Relaxed, free: BoolArray, incumbent: float) -> tuple[IntArray, IntArray]:
    """Free sites that can be fixed closed and fixed open: (closed, opened).

    A free site outside S* whose forced opening lifts L to the incumbent is closed; one inside
    S* whose forced closing does is opened.
    """
    order, r, rho, value = relaxed.order, relaxed.r, relaxed.rho, relaxed.value
    if r <= 0:
        return order, np.zeros(0, dtype=np.int64)
    inside, outside = order[:r], order[r:]
    last_in = rho[inside[-1]] if len(inside) else 0.0
    first_out = rho[outside[0]] if len(outside) else math.inf
    closed = outside[value - last_in + rho[outside] >= incumbent - PROVES * abs(incumbent)]
    with np.errstate(invalid="ignore"):
        opened = inside[value - rho[inside] + first_out >= incumbent - PROVES * abs(incumbent)]
    del free
    return closed, opened

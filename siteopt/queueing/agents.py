"""Agents one queue needs for a service target (Erlang C or A).

Agents one queue needs: the service level, waiting time and abandonment of a
staffing, and the smallest staffing that meets a service target (Erlang C, or
Erlang A with patience), vectorised over intervals, streams and scenarios.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from siteopt.errors import StaffingError
from siteopt.queueing.erlang import (
    SECONDS_PER_HOUR,
    _agents_array,
    _erlang_a_kernel,
    _erlang_a_parts,
    _log_inverse_erlang_b,
    _positive_seconds,
    _rates_array,
    erlang_a_asa,
    occupancy,
    offered_load,
)

__all__ = ["ServiceTarget", "StaffingResult", "evaluate_staffing", "required_agents"]


FloatArray = npt.NDArray[np.float64]


IntArray = npt.NDArray[np.int64]


# Cells per chunk of the vectorised search: a dozen float arrays of this size fit in L2 cache.
_CHUNK_CELLS = 1 << 16


@dataclass(frozen=True)
class ServiceTarget:
    """A service target: ``share`` of offered calls answered within ``wait_s`` seconds.

    Parameters
    ----------
    share
        Required share in (0, 1], e.g. 0.8 for 80 %. A share of 1 cannot be met with any
        positive load (every call has a positive probability of waiting).
    wait_s
        Answer-time threshold in seconds (>= 0).
    max_asa_s
        Optional cap on the average speed of answer (mean queueing time of all offered calls).
    max_occupancy
        Optional cap in (0, 1] on agent occupancy; enforces ``N >= load / max_occupancy``.
    max_abandon_share
        Optional cap in [0, 1] on the share of offered calls that abandon (Erlang A only; with
        infinite patience nobody abandons).
    """

    share: float = 0.8
    wait_s: float = 20.0
    max_asa_s: float | None = None
    max_occupancy: float | None = None
    max_abandon_share: float | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.share) and 0.0 < self.share <= 1.0):
            raise StaffingError(f"target.share: expected a share in (0, 1], got {self.share}")
        if not (math.isfinite(self.wait_s) and self.wait_s >= 0.0):
            raise StaffingError(
                f"target.wait_s: expected a non-negative number of seconds, got {self.wait_s}"
            )
        if self.max_asa_s is not None and not (
            math.isfinite(self.max_asa_s) and self.max_asa_s >= 0.0
        ):
            raise StaffingError(
                f"target.max_asa_s: expected a non-negative number of seconds, got {self.max_asa_s}"
            )
        if self.max_occupancy is not None and not (0.0 < self.max_occupancy <= 1.0):
            raise StaffingError(
                f"target.max_occupancy: expected a share in (0, 1], got {self.max_occupancy}"
            )
        if self.max_abandon_share is not None and not (0.0 <= self.max_abandon_share <= 1.0):
            raise StaffingError(
                "target.max_abandon_share: expected a share in [0, 1], "
                f"got {self.max_abandon_share}"
            )


@dataclass(frozen=True, eq=False)
class StaffingResult:
    """Performance of a given staffing; every field has the broadcast shape of the inputs.

    Attributes
    ----------
    agents
        Agents staffed.
    load_erlangs
        Offered load in Erlangs.
    wait_probability
        Probability that a call finds every agent busy.
    service_level
        Share of offered calls answered within the target wait.
    asa_s
        Mean queueing time of all offered calls in seconds (``inf`` if unstable without patience).
    occupancy
        Share of agent time spent handling calls (carried load / agents).
    abandon_share
        Share of offered calls that abandon (0 without patience).
    """

    agents: IntArray
    load_erlangs: FloatArray
    wait_probability: FloatArray
    service_level: FloatArray
    asa_s: FloatArray
    occupancy: FloatArray
    abandon_share: FloatArray


def evaluate_staffing(
    agents: npt.ArrayLike,
    rate_per_hour: npt.ArrayLike,
    *,
    aht_s: npt.ArrayLike,
    target_wait_s: float,
    patience_s: npt.ArrayLike | None = None,
) -> StaffingResult:
    """Return Erlang C (or, with ``patience_s``, Erlang A) measures of a given staffing.

    Parameters
    ----------
    agents
        Agents per cell (broadcast against the rates).
    rate_per_hour
        Arrival rate in calls per hour.
    aht_s
        Average handling time in seconds.
    target_wait_s
        Answer-time threshold of the service level, in seconds.
    patience_s
        Mean exponential patience in seconds; ``None`` (or ``inf``) means nobody abandons.
    """
    n_int = _agents_array(agents)
    load = offered_load(rate_per_hour, aht_s)
    aht = _positive_seconds(aht_s, "aht_s")
    n_arr, load_arr, aht_arr = np.broadcast_arrays(n_int, load, aht)
    patience = np.inf if patience_s is None else patience_s
    parts = _erlang_a_parts(n_arr, load_arr, aht_arr, patience, target_wait_s)
    sl = np.clip(1.0 - parts.abandon_probability - parts.late_served_probability, 0.0, 1.0)
    asa = erlang_a_asa(n_arr, load_arr, aht_s=aht_arr, patience_s=patience)
    carried = load_arr * (1.0 - parts.abandon_probability)
    occ = occupancy(n_arr, carried)
    return StaffingResult(
        agents=np.array(n_arr, dtype=np.int64),
        load_erlangs=np.array(load_arr, dtype=np.float64),
        wait_probability=parts.wait_probability,
        service_level=np.asarray(sl, dtype=np.float64),
        asa_s=asa,
        occupancy=occ,
        abandon_share=parts.abandon_probability,
    )


def _check_target_feasible(target: ServiceTarget, *, has_load: bool, finite_patience: bool) -> None:
    if not has_load:
        return
    if target.share >= 1.0:
        raise StaffingError(
            f"target.share: {target.share:.0%} within {target.wait_s:g} s cannot be met by any "
            "finite staffing when calls arrive (every call has a positive chance of waiting)"
        )
    if target.max_asa_s == 0.0:
        raise StaffingError(
            "target.max_asa_s: an average speed of answer of 0 s cannot be met by any finite "
            "staffing when calls arrive"
        )
    if target.max_abandon_share == 0.0 and finite_patience:
        raise StaffingError(
            "target.max_abandon_share: zero abandonment cannot be met by any finite staffing "
            "when callers have finite patience"
        )


def _occupancy_floor(a: FloatArray, max_occupancy: float | None) -> FloatArray:
    """Return the smallest whole ``N`` with ``a / N <= max_occupancy`` (as float)."""
    if max_occupancy is None:
        return np.zeros_like(a)
    n = np.ceil(a / max_occupancy)
    # Correct the ceiling for rounding so the floor agrees with the occupancy reported later.
    lower = np.maximum(n - 1.0, 1.0)
    n = np.where((n > 1.0) & (a / lower <= max_occupancy), lower, n)
    return np.asarray(np.where(a / np.maximum(n, 1.0) > max_occupancy, n + 1.0, n), np.float64)


def _staffing_upper_bound(
    a: FloatArray, aht: FloatArray, patience: FloatArray, target: ServiceTarget
) -> FloatArray:
    """Return an ``N`` at which every target is provably met (with a factor-2 rounding margin).

    For ``N >= 2e*A``: ``B(N, A) <= A^N/N! <= (eA/N)^N <= 2^-N`` (using ``N! >= (N/e)^N``) and
    ``rho <= 1/2``, so ``C = B / (1 - rho(1 - B)) <= 2B <= 2^(1-N)``. The Erlang C failure share
    ``C e^-(N-A)t/AHT`` and ASA ``C AHT/(N-A) <= 2^(2-N) AHT`` follow. Under Erlang A every failure
    (late or abandoned) first waits, and ``P(wait)`` is below Erlang C's because
    ``G(x, y) <= sum rho^j``; ``ASA = P(abandon) * patience <= 2^(1-N) * patience``.
    So ``2^(1-N) <= delta`` with ``delta`` the tightest of the halved tolerances suffices.
    """
    delta = np.full(a.shape, (1.0 - target.share) / 2.0)
    if target.max_asa_s is not None:
        asa_scale = np.where(np.isfinite(patience), 2.0 * patience, 4.0 * aht)
        delta = np.minimum(delta, target.max_asa_s / asa_scale)
    if target.max_abandon_share is not None:
        delta = np.where(
            np.isfinite(patience), np.minimum(delta, target.max_abandon_share / 2.0), delta
        )
    by_tolerance = np.ceil(1.0 - np.log2(delta))
    bound = np.maximum(np.maximum(np.ceil(2.0 * math.e * a), by_tolerance), 1.0)
    return np.asarray(bound, dtype=np.float64)


def _inverse_erlang_b_by_recursion(n: FloatArray, a: FloatArray) -> FloatArray:
    """Return ``1/B(n, a)`` by the recursion ``1/B(k) = 1 + (k/a) / B(k-1)`` from ``1/B(0) = 1``.

    Cells are sorted by ``n`` (descending) so that the cells still recursing at step ``k`` are a
    prefix and every step is three in-place passes over that prefix. The recursion only adds
    positive terms, so it is forward-stable (relative error ``O(n eps)``).
    """
    order = np.argsort(-n.astype(np.int16), kind="stable")  # radix sort
    n_sorted = n[order]
    inv_a = 1.0 / a[order]
    inv_b = np.ones_like(a)
    ks = np.arange(1, int(n_sorted[0]) + 1) if n_sorted.size else np.arange(0)
    prefix_lengths = np.searchsorted(-n_sorted, -ks, side="right")
    for k, m in zip(ks, prefix_lengths, strict=True):
        view = inv_b[:m]
        np.multiply(view, inv_a[:m], out=view)
        view *= float(k)
        view += 1.0
    out = np.empty_like(a)
    out[order] = inv_b
    return out


def _erlang_b_at(n: FloatArray, a: FloatArray) -> FloatArray:
    """Return ``B(n, a)`` for whole ``n >= 1`` and ``a > 0``.

    Small ``n`` use the recursion (cheaper than one incomplete-gamma call per cell; restricted to
    ``n <= 2a + 2`` where ``1/B`` cannot overflow); other cells the incomplete gamma function.
    """
    small = (n <= 200.0) & (n <= 2.0 * a + 2.0) & (a >= 1e-6)
    if small.all():
        return 1.0 / _inverse_erlang_b_by_recursion(n, a)
    out = np.empty_like(a)
    if small.any():
        out[small] = 1.0 / _inverse_erlang_b_by_recursion(n[small], a[small])
    large = ~small
    if large.any():
        log_inv, _ = _log_inverse_erlang_b(n[large], a[large])
        out[large] = np.exp(-log_inv)
    return out


def _max_search_steps(a: FloatArray, aht: FloatArray, target: ServiceTarget) -> float:
    """Return a step count no cell's Erlang C search can exceed (see _staffing_upper_bound)."""
    if a.size == 0:
        return 0.0
    worst = _staffing_upper_bound(
        np.array([a.max()]), np.array([aht.max()]), np.array([np.inf]), target
    )
    return float(worst[0])


def _erlang_c_required(a: FloatArray, aht: FloatArray, target: ServiceTarget) -> FloatArray:
    """Return Erlang C required agents, processing cells in cache-sized chunks (about 3x faster)."""
    chunk = _CHUNK_CELLS
    if a.size <= chunk:
        return _erlang_c_required_chunk(a, aht, target)
    return np.concatenate(
        [
            _erlang_c_required_chunk(a[i : i + chunk], aht[i : i + chunk], target)
            for i in range(0, a.size, chunk)
        ]
    )


def _erlang_c_required_chunk(a: FloatArray, aht: FloatArray, target: ServiceTarget) -> FloatArray:
    """Step every cell up from ``max(floor(A) + 1, occupancy floor)`` until its target is met.

    One exact Erlang B value per cell at the start, then the exact, forward-stable recursion
    ``B(n+1) = A B(n) / (n + 1 + A B(n))`` per step: a few flops per cell and step, typically
    ``O(sqrt(A))`` steps. The tests are division-free rearrangements of
    ``C exp(-(N-A)t/AHT) <= 1 - share`` and ``C AHT / (N-A) <= max ASA`` with
    ``C = B N / (N - A + A B)``. Met cells are dropped only once they are the majority (compressing
    arrays costs more than a step). The loop is bounded by :func:`_staffing_upper_bound`.
    """
    start = np.floor(a) + 1.0
    if target.max_occupancy is not None:
        start = np.maximum(start, _occupancy_floor(a, target.max_occupancy))
    max_steps = _max_search_steps(a, aht, target)
    tolerance = 1.0 - target.share
    max_asa = target.max_asa_s
    rate = target.wait_s / aht
    result = start.copy()
    idx: IntArray | None = None  # None while no cell has been dropped
    n = start.copy()
    b = _erlang_b_at(start, a)
    decay = np.exp(-(start - a) * rate)
    step_decay = np.exp(-rate)
    extra = np.zeros_like(a)
    pending = np.ones(a.shape, dtype=np.bool_)
    steps = 0
    while True:
        load_b = a * b
        denominator = n - a
        if max_asa is not None:
            asa_fail = b * n * aht > max_asa * denominator * (denominator + load_b)
        denominator += load_b
        denominator *= tolerance
        fail = b * n
        fail *= decay
        not_met = fail > denominator
        if max_asa is not None:
            not_met |= asa_fail
        pending &= not_met
        n_pending = int(np.count_nonzero(pending))
        if n_pending == 0:
            break
        extra += pending
        steps += 1
        if steps > max_steps:
            raise AssertionError("Erlang C search passed its proven upper bound")
        n += 1.0
        b = load_b / (n + load_b)
        decay *= step_decay
        if 2 * n_pending < pending.size:
            keep = np.flatnonzero(pending)
            if idx is None:
                result += extra
            else:
                result[idx] += extra
            idx = keep if idx is None else idx[keep]
            n, a, b, decay, step_decay, aht = (
                arr[keep] for arr in (n, a, b, decay, step_decay, aht)
            )
            extra = np.zeros_like(a)
            pending = np.ones(a.shape, dtype=np.bool_)
    if idx is None:
        result += extra
    else:
        result[idx] += extra
    return result


def _erlang_a_required(
    a: FloatArray, aht: FloatArray, patience: FloatArray, target: ServiceTarget
) -> FloatArray:
    """Smallest ``N`` between the occupancy floor and the proven upper bound meeting the target.

    All Erlang A measures are monotone in ``N`` (an extra agent never lengthens anyone's wait)
    and in the load (an extra call never shortens one), so cells of one stream (same handling
    time and patience) sorted by load need non-decreasing staffing. Each such run is solved at
    its two ends; a stretch between two solved cells that need the same staffing needs it
    throughout, and any other stretch is split at its middle cell, searched within its
    neighbours' answers (:func:`_erlang_a_searched`). A week of intervals of a few force
    groups needs a dozen distinct staffing levels, so a few percent of the cells are searched.
    """
    floor = np.maximum(_occupancy_floor(a, target.max_occupancy), 1.0)
    bound = np.maximum(_staffing_upper_bound(a, aht, patience, target), floor)
    order = np.lexsort((a, patience, aht))
    a_s, aht_s, pat_s, floor_s, bound_s = (x[order] for x in (a, aht, patience, floor, bound))
    found = np.zeros_like(a_s)

    def search(cells: IntArray, lo: FloatArray, hi: FloatArray) -> None:
        # neighbours that disagree with a cell's own bounds (no monotone order): its bounds
        loose = lo > hi
        lo, hi = np.where(loose, floor_s[cells], lo), np.where(loose, bound_s[cells], hi)
        found[cells] = _erlang_a_searched(
            a_s[cells], aht_s[cells], pat_s[cells], target, lo=lo, hi=hi
        )

    same_stream = (aht_s[1:] == aht_s[:-1]) & (pat_s[1:] == pat_s[:-1])
    left = np.flatnonzero(np.concatenate(([True], ~same_stream)))
    right = np.concatenate((left[1:], [a_s.size])) - 1
    ends = np.unique(np.concatenate((left, right)))
    search(ends, floor_s[ends], bound_s[ends])
    while left.size:
        inner = right - left > 1
        left, right = left[inner], right[inner]
        same = found[left] == found[right]
        _fill_between(found, left[same], right[same])
        left, right = left[~same], right[~same]
        middle = (left + right) // 2
        search(
            middle,
            np.maximum(floor_s[middle], found[left]),
            np.minimum(bound_s[middle], found[right]),
        )
        left, right = np.concatenate((left, middle)), np.concatenate((middle, right))
    out = np.empty_like(found)
    out[order] = found
    return out


def _fill_between(values: FloatArray, left: IntArray, right: IntArray) -> None:
    """Set every cell strictly between ``left[i]`` and ``right[i]`` to ``values[left[i]]``."""
    lengths = right - left - 1
    if not lengths.sum():
        return
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    values[np.repeat(left + 1, lengths) + offsets] = np.repeat(values[left], lengths)


def _erlang_a_searched(
    a: FloatArray,
    aht: FloatArray,
    patience: FloatArray,
    target: ServiceTarget,
    *,
    lo: FloatArray,
    hi: FloatArray,
) -> FloatArray:
    """Smallest ``N`` in ``[lo, hi]`` meeting the target (``hi`` if none below it does).

    Erlang C's requirement ``N_C`` is a close guess (patience usually saves an agent or two,
    but counting abandoned calls as failures can cost one): the first probe is ``N_C - 1``
    (the middle of a bracket of at most three), the second its neighbour on the side the
    first pointed to (``N_C - 2`` if met, else ``N_C``), and the few cells still open are
    bisected. Most cells need two Erlang A evaluations; a bisection from the bounds needed
    five or six.
    """
    lo, hi = lo.copy(), hi.copy()
    active = np.flatnonzero(lo < hi)
    if not active.size:
        return hi
    probe = np.floor((lo[active] + hi[active]) / 2.0)
    wide = hi[active] - lo[active] > 2.0  # else the middle is as good a first probe
    if wide.any():
        cells = active[wide]
        guess = _erlang_c_required(a[cells], aht[cells], target) - 1.0
        probe[wide] = np.clip(guess, lo[cells], hi[cells] - 1.0)
    first = True
    while active.size:
        ok = _erlang_a_met(probe, a[active], aht[active], patience[active], target)
        hi[active[ok]] = probe[ok]
        lo[active[~ok]] = probe[~ok] + 1.0
        still = lo[active] < hi[active]
        active, ok = active[still], ok[still]
        if first:  # the guess's neighbour, below it if it was met (both within [lo, hi))
            probe = np.where(ok, hi[active] - 1.0, lo[active])
            first = False
        else:
            probe = np.floor((lo[active] + hi[active]) / 2.0)
    return hi


def _erlang_a_met(
    n: FloatArray, a: FloatArray, aht: FloatArray, patience: FloatArray, target: ServiceTarget
) -> npt.NDArray[np.bool_]:
    """Whether ``n`` agents meet every part of the target under Erlang A, cell by cell."""
    _, p_ab, p_late = _erlang_a_kernel(n, a, aht, patience, np.full_like(a, target.wait_s))
    ok: npt.NDArray[np.bool_] = p_ab + p_late <= 1.0 - target.share
    if target.max_asa_s is not None:
        ok &= p_ab * patience <= target.max_asa_s
    if target.max_abandon_share is not None:
        ok &= p_ab <= target.max_abandon_share
    return ok


def required_agents(
    rate_per_hour: npt.ArrayLike,
    *,
    aht_s: npt.ArrayLike,
    target: ServiceTarget,
    patience_s: npt.ArrayLike | None = None,
) -> IntArray:
    """Return the smallest number of agents per cell meeting ``target``.

    Erlang C (M/M/N) without ``patience_s``; Erlang A (M/M/N+M) with it, where the service level
    counts abandoned calls as failures. Cells with no calls need 0 agents (apply any minimum crew
    afterwards). Vectorised over arrays of any shape.

    Parameters
    ----------
    rate_per_hour
        Arrival rates in calls per hour, any shape.
    aht_s
        Average handling time in seconds, broadcast against the rates.
    target
        Service-level target and optional ASA / occupancy / abandonment caps.
    patience_s
        Mean exponential patience in seconds (broadcast); ``None`` or ``inf`` means no abandonment.

    Raises
    ------
    StaffingError
        If an input is invalid or the target cannot be met by any finite staffing.
    """
    rates = _rates_array(rate_per_hour)
    aht = _positive_seconds(aht_s, "aht_s")
    patience = (
        np.asarray(np.inf)
        if patience_s is None
        else _positive_seconds(patience_s, "patience_s", allow_inf=True)
    )
    rates_b, aht_b, patience_b = np.broadcast_arrays(rates, aht, patience)
    shape = rates_b.shape
    a = np.multiply(rates_b, aht_b).ravel()
    a /= SECONDS_PER_HOUR
    aht_f = np.ascontiguousarray(aht_b).ravel()
    busy = a > 0.0
    has_load = bool(busy.any())
    all_busy = bool(busy.all())
    if patience_s is None:
        finite = np.zeros(a.shape, dtype=np.bool_)
    else:
        finite = np.isfinite(np.ascontiguousarray(patience_b).ravel())
    _check_target_feasible(target, has_load=has_load, finite_patience=bool((finite & busy).any()))
    out = np.zeros(a.shape)
    if patience_s is None and all_busy:  # fast path: no gathers or scatters
        out = _erlang_c_required(a, aht_f, target)
    else:
        cells_c = busy & ~finite
        if cells_c.any():
            out[cells_c] = _erlang_c_required(a[cells_c], aht_f[cells_c], target)
        cells_a = busy & finite
        if cells_a.any():
            pat_f = np.ascontiguousarray(patience_b).ravel()
            out[cells_a] = _erlang_a_required(a[cells_a], aht_f[cells_a], pat_f[cells_a], target)
    return out.astype(np.int64).reshape(shape)

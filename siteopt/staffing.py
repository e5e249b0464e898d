"""Queueing and staffing mathematics for control-room call handling.

Erlang C (M/M/N) and Erlang A (M/M/N+M, exponential patience) performance measures, the smallest
staffing meeting a service target (vectorised over arbitrary arrays of intervals, streams and
scenarios), multi-stream teams (separate or blended), pooling of forces, and agents-to-FTE.

Units: arrival rates in calls per hour, times in seconds, load in Erlangs.

Numerical method
----------------
No factorials are formed. Erlang B is the Poisson pmf divided by the Poisson cdf,
``B(N, A) = p(N; A) / P(N; A)``; the pmf comes from ``gammaln`` in log space and the cdf from
``scipy.special.pdtr`` (the regularised incomplete gamma function), both accurate to a few ulps and
evaluated in one vectorised call. Where the cdf is so small that it would underflow (``N`` far below
``A``) the finite sum ``1/B = sum_i N!/(N-i)!/A^i`` is used instead, whose terms fall geometrically
in that regime. Erlang A uses the exact Mandelbaum--Zeltyn formulas, written with the Kummer series
``G(x, y) = sum_j y^j / ((x+1)...(x+j))`` evaluated in log space through ``gammainc`` (or directly
as a series where ``gammainc`` would underflow).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt
from scipy import special

from siteopt.errors import StaffingError

if TYPE_CHECKING:
    from siteopt.instance import Instance
    from siteopt.roster import ShiftMenu

__all__ = [
    "PoolingCalculator",
    "ServiceTarget",
    "Shrinkage",
    "StaffingFte",
    "StaffingResult",
    "StaffingTable",
    "blended_required_agents",
    "erlang_a_abandon_probability",
    "erlang_a_asa",
    "erlang_a_service_level",
    "erlang_a_wait_probability",
    "erlang_b",
    "erlang_c",
    "erlang_c_asa",
    "erlang_c_service_level",
    "evaluate_staffing",
    "fte_from_agents",
    "instance_shrinkage",
    "occupancy",
    "offered_load",
    "pooled_required_agents",
    "priority_required_agents",
    "required_agents",
    "room_fte",
    "separate_required_agents",
    "staffing_table",
    "team_required_agents",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

SECONDS_PER_HOUR = 3600.0
HOURS_PER_WEEK = 168.0
# Below this a regularised incomplete gamma value is treated as (nearly) underflowed and the
# corresponding quantity is summed as a series instead.
_TINY = 1e-200
_SERIES_EPS = 1e-17
# Cells per chunk of the vectorised search: a dozen float arrays of this size fit in L2 cache.
_CHUNK_CELLS = 1 << 16


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------


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


def _first_bad(values: FloatArray, bad: npt.NDArray[np.bool_]) -> float:
    return float(values[bad].ravel()[0])


def _rates_array(rate_per_hour: npt.ArrayLike, name: str = "rate_per_hour") -> FloatArray:
    rates = np.asarray(rate_per_hour, dtype=np.float64)
    bad = ~np.isfinite(rates) | (rates < 0.0)
    if bad.any():
        raise StaffingError(
            f"{name}: expected finite non-negative calls per hour, got {_first_bad(rates, bad)}"
        )
    return rates


def _positive_seconds(value: npt.ArrayLike, name: str, *, allow_inf: bool = False) -> FloatArray:
    arr = np.asarray(value, dtype=np.float64)
    ok = (arr > 0.0) & (np.isfinite(arr) | (allow_inf & (arr == np.inf)))
    if not ok.all():
        raise StaffingError(
            f"{name}: expected a positive number of seconds, got {_first_bad(arr, ~ok)}"
        )
    return arr


def _agents_array(agents: npt.ArrayLike) -> IntArray:
    arr = np.asarray(agents)
    as_float = arr.astype(np.float64)
    bad = ~np.isfinite(as_float) | (as_float < 0) | (as_float != np.round(as_float))
    if bad.any():
        raise StaffingError(
            f"agents: expected non-negative whole numbers, got {_first_bad(as_float, bad)}"
        )
    return as_float.astype(np.int64)


def _load_array(load: npt.ArrayLike) -> FloatArray:
    arr = np.asarray(load, dtype=np.float64)
    bad = ~np.isfinite(arr) | (arr < 0.0)
    if bad.any():
        raise StaffingError(
            f"load: expected a finite non-negative load in Erlangs, got {_first_bad(arr, bad)}"
        )
    return arr


def offered_load(rate_per_hour: npt.ArrayLike, aht_s: npt.ArrayLike) -> FloatArray:
    """Return the offered load in Erlangs, ``rate * AHT``.

    Parameters
    ----------
    rate_per_hour
        Arrival rate in calls per hour.
    aht_s
        Average handling time in seconds (broadcast against the rates).
    """
    rates = _rates_array(rate_per_hour)
    aht = _positive_seconds(aht_s, "aht_s")
    return np.asarray(rates * aht / SECONDS_PER_HOUR, dtype=np.float64)


# --------------------------------------------------------------------------------------------
# Stable kernels (1-D float arrays, already validated)
# --------------------------------------------------------------------------------------------


def _log_expm1(x: FloatArray) -> FloatArray:
    small = np.minimum(x, 30.0)
    return np.where(x > 30.0, x, np.log(np.maximum(np.expm1(small), 1e-300)))


def _log_inverse_erlang_b(n: FloatArray, a: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Return ``log(1/B)`` and ``log(1/B - 1)`` for ``n >= 1`` servers and load ``a > 0``."""
    cdf = special.pdtr(n, a)
    log_pmf = special.xlogy(n, a) - a - special.gammaln(n + 1.0)
    log_inv = np.empty_like(a)
    log_rest = np.empty_like(a)
    direct = cdf > _TINY
    log_inv[direct] = np.log(cdf[direct]) - log_pmf[direct]
    log_rest[direct] = _log_expm1(log_inv[direct])
    series = ~direct
    if series.any():
        # cdf underflow means n is far below a, so the terms n!/(n-i)!/a^i fall geometrically
        # (ratio (n-i)/a < 1) and the finite sum converges in a few dozen terms.
        ns, as_ = n[series], a[series]
        term = np.ones_like(as_)
        rest = np.zeros_like(as_)
        i = 0.0
        while True:
            term = term * np.maximum(ns - i, 0.0) / as_
            rest += term
            i += 1.0
            if not np.any(term > _SERIES_EPS * rest):
                break
        log_inv[series] = np.log1p(rest)
        log_rest[series] = np.log(rest)
    return log_inv, log_rest


def _log_kummer(x: FloatArray, y: FloatArray) -> FloatArray:
    """Return ``log G(x, y)`` with ``G(x, y) = sum_j y^j / ((x+1)...(x+j))`` for ``x > 0, y >= 0``.

    ``G(x, y) = Gamma(x+1) e^y y^-x P(x, y)`` with ``P`` the regularised lower incomplete gamma.
    """
    out = np.zeros_like(y)
    p = special.gammainc(x, y)
    positive = y > 0.0
    direct = positive & (p > _TINY)
    xd, yd = x[direct], y[direct]
    out[direct] = np.log(p[direct]) + special.gammaln(xd + 1.0) + yd - xd * np.log(yd)
    series = positive & ~direct
    if series.any():
        # P(x, y) < 1e-200 implies y < x (P(x, x) > 0.4 for every x > 0), so the term ratio
        # y / (x + j) is below one and falls: the series converges geometrically.
        xs, ys = x[series], y[series]
        term = np.ones_like(ys)
        total = np.ones_like(ys)
        j = 1.0
        while True:
            term = term * ys / (xs + j)
            total += term
            j += 1.0
            if not np.any(term > _SERIES_EPS * total):
                break
        out[series] = np.log(total)
    return out


def _erlang_c_kernel(n: FloatArray, a: FloatArray) -> FloatArray:
    """Return the Erlang C wait probability for ``n > a > 0``."""
    log_inv, _ = _log_inverse_erlang_b(n, a)
    b = np.exp(-log_inv)
    rho = a / n
    return np.asarray(b / (1.0 - rho * (1.0 - b)), dtype=np.float64)


def _erlang_a_kernel(
    n: FloatArray, a: FloatArray, aht: FloatArray, patience: FloatArray, wait: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Return P(wait > 0), P(abandon) and P(wait > t and served) for ``n >= 1, a > 0``.

    With ``x = n*patience/aht`` and ``y = a*patience/aht`` (Mandelbaum & Zeltyn, M/M/n+M):
    ``P(W>0) = S*B / (1 + (S-1)*B)`` with ``S = G(x, y)``; ``P(Ab | W>0) = 1 - (x/y)(1 - 1/S)``;
    ``P(V>t, served) = P(W>0) * x/(x+1) * G(x+1, y*z) / S * z^(x+1) * e^(y(1-z))`` with
    ``z = exp(-t/patience)``
    (derived from the offered wait V given j waiting ahead: ``e^(-V/patience) ~ Beta(x, j+1)``).
    """
    x = n * patience / aht
    y = a * patience / aht
    _, log_rest = _log_inverse_erlang_b(n, a)
    log_s = _log_kummer(x, y)
    p_wait = special.expit(log_s - log_rest)
    ab_given_wait = np.clip(1.0 - (x / y) * -np.expm1(-log_s), 0.0, 1.0)
    p_abandon = p_wait * ab_given_wait
    theta_t = wait / patience
    log_g1 = _log_kummer(x + 1.0, y * np.exp(-theta_t))
    exponent = log_g1 - log_s - (x + 1.0) * theta_t - y * np.expm1(-theta_t)
    p_late_served = np.minimum(p_wait * x / (x + 1.0) * np.exp(exponent), 1.0 - p_abandon)
    return p_wait, p_abandon, p_late_served


# --------------------------------------------------------------------------------------------
# Erlang C (M/M/N)
# --------------------------------------------------------------------------------------------


def erlang_b(agents: npt.ArrayLike, load: npt.ArrayLike) -> FloatArray:
    """Return the Erlang B blocking probability ``B(N, A)`` (M/M/N/N).

    Parameters
    ----------
    agents
        Number of servers ``N`` (non-negative whole numbers).
    load
        Offered load ``A`` in Erlangs.
    """
    n_arr, a_arr = np.broadcast_arrays(_agents_array(agents), _load_array(load))
    n = n_arr.astype(np.float64).ravel()
    a = a_arr.ravel()
    out = np.where(n == 0, 1.0, 0.0)
    inner = (n > 0) & (a > 0)
    if inner.any():
        log_inv, _ = _log_inverse_erlang_b(n[inner], a[inner])
        out[inner] = np.exp(-log_inv)
    return out.reshape(n_arr.shape)


def erlang_c(agents: npt.ArrayLike, load: npt.ArrayLike) -> FloatArray:
    """Return the Erlang C probability that a call waits, ``C(N, A)``.

    Equal to 1 when ``N <= A`` (the queue is unstable) and 0 when ``A = 0``.

    Parameters
    ----------
    agents
        Number of agents ``N``.
    load
        Offered load ``A`` in Erlangs.
    """
    n_arr, a_arr = np.broadcast_arrays(_agents_array(agents), _load_array(load))
    n = n_arr.astype(np.float64).ravel()
    a = a_arr.ravel()
    out = np.where(a > 0.0, 1.0, 0.0)
    stable = (a > 0.0) & (n > a)
    if stable.any():
        out[stable] = _erlang_c_kernel(n[stable], a[stable])
    return out.reshape(n_arr.shape)


def erlang_c_service_level(
    agents: npt.ArrayLike, load: npt.ArrayLike, *, aht_s: npt.ArrayLike, target_wait_s: float
) -> FloatArray:
    """Return the Erlang C service level ``P(wait <= t) = 1 - C(N, A) exp(-(N - A) t / AHT)``.

    Parameters
    ----------
    agents
        Number of agents ``N``.
    load
        Offered load ``A`` in Erlangs.
    aht_s
        Average handling time in seconds.
    target_wait_s
        Answer-time threshold ``t`` in seconds.
    """
    n = _agents_array(agents).astype(np.float64)
    a = _load_array(load)
    aht = _positive_seconds(aht_s, "aht_s")
    wait = float(target_wait_s)
    c = erlang_c(n, a)
    slack = np.maximum(n - a, 0.0)
    return np.asarray(1.0 - c * np.exp(-slack * wait / aht), dtype=np.float64)


def erlang_c_asa(agents: npt.ArrayLike, load: npt.ArrayLike, *, aht_s: npt.ArrayLike) -> FloatArray:
    """Return the Erlang C average speed of answer ``C(N, A) AHT / (N - A)`` in seconds.

    The mean is over all calls (immediately answered calls count as zero); ``inf`` when ``N <= A``.

    Parameters
    ----------
    agents
        Number of agents ``N``.
    load
        Offered load ``A`` in Erlangs.
    aht_s
        Average handling time in seconds.
    """
    n_arr, a_arr, aht_arr = np.broadcast_arrays(
        _agents_array(agents).astype(np.float64),
        _load_array(load),
        _positive_seconds(aht_s, "aht_s"),
    )
    c = erlang_c(n_arr, a_arr)
    stable = n_arr > a_arr
    out = np.full(n_arr.shape, np.inf)
    out[a_arr == 0.0] = 0.0
    out[stable] = c[stable] * aht_arr[stable] / (n_arr[stable] - a_arr[stable])
    return out


def occupancy(agents: npt.ArrayLike, load: npt.ArrayLike) -> FloatArray:
    """Return the agent occupancy ``min(A / N, 1)`` (0 without load, 1 with load but no agents).

    Parameters
    ----------
    agents
        Number of agents ``N``.
    load
        Offered load ``A`` in Erlangs.
    """
    n_arr, a_arr = np.broadcast_arrays(_agents_array(agents).astype(np.float64), _load_array(load))
    out = np.where(a_arr > 0.0, 1.0, 0.0)
    staffed = n_arr > 0
    out[staffed] = np.minimum(a_arr[staffed] / n_arr[staffed], 1.0)
    return out


# --------------------------------------------------------------------------------------------
# Erlang A (M/M/N+M)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _ErlangAParts:
    wait_probability: FloatArray
    abandon_probability: FloatArray
    late_served_probability: FloatArray
    patience: FloatArray


def _erlang_a_parts(
    agents: npt.ArrayLike,
    load: npt.ArrayLike,
    aht_s: npt.ArrayLike,
    patience_s: npt.ArrayLike,
    target_wait_s: float,
) -> _ErlangAParts:
    n_arr, a_arr, aht_arr, pat_arr = np.broadcast_arrays(
        _agents_array(agents).astype(np.float64),
        _load_array(load),
        _positive_seconds(aht_s, "aht_s"),
        _positive_seconds(patience_s, "patience_s", allow_inf=True),
    )
    shape = n_arr.shape
    n, a, aht, pat = (arr.ravel() for arr in (n_arr, a_arr, aht_arr, pat_arr))
    wait = np.full(a.shape, float(target_wait_s))
    busy = a > 0.0
    # Nobody staffed: every call waits and (with finite patience) abandons.
    p_wait = np.where(busy, 1.0, 0.0)
    p_ab = np.where(busy & (n == 0) & np.isfinite(pat), 1.0, 0.0)
    p_late = np.where(busy & (n == 0) & ~np.isfinite(pat), 1.0, 0.0)
    finite = busy & (n > 0) & np.isfinite(pat)
    if finite.any():
        pw, pa, pl = _erlang_a_kernel(n[finite], a[finite], aht[finite], pat[finite], wait[finite])
        p_wait[finite], p_ab[finite], p_late[finite] = pw, pa, pl
    infinite = busy & (n > 0) & ~np.isfinite(pat)
    p_late[infinite] = 1.0
    stable = infinite & (n > a)
    if stable.any():
        c = _erlang_c_kernel(n[stable], a[stable])
        p_wait[stable] = c
        p_late[stable] = c * np.exp(-(n[stable] - a[stable]) * wait[stable] / aht[stable])
    return _ErlangAParts(
        p_wait.reshape(shape), p_ab.reshape(shape), p_late.reshape(shape), pat.reshape(shape)
    )


def erlang_a_wait_probability(
    agents: npt.ArrayLike, load: npt.ArrayLike, *, aht_s: npt.ArrayLike, patience_s: npt.ArrayLike
) -> FloatArray:
    """Return the Erlang A probability that an arriving call finds all agents busy.

    Parameters
    ----------
    agents
        Number of agents ``N``.
    load
        Offered load ``A`` in Erlangs.
    aht_s
        Average handling time in seconds.
    patience_s
        Mean of the exponential patience in seconds (``inf`` gives Erlang C).
    """
    return _erlang_a_parts(agents, load, aht_s, patience_s, 0.0).wait_probability


def erlang_a_abandon_probability(
    agents: npt.ArrayLike, load: npt.ArrayLike, *, aht_s: npt.ArrayLike, patience_s: npt.ArrayLike
) -> FloatArray:
    """Return the Erlang A share of offered calls that abandon before being answered.

    Parameters
    ----------
    agents
        Number of agents ``N``.
    load
        Offered load ``A`` in Erlangs.
    aht_s
        Average handling time in seconds.
    patience_s
        Mean of the exponential patience in seconds (``inf`` gives Erlang C: no abandonment).
    """
    return _erlang_a_parts(agents, load, aht_s, patience_s, 0.0).abandon_probability


def erlang_a_service_level(
    agents: npt.ArrayLike,
    load: npt.ArrayLike,
    *,
    aht_s: npt.ArrayLike,
    patience_s: npt.ArrayLike,
    target_wait_s: float,
) -> FloatArray:
    """Return the Erlang A service level: share of *offered* calls answered within ``t`` seconds.

    Abandoned calls count as failures, whenever they abandon; this is the conservative
    contact-centre definition (answered within t / offered). It tends to the Erlang C service level
    as the patience grows.

    Parameters
    ----------
    agents
        Number of agents ``N``.
    load
        Offered load ``A`` in Erlangs.
    aht_s
        Average handling time in seconds.
    patience_s
        Mean of the exponential patience in seconds.
    target_wait_s
        Answer-time threshold ``t`` in seconds.
    """
    parts = _erlang_a_parts(agents, load, aht_s, patience_s, target_wait_s)
    sl = 1.0 - parts.abandon_probability - parts.late_served_probability
    return np.asarray(np.clip(sl, 0.0, 1.0), dtype=np.float64)


def erlang_a_asa(
    agents: npt.ArrayLike, load: npt.ArrayLike, *, aht_s: npt.ArrayLike, patience_s: npt.ArrayLike
) -> FloatArray:
    """Return the Erlang A mean queueing time of all offered calls in seconds.

    Answered calls contribute their wait, abandoned calls their time to abandon. With exponential
    patience this is exactly ``P(abandon) * patience`` (abandonment rate ``E[Q]/patience`` equals
    ``rate * P(abandon)``, then Little's law). With infinite patience it is the Erlang C ASA.

    Parameters
    ----------
    agents
        Number of agents ``N``.
    load
        Offered load ``A`` in Erlangs.
    aht_s
        Average handling time in seconds.
    patience_s
        Mean of the exponential patience in seconds.
    """
    parts = _erlang_a_parts(agents, load, aht_s, patience_s, 0.0)
    finite = np.isfinite(parts.patience)
    out = np.where(finite, parts.abandon_probability * np.where(finite, parts.patience, 0.0), 0.0)
    if not finite.all():
        c_asa = erlang_c_asa(agents, load, aht_s=aht_s)
        out = np.where(finite, out, np.broadcast_to(c_asa, out.shape))
    return np.asarray(out, dtype=np.float64)


# --------------------------------------------------------------------------------------------
# Evaluation of a given staffing
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Required agents
# --------------------------------------------------------------------------------------------


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
    """Vectorised bisection on ``N`` between the occupancy floor and the proven upper bound.

    All Erlang A measures are monotone in ``N`` (an extra agent never lengthens anyone's wait).
    """
    lo = np.maximum(_occupancy_floor(a, target.max_occupancy), 1.0)
    hi = np.maximum(_staffing_upper_bound(a, aht, patience, target), lo)
    tolerance = 1.0 - target.share
    active = np.flatnonzero(lo < hi)
    while active.size:
        mid = np.floor((lo[active] + hi[active]) / 2.0)
        pa, pw, ph = a[active], aht[active], patience[active]
        _, p_ab, p_late = _erlang_a_kernel(mid, pa, pw, ph, np.full_like(pa, target.wait_s))
        ok = p_ab + p_late <= tolerance
        if target.max_asa_s is not None:
            ok &= p_ab * ph <= target.max_asa_s
        if target.max_abandon_share is not None:
            ok &= p_ab <= target.max_abandon_share
        hi[active[ok]] = mid[ok]
        lo[active[~ok]] = mid[~ok] + 1.0
        active = active[lo[active] < hi[active]]
    return hi


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


# --------------------------------------------------------------------------------------------
# Several streams on one team
# --------------------------------------------------------------------------------------------


def _check_streams(
    rates_per_hour: Sequence[npt.ArrayLike],
    aht_s: Sequence[npt.ArrayLike],
    targets: Sequence[ServiceTarget],
) -> None:
    if len(rates_per_hour) == 0:
        raise StaffingError("rates_per_hour: expected at least one stream, got none")
    if not len(rates_per_hour) == len(aht_s) == len(targets):
        raise StaffingError(
            "aht_s, targets: expected one entry per stream "
            f"({len(rates_per_hour)}), got {len(aht_s)} and {len(targets)}"
        )


def separate_required_agents(
    rates_per_hour: Sequence[npt.ArrayLike],
    *,
    aht_s: Sequence[npt.ArrayLike],
    targets: Sequence[ServiceTarget],
    patience_s: npt.ArrayLike | None = None,
) -> IntArray:
    """Return the agents needed when every stream has its own team (the teams' sum).

    Parameters
    ----------
    rates_per_hour
        One array of arrival rates (calls per hour) per stream, mutually broadcastable.
    aht_s
        Average handling time per stream, in seconds.
    targets
        Service target per stream.
    patience_s
        Mean exponential patience in seconds, or ``None`` for Erlang C.
    """
    _check_streams(rates_per_hour, aht_s, targets)
    teams = [
        required_agents(rate, aht_s=aht, target=target, patience_s=patience_s)
        for rate, aht, target in zip(rates_per_hour, aht_s, targets, strict=True)
    ]
    return np.asarray(sum(teams[1:], teams[0]), dtype=np.int64)


def blended_required_agents(
    rates_per_hour: Sequence[npt.ArrayLike],
    *,
    aht_s: Sequence[npt.ArrayLike],
    targets: Sequence[ServiceTarget],
    patience_s: npt.ArrayLike | None = None,
) -> IntArray:
    """Return the agents of one FIFO team serving every stream and meeting every stream's target.

    Approximation: under FIFO with Poisson arrivals all streams see the same waiting-time
    distribution, which is computed from an M/M/N queue with the total arrival rate and the
    arrival-weighted mean AHT (so the total load is exact). The real service-time mix is
    hyper-exponential (more variable than exponential), so waits are somewhat longer than this
    predicts when AHTs differ much; with equal AHTs the model is exact. The team size is the largest
    of the per-stream requirements under that shared distribution.

    Parameters
    ----------
    rates_per_hour
        One array of arrival rates (calls per hour) per stream, mutually broadcastable.
    aht_s
        Average handling time per stream, in seconds.
    targets
        Service target per stream.
    patience_s
        Mean exponential patience in seconds, or ``None`` for Erlang C.
    """
    _check_streams(rates_per_hour, aht_s, targets)
    rates = [_rates_array(r, f"rates_per_hour[{i}]") for i, r in enumerate(rates_per_hour)]
    ahts = [_positive_seconds(h, f"aht_s[{i}]") for i, h in enumerate(aht_s)]
    total_rate = np.asarray(sum(rates[1:], rates[0]), dtype=np.float64)
    total_work = np.asarray(
        sum((r * h for r, h in zip(rates[1:], ahts[1:], strict=True)), rates[0] * ahts[0]),
        dtype=np.float64,
    )
    idle = total_rate == 0.0
    mean_aht = np.where(idle, 1.0, total_work / np.where(idle, 1.0, total_rate))
    per_target = [
        required_agents(total_rate, aht_s=mean_aht, target=target, patience_s=patience_s)
        for target in targets
    ]
    return np.asarray(np.maximum.reduce(per_target), dtype=np.int64)


def priority_required_agents(
    rates_per_hour: Sequence[npt.ArrayLike],
    *,
    aht_s: Sequence[npt.ArrayLike],
    targets: Sequence[ServiceTarget],
) -> IntArray:
    """Return the agents of one team answering stream 0 first (non-preemptive), the rest FIFO.

    Model: M/M/N with the arrival-weighted mean AHT ``h`` (exact in the total load, as in
    :func:`blended_required_agents`) and non-preemptive priority for stream 0. The probability
    that a call waits is Erlang C's ``C`` for every stream (the discipline does not change how
    often all agents are busy). Given that it waits, a priority call waits for the ``N`` agents
    to clear the priority calls ahead of it: exponential with rate ``N/h − λ0`` (exact for equal
    AHTs). Other calls wait, given that they wait, with mean ``h / (N (1 − σ0)(1 − σ))``
    (``σ0 = λ0 h / N``, ``σ = A / N``; Cobham's formula), taken as exponential — an
    approximation checked against the simulation in the tests. Abandonment is ignored (Erlang C),
    which errs towards more agents. Cells with no calls need 0 agents.

    Parameters
    ----------
    rates_per_hour
        One array of arrival rates (calls per hour) per stream; stream 0 has priority.
    aht_s
        Average handling time per stream, in seconds.
    targets
        Service target per stream (share within wait; ASA and occupancy caps are honoured).
    """
    _check_streams(rates_per_hour, aht_s, targets)
    if len(targets) < 2:
        raise StaffingError("rates_per_hour: priority needs at least two streams")
    rates = np.broadcast_arrays(
        *[
            _rates_array(r, f"rates_per_hour[{i}]") / SECONDS_PER_HOUR
            for i, r in enumerate(rates_per_hour)
        ]
    )
    ahts = np.broadcast_arrays(
        *[_positive_seconds(h, f"aht_s[{i}]") for i, h in enumerate(aht_s)], rates[0]
    )[:-1]
    lam = np.sum(rates, axis=0)
    work = np.sum([r * h for r, h in zip(rates, ahts, strict=True)], axis=0)
    busy = lam > 0
    for target in targets:
        _check_target_feasible(target, has_load=bool(busy.any()), finite_patience=False)
    mean_aht = np.where(busy, work / np.where(busy, lam, 1.0), 1.0)
    load = work  # Erlangs: calls per second × seconds
    n = np.floor(load) + 1.0
    for target in targets:
        if target.max_occupancy is not None:
            n = np.maximum(n, _occupancy_floor(load, target.max_occupancy))
    n = np.where(busy, n, 0.0)
    limit = np.ceil(2 * math.e * load) + 64 + n  # C <= 2^(1-N) beyond 2eA: targets < 1 are met
    pending = busy.copy()
    while pending.any():
        met = _priority_targets_met(
            n, load=load, aht=mean_aht, lam0=rates[0], lam=lam, targets=targets
        )
        pending &= ~met
        if np.any(pending & (n >= limit)):
            raise AssertionError("priority staffing search passed its proven upper bound")
        n = np.where(pending, n + 1.0, n)
    return n.astype(np.int64)


def _priority_targets_met(
    n: FloatArray,
    *,
    load: FloatArray,
    aht: FloatArray,
    lam0: FloatArray,
    lam: FloatArray,
    targets: Sequence[ServiceTarget],
) -> npt.NDArray[np.bool_]:
    """Whether ``n`` agents meet every stream's target under non-preemptive priority."""
    safe_n = np.maximum(n, load + 1e-9)
    c = erlang_c(np.maximum(n, 0).astype(np.int64), load)
    high_rate = safe_n / aht - lam0  # per second, > 0 since N > A >= lam0 * aht
    sigma0 = lam0 * aht / safe_n
    sigma = load / safe_n
    low_mean = aht / (safe_n * (1 - sigma0) * (1 - sigma))
    met = n > load
    for k, target in enumerate(targets):
        if k == 0:
            late = c * np.exp(-high_rate * target.wait_s)
            mean_wait = c / high_rate
        else:
            late = c * np.exp(-target.wait_s / low_mean)
            mean_wait = c * low_mean
        met &= late <= 1 - target.share
        if target.max_asa_s is not None:
            met &= mean_wait <= target.max_asa_s
    return met


def team_required_agents(
    rates_per_hour: Sequence[npt.ArrayLike],
    *,
    aht_s: Sequence[npt.ArrayLike],
    targets: Sequence[ServiceTarget],
    mode: Literal["separate", "blended", "priority"],
    patience_s: npt.ArrayLike | None = None,
) -> IntArray:
    """Return the agents needed for several streams: separate teams, blended, or 999 first.

    Parameters
    ----------
    rates_per_hour
        One array of arrival rates (calls per hour) per stream.
    aht_s
        Average handling time per stream, in seconds.
    targets
        Service target per stream.
    mode
        ``"separate"`` (a team per stream, summed), ``"blended"`` (one FIFO team) or
        ``"priority"`` (one team answering stream 0 first).
    patience_s
        Mean exponential patience in seconds, or ``None`` for Erlang C.
    """
    if mode == "separate":
        return separate_required_agents(
            rates_per_hour, aht_s=aht_s, targets=targets, patience_s=patience_s
        )
    if mode == "blended":
        return blended_required_agents(
            rates_per_hour, aht_s=aht_s, targets=targets, patience_s=patience_s
        )
    if mode == "priority":
        return priority_required_agents(rates_per_hour, aht_s=aht_s, targets=targets)
    raise StaffingError(f"mode: expected 'separate', 'blended' or 'priority', got {mode!r}")


# --------------------------------------------------------------------------------------------
# Pooling forces
# --------------------------------------------------------------------------------------------


class PoolingCalculator:
    """Required agents for any group of forces sharing one team, memoised per force subset.

    Parameters
    ----------
    rates_per_hour
        Arrival rates, shape ``(forces, intervals)`` in calls per hour.
    aht_s
        Average handling time in seconds: scalar, per force ``(forces,)`` or ``(forces,
        intervals)``. Forces with different AHTs are pooled with the blending approximation of
        :func:`blended_required_agents`.
    target
        Service target of the pooled team.
    patience_s
        Mean exponential patience in seconds, or ``None`` for Erlang C.
    """

    def __init__(
        self,
        rates_per_hour: npt.ArrayLike,
        *,
        aht_s: npt.ArrayLike,
        target: ServiceTarget,
        patience_s: float | None = None,
    ) -> None:
        rates = _rates_array(rates_per_hour)
        if rates.ndim != 2:
            raise StaffingError(
                f"rates_per_hour: expected an array (forces, intervals), got shape {rates.shape}"
            )
        aht = _positive_seconds(aht_s, "aht_s")
        if aht.ndim == 1:
            aht = aht[:, np.newaxis]
        try:
            self._aht = np.broadcast_to(aht, rates.shape)
        except ValueError:
            raise StaffingError(
                f"aht_s: expected a scalar, (forces,) or (forces, intervals), got shape {aht.shape}"
            ) from None
        self._rates = rates
        self._target = target
        self._patience = patience_s
        self._memo: dict[frozenset[int], IntArray] = {}

    @property
    def n_forces(self) -> int:
        """Return the number of forces."""
        return int(self._rates.shape[0])

    def agents_for(self, forces: Iterable[int]) -> IntArray:
        """Return the agents per interval of one team serving ``forces`` together.

        Parameters
        ----------
        forces
            Force indices of the group.
        """
        key = frozenset(int(f) for f in forces)
        if not key or min(key) < 0 or max(key) >= self.n_forces:
            raise StaffingError(
                f"groups: expected non-empty groups of force indices in [0, {self.n_forces}), "
                f"got {sorted(key)}"
            )
        if key not in self._memo:
            members = sorted(key)
            self._memo[key] = blended_required_agents(
                [self._rates[f] for f in members],
                aht_s=[self._aht[f] for f in members],
                targets=[self._target] * len(members),
                patience_s=self._patience,
            )
        return self._memo[key]

    def agents_for_partition(self, groups: Sequence[Iterable[int]]) -> IntArray:
        """Return agents per group per interval, shape ``(groups, intervals)``.

        Parameters
        ----------
        groups
            Disjoint groups of force indices, e.g. ``[[0, 1, 2]]`` or ``[[0], [1], [2]]``.
        """
        sets = [frozenset(int(f) for f in g) for g in groups]
        seen: set[int] = set()
        for group in sets:
            if seen & group:
                raise StaffingError(f"groups: force(s) {sorted(seen & group)} appear twice")
            seen |= group
        return np.stack([self.agents_for(g) for g in sets])


def pooled_required_agents(
    rates_per_hour: npt.ArrayLike,
    groups: Sequence[Iterable[int]],
    *,
    aht_s: npt.ArrayLike,
    target: ServiceTarget,
    patience_s: float | None = None,
) -> IntArray:
    """Return agents per group per interval when the forces in each group share one team.

    Parameters
    ----------
    rates_per_hour
        Arrival rates, shape ``(forces, intervals)`` in calls per hour.
    groups
        Disjoint groups of force indices, e.g. ``[[0, 1], [2]]``.
    aht_s
        Average handling time in seconds: scalar, ``(forces,)`` or ``(forces, intervals)``.
    target
        Service target of each team.
    patience_s
        Mean exponential patience in seconds, or ``None`` for Erlang C.
    """
    calculator = PoolingCalculator(
        rates_per_hour, aht_s=aht_s, target=target, patience_s=patience_s
    )
    return calculator.agents_for_partition(groups)


# --------------------------------------------------------------------------------------------
# Agents to FTE
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shrinkage:
    """Shares of paid time in which an agent is not available to take calls.

    The components are shares of the same paid hours, so they are *added* (the usual contact-centre
    convention: 12 % leave + 5 % sickness + 8 % training = 25 % of paid time away from the phones).
    Multiplying would only be right if each share were measured on the time left by the previous
    ones; inputs are rarely defined that way.

    Attributes
    ----------
    annual_leave, sickness, training, breaks, other
        Each a share in [0, 1); their sum must stay below 1.
    """

    annual_leave: float = 0.0
    sickness: float = 0.0
    training: float = 0.0
    breaks: float = 0.0
    other: float = 0.0

    def __post_init__(self) -> None:
        for name in ("annual_leave", "sickness", "training", "breaks", "other"):
            value = getattr(self, name)
            if not (math.isfinite(value) and 0.0 <= value < 1.0):
                raise StaffingError(f"shrinkage.{name}: expected a share in [0, 1), got {value}")
        if self.total >= 1.0:
            raise StaffingError(
                f"shrinkage: expected components summing to less than 1, got {self.total:g}"
            )

    @property
    def total(self) -> float:
        """Return the total shrinkage (sum of the components)."""
        return self.annual_leave + self.sickness + self.training + self.breaks + self.other


@dataclass(frozen=True, eq=False)
class StaffingFte:
    """Weekly agent-hours and FTE; arrays have the leading shape of the agents input.

    Attributes
    ----------
    weekly_agent_hours
        Productive agent-hours per week after the minimum crew is applied.
    agent_fte
        Agent full-time equivalents: hours / (1 - shrinkage) / contract hours.
    supervisor_fte
        Supervisor FTE (agent FTE × supervisors per agent).
    total_fte
        Agents plus supervisors.
    """

    weekly_agent_hours: FloatArray
    agent_fte: FloatArray
    supervisor_fte: FloatArray
    total_fte: FloatArray


def fte_from_agents(
    agents_per_interval: npt.ArrayLike,
    interval_hours: float,
    *,
    shrinkage: Shrinkage | float,
    contract_hours_per_week: float,
    min_positions: int = 0,
    supervisors_per_agent: float = 0.0,
) -> StaffingFte:
    """Return the FTE needed to put ``agents_per_interval`` on the phones for one week.

    ``FTE = sum(max(agents, min_positions) * interval_hours) / (1 - shrinkage) / contract hours``.

    Parameters
    ----------
    agents_per_interval
        Agents on duty per interval; the last axis must cover exactly one week.
    interval_hours
        Length of one interval in hours (e.g. 1 or 0.5).
    shrinkage
        Shrinkage components, or a single total share in [0, 1).
    contract_hours_per_week
        Paid hours of one FTE per week.
    min_positions
        Minimum agents on duty in every interval (the open room's minimum crew).
    supervisors_per_agent
        Supervisor FTE per agent FTE (e.g. 0.1 for one supervisor to ten agents); 0 for none.
    """
    agents = _agents_array(agents_per_interval).astype(np.float64)
    if agents.ndim == 0:
        raise StaffingError("agents_per_interval: expected an array with an interval axis")
    if not (math.isfinite(interval_hours) and interval_hours > 0):
        raise StaffingError(f"interval_hours: expected a positive number, got {interval_hours}")
    covered = agents.shape[-1] * interval_hours
    if not math.isclose(covered, HOURS_PER_WEEK):
        raise StaffingError(
            f"agents_per_interval: expected intervals covering one week ({HOURS_PER_WEEK:g} h), "
            f"got {agents.shape[-1]} x {interval_hours:g} h = {covered:g} h"
        )
    total_shrinkage = (
        shrinkage.total if isinstance(shrinkage, Shrinkage) else Shrinkage(other=shrinkage).total
    )
    if not (math.isfinite(contract_hours_per_week) and contract_hours_per_week > 0):
        raise StaffingError(
            "contract_hours_per_week: expected a positive number of hours, "
            f"got {contract_hours_per_week}"
        )
    if min_positions < 0:
        raise StaffingError(f"min_positions: expected a non-negative count, got {min_positions}")
    if not (math.isfinite(supervisors_per_agent) and supervisors_per_agent >= 0):
        raise StaffingError(
            f"supervisors_per_agent: expected a non-negative share, got {supervisors_per_agent}"
        )
    hours = np.maximum(agents, float(min_positions)).sum(axis=-1) * interval_hours
    agent_fte = hours / (1.0 - total_shrinkage) / contract_hours_per_week
    supervisors = agent_fte * supervisors_per_agent
    return StaffingFte(
        weekly_agent_hours=np.asarray(hours, dtype=np.float64),
        agent_fte=np.asarray(agent_fte, dtype=np.float64),
        supervisor_fte=np.asarray(supervisors, dtype=np.float64),
        total_fte=np.asarray(agent_fte + supervisors, dtype=np.float64),
    )


# --------------------------------------------------------------------------------------------
# From an instance
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class StaffingTable:
    """Required agents per interval for any group of forces sharing one room, memoised.

    Built from an instance by :func:`staffing_table`; each force group's calls of every stream
    are added, and the group's streams are staffed as separate teams or one blended team.

    Attributes
    ----------
    forces, streams
        Force and stream ids, in the order of the rate array's first two axes.
    rates_per_hour
        Calls per hour, shape ``(forces, streams, intervals)``.
    aht_s, targets, patience_s
        Per stream: handling time, service target, mean patience (``None``: Erlang C).
    stream_teams
        ``"separate"``, ``"blended"`` or ``"priority"`` (one team, the first stream first).
    interval_hours
        Length of one interval.
    roster_menu, roster_time_limit_s, min_crew
        With ``fte_method = "roster"``: the shift menu, the CP-SAT limit per roster and the
        minimum crew; :meth:`agents_for` then returns the staff a cheapest roster puts on duty
        (breaks included, so agents × interval hours are the paid hours). ``None``: the Erlang
        requirement.
    """

    forces: tuple[str, ...]
    streams: tuple[str, ...]
    rates_per_hour: FloatArray
    aht_s: tuple[float, ...]
    targets: tuple[ServiceTarget, ...]
    patience_s: tuple[float | None, ...]
    stream_teams: Literal["separate", "blended", "priority"]
    interval_hours: float
    roster_menu: ShiftMenu | None = None
    roster_time_limit_s: float = 10.0
    min_crew: int = 0
    _memo: dict[frozenset[str], IntArray] = field(default_factory=dict, repr=False)

    def agents_for(self, forces: Iterable[str]) -> IntArray:
        """Return agents per interval of one room answering every call of ``forces`` (memoised).

        With a roster menu, the staff on duty in a cheapest roster covering the requirement.

        Parameters
        ----------
        forces
            Force ids served together (any order).
        """
        key = self._key(forces)
        if key not in self._memo:
            agents = self.required_for(key)
            if self.roster_menu is not None:
                from siteopt.roster import roster_week

                roster = roster_week(
                    np.maximum(agents, self.min_crew),
                    self.roster_menu,
                    time_limit_s=self.roster_time_limit_s,
                )
                agents = roster.on_duty
            agents = np.asarray(agents, dtype=np.int64)
            agents.setflags(write=False)
            self._memo[key] = agents
        return self._memo[key]

    def required_for(self, forces: Iterable[str]) -> IntArray:
        """Return the Erlang requirement per interval of one room serving ``forces``."""
        return np.asarray(self.team_agents(forces).sum(axis=0), dtype=np.int64)

    def agents_for_partition(self, groups: Sequence[Iterable[str]]) -> IntArray:
        """Return agents per group and interval when each group of forces has its own room.

        Parameters
        ----------
        groups
            Disjoint force groups, e.g. ``[["bedfordshire", "cambridgeshire"], ["hertfordshire"]]``
            for ``by_force`` routing to two rooms (use one group of all forces for ``pooled``).
        """
        keys = [self._key(group) for group in groups]
        if sum(len(k) for k in keys) != len(frozenset().union(*keys)):
            msg = f"groups: expected disjoint force groups, got {[sorted(k) for k in keys]}"
            raise StaffingError(msg)
        return np.stack([self.agents_for(key) for key in keys])

    def teams(self) -> list[list[int]]:
        """Return the stream indices of each team: one per stream, or one team for all."""
        if self.stream_teams == "separate":
            return [[s] for s in range(len(self.streams))]
        return [list(range(len(self.streams)))]

    def team_agents(self, forces: Iterable[str]) -> IntArray:
        """Return agents per team and interval (``teams() × intervals``) for a force group."""
        index = [self.forces.index(f) for f in sorted(self._key(forces))]
        rates = self.rates_per_hour[index].sum(axis=0)
        if self.stream_teams == "separate":
            teams = [
                required_agents(rates[s], aht_s=aht, target=target, patience_s=patience)
                for s, (aht, target, patience) in enumerate(
                    zip(self.aht_s, self.targets, self.patience_s, strict=True)
                )
            ]
            return np.asarray(teams, dtype=np.int64)
        if self.stream_teams == "priority":
            team = priority_required_agents(
                list(rates), aht_s=list(self.aht_s), targets=list(self.targets)
            )
        else:
            team = blended_required_agents(
                list(rates),
                aht_s=list(self.aht_s),
                targets=list(self.targets),
                patience_s=self._blended_patience(rates),
            )
        return team[np.newaxis, :]

    def _key(self, forces: Iterable[str]) -> frozenset[str]:
        key = frozenset(forces)
        if not key or key - set(self.forces):
            msg = f"forces: expected a non-empty subset of {list(self.forces)}, got {sorted(key)}"
            raise StaffingError(msg)
        return key

    def _blended_patience(self, rates: FloatArray) -> float | None:
        """Arrival-weighted mean patience when every stream has one; else Erlang C (none)."""
        if any(p is None for p in self.patience_s):
            return None
        calls = rates.sum(axis=1)
        weights = calls / calls.sum() if calls.sum() > 0 else np.full(len(calls), 1 / len(calls))
        return float(sum(w * p for w, p in zip(weights, self.patience_s, strict=True) if p))


def staffing_table(instance: Instance) -> StaffingTable:
    """Return the staffing table of an instance (arrival rates from :mod:`siteopt.demand`).

    With ``staffing.fte_method = "roster"`` the table works at the roster's interval and its
    :meth:`StaffingTable.agents_for` gives rostered staff on duty (see :mod:`siteopt.roster`).
    """
    from siteopt.demand import arrival_rates

    roster_menu = None
    if instance.staffing.fte_method == "roster":
        from siteopt.roster import shift_menu

        roster_menu = shift_menu(instance)
        minutes = instance.staffing.roster.interval_minutes
        instance = instance.model_copy(
            update={"staffing": instance.staffing.model_copy(update={"interval_minutes": minutes})}
        )
    rates = arrival_rates(instance)
    streams = [instance.demand.streams[s] for s in rates.streams]
    occupancy_cap = instance.staffing.max_occupancy.value
    return StaffingTable(
        forces=rates.forces,
        streams=rates.streams,
        rates_per_hour=rates.rates_per_hour,
        aht_s=tuple(s.aht_s.value for s in streams),
        targets=tuple(
            ServiceTarget(
                share=s.target_share.value,
                wait_s=s.target_within_s.value,
                max_occupancy=occupancy_cap,
            )
            for s in streams
        ),
        patience_s=tuple(s.patience_s.value if s.patience_s else None for s in streams),
        stream_teams=instance.staffing.stream_teams,
        interval_hours=rates.profile.interval_minutes / 60,
        roster_menu=roster_menu,
        roster_time_limit_s=instance.staffing.roster.time_limit_s,
        min_crew=instance.staffing.min_positions_per_site.value,
    )


def instance_shrinkage(instance: Instance) -> Shrinkage:
    """Return the instance's shrinkage components.

    With ``fte_method = "roster"`` breaks are 0: they are paid hours inside the rostered shifts.
    """
    parts = instance.staffing.shrinkage
    rostered = instance.staffing.fte_method == "roster"
    return Shrinkage(
        annual_leave=parts.annual_leave.value,
        sickness=parts.sickness.value,
        training=parts.training.value,
        breaks=0.0 if rostered else parts.breaks.value,
        other=parts.other.value if parts.other else 0.0,
    )


def room_fte(instance: Instance, agents_per_interval: npt.ArrayLike) -> StaffingFte:
    """Return the FTE of one open room staffing ``agents_per_interval`` (minimum crew applied).

    With ``fte_method = "roster"`` the agents are rostered staff on duty per roster interval.
    """
    staffing = instance.staffing
    minutes = (
        staffing.roster.interval_minutes
        if staffing.fte_method == "roster"
        else staffing.interval_minutes
    )
    return fte_from_agents(
        agents_per_interval,
        minutes / 60,
        shrinkage=instance_shrinkage(instance),
        contract_hours_per_week=staffing.contract_hours_per_week.value,
        min_positions=staffing.min_positions_per_site.value,
        supervisors_per_agent=staffing.supervisor_ratio.value if staffing.supervisor_ratio else 0.0,
    )

"""Erlang formulas: the queueing mathematics of control-room call handling.

Erlang C (M/M/N) and Erlang A (M/M/N+M, exponential patience) performance measures,
vectorised over arbitrary arrays of intervals, streams and scenarios. The smallest
staffing for a service target is in :mod:`siteopt.queueing.agents`, teams and pooling
in :mod:`siteopt.queueing.teams`, agents to FTE in :mod:`siteopt.queueing.fte`.

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

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from siteopt.errors import StaffingError

__all__ = [
    "erlang_a_abandon_probability",
    "erlang_a_asa",
    "erlang_a_service_level",
    "erlang_a_wait_probability",
    "erlang_b",
    "erlang_c",
    "erlang_c_asa",
    "erlang_c_service_level",
    "occupancy",
    "offered_load",
]


FloatArray = npt.NDArray[np.float64]


IntArray = npt.NDArray[np.int64]


SECONDS_PER_HOUR = 3600.0


HOURS_PER_WEEK = 168.0


# Below this a regularised incomplete gamma value is treated as (nearly) underflowed and the
# corresponding quantity is summed as a series instead.
_TINY = 1e-200


_SERIES_EPS = 1e-17


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


def _log_expm1(x: FloatArray) -> FloatArray:
    small = np.minimum(x, 30.0)
    return np.where(x > 30.0, x, np.log(np.maximum(np.expm1(small), 1e-300)))


def _log_inverse_erlang_b(n: FloatArray, a: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Return ``log(1/B)`` and ``log(1/B - 1)`` for ``n >= 1`` servers and load ``a > 0``."""
    from scipy import special  # noqa: PLC0415 (lazy: scipy is slow to import)

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
    from scipy import special  # noqa: PLC0415 (lazy: scipy is slow to import)

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
    from scipy import special  # noqa: PLC0415 (lazy: scipy is slow to import)

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

"""Erlang X: Erlang A (abandonment) with a share of abandoned callers redialling later.

The 101 line loses callers who give up waiting, and some of them ring again a few minutes
later. Erlang X (Koole's name for the model) is the M/M/N+M queue with an orbit of redialling
callers, solved exactly as a two-dimensional Markov chain over ``(k, m)``: ``k`` callers in the
system (waiting or being served), ``m`` callers who abandoned and will redial:

- a first attempt arrives at rate ``λ``: ``k → k + 1``;
- a call ends at rate ``min(k, N) μ`` (``μ = 1 / AHT``): ``k → k − 1``;
- a waiting caller abandons at rate ``(k − N)⁺ γ`` (``γ = 1 / patience``): ``k → k − 1``,
  and with probability ``r`` joins the orbit, ``m → m + 1``;
- an orbiting caller redials at rate ``m δ`` (``δ = 1 / redial delay``): ``k + 1, m − 1``.

The chain is truncated where its probability mass is negligible (checked: a truncation holding
more than 1e-9 of the mass raises). Measures are per *attempt* (first calls and redials), as a
contact centre counts its offered calls: the service level is the share of attempts answered
within the target (an attempt arriving with ``j`` callers ahead is served after the ``j + 1``
phases of rate ``N μ + i γ``, unless its own patience runs out first), the abandonment share
the share of attempts that abandon; ``lost_share`` is the share of *callers* who give up for
good. With ``r = 0`` the measures are Erlang A's.

Attempts are not Poisson (redials come back when the line is busy), which is why a fixed point
on the load (redials as extra Poisson arrivals) underestimates abandonment: this module solves
the chain instead, and the tests check it against a discrete-event simulation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from siteopt.errors import StaffingError
from siteopt.queueing.agents import ServiceTarget, required_agents

__all__ = ["ErlangX", "erlang_x", "erlang_x_required", "erlang_x_required_agents"]


FloatArray = npt.NDArray[np.float64]


#: Probability mass allowed on the truncation boundary of the chain.
_TAIL = 1e-9


@dataclass(frozen=True)
class ErlangX:
    """Erlang X measures of one queue (per attempt unless said otherwise).

    Attributes
    ----------
    attempts_per_hour
        First attempts plus redials per hour.
    service_level
        Share of attempts answered within the target wait.
    abandon_share
        Share of attempts that abandon.
    lost_share
        Share of first attempts (callers) who never get through: they abandon and do not redial.
    asa_s
        Mean queueing time of all attempts in seconds (to answer or to abandon).
    orbit
        Mean number of callers waiting to redial.
    """

    attempts_per_hour: float
    service_level: float
    abandon_share: float
    lost_share: float
    asa_s: float
    orbit: float


@dataclass(frozen=True)
class _Chain:
    """Rates of the chain per second: first attempts, service, abandonment, redial."""

    agents: int
    lam: float
    mu: float
    gamma: float
    delta: float
    redial: float


def _check(
    agents: int, rate: float, *, aht: float, patience: float, redial: float, delay: float
) -> None:
    if agents < 0:
        raise StaffingError(f"agents: expected a non-negative number, got {agents}")
    for name, value in (("aht_s", aht), ("patience_s", patience), ("redial_delay_s", delay)):
        if not (math.isfinite(value) and value > 0):
            raise StaffingError(f"{name}: expected a positive number of seconds, got {value}")
    if not (math.isfinite(rate) and rate >= 0):
        raise StaffingError(f"rate_per_hour: expected a non-negative rate, got {rate}")
    if not 0 <= redial < 1:
        raise StaffingError(f"redial_share: expected a share in [0, 1), got {redial}")


def erlang_x(
    agents: int,
    rate_per_hour: float,
    *,
    aht_s: float,
    patience_s: float,
    redial_share: float,
    redial_delay_s: float,
    target_wait_s: float,
) -> ErlangX:
    """Return the Erlang X measures of ``agents`` answering ``rate_per_hour`` first attempts.

    Parameters
    ----------
    agents
        Agents ``N`` (0: every attempt abandons).
    rate_per_hour
        First attempts per hour.
    aht_s, patience_s
        Mean handling time and mean (exponential) patience, seconds.
    redial_share
        Share in [0, 1) of abandoning callers who redial.
    redial_delay_s
        Mean (exponential) time from abandoning to redialling, seconds.
    target_wait_s
        Answer-time threshold of the service level, seconds.
    """
    _check(
        agents,
        rate_per_hour,
        aht=aht_s,
        patience=patience_s,
        redial=redial_share,
        delay=redial_delay_s,
    )
    if rate_per_hour == 0:
        return ErlangX(0.0, 1.0, 0.0, 0.0, 0.0, 0.0)
    chain = _Chain(
        agents, rate_per_hour / 3600.0, 1 / aht_s, 1 / patience_s, 1 / redial_delay_s, redial_share
    )
    lam, mu, gamma, delta = chain.lam, chain.mu, chain.gamma, chain.delta
    k_top, m_top = _truncation(chain)
    for _ in range(8):
        pi = _stationary(chain, k_top, m_top)
        tail_k, tail_m = pi[-1, :].sum(), pi[:, -1].sum()
        if tail_k <= _TAIL and tail_m <= _TAIL:
            break
        k_top = k_top * 2 if tail_k > _TAIL else k_top
        m_top = m_top * 2 if tail_m > _TAIL else m_top
    else:  # pragma: no cover - the truncation bounds above are generous
        raise StaffingError("Erlang X: the Markov chain did not fit its truncation")
    k = np.arange(k_top + 1)[:, np.newaxis]
    m = np.arange(m_top + 1)[np.newaxis, :]
    waiting = np.maximum(k - agents, 0)
    orbit = float((pi * m).sum())
    attempts = lam + delta * orbit
    abandons = gamma * float((pi * waiting).sum())
    # Attempts see the chain weighted by their rate (first attempts λ, redials m δ).
    seen = (pi * (lam + delta * m)).sum(axis=1) / attempts
    served_in_time = _served_within(agents, mu, gamma, target_wait_s, k_top)
    service_level = float((seen * served_in_time).sum())
    return ErlangX(
        attempts_per_hour=attempts * 3600.0,
        service_level=min(max(service_level, 0.0), 1.0),
        abandon_share=abandons / attempts,
        lost_share=(1 - redial_share) * abandons / lam,
        asa_s=float((pi * waiting).sum()) / attempts,
        orbit=orbit,
    )


def _truncation(chain: _Chain) -> tuple[int, int]:
    """Generous first bounds on callers in the system and in orbit (doubled if too small)."""
    agents, gamma, delta, redial = chain.agents, chain.gamma, chain.delta, chain.redial
    attempts_top = chain.lam / (1 - redial)  # every attempt abandons and redials at most this often
    queue = attempts_top / gamma  # waiting callers if nobody were ever served
    k_top = agents + math.ceil(queue + 8 * math.sqrt(queue + 1) + 10)
    orbit = redial * attempts_top / delta
    m_top = math.ceil(orbit + 8 * math.sqrt(orbit + 1) + 10)
    return k_top, m_top


def _stationary(chain: _Chain, k_top: int, m_top: int) -> FloatArray:
    """Stationary distribution ``(k_top + 1, m_top + 1)`` of the truncated chain."""
    from scipy import sparse  # noqa: PLC0415 (lazy: scipy is slow to import)
    from scipy.sparse.linalg import spsolve  # noqa: PLC0415 (lazy: scipy is slow to import)

    agents, lam, mu, gamma, delta, redial = (
        chain.agents,
        chain.lam,
        chain.mu,
        chain.gamma,
        chain.delta,
        chain.redial,
    )
    n_k, n_m = k_top + 1, m_top + 1
    k, m = np.meshgrid(np.arange(n_k), np.arange(n_m), indexing="ij")
    index = k * n_m + m
    rows: list[npt.NDArray[np.int64]] = []
    cols: list[npt.NDArray[np.int64]] = []
    rates: list[FloatArray] = []

    def move(mask: npt.NDArray[np.bool_], dk: int, dm: int, rate: npt.ArrayLike) -> None:
        rows.append(index[mask])
        cols.append(index[mask] + dk * n_m + dm)
        rates.append(np.broadcast_to(np.asarray(rate, dtype=np.float64), k.shape)[mask])

    waiting = np.maximum(k - agents, 0).astype(np.float64)
    move(k < k_top, 1, 0, np.full(k.shape, lam))
    move(k > 0, -1, 0, np.minimum(k, agents) * mu)
    move((k > 0) & (m < m_top), -1, 1, waiting * gamma * redial)
    move((k > 0) & (m == m_top), -1, 0, waiting * gamma * redial)  # orbit full: lost
    move(k > 0, -1, 0, waiting * gamma * (1 - redial))
    move((m > 0) & (k < k_top), 1, -1, m * delta)
    size = n_k * n_m
    r, c, v = np.concatenate(rows), np.concatenate(cols), np.concatenate(rates)
    keep = v > 0
    q = sparse.coo_matrix((v[keep], (r[keep], c[keep])), shape=(size, size)).tocsr()
    q = q - sparse.diags(np.asarray(q.sum(axis=1)).ravel())
    a = q.T.tolil()
    a[0, :] = 1.0  # replace one balance equation by the normalisation
    b = np.zeros(size)
    b[0] = 1.0
    pi = np.clip(spsolve(a.tocsc(), b), 0.0, None)
    pi /= pi.sum()
    return np.asarray(pi.reshape(n_k, n_m), dtype=np.float64)


def _served_within(agents: int, mu: float, gamma: float, wait_s: float, k_top: int) -> FloatArray:
    """P(an attempt finding ``k`` callers in the system is answered within ``wait_s``), per k.

    With ``j = k − N`` callers ahead the attempt waits through phases of rate ``N μ + i γ``
    (``i = j … 0`` ahead) while its own patience (rate ``γ``) runs: a small absorbing chain.
    """
    from scipy.linalg import expm  # noqa: PLC0415 (lazy: scipy is slow to import)

    out = np.ones(k_top + 1)
    if agents == 0:
        out[:] = 0.0
        return out
    ahead = k_top - agents + 1  # j = 0 … k_top − N
    if ahead <= 0:
        return out
    # States: i callers ahead (0 … ahead − 1), then "answered"; abandonment leaks mass.
    gen = np.zeros((ahead + 1, ahead + 1))
    for i in range(ahead):
        gen[i, i] = -(agents * mu + i * gamma + gamma)
        gen[i, i - 1 if i > 0 else ahead] = agents * mu + i * gamma
    reached = expm(gen * wait_s)[:ahead, ahead]
    out[agents:] = np.clip(reached, 0.0, 1.0)
    out[k_top] = 0.0  # an attempt at the truncation boundary is not admitted
    return out


def erlang_x_required(
    rate_per_hour: float,
    *,
    aht_s: float,
    patience_s: float,
    redial_share: float,
    redial_delay_s: float,
    target: ServiceTarget,
    start: int = 0,
) -> int:
    """Return the fewest agents whose Erlang X measures meet ``target``.

    The service level, and the optional caps on ASA, abandonment (per attempt) and occupancy
    (of the first attempts' load). ``start`` is a known lower bound (the Erlang A requirement
    of the first attempts: redials only add load); the search steps up from there.
    """
    if rate_per_hour == 0:
        return 0
    load = rate_per_hour * aht_s / 3600.0
    n = max(start, 1, math.ceil(load / target.max_occupancy - 1e-9) if target.max_occupancy else 0)
    while True:
        x = erlang_x(
            n,
            rate_per_hour,
            aht_s=aht_s,
            patience_s=patience_s,
            redial_share=redial_share,
            redial_delay_s=redial_delay_s,
            target_wait_s=target.wait_s,
        )
        ok = x.service_level >= target.share
        ok = ok and (target.max_asa_s is None or x.asa_s <= target.max_asa_s)
        ok = ok and (
            target.max_abandon_share is None or x.abandon_share <= target.max_abandon_share
        )
        if ok:
            return n
        n += 1


def erlang_x_required_agents(
    rate_per_hour: npt.ArrayLike,
    *,
    aht_s: float,
    patience_s: float,
    redial_share: float,
    redial_delay_s: float,
    target: ServiceTarget,
) -> npt.NDArray[np.int64]:
    """:func:`erlang_x_required` per cell of an array of rates (Erlang A requirement as start)."""
    rates = np.asarray(rate_per_hour, dtype=np.float64)
    start = required_agents(rates, aht_s=aht_s, target=target, patience_s=patience_s)
    memo: dict[float, int] = {}
    out = np.zeros(rates.shape, dtype=np.int64)
    for cell in np.ndindex(rates.shape):
        rate = float(rates[cell])
        if rate not in memo:
            memo[rate] = erlang_x_required(
                rate,
                aht_s=aht_s,
                patience_s=patience_s,
                redial_share=redial_share,
                redial_delay_s=redial_delay_s,
                target=target,
                start=int(start[cell]),
            )
        out[cell] = memo[rate]
    return out

"""Several streams and forces on one room: teams and pooling.

Several streams and several forces on one room: separate, blended and 999-first
priority teams, and pooling of forces into one queue.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt

from siteopt.errors import StaffingError
from siteopt.queueing.agents import (
    _check_target_feasible,
    _occupancy_floor,
    required_agents,
)
from siteopt.queueing.erlang import SECONDS_PER_HOUR, _positive_seconds, _rates_array, erlang_c

if TYPE_CHECKING:
    from siteopt.queueing.agents import ServiceTarget

__all__ = [
    "PoolingCalculator",
    "blended_required_agents",
    "pooled_required_agents",
    "priority_required_agents",
    "separate_required_agents",
    "team_required_agents",
]


FloatArray = npt.NDArray[np.float64]


IntArray = npt.NDArray[np.int64]


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

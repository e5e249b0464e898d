"""Discrete-event simulation of a staffed multi-server call queue over a week.

Used to check the Erlang formulas of :mod:`siteopt.queueing.erlang` and to study what the formulas
cannot express (time-varying load, blended streams, lognormal handling times, a site failing).

Model and conventions
---------------------
* Arrivals: non-stationary Poisson per stream, piecewise constant per interval.
* Handling times: exponential, or lognormal with the given mean and coefficient of variation.
* Patience: exponential with the given mean (optional); a caller whose wait would exceed their
  patience abandons at that moment.
* Queue discipline: FIFO over all streams, or stream 0 first (non-preemptive priority).
* Staffing changes at interval boundaries. An agent whose shift ends while on a call finishes the
  call first (the number of busy agents may briefly exceed the staffing; no new call starts until
  it drops below). After the last interval the last staffing level stays on until the queue has
  drained; calls that could never be answered (no agents, infinite patience) count as unanswered.
* Measures per stream: service level = share of offered calls answered within the stream's
  target wait; ASA = mean queueing time of all offered calls (time to answer or to abandon), the
  same definition as :func:`siteopt.queueing.agents.evaluate_staffing`; abandonment share. Calls are
  attributed to the interval in which they arrive.
* Replications use independent streams spawned from ``numpy.random.default_rng(seed)``;
  confidence intervals are Student-t intervals across replications.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
from scipy import stats

from siteopt.errors import StaffingError

if TYPE_CHECKING:
    from siteopt.instance.schema import Instance
    from siteopt.queueing.fte import StaffingTable

__all__ = [
    "FailureResult",
    "InstanceSimulation",
    "PlanRooms",
    "PlanSimulation",
    "RoomFailure",
    "SimulationResult",
    "WindowStats",
    "apportion",
    "even_split",
    "simulate_instance",
    "simulate_plan",
    "simulate_queue",
    "simulate_site_failure",
    "split_into_teams",
]


FloatArray = npt.NDArray[np.float64]


IntArray = npt.NDArray[np.int64]


Handling = Literal["exponential", "lognormal"]


SECONDS_PER_HOUR = 3600.0


@dataclass(frozen=True)
class _Setup:
    """Validated inputs shared by every replication."""

    rates_per_hour: FloatArray  # (intervals, streams)
    interval_s: float
    aht_s: FloatArray  # (streams,)
    target_wait_s: FloatArray  # (streams,)
    patience_s: FloatArray  # (streams,), inf = never abandons
    handling: Handling
    handling_cv: float
    priority_first: bool
    change_times_s: FloatArray  # capacity change points, starting at 0
    capacity: IntArray  # agents from each change point on
    bin_edges_s: FloatArray  # arrival-time bins for reporting


@dataclass(frozen=True, eq=False)
class _Counts:
    """Per-replication tallies, shape (replications, bins, streams)."""

    offered: FloatArray
    answered_in_time: FloatArray
    abandoned: FloatArray
    wait_sum_s: FloatArray


@dataclass(frozen=True, eq=False)
class WindowStats:
    """Simulated performance of calls arriving in one time window, per stream.

    Attributes
    ----------
    service_level, service_level_ci
        Mean across replications of the share answered within the target, and the CI half-width.
    asa_s, asa_ci_s
        Mean queueing time of all offered calls (seconds) and CI half-width.
    abandon_share, abandon_ci
        Share of offered calls that abandoned and CI half-width.
    offered
        Mean number of calls offered per replication.
    """

    service_level: FloatArray
    service_level_ci: FloatArray
    asa_s: FloatArray
    asa_ci_s: FloatArray
    abandon_share: FloatArray
    abandon_ci: FloatArray
    offered: FloatArray


@dataclass(frozen=True, eq=False)
class SimulationResult:
    """Result of :func:`simulate_queue`.

    Attributes
    ----------
    overall
        Whole-week measures per stream with confidence intervals across replications.
    interval_service_level
        Service level per interval and stream, pooled over replications, shape
        ``(intervals, streams)``; NaN where no call arrived.
    interval_offered
        Mean calls offered per interval and stream per replication.
    replication_service_level
        Whole-week service level of each replication, shape ``(replications, streams)``.
    replications
        Number of independent replications.
    confidence
        Confidence level of the intervals.
    """

    overall: WindowStats
    interval_service_level: FloatArray
    interval_offered: FloatArray
    replication_service_level: FloatArray
    replications: int
    confidence: float


@dataclass(frozen=True, eq=False)
class FailureResult:
    """Result of :func:`simulate_site_failure`; windows are by call arrival time.

    Attributes
    ----------
    before
        Calls arriving before the failure.
    during
        Calls arriving while the site is down.
    after
        Calls arriving in the recovery window after the site is back.
    during_without_failure
        The failure window simulated with the same random numbers but no failure (paired baseline).
    """

    before: WindowStats
    during: WindowStats
    after: WindowStats
    during_without_failure: WindowStats


def _per_stream(value: npt.ArrayLike, n_streams: int, name: str) -> FloatArray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(n_streams, float(arr))
    if arr.shape != (n_streams,):
        raise StaffingError(f"{name}: expected a scalar or {n_streams} values, got {arr.shape}")
    return arr


def _validated_rates(rates_per_hour: npt.ArrayLike) -> FloatArray:
    rates = np.asarray(rates_per_hour, dtype=np.float64)
    if rates.ndim == 1:
        rates = rates[:, np.newaxis]
    if rates.ndim != 2 or rates.shape[0] == 0:
        raise StaffingError(
            f"rates_per_hour: expected an array (intervals, streams), got shape {rates.shape}"
        )
    if not (np.isfinite(rates).all() and (rates >= 0).all()):
        raise StaffingError("rates_per_hour: expected finite non-negative calls per hour")
    return rates


def _validated_agents(agents: npt.ArrayLike, n_intervals: int, name: str) -> IntArray:
    arr = np.asarray(agents, dtype=np.float64)
    if arr.shape[-1:] != (n_intervals,):
        raise StaffingError(f"{name}: expected {n_intervals} intervals, got shape {arr.shape}")
    if not (np.isfinite(arr).all() and (arr >= 0).all() and (arr == np.round(arr)).all()):
        raise StaffingError(f"{name}: expected non-negative whole numbers of agents")
    return arr.astype(np.int64)


def _setup(
    rates_per_hour: npt.ArrayLike,
    *,
    interval_hours: float,
    aht_s: npt.ArrayLike,
    target_wait_s: npt.ArrayLike,
    patience_s: npt.ArrayLike | None,
    handling: Handling,
    handling_cv: float,
    priority_first: bool,
    change_times_s: FloatArray,
    capacity: IntArray,
    bin_edges_s: FloatArray,
) -> _Setup:
    rates = _validated_rates(rates_per_hour)
    n_streams = rates.shape[1]
    if not (math.isfinite(interval_hours) and interval_hours > 0):
        raise StaffingError(f"interval_hours: expected a positive number, got {interval_hours}")
    aht = _per_stream(aht_s, n_streams, "aht_s")
    if not (np.isfinite(aht).all() and (aht > 0).all()):
        raise StaffingError(f"aht_s: expected a positive number of seconds, got {aht}")
    target = _per_stream(target_wait_s, n_streams, "target_wait_s")
    if not (np.isfinite(target).all() and (target >= 0).all()):
        raise StaffingError(f"target_wait_s: expected non-negative seconds, got {target}")
    patience = (
        np.full(n_streams, np.inf)
        if patience_s is None
        else _per_stream(patience_s, n_streams, "patience_s")
    )
    if not (patience > 0).all() or np.isnan(patience).any():
        raise StaffingError(f"patience_s: expected a positive number of seconds, got {patience}")
    if handling not in ("exponential", "lognormal"):
        raise StaffingError(f"handling: expected 'exponential' or 'lognormal', got {handling!r}")
    if not (math.isfinite(handling_cv) and handling_cv > 0):
        raise StaffingError(f"handling_cv: expected a positive number, got {handling_cv}")
    return _Setup(
        rates_per_hour=rates,
        interval_s=interval_hours * SECONDS_PER_HOUR,
        aht_s=aht,
        target_wait_s=target,
        patience_s=patience,
        handling=handling,
        handling_cv=float(handling_cv),
        priority_first=priority_first,
        change_times_s=change_times_s,
        capacity=capacity,
        bin_edges_s=bin_edges_s,
    )


def _check_replications(replications: int, confidence: float) -> None:
    if replications < 2:
        raise StaffingError(f"replications: expected at least 2, got {replications}")
    if not 0.0 < confidence < 1.0:
        raise StaffingError(f"confidence: expected a level in (0, 1), got {confidence}")


@dataclass(frozen=True, eq=False)
class _Calls:
    arrival_s: FloatArray
    stream: IntArray
    handling_s: FloatArray
    patience_s: FloatArray


def _sample_calls(setup: _Setup, rng: np.random.Generator) -> _Calls:
    rates = setup.rates_per_hour
    n_intervals, n_streams = rates.shape
    counts = rng.poisson(rates * (setup.interval_s / SECONDS_PER_HOUR))
    interval = np.repeat(np.tile(np.arange(n_intervals), n_streams), counts.T.ravel())
    stream = np.repeat(np.arange(n_streams), counts.sum(axis=0))
    arrival = (interval + rng.random(interval.size)) * setup.interval_s
    order = np.argsort(arrival, kind="stable")
    arrival, stream = arrival[order], stream[order]
    mean = setup.aht_s[stream]
    if setup.handling == "exponential":
        handling = rng.exponential(mean)
    else:
        sigma2 = math.log1p(setup.handling_cv**2)
        handling = rng.lognormal(np.log(mean) - sigma2 / 2.0, math.sqrt(sigma2))
    patience_mean = setup.patience_s[stream]
    finite = np.isfinite(patience_mean)
    patience = np.full(stream.size, np.inf)
    patience[finite] = rng.exponential(patience_mean[finite])
    return _Calls(arrival, stream.astype(np.int64), handling, patience)


def _run_queue(setup: _Setup, calls: _Calls) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Return each call's queueing time and whether it was answered (event loop)."""
    arrival = calls.arrival_s.tolist()
    handling = calls.handling_s.tolist()
    patience = calls.patience_s.tolist()
    urgent = (calls.stream == 0).tolist() if setup.priority_first else [False] * len(arrival)
    change_times = setup.change_times_s.tolist()
    capacity_at = setup.capacity.tolist()
    n_calls, n_changes = len(arrival), len(change_times)
    wait = [math.inf] * n_calls
    answered = [False] * n_calls
    busy: list[float] = []  # finish times of calls in progress (heap)
    queue_urgent: deque[int] = deque()
    queue_rest: deque[int] = deque()
    capacity = 0
    next_call = next_change = 0
    inf = math.inf
    while True:
        t_arrival = arrival[next_call] if next_call < n_calls else inf
        t_finish = busy[0] if busy else inf
        t_change = change_times[next_change] if next_change < n_changes else inf
        now = min(t_arrival, t_finish, t_change)
        if now == inf:
            break
        if t_change == now:
            capacity = capacity_at[next_change]
            next_change += 1
        elif t_finish == now:
            heapq.heappop(busy)
        else:
            (queue_urgent if urgent[next_call] else queue_rest).append(next_call)
            next_call += 1
        while len(busy) < capacity and (queue_urgent or queue_rest):
            call = queue_urgent.popleft() if queue_urgent else queue_rest.popleft()
            waited = now - arrival[call]
            if waited > patience[call]:
                wait[call] = patience[call]  # abandoned when its patience ran out
                continue
            wait[call] = waited
            answered[call] = True
            heapq.heappush(busy, now + handling[call])
    # Calls left waiting when nothing else can happen (no agents at the end) are never answered.
    for call in (*queue_urgent, *queue_rest):
        wait[call] = min(patience[call], max(change_times[-1] - arrival[call], 0.0))
    return np.asarray(wait, dtype=np.float64), np.asarray(answered, dtype=np.bool_)


def _replication_counts(setup: _Setup, rng: np.random.Generator) -> tuple[FloatArray, ...]:
    calls = _sample_calls(setup, rng)
    wait, answered = _run_queue(setup, calls)
    n_bins = setup.bin_edges_s.size - 1
    n_streams = setup.rates_per_hour.shape[1]
    bins = np.searchsorted(setup.bin_edges_s, calls.arrival_s, side="right") - 1
    inside = (bins >= 0) & (bins < n_bins)
    cell = bins[inside] * n_streams + calls.stream[inside]
    size = n_bins * n_streams
    in_time = answered & (wait <= setup.target_wait_s[calls.stream])
    abandoned = ~answered
    tallies = (
        np.bincount(cell, minlength=size),
        np.bincount(cell, weights=in_time[inside].astype(np.float64), minlength=size),
        np.bincount(cell, weights=abandoned[inside].astype(np.float64), minlength=size),
        np.bincount(cell, weights=wait[inside], minlength=size),
    )
    return tuple(np.asarray(t, dtype=np.float64).reshape(n_bins, n_streams) for t in tallies)


def _simulate_counts(setup: _Setup, *, replications: int, seed: int) -> _Counts:
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(replications)]
    per_rep = [_replication_counts(setup, rng) for rng in rngs]
    offered, in_time, abandoned, wait_sum = (
        np.stack(parts) for parts in zip(*per_rep, strict=True)
    )
    return _Counts(offered, in_time, abandoned, wait_sum)


def _ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _mean_and_ci(samples: FloatArray, confidence: float) -> tuple[FloatArray, FloatArray]:
    """Return the mean over axis 0 (ignoring NaN) and the Student-t CI half-width."""
    valid = ~np.isnan(samples)
    count = valid.sum(axis=0)
    filled = np.where(valid, samples, 0.0)
    mean = _ratio(filled.sum(axis=0), count.astype(np.float64))
    deviations = np.where(valid, samples - np.where(np.isnan(mean), 0.0, mean), 0.0)
    variance = (deviations**2).sum(axis=0) / np.maximum(count - 1, 1)
    quantile = stats.t.ppf(0.5 + confidence / 2.0, np.maximum(count - 1, 1))
    half = quantile * np.sqrt(variance / np.maximum(count, 1))
    return mean, np.where(count >= 2, half, np.inf)


def _window_stats(counts: _Counts, window: slice, confidence: float) -> WindowStats:
    offered = counts.offered[:, window].sum(axis=1)
    sl, sl_ci = _mean_and_ci(
        _ratio(counts.answered_in_time[:, window].sum(axis=1), offered), confidence
    )
    asa, asa_ci = _mean_and_ci(
        _ratio(counts.wait_sum_s[:, window].sum(axis=1), offered), confidence
    )
    ab, ab_ci = _mean_and_ci(_ratio(counts.abandoned[:, window].sum(axis=1), offered), confidence)
    return WindowStats(sl, sl_ci, asa, asa_ci, ab, ab_ci, offered.mean(axis=0))


def simulate_queue(
    rates_per_hour: npt.ArrayLike,
    agents: npt.ArrayLike,
    *,
    interval_hours: float,
    aht_s: npt.ArrayLike,
    target_wait_s: npt.ArrayLike,
    patience_s: npt.ArrayLike | None = None,
    handling: Handling = "exponential",
    handling_cv: float = 1.0,
    priority_first: bool = False,
    replications: int = 10,
    seed: int = 0,
    confidence: float = 0.95,
) -> SimulationResult:
    """Simulate one team answering several call streams with a staffing schedule.

    Parameters
    ----------
    rates_per_hour
        Arrival rates in calls per hour, shape ``(intervals, streams)`` (1-D: one stream).
    agents
        Agents on duty per interval, shape ``(intervals,)``.
    interval_hours
        Interval length in hours (1 for 168 hourly intervals, 0.5 for 336 half-hours).
    aht_s
        Mean handling time per stream (scalar or ``(streams,)``), seconds.
    target_wait_s
        Service-level threshold per stream (scalar or ``(streams,)``), seconds.
    patience_s
        Mean exponential patience per stream in seconds; ``None`` means nobody abandons.
    handling
        Handling-time distribution, ``"exponential"`` or ``"lognormal"``.
    handling_cv
        Coefficient of variation of lognormal handling times.
    priority_first
        Serve waiting calls of stream 0 before any other (non-preemptive); FIFO otherwise.
    replications
        Independent replications (>= 2) for the confidence intervals.
    seed
        Seed of the random number generator.
    confidence
        Confidence level of the intervals.
    """
    _check_replications(replications, confidence)
    rates = _validated_rates(rates_per_hour)
    n_intervals = rates.shape[0]
    staff = _validated_agents(agents, n_intervals, "agents")
    interval_s = float(interval_hours) * SECONDS_PER_HOUR
    edges = np.arange(n_intervals + 1, dtype=np.float64) * interval_s
    setup = _setup(
        rates,
        interval_hours=interval_hours,
        aht_s=aht_s,
        target_wait_s=target_wait_s,
        patience_s=patience_s,
        handling=handling,
        handling_cv=handling_cv,
        priority_first=priority_first,
        change_times_s=edges,
        capacity=np.append(staff, staff[-1]),
        bin_edges_s=edges,
    )
    counts = _simulate_counts(setup, replications=replications, seed=seed)
    offered_total = counts.offered.sum(axis=1)
    return SimulationResult(
        overall=_window_stats(counts, slice(None), confidence),
        interval_service_level=_ratio(
            counts.answered_in_time.sum(axis=0), counts.offered.sum(axis=0)
        ),
        interval_offered=counts.offered.mean(axis=0),
        replication_service_level=_ratio(counts.answered_in_time.sum(axis=1), offered_total),
        replications=replications,
        confidence=confidence,
    )


def simulate_site_failure(
    rates_per_hour: npt.ArrayLike,
    agents_by_site: npt.ArrayLike,
    *,
    interval_hours: float,
    aht_s: npt.ArrayLike,
    target_wait_s: npt.ArrayLike,
    failed_site: int,
    failure_start_h: float,
    failure_hours: float,
    recovery_hours: float | None = None,
    patience_s: npt.ArrayLike | None = None,
    handling: Handling = "exponential",
    handling_cv: float = 1.0,
    priority_first: bool = False,
    replications: int = 10,
    seed: int = 0,
    confidence: float = 0.95,
) -> FailureResult:
    """Simulate sites answering one pooled queue while one site is down for a while.

    All calls go to one queue served by every site's agents. From ``failure_start_h`` for
    ``failure_hours`` the failed site's agents are lost and its calls overflow to the others.
    Calls already being answered at the failed site when it fails are completed (only answering
    capacity is lost; optimistic for a real outage).

    Parameters
    ----------
    rates_per_hour
        Arrival rates of the pooled calls, shape ``(intervals, streams)``.
    agents_by_site
        Agents per site and interval, shape ``(sites, intervals)``.
    interval_hours
        Interval length in hours.
    aht_s
        Mean handling time per stream, seconds.
    target_wait_s
        Service-level threshold per stream, seconds.
    failed_site
        Index of the site that fails.
    failure_start_h
        Hour (from the start of the horizon) at which the site fails.
    failure_hours
        Duration of the outage in hours.
    recovery_hours
        Length of the "after" window; defaults to ``failure_hours``.
    patience_s
        Mean exponential patience per stream in seconds; ``None`` means nobody abandons.
    handling
        Handling-time distribution, ``"exponential"`` or ``"lognormal"``.
    handling_cv
        Coefficient of variation of lognormal handling times.
    priority_first
        Serve stream 0 first (non-preemptive); FIFO otherwise.
    replications
        Independent replications (>= 2).
    seed
        Seed of the random number generator.
    confidence
        Confidence level of the intervals.
    """
    _check_replications(replications, confidence)
    rates = _validated_rates(rates_per_hour)
    n_intervals = rates.shape[0]
    staff = _validated_agents(agents_by_site, n_intervals, "agents_by_site")
    if staff.ndim != 2:
        raise StaffingError(
            f"agents_by_site: expected an array (sites, intervals), got shape {staff.shape}"
        )
    if not 0 <= failed_site < staff.shape[0]:
        raise StaffingError(
            f"failed_site: expected a site index in [0, {staff.shape[0]}), got {failed_site}"
        )
    horizon_h = n_intervals * interval_hours
    recovery = failure_hours if recovery_hours is None else recovery_hours
    if not (failure_start_h >= 0.0 and failure_hours > 0 and recovery >= 0):
        raise StaffingError(
            "failure_start_h, failure_hours, recovery_hours: expected a start >= 0 and positive "
            f"durations, got {failure_start_h}, {failure_hours}, {recovery}"
        )
    end_h = failure_start_h + failure_hours
    if end_h + recovery > horizon_h:
        raise StaffingError(
            f"failure_start_h: the failure and recovery windows must end within the horizon "
            f"({horizon_h:g} h), got {end_h + recovery:g} h"
        )
    interval_s = interval_hours * SECONDS_PER_HOUR
    marks_s = np.array([failure_start_h, end_h, end_h + recovery]) * SECONDS_PER_HOUR
    edges = np.concatenate([[0.0], marks_s, [horizon_h * SECONDS_PER_HOUR]])
    grid = np.unique(np.concatenate([np.arange(n_intervals) * interval_s, marks_s[:2]]))
    interval_of = np.minimum((grid // interval_s).astype(np.int64), n_intervals - 1)
    total = staff.sum(axis=0)[interval_of]
    down = (grid >= marks_s[0]) & (grid < marks_s[1])
    with_failure = total - np.where(down, staff[failed_site][interval_of], 0)

    def window_stats(capacity: IntArray) -> list[WindowStats]:
        setup = _setup(
            rates,
            interval_hours=interval_hours,
            aht_s=aht_s,
            target_wait_s=target_wait_s,
            patience_s=patience_s,
            handling=handling,
            handling_cv=handling_cv,
            priority_first=priority_first,
            change_times_s=np.append(grid, horizon_h * SECONDS_PER_HOUR),
            capacity=np.append(capacity, capacity[-1]),
            bin_edges_s=edges,
        )
        counts = _simulate_counts(setup, replications=replications, seed=seed)
        return [_window_stats(counts, slice(i, i + 1), confidence) for i in range(3)]

    before, during, after = window_stats(with_failure)
    _, baseline, _ = window_stats(total)
    return FailureResult(before, during, after, baseline)


@dataclass(frozen=True, eq=False)
class InstanceSimulation:
    """A simulated week of an instance's pooled calls answered at named sites.

    Each team of the staffing model (one per stream with ``stream_teams = "separate"``, one for
    all streams when blended) is simulated as its own queue, pooled over the sites: its agents are
    split evenly between the sites, and a site whose teams fall below the minimum crew gets the
    shortfall added to its first team (999). Results are per stream.
    """

    sites: tuple[str, ...]
    streams: tuple[str, ...]
    targets: tuple[tuple[float, float], ...]
    agents_by_site: IntArray
    week: SimulationResult
    failure: FailureResult | None
    failed_site: str | None
    failure_start_h: float | None
    failure_hours: float | None


def even_split(agents: npt.ArrayLike, sites: int) -> IntArray:
    """Return agents per site (sites × intervals): split evenly, earlier sites take remainders."""
    total = np.asarray(agents, dtype=np.int64)
    base, extra = np.divmod(total, sites)
    return np.stack([base + (extra > k) for k in range(sites)]).astype(np.int64)


def _team_split(team_agents: IntArray, sites: int, min_positions: int) -> IntArray:
    """Agents per team, site and interval; each site's teams together meet the minimum crew."""
    split = np.stack([even_split(agents, sites) for agents in team_agents])
    shortfall = np.maximum(min_positions - split.sum(axis=0), 0)
    split[0] += shortfall
    return split


def _merge_windows(parts: list[tuple[list[int], WindowStats]], n: int) -> WindowStats:
    """Combine per-team window statistics into one per-stream set."""
    fields = [
        "service_level",
        "service_level_ci",
        "asa_s",
        "asa_ci_s",
        "abandon_share",
        "abandon_ci",
        "offered",
    ]
    merged = {name: np.zeros(n) for name in fields}
    for streams, stats_ in parts:
        for name in fields:
            merged[name][streams] = getattr(stats_, name)
    return WindowStats(**merged)


def _merge_weeks(parts: list[tuple[list[int], SimulationResult]], n: int) -> SimulationResult:
    first = parts[0][1]
    intervals = first.interval_service_level.shape[0]
    sl = np.zeros((intervals, n))
    offered = np.zeros((intervals, n))
    reps = np.zeros((first.replications, n))
    for streams, result in parts:
        sl[:, streams] = result.interval_service_level
        offered[:, streams] = result.interval_offered
        reps[:, streams] = result.replication_service_level
    return SimulationResult(
        overall=_merge_windows([(s, r.overall) for s, r in parts], n),
        interval_service_level=sl,
        interval_offered=offered,
        replication_service_level=reps,
        replications=first.replications,
        confidence=first.confidence,
    )


def _merge_failures(parts: list[tuple[list[int], FailureResult]], n: int) -> FailureResult:
    return FailureResult(
        **{
            name: _merge_windows([(s, getattr(r, name)) for s, r in parts], n)
            for name in ("before", "during", "after", "during_without_failure")
        }
    )


def simulate_instance(
    instance: Instance,
    sites: Sequence[str],
    *,
    fail: str | None = None,
    failure_hours: float = 4.0,
    failure_start_h: float | None = None,
    replications: int = 10,
    seed: int = 0,
) -> InstanceSimulation:
    """Simulate the instance's week of calls, pooled over ``sites``, optionally failing one.

    Parameters
    ----------
    instance
        A validated instance (its streams, targets, patience and staffing rules are used).
    sites
        Site ids answering one pooled queue; each must be a candidate of the instance.
    fail
        A site id among ``sites`` to take out for ``failure_hours`` from ``failure_start_h``
        (hours from Monday 00:00; default: the busiest interval of the week).
    failure_hours, failure_start_h
        Length and start of the failure.
    replications, seed
        Independent replications and the seed of the first.
    """
    from siteopt.queueing.fte import staffing_table  # noqa: PLC0415 (lazy: pulls in scipy)

    candidates = instance.candidate_ids()
    if not sites or len(set(sites)) != len(sites):
        raise StaffingError(f"--sites: expected distinct site ids, got {list(sites)}")
    for sid in sites:
        if sid not in candidates:
            msg = f"--sites: {sid!r} is not a candidate site of {instance.file}"
            raise StaffingError(msg)
    if fail is not None and fail not in sites:
        msg = f"--fail: expected one of the simulated sites {list(sites)}, got {fail!r}"
        raise StaffingError(msg)
    table = staffing_table(instance)
    rates = table.rates_per_hour.sum(axis=0).T  # intervals × streams
    min_crew = instance.staffing.min_positions_per_site.value
    split = _team_split(table.team_agents(table.forces), len(sites), min_crew)
    if fail is not None and failure_start_h is None:
        failure_start_h = float(np.argmax(rates.sum(axis=1))) * table.interval_hours
    weeks: list[tuple[list[int], SimulationResult]] = []
    failures: list[tuple[list[int], FailureResult]] = []
    for team, streams in enumerate(table.teams()):
        common: dict[str, Any] = {
            "interval_hours": table.interval_hours,
            "aht_s": [table.aht_s[s] for s in streams],
            "target_wait_s": [table.targets[s].wait_s for s in streams],
            "patience_s": _patience(table.patience_s, streams),
            "replications": replications,
            "seed": seed + team,
            "priority_first": table.stream_teams == "priority",
        }
        team_rates = rates[:, streams]
        weeks.append((streams, simulate_queue(team_rates, split[team].sum(axis=0), **common)))
        if fail is not None and failure_start_h is not None:
            result = simulate_site_failure(
                team_rates,
                split[team],
                failed_site=list(sites).index(fail),
                failure_start_h=failure_start_h,
                failure_hours=failure_hours,
                **common,
            )
            failures.append((streams, result))
    n = len(table.streams)
    return InstanceSimulation(
        sites=tuple(sites),
        streams=table.streams,
        targets=tuple((t.share, t.wait_s) for t in table.targets),
        agents_by_site=split.sum(axis=0),
        week=_merge_weeks(weeks, n),
        failure=_merge_failures(failures, n) if failures else None,
        failed_site=fail,
        failure_start_h=failure_start_h if fail is not None else None,
        failure_hours=failure_hours if fail is not None else None,
    )


def _patience(patience: tuple[float | None, ...], streams: list[int]) -> list[float] | None:
    chosen = [patience[s] for s in streams]
    if all(p is None for p in chosen):
        return None
    return [p if p is not None else math.inf for p in chosen]


# --- The chosen plan: its rooms' agents, normal running and each room failing in turn -------------


@dataclass(frozen=True, eq=False)
class PlanRooms:
    """The open rooms of a plan, as the simulation and the rosters need them.

    Attributes
    ----------
    sites
        Site ids of the open rooms.
    agents
        Agents on duty per room and interval of the week, shape ``(rooms, intervals)``: the
        solution's ``SiteResult.agents``.
    seats
        Seats of each room.
    forces
        By-force routing: the forces each room answers. ``None``: one pooled queue over every
        room (also one room answering everything).
    fallback_site
        The fallback building of a one-room plan, when the solve named it.
    """

    sites: tuple[str, ...]
    agents: IntArray
    seats: tuple[int, ...]
    forces: tuple[tuple[str, ...], ...] | None
    fallback_site: str | None = None


@dataclass(frozen=True, eq=False)
class RoomFailure:
    """What the plan answers while one room is out, per stream (windows by call arrival time).

    Attributes
    ----------
    site
        The room that fails.
    start_h, hours, recovery_hours
        Failure start (hours from Monday 00:00), its length and the "after" window.
    answered_by
        Who answers its calls meanwhile, in words.
    decamp
        How its staff get back to work (the instance's labelled assumption), or why they do not.
    decamp_minutes
        When the decamped staff answer again (minutes after the failure); ``None``: never.
    agents_normal, agents_down, agents_decamped
        Agents answering, every room together, in normal running, during the failure before
        the decamp and after it (means over the failure's intervals).
    before, during, after, during_without_failure, after_without_failure
        Calls arriving before, during and after the failure, and the failure and "after"
        windows simulated with the same random numbers but no failure.
    """

    site: str
    start_h: float
    hours: float
    recovery_hours: float
    answered_by: str
    decamp: str
    decamp_minutes: float | None
    agents_normal: float
    agents_down: float
    agents_decamped: float
    before: WindowStats
    during: WindowStats
    after: WindowStats
    during_without_failure: WindowStats
    after_without_failure: WindowStats


@dataclass(frozen=True, eq=False)
class PlanSimulation:
    """A simulated week of the chosen plan: normal running and each room failing in turn.

    Attributes
    ----------
    sites, streams, targets
        Rooms, streams and each stream's ``(share, within seconds)`` target.
    interval_hours
        Length of one interval of ``agents``.
    agents
        Agents per room and interval simulated: exactly the plan's.
    team_agents
        The same split into the staffing model's teams, ``(rooms, teams, intervals)``.
    teams
        The streams of each team.
    week
        Normal running, whole week, per stream.
    calls_by_site
        Mean calls a week answered at each room in normal running (see :func:`_room_calls`).
    failures
        One per room failing (empty when not asked for).
    replications, confidence
        Independent replications and the confidence level of the intervals.
    """

    sites: tuple[str, ...]
    streams: tuple[str, ...]
    targets: tuple[tuple[float, float], ...]
    interval_hours: float
    agents: IntArray
    team_agents: IntArray
    teams: tuple[tuple[int, ...], ...]
    week: WindowStats
    calls_by_site: FloatArray
    failures: tuple[RoomFailure, ...]
    replications: int
    confidence: float


def apportion(total: int, weights: npt.ArrayLike) -> IntArray:
    """Return ``total`` split into whole numbers in proportion to ``weights`` (largest remainder).

    The parts add up to ``total``; ties go to the earlier entry; all-zero weights split evenly.
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.sum() <= 0:
        w = np.ones_like(w)
    quota = total * w / w.sum()
    base: IntArray = np.floor(quota + 1e-9).astype(np.int64)
    left = int(total - base.sum())
    if left > 0:
        order = np.argsort(-(quota - base), kind="stable")
        base[order[:left]] += 1
    return base


def split_into_teams(room_agents: IntArray, team_weights: IntArray) -> IntArray:
    """Return agents per room, team and interval: room totals and team totals both exact.

    In each interval the agents of all rooms are first shared out over the teams in proportion
    to ``team_weights`` (the pooled requirement per team); then each room in turn takes its
    agents from what each team has left, in proportion (largest remainder), the last room the
    rest. So every room keeps its agents and every team its share.

    Parameters
    ----------
    room_agents
        Agents per room and interval, ``(rooms, intervals)``.
    team_weights
        Requirement per team and interval, ``(teams, intervals)``.
    """
    rooms, intervals = room_agents.shape
    split = np.zeros((rooms, team_weights.shape[0], intervals), dtype=np.int64)
    for t in range(intervals):
        left = apportion(int(room_agents[:, t].sum()), team_weights[:, t])
        for k in range(rooms):
            last = k == rooms - 1
            take = left.copy() if last else apportion(int(room_agents[k, t]), left)
            split[k, :, t] = take
            left = left - take
    return split


@dataclass(frozen=True, eq=False)
class _PlanQueue:
    """One independent queue of the plan: a team, pooled over every room or at one room."""

    team: int
    streams: list[int]
    rates: FloatArray  # (intervals, streams of the team)
    room: int | None  # by force: the room answering it; None: pooled over every room


@dataclass(frozen=True, eq=False)
class _PlanModel:
    """The plan set up for simulation: its rooms, staffing table, queues and team split."""

    plan: PlanRooms
    table: StaffingTable
    queues: list[_PlanQueue]
    split: IntArray  # agents per room, team and interval


@dataclass(frozen=True)
class _Outage:
    """One room failing: when, for how long, and where its staff decamp to."""

    room: int
    start_s: float
    end_s: float
    decamp_s: float | None  # seconds after the start when decamped staff answer; None: never
    seats: tuple[int, ...]  # seats of each room (one room: of the fallback building)


def _plan_model(instance: Instance, plan: PlanRooms) -> _PlanModel:
    """Return the plan's queues, the staffing table and the agents per room, team, interval."""
    from siteopt.queueing.fte import staffing_table  # noqa: PLC0415 (lazy: pulls in scipy)

    table = staffing_table(instance)
    n_intervals = table.rates_per_hour.shape[2]
    agents = _validated_agents(plan.agents, n_intervals, "agents")
    if agents.ndim != 2 or agents.shape[0] != len(plan.sites) or len(plan.seats) != len(agents):
        msg = f"agents: expected one row and seat count per room ({len(plan.sites)})"
        raise StaffingError(msg)
    teams = table.teams()
    if plan.forces is None:
        rates = table.rates_per_hour.sum(axis=0).T
        split = split_into_teams(agents, table.team_agents(table.forces))
        queues = [_PlanQueue(i, s, rates[:, s], None) for i, s in enumerate(teams)]
        return _PlanModel(plan, table, queues, split)
    if len(plan.forces) != len(plan.sites):
        raise StaffingError("forces: expected one force group per room")
    split = np.zeros((len(plan.sites), len(teams), n_intervals), dtype=np.int64)
    queues = []
    for k, forces in enumerate(plan.forces):
        split[k] = split_into_teams(agents[k : k + 1], table.team_agents(forces))[0]
        index = [table.forces.index(f) for f in forces]
        rates = table.rates_per_hour[index].sum(axis=0).T
        queues += [_PlanQueue(i, s, rates[:, s], k) for i, s in enumerate(teams)]
    return _PlanModel(plan, table, queues, split)


def _decamped(plan: PlanRooms, outage: _Outage, t: int) -> IntArray:
    """Agents of the failed room answering again at each room in interval ``t``, after decamp.

    Several rooms: they take the other rooms' spare seats in room order. One room: the
    fallback building's seats.
    """
    extra = np.zeros(len(plan.sites), dtype=np.int64)
    if outage.decamp_s is None:
        return extra
    moving = int(plan.agents[outage.room, t])
    for j in range(len(plan.sites)):
        if len(plan.sites) > 1 and j == outage.room:
            continue
        in_use = int(plan.agents[j, t]) if j != outage.room else 0
        extra[j] = min(max(outage.seats[j] - in_use, 0), moving)
        moving -= int(extra[j])
    return extra


def _queue_timeline(
    model: _PlanModel, queue: _PlanQueue, outage: _Outage | None
) -> tuple[FloatArray, FloatArray, IntArray]:
    """Return the queue's rates per interval, its capacity change points and agents there.

    During an outage the queue loses the failed room's agents of its team (pooled, or the
    failed room's own queue); after the decamp delay it gains its team's share of the failed
    room's staff that found a seat (pooled: anywhere; by force: at its room).
    """
    plan, split = model.plan, model.split
    interval_s = model.table.interval_hours * SECONDS_PER_HOUR
    n_intervals = queue.rates.shape[0]
    starts = np.arange(n_intervals, dtype=np.float64) * interval_s
    at = slice(None) if queue.room is None else slice(queue.room, queue.room + 1)
    normal = split[at, queue.team].sum(axis=0)
    if outage is None:
        return queue.rates, starts, normal
    k = outage.room
    marks = [outage.start_s, outage.end_s]
    if outage.decamp_s is not None:
        marks.append(min(outage.start_s + outage.decamp_s, outage.end_s))
    grid = np.unique(np.concatenate([starts, marks]))
    interval_of = np.minimum((grid // interval_s).astype(np.int64), n_intervals - 1)
    capacity = normal[interval_of].copy()
    for g, t in enumerate(interval_of.tolist()):
        if not outage.start_s <= grid[g] < outage.end_s:
            continue
        if queue.room in (None, k):
            capacity[g] -= int(split[k, queue.team, t])
        back = outage.decamp_s is not None and grid[g] >= outage.start_s + outage.decamp_s
        if back and queue.room != k:
            extra = _decamped(plan, outage, t)
            moving = int(extra.sum()) if queue.room is None else int(extra[queue.room])
            capacity[g] += int(apportion(moving, split[k, :, t])[queue.team])
    rates = queue.rates
    if queue.room is not None:
        twin = next(q for q in model.queues if q.room == k and q.team == queue.team)
        rates = _rerouted_rates(queue, twin, split, outage, starts)
    return rates, grid, capacity


def _rerouted_rates(
    queue: _PlanQueue, twin: _PlanQueue, split: IntArray, outage: _Outage, starts: FloatArray
) -> FloatArray:
    """By force: while a room is out its calls go to the others, in proportion to their agents.

    ``twin`` is the failed room's queue of the same team. Rates are per interval, so the
    failure covers whole intervals (``fail_hours`` is a multiple of the interval).
    """
    down = (starts >= outage.start_s) & (starts < outage.end_s)
    rates = queue.rates.copy()
    if queue.room == outage.room:
        rates[down] = 0.0
        return rates
    others = [j for j in range(split.shape[0]) if j != outage.room]
    weights = split[others, queue.team][:, down].astype(np.float64)
    on_duty = weights.sum(axis=0)
    assert queue.room is not None
    mine = np.divide(
        weights[others.index(queue.room)],
        on_duty,
        out=np.full(on_duty.shape, 1 / len(others)),
        where=on_duty > 0,
    )
    rates[down] += twin.rates[down] * mine[:, np.newaxis]
    return rates


def _plan_counts(
    model: _PlanModel,
    outage: _Outage | None,
    bin_edges_s: FloatArray,
    *,
    replications: int,
    seed: int,
) -> tuple[_Counts, list[FloatArray]]:
    """Simulate every queue of the plan: tallies per stream, and each queue's calls per bin.

    Queue ``q`` uses seed ``seed + q`` with or without the outage, so a failure and the same
    week without it see the same calls (paired). The second part is, per queue, the calls
    offered per replication and bin (all its streams).
    """
    table = model.table
    n_streams = len(table.streams)
    n_bins = bin_edges_s.size - 1
    totals = [np.zeros((replications, n_bins, n_streams)) for _ in range(4)]
    horizon_s = _horizon_s(model)
    per_queue = []
    for q, queue in enumerate(model.queues):
        rates, change_times, capacity = _queue_timeline(model, queue, outage)
        streams = queue.streams
        setup = _setup(
            rates,
            interval_hours=table.interval_hours,
            aht_s=[table.aht_s[s] for s in streams],
            target_wait_s=[table.targets[s].wait_s for s in streams],
            patience_s=_patience(table.patience_s, streams),
            handling="exponential",
            handling_cv=1.0,
            priority_first=table.stream_teams == "priority",
            change_times_s=np.append(change_times, horizon_s),
            capacity=np.append(capacity, capacity[-1]),
            bin_edges_s=bin_edges_s,
        )
        counts = _simulate_counts(setup, replications=replications, seed=seed + q)
        parts = (counts.offered, counts.answered_in_time, counts.abandoned, counts.wait_sum_s)
        for total, part in zip(totals, parts, strict=True):
            total[:, :, streams] += part
        per_queue.append(counts.offered.sum(axis=2))
    return _Counts(*totals), per_queue


def _room_calls(model: _PlanModel, per_queue: list[FloatArray]) -> FloatArray:
    """Mean calls a week answered at each room, from per-interval tallies of every queue.

    By force, a room's calls are those of its own queues; pooled, each interval's calls of a
    team are shared by the rooms' agents of that team (the allocation's rule,
    ``RoomAllocation.interval_share``, applied per team to the simulated calls).
    """
    split = model.split.astype(np.float64)
    calls = np.zeros(split.shape[0])
    for queue, offered in zip(model.queues, per_queue, strict=True):
        mean = offered.mean(axis=0)  # per interval
        if queue.room is not None:
            calls[queue.room] += mean.sum()
            continue
        team = split[:, queue.team]
        on_duty = team.sum(axis=0)
        share = np.divide(team, on_duty, out=np.full_like(team, 1 / len(team)), where=on_duty > 0)
        calls += (share * mean).sum(axis=1)
    return calls


def _horizon_s(model: _PlanModel) -> float:
    """Length of the simulated week in seconds."""
    return float(model.queues[0].rates.shape[0] * model.table.interval_hours * SECONDS_PER_HOUR)


def _labelled(figure: Any) -> str:
    """A figure's label: its assumption, else its source."""
    return str(figure.assumption or figure.source)


def _decamp_terms(instance: Instance, plan: PlanRooms, room: int) -> tuple[float | None, str, str]:
    """Return the decamp delay (s, or ``None``), who answers and how, from the constraints.

    Two or more rooms: the failed room's staff on duty decamp to the other rooms' spare seats
    after the ``site_separation`` constraint's ``max_minutes``. One room: its staff decamp to
    the ``fallback`` building after its ``max_minutes``, which seats ``min_share`` of the peak.
    Without such a constraint nobody answers the failed room's calls until it is back (pooled
    or by force, the other rooms still answer what reaches them).
    """
    kinds = {spec.type: spec for spec in instance.constraints.values() if spec.enabled}
    others = [s for j, s in enumerate(plan.sites) if j != room]
    if others:
        pooled = plan.forces is None
        who = (
            f"{', '.join(others)} (pooled queue: the other room's agents answer every call)"
            if pooled
            else f"{', '.join(others)} (its forces' calls rerouted there)"
        )
        spec = kinds.get("site_separation")
        if spec is None:
            return None, who, "no decamp modelled (the instance has no site_separation constraint)"
        minutes = float(spec.max_minutes.value)  # type: ignore[union-attr]
        return (
            minutes * 60.0,
            who,
            f"its staff on duty decamp to the spare seats of {', '.join(others)} after "
            f"{minutes:g} min (constraints.{_key(instance, spec)}.max_minutes, assumption: "
            f"{_labelled(spec.max_minutes)})",  # type: ignore[union-attr]
        )
    spec = kinds.get("fallback")
    if spec is None:
        return None, "nobody (the instance has no fallback constraint)", "no decamp modelled"
    minutes = float(spec.max_minutes.value)  # type: ignore[union-attr]
    share = float(spec.min_share.value)  # type: ignore[union-attr]
    building = plan.fallback_site or getattr(spec, "site", "nearest")
    where = "the nearest standing building" if building == "nearest" else building
    name = _key(instance, spec)
    return (
        minutes * 60.0,
        f"the fallback building ({where}) after the decamp; nobody before",
        f"its staff on duty decamp to the fallback building after {minutes:g} min "
        f"(constraints.{name}.max_minutes, assumption: {_labelled(spec.max_minutes)})"  # type: ignore[union-attr]
        f", which seats {100 * share:g} % of the peak agents (constraints.{name}.min_share, "
        f"assumption: {_labelled(spec.min_share)}); no call is answered before, and "  # type: ignore[union-attr]
        "re-routing the lines and logging in are taken to fit in that time",
    )


def _key(instance: Instance, spec: Any) -> str:
    """The name of a constraint in the instance file."""
    return next(name for name, s in instance.constraints.items() if s is spec)


def _fallback_seats(instance: Instance, plan: PlanRooms) -> int:
    """Seats of the fallback building: its ``min_share`` of the plan's peak agents."""
    kinds = {spec.type: spec for spec in instance.constraints.values() if spec.enabled}
    share = float(kinds["fallback"].min_share.value)  # type: ignore[union-attr]
    return math.ceil(share * int(plan.agents.max()) - 1e-9)


def _failure_start(table: StaffingTable, span_h: float) -> float:
    """The start of the busiest interval (all calls) from which the span fits in the week."""
    load = table.rates_per_hour.sum(axis=(0, 1))
    horizon_h = load.size * table.interval_hours
    latest = int((horizon_h - span_h) // table.interval_hours + 1e-9)
    if latest < 0:
        raise StaffingError(
            f"--fail-hours: the failure and the recovery after it ({span_h:g} h) must fit in "
            f"the week ({horizon_h:g} h)"
        )
    return float(np.argmax(load[: latest + 1])) * table.interval_hours


def _failure_window(
    table: StaffingTable, fail_hours: float, start_h: float | None
) -> tuple[float, float]:
    """Return the failure's start and the recovery window's length (hours), checked."""
    step = table.interval_hours
    n_steps = fail_hours / step
    if not (math.isfinite(fail_hours) and fail_hours > 0 and abs(n_steps - round(n_steps)) < 1e-9):
        raise StaffingError(
            f"--fail-hours: expected a positive multiple of the {step:g}-hour staffing "
            f"interval, got {fail_hours:g}"
        )
    recovery = fail_hours
    if start_h is None:
        return _failure_start(table, fail_hours + recovery), recovery
    horizon_h = table.rates_per_hour.shape[2] * step
    on_grid = abs(start_h / step - round(start_h / step)) < 1e-9
    if not (math.isfinite(start_h) and start_h >= 0 and on_grid):
        raise StaffingError(f"--start-hour: expected the start of an interval, got {start_h:g}")
    if start_h + fail_hours + recovery > horizon_h + 1e-9:
        raise StaffingError(
            f"--start-hour: the failure and the recovery after it must end within the week "
            f"({horizon_h:g} h), got {start_h + fail_hours + recovery:g} h"
        )
    return start_h, recovery


def simulate_plan(
    instance: Instance,
    plan: PlanRooms,
    *,
    fail_hours: float | None = 4.0,
    failure_start_h: float | None = None,
    fail_sites: Sequence[str] | None = None,
    replications: int = 10,
    seed: int = 0,
    confidence: float = 0.95,
) -> PlanSimulation:
    """Simulate exactly a plan's rooms for a week, then each room failing in turn.

    Pooled, every team of the staffing model is one queue served by every room's agents (each
    room's agents split into teams in proportion to the pooled requirement; room and team
    totals exact). By force, each room answers its own forces' calls with its own teams. A
    failed room loses its agents: pooled, the other rooms' agents answer every call; by force,
    its calls go to the other rooms in proportion to their agents. After the instance's decamp
    delay (``site_separation.max_minutes``, or with one room ``fallback.max_minutes``) the
    failed room's staff on duty answer again from the other rooms' spare seats (or the
    fallback building's seats, ``fallback.min_share`` of the peak). Calls in progress at the
    failed room are completed (optimistic); handling times are exponential.

    Parameters
    ----------
    instance
        The instance the plan answers (streams, targets, patience, staffing rules).
    plan
        The plan's rooms and agents (:class:`PlanRooms`).
    fail_hours
        Length of each failure (hours, whole intervals); also the length of the "after"
        window. ``None``: normal running only.
    failure_start_h
        Start of the failure, hours from Monday 00:00 (default: the busiest interval from
        which the failure and the recovery fit in the week).
    fail_sites
        The rooms to fail, one at a time (default: every room).
    replications, seed, confidence
        Independent replications (>= 2), the seed, and the confidence level of the intervals.
    """
    _check_replications(replications, confidence)
    model = _plan_model(instance, plan)
    table = model.table
    edges = np.arange(table.rates_per_hour.shape[2] + 1) * table.interval_hours * SECONDS_PER_HOUR
    week, per_queue = _plan_counts(model, None, edges, replications=replications, seed=seed)
    chosen = list(plan.sites) if fail_sites is None else list(fail_sites)
    unknown = [s for s in chosen if s not in plan.sites]
    if unknown:
        msg = f"--fail: expected rooms of the plan ({', '.join(plan.sites)}), got {unknown}"
        raise StaffingError(msg)
    failures = []
    if fail_hours is not None:
        start_h, recovery = _failure_window(table, fail_hours, failure_start_h)
        for k, site in enumerate(plan.sites):
            if site in chosen:
                failures.append(
                    _room_failure(
                        instance, model, k, window=(start_h, fail_hours, recovery),
                        replications=replications, seed=seed, confidence=confidence,
                    )
                )  # fmt: skip
    return PlanSimulation(
        sites=plan.sites,
        streams=table.streams,
        targets=tuple((t.share, t.wait_s) for t in table.targets),
        interval_hours=table.interval_hours,
        agents=np.asarray(plan.agents, dtype=np.int64),
        team_agents=model.split,
        teams=tuple(tuple(t) for t in table.teams()),
        week=_window_stats(week, slice(None), confidence),
        calls_by_site=_room_calls(model, per_queue),
        failures=tuple(failures),
        replications=replications,
        confidence=confidence,
    )


def _room_failure(
    instance: Instance,
    model: _PlanModel,
    room: int,
    *,
    window: tuple[float, float, float],
    replications: int,
    seed: int,
    confidence: float,
) -> RoomFailure:
    """Simulate one room failing, and the same week without it (the same random numbers)."""
    plan, table = model.plan, model.table
    start_h, hours, recovery = window
    delay_s, who, how = _decamp_terms(instance, plan, room)
    one_room = len(plan.sites) == 1
    seats = (_fallback_seats(instance, plan),) if one_room and delay_s is not None else plan.seats
    outage = _Outage(
        room,
        start_h * SECONDS_PER_HOUR,
        (start_h + hours) * SECONDS_PER_HOUR,
        delay_s,
        tuple(int(s) for s in seats),
    )
    marks = [outage.start_s, outage.end_s, outage.end_s + recovery * SECONDS_PER_HOUR]
    edges = np.array([0.0, *marks, _horizon_s(model)])
    runs = [
        _plan_counts(model, o, edges, replications=replications, seed=seed)[0]
        for o in (outage, None)
    ]
    windows = [_window_stats(runs[0], slice(i, i + 1), confidence) for i in range(3)]
    first = round(start_h / table.interval_hours)
    span = range(first, first + round(hours / table.interval_hours))
    normal = float(plan.agents[:, span].sum(axis=0).mean())
    down = normal - float(plan.agents[room, span].mean())
    back = float(np.mean([_decamped(plan, outage, t).sum() for t in span]))
    return RoomFailure(
        site=plan.sites[room],
        start_h=start_h,
        hours=hours,
        recovery_hours=recovery,
        answered_by=who,
        decamp=how,
        decamp_minutes=None if delay_s is None else delay_s / 60.0,
        agents_normal=normal,
        agents_down=down,
        agents_decamped=down + back,
        before=windows[0],
        during=windows[1],
        after=windows[2],
        during_without_failure=_window_stats(runs[1], slice(1, 2), confidence),
        after_without_failure=_window_stats(runs[1], slice(2, 3), confidence),
    )

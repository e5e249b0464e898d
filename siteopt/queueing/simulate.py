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

__all__ = [
    "FailureResult",
    "InstanceSimulation",
    "SimulationResult",
    "WindowStats",
    "even_split",
    "simulate_instance",
    "simulate_queue",
    "simulate_site_failure",
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

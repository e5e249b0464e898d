"""Simulate the chosen plan: its rooms' agents in normal running, then each room failing in turn.

The plan's rooms come from a solution (:class:`PlanRooms`); the queue model is that of
:mod:`siteopt.queueing.simulate` (same arrivals, handling, patience and measures). While a room is
out its calls go to the rooms left; after the instance's decamp delay its staff on duty answer again
from spare seats or the fallback building (see :func:`simulate_plan`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from siteopt.errors import StaffingError
from siteopt.queueing.simulate import (
    SECONDS_PER_HOUR,
    FloatArray,
    IntArray,
    WindowStats,
    _check_replications,
    _Counts,
    _patience,
    _setup,
    _simulate_counts,
    _validated_agents,
    _window_stats,
)

if TYPE_CHECKING:
    from siteopt.instance.schema import Instance
    from siteopt.queueing.fte import StaffingTable

__all__ = [
    "PlanRooms",
    "PlanSimulation",
    "RoomFailure",
    "apportion",
    "simulate_plan",
    "split_into_teams",
]


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

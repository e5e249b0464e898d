"""Shift rosters behind the FTE: a CP-SAT rota for one room's week.

The staffing stage gives the agents a room needs on the phones in every interval of an average
week. A control room does not staff that curve directly: people work whole shifts of fixed
lengths that start at fixed times, and every shift carries a paid break. This module

1. turns the requirement into the staff needed *on duty* per interval: paid breaks are taken on
   shift, staggered across it, so ``on_duty(t) >= ceil(required(t) / (1 - beta))`` with ``beta``
   the largest paid-break share of any shift in the menu (an assumption: breaks are taken when the
   queue allows; a menu whose shifts all have the same break share is exact);
2. chooses how many staff start each allowed shift (every day of the week, the week wrapping
   round so that a Sunday-night shift covers Monday morning) so that every interval is covered,
   minimising paid hours (CP-SAT; proven optimal or with its gap reported);

   ``min sum_o L_o x_o   s.t.   sum_{o covers t} x_o >= on_duty(t)  for every t,  x_o in Z+``;

3. maps the week's shifts onto rota lines (:func:`rota_pattern`): a line is one person's week,
   the people rotate through the lines (whoever works line ``i`` this week works line ``i + 1``
   next week), every line respects the minimum rest between shifts, including across the week
   boundary into the next line, and holds at most the weekly hours cap. Lines with no shifts
   (rest weeks) are added until the average hours per line fit the contract: the headcount is the
   number of lines;
4. applies the shrinkage that is not on shift (leave, sickness, training, other) on top of the
   headcount: ``agent FTE = lines / (1 - shrinkage without breaks)``.

The lower bound ``sum required(t) * interval / contract hours`` always holds: the rota covers the
requirement and every line averages at most the contract hours.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from siteopt.atomic import atomic_write
from siteopt.errors import StaffingError

if TYPE_CHECKING:
    from rich.console import Console

    from siteopt.instance import Instance

__all__ = [
    "CoverSolution",
    "Roster",
    "RosterFte",
    "RotaLine",
    "RotaPattern",
    "Shift",
    "ShiftMenu",
    "SiteRoster",
    "cover_cyclic",
    "on_duty_needed",
    "print_roster",
    "requirement_for",
    "roster_fte",
    "roster_summary",
    "roster_week",
    "rota_pattern",
    "shift_menu",
    "site_roster",
    "write_coverage_png",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


# --------------------------------------------------------------------------------------------
# The shift menu
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shift:
    """One shift of the menu.

    Attributes
    ----------
    name
        Identifier, e.g. ``"h12"``.
    minutes
        Paid length including the break (a whole number of roster intervals).
    break_minutes
        Paid break taken on shift, off the phones.
    starts
        Allowed start times, minutes after midnight (the same every day).
    """

    name: str
    minutes: int
    break_minutes: float
    starts: tuple[int, ...]

    @property
    def break_share(self) -> float:
        """Share of the shift's paid time on break."""
        return self.break_minutes / self.minutes


@dataclass(frozen=True)
class ShiftMenu:
    """The shifts a rota may use and the rules its lines follow.

    Attributes
    ----------
    shifts
        The menu.
    interval_minutes
        Roster resolution; shift lengths and starts lie on this grid.
    min_rest_minutes
        Least rest between the end of one shift and the start of the next of one person.
    max_line_minutes
        Most paid minutes in one rota line (one person's week).
    """

    shifts: tuple[Shift, ...]
    interval_minutes: int
    min_rest_minutes: float
    max_line_minutes: float

    def __post_init__(self) -> None:
        step = self.interval_minutes
        if step <= 0 or MINUTES_PER_DAY % step:
            raise StaffingError(f"interval_minutes: expected a divisor of 1440, got {step}")
        if not self.shifts:
            raise StaffingError("shifts: expected at least one shift")
        for shift in self.shifts:
            if shift.minutes <= 0 or shift.minutes % step:
                msg = f"shift {shift.name}: expected a length in whole {step}-minute intervals"
                raise StaffingError(f"{msg}, got {shift.minutes} min")
            if not 0 <= shift.break_minutes < shift.minutes:
                msg = f"shift {shift.name}: expected 0 <= break < {shift.minutes} min"
                raise StaffingError(f"{msg}, got {shift.break_minutes:g}")
            bad = [s for s in shift.starts if s % step or not 0 <= s < MINUTES_PER_DAY]
            if not shift.starts or bad:
                msg = f"shift {shift.name}: expected starts on the {step}-minute grid of a day"
                raise StaffingError(f"{msg}, got {list(shift.starts)}")
        if self.min_rest_minutes < 0 or self.max_line_minutes <= 0:
            msg = "expected min rest >= 0 and max line minutes > 0"
            raise StaffingError(
                f"{msg}, got {self.min_rest_minutes:g} and {self.max_line_minutes:g}"
            )
        longest = max(s.minutes for s in self.shifts)
        if longest > self.max_line_minutes:
            msg = f"max weekly hours: expected at least the longest shift ({longest / 60:g} h)"
            raise StaffingError(f"{msg}, got {self.max_line_minutes / 60:g} h")

    @property
    def break_share(self) -> float:
        """The largest paid-break share of any shift (breaks relieved on shift)."""
        return max(s.break_share for s in self.shifts)

    @property
    def intervals_per_week(self) -> int:
        """Number of roster intervals in a week."""
        return MINUTES_PER_WEEK // self.interval_minutes

    def options(self) -> tuple[IntArray, IntArray]:
        """Return every (shift index, start minute from Monday 00:00) the rota may use."""
        shift_of, start_of = [], []
        for k, shift in enumerate(self.shifts):
            for day in range(7):
                for start in sorted(set(shift.starts)):
                    shift_of.append(k)
                    start_of.append(day * MINUTES_PER_DAY + start)
        return np.asarray(shift_of, dtype=np.int64), np.asarray(start_of, dtype=np.int64)


def shift_menu(instance: Instance) -> ShiftMenu:
    """Return the instance's shift menu (``[staffing.roster]``, or its labelled defaults)."""
    roster = instance.staffing.roster
    step = roster.interval_minutes
    shifts = []
    for name, spec in roster.shifts.items():
        if spec.starts is None:
            starts = tuple(range(0, MINUTES_PER_DAY, step))
        else:
            starts = tuple(int(s[:2]) * 60 + int(s[3:]) for s in spec.starts)
        shifts.append(
            Shift(
                name=name,
                minutes=round(spec.hours.value * 60),
                break_minutes=spec.break_minutes.value,
                starts=starts,
            )
        )
    return ShiftMenu(
        shifts=tuple(shifts),
        interval_minutes=step,
        min_rest_minutes=roster.min_rest_hours.value * 60,
        max_line_minutes=roster.max_weekly_hours.value * 60,
    )


# --------------------------------------------------------------------------------------------
# Cyclic covering (CP-SAT)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class CoverSolution:
    """Staff starting each option and what they cover.

    Attributes
    ----------
    counts
        Staff starting each option.
    cover
        Staff on duty in each interval.
    status
        ``"optimal"`` (proven) or ``"feasible"`` (time limit reached; see ``gap``).
    objective, bound
        Weighted cost found and CP-SAT's proven lower bound on it.
    wall_s
        Solver wall time.
    """

    counts: IntArray
    cover: IntArray
    status: Literal["optimal", "feasible"]
    objective: int
    bound: float
    wall_s: float

    @property
    def gap(self) -> float:
        """Relative gap ``(objective - bound) / objective`` (0 when proven optimal)."""
        if self.status == "optimal" or self.objective == 0:
            return 0.0
        return max(0.0, (self.objective - self.bound) / self.objective)


def coverage_matrix(starts: IntArray, lengths: IntArray, n_intervals: int) -> IntArray:
    """Return the 0/1 matrix ``(intervals, options)``: option ``o`` covers interval ``t``.

    An option starting at interval ``starts[o]`` covers ``lengths[o]`` intervals, wrapping round.
    """
    matrix = np.zeros((n_intervals, len(starts)), dtype=np.int64)
    for o, (start, length) in enumerate(zip(starts.tolist(), lengths.tolist(), strict=True)):
        matrix[(start + np.arange(length)) % n_intervals, o] = 1
    return matrix


def cover_cyclic(
    required: npt.ArrayLike,
    *,
    starts: npt.ArrayLike,
    lengths: npt.ArrayLike,
    weights: npt.ArrayLike,
    time_limit_s: float = 10.0,
    workers: int = 1,
) -> CoverSolution:
    """Return the cheapest whole numbers of staff per option covering ``required`` (cyclic).

    ``min sum_o weights[o] x[o]`` subject to ``sum_{o covers t} x[o] >= required[t]``.

    Parameters
    ----------
    required
        Staff needed in each interval of the cycle (non-negative whole numbers).
    starts, lengths
        Per option: first interval and number of intervals covered (wrapping round the cycle).
    weights
        Per option: positive whole cost (e.g. paid intervals).
    time_limit_s
        CP-SAT time limit; when reached, the best rota is returned with its gap.
    workers
        CP-SAT search workers; 1 (the default) is deterministic.
    """
    from ortools.sat.python import cp_model

    need = np.asarray(required, dtype=np.int64)
    start = np.asarray(starts, dtype=np.int64)
    length = np.asarray(lengths, dtype=np.int64)
    weight = np.asarray(weights, dtype=np.int64)
    if need.ndim != 1 or (need < 0).any():
        raise StaffingError("required: expected a 1-D array of non-negative whole numbers")
    if not (start.shape == length.shape == weight.shape) or (length <= 0).any():
        raise StaffingError("options: expected starts, lengths, weights of one length, lengths > 0")
    if (weight <= 0).any():
        raise StaffingError("weights: expected positive whole numbers")
    matrix = coverage_matrix(start, length, len(need))
    uncovered = np.flatnonzero((need > 0) & (matrix.sum(axis=1) == 0))
    if len(uncovered):
        raise StaffingError(
            f"roster: no shift of the menu covers interval {int(uncovered[0])} of the week, "
            "which needs staff; allow more start times or longer shifts"
        )
    model = cp_model.CpModel()
    top = int(need.max(initial=0))
    x = [model.new_int_var(0, top, f"x{o}") for o in range(len(start))]
    for t in np.flatnonzero(need > 0).tolist():
        model.add(sum(x[o] for o in np.flatnonzero(matrix[t]).tolist()) >= int(need[t]))
    model.minimize(sum(int(w) * v for w, v in zip(weight.tolist(), x, strict=True)))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit_s)
    solver.parameters.num_workers = int(workers)
    began = time.perf_counter()
    status = solver.solve(model)
    wall = time.perf_counter() - began
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise StaffingError(
            f"roster: CP-SAT found no rota within {time_limit_s:g} s "
            f"({solver.status_name(status)}); raise staffing.roster.time_limit_s"
        )
    counts = np.asarray([solver.value(v) for v in x], dtype=np.int64)
    return CoverSolution(
        counts=counts,
        cover=np.asarray(matrix @ counts, dtype=np.int64),
        status="optimal" if status == cp_model.OPTIMAL else "feasible",
        objective=round(solver.objective_value),
        bound=float(solver.best_objective_bound),
        wall_s=wall,
    )


# --------------------------------------------------------------------------------------------
# A week's roster
# --------------------------------------------------------------------------------------------


def on_duty_needed(requirement: npt.ArrayLike, break_share: float) -> IntArray:
    """Return staff needed on duty so that ``required`` are on the phones with breaks staggered.

    ``ceil(required / (1 - break_share))`` per interval.
    """
    need = np.asarray(requirement, dtype=np.float64)
    if not 0 <= break_share < 1:
        raise StaffingError(f"break share: expected a share in [0, 1), got {break_share}")
    # The tolerance keeps 6 / (1 - 0) from rounding up to 7 through floating-point noise.
    return np.ceil(need / (1.0 - break_share) - 1e-9).astype(np.int64)


@dataclass(frozen=True, eq=False)
class Roster:
    """One room's weekly roster.

    Attributes
    ----------
    menu
        The shift menu used.
    requirement
        Agents needed on the phones per roster interval (minimum crew applied).
    on_duty_needed
        Staff needed on duty per interval (breaks relieved on shift).
    on_duty
        Staff rostered on duty per interval (paid presence).
    option_shift, option_start, counts
        Per option of the menu: shift index, start (minutes from Monday 00:00), staff starting.
    solution
        The CP-SAT result (status, bound, gap, time).
    """

    menu: ShiftMenu
    requirement: IntArray
    on_duty_needed: IntArray
    on_duty: IntArray
    option_shift: IntArray
    option_start: IntArray
    counts: IntArray
    solution: CoverSolution

    @property
    def interval_hours(self) -> float:
        """Length of one roster interval in hours."""
        return self.menu.interval_minutes / 60

    @property
    def required_hours(self) -> float:
        """Agent-hours a week needed on the phones."""
        return float(self.requirement.sum()) * self.interval_hours

    @property
    def paid_hours(self) -> float:
        """Paid hours a week of the rostered shifts."""
        return float(self.on_duty.sum()) * self.interval_hours

    @property
    def on_phones(self) -> FloatArray:
        """Agents expected on the phones per interval (on duty less the largest break share)."""
        return np.asarray(self.on_duty * (1.0 - self.menu.break_share), dtype=np.float64)

    @property
    def paid_hours_bound(self) -> float:
        """CP-SAT's proven lower bound on the paid hours."""
        return self.solution.bound * self.interval_hours

    def shift_counts(self) -> dict[str, int]:
        """Return staff starting each shift of the menu over the week."""
        out = {s.name: 0 for s in self.menu.shifts}
        for k, n in zip(self.option_shift.tolist(), self.counts.tolist(), strict=True):
            out[self.menu.shifts[k].name] += n
        return out

    def worked_shifts(self) -> list[tuple[int, int]]:
        """Return every shift worked, as (start minute from Monday 00:00, shift index), sorted."""
        out = []
        for k, start, n in zip(
            self.option_shift.tolist(),
            self.option_start.tolist(),
            self.counts.tolist(),
            strict=True,
        ):
            out.extend([(start, k)] * n)
        return sorted(out)


def roster_week(
    requirement: npt.ArrayLike, menu: ShiftMenu, *, time_limit_s: float = 10.0, workers: int = 1
) -> Roster:
    """Return the cheapest roster (least paid hours) covering a week's requirement.

    Parameters
    ----------
    requirement
        Agents needed on the phones per roster interval over one week (Monday 00:00 first).
    menu
        Shifts allowed and roster resolution.
    time_limit_s, workers
        CP-SAT settings (see :func:`cover_cyclic`).
    """
    need = np.asarray(requirement)
    if need.ndim != 1 or len(need) != menu.intervals_per_week:
        raise StaffingError(
            f"requirement: expected {menu.intervals_per_week} intervals of "
            f"{menu.interval_minutes} min (one week), got shape {need.shape}"
        )
    if not np.all(np.isfinite(need.astype(np.float64))) or (need < 0).any():
        raise StaffingError("requirement: expected non-negative whole numbers of agents")
    agents = need.astype(np.int64)
    shift_of, start_of = menu.options()
    step = menu.interval_minutes
    lengths = np.asarray([menu.shifts[k].minutes // step for k in shift_of], dtype=np.int64)
    on_duty = on_duty_needed(agents, menu.break_share)
    solution = cover_cyclic(
        on_duty,
        starts=start_of // step,
        lengths=lengths,
        weights=lengths,
        time_limit_s=time_limit_s,
        workers=workers,
    )
    return Roster(
        menu=menu,
        requirement=agents,
        on_duty_needed=on_duty,
        on_duty=solution.cover,
        option_shift=shift_of,
        option_start=start_of,
        counts=solution.counts,
        solution=solution,
    )


# --------------------------------------------------------------------------------------------
# Rota lines: one person's week each, rotating
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RotaLine:
    """One person's week: shifts as (start minute from Monday 00:00, shift index)."""

    shifts: tuple[tuple[int, int], ...]
    minutes: int


@dataclass(frozen=True, eq=False)
class RotaPattern:
    """Rota lines worked in rotation: line ``i`` this week, line ``i + 1`` next week.

    Attributes
    ----------
    lines
        Working lines first, then rest lines (no shifts).
    menu
        The shift menu (names and lengths of the shifts in the lines).
    contract_minutes
        Contracted minutes a week of one person.
    """

    lines: tuple[RotaLine, ...]
    menu: ShiftMenu
    contract_minutes: float

    @property
    def headcount(self) -> int:
        """People on the rota (one per line)."""
        return len(self.lines)

    @property
    def working_lines(self) -> int:
        """Lines with at least one shift."""
        return sum(1 for line in self.lines if line.shifts)

    @property
    def mean_line_hours(self) -> float:
        """Average paid hours a week of one person on the rota."""
        return sum(line.minutes for line in self.lines) / 60 / max(1, len(self.lines))

    @property
    def cycle_weeks(self) -> int:
        """Weeks before a person returns to the same line."""
        return len(self.lines)

    def min_rest_hours(self) -> float:
        """Return the shortest rest between consecutive shifts of anyone on the rota (hours).

        Consecutive lines are consecutive weeks of one person; ``inf`` with fewer than two shifts.
        """
        timeline: list[tuple[int, int]] = []
        for week, line in enumerate(self.lines):
            for start, k in line.shifts:
                begin = week * MINUTES_PER_WEEK + start
                timeline.append((begin, begin + self.menu.shifts[k].minutes))
        if len(timeline) < 2:
            return math.inf
        cycle = len(self.lines) * MINUTES_PER_WEEK
        rests = [b[0] - a[1] for a, b in itertools.pairwise(timeline)]
        rests.append(timeline[0][0] + cycle - timeline[-1][1])
        return min(rests) / 60


def rota_pattern(roster: Roster, *, contract_hours_per_week: float) -> RotaPattern:
    """Return rota lines that work every rostered shift, each within the rest and hours rules.

    Shifts are placed in time order (first fit, preferring a line whose last shift started at the
    same time of day, so people keep a shift time for a run of days). A shift joins a line only
    if the line keeps at most ``max_line_minutes``, the rest since the line's previous shift is at
    least ``min_rest_minutes`` and the rest from the shift's end to the first shift of the next
    line (the same person's next week) is too; otherwise a new line opens. Rest lines are then
    added until the lines average at most the contract hours. The result is a heuristic rota,
    not a proven minimum headcount.

    Parameters
    ----------
    roster
        The week's shifts.
    contract_hours_per_week
        Contracted hours a week of one full-time person.
    """
    if not (math.isfinite(contract_hours_per_week) and contract_hours_per_week > 0):
        raise StaffingError(
            f"contract_hours_per_week: expected a positive number, got {contract_hours_per_week}"
        )
    menu = roster.menu
    rest = menu.min_rest_minutes
    contract = contract_hours_per_week * 60
    lines: list[list[tuple[int, int]]] = []
    used: list[int] = []
    closed: list[bool] = []  # rest lines inserted to keep a wrap legal never take shifts
    for start, k in roster.worked_shifts():
        length = menu.shifts[k].minutes
        end = start + length
        chosen = None
        best_key: tuple[int, int] | None = None
        for i, line in enumerate(lines):
            if closed[i] or used[i] + length > menu.max_line_minutes:
                continue
            if line and start - (line[-1][0] + menu.shifts[line[-1][1]].minutes) < rest:
                continue
            if not _fits_next_line(lines, i, end, rest):
                continue
            if not line and not _fits_previous_line(lines, i, start, menu, rest):
                continue
            same_time = int(bool(line) and line[-1][0] % MINUTES_PER_DAY == start % MINUTES_PER_DAY)
            key = (same_time, used[i])
            if best_key is None or key > best_key:
                chosen, best_key = i, key
        if chosen is None:
            chosen = _open_line(lines, used, closed, start=start, end=end, menu=menu)
        lines[chosen].append((start, k))
        used[chosen] += length
    total = sum(used)
    headcount = max(len(lines), math.ceil(total / contract - 1e-9))
    working = [RotaLine(tuple(line), minutes) for line, minutes in zip(lines, used, strict=True)]
    working += [RotaLine((), 0)] * (headcount - len(working))
    return RotaPattern(lines=tuple(working), menu=menu, contract_minutes=contract)


def _open_line(
    lines: list[list[tuple[int, int]]],
    used: list[int],
    closed: list[bool],
    *,
    start: int,
    end: int,
    menu: ShiftMenu,
) -> int:
    """Append a line for a shift from ``start`` to ``end``; rest lines around it if needed."""
    rest = menu.min_rest_minutes
    if lines and not _fits_previous_line([*lines, []], len(lines), start, menu, rest):
        lines.append([])
        used.append(0)
        closed.append(True)
    lines.append([])
    used.append(0)
    closed.append(False)
    chosen = len(lines) - 1
    if len(lines) > 1 and not _fits_next_line(lines, chosen, end, rest):
        lines.append([])
        used.append(0)
        closed.append(True)
    return chosen


def _fits_next_line(lines: list[list[tuple[int, int]]], i: int, end: int, rest: float) -> bool:
    """The shift ending at ``end`` leaves enough rest before the next line's first shift."""
    following = lines[(i + 1) % len(lines)]
    return not following or following[0][0] + MINUTES_PER_WEEK - end >= rest


def _fits_previous_line(
    lines: list[list[tuple[int, int]]], i: int, start: int, menu: ShiftMenu, rest: float
) -> bool:
    """A first shift at ``start`` comes long enough after the previous line's last shift."""
    before = lines[(i - 1) % len(lines)]
    if not before:
        return True
    last_end = before[-1][0] + menu.shifts[before[-1][1]].minutes
    return start + MINUTES_PER_WEEK - last_end >= rest


# --------------------------------------------------------------------------------------------
# FTE
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterFte:
    """Headcount and FTE behind a roster, next to the shrinkage method's FTE.

    Attributes
    ----------
    required_hours, paid_hours
        Agent-hours a week needed on the phones, and paid hours of the rostered shifts.
    lower_bound_fte
        ``required_hours / contract hours``: no rota can do with fewer full-time people.
    floor_fte
        ``paid_hours / contract hours``: the rostered hours in full-time people.
    headcount
        People on the rota lines (rest lines included).
    off_shift_shrinkage
        Shrinkage applied on top of the rota: leave, sickness, training, other (not breaks).
    agent_fte
        ``headcount / (1 - off_shift_shrinkage)``.
    supervisor_fte, total_fte
        Supervisors (agent FTE × supervisors per agent) and agents plus supervisors.
    shrinkage_method_fte
        Agents plus supervisors by ``required_hours / (1 - shrinkage) / contract hours``.
    """

    required_hours: float
    paid_hours: float
    lower_bound_fte: float
    floor_fte: float
    headcount: int
    off_shift_shrinkage: float
    agent_fte: float
    supervisor_fte: float
    total_fte: float
    shrinkage_method_fte: float


def roster_fte(
    roster: Roster,
    pattern: RotaPattern,
    *,
    contract_hours_per_week: float,
    shrinkage_total: float,
    break_shrinkage: float,
    supervisors_per_agent: float = 0.0,
) -> RosterFte:
    """Return the FTE of a roster and its rota lines.

    Parameters
    ----------
    roster, pattern
        The week's roster and its rota lines.
    contract_hours_per_week
        Contracted hours of one full-time person.
    shrinkage_total, break_shrinkage
        The instance's total shrinkage and its breaks component (breaks are in the rota).
    supervisors_per_agent
        Supervisor FTE per agent FTE.
    """
    off_shift = shrinkage_total - break_shrinkage
    if not 0 <= off_shift < 1 or not 0 <= shrinkage_total < 1:
        raise StaffingError(
            f"shrinkage: expected shares in [0, 1), got {shrinkage_total:g} - {break_shrinkage:g}"
        )
    agent_fte = pattern.headcount / (1 - off_shift)
    supervisors = agent_fte * supervisors_per_agent
    shrinkage_agents = roster.required_hours / (1 - shrinkage_total) / contract_hours_per_week
    return RosterFte(
        required_hours=roster.required_hours,
        paid_hours=roster.paid_hours,
        lower_bound_fte=roster.required_hours / contract_hours_per_week,
        floor_fte=roster.paid_hours / contract_hours_per_week,
        headcount=pattern.headcount,
        off_shift_shrinkage=off_shift,
        agent_fte=agent_fte,
        supervisor_fte=supervisors,
        total_fte=agent_fte + supervisors,
        shrinkage_method_fte=shrinkage_agents * (1 + supervisors_per_agent),
    )


# --------------------------------------------------------------------------------------------
# From an instance
# --------------------------------------------------------------------------------------------


def requirement_for(instance: Instance, forces: list[str]) -> tuple[IntArray, str]:
    """Return agents needed per roster interval by one room serving ``forces``, and how.

    The staffing stage is run at the roster's resolution: a measured half-hourly profile is used
    as measured; an hourly profile gives each half hour its hour's call rate (so both halves need
    the hour's agents). The room's minimum crew is applied.
    """
    from siteopt.staffing import staffing_table

    minutes = instance.staffing.roster.interval_minutes
    at_roster = instance.model_copy(
        update={"staffing": instance.staffing.model_copy(update={"interval_minutes": minutes})}
    )
    table = staffing_table(at_roster)
    for force in forces:
        if force not in table.forces:
            msg = f"--forces: unknown force {force!r} (expected one of: {', '.join(table.forces)})"
            raise StaffingError(msg)
    agents = table.required_for(forces)
    min_crew = instance.staffing.min_positions_per_site.value
    native = 60 if instance.demand.profile == "default" else _profile_minutes(instance)
    if native == minutes:
        note = f"Erlang requirement per {minutes}-min interval of the demand profile"
    elif native > minutes:
        note = (
            f"hourly demand profile: each {minutes}-min interval gets its hour's call rate "
            "(both halves need the hour's agents)"
        )
    else:
        note = f"half-hourly demand profile added in pairs to {minutes}-min intervals"
    return np.maximum(agents, min_crew).astype(np.int64), f"{note}; minimum crew {min_crew}"


def _profile_minutes(instance: Instance) -> int:
    """Native resolution (minutes) of the instance's profile CSV."""
    with Path(instance.demand.profile).open(encoding="utf-8") as handle:
        rows = sum(1 for line in handle if line.strip()) - 1
    return 30 if rows == 2 * 168 else 60


@dataclass(frozen=True, eq=False)
class SiteRoster:
    """A room's roster, rota lines and FTE, with what they were computed from."""

    site: str
    forces: tuple[str, ...]
    requirement_note: str
    roster: Roster
    pattern: RotaPattern
    fte: RosterFte


def site_roster(
    instance: Instance,
    site: str,
    *,
    forces: list[str] | None = None,
    time_limit_s: float | None = None,
) -> SiteRoster:
    """Return the roster of a room at ``site`` answering the calls of ``forces``.

    Parameters
    ----------
    instance
        A validated instance.
    site
        A candidate site id.
    forces
        Forces whose calls the room answers; default: the force(s) whose room is at ``site``
        today, or every force when ``site`` is not a current room.
    time_limit_s
        CP-SAT limit (default ``staffing.roster.time_limit_s``).
    """
    from siteopt.staffing import instance_shrinkage

    if site not in instance.candidate_ids():
        raise StaffingError(f"--site: {site!r} is not a candidate site of {instance.file}")
    if forces is None:
        forces = [f for f, spec in instance.forces.items() if spec.current_site == site]
        forces = forces or list(instance.forces)
    if not forces:
        raise StaffingError("--forces: expected at least one force")
    requirement, note = requirement_for(instance, forces)
    menu = shift_menu(instance)
    limit = time_limit_s if time_limit_s is not None else instance.staffing.roster.time_limit_s
    roster = roster_week(requirement, menu, time_limit_s=limit)
    staffing = instance.staffing
    contract = staffing.contract_hours_per_week.value
    pattern = rota_pattern(roster, contract_hours_per_week=contract)
    shrinkage = instance.staffing.shrinkage
    total = instance_shrinkage(instance).total + (
        shrinkage.breaks.value if staffing.fte_method == "roster" else 0.0
    )
    fte = roster_fte(
        roster,
        pattern,
        contract_hours_per_week=contract,
        shrinkage_total=total,
        break_shrinkage=shrinkage.breaks.value,
        supervisors_per_agent=staffing.supervisor_ratio.value if staffing.supervisor_ratio else 0.0,
    )
    return SiteRoster(site, tuple(forces), note, roster, pattern, fte)


# --------------------------------------------------------------------------------------------
# Reports: JSON, terminal, PNG
# --------------------------------------------------------------------------------------------


def _label(minute: int) -> str:
    day, rest = divmod(minute % MINUTES_PER_WEEK, MINUTES_PER_DAY)
    return f"{DAY_NAMES[day]} {rest // 60:02d}:{rest % 60:02d}"


def _hourly(values: npt.ArrayLike, per_hour: int) -> FloatArray:
    """Mean per hour of a per-interval series."""
    arr = np.asarray(values, dtype=np.float64)
    return np.asarray(arr.reshape(-1, per_hour).mean(axis=1), dtype=np.float64)


def roster_summary(result: SiteRoster) -> dict[str, Any]:
    """Return the roster as a JSON-ready dict (the ``siteopt roster --json`` output)."""
    roster, fte, pattern = result.roster, result.fte, result.pattern
    menu = roster.menu
    per_hour = 60 // menu.interval_minutes
    shifts = [
        {"start": _label(start), "shift": menu.shifts[k].name, "staff": n}
        for k, start, n in zip(
            roster.option_shift.tolist(),
            roster.option_start.tolist(),
            roster.counts.tolist(),
            strict=True,
        )
        if n
    ]
    return {
        "site": result.site,
        "forces": list(result.forces),
        "requirement": result.requirement_note,
        "interval_minutes": menu.interval_minutes,
        "break_share": menu.break_share,
        "menu": [
            {
                "shift": s.name,
                "hours": s.minutes / 60,
                "break_minutes": s.break_minutes,
                "starts_per_day": len(set(s.starts)),
            }
            for s in menu.shifts
        ],
        "solver": {
            "status": roster.solution.status,
            "paid_hours": roster.paid_hours,
            "paid_hours_bound": roster.paid_hours_bound,
            "gap": roster.solution.gap,
            "wall_s": roster.solution.wall_s,
        },
        "shift_counts": roster.shift_counts(),
        "shifts": shifts,
        "coverage": {
            "required_per_hour": _hourly(roster.requirement, per_hour).tolist(),
            "on_duty_per_hour": _hourly(roster.on_duty, per_hour).tolist(),
            "required": roster.requirement.tolist(),
            "on_duty": roster.on_duty.tolist(),
        },
        "rota": {
            "lines": pattern.headcount,
            "working_lines": pattern.working_lines,
            "cycle_weeks": pattern.cycle_weeks,
            "mean_line_hours": pattern.mean_line_hours,
            "min_rest_hours": pattern.min_rest_hours(),
        },
        "fte": {
            "required_hours": fte.required_hours,
            "paid_hours": fte.paid_hours,
            "lower_bound_fte": fte.lower_bound_fte,
            "floor_fte": fte.floor_fte,
            "headcount": fte.headcount,
            "off_shift_shrinkage": fte.off_shift_shrinkage,
            "agent_fte": fte.agent_fte,
            "supervisor_fte": fte.supervisor_fte,
            "total_fte": fte.total_fte,
            "shrinkage_method_fte": fte.shrinkage_method_fte,
        },
    }


def print_roster(summary: dict[str, Any], console: Console, *, width: int = 40) -> None:
    """Print a roster summary: hourly coverage chart, shifts, rota lines and FTE."""
    from rich.table import Table

    solver, fte, rota = summary["solver"], summary["fte"], summary["rota"]
    console.print(
        f"[bold]Roster for {summary['site']}[/bold] (calls of {', '.join(summary['forces'])}); "
        f"{summary['requirement']}; breaks relieved on shift "
        f"({summary['break_share']:.1%} of paid time)."
    )
    required = summary["coverage"]["required_per_hour"]
    on_duty = summary["coverage"]["on_duty_per_hour"]
    top = max(*on_duty, 1.0)
    chart = Table(title="Coverage per hour: █ required on the phones, ░ extra on duty")
    for name in ("hour", "req", "duty", "chart"):
        chart.add_column(name, justify="right" if name in ("req", "duty") else "left")
    for hour, (req, duty) in enumerate(zip(required, on_duty, strict=True)):
        full = round(req / top * width)
        extra = max(0, round(duty / top * width) - full)
        chart.add_row(_label(hour * 60), f"{req:g}", f"{duty:g}", "█" * full + "░" * extra)
    console.print(chart)
    counts = ", ".join(f"{name}: {n}" for name, n in summary["shift_counts"].items())
    console.print(f"Shifts a week: {counts}.")
    console.print(
        f"CP-SAT: {solver['status']}, {solver['paid_hours']:,.1f} paid hours a week "
        f"(bound {solver['paid_hours_bound']:,.1f}, gap {solver['gap']:.2%}, "
        f"{solver['wall_s']:.2f} s)."
    )
    console.print(
        f"Rota: {rota['lines']} lines rotating weekly ({rota['working_lines']} working, "
        f"{rota['lines'] - rota['working_lines']} rest weeks), {rota['mean_line_hours']:.1f} h "
        f"a week on average, shortest rest {rota['min_rest_hours']:.1f} h."
    )
    console.print(
        f"FTE: lower bound {fte['lower_bound_fte']:,.1f} (required hours / contract), "
        f"rostered {fte['floor_fte']:,.1f}, headcount {fte['headcount']}; with "
        f"{fte['off_shift_shrinkage']:.1%} leave/sickness/training on top: agents "
        f"{fte['agent_fte']:,.1f} + supervisors {fte['supervisor_fte']:,.1f} = "
        f"[bold]{fte['total_fte']:,.1f} FTE[/bold] (shrinkage method: "
        f"{fte['shrinkage_method_fte']:,.1f})."
    )


def write_coverage_png(result: SiteRoster, path: Path | str) -> Path:
    """Write the week's coverage chart (required vs rostered per interval) to a PNG, atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    target = Path(path)
    roster = result.roster
    hours = np.arange(len(roster.requirement) + 1) * roster.interval_hours
    fig, ax = plt.subplots(figsize=(14, 4.5), dpi=120)
    try:
        # Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
        ax.stairs(roster.on_duty, hours, fill=True, color="#56B4E9", label="rostered on duty")
        ax.stairs(
            roster.on_phones,
            hours,
            color="#0072B2",
            linewidth=1.0,
            linestyle="--",
            label="expected on the phones (breaks relieved)",
        )
        ax.stairs(
            roster.requirement,
            hours,
            color="#D55E00",
            linewidth=1.6,
            label="required on the phones",
        )
        ax.set_xticks(np.arange(0, 169, 24), [*DAY_NAMES, ""])
        ax.set_xticks(np.arange(0, 169, 6), minor=True)
        ax.set_xlim(0, 168)
        ax.set_xlabel("hour of the week (Monday 00:00 first)")
        ax.set_ylabel("staff")
        fte = result.fte
        ax.set_title(
            f"{result.site}: weekly roster, {fte.paid_hours:,.0f} paid h, "
            f"{fte.headcount} on the rota, {fte.total_fte:,.1f} FTE "
            f"(shrinkage method {fte.shrinkage_method_fte:,.1f})"
        )
        ax.grid(axis="y", alpha=0.3)
        ax.legend(loc="upper left", fontsize=8)
        fig.tight_layout()
        atomic_write(target, lambda temporary: fig.savefig(temporary, format="png"))
    finally:
        plt.close(fig)
    return target

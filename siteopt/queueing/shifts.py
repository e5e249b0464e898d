"""Shift rosters behind the FTE: the shift menu and a CP-SAT cover of one room's week.

The staffing stage gives the agents a room needs on the phones in every interval of an average
week. A control room does not staff that curve directly: people work whole shifts of fixed
lengths that start at fixed times, and every shift carries a paid break. This module (steps 1
and 2; :mod:`siteopt.queueing.rota` does 3 and 4, :mod:`siteopt.queueing.site_roster` puts
them together for a room of an instance)

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

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt

from siteopt.errors import StaffingError
from siteopt.sigint import solve_keeping_sigint

if TYPE_CHECKING:
    from siteopt.instance.schema import Instance

__all__ = [
    "CoverSolution",
    "Shift",
    "ShiftMenu",
    "WeekRoster",
    "cover_cyclic",
    "on_duty_needed",
    "roster_week",
    "shift_menu",
]


IntArray = npt.NDArray[np.int64]


FloatArray = npt.NDArray[np.float64]


MINUTES_PER_DAY = 24 * 60


MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY


DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


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
    from ortools.sat.python import cp_model  # noqa: PLC0415 (lazy: ortools is slow to import)

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
    status = solve_keeping_sigint(solver, model)
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
class WeekRoster:
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
) -> WeekRoster:
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
    return WeekRoster(
        menu=menu,
        requirement=agents,
        on_duty_needed=on_duty,
        on_duty=solution.cover,
        option_shift=shift_of,
        option_start=start_of,
        counts=solution.counts,
        solution=solution,
    )

"""Rota lines from a week's shifts, and the FTE they imply.

Rota lines from a week's shifts (one person's week per line, minimum rest and the
weekly hours cap respected) and the FTE they imply.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from siteopt.errors import StaffingError
from siteopt.queueing.shifts import MINUTES_PER_DAY, MINUTES_PER_WEEK, ShiftMenu

if TYPE_CHECKING:
    from siteopt.queueing.shifts import WeekRoster

__all__ = ["RosterFte", "RotaLine", "RotaPattern", "roster_fte", "rota_pattern"]


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


def rota_pattern(roster: WeekRoster, *, contract_hours_per_week: float) -> RotaPattern:
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
    roster: WeekRoster,
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

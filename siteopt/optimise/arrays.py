"""The problem's numbers as integer arrays: what every solver and every constraint reads.

:class:`ProblemArrays` holds every coefficient of the model (``docs/model.md``) as an integer
in fine units, so that two solvers over the same data agree to the unit:

- money in :data:`MONEY_UNITS_PER_GBP` units (£0.0001), as a yearly cost;
- staff in :data:`FTE_UNITS_PER_FTE` units (0.0001 FTE).

:class:`~siteopt.optimise.problem.ProblemData` adds the named constraints to these arrays; the
constraint classes (:mod:`siteopt.optimise.constraints`) read the arrays, which is why they live
here, below both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

__all__ = [
    "FTE_UNITS_PER_FTE",
    "MONEY_UNITS_PER_GBP",
    "BoolArray",
    "FloatArray",
    "IntArray",
    "ProblemArrays",
    "Routing",
    "assigned_sum",
    "force_mask",
    "frozen_bool",
    "frozen_int",
]


MONEY_UNITS_PER_GBP = 10_000


FTE_UNITS_PER_FTE = 10_000


IntArray = npt.NDArray[np.int64]


BoolArray = npt.NDArray[np.bool_]


FloatArray = npt.NDArray[np.float64]


Routing = Literal["pooled", "by_force"]


def frozen_int(values: npt.ArrayLike) -> IntArray:
    """Return a read-only int64 copy of ``values``."""
    array = np.array(values, dtype=np.int64)
    array.setflags(write=False)
    return array


def frozen_bool(values: npt.ArrayLike) -> BoolArray:
    """Return a read-only boolean copy of ``values``."""
    array = np.array(values, dtype=np.bool_)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class ProblemArrays:
    """The optimisation problem's numbers (see the module docstring for the units).

    Attributes
    ----------
    site_ids, force_ids
        Candidate sites ``J`` and forces ``F``.
    k_min, k_max
        Bounds on the number of open sites.
    routings
        Allowed routings: ``"pooled"`` (one queue over the open sites) and/or ``"by_force"``.
    group_agents
        ``(2^F, T)``: agents one room needs per interval for the force group whose bit mask is
        the row (bit ``f`` set = force ``f`` in the group), minimum crew applied; row 0 is zero.
        With ``group_masks`` given, only the rows of those groups (``(len(group_masks), T)``):
        read a row with :meth:`group_row`.
    pooled_levels, level_weights, level_of_interval
        The distinct pooled (all forces) requirements before the minimum crew, how many
        intervals of the week have each, and the level of each interval.
    min_crew
        Minimum agents in an open room at all times.
    agent_cost
        ``(J,)`` money a year for one agent on duty in one interval of every week at site ``j``
        (pay in the site's force area, supervisors and shrinkage included).
    agent_fte
        FTE units one agent on duty in one interval of every week needs.
    existing_seats, max_seats
        ``(J,)`` control-room positions today and at most.
    fixed_cost
        ``(J,)`` money a year to run site ``j`` (running cost, plus the annualised one-off move
        cost unless it is a force's current room).
    seat_cost
        ``(J,)`` money a year per seat added (annualised fit-out with optimism bias).
    merge_cost
        Money a year of the one-off ICT of any merged option (annualised).
    staff
        ``(F,)`` FTE units of each force's staff today (the model's staffing of its own room).
    stay
        ``(F, J)`` FTE units of force ``f``'s staff who would move with the job to site ``j``.
    move_cost
        ``(F, J)`` money a year if force ``f``'s staff move to ``j``: redundancy of those who
        leave and excess travel of those who stay (0 at the force's current room).
    redundancy_cost, recruit_cost
        Money a year per FTE unit made redundant beyond the leavers / recruited.
    room_rank
        ``(F, J)`` rank of site ``j`` by drive time from force ``f``'s current room (0 nearest);
        with pooled routing a force's staff go to the best-ranked open site.
    force_calls
        ``(F,)`` calls a year of each force, all streams (``None``: not known; only the
        ``min_call_share`` constraint needs them).
    interval_calls
        For reports only: ``(F, T)`` calls of each force in each interval of the average week.
    post_cost, post_fte
        ``(J,)`` money a year and FTE units of the fixed posts of every open room (the room
        functions in scope: duty managers, management, support, training); ``None``: call
        handling only.
    group_cost, group_fte
        ``(J, 2^F)`` money a year and FTE units of room ``j`` dispatching the forces of group
        ``G`` (dispatch, the local-knowledge extra, and the room functions' per-FTE shares of
        them); column 0 (no force) is 0.
    agent_extra_cost, agent_extra_fte
        ``(J,)`` money a year and FTE units the room functions' per-FTE shares add to one agent
        on duty in one interval of every week (``agent_extra_fte`` is one number).
    group_masks
        ``None``: ``group_agents`` holds every group. Otherwise the sorted bit masks of the groups
        it holds (each force alone and all forces): pooled routing of many forces, where ``2^F``
        rows cannot be built and only these are read.
    """

    site_ids: tuple[str, ...]
    force_ids: tuple[str, ...]
    k_min: int
    k_max: int
    routings: tuple[Routing, ...]
    group_agents: IntArray
    pooled_levels: IntArray
    level_weights: IntArray
    level_of_interval: IntArray
    min_crew: int
    agent_cost: IntArray
    agent_fte: int
    existing_seats: IntArray
    max_seats: IntArray
    fixed_cost: IntArray
    seat_cost: IntArray
    merge_cost: int
    staff: IntArray
    stay: IntArray
    move_cost: IntArray
    redundancy_cost: int
    recruit_cost: int
    room_rank: IntArray
    force_calls: IntArray | None = None
    interval_calls: FloatArray | None = None
    post_cost: IntArray | None = None
    post_fte: IntArray | None = None
    group_cost: IntArray | None = None
    group_fte: IntArray | None = None
    agent_extra_cost: IntArray | None = None
    agent_extra_fte: int = 0
    group_masks: IntArray | None = None

    def __post_init__(self) -> None:
        n_sites, n_forces = len(self.site_ids), len(self.force_ids)
        n_intervals = self.group_agents.shape[1]
        rows = 2**n_forces if self.group_masks is None else len(self.group_masks)
        checks = {
            "group_agents": (self.group_agents.shape[0], rows),
            "agent_cost": (len(self.agent_cost), n_sites),
            "existing_seats": (len(self.existing_seats), n_sites),
            "max_seats": (len(self.max_seats), n_sites),
            "fixed_cost": (len(self.fixed_cost), n_sites),
            "seat_cost": (len(self.seat_cost), n_sites),
            "staff": (len(self.staff), n_forces),
            "stay": (self.stay.shape, (n_forces, n_sites)),
            "move_cost": (self.move_cost.shape, (n_forces, n_sites)),
            "room_rank": (self.room_rank.shape, (n_forces, n_sites)),
            "level_weights": (len(self.level_weights), len(self.pooled_levels)),
            "level_of_interval": (len(self.level_of_interval), n_intervals),
        }
        if self.force_calls is not None:
            checks["force_calls"] = (self.force_calls.shape, (n_forces,))
        if self.interval_calls is not None:
            checks["interval_calls"] = (self.interval_calls.shape, (n_forces, n_intervals))
        given = [
            x is not None
            for x in (
                self.post_cost,
                self.post_fte,
                self.group_cost,
                self.group_fte,
                self.agent_extra_cost,
            )
        ]
        if any(given) and not all(given):
            raise ValueError("post_*, group_* and agent_extra_cost: expected all or none")
        if self.post_cost is not None and self.post_fte is not None:
            checks["post_cost"] = (self.post_cost.shape, (n_sites,))
            checks["post_fte"] = (self.post_fte.shape, (n_sites,))
        if self.group_cost is not None and self.group_fte is not None:
            checks["group_cost"] = (self.group_cost.shape, (n_sites, 2**n_forces))
            checks["group_fte"] = (self.group_fte.shape, (n_sites, 2**n_forces))
        if self.agent_extra_cost is not None:
            checks["agent_extra_cost"] = (self.agent_extra_cost.shape, (n_sites,))
        for name, (got, expected) in checks.items():
            if got != expected:
                raise ValueError(f"{name}: expected shape {expected}, got {got}")
        if not 1 <= self.k_min <= self.k_max:
            raise ValueError(
                f"k_min, k_max: expected 1 <= k_min <= k_max, got {self.k_min}, {self.k_max}"
            )
        if not self.routings or set(self.routings) - {"pooled", "by_force"}:
            raise ValueError(f"routings: expected 'pooled' and/or 'by_force', got {self.routings}")
        if self.group_masks is not None and (
            "by_force" in self.routings or self.group_cost is not None
        ):
            raise ValueError("group_masks: only with pooled routing and no functions priced")

    @property
    def dense_groups(self) -> bool:
        """Whether ``group_agents`` holds every force group (``2^F`` rows)."""
        return self.group_masks is None

    def group_row(self, mask: int) -> IntArray:
        """Agents per interval of one room answering the force group ``mask``."""
        if self.group_masks is None:
            row: IntArray = self.group_agents[mask]
            return row
        at = int(np.searchsorted(self.group_masks, mask))
        if at == len(self.group_masks) or int(self.group_masks[at]) != mask:
            raise KeyError(f"group {mask:#x}: only each force alone and all forces are held")
        held: IntArray = self.group_agents[at]
        return held

    @property
    def n_sites(self) -> int:
        """Number of candidate sites."""
        return len(self.site_ids)

    @property
    def n_forces(self) -> int:
        """Number of forces."""
        return len(self.force_ids)

    @property
    def all_forces(self) -> int:
        """Bit mask of the group of every force."""
        return (1 << self.n_forces) - 1

    @property
    def peak_positions(self) -> int:
        """Peak agents of one room answering every force's calls (``P*``)."""
        return int(self.group_row(self.all_forces).max())

    @property
    def has_functions(self) -> bool:
        """Whether functions other than call handling are priced (``[functions]`` in scope)."""
        return self.group_cost is not None

    def functions_priced(
        self, sites: Sequence[int], groups: Sequence[int], agent_intervals: Sequence[int]
    ) -> tuple[int, int]:
        """Money a year and FTE units of the non-call functions of some open rooms.

        ``groups``: bit mask of the forces each room dispatches (the forces whose staff go
        there); ``agent_intervals``: each room's agents summed over the week's intervals.
        """
        if (
            self.post_cost is None
            or self.post_fte is None
            or self.group_cost is None
            or self.group_fte is None
            or self.agent_extra_cost is None
        ):
            return 0, 0
        cost = fte = 0
        for j, g, n in zip(sites, groups, agent_intervals, strict=True):
            cost += int(self.post_cost[j]) + int(self.group_cost[j, g])
            cost += int(self.agent_extra_cost[j]) * int(n)
            fte += int(self.post_fte[j]) + int(self.group_fte[j, g]) + self.agent_extra_fte * int(n)
        return cost, fte

    def pooled_totals(self, k: int) -> IntArray:
        """Agents over ``k`` pooled rooms at each level: ``max(a[F, v], k m)``."""
        totals: IntArray = np.maximum(self.pooled_levels, k * self.min_crew)
        return totals


def assigned_sum(matrix: IntArray, assignment: IntArray) -> IntArray:
    """``Σ_f matrix[f, assignment[n, f]]`` for each row ``n`` of ``assignment`` ``(N, F)``.

    One ``take`` per force: several times faster than fancy indexing over both axes.
    """
    total: IntArray = np.zeros(len(assignment), dtype=np.int64)
    for f in range(matrix.shape[0]):
        total += matrix[f].take(assignment[:, f])
    return total


def force_mask(forces: list[int] | tuple[int, ...]) -> int:
    """Return the bit mask of a group of force indices."""
    return sum(1 << f for f in set(forces))

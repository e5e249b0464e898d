"""``absorb_load``: with two or more rooms, each can seat a share of the peak positions."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Self

import numpy as np

from siteopt.instance.constraints import AbsorbLoadSpec, ConstraintSpecBase
from siteopt.optimise.arrays import BoolArray, ProblemArrays
from siteopt.optimise.constraints.base import (
    CompileContext,
    Constraint,
    ConstraintResult,
    ModelContext,
    SiteSets,
    spec_as,
)
from siteopt.optimise.option import Option

if TYPE_CHECKING:
    from ortools.sat.python import cp_model

__all__ = ["Absorb"]


@dataclass(frozen=True, eq=False)
class Absorb(Constraint):
    """With two or more open sites, each has at least ``min_seats`` seats.

    A seat floor: every solver prices the seats ``max(peak, min_seats)``, and the option breaks
    the constraint when a building holds fewer. CP-SAT: ``seats_j ≥ min_seats (y_j − [one
    open])``.
    """

    kind = "absorb_load"
    value_kind = "int"
    min_seats: int

    @classmethod
    def from_spec(cls, name: str, spec: ConstraintSpecBase, context: CompileContext) -> Self:
        """``⌈min_share × P*⌉`` seats."""
        table = spec_as(spec, AbsorbLoadSpec)
        return cls(name, math.ceil(table.min_share.value * context.peak_positions))

    def holds(self, problem: ProblemArrays, option: Option) -> bool:
        """One room, or every open building holds the floor."""
        if len(option.sites) < 2:
            return True
        return all(int(problem.max_seats[j]) >= self.min_seats for j in option.sites)

    def sites_hold(self, problem: ProblemArrays, sites: SiteSets) -> BoolArray | None:
        """Both buildings of each pair hold the floor (no rule on single sites)."""
        if sites.second is None:
            return None
        caps = problem.max_seats
        fits = (caps[sites.first] >= self.min_seats) & (caps[sites.second] >= self.min_seats)
        return np.asarray(fits, dtype=np.bool_)

    def seat_floor(self, problem: ProblemArrays, k: int) -> int:
        """``min_seats`` with two or more rooms."""
        return self.min_seats if k >= 2 else 0

    def add_to_model(
        self, problem: ProblemArrays, model: ModelContext, enforce: Sequence[cp_model.IntVar]
    ) -> None:
        """Seats of each open site, unless it is the only one."""
        for j, seats in enumerate(model.seats):
            ready = (
                model.open_[j] - model.one_open if model.one_open is not None else model.open_[j]
            )
            model.cp.add(seats >= self.min_seats * ready).only_enforce_if(enforce)

    def describe(self, problem: ProblemArrays, option: Option, *, holds: bool) -> ConstraintResult:
        """Fewest seats of an open room (not applicable to one room)."""
        if len(option.sites) < 2:
            return self.result(None, self.min_seats, holds, "not applicable: one room")
        return self.result(
            float(min(option.seats)), self.min_seats, holds, "fewest seats of an open room"
        )

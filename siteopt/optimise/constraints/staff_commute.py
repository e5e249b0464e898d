"""``staff_commute``: enough of today's staff can still reach their new room."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Self

import numpy as np

from siteopt.costs.transition import commute_share_within
from siteopt.instance.constraints import ConstraintSpecBase, StaffCommuteSpec
from siteopt.optimise.arrays import (
    FTE_UNITS_PER_FTE,
    BoolArray,
    IntArray,
    ProblemArrays,
    assigned_sum,
    frozen_int,
)
from siteopt.optimise.constraints.base import (
    CompileContext,
    Constraint,
    ConstraintResult,
    ModelContext,
    spec_as,
    weighted_sum,
)
from siteopt.optimise.option import Option

if TYPE_CHECKING:
    from ortools.sat.python import cp_model

__all__ = ["StaffCommute"]


@dataclass(frozen=True, eq=False)
class StaffCommute(Constraint):
    """Staff (FTE units) within reach of their new site, ``Σ_f within[f, j(f)] ≥ required``.

    CP-SAT: ``Σ_f Σ_j within[f, j] x[f, j] ≥ required`` over the staff assignment ``x``.
    """

    kind = "staff_commute"
    value_kind = "share"
    within: IntArray
    required: int

    @classmethod
    def from_spec(cls, name: str, spec: ConstraintSpecBase, context: CompileContext) -> Self:
        """Staff of each force living within ``max_minutes`` of each candidate (gravity homes)."""
        table = spec_as(spec, StaffCommuteSpec)
        share = commute_share_within(
            population=context.population,
            minutes=context.staff_minutes,
            current_room=context.room_columns,
            decay_per_minute=context.instance.transition.home_decay_per_minute.value,
            max_minutes=table.max_minutes.value,
        )[:, : len(context.candidates)]
        staff_units = context.staff_fte * FTE_UNITS_PER_FTE
        within = np.floor(staff_units[:, None] * share)
        required = math.ceil(table.min_share.value * float(np.rint(staff_units).sum()))
        return cls(name, frozen_int(within), required)

    @cached_property
    def _rows(self) -> list[list[int]]:
        """``within`` as Python lists: one option at a time, indexing them is the fastest."""
        rows: list[list[int]] = self.within.tolist()
        return rows

    def holds(self, problem: ProblemArrays, option: Option) -> bool:
        """Staff within reach of the rooms they move to are at least the required."""
        rows = self._rows
        return sum(rows[f][j] for f, j in enumerate(option.assignment)) >= self.required

    def assignment_holds(self, problem: ProblemArrays, assignment: IntArray) -> BoolArray:
        """The same count for each row of ``assignment``."""
        return np.asarray(assigned_sum(self.within, assignment) >= self.required, dtype=np.bool_)

    def add_to_model(
        self, problem: ProblemArrays, model: ModelContext, enforce: Sequence[cp_model.IntVar]
    ) -> None:
        """Weighted sum of the assignment literals."""
        terms = model.assign_terms
        commuters = weighted_sum(
            [var for var, _, _ in terms], [self.within[f, j] for _, f, j in terms]
        )
        model.cp.add(commuters >= self.required).only_enforce_if(enforce)

    def describe(self, problem: ProblemArrays, option: Option, *, holds: bool) -> ConstraintResult:
        """Share of today's staff within reach of their new room."""
        total = float(problem.staff.sum())
        rows = self._rows
        value = sum(rows[f][j] for f, j in enumerate(option.assignment)) / total
        detail = "share of today's staff within reach of their new room"
        return self.result(value, self.required / total, holds, detail)

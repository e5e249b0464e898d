"""``min_call_share``: each open room answers at least a given share of the calls.

No room is a standby shell kept open with the minimum crew while another answers nearly every
call. The rule is written so that both exact solvers stay exact (``docs/model.md``):

- **pooled** (one virtual queue): a room answers calls in proportion to its agents in each
  interval, so with ``k`` open rooms every room staffs at least ``⌈share × N_v⌉`` agents at each
  pooled level ``v`` (``N_v = max(a[F, v], k m)``, the level's agents over all rooms). This is a
  per-level minimum crew; when ``k`` such crews do not fit in ``N_v`` the option breaks the rule.
- **by force**: a room answers exactly its forces' calls, so their share of the year's calls must
  be at least ``share``.
- one open room answers every call and always holds.

The share is kept in millionths so that every floor is exact integer arithmetic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Self

import numpy as np

from siteopt.instance.constraints import SHARE_UNITS, ConstraintSpecBase, MinCallShareSpec
from siteopt.optimise.arrays import IntArray, ProblemArrays
from siteopt.optimise.constraints.base import (
    CompileContext,
    Constraint,
    ConstraintResult,
    ModelContext,
    spec_as,
)
from siteopt.optimise.option import Option

if TYPE_CHECKING:
    from ortools.sat.python import cp_model

__all__ = ["SHARE_UNITS", "MinCallShare"]


@dataclass(frozen=True, eq=False)
class MinCallShare(Constraint):
    """Each of two or more open rooms answers at least ``share_units / SHARE_UNITS`` of the calls.

    CP-SAT, pooled: ``n[j, v] ≥ ⌈share N_{k, v}⌉ (pooled_open_j + count_k − 1)`` for each number
    of rooms ``k ≥ 2``; by force: ``z[j, G] = 0`` for every group ``G`` of forces whose calls are
    below the share.
    """

    kind = "min_call_share"
    value_kind = "share"
    share_units: int

    def __post_init__(self) -> None:
        if not 0 < self.share_units < SHARE_UNITS:
            msg = (
                f"share_units: expected a share in (0, 1) in millionths, "
                f"strictly between 0 and {SHARE_UNITS}, got {self.share_units}"
            )
            raise ValueError(msg)

    @classmethod
    def from_spec(cls, name: str, spec: ConstraintSpecBase, context: CompileContext) -> Self:
        """The share ``min_share``, to the millionth."""
        table = spec_as(spec, MinCallShareSpec)
        return cls(name, round(table.min_share.value * SHARE_UNITS))

    @property
    def share(self) -> float:
        """The minimum share of the calls."""
        return self.share_units / SHARE_UNITS

    def level_floor(self, problem: ProblemArrays, k: int) -> IntArray:
        """Agents each of ``k`` pooled rooms staffs at each level: ``⌈share × N_v⌉``."""
        totals = problem.pooled_totals(k)
        floor: IntArray = -(-self.share_units * totals // SHARE_UNITS)
        return floor

    def group_holds(self, problem: ProblemArrays, mask: int) -> bool:
        """Whether the forces of ``mask`` make at least the share of the year's calls."""
        calls = problem.force_calls
        if calls is None:
            msg = "force_calls: the min_call_share constraint needs each force's calls a year"
            raise ValueError(msg)
        members = [f for f in range(problem.n_forces) if mask >> f & 1]
        return int(calls[members].sum()) * SHARE_UNITS >= self.share_units * int(calls.sum())

    def holds(self, problem: ProblemArrays, option: Option) -> bool:
        """One room; by force each room's forces' calls; pooled each room's agents, per interval."""
        k = len(option.sites)
        if k < 2:
            return True
        if option.routing == "by_force":
            return all(self.group_holds(problem, g) for g in option.room_groups())
        floor = self.level_floor(problem, k)[problem.level_of_interval]
        return bool((option.agents >= floor[np.newaxis, :]).all())

    def split_holds(self, problem: ProblemArrays, k: int, groups: tuple[int, ...] | None) -> bool:
        """Pooled: ``k`` floors fit in every level; by force: every room's group has the share."""
        if k < 2:
            return True
        if groups is None:
            return bool((k * self.level_floor(problem, k) <= problem.pooled_totals(k)).all())
        return all(self.group_holds(problem, g) for g in groups)

    def crew_floor(self, problem: ProblemArrays, k: int) -> IntArray | None:
        """The per-level floors with two or more rooms."""
        return self.level_floor(problem, k) if k >= 2 else None

    def add_to_model(
        self, problem: ProblemArrays, model: ModelContext, enforce: Sequence[cp_model.IntVar]
    ) -> None:
        """Per-level floors on the pooled agents; groups short of the share are not chosen."""
        cp = model.cp
        for k, count in model.pooled_count.items():
            if k < 2:
                continue
            if not self.split_holds(problem, k, None):
                cp.add(count == 0).only_enforce_if(enforce)
                continue
            floor = self.level_floor(problem, k)
            for (j, v), agents in model.agents.items():
                if floor[v] > 0:
                    active = model.pooled_open[j] + count - 1
                    cp.add(agents >= int(floor[v]) * active).only_enforce_if(enforce)
        for (_, mask), var in model.groups.items():
            if not self.group_holds(problem, mask):
                cp.add(var == 0).only_enforce_if(enforce)

    def describe(self, problem: ProblemArrays, option: Option, *, holds: bool) -> ConstraintResult:
        """Smallest share of the week's calls answered by an open room."""
        if len(option.sites) < 2:
            return self.result(1.0, self.share, holds, "one room answers every call")
        how = (
            "by force: its forces' calls"
            if option.routing == "by_force"
            else "one queue: calls shared by agents on duty"
        )
        detail = f"smallest share of the week's calls answered by an open room ({how})"
        return self.result(_smallest_share(problem, option), self.share, holds, detail)


def _smallest_share(problem: ProblemArrays, option: Option) -> float | None:
    """The smallest share of the week's calls an open room answers (``None``: calls unknown)."""
    if problem.interval_calls is None:
        return None
    calls = problem.interval_calls
    week = float(calls.sum())
    if week <= 0:
        return None
    if option.routing == "by_force":
        shares = [
            float(calls[[f for f in range(problem.n_forces) if g >> f & 1]].sum()) / week
            for g in option.room_groups()
        ]
        return min(shares)
    agents = option.agents.astype(np.float64)
    on_duty = agents.sum(axis=0)
    k = len(option.sites)
    # An interval with nobody on duty (no calls, no minimum crew) is split evenly.
    part = np.divide(agents, on_duty, out=np.full_like(agents, 1 / k), where=on_duty > 0)
    answered = part @ calls.sum(axis=0)
    return float(answered.min()) / week

"""``site_separation``: two open rooms neither too close nor too far apart by road."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING, Self

import numpy as np

from siteopt.instance.constraints import ConstraintSpecBase, SiteSeparationSpec
from siteopt.network.pairs import PairMinutes
from siteopt.optimise.arrays import BoolArray, IntArray, ProblemArrays
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

__all__ = ["Separation"]


@dataclass(frozen=True, eq=False)
class Separation(Constraint):
    """No two open sites with ``conflict[j, j']`` (too close, or too far to decamp).

    ``given``: the conflicting pairs as a matrix; else they are measured from ``minutes`` (drive
    minutes between sites, also for reports) against ``limits`` (min apart, max apart) the first
    time a pair is asked about, so one room never builds the candidate × candidate table.
    CP-SAT: ``y_j + y_j' ≤ 1`` per conflicting pair, or per site ``Σ_{j' conflicting} y_j' ≤
    min(deg, k_max − 1) (1 − y_j)``.
    """

    kind = "site_separation"
    value_kind = "minutes"
    given: BoolArray | None = None
    minutes: PairMinutes | None = None
    limits: tuple[float, float] = (0.0, math.inf)

    @classmethod
    def from_spec(cls, name: str, spec: ConstraintSpecBase, context: CompileContext) -> Self:
        """Pairs closer than ``min_minutes`` (either way) or farther than ``max_minutes``."""
        table = spec_as(spec, SiteSeparationSpec)
        limits = (table.min_minutes.value, table.max_minutes.value)
        return cls(name, None, context.site_pairs, limits)

    @property
    def conflict(self) -> BoolArray:
        """``(J, J)`` symmetric: whether two sites may not both be open (diagonal ``False``)."""
        if self.given is not None:
            return self.given
        if self.minutes is None:
            raise ValueError(f"{self.name}: neither conflicting pairs nor minutes given")
        return self.minutes.outside(*self.limits)

    def holds(self, problem: ProblemArrays, option: Option) -> bool:
        """No two open sites conflict."""
        return not any(self.conflict[a, b] for a, b in combinations(option.sites, 2))

    def sites_hold(self, problem: ProblemArrays, sites: SiteSets) -> BoolArray | None:
        """Each pair does not conflict (no rule on single sites)."""
        if sites.second is None:
            return None
        return np.asarray(~self.conflict[sites.first, sites.second], dtype=np.bool_)

    def conflicts(self, problem: ProblemArrays, k: int) -> IntArray | None:
        """The conflicting pairs (none with one room)."""
        if k < 2:
            return None
        pairs: IntArray = np.argwhere(np.triu(self.conflict, 1)).astype(np.int64)
        return pairs

    def add_to_model(
        self, problem: ProblemArrays, model: ModelContext, enforce: Sequence[cp_model.IntVar]
    ) -> None:
        """Pairwise clauses, or one row per site (``model.separation``)."""
        cp, open_ = model.cp, model.open_
        upper = np.nonzero(np.triu(self.conflict, 1))
        pairs = [(int(a), int(b)) for a, b in zip(*upper, strict=True)]
        if model.separation == "pairwise":
            for a, b in pairs:
                cp.add_bool_or([~open_[a], ~open_[b]]).only_enforce_if(enforce)
            return
        neighbours: dict[int, set[int]] = {}
        for a, b in pairs:
            neighbours.setdefault(a, set()).add(b)
            neighbours.setdefault(b, set()).add(a)
        for j, others in neighbours.items():
            room = min(len(others), problem.k_max - 1)
            cp.add(sum(open_[o] for o in others) <= room * (1 - open_[j])).only_enforce_if(enforce)

    def describe(self, problem: ProblemArrays, option: Option, *, holds: bool) -> ConstraintResult:
        """The closest pair of open rooms by road (not applicable to one room)."""
        open_ = list(option.sites)
        if len(open_) < 2 or self.minutes is None:
            return self.result(None, None, holds, "not applicable: one room")
        first, second = np.array(list(combinations(open_, 2)), dtype=np.int64).T
        both = np.concatenate(
            [self.minutes.pairs(first, second), self.minutes.pairs(second, first)]
        )
        apart, far = float(both.min()), float(both.max())
        low, high = self.limits
        spread = f"{apart:.0f}" if round(apart) == round(far) else f"{apart:.0f}-{far:.0f}"
        detail = (
            f"rooms {spread} min apart by road (at least {low:g}, at most {high:g} min; "
            f"value and limit: the closest pair)"
        )
        return self.result(float(apart), low, holds, detail)

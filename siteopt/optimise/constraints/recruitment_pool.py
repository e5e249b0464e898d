"""``recruitment_pool``: only sites with enough working-age people within reach may open."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Self

import numpy as np

from siteopt.instance.constraints import ConstraintSpecBase, RecruitmentPoolSpec
from siteopt.optimise.arrays import BoolArray, FloatArray, ProblemArrays, frozen_bool
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

__all__ = ["SiteFilter"]


@dataclass(frozen=True, eq=False)
class SiteFilter(Constraint):
    """Only sites with ``allowed[j]`` may open (``recruitment_pool``).

    ``pool`` (for reports): working-age people within reach of each site; ``limit``: the minimum.
    CP-SAT: ``y_j = 0`` where not allowed; the size bounds skip those sites.
    """

    kind = "recruitment_pool"
    value_kind = "int"
    allowed: BoolArray
    pool: FloatArray | None = None
    limit: float = 0.0

    @classmethod
    def from_spec(cls, name: str, spec: ConstraintSpecBase, context: CompileContext) -> Self:
        """Working-age people within ``max_minutes`` of each candidate, against the minimum."""
        table = spec_as(spec, RecruitmentPoolSpec)
        within = context.candidate_minutes <= table.max_minutes.value
        pool = table.working_age_share.value * (context.population @ within)
        allowed = frozen_bool(pool >= table.min_people.value)
        return cls(name, allowed, pool, table.min_people.value)

    def holds(self, problem: ProblemArrays, option: Option) -> bool:
        """Every open site is allowed."""
        return bool(self.allowed[list(option.sites)].all())

    def sites_hold(self, problem: ProblemArrays, sites: SiteSets) -> BoolArray:
        """Every site of each set is allowed."""
        ok = self.allowed[sites.first]
        if sites.second is not None:
            ok = ok & self.allowed[sites.second]
        return np.asarray(ok, dtype=np.bool_)

    def allowed_sites(self, problem: ProblemArrays) -> BoolArray:
        """The allowed sites."""
        return self.allowed

    def add_to_model(
        self, problem: ProblemArrays, model: ModelContext, enforce: Sequence[cp_model.IntVar]
    ) -> None:
        """Sites not allowed stay closed."""
        for j in np.flatnonzero(~self.allowed):
            model.cp.add(model.open_[int(j)] == 0).only_enforce_if(enforce)

    def describe(self, problem: ProblemArrays, option: Option, *, holds: bool) -> ConstraintResult:
        """Working-age people within reach of the least-served open room."""
        pool = float(self.pool[list(option.sites)].min()) if self.pool is not None else None
        detail = "working-age people within reach of the least-served open room"
        return self.result(pool, self.limit, holds, detail)

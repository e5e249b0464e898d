"""``population_within``: enough of the population lives within reach of an open room."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Self

import numpy as np

from siteopt.instance.constraints import ConstraintSpecBase, PopulationWithinSpec
from siteopt.optimise.arrays import (
    BoolArray,
    FloatArray,
    IntArray,
    ProblemArrays,
    frozen_bool,
    frozen_int,
)
from siteopt.optimise.constraints.base import (
    CompileContext,
    Constraint,
    ConstraintResult,
    CoverRule,
    ModelContext,
    SiteSets,
    spec_as,
    weighted_sum,
)
from siteopt.optimise.option import Option

if TYPE_CHECKING:
    from ortools.sat.python import cp_model

__all__ = ["PopulationCover"]


@dataclass(frozen=True, eq=False)
class PopulationCover(Constraint):
    """People in zones covered by an open site (``cover[i, j]``) are at least ``required``.

    CP-SAT: ``c_i ≤ Σ_{j covers i} y_j`` per distinct set of covering sites, ``Σ_i people_i c_i ≥
    required``. Option table: people covered by a pair by inclusion-exclusion.
    """

    kind = "population_within"
    value_kind = "share"
    cover: BoolArray
    people: IntArray
    required: int

    @classmethod
    def from_spec(cls, name: str, spec: ConstraintSpecBase, context: CompileContext) -> Self:
        """Zones within ``max_minutes`` of each candidate; people rounded to whole persons."""
        table = spec_as(spec, PopulationWithinSpec)
        people = np.rint(context.population).astype(np.int64)
        required = math.ceil(table.min_share.value * int(people.sum()))
        cover = context.candidate_minutes <= table.max_minutes.value
        return cls(name, frozen_bool(cover), frozen_int(people), required)

    def _covered(self, sites: Sequence[int]) -> int:
        return int(self.people[self.cover[:, list(sites)].any(axis=1)].sum())

    @cached_property
    def _alone(self) -> FloatArray:
        """People covered by each site alone (exact in float64: far below 2**53)."""
        alone: FloatArray = self.people.astype(np.float64) @ self.cover.astype(np.float64)
        return alone

    @cached_property
    def _both(self) -> FloatArray:
        """People covered by both sites of each pair."""
        cover = self.cover.astype(np.float64)
        both: FloatArray = (cover * self.people.astype(np.float64)[:, np.newaxis]).T @ cover
        return both

    def holds(self, problem: ProblemArrays, option: Option) -> bool:
        """People near any open site are at least the required."""
        return self._covered(option.sites) >= self.required

    def sites_hold(self, problem: ProblemArrays, sites: SiteSets) -> BoolArray:
        """People covered by each single site, or by either site of each pair."""
        a = sites.first
        covered = self._alone[a]
        if sites.second is not None:
            b = sites.second
            covered = covered + self._alone[b] - self._both[a, b]
        return np.asarray(np.rint(covered).astype(np.int64) >= self.required, dtype=np.bool_)

    def add_to_model(
        self, problem: ProblemArrays, model: ModelContext, enforce: Sequence[cp_model.IntVar]
    ) -> None:
        """One covered literal per distinct set of covering sites."""
        zones = self._zones_by_cover()
        cp = model.cp
        covered = [cp.new_bool_var(f"{self.name}.covered[{i}]") for i in range(len(zones))]
        for var, (cover, _) in zip(covered, zones, strict=True):
            cp.add_bool_or([*(model.open_[j] for j in cover), ~var])
        cp.add(weighted_sum(covered, [p for _, p in zones]) >= self.required).only_enforce_if(
            enforce
        )

    def covers(self, problem: ProblemArrays) -> tuple[CoverRule, ...]:
        """People in zones with an open covering site ≥ required (zones aggregated by cover)."""
        zones = self._zones_by_cover()
        return (CoverRule(self.required, tuple(z for z, _ in zones), tuple(p for _, p in zones)),)

    def _zones_by_cover(self) -> list[tuple[tuple[int, ...], int]]:
        """People per distinct set of covering sites (zones nobody can cover are left out)."""
        people: dict[tuple[int, ...], int] = {}
        for row, count in zip(self.cover, self.people, strict=True):
            cover = tuple(int(j) for j in np.flatnonzero(row))
            if cover and count > 0:
                people[cover] = people.get(cover, 0) + int(count)
        return list(people.items())

    def describe(self, problem: ProblemArrays, option: Option, *, holds: bool) -> ConstraintResult:
        """Share of the population within reach of an open room."""
        people = float(self.people.sum())
        detail = "share of the population within reach of an open room"
        return self.result(
            self._covered(option.sites) / people, self.required / people, holds, detail
        )

"""``force_centre_within``: each force's centre (or HQ) is within reach of an open room."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING, Self

import numpy as np

from siteopt.errors import NetworkError
from siteopt.instance.constraints import ConstraintSpecBase, ForceCentreWithinSpec
from siteopt.network.points import Points, site_points
from siteopt.network.travel import travel_times
from siteopt.optimise.arrays import BoolArray, FloatArray, ProblemArrays, frozen_bool
from siteopt.optimise.constraints.base import (
    CompileContext,
    Constraint,
    ConstraintResult,
    CoverRule,
    ModelContext,
    SiteSets,
    spec_as,
)
from siteopt.optimise.option import Option

if TYPE_CHECKING:
    from ortools.sat.python import cp_model

    from siteopt.instance.schema import Instance
    from siteopt.network.graph import RoadNetwork

__all__ = ["ForceReach"]


@dataclass(frozen=True, eq=False)
class ForceReach(Constraint):
    """Each force ``f`` has an open site ``j`` with ``reach[f, j]`` (``force_centre_within``).

    ``minutes`` (for reports): from each force's centre to each site; ``limit``: the maximum.
    CP-SAT: ``Σ_{j: reach[f, j]} y_j ≥ 1`` for each force.
    """

    kind = "force_centre_within"
    value_kind = "minutes"
    at_most = True
    reach: BoolArray
    minutes: FloatArray | None = None
    limit: float = math.inf
    bound: BoolArray | None = None  # the forces the limit applies to (the others reach freely)

    @classmethod
    def from_spec(cls, name: str, spec: ConstraintSpecBase, context: CompileContext) -> Self:
        """Drive minutes from each named force's centre to each candidate, against the limit."""
        table = spec_as(spec, ForceCentreWithinSpec)
        instance = context.instance
        minutes = _centre_minutes(instance, context.network, table.centre, context.candidates)
        forces = list(instance.forces)
        chosen = forces if table.forces == "all" else list(table.forces)
        rows = [forces.index(f) for f in chosen]
        reach = np.ones((len(forces), len(context.candidates)), dtype=bool)  # others: free
        reach[rows] = minutes[rows] <= table.max_minutes.value
        bound = np.zeros(len(forces), dtype=bool)
        bound[rows] = True
        return cls(name, frozen_bool(reach), minutes, table.max_minutes.value, frozen_bool(bound))

    def with_drive_times(self, real: Callable[[FloatArray], FloatArray]) -> Self:
        """The centre-to-site times replaced by ``real(minutes)`` and reach checked again."""
        if self.minutes is None or self.bound is None:
            return self
        minutes = real(self.minutes)
        reach = np.where(self.bound[:, np.newaxis], minutes <= self.limit, True)
        return replace(self, reach=frozen_bool(reach), minutes=minutes)

    @cached_property
    def _reached_by(self) -> list[int]:
        """Bit mask of the forces each site reaches (one option at a time: fastest to combine)."""
        bits = 1 << np.arange(self.reach.shape[0], dtype=np.int64)
        masks: list[int] = (bits @ self.reach.astype(np.int64)).tolist()
        return masks

    def holds(self, problem: ProblemArrays, option: Option) -> bool:
        """Every force reaches an open site."""
        reached = 0
        for j in option.sites:
            reached |= self._reached_by[j]
        every: int = (1 << self.reach.shape[0]) - 1
        return reached == every

    def sites_hold(self, problem: ProblemArrays, sites: SiteSets) -> BoolArray:
        """Every force reaches the single site, or one of the pair."""
        reached = self.reach[:, sites.first]
        if sites.second is not None:
            reached = reached | self.reach[:, sites.second]
        return np.asarray(reached.all(axis=0), dtype=np.bool_)

    def covers(self, problem: ProblemArrays) -> tuple[CoverRule, ...]:
        """Each force: one of the sites reaching its centre is open."""
        return tuple(
            CoverRule(1, (tuple(int(j) for j in np.flatnonzero(row)),), (1,)) for row in self.reach
        )

    def add_to_model(
        self, problem: ProblemArrays, model: ModelContext, enforce: Sequence[cp_model.IntVar]
    ) -> None:
        """One covering row per force."""
        for row in self.reach:
            reaching = [model.open_[j] for j in np.flatnonzero(row)]
            model.cp.add(sum(reaching) >= 1).only_enforce_if(enforce)

    def describe(self, problem: ProblemArrays, option: Option, *, holds: bool) -> ConstraintResult:
        """Minutes from the farthest force centre to its nearest open room."""
        open_ = list(option.sites)
        worst = (
            float(self.minutes[:, open_].min(axis=1).max()) if self.minutes is not None else None
        )
        detail = "minutes from the farthest force centre to its nearest open room"
        return self.result(worst, self.limit, holds, detail)


def _centre_minutes(
    instance: Instance, network: RoadNetwork, centre: str, candidates: Sequence[str]
) -> FloatArray:
    """Minutes from each force's population-weighted centre (or HQ) to each candidate."""
    forces = list(instance.forces)
    if centre == "hq":
        points = site_points(instance, [instance.forces[f].current_site for f in forces])
    else:
        centres = instance.dataset().population_centres(instance.data.population_year)
        xs, ys = [], []
        for f in forces:
            x, y = centres[f]
            if not _on_network(network, x, y):
                # a centre in hills or a bay (Cumbria's in the Lake District): the force's
                # demand point nearest it stands in, which is on the network
                lsoas = instance.dataset().lsoa_columns
                own = lsoas.force == f
                px, py = lsoas.x[own], lsoas.y[own]
                near = int(np.argmin((px - x) ** 2 + (py - y) ** 2))
                x, y = float(px[near]), float(py[near])
            xs.append(x)
            ys.append(y)
        points = Points(tuple(f"centre:{f}" for f in forces), np.array(xs), np.array(ys))
    targets = site_points(instance, list(candidates))
    allow = instance.network.allow_unreachable
    minutes: FloatArray = travel_times(network, points, targets, allow_unreachable=allow).minutes
    return minutes


def _on_network(network: RoadNetwork, x: float, y: float) -> bool:
    """Whether a point is near enough a road node to be snapped to it."""
    try:
        network.snap([x], [y])
    except NetworkError:
        return False
    return True

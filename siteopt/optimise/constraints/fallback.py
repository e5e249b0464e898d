"""``fallback``: with one room, a standing building within reach can take over half its load."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Self

import numpy as np

from siteopt.instance.constraints import ConstraintSpecBase, FallbackSpec
from siteopt.network.pairs import ROUNDING_MINUTES, PairMinutes
from siteopt.network.points import site_points
from siteopt.network.travel import travel_times
from siteopt.optimise.arrays import (
    MONEY_UNITS_PER_GBP,
    BoolArray,
    FloatArray,
    IntArray,
    ProblemArrays,
    frozen_bool,
)
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

    from siteopt.instance.schema import Instance
    from siteopt.network.graph import RoadNetwork

__all__ = ["Fallback"]


@dataclass(frozen=True, eq=False)
class Fallback(Constraint):
    """With one open site ``j``, ``available[j]`` (a fallback building in reach) must hold.

    An option with one room also pays ``standby`` money units a year. ``fallback_of`` (for
    reports): the fallback building chosen for each site ("" if none). CP-SAT: ``[one open] +
    y_j ≤ 1`` where no fallback is available, and the standby cost on ``[one open]`` in the
    objective.
    """

    kind = "fallback"
    value_kind = "text"
    available: BoolArray
    standby: int
    fallback_of: tuple[str, ...] = ()

    @classmethod
    def from_spec(cls, name: str, spec: ConstraintSpecBase, context: CompileContext) -> Self:
        """The nearest standing building in reach with the seats (or the named one)."""
        table = spec_as(spec, FallbackSpec)
        instance, candidates = context.instance, list(context.candidates)
        need = math.ceil(table.min_share.value * context.peak_positions)
        if table.site == "nearest":
            # A fallback is a building that stands: greenfield grid points are not.
            greenfield = {g.id for g in instance.greenfield_sites}
            standing = np.array([sid not in greenfield for sid in candidates])
            columns = np.flatnonzero((context.max_seats >= need) & standing)
            available, nearest = _nearest_within(
                context.site_pairs, columns, table.max_minutes.value
            )
            fallbacks = tuple(
                candidates[int(b)] if available[j] else "" for j, b in enumerate(nearest)
            )
        else:
            to_named = _minutes_to(instance, context.network, candidates, table.site)
            named_seats = instance.sites.costs_for(table.site).max_seats
            seats_ok = named_seats is not None and named_seats.value >= need
            available = (to_named <= table.max_minutes.value) & seats_ok
            available &= np.array([sid != table.site for sid in candidates])
            fallbacks = tuple(table.site if ok_ else "" for ok_ in available)
        standby = round(table.standby_cost_gbp.value * MONEY_UNITS_PER_GBP)
        return cls(name, frozen_bool(available), standby, fallbacks)

    def holds(self, problem: ProblemArrays, option: Option) -> bool:
        """Two or more rooms, or the one room has a fallback."""
        return len(option.sites) != 1 or bool(self.available[option.sites[0]])

    def sites_hold(self, problem: ProblemArrays, sites: SiteSets) -> BoolArray | None:
        """Each single site has a fallback (no rule on pairs)."""
        if sites.second is not None:
            return None
        return np.asarray(self.available[sites.first], dtype=np.bool_)

    def standby_cost(self, problem: ProblemArrays, k: int) -> int:
        """The standby cost with one room."""
        return self.standby if k == 1 else 0

    def add_to_model(
        self, problem: ProblemArrays, model: ModelContext, enforce: Sequence[cp_model.IntVar]
    ) -> None:
        """A single open site must have a fallback."""
        if model.one_open is None:
            return
        for j in np.flatnonzero(~self.available):
            clause = [~model.one_open, ~model.open_[int(j)]]
            model.cp.add_bool_or(clause).only_enforce_if(enforce)

    def describe(self, problem: ProblemArrays, option: Option, *, holds: bool) -> ConstraintResult:
        """The fallback building of the single room (not applicable to two or more)."""
        if len(option.sites) != 1:
            return self.result(None, None, holds, "not applicable: two or more rooms")
        building = self.fallback_of[option.sites[0]] if self.fallback_of else ""
        return self.result(None, None, holds, f"fallback building: {building or 'none in reach'}")


def _nearest_within(
    pairs: PairMinutes, columns: IntArray, limit: float
) -> tuple[BoolArray, IntArray]:
    """Whether each site has another of ``columns`` within ``limit`` minutes, and the nearest.

    The minutes to the few columns are searched from them (fast); rows whose answer could
    turn on the last bits (a time within rounding of the limit or of the runner-up) are
    measured again from the site itself, as the dense matrix is, so the answer is the same.
    """
    n = pairs.size
    nearest = np.zeros(n, dtype=np.int64)
    if not len(columns):
        return np.zeros(n, dtype=np.bool_), nearest
    to = pairs.columns(columns)
    to[columns, np.arange(len(columns))] = np.inf  # not itself
    close = np.abs(to - limit) <= ROUNDING_MINUTES
    if len(columns) > 1:
        two = np.partition(to, 1, axis=1)[:, :2]
        close[:, 0] |= (two[:, 1] - two[:, 0]) <= ROUNDING_MINUTES
    again = np.flatnonzero(close.any(axis=1))
    if len(again):
        to[again] = pairs.rows(again, columns)
        itself = again[np.isin(again, columns)]
        to[itself, np.searchsorted(columns, itself)] = np.inf
    ok = to <= limit
    available = np.asarray(ok.any(axis=1), dtype=np.bool_)
    nearest = columns[np.argmin(np.where(ok, to, np.inf), axis=1)]  # first of equals
    return available, nearest


def _minutes_to(
    instance: Instance, network: RoadNetwork, candidates: list[str], target: str
) -> FloatArray:
    """Minutes from each candidate to one named site."""
    allow = instance.network.allow_unreachable
    times = travel_times(
        network,
        site_points(instance, candidates),
        site_points(instance, [target]),
        allow_unreachable=allow,
    )
    minutes: FloatArray = times.minutes[:, 0]
    return minutes

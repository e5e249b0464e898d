"""The chosen plan of an instance: sites, staff, costs, saving against today, constraints, staff.

:func:`solution_from_option` turns a priced :class:`~siteopt.optimise.options.Option` (from either
solver) into a :class:`Solution` in pounds and FTE, its saving measured against today's rooms
priced by the same model (:func:`baseline_costs`). :meth:`Solution.to_dict` and
:meth:`Solution.from_dict` round-trip it exactly; the run around it (status, baseline, ranked
alternatives, solver statistics) is :class:`~siteopt.optimise.result.Result`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from siteopt.costs.prices import annuity_factor, site_cost_table
from siteopt.network.points import site_points
from siteopt.optimise.constraints import ConstraintResult, constraint_results
from siteopt.optimise.options import option_table
from siteopt.optimise.plain import from_plain, to_plain
from siteopt.optimise.problem import (
    FTE_UNITS_PER_FTE,
    MONEY_UNITS_PER_GBP,
    ProblemData,
    Routing,
    force_mask,
)

if TYPE_CHECKING:
    from siteopt.instance.schema import Instance
    from siteopt.optimise.options import Option

__all__ = [
    "ConstraintResult",
    "OptionSummary",
    "SiteResult",
    "Solution",
    "StaffImpact",
    "SurfacePoint",
    "baseline_costs",
    "constraint_results",
    "cost_surface",
    "option_summary",
    "solution_from_option",
]


def gbp(units: float) -> float:
    """Money units → pounds (rounded to the penny)."""
    return round(units / MONEY_UNITS_PER_GBP, 2)


def fte(units: float) -> float:
    """FTE units → FTE (two decimals)."""
    return round(units / FTE_UNITS_PER_FTE, 2)


@dataclass(frozen=True)
class SiteResult:
    """An open site: its staff (FTE incl. supervisors), seats and the forces it serves.

    ``forces_served``: the forces whose staff it takes (by-force routing, or one room), else
    every force (one pooled queue). ``agents``: agents on duty in each interval of the week
    (Monday 00:00 first).
    """

    id: str
    name: str
    force_area: str
    fte: float
    seats: int
    existing_seats: int
    peak_agents: int
    forces_served: tuple[str, ...]
    agents: tuple[int, ...]


@dataclass(frozen=True)
class StaffImpact:
    """What the move does to today's staff (modelled: gravity homes, retention with commute)."""

    staff_today_fte: float
    posts_fte: float
    retained_share: float
    leavers_fte: float
    redundancies_fte: float
    recruits_fte: float
    median_extra_minutes: float | None
    p90_extra_minutes: float | None


@dataclass(frozen=True)
class OptionSummary:
    """A ranked option of the appraisal: its sites, routing and cost a year (pounds)."""

    sites: tuple[str, ...]
    routing: Routing
    total_gbp: float
    costs: dict[str, float]
    feasible: bool
    failed: tuple[str, ...]


@dataclass(frozen=True)
class SurfacePoint:
    """One candidate priced as the only open site: a point of the single-site cost surface.

    ``easting``/``northing`` in EPSG:27700; ``feasible`` says whether that single site meets
    every constraint; ``greenfield`` marks a grid candidate (no building yet).
    """

    id: str
    name: str
    easting: float
    northing: float
    total_gbp: float
    feasible: bool
    greenfield: bool


@dataclass(frozen=True)
class Solution:
    """The chosen plan, in pounds a year and FTE.

    Attributes
    ----------
    objective_gbp
        Its total cost a year (one-offs annualised): the sum of ``costs``.
    sites
        The open rooms, with staff, seats and agents per interval.
    routing
        ``"pooled"`` (one queue over every room) or ``"by_force"`` (each force to one room).
    costs
        Cost a year by component: ``sites``, ``seats``, ``staff``, ``merge``, ``standby``,
        ``transition``.
    saving_gbp
        Today's rooms' cost a year (same model) minus ``objective_gbp``.
    one_off_gbp
        One-off investment (moves, seats, ICT, transition).
    payback_years
        ``one_off_gbp`` over the recurring saving; ``None`` when it never pays back.
    recurring_saving_gbp
        Saving a year without the annualised one-offs (staff, running and standby costs).
    constraints
        Each constraint's value against its limit.
    staff_impact
        What the move does to today's staff (modelled).
    """

    objective_gbp: float
    sites: tuple[SiteResult, ...]
    routing: Routing
    costs: dict[str, float]
    saving_gbp: float
    one_off_gbp: float
    payback_years: float | None
    recurring_saving_gbp: float
    constraints: tuple[ConstraintResult, ...]
    staff_impact: StaffImpact

    @property
    def site_ids(self) -> tuple[str, ...]:
        """Ids of the open rooms."""
        return tuple(s.id for s in self.sites)

    @property
    def total_fte(self) -> float:
        """Staff FTE over every open room."""
        return sum(s.fte for s in self.sites)

    def to_dict(self) -> dict[str, Any]:
        """Return the solution as plain JSON data (:meth:`from_dict` reads it back exactly)."""
        plain: dict[str, Any] = to_plain(self)
        return plain

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Solution:
        """Return the solution that :meth:`to_dict` wrote.

        Raises
        ------
        ContractError
            If a field is missing or has the wrong type (the error names the field).
        """
        solution: Solution = from_plain(cls, dict(data))
        return solution


def baseline_costs(problem: ProblemData, instance: Instance) -> dict[str, int]:
    """Return today's cost a year by component (money units): each force at its own room.

    Today's rooms must be candidates of the problem (they are for the shipped instances); a room
    with fewer seats than its peak is charged the missing seats, as any option would be.
    """
    rooms: dict[int, list[int]] = {}
    for f, fid in enumerate(problem.force_ids):
        room = instance.forces[fid].current_site
        if room not in problem.site_ids:
            msg = f"today's room {room!r} of {fid} is not a candidate; baseline needs it priced"
            raise ValueError(msg)
        rooms.setdefault(problem.site_ids.index(room), []).append(f)
    costs = dict.fromkeys(("sites", "seats", "staff", "merge", "standby", "transition"), 0)
    for j, forces in rooms.items():
        agents = problem.group_agents[force_mask(forces)]
        costs["sites"] += int(problem.fixed_cost[j])
        costs["seats"] += int(
            problem.seat_cost[j] * max(0, int(agents.max()) - int(problem.existing_seats[j]))
        )
        costs["staff"] += int(problem.agent_cost[j] * agents.sum())
        if problem.has_functions:
            priced, _ = problem.functions_priced([j], [force_mask(forces)], [int(agents.sum())])
            costs["functions"] = costs.get("functions", 0) + priced
    return costs


def _staff_impact(problem: ProblemData, option: Option) -> StaffImpact:
    forces = np.arange(problem.n_forces)
    assigned = np.asarray(option.assignment)
    staff = float(problem.staff.sum())
    stayers = float(problem.stay[forces, assigned].sum())
    posts = float(problem.agent_fte * option.agents.sum())
    posts += problem.functions_priced(
        option.sites, option.room_groups(), [int(n) for n in option.agents.sum(axis=1)]
    )[1]
    median, p90 = _extra_commute_quantiles(problem, option)
    return StaffImpact(
        staff_today_fte=fte(staff),
        posts_fte=fte(posts),
        retained_share=round(stayers / staff, 4),
        leavers_fte=fte(staff - stayers),
        redundancies_fte=fte(staff - stayers + max(0.0, stayers - posts)),
        recruits_fte=fte(max(0.0, posts - stayers)),
        median_extra_minutes=median,
        p90_extra_minutes=p90,
    )


def _extra_commute_quantiles(
    problem: ProblemData, option: Option
) -> tuple[float | None, float | None]:
    """Median and 90th percentile of today's staff's extra one-way commute (minutes)."""
    if problem.home_share is None or problem.home_minutes is None:
        return None, None
    assert problem.home_minutes_today is not None
    values, weights = [], []
    for f, j in enumerate(option.assignment):
        extra = np.maximum(problem.home_minutes[:, j] - problem.home_minutes_today[:, f], 0.0)
        values.append(extra)
        weights.append(problem.home_share[f] * float(problem.staff[f]))
    v, w = np.concatenate(values), np.concatenate(weights)
    order = np.argsort(v, kind="stable")
    cumulative = np.cumsum(w[order]) / w.sum()

    ordered = v[order]

    def quantile(q: float) -> float:
        index = min(int(np.searchsorted(cumulative, q)), len(v) - 1)
        return round(float(ordered[index]), 1)

    return quantile(0.5), quantile(0.9)


def _site_results(
    problem: ProblemData, instance: Instance, option: Option
) -> tuple[SiteResult, ...]:

    areas = instance.candidate_force_areas()
    out = []
    for row, (j, seats) in enumerate(zip(option.sites, option.seats, strict=True)):
        sid = problem.site_ids[j]
        name = instance.site_name(sid)
        served = (
            tuple(problem.force_ids[f] for f, g in enumerate(option.assignment) if g == j)
            if option.routing == "by_force" or len(option.sites) == 1
            else problem.force_ids
        )
        agents = option.agents[row]
        out.append(
            SiteResult(
                id=sid,
                name=name,
                force_area=areas[j],
                fte=fte(problem.agent_fte * float(agents.sum())),
                seats=int(seats),
                existing_seats=int(problem.existing_seats[j]),
                peak_agents=int(agents.max()),
                forces_served=served,
                agents=tuple(int(a) for a in agents),
            )
        )
    return tuple(out)


def _one_off_gbp(problem: ProblemData, instance: Instance, option: Option) -> float:
    """One-off investment of an option (pounds): moves, seats, ICT, transition, uplifted."""
    running = site_cost_table(instance).running_cost_gbp
    factor = annuity_factor(
        instance.costs.discount_rate.value, instance.costs.appraisal_years.value
    )
    move = sum(
        float(problem.fixed_cost[j]) - float(running[j]) * MONEY_UNITS_PER_GBP for j in option.sites
    )
    annualised = option.costs["seats"] + option.costs["merge"] + option.costs["transition"] + move
    return round(annualised * factor / MONEY_UNITS_PER_GBP, 2)


def option_summary(problem: ProblemData, option: Option) -> OptionSummary:
    """Return an option of the appraisal in pounds (its sites by id)."""
    return OptionSummary(
        sites=tuple(problem.site_ids[j] for j in option.sites),
        routing=option.routing,
        total_gbp=gbp(option.total),
        costs={k: gbp(v) for k, v in option.costs.items()},
        feasible=option.feasible,
        failed=option.failed,
    )


def solution_from_option(
    problem: ProblemData, instance: Instance, option: Option, *, baseline: Mapping[str, int]
) -> Solution:
    """Return the chosen option of an instance as a :class:`Solution` in pounds and FTE.

    ``baseline`` is today's cost a year by component in money units (:func:`baseline_costs`).
    """
    running = site_cost_table(instance).running_cost_gbp * MONEY_UNITS_PER_GBP
    recurring_now = baseline["staff"] + baseline["sites"] + baseline.get("functions", 0)
    recurring_option = (
        option.costs["staff"]
        + option.costs["standby"]
        + option.costs.get("functions", 0)
        + sum(running[j] for j in option.sites)
    )
    yearly_gain = (recurring_now - recurring_option) / MONEY_UNITS_PER_GBP
    one_off = _one_off_gbp(problem, instance, option)
    payback = round(one_off / yearly_gain, 2) if yearly_gain > 0 else None
    return Solution(
        objective_gbp=gbp(option.total),
        sites=_site_results(problem, instance, option),
        routing=option.routing,
        costs={k: gbp(v) for k, v in option.costs.items()},
        saving_gbp=gbp(sum(baseline.values()) - option.total),
        one_off_gbp=one_off,
        payback_years=payback if payback is None or math.isfinite(payback) else None,
        recurring_saving_gbp=round(yearly_gain, 2),
        constraints=constraint_results(problem, option),
        staff_impact=_staff_impact(problem, option),
    )


def cost_surface(problem: ProblemData, instance: Instance) -> tuple[SurfacePoint, ...]:
    """Every candidate priced as the single open site, when the instance has greenfield ones.

    Empty without ``[sites.greenfield]`` or when one site is not allowed (``k_min > 1``): the
    surface answers "where would the ideal single site be if no building constrained it".
    """
    if not instance.greenfield_sites or problem.k_min > 1:
        return ()
    table = option_table(replace(problem, k_max=1))
    points = site_points(instance, list(problem.site_ids))
    greenfield = {g.id for g in instance.greenfield_sites}
    rows = table.singles()
    return tuple(
        SurfacePoint(
            id=problem.site_ids[j],
            name=instance.site_name(problem.site_ids[j]),
            easting=round(float(points.x[j]), 1),
            northing=round(float(points.y[j]), 1),
            total_gbp=gbp(int(table.total[row])),
            feasible=bool(table.feasible[row]),
            greenfield=problem.site_ids[j] in greenfield,
        )
        for row, j in zip(rows, table.first[rows], strict=True)
    )

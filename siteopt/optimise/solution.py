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
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from siteopt.costs.prices import annuity_factor, site_cost_table
from siteopt.network.points import site_points
from siteopt.optimise.allocation import Allocation, plan_allocation, plan_transport
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
    from siteopt.costs.transition import StaffTransport
    from siteopt.instance.schema import Instance
    from siteopt.optimise.options import Option

__all__ = [
    "Allocation",
    "ConstraintResult",
    "OptionSummary",
    "PlanFigures",
    "SiteResult",
    "Solution",
    "StaffImpact",
    "SurfacePoint",
    "baseline_costs",
    "constraint_results",
    "cost_surface",
    "option_summary",
    "plan_figures",
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
    """What the move does to today's staff, over every room (modelled; FTE unless named).

    From the transport problem of :func:`siteopt.costs.transition.staff_transport` (per room in
    :class:`~siteopt.optimise.allocation.Allocation`): gravity-model homes, retention falling
    with the extra commute, each room's posts filled by movers, then recruits.

    Attributes
    ----------
    staff_today_fte, posts_fte
        Today's staff (the model's FTE of each force's own room) and the new rooms' posts.
    retained_share
        Share of today's staff who move with the job.
    leavers_fte
        Offered a post, declined it (the extra commute).
    redundancies_fte
        Everyone paid redundancy: the leavers and the staff no room has a post for.
    recruits_fte
        Posts filled by recruiting (every room's posts not filled by movers).
    median_extra_minutes, p90_extra_minutes
        Extra one-way commute of those who move (``None`` when nobody does).
    transition_one_off_gbp
        The transport problem's one-off cost: redundancy, recruiting and training, excess
        travel (present value).
    transition_gbp
        The same a year (annualised over the appraisal period).
    priced_transition_gbp
        The transition term the optimiser priced in the objective (``costs.transition``): each
        force's staff to one room, posts and stayers over all rooms together (``docs/model.md``).
    transition_one_off_basis
        ``"optimal"`` when the transport's matching solves its programme (the LP, or greedy
        offers proven within £1,000 of its bound); ``"upper_bound"`` when greedy offers could not
        be proven so: ``transition_one_off_gbp`` (and ``transition_gbp``) are then upper bounds.
    transition_one_off_lower_gbp
        A proven lower bound on the transport's optimum one-off (Lagrangian), when its offers
        were made greedily (a national plan); ``None`` when the LP solved it.
    """

    staff_today_fte: float
    posts_fte: float
    retained_share: float
    leavers_fte: float
    redundancies_fte: float
    recruits_fte: float
    median_extra_minutes: float | None
    p90_extra_minutes: float | None
    transition_one_off_gbp: float
    transition_gbp: float
    priced_transition_gbp: float
    transition_one_off_basis: Literal["optimal", "upper_bound"] = "optimal"
    transition_one_off_lower_gbp: float | None = None


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
class PlanFigures:
    """An option's money and staff in pounds and FTE, without its staff transition plan.

    The first fields of :class:`Solution`, which extends it (see there for their meaning); a
    sweep, which stores only these, skips the transport problem behind ``staff_impact`` and
    ``allocation`` (:func:`plan_figures`).
    """

    objective_gbp: float
    sites: tuple[SiteResult, ...]
    routing: Routing
    costs: dict[str, float]
    saving_gbp: float
    one_off_gbp: float
    payback_years: float | None
    recurring_saving_gbp: float

    @property
    def site_ids(self) -> tuple[str, ...]:
        """Ids of the open rooms."""
        return tuple(s.id for s in self.sites)

    @property
    def total_fte(self) -> float:
        """Staff FTE over every open room."""
        return sum(s.fte for s in self.sites)


@dataclass(frozen=True)
class Solution(PlanFigures):
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
        What the move does to today's staff (modelled), over every room.
    allocation
        What each open room answers and who fills its posts (same order as ``sites``).
    """

    constraints: tuple[ConstraintResult, ...]
    staff_impact: StaffImpact
    allocation: Allocation

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
        agents = problem.group_row(force_mask(forces))
        costs["sites"] += int(problem.fixed_cost[j])
        costs["seats"] += int(
            problem.seat_cost[j] * max(0, int(agents.max()) - int(problem.existing_seats[j]))
        )
        costs["staff"] += int(problem.agent_cost[j] * agents.sum())
        if problem.has_functions:
            priced, _ = problem.functions_priced([j], [force_mask(forces)], [int(agents.sum())])
            costs["functions"] = costs.get("functions", 0) + priced
    return costs


def _staff_impact(
    transport: StaffTransport, allocation: Allocation, option: Option, annual: float
) -> StaffImpact:
    """Totals of the transport problem over every room (one-off costs also annualised)."""
    staff = sum(f.staff_fte for f in allocation.forces)
    movers = sum(r.movers_fte for r in allocation.rooms)
    leavers = sum(f.leavers_fte for f in allocation.forces)
    surplus = sum(f.surplus_fte for f in allocation.forces)
    median, p90 = _extra_commute_quantiles(transport)
    return StaffImpact(
        staff_today_fte=round(staff, 2),
        posts_fte=round(sum(r.posts_fte for r in allocation.rooms), 2),
        retained_share=round(movers / staff, 4) if staff > 0 else 0.0,
        leavers_fte=round(leavers, 2),
        redundancies_fte=round(leavers + surplus, 2),
        recruits_fte=round(sum(r.recruits_fte for r in allocation.rooms), 2),
        median_extra_minutes=median,
        p90_extra_minutes=p90,
        transition_one_off_gbp=round(transport.one_off_gbp, 2),
        transition_gbp=round(transport.one_off_gbp * annual, 2),
        priced_transition_gbp=gbp(option.costs["transition"]),
        transition_one_off_basis="optimal" if transport.optimal else "upper_bound",
        transition_one_off_lower_gbp=(
            round(transport.lower_bound_gbp, 2) if transport.lower_bound_gbp is not None else None
        ),
    )


def _extra_commute_quantiles(transport: StaffTransport) -> tuple[float | None, float | None]:
    """Median and 90th percentile of the movers' extra one-way commute (minutes)."""
    weights = transport.movers.ravel()
    if not weights.sum() > 0:
        return None, None
    values = transport.extra_minutes.ravel()
    keep = weights > 0
    v, w = values[keep], weights[keep]
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


def plan_figures(
    problem: ProblemData, instance: Instance, option: Option, *, baseline: Mapping[str, int]
) -> PlanFigures:
    """Return an option's costs, saving, one-off and payback in pounds and its rooms' FTE.

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
    return PlanFigures(
        objective_gbp=gbp(option.total),
        sites=_site_results(problem, instance, option),
        routing=option.routing,
        costs={k: gbp(v) for k, v in option.costs.items()},
        saving_gbp=gbp(sum(baseline.values()) - option.total),
        one_off_gbp=one_off,
        payback_years=payback if payback is None or math.isfinite(payback) else None,
        recurring_saving_gbp=round(yearly_gain, 2),
    )


def solution_from_option(
    problem: ProblemData, instance: Instance, option: Option, *, baseline: Mapping[str, int]
) -> Solution:
    """Return the chosen option of an instance as a :class:`Solution` in pounds and FTE.

    ``baseline`` is today's cost a year by component in money units (:func:`baseline_costs`).
    """
    figures = plan_figures(problem, instance, option, baseline=baseline)
    transport = plan_transport(problem, instance, option)
    allocation = plan_allocation(problem, option, transport)
    annual = 1 / annuity_factor(
        instance.costs.discount_rate.value, instance.costs.appraisal_years.value
    )
    return Solution(
        **{f.name: getattr(figures, f.name) for f in fields(PlanFigures)},
        constraints=constraint_results(problem, option),
        staff_impact=_staff_impact(transport, allocation, option, annual),
        allocation=allocation,
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

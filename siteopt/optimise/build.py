"""From an instance to ProblemData.

From an instance to :class:`~siteopt.optimise.problem.ProblemData`: travel
matrices, staffing per group of forces, costs, staff transition and constraints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypedDict

import numpy as np
import numpy.typing as npt

from siteopt.costs.functions import function_cost_per_fte
from siteopt.costs.prices import annuity_factor, employment_cost_per_fte, site_cost_table
from siteopt.costs.transition import transition_parameters, transition_table
from siteopt.demand.volumes import WEEKS_PER_YEAR
from siteopt.errors import InstanceError
from siteopt.network.pairs import PairMinutes
from siteopt.network.points import lsoa_points, site_points
from siteopt.network.sources import commute_network, load_network
from siteopt.network.travel import travel_distances_km, travel_times
from siteopt.optimise.arrays import FTE_UNITS_PER_FTE, MONEY_UNITS_PER_GBP, frozen_int
from siteopt.optimise.constraints import CompileContext, compile_constraints
from siteopt.optimise.problem import ProblemData

if TYPE_CHECKING:
    from siteopt.costs.transition import TransitionParameters, TransitionTable
    from siteopt.instance.schema import Instance
    from siteopt.network.graph import RoadNetwork
    from siteopt.network.points import Points
    from siteopt.queueing.fte import StaffingTable
    from siteopt.queueing.functions import FunctionModel

__all__ = ["BuildCache", "TravelInputs", "problem_from_instance", "travel_inputs"]


IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class TravelInputs:
    """The travel matrices a problem needs, computed once and shared by what-if variants.

    They depend only on the road network, the dataset (LSOA points), the candidate sites and
    today's rooms; a sweep computes them once per distinct set and passes them to
    :func:`problem_from_instance`, which checks that the ids match.
    """

    candidates: tuple[str, ...]
    rooms: tuple[str, ...]
    network: RoadNetwork
    populations: npt.NDArray[np.float64]  # LSOAs × (mid-2015, mid-2019)
    home_minutes: npt.NDArray[np.float64]  # LSOAs × (candidates, then rooms)
    home_km: npt.NDArray[np.float64]
    # candidates × candidates; None above DENSE_SITES candidates (measured pair by pair)
    site_minutes: npt.NDArray[np.float64] | None
    room_minutes: npt.NDArray[np.float64]  # rooms × candidates
    # staff commutes at shift change ([network.congestion]); None: the free-flow home matrices
    commute_minutes: npt.NDArray[np.float64] | None = None
    commute_km: npt.NDArray[np.float64] | None = None
    commute_network: RoadNetwork | None = None

    @property
    def staff_minutes(self) -> npt.NDArray[np.float64]:
        """``(LSOAs, candidates + rooms)`` drive minutes of staff commutes (congested if set)."""
        return self.home_minutes if self.commute_minutes is None else self.commute_minutes

    @property
    def staff_km(self) -> npt.NDArray[np.float64]:
        """Road km of staff commutes along their fastest routes (congested if set)."""
        return self.home_km if self.commute_km is None else self.commute_km

    @property
    def note(self) -> str:
        """The travel note of outputs: the network's provenance and the commute congestion."""
        return (self.commute_network or self.network).provenance


#: Up to this many candidates the candidate × candidate minutes are one dense matrix (8 MB);
#: beyond (a greenfield grid: 6,122 at 1 km, 300 MB) the constraints measure the pairs they
#: need (:class:`~siteopt.network.pairs.PairMinutes`).
DENSE_SITES = 1024


def travel_inputs(instance: Instance, *, dense_sites: int = DENSE_SITES) -> TravelInputs:
    """Return the travel matrices of an instance: homes → sites and rooms, rooms → sites.

    The candidate × candidate minutes are left out (``None``) above ``dense_sites`` candidates.
    """
    candidates = instance.candidate_ids()
    rooms = [instance.forces[f].current_site for f in instance.forces]
    network = load_network(instance)
    homes, populations = lsoa_points(instance.dataset())
    cand_points = site_points(instance, candidates)
    room_points = site_points(instance, rooms)
    allow = instance.network.allow_unreachable
    home_min = _home_matrix(network, homes, (cand_points, room_points), allow)
    home_km = _home_matrix(network, homes, (cand_points, room_points), None)
    commuting = commute_network(instance, network)
    congested = commuting is not network
    return TravelInputs(
        candidates=tuple(candidates),
        rooms=tuple(rooms),
        network=network,
        populations=populations,
        home_minutes=home_min,
        home_km=home_km,
        commute_minutes=(
            _home_matrix(commuting, homes, (cand_points, room_points), allow) if congested else None
        ),
        commute_km=(
            _home_matrix(commuting, homes, (cand_points, room_points), None) if congested else None
        ),
        commute_network=commuting if congested else None,
        site_minutes=(
            travel_times(network, cand_points, cand_points, allow_unreachable=allow).minutes
            if len(candidates) <= dense_sites
            else None
        ),
        room_minutes=travel_times(
            network, room_points, cand_points, allow_unreachable=allow
        ).minutes,
    )


def _home_matrix(
    network: RoadNetwork, homes: Points, targets: tuple[Points, ...], allow: bool | None
) -> npt.NDArray[np.float64]:
    """Homes → each group of targets side by side: minutes (``allow`` given) or road km.

    Each group is written into its columns as it comes (a 1 km grid's group is 76 MB: no
    stacked copies).
    """
    out = np.empty((len(homes), sum(len(t) for t in targets)))
    start = 0
    for group in targets:
        columns = out[:, start : start + len(group)]
        if allow is None:
            columns[...] = travel_distances_km(network, homes, group)
        else:
            seconds = travel_times(network, homes, group, allow_unreachable=allow).seconds
            np.divide(seconds, 60.0, out=columns)  # as TravelTimes.minutes
        start += len(group)
    return out


@dataclass(frozen=True)
class BuildCache:
    """Parts of problems that many builds share (a sweep batch), each keyed on its own inputs.

    :func:`problem_from_instance` looks a part up by every figure it is computed from, so a
    build that varies one of them computes its own: the staff transition tables are keyed on
    the travel inputs (held here, so their identity stays valid), the population year and
    the transition figures.
    """

    transitions: dict[
        tuple[int, int, TransitionParameters], tuple[TravelInputs, TransitionTable]
    ] = field(default_factory=dict)

    def transition(
        self, travel: TravelInputs, year: int, params: TransitionParameters
    ) -> TransitionTable:
        """The staff transition table of ``travel``'s staff commutes at ``year``'s population."""
        key = (id(travel), year, params)
        if key not in self.transitions:
            self.transitions[key] = (travel, _transition_table(travel, year, params))
        return self.transitions[key][1]


def _transition_table(
    travel: TravelInputs, year: int, params: TransitionParameters
) -> TransitionTable:
    """Stay shares and excess travel of every force's staff for every candidate (and room)."""
    n_cand = len(travel.candidates)
    return transition_table(
        population=travel.populations[:, 0 if year == 2015 else 1],
        minutes=travel.staff_minutes,
        km=travel.staff_km,
        current_room=np.arange(n_cand, n_cand + len(travel.rooms)),
        params=params,
    )


def problem_from_instance(
    instance: Instance,
    *,
    travel: TravelInputs | None = None,
    staffing_table: StaffingTable | None = None,
    shared: dict[str, _FunctionArrays | None] | None = None,
    cache: BuildCache | None = None,
) -> ProblemData:
    """Build the integer problem data of an instance (staffing, costs, travel, constraints).

    Travel times come from the instance's road network (cached on disk); the transition of staff
    uses the gravity model of :mod:`siteopt.costs.transition`. ``travel`` and ``staffing_table``,
    when given, are used instead of being computed (a sweep shares them between scenarios); the
    caller vouches that the staffing table was built from the same demand and staffing fields.
    ``shared`` keeps the priced non-call functions between calls (same vouching: the functions,
    demand, staffing and pay fields unchanged). ``cache`` shares parts keyed on their inputs
    between builds (:class:`BuildCache`).
    """
    from siteopt.queueing.fte import instance_shrinkage, room_fte  # noqa: PLC0415 (lazy: pulls in scipy)

    candidates = instance.candidate_ids()
    forces = list(instance.forces)
    rooms = [instance.forces[f].current_site for f in forces]
    if travel is None:
        travel = travel_inputs(instance)
    elif travel.candidates != tuple(candidates) or travel.rooms != tuple(rooms):
        msg = (
            f"travel inputs are for candidates {travel.candidates} and rooms {travel.rooms}, "
            f"the instance has {tuple(candidates)} and {tuple(rooms)}"
        )
        raise ValueError(msg)
    network = travel.network
    population = travel.populations[:, 0 if instance.data.population_year == 2015 else 1]
    home_min = travel.home_minutes
    staff_min, staff_km = travel.staff_minutes, travel.staff_km  # at shift change
    site_min: npt.NDArray[np.float64] | PairMinutes | None = travel.site_minutes
    if site_min is None:
        site_min = PairMinutes.on_network(
            network,
            site_points(instance, candidates),
            allow_unreachable=instance.network.allow_unreachable,
        )
    room_min = travel.room_minutes

    # Staffing per force group.
    n_forces = len(forces)
    masks = _group_masks(instance)
    groups = {
        row: [forces[f] for f in range(n_forces) if mask >> f & 1]
        for row, mask in enumerate(masks)
        if mask
    }
    table = (
        staffing_table
        if staffing_table is not None
        else _stored_staffing_table(instance, [*groups.values(), *([f] for f in forces)])
    )
    min_crew = instance.staffing.min_positions_per_site.value
    group_agents = np.zeros((len(masks), table.rates_per_hour.shape[2]), dtype=np.int64)
    for row, group in groups.items():
        group_agents[row] = np.maximum(table.agents_for(group), min_crew)
    levels, level_of_interval, weights = np.unique(
        table.agents_for(forces), return_inverse=True, return_counts=True
    )

    # Money and FTE per agent-interval.
    staffing = instance.staffing
    shrinkage = instance_shrinkage(instance).total
    per_agent_interval_fte = table.interval_hours / (
        (1 - shrinkage) * staffing.contract_hours_per_week.value
    )
    supervisors = staffing.supervisor_ratio.value if staffing.supervisor_ratio else 0.0
    costs = site_cost_table(instance)
    agent_cost = [
        per_agent_interval_fte
        * (
            employment_cost_per_fte(instance, area)
            + supervisors * employment_cost_per_fte(instance, area, supervisor=True)
        )
        * MONEY_UNITS_PER_GBP
        for area in costs.forces
    ]
    agent_fte = per_agent_interval_fte * (1 + supervisors) * FTE_UNITS_PER_FTE

    rate = instance.costs.discount_rate.value
    years = instance.costs.appraisal_years.value
    bias = instance.costs.optimism_bias.value
    annual = 1 / annuity_factor(rate, years)
    is_room = np.array([sid in rooms for sid in candidates])
    fixed = (
        costs.running_cost_gbp
        + np.where(is_room, 0.0, costs.move_one_off_gbp) * (1 + bias) * annual
    ) * MONEY_UNITS_PER_GBP
    seat = costs.fit_out_per_seat_gbp * (1 + bias) * annual * MONEY_UNITS_PER_GBP

    # Staff transition: today's staff = the model's FTE of each force's own room.
    staff_fte = np.array(
        [float(room_fte(instance, table.agents_for([f])).total_fte) for f in forces]
    )
    if shared is None or "functions" not in shared:
        functions = _function_arrays(
            instance,
            table,
            areas=costs.forces,
            agent_fte=per_agent_interval_fte * (1 + supervisors),
        )
        shared = {} if shared is None else shared
        shared["functions"] = functions
    functions = shared["functions"]
    if functions is not None:
        staff_fte = functions.today_fte(instance, staff_fte)
    trans = instance.transition
    params = transition_parameters(instance)
    n_cand = len(candidates)
    year = instance.data.population_year
    moves = (
        cache.transition(travel, year, params)
        if cache is not None
        else _transition_table(travel, year, params)
    )
    stay_share = moves.stay_share[:, :n_cand]
    redundancy = trans.redundancy_gbp.value
    move_gbp = staff_fte[:, None] * (
        (1 - stay_share) * redundancy + moves.excess_travel_pv_gbp[:, :n_cand]
    )
    room_rank = np.argsort(np.argsort(room_min, axis=1, kind="stable"), axis=1, kind="stable")
    _check_model_range(
        instance,
        {
            "sites.running_cost_gbp / move_one_off_gbp": fixed.sum(),
            "sites.fit_out_per_seat_gbp": (seat * costs.max_seats).sum(),
            "pay (salaries)": (
                np.asarray(agent_cost) * costs.max_seats * table.rates_per_hour.shape[2]
            ).sum(),
            "transition (redundancy_gbp, excess_travel_gbp_per_km)": (
                move_gbp.max(axis=1).sum() * annual * MONEY_UNITS_PER_GBP
            ),
            "transition.recruit_train_gbp": trans.recruit_train_gbp.value
            * annual
            * MONEY_UNITS_PER_GBP
            * staff_fte.sum(),
            "costs.ict_one_off_gbp": instance.costs.ict_one_off_gbp.value
            * (1 + bias)
            * annual
            * MONEY_UNITS_PER_GBP,
        },
    )

    problem_constraints = compile_constraints(
        CompileContext(
            instance=instance,
            network=network,
            candidates=tuple(candidates),
            population=population,
            home_minutes=home_min,
            site_minutes=site_min,
            commute_minutes=travel.commute_minutes,
            staff_fte=staff_fte,
            peak_positions=int(group_agents[-1].max()),
            max_seats=costs.max_seats,
        )
    )
    # Calls of each force in each interval of the average week (all streams).
    interval_calls = table.rates_per_hour.sum(axis=1) * table.interval_hours
    interval_calls.setflags(write=False)
    return ProblemData(
        site_ids=tuple(candidates),
        force_ids=tuple(forces),
        k_min=instance.solver.k_min,
        k_max=instance.solver.k_max,
        routings=tuple(instance.staffing.routing),
        group_agents=frozen_int(group_agents),
        pooled_levels=frozen_int(levels),
        level_weights=frozen_int(weights),
        level_of_interval=frozen_int(level_of_interval),
        min_crew=min_crew,
        agent_cost=frozen_int(np.rint(agent_cost)),
        agent_fte=round(agent_fte),
        existing_seats=frozen_int(costs.existing_seats),
        max_seats=frozen_int(costs.max_seats),
        fixed_cost=frozen_int(np.rint(fixed)),
        seat_cost=frozen_int(np.rint(seat)),
        merge_cost=round(
            instance.costs.ict_one_off_gbp.value * (1 + bias) * annual * MONEY_UNITS_PER_GBP
        ),
        staff=frozen_int(np.rint(staff_fte * FTE_UNITS_PER_FTE)),
        stay=frozen_int(np.rint(staff_fte[:, None] * stay_share * FTE_UNITS_PER_FTE)),
        move_cost=frozen_int(np.rint(move_gbp * annual * MONEY_UNITS_PER_GBP)),
        redundancy_cost=round(redundancy * annual * MONEY_UNITS_PER_GBP / FTE_UNITS_PER_FTE),
        recruit_cost=round(
            trans.recruit_train_gbp.value * annual * MONEY_UNITS_PER_GBP / FTE_UNITS_PER_FTE
        ),
        room_rank=frozen_int(room_rank),
        force_calls=frozen_int(np.rint(interval_calls.sum(axis=1) * WEEKS_PER_YEAR)),
        interval_calls=interval_calls,
        **(functions.arrays() if functions is not None else {}),
        group_masks=None if len(masks) == 2**n_forces else frozen_int(masks),
        constraints=problem_constraints,
        home_share=moves.home_share,
        home_minutes=staff_min[:, :n_cand],
        home_minutes_today=staff_min[:, n_cand:],
        home_km=staff_km[:, :n_cand],
        home_km_today=staff_km[:, n_cand:],
    )


#: Largest total a year the integer model may reach (money units): CP-SAT sums coefficient times
#: bound in 64 bits (9.2e18), and the solver's own sums need headroom beyond the objective.
MAX_MODEL_UNITS = 2.0**60


def _check_model_range(instance: Instance, terms: dict[str, float]) -> None:
    """Refuse money figures whose worst case would overflow the integer model, naming the largest.

    ``terms`` maps the fields behind each cost term to its largest possible value a year (money
    units: every candidate open at its maximum seats).
    """
    total = sum(terms.values())
    if np.isfinite(total) and total <= MAX_MODEL_UNITS:
        return
    field = max(terms, key=lambda name: terms[name])
    limit_gbp = MAX_MODEL_UNITS / MONEY_UNITS_PER_GBP
    msg = (
        f"too large for the integer model: every candidate open at its max_seats would cost "
        f"£{total / MONEY_UNITS_PER_GBP:,.3g} a year (limit £{limit_gbp:,.3g}); lower these "
        "figures, max_seats or the number of candidates"
    )
    raise InstanceError(instance.file, field, msg)


#: Up to this many forces every force group's staffing is tabulated (``2^F`` rows: by-force
#: routing and the non-call functions price any group); beyond, pooled routing only.
DENSE_FORCES = 12


def _stored_staffing_table(instance: Instance, groups: list[list[str]]) -> StaffingTable:
    """The instance's staffing table with the requirement of every group in ``groups`` known.

    Read from the staffing cache beside the travel-time cache when an earlier run stored the
    same table (:mod:`siteopt.queueing.store`), else computed and stored.
    """
    from siteopt.queueing.fte import staffing_table  # noqa: PLC0415 (lazy: pulls in scipy)
    from siteopt.queueing.store import persisted_requirements  # noqa: PLC0415 (lazy: see above)

    with persisted_requirements(staffing_table(instance)) as table:
        for group in groups:
            table.agents_for(group)
    return table


def _group_masks(instance: Instance) -> list[int]:
    """Bit masks of the force groups whose staffing the problem holds, ascending.

    Every group for a few forces; for many (a national run) each force alone (today's rooms)
    and all forces (the pooled rooms), which is all that pooled routing reads.
    """
    n_forces = len(instance.forces)
    if n_forces <= DENSE_FORCES:
        return list(range(2**n_forces))
    if list(instance.staffing.routing) != ["pooled"]:
        msg = (
            f'expected ["pooled"] with more than {DENSE_FORCES} forces ({n_forces}): routing '
            "by force prices every group of forces, 2^F of them"
        )
        raise InstanceError(instance.file, "staffing.routing", msg)
    functions = instance.functions
    penalty = functions.local_knowledge_penalty
    if functions.in_scope != ["call_handling"] or (penalty is not None and penalty.value > 0):
        msg = (
            f"expected call handling only in scope and no local-knowledge penalty with more "
            f"than {DENSE_FORCES} forces ({n_forces}): "
            "the functions are priced per group of forces, 2^F of them"
        )
        raise InstanceError(instance.file, "functions.in_scope", msg)
    return sorted({1 << f for f in range(n_forces)} | {2**n_forces - 1})


class _FunctionFields(TypedDict, total=False):
    post_cost: IntArray
    post_fte: IntArray
    group_cost: IntArray
    group_fte: IntArray
    agent_extra_cost: IntArray
    agent_extra_fte: int


@dataclass(frozen=True)
class _FunctionArrays:
    """The non-call functions priced per candidate and force group (before integer rounding)."""

    model: FunctionModel
    post_cost: npt.NDArray[np.float64]
    post_fte: npt.NDArray[np.float64]
    group_cost: npt.NDArray[np.float64]
    group_fte: npt.NDArray[np.float64]
    agent_extra_cost: npt.NDArray[np.float64]
    agent_extra_fte: float

    def arrays(self) -> _FunctionFields:
        """The ProblemData fields, in money and FTE units."""
        money, staff = MONEY_UNITS_PER_GBP, FTE_UNITS_PER_FTE
        return {
            "post_cost": frozen_int(np.rint(self.post_cost * money)),
            "post_fte": frozen_int(np.rint(self.post_fte * staff)),
            "group_cost": frozen_int(np.rint(self.group_cost * money)),
            "group_fte": frozen_int(np.rint(self.group_fte * staff)),
            "agent_extra_cost": frozen_int(np.rint(self.agent_extra_cost * money)),
            "agent_extra_fte": round(self.agent_extra_fte * staff),
        }

    def today_fte(
        self, instance: Instance, call_fte: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.float64]:
        """Each force's FTE today in the functions in scope (its call-handling FTE given)."""
        forces = list(instance.forces)
        rooms = [instance.forces[f].current_site for f in forces]
        result = []
        for f, fid in enumerate(forces):
            area = _site_area(instance, rooms[f])
            outside = [f] if area != fid else []
            sharing = rooms.count(rooms[f])
            fte = self.model.establishment(
                forces=[f],
                outside=outside,
                call_fte=float(call_fte[f]),
                rooms=1 / sharing,
                scope_only=True,
            )
            result.append(sum(fte.values()))
        return np.asarray(result)


def _site_area(instance: Instance, sid: str) -> str:
    sites = instance.dataset().sites
    return sites[sid].force if sid in sites else instance.sites.custom[sid].force


def _function_arrays(
    instance: Instance, table: StaffingTable, *, areas: tuple[str, ...], agent_fte: float
) -> _FunctionArrays | None:
    """Price the functions in scope per candidate (``None``: call handling only, no penalty).

    ``areas`` is each candidate's force area (pay and local knowledge); ``agent_fte`` the FTE
    of one call-handling agent on duty in one interval of every week, supervisors included.
    """
    from siteopt.queueing.functions import function_model  # noqa: PLC0415 (lazy: pulls in scipy)

    model = function_model(instance, table)
    moving = [name for name in model.in_scope if name != "call_handling"]
    if not moving and model.penalty == 0:
        return None
    n_forces = len(model.forces)
    forces = list(model.forces)
    unit = {
        area: {
            name: function_cost_per_fte(instance, name, area)
            for name in model.labels
            if name in model.defined or name == "local_knowledge"
        }
        for area in set(areas)
    }

    def cost(fte: dict[str, float], area: str) -> float:
        return sum(n * unit[area][name] for name, n in fte.items())

    per_area_group: dict[tuple[str, int], tuple[float, float]] = {}
    post_cost, post_fte = [], []
    group_cost = np.zeros((len(areas), 2**n_forces))
    group_fte = np.zeros((len(areas), 2**n_forces))
    for j, area in enumerate(areas):
        posts = model.establishment(forces=[], call_fte=0.0, rooms=1.0, scope_only=True)
        post_cost.append(cost(posts, area))
        post_fte.append(sum(posts.values()))
        for mask in range(1, 2**n_forces):
            key = (area, mask)
            if key not in per_area_group:
                group = [f for f in range(n_forces) if mask >> f & 1]
                outside = [f for f in group if forces[f] != area]
                fte = model.establishment(
                    forces=group, outside=outside, call_fte=0.0, rooms=0.0, scope_only=True
                )
                per_area_group[key] = (cost(fte, area), sum(fte.values()))
            group_cost[j, mask], group_fte[j, mask] = per_area_group[key]
    share = model.per_fte_share()
    extra_unit = {
        area: sum(r.per_fte * unit[area][r.name] for r in model.rooms if model.moves(r.name))
        for area in set(areas)
    }
    return _FunctionArrays(
        model=model,
        post_cost=np.asarray(post_cost),
        post_fte=np.asarray(post_fte),
        group_cost=group_cost,
        group_fte=group_fte,
        agent_extra_cost=np.array([agent_fte * extra_unit[a] for a in areas]),
        agent_extra_fte=agent_fte * share,
    )

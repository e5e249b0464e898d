"""Problem data built from an instance: shapes, units, and values checked by hand."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from siteopt.costs.prices import annuity_factor
from siteopt.instance.figures import Figure
from siteopt.instance.loading import load_instance
from siteopt.instance.schema import DispatchArea, Functions, Instance
from siteopt.optimise.build import TravelInputs, problem_from_instance, travel_inputs
from siteopt.optimise.constraints import Separation, StaffCommute
from siteopt.optimise.options import best_options, option_table
from siteopt.optimise.problem import FTE_UNITS_PER_FTE, MONEY_UNITS_PER_GBP, ProblemData
from siteopt.optimise.solution import baseline_costs
from siteopt.optimise.solve import solve
from siteopt.queueing.fte import room_fte, staffing_table
from siteopt.queueing.functions import function_model
from tests.conftest import INSTANCES


@pytest.fixture(scope="module")
def toy() -> ProblemData:
    """The toy instance's problem data."""
    return problem_from_instance(load_instance(INSTANCES / "toy.toml"))


def test_shapes_and_read_only_arrays(toy: ProblemData) -> None:
    """Arrays are aligned with the candidates and forces and cannot be written."""
    assert toy.site_ids == ("kempston", "hinchingbrooke", "welwyn", "luton")
    assert toy.force_ids == ("bedfordshire", "cambridgeshire", "hertfordshire")
    assert toy.group_agents.shape == (8, 168)
    assert toy.stay.shape == toy.move_cost.shape == (3, 4)
    assert not toy.group_agents.flags.writeable
    assert toy.level_weights.sum() == 168


def test_staffing_and_pay_units_by_hand(toy: ProblemData) -> None:
    """Agent cost: one agent-hour a week for a year at Beds pay (no supervisors in the toy)."""
    instance = load_instance(INSTANCES / "toy.toml")
    productive_hours = 37 * (1 - (0.12 + 0.05 + 0.03 + 0.05))
    beds = 20_000 * 1.2 * (1 + 0.08 + 0.15)
    assert toy.agent_cost[0] == round(beds / productive_hours * MONEY_UNITS_PER_GBP)
    assert toy.agent_fte == round(FTE_UNITS_PER_FTE / productive_hours)
    table = staffing_table(instance)
    beds_alone = np.maximum(table.agents_for(["bedfordshire"]), 2)
    assert toy.group_agents[1].tolist() == beds_alone.tolist()
    staff = float(room_fte(instance, table.agents_for(["bedfordshire"])).total_fte)
    assert toy.staff[0] == round(staff * FTE_UNITS_PER_FTE)


def test_buildings_and_one_offs_by_hand(toy: ProblemData) -> None:
    """Move costs only away from today's rooms; one-offs annualised over 10 years at 3.5%."""
    annual = 1 / annuity_factor(0.035, 10)
    assert toy.fixed_cost[0] == round(100_000 * MONEY_UNITS_PER_GBP)  # Kempston: a current room
    assert toy.fixed_cost[3] == round((100_000 + 100_000 * annual) * MONEY_UNITS_PER_GBP)
    assert toy.seat_cost[0] == round(10_000 * annual * MONEY_UNITS_PER_GBP)
    assert toy.merge_cost == round(200_000 * annual * MONEY_UNITS_PER_GBP)
    assert toy.existing_seats.tolist() == [0, 0, 12, 0]


def test_staying_at_todays_room_keeps_everyone_at_no_cost(toy: ProblemData) -> None:
    """A force whose room stays open keeps all its staff and pays no move cost."""
    for f, room in enumerate(("kempston", "hinchingbrooke", "welwyn")):
        j = toy.site_ids.index(room)
        assert abs(int(toy.stay[f, j]) - int(toy.staff[f])) <= 1
        assert toy.move_cost[f, j] == 0
        assert toy.room_rank[f, j] == 0
    assert np.all(toy.stay <= toy.staff[:, None] + 1)


def test_constraints_are_precomputed(toy: ProblemData) -> None:
    """The toy's two constraints: staff commute and site separation."""
    commute, separation = toy.constraints
    assert (commute.kind, separation.kind) == ("staff_commute", "site_separation")
    assert type(commute) is StaffCommute
    assert commute.required == int(np.ceil(0.5 * toy.staff.sum()))
    assert type(separation) is Separation
    assert not separation.conflict.diagonal().any()
    assert (separation.conflict == separation.conflict.T).all()


def test_calls_per_force_are_the_instances_yearly_volumes(toy: ProblemData) -> None:
    """Calls a year (integers) and per interval of the average week, from the demand volumes."""
    from siteopt.demand.volumes import WEEKS_PER_YEAR, annual_volumes

    instance = load_instance(INSTANCES / "toy.toml")
    yearly = dict.fromkeys(toy.force_ids, 0.0)
    for volume in annual_volumes(instance):
        yearly[volume.force] += volume.calls
    assert toy.force_calls is not None
    assert toy.force_calls.tolist() == [round(yearly[f]) for f in toy.force_ids]
    assert toy.interval_calls is not None
    assert toy.interval_calls.shape == (3, 168)
    week = toy.interval_calls.sum(axis=1) * WEEKS_PER_YEAR
    assert week == pytest.approx([yearly[f] for f in toy.force_ids])


def test_bch_default_has_a_feasible_best_option() -> None:
    """On the BCH default, the best one- or two-site option meets every constraint."""
    problem = problem_from_instance(load_instance(INSTANCES / "bch-2015.toml"))
    best = best_options(problem, n=3)
    assert best[0].feasible
    assert best[0].total <= best[1].total <= best[2].total
    assert len(problem.constraints) == 5


def test_a_fallback_building_is_never_a_greenfield_grid_point() -> None:
    """Grid points are hypothetical: only standing buildings can take a failed room's load."""
    from siteopt.optimise.constraints import Fallback

    instance = load_instance(INSTANCES / "bch-greenfield.toml")
    problem = problem_from_instance(instance)
    (fallback,) = [c for c in problem.constraints if c.kind == "fallback"]
    assert type(fallback) is Fallback
    named = [b for b in fallback.fallback_of if b]
    assert named  # some sites have one
    greenfield = {g.id for g in instance.greenfield_sites}
    assert not greenfield & set(named)
    assert all(b in problem.site_ids for b in named)


# ---------------------------------------------------------------------------------------------
# Functions beyond call handling (docs/model.md "Functions")


@pytest.fixture(scope="module")
def bch_instance() -> Instance:
    return load_instance(INSTANCES / "bch-2015.toml")


@pytest.fixture(scope="module")
def bch_travel(bch_instance: Instance) -> TravelInputs:
    return travel_inputs(bch_instance)


def with_functions(instance: Instance, **update: object) -> Instance:
    return instance.model_copy(update={"functions": instance.functions.model_copy(update=update)})


def test_call_handling_alone_reproduces_the_old_result_exactly(
    bch_instance: Instance, bch_travel: TravelInputs
) -> None:
    """in_scope = ["call_handling"] without a penalty: the model of call handling only, to the
    unit (Kempston alone, £8.17M a year against £11.08M today, as before functions existed)."""
    narrow = with_functions(bch_instance, in_scope=["call_handling"], local_knowledge_penalty=None)
    bare = bch_instance.model_copy(update={"functions": Functions()})
    problem = problem_from_instance(narrow, travel=bch_travel)
    reference = problem_from_instance(bare, travel=bch_travel)
    assert not problem.has_functions
    for name in ("agent_cost", "agent_fte", "fixed_cost", "staff", "stay", "move_cost"):
        assert np.array_equal(getattr(problem, name), getattr(reference, name)), name
    result = solve(narrow, problem=problem)
    assert result.solution is not None
    solution = result.solution
    assert [s.id for s in solution.sites] == ["kempston"]
    assert round(solution.objective_gbp / 1e6, 2) == 8.17
    assert round(result.baseline_gbp / 1e6, 2) == 11.08


def test_penalty_zero_changes_nothing(bch_instance: Instance, bch_travel: TravelInputs) -> None:
    """A local-knowledge penalty of 0 prices every option exactly as no penalty at all."""
    zero = Figure[float](value=0.0, assumption="test")
    with_zero = problem_from_instance(
        with_functions(bch_instance, local_knowledge_penalty=zero), travel=bch_travel
    )
    without = problem_from_instance(
        with_functions(bch_instance, local_knowledge_penalty=None), travel=bch_travel
    )
    assert np.array_equal(option_table(with_zero).total, option_table(without).total)
    assert with_zero.group_cost is not None and without.group_cost is not None
    assert np.array_equal(with_zero.group_cost, without.group_cost)


def test_raising_the_penalty_never_makes_pooling_cheaper(
    bch_instance: Instance, bch_travel: TravelInputs
) -> None:
    """Every site set costs at least as much with a larger penalty; today's cost is unchanged
    (each force in its own area), so the saving of pooling can only shrink."""
    tables, todays = [], []
    for value in (0.0, 0.05, 0.2, 0.5):
        penalty = Figure[float](value=value, assumption="test")
        instance = with_functions(bch_instance, local_knowledge_penalty=penalty)
        problem = problem_from_instance(instance, travel=bch_travel)
        tables.append(option_table(problem))
        todays.append(sum(baseline_costs(problem, instance).values()))
    assert len(set(todays)) == 1
    for low, high in itertools.pairwise(tables):
        assert (high.total >= low.total).all()
        assert high.total[high.feasible].min() >= low.total[low.feasible].min()
    assert (tables[-1].total > tables[0].total).any()


def test_adding_a_dispatch_area_never_lowers_the_cost(
    bch_instance: Instance, bch_travel: TravelInputs
) -> None:
    """Hertfordshire with an eleventh area (a share of St Albans split off): no option is
    cheaper, and today costs more."""
    dispatch = bch_instance.functions.dispatch
    assert dispatch is not None
    model = function_model(bch_instance, staffing_table(bch_instance))
    herts = {
        a.name: DispatchArea(share=Figure[float](value=a.share, assumption="test"))
        for a in model.areas
        if a.force == 2
    }
    split = herts["st-albans"].share.value / 2
    herts["st-albans"] = DispatchArea(share=Figure[float](value=split, assumption="test"))
    herts["st-albans-east"] = DispatchArea(share=Figure[float](value=split, assumption="test"))
    more = with_functions(
        bch_instance, dispatch=dispatch.model_copy(update={"areas": {"hertfordshire": herts}})
    )
    base = problem_from_instance(bch_instance, travel=bch_travel)
    extra = problem_from_instance(more, travel=bch_travel)
    assert extra.group_fte is not None and base.group_fte is not None
    assert (extra.group_fte >= base.group_fte).all()
    assert option_table(extra).total.min() >= option_table(base).total.min()
    assert sum(baseline_costs(extra, more).values()) > sum(
        baseline_costs(base, bch_instance).values()
    )


def test_functions_reconcile_with_todays_establishment(
    bch_instance: Instance, bch_travel: TravelInputs
) -> None:
    """Today's staff in the transition are the whole modelled establishment in scope."""
    problem = problem_from_instance(bch_instance, travel=bch_travel)
    assert problem.has_functions
    total = problem.staff.sum() / FTE_UNITS_PER_FTE
    published = bch_instance.functions.published_staff
    assert published is not None
    assert abs(total - published.value) <= 0.15 * published.value

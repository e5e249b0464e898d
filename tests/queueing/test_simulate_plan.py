"""Simulating a chosen plan: its rooms' agents exactly, normal running and each room failing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siteopt.errors import StaffingError
from siteopt.instance.loading import load_instance
from siteopt.instance.schema import Instance
from siteopt.queueing.fte import staffing_table
from siteopt.queueing.plan_simulation import PlanRooms, apportion, simulate_plan, split_into_teams
from siteopt.queueing.site_roster import plan_requirement, plan_rosters
from tests.conftest import INSTANCES

FORCES = ("bedfordshire", "cambridgeshire", "hertfordshire")


@pytest.fixture(scope="module")
def toy() -> Instance:
    """The toy instance: two streams (999 without patience, 101 with), a 60-min decamp."""
    return load_instance(INSTANCES / "toy.toml")


def pooled_agents(instance: Instance) -> np.ndarray:
    """Agents per hour of one room answering every call (Erlang requirement, minimum crew)."""
    table = staffing_table(instance)
    return np.maximum(table.agents_for(FORCES), instance.staffing.min_positions_per_site.value)


def two_rooms(instance: Instance) -> PlanRooms:
    """The pooled requirement shared 70 / 30 between two rooms each interval."""
    total = pooled_agents(instance)
    agents = np.stack([apportion(int(n), [0.7, 0.3]) for n in total], axis=1)
    return PlanRooms(("hinchingbrooke", "kempston"), agents, (40, 40), None)


@settings(max_examples=60, deadline=None)
@given(
    total=st.integers(0, 300),
    weights=st.lists(st.floats(0, 100, allow_nan=False), min_size=1, max_size=6),
)
def test_apportion_adds_up_and_stays_within_one_of_the_quota(
    total: int, weights: list[float]
) -> None:
    parts = apportion(total, weights)
    assert parts.sum() == total and (parts >= 0).all()
    w = np.asarray(weights) if sum(weights) > 0 else np.ones(len(weights))
    assert np.all(np.abs(parts - total * w / w.sum()) < 1 + 1e-9)


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    rooms=st.integers(1, 3),
    teams=st.integers(1, 3),
    intervals=st.integers(1, 5),
)
def test_split_into_teams_keeps_every_room_and_team_total(
    data: st.DataObject, rooms: int, teams: int, intervals: int
) -> None:
    cells = st.lists(st.integers(0, 40), min_size=rooms * intervals, max_size=rooms * intervals)
    room_agents = np.array(data.draw(cells), dtype=np.int64).reshape(rooms, intervals)
    weights = st.lists(st.integers(0, 30), min_size=teams * intervals, max_size=teams * intervals)
    team_weights = np.array(data.draw(weights), dtype=np.int64).reshape(teams, intervals)
    split = split_into_teams(room_agents, team_weights)
    assert (split >= 0).all()
    assert (split.sum(axis=1) == room_agents).all()
    for t in range(intervals):
        expected = apportion(int(room_agents[:, t].sum()), team_weights[:, t])
        assert (split[:, :, t].sum(axis=0) == expected).all()


def test_one_room_meets_its_targets_and_without_a_fallback_answers_nothing_when_out(
    toy: Instance,
) -> None:
    """The toy has no fallback constraint: while its one room is out no call is answered."""
    agents = pooled_agents(toy)[np.newaxis, :]
    plan = PlanRooms(("welwyn",), agents, (int(agents.max()),), None)
    sim = simulate_plan(toy, plan, fail_hours=3.0, replications=6, seed=3)
    assert (sim.agents == agents).all() and (sim.team_agents.sum(axis=1) == agents).all()
    week = sim.week
    targets = np.array([share for share, _ in sim.targets])
    assert (week.service_level + week.service_level_ci >= targets).all()
    (failure,) = sim.failures
    assert failure.site == "welwyn" and failure.decamp_minutes is None
    assert "no fallback" in failure.answered_by
    assert failure.agents_down == failure.agents_decamped == 0.0
    span = slice(round(failure.start_h), round(failure.start_h) + 3)
    assert failure.agents_normal == pytest.approx(agents[0, span].mean())
    assert (failure.during.service_level < 0.05).all()
    assert failure.during.abandon_share[1] > 0.5  # 101 callers give up; 999 callers wait
    assert (failure.during_without_failure.service_level > 0.6).all()


def test_losing_the_bigger_pooled_room_hurts_more_and_its_staff_decamp(toy: Instance) -> None:
    plan = two_rooms(toy)
    sim = simulate_plan(toy, plan, fail_hours=4.0, replications=6, seed=5)
    big, small = sim.failures
    assert (big.site, small.site) == ("hinchingbrooke", "kempston")
    assert big.start_h == small.start_h and big.hours == 4.0 == big.recovery_hours
    span = slice(round(big.start_h), round(big.start_h) + 4)
    assert big.agents_normal == pytest.approx(plan.agents[:, span].sum(axis=0).mean())
    assert big.agents_down == pytest.approx(plan.agents[1, span].mean())
    assert big.agents_down <= big.agents_decamped <= big.agents_normal
    assert big.decamp_minutes == 60.0 and "constraints.separation.max_minutes" in big.decamp
    assert (big.during.service_level < small.during.service_level).all()
    assert (big.during.service_level < big.during_without_failure.service_level).all()
    # the same calls arrive with or without the failure (paired random numbers, pooled queue)
    assert np.allclose(big.during.offered, big.during_without_failure.offered)


def test_without_a_decamp_constraint_the_failed_rooms_staff_stay_out(toy: Instance) -> None:
    plan = two_rooms(toy)
    spec = toy.constraints["separation"].model_copy(update={"enabled": False})
    no_decamp = toy.model_copy(update={"constraints": {**toy.constraints, "separation": spec}})
    with_decamp = simulate_plan(toy, plan, fail_sites=["hinchingbrooke"], replications=4, seed=1)
    without = simulate_plan(no_decamp, plan, fail_sites=["hinchingbrooke"], replications=4, seed=1)
    (a,), (b,) = with_decamp.failures, without.failures
    assert b.decamp_minutes is None and b.agents_decamped == b.agents_down
    assert a.agents_decamped > b.agents_decamped
    assert (b.during.service_level <= a.during.service_level + 1e-12).all()


def test_by_force_rooms_answer_their_forces_and_a_failed_rooms_calls_are_rerouted(
    toy: Instance,
) -> None:
    table = staffing_table(toy)
    groups = (("bedfordshire", "cambridgeshire"), ("hertfordshire",))
    agents = np.stack([np.maximum(table.agents_for(g), 2) for g in groups])
    plan = PlanRooms(("hinchingbrooke", "welwyn"), agents, (40, 40), groups)
    sim = simulate_plan(toy, plan, fail_sites=["welwyn"], replications=8, seed=2)
    expected = [table.rates_per_hour[[FORCES.index(f) for f in g]].sum() for g in groups]
    assert sim.calls_by_site == pytest.approx(expected, rel=0.03)
    (failure,) = sim.failures
    assert "rerouted" in failure.answered_by
    # rerouted, not lost: about as many calls arrive during the failure as without it
    assert failure.during.offered.sum() == pytest.approx(
        failure.during_without_failure.offered.sum(), rel=0.1
    )
    assert failure.during.service_level[0] < failure.during_without_failure.service_level[0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fail_hours": 2.5}, "--fail-hours: expected a positive multiple"),
        ({"fail_hours": -1.0}, "--fail-hours: expected a positive multiple"),
        ({"failure_start_h": 165.0}, "--start-hour: the failure and the recovery"),
        ({"failure_start_h": 10.5}, "--start-hour: expected the start of an interval"),
        ({"fail_sites": ["luton"]}, "--fail: expected rooms of the plan"),
        ({"replications": 1}, "replications: expected at least 2"),
    ],
)
def test_bad_plan_simulation_inputs_name_the_flag(
    toy: Instance, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(StaffingError, match=message):
        simulate_plan(toy, two_rooms(toy), **kwargs)  # type: ignore[arg-type]


def test_agents_of_the_wrong_shape_are_refused(toy: Instance) -> None:
    plan = two_rooms(toy)
    short = PlanRooms(plan.sites, plan.agents[:, :100], plan.seats, None)
    with pytest.raises(StaffingError, match="agents: expected 168 intervals"):
        simulate_plan(toy, short)
    one_row = PlanRooms(plan.sites, plan.agents[:1], plan.seats, None)
    with pytest.raises(StaffingError, match="one row and seat count per room"):
        simulate_plan(toy, one_row)


def test_plan_requirement_keeps_the_plans_agents_at_the_roster_interval() -> None:
    hourly = np.arange(168) % 7
    half = plan_requirement(hourly, 30)
    assert half.size == 336 and (half[0::2] == hourly).all() and (half[1::2] == hourly).all()
    assert (plan_requirement(half, 60) == hourly).all()
    assert (plan_requirement(np.array([1, 3] * 168), 60) == 3).all()
    with pytest.raises(StaffingError, match="a week of equal intervals"):
        plan_requirement(np.ones(100), 30)


def test_plan_rosters_cover_exactly_the_plans_agents(toy: Instance) -> None:
    plan = two_rooms(toy)
    (roster,) = plan_rosters(toy, plan, sites=["kempston"], time_limit_s=5.0)
    assert roster.site == "kempston" and roster.forces == FORCES
    assert "pooled queue" in roster.requirement_note
    assert (roster.roster.requirement == plan_requirement(plan.agents[1], 30)).all()
    assert (roster.roster.on_phones >= roster.roster.requirement - 1e-9).all()
    with pytest.raises(StaffingError, match="--site: expected a room of the plan"):
        plan_rosters(toy, plan, sites=["luton"])

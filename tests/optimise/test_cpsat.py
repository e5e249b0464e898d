"""CP-SAT model: the enumerator's optimum to the unit, k = 3 by brute force, constraints, cores."""

from __future__ import annotations

from dataclasses import replace
from itertools import combinations, product
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siteopt.optimise.constraints import (
    Absorb,
    Constraint,
    Fallback,
    ForceReach,
    MinCallShare,
    PopulationCover,
    Separation,
    SiteFilter,
    StaffCommute,
)
from siteopt.optimise.constraints.min_call_share import SHARE_UNITS
from siteopt.optimise.options import CAPACITY, Option, enumerate_options
from siteopt.optimise.problem import ProblemData, Routing, force_mask
from siteopt.optimise.search import ModelResult, infeasible_core, solve_cp_sat
from siteopt.status import Status

IntArray = npt.NDArray[np.int64]
ROUTINGS: list[tuple[Routing, ...]] = [
    ("pooled",),
    ("by_force",),
    ("pooled", "by_force"),
    ("by_force", "pooled"),
]


def ints(values: Any) -> IntArray:
    return np.array(values, dtype=np.int64)


def tiny_problem(
    *,
    constraints: tuple[Constraint, ...] = (),
    routings: tuple[Routing, ...] = ("pooled", "by_force"),
    k_min: int = 1,
    k_max: int = 2,
    max_seats: tuple[int, ...] = (20, 20, 20),
) -> ProblemData:
    """3 sites, 2 forces, 4 intervals; the optimum is site a alone (5220), then c alone (5580)."""
    levels = [3, 5, 8, 10]
    group_agents = np.maximum(ints([[0, 0, 0, 0], [2, 3, 5, 6], [2, 3, 4, 6], levels]), 2)
    group_agents[0] = 0
    uniq, inverse, counts = np.unique(levels, return_inverse=True, return_counts=True)
    return ProblemData(
        site_ids=("a", "b", "c"),
        force_ids=("f0", "f1"),
        k_min=k_min,
        k_max=k_max,
        routings=routings,
        group_agents=group_agents,
        pooled_levels=ints(uniq),
        level_weights=ints(counts),
        level_of_interval=ints(inverse),
        min_crew=2,
        agent_cost=ints([100, 120, 110]),
        agent_fte=10,
        existing_seats=ints([0, 0, 0]),
        max_seats=ints(max_seats),
        fixed_cost=ints([1000, 1500, 1200]),
        seat_cost=ints([30, 30, 30]),
        merge_cost=500,
        staff=ints([100, 100]),
        stay=ints([[100, 60, 80], [50, 100, 70]]),
        move_cost=ints([[0, 400, 200], [600, 0, 300]]),
        redundancy_cost=3,
        recruit_cost=2,
        room_rank=ints([[0, 2, 1], [2, 0, 1]]),
        force_calls=ints([100, 300]),
        interval_calls=np.array([[1.0, 1.0, 2.0, 3.0], [3.0, 3.0, 6.0, 9.0]]),
        constraints=constraints,
    )


# ---------------------------------------------------------------------------------------------
# Random consistent problems


def random_problem(rng: np.random.Generator, **fields: Any) -> ProblemData:
    """A consistent random problem: group rows from per-force rows, pooled levels from all."""
    n_sites = fields.pop("n_sites", int(rng.integers(2, 6)))
    n_forces = fields.pop("n_forces", int(rng.integers(1, 4)))
    n_intervals = fields.pop("n_intervals", int(rng.integers(3, 7)))
    min_crew = int(rng.integers(1, 4))
    per_force = rng.integers(0, 9, size=(n_forces, n_intervals))
    raw = np.zeros((2**n_forces, n_intervals), dtype=np.int64)
    for mask in range(1, 2**n_forces):
        members = per_force[[f for f in range(n_forces) if mask >> f & 1]].sum(axis=0)
        raw[mask] = members if mask & (mask - 1) == 0 else np.ceil(0.8 * members)
    group_agents = np.maximum(raw, min_crew)
    group_agents[0] = 0
    levels, inverse, counts = np.unique(raw[-1], return_inverse=True, return_counts=True)
    if rng.random() < 0.3:
        # Hand-made data need not agree: the single room is staffed from the pooled levels.
        group_agents[-1] += rng.integers(-2, 3, size=n_intervals)
    max_seats = rng.integers(3, 26, size=n_sites)
    base: dict[str, Any] = {
        "site_ids": tuple(f"s{j}" for j in range(n_sites)),
        "force_ids": tuple(f"f{f}" for f in range(n_forces)),
        "k_min": 1,
        "k_max": 2,
        "routings": ("pooled", "by_force"),
        "group_agents": ints(group_agents),
        "pooled_levels": ints(levels),
        "level_weights": ints(counts),
        "level_of_interval": ints(inverse),
        "min_crew": min_crew,
        "agent_cost": rng.integers(1, 201, size=n_sites),
        "agent_fte": int(rng.integers(1, 31)),
        "existing_seats": np.minimum(rng.integers(0, 8, size=n_sites), max_seats),
        "max_seats": max_seats,
        "fixed_cost": rng.integers(0, 2001, size=n_sites),
        "seat_cost": rng.integers(0, 401, size=n_sites),
        "merge_cost": int(rng.integers(0, 501)),
        "staff": rng.integers(50, 201, size=n_forces),
        "stay": rng.integers(0, 401, size=(n_forces, n_sites)),
        "move_cost": rng.integers(0, 1001, size=(n_forces, n_sites)),
        "redundancy_cost": int(rng.integers(0, 31)),
        "recruit_cost": int(rng.integers(0, 31)),
        "room_rank": rng.integers(0, n_sites, size=(n_forces, n_sites)),  # ties allowed
        "force_calls": rng.integers(0, 1001, size=n_forces),
        "interval_calls": rng.random((n_forces, n_intervals)),
    }
    base.update(fields)
    return ProblemData(**base)


def random_constraints(
    rng: np.random.Generator, problem: ProblemData, kinds: set[str]
) -> tuple[Constraint, ...]:
    """Constraints of the requested kinds, random but often binding."""
    n_sites, n_forces = problem.n_sites, problem.n_forces
    out: list[Constraint] = []
    if "filter" in kinds:
        out.append(SiteFilter("filter", rng.random(n_sites) < 0.8))
    if "separation" in kinds:
        upper = np.triu(rng.random((n_sites, n_sites)) < 0.4, 1)
        out.append(Separation("separation", upper | upper.T))
    if "reach" in kinds:
        out.append(ForceReach("reach", rng.random((n_forces, n_sites)) < 0.75))
    if "cover" in kinds:
        zones = int(rng.integers(2, 5))
        people = rng.integers(0, 101, size=zones)
        required = int(rng.integers(0, int(0.8 * people.sum()) + 1))
        cover = rng.random((zones, n_sites)) < 0.5
        out.append(PopulationCover("cover", cover, people, required))
    if "commute" in kinds:
        within = rng.integers(0, 101, size=(n_forces, n_sites))
        required = int(rng.integers(0, int(0.8 * within.max(axis=1).sum()) + 1))
        out.append(StaffCommute("commute", within, required))
    if "absorb" in kinds:
        out.append(Absorb("absorb", int(rng.integers(0, 16))))
    if "fallback" in kinds:
        out.append(Fallback("fallback", rng.random(n_sites) < 0.6, int(rng.integers(0, 501))))
    if "call_share" in kinds:
        out.append(MinCallShare("call_share", int(rng.integers(1, SHARE_UNITS * 6 // 10))))
    return tuple(out)


KINDS = ["filter", "separation", "reach", "cover", "commute", "absorb", "fallback", "call_share"]


@st.composite
def small_problems(draw: st.DrawFn) -> ProblemData:
    seed = draw(st.integers(0, 2**32 - 1))
    kinds = draw(st.sets(st.sampled_from(KINDS)))
    routings = draw(st.sampled_from(ROUTINGS))
    k_min = draw(st.integers(1, 2))
    k_max = draw(st.integers(k_min, 2))
    rng = np.random.default_rng(seed)
    problem = random_problem(rng, routings=routings, k_min=k_min, k_max=k_max)
    return replace(problem, constraints=random_constraints(rng, problem, kinds))


def with_functions(rng: np.random.Generator, problem: ProblemData) -> ProblemData:
    """The problem with random non-call functions priced (room posts, force groups, shares)."""
    n_sites, groups = problem.n_sites, 2**problem.n_forces
    group_cost = rng.integers(0, 3001, size=(n_sites, groups))
    group_fte = rng.integers(0, 301, size=(n_sites, groups))
    group_cost[:, 0] = group_fte[:, 0] = 0
    return replace(
        problem,
        post_cost=ints(rng.integers(0, 2001, size=n_sites)),
        post_fte=ints(rng.integers(0, 201, size=n_sites)),
        group_cost=ints(group_cost),
        group_fte=ints(group_fte),
        agent_extra_cost=ints(rng.integers(0, 41, size=n_sites)),
        agent_extra_fte=int(rng.integers(0, 6)),
    )


@st.composite
def small_problems_with_functions(draw: st.DrawFn) -> ProblemData:
    problem = draw(small_problems())
    return with_functions(np.random.default_rng(draw(st.integers(0, 2**32 - 1))), problem)


# ---------------------------------------------------------------------------------------------
# Checks shared by the tests


def enumerated_optimum(problem: ProblemData) -> Option | None:
    feasible = [o for o in enumerate_options(problem) if o.feasible]
    return min(feasible, key=lambda o: o.total) if feasible else None


def nearest_room(problem: ProblemData, sites: tuple[int, ...], force: int) -> int:
    """The open site best ranked from the force's room (ties: lowest index, like argmin)."""
    return min(sites, key=lambda j: (int(problem.room_rank[force, j]), j))


def assert_consistent_option(problem: ProblemData, result: ModelResult) -> Option:
    """The option is well formed, priced from its own values, and fits its rooms."""
    option = result.option
    assert option is not None
    assert option.failed == ()
    assert result.objective == option.total == sum(option.costs.values())
    keys = {"sites", "seats", "staff", "merge", "standby", "transition"}
    assert set(option.costs) == (keys | {"functions"} if problem.has_functions else keys)
    k = len(option.sites)
    assert option.agents.shape == (k, len(problem.level_of_interval))
    assert set(option.assignment) <= set(option.sites)
    for j, seats, row in zip(option.sites, option.seats, option.agents, strict=True):
        assert row.max() <= seats <= problem.max_seats[j]
    if option.routing == "by_force" and k > 1:
        for j, row in zip(option.sites, option.agents, strict=True):
            group = [f for f, site in enumerate(option.assignment) if site == j]
            assert row.tolist() == problem.group_agents[force_mask(group)].tolist()
    else:
        need = np.maximum(problem.pooled_levels, k * problem.min_crew)[problem.level_of_interval]
        assert option.agents.sum(axis=0).tolist() == need.tolist()
        assert (option.agents >= problem.min_crew).all()
        nearest = [nearest_room(problem, option.sites, f) for f in range(problem.n_forces)]
        assert list(option.assignment) == nearest
    return option


def assert_matches_enumerator(problem: ProblemData, result: ModelResult) -> None:
    best = enumerated_optimum(problem)
    if best is None:
        assert result.status is Status.INFEASIBLE
        assert result.option is None
        assert result.objective is None
        return
    assert result.status is Status.OPTIMAL
    assert result.proved_optimal
    assert result.objective == best.total
    assert result.best_bound == best.total
    option = assert_consistent_option(problem, result)
    # The enumerator prices the same sites, routing and assignment at the same total.
    same = [
        o
        for o in enumerate_options(problem)
        if (o.sites, o.routing, o.assignment) == (option.sites, option.routing, option.assignment)
    ]
    assert len(same) == 1
    twin = same[0]
    assert twin.feasible
    assert twin.total == option.total
    for name in ("sites", "merge", "standby", "transition"):
        assert twin.costs[name] == option.costs[name]
    assert option.agents.sum() == twin.agents.sum()


# ---------------------------------------------------------------------------------------------
# Exactness against the enumerator


@settings(max_examples=500, deadline=None)
@given(problem=small_problems())
def test_cp_sat_equals_the_enumerator_on_random_problems(problem: ProblemData) -> None:
    """Same optimum to the unit, or infeasible exactly when no enumerated option is feasible."""
    assert_matches_enumerator(problem, solve_cp_sat(problem, workers=1))


@settings(max_examples=200, deadline=None)
@given(problem=small_problems_with_functions())
def test_cp_sat_equals_the_enumerator_with_functions_priced(problem: ProblemData) -> None:
    """Room posts, group costs (pooled groups follow the nearest room) and per-agent shares."""
    result = solve_cp_sat(problem, workers=1)
    assert_matches_enumerator(problem, result)
    if result.option is not None:
        assert "functions" in result.option.costs


@pytest.mark.parametrize("routings", ROUTINGS)
def test_tiny_problem_equals_the_enumerator(routings: tuple[Routing, ...]) -> None:
    """Hand-sized instance, each routing and k range."""
    for k_min, k_max in ((1, 1), (1, 2), (2, 2)):
        problem = tiny_problem(routings=routings, k_min=k_min, k_max=k_max)
        result = solve_cp_sat(problem, workers=1)
        assert_matches_enumerator(problem, result)
        option = result.option
        assert option is not None
        assert option.routing == (routings[0] if len(option.sites) == 1 else option.routing)


def test_single_site_optimum_priced_by_hand() -> None:
    """Site a alone: fixed 1000 + seats 10x30 + staff 100x26 + merge 500 + transition 820."""
    result = solve_cp_sat(tiny_problem())
    option = result.option
    assert option is not None
    assert (option.sites, option.routing, option.assignment) == ((0,), "pooled", (0, 0))
    assert option.seats == (10,)
    assert option.agents.tolist() == [[3, 5, 8, 10]]
    assert option.costs == {
        "sites": 1000,
        "seats": 300,
        "staff": 2600,
        "merge": 500,
        "standby": 0,
        "transition": 600 + 3 * 0 + 2 * (260 - 150),
    }
    assert result.objective == 5220


# ---------------------------------------------------------------------------------------------
# Three open sites against brute force


def priced(problem: ProblemData, sites: tuple[int, ...], assignment: tuple[int, ...]) -> int:
    """Every cost but staff and seats of an option (the brute force adds those)."""
    forces = np.arange(problem.n_forces)
    to = np.asarray(assignment)
    return int(
        problem.fixed_cost[list(sites)].sum()
        + problem.merge_cost
        + problem.move_cost[forces, to].sum()
    )


def transition_extra(problem: ProblemData, assignment: tuple[int, ...], intervals: int) -> int:
    stayers = int(problem.stay[np.arange(problem.n_forces), np.asarray(assignment)].sum())
    posts = problem.agent_fte * intervals
    return problem.redundancy_cost * max(0, stayers - posts) + problem.recruit_cost * max(
        0, posts - stayers
    )


def seat_price(problem: ProblemData, j: int, seats: int) -> int:
    return int(problem.seat_cost[j]) * max(0, seats - int(problem.existing_seats[j]))


def has_share(calls: int, total: int, share_units: int) -> bool:
    """``calls / total >= share`` in exact integers (share in millionths)."""
    return calls * SHARE_UNITS >= share_units * total


def brute_force_by_force(
    problem: ProblemData, k: int, absorb: int = 0, share_units: int = 0
) -> int | None:
    """Cheapest by-force option with ``k`` rooms over every site set and assignment.

    ``share_units``: each room's forces make at least this share of the calls (millionths).
    """
    assert problem.force_calls is not None
    all_calls = int(problem.force_calls.sum())
    best = None
    for sites in combinations(range(problem.n_sites), k):
        for assignment in product(sites, repeat=problem.n_forces):
            if set(assignment) != set(sites):
                continue
            total = priced(problem, sites, assignment)
            intervals = 0
            for j in sites:
                group = [f for f, s in enumerate(assignment) if s == j]
                calls = int(problem.force_calls[group].sum())
                if not has_share(calls, all_calls, share_units):
                    break
                row = problem.group_agents[force_mask(group)]
                seats = max(int(row.max()), absorb)
                if seats > problem.max_seats[j]:
                    break
                total += int(problem.agent_cost[j] * row.sum()) + seat_price(problem, j, seats)
                intervals += int(row.sum())
            else:
                total += transition_extra(problem, assignment, intervals)
                best = total if best is None else min(best, total)
    return best


def brute_force_pooled(problem: ProblemData, k: int, share_units: int = 0) -> int | None:
    """Cheapest pooled option with ``k`` rooms: every seat vector, cheapest-first fill.

    ``share_units``: each room staffs at least this share of each level's agents (millionths),
    on top of the minimum crew.
    """
    m = problem.min_crew
    totals = np.maximum(problem.pooled_levels, k * m)
    floors = [
        max(m, next(n for n in range(int(t) + 1) if has_share(n, int(t), share_units)))
        for t in totals
    ]
    if any(k * f > t for f, t in zip(floors, totals, strict=True)):
        return None
    best = None
    for sites in combinations(range(problem.n_sites), k):
        assignment = tuple(nearest_room(problem, sites, f) for f in range(problem.n_forces))
        fixed = priced(problem, sites, assignment)
        fixed += transition_extra(problem, assignment, int((totals * problem.level_weights).sum()))
        by_cost = sorted(range(k), key=lambda i: int(problem.agent_cost[sites[i]]))
        ranges = [range(m, int(problem.max_seats[j]) + 1) for j in sites]
        for seats in product(*ranges):
            cost = fixed + sum(seat_price(problem, j, s) for j, s in zip(sites, seats, strict=True))
            for total, floor, weight in zip(totals, floors, problem.level_weights, strict=True):
                rest = int(total) - k * floor
                if min(seats) < floor or rest > sum(s - floor for s in seats):
                    break
                staff = floor * sum(int(problem.agent_cost[j]) for j in sites)
                for i in by_cost:
                    extra = min(rest, seats[i] - floor)
                    staff += extra * int(problem.agent_cost[sites[i]])
                    rest -= extra
                cost += int(weight) * staff
            else:
                best = cost if best is None else min(best, cost)
    return best


@pytest.mark.parametrize("seed", range(8))
def test_three_open_sites_equal_brute_force(seed: int) -> None:
    """k = 3 by force (every bijection) and pooled (every seat vector) against CP-SAT."""
    rng = np.random.default_rng(1000 + seed)
    base = random_problem(rng, n_sites=5, n_forces=3, n_intervals=4, k_min=3, k_max=3)
    base = replace(base, max_seats=np.minimum(base.max_seats, 12) + 6)
    for routings in (("by_force",), ("pooled",), ("pooled", "by_force")):
        problem = replace(base, routings=routings)
        candidates = []
        if "by_force" in routings:
            candidates.append(brute_force_by_force(problem, 3))
        if "pooled" in routings:
            candidates.append(brute_force_pooled(problem, 3))
        found = [c for c in candidates if c is not None]
        result = solve_cp_sat(problem, workers=1)
        if not found:
            assert result.status is Status.INFEASIBLE
            continue
        assert result.status is Status.OPTIMAL
        assert result.objective == min(found)
        option = assert_consistent_option(problem, result)
        assert len(option.sites) == 3


def test_three_sites_by_force_with_absorb() -> None:
    """The absorb minimum raises every one of three rooms' seats."""
    rng = np.random.default_rng(7)
    problem = random_problem(
        rng, n_sites=5, n_forces=3, n_intervals=4, k_min=3, k_max=3, routings=("by_force",)
    )
    problem = replace(problem, max_seats=ints([30] * 5), constraints=(Absorb("absorb", 14),))
    result = solve_cp_sat(problem, workers=1)
    assert result.objective == brute_force_by_force(problem, 3, absorb=14)
    assert result.option is not None
    assert min(result.option.seats) >= 14


@pytest.mark.parametrize("seed", range(6))
def test_three_open_sites_with_a_call_share_equal_brute_force(seed: int) -> None:
    """k = 3 with each room answering at least a share of the calls, both routings."""
    rng = np.random.default_rng(2000 + seed)
    base = random_problem(rng, n_sites=5, n_forces=3, n_intervals=4, k_min=3, k_max=3)
    base = replace(base, max_seats=np.minimum(base.max_seats, 12) + 6)
    share = int(rng.integers(SHARE_UNITS // 10, SHARE_UNITS // 3))
    base = replace(base, constraints=(MinCallShare("share", share),))
    for routings in (("by_force",), ("pooled",), ("pooled", "by_force")):
        problem = replace(base, routings=routings)
        candidates = []
        if "by_force" in routings:
            candidates.append(brute_force_by_force(problem, 3, share_units=share))
        if "pooled" in routings:
            candidates.append(brute_force_pooled(problem, 3, share_units=share))
        found = [c for c in candidates if c is not None]
        result = solve_cp_sat(problem, workers=1)
        if not found:
            assert result.status is Status.INFEASIBLE
            continue
        assert result.objective == min(found)
        option = assert_consistent_option(problem, result)
        assert base.constraints[0].holds(problem, option)


def test_up_to_three_sites_is_no_worse_than_up_to_two() -> None:
    """Allowing a third room can only lower the optimum; k_min = 1..3 covers both."""
    rng = np.random.default_rng(11)
    problem = random_problem(rng, n_sites=6, n_forces=3, n_intervals=5)
    two = solve_cp_sat(problem, workers=1)
    three = solve_cp_sat(replace(problem, k_max=3), workers=1)
    assert two.objective is not None
    assert three.objective is not None
    assert three.objective <= two.objective
    only_three = solve_cp_sat(replace(problem, k_min=3, k_max=3), workers=1)
    assert only_three.objective is not None
    assert three.objective == min(two.objective, only_three.objective)


# ---------------------------------------------------------------------------------------------
# Each constraint binds


def solved(problem: ProblemData) -> Option:
    """The CP-SAT optimum, checked against the enumerator."""
    result = solve_cp_sat(problem, workers=1)
    assert_matches_enumerator(problem, result)
    assert result.option is not None
    return result.option


def test_site_filter_binds() -> None:
    """Site a is not allowed: c alone is next best."""
    problem = tiny_problem(constraints=(SiteFilter("pool", np.array([False, True, True])),))
    option = solved(problem)
    assert option.sites == (2,)
    assert option.total == 5580


def test_separation_binds() -> None:
    """With two rooms, a and c are the best pair (6280); apart, a and b (6300)."""
    assert solved(tiny_problem(k_min=2)).sites == (0, 2)
    conflict = np.zeros((3, 3), dtype=bool)
    conflict[0, 2] = conflict[2, 0] = True
    option = solved(tiny_problem(k_min=2, constraints=(Separation("apart", conflict),)))
    assert option.sites == (0, 1)
    assert option.total == 6300


def test_force_reach_binds() -> None:
    """f1's centre reaches only b: b alone (6020) beats every pair with b."""
    reach = np.array([[True, True, True], [False, True, False]])
    option = solved(tiny_problem(constraints=(ForceReach("centres", reach),)))
    assert option.sites == (1,)
    assert option.total == 6020


def test_population_cover_binds() -> None:
    """Zones near a and near c both needed: the pair a, c."""
    cover = np.array([[True, False, False], [False, False, True], [False, True, False]])
    constraint = PopulationCover("people", cover, ints([50, 40, 10]), 90)
    option = solved(tiny_problem(constraints=(constraint,)))
    assert option.sites == (0, 2)
    assert option.total == 6280


def test_staff_commute_binds() -> None:
    """No single room keeps 150 staff within reach; a pair does."""
    within = ints([[100, 0, 50], [0, 100, 50]])
    option = solved(tiny_problem(constraints=(StaffCommute("commute", within, 150),)))
    assert len(option.sites) == 2
    forces = np.arange(2)
    assert within[forces, np.asarray(option.assignment)].sum() >= 150


def test_absorb_binds() -> None:
    """Each of two rooms seats at least 9 and the optimum pays for it."""
    free = solved(tiny_problem(k_min=2))
    option = solved(tiny_problem(k_min=2, constraints=(Absorb("absorb", 9),)))
    assert min(option.seats) >= 9
    assert option.total > free.total
    assert option.costs["seats"] == 30 * sum(option.seats)


def test_fallback_binds_and_costs_standby() -> None:
    """No fallback for a: c alone pays 777 standby and loses to the pair a, c."""
    fallback = Fallback("fallback", np.array([False, True, True]), 777)
    option = solved(tiny_problem(constraints=(fallback,)))
    assert option.sites == (0, 2)
    assert option.costs["standby"] == 0
    single = solved(tiny_problem(k_max=1, constraints=(fallback,)))
    assert single.sites == (2,)
    assert single.costs["standby"] == 777
    assert single.total == 5580 + 777


def test_call_share_binds() -> None:
    """Two rooms pooled leave the dearer one a shell; a 30 % share costs more staff there.

    f0 makes 25 % of the calls, so no by-force pair can give each room 30 %.
    """
    free = solved(tiny_problem(k_min=2, routings=("pooled",)))
    share = MinCallShare("share", 300_000)
    option = solved(tiny_problem(k_min=2, routings=("pooled",), constraints=(share,)))
    assert option.total > free.total
    need = np.ceil(0.3 * np.maximum([3, 5, 8, 10], 4))
    assert (option.agents >= need[np.newaxis, :]).all()
    by_force = tiny_problem(k_min=2, routings=("by_force",), constraints=(share,))
    assert solve_cp_sat(by_force, workers=1).status is Status.INFEASIBLE
    assert enumerated_optimum(by_force) is None
    assert enumerated_optimum(replace(by_force, constraints=(MinCallShare("s", 250_000),)))


def test_capacity_binds() -> None:
    """Site a seats 9 but its single room peaks at 10: c alone instead."""
    option = solved(tiny_problem(max_seats=(9, 20, 20)))
    assert option.sites == (2,)


# ---------------------------------------------------------------------------------------------
# Relax, hint, statuses, time limit


def test_relax_drops_named_constraints() -> None:
    """Relaxing a constraint gives the enumerator's optimum of the problem without it."""
    constraints = (
        SiteFilter("pool", np.array([False, True, True])),
        Fallback("fallback", np.array([True, False, True]), 100),
    )
    problem = tiny_problem(constraints=constraints)
    for relax in (frozenset({"pool"}), frozenset({"fallback"}), frozenset({"pool", "fallback"})):
        result = solve_cp_sat(problem, relax=relax, workers=1)
        kept = tuple(c for c in constraints if c.name not in relax)
        assert_matches_enumerator(replace(problem, constraints=kept), result)
    capacity = solve_cp_sat(tiny_problem(max_seats=(9, 20, 20)), relax=frozenset({CAPACITY}))
    assert capacity.option is not None
    assert capacity.option.sites == (0,)
    with pytest.raises(ValueError, match="unknown constraint"):
        solve_cp_sat(problem, relax=frozenset({"nope"}))


def test_hint_gives_the_same_optimum() -> None:
    """A hint (good or poor) changes nothing but the start of the search."""
    rng = np.random.default_rng(3)
    problem = random_problem(rng, n_sites=5, n_forces=3, n_intervals=5)
    options = sorted((o for o in enumerate_options(problem) if o.feasible), key=lambda o: o.total)
    for hint in (options[0], options[-1]):
        assert solve_cp_sat(problem, hint=hint, workers=1).objective == options[0].total


def test_status_values_and_infeasible_result() -> None:
    """Statuses are the package's; an infeasible problem has no option, bound or gap."""
    result = solve_cp_sat(tiny_problem(max_seats=(5, 5, 5), k_max=1))
    assert result.status is Status.INFEASIBLE
    assert (result.option, result.objective, result.best_bound, result.gap) == (None,) * 4
    assert not result.proved_optimal


def test_tiny_time_limit_still_returns_a_valid_result() -> None:
    """A 1 ms limit on a 60-site problem ends fast with a status and, if any, a sound option."""
    rng = np.random.default_rng(5)
    problem = random_problem(rng, n_sites=60, n_forces=3, n_intervals=6, k_max=3)
    result = solve_cp_sat(problem, time_limit_s=0.001, workers=1)
    assert result.status in set(Status)
    assert result.wall_s < 5
    if result.option is not None:
        assert_consistent_option(problem, result)
        assert result.best_bound is not None
        assert result.objective is not None
        assert result.best_bound <= result.objective
        assert result.gap is not None
        assert result.gap >= 0


# ---------------------------------------------------------------------------------------------
# Infeasible core


def test_infeasible_core_is_minimal_and_relaxing_it_restores_feasibility() -> None:
    """Only a may open, but f1's centre needs b: the core is those two, not the bystanders."""
    constraints = (
        StaffCommute("commute", ints([[0, 0, 0], [0, 0, 0]]), 0),
        SiteFilter("pool", np.array([True, False, False])),
        Absorb("absorb", 3),
        ForceReach("centres", np.array([[True, True, True], [False, True, False]])),
        Fallback("fallback", np.array([True, True, True]), 10),
    )
    problem = tiny_problem(constraints=constraints)
    assert solve_cp_sat(problem).status is Status.INFEASIBLE
    core = infeasible_core(problem)
    assert core == ["pool", "centres"]
    for name in core:
        assert solve_cp_sat(problem, relax=frozenset({name})).status is Status.OPTIMAL


def test_infeasible_core_names_capacity_and_is_empty_when_feasible() -> None:
    """Buildings too small for one room, with pairs forbidden: capacity and k are the conflict."""
    apart = Separation("apart", ~np.eye(3, dtype=bool))
    problem = tiny_problem(max_seats=(9, 9, 9), constraints=(apart,))
    assert sorted(infeasible_core(problem)) == sorted(["apart", CAPACITY])
    assert infeasible_core(tiny_problem()) == []


@pytest.mark.parametrize("seed", range(30))
def test_infeasible_core_on_random_problems_is_irreducible(seed: int) -> None:
    """Every proper subset of the core is feasible; the core itself is not."""
    rng = np.random.default_rng(seed)
    problem = random_problem(rng, n_sites=4, n_forces=2, n_intervals=3)
    problem = replace(problem, constraints=random_constraints(rng, problem, set(KINDS)))
    core = infeasible_core(problem)
    if enumerated_optimum(problem) is not None:
        assert core == []
        return
    names = {c.name for c in problem.constraints} | {CAPACITY}
    assert core
    assert solve_cp_sat(problem, relax=frozenset(names - set(core))).status is Status.INFEASIBLE
    for name in core:
        relaxed = frozenset(names - set(core) | {name})
        assert solve_cp_sat(problem, relax=relaxed).status is Status.OPTIMAL


def test_an_invalid_model_is_a_solver_error_naming_the_fault_not_a_status() -> None:
    """CP-SAT's MODEL_INVALID raises SolverError with CP-SAT's own diagnosis."""
    from ortools.sat.python import cp_model

    from siteopt.errors import SolverError
    from siteopt.optimise.search import _status_of

    model = cp_model.CpModel()
    x = model.new_int_var(0, 10, "x")
    model.add(x * 2**62 <= 3)  # a coefficient that can overflow: CP-SAT calls the model invalid
    status = cp_model.CpSolver().solve(model)
    assert status == cp_model.MODEL_INVALID
    with pytest.raises(SolverError, match=r"^CP-SAT rejected the model as invalid: .*overflow"):
        _status_of(status, model)
    assert _status_of(cp_model.OPTIMAL, model) is Status.OPTIMAL
    assert _status_of(cp_model.UNKNOWN, model) is Status.UNKNOWN

"""Enumeration of one- and two-site options: pricing by hand, exact pooled split, constraints."""

from __future__ import annotations

from dataclasses import replace
from itertools import product

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siteopt.optimise.constraints import (
    Absorb,
    Fallback,
    ForceReach,
    MinCallShare,
    PopulationCover,
    Separation,
    SiteFilter,
    StaffCommute,
)
from siteopt.optimise.options import (
    CAPACITY,
    Option,
    OptionTable,
    _PairBound,
    best_options,
    bounded_table,
    enumerate_options,
    option_table,
    site_set_options,
)
from siteopt.optimise.problem import ProblemData
from tests.optimise.test_cpsat import small_problems, small_problems_with_functions


def make_problem(
    *,
    levels: list[int] | None = None,
    agent_cost: list[int] | None = None,
    max_seats: list[int] | None = None,
    existing: list[int] | None = None,
    seat_cost: list[int] | None = None,
    min_crew: int = 2,
    constraints: tuple[object, ...] = (),
    routings: tuple[str, ...] = ("pooled", "by_force"),
    k_min: int = 1,
) -> ProblemData:
    """A small hand-made problem: 3 sites, 2 forces, 4 intervals."""
    levels = levels or [3, 5, 8, 10]
    by_group = np.array(
        [[0, 0, 0, 0], [2, 3, 5, 6], [2, 3, 4, 6], levels], dtype=np.int64
    )  # masks 0, {f0}, {f1}, {f0, f1}
    group_agents = np.maximum(by_group, min_crew)
    group_agents[0] = 0
    uniq, inverse, counts = np.unique(levels, return_inverse=True, return_counts=True)
    return ProblemData(
        site_ids=("a", "b", "c"),
        force_ids=("f0", "f1"),
        k_min=k_min,
        k_max=2,
        routings=routings,  # type: ignore[arg-type]
        group_agents=group_agents,
        pooled_levels=uniq.astype(np.int64),
        level_weights=counts.astype(np.int64),
        level_of_interval=inverse.astype(np.int64),
        min_crew=min_crew,
        agent_cost=np.array(agent_cost or [100, 120, 110], dtype=np.int64),
        agent_fte=10,
        existing_seats=np.array(existing or [0, 0, 0], dtype=np.int64),
        max_seats=np.array(max_seats or [20, 20, 20], dtype=np.int64),
        fixed_cost=np.array([1000, 1500, 1200], dtype=np.int64),
        seat_cost=np.array(seat_cost or [30, 30, 30], dtype=np.int64),
        merge_cost=500,
        staff=np.array([100, 100], dtype=np.int64),
        stay=np.array([[100, 60, 80], [50, 100, 70]], dtype=np.int64),
        move_cost=np.array([[0, 400, 200], [600, 0, 300]], dtype=np.int64),
        redundancy_cost=3,
        recruit_cost=2,
        room_rank=np.array([[0, 2, 1], [2, 0, 1]], dtype=np.int64),
        force_calls=np.array([100, 300], dtype=np.int64),
        interval_calls=np.array([[1.0, 1.0, 2.0, 3.0], [3.0, 3.0, 6.0, 9.0]]),
        constraints=constraints,  # type: ignore[arg-type]
    )


def find(options: list[Option], sites: tuple[int, ...], routing: str) -> Option:
    return next(o for o in options if o.sites == sites and o.routing == routing)


def test_single_site_priced_by_hand() -> None:
    """Site a alone: fixed 1000 + seats 10×30 + staff 100×(3+5+8+10) + merge 500 + transition."""
    option = find(enumerate_options(make_problem()), (0,), "pooled")
    assert option.seats == (10,)
    assert option.agents.tolist() == [[3, 5, 8, 10]]
    posts = 10 * 26
    stayers = 100 + 50
    transition = 0 + 600 + 3 * max(0, stayers - posts) + 2 * max(0, posts - stayers)
    assert option.costs == {
        "sites": 1000,
        "seats": 300,
        "staff": 2600,
        "merge": 500,
        "standby": 0,
        "transition": transition,
    }
    assert option.total == 1000 + 300 + 2600 + 500 + transition
    assert option.feasible


def test_by_force_pair_priced_by_hand() -> None:
    """f0 at a, f1 at b: each room staffs its own force's requirement (minimum crew 2)."""
    options = enumerate_options(make_problem())
    option = next(
        o
        for o in options
        if o.sites == (0, 1) and o.routing == "by_force" and o.assignment == (0, 1)
    )
    assert option.agents.tolist() == [[2, 3, 5, 6], [2, 3, 4, 6]]
    assert option.seats == (6, 6)
    assert option.costs["staff"] == 100 * 16 + 120 * 15
    assert option.costs["seats"] == 30 * 6 + 30 * 6
    posts = 10 * 31
    assert option.costs["transition"] == 0 + 0 + 2 * (posts - 200)


def test_every_assignment_is_tried_for_each_pair() -> None:
    """With two forces, each pair has two by-force assignments using both rooms, and one pooled."""
    options = enumerate_options(make_problem())
    assert len([o for o in options if o.sites == (0, 2)]) == 3
    assert len([o for o in options if len(o.sites) == 1]) == 3


def brute_force_pooled_split(problem: ProblemData, a: int, b: int, share: float = 0.0) -> int:
    """Cheapest staff + seat cost of a pooled pair over every seat count and every split.

    ``share``: each room staffs at least this share of each level's agents.
    """
    totals = np.maximum(problem.pooled_levels, 2 * problem.min_crew)
    best = None
    m = problem.min_crew
    for sa, sb in product(range(m, problem.max_seats[a] + 1), range(m, problem.max_seats[b] + 1)):
        cost = problem.seat_cost[a] * max(0, sa - problem.existing_seats[a])
        cost += problem.seat_cost[b] * max(0, sb - problem.existing_seats[b])
        for total, weight in zip(totals, problem.level_weights, strict=True):
            m = max(problem.min_crew, int(np.ceil(share * total - 1e-9)))
            choices = [
                problem.agent_cost[a] * na + problem.agent_cost[b] * (total - na)
                for na in range(m, total - m + 1)
                if na <= sa and total - na <= sb
            ]
            if not choices:
                cost = None
                break
            cost += weight * min(choices)
        if cost is not None and (best is None or cost < best):
            best = int(cost)
    assert best is not None
    return best


@settings(max_examples=100, deadline=None)
@given(
    levels=st.lists(st.integers(0, 14), min_size=4, max_size=4),
    costs=st.lists(st.integers(50, 200), min_size=3, max_size=3),
    caps=st.lists(st.integers(8, 16), min_size=3, max_size=3),
    existing=st.lists(st.integers(0, 10), min_size=3, max_size=3),
    seat_cost=st.lists(st.integers(0, 400), min_size=3, max_size=3),
    share=st.one_of(st.just(0), st.integers(1, 500)).map(lambda n: n / 1000),
)
def test_pooled_split_equals_brute_force(
    levels: list[int],
    costs: list[int],
    caps: list[int],
    existing: list[int],
    seat_cost: list[int],
    share: float,
) -> None:
    """The cheaper-room-first split over every seat count is the exact optimum of the split.

    Also with a call share, whose per-level floor replaces the minimum crew where it is larger.
    """
    constraints = (MinCallShare("share", round(share * 1_000_000)),) if share else ()
    problem = make_problem(
        levels=levels,
        agent_cost=costs,
        max_seats=caps,
        existing=[min(e, c) for e, c in zip(existing, caps, strict=True)],
        seat_cost=seat_cost,
        constraints=constraints,
    )
    options = enumerate_options(problem)
    for a, b in ((0, 1), (0, 2), (1, 2)):
        option = find(options, (a, b), "pooled")
        if not option.feasible:
            continue
        assert option.costs["staff"] + option.costs["seats"] == brute_force_pooled_split(
            problem, a, b, share
        )
        assert (option.agents.sum(axis=0) >= np.maximum(levels, 4)).all()
        floor = np.maximum(np.ceil(share * np.maximum(levels, 4) - 1e-9), problem.min_crew)
        assert (option.agents >= floor[np.newaxis, :]).all()
        for seats, row in zip(option.seats, option.agents, strict=True):
            assert row.max() <= seats


def test_call_share_rules_by_force_groups_and_unfit_floors() -> None:
    """f0 makes 25 % of the calls; floors of 45 % do not fit two rooms in a level of 5 agents."""
    options = enumerate_options(make_problem(constraints=(MinCallShare("share", 300_000),)))
    by_force = [o for o in options if o.routing == "by_force" and len(o.sites) == 2]
    assert by_force
    assert all(o.failed == ("share",) for o in by_force)
    assert all(o.feasible for o in options if len(o.sites) == 1)
    free = enumerate_options(make_problem())
    unfit = enumerate_options(make_problem(constraints=(MinCallShare("share", 450_000),)))
    for sites in ((0, 1), (0, 2), (1, 2)):
        priced = find(unfit, sites, "pooled")
        assert priced.failed == ("share",)
        assert priced.total == find(free, sites, "pooled").total  # priced without the floors


def test_call_share_describes_the_smallest_share_of_calls() -> None:
    """Value: the smallest share of the week's calls answered by an open room."""
    from siteopt.optimise.constraints import constraint_results

    share = MinCallShare("share", 200_000)
    problem = make_problem(constraints=(share,))
    options = enumerate_options(problem)
    split = next(o for o in options if o.routing == "by_force" and o.assignment == (0, 1))
    (result,) = constraint_results(problem, split)
    assert result.type == "min_call_share"
    assert result.value == pytest.approx(7 / 28)  # f0: 7 of the week's 28 calls
    assert result.limit == 0.2
    pooled = find(options, (0, 1), "pooled")
    (result,) = constraint_results(problem, pooled)
    calls = problem.interval_calls.sum(axis=0)  # type: ignore[union-attr]
    answered = (pooled.agents / pooled.agents.sum(axis=0)) @ calls
    assert result.value == pytest.approx(answered.min() / calls.sum())
    assert result.holds
    assert result.value is not None
    assert result.value >= 0.2
    (single,) = constraint_results(problem, find(options, (2,), "pooled"))
    assert (single.value, single.detail) == (1.0, "one room answers every call")


def test_site_filter_separation_and_reach_mark_the_options_they_break() -> None:
    """Each constraint names itself on exactly the options that break it."""
    constraints = (
        SiteFilter("pool", np.array([True, True, False])),
        Separation("apart", np.array([[0, 1, 0], [1, 0, 0], [0, 0, 0]], dtype=bool)),
        ForceReach("centres", np.array([[True, False, False], [False, True, True]])),
    )
    options = enumerate_options(make_problem(constraints=constraints))
    failed = {(o.sites, o.routing): set(o.failed) for o in options}
    assert failed[(2,), "pooled"] == {"pool", "centres"}
    assert failed[(0, 1), "pooled"] == {"apart"}
    assert failed[(1,), "pooled"] == {"centres"}
    assert failed[(0, 2), "pooled"] == {"pool"}


def test_population_cover_and_staff_commute() -> None:
    """Coverage counts people near any open site; commute counts staff near their new room."""
    cover = np.array([[True, False, False], [False, True, False], [False, False, True]])
    constraints = (
        PopulationCover("people", cover, np.array([50, 30, 20]), 70),
        StaffCommute("commute", np.array([[100, 0, 50], [0, 100, 50]]), 150),
    )
    options = enumerate_options(make_problem(constraints=constraints))
    single_a = find(options, (0,), "pooled")
    assert set(single_a.failed) == {"people", "commute"}  # 50 people; staff within: 100 + 0
    pair = next(o for o in options if o.sites == (0, 1) and o.assignment == (0, 1))
    assert pair.feasible  # 80 people; staff within: 100 + 100


def test_fallback_applies_to_single_sites_only_and_costs_standby() -> None:
    """A single room needs an available fallback and pays standby; a pair does not."""
    fallback = Fallback("fallback", np.array([True, False, True]), 777)
    options = enumerate_options(make_problem(constraints=(fallback,)))
    assert find(options, (1,), "pooled").failed == ("fallback",)
    assert find(options, (0,), "pooled").costs["standby"] == 777
    assert find(options, (0, 1), "pooled").costs["standby"] == 0


def test_absorb_raises_seats_of_each_room_in_a_pair() -> None:
    """With two rooms, each has at least the absorb seats; beyond a building's size it fails."""
    options = enumerate_options(make_problem(constraints=(Absorb("absorb", 9),)))
    for option in options:
        if len(option.sites) == 2:
            assert min(option.seats) >= 9
    small = enumerate_options(
        make_problem(constraints=(Absorb("absorb", 9),), max_seats=[8, 20, 20])
    )
    assert "absorb" in find(small, (0, 1), "pooled").failed


def test_capacity_failure_is_reported() -> None:
    """A room whose own peak exceeds its building fails on seat capacity."""
    options = enumerate_options(make_problem(max_seats=[9, 20, 20]))
    assert CAPACITY in find(options, (0,), "pooled").failed


def test_best_options_rank_feasible_first_and_keep_one_per_site_set() -> None:
    """The first option is the cheapest feasible one; each site set appears once."""
    problem = make_problem(constraints=(SiteFilter("pool", np.array([False, True, True])),))
    ranked = best_options(problem, n=10)
    assert len({o.sites for o in ranked}) == len(ranked) == 6
    feasible = [o for o in enumerate_options(problem) if o.feasible]
    assert ranked[0].total == min(o.total for o in feasible)
    assert [o.feasible for o in ranked] == sorted((o.feasible for o in ranked), reverse=True)


def test_only_allowed_routings_are_priced() -> None:
    """With by-force routing only, no pair is pooled (a single room is the same either way)."""
    options = enumerate_options(make_problem(routings=("by_force",)))
    assert {o.routing for o in options} == {"by_force"}
    with pytest.raises(ValueError, match="k_min"):
        enumerate_options(replace(make_problem(), k_min=3, k_max=3))


# ---------------------------------------------------------------------------------------------
# The vectorised table against the reference, option by option


def reference_best_per_site_set(problem: ProblemData) -> dict[tuple[int, ...], Option]:
    best: dict[tuple[int, ...], Option] = {}
    for option in enumerate_options(problem):
        kept = best.get(option.sites)
        key = (not option.feasible, option.total)
        if kept is None or key < (not kept.feasible, kept.total):
            best[option.sites] = option
    return best


def assert_table_matches_reference(problem: ProblemData) -> None:
    table = option_table(problem)
    reference = reference_best_per_site_set(problem)
    assert len(table.total) == len(reference)
    for row in range(len(table.total)):
        option = reference[table.site_set(row)]
        assert int(table.total[row]) == option.total, table.site_set(row)
        assert bool(table.feasible[row]) == option.feasible, table.site_set(row)


@settings(max_examples=300, deadline=None)
@given(problem=small_problems())
def test_option_table_equals_the_reference_enumeration(problem: ProblemData) -> None:
    """Every site set's best total and feasibility, to the unit, with every constraint type."""
    assert_table_matches_reference(problem)


@settings(max_examples=200, deadline=None)
@given(problem=small_problems_with_functions())
def test_option_table_equals_the_reference_enumeration_with_functions(
    problem: ProblemData,
) -> None:
    """The functions' costs and FTE (posts count in the transition) price both ways alike."""
    assert_table_matches_reference(problem)


@pytest.mark.parametrize("constraints", [(), (Absorb("absorb", 9),), (Absorb("absorb", 30),)])
def test_option_table_on_the_hand_made_problem(constraints: tuple[object, ...]) -> None:
    assert_table_matches_reference(make_problem(constraints=constraints))
    assert_table_matches_reference(make_problem(constraints=constraints, max_seats=[9, 20, 8]))


def test_best_options_follow_the_table_ranking() -> None:
    problem = make_problem(max_seats=[9, 20, 20])
    table = option_table(problem)
    ranked = best_options(problem, n=10)
    assert [o.sites for o in ranked] == [table.site_set(r) for r in table.ranked()[:10]]
    keys = [(not o.feasible, o.total, o.sites) for o in ranked]
    assert keys == sorted(keys)


def test_site_set_options_price_one_set_and_reject_bad_sets() -> None:
    problem = make_problem()
    options = site_set_options(problem, (2, 0))
    assert {o.sites for o in options} == {(0, 2)}
    assert {o.routing for o in options} == {"pooled", "by_force"}
    with pytest.raises(ValueError, match="one or two distinct"):
        site_set_options(problem, (0, 0))
    with pytest.raises(ValueError, match="one or two distinct"):
        site_set_options(problem, (0, 1, 2))


def _pairs_priced(problem: ProblemData) -> bool:
    """Whether the option table prices pairs (by force with one force cannot split it)."""
    return problem.k_max >= 2 and ("pooled" in problem.routings or problem.n_forces >= 2)


def _top(table: OptionTable, n: int) -> list[tuple[tuple[int, ...], int, bool]]:
    return [
        (table.site_set(int(r)), int(table.total[r]), bool(table.feasible[r]))
        for r in table.ranked()[:n]
    ]


@given(problem=st.one_of(small_problems(), small_problems_with_functions()), n=st.integers(1, 8))
@settings(max_examples=80, deadline=None)
def test_bounded_table_ranks_the_top_n_of_the_whole_table(problem: ProblemData, n: int) -> None:
    """Pricing only the pairs whose bound can reach the top n changes nothing in it."""
    bounded = bounded_table(problem, n)
    if not _pairs_priced(problem):
        assert bounded is None  # nothing to leave out: no pairs
        return
    assert bounded is not None
    assert _top(bounded, n) == _top(option_table(problem), n)


@given(problem=st.one_of(small_problems(), small_problems_with_functions()))
@settings(max_examples=60, deadline=None)
def test_pair_bound_is_below_every_pair_total(problem: ProblemData) -> None:
    """The per-site bound never exceeds a pair's priced best total (any routing, split)."""
    bound = _PairBound.of(problem)
    if not _pairs_priced(problem):
        assert bound is None
        return
    assert bound is not None
    table = option_table(replace(problem, k_min=2))
    a, b = table.first, table.second
    least = np.full(len(a), np.inf)
    for first, second in zip(bound.first, bound.second, strict=True):
        least = np.minimum(least, np.minimum(first[a] + second[b], first[b] + second[a]))
    assert (least + bound.constant <= table.total).all()
    assert bound.least() <= least.min(initial=np.inf) + bound.constant

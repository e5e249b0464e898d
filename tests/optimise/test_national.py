"""The national route: relaxation bound ≤ exact optimum ≤ the search's plan, per size."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siteopt.optimise.bounds import _allowed_sites
from siteopt.optimise.national import solve_pooled_by_size
from siteopt.optimise.option import CAPACITY
from siteopt.optimise.pooled import local_search, price_exact_split, price_site_set
from siteopt.optimise.problem import ProblemData
from siteopt.optimise.relaxation import build_relaxation
from siteopt.optimise.search import solve_cp_sat
from siteopt.status import Status
from tests.optimise.test_cpsat import KINDS, ints, random_constraints, random_problem


@st.composite
def pooled_problems(draw: st.DrawFn) -> ProblemData:
    """Random pooled problems of three to six sites, one to three forces, up to four rooms."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n_sites = int(rng.integers(3, 7))
    problem = random_problem(rng, n_sites=n_sites, routings=("pooled",), k_min=1, k_max=4)
    constraints = random_constraints(rng, problem, draw(st.sets(st.sampled_from(KINDS))))
    return replace(problem, constraints=constraints)


@settings(max_examples=80, deadline=None)
@given(problem=pooled_problems(), k=st.integers(1, 4))
def test_relaxation_bound_is_below_the_optimum_and_the_search_above(
    problem: ProblemData, k: int
) -> None:
    """bound ≤ optimum ≤ plan found for exactly k rooms; 'no option' only when there is none."""
    only_k = replace(problem, k_min=k, k_max=k)
    exact = solve_cp_sat(only_k, workers=1)
    allowed = _allowed_sites(problem)
    relaxation = build_relaxation(problem, k, allowed=allowed)
    # the LP and the MIP, as the national route runs them
    solved = (
        []
        if relaxation is None
        else [relaxation.solve(integer=integer, time_limit_s=10) for integer in (False, True)]
    )
    if not solved or any(r.bound is None for r in solved):
        assert exact.status is Status.INFEASIBLE
        return
    assert exact.status is not Status.UNKNOWN
    if exact.objective is None:
        return
    assert max(r.bound for r in solved if r.bound is not None) <= exact.objective
    found = local_search(problem, k, allowed=allowed, deadline=float("inf"))
    if found is not None and found.feasible:
        assert exact.objective <= found.total


def first_sites_optimum(problem: ProblemData, k: int) -> int | None:
    """CP-SAT's optimum with exactly sites ``0..k-1`` open (the others hold no seats)."""
    fixed = replace(
        problem,
        k_min=k,
        k_max=k,
        max_seats=ints([s if j < k else 0 for j, s in enumerate(problem.max_seats)]),
    )
    return solve_cp_sat(fixed, workers=1).objective


@settings(max_examples=60, deadline=None)
@given(problem=pooled_problems())
def test_priced_site_sets_cost_no_less_than_their_exact_optimum(problem: ProblemData) -> None:
    """A priced set is a real plan: never cheaper than CP-SAT's optimum with those sites open."""
    for k in range(1, min(3, problem.n_sites) + 1):
        sites = list(range(k))
        option = price_site_set(problem, sites)
        if not option.feasible:
            continue
        optimum = first_sites_optimum(problem, k)
        assert optimum is not None and optimum <= option.total


@settings(max_examples=60, deadline=None)
@given(problem=pooled_problems())
def test_the_exact_split_is_a_real_plan_no_dearer_than_the_greedy_one(problem: ProblemData) -> None:
    """Exact split: never above the greedy split, never below CP-SAT's optimum on those sites."""
    for k in range(1, min(4, problem.n_sites) + 1):
        sites = list(range(k))
        greedy = price_site_set(problem, sites)
        exact = price_exact_split(problem, sites)
        if exact is None:
            continue
        assert exact.sites == tuple(sites)
        if CAPACITY not in greedy.failed:
            assert exact.total <= greedy.total
        if not exact.feasible:
            continue
        optimum = first_sites_optimum(problem, k)
        assert optimum is not None and optimum <= exact.total


@settings(max_examples=40, deadline=None)
@given(problem=pooled_problems())
def test_national_route_brackets_the_exact_optimum(problem: ProblemData) -> None:
    """Over every size: bound ≤ CP-SAT's optimum ≤ the plan; one record per size; proofs hold."""
    whole = solve_cp_sat(problem, workers=1)
    result, parts = solve_pooled_by_size(problem, time_limit_s=30)
    assert [p.k for p in parts] == list(range(problem.k_min, problem.k_max + 1))
    if whole.objective is None:
        assert result.option is None
        return
    if result.option is None:  # nothing found: only a status that does not claim a proof
        assert result.status is Status.UNKNOWN
        return
    assert result.best_bound is not None and result.objective is not None
    assert result.best_bound <= whole.objective <= result.objective
    if result.status is Status.OPTIMAL:
        assert result.objective == whole.objective
    for part in parts:
        if part.option is not None and part.proved:
            assert part.bound == part.option.total or part.how == "enumeration"


def test_a_bound_that_cannot_close_returns_the_plan_with_its_gap() -> None:
    """A size whose relaxation stays below its optimum is FEASIBLE with that gap, not nothing.

    Two forces, five sites, three rooms (seed 0): the relaxation's bound is 3,999 money units
    and CP-SAT's optimum 4,266; the route finds the optimum but cannot prove it.
    """
    problem = random_problem(
        np.random.default_rng(0), n_sites=5, n_forces=2, routings=("pooled",), k_min=3, k_max=3
    )
    optimum = solve_cp_sat(problem, workers=1).objective
    result, parts = solve_pooled_by_size(problem, time_limit_s=5)
    assert result.status is Status.FEASIBLE
    assert result.best_bound is not None and result.objective is not None
    assert optimum is not None and result.best_bound < optimum <= result.objective
    assert result.gap is not None and result.gap > 0
    assert parts[0].how == "relaxation" and not parts[0].proved


def test_a_size_the_relaxation_closes_is_proved_optimal() -> None:
    """Costs are whole money units, so a bound within HiGHS's tolerance of the plan proves it."""
    problem = random_problem(
        np.random.default_rng(7), n_sites=5, n_forces=1, routings=("pooled",), k_min=3, k_max=3
    )
    problem = replace(  # moving to site 0, the force's nearest, is dear: the bound sees it
        problem,
        fixed_cost=ints([0, 500, 500, 500, 500]),
        move_cost=ints([[50_000, 0, 0, 0, 0]]),
        room_rank=ints([[0, 1, 2, 3, 4]]),
        max_seats=ints([100] * 5),
        existing_seats=ints([100] * 5),
    )
    result, parts = solve_pooled_by_size(problem, time_limit_s=5)
    assert result.status is Status.OPTIMAL
    assert result.objective == result.best_bound == solve_cp_sat(problem, workers=1).objective
    assert parts[0].proved


def test_group_rows_of_a_pooled_problem_hold_only_single_forces_and_all() -> None:
    """Many forces: group_row reads the rows held and refuses the rest by name."""
    rng = np.random.default_rng(3)
    dense = random_problem(rng, n_forces=2, routings=("pooled",))
    masks = ints([1, 2, 3])
    sparse = replace(dense, group_agents=dense.group_agents[1:], group_masks=masks)
    assert not sparse.dense_groups
    for mask in (1, 2, 3):
        assert sparse.group_row(mask).tolist() == dense.group_row(mask).tolist()
    assert sparse.peak_positions == dense.peak_positions
    with pytest.raises(KeyError, match="group 0x0"):
        sparse.group_row(0)
    with pytest.raises(ValueError, match="group_masks: only with pooled routing"):
        replace(sparse, routings=("pooled", "by_force"))


def test_the_terminal_report_prints_the_cost_curve_with_bounds_and_gaps() -> None:
    """Sizes with a plan each print cost, bound and gap; a closed size says no plan exists."""
    import io
    from pathlib import Path

    from rich.console import Console

    from siteopt.console import print_result
    from siteopt.instance.loading import load_instance
    from siteopt.optimise.result import SizeRecord
    from siteopt.optimise.solve import solve

    toy = Path(__file__).resolve().parents[2] / "instances" / "toy.toml"
    result = solve(load_instance(toy), method="enumerate")
    sizes = (
        SizeRecord(3, "closed", True, None),
        SizeRecord(4, "relaxation", False, 99_000 * 10_000, cost=100_000 * 10_000, sites=("a",)),
    )
    shown = replace(result, statistics=replace(result.statistics, sizes=sizes))
    printed = io.StringIO()
    print_result(shown, Console(file=printed, width=200))
    text = printed.getvalue()
    assert "Cost against number of rooms" in text
    assert "no plan meets the constraints" in text
    assert "100,000" in text and "99,000" in text and "1.00%" in text
    printed = io.StringIO()
    print_result(result, Console(file=printed, width=200))
    assert "Cost against number of rooms" not in printed.getvalue()  # no curve: no table

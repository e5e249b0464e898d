"""Size lower bounds and the size-by-size exact search against the monolithic CP-SAT model."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from siteopt.optimise.bounds import size_lower_bounds
from siteopt.optimise.problem import ProblemData
from siteopt.optimise.search import solve_by_size, solve_cp_sat
from siteopt.status import Status
from tests.optimise.test_cpsat import KINDS, ROUTINGS, random_constraints, random_problem


@st.composite
def problems_up_to_three(draw: st.DrawFn) -> ProblemData:
    seed = draw(st.integers(0, 2**32 - 1))
    kinds = draw(st.sets(st.sampled_from(KINDS)))
    routings = draw(st.sampled_from(ROUTINGS))
    k_min = draw(st.integers(1, 3))
    rng = np.random.default_rng(seed)
    problem = random_problem(
        rng, n_sites=int(rng.integers(3, 6)), routings=routings, k_min=k_min, k_max=3
    )
    return replace(problem, constraints=random_constraints(rng, problem, kinds))


@settings(max_examples=150, deadline=None)
@given(problem=problems_up_to_three())
def test_each_size_bound_is_below_that_sizes_optimum(problem: ProblemData) -> None:
    """Exact for one and two sites, a valid lower bound beyond; None only when infeasible."""
    bounds = size_lower_bounds(problem)
    for k, bound in bounds.items():
        only_k = solve_cp_sat(replace(problem, k_min=k, k_max=k), workers=1)
        if bound is None:
            assert only_k.status is Status.INFEASIBLE
        elif k <= 2:
            assert only_k.objective == bound
        elif only_k.objective is not None:
            assert bound <= only_k.objective


@settings(max_examples=150, deadline=None)
@given(problem=problems_up_to_three())
def test_size_by_size_equals_the_monolithic_model(problem: ProblemData) -> None:
    """Same status and optimum to the unit as one CP-SAT model over every size."""
    whole = solve_cp_sat(problem, workers=1)
    result, parts = solve_by_size(problem, workers=1)
    assert result.status is whole.status
    assert result.objective == whole.objective
    assert [p.k for p in parts] == list(range(problem.k_min, problem.k_max + 1))
    if result.option is not None:
        assert result.proved_optimal
        assert result.best_bound == result.objective
        assert result.option.failed == ()


def test_cp_sat_searches_a_size_its_bound_cannot_rule_out() -> None:
    """Three rooms win when moving staff is dear: the bound leaves k = 3 to CP-SAT."""
    rng = np.random.default_rng(5)
    problem = random_problem(
        rng, n_sites=5, n_forces=3, n_intervals=4, k_min=1, k_max=3, routings=("by_force",)
    )
    rooms = [0, 1, 2]
    move = np.full((3, 5), 10**6, dtype=np.int64)
    move[[0, 1, 2], rooms] = 0
    problem = replace(problem, move_cost=move, max_seats=np.full(5, 60, dtype=np.int64))
    result, parts = solve_by_size(problem, workers=1)
    assert parts[-1].k == 3
    assert parts[-1].how == "cp-sat"
    assert result.option is not None
    assert result.option.sites == (0, 1, 2)
    assert result.objective == solve_cp_sat(problem, workers=1).objective

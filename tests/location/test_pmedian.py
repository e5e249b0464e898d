"""p-median: the Lagrangian branch and bound against brute force, the MIP and the BCH matrix."""

from __future__ import annotations

import math
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siteopt.instance.loading import load_instance
from siteopt.location import pmedian
from siteopt.location.base import STOPPED, Deadline, _Found
from siteopt.location.matrix import CostMatrix, instance_cost_matrix
from siteopt.location.solve import locate
from siteopt.status import Status
from tests.conftest import INSTANCES
from tests.location.helpers import as_matrix, brute_optimum, small_matrices


@settings(max_examples=150, deadline=None)
@given(data=small_matrices(max_n=10, max_m=8), p=st.integers(1, 6), listed=st.integers(1, 4))
def test_branch_and_bound_equals_brute_force(
    data: tuple[list[list[float]], list[float]], p: int, listed: int
) -> None:
    """No enumeration anywhere, and lists of 1..4 candidates per point (caps bind)."""
    matrix = as_matrix(*data)
    if p > len(matrix.candidate_ids):
        return
    n = int((matrix.weights > 0).sum())
    with (
        mock.patch.object(pmedian, "NODE_ENUMERATION_CELLS", 0),
        mock.patch.object(pmedian, "LIST_CELLS", max(1, n) * listed),
    ):
        result = locate(matrix, "pmedian", p=p)
    best = brute_optimum("pmedian", matrix, p, None)
    if math.isinf(best):
        assert result.status is Status.INFEASIBLE
        return
    assert result.status is Status.OPTIMAL, result.method
    assert result.objective == pytest.approx(best, rel=1e-12, abs=1e-9)
    assert len(result.sites) == p and result.gap == 0.0


def plane(n: int, m: int, seed: int) -> CostMatrix:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 50, size=(n, 2))
    sites = rng.uniform(0, 50, size=(m, 2))
    detour = rng.uniform(1.0, 1.6, size=(n, m))
    return CostMatrix(
        minutes=np.hypot(*(xy[:, None, :] - sites[None, :, :]).transpose(2, 0, 1)) * detour,
        weights=rng.integers(1, 100, n).astype(float),
        demand_ids=tuple(f"d{i}" for i in range(n)),
        candidate_ids=tuple(f"s{j}" for j in range(m)),
        source="random plane",
    )


@pytest.mark.parametrize(("p", "seed"), [(4, 1), (6, 2), (8, 3)])
def test_branch_and_bound_agrees_with_the_mip_on_a_plane(p: int, seed: int) -> None:
    matrix = plane(400, 30, seed)
    with mock.patch.object(pmedian, "NODE_ENUMERATION_CELLS", 0):
        ours = locate(matrix, "pmedian", p=p)
    mip = locate(matrix, "pmedian", p=p, method="mip")
    assert ours.status is Status.OPTIMAL and mip.status is Status.OPTIMAL
    assert ours.objective == pytest.approx(mip.objective, rel=1e-9)


@pytest.fixture(scope="module")
def bch() -> CostMatrix:
    return instance_cost_matrix(load_instance(INSTANCES / "bch-2015.toml"), cache=False)


@pytest.mark.parametrize("p", [1, 2, 3, 4])
def test_bch_answers_equal_complete_enumeration(bch: CostMatrix, p: int) -> None:
    auto = locate(bch, "pmedian", p=p)
    every = locate(bch, "pmedian", p=p, method="enumerate")
    assert auto.status is Status.OPTIMAL
    assert auto.objective == pytest.approx(every.objective, rel=1e-12)


def test_bch_p5_equals_the_elloumi_mip(bch: CostMatrix) -> None:
    auto = locate(bch, "pmedian", p=5)
    mip = locate(bch, "pmedian", p=5, method="mip")
    assert (auto.status, mip.status) == (Status.OPTIMAL, Status.OPTIMAL)
    assert auto.objective == pytest.approx(mip.objective, rel=1e-9)


def test_an_infeasible_choice_is_proven_by_the_hitting_set_search() -> None:
    """Three points, each reachable from one site only: two sites cannot serve them all."""
    inf = math.inf
    times = [[1.0, inf, inf, 5.0], [inf, 1.0, inf, inf], [inf, inf, 1.0, inf]]
    result = locate(as_matrix(times, [1.0, 1.0, 1.0]), "pmedian", p=2)
    assert result.status is Status.INFEASIBLE and result.sites == ()
    assert locate(as_matrix(times, [1.0, 1.0, 1.0]), "pmedian", p=3).status is Status.OPTIMAL


def test_a_stopped_mip_answer_kept_over_the_heuristic_says_it_was_stopped() -> None:
    """HiGHS stopped holding the optimum: its set is kept, labelled stopped, with its bound."""
    matrix = plane(60, 12, seed=5)
    best = locate(matrix, "pmedian", p=3)
    chosen = tuple(matrix.candidate_ids.index(s) for s in best.sites)
    stopped = _Found(chosen, Status.FEASIBLE, "HiGHS MIP (Elloumi)", bound=1.0)
    kept = pmedian._with_heuristic_start(
        stopped, matrix.minutes, matrix.weights, 3, Deadline(math.inf)
    )
    assert kept == _Found(chosen, Status.FEASIBLE, f"HiGHS MIP (Elloumi): {STOPPED}", 1.0)

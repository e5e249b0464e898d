"""The Lagrangian bound and fixing: valid for every λ, every radius and every fixing."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siteopt.location.base import NO_DEADLINE
from siteopt.location.lagrangian import ascend, fixings, near_lists, relax
from tests.location.helpers import small_matrices


def weighted(
    data: tuple[list[list[float]], list[float]],
) -> tuple[np.ndarray, np.ndarray] | None:
    times = np.array(data[0])
    w = np.array(data[1])
    keep = w > 0
    if not keep.any() or not np.isfinite(times[keep]).any(axis=1).all():
        return None
    return times[keep], w[keep]


def costs(times: np.ndarray, w: np.ndarray, sites: tuple[int, ...]) -> float:
    return float(w @ times[:, list(sites)].min(axis=1))


@settings(max_examples=200, deadline=None)
@given(
    data=small_matrices(),
    p=st.integers(1, 4),
    k=st.integers(1, 7),
    scale=st.lists(st.floats(0.0, 3.0), min_size=10, max_size=10),
    fixed=st.lists(st.sampled_from(["open", "closed", "free"]), min_size=7, max_size=7),
)
def test_every_lambda_gives_a_lower_bound(
    data: tuple[list[list[float]], list[float]],
    p: int,
    k: int,
    scale: list[float],
    fixed: list[str],
) -> None:
    """L(λ) ≤ the cheapest set that respects the fixings, for any λ, radius and fixing."""
    pair = weighted(data)
    if pair is None:
        return
    times, w = pair
    n, m = times.shape
    opened = np.array([f == "open" for f in fixed[:m]])
    free = np.array([f == "free" for f in fixed[:m]])
    r = p - int(opened.sum())
    if r < 0 or int(free.sum()) < r:
        return
    sets = [
        tuple(np.flatnonzero(opened).tolist()) + extra
        for extra in itertools.combinations(np.flatnonzero(free).tolist(), r)
    ]
    best = min(costs(times, w, s) for s in sets)
    lists = near_lists(times, w, k)
    nearest = np.where(np.isfinite(times), times, np.nan)
    lam = np.nan_to_num(np.nanmax(nearest, axis=1) * w * np.array(scale[:n]), nan=0.0)
    lam = np.clip(lam, lists.floor, lists.cap)
    relaxed = relax(lists, lam, opened=opened, free=free, p=p)
    assert relaxed.value <= best + 1e-9 * max(1.0, abs(best))
    # with λ within its caps, S*'s cover counts read off the lists match the whole matrix
    dense = (times[:, relaxed.chosen] * w[:, None] < lam[:, None]).sum(axis=1)
    assert relaxed.covered.tolist() == dense.tolist()
    ascent = ascend(
        lists, lam, opened=opened, free=free, p=p, incumbent=best * 1.01 + 1,
        deadline=NO_DEADLINE, iterations=50,
    )  # fmt: skip
    assert ascent.bound <= best + 1e-9 * max(1.0, abs(best))


@settings(max_examples=200, deadline=None)
@given(data=small_matrices(), p=st.integers(1, 3), k=st.integers(1, 7), slack=st.floats(0, 0.3))
def test_fixed_sites_never_hide_a_better_set(
    data: tuple[list[list[float]], list[float]], p: int, k: int, slack: float
) -> None:
    """A site fixed closed is in no set cheaper than the incumbent; one fixed open in all."""
    pair = weighted(data)
    if pair is None:
        return
    times, w = pair
    m = times.shape[1]
    if p >= m:
        return
    values = {s: costs(times, w, s) for s in itertools.combinations(range(m), p)}
    best = min(values.values())
    if not math.isfinite(best):
        return
    incumbent = best * (1 + slack)
    lists = near_lists(times, w, k)
    opened, free = np.zeros(m, dtype=bool), np.ones(m, dtype=bool)
    ascent = ascend(
        lists, np.zeros(len(w)), opened=opened, free=free, p=p, incumbent=incumbent,
        deadline=NO_DEADLINE, iterations=100,
    )  # fmt: skip
    closed, fixed_open = fixings(ascent.relaxed, free, incumbent)
    tolerance = 1e-9 * incumbent
    for sites, value in values.items():
        if value < incumbent - tolerance:
            assert not set(sites) & set(closed.tolist()), (sites, value, incumbent)
            assert set(fixed_open.tolist()) <= set(sites), (sites, value, incumbent)


def test_lists_hold_the_nearest_candidates_and_their_cap() -> None:
    times = np.array([[5.0, 1.0, 3.0, np.inf], [2.0, 2.0, 9.0, 4.0]])
    w = np.array([2.0, 1.0])
    lists = near_lists(times, w, 2)
    assert lists.cost.tolist() == [[2.0, 6.0], [2.0, 2.0]]
    assert lists.site[0].tolist() == [1, 2]
    assert lists.cap.tolist() == [10.0, 4.0]
    assert lists.floor.tolist() == [2.0, 2.0]
    assert not lists.complete and near_lists(times, w, 4).complete
    subset = near_lists(times, w, 2, columns=np.array([0, 3]))
    assert subset.cost.tolist() == [[10.0, math.inf], [2.0, 4.0]]
    assert subset.columns.tolist() == [0, 3]


def test_relax_matches_the_definition() -> None:
    """L(λ) = Σλ + the p smallest ρⱼ = Σᵢ min(0, cᵢⱼ − λᵢ), written out by hand."""
    times = np.array([[1.0, 4.0, 6.0], [3.0, 1.0, 5.0], [6.0, 5.0, 1.0]])
    w = np.array([1.0, 2.0, 1.0])
    lam = np.array([5.0, 4.0, 3.0])
    # c = [[1,4,6],[6,2,10],[6,5,1]]; ρ = [(1-5), (4-5)+(2-4), (1-3)] = [-4, -3, -2]
    relaxed = relax(
        near_lists(times, w, 3), lam, opened=np.zeros(3, bool), free=np.ones(3, bool), p=2
    )
    assert relaxed.rho.tolist() == [-4.0, -3.0, -2.0]
    assert relaxed.value == pytest.approx(12.0 - 7.0)
    assert sorted(relaxed.chosen.tolist()) == [0, 1]
    assert relaxed.covered.tolist() == [2.0, 1.0, 0.0]

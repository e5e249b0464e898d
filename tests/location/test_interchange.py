"""Greedy and fast interchange: profits equal real cost changes; the result is a local optimum."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siteopt.location.interchange import (
    _swap_profits,
    greedy,
    interchange,
    row_chunks,
    set_cost,
    unreachable_penalty,
)
from tests.location.helpers import small_matrices


@st.composite
def swappable(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, float, int]:
    """Times, weights, the penalty and a p that leaves a site to swap in."""
    times, w = (np.array(part) for part in draw(small_matrices()))
    p = draw(st.integers(1, times.shape[1] - 1))
    return times, w, unreachable_penalty(times, w), p


def penalised(times: np.ndarray, w: np.ndarray, sites: list[int], penalty: float) -> float:
    return float(w @ np.minimum(times[:, sites], penalty).min(axis=1))


@settings(max_examples=200, deadline=None)
@given(drawn=swappable(), seed=st.integers(0, 1000))
def test_swap_profits_are_the_cost_changes(
    drawn: tuple[np.ndarray, np.ndarray, float, int], seed: int
) -> None:
    times, w, penalty, p = drawn
    m = times.shape[1]
    chosen = np.random.default_rng(seed).choice(m, p, replace=False).tolist()
    profits = _swap_profits(times, w, chosen, penalty)
    before = penalised(times, w, chosen, penalty)
    for r, j in itertools.product(range(p), range(m)):
        if j in chosen:
            assert profits[r, j] == -np.inf
            continue
        after = penalised(times, w, [*chosen[:r], j, *chosen[r + 1 :]], penalty)
        assert profits[r, j] == pytest.approx(before - after, rel=1e-9, abs=1e-6)


@settings(max_examples=100, deadline=None)
@given(drawn=swappable())
def test_interchange_ends_where_no_swap_helps(
    drawn: tuple[np.ndarray, np.ndarray, float, int],
) -> None:
    times, w, penalty, p = drawn
    m = times.shape[1]
    start = greedy(times, w, p, penalty)
    assert len(set(start)) == p
    found = interchange(times, w, start, penalty)
    value = penalised(times, w, found, penalty)
    assert value <= penalised(times, w, start, penalty) + 1e-9
    for r, j in itertools.product(range(p), set(range(m)) - set(found)):
        swapped = [*found[:r], j, *found[r + 1 :]]
        assert penalised(times, w, swapped, penalty) >= value - 1e-9 * max(1.0, value)


def test_the_penalty_outweighs_any_reachable_total() -> None:
    times = np.array([[1.0, np.inf], [np.inf, 2.0], [3.0, 4.0]])
    w = np.array([1.0, 0.5, 2.0])
    penalty = unreachable_penalty(times, w)
    assert penalty * w.min() > w.sum() * 4.0
    assert set_cost(times, w, [0]) == np.inf
    assert set_cost(times, w, [0, 1]) == 1.0 + 1.0 + 6.0


def test_row_chunks_cover_every_row_once() -> None:
    rows = [r for s in row_chunks(10, 3, cells=7) for r in range(s.start, s.stop)]
    assert rows == list(range(10))

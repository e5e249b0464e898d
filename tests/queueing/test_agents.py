"""The Erlang A staffing search: the same answers as a plain bisection of each cell alone."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siteopt.queueing import agents
from siteopt.queueing.agents import (
    ServiceTarget,
    _erlang_a_met,
    _erlang_a_required,
    _erlang_c_required,
    _occupancy_floor,
    _staffing_upper_bound,
)

FloatArray = npt.NDArray[np.float64]


def bisected(
    a: FloatArray, aht: FloatArray, patience: FloatArray, target: ServiceTarget
) -> FloatArray:
    """The search the guided one replaced: bisection between the occupancy floor and the bound."""
    lo = np.maximum(_occupancy_floor(a, target.max_occupancy), 1.0)
    hi = np.maximum(_staffing_upper_bound(a, aht, patience, target), lo)
    active = np.flatnonzero(lo < hi)
    while active.size:
        mid = np.floor((lo[active] + hi[active]) / 2.0)
        ok = _erlang_a_met(mid, a[active], aht[active], patience[active], target)
        hi[active[ok]] = mid[ok]
        lo[active[~ok]] = mid[~ok] + 1.0
        active = active[lo[active] < hi[active]]
    return hi


cell = st.tuples(
    st.floats(1e-3, 400.0),  # load (Erlangs)
    st.floats(5.0, 900.0),  # handling time (s)
    st.floats(1.0, 5000.0),  # patience (s)
)
targets = st.builds(
    ServiceTarget,
    share=st.floats(0.05, 0.99),
    wait_s=st.sampled_from([0.0, 5.0, 10.0, 20.0, 60.0, 300.0]),
    max_asa_s=st.none() | st.floats(0.5, 120.0),
    max_occupancy=st.none() | st.floats(0.5, 1.0),
    max_abandon_share=st.none() | st.floats(0.005, 0.5),
)


@settings(max_examples=150, deadline=None)
@given(cells=st.lists(cell, min_size=1, max_size=40), target=targets)
def test_search_equals_bisection_and_finds_the_smallest_staffing_meeting_the_target(
    cells: list[tuple[float, float, float]], target: ServiceTarget
) -> None:
    a, aht, patience = (np.array(column) for column in zip(*cells, strict=True))
    n = _erlang_a_required(a.copy(), aht, patience, target)
    assert n.tolist() == bisected(a.copy(), aht, patience, target).tolist()
    floor = np.maximum(_occupancy_floor(a, target.max_occupancy), 1.0)
    bound = np.maximum(_staffing_upper_bound(a, aht, patience, target), floor)
    assert ((n >= floor) & (n <= bound)).all()
    met = _erlang_a_met(n, a, aht, patience, target)
    assert (met | (n == bound)).all()
    below = n > floor
    if below.any():
        assert not _erlang_a_met(
            n[below] - 1.0, a[below], aht[below], patience[below], target
        ).any()


def test_guided_search_handles_cells_where_erlang_a_needs_more_than_erlang_c() -> None:
    # Near its threshold the first cell needs 2 agents under Erlang A and 1 under Erlang C
    # (tests/queueing/test_staffing.py): the guess (Erlang C's answer) is below the answer.
    a = np.array([3.0 * 100.0 / 3600.0, 5.0, 40.0])
    aht = np.array([100.0, 300.0, 240.0])
    patience = np.array([6000.0, 60.0, 180.0])
    target = ServiceTarget(share=0.9519, wait_s=60.0)
    assert _erlang_c_required(a, aht, target)[0] == 1
    found = _erlang_a_required(a.copy(), aht, patience, target)
    assert found[0] == 2
    assert found.tolist() == bisected(a.copy(), aht, patience, target).tolist()


streams = st.tuples(st.floats(5.0, 900.0), st.floats(1.0, 5000.0))  # handling time, patience


@settings(max_examples=150, deadline=None)
@given(
    pairs=st.lists(streams, min_size=1, max_size=4),
    loads=st.lists(
        st.tuples(st.integers(0, 3), st.floats(1e-3, 60.0) | st.sampled_from([0.5, 2.0, 7.25])),
        min_size=1,
        max_size=200,
    ),
    target=targets,
)
def test_cells_of_one_stream_solved_from_their_neighbours_equal_bisection(
    pairs: list[tuple[float, float]], loads: list[tuple[int, float]], target: ServiceTarget
) -> None:
    """Many loads per stream (repeated ones too): the stretches filled between equal answers."""
    which = np.array([i % len(pairs) for i, _ in loads])
    a = np.array([load for _, load in loads])
    aht = np.array([pairs[i][0] for i in which])
    patience = np.array([pairs[i][1] for i in which])
    found = _erlang_a_required(a.copy(), aht, patience, target)
    assert found.tolist() == bisected(a.copy(), aht, patience, target).tolist()


def test_a_week_of_one_stream_searches_few_cells() -> None:
    """2,000 loads of one stream: a few percent of the cells are evaluated, the rest filled."""
    a = np.linspace(0.2, 25.0, 2000)
    aht, patience = np.full_like(a, 240.0), np.full_like(a, 180.0)
    target = ServiceTarget(share=0.8, wait_s=30.0, max_occupancy=0.85)
    evaluated: list[int] = []
    real = agents._erlang_a_met

    def counting(n: FloatArray, *rest: Any) -> npt.NDArray[np.bool_]:
        evaluated.append(n.size)
        return real(n, *rest)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(agents, "_erlang_a_met", counting)
        found = _erlang_a_required(a.copy(), aht, patience, target)
    assert found.tolist() == bisected(a.copy(), aht, patience, target).tolist()
    assert sum(evaluated) < 0.1 * a.size

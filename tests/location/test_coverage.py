"""Covering models' internals: the solver-free lower bound on the fewest covering sites."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from siteopt.location.coverage import _cover_lower_bound, _greedy_cover


def fewest_covering_sites(patterns: np.ndarray) -> int:
    """Brute force: the smallest number of columns with a True in every row."""
    m = patterns.shape[1]
    for k in range(1, m + 1):
        for chosen in itertools.combinations(range(m), k):
            if patterns[:, list(chosen)].any(axis=1).all():
                return k
    raise AssertionError("some row has no covering site")


@settings(max_examples=200, deadline=None)
@given(
    arrays(np.bool_, st.tuples(st.integers(1, 12), st.integers(1, 7))).filter(
        lambda a: bool(a.any(axis=1).all())
    )
)
def test_the_cover_bound_never_exceeds_the_optimum(patterns: np.ndarray) -> None:
    greedy = _greedy_cover(patterns)
    optimum = fewest_covering_sites(patterns)
    bound = _cover_lower_bound(patterns, len(greedy))
    assert 1 <= bound <= optimum <= len(greedy)


def test_rows_that_share_no_site_each_count() -> None:
    """Four rows, each with its own two sites: no three sites cover them all."""
    patterns = np.kron(np.eye(4, dtype=bool), np.ones((1, 2), dtype=bool))
    assert _cover_lower_bound(patterns, len(_greedy_cover(patterns))) == 4.0

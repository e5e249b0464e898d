"""PairMinutes: candidate × candidate minutes served pair by pair equal the dense matrix."""

from __future__ import annotations

import numpy as np
import pytest

from siteopt.instance.loading import load_instance
from siteopt.network.pairs import ROUNDING_MINUTES, PairMinutes
from siteopt.network.points import site_points
from siteopt.network.sources import load_network
from siteopt.network.travel import travel_times
from tests.conftest import INSTANCES


@pytest.fixture(scope="module")
def measured() -> tuple[PairMinutes, np.ndarray]:
    """The BCH candidates' pairs on the network, and the dense matrix travel_times makes."""
    instance = load_instance(INSTANCES / "bch-2015.toml")
    network = load_network(instance)
    points = site_points(instance)
    dense = travel_times(network, points, points, cache=False).minutes
    return PairMinutes.on_network(network, points), dense


def test_rows_and_pairs_equal_the_dense_matrix_to_the_bit(
    measured: tuple[PairMinutes, np.ndarray],
) -> None:
    pairs, dense = measured
    rows = np.array([3, 0, 7, 3])
    np.testing.assert_array_equal(pairs.rows(rows), dense[rows])
    first, second = np.array([0, 5, 2]), np.array([5, 0, 9])
    np.testing.assert_array_equal(pairs.pairs(first, second), dense[first, second])
    for block, minutes in pairs.blocks():
        np.testing.assert_array_equal(minutes, dense[block])


def test_columns_search_from_the_targets_within_rounding(
    measured: tuple[PairMinutes, np.ndarray],
) -> None:
    pairs, dense = measured
    columns = np.array([1, 4])
    np.testing.assert_allclose(
        pairs.columns(columns), dense[:, columns], rtol=0, atol=ROUNDING_MINUTES
    )


def test_outside_flags_pairs_out_of_range_either_way(
    measured: tuple[PairMinutes, np.ndarray],
) -> None:
    pairs, dense = measured
    apart, reach = np.minimum(dense, dense.T), np.maximum(dense, dense.T)
    expected = (apart < 15) | (reach > 60)
    np.fill_diagonal(expected, val=False)
    np.testing.assert_array_equal(pairs.outside(15, 60), expected)
    assert pairs.outside(15, 60) is pairs.outside(15.0, 60.0)  # computed once
    assert (PairMinutes.from_matrix(dense).outside(15, 60) == expected).all()


def test_a_dense_matrix_must_be_square() -> None:
    with pytest.raises(ValueError, match="square"):
        PairMinutes.from_matrix(np.zeros((2, 3)))

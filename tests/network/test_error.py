"""The travel-time error model: reading it, bands in minutes, intervals, Monte-Carlo samples."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siteopt.data import open_dataset
from siteopt.errors import NetworkError
from siteopt.instance.loading import load_instance
from siteopt.network.error import (
    ErrorDistribution,
    TravelTimeError,
    area_types,
    instance_travel_time_error,
    travel_time_error,
    trip_area_type,
)
from tests.conftest import INSTANCES

LEVELS = np.linspace(0.0, 1.0, 5)


@pytest.fixture(scope="module")
def model() -> TravelTimeError:
    """The error model shipped with the embedded BCH network."""
    return travel_time_error(open_dataset("bch"))


def two_kinds(quantiles: list[float]) -> dict[str, Any]:
    """An error model as stored, with one distribution per data kind and area type."""
    return {
        "levels": LEVELS.tolist(),
        "county_data": {"cambridgeshire": "real_a_roads", "hertfordshire": "strategic_mesh"},
        "distributions": [
            {"data_kind": kind, "area_type": area, "pairs": 10, "quantiles": quantiles}
            for kind in ("real_a_roads", "strategic_mesh")
            for area in ("urban", "rural")
        ],
    }


def test_shipped_model_covers_both_data_kinds_and_area_types(model: TravelTimeError) -> None:
    """Four distributions from thousands of validated pairs; each county has its data kind."""
    assert set(model.distributions) == {
        (kind, area) for kind in ("real_a_roads", "strategic_mesh") for area in ("urban", "rural")
    }
    assert all(d.pairs > 500 for d in model.distributions.values())
    assert model.data_kind_of("cambridgeshire") == "real_a_roads"
    assert model.data_kind_of("bedfordshire") == model.data_kind_of("hertfordshire")
    assert model.data_kind_of("hertfordshire") == "strategic_mesh"
    assert "reference" in model.definition


def test_real_a_roads_are_trusted_more_than_the_mesh(model: TravelTimeError) -> None:
    """The validation's finding: where the real A roads are in, times err less and less slow."""
    for area in ("urban", "rural"):
        real = model.distribution(area, "real_a_roads")
        mesh = model.distribution(area, "strategic_mesh")
        assert real.typical_share() < mesh.typical_share()
        assert mesh.median_bias > 0.03  # the mesh alone is slow where A roads exist


def test_expected_error_in_minutes_scales_with_the_time(model: TravelTimeError) -> None:
    """ "60.4 min ± x": x is the typical share of the time shown; twice the time, twice x."""
    one = model.expected_error_minutes(60.4, "rural", data_kind="real_a_roads")
    two = model.expected_error_minutes([60.4, 120.8], "rural", data_kind="real_a_roads")
    assert 0.5 < float(one) < 10.0
    np.testing.assert_allclose(two, [one, 2 * one])


def test_interval_of_the_real_time(model: TravelTimeError) -> None:
    """80 % interval: wider than the 50 % one; below the time shown for a slow network."""
    low, high = model.interval_minutes(60.0, "urban", data_kind="strategic_mesh")
    low50, high50 = model.interval_minutes(60.0, "urban", data_kind="strategic_mesh", coverage=0.5)
    assert low < low50 < high50 < high
    assert (low + high) / 2 < 60.0
    with pytest.raises(NetworkError, match="coverage"):
        model.interval_minutes(60.0, "urban", data_kind="strategic_mesh", coverage=1.0)


def test_samples_follow_the_stored_distribution(model: TravelTimeError) -> None:
    """Inverse-transform samples reproduce the stored quantiles (seeded, 200,000 draws)."""
    rng = np.random.default_rng(19)
    draws = model.sample_relative_errors(rng, 200_000, "rural", data_kind="real_a_roads")
    stored = model.distribution("rural", "real_a_roads")
    for level in (0.1, 0.5, 0.9):
        assert np.quantile(draws, level) == pytest.approx(
            float(stored.relative_error(level)), abs=0.005
        )
    real = model.sample_real_minutes(
        rng, [30.0, 60.0], "rural", data_kind="real_a_roads", draws=1000
    )
    assert real.shape == (1000, 2) and (real > 0).all()


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.floats(-0.9, 2.0), min_size=5, max_size=5).map(sorted),
    st.integers(0, 2**32 - 1),
)
def test_samples_stay_within_the_measured_range(quantiles: list[float], seed: int) -> None:
    """Property: every draw lies between the smallest and largest error measured."""
    model = TravelTimeError.from_dict(two_kinds(quantiles))
    draws = model.sample_relative_errors(
        np.random.default_rng(seed), 500, "urban", data_kind="strategic_mesh"
    )
    assert draws.min() >= quantiles[0] - 1e-12 and draws.max() <= quantiles[-1] + 1e-12
    shown = model.expected_error_minutes(45.0, "urban", data_kind="strategic_mesh")
    assert 0.0 <= float(shown) <= 45.0 * max(abs(q / (1 + q)) for q in quantiles) + 1e-9


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("levels"), "malformed error model"),
        (lambda d: d["distributions"][0].update(quantiles=[0.1, 0.0, 0.2, 0.3, 0.4]), "non-decr"),
        (lambda d: d["distributions"][0].update(quantiles=[-1.2, 0.0, 0.1, 0.2, 0.3]), "-100 %"),
        (lambda d: d.update(levels=[0.0, 0.5, 0.4, 0.9, 1.0]), "rise from 0 to 1"),
        (lambda d: d.update(distributions=[]), "no error distribution"),
    ],
)
def test_a_damaged_model_is_one_clear_error(change: Any, message: str) -> None:
    """Missing fields, falling quantiles, impossible errors, bad levels: NetworkError."""
    data = two_kinds([-0.2, -0.05, 0.0, 0.05, 0.3])
    change(data)
    with pytest.raises(NetworkError, match=message):
        TravelTimeError.from_dict(data)


def test_unknown_kinds_and_forces_name_the_known_ones(model: TravelTimeError) -> None:
    """A typo in a data kind or a force is an error listing what exists."""
    with pytest.raises(NetworkError, match="known: real_a_roads/rural"):
        model.expected_error_minutes(30.0, "urban", data_kind="real_roads")
    with pytest.raises(NetworkError, match="known: bedfordshire, cambridgeshire"):
        model.data_kind_of("essex")


def test_trip_area_type_is_urban_only_when_both_ends_are() -> None:
    """How the validation groups pairs."""
    assert trip_area_type("urban", "urban") == "urban"
    assert trip_area_type("urban", "rural") == trip_area_type("rural", "urban") == "rural"
    with pytest.raises(NetworkError, match="expected one of urban, rural"):
        trip_area_type("town", "urban")


def test_every_lsoa_and_site_has_an_area_type() -> None:
    """1,558 LSOAs (1,008 urban by population density) and the 32 sites."""
    types = area_types(open_dataset("bch"))
    lsoas = open_dataset("bch").lsoas()
    assert set(types) == set(lsoas["lsoa11cd"]) | set(open_dataset("bch").sites)
    assert set(types.values()) == {"urban", "rural"}
    assert sum(types[c] == "urban" for c in lsoas["lsoa11cd"]) == 1008
    assert types["parkside"] == "urban"


def test_only_the_embedded_network_has_an_error_model(tmp_path: Path) -> None:
    """A user's road file was not validated: no error model rather than a borrowed one."""
    assert instance_travel_time_error(load_instance(INSTANCES / "bch-2015.toml")) is not None
    (tmp_path / "roads.osm.pbf").write_bytes(b"not read: only named")
    variant = tmp_path / "osm.toml"
    variant.write_text(
        f'extends = "{(INSTANCES / "bch-2015.toml").as_posix()}"\n'
        '[network]\nkind = "osm"\npath = "roads.osm.pbf"\n',
        encoding="utf-8",
    )
    assert instance_travel_time_error(load_instance(variant)) is None


def test_distribution_arrays_are_read_only(model: TravelTimeError) -> None:
    """Frozen data: the stored quantiles cannot be changed by a caller."""
    dist: ErrorDistribution = model.distribution("urban", "real_a_roads")
    with pytest.raises(ValueError, match="read-only"):
        dist.quantiles[0] = 0.0

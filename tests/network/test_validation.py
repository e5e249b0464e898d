"""Out-of-sample validation of the embedded network: the error table cannot silently get worse.

The committed reference pairs (``network_validation_pairs.parquet``: time over the real major
roads between LSOA points at least 10 km apart, see ``geodata/network_validation.py``) are
compared with the committed network's times; the errors must match what the build recorded and
stay within the bounds below (docs/network.md publishes the table).
"""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from geodata import BCH_DIR
from siteopt.data import open_dataset
from siteopt.network.graph import RoadNetwork
from siteopt.network.points import Points, lsoa_points
from siteopt.network.route import route
from siteopt.network.sources import embedded_network
from siteopt.network.travel import travel_times
from tests.conftest import INSTANCES, CliResult

#: Regression bounds (median, 90th percentile absolute % error) per county and area type; the
#: build measured Cambridgeshire 5.2/17.9 (urban) and 6.4/22.7 (rural), Bedfordshire 9.0/28.5
#: and 10.9/27.6.
BOUNDS = {
    ("cambridgeshire", "urban"): (6.5, 21.0),
    ("cambridgeshire", "rural"): (7.5, 25.0),
    ("bedfordshire", "urban"): (11.0, 31.0),
    ("bedfordshire", "rural"): (12.5, 30.0),
}


@pytest.fixture(scope="module")
def embedded() -> RoadNetwork:
    """The committed BCH network."""
    return embedded_network(open_dataset("bch"))


@pytest.fixture(scope="module")
def measured(embedded: RoadNetwork) -> pd.DataFrame:
    """The validation pairs with the committed network's relative error."""
    pairs = pd.read_parquet(BCH_DIR / "network_validation_pairs.parquet")
    homes, _ = lsoa_points(open_dataset("bch"))
    index = {c: i for i, c in enumerate(homes.ids)}
    codes = sorted(set(pairs["from_lsoa"]) | set(pairs["to_lsoa"]))
    points = Points(
        tuple(codes), homes.x[[index[c] for c in codes]], homes.y[[index[c] for c in codes]]
    )
    times = travel_times(embedded, points, points, cache=False)
    at = {c: i for i, c in enumerate(codes)}
    model = times.seconds[pairs["from_lsoa"].map(at), pairs["to_lsoa"].map(at)]
    return pairs.assign(error=model / pairs["reference_s"].to_numpy() - 1.0)


def test_validation_covers_cambridgeshire_and_bedfordshire_both_area_types(
    measured: pd.DataFrame,
) -> None:
    """Tens of thousands of Cambridgeshire pairs, over a thousand around Bedford; no Herts."""
    sizes = measured.groupby(["county", "area_type"]).size().to_dict()
    assert set(sizes) == set(BOUNDS)
    assert sizes["cambridgeshire", "rural"] > 50_000 and sizes["bedfordshire", "rural"] > 500
    assert (measured["reference_s"] >= 5 * 60).all()
    assert measured["local_ends_share"].median() < 0.25


@pytest.mark.parametrize(("county", "area"), sorted(BOUNDS))
def test_out_of_sample_error_does_not_regress(
    measured: pd.DataFrame, county: str, area: str
) -> None:
    """Median and P90 absolute error under the bounds, and equal to the build's record."""
    errors = measured.loc[
        (measured["county"] == county) & (measured["area_type"] == area), "error"
    ].to_numpy()
    median, p90 = np.median(np.abs(errors)) * 100, np.percentile(np.abs(errors), 90) * 100
    assert median <= BOUNDS[county, area][0]
    assert p90 <= BOUNDS[county, area][1]
    recorded = json.loads((BCH_DIR / "network_calibration.json").read_text(encoding="utf-8"))
    (row,) = [
        r
        for r in recorded["validation"]["rows"]
        if r["county"] == county and r["area_type"] == area and r["network"] == "built"
    ]
    assert row["pairs"] == len(errors)
    assert row["median_abs_pct"] == pytest.approx(median, abs=0.05)
    assert row["p90_abs_pct"] == pytest.approx(p90, abs=0.05)


def test_recorded_table_shows_what_the_real_a_roads_bring() -> None:
    """Cambridgeshire without its A roads (the other counties' kind of data) errs more and is
    slow; with them the error is small and barely biased."""
    rows = json.loads((BCH_DIR / "network_calibration.json").read_text(encoding="utf-8"))
    table = {(r["comparison"], r["area_type"]): r for r in rows["validation"]["rows"]}
    for area in ("urban", "rural"):
        real = table["Cambridgeshire", area]
        without = table["Cambridgeshire without its A roads", area]
        assert real["pairs"] == without["pairs"]
        assert real["median_abs_pct"] < without["median_abs_pct"] / 1.5
        assert abs(real["median_signed_pct"]) < 5 < without["median_signed_pct"]
    assert table["Hertfordshire", "urban"]["pairs"] == 0  # the file reaches only Royston


# ---------------------------------------------------------------------------------------------
# The routes the issue names


def roads_between(embedded: RoadNetwork, a: str, b: str) -> tuple[list[str], float]:
    """Roads named on the fastest route between two dataset sites, and its minutes."""
    sites = open_dataset("bch").sites
    found = route(embedded, (sites[a].x, sites[a].y), (sites[b].x, sites[b].y))
    return found.roads(), found.seconds / 60.0


def test_ely_to_parkside_follows_the_a10(embedded: RoadNetwork) -> None:
    """Ely → Cambridge: down the A10 into Milton Road (A1309), about 25-35 min free-flow."""
    roads, minutes = roads_between(embedded, "ely", "parkside")
    assert "A10" in roads and "A1309" in roads
    assert 22 <= minutes <= 35


def test_march_to_huntingdon_follows_the_a141(embedded: RoadNetwork) -> None:
    """March → Huntingdon: the A141 through Chatteris, about 30-40 min free-flow."""
    roads, minutes = roads_between(embedded, "march", "huntingdon")
    assert roads[0] == "A141"
    assert 28 <= minutes <= 42


def test_bedford_to_luton_keeps_its_strategic_model(embedded: RoadNetwork) -> None:
    """No real A roads in Bedfordshire: the trip still runs on the M1 and the mesh, as before
    (48 min; about 35 in reality via the A6, a known slow case of the strategic + mesh data)."""
    roads, minutes = roads_between(embedded, "greyfriars-bedford-former", "luton")
    assert roads == ["M1"]
    assert 45 <= minutes <= 51


def test_cli_route_names_the_a_roads(run_cli: Callable[..., CliResult]) -> None:
    """``siteopt route instances/bch-2015.toml march huntingdon`` prints the A141."""
    result = run_cli("route", str(INSTANCES / "bch-2015.toml"), "march", "huntingdon")
    assert result.code == 0, result.err
    assert "roads: A141" in result.out and "real A roads" in result.out

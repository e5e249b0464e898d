"""OpenStreetMap road lines in GIS files: splits, one-way inference, limits, the county file."""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import LineString

from siteopt.errors import NetworkError
from siteopt.network.graph import RoadNetwork
from siteopt.network.osm_lines import (
    divided_carriageways,
    line_directions,
    osm_line_edges,
    osm_lines_frame,
)
from siteopt.network.route import route
from siteopt.network.sources import network_from_osm
from siteopt.network.travel import node_times
from siteopt.roadclasses import ROUNDABOUT_KPH, limit_speed_kph
from tests.conftest import INSTANCES, SHARED_GEODATA, CliResult

CAMBS_ROADS = SHARED_GEODATA / "roads" / "cambs_major_roads_osm.gpkg"
CAMBRIDGE_GRAPHML = SHARED_GEODATA / "roads" / "cambridge_city_drive.graphml"

needs_shared = pytest.mark.skipif(
    not CAMBS_ROADS.is_file(), reason="raw inputs (../shared/geodata) not beside the repository"
)

X0, Y0 = 545_000.0, 258_000.0


def lines_file(path: Path, rows: list[dict[str, object]], geoms: list[LineString]) -> Path:
    """Write OSM-style road lines (EPSG:27700) to a GeoPackage."""
    gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:27700").to_file(path, driver="GPKG")
    return path


def dual_and_single(tmp_path: Path, *, oneway: list[str] | None = None) -> Path:
    """Test roads: a dual carriageway (the A10, 1 km, its two lines 20 m apart and drawn in
    opposite directions; traffic keeps left, so the eastbound line is the northern one), a turn
    joining them at the west end, a single carriageway (A10) continuing from the east end to a
    roundabout, and the A142 crossing the dual road on a bridge (no shared vertex)."""
    east = LineString([(X0, Y0), (X0 + 1000, Y0)])
    west = LineString([(X0 + 1000, Y0 - 20), (X0, Y0 - 20)])
    single = LineString(
        [(X0 + 1000, Y0 - 20), (X0 + 1000, Y0), (X0 + 1500, Y0 + 200), (X0 + 2000, Y0 - 10)]
    )
    ring = LineString(
        [(X0 + 2000, Y0 - 10), (X0 + 2030, Y0 + 20), (X0 + 2060, Y0 - 10), (X0 + 2000, Y0 - 10)]
    )
    bridge = LineString([(X0 + 500, Y0 - 300), (X0 + 500, Y0 + 300)])
    turn = LineString([(X0, Y0 - 20), (X0, Y0)])
    rows: list[dict[str, object]] = [
        {"highway": "trunk", "ref": "A10", "name": None, "maxspeed": "70 mph", "junction": None},
        {"highway": "trunk", "ref": "A10", "name": None, "maxspeed": "70 mph", "junction": None},
        {"highway": "trunk", "ref": "A10", "name": None, "maxspeed": "60 mph", "junction": None},
        {"highway": "primary", "name": "Ring", "maxspeed": "40 mph", "junction": "roundabout"},
        {"highway": "primary", "ref": "A142", "name": None, "maxspeed": None, "junction": None},
        {"highway": "primary", "ref": None, "name": "Turn", "maxspeed": "30 mph", "junction": None},
    ]
    if oneway is not None:
        for row, value in zip(rows, oneway, strict=True):
            row["oneway"] = value
    return lines_file(tmp_path / "roads.gpkg", rows, [east, west, single, ring, bridge, turn])


def test_dual_carriageways_are_one_way_each_way_and_single_ones_two_way(tmp_path: Path) -> None:
    """No oneway field: the A10's two carriageways and the roundabout become one-way."""
    frame = osm_lines_frame(dual_and_single(tmp_path))
    directions = line_directions(frame)
    assert directions.inferred
    assert directions.direction.tolist() == [1, 1, 0, 1, 0, 0]
    assert directions.divided.tolist() == [True, True, False, False, False, False]


def test_a_parallel_line_on_the_wrong_side_is_not_a_carriageway(tmp_path: Path) -> None:
    """Traffic keeps left: each carriageway has the other on its right, not its left."""
    east = LineString([(X0, Y0), (X0 + 1000, Y0)])
    west_on_left = LineString([(X0 + 1000, Y0 + 20), (X0, Y0 + 20)])
    rows: list[dict[str, object]] = [{"highway": "trunk", "ref": "A10"}] * 2
    frame = osm_lines_frame(lines_file(tmp_path / "r.gpkg", rows, [east, west_on_left]))
    assert not divided_carriageways(frame).any()


def test_lines_split_at_shared_vertices_and_bridges_do_not_join(tmp_path: Path) -> None:
    """Splits where lines share a vertex; a bend is no split; the bridge joins nothing."""
    edges = osm_line_edges(osm_lines_frame(dual_and_single(tmp_path)))
    # 4 ends of the dual carriageway, the roundabout, the 2 ends of the bridge
    assert len(edges.x) == 7
    single = [k for k in range(len(edges.src)) if edges.cap_kph[k] == 80.0]
    assert sorted(np.round(edges.metres[single], 1)) == [20.0, 1080.8]
    (tmp_path / "again").mkdir()
    net = network_from_osm(dual_and_single(tmp_path / "again"))
    assert net.n_nodes == 5  # the bridge is its own part: dropped with the largest part kept
    t = node_times(net, np.arange(5), np.arange(5))
    assert np.isfinite(t).all()


def test_speed_caps_follow_the_limit_and_roundabouts_are_slow(tmp_path: Path) -> None:
    """70 mph → the limit's speed; roundabout at most its cap; a primary with no limit 50 km/h."""
    edges = osm_line_edges(osm_lines_frame(dual_and_single(tmp_path)))
    caps = {(n, round(c, 2)) for n, c in zip(edges.names, edges.cap_kph, strict=True)}
    assert ("A10", round(limit_speed_kph(70 * 1.609344), 2)) in caps
    assert ("A10", 80.0) in caps
    assert ("Ring", ROUNDABOUT_KPH) in caps
    assert ("A142", 50.0) in caps


def test_a_oneway_field_is_honoured_when_present(tmp_path: Path) -> None:
    """With a ``oneway`` field nothing is inferred: ``-1`` reverses, missing is two-way."""
    path = dual_and_single(tmp_path, oneway=["yes", "no", "-1", "", "", ""])
    frame = osm_lines_frame(path)
    directions = line_directions(frame)
    assert not directions.inferred
    assert directions.direction.tolist() == [1, 0, -1, 1, 0, 0]  # the roundabout is implied
    edges = osm_line_edges(frame, directions)
    single = [k for k in range(len(edges.src)) if edges.cap_kph[k] == 80.0]
    starts = {(edges.x[edges.src[k]], edges.y[edges.src[k]]) for k in single}
    assert starts == {(X0 + 2000, Y0 - 10), (X0 + 1000, Y0)}  # drawn west → east, driven back
    assert not edges.two_way[single].any()


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.lists(
            st.tuples(st.integers(0, 20), st.integers(0, 20)), min_size=2, max_size=6, unique=True
        ),
        min_size=1,
        max_size=6,
    )
)
def test_splitting_keeps_every_metre(points: list[list[tuple[int, int]]]) -> None:
    """Property: the edges of random polylines on a grid add up to the lines' total length."""
    geoms = [LineString([(X0 + 100 * x, Y0 + 100 * y) for x, y in line]) for line in points]
    frame = gpd.GeoDataFrame(
        {"highway": ["primary"] * len(geoms), "ref": ["A1"] * len(geoms)},
        geometry=geoms,
        crs="EPSG:27700",
    )
    edges = osm_line_edges(frame)
    assert edges.metres.sum() == pytest.approx(float(shapely.length(frame.geometry).sum()))
    assert (edges.metres > 0).all() or len(edges.metres) == 0


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"name": "High Street"}], "no 'highway' field"),
        ([{"highway": "footway"}], "no drivable roads"),
    ],
)
def test_files_that_are_not_road_lines_give_one_clear_error(
    tmp_path: Path, rows: list[dict[str, object]], message: str
) -> None:
    """A GeoPackage without highway tags, or with no drivable line: one error naming the file."""
    path = lines_file(tmp_path / "bad.gpkg", rows, [LineString([(X0, Y0), (X0 + 50, Y0)])])
    with pytest.raises(NetworkError, match=message) as info:
        network_from_osm(path)
    assert str(path) in str(info.value)


# ---------------------------------------------------------------------------------------------
# The real county file, read as a user's file


@pytest.fixture(scope="module")
def county() -> RoadNetwork:
    """Cambridgeshire's major roads (OSM lines GeoPackage) through the user-file loader."""
    if not CAMBS_ROADS.is_file():
        pytest.skip("raw inputs (../shared/geodata) not beside the repository")
    return network_from_osm(CAMBS_ROADS)


@needs_shared
def test_county_major_roads_load_as_a_user_file(county: RoadNetwork) -> None:
    """5,576 OSM lines → a directed county network with its roads named and limits applied."""
    assert county.n_nodes > 4_000 and county.n_edges > 7_000
    assert "no oneway field" in county.provenance
    names = {county.names[i] for i in county.road_name}
    assert {"A10", "A141", "A14", "A1", "A47", "A605"} <= names
    finite = county.cap_kph[np.isfinite(county.cap_kph)]
    assert set(np.round(finite, 1)) <= {30.0, 32.2, 48.3, 50.0, 60.0, 70.0, 80.0, 100.0}
    assert 500_000 < county.x.mean() < 560_000 and 250_000 < county.y.mean() < 300_000


@needs_shared
def test_county_file_routes_ely_to_cambridge_along_the_a10(county: RoadNetwork) -> None:
    """On the major roads alone, Ely → Milton (north Cambridge) runs down the A10; its dual
    stretches and roundabouts are one-way, so the way back passes other nodes, in about the
    same time."""
    ely, milton = (554_900.0, 279_900.0), (547_000.0, 262_500.0)
    there = route(county, ely, milton)
    back = route(county, milton, ely)
    assert "A10" in there.roads() and "A10" in back.roads()
    assert set(there.nodes) != set(back.nodes)
    assert 12 * 60 <= there.seconds <= 25 * 60
    assert there.seconds == pytest.approx(back.seconds, rel=0.15)
    times = node_times(county, [there.nodes[0]], [there.nodes[-1]])
    assert math.isfinite(float(times[0, 0]))


@needs_shared
def test_one_way_inference_agrees_with_osm_tags_in_cambridge() -> None:
    """Where the Cambridge OSM graph carries ``oneway``, the inferred directions agree on ≥ 90 %
    of the lines both files hold (precision and recall of "one-way" both ≥ 90 %)."""
    frame = osm_lines_frame(CAMBS_ROADS)
    inferred = line_directions(frame).direction != 0
    tags: dict[str, bool] = {}
    for _, _, data in nx.read_graphml(CAMBRIDGE_GRAPHML).edges(data=True):
        ids = data["osmid"]
        for osm_id in ast.literal_eval(ids) if ids.startswith("[") else [ids]:
            tags[str(osm_id)] = data["oneway"] == "True"
    tagged = pd.Series(frame["osm_id"].astype(str)).map(tags)
    known = tagged.notna().to_numpy()
    truth = tagged[known].astype(bool).to_numpy()
    guess = inferred[known]
    assert known.sum() > 400
    assert (guess & truth).sum() / guess.sum() >= 0.9
    assert (guess & truth).sum() / truth.sum() >= 0.9


@needs_shared
def test_county_file_as_an_instance_network(
    run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    """``[network] kind = "osm"`` with the county file: ``siteopt route`` names its roads."""
    variant = tmp_path / "cambs.toml"
    variant.write_text(
        f'extends = "{(INSTANCES / "bch-2015.toml").as_posix()}"\n'
        f'[network]\nkind = "osm"\npath = "{CAMBS_ROADS.as_posix()}"\n',
        encoding="utf-8",
    )
    result = run_cli("route", str(variant), "wisbech", "parkside")
    assert result.code == 0, result.err
    assert "A10" in result.out and "OpenStreetMap road lines" in result.out
    far = run_cli("route", str(variant), "ely", "parkside")  # Ely's station: 1.1 km off
    assert far.code == 2 and "'ely'" in far.err and "outside the road network" in far.err

"""The committed national dataset (geodata/england-wales) against its inputs; the build's parts."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geodata.national import NATIONAL_DIR
from geodata.national.areas import separated
from geodata.national.build import build_national
from geodata.national.mesh import delaunay_edges, ferry_links, short_enough
from geodata.national.tables import is_force_hq, name_key, unique_ids
from geodata.network_calibration import error_summary, pair_errors
from siteopt.data import open_dataset
from siteopt.network.graph import RoadNetwork
from siteopt.network.sources import embedded_network
from siteopt.roadclasses import ROAD_CLASSES
from tests.conftest import SHARED_GEODATA

needs_shared = pytest.mark.skipif(
    not (SHARED_GEODATA / "national").is_dir(),
    reason="raw inputs (../shared/geodata/national) not beside the repository",
)


@pytest.fixture(scope="module")
def lsoas() -> pd.DataFrame:
    """The national LSOA table."""
    return open_dataset("england-wales").lsoas()


def test_every_lsoa_of_england_and_wales_once(lsoas: pd.DataFrame) -> None:
    """34,753 LSOA11 (32,844 England + 1,909 Wales), 43 forces, 331 districts."""
    assert len(lsoas) == 34_753
    assert lsoas["lsoa11cd"].is_unique
    assert lsoas["lsoa11cd"].str.startswith("W").sum() == 1_909
    assert lsoas["force"].nunique() == 43
    assert lsoas["lad22cd"].nunique() == 331


def test_population_totals_match_the_source_notes(lsoas: pd.DataFrame) -> None:
    """Mid-2015 (England) and mid-2019 (England and Wales) totals of lsoa_population/SOURCE.md."""
    assert lsoas["pop_mid2015"].sum() == 54_728_204
    assert lsoas["pop_mid2019"].sum() == 59_439_840
    welsh = lsoas["lsoa11cd"].str.startswith("W")
    assert lsoas.loc[welsh, "pop_mid2015"].isna().all()
    assert lsoas.loc[~welsh, "pop_mid2015"].notna().all()


def test_bch_forces_match_the_bch_dataset(lsoas: pd.DataFrame) -> None:
    """The three BCH forces have the same LSOAs and populations in both datasets."""
    bch = open_dataset("bch").lsoas().set_index("lsoa11cd")
    national = lsoas.set_index("lsoa11cd").loc[bch.index]
    assert (national["force"] == bch["force"]).all()
    assert (national["pop_mid2019"] == bch["pop_mid2019"]).all()
    assert (national["pop_mid2015"] == bch["pop_mid2015"]).all()


def test_demand_points_are_recorded_by_method(lsoas: pd.DataFrame) -> None:
    """Unchanged LSOAs use the ONS 2021 centroid; the rest the representative postcode."""
    counts = lsoas["point_method"].value_counts().to_dict()
    assert counts == {"ons_pwc_2021": 33_637, "representative_postcode": 1_116}
    assert lsoas["x"].between(80_000, 660_000).all()
    assert lsoas["y"].between(0, 660_000).all()


def test_sites_are_tagged_with_force_and_headquarters() -> None:
    """416 OSM points in England and Wales; 9 are their force's own named headquarters."""
    sites = pd.read_csv(NATIONAL_DIR / "sites.csv")
    assert len(sites) == 416
    assert sites["id"].is_unique
    assert sites["force"].nunique() == 43
    hq = sites[sites["force_headquarters"]]
    assert set(hq["force"]) == {
        "cleveland",
        "durham",
        "gwent",
        "hertfordshire",
        "kent",
        "merseyside",
        "staffordshire",
        "suffolk",
        "wiltshire",
    }
    assert (hq["kind"] == "headquarters").all()
    assert not sites["current_control_room"].any()
    assert sites["source"].str.contains("ODbL").all()


def test_force_scalers_match_the_source_totals() -> None:
    """Recorded crime sums to the E&W total of force_demand/SOURCE.md; every force has FTEs."""
    scalers = open_dataset("england-wales").force_scalers()
    assert scalers is not None
    assert len(scalers) == 43
    assert scalers["recorded_crime_2024_25"].sum() == 5_225_477
    by_force = scalers.set_index("force")
    assert by_force.loc["bedfordshire", "recorded_crime_2024_25"] == 52_032
    assert by_force.loc["gwent", "population_years"] == "2019"
    assert by_force.loc["kent", "population_years"] == "2015 2019"
    assert (scalers[["officer_fte_2015", "officer_fte_2019", "officer_fte_2025"]] > 0).all().all()


def test_approximate_areas_hold_their_points_and_tile_the_forces(lsoas: pd.DataFrame) -> None:
    """Each Voronoi cell holds its own LSOA point; force areas are the union of their cells."""
    dataset = open_dataset("england-wales")
    cells = dataset.boundaries("lsoa").set_index("lsoa11cd").loc[lsoas["lsoa11cd"]]
    inside = shapely.intersects_xy(cells.geometry.to_numpy(), lsoas["x"], lsoas["y"])
    assert inside.mean() > 0.999
    forces = dataset.boundaries("forces")
    assert len(forces) == 43
    assert forces.area.sum() == pytest.approx(cells.area.sum(), rel=1e-3)
    assert set(forces["boundary"]) == {dataset.boundary_note}
    assert "Voronoi" in dataset.boundary_note


def test_network_has_no_mesh_link_across_the_thames_estuary(lsoas: pd.DataFrame) -> None:
    """Kent and Essex meet only by the Dartford Crossing (SRN), not by a mesh link."""
    nodes = pd.read_parquet(NATIONAL_DIR / "network_nodes.parquet")
    edges = pd.read_parquet(NATIONAL_DIR / "network_edges.parquet")
    force = dict(zip(lsoas["lsoa11cd"], lsoas["force"], strict=True))
    of_node = nodes["ref"].map(force).to_numpy()
    mesh = edges[edges["kind"] == "mesh"]
    pair = {(of_node[a], of_node[b]) for a, b in zip(mesh["src"], mesh["dst"], strict=True)}
    assert ("kent", "essex") not in pair
    assert ("kent", "metropolitan") in pair


def test_islands_are_joined_by_ferry() -> None:
    """The Isle of Wight and the Isles of Scilly are reached by ferry links (with a wait)."""
    calibration = json.loads((NATIONAL_DIR / "network_calibration.json").read_text("utf-8"))
    assert calibration["mesh_counts"]["ferries"] == 2
    edges = pd.read_parquet(NATIONAL_DIR / "network_edges.parquet")
    ferries = edges[edges["kind"] == "ferry"]
    assert len(ferries) == 4
    assert (ferries["extra_s"] >= 1800).all()


@pytest.fixture(scope="module")
def network() -> RoadNetwork:
    """The committed national network, whole."""
    return embedded_network(open_dataset("england-wales"))


def test_network_is_strategic_roads_and_mesh_everywhere() -> None:
    """No real A roads: SRN, Welsh motorways, mesh, connectors, ferries; one mesh fit."""
    calibration = json.loads((NATIONAL_DIR / "network_calibration.json").read_text("utf-8"))
    assert calibration["provenance"].startswith(
        "approximate: strategic roads + mesh everywhere (no real A roads)."
    )
    edges = pd.read_parquet(NATIONAL_DIR / "network_edges.parquet")
    assert set(edges["kind"]) == {"srn", "os_motorway", "mesh", "connector", "ferry"}
    assert set(edges["road_class"]) == {"motorway", "trunk", "local_urban", "local_rural"}
    local = edges["road_class"].str.startswith("local_")
    assert np.isinf(edges.loc[local, "cap_kph"]).all()  # one set of mesh parameters
    assert set(calibration["calibration"]["fitted"]) == {
        "detour",
        "local_urban_kph",
        "junction_delay_s",
        "terminal_s",
    }


def test_strategic_roads_run_at_the_bch_speeds(network: RoadNetwork) -> None:
    """SRN A roads at their 80 km/h cap (no limit data), motorways at the class's 105 km/h."""
    for road_class, kph in (("trunk", 80.0), ("motorway", 105.0)):
        links = network.road_class == ROAD_CLASSES.index(road_class)
        assert links.sum() > 500
        speeds = network.metres[links] / network.seconds[links] * 3.6
        np.testing.assert_allclose(speeds, kph)


def test_mesh_class_follows_the_area_type_of_its_ends() -> None:
    """A mesh link is ``local_urban`` exactly when both LSOA ends are urban; sites have one."""
    nodes = pd.read_parquet(NATIONAL_DIR / "network_nodes.parquet")
    edges = pd.read_parquet(NATIONAL_DIR / "network_edges.parquet")
    demand = nodes["kind"].isin(["lsoa", "site"])
    assert set(nodes.loc[demand, "area_type"]) == {"urban", "rural"}
    assert (nodes.loc[~demand, "area_type"] == "").all()
    urban = (nodes["area_type"] == "urban").to_numpy()
    mesh = edges[edges["kind"] == "mesh"]
    both = urban[mesh["src"].to_numpy()] & urban[mesh["dst"].to_numpy()]
    assert ((mesh["road_class"] == "local_urban").to_numpy() == both).all()


def test_calibration_error_is_remeasured_from_the_committed_files(network: RoadNetwork) -> None:
    """The time and distance errors on the Cambridge pairs are the ones the build recorded."""
    calibration = json.loads((NATIONAL_DIR / "network_calibration.json").read_text("utf-8"))
    nodes = pd.read_parquet(NATIONAL_DIR / "network_nodes.parquet")
    pairs = pd.read_parquet(NATIONAL_DIR / "network_calibration_pairs.parquet")
    report = calibration["calibration"]
    assert error_summary(pair_errors(network, nodes, pairs)) == report["time_error"]
    distance = error_summary(pair_errors(network, nodes, pairs, metres=True))
    assert distance == report["distance_error"]


def test_manifest_hashes_match_the_committed_files() -> None:
    """The manifest describes exactly the committed files, and they stay compact."""
    manifest = json.loads((NATIONAL_DIR / "manifest.json").read_text(encoding="utf-8"))
    for name, meta in manifest["outputs"].items():
        data = (NATIONAL_DIR / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == meta["sha256"], name
    total = sum(p.stat().st_size for p in NATIONAL_DIR.iterdir() if p.is_file())
    assert total < 8 * 1024 * 1024


@needs_shared
def test_build_is_deterministic_and_matches_the_committed_files(tmp_path: Path) -> None:
    """Rebuilding from the inputs gives byte-identical files to the committed ones."""
    out = tmp_path / "england-wales"
    build_national(SHARED_GEODATA, out)
    for path in sorted(NATIONAL_DIR.iterdir()):
        assert (out / path.name).read_bytes() == path.read_bytes(), path.name
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in NATIONAL_DIR.iterdir())


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("London, City of", "City of London Police"),
        ("Devon & Cornwall", "Devon and Cornwall"),
        ("Dyfed-Powys", "Dyfed Powys Police"),
        ("Metropolitan Police", "Metropolitan Police Service"),
        ("Avon & Somerset", "Avon & Somerset Constabulary"),
    ],
)
def test_force_names_match_across_spellings(one: str, other: str) -> None:
    """The inputs spell force names differently; the key does not."""
    assert name_key(one) == name_key(other)


def test_force_headquarters_is_the_force_own_name() -> None:
    """ "Kent Police Headquarters" is Kent's HQ; a divisional or another force's HQ is not."""
    assert is_force_hq("Kent Police Headquarters", "Kent")
    assert is_force_hq("Durham Constabulary HQ", "Durham")
    assert not is_force_hq("Redcar & Cleveland HQ", "Cleveland")
    assert not is_force_hq("Laindon Traffic Police HQ", "Essex")


@given(st.lists(st.sampled_from(["a", "b", "a-kent", "c"]), min_size=1, max_size=12))
def test_unique_ids_are_unique(bases: list[str]) -> None:
    """Whatever names repeat, the ids come out distinct."""
    forces = ["kent" if i % 2 else "essex" for i in range(len(bases))]
    ids = unique_ids(bases, forces)
    assert len(set(ids)) == len(ids)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), min_size=4, max_size=30))
def test_separated_points_are_distinct(points: list[tuple[int, int]]) -> None:
    """Duplicate points are moved apart (Voronoi and Delaunay need distinct points)."""
    xy = separated(np.array(points, dtype=float) * 1000.0)
    assert len(np.unique(xy, axis=0)) == len(xy)


def test_mesh_cut_and_ferry_join_a_far_island() -> None:
    """A far point's long links are cut; the ferry step joins it back by its shortest one."""
    rng = np.random.default_rng(1)
    xy = np.vstack([rng.uniform(0, 10_000, (60, 2)), [[60_000.0, 5_000.0]]])
    edges = delaunay_edges(xy)
    keep = short_enough(xy, edges)
    keep &= ~((edges == 60).any(axis=1))  # as if the island's links crossed a barrier
    ferries = ferry_links(xy, edges, keep)
    assert len(ferries) == 1
    assert 60 in ferries[0]

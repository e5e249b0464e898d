"""The committed dataset against its raw inputs: counts, totals, geometry, determinism."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import shapely

from geodata import BCH_DIR
from geodata.build import build
from siteopt.data import open_dataset
from tests.conftest import SHARED_GEODATA

needs_shared = pytest.mark.skipif(
    not SHARED_GEODATA.is_dir(), reason="raw inputs (../shared/geodata) not beside the repository"
)


def read_csv(path: Path) -> list[dict[str, str]]:
    """Rows of a CSV file as dictionaries."""
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_lsoas_per_force_match_the_published_split() -> None:
    """1,558 LSOAs: Bedfordshire 381, Cambridgeshire 487, Hertfordshire 690."""
    counts = open_dataset("bch").lsoas().groupby("force").size().to_dict()
    assert counts == {"bedfordshire": 381, "cambridgeshire": 487, "hertfordshire": 690}


@needs_shared
def test_population_per_district_equals_the_input_district_sums() -> None:
    """Population per district (and so per force) equals the input's district summary."""
    lsoas = open_dataset("bch").lsoas()
    got = lsoas.groupby("lad13cd")[["pop_mid2015", "pop_mid2019"]].sum()
    summary = read_csv(SHARED_GEODATA / "population" / "bch_district_population_summary.csv")
    assert len(summary) == len(got) == 19
    for row in summary:
        assert got.loc[row["lad_code"], "pop_mid2015"] == int(
            row["pop_mid2015_excl_prisoners_IoD2019"]
        )
        assert got.loc[row["lad_code"], "pop_mid2019"] == int(row["pop_mid2019_ONS_SAPE"])


def test_force_totals_match_the_published_figures() -> None:
    """Force totals equal those in the population source note (mid-2015 and mid-2019)."""
    lsoas = open_dataset("bch").lsoas()
    totals = lsoas.groupby("force")[["pop_mid2015", "pop_mid2019"]].sum()
    assert totals.to_dict("index") == {
        "bedfordshire": {"pop_mid2015": 652_223, "pop_mid2019": 674_992},
        "cambridgeshire": {"pop_mid2015": 832_835, "pop_mid2019": 855_796},
        "hertfordshire": {"pop_mid2015": 1_164_366, "pop_mid2019": 1_189_519},
    }


@needs_shared
def test_lsoa_codes_match_the_input_boundaries_one_to_one() -> None:
    """Every input LSOA is in the table exactly once, with its district code."""
    expected = {}
    for path in sorted((SHARED_GEODATA / "ons-lsoa-2011").glob("*.geojson")):
        for feature in json.loads(path.read_text(encoding="utf-8"))["features"]:
            expected[feature["properties"]["LSOA11CD"]] = path.stem
    lsoas = open_dataset("bch").lsoas()
    assert dict(zip(lsoas["lsoa11cd"], lsoas["lad13cd"], strict=True)) == expected


def test_demand_points_lie_in_or_next_to_their_lsoa() -> None:
    """Demand points sit inside their (simplified) LSOA, or within 50 m of its edge."""
    bch = open_dataset("bch")
    lsoas = bch.lsoas().set_index("lsoa11cd")
    shapes = bch.boundaries("lsoa").set_index("lsoa11cd").loc[lsoas.index]
    points = shapely.points(lsoas["x"].to_numpy(), lsoas["y"].to_numpy())
    distance = shapely.distance(points, shapes.geometry.to_numpy())
    assert np.mean(distance == 0) > 0.99
    assert distance.max() < 50


def test_most_demand_points_come_from_postcode_units() -> None:
    """The postcode-based demand point is used for almost every LSOA, and the method recorded."""
    methods = open_dataset("bch").lsoas()["point_method"].value_counts()
    assert methods.get("postcode_mean", 0) + methods.get("postcode_nearest_mean", 0) >= 1550


def test_boundaries_form_a_valid_coverage() -> None:
    """Simplified LSOA boundaries neither overlap nor leave gaps between neighbours."""
    geoms = open_dataset("bch").boundaries("lsoa").geometry.to_numpy()
    assert shapely.is_valid(geoms).all()
    assert shapely.coverage_is_valid(geoms)


def test_forces_are_dissolved_from_the_lsoas() -> None:
    """Each force polygon's area equals the sum of its LSOAs' areas."""
    bch = open_dataset("bch")
    lsoas = bch.lsoas()[["lsoa11cd", "force"]]
    shapes = bch.boundaries("lsoa").merge(lsoas, on="lsoa11cd")
    sums = shapes.assign(area=shapes.area).groupby("force")["area"].sum()
    forces = bch.boundaries("forces").set_index("force")
    for force, area in sums.items():
        assert forces.loc[force].geometry.area == pytest.approx(area, rel=1e-9)


def test_manifest_hashes_match_the_committed_files() -> None:
    """The manifest describes exactly the files that are committed."""
    manifest = json.loads((BCH_DIR / "manifest.json").read_text(encoding="utf-8"))
    for name, meta in manifest["outputs"].items():
        data = (BCH_DIR / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == meta["sha256"], name


def test_dataset_stays_compact() -> None:
    """The embedded dataset stays well under 15 MB."""
    total = sum(p.stat().st_size for p in BCH_DIR.iterdir() if p.is_file())
    assert total < 15 * 1024 * 1024


def test_sites_include_every_placeable_input_row() -> None:
    """Sites with coordinates or a known postcode are placed; the rest are listed as unplaced."""
    placed = read_csv(BCH_DIR / "sites.csv")
    unplaced = read_csv(BCH_DIR / "sites_unplaced.csv")
    assert len(placed) == 32
    assert {r["name"] for r in placed}.isdisjoint({r["name"] for r in unplaced})
    assert sum(r["current_control_room"] == "True" for r in placed) == 3


@needs_shared
def test_build_is_deterministic_and_matches_the_committed_files(tmp_path: Path) -> None:
    """Rebuilding from the inputs gives byte-identical files to the committed ones."""
    out = tmp_path / "bch"
    build(SHARED_GEODATA, out)
    for path in sorted(BCH_DIR.iterdir()):
        assert (out / path.name).read_bytes() == path.read_bytes(), path.name
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in BCH_DIR.iterdir())


def test_road_sources_are_hashed_and_attributed() -> None:
    """The OSM major-road file is a hashed input; its ODbL attribution is carried."""
    manifest = json.loads((BCH_DIR / "manifest.json").read_text(encoding="utf-8"))
    assert "roads/cambs_major_roads_osm.gpkg" in manifest["inputs"]
    assert manifest["network"]["road_nodes"] > 800
    attribution = json.loads((BCH_DIR / "attribution.json").read_text(encoding="utf-8"))
    assert "Cambridgeshire's major roads" in attribution["openstreetmap"]
    assert "(ODbL)" in attribution["openstreetmap"]
    readme = (BCH_DIR / "README.md").read_text(encoding="utf-8")
    assert "network_validation_pairs.parquet" in readme and "Derivative Database" in readme

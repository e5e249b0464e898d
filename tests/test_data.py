"""The embedded dataset as siteopt reads it: sites, LSOAs, postcodes, boundaries."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siteopt.data import (
    FORCE_IDS,
    Dataset,
    _column_array,
    normalise_postcode,
    open_dataset,
    read_parquet_columns,
)
from siteopt.errors import DataError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bch() -> Dataset:
    """The embedded BCH dataset."""
    return open_dataset("bch")


def test_current_control_rooms_are_marked_and_placed(bch: Dataset) -> None:
    """Kempston, Hinchingbrooke and Welwyn Garden City are the three current rooms."""
    current = {s.id: s for s in bch.sites.values() if s.current_control_room}
    assert set(current) == {"kempston", "hinchingbrooke", "welwyn"}
    assert {s.force for s in current.values()} == set(FORCE_IDS)
    assert current["hinchingbrooke"].postcode == "PE29 6NP"
    # Hinchingbrooke is the Code-Point centroid of PE29 6NP (E=523020, N=271782).
    assert (current["hinchingbrooke"].x, current["hinchingbrooke"].y) == (523020, 271782)


def test_every_site_has_a_source_and_lies_in_the_region(bch: Dataset) -> None:
    """Each placed site cites where its coordinates come from and falls inside an LSOA."""
    for site in bch.sites.values():
        assert site.source
        assert site.lsoa11cd.startswith("E01"), site.id
        assert 480_000 < site.x < 570_000
        assert 180_000 < site.y < 320_000


def test_low_confidence_postcodes_are_carried_through(bch: Dataset) -> None:
    """Rows the source marks as low confidence stay marked."""
    assert bch.sites["stevenage"].confidence == "low"
    assert bch.sites["kempston"].confidence == "normal"


def test_postcode_lookup_accepts_any_spacing_and_case(bch: Dataset) -> None:
    """Postcodes are found whatever their spacing or case."""
    assert bch.locate_postcode("mk439ax") == bch.locate_postcode("MK43 9AX") == (502713, 246570)


def test_unknown_postcode_is_a_clear_error(bch: Dataset) -> None:
    """An unknown postcode names itself and says what to do instead."""
    with pytest.raises(DataError, match="'XX1 1XX' is not in the dataset's postcode table"):
        bch.locate_postcode("XX1 1XX")


@pytest.mark.parametrize(
    ("raw", "expected"), [("pe296np", "PE29 6NP"), (" AL8  6XF ", "AL8 6XF"), ("CB11JG", "CB1 1JG")]
)
def test_normalise_postcode(raw: str, expected: str) -> None:
    """Postcodes are put into the standard 'OUTWARD INWARD' form."""
    assert normalise_postcode(raw) == expected


def test_lsoa_table_columns_and_counts(bch: Dataset) -> None:
    """The LSOA table has every field the later stages need, one row per LSOA."""
    lsoas = bch.lsoas()
    assert len(lsoas) == 1558
    assert lsoas["lsoa11cd"].is_unique
    for column in ("lad13cd", "lad19cd", "force", "pop_mid2015", "pop_mid2019", "x", "y"):
        assert lsoas[column].notna().all(), column
    assert set(lsoas["point_method"]) <= {
        "postcode_mean",
        "postcode_nearest_mean",
        "representative_point",
    }


def test_boundary_layers_are_in_british_national_grid(bch: Dataset) -> None:
    """Boundary layers load in EPSG:27700 with the expected row counts."""
    assert bch.boundaries("lsoa").crs.to_epsg() == 27700
    assert len(bch.boundaries("districts")) == 19
    assert sorted(bch.boundaries("forces")["force"]) == sorted(FORCE_IDS)
    with pytest.raises(DataError, match="boundary layer 'wards' not known"):
        bch.boundaries("wards")


def test_missing_dataset_folder_is_a_clear_error() -> None:
    """A dataset path that does not exist is named in the error."""
    with pytest.raises(DataError, match="no/such/folder: dataset folder not found"):
        open_dataset("no/such/folder")


def test_attribution_covers_every_source(bch: Dataset) -> None:
    """Exports can carry OGL and ODbL attribution lines."""
    text = " ".join(bch.attribution.values())
    assert "Open Government Licence" in text
    assert "OpenStreetMap contributors" in text
    assert "Royal Mail" in text


@pytest.fixture(scope="module")
def kent_essex() -> Dataset:
    """The national dataset restricted to Kent and Essex."""
    return open_dataset("england-wales", forces=["kent", "essex"])


def test_force_selection_restricts_lsoas_sites_and_areas(kent_essex: Dataset) -> None:
    """[data] forces keeps those forces' LSOAs, sites and boundary layers only."""
    lsoas = kent_essex.lsoas()
    assert set(lsoas["force"]) == {"kent", "essex"}
    assert len(lsoas) == 2_142
    assert {s.force for s in kent_essex.sites.values()} == {"kent", "essex"}
    assert set(kent_essex.boundaries("forces")["force"]) == {"kent", "essex"}
    assert set(kent_essex.boundaries("districts")["force"]) == {"kent", "essex"}
    assert len(kent_essex.boundaries("lsoa")) == len(lsoas)
    assert kent_essex.force_ids == ("kent", "essex")
    assert len(kent_essex.all_force_ids) == 43


def test_unknown_force_is_a_clear_error() -> None:
    """A force the dataset does not have is named, with the dataset."""
    with pytest.raises(DataError, match="force 'kentt' is not in dataset 'england-wales'"):
        open_dataset("england-wales", forces=["kentt"])


def test_welsh_forces_have_no_mid_2015_population() -> None:
    """Mid-2015 LSOA populations exist for England only."""
    wales = open_dataset("england-wales", forces=["gwent", "kent"])
    assert wales.missing_population(2015) == ["gwent"]
    assert wales.missing_population(2019) == []


def test_national_dataset_has_no_postcode_index(kent_essex: Dataset) -> None:
    """Without a postcode index the error says what to give instead."""
    with pytest.raises(DataError, match="has no postcode index: give easting/northing"):
        kent_essex.locate_postcode("ME15 8BZ")


def test_district_columns_follow_the_dataset(bch: Dataset, kent_essex: Dataset) -> None:
    """BCH has 2013 and 2019 district codes, the national dataset 2022 codes."""
    assert bch.district_columns == ["lad13cd", "lad19cd", "lad_name"]
    assert kent_essex.district_columns == ["lad22cd", "lad_name"]
    assert bch.force_scalers() is None
    assert bch.boundary_note == ""


@pytest.mark.parametrize("year", [2015, 2019])
def test_district_populations_and_centres_are_summed_once_and_add_up(
    bch: Dataset, year: int
) -> None:
    """Per-district totals add up to each force's population; centres lie among its LSOAs."""
    lsoas = bch.lsoas()
    by_district = bch.district_populations(year)
    centres = bch.population_centres(year)
    for force in FORCE_IDS:
        mine = lsoas[lsoas["force"] == force]
        assert sum(by_district[force].values()) == pytest.approx(mine[f"pop_mid{year}"].sum())
        x, y = centres[force]
        assert mine["x"].min() < x < mine["x"].max() and mine["y"].min() < y < mine["y"].max()
    assert bch.district_populations(year) is by_district  # kept, not recomputed
    assert bch.population_centres(year) is centres


@pytest.mark.parametrize("name", ["bch", "england-wales"])
def test_lsoa_columns_match_the_pandas_table(name: str) -> None:
    """The pandas-free columns the optimiser reads equal the full table's, row for row."""
    dataset = open_dataset(name, forces=None if name == "bch" else ["gwent", "kent"])
    table, columns = dataset.lsoas(), dataset.lsoa_columns
    assert columns.code.tolist() == table["lsoa11cd"].tolist()
    assert columns.force.tolist() == table["force"].tolist()
    assert columns.lad_name.tolist() == table["lad_name"].tolist()
    np.testing.assert_array_equal(columns.x, table["x"].to_numpy(float))
    np.testing.assert_array_equal(columns.y, table["y"].to_numpy(float))
    for year in (2015, 2019):
        np.testing.assert_array_equal(
            columns.population(year), table[f"pop_mid{year}"].to_numpy(float)
        )
    with pytest.raises(DataError, match="no population for mid-2011"):
        columns.population(2011)


@given(
    values=st.lists(st.one_of(st.none(), st.integers(-(2**40), 2**40)), max_size=30),
    texts=st.lists(st.one_of(st.none(), st.text(max_size=6)), max_size=30),
    start=st.integers(0, 5),
)
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_parquet_columns_are_read_exactly_from_the_buffers(
    tmp_path: Path, values: list[int | None], texts: list[str | None], start: int
) -> None:
    """Numbers, nulls and text read from the buffers equal pyarrow's own conversion."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = min(len(values), len(texts))
    floats = [None if v is None else v / 7 for v in values[:n]]
    table = pa.table(
        {
            "i": pa.array(values[:n], pa.int64()),
            "f": pa.array(floats, pa.float64()),
            "s": pa.array(texts[:n], pa.large_string()),
            "t": pa.array(texts[:n], pa.string()),
        }
    )
    file = tmp_path / "t.parquet"
    pq.write_table(table.slice(min(start, n)), file)
    read = read_parquet_columns(file)
    expected = table.slice(min(start, n)).to_pydict()
    assert read["s"].tolist() == expected["s"] and read["t"].tolist() == expected["t"]
    for name in ("i", "f"):
        got = [None if isinstance(v, float) and np.isnan(v) else v for v in read[name].tolist()]
        assert got == expected[name]
    for name in ("i", "f", "s", "t"):  # an array with an offset into its buffers
        sliced = table.column(name).combine_chunks().slice(min(start, n))
        got = _column_array(sliced, name).tolist()
        got = [None if isinstance(v, float) and np.isnan(v) else v for v in got]
        assert got == sliced.to_pylist()


def test_a_solve_does_not_import_pandas() -> None:
    """`siteopt solve` reads the LSOA table and the network without pandas (0.25 s of import)."""
    code = (
        "import contextlib, io, sys\n"
        "from siteopt.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['solve', 'instances/bch-2015.toml'])\n"
        "print(sorted(m for m in ('pandas', 'scipy.spatial') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"

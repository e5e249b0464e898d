"""Build the embedded BCH dataset from the raw public inputs.

Usage::

    python -m geodata.build [--dataset bch|england-wales] [--shared ../shared/geodata] [--out DIR]

Reads LSOA boundaries, LSOA populations, OS Code-Point Open postcodes and the police-site list from
``--shared`` and writes compact, attributed, deterministic files to ``--out`` (same inputs give
byte-identical outputs). Every output is written to a temporary folder first and moved into place
only when the whole build has succeeded.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from geodata import BuildError, default_shared
from geodata.network_build import build_network, network_inputs, network_readme_rows, write_network
from geodata.publish import publish, sha256_of
from siteopt.data import normalise_postcode

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

BNG = "EPSG:27700"
WGS84 = "EPSG:4326"

#: Tolerance (metres) of the topology-preserving simplification of the LSOA coverage for maps.
SIMPLIFY_TOLERANCE_M = 15.0

FORCES: dict[str, tuple[str, str]] = {
    # id: (name in the population file, name in the sites file)
    "bedfordshire": ("Bedfordshire", "Bedfordshire Police"),
    "cambridgeshire": ("Cambridgeshire", "Cambridgeshire Constabulary"),
    "hertfordshire": ("Hertfordshire", "Hertfordshire Constabulary"),
}

#: The three force control rooms of 2014-15 (BCH-FACTS.md section 1), keyed by their site id.
CURRENT_CONTROL_ROOMS = {
    "kempston": "Bedfordshire Police Headquarters",
    "hinchingbrooke": "Cambridgeshire Constabulary Headquarters",
    "welwyn": "Hertfordshire Constabulary Headquarters",
}

POSTCODE_AREAS = ("al", "cb", "cm", "en", "hp", "lu", "mk", "pe", "sg", "wd")
CODEPOINT_COLUMNS = [
    "postcode",
    "pqi",
    "easting",
    "northing",
    "country",
    "nhs_region",
    "nhs_ha",
    "county",
    "district",
    "ward",
]

CODEPOINT_DTYPES: dict[str, Any] = {
    "postcode": str,
    "pqi": "int16",
    "easting": "int32",
    "northing": "int32",
}

ATTRIBUTION = {
    "ons_boundaries": (
        "Contains Ordnance Survey and Office for National Statistics data © Crown copyright and "
        "database right 2016. Licensed under the Open Government Licence v3.0."
    ),
    "population": (
        "Contains public sector information licensed under the Open Government Licence v3.0. "
        "Source: Office for National Statistics; Ministry of Housing, Communities and Local "
        "Government (English Indices of Deprivation 2019 population denominators)."
    ),
    "codepoint": (
        "Contains OS data © Crown copyright and database right 2014. Contains Royal Mail data © "
        "Royal Mail copyright and database right 2014. Contains National Statistics data © Crown "
        "copyright and database right 2014."
    ),
    "openstreetmap": (
        "Police site locations in part, Cambridgeshire's major roads in the road network, and "
        "the road graphs that calibrate and validate travel times: © OpenStreetMap contributors "
        "(ODbL)."
    ),
    "dft_traffic": (
        "Road link lengths from DfT road traffic statistics: contains public sector information "
        "licensed under the Open Government Licence v3.0."
    ),
    "os_open_roads": "Contains OS data © Crown copyright and database right 2024 (OS Open Roads).",
    "srn": (
        "Strategic Road Network graph derived from National Highways data (OGL) by Strain, Wilson "
        "& Littleworth (2023), Transportation Research Record 2677(1)."
    ),
}


@dataclass(frozen=True)
class Inputs:
    """Paths of the raw inputs under the shared geodata folder."""

    root: Path

    @property
    def lsoa_dir(self) -> Path:
        """Folder of per-district LSOA GeoJSON files."""
        return self.root / "ons-lsoa-2011"

    @property
    def population_csv(self) -> Path:
        """LSOA population table."""
        return self.root / "population" / "bch_lsoa11_population.csv"

    @property
    def district_summary_csv(self) -> Path:
        """District population totals (used as a cross-check)."""
        return self.root / "population" / "bch_district_population_summary.csv"

    @property
    def sites_csv(self) -> Path:
        """Police sites with coordinates and sources."""
        return self.root / "sites" / "police_sites.csv"

    def postcode_csv(self, area: str) -> Path:
        """Code-Point Open file of one postcode area."""
        return self.root / "postcodes" / f"{area}.csv"

    def all_files(self) -> list[Path]:
        """Every input file the build reads, in a fixed order."""
        files = sorted(self.lsoa_dir.glob("*.geojson"))
        files += [self.population_csv, self.district_summary_csv, self.sites_csv]
        files += [self.postcode_csv(a) for a in POSTCODE_AREAS]
        return files


def read_population(inputs: Inputs) -> pd.DataFrame:
    """Return the LSOA population table with force ids, checked against the district summary."""
    import pandas as pd  # noqa: PLC0415 (lazy: pandas is slow to import)

    pop = pd.read_csv(inputs.population_csv, dtype={"rep_postcode": str})
    names_to_id = {pop_name: fid for fid, (pop_name, _) in FORCES.items()}
    unknown = set(pop["force"]) - set(names_to_id)
    if unknown:
        raise BuildError(f"{inputs.population_csv}: force: unknown force names {sorted(unknown)}")
    pop["force"] = pop["force"].map(names_to_id)
    if pop["lsoa11cd"].duplicated().any():
        raise BuildError(f"{inputs.population_csv}: lsoa11cd: duplicate LSOA codes")

    summary = pd.read_csv(inputs.district_summary_csv)
    sums = pop.groupby("lad_code")[["pop_mid2015_excl_prisoners", "pop_mid2019"]].sum()
    expected = summary.set_index("lad_code")[
        ["pop_mid2015_excl_prisoners_IoD2019", "pop_mid2019_ONS_SAPE"]
    ]
    if (
        sorted(sums.index) != sorted(expected.index)
        or not (sums.sort_index().to_numpy() == expected.sort_index().to_numpy()).all()
    ):
        raise BuildError(f"{inputs.district_summary_csv}: LSOA sums differ from district totals")
    return pop


def read_lsoa_polygons(inputs: Inputs) -> gpd.GeoDataFrame:
    """Return the LSOA polygons of all districts in British National Grid, sorted by code."""
    import geopandas as gpd  # noqa: PLC0415 (lazy: geopandas is slow to import)
    import pandas as pd  # noqa: PLC0415 (lazy: pandas is slow to import)

    frames = []
    for path in sorted(inputs.lsoa_dir.glob("*.geojson")):
        frame = gpd.read_file(path)
        frame["lad_code"] = path.stem
        frames.append(frame)
    if not frames:
        raise BuildError(f"{inputs.lsoa_dir}: no *.geojson files")
    polys = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs).to_crs(BNG)
    polys = polys.rename(columns={"LSOA11CD": "lsoa11cd", "LSOA11NM": "lsoa11nm_boundary"})
    return polys.sort_values("lsoa11cd").reset_index(drop=True)


def read_postcodes(inputs: Inputs) -> pd.DataFrame:
    """Return every Code-Point Open postcode with coordinates (positional quality below 90)."""
    import pandas as pd  # noqa: PLC0415 (lazy: pandas is slow to import)

    frames = []
    for area in POSTCODE_AREAS:
        frame = pd.read_csv(
            inputs.postcode_csv(area),
            header=None,
            names=CODEPOINT_COLUMNS,
            usecols=["postcode", "pqi", "easting", "northing"],
            dtype=CODEPOINT_DTYPES,
        )
        frames.append(frame)
    codes = pd.concat(frames, ignore_index=True)
    # PQI 90 means "no coordinates" (easting = northing = 0): useless for geocoding.
    codes = codes[codes["pqi"] < 90].copy()
    codes["postcode"] = codes["postcode"].map(normalise_postcode)
    return codes.drop_duplicates("postcode").sort_values("postcode").reset_index(drop=True)


def assign_postcodes_to_lsoas(codes: pd.DataFrame, polys: gpd.GeoDataFrame) -> pd.Series:
    """Return the LSOA code (or NA) containing each postcode unit, by point in polygon."""
    import geopandas as gpd  # noqa: PLC0415 (lazy: geopandas is slow to import)

    points = gpd.GeoDataFrame(
        codes[["postcode"]],
        geometry=gpd.points_from_xy(codes["easting"], codes["northing"]),
        crs=BNG,
    )
    joined = gpd.sjoin(points, polys[["lsoa11cd", "geometry"]], how="left", predicate="within")
    # A point on a shared edge can match two LSOAs: keep the first code in sort order.
    joined = joined.sort_values("lsoa11cd").loc[lambda d: ~d.index.duplicated(keep="first")]
    lsoa_codes: pd.Series = joined.sort_index()["lsoa11cd"]
    return lsoa_codes


def demand_points(
    polys: gpd.GeoDataFrame, codes: pd.DataFrame, lsoa_of_code: pd.Series
) -> pd.DataFrame:
    """Return one demand point per LSOA and the method that gave it.

    ``postcode_mean``: mean of the LSOA's postcode units (a proxy for the population-weighted
    centroid). ``postcode_nearest_mean``: the mean fell outside the polygon, so the postcode unit
    nearest the mean is used. ``representative_point``: no postcode unit in the LSOA.
    """
    import pandas as pd  # noqa: PLC0415 (lazy: pandas is slow to import)
    import shapely  # noqa: PLC0415 (lazy: shapely is slow to import)

    inside = codes.assign(lsoa11cd=lsoa_of_code.to_numpy()).dropna(subset=["lsoa11cd"])
    means = inside.groupby("lsoa11cd")[["easting", "northing"]].mean()
    counts = inside.groupby("lsoa11cd").size()
    rows = []
    for code, geom in zip(polys["lsoa11cd"], polys.geometry, strict=True):
        n = int(counts.get(code, 0))
        if n == 0:
            pt = geom.representative_point()
            rows.append((code, pt.x, pt.y, "representative_point", 0))
            continue
        mx, my = means.loc[code]
        if geom.contains(shapely.Point(mx, my)):
            rows.append((code, mx, my, "postcode_mean", n))
            continue
        members = inside[inside["lsoa11cd"] == code]
        d2 = (members["easting"] - mx) ** 2 + (members["northing"] - my) ** 2
        nearest = members.iloc[int(np.argmin(d2.to_numpy()))]
        rows.append((code, nearest["easting"], nearest["northing"], "postcode_nearest_mean", n))
    out = pd.DataFrame(rows, columns=["lsoa11cd", "x", "y", "point_method", "n_postcodes"])
    out["x"] = out["x"].round().astype("int64")
    out["y"] = out["y"].round().astype("int64")
    return out


def lonlat_of(x: pd.Series, y: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Return WGS84 longitude and latitude (6 decimals) of British National Grid coordinates."""
    import pandas as pd  # noqa: PLC0415 (lazy: pandas is slow to import)
    from pyproj import Transformer  # noqa: PLC0415 (lazy: pyproj is slow to import)

    to_wgs = Transformer.from_crs(BNG, WGS84, always_xy=True)
    lon, lat = to_wgs.transform(x.to_numpy(dtype=float), y.to_numpy(dtype=float))
    return pd.Series(lon, index=x.index).round(6), pd.Series(lat, index=x.index).round(6)


def simplified_coverage(polys: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """Return the LSOA polygons simplified as one coverage (no gaps or overlaps between them)."""
    import geopandas as gpd  # noqa: PLC0415 (lazy: geopandas is slow to import)
    import shapely  # noqa: PLC0415 (lazy: shapely is slow to import)

    # The published boundaries, once reprojected, do not share vertices exactly (every LSOA has
    # mismatched edges and a few self-intersect): round to 1 m, repair, then clean the coverage so
    # shared edges are identical before simplifying it as a whole.
    geoms = shapely.make_valid(shapely.set_precision(polys.geometry.to_numpy(), 1.0))
    geoms = shapely.coverage_clean(geoms, gap_width=5.0, snapping_distance=1.0)
    geoms = shapely.coverage_simplify(geoms, SIMPLIFY_TOLERANCE_M)
    if not shapely.coverage_is_valid(geoms) or not shapely.is_valid(geoms).all():
        raise BuildError("LSOA boundaries: the simplified coverage is not valid")
    return gpd.GeoSeries(geoms, index=polys.index, crs=BNG)


def lsoa_table(pop: pd.DataFrame, points: pd.DataFrame) -> pd.DataFrame:
    """Return the committed LSOA attribute table (one row per LSOA, sorted by code)."""
    table = pop.merge(points, on="lsoa11cd", how="inner", validate="one_to_one")
    table["lon"], table["lat"] = lonlat_of(table["x"], table["y"])
    table = table.rename(
        columns={
            "lad_code": "lad13cd",
            "pop_mid2015_excl_prisoners": "pop_mid2015",
        }
    )
    cols = [
        "lsoa11cd",
        "lsoa11nm",
        "lad13cd",
        "lad19cd",
        "lad_name",
        "force",
        "pop_mid2015",
        "pop_mid2019",
        "x",
        "y",
        "lon",
        "lat",
        "point_method",
        "n_postcodes",
    ]
    return table[cols].sort_values("lsoa11cd").reset_index(drop=True)


def dissolved(polys: gpd.GeoDataFrame, by: list[str]) -> gpd.GeoDataFrame:
    """Return the coverage dissolved by the given attribute columns, sorted by them."""
    import geopandas as gpd  # noqa: PLC0415 (lazy: geopandas is slow to import)
    import shapely  # noqa: PLC0415 (lazy: shapely is slow to import)

    rows = []
    for key, group in polys.groupby(by, sort=True):
        keys = key if isinstance(key, tuple) else (key,)
        geom = shapely.coverage_union_all(group.geometry.to_numpy())
        rows.append({**dict(zip(by, keys, strict=True)), "geometry": geom})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=BNG)


def site_id(name: str) -> str:
    """Return a short stable id for a police site name (the three control rooms have fixed ids)."""
    for sid, full in CURRENT_CONTROL_ROOMS.items():
        if name == full:
            return sid
    base = re.sub(r"\(.*?\)", "", name).replace("'", "")
    base = re.sub(
        r"\b(police station|police|station|community police base)\b", "", base, flags=re.I
    )
    slug = re.sub(r"[^a-z0-9]+", "-", base.lower()).strip("-")
    if "former" in name.lower():
        slug = f"{slug.replace('-former', '').replace('former-', '')}-former"
    return slug


SITE_COLUMNS = [
    "id",
    "name",
    "force",
    "kind",
    "address",
    "postcode",
    "x",
    "y",
    "lon",
    "lat",
    "lsoa11cd",
    "current_control_room",
    "status_today",
    "confidence",
    "geocoded_by",
    "source",
]


def geocoded_sites(inputs: Inputs, codes: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (placed sites, sites that could not be placed) from the police-site list.

    A site keeps the coordinates its source gives (OSM point or Code-Point centroid); a site with a
    postcode but no coordinates is geocoded from Code-Point Open.
    """
    import pandas as pd  # noqa: PLC0415 (lazy: pandas is slow to import)
    from pyproj import Transformer  # noqa: PLC0415 (lazy: pyproj is slow to import)

    with inputs.sites_csv.open(encoding="utf-8", newline="") as handle:
        raw = list(csv.DictReader(handle))
    names_to_id = {site_name: fid for fid, (_, site_name) in FORCES.items()}
    by_postcode = {
        str(pc): (int(e), int(n))
        for pc, e, n in zip(codes["postcode"], codes["easting"], codes["northing"], strict=True)
    }
    to_bng = Transformer.from_crs(WGS84, BNG, always_xy=True)
    placed: list[dict[str, Any]] = []
    unplaced: list[dict[str, Any]] = []
    for row in raw:
        name, notes = row["name"], row["notes"]
        postcode = normalise_postcode(row["postcode"]) if row["postcode"] else ""
        record: dict[str, Any] = {
            "id": site_id(name),
            "name": name,
            "force": names_to_id[row["force"]],
            "kind": row["kind"],
            "address": row["address"],
            "postcode": postcode,
            "current_control_room": name in CURRENT_CONTROL_ROOMS.values(),
            "status_today": "closed" if "CLOSED" in notes or "former" in name.lower() else "open",
            "confidence": "low" if "LOW CONFIDENCE" in notes.upper() else "normal",
        }
        if row["lat"] and row["lon"]:
            x, y = to_bng.transform(float(row["lon"]), float(row["lat"]))
            record |= {"x": round(x), "y": round(y), "geocoded_by": "source coordinates"}
            record["source"] = f"coordinates: {row['coord_source']}; notes: {notes}"
        elif postcode in by_postcode:
            x, y = by_postcode[postcode]
            record |= {"x": x, "y": y, "geocoded_by": "postcode (OS Code-Point Open 2014.3)"}
            record["source"] = f"notes: {notes}"
        else:
            unplaced.append({**record, "reason": notes or "no coordinates or postcode"})
            continue
        placed.append(record)
    sites = pd.DataFrame(placed)
    if sites["id"].duplicated().any():
        dupes = sorted(sites.loc[sites["id"].duplicated(), "id"])
        raise BuildError(f"{inputs.sites_csv}: duplicate site ids {dupes}")
    missing = set(CURRENT_CONTROL_ROOMS) - set(sites["id"])
    if missing:
        raise BuildError(f"{inputs.sites_csv}: current control rooms not placed: {sorted(missing)}")
    sites["lon"], sites["lat"] = lonlat_of(sites["x"], sites["y"])
    unplaced_df = pd.DataFrame(unplaced)[["name", "force", "kind", "address", "reason"]]
    return sites, unplaced_df.sort_values("name").reset_index(drop=True)


def site_lsoas(sites: pd.DataFrame, polys: gpd.GeoDataFrame) -> pd.Series:
    """Return the LSOA code each site lies in ('' when outside the region)."""
    import geopandas as gpd  # noqa: PLC0415 (lazy: geopandas is slow to import)

    pts = gpd.GeoDataFrame(
        sites[["id"]], geometry=gpd.points_from_xy(sites["x"], sites["y"]), crs=BNG
    )
    joined = gpd.sjoin(pts, polys[["lsoa11cd", "geometry"]], how="left", predicate="within")
    joined = joined[~joined.index.duplicated(keep="first")]
    codes: pd.Series = joined["lsoa11cd"].fillna("")
    return codes


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write a table as UTF-8 CSV with Unix line endings and a fixed float format."""
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\n")
    path.write_text(buffer.getvalue(), encoding="utf-8")


def write_parquet(frame: gpd.GeoDataFrame | pd.DataFrame, path: Path) -> None:
    """Write a (Geo)DataFrame as zstd-compressed Parquet without the pandas index."""
    frame.to_parquet(path, index=False, compression="zstd")


def readme_text(manifest: dict[str, Any]) -> str:
    """Return the dataset README: what each file is, its sources and the attribution to carry."""
    lines = [
        "# Embedded BCH dataset",
        "",
        "Generated by `python -m geodata.build` from `../shared/geodata/`; do not edit by hand.",
        "Coordinates: `x`, `y` are British National Grid (EPSG:27700) metres for computation;",
        "`lon`, `lat` are WGS84 (EPSG:4326) for web output.",
        "",
        "| file | what |",
        "|---|---|",
        "| `lsoa.csv` | the 1,558 LSOAs (2011): code, name, district (2013 and 2019 codes), force, "
        "population mid-2015 (excl. prisoners; IoD2019 denominators) and mid-2019 (ONS SAPE), "
        "demand point and `point_method` |",
        "| `lsoa_boundaries.parquet` | LSOA boundaries simplified as one coverage "
        f"(tolerance {SIMPLIFY_TOLERANCE_M:g} m), GeoParquet, EPSG:27700 |",
        "| `districts.parquet`, `forces.parquet` | districts and force areas dissolved from them |",
        "| `postcodes.parquet` | OS Code-Point Open 2014.3 postcode units of the region's postcode "
        "areas with coordinates, and the LSOA each lies in (blank outside BCH) |",
        "| `sites.csv` | police HQs, stations and offices that could be placed, with sources; "
        "`status_today` is as reported when the list was collected (2026-11): a site closed since "
        "2015 was still in use in the 2015 case |",
        "| `sites_unplaced.csv` | known sites with no coordinates or postcode (not candidates) |",
        "| `attribution.json` | the attribution lines every export must carry |",
        "| `manifest.json` | input hashes, row counts, totals, output hashes |",
        *network_readme_rows(),
        "",
        "Demand points: "
        + ", ".join(f"{k}: {v}" for k, v in manifest["demand_point_methods"].items())
        + ". `postcode_mean` is the mean location of the LSOA's postcode units (a proxy for the "
        "population-weighted centroid); `postcode_nearest_mean` is the postcode unit nearest that "
        "mean where the mean fell outside the polygon; `representative_point` is used where an "
        "LSOA holds no postcode unit.",
        "",
        "## Sources and licences",
        "",
        "- LSOA boundaries: ONS LSOA 2011 generalised clipped boundaries (OGL v3).",
        "- Population mid-2015: MHCLG English Indices of Deprivation 2019, File 7 population "
        "denominators (via guardian/msoa-script); mid-2019: ONS SAPE mid-2019 LSOA estimates "
        "(via LibrariesHacked/geography-db). See `../shared/geodata/population/SOURCE.md`.",
        "- Postcodes: OS Code-Point Open 2014.3 (OGL).",
        "- Police sites: OpenStreetMap `amenity=police` points (ODbL) and Code-Point postcode "
        "centroids; each row's `source` column says which, and `confidence` = `low` marks an "
        "unverified postcode.",
        "- Roads: National Highways Strategic Road Network junction graph (Strain, Wilson & "
        "Littleworth 2023), OS Open Roads motorways (OGL), DfT traffic count link lengths (OGL), "
        "OpenStreetMap major roads of Cambridgeshire and drive graph of Cambridge (ODbL; the "
        "network files derived from them are a Derivative Database under the ODbL). See "
        "`../shared/geodata/roads/SOURCE.md` and `docs/network.md`.",
        "",
        "## Attribution",
        "",
        *[f"- {line}" for line in ATTRIBUTION.values()],
        "",
    ]
    return "\n".join(lines)


def build(shared: Path, out: Path) -> dict[str, Any]:
    """Build the dataset from ``shared`` into ``out`` atomically and return the manifest."""
    inputs = Inputs(shared)
    for path in inputs.all_files():
        if not path.is_file():
            raise BuildError(f"{path}: input file missing")
    pop = read_population(inputs)
    polys = read_lsoa_polygons(inputs)
    if set(polys["lsoa11cd"]) != set(pop["lsoa11cd"]) or len(polys) != len(pop):
        raise BuildError(f"{inputs.lsoa_dir}: LSOA codes do not match the population table")
    codes = read_postcodes(inputs)
    lsoa_of_code = assign_postcodes_to_lsoas(codes, polys)
    points = demand_points(polys, codes, lsoa_of_code)
    lsoas = lsoa_table(pop, points)

    import geopandas as gpd  # noqa: PLC0415 (lazy: geopandas is slow to import)

    shapes = gpd.GeoDataFrame(
        polys[["lsoa11cd"]], geometry=simplified_coverage(polys), crs=BNG
    ).merge(lsoas[["lsoa11cd", "lad13cd", "lad19cd", "lad_name", "force"]], on="lsoa11cd")
    districts = dissolved(shapes, ["lad13cd", "lad19cd", "lad_name", "force"])
    forces = dissolved(shapes, ["force"])
    boundaries = shapes[["lsoa11cd", "geometry"]]

    postcode_table = codes[["postcode", "easting", "northing"]].assign(
        lsoa11cd=lsoa_of_code.fillna("").to_numpy()
    )
    sites, unplaced = geocoded_sites(inputs, codes)
    sites["lsoa11cd"] = site_lsoas(sites, polys).to_numpy()
    sites = sites[SITE_COLUMNS].sort_values("id").reset_index(drop=True)

    network = build_network(shared, boundaries, lsoas, sites)

    manifest: dict[str, Any] = {
        "generated_by": "python -m geodata.build",
        "crs": {"computation": BNG, "web": WGS84},
        "inputs": {
            str(p.relative_to(shared)): {"sha256": sha256_of(p)}
            for p in inputs.all_files() + network_inputs(shared)
        },
        "counts": {
            "lsoas": len(lsoas),
            "districts": len(districts),
            "postcodes": len(postcode_table),
            "postcodes_in_bch": int((postcode_table["lsoa11cd"] != "").sum()),
            "sites": len(sites),
            "sites_unplaced": len(unplaced),
        },
        "population": {
            year: {
                force: int(lsoas.loc[lsoas["force"] == force, f"pop_mid{year}"].sum())
                for force in FORCES
            }
            for year in ("2015", "2019")
        },
        "demand_point_methods": {
            k: int(v) for k, v in sorted(lsoas["point_method"].value_counts().items())
        },
        "simplify_tolerance_m": SIMPLIFY_TOLERANCE_M,
        "network": network.calibration["counts"],
        "attribution": ATTRIBUTION,
    }

    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        write_csv(lsoas, staging / "lsoa.csv")
        write_parquet(boundaries, staging / "lsoa_boundaries.parquet")
        write_parquet(districts, staging / "districts.parquet")
        write_parquet(forces, staging / "forces.parquet")
        write_parquet(postcode_table, staging / "postcodes.parquet")
        write_csv(sites, staging / "sites.csv")
        write_csv(unplaced, staging / "sites_unplaced.csv")
        write_network(network, staging)
        publish(staging, out, manifest, ATTRIBUTION, readme_text)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m geodata.build", description=__doc__)
    parser.add_argument(
        "--dataset",
        choices=["bch", "england-wales"],
        default="bch",
        help="which embedded dataset to build (default bch)",
    )
    parser.add_argument("--shared", type=Path, default=default_shared(), help="raw input folder")
    parser.add_argument("--out", type=Path, help="output folder (default geodata/<dataset>)")
    args = parser.parse_args(argv)
    out = args.out or Path(__file__).resolve().parent / args.dataset
    try:
        if args.dataset == "england-wales":
            from geodata.national.build import build_national  # noqa: PLC0415 (only this dataset)

            manifest = build_national(args.shared, out)
        else:
            manifest = build(args.shared, out)
    except BuildError as exc:
        print(f"geodata.build: {exc}", file=sys.stderr)
        return 2
    counts = manifest["counts"]
    print(
        f"built {out}: {counts['lsoas']} LSOAs, {counts['postcodes']} postcodes, "
        f"{counts['sites']} sites ({counts.get('sites_unplaced', 0)} unplaced)"
    )
    for name, meta in manifest["outputs"].items():
        print(f"  {name:28s} {meta['bytes'] / 1024:8.1f} KiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

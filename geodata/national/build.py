"""Build ``geodata/england-wales/`` (``python -m geodata.build --dataset england-wales``).

Reads ``national/`` and ``roads/`` under the shared geodata folder, checks counts and totals
against the inputs' SOURCE.md notes, and writes compact, attributed, deterministic files (same
inputs, byte-identical outputs) through a staging folder moved into place only when the whole
build has succeeded.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geodata import BuildError
from geodata.national.areas import AREA_NOTE, area_layers, land_mask, separated
from geodata.national.mesh import build_national_network, national_network_inputs
from geodata.national.tables import (
    POINT_POSTCODE,
    POINT_PWC,
    SCALER_SOURCES,
    TABLE_INPUTS,
    force_names,
    force_scalers,
    lsoa_table,
    ons_force_names,
    police_sites,
)
from geodata.network_build import PAIRS_FILE
from geodata.publish import publish, sha256_of
from siteopt.network.sources import CALIBRATION_FILE, EDGES_FILE, NODES_FILE

if TYPE_CHECKING:
    import pandas as pd

#: Files of the national dataset that are not network files.
LSOA_FILE = "lsoa.parquet"
SITES_FILE = "sites.csv"
SCALERS_FILE = "force_scalers.csv"

ATTRIBUTION = {
    "ons": (
        "Contains National Statistics data © Crown copyright and database right 2022 (ONS "
        "LSOA 2011 to 2021 to LAD 2022 lookup, LAD to CSP to PFA 2017 lookup, LSOA 2021 "
        "population-weighted centroids). Licensed under the Open Government Licence v3.0."
    ),
    "population": (
        "Contains public sector information licensed under the Open Government Licence v3.0. "
        "Source: Office for National Statistics (small area population estimates mid-2019); "
        "Ministry of Housing, Communities and Local Government (English Indices of Deprivation "
        "2019 population denominators, mid-2015)."
    ),
    "postcodes": (
        "Representative postcode points: contains OS data © Crown copyright and database right; "
        "contains Royal Mail data © Royal Mail copyright and database right; contains National "
        "Statistics data © Crown copyright and database right (via samuel-book/"
        "stroke_unit_demographics)."
    ),
    "openstreetmap": (
        "Police points and the Cambridge road graph that calibrates travel times © "
        "OpenStreetMap contributors, available under the Open Database Licence (ODbL 1.0)."
    ),
    "home_office": (
        "Police recorded crime and police workforce statistics: Home Office, licensed under the "
        "Open Government Licence v3.0."
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
    "areas": f"Force, district and LSOA areas are {AREA_NOTE}.",
}


#: Rows of the README's file table for the network files.
NETWORK_ROWS = (
    f"| `{NODES_FILE}` | road network nodes (EPSG:27700): LSOA demand points and sites (with "
    "their area type, urban/rural), Strategic Road Network junction clusters, OS motorway nodes in "
    "Wales |",
    f"| `{EDGES_FILE}` | its directed edges: SRN links (motorway lengths from OS Open Roads; speed "
    "cap of A roads without limit data), Welsh motorway links, and the Delaunay mesh/connectors "
    "between LSOA points, ferries (metres, road class, delay) |",
    f"| `{CALIBRATION_FILE}` | speeds, mesh parameters, provenance text, the calibration error "
    "against the OpenStreetMap graph of Cambridge and the mesh's cut counts (see docs/data.md) |",
    f"| `{PAIRS_FILE}` | the calibration reference: OSM drive time and distance between "
    "Cambridge LSOA demand points |",
)


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """Write a table as Parquet (``.parquet``) or UTF-8 CSV with Unix line endings."""
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False, compression="zstd")
    else:
        path.write_text(frame.to_csv(index=False, lineterminator="\n"), encoding="utf-8")


def build_national(shared: Path, out: Path) -> dict[str, Any]:
    """Build the national dataset from ``shared`` into ``out`` atomically; return the manifest."""
    inputs = [shared / p for p in TABLE_INPUTS]
    for path in inputs:
        if not path.is_file():
            raise BuildError(f"{path}: input file missing")
    inputs += national_network_inputs(shared)
    names = force_names(shared)
    labels = ons_force_names(shared, names)
    lsoas = lsoa_table(shared, names)
    sites = police_sites(shared, lsoas, labels)
    scalers = force_scalers(shared, names, labels, lsoas, sites)
    land = land_mask(separated(lsoas[["x", "y"]].to_numpy(float)))
    layers = area_layers(lsoas, land)
    network = build_national_network(
        shared, lsoas, sites, layers["lsoa"].area.to_numpy() / 1e6, land
    )
    manifest = manifest_of(shared, inputs, lsoas, sites, scalers, layers, network.calibration)

    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        write_table(lsoas, staging / LSOA_FILE)
        write_table(sites, staging / SITES_FILE)
        write_table(scalers, staging / SCALERS_FILE)
        write_table(layers["lsoa"], staging / "lsoa_boundaries.parquet")
        write_table(layers["districts"], staging / "districts.parquet")
        write_table(layers["forces"], staging / "forces.parquet")
        write_table(network.nodes, staging / NODES_FILE)
        write_table(network.edges, staging / EDGES_FILE)
        write_table(network.pairs, staging / PAIRS_FILE)
        (staging / CALIBRATION_FILE).write_text(
            json.dumps(network.calibration, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        publish(staging, out, manifest, ATTRIBUTION, readme_text)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def manifest_of(  # noqa: PLR0917 - one argument per part of the dataset
    shared: Path,
    inputs: list[Path],
    lsoas: pd.DataFrame,
    sites: pd.DataFrame,
    scalers: pd.DataFrame,
    layers: dict[str, Any],
    calibration: dict[str, Any],
) -> dict[str, Any]:
    """Return the build manifest: inputs, counts, totals, sources (outputs added when written)."""
    methods = lsoas["point_method"].value_counts()
    return {
        "generated_by": "python -m geodata.build --dataset england-wales",
        "dataset": "england-wales",
        "select_forces": True,
        "crs": {"computation": "EPSG:27700", "web": "EPSG:4326"},
        "inputs": {str(p.relative_to(shared)): {"sha256": sha256_of(p)} for p in inputs},
        "counts": {
            "lsoas": len(lsoas),
            "districts": len(layers["districts"]),
            "forces": len(scalers),
            "postcodes": 0,
            "sites": len(sites),
            "sites_named_headquarters": int((sites["kind"] == "headquarters").sum()),
            "sites_force_headquarters": int(sites["force_headquarters"].sum()),
        },
        "population": {
            "2015": {"total": int(lsoas["pop_mid2015"].sum()), "coverage": "England only"},
            "2019": {"total": int(lsoas["pop_mid2019"].sum()), "coverage": "England and Wales"},
        },
        "demand_point_methods": {
            POINT_PWC: int(methods.get(POINT_PWC, 0)),
            POINT_POSTCODE: int(methods.get(POINT_POSTCODE, 0)),
        },
        "boundaries": AREA_NOTE,
        "postcode_index": "none (use easting/northing or lon/lat for custom sites)",
        "force_scaler_sources": SCALER_SOURCES,
        "network": calibration["counts"],
        "attribution": ATTRIBUTION,
    }


def readme_text(manifest: dict[str, Any]) -> str:
    """Return the dataset README: each file, its sources, what is approximate, attribution."""
    counts = manifest["counts"]
    methods = manifest["demand_point_methods"]
    sizes = {name: meta["bytes"] for name, meta in manifest.get("outputs", {}).items()}
    total = sum(sizes.values())
    lines = [
        "# Embedded national dataset: England and Wales",
        "",
        "Generated by `python -m geodata.build --dataset england-wales` from "
        "`../shared/geodata/national/` and `../shared/geodata/roads/`; do not edit by hand. "
        'Select forces in an instance with `[data] dataset = "england-wales"` and '
        '`forces = ["kent", "essex"]`; `siteopt data --dataset england-wales` summarises it. '
        "See docs/data.md.",
        "Coordinates: `x`, `y` are British National Grid (EPSG:27700) metres; `lon`, `lat` WGS84.",
        f"Total size of the files below: {total / 1e6:.1f} MB.",
        "",
        "| file | what |",
        "|---|---|",
        f"| `{LSOA_FILE}` | the {counts['lsoas']:,} LSOAs (2011) of England and Wales: code, "
        "name, district (LAD22 code and name), force (police.uk id) and PFA17 code, population "
        "mid-2015 (England only: IoD2019 denominators, excluding prisoners; empty in Wales) and "
        "mid-2019 (ONS SAPE, England and Wales), demand point, `point_method` and the LSOA's "
        "representative postcode |",
        f"| `{SITES_FILE}` | the {counts['sites']} OpenStreetMap police points in England and "
        "Wales, each tagged with the force of its nearest LSOA point; `kind` = `headquarters` "
        f"where the name says HQ/Headquarters ({counts['sites_named_headquarters']}); "
        "`force_headquarters` where the name is the force's own \"<force> Police|Constabulary "
        f'HQ|Headquarters" ({counts["sites_force_headquarters"]}); no site is marked as a '
        "control room (no national list exists) |",
        f"| `{SCALERS_FILE}` | one row per force ({counts['forces']}): populations and the years "
        "the force can use, recorded crime 2024/25, officer FTE 2015, 2019 and 2025, the OSM "
        "point named as its headquarters (if any): scalers of call demand where no call figures "
        "are published |",
        "| `lsoa_boundaries.parquet` | **approximate** LSOA areas: Voronoi cells of the LSOA "
        "points clipped to a land mask (not ONS boundaries) |",
        "| `districts.parquet`, `forces.parquet` | the cells dissolved by district and force, "
        "simplified to 50 m: **approximate** |",
        *NETWORK_ROWS,
        "",
        f"Demand points: {methods[POINT_PWC]:,} ONS 2021 population-weighted centroids (the "
        f"LSOA is unchanged 2011→2021), {methods[POINT_POSTCODE]:,} representative postcodes "
        "(the LSOA was split or merged in 2021).",
        "",
        "## What is approximate",
        "",
        f"- Areas: {AREA_NOTE}. A coastal cell stops at most 8 km out to sea; area-based figures "
        "(population density, the urban/rural mesh class) use these cells.",
        "- Road network: the Strategic Road Network of England and the motorways of Wales only, "
        "joined by a Delaunay mesh between LSOA points (no A or B roads, no Welsh trunk roads); "
        "estuaries without a crossing drawn by hand; islands joined by an assumed ferry.",
        "- A police point's force is the force of its nearest LSOA point (approximate near "
        "borders); OSM coverage is thin and uneven (a sample, not a list of every station).",
        "- Recorded crime is a proxy of call demand, not a measure of it.",
        "",
        "## Per-force scaler sources",
        "",
        *[f"- `{k}`: {v}" for k, v in manifest["force_scaler_sources"].items()],
        "",
        "## Attribution",
        "",
        *[f"- {line}" for line in manifest["attribution"].values()],
        "",
    ]
    return "\n".join(lines)

"""Tables of the national dataset: LSOAs, OSM police points and per-force demand scalers.

Every LSOA11 of England and Wales gets its police force area (ONS lookup), district (LAD22),
populations (mid-2015 for England only, mid-2019 for England and Wales) and one representative
point: the ONS 2021 population-weighted centroid where the LSOA is unchanged between 2011 and
2021, else the representative postcode of the LSOA (``point_method`` records which).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from geodata import BuildError

if TYPE_CHECKING:
    import pandas as pd

NATIONAL = Path("national")

#: Raw inputs, relative to the shared geodata folder.
LSOA_TABLE_CSV = NATIONAL / "lsoa_national_table" / "lsoa11_ew_pfa_pop_point.csv"
PWC_CSV = NATIONAL / "lsoa_points" / "LSOA21_PWC_EW.csv"
LSOA_LOOKUP_CSV = NATIONAL / "pfa_lookup" / "LSOA11_LSOA21_LAD22_EW_LU.csv"
POP2015_CSV = NATIONAL / "lsoa_population" / "lsoa11_population_mid2015_england.csv"
POP2019_CSV = NATIONAL / "lsoa_population" / "lsoa11_population_mid2019_ew_noheader.csv"
OSM_POLICE_CSV = NATIONAL / "police_sites" / "osm_police_stations_wgs84_with_pfa.csv"
CRIME_CSV = NATIONAL / "force_demand" / "prc_2024_25_total_by_force.csv"
FORCE_SUMMARY_CSV = NATIONAL / "force_demand" / "cbl-realcrime_model_force_summary.csv"
WORKFORCE_CSV = NATIONAL / "force_demand" / "resistancelab_police_workforce_fte_by_year.csv"
POLICE_UK_CSV = NATIONAL / "force_demand" / "crime-uk_forces_policeuk_ids_pop2010.csv"

TABLE_INPUTS = (
    LSOA_TABLE_CSV,
    PWC_CSV,
    LSOA_LOOKUP_CSV,
    POP2015_CSV,
    POP2019_CSV,
    OSM_POLICE_CSV,
    CRIME_CSV,
    FORCE_SUMMARY_CSV,
    WORKFORCE_CSV,
    POLICE_UK_CSV,
)

#: Totals stated in lsoa_population/SOURCE.md (checked on every build).
POP_TOTALS = {"pop_mid2015": 54_728_204, "pop_mid2019": 59_439_840}
N_LSOAS = 34_753
N_FORCES = 43

#: Where each demand point comes from (``point_method``).
POINT_PWC = "ons_pwc_2021"
POINT_POSTCODE = "representative_postcode"

#: Where each per-force scaler comes from (written to the manifest and the README).
SCALER_SOURCES = {
    "recorded_crime_2024_25": (
        "Home Office police recorded crime and outcomes open data tables (OGL v3), year to "
        "March 2025, 13 offence groups summed (via isthisben/cbl-realcrime data/model_force_harm"
        ".csv @ bddcde14; ../shared/geodata/national/force_demand/SOURCE.md)"
    ),
    "officer_fte_2015": (
        "Home Office Police workforce, England and Wales, 31 March 2015, officers FTE (OGL v3; "
        "via Resistance-Lab/resistancelab_data @ 1712aac1)"
    ),
    "officer_fte_2019": (
        "Home Office Police workforce, England and Wales, 31 March 2019, officers FTE (OGL v3; "
        "via Resistance-Lab/resistancelab_data @ 1712aac1)"
    ),
    "officer_fte_2025": (
        "Home Office Police workforce open data, 31 March 2025, officers FTE (OGL v3; via "
        "isthisben/cbl-realcrime data/model_force_summary.csv @ 5591939d)"
    ),
    "pop_mid2015": (
        "MHCLG IoD2019 population denominators, mid-2015 excluding prisoners, England only "
        "(OGL v3), summed over the force's LSOAs"
    ),
    "pop_mid2019": "ONS small area population estimates mid-2019 (OGL v3), summed over LSOAs",
}

_STOPWORDS = {"police", "constabulary", "service", "of", "the", "and"}


def name_key(name: str) -> str:
    """Return a spelling-independent key of a force name ("London, City of" = "City of London")."""
    words = re.sub(r"[^a-z]+", " ", name.lower().replace("&", " and ")).split()
    return " ".join(sorted(w for w in words if w not in _STOPWORDS))


def slug(text: str) -> str:
    """Return a lower-case id of letters, digits and hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower().replace("&", " and ").replace("'", "")).strip(
        "-"
    )


def read_csv_rows(path: Path) -> list[dict[str, str]]:
    """Return the rows of a CSV file (UTF-8, header row) as dictionaries."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@dataclass(frozen=True)
class ForceNames:
    """Force ids (police.uk ids) keyed by the spelling-independent name key."""

    ids: dict[str, str]

    def id_of(self, name: str, where: Path) -> str:
        """Return the force id of a force name spelt as in any input file."""
        key = name_key(name)
        if key not in self.ids:
            raise BuildError(f"{where}: force name {name!r} matches no police.uk force")
        return self.ids[key]


def force_names(shared: Path) -> ForceNames:
    """Return the police.uk force ids (``kent``, ``city-of-london`` …) of the 43 forces."""
    rows = read_csv_rows(shared / POLICE_UK_CSV)
    ids = {name_key(r["Label"]): r["id"] for r in rows if r["id"] != "btp"}
    if len(ids) != N_FORCES:
        raise BuildError(f"{shared / POLICE_UK_CSV}: expected {N_FORCES} forces, got {len(ids)}")
    return ForceNames(ids)


def unchanged_lsoas(shared: Path) -> set[str]:
    """Return the LSOA11 codes unchanged in 2021 (one-to-one with an LSOA21 of the same code)."""
    rows = read_csv_rows(shared / LSOA_LOOKUP_CSV)
    n11: dict[str, int] = {}
    n21: dict[str, int] = {}
    for row in rows:
        n11[row["LSOA11CD"]] = n11.get(row["LSOA11CD"], 0) + 1
        n21[row["LSOA21CD"]] = n21.get(row["LSOA21CD"], 0) + 1
    return {
        r["LSOA11CD"]
        for r in rows
        if r["LSOA11CD"] == r["LSOA21CD"] and n11[r["LSOA11CD"]] == 1 and n21[r["LSOA21CD"]] == 1
    }


def to_bng(lon: Any, lat: Any) -> tuple[Any, Any]:
    """Return British National Grid x, y (metres) of WGS84 longitudes and latitudes."""
    from pyproj import Transformer  # noqa: PLC0415 (lazy: pyproj is slow to import)

    transform = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    return transform.transform(np.asarray(lon, float), np.asarray(lat, float))


def to_lonlat(x: Any, y: Any) -> tuple[Any, Any]:
    """Return WGS84 longitude and latitude (6 decimals) of British National Grid x, y."""
    from pyproj import Transformer  # noqa: PLC0415 (lazy: pyproj is slow to import)

    transform = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    lon, lat = transform.transform(np.asarray(x, float), np.asarray(y, float))
    return np.round(lon, 6), np.round(lat, 6)


def lsoa_table(shared: Path, names: ForceNames) -> pd.DataFrame:
    """Return one row per LSOA11: codes, force, district, populations, point and its method."""
    import pandas as pd  # noqa: PLC0415 (lazy: pandas is slow to import)

    path = shared / LSOA_TABLE_CSV
    raw = pd.read_csv(path, dtype={"point_postcode": str})
    if len(raw) != N_LSOAS or raw["LSOA11CD"].duplicated().any():
        raise BuildError(f"{path}: expected {N_LSOAS} distinct LSOA11 rows, got {len(raw)}")
    check_populations(shared, raw)
    pwc = pd.read_csv(shared / PWC_CSV).set_index("LSOA21CD")
    unchanged = raw["LSOA11CD"].isin(unchanged_lsoas(shared)).to_numpy()
    px, py = to_bng(raw["lon"], raw["lat"])
    codes = raw.loc[unchanged, "LSOA11CD"]
    missing = sorted(set(codes) - set(pwc.index))
    if missing:
        raise BuildError(f"{shared / PWC_CSV}: no centroid for unchanged LSOAs {missing[:3]}")
    x = np.where(unchanged, 0.0, px)
    y = np.where(unchanged, 0.0, py)
    x[unchanged] = pwc.loc[codes, "x"].to_numpy(float)
    y[unchanged] = pwc.loc[codes, "y"].to_numpy(float)
    table = pd.DataFrame(
        {
            "lsoa11cd": raw["LSOA11CD"],
            "lsoa11nm": raw["LSOA11NM"],
            "lad22cd": raw["LAD22CD"],
            "lad_name": raw["LAD22NM"],
            "force": [names.id_of(n, path) for n in raw["PFA17NM"]],
            "pfa17cd": raw["PFA17CD"],
            "pop_mid2015": raw["pop_mid2015_excl_prisoners"].astype("Int64"),
            "pop_mid2019": raw["pop_mid2019"].astype("int64"),
            "x": np.round(x, 1),
            "y": np.round(y, 1),
            "point_method": np.where(unchanged, POINT_PWC, POINT_POSTCODE),
            "postcode": raw["point_postcode"],
        }
    )
    table["lon"], table["lat"] = to_lonlat(table["x"], table["y"])
    return table.sort_values("lsoa11cd").reset_index(drop=True)


def check_populations(shared: Path, raw: pd.DataFrame) -> None:
    """Check the joined populations against the population files' own totals."""
    got = {
        "pop_mid2015": int(raw["pop_mid2015_excl_prisoners"].sum()),
        "pop_mid2019": int(raw["pop_mid2019"].sum()),
    }
    if got != POP_TOTALS:
        raise BuildError(f"{shared / LSOA_TABLE_CSV}: population totals {got} != {POP_TOTALS}")
    welsh = raw["LSOA11CD"].str.startswith("W")
    if raw.loc[~welsh, "pop_mid2015_excl_prisoners"].isna().any():
        raise BuildError(f"{shared / LSOA_TABLE_CSV}: an English LSOA has no mid-2015 population")


#: OSM names that mark a headquarters, and those that name a force's own headquarters.
HQ_PATTERN = re.compile(r"\b(?:HQ|headquarters)\b", re.IGNORECASE)

OSM_SOURCE = (
    "OpenStreetMap amenity=police point (© OpenStreetMap contributors, ODbL) via "
    "cb671/streetsafe-server data/police_stations.csv @ 979749e1; force = force of the nearest "
    "LSOA demand point (approximate near force borders)"
)


def is_force_hq(name: str, force_name: str) -> bool:
    """True if an OSM name is "<force> Police|Constabulary HQ|Headquarters" for its own force."""
    words = r"\s+".join(re.escape(w) for w in force_name.split())
    pattern = rf"^{words}\s+(police|constabulary)\s+(hq|headquarters)$"
    return re.match(pattern, name.strip(), flags=re.IGNORECASE) is not None


def police_sites(shared: Path, lsoas: pd.DataFrame, force_labels: dict[str, str]) -> pd.DataFrame:
    """Return the OSM police points of England and Wales with id, force and HQ marks.

    ``force_labels`` maps a force id to its short name (``"Kent"``) for recognising the force's
    own headquarters by name.
    """
    import pandas as pd  # noqa: PLC0415 (lazy: pandas is slow to import)
    from scipy.spatial import cKDTree  # noqa: PLC0415 (lazy: scipy is slow to import)

    path = shared / OSM_POLICE_CSV
    raw = pd.read_csv(path)
    raw = raw[raw["in_england_wales"] == 1].copy()
    raw = raw.sort_values(["name", "lon", "lat"], kind="stable").reset_index(drop=True)
    x, y = to_bng(raw["lon"], raw["lat"])
    distance, nearest = cKDTree(lsoas[["x", "y"]].to_numpy(float)).query(np.column_stack([x, y]))
    force = lsoas["force"].to_numpy()[nearest]
    names = raw["name"].astype(str).str.strip()
    kind = np.where(names.str.contains(HQ_PATTERN), "headquarters", "police station")
    force_hq = [is_force_hq(n, force_labels[f]) for n, f in zip(names, force, strict=True)]
    sites = pd.DataFrame(
        {
            "id": unique_ids([f"{slug(n)}" for n in names], list(force)),
            "name": names,
            "force": force,
            "kind": kind,
            "address": "",
            "postcode": "",
            "x": np.round(x, 1),
            "y": np.round(y, 1),
            "lon": raw["lon"].round(6),
            "lat": raw["lat"].round(6),
            "lsoa11cd": lsoas["lsoa11cd"].to_numpy()[nearest],
            "current_control_room": False,
            "force_headquarters": force_hq,
            "status_today": "mapped in OSM (c. 2025)",
            "confidence": np.where(distance > 2_000, "low", "normal"),
            "geocoded_by": "source coordinates (OpenStreetMap)",
            "source": OSM_SOURCE,
            "km_to_lsoa_point": np.round(distance / 1000, 2),
        }
    )
    return sites.sort_values("id").reset_index(drop=True)


def unique_ids(bases: list[str], forces: list[str]) -> list[str]:
    """Return ids from name slugs, made unique by the force id and then a counter."""
    counts: dict[str, int] = {}
    for base in bases:
        counts[base] = counts.get(base, 0) + 1
    out: list[str] = []
    seen: set[str] = set()
    for base, force in zip(bases, forces, strict=True):
        candidate = base if counts[base] == 1 else f"{base}-{force}"
        n = 2
        stem = candidate
        while candidate in seen:
            candidate = f"{stem}-{n}"
            n += 1
        seen.add(candidate)
        out.append(candidate)
    return out


def force_scalers(
    shared: Path,
    names: ForceNames,
    labels: dict[str, str],
    lsoas: pd.DataFrame,
    sites: pd.DataFrame,
) -> pd.DataFrame:
    """Return one row per force: populations, recorded crime, officer FTE and the named HQ."""
    import pandas as pd  # noqa: PLC0415 (lazy: pandas is slow to import)

    crime = {
        names.id_of(r["force"], shared / CRIME_CSV): int(r["prc_count_2024_25_13_categories"])
        for r in read_csv_rows(shared / CRIME_CSV)
    }
    fte_2025 = {
        names.id_of(r["force"], shared / FORCE_SUMMARY_CSV): float(r["officer_fte"])
        for r in read_csv_rows(shared / FORCE_SUMMARY_CSV)
    }
    workforce: dict[tuple[str, int], float] = {}
    for row in read_csv_rows(shared / WORKFORCE_CSV):
        if name_key(row["Police force"]) in names.ids:
            fid = names.id_of(row["Police force"], shared / WORKFORCE_CSV)
            workforce[fid, int(row["Year"])] = float(row["FTE Count"])
    by_force = lsoas.groupby("force")
    hq = sites[sites["force_headquarters"]].groupby("force")["id"].first()
    rows = []
    for key, group in by_force:
        fid = str(key)
        welsh = bool(group["lsoa11cd"].str.startswith("W").all())
        rows.append(
            {
                "force": fid,
                "name": labels[fid],
                "pfa17cd": group["pfa17cd"].iloc[0],
                "country": "Wales" if welsh else "England",
                "lsoas": len(group),
                "population_years": "2019" if welsh else "2015 2019",
                "pop_mid2015": pd.NA if welsh else int(group["pop_mid2015"].sum()),
                "pop_mid2019": int(group["pop_mid2019"].sum()),
                "recorded_crime_2024_25": crime[fid],
                "officer_fte_2015": workforce[fid, 2015],
                "officer_fte_2019": workforce[fid, 2019],
                "officer_fte_2025": fte_2025[fid],
                "osm_force_hq_site": hq.get(fid, ""),
                "sites": int((sites["force"] == fid).sum()),
            }
        )
    table = pd.DataFrame(rows)
    if len(table) != N_FORCES or set(table["force"]) != set(crime):
        raise BuildError(f"{shared / CRIME_CSV}: forces differ from the LSOA lookup's 43")
    table["pop_mid2015"] = table["pop_mid2015"].astype("Int64")
    table["crime_per_1000_2019"] = (
        table["recorded_crime_2024_25"] / table["pop_mid2019"] * 1000
    ).round(3)
    return table.sort_values("force").reset_index(drop=True)


def ons_force_names(shared: Path, names: ForceNames) -> dict[str, str]:
    """Return each force id's ONS name with the "London, City of" inversion undone."""
    out: dict[str, str] = {}
    path = shared / LSOA_TABLE_CSV
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            fid = names.id_of(row["PFA17NM"], path)
            if fid not in out:
                name = row["PFA17NM"]
                if "," in name:
                    head, tail = (part.strip() for part in name.split(",", 1))
                    name = f"{tail} {head}"
                out[fid] = name
    return dict(sorted(out.items()))

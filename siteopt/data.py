"""Read the embedded dataset (``geodata/bch/``) or a dataset folder built the same way.

The files are written by ``python -m geodata.build``; this module only reads them. Light tables
(sites, attribution) use the standard library so that validating an instance stays fast; the LSOA
table, boundaries and postcode index import pandas/geopandas lazily.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geodata import BCH_DIR
from siteopt.errors import DataError

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

__all__ = [
    "FORCE_IDS",
    "Dataset",
    "Site",
    "normalise_postcode",
    "open_dataset",
]

#: The three force ids of the BCH dataset, in display order.
FORCE_IDS = ("bedfordshire", "cambridgeshire", "hertfordshire")

DATASET_FILES = (
    "lsoa.csv",
    "lsoa_boundaries.parquet",
    "districts.parquet",
    "forces.parquet",
    "postcodes.parquet",
    "sites.csv",
    "attribution.json",
    "manifest.json",
)


@dataclass(frozen=True)
class Site:
    """A candidate building from the dataset's site list (coordinates in EPSG:27700 metres)."""

    id: str
    name: str
    force: str
    kind: str
    address: str
    postcode: str
    x: float
    y: float
    lon: float
    lat: float
    lsoa11cd: str
    current_control_room: bool
    status_today: str
    confidence: str
    geocoded_by: str
    source: str


def normalise_postcode(raw: str) -> str:
    """Return a UK postcode in the standard form ``"PE29 6NP"`` (upper case, one space)."""
    compact = "".join(raw.split()).upper()
    return f"{compact[:-3]} {compact[-3:]}" if len(compact) > 3 else compact


@dataclass(frozen=True)
class Dataset:
    """An embedded or user-built dataset folder; tables are read on first use and kept."""

    root: Path

    def path(self, name: str) -> Path:
        """Return the path of one dataset file, or raise :class:`DataError` if it is missing."""
        file = self.root / name
        if not file.is_file():
            msg = f"{file}: dataset file missing (rebuild it with `python -m geodata.build`)"
            raise DataError(msg)
        return file

    @cached_property
    def manifest(self) -> dict[str, Any]:
        """The build manifest: input hashes, row counts, population totals, output hashes."""
        data: dict[str, Any] = json.loads(self.path("manifest.json").read_text(encoding="utf-8"))
        return data

    @cached_property
    def attribution(self) -> dict[str, str]:
        """Attribution lines every export must carry, keyed by source."""
        data: dict[str, str] = json.loads(self.path("attribution.json").read_text(encoding="utf-8"))
        return data

    @cached_property
    def sites(self) -> dict[str, Site]:
        """Candidate sites keyed by id, in id order."""
        with self.path("sites.csv").open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        return {
            row["id"]: Site(
                id=row["id"],
                name=row["name"],
                force=row["force"],
                kind=row["kind"],
                address=row["address"],
                postcode=row["postcode"],
                x=float(row["x"]),
                y=float(row["y"]),
                lon=float(row["lon"]),
                lat=float(row["lat"]),
                lsoa11cd=row["lsoa11cd"],
                current_control_room=row["current_control_room"] == "True",
                status_today=row["status_today"],
                confidence=row["confidence"],
                geocoded_by=row["geocoded_by"],
                source=row["source"],
            )
            for row in rows
        }

    def lsoas(self) -> pd.DataFrame:
        """Return the LSOA table (one row per LSOA: codes, force, populations, demand point)."""
        import pandas as pd  # noqa: PLC0415 (lazy: pandas is slow to import)

        return pd.read_csv(self.path("lsoa.csv"), dtype={"lad13cd": str, "lad19cd": str})

    def boundaries(self, layer: str = "lsoa") -> gpd.GeoDataFrame:
        """Return a boundary layer (``lsoa``, ``districts`` or ``forces``) in EPSG:27700."""
        import geopandas as gpd  # noqa: PLC0415 (lazy: geopandas is slow to import)

        files = {
            "lsoa": "lsoa_boundaries.parquet",
            "districts": "districts.parquet",
            "forces": "forces.parquet",
        }
        if layer not in files:
            msg = f"boundary layer {layer!r} not known (expected one of {sorted(files)})"
            raise DataError(msg)
        return gpd.read_parquet(self.path(files[layer]))

    @cached_property
    def postcodes(self) -> dict[str, tuple[int, int]]:
        """Postcode (standard form) → British National Grid (easting, northing) in metres."""
        import pyarrow.parquet as pq  # noqa: PLC0415 (lazy: pyarrow is slow to import)

        table = pq.read_table(
            self.path("postcodes.parquet"), columns=["postcode", "easting", "northing"]
        )
        codes = table.column("postcode").to_pylist()
        east = table.column("easting").to_pylist()
        north = table.column("northing").to_pylist()
        return {c: (e, n) for c, e, n in zip(codes, east, north, strict=True)}

    def locate_postcode(self, postcode: str) -> tuple[int, int]:
        """Return the (easting, northing) of a postcode unit, or raise :class:`DataError`."""
        key = normalise_postcode(postcode)
        try:
            return self.postcodes[key]
        except KeyError:
            msg = (
                f"postcode {postcode!r} is not in the dataset's postcode table "
                "(OS Code-Point Open 2014.3, areas AL CB CM EN HP LU MK PE SG WD; postcodes "
                "created after mid-2014 are absent): give easting/northing or lon/lat instead"
            )
            raise DataError(msg) from None


def embedded_dataset_dir(name: str) -> Path:
    """Return the folder of an embedded dataset shipped under ``geodata/`` (e.g. ``bch``)."""
    return BCH_DIR.parent / name


def open_dataset(ref: str, *, base: Path | None = None) -> Dataset:
    """Return the dataset named ``ref``: an embedded name (``bch``) or a folder path.

    A relative folder path is resolved against ``base`` (the instance file's folder).
    """
    embedded = embedded_dataset_dir(ref)
    if "/" not in ref and "\\" not in ref and embedded.is_dir():
        return Dataset(embedded)
    root = Path(ref)
    if not root.is_absolute() and base is not None:
        root = base / root
    if not root.is_dir():
        msg = f"{root}: dataset folder not found (expected an embedded name like 'bch' or a path)"
        raise DataError(msg)
    return Dataset(root)

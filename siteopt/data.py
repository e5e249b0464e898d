"""Read an embedded dataset (``geodata/bch/``, ``geodata/england-wales/``) or a dataset folder.

The files are written by ``python -m geodata.build [--dataset NAME]``; this module only reads
them. Light tables (sites, attribution) use the standard library so that validating an instance
stays fast; the LSOA table, boundaries and postcode index import pandas/geopandas lazily.

A dataset can be restricted to some of its forces (``[data] forces`` of an instance, or
:meth:`Dataset.select`): its LSOAs, sites and boundary layers are then those forces' only, and
the embedded road network is cut to their extent plus a buffer (:mod:`siteopt.network.sources`).
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from siteopt.errors import DataError

if TYPE_CHECKING:
    import geopandas as gpd
    import numpy as np
    import numpy.typing as npt
    import pandas as pd

__all__ = [
    "FORCE_IDS",
    "Dataset",
    "LsoaColumns",
    "Site",
    "normalise_postcode",
    "open_dataset",
    "parquet_column_names",
    "read_parquet_columns",
]

#: Folder of the embedded datasets (``geodata/``, written by ``python -m geodata.build``): beside
#: this package in a source tree and in site-packages alike. Computed here, not imported, so that
#: siteopt does not import geodata (whose build imports siteopt).
GEODATA_DIR = Path(__file__).resolve().parents[1] / "geodata"

#: The three force ids of the BCH dataset, in display order.
FORCE_IDS = ("bedfordshire", "cambridgeshire", "hertfordshire")

#: The LSOA table: Parquet in the national dataset, CSV in the BCH one.
LSOA_FILES = ("lsoa.parquet", "lsoa.csv")

#: Per-force demand scalers (national dataset only).
SCALERS_FILE = "force_scalers.csv"

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


@dataclass(frozen=True)
class LsoaColumns:
    """The LSOA columns the optimiser reads, as numpy arrays in the table's row order.

    Read without pandas, whose import costs a quarter of a second of every ``siteopt solve``;
    :meth:`Dataset.lsoas` is the full table for outputs.
    """

    code: npt.NDArray[np.object_]
    force: npt.NDArray[np.object_]
    lad_name: npt.NDArray[np.object_]
    x: npt.NDArray[np.float64]
    y: npt.NDArray[np.float64]
    #: Population by year (``pop_mid2015`` → 2015); NaN where the source gives none.
    populations: dict[int, npt.NDArray[np.float64]]

    def population(self, year: int) -> npt.NDArray[np.float64]:
        """Each LSOA's population at mid-``year``; :class:`DataError` if the table lacks it."""
        try:
            return self.populations[year]
        except KeyError:
            known = ", ".join(str(y) for y in sorted(self.populations))
            msg = f"LSOA table: no population for mid-{year} (it has {known})"
            raise DataError(msg) from None


def normalise_postcode(raw: str) -> str:
    """Return a UK postcode in the standard form ``"PE29 6NP"`` (upper case, one space)."""
    compact = "".join(raw.split()).upper()
    return f"{compact[:-3]} {compact[-3:]}" if len(compact) > 3 else compact


@dataclass(frozen=True)
class Dataset:
    """An embedded or user-built dataset folder; tables are read on first use and kept.

    ``forces`` restricts the dataset to those force ids (``None``: every force in it).
    """

    root: Path
    forces: tuple[str, ...] | None = None

    def path(self, name: str) -> Path:
        """Return the path of one dataset file, or raise :class:`DataError` if it is missing."""
        file = self.root / name
        if not file.is_file():
            msg = f"{file}: dataset file missing (rebuild it with `python -m geodata.build`)"
            raise DataError(msg)
        return file

    @property
    def name(self) -> str:
        """The dataset's name: its folder name (``bch``, ``england-wales``)."""
        return self.root.name

    def select(self, forces: Sequence[str] | None) -> Dataset:
        """Return this dataset restricted to ``forces`` (``None``: all), checking they exist."""
        if forces is None:
            return Dataset(self.root)
        unknown = [f for f in forces if f not in self.all_force_ids]
        if unknown:
            known = ", ".join(self.all_force_ids)
            msg = f"force {unknown[0]!r} is not in dataset {self.name!r} (expected one of: {known})"
            raise DataError(msg)
        return Dataset(self.root, tuple(dict.fromkeys(forces)))

    def _keeps(self, force: str) -> bool:
        return self.forces is None or force in self.forces

    @cached_property
    def all_force_ids(self) -> tuple[str, ...]:
        """Every force id in the dataset (sorted), whatever the selection."""
        if (self.root / LSOA_FILES[0]).is_file():
            column = read_parquet_columns(self.root / LSOA_FILES[0], ["force"])["force"]
            return tuple(sorted(set(column.tolist())))
        with self.path(LSOA_FILES[1]).open(encoding="utf-8", newline="") as handle:
            return tuple(sorted({row["force"] for row in csv.DictReader(handle)}))

    @property
    def force_ids(self) -> tuple[str, ...]:
        """The selected force ids (all the dataset's when nothing is selected)."""
        return self.forces if self.forces is not None else self.all_force_ids

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

    @property
    def expects_selection(self) -> bool:
        """True for a multi-region dataset whose instances must list their forces (national)."""
        return bool(self.manifest.get("select_forces", False))

    @property
    def boundary_note(self) -> str:
        """How the boundary layers were made: ``""`` for real boundaries, else what they are."""
        return str(self.manifest.get("boundaries", ""))

    @cached_property
    def sites(self) -> dict[str, Site]:
        """Candidate sites keyed by id, in id order (the selected forces' only)."""
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
            if self._keeps(row["force"])
        }

    def lsoas(self) -> pd.DataFrame:
        """Return the LSOA table (one row per LSOA: codes, force, populations, demand point).

        Populations are ``pop_mid2015`` and ``pop_mid2019``; a population the source does not
        give (mid-2015 in Wales) is NaN.
        """
        return self._lsoa_table.copy()  # a copy: callers may add columns

    @cached_property
    def lsoa_columns(self) -> LsoaColumns:
        """The selected forces' LSOA codes, forces, districts, points and populations."""
        import numpy as np  # noqa: PLC0415 (lazy: this module reads files only)

        if (self.root / LSOA_FILES[0]).is_file():
            columns = _parquet_columns(self.root / LSOA_FILES[0])
        else:
            columns = _csv_columns(self.path(LSOA_FILES[1]))
        keep = np.array([self._keeps(f) for f in columns["force"].tolist()], dtype=bool)

        def number(name: str) -> npt.NDArray[np.float64]:
            return np.asarray(columns[name][keep], dtype=np.float64)

        return LsoaColumns(
            code=columns["lsoa11cd"][keep],
            force=columns["force"][keep],
            lad_name=columns["lad_name"][keep],
            x=number("x"),
            y=number("y"),
            populations={
                int(name.removeprefix("pop_mid")): number(name)
                for name in columns
                if name.startswith("pop_mid")
            },
        )

    def force_populations(self, year: int) -> dict[str, float]:
        """Each selected force's population at mid-``year`` (LSOAs without a figure count 0)."""
        return {
            force: sum(districts.values())
            for force, districts in self.district_populations(year).items()
        }

    def district_populations(self, year: int) -> dict[str, dict[str, float]]:
        """Population of each force's local-authority districts (``lad_name``), mid-``year``.

        Summed once per year and kept (what-if re-solves ask for it hundreds of times); callers
        must not change the dictionaries returned. Forces and districts are in sorted order.
        """
        found = self._district_populations.get(year)
        if found is None:
            table = self.lsoa_columns
            totals: dict[tuple[str, str], float] = {}
            for key in zip(
                table.force.tolist(),
                table.lad_name.tolist(),
                table.population(year).tolist(),
                strict=True,
            ):
                people = 0.0 if math.isnan(key[2]) else key[2]  # NaN: no figure, counts 0
                totals[key[:2]] = totals.get(key[:2], 0.0) + people
            found = {}
            for (force, district), population in sorted(totals.items()):
                found.setdefault(force, {})[district] = population
            self._district_populations[year] = found
        return found

    @cached_property
    def _district_populations(self) -> dict[int, dict[str, dict[str, float]]]:
        return {}

    def population_centres(self, year: int) -> dict[str, tuple[float, float]]:
        """Each force's population-weighted centre (EPSG:27700 x, y) at mid-``year``, kept."""
        import numpy as np  # noqa: PLC0415 (lazy: this module reads files only)

        found = self._population_centres.get(year)
        if found is None:
            table = self.lsoa_columns
            weight = table.population(year)
            found = {}
            for force in sorted(set(table.force.tolist())):
                rows = np.flatnonzero(table.force == force)
                w = weight[rows]
                found[force] = (
                    float(np.average(table.x[rows], weights=w)),
                    float(np.average(table.y[rows], weights=w)),
                )
            self._population_centres[year] = found
        return found

    @cached_property
    def _population_centres(self) -> dict[int, dict[str, tuple[float, float]]]:
        return {}

    @cached_property
    def _lsoa_table(self) -> pd.DataFrame:
        import pandas as pd  # noqa: PLC0415 (lazy: pandas is slow to import)

        if (self.root / LSOA_FILES[0]).is_file():
            table = pd.read_parquet(self.root / LSOA_FILES[0])
            table["pop_mid2015"] = table["pop_mid2015"].astype("float64")
        else:
            path = self.path(LSOA_FILES[1])
            table = pd.read_csv(path, dtype={"lad13cd": str, "lad19cd": str})
        if self.forces is None:
            return table
        return table[table["force"].isin(self.forces)].reset_index(drop=True)

    @property
    def district_columns(self) -> list[str]:
        """The LSOA table's district columns: codes (oldest first) and ``lad_name``."""
        if (self.root / LSOA_FILES[0]).is_file():
            return ["lad22cd", "lad_name"]
        return ["lad13cd", "lad19cd", "lad_name"]

    def force_scalers(self) -> pd.DataFrame | None:
        """Per-force demand scalers (crime, officer FTE, population), or ``None`` if absent."""
        import pandas as pd  # noqa: PLC0415 (lazy: pandas is slow to import)

        file = self.root / SCALERS_FILE
        if not file.is_file():
            return None
        table = pd.read_csv(file, dtype={"osm_force_hq_site": str, "population_years": str})
        table = table.fillna({"osm_force_hq_site": ""})
        return table[table["force"].map(self._keeps)].reset_index(drop=True)

    def missing_population(self, year: int) -> list[str]:
        """The selected forces whose LSOAs lack a population for ``year`` (sorted)."""
        import numpy as np  # noqa: PLC0415 (lazy: this module reads files only)

        table = self.lsoa_columns
        return sorted(set(table.force[np.isnan(table.population(year))].tolist()))

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
        frame = gpd.read_parquet(self.path(files[layer]))
        if self.forces is None:
            return frame
        if layer == "lsoa":
            keep = frame["lsoa11cd"].isin(set(self.lsoas()["lsoa11cd"]))
        else:
            keep = frame["force"].isin(self.forces)
        return frame[keep].reset_index(drop=True)

    @cached_property
    def postcodes(self) -> dict[str, tuple[int, int]]:
        """Postcode (standard form) → British National Grid (easting, northing) in metres.

        Empty for a dataset without a postcode index (the national one).
        """
        if not (self.root / "postcodes.parquet").is_file():
            return {}
        table = read_parquet_columns(
            self.path("postcodes.parquet"), ["postcode", "easting", "northing"]
        )
        codes = table["postcode"].tolist()
        east = table["easting"].tolist()
        north = table["northing"].tolist()
        return {c: (e, n) for c, e, n in zip(codes, east, north, strict=True)}

    def locate_postcode(self, postcode: str) -> tuple[int, int]:
        """Return the (easting, northing) of a postcode unit, or raise :class:`DataError`."""
        key = normalise_postcode(postcode)
        try:
            return self.postcodes[key]
        except KeyError:
            if not self.postcodes:
                msg = (
                    f"postcode {postcode!r}: dataset {self.name!r} has no postcode index: give "
                    "easting/northing or lon/lat instead"
                )
                raise DataError(msg) from None
            msg = (
                f"postcode {postcode!r} is not in the dataset's postcode table "
                "(OS Code-Point Open 2014.3, areas AL CB CM EN HP LU MK PE SG WD; postcodes "
                "created after mid-2014 are absent): give easting/northing or lon/lat instead"
            )
            raise DataError(msg) from None


def read_parquet_columns(
    path: Path, columns: Sequence[str] | None = None
) -> dict[str, npt.NDArray[Any]]:
    """Read some ``columns`` (or all) of a Parquet file as numpy arrays, by name.

    Numbers become float64 or int64 arrays (an integer column with nulls: float64 with NaN),
    text an object array of ``str`` (``None`` for a null). Read through
    :class:`pyarrow.parquet.ParquetFile` and the columns' buffers: ``read_table`` and pyarrow's
    own ``to_numpy``/``to_pylist`` import pandas, a quarter of a second for a solve that
    otherwise never needs it.
    """
    import pyarrow.parquet as pq  # noqa: PLC0415 (lazy: pyarrow is slow to import)

    with pq.ParquetFile(path) as handle:
        table = handle.read(columns=list(columns) if columns is not None else None)
    return {
        name: _column_array(table.column(name).combine_chunks(), f"{path}: column {name!r}")
        for name in table.column_names
    }


def parquet_column_names(path: Path) -> list[str]:
    """The column names of a Parquet file (its schema only is read)."""
    import pyarrow.parquet as pq  # noqa: PLC0415 (lazy: pyarrow is slow to import)

    return list(pq.read_schema(path).names)


def _column_array(column: Any, where: str) -> npt.NDArray[Any]:
    """One pyarrow array as a numpy array, read from its buffers (see read_parquet_columns)."""
    import numpy as np  # noqa: PLC0415 (lazy: this module reads files only)
    import pyarrow as pa  # noqa: PLC0415 (lazy: pyarrow is slow to import)

    kind, n, offset = column.type, len(column), column.offset
    valid = _validity(column)
    if pa.types.is_floating(kind) or pa.types.is_integer(kind):
        letter = (
            "f" if pa.types.is_floating(kind) else "i" if pa.types.is_signed_integer(kind) else "u"
        )
        dtype = np.dtype(f"<{letter}{kind.bit_width // 8}")
        data = column.buffers()[1]
        values = np.frombuffer(data, dtype=dtype, count=n, offset=offset * dtype.itemsize)
        if valid is None:
            return values.copy()
        out = values.astype(np.float64)
        out[~valid] = np.nan
        return out
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        width = np.int64 if pa.types.is_large_string(kind) else np.int32
        step = np.dtype(width).itemsize
        ends = np.frombuffer(column.buffers()[1], dtype=width, count=n + 1, offset=offset * step)
        chars = column.buffers()[2]
        raw = b"" if chars is None else chars.to_pybytes()
        bounds = ends.tolist()
        out = np.empty(n, dtype=object)
        out[:] = [raw[bounds[i] : bounds[i + 1]].decode("utf-8") for i in range(n)]
        if valid is not None:
            out[~valid] = None
        return out
    if pa.types.is_boolean(kind):
        bits = np.unpackbits(np.frombuffer(column.buffers()[1], dtype=np.uint8), bitorder="little")
        return bits[offset : offset + n].astype(bool)
    msg = f"{where}: type {kind} is not read by siteopt (expected numbers or text)"
    raise DataError(msg)


def _validity(column: Any) -> npt.NDArray[Any] | None:
    """Which entries of a pyarrow array are not null, or ``None`` when none is null."""
    import numpy as np  # noqa: PLC0415 (lazy: this module reads files only)

    if column.null_count == 0:
        return None
    bits = np.unpackbits(np.frombuffer(column.buffers()[0], dtype=np.uint8), bitorder="little")
    return bits[column.offset : column.offset + len(column)].astype(bool)


def _csv_columns(path: Path) -> dict[str, npt.NDArray[Any]]:
    """The LSOA CSV's columns: text as object arrays, points and populations as floats (NaN)."""
    import numpy as np  # noqa: PLC0415 (lazy: this module reads files only)

    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = list(reader)
    columns: dict[str, npt.NDArray[Any]] = {}
    for j, name in enumerate(header):
        values = [row[j] for row in rows]
        if name in ("x", "y") or name.startswith("pop_mid"):
            columns[name] = np.array([float(v) if v.strip() else np.nan for v in values])
        else:
            columns[name] = np.array(values, dtype=object)
    return columns


def _parquet_columns(path: Path) -> dict[str, npt.NDArray[Any]]:
    """The LSOA Parquet file's columns the optimiser reads (see :func:`read_parquet_columns`)."""
    names = [
        n
        for n in parquet_column_names(path)
        if n in ("lsoa11cd", "force", "lad_name", "x", "y") or n.startswith("pop_mid")
    ]
    return read_parquet_columns(path, names)


def embedded_dataset_dir(name: str) -> Path:
    """Return the folder of an embedded dataset shipped under ``geodata/`` (e.g. ``bch``)."""
    return GEODATA_DIR / name


def open_dataset(
    ref: str, *, base: Path | None = None, forces: Sequence[str] | None = None
) -> Dataset:
    """Return the dataset named ``ref``: an embedded name (``bch``, ``england-wales``) or a folder.

    A relative folder path is resolved against ``base`` (the instance file's folder). ``forces``
    restricts it to those force ids (:meth:`Dataset.select`).
    """
    embedded = embedded_dataset_dir(ref)
    if "/" not in ref and "\\" not in ref and embedded.is_dir():
        return Dataset(embedded).select(forces)
    root = Path(ref)
    if not root.is_absolute() and base is not None:
        root = base / root
    if not root.is_dir():
        msg = (
            f"{root}: dataset folder not found (expected an embedded name like 'bch' or "
            "'england-wales', or a path)"
        )
        raise DataError(msg)
    return Dataset(root).select(forces)

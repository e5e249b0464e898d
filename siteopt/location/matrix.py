"""The data of a location model: demand points × candidate sites.

The data of a location model: a :class:`CostMatrix` of demand points × candidate
sites (minutes, a weight per demand point), from an instance or a user's CSV.
"""

from __future__ import annotations

import csv
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from siteopt.errors import InstanceError, SiteoptError
from siteopt.network.points import lsoa_points, site_points
from siteopt.network.sources import load_network
from siteopt.network.travel import travel_times

if TYPE_CHECKING:
    from siteopt.instance.schema import Instance

__all__ = ["CostMatrix", "LocateError", "instance_cost_matrix", "read_cost_matrix"]


FloatArray = npt.NDArray[np.float64]


class LocateError(SiteoptError, ValueError):
    """A location model was asked something it cannot answer (bad p, missing threshold, …)."""


@dataclass(frozen=True)
class CostMatrix:
    """Demand points × candidate sites travel times (minutes) with a weight per demand point.

    ``minutes[i, j]`` is ``inf`` when candidate ``j`` cannot be reached from demand point ``i``.
    ``between`` (candidates × candidates, minutes, symmetric) is needed by p-dispersion only.
    ``demand_lonlat`` / ``candidate_lonlat`` (EPSG:4326) are needed for map layers only.
    """

    minutes: FloatArray
    weights: FloatArray
    demand_ids: tuple[str, ...]
    candidate_ids: tuple[str, ...]
    source: str
    weight_label: str = "weight"
    between: FloatArray | None = None
    demand_lonlat: FloatArray | None = None
    candidate_lonlat: FloatArray | None = None

    def __post_init__(self) -> None:
        n, m = len(self.demand_ids), len(self.candidate_ids)
        minutes = _frozen_copy(self.minutes)
        weights = _frozen_copy(self.weights)
        if minutes.shape != (n, m) or weights.shape != (n,):
            msg = f"matrix is {minutes.shape}, weights {weights.shape}; expected ({n}, {m})"
            raise LocateError(msg)
        if n == 0 or m == 0:
            raise LocateError("a cost matrix needs at least one demand point and one candidate")
        if np.isnan(minutes).any() or (minutes < 0).any():
            raise LocateError("travel times must be ≥ 0 (or inf for no route), not NaN")
        if not np.isfinite(weights).all() or (weights < 0).any():
            raise LocateError("weights must be finite and ≥ 0")
        for name, value in (("minutes", minutes), ("weights", weights)):
            value.setflags(write=False)
            object.__setattr__(self, name, value)
        if self.between is not None:
            between = np.array(self.between, dtype=np.float64)
            if between.shape != (m, m) or np.isnan(between).any() or (between < 0).any():
                raise LocateError(f"between-sites matrix must be {m} × {m} times ≥ 0")
            between.setflags(write=False)
            object.__setattr__(self, "between", between)


def _frozen_copy(values: Any) -> FloatArray:
    """``values`` as float64; a read-only float64 array is kept as it is (no second copy)."""
    if isinstance(values, np.ndarray) and values.dtype == np.float64 and not values.flags.writeable:
        return values
    return np.array(values, dtype=np.float64)


def instance_cost_matrix(
    instance: Instance, *, cache: bool = True, cache_dir: Path | None = None
) -> CostMatrix:
    """LSOA demand points × the instance's candidates: drive minutes and population weights.

    The population is the instance's ``[data] population_year``; times come from
    :func:`siteopt.network.travel.travel_times` on the instance's network (cached). Times between
    sites (for p-dispersion) are the shorter of the two directions.
    """
    network = load_network(instance)
    dataset = instance.dataset()
    homes, populations = lsoa_points(dataset)
    sites = site_points(instance)
    allow = instance.network.allow_unreachable
    options: dict[str, Any] = {"cache": cache, "cache_dir": cache_dir, "allow_unreachable": allow}
    times = travel_times(network, homes, sites, **options)
    between = travel_times(network, sites, sites, **options).minutes
    year = instance.data.population_year
    lsoas = dataset.lsoas()
    return CostMatrix(
        minutes=times.minutes,
        weights=populations[:, 0 if year == 2015 else 1],
        demand_ids=homes.ids,
        candidate_ids=sites.ids,
        source=times.provenance,
        weight_label=f"population mid-{year}",
        between=np.minimum(between, between.T),
        demand_lonlat=lsoas[["lon", "lat"]].to_numpy(np.float64),
        candidate_lonlat=_to_lonlat(sites.x, sites.y),
    )


def _to_lonlat(x: FloatArray, y: FloatArray) -> FloatArray:
    from pyproj import Transformer  # noqa: PLC0415 (lazy: pyproj is slow to import)

    to_wgs84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    lon, lat = to_wgs84.transform(x, y)
    return np.column_stack([lon, lat]).astype(np.float64)


UNREACHABLE = frozenset({"", "unreachable", "inf"})


def read_cost_matrix(path: Path) -> CostMatrix:
    """Read a user's cost matrix CSV (any region, any unit of time).

    Format: a header ``id,weight,<candidate 1>,<candidate 2>,…``, then one row per demand point:
    its id, its weight (≥ 0, e.g. population) and its time to each candidate (a number ≥ 0, or
    ``unreachable`` / ``inf`` / empty for no route). For p-dispersion every candidate id must
    also appear as a demand row id: the times between candidates are read from those rows.

    The cells are parsed by pandas' C reader (a 30,000 × 500 file in well under a second); when
    it meets anything it cannot take as is, the file is read again cell by cell to name the
    first bad one (file, line and column).
    """
    header = _header(path)
    try:
        fast = _read_fast(path, header)
        ids, weights, minutes = fast if fast is not None else _read_checked(path, header)
    except MemoryError:
        raise _out_of_memory(path, len(header) - 2) from None
    _check_unique(path, "id", ids, "demand id")
    if len(weights) and not np.any(weights > 0):  # every model would answer "no sites"
        raise InstanceError(path, header[1], "expected some demand: every weight is 0")
    candidates = tuple(header[2:])
    between = None
    if set(candidates) <= set(ids):
        row_of = {demand: r for r, demand in enumerate(ids)}
        square = minutes[[row_of[c] for c in candidates]]
        between = np.minimum(square, square.T)
        np.fill_diagonal(between, 0.0)  # a site to itself, whatever its row says
    minutes.setflags(write=False)
    return CostMatrix(
        minutes=minutes,
        weights=weights,
        demand_ids=ids,
        candidate_ids=candidates,
        source=f"user cost matrix {path.name}",
        weight_label=header[1],
        between=between,
    )


def _out_of_memory(path: Path, m: int) -> InstanceError:
    """The one error for a cost matrix too large for the free memory (with what it needs)."""
    size = path.stat().st_size
    # cells ≈ the file's characters ÷ characters per cell; each is 8 bytes as float64
    msg = (
        f"out of memory reading {size / 1e6:,.0f} MB of text for {m:,} candidates (the times "
        f"need about {8 * size / max(1, _chars_per_cell(path)) / 1e9:.1f} GB as float64); free "
        "memory, or aggregate the demand points into fewer rows"
    )
    return InstanceError(path, "", msg)


def _chars_per_cell(path: Path) -> int:
    """Characters per cell of the first data row (at least 1)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = csv.reader(handle)
        next(rows, None)
        first = next(rows, [])
    return max(1, sum(len(c) + 1 for c in first) // max(1, len(first)))


def _header(path: Path) -> list[str]:
    """The checked header row (first non-empty line) of a cost matrix CSV."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            first = next((row for row in csv.reader(handle) if any(c.strip() for c in row)), None)
            has_rows = first is not None and any(
                any(c.strip() for c in row) for row in csv.reader(handle)
            )
    except OSError as exc:
        raise InstanceError(path, "", f"cannot read cost matrix CSV: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InstanceError(path, "", "expected a UTF-8 text CSV file") from None
    if first is None or not has_rows:
        raise InstanceError(path, "", "expected a header row and at least one demand row")
    header = [cell.strip() for cell in first]
    if len(header) < 3 or header[1].lower() != "weight":
        msg = f"expected header 'id,weight,<candidate>,…', got {','.join(header[:3])!r}"
        raise InstanceError(path, "header", msg)
    _check_unique(path, "header", tuple(header[2:]), "candidate")
    return header


# Every spelling of "no route" the fast reader takes as missing (the checked reader ignores case).
_MISSING = [*sorted(UNREACHABLE), "Unreachable", "UNREACHABLE"]


def _read_fast(
    path: Path, header: list[str]
) -> tuple[tuple[str, ...], FloatArray, FloatArray] | None:
    """Ids, weights and minutes by pandas' C reader; ``None`` when a cell needs a closer look."""
    import pandas as pd  # noqa: PLC0415 (lazy: pandas is slow to import)

    names = ["id", "weight", *(f"c{j}" for j in range(len(header) - 2))]
    dtypes: dict[str, Any] = dict.fromkeys(names[1:], np.float64)
    dtypes["id"] = str
    try:
        with warnings.catch_warnings():
            # a first row longer than the header is only a warning (and silently cut short)
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                path, header=0, names=names, dtype=dtypes, keep_default_na=False,
                na_values=dict.fromkeys(names[1:], _MISSING), skipinitialspace=True,
                encoding="utf-8-sig", engine="c", index_col=False,
            )  # fmt: skip
    except (ValueError, UnicodeDecodeError, pd.errors.ParserWarning):
        return None  # pandas' ParserError is a ValueError
    ids = tuple(str(value).strip() for value in frame["id"])
    weights = np.array(frame["weight"].to_numpy(np.float64))
    # an owned, writable, row-major copy (pandas hands out read-only column-major views)
    minutes = np.array(frame[names[2:]].to_numpy(np.float64), order="C")
    del frame
    if not all(ids) or not np.isfinite(weights).all() or (weights < 0).any():
        return None
    with np.errstate(invalid="ignore"):
        if (minutes < 0).any():
            return None
    # a short row reads as missing trailing cells: count the cells when that could be so
    if np.isnan(minutes[:, -1]).any() and not _rows_have_cells(path, len(header)):
        return None
    np.nan_to_num(minutes, copy=False, nan=np.inf)
    return ids, weights, minutes


def _rows_have_cells(path: Path, cells: int) -> bool:
    """Whether every non-blank line has ``cells`` cells (no quotes: commas are separators).

    Counted on the raw bytes in blocks, so a short row (which the C reader would pad with
    missing cells) sends the file to the checked reader.
    """
    newline, comma, quote = ord("\n"), ord(","), ord('"')
    carry = np.zeros(0, dtype=np.uint8)
    with path.open("rb") as handle:
        while True:
            block = handle.read(1 << 24)
            data = np.concatenate([carry, np.frombuffer(block, dtype=np.uint8)])
            if not block:
                data = np.append(data, np.uint8(newline)) if len(data) else data
            ends = np.flatnonzero(data == newline)
            if not len(ends):
                if not block:
                    return True
                carry = data
                continue
            head = data[: ends[-1] + 1]
            if (head == quote).any():
                return False
            commas = np.cumsum(head == comma)[ends]
            per_line = np.diff(commas, prepend=0)
            blank = np.diff(ends, prepend=-1) <= 2  # "\n" or "\r\n" alone
            if (per_line[~blank] != cells - 1).any():
                return False
            carry = data[ends[-1] + 1 :]
            if not block:
                return True


def _read_checked(path: Path, header: list[str]) -> tuple[tuple[str, ...], FloatArray, FloatArray]:
    """Read cell by cell, raising one clear error at the first bad cell (the slow path)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = [row for row in csv.reader(handle) if any(cell.strip() for cell in row)]
    candidates = header[2:]
    ids: list[str] = []
    weights = np.empty(len(rows) - 1)
    minutes = np.empty((len(rows) - 1, len(candidates)))
    for r, row in enumerate(rows[1:]):
        line = r + 2
        if len(row) != len(header):
            msg = f"expected {len(header)} cells like the header, got {len(row)}"
            raise InstanceError(path, f"line {line}", msg)
        ids.append(row[0].strip())
        weights[r] = _cell_number(path, line, "weight", row[1], allow_unreachable=False)
        for j, cell in enumerate(row[2:]):
            minutes[r, j] = _cell_number(path, line, candidates[j], cell, allow_unreachable=True)
    return tuple(ids), weights, minutes


def _check_unique(path: Path, field: str, values: tuple[str, ...], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if not value:
            raise InstanceError(path, field, f"expected a non-empty {what}")
        if value in seen:
            raise InstanceError(path, field, f"expected unique {what}s, {value!r} repeats")
        seen.add(value)


def _cell_number(
    path: Path, line: int, column: str, cell: str, *, allow_unreachable: bool
) -> float:
    text = cell.strip()
    if allow_unreachable and text.lower() in UNREACHABLE:
        return math.inf
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if allow_unreachable and value == math.inf:  # "Infinity" and the like, as pandas reads them
        return value
    if not math.isfinite(value) or value < 0:
        expected = "a number ≥ 0" + (" or 'unreachable'" if allow_unreachable else "")
        raise InstanceError(path, f"line {line}.{column}", f"expected {expected}, got {text!r}")
    return value

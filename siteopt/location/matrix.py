"""The data of a location model: demand points × candidate sites.

The data of a location model: a :class:`CostMatrix` of demand points × candidate
sites (minutes, a weight per demand point), from an instance or a user's CSV.
"""

from __future__ import annotations

import csv
import math
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
        minutes = np.array(self.minutes, dtype=np.float64)
        weights = np.array(self.weights, dtype=np.float64)
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
    ``unreachable`` / empty for no route). For p-dispersion every candidate id must also appear as
    a demand row id: the times between candidates are read from those rows.
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    except OSError as exc:
        raise InstanceError(path, "", f"cannot read cost matrix CSV: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InstanceError(path, "", "expected a UTF-8 text CSV file") from None
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if len(rows) < 2:
        raise InstanceError(path, "", "expected a header row and at least one demand row")
    header = [cell.strip() for cell in rows[0]]
    if len(header) < 3 or header[1].lower() != "weight":
        msg = f"expected header 'id,weight,<candidate>,…', got {','.join(header[:3])!r}"
        raise InstanceError(path, "header", msg)
    candidates = tuple(header[2:])
    _check_unique(path, "header", candidates, "candidate")
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
    _check_unique(path, "id", tuple(ids), "demand id")
    between = None
    if set(candidates) <= set(ids):
        pick = [ids.index(c) for c in candidates]
        square = minutes[pick]
        between = np.minimum(square, square.T)
        np.fill_diagonal(between, 0.0)  # a site to itself, whatever its row says
    return CostMatrix(
        minutes=minutes,
        weights=weights,
        demand_ids=tuple(ids),
        candidate_ids=candidates,
        source=f"user cost matrix {path.name}",
        weight_label=header[1],
        between=between,
    )


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
    if not math.isfinite(value) or value < 0:
        expected = "a number ≥ 0" + (" or 'unreachable'" if allow_unreachable else "")
        raise InstanceError(path, f"line {line}.{column}", f"expected {expected}, got {text!r}")
    return value

"""Points on the network: LSOA demand points, candidate sites, named places.

Points on the network: LSOA demand points, candidate sites and places named by id,
postcode or coordinates.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from siteopt.errors import DataError, NetworkError
from siteopt.network.graph import _frozen
from siteopt.network.readers import to_bng

if TYPE_CHECKING:
    from siteopt.data import Dataset
    from siteopt.instance.schema import Instance

__all__ = ["Points", "lsoa_points", "place", "site_points"]


FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Points:
    """Named points in EPSG:27700 metres (LSOA demand points, sites, any place)."""

    ids: tuple[str, ...]
    x: FloatArray
    y: FloatArray

    def __post_init__(self) -> None:
        object.__setattr__(self, "ids", tuple(self.ids))
        object.__setattr__(self, "x", _frozen(self.x, np.float64))
        object.__setattr__(self, "y", _frozen(self.y, np.float64))
        if not len(self.ids) == len(self.x) == len(self.y):
            raise NetworkError("points: ids, x and y differ in length")

    @classmethod
    def from_lonlat(cls, ids: Sequence[str], lon: npt.ArrayLike, lat: npt.ArrayLike) -> Points:
        """Points from WGS84 longitude/latitude."""
        x, y = to_bng(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
        return cls(tuple(ids), x, y)

    def __len__(self) -> int:
        return len(self.ids)


def lsoa_points(dataset: Dataset) -> tuple[Points, FloatArray]:
    """LSOA demand points (ids = LSOA codes) and their mid-2015 and mid-2019 populations."""
    lsoas = dataset.lsoa_columns
    points = Points(tuple(lsoas.code.tolist()), lsoas.x.copy(), lsoas.y.copy())
    pops = np.column_stack([lsoas.population(2015), lsoas.population(2019)])
    return points, pops


def site_points(instance: Instance, ids: Sequence[str] | None = None) -> Points:
    """Points of sites (dataset or the instance's custom sites), default the candidates."""
    dataset = instance.dataset()
    chosen = list(ids) if ids is not None else instance.candidate_ids()
    xs: list[float] = []
    ys: list[float] = []
    greenfield = {g.id: g for g in instance.greenfield_sites}
    for sid in chosen:
        if sid in dataset.sites:
            xs.append(dataset.sites[sid].x)
            ys.append(dataset.sites[sid].y)
            continue
        if sid in greenfield:
            xs.append(greenfield[sid].x)
            ys.append(greenfield[sid].y)
            continue
        custom = instance.sites.custom.get(sid)
        if custom is None:
            known = ", ".join(sorted([*dataset.sites, *instance.sites.custom]))
            raise NetworkError(f"site {sid!r} is not a dataset or custom site (known: {known})")
        if custom.postcode is not None:
            east, north = dataset.locate_postcode(custom.postcode)
            xs.append(float(east))
            ys.append(float(north))
        elif custom.easting is not None and custom.northing is not None:
            xs.append(custom.easting)
            ys.append(custom.northing)
        else:
            assert custom.lon is not None and custom.lat is not None
            bx, by = to_bng(np.array([custom.lon]), np.array([custom.lat]))
            xs.append(float(bx[0]))
            ys.append(float(by[0]))
    return Points(tuple(chosen), np.array(xs), np.array(ys))


def place(instance: Instance, ref: str) -> tuple[str, float, float]:
    """A named place of an instance: a site id, an LSOA code, a postcode or ``"lon,lat"``.

    Returns a label and EPSG:27700 coordinates.
    """
    dataset = instance.dataset()
    if ref in dataset.sites or ref in instance.sites.custom:
        points = site_points(instance, [ref])
        return ref, float(points.x[0]), float(points.y[0])
    if re.fullmatch(r"E0\d{7}", ref):
        lsoas = dataset.lsoas()
        row = lsoas.loc[lsoas["lsoa11cd"] == ref, ["x", "y"]].to_numpy(np.float64)
        if len(row):
            return ref, float(row[0, 0]), float(row[0, 1])
    if re.fullmatch(r"\s*-?\d+(\.\d+)?\s*,\s*-?\d+(\.\d+)?\s*", ref):
        lon, lat = (float(v) for v in ref.split(","))
        x, y = to_bng(np.array([lon]), np.array([lat]))
        return ref, float(x[0]), float(y[0])

    try:
        east, north = dataset.locate_postcode(ref)
    except DataError:
        msg = (
            f"place {ref!r} not understood: expected a site id, an LSOA code (E01...), a "
            "postcode in the dataset or 'lon,lat'"
        )
        raise NetworkError(msg) from None
    return ref, float(east), float(north)

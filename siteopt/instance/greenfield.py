"""Greenfield candidates: a grid of generic new-build sites over the region's force areas."""

from __future__ import annotations

import math

import numpy as np

from siteopt.data import Dataset
from siteopt.instance.schema import GREENFIELD_PREFIX, GreenfieldSite

#: Greenfield grid points farther than this from every LSOA demand point (open country with no
#: settlement to reach it through) are not candidates.
GREENFIELD_MAX_FROM_SETTLEMENT_M = 4000.0


def greenfield_grid(dataset: Dataset, grid_km: float) -> tuple[GreenfieldSite, ...]:
    """Return grid points ``grid_km`` apart inside the region's force areas (ids in km).

    Points more than :data:`GREENFIELD_MAX_FROM_SETTLEMENT_M` from every LSOA demand point are
    left out: a control room needs a road and a workforce nearby.
    """
    import shapely  # noqa: PLC0415 (lazy: shapely is slow to import)
    from scipy.spatial import cKDTree  # noqa: PLC0415 (lazy: scipy is slow to import)

    forces = dataset.boundaries("forces")
    minx, miny, maxx, maxy = forces.total_bounds
    step = grid_km * 1000
    xs = np.arange(math.floor(minx / step) * step + step / 2, maxx, step)
    ys = np.arange(math.floor(miny / step) * step + step / 2, maxy, step)
    gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
    lsoas = dataset.lsoas()
    tree = cKDTree(np.column_stack([lsoas["x"], lsoas["y"]]))
    near, _ = tree.query(np.column_stack([gx, gy]))
    settled = near <= GREENFIELD_MAX_FROM_SETTLEMENT_M
    gx, gy = gx[settled], gy[settled]
    districts = dataset.boundaries("districts")  # they tile the force areas
    out = []
    for name, force, geom in zip(
        districts["lad_name"], districts["force"], districts.geometry, strict=True
    ):
        inside = shapely.contains_xy(geom, gx, gy)
        for x, y in zip(gx[inside], gy[inside], strict=True):
            sid = f"{GREENFIELD_PREFIX}{x / 1000:.1f}-{y / 1000:.1f}".replace(".", "_")
            out.append(GreenfieldSite(sid, float(x), float(y), str(force), str(name)))
    return tuple(sorted(out, key=lambda g: (g.y, g.x)))

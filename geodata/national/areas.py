"""Approximate areas for maps: Voronoi cells of the LSOA points, not ONS boundaries.

No LSOA boundaries of England and Wales are available to this build, so each LSOA is drawn as the
Voronoi cell of its demand point (the land closer to it than to any other LSOA point). Cells
along the coast would run out to sea, so every cell is clipped to a land mask: the union of a
disk around each LSOA point whose radius follows the local spacing of points
(:data:`MASK_FACTOR` times the distance to the :data:`MASK_NEIGHBOUR`-th nearest LSOA point,
between :data:`MASK_MIN_M` and :data:`MASK_MAX_M`), with its inland holes filled. A coastal cell
so stops one or two LSOA spacings out to sea (at most 8 km); estuaries narrower than two such
radii are filled in. Districts and force areas are the cells dissolved by LAD22 and force.
Everything here is labelled :data:`AREA_NOTE` wherever it is shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from geodata import BuildError

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

#: The label every approximate area carries (also a column of each layer).
AREA_NOTE = "approximate: Voronoi cells of LSOA points, not ONS boundaries"

#: The land mask: a disk around each LSOA point of radius MASK_FACTOR x the distance to its
#: MASK_NEIGHBOUR-th nearest LSOA point, clipped to [MASK_MIN_M, MASK_MAX_M]; holes filled.
MASK_NEIGHBOUR = 6
MASK_FACTOR = 2.0
MASK_MIN_M = 1_500.0
MASK_MAX_M = 8_000.0
#: Circle resolution (segments per quarter circle) of the mask disks.
MASK_QUAD_SEGS = 4
#: Coordinates are rounded to this grid (metres) so the files stay small and deterministic.
GRID_M = 1.0
#: Districts and force areas are simplified with this tolerance (metres), as one coverage.
SIMPLIFY_M = 50.0


def neighbour_spacing(xy: Any, k: int) -> Any:
    """Return each point's distance to its ``k``-th nearest other point (metres)."""
    from scipy.spatial import cKDTree  # noqa: PLC0415 (lazy: scipy is slow to import)

    distance, _ = cKDTree(xy).query(xy, k=k + 1)
    return distance[:, k]


def separated(xy: Any) -> Any:
    """Return the points with exact duplicates moved 1 m east per repeat (Voronoi, Delaunay).

    Two LSOAs can share a representative postcode point; geometry needs distinct points.
    """
    out = np.array(xy, dtype=float, copy=True)
    _, first, inverse = np.unique(out, axis=0, return_index=True, return_inverse=True)
    repeat = np.zeros(len(out))
    seen: dict[int, int] = {}
    for i, group in enumerate(inverse.ravel()):
        if first[group] != i:
            seen[int(group)] = seen.get(int(group), 0) + 1
            repeat[i] = seen[int(group)]
    out[:, 0] += repeat
    return out


def voronoi_cells(xy: Any) -> Any:
    """Return the Voronoi cell of each point, in input order, within the points' bounds + 50 km."""
    import shapely  # noqa: PLC0415 (lazy: shapely is slow to import)

    points = shapely.multipoints(xy)
    frame = shapely.box(*shapely.bounds(points)).buffer(50_000.0, join_style="mitre")
    cells = shapely.get_parts(shapely.voronoi_polygons(points, extend_to=frame, ordered=True))
    if len(cells) != len(xy):
        raise BuildError(f"Voronoi cells: expected {len(xy)} cells, got {len(cells)}")
    inside = shapely.contains_xy(cells, xy[:, 0], xy[:, 1])
    if not inside.all():
        raise BuildError("Voronoi cells: a cell does not hold its own point (order lost)")
    return cells


def land_mask(xy: Any) -> Any:
    """Return the land mask: the union of the points' spacing disks, inland holes filled."""
    import shapely  # noqa: PLC0415 (lazy: shapely is slow to import)

    spacing = MASK_FACTOR * neighbour_spacing(xy, MASK_NEIGHBOUR)
    radius = np.clip(spacing, MASK_MIN_M, MASK_MAX_M)
    disks = shapely.buffer(shapely.points(xy), radius, quad_segs=MASK_QUAD_SEGS)
    union = shapely.union_all(disks, grid_size=GRID_M)
    shells = [shapely.Polygon(p.exterior) for p in shapely.get_parts(union)]
    return shapely.union_all(shells, grid_size=GRID_M)


def clipped_cells(xy: Any, mask: Any) -> Any:
    """Return each LSOA point's Voronoi cell clipped to the land mask, on a 1 m grid."""
    import shapely  # noqa: PLC0415 (lazy: shapely is slow to import)

    shapely.prepare(mask)
    cells = shapely.set_precision(voronoi_cells(xy), GRID_M)
    coastal = ~shapely.contains_properly(mask, cells)
    cells[coastal] = shapely.intersection(cells[coastal], mask, grid_size=GRID_M)
    cells = shapely.make_valid(cells)
    polygonal = np.isin(shapely.get_type_id(cells), [3, 6])  # Polygon, MultiPolygon
    if not polygonal.all():  # a clipped cell can come back as a collection: keep its polygons
        cells[~polygonal] = [_polygons_of(c) for c in cells[~polygonal]]
    return cells


def _polygons_of(geom: Any) -> Any:
    import shapely  # noqa: PLC0415 (lazy: shapely is slow to import)

    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts)


def dissolved(cells: gpd.GeoDataFrame, by: list[str]) -> gpd.GeoDataFrame:
    """Return the cells dissolved by the given columns, sorted by them, simplified (50 m)."""
    import geopandas as gpd  # noqa: PLC0415 (lazy: geopandas is slow to import)
    import shapely  # noqa: PLC0415 (lazy: shapely is slow to import)

    rows = []
    for key, group in cells.groupby(by, sort=True):
        keys = key if isinstance(key, tuple) else (key,)
        geom = shapely.union_all(group.geometry.to_numpy(), grid_size=GRID_M)
        rows.append({**dict(zip(by, keys, strict=True)), "geometry": geom})
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs=cells.crs)
    simplified = shapely.coverage_simplify(out.geometry.to_numpy(), SIMPLIFY_M)
    out["geometry"] = shapely.make_valid(shapely.set_precision(simplified, GRID_M))
    out["boundary"] = AREA_NOTE
    return out


def area_layers(lsoas: pd.DataFrame, mask: Any) -> dict[str, gpd.GeoDataFrame]:
    """Return the approximate ``lsoa``, ``districts`` and ``forces`` layers (EPSG:27700).

    ``mask`` is :func:`land_mask` of the LSOA points.
    """
    import geopandas as gpd  # noqa: PLC0415 (lazy: geopandas is slow to import)

    xy = separated(lsoas[["x", "y"]].to_numpy(float))
    cells = gpd.GeoDataFrame(
        lsoas[["lsoa11cd", "lad22cd", "lad_name", "force"]].copy(),
        geometry=clipped_cells(xy, mask),
        crs="EPSG:27700",
    )
    lsoa = cells[["lsoa11cd", "geometry"]].copy()
    lsoa["boundary"] = AREA_NOTE
    return {
        "lsoa": lsoa,
        "districts": dissolved(cells, ["lad22cd", "lad_name", "force"]),
        "forces": dissolved(cells, ["force"]),
    }

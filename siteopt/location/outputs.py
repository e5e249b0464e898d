"""Outputs of a location model: JSON, GeoJSON layers and a GeoPackage."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from siteopt.atomic import atomic_write, atomic_write_text
from siteopt.network.points import site_points
from siteopt.outputs.gis import write_gpkg

if TYPE_CHECKING:
    import geopandas as gpd

    from siteopt.instance.schema import Instance
    from siteopt.location.matrix import CostMatrix
    from siteopt.location.result import LocateResult

__all__ = ["write_locate_outputs"]


def geojson_layers(result: LocateResult, matrix: CostMatrix) -> dict[str, Any] | None:
    """One GeoJSON FeatureCollection (EPSG:4326) of chosen sites and assigned demand points.

    Site features come first, then one per demand point with its site and time. ``None`` when the
    matrix has no coordinates (a user CSV).
    """
    if matrix.demand_lonlat is None or matrix.candidate_lonlat is None:
        return None
    index = {sid: j for j, sid in enumerate(matrix.candidate_ids)}
    features: list[dict[str, Any]] = []
    for k, sid in enumerate(result.sites):
        lon, lat = matrix.candidate_lonlat[index[sid]]
        features.append(_point(lon, lat, {"layer": "site", "id": sid, **result.per_site()[k]}))
    for i, did in enumerate(result.demand_ids):
        k = int(result.assigned[i])
        minutes = float(result.assigned_minutes[i])
        lon, lat = matrix.demand_lonlat[i]
        properties = {
            "layer": "demand",
            "id": did,
            "weight": float(result.weights[i]),
            "site": result.sites[k] if k >= 0 else None,
            "minutes": round(minutes, 3) if math.isfinite(minutes) else None,
        }
        features.append(_point(lon, lat, properties))
    return {
        "type": "FeatureCollection",
        "name": f"siteopt locate {result.model}",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        "features": features,
    }


def _point(lon: float, lat: float, properties: dict[str, Any]) -> dict[str, Any]:
    geometry = {"type": "Point", "coordinates": [round(float(lon), 6), round(float(lat), 6)]}
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def write_locate_outputs(
    result: LocateResult, matrix: CostMatrix, out_dir: Path, *, attribution: str | None = None
) -> list[Path]:
    """Write ``locate.json`` and (with coordinates) ``locate.geojson`` atomically; return paths.

    ``locate.json`` carries the assignment of every demand point.
    """
    payload = result.to_dict(assignment=True)
    if attribution:
        payload["attribution"] = attribution
    written = [out_dir / "locate.json"]
    layers = geojson_layers(result, matrix)
    if layers is not None:
        if attribution:
            layers["attribution"] = attribution
        atomic_write_text(out_dir / "locate.geojson", json.dumps(layers, ensure_ascii=False))
        written.append(out_dir / "locate.geojson")
    atomic_write_text(written[0], json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    return written


def locate_layers(result: LocateResult, instance: Instance) -> dict[str, gpd.GeoDataFrame]:
    """GIS layers of an instance-based result (EPSG:27700), for the export writers.

    ``sites`` (chosen sites with their share of demand), ``lsoa_results`` (each LSOA polygon with
    its assigned site, minutes and weight), ``districts`` and ``forces``.
    """
    import geopandas as gpd  # noqa: PLC0415 (lazy: geopandas is slow to import)
    import pandas as pd  # noqa: PLC0415 (lazy: pandas is slow to import)

    dataset = instance.dataset()
    points = site_points(instance, list(result.sites))
    per_site = pd.DataFrame(result.per_site())
    sites = gpd.GeoDataFrame(
        per_site.assign(name=[instance.site_name(s) for s in result.sites]),
        geometry=gpd.points_from_xy(points.x, points.y),
        crs="EPSG:27700",
    )
    assigned = pd.DataFrame(
        {
            "lsoa11cd": list(result.demand_ids),
            "site": [result.sites[k] if k >= 0 else None for k in result.assigned.tolist()],
            "minutes": np.where(
                np.isfinite(result.assigned_minutes), result.assigned_minutes, np.nan
            ),
            "weight": result.weights,
        }
    )
    lsoas = dataset.boundaries("lsoa").merge(assigned, on="lsoa11cd", how="left")
    return {
        "sites": sites,
        "lsoa_results": lsoas,
        "districts": dataset.boundaries("districts"),
        "forces": dataset.boundaries("forces"),
    }


def write_locate_gpkg(result: LocateResult, instance: Instance, out_dir: Path) -> Path:
    """Write ``locate.gpkg`` (the layers of :func:`locate_layers`) atomically; return its path."""
    layers = locate_layers(result, instance)
    path = out_dir / "locate.gpkg"
    atomic_write(path, lambda temporary: _fresh_gpkg(temporary, layers, write_gpkg))
    return path


def _fresh_gpkg(
    temporary: Path,
    layers: dict[str, gpd.GeoDataFrame],
    write: Callable[[dict[str, gpd.GeoDataFrame], Path], None],
) -> None:
    temporary.unlink()  # GDAL creates the GeoPackage itself; an empty file is not one
    write(layers, temporary)

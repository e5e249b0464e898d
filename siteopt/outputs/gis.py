"""GIS layers of a solution (GeoPackage, GeoJSON): LSOAs, rooms, drive-time bands, roads."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from siteopt.network.sources import load_network
from siteopt.outputs.data import BAND_EDGES
from siteopt.roadclasses import ROAD_CLASSES

if TYPE_CHECKING:
    import geopandas as gpd

    from siteopt.outputs.data import ExportData

__all__ = ["gis_layers"]


def _band_label(low: float, high: float) -> str:
    return f"{low:.0f}+ min" if not np.isfinite(high) else f"{low:.0f}-{high:.0f} min"


def gis_layers(data: ExportData) -> dict[str, gpd.GeoDataFrame]:
    """Return the GIS layers (EPSG:27700): sites, lsoa_results, districts, forces, roads, bands.

    Computed once per :class:`ExportData` (every writer that needs them shares the result).
    """
    if "gis_layers" not in data.memo:
        data.memo["gis_layers"] = _layers(data)
    layers: dict[str, gpd.GeoDataFrame] = data.memo["gis_layers"]
    return layers


def _layers(data: ExportData) -> dict[str, gpd.GeoDataFrame]:
    import geopandas as gpd  # noqa: PLC0415 (lazy: geopandas is slow to import)

    dataset = data.instance.dataset()
    crs = "EPSG:27700"
    sites = gpd.GeoDataFrame(
        data.sites, geometry=gpd.points_from_xy(data.sites["x"], data.sites["y"]), crs=crs
    )
    boundaries = dataset.boundaries("lsoa")[["lsoa11cd", "geometry"]]
    lsoa = boundaries.merge(data.lsoas, on="lsoa11cd", how="inner", validate="one_to_one")
    lsoa = gpd.GeoDataFrame(lsoa, geometry="geometry", crs=boundaries.crs).to_crs(crs)
    forces = dataset.boundaries("forces").to_crs(crs)
    # the force's name as the instance writes it ("Avon and Somerset"), beside its id
    names = {fid: force.name for fid, force in data.instance.forces.items()}
    forces.insert(1, "name", forces["force"].map(names))
    return {
        "sites": sites,
        "lsoa_results": lsoa,
        "districts": dataset.boundaries("districts").to_crs(crs),
        "forces": forces,
        "roads": road_layer(data),
        "drive_time_bands": drive_time_bands(lsoa),
    }


def drive_time_bands(lsoa: gpd.GeoDataFrame, column: str = "minutes_nearest") -> gpd.GeoDataFrame:
    """LSOA areas dissolved by drive-time band to the nearest open room (from each LSOA's point).

    An LSOA is in the band of the drive time from its demand point; the bands are as fine as the
    LSOAs, not isochrones of the road network.
    """
    import geopandas as gpd  # noqa: PLC0415 (lazy: geopandas is slow to import)

    values = lsoa[column].to_numpy(np.float64)
    if np.isnan(values).all():
        return gpd.GeoDataFrame(
            {"band": [], "min_minutes": [], "max_minutes": [], "population": []},
            geometry=[],
            crs=lsoa.crs,
        )
    import pandas as pd  # noqa: PLC0415 (lazy: pandas is slow to import)

    band = np.digitize(values, BAND_EDGES[1:-1])
    merged = dissolve_classes(lsoa.geometry.to_numpy(), band)
    people = lsoa["population"].to_numpy(np.int64)
    dissolved = pd.DataFrame(
        {
            "band_index": list(merged),
            "population": [int(people[band == b].sum()) for b in merged],
            "geometry": list(merged.values()),
        }
    )
    dissolved["min_minutes"] = [BAND_EDGES[i] for i in dissolved["band_index"]]
    dissolved["max_minutes"] = [
        BAND_EDGES[i + 1] if np.isfinite(BAND_EDGES[i + 1]) else None
        for i in dissolved["band_index"]
    ]
    dissolved["band"] = [
        _band_label(BAND_EDGES[i], BAND_EDGES[i + 1]) for i in dissolved["band_index"]
    ]
    dissolved["population"] = dissolved["population"].astype(np.int64)
    return gpd.GeoDataFrame(
        dissolved[["band", "min_minutes", "max_minutes", "population", "geometry"]],
        geometry="geometry",
        crs=lsoa.crs,
    )


def dissolve_classes(geoms: Any, classes: Any) -> dict[int, Any]:
    """Union of the polygons of each class (LSOAs tile the area, so a coverage union is exact)."""
    import shapely  # noqa: PLC0415 (lazy: shapely is slow to import)

    keys = np.asarray(classes)
    values = np.asarray(geoms)
    return {int(k): shapely.coverage_union_all(values[keys == k]) for k in np.unique(keys)}


def road_layer(data: ExportData) -> gpd.GeoDataFrame:
    """The instance's road network as straight segments between its nodes, one per road link.

    The embedded network's ``local_urban``/``local_rural`` links are the modelled LSOA mesh (no
    real road geometry); they are kept so the layer shows what the travel times ran on.
    """
    import geopandas as gpd  # noqa: PLC0415 (lazy: geopandas is slow to import)
    import shapely  # noqa: PLC0415 (lazy: shapely is slow to import)

    network = load_network(data.instance)
    src = np.repeat(np.arange(network.n_nodes), np.diff(network.indptr))
    dst = network.indices
    low, high = np.minimum(src, dst), np.maximum(src, dst)
    _, first = np.unique(np.stack([low, high]), axis=1, return_index=True)
    first = np.sort(first)
    coords = np.stack(
        [
            np.stack([network.x[src[first]], network.y[src[first]]], axis=1),
            np.stack([network.x[dst[first]], network.y[dst[first]]], axis=1),
        ],
        axis=1,
    )
    return gpd.GeoDataFrame(
        {
            "road_class": [ROAD_CLASSES[c] for c in network.road_class[first]],
            "road": [network.names[n] for n in network.road_name[first]],
            "metres": network.metres[first].round(1),
        },
        geometry=shapely.linestrings(coords),
        crs="EPSG:27700",
    )


def write_gpkg(layers: dict[str, gpd.GeoDataFrame], path: Path) -> None:
    """Write every layer into one GeoPackage (EPSG:27700)."""
    import pyogrio  # noqa: PLC0415 (lazy: pyogrio is slow to import)

    for name, layer in layers.items():
        pyogrio.write_dataframe(layer, path, layer=name, driver="GPKG")


def write_geojson(layers: dict[str, gpd.GeoDataFrame], folder: Path) -> None:
    """Write each layer as ``<layer>.geojson`` in EPSG:4326 (RFC 7946)."""
    import pyogrio  # noqa: PLC0415 (lazy: pyogrio is slow to import)

    folder.mkdir(parents=True, exist_ok=True)
    for name, layer in layers.items():
        pyogrio.write_dataframe(
            layer.to_crs("EPSG:4326"), folder / f"{name}.geojson", driver="GeoJSON"
        )

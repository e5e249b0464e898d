"""Where a road network comes from: embedded, OSM, GraphML or OS Open Roads.

Where a road network comes from: the embedded default (strategic network +
calibrated mesh), an OpenStreetMap extract, an OSMnx GraphML file or OS Open Roads;
:func:`load_network` picks the one an instance names.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from siteopt.data import parquet_column_names, read_parquet_columns
from siteopt.network.graph import largest_component, network_from_edges
from siteopt.network.osm_lines import line_directions, osm_line_edges, osm_lines_frame
from siteopt.network.readers import read_graphml_edges, read_open_roads, read_osm_ways

if TYPE_CHECKING:
    from siteopt.data import Dataset
    from siteopt.instance.schema import Instance
    from siteopt.network.graph import RoadNetwork
    from siteopt.network.readers import EdgeList

__all__ = [
    "commute_network",
    "embedded_network",
    "load_network",
    "network_from_graphml",
    "network_from_os_open_roads",
    "network_from_osm",
    "network_from_osm_lines",
]


#: Files of the embedded network inside a dataset folder.
NODES_FILE = "network_nodes.parquet"


EDGES_FILE = "network_edges.parquet"

#: The edge columns a network is built from (``cap_kph`` only where the dataset has speed limits).
EDGE_COLUMNS = ("src", "dst", "metres", "road_class", "road", "cap_kph", "extra_s")


CALIBRATION_FILE = "network_calibration.json"


#: With a force selection, the embedded network keeps the nodes within this distance of the
#: selected forces' LSOA points (their roads and those just beyond their borders).
SELECTION_BUFFER_M = 20_000.0

#: File suffixes read as OpenStreetMap road lines in a GIS file (:mod:`.osm_lines`).
OSM_LINE_SUFFIXES = frozenset({".gpkg", ".shp", ".geojson", ".json", ".fgb"})


def network_from_osm(
    path: Path | str, *, speeds_kph: Mapping[str, float] | None = None
) -> RoadNetwork:
    """Read an OpenStreetMap extract, an OSMnx ``.graphml`` or OSM road lines in a GIS file.

    Extracts (``.osm.pbf``, ``.osm`` XML): ways with a drivable ``highway`` value become edges
    (split at junctions); ``oneway`` (``yes``/``-1``, and implied on motorways and roundabouts)
    is honoured; ``maxspeed`` caps the class speed (:func:`siteopt.roadclasses.edge_cap_kph`).
    GIS files (``.gpkg``, ``.shp``, ``.geojson``, ``.fgb``) of OSM lines are read by
    :func:`~siteopt.network.osm_lines.read_osm_lines` (one-way inferred where there is no
    ``oneway`` field). The largest strongly connected part is kept.
    """
    path = Path(path)
    if path.suffix.lower() == ".graphml":
        return network_from_graphml(path, speeds_kph=speeds_kph)
    if path.suffix.lower() in OSM_LINE_SUFFIXES:
        return network_from_osm_lines(path, speeds_kph=speeds_kph)

    ways = read_osm_ways(path)
    return _network_from_file(ways, path, "OpenStreetMap extract", speeds_kph, one_way_data=True)


def network_from_graphml(
    path: Path | str, *, speeds_kph: Mapping[str, float] | None = None
) -> RoadNetwork:
    """Read an OSMnx GraphML drive graph (nodes with lon ``x``/lat ``y``; edges with length)."""
    path = Path(path)
    ways = read_graphml_edges(path)
    return _network_from_file(
        ways, path, "OpenStreetMap (OSMnx graph)", speeds_kph, one_way_data=True
    )


def network_from_osm_lines(
    path: Path | str, *, speeds_kph: Mapping[str, float] | None = None
) -> RoadNetwork:
    """Read OpenStreetMap road lines from a GeoPackage, shapefile or GeoJSON file."""
    path = Path(path)
    frame = osm_lines_frame(path)
    directions = line_directions(frame)
    edges = osm_line_edges(frame, directions)
    what = "OpenStreetMap road lines"
    if directions.inferred:
        what += " (no oneway field: one-way carriageways inferred from the geometry)"
    return _network_from_file(edges, path, what, speeds_kph, one_way_data=True)


def network_from_os_open_roads(
    path: Path | str, *, speeds_kph: Mapping[str, float] | None = None
) -> RoadNetwork:
    """Read OS Open Roads ``RoadLink`` (a GeoPackage, a shapefile, or a folder of tiles).

    OS Open Roads carries no one-way information, so every link is two-way; classes map as in
    :data:`siteopt.roadclasses.OS_OPEN_ROADS_CLASSES`.
    """
    path = Path(path)
    links = read_open_roads(path)
    return _network_from_file(links, path, "OS Open Roads", speeds_kph, one_way_data=False)


def _network_from_file(
    edges: EdgeList,
    path: Path,
    what: str,
    speeds_kph: Mapping[str, float] | None,
    *,
    one_way_data: bool,
) -> RoadNetwork:
    """The largest strongly connected part of a network read from a road file."""
    return largest_component(
        network_from_edges(
            edges.x,
            edges.y,
            edges.src,
            edges.dst,
            edges.metres,
            edges.road_class,
            two_way=edges.two_way,
            names=edges.names,
            cap_kph=edges.cap_kph,
            speeds_kph=dict(speeds_kph or {}),
            source=str(path),
            provenance=_with_overrides(
                _file_provenance(what, path, one_way=one_way_data), speeds_kph
            ),
            max_snap_m=1000.0,
        )
    )


def _with_overrides(provenance: str, speeds_kph: Mapping[str, float] | None) -> str:
    """The note, followed by the class speeds the instance set (the calibration is not theirs)."""
    if not speeds_kph:
        return provenance
    shown = ", ".join(f"{k} {v:g} km/h" for k, v in sorted(speeds_kph.items()))
    return (
        f"{provenance.rstrip('.')}. Speeds set by the instance: {shown} (what is said above of "
        "the default speeds and their calibration does not hold for these classes)."
    )


def _file_provenance(what: str, path: Path, *, one_way: bool) -> str:
    return (
        f"{what} {path.name}: drive times at a speed per road class capped by each road's limit "
        f"({'one-way streets honoured' if one_way else 'no one-way data: all roads two-way'}), "
        "free-flow, no congestion"
    )


def embedded_network(
    dataset: Dataset, *, speeds_kph: Mapping[str, float] | None = None
) -> RoadNetwork:
    """The dataset's strategic network + real A roads + local mesh (``python -m geodata.build``).

    Edges carry a speed cap from their road's limit (``cap_kph``, where the dataset has one); the
    calibration file gives the class speeds, the provenance note and the access parameters;
    ``speeds_kph`` overrides class speeds (a class speed caps every road of that class). A
    dataset restricted to some forces gets the part of its network within
    :data:`SELECTION_BUFFER_M` of those forces' LSOA points (its largest strongly connected part).
    """
    nodes = read_parquet_columns(dataset.path(NODES_FILE), ["x", "y"])
    edges_file = dataset.path(EDGES_FILE)
    edges = read_parquet_columns(
        edges_file, [c for c in parquet_column_names(edges_file) if c in EDGE_COLUMNS]
    )
    calibration = json.loads(dataset.path(CALIBRATION_FILE).read_text(encoding="utf-8"))
    speeds = {**calibration["speeds_kph"], **(speeds_kph or {})}
    x, y = nodes["x"], nodes["y"]
    keep = None if dataset.forces is None else _selection_nodes(dataset, x, y)
    if keep is not None:
        x, y, edges = _subgraph(keep, x, y, edges)
    network = network_from_edges(
        x,
        y,
        edges["src"],
        edges["dst"],
        edges["metres"],
        edges["road_class"],
        names=edges["road"].tolist(),
        cap_kph=edges.get("cap_kph"),
        extra_s=edges["extra_s"],
        speeds_kph=speeds,
        source=f"{dataset.root.name} embedded network",
        provenance=_with_overrides(str(calibration["provenance"]), speeds_kph),
        max_snap_m=float(calibration["max_snap_m"]),
        access_kph=float(calibration["access_kph"]),
        access_detour=float(calibration["access_detour"]),
        terminal_s=float(calibration["terminal_s"]),
    )
    return network if keep is None else largest_component(network)


def _selection_nodes(dataset: Dataset, x: Any, y: Any) -> Any:
    """Nodes within :data:`SELECTION_BUFFER_M` of the selected forces' LSOA points."""
    from scipy.spatial import cKDTree  # noqa: PLC0415 (lazy: scipy is slow to import)

    lsoas = dataset.lsoas()
    tree = cKDTree(np.column_stack([lsoas["x"].to_numpy(float), lsoas["y"].to_numpy(float)]))
    distance, _ = tree.query(np.column_stack([x, y]), distance_upper_bound=SELECTION_BUFFER_M)
    return np.isfinite(distance)


def _subgraph(keep: Any, x: Any, y: Any, edges: dict[str, Any]) -> tuple[Any, Any, Any]:
    """The kept nodes (renumbered) and the edges between them."""
    new_id = np.cumsum(keep) - 1
    src = np.asarray(edges["src"], dtype=np.int64)
    dst = np.asarray(edges["dst"], dtype=np.int64)
    inside = keep[src] & keep[dst]
    kept = {k: np.asarray(v)[inside] for k, v in edges.items()}
    kept["src"] = new_id[src[inside]]
    kept["dst"] = new_id[dst[inside]]
    return x[keep], y[keep], kept


def load_network(instance: Instance) -> RoadNetwork:
    """The road network an instance names, at its speeds (``[network]`` section)."""
    config = instance.network
    speeds = {k: float(v.value) for k, v in config.speeds_kph.items()}
    if config.kind == "embedded":
        return embedded_network(instance.dataset(), speeds_kph=speeds)
    assert config.path is not None  # checked when the instance was loaded
    path = Path(config.path)
    if config.kind == "osm":
        return network_from_osm(path, speeds_kph=speeds)
    return network_from_os_open_roads(path, speeds_kph=speeds)


def commute_network(instance: Instance, network: RoadNetwork) -> RoadNetwork:
    """The network staff drive to and from a shift: ``network`` with the instance's congestion.

    Without ``[network.congestion]`` this is ``network`` itself (free-flow).
    """
    congestion = instance.network.congestion
    if congestion is None:
        return network
    return network.with_congestion(congestion.commute_factors(), congestion.note())

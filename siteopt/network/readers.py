"""Readers of road files into plain edge lists (used by :mod:`siteopt.network.sources`).

- OpenStreetMap ``.osm.pbf`` / ``.osm`` XML through pyosmium (ways split at shared nodes),
- OSMnx GraphML through networkx,
- OpenStreetMap lines in a GeoPackage, shapefile or GeoJSON (``highway``, ``ref``, ``name``,
  ``maxspeed``, ``junction``, optional ``oneway`` fields) through pyogrio, one-way roads inferred
  from the geometry where the file has no ``oneway`` field (:func:`one_way_lines`),
- OS Open Roads ``RoadLink`` through pyogrio.

Each edge's speed cap comes from :func:`siteopt.roadclasses.edge_cap_kph` (posted limit, or the
class's unknown-limit speed; roundabouts slower).

Every reader raises :class:`~siteopt.errors.NetworkError` naming the file for a file that cannot be
read, is empty, or holds no drivable road.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

import numpy as np
import numpy.typing as npt

from siteopt.errors import NetworkError
from siteopt.roadclasses import (
    DRIVABLE_HIGHWAYS,
    KM_PER_MILE,
    OS_OPEN_ROADS_CLASSES,
    edge_cap_kph,
)

FloatArray = npt.NDArray[np.float64]


#: Access values that close a way to private cars.
NO_ACCESS = frozenset({"no", "private"})


#: ``oneway`` values meaning one-way as drawn, and against the way's direction.
ONEWAY_YES = frozenset({"yes", "true", "1"})


ONEWAY_REVERSE = frozenset({"-1", "reverse"})


#: ``junction`` values of a roundabout (one-way, implied).
ROUNDABOUT = frozenset({"roundabout", "circular"})


@dataclass(frozen=True)
class EdgeList:
    """Nodes (EPSG:27700) and edges read from a road file."""

    x: FloatArray
    y: FloatArray
    src: npt.NDArray[np.int64]
    dst: npt.NDArray[np.int64]
    metres: FloatArray
    road_class: list[str]
    names: list[str]
    two_way: npt.NDArray[np.bool_]
    cap_kph: FloatArray
    divided: npt.NDArray[np.bool_] | None = None
    line: npt.NDArray[np.int64] | None = None  # input row of each edge (line files only)

    @property
    def divided_edges(self) -> npt.NDArray[np.bool_]:
        """Edges on one carriageway of a divided road (no turning across it between junctions)."""
        if self.divided is None:
            return np.zeros(len(self.src), dtype=bool)
        return self.divided


#: OSM highway classes no car may use: an edge of one of them in a GraphML graph is not a road
#: (a graph of footways alone has no drivable road). Other unknown classes count as roads.
NOT_DRIVABLE = frozenset(
    {
        "footway", "path", "cycleway", "pedestrian", "steps", "bridleway", "corridor",
        "elevator", "escalator", "platform", "proposed", "construction", "abandoned", "razed",
        "bus_guideway", "busway", "raceway", "via_ferrata",
    }
)  # fmt: skip


def check_road_file(path: Path) -> None:
    """Raise :class:`NetworkError` if a road file is missing or empty."""
    if not path.exists():
        raise NetworkError(f"{path}: road file not found")
    if path.is_file() and path.stat().st_size == 0:
        raise NetworkError(f"{path}: road file is empty")


def no_roads_error(path: Path, what: str) -> NetworkError:
    """The error for a road file that holds no drivable road."""
    return NetworkError(f"{path}: no drivable roads found ({what})")


def _oneway(tags: Mapping[str, str | None]) -> int:
    value = (tags.get("oneway") or "").lower()
    if value in ONEWAY_YES:
        return 1
    if value in ONEWAY_REVERSE:
        return -1
    if value == "no":
        return 0
    implied = tags.get("highway") == "motorway" or tags.get("junction") in ROUNDABOUT
    return 1 if implied else 0


def _drivable(tags: Mapping[str, str | None]) -> bool:
    if tags.get("highway") not in DRIVABLE_HIGHWAYS or tags.get("area") == "yes":
        return False
    if tags.get("service") in {"parking_aisle", "driveway", "emergency_access"}:
        return False
    return not any(tags.get(k) in NO_ACCESS for k in ("access", "motor_vehicle", "motorcar"))


def read_osm_ways(path: Path) -> EdgeList:
    """Drivable ways of an OSM file as edges between junction nodes (and way ends).

    Node locations stay inside libosmium (its location cache) and ways without a drivable
    ``highway`` value are dropped there too; Python sees each remaining way as a few tags and one
    WKB line of its node locations, so a 1M-node extract reads in seconds. A node is identified by
    its location (OSM's 1e-7 degree grid): two OSM nodes at exactly the same place count as one
    (OSM's validators flag such duplicates as errors). Chains of nodes used by one way only are
    contracted into one edge (:func:`_split_ways`).
    """
    import osmium  # noqa: PLC0415 (lazy: osmium is slow to import)

    check_road_file(path)
    ways = _WayColumns()
    wkb = osmium.geom.WKBFactory()
    drivable = osmium.filter.TagFilter(*(("highway", value) for value in sorted(DRIVABLE_HIGHWAYS)))
    try:
        processor = (
            osmium.FileProcessor(str(path))
            .with_locations()
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            .with_filter(drivable)
        )
        for way in processor:
            tags = {key: way.tags.get(key) for key in _WAY_KEYS}
            if _drivable(tags):
                ways.add(tags, _way_lonlat(way, wkb, osmium))
    except (RuntimeError, osmium.InvalidLocationError) as exc:  # bad header, lat="952.2" ...
        raise NetworkError(f"{path}: not a readable OpenStreetMap file ({exc})") from None
    if not ways.lengths:
        raise no_roads_error(path, "no way with a drivable highway tag")
    return _split_ways(ways)


#: The tags of a way the network uses (read one by one: cheaper than every tag of the way).
_WAY_KEYS = (
    "highway", "area", "service", "access", "motor_vehicle", "motorcar", "oneway", "junction",
    "ref", "name", "maxspeed",
)  # fmt: skip


def _way_lonlat(way: Any, wkb: Any, osmium: Any) -> FloatArray:
    """A way's node (lon, lat) in order; nodes without a location (extract edge) dropped."""
    try:
        raw = bytes.fromhex(wkb.create_linestring(way, use_nodes=osmium.geom.ALL))
    except (osmium.InvalidLocationError, RuntimeError):  # a node clipped away, or < 2 nodes
        kept = [(n.lon, n.lat) for n in way.nodes if n.location.valid()]
        return np.asarray(kept, dtype=np.float64).reshape(-1, 2)
    # a WKB line: byte order (1 byte), geometry type (4), number of points (4), x y doubles
    order = "<" if raw[0] == 1 else ">"
    return np.frombuffer(raw, dtype=f"{order}f8", offset=9).reshape(-1, 2)


@dataclass
class _WayColumns:
    """The drivable ways read so far, column by column (one entry per way)."""

    lonlat: list[FloatArray] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)
    highway: list[str] = field(default_factory=list)
    oneway: list[int] = field(default_factory=list)  # 0 both ways, 1 forward, -1 reverse
    names: list[str] = field(default_factory=list)
    cap_kph: list[float] = field(default_factory=list)
    _caps: dict[tuple[str, str | None, bool], float] = field(default_factory=dict)

    def add(self, tags: dict[str, str | None], lonlat: FloatArray) -> None:
        """Keep a way of two nodes or more."""
        if len(lonlat) < 2:
            return
        highway = str(tags["highway"])
        cap_key = (highway, tags["maxspeed"], tags["junction"] in ROUNDABOUT)
        if cap_key not in self._caps:  # a few hundred distinct keys in a county
            self._caps[cap_key] = edge_cap_kph(
                highway, parse_maxspeed(cap_key[1]), roundabout=cap_key[2]
            )
        self.lonlat.append(lonlat)
        self.lengths.append(len(lonlat))
        self.highway.append(highway)
        self.oneway.append(_oneway(tags))
        self.names.append(tags["ref"] or tags["name"] or "")
        self.cap_kph.append(self._caps[cap_key])


def _split_ways(ways: _WayColumns) -> EdgeList:
    """Edges between the nodes where ways meet or end, vectorised over every node of every way.

    A node is kept when more than one way position uses it or it ends a way; the nodes between
    two kept ones (a chain used by this way only) become one edge with their summed length.
    One-way ways against their drawing (``oneway = -1``) are reversed first. Nodes are numbered
    in the order of their locations (west to east, then south to north).
    """
    lengths = np.asarray(ways.lengths, dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)])
    way_of = np.repeat(np.arange(len(lengths)), lengths)
    position = np.arange(starts[-1])
    reverse = (np.asarray(ways.oneway) == -1)[way_of]
    take = np.where(reverse, starts[way_of] + starts[way_of + 1] - 1 - position, position)
    lonlat = np.concatenate(ways.lonlat)[take]
    grid = np.rint(lonlat * 1e7).astype(np.int64)  # OSM's integer coordinates, exactly
    key = ((grid[:, 0] + 2**31) << 32) | (grid[:, 1] + 2**31)
    _, first_at, node_of = np.unique(key, return_index=True, return_inverse=True)
    x, y = to_bng(lonlat[first_at, 0], lonlat[first_at, 1])
    uses = np.bincount(node_of, minlength=len(first_at))
    np.add.at(uses, node_of[starts[:-1]], 1)  # way ends are always kept
    np.add.at(uses, node_of[starts[1:] - 1], 1)
    step = np.hypot(np.diff(x[node_of], prepend=0.0), np.diff(y[node_of], prepend=0.0))
    step[starts[:-1]] = 0.0
    along = np.cumsum(step)
    kept = np.flatnonzero(uses[node_of] > 1)
    same_way = way_of[kept[1:]] == way_of[kept[:-1]]
    a, b = kept[:-1][same_way], kept[1:][same_way]
    edge_way = way_of[b]
    src, dst = node_of[a], node_of[b]
    used = np.unique(np.concatenate([src, dst]))
    remap = np.full(len(first_at), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    return EdgeList(
        x=x[used],
        y=y[used],
        src=remap[src],
        dst=remap[dst],
        metres=along[b] - along[a],
        road_class=[ways.highway[w] for w in edge_way.tolist()],
        names=[ways.names[w] for w in edge_way.tolist()],
        two_way=(np.asarray(ways.oneway) == 0)[edge_way],
        cap_kph=np.asarray(ways.cap_kph, dtype=np.float64)[edge_way],
    )


def _first(value: Any) -> str:
    """OSMnx writes merged attributes as a list literal (``"['primary', 'secondary']"``)."""
    text = str(value) if value is not None else ""
    if text.startswith("["):
        try:
            items = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return text
        return str(items[0]) if items else ""
    return text


def read_graphml_edges(path: Path) -> EdgeList:
    """Edges of an OSMnx GraphML drive graph (already directed, one edge per direction)."""
    import networkx as nx  # noqa: PLC0415 (lazy: networkx is slow to import)

    check_road_file(path)
    try:
        graph = nx.read_graphml(path)
    except (ParseError, nx.NetworkXError, KeyError, ValueError) as exc:
        raise NetworkError(f"{path}: not a readable GraphML road graph ({exc})") from None
    try:
        ids = list(graph.nodes)
        index = {n: i for i, n in enumerate(ids)}
        lon = np.array([float(graph.nodes[n]["x"]) for n in ids])
        lat = np.array([float(graph.nodes[n]["y"]) for n in ids])
    except (KeyError, ValueError):
        raise NetworkError(f"{path}: GraphML nodes need lon 'x' and lat 'y' values") from None
    bad = ~((np.abs(lon) <= 180) & (np.abs(lat) <= 90))  # also NaN
    if bad.any():
        i = int(np.argmax(bad))
        got = f"{lon[i]}, {lat[i]}"
        msg = f"{path}: node {ids[i]}: expected lon 'x' and lat 'y' in degrees, got {got}"
        raise NetworkError(msg)
    src: list[int] = []
    dst: list[int] = []
    metres: list[float] = []
    cls: list[str] = []
    names: list[str] = []
    caps: list[float] = []
    for u, v, data in graph.edges(data=True):
        highway = _first(data.get("highway"))
        if highway in NOT_DRIVABLE:
            continue
        if highway not in DRIVABLE_HIGHWAYS:
            highway = "road" if highway else ""
        if not highway:
            continue
        try:
            length = float(data["length"])
        except (KeyError, ValueError):
            raise NetworkError(f"{path}: edge {u}->{v} has no numeric 'length'") from None
        src.append(index[u])
        dst.append(index[v])
        metres.append(length)
        cls.append(highway)
        names.append(_first(data.get("ref")) or _first(data.get("name")))
        caps.append(
            edge_cap_kph(
                highway,
                parse_maxspeed(_first(data.get("maxspeed"))),
                roundabout=_first(data.get("junction")) in ROUNDABOUT,
            )
        )
    if not src:
        raise no_roads_error(path, "no edge with a drivable highway class")
    x, y = to_bng(lon, lat)
    return EdgeList(
        x=x,
        y=y,
        src=np.asarray(src, dtype=np.int64),
        dst=np.asarray(dst, dtype=np.int64),
        metres=np.asarray(metres),
        road_class=cls,
        names=names,
        two_way=np.zeros(len(src), dtype=bool),
        cap_kph=np.asarray(caps),
    )


#: Field names in the GeoPackage (snake case) and in the shapefiles (camel case).
_FIELDS = {
    "class": ("road_classification", "class"),
    "number": ("road_classification_number", "roadNumber"),
    "name": ("name_1", "name1"),
    "form": ("form_of_way", "formOfWay"),
    "trunk": ("trunk_road", "trunkRoad"),
}


def _open_roads_sources(path: Path) -> list[tuple[Path, str | None]]:
    import pyogrio  # noqa: PLC0415 (lazy: pyogrio is slow to import)

    if path.is_dir():
        files = sorted(path.rglob("*RoadLink.shp")) + sorted(path.rglob("*road_link*.shp"))
        if not files:
            raise NetworkError(f"{path}: folder holds no OS Open Roads *RoadLink.shp file")
        return [(f, None) for f in files]
    try:
        layers = [str(row[0]) for row in pyogrio.list_layers(path)]
    except Exception as exc:  # pyogrio raises DataSourceError and others for a bad file
        raise NetworkError(f"{path}: not a readable GeoPackage or shapefile ({exc})") from None
    wanted = [lay for lay in layers if lay.replace("_", "").lower() == "roadlink"]
    if not wanted and len(layers) == 1 and path.suffix.lower() == ".shp":
        wanted = layers
    if not wanted:
        msg = f"{path}: no RoadLink layer (layers: {', '.join(layers) or 'none'})"
        raise NetworkError(msg)
    return [(path, wanted[0])]


def read_open_roads(path: Path) -> EdgeList:
    """Links of OS Open Roads as two-way edges between their end nodes."""
    import pandas as pd  # noqa: PLC0415 (lazy: pandas is slow to import)
    import pyogrio  # noqa: PLC0415 (lazy: pyogrio is slow to import)
    import shapely  # noqa: PLC0415 (lazy: shapely is slow to import)

    check_road_file(path)
    frames = []
    for file, layer in _open_roads_sources(path):
        try:
            frame = pyogrio.read_dataframe(file, layer=layer)
        except Exception as exc:
            raise NetworkError(f"{file}: cannot read RoadLink ({exc})") from None
        if frame.crs is not None and frame.crs.to_epsg() != 27700:
            frame = frame.to_crs("EPSG:27700")
        frames.append(frame)
    links = pd.concat(frames, ignore_index=True)
    col = {k: next((c for c in names if c in links.columns), None) for k, names in _FIELDS.items()}
    if col["class"] is None:
        raise NetworkError(f"{path}: RoadLink has no road_classification/class field")
    links = links[links.geometry.notna() & ~links.geometry.is_empty]
    known = links[col["class"]].isin(list(OS_OPEN_ROADS_CLASSES))
    if not known.any():
        raise no_roads_error(path, "no RoadLink with a known road classification")
    links = links[known]
    geoms = links.geometry.to_numpy()
    if not all(g.geom_type == "LineString" for g in geoms):
        geoms = np.array(
            [shapely.line_merge(g) if g.geom_type != "LineString" else g for g in geoms]
        )
    start = shapely.get_point(geoms, 0)
    end = shapely.get_point(geoms, -1)
    ends = np.round(
        np.column_stack(
            [shapely.get_x(start), shapely.get_y(start), shapely.get_x(end), shapely.get_y(end)]
        ),
        1,
    )
    coords, inverse = np.unique(ends.reshape(-1, 2), axis=0, return_inverse=True)
    inverse = inverse.reshape(-1, 2)
    classes = [OS_OPEN_ROADS_CLASSES[c] for c in links[col["class"]]]
    forms = links[col["form"]].fillna("").tolist() if col["form"] else [""] * len(links)
    trunk = links[col["trunk"]].fillna(False).tolist() if col["trunk"] else [False] * len(links)
    for i, form in enumerate(forms):
        if classes[i] == "primary" and bool(trunk[i]):
            classes[i] = "trunk"
        if form == "Slip Road" and classes[i] in {"motorway", "trunk", "primary"}:
            classes[i] = f"{classes[i]}_link"
    number = links[col["number"]].fillna("").astype(str) if col["number"] else None
    name = links[col["name"]].fillna("").astype(str) if col["name"] else None
    labels = [
        (number.iloc[i] if number is not None else "") or (name.iloc[i] if name is not None else "")
        for i in range(len(links))
    ]
    return EdgeList(
        x=coords[:, 0].astype(np.float64),
        y=coords[:, 1].astype(np.float64),
        src=inverse[:, 0].astype(np.int64),
        dst=inverse[:, 1].astype(np.int64),
        metres=np.asarray(shapely.length(geoms), dtype=np.float64),
        road_class=classes,
        names=labels,
        two_way=np.ones(len(links), dtype=bool),
        cap_kph=np.array([edge_cap_kph(c, math.inf) for c in classes]),
    )


def to_bng(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Longitude/latitude (WGS84) → British National Grid easting/northing (EPSG:27700)."""
    from pyproj import Transformer  # noqa: PLC0415 (lazy: pyproj is slow to import)

    transformer = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    x, y = transformer.transform(lon, lat)
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


_SPEED = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$")


def parse_maxspeed(raw: str | None) -> float:
    """An OSM ``maxspeed`` in km/h (``inf`` when absent or not a number, e.g. ``"signals"``)."""
    if not raw:
        return math.inf
    match = _SPEED.match(raw.split(";")[0])
    if match is None:
        return math.inf
    value = float(match.group(1))
    return value * KM_PER_MILE if match.group(2) == "mph" else value

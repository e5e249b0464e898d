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
import itertools
import math
import re
from dataclasses import dataclass
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


@dataclass
class _Way:
    refs: list[int]
    highway: str
    oneway: int  # 0 both ways, 1 forward, -1 reverse
    name: str
    cap_kph: float


def _oneway(tags: dict[str, str]) -> int:
    value = tags.get("oneway", "").lower()
    if value in ONEWAY_YES:
        return 1
    if value in ONEWAY_REVERSE:
        return -1
    if value == "no":
        return 0
    implied = tags.get("highway") == "motorway" or tags.get("junction") in ROUNDABOUT
    return 1 if implied else 0


def _drivable(tags: dict[str, str]) -> bool:
    if tags.get("highway") not in DRIVABLE_HIGHWAYS or tags.get("area") == "yes":
        return False
    if tags.get("service") in {"parking_aisle", "driveway", "emergency_access"}:
        return False
    return not any(tags.get(k) in NO_ACCESS for k in ("access", "motor_vehicle", "motorcar"))


def read_osm_ways(path: Path) -> EdgeList:
    """Drivable ways of an OSM file as edges between junction nodes (and way ends)."""
    import osmium  # noqa: PLC0415 (lazy: osmium is slow to import)

    check_road_file(path)
    ways: list[_Way] = []
    locations: dict[int, tuple[float, float]] = {}
    try:
        processor = osmium.FileProcessor(str(path)).with_locations()
        for obj in processor:
            if not isinstance(obj, osmium.osm.Way):
                continue
            tags = {t.k: t.v for t in obj.tags}
            if not _drivable(tags):
                continue
            refs: list[int] = []
            for node in obj.nodes:
                if not node.location.valid():
                    continue  # clipped at the extract's edge
                locations[node.ref] = (node.location.lon, node.location.lat)
                refs.append(node.ref)
            if len(refs) < 2:
                continue
            ways.append(
                _Way(
                    refs=refs,
                    highway=tags["highway"],
                    oneway=_oneway(tags),
                    name=tags.get("ref") or tags.get("name", ""),
                    cap_kph=edge_cap_kph(
                        tags["highway"],
                        parse_maxspeed(tags.get("maxspeed")),
                        roundabout=tags.get("junction") in ROUNDABOUT,
                    ),
                )
            )
    except (RuntimeError, osmium.InvalidLocationError) as exc:  # bad header, lat="952.2" ...
        raise NetworkError(f"{path}: not a readable OpenStreetMap file ({exc})") from None
    if not ways:
        raise no_roads_error(path, "no way with a drivable highway tag")
    return _split_ways(ways, locations)


def _split_ways(ways: list[_Way], locations: dict[int, tuple[float, float]]) -> EdgeList:
    uses: dict[int, int] = {}
    for way in ways:
        for ref in way.refs:
            uses[ref] = uses.get(ref, 0) + 1
        uses[way.refs[0]] += 1  # way ends are always kept
        uses[way.refs[-1]] += 1
    ids = sorted(locations)
    index = {ref: i for i, ref in enumerate(ids)}
    lon = np.array([locations[r][0] for r in ids])
    lat = np.array([locations[r][1] for r in ids])
    x, y = to_bng(lon, lat)
    src: list[int] = []
    dst: list[int] = []
    metres: list[float] = []
    cls: list[str] = []
    names: list[str] = []
    two_way: list[bool] = []
    caps: list[float] = []
    for way in ways:
        refs = way.refs if way.oneway >= 0 else way.refs[::-1]
        start, length = index[refs[0]], 0.0
        for a, b in itertools.pairwise(refs):
            ia, ib = index[a], index[b]
            length += math.hypot(x[ib] - x[ia], y[ib] - y[ia])
            if uses[b] > 1:
                src.append(start)
                dst.append(ib)
                metres.append(length)
                cls.append(way.highway)
                names.append(way.name)
                two_way.append(way.oneway == 0)
                caps.append(way.cap_kph)
                start, length = ib, 0.0
    used = np.unique(np.concatenate([src, dst]))
    remap = np.full(len(ids), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    return EdgeList(
        x=x[used],
        y=y[used],
        src=remap[np.asarray(src, dtype=np.int64)],
        dst=remap[np.asarray(dst, dtype=np.int64)],
        metres=np.asarray(metres),
        road_class=cls,
        names=names,
        two_way=np.asarray(two_way, dtype=bool),
        cap_kph=np.asarray(caps),
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

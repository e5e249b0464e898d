"""OpenStreetMap roads stored as lines in a GIS file (GeoPackage, shapefile, GeoJSON) → edges.

Such files (QGIS/QuickOSM, ``ogr2ogr`` or OSMnx exports, clipped extracts) hold one line per OSM
way with its tags as fields: ``highway`` (required), ``ref``, ``name``, ``maxspeed``,
``junction`` and, not always, ``oneway``. Lines are split where they share a vertex (OSM ways
meet at shared nodes; a bridge has none, so grade separation is kept).

Where the file has no ``oneway`` field, one-way roads are inferred (:func:`line_directions`):
motorways, roundabouts and roundabout approaches are one-way, as are the two carriageways of a
dual road, recognised as two lines of the same ``ref``/``name`` running side by side in
opposite directions, each with the other on its right (traffic drives on the left); a slip road
joined to a one-way carriageway is one-way. On the Cambridge OSM graph, where the tags are
known, this agrees with OpenStreetMap's ``oneway`` on most lines (``tests/network``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from siteopt.errors import NetworkError
from siteopt.network.readers import (
    NO_ACCESS,
    ONEWAY_REVERSE,
    ONEWAY_YES,
    ROUNDABOUT,
    EdgeList,
    check_road_file,
    no_roads_error,
    parse_maxspeed,
)
from siteopt.roadclasses import DRIVABLE_HIGHWAYS, edge_cap_kph

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "LineDirections",
    "divided_carriageways",
    "line_directions",
    "osm_line_edges",
    "osm_lines_frame",
]


FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


#: Two carriageways of one road lie at least this far apart (metres) and at most this far.
DUAL_MIN_M = 4.0
DUAL_MAX_M = 50.0
#: Headings of two carriageways differ by more than ~150° (cosine below this).
DUAL_OPPOSITE_COS = -0.85
#: The offset to the other carriageway is roughly square to the road (|cosine| below this).
DUAL_SQUARE_COS = 0.5
#: Positions along a line (fractions) where a dual-carriageway partner is looked for.
DUAL_PROBES = (0.25, 0.5, 0.75)

_ONE_WAY_JUNCTIONS = ROUNDABOUT | {"approach"}


@dataclass(frozen=True)
class LineDirections:
    """Per line: 1 one-way as drawn, -1 one-way against, 0 two-way; and divided-road flags."""

    direction: IntArray
    divided: BoolArray
    inferred: bool


def osm_lines_frame(path: Path) -> gpd.GeoDataFrame:
    """The drivable road lines of a GIS file, in EPSG:27700, one single line per row.

    Raises
    ------
    NetworkError
        For an unreadable file, one without a ``highway`` field or a coordinate system, or one
        with no drivable road.

    """
    import pyogrio  # noqa: PLC0415 (lazy: pyogrio is slow to import)
    import shapely  # noqa: PLC0415 (lazy: shapely is slow to import)

    check_road_file(path)
    try:
        frame = pyogrio.read_dataframe(path)
    except Exception as exc:  # pyogrio raises DataSourceError and others for a bad file
        msg = f"{path}: not a readable GeoPackage, shapefile or GeoJSON of road lines ({exc})"
        raise NetworkError(msg) from None
    if "highway" not in frame.columns:
        msg = (
            f"{path}: no 'highway' field (expected OpenStreetMap road lines with highway, ref, "
            f"name, maxspeed; fields found: {', '.join(map(str, frame.columns[:12]))})"
        )
        raise NetworkError(msg)
    if frame.crs is None:
        raise NetworkError(f"{path}: the file has no coordinate reference system")
    if frame.crs.to_epsg() != 27700:
        frame = frame.to_crs("EPSG:27700")
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    frame = frame.explode(index_parts=False)
    frame = frame[shapely.get_type_id(frame.geometry.to_numpy()) == 1]  # LineString
    keep = frame["highway"].isin(list(DRIVABLE_HIGHWAYS)).to_numpy()
    for field in ("access", "motor_vehicle", "motorcar"):
        if field in frame.columns:
            keep &= ~frame[field].isin(list(NO_ACCESS)).to_numpy()
    if "area" in frame.columns:
        keep &= (frame["area"] != "yes").to_numpy()
    frame = frame[keep]
    if frame.empty:
        raise no_roads_error(path, "no line with a drivable highway value")
    return frame.reset_index(drop=True)


def _text(frame: gpd.GeoDataFrame, field: str) -> npt.NDArray[np.str_]:
    if field not in frame.columns:
        return np.full(len(frame), "", dtype=object)
    out: npt.NDArray[np.str_] = frame[field].fillna("").astype(str).to_numpy()
    return out


def _headings(geoms: npt.NDArray[np.object_], at_m: FloatArray) -> FloatArray:
    """Unit direction of each line at a distance along it (over ±10 m, or a quarter line)."""
    import shapely  # noqa: PLC0415 (lazy: shapely is slow to import)

    length = shapely.length(geoms)
    half = np.minimum(10.0, length * 0.25)
    ahead = shapely.line_interpolate_point(geoms, np.clip(at_m + half, 0.0, length))
    behind = shapely.line_interpolate_point(geoms, np.clip(at_m - half, 0.0, length))
    vector = shapely.get_coordinates(ahead) - shapely.get_coordinates(behind)
    norm = np.maximum(np.linalg.norm(vector, axis=1, keepdims=True), 1e-9)
    out: FloatArray = vector / norm
    return out


def divided_carriageways(frame: gpd.GeoDataFrame) -> BoolArray:
    """Lines that are one carriageway of a dual road (a partner of the same road beside them).

    A partner has the same ``ref`` (else ``name``), lies 4-50 m away square to the line, runs
    the opposite way and is on the line's right (traffic drives on the left), at a quarter,
    half or three quarters of the line's length.
    """
    import shapely  # noqa: PLC0415 (lazy: shapely is slow to import)

    geoms = frame.geometry.to_numpy()
    ref, name = _text(frame, "ref"), _text(frame, "name")
    key = np.where(ref != "", ref, name)
    tree = shapely.STRtree(geoms)
    length = shapely.length(geoms)
    found = np.zeros(len(frame), dtype=bool)
    for fraction in DUAL_PROBES:
        probe = shapely.line_interpolate_point(geoms, length * fraction)
        heading = _headings(geoms, length * fraction)
        left, right = tree.query(probe, predicate="dwithin", distance=DUAL_MAX_M)
        same = (left != right) & (key[left] == key[right]) & (key[left] != "")
        left, right = left[same], right[same]
        along = shapely.line_locate_point(geoms[right], probe[left])
        offset = shapely.get_coordinates(
            shapely.line_interpolate_point(geoms[right], along)
        ) - shapely.get_coordinates(probe[left])
        distance = np.linalg.norm(offset, axis=1)
        unit = offset / np.maximum(distance[:, None], 1e-9)
        own = heading[left]
        opposite = (own * _headings(geoms[right], along)).sum(axis=1) < DUAL_OPPOSITE_COS
        square = np.abs((unit * own).sum(axis=1)) < DUAL_SQUARE_COS
        on_right = own[:, 0] * offset[:, 1] - own[:, 1] * offset[:, 0] < 0
        good = opposite & square & on_right & (distance >= DUAL_MIN_M)
        found[left[good]] = True
    return found


def _end_nodes(geoms: npt.NDArray[np.object_]) -> tuple[IntArray, IntArray]:
    """Start and end vertex ids of each line (identical coordinates share an id)."""
    import shapely  # noqa: PLC0415 (lazy: shapely is slow to import)

    ends = np.vstack(
        [
            shapely.get_coordinates(shapely.get_point(geoms, 0)),
            shapely.get_coordinates(shapely.get_point(geoms, -1)),
        ]
    )
    _, ids = np.unique(ends, axis=0, return_inverse=True)
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    return ids[: len(geoms)], ids[len(geoms) :]


def _one_way_links(
    link: BoolArray, carriageway: BoolArray, direction: IntArray, ends: tuple[IntArray, IntArray]
) -> IntArray:
    """Slip roads joined to a one-way carriageway, or to such a slip road, become one-way."""
    start, end = ends
    out = direction.copy()
    one_way = carriageway.copy()
    while True:
        touching = np.union1d(start[one_way], end[one_way])
        new = link & ~one_way & (np.isin(start, touching) | np.isin(end, touching))
        if not new.any():
            return out
        out[new] = 1
        one_way |= new


def line_directions(frame: gpd.GeoDataFrame) -> LineDirections:
    """One-way and divided-road flags per line: from ``oneway`` where present, else inferred."""
    highway = _text(frame, "highway")
    junction = _text(frame, "junction")
    roundabout = np.isin(junction, list(ROUNDABOUT))
    implied = (highway == "motorway") | np.isin(junction, list(_ONE_WAY_JUNCTIONS))
    if "oneway" in frame.columns:
        tag = np.char.lower(_text(frame, "oneway").astype(str))
        direction = np.where(
            np.isin(tag, list(ONEWAY_YES)),
            1,
            np.where(np.isin(tag, list(ONEWAY_REVERSE)), -1, np.where(tag == "no", 0, implied)),
        ).astype(np.int64)
        link = np.char.endswith(highway.astype(str), "_link")
        divided = (direction != 0) & ~roundabout & ~link
        return LineDirections(direction=direction, divided=divided, inferred=False)
    link = np.char.endswith(highway.astype(str), "_link")
    dual = divided_carriageways(frame)
    direction = (implied | dual).astype(np.int64)
    divided = (dual | (highway == "motorway")) & ~roundabout & ~link
    ends = _end_nodes(frame.geometry.to_numpy())
    direction = _one_way_links(link, divided | (link & dual), direction, ends)
    return LineDirections(direction=direction, divided=divided, inferred=True)


def osm_line_edges(frame: gpd.GeoDataFrame, directions: LineDirections | None = None) -> EdgeList:
    """Split road lines where they share a vertex and return the pieces as edges.

    ``directions`` defaults to :func:`line_directions` of the frame. Each edge has the line's
    class, ``ref`` (else ``name``), a speed cap from its ``maxspeed`` (and ``junction``), and
    its length along the line.
    """
    import shapely  # noqa: PLC0415 (lazy: shapely is slow to import)

    directions = directions if directions is not None else line_directions(frame)
    geoms = frame.geometry.to_numpy()
    coords, line = shapely.get_coordinates(geoms, return_index=True)
    vertex_xy, vertex = np.unique(coords, axis=0, return_inverse=True)
    vertex = np.asarray(vertex, dtype=np.int64).reshape(-1)
    line = np.asarray(line, dtype=np.int64)
    first = np.r_[True, line[1:] != line[:-1]]
    last = np.r_[line[1:] != line[:-1], True]
    # a vertex splits a line where it ends one, or where two or more lines pass through it
    pairs = np.unique(np.column_stack([vertex, line]), axis=0)
    lines_through = np.bincount(pairs[:, 0], minlength=len(vertex_xy))
    split = first | last | (lines_through[vertex] >= 2)
    step = np.r_[0.0, np.hypot(*np.diff(coords, axis=0).T)]
    step[first] = 0.0
    along = np.cumsum(step)
    cut = np.flatnonzero(split)
    same_line = line[cut[:-1]] == line[cut[1:]]
    a, b = cut[:-1][same_line], cut[1:][same_line]
    piece_line = line[a]
    src, dst = vertex[a], vertex[b]
    reverse = directions.direction[piece_line] < 0
    src, dst = np.where(reverse, dst, src), np.where(reverse, src, dst)
    highway = _text(frame, "highway")
    ref, name = _text(frame, "ref"), _text(frame, "name")
    label = np.where(ref != "", ref, name)
    junction = _text(frame, "junction")
    speed = _text(frame, "maxspeed")
    caps = np.array(
        [
            edge_cap_kph(str(h), parse_maxspeed(str(m) or None), roundabout=j in ROUNDABOUT)
            for h, m, j in zip(highway, speed, junction, strict=True)
        ]
    )
    used, node = np.unique(np.concatenate([src, dst]), return_inverse=True)
    node = np.asarray(node, dtype=np.int64).reshape(-1)
    return EdgeList(
        x=vertex_xy[used, 0].astype(np.float64),
        y=vertex_xy[used, 1].astype(np.float64),
        src=node[: len(src)],
        dst=node[len(src) :],
        metres=along[b] - along[a],
        road_class=[str(h) for h in highway[piece_line]],
        names=[str(v) for v in label[piece_line]],
        two_way=directions.direction[piece_line] == 0,
        cap_kph=caps[piece_line],
        divided=directions.divided[piece_line],
        line=piece_line,
    )

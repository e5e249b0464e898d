"""Cambridgeshire's real major roads (OpenStreetMap) as part of the embedded network.

The file (``roads/cambs_major_roads_osm.gpkg``: motorway, trunk, primary and their links, with
``ref``, ``name``, ``maxspeed``, ``junction``; no ``oneway`` field) is read with the same code as
a user's file of OSM lines (:mod:`siteopt.network.osm_lines`: lines split at shared vertices,
dual carriageways found and made one-way each way). Then, for the embedded network:

- **Area**: lines touching Cambridgeshire's force area grown by :data:`REAL_ROADS_BUFFER_M`.
  The file also covers Bedford and Biggleswade (its clip box reaches into Bedfordshire); those
  roads stay out of the network, so that each county has one kind of data, and they are the
  Bedfordshire hold-out of the validation (:mod:`geodata.network_validation`).
- **Strategic roads** (lines of an SRN road number with motorway/trunk class, and their slip
  roads) are dropped: the National Highways junction graph stays the one model of the SRN in all
  three counties. Where a kept road met a dropped one, it is joined to the nearest SRN junction.
- **Missing limits** (a tenth of the lines): 30 mph inside an urban LSOA, else the national
  limit (70 mph on a dual carriageway, 60 mph otherwise); slip roads keep their class speed.
- **Gaps**: the file holds major roads only, so where two meet through a minor road or a small
  roundabout that is not in it, their ends do not touch. A road end is joined to another road
  end within :data:`GAP_END_M`, or to any road node within :data:`GAP_NODE_M`.
- **Where the mesh may join**: road ends and nodes not on a one-way carriageway of a dual road
  (junctions, roundabouts, single carriageways), never the middle of a dual carriageway, so that
  no route crosses a central reservation through the mesh.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from geodata import BuildError
from siteopt.network.osm_lines import LineDirections, line_directions, osm_line_edges
from siteopt.network.osm_lines import osm_lines_frame as read_lines_frame
from siteopt.network.readers import ROUNDABOUT
from siteopt.roadclasses import DEFAULT_SPEEDS_KPH, ROUNDABOUT_KPH

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

MAJOR_ROADS_GPKG = Path("roads") / "cambs_major_roads_osm.gpkg"

#: Real roads are used within this distance of Cambridgeshire's force area (metres).
REAL_ROADS_BUFFER_M = 2_000.0
#: A road end is joined to another road end this close (a minor junction not in the file).
GAP_END_M = 60.0
#: A road end is joined to any road node this close.
GAP_NODE_M = 20.0
#: A road that met a dropped strategic road is joined to an SRN junction this close.
SRN_JOIN_M = 1_500.0
#: Speed (km/h) of the short joins above: assumption, a turn at a junction.
JOIN_KPH = 30.0
#: Limits assumed where a trunk or primary line has no maxspeed (mph).
URBAN_LIMIT_MPH = 30.0
DUAL_LIMIT_MPH = 70.0
SINGLE_LIMIT_MPH = 60.0

MISSING_LIMIT_ASSUMPTION = (
    "trunk/primary lines without maxspeed: 30 mph inside an urban LSOA (street-lit), else the "
    "national limit (70 mph on a dual carriageway, 60 mph otherwise); slip roads keep their "
    "class speed"
)


@dataclass(frozen=True)
class MajorRoads:
    """The major-road lines of the file with their directions and filled-in limits."""

    lines: gpd.GeoDataFrame
    directions: LineDirections
    assumed_limit: BoolArray
    srn_line: BoolArray


@dataclass(frozen=True)
class RoadGraph:
    """Real-road nodes and directed edges ready to join the embedded network."""

    x: FloatArray
    y: FloatArray
    edges: pd.DataFrame  # src, dst, metres, road_class, road, cap_kph, kind, extra_s (local ids)
    attachable: BoolArray  # nodes where the mesh may join
    srn_touch: BoolArray  # nodes where a dropped SRN road met a kept one
    stats: dict[str, Any]


def _split_refs(ref: str) -> set[str]:
    return {r.strip() for r in ref.replace("/", ";").split(";") if r.strip()}


def major_roads(shared: Path, urban_shapes: gpd.GeoSeries, srn_roads: set[str]) -> MajorRoads:
    """Read the major-road file, infer directions and fill missing limits (see module doc)."""
    import shapely  # noqa: PLC0415 (lazy: shapely is slow to import)

    path = shared / MAJOR_ROADS_GPKG
    if not path.is_file():
        raise BuildError(f"{path}: major-road input file missing")
    lines = read_lines_frame(path)
    directions = line_directions(lines)
    missing = lines["maxspeed"].isna().to_numpy() & lines["highway"].isin(["trunk", "primary"])
    middle = shapely.line_interpolate_point(lines.geometry.to_numpy(), 0.5, normalized=True)
    urban = shapely.intersects(middle, shapely.union_all(urban_shapes.to_numpy()))
    limit = np.where(
        urban, URBAN_LIMIT_MPH, np.where(directions.divided, DUAL_LIMIT_MPH, SINGLE_LIMIT_MPH)
    )
    filled = lines["maxspeed"].to_numpy(dtype=object).copy()
    filled[missing] = [f"{v:g} mph" for v in limit[missing]]
    lines = lines.assign(maxspeed=filled)
    classes = lines["highway"].to_numpy(dtype=str)
    strategic = np.array(
        [bool(_split_refs(str(r or "")) & srn_roads) for r in lines["ref"]], dtype=bool
    ) & np.isin(classes, ["motorway", "trunk", "motorway_link", "trunk_link"])
    return MajorRoads(
        lines=lines,
        directions=directions,
        assumed_limit=np.asarray(missing, dtype=bool),
        srn_line=strategic,
    )


def _subset(directions: LineDirections, keep: BoolArray) -> LineDirections:
    return LineDirections(
        direction=directions.direction[keep],
        divided=directions.divided[keep],
        inferred=directions.inferred,
    )


def gap_joins(x: FloatArray, y: FloatArray, src: IntArray, dst: IntArray) -> list[tuple[int, int]]:
    """Node pairs (i < j) to join: road ends near road ends, and road ends near any node."""
    from scipy.spatial import cKDTree  # noqa: PLC0415 (lazy: scipy is slow to import)

    pairs = np.unique(np.sort(np.column_stack([src, dst]), axis=1), axis=0)
    degree = np.bincount(pairs.ravel(), minlength=len(x))
    tree = cKDTree(np.column_stack([x, y]))
    joined = set(map(tuple, pairs.tolist()))
    out: set[tuple[int, int]] = set()
    for i in np.flatnonzero(degree == 1):
        near_end = tree.query_ball_point([x[i], y[i]], GAP_END_M)
        near_any = tree.query_ball_point([x[i], y[i]], GAP_NODE_M)
        for j in sorted(set(near_any) | {k for k in near_end if degree[k] == 1}):
            pair = (min(int(i), j), max(int(i), j))
            if j != i and pair not in joined:
                out.add(pair)
    return sorted(out)


def _no_roads() -> RoadGraph:
    import pandas as pd  # noqa: PLC0415 (lazy: pandas is slow to import)

    columns = ["src", "dst", "metres", "road_class", "road", "cap_kph", "kind", "extra_s"]
    none = np.zeros(0)
    return RoadGraph(
        x=none,
        y=none,
        edges=pd.DataFrame(columns=columns),
        attachable=none.astype(bool),
        srn_touch=none.astype(bool),
        stats={"lines_used": 0},
    )


def _both_ways(values: list[str], two_way: BoolArray) -> list[str]:
    return values + [v for v, t in zip(values, two_way, strict=True) if t]


def road_graph(roads: MajorRoads, area: Any) -> RoadGraph:
    """Kept lines (in the area, not strategic) as a graph with joins and attachment points."""
    import pandas as pd  # noqa: PLC0415 (lazy: pandas is slow to import)
    import shapely  # noqa: PLC0415 (lazy: shapely is slow to import)

    geoms = roads.lines.geometry.to_numpy()
    in_area = shapely.intersects(geoms, area)
    keep = in_area & ~roads.srn_line
    if not keep.any():
        return _no_roads()
    edges = osm_line_edges(roads.lines[keep], _subset(roads.directions, keep))
    x, y = edges.x, edges.y
    gaps = gap_joins(x, y, edges.src, edges.dst)
    junction = roads.lines["junction"].fillna("").to_numpy()[keep]
    assert edges.line is not None
    ring = np.isin(junction[edges.line], list(ROUNDABOUT))
    a = np.array([p[0] for p in gaps], dtype=np.int64)
    b = np.array([p[1] for p in gaps], dtype=np.int64)
    gap_m = np.hypot(x[a] - x[b], y[a] - y[b])
    road_edges = pd.DataFrame(
        {
            "src": np.concatenate([edges.src, edges.dst[edges.two_way]]),
            "dst": np.concatenate([edges.dst, edges.src[edges.two_way]]),
            "metres": np.concatenate([edges.metres, edges.metres[edges.two_way]]),
            "road_class": _both_ways(edges.road_class, edges.two_way),
            "road": _both_ways(edges.names, edges.two_way),
            "cap_kph": np.concatenate([edges.cap_kph, edges.cap_kph[edges.two_way]]),
            "kind": "road",
            "ring": np.concatenate([ring, ring[edges.two_way]]),
        }
    )
    joins = pd.DataFrame(
        {
            "src": np.concatenate([a, b]),
            "dst": np.concatenate([b, a]),
            "metres": np.concatenate([gap_m, gap_m]),
            "road_class": "primary_link",
            "road": "",
            "cap_kph": JOIN_KPH,
            "kind": "road_join",
            "ring": False,
        }
    )
    divided_node = np.zeros(len(x), dtype=bool)
    divided_node[edges.src[edges.divided_edges]] = True
    divided_node[edges.dst[edges.divided_edges]] = True
    pairs = np.unique(np.sort(np.column_stack([edges.src, edges.dst]), axis=1), axis=0)
    degree = np.bincount(pairs.ravel(), minlength=len(x))
    dropped = roads.lines.geometry.to_numpy()[in_area & roads.srn_line]
    srn_xy = {tuple(p) for p in shapely.get_coordinates(dropped).tolist()}
    touch = np.array([(float(px), float(py)) in srn_xy for px, py in zip(x, y, strict=True)])
    collapsed = collapse_roundabouts(x, y, pd.concat([road_edges, joins], ignore_index=True))
    new = collapsed.new_id
    attachable = np.zeros(len(collapsed.x), dtype=bool)
    np.logical_or.at(attachable, new, (~divided_node) | (degree == 1))
    srn_touch = np.zeros(len(collapsed.x), dtype=bool)
    np.logical_or.at(srn_touch, new, touch)
    stats = {
        "lines_in_area": int(in_area.sum()),
        "strategic_lines_dropped": int((in_area & roads.srn_line).sum()),
        "lines_used": int(keep.sum()),
        "lines_with_assumed_limit": int((keep & roads.assumed_limit).sum()),
        "one_way_lines": int((roads.directions.direction[keep] != 0).sum()),
        "dual_carriageway_lines": int(roads.directions.divided[keep].sum()),
        "nodes": len(collapsed.x),
        "gap_joins": len(gaps),
        "roundabouts_collapsed": collapsed.roundabouts,
    }
    return RoadGraph(
        x=collapsed.x,
        y=collapsed.y,
        edges=collapsed.edges,
        attachable=attachable,
        srn_touch=srn_touch,
        stats=stats,
    )


@dataclass(frozen=True)
class Collapsed:
    """Road nodes and edges once each roundabout is one node."""

    x: FloatArray
    y: FloatArray
    edges: pd.DataFrame  # with extra_s: the roundabout's traverse time on edges entering it
    new_id: IntArray  # old node → new node
    roundabouts: int


def collapse_roundabouts(x: FloatArray, y: FloatArray, edges: pd.DataFrame) -> Collapsed:
    """Merge the nodes of each roundabout (edges flagged ``ring``) into one junction node.

    The ring's edges go; every edge entering the roundabout pays half its ring at
    :data:`~siteopt.roadclasses.ROUNDABOUT_KPH` (the average way round from entry to exit), as
    strategic models represent junctions. U-turns stay possible, as on the real roundabout.
    """
    from scipy.sparse import coo_matrix  # noqa: PLC0415 (lazy: scipy is slow to import)
    from scipy.sparse.csgraph import connected_components  # noqa: PLC0415 (lazy: scipy is slow to import)

    ring = edges["ring"].to_numpy(bool)
    src, dst = edges["src"].to_numpy(np.int64), edges["dst"].to_numpy(np.int64)
    graph = coo_matrix((np.ones(int(ring.sum())), (src[ring], dst[ring])), shape=(len(x),) * 2)
    _, label = connected_components(graph, directed=False)
    _, new_id = np.unique(label, return_inverse=True)
    new_id = np.asarray(new_id, dtype=np.int64).reshape(-1)
    n_new = int(new_id.max()) + 1
    size = np.bincount(new_id, minlength=n_new)
    ring_m = np.bincount(
        new_id[src[ring]], weights=edges["metres"].to_numpy()[ring], minlength=n_new
    )
    delay = np.where(size > 1, ring_m / 2.0 / (ROUNDABOUT_KPH / 3.6), 0.0)
    s, d = new_id[src], new_id[dst]
    keep = ~ring & (s != d)
    out = edges[keep].drop(columns="ring").assign(src=s[keep], dst=d[keep], extra_s=delay[d[keep]])
    return Collapsed(
        x=np.bincount(new_id, weights=x, minlength=n_new) / size,
        y=np.bincount(new_id, weights=y, minlength=n_new) / size,
        edges=out.reset_index(drop=True),
        new_id=new_id,
        roundabouts=int((size > 1).sum()),
    )


def _merged_cap(rows: list[dict[str, Any]]) -> tuple[float, float]:
    """Length and speed cap of a chain of edges of one class: the same total time."""
    top = DEFAULT_SPEEDS_KPH[rows[0]["road_class"]]
    metres = sum(r["metres"] for r in rows)
    hours = sum(r["metres"] / min(top, r["cap_kph"]) for r in rows)
    cap = metres / hours if hours > 0 else math.inf
    return metres, (math.inf if cap >= top - 1e-9 else cap)


def contract_chains(fixed: pd.DataFrame, removable: BoolArray) -> tuple[pd.DataFrame, BoolArray]:
    """Merge road edges through pass-through nodes (same road and class on both sides).

    A removable node with one edge in and one out (one-way), or two each way with the same two
    neighbours (two-way), and no other link, is bypassed: the merged edge keeps the length and
    the travel time at the class speed (:func:`_merged_cap`). Returns the new edge table and the
    nodes that were bypassed.
    """
    import pandas as pd  # noqa: PLC0415 (lazy: pandas is slow to import)

    rows: list[dict[str, Any]] = [
        {str(k): v for k, v in r.items()} for r in fixed.to_dict("records")
    ]
    alive = [True] * len(rows)
    out_of: dict[int, set[int]] = {}
    into: dict[int, set[int]] = {}
    for e, r in enumerate(rows):
        out_of.setdefault(int(r["src"]), set()).add(e)
        into.setdefault(int(r["dst"]), set()).add(e)
    gone = np.zeros(len(removable), dtype=bool)
    for v in np.flatnonzero(removable):
        ins, outs = sorted(into.get(int(v), set())), sorted(out_of.get(int(v), set()))
        if len(ins) != len(outs) or len(ins) not in {1, 2}:
            continue
        edges = [rows[e] for e in ins + outs]
        if (
            any(r["kind"] != "road" for r in edges)
            or len({(r["road_class"], r["road"]) for r in edges}) != 1
        ):
            continue
        through = _pass_through(rows, ins, outs)
        if through is None:
            continue
        for e_in, e_out in through:
            a, b = rows[e_in], rows[e_out]
            metres, cap = _merged_cap([a, b])
            extra = a["extra_s"] + b["extra_s"]
            rows.append({**a, "dst": b["dst"], "metres": metres, "cap_kph": cap, "extra_s": extra})
            alive.append(True)
            new = len(rows) - 1
            out_of[int(a["src"])].add(new)
            into[int(b["dst"])].add(new)
        for e in ins + outs:
            alive[e] = False
            out_of[int(rows[e]["src"])].discard(e)
            into[int(rows[e]["dst"])].discard(e)
        gone[v] = True
    kept = pd.DataFrame([r for r, a in zip(rows, alive, strict=True) if a], columns=fixed.columns)
    return kept, gone


def _pass_through(
    rows: list[dict[str, Any]], ins: list[int], outs: list[int]
) -> list[tuple[int, int]] | None:
    """Pairs (in edge, out edge) to merge at a node, or None if it is not a pass-through."""
    if len(ins) == 1:
        u, w = int(rows[ins[0]]["src"]), int(rows[outs[0]]["dst"])
        return None if u == w else [(ins[0], outs[0])]
    sources = [int(rows[e]["src"]) for e in ins]
    targets = [int(rows[e]["dst"]) for e in outs]
    if len(set(sources)) != 2 or set(sources) != set(targets):
        return None
    return [
        (e_in, next(e for e in outs if int(rows[e]["dst"]) != int(rows[e_in]["src"])))
        for e_in in ins
    ]

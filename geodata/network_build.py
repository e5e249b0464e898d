"""Build the embedded BCH road network: strategic network + local mesh, calibrated on Cambridge.

Called by ``python -m geodata.build``; ``python -m geodata.network_build`` only prints the
calibration of the network it would build from the committed dataset (nothing is written).

The network (``docs/network.md`` explains it at length):

1. **Strategic Road Network (SRN)**: National Highways' directed junction-to-junction graph
   (junction clusters as nodes) within 20 km of the three forces. Motorway link lengths are the
   OS Open Roads motorway geometry between the two junctions where it matches; elsewhere the
   straight line times a detour factor per class: motorway from the matched OS geometry, other
   SRN (trunk A roads) from the DfT count-point link lengths of Cambridgeshire and Peterborough.
   These factors apply to the whole region alike.
2. **Local mesh**: each LSOA demand point joined both ways to the points of the LSOAs whose
   polygons share an edge with its own, at ``detour * straight line`` and the local speed
   (``local_urban`` where both LSOAs are urban by population density, else ``local_rural``)
   plus a fixed junction delay per link.
3. **Connectors**: every SRN junction in the region and every site joined both ways to its
   nearest local nodes the same way.

Calibration: inside Cambridge, fastest times and shortest distances between LSOA demand points
on the real OpenStreetMap drive graph are compared with those on this network. The mesh detour
is fitted on distances, then the urban speed and junction delay on times (grid search,
deterministic); the median and 90th-percentile absolute % errors are recorded.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from geodata import BCH_DIR, BuildError, default_shared
from geodata.network_calibration import (
    CAMBRIDGE_GRAPHML,
    calibrate,
    calibration_report,
    cambridge_pairs,
)
from geodata.network_mesh import (
    MeshFit,
    MeshParams,
    Skeleton,
    class_speeds,
    edge_table,
    network_of,
)
from geodata.network_roads import (
    JOIN_KPH,
    MAJOR_ROADS_GPKG,
    MISSING_LIMIT_ASSUMPTION,
    REAL_ROADS_BUFFER_M,
    SRN_JOIN_M,
    MajorRoads,
    RoadGraph,
    contract_chains,
    major_roads,
    road_graph,
)
from geodata.network_validation import (
    MIN_STRAIGHT_M,
    REAL_A_ROADS,
    STRATEGIC_MESH,
    MeshAccess,
    Validation,
    validate,
)
from siteopt.network.sources import CALIBRATION_FILE, EDGES_FILE, NODES_FILE
from siteopt.roadclasses import (
    DEFAULT_SPEEDS_KPH,
    LIMIT_SPEEDS_KPH,
    ROUNDABOUT_KPH,
    UNKNOWN_LIMIT_KPH,
    edge_cap_kph,
)

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from siteopt.network.graph import RoadNetwork

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Reference pairs of the calibration (LSOA codes, OSM seconds and metres), shipped so that a
#: test can measure the calibration error without the raw OSM graph.
PAIRS_FILE = "network_calibration_pairs.parquet"
#: Reference pairs of the out-of-sample validation (LSOA codes, county, area type, reference
#: seconds, share of the local ends), shipped so that a test can re-measure the errors.
VALIDATION_PAIRS_FILE = "network_validation_pairs.parquet"

SRN_CSV = Path("roads") / "SRN_region_graph.csv"
MOTORWAYS_FGB = Path("roads") / "gb_motorways_osopenroads.fgb"
DFT_CSV = Path("traffic") / "dft_count_points_bch.csv"

#: SRN links are kept when both junctions lie within this distance of the BCH forces.
SRN_BUFFER_M = 20_000.0
#: An SRN junction this close to an OS motorway node of the same road is matched to it.
OS_MATCH_M = 1_000.0
#: Matched OS lengths outside this range of the straight line are treated as mismatches.
OS_RATIO_RANGE = (0.98, 1.6)
#: Local nodes each SRN junction and each site is joined to.
CONNECTOR_K = 3
#: SRN junctions farther than this from every LSOA point are not joined to the mesh.
CONNECTOR_MAX_M = 5_000.0
#: Each LSOA point and site is joined to this many real-road nodes where the mesh may join...
ROAD_CONNECT_K = 1
#: ... when they are this close.
ROAD_CONNECT_MAX_M = 3_000.0
#: The force whose real major roads are in the embedded network.
REAL_ROADS_FORCE = "cambridgeshire"
#: Persons per km² from which an LSOA counts as urban (mesh class ``local_urban``).
URBAN_DENSITY = 1_500.0
#: A polygon shares an edge with another if the common boundary is at least this long.
MIN_SHARED_EDGE_M = 1.0
#: Points farther than this from every node of the embedded network are outside it.
MAX_SNAP_M = 5_000.0

RURAL_SPEED_ASSUMPTION = (
    "local_rural: 60 km/h between rural LSOA points (B and C roads through villages, national "
    "limit 60 mph); not measured here — Cambridge has no rural LSOA"
)


# ---------------------------------------------------------------------------------------------
# Strategic network


def _os_motorway_graphs(shared: Path, bounds: tuple[float, ...]) -> dict[str, Any]:
    """One undirected graph per motorway number from OS Open Roads lines, in EPSG:27700."""
    import geopandas as gpd  # noqa: PLC0415 (lazy: geopandas is slow to import)
    import networkx as nx  # noqa: PLC0415 (lazy: networkx is slow to import)
    import shapely  # noqa: PLC0415 (lazy: shapely is slow to import)

    lines = gpd.read_file(shared / MOTORWAYS_FGB).to_crs("EPSG:27700")
    lines = lines.cx[bounds[0] : bounds[2], bounds[1] : bounds[3]]
    graphs: dict[str, Any] = {}
    for number, group in lines.groupby("road_classification_number", sort=True):
        graph: nx.Graph[tuple[float, float]] = nx.Graph()
        geoms = group.geometry.to_numpy()
        starts, ends = shapely.get_point(geoms, 0), shapely.get_point(geoms, -1)
        for a, b, length in zip(starts, ends, shapely.length(geoms), strict=True):
            u = (round(a.x, 0), round(a.y, 0))
            v = (round(b.x, 0), round(b.y, 0))
            if u != v and (not graph.has_edge(u, v) or graph[u][v]["w"] > length):
                graph.add_edge(u, v, w=float(length))
        graphs[str(number)] = graph
    return graphs


def _os_length(graph: Any, a: tuple[float, float], b: tuple[float, float]) -> float | None:
    """Length along the OS motorway graph between the nodes nearest two junctions."""
    import networkx as nx  # noqa: PLC0415 (lazy: networkx is slow to import)

    nodes = np.array(list(graph.nodes))
    if len(nodes) == 0:
        return None
    ia = int(np.argmin(np.hypot(nodes[:, 0] - a[0], nodes[:, 1] - a[1])))
    ib = int(np.argmin(np.hypot(nodes[:, 0] - b[0], nodes[:, 1] - b[1])))
    if math.dist(nodes[ia], a) > OS_MATCH_M or math.dist(nodes[ib], b) > OS_MATCH_M or ia == ib:
        return None
    try:
        length = nx.dijkstra_path_length(graph, tuple(nodes[ia]), tuple(nodes[ib]), weight="w")
    except nx.NetworkXNoPath:
        return None
    return float(length)


def _is_motorway(road: str) -> bool:
    return road.startswith("M") or road.endswith("(M)")


def dft_detour_factors(shared: Path) -> dict[str, Any]:
    """Road length over straight line between neighbouring DfT count points on one road.

    Count points sit on their link; the road between two neighbouring points (joined by the
    road's minimum spanning tree) is taken as the mean of their two link lengths.
    """
    import pandas as pd  # noqa: PLC0415 (lazy: pandas is slow to import)
    from scipy.sparse.csgraph import minimum_spanning_tree  # noqa: PLC0415 (lazy: scipy is slow to import)
    from scipy.spatial.distance import pdist, squareform  # noqa: PLC0415 (lazy: scipy is slow to import)

    counts = pd.read_csv(shared / DFT_CSV)
    counts = counts[counts["link_length_km"].notna()].sort_values("count_point_id")
    ratios: dict[str, list[float]] = {"motorway": [], "a_road": []}
    for road, group in counts.groupby("road_name", sort=True):
        if len(group) < 3:
            continue
        xy = group[["easting", "northing"]].to_numpy(float)
        lengths = group["link_length_km"].to_numpy(float) * 1000.0
        dist = squareform(pdist(xy))
        tree = minimum_spanning_tree(dist).tocoo()
        kind = "motorway" if _is_motorway(str(road)) else "a_road"
        if not str(road).startswith(("A", "M")):
            continue
        for i, j, d in zip(tree.row, tree.col, tree.data, strict=True):
            if d > 500.0:
                ratios[kind].append(float((lengths[i] + lengths[j]) / 2.0 / d))
    return {
        kind: {
            "pairs": len(values),
            "median": round(float(np.median(values)), 3) if values else None,
        }
        for kind, values in ratios.items()
    }


def strategic_links(shared: Path, region: Any) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """SRN junction nodes and directed links near the region, with lengths and classes."""
    import pandas as pd  # noqa: PLC0415 (lazy: pandas is slow to import)
    import shapely  # noqa: PLC0415 (lazy: shapely is slow to import)

    srn = pd.read_csv(shared / SRN_CSV)
    zone = region.buffer(SRN_BUFFER_M)
    inside = shapely.contains_xy(zone, srn["StartClusterX"], srn["StartClusterY"]) & (
        shapely.contains_xy(zone, srn["EndClusterX"], srn["EndClusterY"])
    )
    links = srn[inside & (srn["StartCluster"] != srn["EndCluster"])].copy()
    # The source repository added a few links of its own (road "mine") to connect its graph: the
    # A14 Cambridge-Newmarket stretch is real SRN; "bedford link" (A6 to M1 J12) is not a trunk
    # road, so it is dropped (the local mesh joins Bedford to the M1 instead).
    links.loc[links["LinkRef"] == "A14_new", "road"] = "A14"
    links = links[links["road"] != "mine"]
    links = links.sort_values("LinkRef").reset_index(drop=True)
    graphs = _os_motorway_graphs(shared, zone.bounds)
    straight = np.hypot(links["EndX"] - links["StartX"], links["EndY"] - links["StartY"])
    links["straight_m"] = straight.to_numpy()
    os_len: list[float | None] = []
    for row in links.itertuples():
        road = str(row.road)
        graph = graphs.get(road)
        length = None
        if graph is not None:
            length = _os_length(graph, (row.StartX, row.StartY), (row.EndX, row.EndY))
            ratio = length / row.straight_m if length and row.straight_m > 0 else None
            if ratio is None or not OS_RATIO_RANGE[0] <= ratio <= OS_RATIO_RANGE[1]:
                length = None
        os_len.append(length)
    links["os_m"] = os_len
    motorway = links["road"].map(lambda r: _is_motorway(str(r)))
    matched = links["os_m"].notna()
    os_ratio = (links.loc[matched, "os_m"] / links.loc[matched, "straight_m"]).to_numpy(float)
    dft = dft_detour_factors(shared)
    factor_motorway = round(float(np.median(os_ratio)), 3)
    factor_trunk = float(dft["a_road"]["median"])
    links["road_class"] = np.where(motorway, "motorway", "trunk")
    links["metres"] = np.where(
        matched,
        links["os_m"].fillna(0.0),
        links["straight_m"] * np.where(motorway, factor_motorway, factor_trunk),
    )
    junctions = pd.concat(
        [
            links[["StartCluster", "StartClusterX", "StartClusterY"]].set_axis(
                ["cluster", "x", "y"], axis=1
            ),
            links[["EndCluster", "EndClusterX", "EndClusterY"]].set_axis(
                ["cluster", "x", "y"], axis=1
            ),
        ]
    ).drop_duplicates("cluster")
    junctions = junctions.sort_values("cluster").reset_index(drop=True)
    factors = {
        "motorway_os_geometry": {
            "links_matched": int(matched.sum()),
            "motorway_links": int(motorway.sum()),
            "median_ratio": factor_motorway,
            "used_for": "motorway links with no matching OS geometry (e.g. A1(M))",
        },
        "trunk_dft": {
            **dft["a_road"],
            "used_for": "SRN A-road links (straight line between junctions times this)",
        },
        "motorway_dft_check": dft["motorway"],
    }
    return junctions, links, factors


# ---------------------------------------------------------------------------------------------
# Local mesh and skeleton


def lsoa_adjacency(shapes: gpd.GeoDataFrame) -> list[tuple[int, int]]:
    """Pairs (i < j) of LSOA rows whose polygons share an edge of positive length."""
    import shapely  # noqa: PLC0415 (lazy: shapely is slow to import)

    geoms = shapes.geometry.to_numpy()
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    shared = shapely.intersection(shapely.boundary(geoms[left]), shapely.boundary(geoms[right]))
    long_enough = shapely.length(shared) >= MIN_SHARED_EDGE_M
    return [(int(a), int(b)) for a, b in zip(left[long_enough], right[long_enough], strict=True)]


def _area_types(
    urban_lsoa: BoolArray, shapes: gpd.GeoDataFrame, sites: pd.DataFrame
) -> tuple[list[str], list[str]]:
    """``urban``/``rural`` of each LSOA, and of each site (the LSOA it stands in, else nearest)."""
    import shapely  # noqa: PLC0415 (lazy: shapely is slow to import)

    geoms = shapes.geometry.to_numpy()
    points = shapely.points(sites["x"].to_numpy(float), sites["y"].to_numpy(float))
    tree = shapely.STRtree(geoms)
    site_lsoa = tree.nearest(points)
    kinds = np.where(urban_lsoa, "urban", "rural")
    return kinds.tolist(), kinds[site_lsoa].tolist()


def _nearest_pairs(
    from_xy: FloatArray, to_xy: FloatArray, k: int, max_m: float
) -> list[tuple[int, int]]:
    """(from index, to index) of the ``k`` nearest ``to`` points of each ``from`` point."""
    from scipy.spatial import cKDTree  # noqa: PLC0415 (lazy: scipy is slow to import)

    if len(to_xy) == 0 or len(from_xy) == 0:
        return []
    dist, idx = cKDTree(to_xy).query(from_xy, k=min(k, len(to_xy)))
    dist, idx = dist.reshape(len(from_xy), -1), idx.reshape(len(from_xy), -1)
    return [
        (i, int(idx[i, j]))
        for i in range(len(from_xy))
        for j in range(idx.shape[1])
        if dist[i, j] <= max_m
    ]


def _srn_joins(graph: RoadGraph, junction_xy: FloatArray) -> tuple[IntArray, IntArray, FloatArray]:
    """Road nodes where a dropped SRN road met a kept one → nearest SRN junction (both ways)."""
    touch = np.flatnonzero(graph.srn_touch)
    pairs = _nearest_pairs(np.column_stack([graph.x, graph.y])[touch], junction_xy, 1, SRN_JOIN_M)
    road = np.array([touch[i] for i, _ in pairs], dtype=np.int64)
    junction = np.array([j for _, j in pairs], dtype=np.int64)
    metres = np.hypot(
        graph.x[road] - junction_xy[junction, 0], graph.y[road] - junction_xy[junction, 1]
    )
    return road, junction, metres


def skeleton(
    shared: Path,
    shapes: gpd.GeoDataFrame,
    lsoas: pd.DataFrame,
    sites: pd.DataFrame,
    *,
    roads: MajorRoads | None = None,
    real_roads: bool = True,
) -> Skeleton:
    """Nodes, fixed links (SRN, real roads) and unparametrised local links of the network.

    ``real_roads=False`` leaves Cambridgeshire's real major roads out (the strategic network +
    mesh that Bedfordshire and Hertfordshire have; the validation's counterfactual).
    """
    import pandas as pd  # noqa: PLC0415 (lazy: pandas is slow to import)
    import shapely  # noqa: PLC0415 (lazy: shapely is slow to import)

    shapes = shapes.set_index("lsoa11cd").loc[lsoas["lsoa11cd"]].reset_index()
    region = shapely.union_all(shapes.geometry.to_numpy())
    junctions, links, factors = strategic_links(shared, region)
    density = lsoas["pop_mid2015"].to_numpy(float) / (shapes.geometry.area.to_numpy() / 1e6)
    urban_lsoa = density >= URBAN_DENSITY
    if roads is None:
        roads = major_roads(shared, shapes.geometry[urban_lsoa], set(links["road"].astype(str)))
    cambs = lsoas["force"].to_numpy() == REAL_ROADS_FORCE
    area = shapely.union_all(shapes.geometry.to_numpy()[cambs]).buffer(REAL_ROADS_BUFFER_M)
    graph = road_graph(roads, area if real_roads else shapely.Polygon())

    n_lsoa, n_srn, n_site = len(lsoas), len(junctions), len(sites)
    first_road = n_lsoa + n_srn + n_site
    nodes = pd.concat(
        [
            pd.DataFrame(
                {"kind": "lsoa", "ref": lsoas["lsoa11cd"], "x": lsoas["x"], "y": lsoas["y"]}
            ),
            pd.DataFrame(
                {
                    "kind": "srn",
                    "ref": junctions["cluster"].astype(str),
                    "x": junctions["x"],
                    "y": junctions["y"],
                }
            ),
            pd.DataFrame({"kind": "site", "ref": sites["id"], "x": sites["x"], "y": sites["y"]}),
            pd.DataFrame({"kind": "road", "ref": "", "x": graph.x, "y": graph.y}),
        ],
        ignore_index=True,
    )
    nodes.insert(0, "node", np.arange(len(nodes)))
    nodes["x"] = nodes["x"].astype(float).round(1)
    nodes["y"] = nodes["y"].astype(float).round(1)
    lsoa_types, site_types = _area_types(urban_lsoa, shapes, sites)
    nodes["area_type"] = [*lsoa_types, *[""] * n_srn, *site_types, *[""] * len(graph.x)]
    cluster_node = dict(zip(junctions["cluster"], n_lsoa + np.arange(n_srn), strict=True))
    srn = pd.DataFrame(
        {
            "src": links["StartCluster"].map(cluster_node).to_numpy(),
            "dst": links["EndCluster"].map(cluster_node).to_numpy(),
            "metres": links["metres"].round(1).to_numpy(),
            "road_class": links["road_class"].to_numpy(),
            "road": links["road"].astype(str).to_numpy(),
            "cap_kph": [edge_cap_kph(c, math.inf) for c in links["road_class"]],
            "kind": "srn",
            "extra_s": 0.0,
        }
    )
    junction_xy = junctions[["x", "y"]].to_numpy(float)
    road, junction, join_m = _srn_joins(graph, junction_xy)
    srn_joins = pd.DataFrame(
        {
            "src": np.concatenate([road + first_road, junction + n_lsoa]),
            "dst": np.concatenate([junction + n_lsoa, road + first_road]),
            "metres": np.concatenate([join_m, join_m]).round(1),
            "road_class": "trunk_link",
            "road": "",
            "cap_kph": JOIN_KPH,
            "kind": "srn_join",
            "extra_s": 0.0,
        }
    )
    real = graph.edges.assign(
        src=graph.edges["src"] + first_road,
        dst=graph.edges["dst"] + first_road,
        metres=graph.edges["metres"].round(1),
    )
    fixed = pd.concat([srn, real, srn_joins], ignore_index=True)

    xy = nodes[["x", "y"]].to_numpy(float)
    pairs: list[tuple[int, int, str]] = [(a, b, "mesh") for a, b in lsoa_adjacency(shapes)]
    in_region = shapely.contains_xy(region.buffer(2_000.0), xy[:, 0], xy[:, 1])
    pairs += _srn_site_connectors(xy, n_lsoa, n_srn, first_road, in_region)
    attach = first_road + np.flatnonzero(graph.attachable)
    pairs += [
        (i, int(attach[j]), "road_connector")
        for i, j in _nearest_pairs(xy[:first_road], xy[attach], ROAD_CONNECT_K, ROAD_CONNECT_MAX_M)
        if i < n_lsoa or i >= n_lsoa + n_srn
    ]
    a = np.array([p[0] for p in pairs])
    b = np.array([p[1] for p in pairs])
    urban_node = np.r_[urban_lsoa, np.ones(len(nodes) - n_lsoa, dtype=bool)]
    urban = urban_node[a] & urban_node[b]
    force = np.r_[lsoas["force"], [""] * n_srn, sites["force"], [""] * len(graph.x)]
    real_area = (force[a] != "") | (force[b] != "")
    for end in (a, b):
        real_area &= (force[end] == REAL_ROADS_FORCE) | (force[end] == "")
    real_area &= real_roads
    local = local_edges(pairs, xy, urban, real_area)
    road_node = (nodes["kind"] == "road").to_numpy()
    stranded = road_node & ~_in_main_part(len(nodes), fixed, local)
    removable = road_node & ~stranded
    removable[local["src"].to_numpy()] = False
    fixed, gone = contract_chains(fixed, removable)
    gone |= stranded
    fixed = fixed[~(stranded[fixed["src"]] | stranded[fixed["dst"]])]
    local = local[~(stranded[local["src"]] | stranded[local["dst"]])]
    new_id = np.cumsum(~gone) - 1
    nodes = nodes[~gone].assign(node=np.arange(int((~gone).sum())))
    fixed = fixed.assign(src=new_id[fixed["src"]], dst=new_id[fixed["dst"]])
    local = local.assign(src=new_id[local["src"]], dst=new_id[local["dst"]])
    factors["urban_lsoas"] = int(urban_lsoa.sum())
    factors["real_roads"] = {
        **graph.stats,
        "srn_joins": len(road),
        "pass_through_nodes_merged": int((gone & ~stranded).sum()),
        "stranded_nodes_dropped": int(stranded.sum()),
    }
    return Skeleton(
        nodes=nodes.reset_index(drop=True),
        fixed=fixed,
        local=local,
        factors=factors,
        roads=roads,
    )


def _in_main_part(n_nodes: int, fixed: pd.DataFrame, local: pd.DataFrame) -> BoolArray:
    """Nodes in the largest strongly connected part of the network's structure."""
    from scipy.sparse import coo_matrix  # noqa: PLC0415 (lazy: scipy is slow to import)
    from scipy.sparse.csgraph import connected_components  # noqa: PLC0415 (lazy: scipy is slow to import)

    src = np.concatenate([fixed["src"].to_numpy(np.int64), local["src"].to_numpy(np.int64)])
    dst = np.concatenate([fixed["dst"].to_numpy(np.int64), local["dst"].to_numpy(np.int64)])
    graph = coo_matrix((np.ones(len(src)), (src, dst)), shape=(n_nodes, n_nodes)).tocsr()
    _, labels = connected_components(graph, directed=True, connection="strong")
    out: BoolArray = labels == np.bincount(labels).argmax()
    return out


def _srn_site_connectors(
    xy: FloatArray, n_lsoa: int, n_srn: int, first_road: int, in_region: BoolArray
) -> list[tuple[int, int, str]]:
    """Each SRN junction in the region and each site joined to its nearest LSOA points."""
    out: list[tuple[int, int, str]] = []
    for k in range(n_lsoa, first_road):
        is_site = k >= n_lsoa + n_srn
        near = _nearest_pairs(xy[[k]], xy[:n_lsoa], CONNECTOR_K, math.inf)
        if not is_site:
            first = math.dist(xy[k], xy[near[0][1]])
            if not in_region[k] or first > CONNECTOR_MAX_M:
                continue
        out += [(j, k, "connector") for _, j in near]
    return out


def _kind_summary(validation: Validation, kind: str) -> str:
    """``urban a% (P90 b%, bias c%), rural ...`` of one data kind's validation errors."""
    return ", ".join(
        f"{d['area_type']} {d['median_abs_pct']:g}% (P90 {d['p90_abs_pct']:g}%, bias "
        f"{d['median_signed_pct']:+g}%)"
        for d in validation.error_model["distributions"]
        if d["data_kind"] == kind
    )


def _mesh_text(params: MeshParams) -> str:
    return (
        f"detour {params.detour:.2f}, urban {params.urban_kph:g} km/h, rural "
        f"{params.rural_kph:g} km/h (assumed), {params.delay_s:g} s per link"
    )


def provenance_text(fit: MeshFit, report: dict[str, Any], validation: Validation) -> str:
    """The note every report with a drive time carries: what the network is, how far to trust it."""
    err = report["time_error"]
    minutes = validation.error_model["reference_minutes_p5_p95"]
    return (
        "approximate: strategic network + local mesh, with Cambridgeshire's real A roads. "
        "National Highways Strategic Road Network junction graph (motorway lengths from OS Open "
        "Roads); in Cambridgeshire the real trunk and primary roads of OpenStreetMap at their "
        "speed limits; a mesh between neighbouring LSOA demand points "
        f"({_mesh_text(fit.real_roads)} in Cambridgeshire; {_mesh_text(fit.strategic)} "
        f"elsewhere; {fit.strategic.terminal_s:g} s at each trip end), fitted on the "
        f"OpenStreetMap drive graph of Cambridge ({report['pairs']} LSOA pairs: median absolute "
        f"error {err['median_abs_pct']:g}%, 90th percentile {err['p90_abs_pct']:g}%). Out of "
        "sample, against routes on the real major roads (trips over "
        f"{MIN_STRAIGHT_M / 1000:g} km, {minutes[0]:.0f}-{minutes[1]:.0f} min; median absolute "
        f"error): Cambridgeshire (real A roads) {_kind_summary(validation, REAL_A_ROADS)}; "
        "Bedfordshire and Hertfordshire (strategic roads + mesh, measured on Cambridgeshire "
        f"without its A roads and around Bedford) {_kind_summary(validation, STRATEGIC_MESH)} "
        "(a positive bias: too slow). Free-flow, no congestion."
    )


@dataclass(frozen=True)
class NetworkBuild:
    """Everything the dataset build writes for the network."""

    nodes: pd.DataFrame
    edges: pd.DataFrame
    pairs: pd.DataFrame
    validation_pairs: pd.DataFrame
    calibration: dict[str, Any]


def _strongly_connected(skel: Skeleton, network: RoadNetwork) -> BoolArray:
    """Nodes in the largest strongly connected part; fails if an LSOA or site is not."""
    from scipy.sparse.csgraph import connected_components  # noqa: PLC0415 (lazy: scipy is slow to import)

    _, labels = connected_components(network.graph, directed=True, connection="strong")
    main = labels == np.bincount(labels).argmax()
    kinds = skel.nodes["kind"].to_numpy()
    stranded = skel.nodes.loc[~main & np.isin(kinds, ["lsoa", "site"]), "ref"]
    if len(stranded):
        msg = f"embedded network: {len(stranded)} LSOA/site nodes not strongly connected: "
        raise BuildError(msg + ", ".join(stranded.head(5)))
    out: BoolArray = main
    return out


def _params_dict(params: MeshParams) -> dict[str, float]:
    return {
        "detour": params.detour,
        "local_urban_kph": params.urban_kph,
        "local_rural_kph": params.rural_kph,
        "junction_delay_s": params.delay_s,
        "terminal_s": params.terminal_s,
    }


def _lsoa_nodes(skel: Skeleton) -> IntArray:
    out: IntArray = skel.nodes.loc[skel.nodes["kind"] == "lsoa", "node"].to_numpy(np.int64)
    return out


def build_network(
    shared: Path, shapes: gpd.GeoDataFrame, lsoas: pd.DataFrame, sites: pd.DataFrame
) -> NetworkBuild:
    """Assemble, calibrate, check and validate the embedded network."""
    skel = skeleton(shared, shapes, lsoas, sites)
    without = skeleton(shared, shapes, lsoas, sites, roads=skel.roads, real_roads=False)
    pairs = cambridge_pairs(shared, lsoas)
    strategic = calibrate(without, pairs)
    fit = MeshFit(
        real_roads=calibrate(skel, pairs, terminal_s=strategic.terminal_s), strategic=strategic
    )
    network = network_of(skel, fit)
    report = calibration_report(network, skel.nodes, pairs, fit)
    main = _strongly_connected(skel, network)
    urban = (skel.nodes.loc[skel.nodes["kind"] == "lsoa", "area_type"] == "urban").to_numpy()
    real = fit.real_roads
    validation = validate(
        skel.roads,
        lsoas,
        urban,
        {
            "built": (network, _lsoa_nodes(skel)),
            "without_real_roads": (
                network_of(without, MeshFit.uniform(strategic)),
                _lsoa_nodes(without),
            ),
        },
        access=MeshAccess(
            real.detour, real.urban_kph, real.rural_kph, real.delay_s, real.terminal_s
        ),
        calibration=set(pairs["from_lsoa"]),
    )
    edges = edge_table(skel, fit)
    kinds = skel.nodes["kind"]
    calibration = {
        "provenance": provenance_text(fit, report, validation),
        "speeds_kph": {
            "motorway": DEFAULT_SPEEDS_KPH["motorway"],
            "trunk": DEFAULT_SPEEDS_KPH["trunk"],
            "primary": DEFAULT_SPEEDS_KPH["primary"],
            **class_speeds(fit),
        },
        "assumptions": {
            "motorway": "105 km/h: average free-flow car speed on motorways (limit 70 mph)",
            "trunk": "100 km/h top speed (70 mph dual carriageway), lowered by each road's limit; "
            f"Strategic Road Network links {UNKNOWN_LIMIT_KPH['trunk']:g} km/h (no limit data: "
            "dual carriageway mixed with roundabouts)",
            "primary": "100 km/h top speed, lowered by each road's limit",
            "limit_speeds_kph": {f"{k} mph": v for k, v in LIMIT_SPEEDS_KPH.items() if k},
            "roundabout_kph": ROUNDABOUT_KPH,
            "missing_limits": MISSING_LIMIT_ASSUMPTION,
            "junction_joins_kph": JOIN_KPH,
            "local_rural": RURAL_SPEED_ASSUMPTION,
        },
        "mesh": {
            "cambridgeshire": _params_dict(fit.real_roads),
            "bedfordshire_hertfordshire": _params_dict(fit.strategic),
            "note": "mesh links with every LSOA or site end in Cambridgeshire use the first set "
            "(a speed cap where it is below the class speed), the others the second",
            "urban_density_per_km2": URBAN_DENSITY,
            "connector_k": CONNECTOR_K,
            "road_connector_k": ROAD_CONNECT_K,
            "road_connector_max_m": ROAD_CONNECT_MAX_M,
        },
        "detour_factors": skel.factors,
        "calibration": report,
        "validation": validation.table,
        "error_model": validation.error_model,
        "counts": {
            "nodes": len(skel.nodes),
            "lsoa_nodes": int((kinds == "lsoa").sum()),
            "srn_nodes": int((kinds == "srn").sum()),
            "site_nodes": int((kinds == "site").sum()),
            "road_nodes": int((kinds == "road").sum()),
            "edges": len(edges),
            "srn_links": int((edges["kind"] == "srn").sum()),
            "srn_nodes_unreachable": int((~main & (kinds == "srn").to_numpy()).sum()),
            "road_links": int(edges["kind"].isin(["road", "road_join", "srn_join"]).sum()),
            "road_nodes_unreachable": int((~main & (kinds == "road").to_numpy()).sum()),
            "mesh_links": int((edges["kind"] == "mesh").sum()),
            "connector_links": int(edges["kind"].isin(["connector", "road_connector"]).sum()),
        },
        "attribution": [
            "Strategic Road Network graph derived from National Highways data (OGL) by Strain, "
            "Wilson & Littleworth (2023), Transportation Research Record 2677(1).",
            "Contains OS data © Crown copyright and database right 2024 (OS Open Roads).",
            "Contains public sector information licensed under the Open Government Licence v3.0 "
            "(DfT road traffic statistics).",
            "Cambridgeshire's major roads, the calibration reference and the validation "
            "reference from OpenStreetMap data © OpenStreetMap contributors (ODbL).",
        ],
        "max_snap_m": MAX_SNAP_M,
        "access_kph": strategic.urban_kph,
        "access_detour": strategic.detour,
        "terminal_s": strategic.terminal_s,
    }
    return NetworkBuild(
        nodes=skel.nodes,
        edges=edges,
        pairs=pairs,
        validation_pairs=validation.pairs,
        calibration=calibration,
    )


def network_inputs(shared: Path) -> list[Path]:
    """Raw files the network build reads (their hashes go into the manifest)."""
    files = [
        shared / SRN_CSV,
        shared / MOTORWAYS_FGB,
        shared / CAMBRIDGE_GRAPHML,
        shared / DFT_CSV,
        shared / MAJOR_ROADS_GPKG,
    ]
    for path in files:
        if not path.is_file():
            raise BuildError(f"{path}: network input file missing")
    return files


def network_readme_rows() -> list[str]:
    """Rows of the dataset README's file table for the network files."""
    return [
        f"| `{NODES_FILE}` | embedded road network nodes (EPSG:27700): LSOA demand points and "
        "sites (with their area type, urban/rural), Strategic Road Network junction clusters, "
        "Cambridgeshire's real major-road junctions |",
        f"| `{EDGES_FILE}` | its directed edges: SRN links (motorway lengths from OS Open Roads), "
        "Cambridgeshire's real trunk and primary roads (OpenStreetMap, ODbL; road ref, speed "
        "cap from the limit), and the local mesh/connectors between neighbouring LSOA points "
        "(metres, road class) |",
        f"| `{CALIBRATION_FILE}` | speeds, detour factors, provenance text, the calibration error "
        "against the OpenStreetMap graph of Cambridge, the out-of-sample validation table and "
        "the travel-time error model (see docs/network.md) |",
        f"| `{PAIRS_FILE}` | the calibration reference: OSM drive time and distance between "
        "Cambridge LSOA demand points |",
        f"| `{VALIDATION_PAIRS_FILE}` | the validation reference: time over the real major roads "
        "between LSOA points at least 10 km apart in Cambridgeshire and around Bedford |",
    ]


def write_network(result: NetworkBuild, folder: Path) -> None:
    """Write the network files into a (staging) dataset folder, deterministically."""
    result.nodes.to_parquet(folder / NODES_FILE, index=False, compression="zstd")
    result.edges.to_parquet(folder / EDGES_FILE, index=False, compression="zstd")
    result.pairs.to_parquet(folder / PAIRS_FILE, index=False, compression="zstd")
    result.validation_pairs.to_parquet(
        folder / VALIDATION_PAIRS_FILE, index=False, compression="zstd"
    )
    (folder / CALIBRATION_FILE).write_text(
        json.dumps(result.calibration, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def main() -> int:
    """Print the calibration of the network built from the committed dataset."""
    import geopandas as gpd  # noqa: PLC0415 (lazy: geopandas is slow to import)
    import pandas as pd  # noqa: PLC0415 (lazy: pandas is slow to import)

    shapes = gpd.read_parquet(BCH_DIR / "lsoa_boundaries.parquet")
    lsoas = pd.read_csv(BCH_DIR / "lsoa.csv", dtype={"lad13cd": str, "lad19cd": str})
    sites = pd.read_csv(BCH_DIR / "sites.csv")
    result = build_network(default_shared(), shapes, lsoas, sites)
    print(json.dumps(result.calibration, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


def local_edges(
    pairs: list[tuple[int, int, str]], xy: FloatArray, urban: BoolArray, real_area: BoolArray
) -> pd.DataFrame:
    """Return the local (mesh and connector) edges of ``pairs``, each both ways.

    ``urban`` and ``real_area`` are flags per pair; the straight length is measured from ``xy``.
    """
    import pandas as pd  # noqa: PLC0415 (lazy: pandas is slow to import)

    a = np.array([p[0] for p in pairs])
    b = np.array([p[1] for p in pairs])
    straight = np.hypot(xy[a, 0] - xy[b, 0], xy[a, 1] - xy[b, 1])
    kinds = [p[2] for p in pairs]
    return pd.DataFrame(
        {
            "src": np.concatenate([a, b]),
            "dst": np.concatenate([b, a]),
            "straight_m": np.concatenate([straight, straight]),
            "urban": np.concatenate([urban, urban]),
            "real_area": np.concatenate([real_area, real_area]),
            "kind": kinds + kinds,
        }
    )

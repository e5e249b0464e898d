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
from siteopt.network.graph import RoadNetwork, network_from_edges
from siteopt.network.sources import CALIBRATION_FILE, EDGES_FILE, NODES_FILE, network_from_graphml
from siteopt.network.travel import node_times
from siteopt.roadclasses import DEFAULT_SPEEDS_KPH, ROAD_CLASSES

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Reference pairs of the calibration (LSOA codes, OSM seconds and metres), shipped so that a
#: test can measure the calibration error without the raw OSM graph.
PAIRS_FILE = "network_calibration_pairs.parquet"

SRN_CSV = Path("roads") / "SRN_region_graph.csv"
MOTORWAYS_FGB = Path("roads") / "gb_motorways_osopenroads.fgb"
CAMBRIDGE_GRAPHML = Path("roads") / "cambridge_city_drive.graphml"
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
#: Persons per km² from which an LSOA counts as urban (mesh class ``local_urban``).
URBAN_DENSITY = 1_500.0
#: Cambridge LSOAs are used if their point lies this far inside the OSM graph's hull.
HULL_INSET_M = 500.0
#: A polygon shares an edge with another if the common boundary is at least this long.
MIN_SHARED_EDGE_M = 1.0
#: Points farther than this from every node of the embedded network are outside it.
MAX_SNAP_M = 5_000.0

RURAL_SPEED_ASSUMPTION = (
    "local_rural: 60 km/h between rural LSOA points (B and C roads through villages, national "
    "limit 60 mph); not measured here — Cambridge has no rural LSOA"
)

SEARCH_DETOUR = np.round(np.arange(1.00, 1.801, 0.01), 2)
SEARCH_SPEED = np.arange(12.0, 60.01, 1.0)
SEARCH_DELAY = np.arange(0.0, 40.01, 5.0)
SEARCH_TERMINAL = np.arange(0.0, 180.01, 10.0)


@dataclass(frozen=True)
class MeshParams:
    """Parameters of the local mesh."""

    detour: float
    urban_kph: float
    rural_kph: float
    delay_s: float
    terminal_s: float = 0.0


@dataclass(frozen=True)
class Skeleton:
    """Nodes and edges of the embedded network before the mesh parameters are applied."""

    nodes: pd.DataFrame  # node, kind, ref, x, y
    srn: pd.DataFrame  # src, dst, metres, road_class, road
    local: pd.DataFrame  # src, dst, straight_m, urban (both directions listed)
    factors: dict[str, Any]


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


def skeleton(
    shared: Path, shapes: gpd.GeoDataFrame, lsoas: pd.DataFrame, sites: pd.DataFrame
) -> Skeleton:
    """Nodes, SRN links and unparametrised local links of the embedded network."""
    import pandas as pd  # noqa: PLC0415 (lazy: pandas is slow to import)
    import shapely  # noqa: PLC0415 (lazy: shapely is slow to import)
    from scipy.spatial import cKDTree  # noqa: PLC0415 (lazy: scipy is slow to import)

    shapes = shapes.set_index("lsoa11cd").loc[lsoas["lsoa11cd"]].reset_index()
    region = shapely.union_all(shapes.geometry.to_numpy())
    junctions, links, factors = strategic_links(shared, region)
    density = lsoas["pop_mid2015"].to_numpy(float) / (shapes.geometry.area.to_numpy() / 1e6)
    urban_lsoa = density >= URBAN_DENSITY

    n_lsoa, n_srn = len(lsoas), len(junctions)
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
        ],
        ignore_index=True,
    )
    nodes.insert(0, "node", np.arange(len(nodes)))
    nodes["x"] = nodes["x"].astype(float).round(1)
    nodes["y"] = nodes["y"].astype(float).round(1)
    cluster_node = dict(zip(junctions["cluster"], n_lsoa + np.arange(n_srn), strict=True))
    srn = pd.DataFrame(
        {
            "src": links["StartCluster"].map(cluster_node).to_numpy(),
            "dst": links["EndCluster"].map(cluster_node).to_numpy(),
            "metres": links["metres"].round(1).to_numpy(),
            "road_class": links["road_class"].to_numpy(),
            "road": links["road"].astype(str).to_numpy(),
        }
    )
    xy = nodes[["x", "y"]].to_numpy(float)
    pairs: list[tuple[int, int, str]] = [(a, b, "mesh") for a, b in lsoa_adjacency(shapes)]
    tree = cKDTree(xy[:n_lsoa])
    in_region = shapely.contains_xy(region.buffer(2_000.0), xy[n_lsoa:, 0], xy[n_lsoa:, 1])
    for k in range(n_lsoa, len(nodes)):
        dist, idx = tree.query(xy[k], k=CONNECTOR_K)
        is_site = k >= n_lsoa + n_srn
        if not is_site and (not in_region[k - n_lsoa] or dist[0] > CONNECTOR_MAX_M):
            continue
        pairs += [(int(i), k, "connector") for i in idx]
    a = np.array([p[0] for p in pairs])
    b = np.array([p[1] for p in pairs])
    urban = urban_lsoa[a] & np.where(b < n_lsoa, urban_lsoa[np.minimum(b, n_lsoa - 1)], True)
    straight = np.hypot(xy[a, 0] - xy[b, 0], xy[a, 1] - xy[b, 1])
    kinds = [p[2] for p in pairs]
    local = pd.DataFrame(
        {
            "src": np.concatenate([a, b]),
            "dst": np.concatenate([b, a]),
            "straight_m": np.concatenate([straight, straight]),
            "urban": np.concatenate([urban, urban]),
            "kind": kinds + kinds,
        }
    )
    factors["urban_lsoas"] = int(urban_lsoa.sum())
    return Skeleton(nodes=nodes, srn=srn, local=local, factors=factors)


def edge_table(skel: Skeleton, params: MeshParams) -> pd.DataFrame:
    """All directed edges of the network for given mesh parameters."""
    import pandas as pd  # noqa: PLC0415 (lazy: pandas is slow to import)

    local = skel.local
    mesh = pd.DataFrame(
        {
            "src": local["src"],
            "dst": local["dst"],
            "metres": (local["straight_m"] * params.detour).round(1),
            "extra_s": params.delay_s,
            "road_class": np.where(local["urban"], "local_urban", "local_rural"),
            "road": "",
            "kind": local["kind"],
        }
    )
    srn = skel.srn.assign(extra_s=0.0, kind="srn")
    edges = pd.concat([srn[mesh.columns], mesh], ignore_index=True)
    edges["src"] = edges["src"].astype("int64")
    edges["dst"] = edges["dst"].astype("int64")
    return edges.sort_values(["src", "dst", "kind"], kind="stable").reset_index(drop=True)


def network_of(skel: Skeleton, params: MeshParams) -> RoadNetwork:
    """The embedded network for given mesh parameters (for calibration and checks)."""
    edges = edge_table(skel, params)
    return network_from_edges(
        skel.nodes["x"].to_numpy(),
        skel.nodes["y"].to_numpy(),
        edges["src"].to_numpy(),
        edges["dst"].to_numpy(),
        edges["metres"].to_numpy(),
        edges["road_class"].to_numpy(),
        names=edges["road"].tolist(),
        extra_s=edges["extra_s"].to_numpy(),
        speeds_kph={"local_urban": params.urban_kph, "local_rural": params.rural_kph},
        source="embedded network (build)",
    )


# ---------------------------------------------------------------------------------------------
# Calibration


def shortest_metres(network: RoadNetwork, src: npt.ArrayLike, dst: npt.ArrayLike) -> FloatArray:
    """Shortest road distance (metres) between node sets."""
    from scipy.sparse import csr_matrix  # noqa: PLC0415 (lazy: scipy is slow to import)
    from scipy.sparse.csgraph import dijkstra  # noqa: PLC0415 (lazy: scipy is slow to import)

    s, d, w = network.sources, network.indices, network.metres
    order = np.lexsort((w, d, s))
    s, d, w = s[order], d[order], w[order]
    first = np.ones(len(s), dtype=bool)
    first[1:] = (s[1:] != s[:-1]) | (d[1:] != d[:-1])
    graph = csr_matrix((w[first], (s[first], d[first])), shape=(network.n_nodes,) * 2)
    out: FloatArray = dijkstra(graph, directed=True, indices=np.asarray(src))[:, np.asarray(dst)]
    return out


def cambridge_pairs(shared: Path, lsoas: pd.DataFrame) -> pd.DataFrame:
    """OSM times and distances between the LSOA points inside the Cambridge graph."""
    import pandas as pd  # noqa: PLC0415 (lazy: pandas is slow to import)
    import shapely  # noqa: PLC0415 (lazy: shapely is slow to import)

    osm = network_from_graphml(shared / CAMBRIDGE_GRAPHML)
    hull = shapely.convex_hull(shapely.multipoints(np.column_stack([osm.x, osm.y])))
    inside = shapely.contains_xy(hull.buffer(-HULL_INSET_M), lsoas["x"], lsoas["y"])
    chosen = lsoas[inside].sort_values("lsoa11cd")
    snap = osm.snap(chosen["x"].to_numpy(), chosen["y"].to_numpy())
    access = osm.access_seconds(snap.distance_m)
    seconds = node_times(osm, snap.node, snap.node) + access[:, None] + access[None, :]
    access_m = snap.distance_m * osm.access_detour
    metres = shortest_metres(osm, snap.node, snap.node) + access_m[:, None] + access_m[None, :]
    codes = chosen["lsoa11cd"].to_numpy()
    i, j = np.nonzero(~np.eye(len(codes), dtype=bool))
    return pd.DataFrame(
        {
            "from_lsoa": codes[i],
            "to_lsoa": codes[j],
            "osm_seconds": seconds[i, j].round(2),
            "osm_metres": metres[i, j].round(1),
        }
    )


def pair_errors(
    network: RoadNetwork,
    nodes: pd.DataFrame,
    pairs: pd.DataFrame,
    *,
    metres: bool = False,
    terminal_s: float = 0.0,
) -> FloatArray:
    """Signed relative errors (model / OSM − 1) of the network on the reference pairs."""
    lsoa_node = dict(zip(nodes.loc[nodes["kind"] == "lsoa", "ref"], nodes["node"], strict=False))
    codes = sorted(set(pairs["from_lsoa"]) | set(pairs["to_lsoa"]))
    index = {c: k for k, c in enumerate(codes)}
    ids = np.array([lsoa_node[c] for c in codes])
    if metres:
        matrix = shortest_metres(network, ids, ids)
    else:
        matrix = node_times(network, ids, ids) + 2 * terminal_s
    i = pairs["from_lsoa"].map(index).to_numpy()
    j = pairs["to_lsoa"].map(index).to_numpy()
    ref = pairs["osm_metres" if metres else "osm_seconds"].to_numpy(float)
    out: FloatArray = matrix[i, j] / ref - 1.0
    return out


def error_summary(errors: FloatArray) -> dict[str, float]:
    """Median and 90th-percentile absolute % error, and the median signed % error."""
    return {
        "median_abs_pct": round(float(np.median(np.abs(errors)) * 100), 1),
        "p90_abs_pct": round(float(np.percentile(np.abs(errors), 90) * 100), 1),
        "median_signed_pct": round(float(np.median(errors) * 100), 1),
    }


def _reference_nodes(skel: Skeleton, pairs: pd.DataFrame) -> tuple[IntArray, IntArray, IntArray]:
    lsoa_node = dict(
        zip(skel.nodes.loc[skel.nodes["kind"] == "lsoa", "ref"], skel.nodes["node"], strict=False)
    )
    codes = sorted(set(pairs["from_lsoa"]) | set(pairs["to_lsoa"]))
    index = {c: k for k, c in enumerate(codes)}
    ids = np.array([lsoa_node[c] for c in codes], dtype=np.int64)
    i = pairs["from_lsoa"].map(index).to_numpy()
    j = pairs["to_lsoa"].map(index).to_numpy()
    return ids, i, j


def _time_search(skel: Skeleton, pairs: pd.DataFrame, detour: float) -> tuple[float, float, float]:
    """Grid search of urban speed, delay per link and terminal time (mean abs % time error)."""
    from scipy.sparse import csr_matrix  # noqa: PLC0415 (lazy: scipy is slow to import)
    from scipy.sparse.csgraph import dijkstra  # noqa: PLC0415 (lazy: scipy is slow to import)

    net = network_of(skel, MeshParams(detour, 30.0, DEFAULT_SPEEDS_KPH["local_rural"], 0.0))
    urban = net.road_class == ROAD_CLASSES.index("local_urban")
    rural = net.road_class == ROAD_CLASSES.index("local_rural")
    fixed = net.seconds.copy()  # SRN and rural links do not depend on the urban speed
    ids, i, j = _reference_nodes(skel, pairs)
    ref = pairs["osm_seconds"].to_numpy(float)
    best = (math.inf, 0.0, 0.0, 0.0)
    for delay in SEARCH_DELAY:
        for speed in SEARCH_SPEED:
            weights = fixed.copy()
            weights[urban] = net.metres[urban] / (speed / 3.6) + delay
            weights[rural] = fixed[rural] + delay
            graph = csr_matrix((weights, net.indices, net.indptr), shape=(net.n_nodes,) * 2)
            times = dijkstra(graph, directed=True, indices=ids)[:, ids][i, j]
            for terminal in SEARCH_TERMINAL:
                cost = float(np.mean(np.abs((times + 2 * terminal) / ref - 1.0)))
                if cost < best[0] - 1e-12:
                    best = (cost, float(speed), float(delay), float(terminal))
    return best[1], best[2], best[3]


def calibrate(skel: Skeleton, pairs: pd.DataFrame) -> tuple[MeshParams, dict[str, Any]]:
    """Fit the mesh detour on distances, then speed, delay and terminal time on times."""
    rural = DEFAULT_SPEEDS_KPH["local_rural"]

    def distance_cost(detour: float) -> float:
        params = MeshParams(detour, DEFAULT_SPEEDS_KPH["local_urban"], rural, 0.0, 0.0)
        errors = pair_errors(network_of(skel, params), skel.nodes, pairs, metres=True)
        return abs(float(np.median(errors)))

    detour = float(min(SEARCH_DETOUR, key=distance_cost))
    speed, delay, terminal = _time_search(skel, pairs, detour)
    params = MeshParams(
        detour=detour, urban_kph=speed, rural_kph=rural, delay_s=delay, terminal_s=terminal
    )
    fitted = network_of(skel, params)
    report = {
        "lsoas": len(set(pairs["from_lsoa"])),
        "pairs": len(pairs),
        "time_error": error_summary(pair_errors(fitted, skel.nodes, pairs, terminal_s=terminal)),
        "distance_error": error_summary(pair_errors(fitted, skel.nodes, pairs, metres=True)),
        "fitted": {
            "detour": detour,
            "local_urban_kph": speed,
            "junction_delay_s": delay,
            "terminal_s": terminal,
        },
        "search": {
            "detour": [float(SEARCH_DETOUR[0]), float(SEARCH_DETOUR[-1]), 0.01],
            "local_urban_kph": [float(SEARCH_SPEED[0]), float(SEARCH_SPEED[-1]), 1.0],
            "junction_delay_s": [float(SEARCH_DELAY[0]), float(SEARCH_DELAY[-1]), 5.0],
            "terminal_s": [float(SEARCH_TERMINAL[0]), float(SEARCH_TERMINAL[-1]), 10.0],
            "objective": "detour: median signed distance error 0; speed, delay and terminal "
            "time: mean absolute % time error",
        },
    }
    return params, report


def provenance_text(params: MeshParams, report: dict[str, Any]) -> str:
    """The sentence every report with a drive time carries."""
    err = report["time_error"]
    return (
        "approximate: strategic network + local mesh. National Highways Strategic Road Network "
        "junction graph (motorway lengths from OS Open Roads), and a mesh between neighbouring "
        f"LSOA demand points (detour {params.detour:.2f}, urban {params.urban_kph:g} km/h, "
        f"rural {params.rural_kph:g} km/h (assumed), {params.delay_s:g} s per link, "
        f"{params.terminal_s:g} s at each trip end). "
        f"Calibrated on the OpenStreetMap drive graph of Cambridge ({report['pairs']} LSOA "
        f"pairs): median absolute error {err['median_abs_pct']:g}%, 90th percentile "
        f"{err['p90_abs_pct']:g}%. Free-flow, no congestion."
    )


@dataclass(frozen=True)
class NetworkBuild:
    """Everything the dataset build writes for the network."""

    nodes: pd.DataFrame
    edges: pd.DataFrame
    pairs: pd.DataFrame
    calibration: dict[str, Any]


def build_network(
    shared: Path, shapes: gpd.GeoDataFrame, lsoas: pd.DataFrame, sites: pd.DataFrame
) -> NetworkBuild:
    """Assemble, calibrate and check the embedded network."""
    from scipy.sparse.csgraph import connected_components  # noqa: PLC0415 (lazy: scipy is slow to import)

    skel = skeleton(shared, shapes, lsoas, sites)
    pairs = cambridge_pairs(shared, lsoas)
    params, report = calibrate(skel, pairs)
    network = network_of(skel, params)
    _, labels = connected_components(network.graph, directed=True, connection="strong")
    main = np.bincount(labels).argmax()
    stranded = skel.nodes.loc[(labels != main) & (skel.nodes["kind"] != "srn").to_numpy(), "ref"]
    if len(stranded):
        msg = f"embedded network: {len(stranded)} LSOA/site nodes not strongly connected: "

        raise BuildError(msg + ", ".join(stranded.head(5)))
    edges = edge_table(skel, params)
    calibration = {
        "provenance": provenance_text(params, report),
        "speeds_kph": {
            "motorway": DEFAULT_SPEEDS_KPH["motorway"],
            "trunk": DEFAULT_SPEEDS_KPH["trunk"],
            "local_urban": params.urban_kph,
            "local_rural": params.rural_kph,
        },
        "assumptions": {
            "motorway": "105 km/h: average free-flow car speed on motorways (limit 70 mph)",
            "trunk": "80 km/h: SRN A roads, dual carriageway mixed with roundabouts",
            "local_rural": RURAL_SPEED_ASSUMPTION,
        },
        "mesh": {
            "detour": params.detour,
            "junction_delay_s": params.delay_s,
            "terminal_s": params.terminal_s,
            "urban_density_per_km2": URBAN_DENSITY,
            "connector_k": CONNECTOR_K,
        },
        "detour_factors": skel.factors,
        "calibration": report,
        "counts": {
            "nodes": len(skel.nodes),
            "lsoa_nodes": int((skel.nodes["kind"] == "lsoa").sum()),
            "srn_nodes": int((skel.nodes["kind"] == "srn").sum()),
            "site_nodes": int((skel.nodes["kind"] == "site").sum()),
            "edges": len(edges),
            "srn_links": int((edges["kind"] == "srn").sum()),
            "srn_nodes_unreachable": int(((labels != main) & (skel.nodes["kind"] == "srn")).sum()),
            "mesh_links": int((edges["kind"] == "mesh").sum()),
            "connector_links": int((edges["kind"] == "connector").sum()),
        },
        "attribution": [
            "Strategic Road Network graph derived from National Highways data (OGL) by Strain, "
            "Wilson & Littleworth (2023), Transportation Research Record 2677(1).",
            "Contains OS data © Crown copyright and database right 2024 (OS Open Roads).",
            "Contains public sector information licensed under the Open Government Licence v3.0 "
            "(DfT road traffic statistics).",
            "Calibration reference times computed from OpenStreetMap data © OpenStreetMap "
            "contributors (ODbL).",
        ],
        "max_snap_m": MAX_SNAP_M,
        "access_kph": params.urban_kph,
        "access_detour": params.detour,
        "terminal_s": params.terminal_s,
    }
    return NetworkBuild(nodes=skel.nodes, edges=edges, pairs=pairs, calibration=calibration)


def network_inputs(shared: Path) -> list[Path]:
    """Raw files the network build reads (their hashes go into the manifest)."""
    files = [shared / SRN_CSV, shared / MOTORWAYS_FGB, shared / CAMBRIDGE_GRAPHML, shared / DFT_CSV]
    for path in files:
        if not path.is_file():
            raise BuildError(f"{path}: network input file missing")
    return files


def network_readme_rows() -> list[str]:
    """Rows of the dataset README's file table for the network files."""
    return [
        f"| `{NODES_FILE}` | embedded road network nodes (EPSG:27700): LSOA demand points, "
        "Strategic Road Network junction clusters, sites |",
        f"| `{EDGES_FILE}` | its directed edges: SRN links (motorway lengths from OS Open Roads) "
        "and the local mesh/connectors between neighbouring LSOA points (metres, road class) |",
        f"| `{CALIBRATION_FILE}` | speeds, detour factors, provenance text and the calibration "
        "error against the OpenStreetMap graph of Cambridge (see docs/network.md) |",
        f"| `{PAIRS_FILE}` | the calibration reference: OSM drive time and distance between "
        "Cambridge LSOA demand points |",
    ]


def write_network(result: NetworkBuild, folder: Path) -> None:
    """Write the network files into a (staging) dataset folder, deterministically."""
    result.nodes.to_parquet(folder / NODES_FILE, index=False, compression="zstd")
    result.edges.to_parquet(folder / EDGES_FILE, index=False, compression="zstd")
    result.pairs.to_parquet(folder / PAIRS_FILE, index=False, compression="zstd")
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

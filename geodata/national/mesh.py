"""The national road network: SRN of England, motorways of Wales and a mesh between LSOA points.

Without LSOA boundaries there is no "shares a border" relation to build the local mesh from (as
the BCH dataset does), so the mesh comes from the points themselves:

1. **Delaunay triangulation** of the 34,753 LSOA demand points; an edge longer than
   :data:`CUT_FACTOR` times the larger of its two end points' spacing (distance to the
   :data:`CUT_NEIGHBOUR`-th nearest point) is cut: such edges span empty country or water (the
   rule keeps 98.6% of the BCH region's Delaunay edges, see ``docs/data.md``); so is an edge that
   leaves the land mask of :mod:`geodata.national.areas` (across a bay or out to an island).
2. **Estuaries**: an edge crossing one of :data:`BARRIERS` is cut too. They are estuaries with no
   fixed road crossing over the stretch drawn (the Thames below Woolwich, the Severn below
   Gloucester, the Humber either side of the Humber Bridge, the Dee, the Ribble, Morecambe Bay,
   the Wash and the Solent), drawn by hand to about 1 km (an assumption). The crossings that do
   exist there are on the Strategic Road Network (Dartford, the two Severn bridges).
3. **Islands** left unconnected (the Isle of Wight, the Isles of Scilly …) are joined by their
   shortest Delaunay edge as a ferry: :data:`FERRY_WAIT_S` plus the crossing at
   :data:`FERRY_KPH` (an assumption).
4. **Strategic Road Network** of England (National Highways junction graph, all of it) with the
   same lengths, detour factors and speed caps as the BCH network (:func:`geodata.network_build.
   strategic_links`); **motorways in Wales** from OS Open Roads geometry (the SRN stops at the
   border). Junctions, motorway nodes and sites are joined to their nearest LSOA points.

Unlike Cambridgeshire in the BCH dataset, no real A roads are added: the network is strategic
roads + mesh everywhere, with one set of mesh parameters (:meth:`MeshFit.uniform`).

An LSOA is urban (``local_urban``, node ``area_type`` ``urban``) when its population mid-2019 per
km² of its approximate area (Voronoi cell) is at least the BCH threshold; a site takes the area
type of its nearest LSOA point (the Voronoi cell it stands in). The mesh detour, urban speed,
delay per link and terminal time are refitted on the same reference as the BCH network:
OpenStreetMap drive times between the LSOA points inside Cambridge.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from geodata import BCH_DIR, BuildError
from geodata.national.areas import separated
from geodata.network_build import (
    CONNECTOR_K,
    CONNECTOR_MAX_M,
    DFT_CSV,
    MAX_SNAP_M,
    MOTORWAYS_FGB,
    OS_MATCH_M,
    RURAL_SPEED_ASSUMPTION,
    SRN_CSV,
    URBAN_DENSITY,
    local_edges,
    strategic_links,
)
from geodata.network_calibration import (
    CAMBRIDGE_GRAPHML,
    calibrate,
    calibration_report,
    cambridge_pairs,
    error_summary,
    pair_errors,
)
from geodata.network_mesh import MeshFit, MeshParams, Skeleton, edge_table, network_of
from geodata.network_roads import MajorRoads
from siteopt.network.osm_lines import LineDirections
from siteopt.roadclasses import DEFAULT_SPEEDS_KPH, UNKNOWN_LIMIT_KPH, edge_cap_kph

if TYPE_CHECKING:
    import pandas as pd

#: Long-edge cut: an edge is cut if longer than CUT_FACTOR x max(spacing of its two ends),
#: spacing = distance to the CUT_NEIGHBOUR-th nearest LSOA point.
CUT_NEIGHBOUR = 6
CUT_FACTOR = 2.0

#: Ferry to an island the mesh cannot reach: boarding and waiting, and crossing speed.
FERRY_WAIT_S = 1800.0
FERRY_KPH = 25.0

#: Calibration area: nodes within this distance of the Cambridge OSM graph's centre.
CALIBRATION_RADIUS_M = 25_000.0

#: Estuaries without a fixed road crossing along the stretch drawn (lon, lat; assumption,
#: drawn by hand to about 1 km). The Humber is drawn in two parts, leaving the Humber Bridge.
BARRIERS: dict[str, tuple[tuple[float, float], ...]] = {
    "Thames below Woolwich": (
        (0.080, 51.500), (0.120, 51.508), (0.170, 51.497), (0.210, 51.477), (0.250, 51.466),
        (0.300, 51.462), (0.360, 51.452), (0.420, 51.462), (0.500, 51.478), (0.600, 51.490),
        (0.800, 51.490), (1.000, 51.490), (1.400, 51.500),
    ),
    "Severn estuary and Bristol Channel below Gloucester": (
        (-2.330, 51.800), (-2.400, 51.740), (-2.500, 51.690), (-2.580, 51.650),
        (-2.630, 51.615), (-2.680, 51.585), (-2.720, 51.560), (-2.800, 51.520),
        (-2.950, 51.450), (-3.080, 51.410), (-3.250, 51.370), (-3.500, 51.330),
        (-3.900, 51.300), (-4.300, 51.270), (-5.000, 51.200),
    ),
    "Humber west of the Humber Bridge": (
        (-0.720, 53.700), (-0.600, 53.705), (-0.470, 53.712),
    ),
    "Humber east of the Humber Bridge": (
        (-0.420, 53.716), (-0.330, 53.728), (-0.250, 53.710), (-0.150, 53.665),
        (-0.050, 53.620), (0.150, 53.570), (0.400, 53.550),
    ),
    "Dee estuary below the Flintshire Bridge": (
        (-3.090, 53.235), (-3.120, 53.260), (-3.200, 53.310), (-3.300, 53.370), (-3.400, 53.420),
    ),
    "Ribble estuary below Preston": (
        (-2.800, 53.740), (-2.900, 53.725), (-3.000, 53.710), (-3.100, 53.690),
    ),
    "Morecambe Bay": (
        (-2.850, 54.180), (-2.950, 54.100), (-3.050, 54.030), (-3.200, 53.980),
    ),
    "The Wash": ((0.220, 52.830), (0.300, 52.900), (0.400, 52.980), (0.550, 53.100)),
    "The Solent": (
        (-1.800, 50.660), (-1.580, 50.725), (-1.400, 50.790), (-1.300, 50.785),
        (-1.150, 50.770), (-1.000, 50.760), (-0.800, 50.740),
    ),
}  # fmt: skip


def delaunay_edges(xy: Any) -> Any:
    """Return the undirected edges (i < j, sorted) of the Delaunay triangulation of the points."""
    from scipy.spatial import Delaunay  # noqa: PLC0415 (lazy: scipy is slow to import)

    simplices = Delaunay(separated(xy)).simplices
    pairs = np.vstack([simplices[:, [0, 1]], simplices[:, [1, 2]], simplices[:, [0, 2]]])
    pairs.sort(axis=1)
    return np.unique(pairs, axis=0).astype(np.int64)


def short_enough(xy: Any, edges: Any) -> Any:
    """Return which edges survive the long-edge cut (:data:`CUT_FACTOR`)."""
    from geodata.national.areas import neighbour_spacing  # noqa: PLC0415 (same package, light)

    spacing = neighbour_spacing(separated(xy), CUT_NEIGHBOUR)
    length = np.hypot(*(xy[edges[:, 0]] - xy[edges[:, 1]]).T)
    result: Any = length <= CUT_FACTOR * np.maximum(spacing[edges[:, 0]], spacing[edges[:, 1]])
    return result


def barrier_lines() -> dict[str, Any]:
    """Return the estuary barriers as lines in British National Grid metres."""
    import shapely  # noqa: PLC0415 (lazy: shapely is slow to import)

    from geodata.national.tables import to_bng  # noqa: PLC0415 (same package, light)

    out = {}
    for name, coords in BARRIERS.items():
        lon, lat = np.array(coords).T
        x, y = to_bng(lon, lat)
        out[name] = shapely.linestrings(np.column_stack([x, y]))
    return out


def crossing_barriers(xy: Any, edges: Any) -> dict[str, Any]:
    """Return, per barrier, which edges cross it (boolean arrays)."""
    import shapely  # noqa: PLC0415 (lazy: shapely is slow to import)

    segments = shapely.linestrings(np.stack([xy[edges[:, 0]], xy[edges[:, 1]]], axis=1))
    tree = shapely.STRtree(segments)
    out = {}
    for name, line in barrier_lines().items():
        hit = np.zeros(len(edges), dtype=bool)
        hit[tree.query(line, predicate="intersects")] = True
        out[name] = hit
    return out


def ferry_links(xy: Any, all_edges: Any, kept: Any) -> Any:
    """Return the Delaunay edges that join each part the mesh left apart to the largest part.

    For each smaller connected part, its shortest Delaunay edge to another part is added, until
    one part remains.
    """
    from scipy.sparse import coo_matrix  # noqa: PLC0415 (lazy: scipy is slow to import)
    from scipy.sparse.csgraph import connected_components  # noqa: PLC0415 (lazy: scipy is slow to import)

    n = len(xy)
    links = all_edges[kept]
    ferries: list[tuple[int, int]] = []
    length = np.hypot(*(xy[all_edges[:, 0]] - xy[all_edges[:, 1]]).T)
    while True:
        pairs = np.vstack([links, np.array(ferries, dtype=np.int64).reshape(-1, 2)])
        graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
        count, label = connected_components(graph, directed=False)
        if count == 1:
            return np.array(ferries, dtype=np.int64).reshape(-1, 2)
        sizes = np.bincount(label)
        smallest = int(np.argmin(sizes))
        a, b = label[all_edges[:, 0]], label[all_edges[:, 1]]
        joins = np.flatnonzero((a != b) & ((a == smallest) | (b == smallest)))
        if len(joins) == 0:
            raise BuildError(f"mesh: a part of {sizes[smallest]} LSOA points cannot be joined")
        best = joins[np.argmin(length[joins])]
        ferries.append((int(all_edges[best, 0]), int(all_edges[best, 1])))


def welsh_motorways(shared: Path, lsoas: pd.DataFrame) -> tuple[Any, pd.DataFrame]:
    """Return OS Open Roads motorway links with an end in Wales: node xy and directed links.

    The SRN graph covers England only; the M4 west of the Second Severn Crossing, the M48's
    Welsh end and the A48(M) come from OS Open Roads geometry, both ways (OS carries no
    one-way data), at the motorway speed.
    """
    import geopandas as gpd  # noqa: PLC0415 (lazy: geopandas is slow to import)
    import pandas as pd  # noqa: PLC0415 (lazy: pandas is slow to import)
    import shapely  # noqa: PLC0415 (lazy: shapely is slow to import)
    from scipy.spatial import cKDTree  # noqa: PLC0415 (lazy: scipy is slow to import)

    lines = gpd.read_file(shared / MOTORWAYS_FGB).to_crs("EPSG:27700")
    geoms = lines.geometry.to_numpy()
    ends = np.column_stack(
        [shapely.get_coordinates(shapely.get_point(geoms, i)) for i in (0, -1)]
    ).reshape(-1, 2, 2)
    tree = cKDTree(lsoas[["x", "y"]].to_numpy(float))
    welsh = lsoas["lsoa11cd"].str.startswith("W").to_numpy()
    dist, nearest = tree.query(ends.reshape(-1, 2))
    in_wales = (welsh[nearest] & (dist < CONNECTOR_MAX_M)).reshape(-1, 2).any(axis=1)
    keep = np.flatnonzero(in_wales)
    rounded = np.round(ends[keep], 0)
    nodes, inverse = np.unique(rounded.reshape(-1, 2), axis=0, return_inverse=True)
    inverse = inverse.reshape(-1, 2)
    links = pd.DataFrame(
        {
            "a": inverse[:, 0],
            "b": inverse[:, 1],
            "metres": shapely.length(geoms[keep]).round(1),
            "road": lines["road_classification_number"].to_numpy()[keep].astype(str),
        }
    )
    links = links[links["a"] != links["b"]]
    both = pd.concat([links, links.rename(columns={"a": "b", "b": "a"})], ignore_index=True)
    return nodes, both.sort_values(["a", "b", "metres"]).reset_index(drop=True)


def on_land(xy: Any, edges: Any, land: Any) -> Any:
    """Return which edges lie wholly inside the land mask."""
    import shapely  # noqa: PLC0415 (lazy: shapely is slow to import)

    segments = shapely.linestrings(np.stack([xy[edges[:, 0]], xy[edges[:, 1]]], axis=1))
    shapely.prepare(land)
    result: Any = shapely.covers(land, segments)
    return result


def national_skeleton(
    shared: Path, lsoas: pd.DataFrame, sites: pd.DataFrame, cell_km2: Any, land: Any
) -> tuple[Skeleton, Any, dict[str, Any]]:
    """Return the skeleton (nodes, SRN and motorway links, mesh), the ferry pairs and counts."""
    import pandas as pd  # noqa: PLC0415 (lazy: pandas is slow to import)
    import shapely  # noqa: PLC0415 (lazy: shapely is slow to import)

    xy_lsoa = lsoas[["x", "y"]].to_numpy(float)
    region = shapely.convex_hull(shapely.multipoints(xy_lsoa))
    junctions, links, factors = strategic_links(shared, region)
    os_xy, os_links = welsh_motorways(shared, lsoas)
    n_lsoa, n_srn, n_os = len(lsoas), len(junctions), len(os_xy)
    nodes = pd.concat(
        [
            pd.DataFrame({"kind": "lsoa", "ref": lsoas["lsoa11cd"], "x": xy_lsoa[:, 0],
                          "y": xy_lsoa[:, 1]}),
            pd.DataFrame({"kind": "srn", "ref": junctions["cluster"].astype(str),
                          "x": junctions["x"], "y": junctions["y"]}),
            pd.DataFrame({"kind": "os_motorway", "ref": [f"os{i}" for i in range(n_os)],
                          "x": os_xy[:, 0], "y": os_xy[:, 1]}),
            pd.DataFrame({"kind": "site", "ref": sites["id"], "x": sites["x"], "y": sites["y"]}),
        ],
        ignore_index=True,
    )  # fmt: skip
    nodes.insert(0, "node", np.arange(len(nodes)))
    nodes["x"] = nodes["x"].astype(float).round(1)
    nodes["y"] = nodes["y"].astype(float).round(1)
    density = lsoas["pop_mid2019"].to_numpy(float) / np.asarray(cell_km2, float)
    urban_lsoa = density >= URBAN_DENSITY
    nodes["area_type"] = area_types(urban_lsoa, xy_lsoa, nodes)
    xy = nodes[["x", "y"]].to_numpy(float)
    cluster_node = dict(zip(junctions["cluster"], n_lsoa + np.arange(n_srn), strict=True))
    os_base = n_lsoa + n_srn
    fixed = pd.concat(
        [
            pd.DataFrame(
                {
                    "src": links["StartCluster"].map(cluster_node).to_numpy(),
                    "dst": links["EndCluster"].map(cluster_node).to_numpy(),
                    "metres": links["metres"].round(1).to_numpy(),
                    "road_class": links["road_class"].to_numpy(),
                    "road": links["road"].astype(str).to_numpy(),
                    "kind": "srn",
                }
            ),
            pd.DataFrame(
                {
                    "src": os_base + os_links["a"].to_numpy(),
                    "dst": os_base + os_links["b"].to_numpy(),
                    "metres": os_links["metres"].to_numpy(),
                    "road_class": "motorway",
                    "road": os_links["road"].to_numpy(),
                    "kind": "os_motorway",
                }
            ),
            border_links(xy, nodes),
        ],
        ignore_index=True,
    )
    # no speed limits in these inputs: each class's unknown-limit cap (SRN A roads 80 km/h)
    fixed["cap_kph"] = [edge_cap_kph(c, math.inf) for c in fixed["road_class"]]
    fixed["extra_s"] = 0.0

    all_edges = delaunay_edges(xy_lsoa)
    short = short_enough(xy_lsoa, all_edges)
    inland = on_land(xy_lsoa, all_edges, land)
    keep = short & inland
    crossings = crossing_barriers(xy_lsoa, all_edges)
    for hit in crossings.values():
        keep &= ~hit
    ferries = ferry_links(xy_lsoa, all_edges, keep)
    mesh_pairs = [(int(a), int(b), "mesh") for a, b in all_edges[keep]]
    connector_pairs = connectors(xy, n_lsoa, n_lsoa + n_srn + n_os)
    pairs = mesh_pairs + connector_pairs

    a = np.array([p[0] for p in pairs])
    b = np.array([p[1] for p in pairs])
    urban = urban_lsoa[a] & np.where(b < n_lsoa, urban_lsoa[np.minimum(b, n_lsoa - 1)], True)
    local = local_edges(pairs, xy, urban, np.zeros(len(pairs), dtype=bool))
    factors["urban_lsoas"] = int(urban_lsoa.sum())
    counts = {
        "delaunay_edges": len(all_edges),
        "cut_long": int((~short).sum()),
        "cut_off_land": int((short & ~inland).sum()),
        "cut_by_barrier": {name: int(hit.sum()) for name, hit in crossings.items()},
        "ferries": len(ferries),
        "welsh_motorway_nodes": n_os,
    }
    skel = Skeleton(nodes=nodes, fixed=fixed, local=local, factors=factors, roads=no_major_roads())
    return skel, ferries, counts


def area_types(urban_lsoa: Any, xy_lsoa: Any, nodes: pd.DataFrame) -> list[str]:
    """``urban``/``rural`` of LSOA and site nodes (a site: its nearest LSOA point's), else ""."""
    from scipy.spatial import cKDTree  # noqa: PLC0415 (lazy: scipy is slow to import)

    lsoa_type = np.where(urban_lsoa, "urban", "rural")
    site = (nodes["kind"] == "site").to_numpy()
    out = np.full(len(nodes), "", dtype=object)
    out[: len(xy_lsoa)] = lsoa_type
    _, nearest = cKDTree(xy_lsoa).query(nodes.loc[site, ["x", "y"]].to_numpy(float))
    out[site] = lsoa_type[nearest]
    return [str(v) for v in out]


def no_major_roads() -> MajorRoads:
    """No real major-road lines: the national network is strategic roads + mesh everywhere."""
    import geopandas as gpd  # noqa: PLC0415 (lazy: geopandas is slow to import)

    none = np.zeros(0, dtype=bool)
    return MajorRoads(
        lines=gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs="EPSG:27700")),
        directions=LineDirections(np.zeros(0, dtype=np.int64), none, inferred=False),
        assumed_limit=none,
        srn_line=none,
    )


def border_links(xy: Any, nodes: pd.DataFrame) -> pd.DataFrame:
    """Motorway links both ways between an OS motorway node and an SRN junction of that road.

    Joins the Welsh motorways to the English SRN where they meet (within ``OS_MATCH_M``).
    """
    import pandas as pd  # noqa: PLC0415 (lazy: pandas is slow to import)
    from scipy.spatial import cKDTree  # noqa: PLC0415 (lazy: scipy is slow to import)

    os_nodes = np.flatnonzero((nodes["kind"] == "os_motorway").to_numpy())
    srn_nodes = np.flatnonzero((nodes["kind"] == "srn").to_numpy())
    if len(os_nodes) == 0 or len(srn_nodes) == 0:
        return pd.DataFrame(columns=["src", "dst", "metres", "road_class", "road", "kind"])
    dist, idx = cKDTree(xy[os_nodes]).query(xy[srn_nodes])
    close = dist <= OS_MATCH_M
    a, b, d = srn_nodes[close], os_nodes[idx[close]], dist[close]
    return pd.DataFrame(
        {
            "src": np.concatenate([a, b]),
            "dst": np.concatenate([b, a]),
            "metres": np.round(np.concatenate([d, d]), 1) + 0.1,
            "road_class": "motorway",
            "road": "",
            "kind": "os_motorway",
        }
    )


def connectors(xy: Any, n_lsoa: int, first_site: int) -> list[tuple[int, int, str]]:
    """Return connector pairs: each SRN junction, OS motorway node and site to its nearest points.

    A junction or motorway node farther than ``CONNECTOR_MAX_M`` from every LSOA point is left
    unjoined (it is reached along its road); every site is joined.
    """
    from scipy.spatial import cKDTree  # noqa: PLC0415 (lazy: scipy is slow to import)

    tree = cKDTree(xy[:n_lsoa])
    dist, idx = tree.query(xy[n_lsoa:], k=CONNECTOR_K)
    pairs: list[tuple[int, int, str]] = []
    for row, k in enumerate(range(n_lsoa, len(xy))):
        if k < first_site and dist[row, 0] > CONNECTOR_MAX_M:
            continue
        pairs += [(int(i), k, "connector") for i in idx[row]]
    return pairs


def ferry_edges(xy: Any, ferries: Any, rural_kph: float) -> pd.DataFrame:
    """Directed ferry edges: class ``local_rural`` with the wait and slower crossing as delay."""
    import pandas as pd  # noqa: PLC0415 (lazy: pandas is slow to import)

    a, b = ferries[:, 0], ferries[:, 1]
    straight = np.hypot(*(xy[a] - xy[b]).T)
    extra = FERRY_WAIT_S + straight / (FERRY_KPH / 3.6) - straight / (rural_kph / 3.6)
    return pd.DataFrame(
        {
            "src": np.concatenate([a, b]).astype(np.int64),
            "dst": np.concatenate([b, a]).astype(np.int64),
            "metres": np.round(np.concatenate([straight, straight]), 1),
            "extra_s": np.round(np.concatenate([extra, extra]), 1),
            "road_class": "local_rural",
            "road": "ferry",
            "cap_kph": math.inf,
            "kind": "ferry",
        }
    )


def sub_skeleton(skel: Skeleton, centre: tuple[float, float], radius: float) -> Skeleton:
    """Return the part of a skeleton within ``radius`` of ``centre`` (nodes renumbered)."""
    nodes = skel.nodes
    xy = nodes[["x", "y"]].to_numpy(float)
    inside = np.hypot(xy[:, 0] - centre[0], xy[:, 1] - centre[1]) <= radius
    new_id = np.full(len(nodes), -1, dtype=np.int64)
    new_id[inside] = np.arange(int(inside.sum()))

    def remap(frame: pd.DataFrame) -> pd.DataFrame:
        ok = inside[frame["src"].to_numpy()] & inside[frame["dst"].to_numpy()]
        out = frame[ok].copy()
        out["src"] = new_id[out["src"].to_numpy()]
        out["dst"] = new_id[out["dst"].to_numpy()]
        result: pd.DataFrame = out.reset_index(drop=True)
        return result

    sub_nodes = nodes[inside].copy()
    sub_nodes["node"] = np.arange(len(sub_nodes))
    return Skeleton(
        nodes=sub_nodes.reset_index(drop=True),
        fixed=remap(skel.fixed),
        local=remap(skel.local),
        factors=skel.factors,
        roads=skel.roads,
    )


#: BCH's mesh fit whose network has the national one's structure (strategic roads + mesh).
BCH_STRATEGIC_FIT = "bedfordshire_hertfordshire"


def bch_params() -> MeshParams:
    """BCH's strategic-roads + mesh fit (Bedfordshire and Hertfordshire; committed calibration)."""
    data = json.loads((BCH_DIR / "network_calibration.json").read_text(encoding="utf-8"))
    fit = data["mesh"][BCH_STRATEGIC_FIT]
    return MeshParams(
        detour=float(fit["detour"]),
        urban_kph=float(fit["local_urban_kph"]),
        rural_kph=float(fit["local_rural_kph"]),
        delay_s=float(fit["junction_delay_s"]),
        terminal_s=float(fit["terminal_s"]),
    )


def calibrated(
    shared: Path, skel: Skeleton, lsoas: pd.DataFrame
) -> tuple[MeshParams, dict[str, Any], pd.DataFrame]:
    """Refit the mesh on Cambridge; also report BCH's parameters on this mesh for comparison."""
    import shapely  # noqa: PLC0415 (lazy: shapely is slow to import)

    from siteopt.network.sources import network_from_graphml  # noqa: PLC0415 (light, local)

    osm = network_from_graphml(shared / CAMBRIDGE_GRAPHML)
    hull = shapely.convex_hull(shapely.multipoints(np.column_stack([osm.x, osm.y])))
    centre = (float(hull.centroid.x), float(hull.centroid.y))
    sub = sub_skeleton(skel, centre, CALIBRATION_RADIUS_M)
    pairs = cambridge_pairs(shared, lsoas)
    params = calibrate(sub, pairs)
    fit = MeshFit.uniform(params)
    report = calibration_report(network_of(sub, fit), sub.nodes, pairs, fit)
    # one parameter set: there are no real A roads nationally
    report["fitted"] = report["fitted"]["strategic"]
    report["search"]["objective"] = (
        "detour: median signed distance error 0; speed, delay and terminal time: mean absolute "
        "% time error"
    )
    old = bch_params()
    errors = pair_errors(network_of(sub, MeshFit.uniform(old)), sub.nodes, pairs)
    report["bch_parameters_on_this_mesh"] = {
        "fit": f"{BCH_STRATEGIC_FIT} (BCH's strategic roads + mesh)",
        "time_error": error_summary(errors),
        "parameters": {
            "detour": old.detour,
            "local_urban_kph": old.urban_kph,
            "junction_delay_s": old.delay_s,
            "terminal_s": old.terminal_s,
        },
    }
    report["calibration_area"] = {"centre": centre, "radius_m": CALIBRATION_RADIUS_M}
    return params, report, pairs


def provenance(params: MeshParams, report: dict[str, Any]) -> str:
    """The sentence every output with a national drive time carries."""
    err = report["time_error"]
    return (
        "approximate: strategic roads + mesh everywhere (no real A roads). National Highways "
        "Strategic Road Network of England (motorway lengths from OS Open Roads), OS Open Roads "
        "motorways in Wales, and a Delaunay mesh between LSOA demand points (long edges and "
        f"estuaries without a crossing cut; detour {params.detour:.2f}, urban "
        f"{params.urban_kph:g} km/h, rural {params.rural_kph:g} km/h (assumed), "
        f"{params.delay_s:g} s per link, {params.terminal_s:g} s at each trip end). Calibrated "
        f"on the OpenStreetMap drive graph of Cambridge ({report['pairs']} LSOA pairs): median "
        f"absolute error {err['median_abs_pct']:g}%, 90th percentile {err['p90_abs_pct']:g}%. "
        "No trunk A roads in Wales, no other A roads anywhere; free-flow, no congestion."
    )


@dataclass(frozen=True)
class NationalNetwork:
    """Everything the national build writes for the network."""

    nodes: pd.DataFrame
    edges: pd.DataFrame
    pairs: pd.DataFrame
    calibration: dict[str, Any]


def national_network_inputs(shared: Path) -> list[Path]:
    """Raw files the national network reads (their hashes go into the manifest)."""
    files = [shared / SRN_CSV, shared / MOTORWAYS_FGB, shared / CAMBRIDGE_GRAPHML, shared / DFT_CSV]
    for path in files:
        if not path.is_file():
            raise BuildError(f"{path}: network input file missing")
    return files


def build_national_network(
    shared: Path, lsoas: pd.DataFrame, sites: pd.DataFrame, cell_km2: Any, land: Any
) -> NationalNetwork:
    """Assemble, calibrate and check the national network (nodes, edges, calibration).

    ``cell_km2`` is each LSOA's approximate area and ``land`` the land mask (both from
    :mod:`geodata.national.areas`).
    """
    import pandas as pd  # noqa: PLC0415 (lazy: pandas is slow to import)
    from scipy.sparse.csgraph import connected_components  # noqa: PLC0415 (lazy: scipy is slow to import)

    national_network_inputs(shared)
    skel, ferries, counts = national_skeleton(shared, lsoas, sites, cell_km2, land)
    params, report, pairs = calibrated(shared, skel, lsoas)
    xy = skel.nodes[["x", "y"]].to_numpy(float)
    ferry = ferry_edges(xy, ferries, params.rural_kph)
    skel = dataclasses.replace(skel, fixed=pd.concat([skel.fixed, ferry], ignore_index=True))
    fit = MeshFit.uniform(params)
    edges = edge_table(skel, fit)
    _, labels = connected_components(
        network_of(skel, fit).graph, directed=True, connection="strong"
    )
    main = np.bincount(labels).argmax()
    demand = skel.nodes["kind"].isin(["lsoa", "site"]).to_numpy()
    stranded = skel.nodes.loc[(labels != main) & demand, "ref"]
    if len(stranded):
        msg = f"national network: {len(stranded)} LSOA/site nodes not strongly connected: "
        raise BuildError(msg + ", ".join(stranded.head(5)))
    calibration = calibration_record(skel, edges, params, report, counts, labels != main)
    return NationalNetwork(nodes=skel.nodes, edges=edges, pairs=pairs, calibration=calibration)


def calibration_record(  # noqa: PLR0917 - one argument per part of the record
    skel: Skeleton,
    edges: pd.DataFrame,
    params: MeshParams,
    report: dict[str, Any],
    counts: dict[str, Any],
    unreachable: Any,
) -> dict[str, Any]:
    """The ``network_calibration.json`` of the national dataset."""
    kinds = edges["kind"].value_counts()
    return {
        "provenance": provenance(params, report),
        "speeds_kph": {
            "motorway": DEFAULT_SPEEDS_KPH["motorway"],
            "trunk": DEFAULT_SPEEDS_KPH["trunk"],
            "local_urban": params.urban_kph,
            "local_rural": params.rural_kph,
        },
        "assumptions": {
            "motorway": "105 km/h: average free-flow car speed on motorways (limit 70 mph)",
            "trunk": f"{DEFAULT_SPEEDS_KPH['trunk']:g} km/h top speed (70 mph dual "
            f"carriageway); Strategic Road Network links {UNKNOWN_LIMIT_KPH['trunk']:g} km/h "
            "(their speed cap: no limit data, dual carriageway mixed with roundabouts)",
            "local_rural": RURAL_SPEED_ASSUMPTION,
            "barriers": "estuaries without a fixed road crossing, drawn by hand to about 1 km: "
            + "; ".join(BARRIERS),
            "ferry": f"islands the mesh cannot reach: {FERRY_WAIT_S / 60:g} min wait and "
            f"boarding plus the crossing at {FERRY_KPH:g} km/h",
        },
        "mesh": {
            "method": "Delaunay triangulation of the LSOA demand points",
            "cut": f"edges longer than {CUT_FACTOR:g} x the larger spacing of their ends "
            f"(distance to the {CUT_NEIGHBOUR}th nearest LSOA point)",
            "detour": params.detour,
            "junction_delay_s": params.delay_s,
            "terminal_s": params.terminal_s,
            "urban_density_per_km2": URBAN_DENSITY,
            "urban_area": "approximate area of the LSOA (Voronoi cell, land-masked)",
            "connector_k": CONNECTOR_K,
            "parameters": "refitted on this mesh (the BCH values are reported beside them)",
        },
        "detour_factors": skel.factors,
        "calibration": report,
        "mesh_counts": counts,
        "counts": {
            "nodes": len(skel.nodes),
            "lsoa_nodes": int((skel.nodes["kind"] == "lsoa").sum()),
            "srn_nodes": int((skel.nodes["kind"] == "srn").sum()),
            "os_motorway_nodes": int((skel.nodes["kind"] == "os_motorway").sum()),
            "site_nodes": int((skel.nodes["kind"] == "site").sum()),
            "edges": len(edges),
            **{f"{k}_links": int(v) for k, v in sorted(kinds.items())},
            "strategic_nodes_unreachable": int(unreachable.sum()),
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
        "ferry_kph": FERRY_KPH,
    }

"""Calibration of the mesh on the OpenStreetMap drive graph of Cambridge city.

Between the LSOA demand points inside the graph (at least :data:`HULL_INSET_M` inside its hull),
the fastest times and shortest distances on the real OSM graph (read by the same loader as any
user's file) are the reference. The mesh detour is fitted on distances (median signed error
closest to zero), then the urban speed, the delay per link and the terminal time on times
(grid search, mean absolute % error), deterministically.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from geodata.network_mesh import MeshFit, MeshParams, Skeleton, network_of
from siteopt.network.graph import RoadNetwork
from siteopt.network.sources import network_from_graphml
from siteopt.network.travel import node_times
from siteopt.roadclasses import DEFAULT_SPEEDS_KPH, ROAD_CLASSES

if TYPE_CHECKING:
    import pandas as pd

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

CAMBRIDGE_GRAPHML = Path("roads") / "cambridge_city_drive.graphml"
#: Cambridge LSOAs are used if their point lies this far inside the OSM graph's hull.
HULL_INSET_M = 500.0
#: The grid search runs on the network within this distance of the calibration LSOA points.
CALIBRATION_MARGIN_M = 10_000.0

SEARCH_DETOUR = np.round(np.arange(1.00, 1.801, 0.01), 2)
SEARCH_SPEED = np.arange(12.0, 60.01, 1.0)
SEARCH_DELAY = np.arange(0.0, 40.01, 5.0)
SEARCH_TERMINAL = np.arange(0.0, 180.01, 10.0)


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
) -> FloatArray:
    """Signed relative errors (model / OSM − 1) of the network on the reference pairs.

    Times include the network's terminal time at both ends.
    """
    lsoa_node = dict(zip(nodes.loc[nodes["kind"] == "lsoa", "ref"], nodes["node"], strict=False))
    codes = sorted(set(pairs["from_lsoa"]) | set(pairs["to_lsoa"]))
    index = {c: k for k, c in enumerate(codes)}
    ids = np.array([lsoa_node[c] for c in codes])
    if metres:
        matrix = shortest_metres(network, ids, ids)
    else:
        matrix = node_times(network, ids, ids) + 2 * network.terminal_s
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


@dataclass(frozen=True)
class _SearchGraph:
    """The network around the calibration points, with what each grid point changes."""

    src: IntArray
    dst: IntArray
    metres: FloatArray  # mesh links at detour 1
    seconds: FloatArray  # fixed links (SRN, real roads); mesh links recomputed
    urban: BoolArray
    rural: BoolArray
    ids: IntArray  # calibration LSOA nodes, renumbered
    n_nodes: int

    def matrix(self, weights: FloatArray) -> FloatArray:
        """Shortest weights between the calibration points."""
        from scipy.sparse import csr_matrix  # noqa: PLC0415 (lazy: scipy is slow to import)
        from scipy.sparse.csgraph import dijkstra  # noqa: PLC0415 (lazy: scipy is slow to import)

        # parallel edges: csr_matrix would add them; keep the lightest of each pair
        order = np.lexsort((weights, self.dst, self.src))
        s, d, w = self.src[order], self.dst[order], weights[order]
        first = np.r_[True, (s[1:] != s[:-1]) | (d[1:] != d[:-1])]
        graph = csr_matrix((w[first], (s[first], d[first])), shape=(self.n_nodes,) * 2)
        out: FloatArray = dijkstra(graph, directed=True, indices=self.ids)[:, self.ids]
        return out


def _search_graph(skel: Skeleton, ids: IntArray) -> _SearchGraph:
    """The part of the network within :data:`CALIBRATION_MARGIN_M` of the calibration points.

    Routes between Cambridge LSOA points stay near the city, so the grid search runs on this
    part; the errors reported are measured on the whole network.
    """
    from scipy.spatial import cKDTree  # noqa: PLC0415 (lazy: scipy is slow to import)

    net = network_of(
        skel, MeshFit.uniform(MeshParams(1.0, 30.0, DEFAULT_SPEEDS_KPH["local_rural"], 0.0))
    )
    xy = np.column_stack([net.x, net.y])
    near = cKDTree(xy[ids]).query(xy, distance_upper_bound=CALIBRATION_MARGIN_M)[0]
    keep = np.isfinite(near)
    new_id = np.cumsum(keep) - 1
    edge = keep[net.sources] & keep[net.indices]
    return _SearchGraph(
        src=new_id[net.sources[edge]],
        dst=new_id[net.indices[edge]],
        metres=net.metres[edge],
        seconds=net.seconds[edge],
        urban=(net.road_class == ROAD_CLASSES.index("local_urban"))[edge],
        rural=(net.road_class == ROAD_CLASSES.index("local_rural"))[edge],
        ids=new_id[ids],
        n_nodes=int(keep.sum()),
    )


def _mesh_weights(
    graph: _SearchGraph, detour: float, urban_kph: float, delay_s: float
) -> FloatArray:
    rural_kph = DEFAULT_SPEEDS_KPH["local_rural"]
    weights = graph.seconds.copy()
    weights[graph.urban] = graph.metres[graph.urban] * detour / (urban_kph / 3.6) + delay_s
    weights[graph.rural] = graph.metres[graph.rural] * detour / (rural_kph / 3.6) + delay_s
    return weights


def _time_search(
    graph: _SearchGraph,
    pairs: pd.DataFrame,
    i: IntArray,
    j: IntArray,
    *,
    detour: float,
    terminals: FloatArray,
) -> tuple[float, float, float]:
    """Grid search of urban speed, delay per link and terminal time (mean abs % time error)."""
    ref = pairs["osm_seconds"].to_numpy(float)
    best = (math.inf, 0.0, 0.0, 0.0)
    for delay in SEARCH_DELAY:
        for speed in SEARCH_SPEED:
            times = graph.matrix(_mesh_weights(graph, detour, float(speed), float(delay)))[i, j]
            for terminal in terminals:
                cost = float(np.mean(np.abs((times + 2 * terminal) / ref - 1.0)))
                if cost < best[0] - 1e-12:
                    best = (cost, float(speed), float(delay), float(terminal))
    return best[1], best[2], best[3]


def calibrate(
    skel: Skeleton, pairs: pd.DataFrame, *, terminal_s: float | None = None
) -> MeshParams:
    """Fit the mesh detour on distances, then speed, delay and terminal time on times.

    Every mesh link near Cambridge takes the parameters searched; ``terminal_s`` fixes the
    terminal time instead of searching it.
    """
    ids, i, j = _reference_nodes(skel, pairs)
    graph = _search_graph(skel, ids)
    local = graph.urban | graph.rural
    ref_m = pairs["osm_metres"].to_numpy(float)

    def distance_cost(detour: float) -> float:
        metres = np.where(local, graph.metres * detour, graph.metres)
        return abs(float(np.median(graph.matrix(metres)[i, j] / ref_m - 1.0)))

    detour = float(min(SEARCH_DETOUR, key=distance_cost))
    terminals = SEARCH_TERMINAL if terminal_s is None else np.array([terminal_s])
    speed, delay, terminal = _time_search(graph, pairs, i, j, detour=detour, terminals=terminals)
    return MeshParams(
        detour=detour,
        urban_kph=speed,
        rural_kph=DEFAULT_SPEEDS_KPH["local_rural"],
        delay_s=delay,
        terminal_s=terminal,
    )


def calibration_report(
    fitted: RoadNetwork, nodes: pd.DataFrame, pairs: pd.DataFrame, fit: MeshFit
) -> dict[str, Any]:
    """Errors of the fitted network on the Cambridge pairs, the parameters and the search."""
    return {
        "lsoas": len(set(pairs["from_lsoa"])),
        "pairs": len(pairs),
        "time_error": error_summary(pair_errors(fitted, nodes, pairs)),
        "distance_error": error_summary(pair_errors(fitted, nodes, pairs, metres=True)),
        "fitted": {
            area: {
                "detour": params.detour,
                "local_urban_kph": params.urban_kph,
                "junction_delay_s": params.delay_s,
                "terminal_s": params.terminal_s,
            }
            for area, params in (("real_roads", fit.real_roads), ("strategic", fit.strategic))
        },
        "search": {
            "detour": [float(SEARCH_DETOUR[0]), float(SEARCH_DETOUR[-1]), 0.01],
            "local_urban_kph": [float(SEARCH_SPEED[0]), float(SEARCH_SPEED[-1]), 1.0],
            "junction_delay_s": [float(SEARCH_DELAY[0]), float(SEARCH_DELAY[-1]), 5.0],
            "terminal_s": [float(SEARCH_TERMINAL[0]), float(SEARCH_TERMINAL[-1]), 10.0],
            "objective": "detour: median signed distance error 0; speed, delay and terminal "
            "time: mean absolute % time error. 'strategic': fitted on the network without "
            "the real A roads (the mesh of Bedfordshire and Hertfordshire); 'real_roads': "
            "with them (Cambridgeshire's mesh), the terminal time kept",
        },
    }

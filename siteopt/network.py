"""Road networks and travel times: one :class:`RoadNetwork`, several ways to build it.

A :class:`RoadNetwork` is a directed graph in compressed sparse row (CSR) form with node
coordinates in British National Grid metres (EPSG:27700), a length, a road class and a road name
per edge, and a speed per road class. Travel seconds per edge are
``metres / min(speed of its class, its speed cap) + fixed seconds``.

Ways to a network:

- :func:`embedded_network`: the default built by ``python -m geodata.build`` — the Strategic Road
  Network junction graph with real motorway lengths, plus a local-road mesh between neighbouring
  LSOA demand points, calibrated on the OpenStreetMap graph of Cambridge (approximate; its
  :attr:`RoadNetwork.provenance` says so and how it was calibrated).
- :func:`network_from_osm`: an OpenStreetMap extract (``.osm.pbf``, ``.osm`` XML, read with
  pyosmium) or an OSMnx ``.graphml`` file; one-way streets are honoured.
- :func:`network_from_os_open_roads`: OS Open Roads ``RoadLink`` (GeoPackage or shapefiles).

:func:`travel_times` gives a sources × targets matrix in one call (``scipy.sparse.csgraph``),
cached on disk; :func:`route` gives one fastest route with the roads it uses.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from siteopt._roadclasses import DEFAULT_SPEEDS_KPH, ROAD_CLASSES
from siteopt.errors import NetworkError

if TYPE_CHECKING:
    import networkx as nx
    from scipy.sparse import csr_matrix

    from siteopt._osm import EdgeList
    from siteopt.data import Dataset
    from siteopt.instance import Instance

__all__ = [
    "CACHE_ENV",
    "Points",
    "RoadNetwork",
    "Route",
    "Snap",
    "TravelTimes",
    "embedded_network",
    "instance_travel_times",
    "load_network",
    "lsoa_points",
    "network_from_edges",
    "network_from_graphml",
    "network_from_os_open_roads",
    "network_from_osm",
    "node_metres",
    "node_times",
    "place",
    "route",
    "route_summary",
    "site_points",
    "travel_distances_km",
    "travel_times",
    "write_matrix_csv",
    "write_weights_csv",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Environment variable naming the travel-time cache folder (default ``~/.cache/siteopt``).
CACHE_ENV = "SITEOPT_CACHE"

#: Bump when the cached matrix format or its meaning changes.
_CACHE_VERSION = "tt-1"

#: Files of the embedded network inside a dataset folder.
NODES_FILE = "network_nodes.parquet"
EDGES_FILE = "network_edges.parquet"
CALIBRATION_FILE = "network_calibration.json"

_MIN_METRES = 0.1  # a zero-length edge (duplicate OSM nodes) still costs a little


def _frozen(array: npt.ArrayLike, dtype: Any) -> Any:
    out = np.array(array, dtype=dtype, copy=True)
    out.flags.writeable = False
    return out


def check_speeds(speeds_kph: Mapping[str, float], *, where: str = "speed table") -> None:
    """Raise :class:`NetworkError` if a speed table names an unknown class or a bad speed."""
    unknown = sorted(set(speeds_kph) - set(ROAD_CLASSES))
    if unknown:
        msg = (
            f"{where}: unknown road class {', '.join(map(repr, unknown))} "
            f"(expected one of {', '.join(ROAD_CLASSES)})"
        )
        raise NetworkError(msg)
    bad = {k: v for k, v in speeds_kph.items() if not (math.isfinite(v) and v > 0)}
    if bad:
        raise NetworkError(f"{where}: speeds must be positive km/h, got {bad}")


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """A directed road graph in CSR form; every array is read-only.

    Parameters
    ----------
    x, y
        Node coordinates, EPSG:27700 metres.
    indptr, indices
        CSR adjacency: the edges leaving node ``i`` are ``indptr[i]:indptr[i + 1]`` and go to
        ``indices[...]``. Parallel edges are allowed (the fastest one is used).
    metres
        Road length of each edge.
    road_class
        Index into :data:`ROAD_CLASSES` of each edge.
    road_name
        Index into ``names`` of each edge (``""`` for an unnamed road).
    names
        Road names (refs such as ``"A14"`` or street names).
    cap_kph
        Per-edge speed cap (e.g. an OSM ``maxspeed``), ``inf`` where there is none.
    extra_s
        Fixed seconds added to each edge (junction delay of the embedded mesh), else 0.
    speeds_kph
        Speed per road class; classes not named use :data:`DEFAULT_SPEEDS_KPH`.
    provenance
        What the network is and how far to trust its times; shown in every report with a time.
    source
        The file it was read from, or ``"embedded"``.
    max_snap_m
        Points farther than this from every node are outside the network's extent.
    access_kph, access_detour
        A snapped point reaches its node at ``snap distance * access_detour / access_kph``.
    terminal_s
        Seconds added at each end of every trip (a strategic model's terminal time: leaving and
        reaching the street network inside a zone); 0 for networks read from road files.

    """

    x: FloatArray
    y: FloatArray
    indptr: IntArray
    indices: IntArray
    metres: FloatArray
    road_class: npt.NDArray[np.int16]
    road_name: npt.NDArray[np.int32]
    names: tuple[str, ...]
    cap_kph: FloatArray
    extra_s: FloatArray
    speeds_kph: Mapping[str, float] = field(default_factory=dict)
    provenance: str = ""
    source: str = ""
    max_snap_m: float = 2000.0
    access_kph: float = 20.0
    access_detour: float = 1.3
    terminal_s: float = 0.0

    def __post_init__(self) -> None:
        n = len(self.x)
        m = len(self.indices)
        set_ = object.__setattr__
        set_(self, "x", _frozen(self.x, np.float64))
        set_(self, "y", _frozen(self.y, np.float64))
        set_(self, "indptr", _frozen(self.indptr, np.int64))
        set_(self, "indices", _frozen(self.indices, np.int64))
        set_(self, "metres", _frozen(self.metres, np.float64))
        set_(self, "road_class", _frozen(self.road_class, np.int16))
        set_(self, "road_name", _frozen(self.road_name, np.int32))
        set_(self, "cap_kph", _frozen(self.cap_kph, np.float64))
        set_(self, "extra_s", _frozen(self.extra_s, np.float64))
        set_(self, "names", tuple(self.names))
        check_speeds(self.speeds_kph, where=self.source or "speed table")
        set_(self, "speeds_kph", MappingProxyType({**DEFAULT_SPEEDS_KPH, **self.speeds_kph}))
        if len(self.y) != n or len(self.indptr) != n + 1 or int(self.indptr[-1]) != m:
            raise NetworkError(f"{self.source}: inconsistent node or CSR arrays")
        for name in ("metres", "road_class", "road_name", "cap_kph", "extra_s"):
            if len(getattr(self, name)) != m:
                raise NetworkError(f"{self.source}: {name} has not one value per edge")
        if m and (self.indices.min() < 0 or self.indices.max() >= n):
            raise NetworkError(f"{self.source}: an edge points to a node that does not exist")
        if m and (self.road_class.max() >= len(ROAD_CLASSES) or self.road_class.min() < 0):
            raise NetworkError(f"{self.source}: unknown road class code")
        if m == 0:
            raise NetworkError(f"{self.source}: the network has no roads")

    # -- derived arrays -------------------------------------------------------------------

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.x)

    @property
    def n_edges(self) -> int:
        """Number of directed edges (a two-way road counts twice)."""
        return len(self.indices)

    @cached_property
    def sources(self) -> IntArray:
        """Source node of each edge (expanded from ``indptr``)."""
        out: IntArray = np.repeat(np.arange(self.n_nodes, dtype=np.int64), np.diff(self.indptr))
        out.flags.writeable = False
        return out

    @cached_property
    def seconds(self) -> FloatArray:
        """Travel seconds of each edge at the network's speeds."""
        table = np.array([self.speeds_kph[c] for c in ROAD_CLASSES], dtype=np.float64)
        kph = np.minimum(table[self.road_class], self.cap_kph)
        out: FloatArray = self.metres / (kph / 3.6) + self.extra_s
        out.flags.writeable = False
        return out

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 of everything a travel time depends on (nodes, edges, speeds, access)."""
        digest = hashlib.sha256()
        for array in (self.x, self.y, self.indptr, self.indices, self.seconds):
            digest.update(np.ascontiguousarray(array).tobytes())
        digest.update(
            json.dumps(
                [self.max_snap_m, self.access_kph, self.access_detour, self.terminal_s]
            ).encode()
        )
        return digest.hexdigest()

    @cached_property
    def graph(self) -> csr_matrix:
        """The graph as a ``scipy.sparse`` matrix of seconds (fastest of parallel edges)."""
        from scipy.sparse import csr_matrix

        src, dst, sec = self.sources, self.indices, self.seconds
        keep = src != dst
        order = np.lexsort((sec[keep], dst[keep], src[keep]))
        s, d, w = src[keep][order], dst[keep][order], sec[keep][order]
        first = np.ones(len(s), dtype=bool)
        first[1:] = (s[1:] != s[:-1]) | (d[1:] != d[:-1])
        return csr_matrix((w[first], (s[first], d[first])), shape=(self.n_nodes, self.n_nodes))

    @cached_property
    def _fastest_edge_metres(self) -> csr_matrix:
        """Metres of the edge :attr:`graph` uses between each pair of nodes (the fastest)."""
        from scipy.sparse import csr_matrix

        src, dst, sec = self.sources, self.indices, self.seconds
        keep = src != dst
        order = np.lexsort((sec[keep], dst[keep], src[keep]))
        s, d, m = src[keep][order], dst[keep][order], self.metres[keep][order]
        first = np.ones(len(s), dtype=bool)
        first[1:] = (s[1:] != s[:-1]) | (d[1:] != d[:-1])
        # Zero-length edges would vanish from a sparse matrix: store them as a tiny length.
        return csr_matrix(
            (np.maximum(m[first], 1e-9), (s[first], d[first])), shape=(self.n_nodes, self.n_nodes)
        )

    @cached_property
    def _reverse_graph(self) -> csr_matrix:
        return self.graph.T.tocsr()

    @cached_property
    def _tree(self) -> Any:
        from scipy.spatial import cKDTree

        return cKDTree(np.column_stack([self.x, self.y]))

    def class_of(self, edge: int) -> str:
        """Road class name of one edge."""
        return ROAD_CLASSES[int(self.road_class[edge])]

    # -- changes --------------------------------------------------------------------------

    def with_speeds(self, speeds_kph: Mapping[str, float]) -> RoadNetwork:
        """Return a copy with some class speeds replaced (unknown classes raise an error)."""
        check_speeds(speeds_kph, where=f"{self.source}: speed table")
        from dataclasses import replace

        return replace(self, speeds_kph={**self.speeds_kph, **speeds_kph})

    def to_networkx(self) -> nx.DiGraph[int]:
        """Return a ``networkx.DiGraph`` (fastest parallel edge kept; attributes per edge).

        Nodes carry ``x``, ``y`` (EPSG:27700); edges carry ``seconds``, ``metres``,
        ``road_class`` and ``name``.
        """
        import networkx as nx

        graph: nx.DiGraph[int] = nx.DiGraph()
        for i in range(self.n_nodes):
            graph.add_node(i, x=float(self.x[i]), y=float(self.y[i]))
        order = np.argsort(-self.seconds, kind="stable")  # fastest written last, so it wins
        src, dst = self.sources, self.indices
        for e in order:
            u, v = int(src[e]), int(dst[e])
            if u == v:
                continue
            graph.add_edge(
                u,
                v,
                seconds=float(self.seconds[e]),
                metres=float(self.metres[e]),
                road_class=self.class_of(int(e)),
                name=self.names[int(self.road_name[e])],
            )
        return graph

    # -- snapping ------------------------------------------------------------------------

    def snap(
        self, x: npt.ArrayLike, y: npt.ArrayLike, *, labels: Sequence[str] | None = None
    ) -> Snap:
        """Snap points (EPSG:27700 metres) to their nearest nodes.

        Raises
        ------
        NetworkError
            If a point is farther than :attr:`max_snap_m` from every node (outside the extent).

        """
        xs = np.atleast_1d(np.asarray(x, dtype=np.float64))
        ys = np.atleast_1d(np.asarray(y, dtype=np.float64))
        if not (np.isfinite(xs).all() and np.isfinite(ys).all()):
            raise NetworkError(f"{self.source}: cannot snap a point with no coordinates")
        dist, node = self._tree.query(np.column_stack([xs, ys]))
        far = np.flatnonzero(dist > self.max_snap_m)
        if len(far):
            i = int(far[0])
            name = labels[i] if labels is not None else f"point {i}"
            msg = (
                f"{name!r} at ({xs[i]:.0f}, {ys[i]:.0f}) is outside the road network "
                f"{self.source}: nearest node {dist[i]:.0f} m away (limit {self.max_snap_m:.0f} m)"
                + (f"; {len(far) - 1} more points too" if len(far) > 1 else "")
            )
            raise NetworkError(msg)
        return Snap(node=np.asarray(node, dtype=np.int64), distance_m=np.asarray(dist))

    def access_seconds(self, distance_m: FloatArray) -> FloatArray:
        """Seconds from a point to its snapped node: the off-network leg plus terminal time."""
        out: FloatArray = distance_m * self.access_detour / (self.access_kph / 3.6)
        return out + self.terminal_s


@dataclass(frozen=True)
class Snap:
    """Nearest node of each point and the straight-line distance to it (metres)."""

    node: IntArray
    distance_m: FloatArray


# ---------------------------------------------------------------------------------------------
# Points, matrices, cache, routes


@dataclass(frozen=True)
class Points:
    """Named points in EPSG:27700 metres (LSOA demand points, sites, any place)."""

    ids: tuple[str, ...]
    x: FloatArray
    y: FloatArray

    def __post_init__(self) -> None:
        object.__setattr__(self, "ids", tuple(self.ids))
        object.__setattr__(self, "x", _frozen(self.x, np.float64))
        object.__setattr__(self, "y", _frozen(self.y, np.float64))
        if not len(self.ids) == len(self.x) == len(self.y):
            raise NetworkError("points: ids, x and y differ in length")

    @classmethod
    def from_lonlat(cls, ids: Sequence[str], lon: npt.ArrayLike, lat: npt.ArrayLike) -> Points:
        """Points from WGS84 longitude/latitude."""
        x, y = _to_bng(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
        return cls(tuple(ids), x, y)

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class TravelTimes:
    """A sources × targets travel-time matrix with what it is based on.

    ``seconds[i, j]`` is the drive time from ``sources[i]`` to ``targets[j]``, including the
    access legs from each point to its snapped node. Pairs with no route are listed in
    ``unreachable`` (their entries are ``inf``); a matrix is only made with such pairs when the
    caller allowed them.
    """

    seconds: FloatArray
    sources: Points
    targets: Points
    source_snap_m: FloatArray
    target_snap_m: FloatArray
    unreachable: tuple[tuple[str, str], ...]
    provenance: str
    from_cache: bool

    def __post_init__(self) -> None:
        for name in ("seconds", "source_snap_m", "target_snap_m"):
            object.__setattr__(self, name, _frozen(getattr(self, name), np.float64))

    @property
    def minutes(self) -> FloatArray:
        """The matrix in minutes."""
        out: FloatArray = self.seconds / 60.0
        return out


def default_cache_dir() -> Path:
    """``$SITEOPT_CACHE`` if set, else ``~/.cache/siteopt``."""
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else Path.home() / ".cache" / "siteopt"


def _points_digest(points: Points) -> bytes:
    return hashlib.sha256(points.x.tobytes() + points.y.tobytes()).digest()


def _atomic_save(path: Path, **arrays: FloatArray) -> None:
    from siteopt.atomic import atomic_write

    def save(temporary: Path) -> None:
        with temporary.open("wb") as handle:  # a handle: np.savez would add ".npz" to a name
            np.savez(handle, **arrays)  # type: ignore[arg-type]

    atomic_write(path, save)


def _read_cache(path: Path, shape: tuple[int, int]) -> tuple[FloatArray, ...] | None:
    try:
        with np.load(path) as data:
            out = (data["seconds"], data["source_snap_m"], data["target_snap_m"])
    except (OSError, KeyError, ValueError):
        return None  # missing or unreadable (e.g. truncated by a crash): recompute
    return out if out[0].shape == shape else None


def node_times(
    network: RoadNetwork, source_nodes: npt.ArrayLike, target_nodes: npt.ArrayLike
) -> FloatArray:
    """Node-to-node fastest seconds, ``len(source_nodes) × len(target_nodes)`` (``inf``: none).

    Runs Dijkstra from whichever side has fewer distinct nodes (on the reversed graph when
    starting from the targets), so 1,558 homes × 30 sites costs 30 searches.
    """
    from scipy.sparse.csgraph import dijkstra

    src = np.asarray(source_nodes, dtype=np.int64)
    dst = np.asarray(target_nodes, dtype=np.int64)
    usrc, src_inv = np.unique(src, return_inverse=True)
    udst, dst_inv = np.unique(dst, return_inverse=True)
    if len(udst) < len(usrc):
        dist = dijkstra(network._reverse_graph, directed=True, indices=udst, min_only=False)
        out: FloatArray = dist[:, usrc][dst_inv][:, src_inv].T
    else:
        dist = dijkstra(network.graph, directed=True, indices=usrc, min_only=False)
        out = dist[:, udst][src_inv][:, dst_inv]
    return np.ascontiguousarray(out)


def node_metres(
    network: RoadNetwork, source_nodes: npt.ArrayLike, target_nodes: npt.ArrayLike
) -> FloatArray:
    """Road metres along the *fastest* path between nodes, ``sources × targets`` (``inf``: none).

    Dijkstra on seconds with predecessors, then the metres of each tree accumulated from the
    root by pointer doubling (vectorised; ``O(n log depth)`` per tree).
    """
    from scipy.sparse.csgraph import dijkstra

    src = np.asarray(source_nodes, dtype=np.int64)
    dst = np.asarray(target_nodes, dtype=np.int64)
    usrc, src_inv = np.unique(src, return_inverse=True)
    udst, dst_inv = np.unique(dst, return_inverse=True)
    reverse = len(udst) < len(usrc)
    graph = network._reverse_graph if reverse else network.graph
    roots = udst if reverse else usrc
    seconds, pred = dijkstra(graph, directed=True, indices=roots, return_predecessors=True)
    edge_m = network._fastest_edge_metres.T.tocsr() if reverse else network._fastest_edge_metres
    metres = np.full(seconds.shape, np.inf)
    for row, root in enumerate(roots):
        metres[row] = _tree_metres(pred[row], edge_m, int(root))
    metres[~np.isfinite(seconds)] = np.inf
    if reverse:
        out: FloatArray = metres[:, usrc][dst_inv][:, src_inv].T
    else:
        out = metres[:, udst][src_inv][:, dst_inv]
    return np.ascontiguousarray(out)


def _tree_metres(pred: IntArray, edge_m: csr_matrix, root: int) -> FloatArray:
    """Metres from the root to every node of a shortest-path tree (``inf`` off the tree)."""
    n = len(pred)
    reached = pred >= 0
    nodes = np.flatnonzero(reached)
    step = np.zeros(n)
    step[nodes] = np.asarray(edge_m[pred[nodes], nodes]).ravel()
    parent = np.where(reached, pred, root)
    parent[root] = root
    total = step.copy()
    while True:
        moved = parent != root
        if not moved.any():
            break
        total[moved] += total[parent[moved]]
        parent = np.where(moved, parent[parent], root)
    total[~reached] = np.inf
    total[root] = 0.0
    return total


def travel_distances_km(network: RoadNetwork, sources: Points, targets: Points) -> FloatArray:
    """Road kilometres along the fastest route from every source to every target.

    Includes the off-network legs (snap distance × the network's access detour) at both ends.
    """
    s = network.snap(sources.x, sources.y, labels=sources.ids)
    t = network.snap(targets.x, targets.y, labels=targets.ids)
    metres = node_metres(network, s.node, t.node)
    metres += (s.distance_m * network.access_detour)[:, None]
    metres += (t.distance_m * network.access_detour)[None, :]
    out: FloatArray = metres / 1000.0
    return out


def travel_times(
    network: RoadNetwork,
    sources: Points,
    targets: Points,
    *,
    cache: bool = True,
    cache_dir: Path | None = None,
    allow_unreachable: bool = False,
) -> TravelTimes:
    """Drive seconds from every source to every target in one call, cached on disk.

    Parameters
    ----------
    network
        The road network (directed where its data is: homes → sites for commutes).
    sources, targets
        Points to snap to the network.
    cache
        Read and write the cache (keyed by the network's fingerprint, the points and the
        speeds); the file is written to a temporary name and renamed into place.
    cache_dir
        Cache folder; default :func:`default_cache_dir`.
    allow_unreachable
        If false (default), a pair with no route raises :class:`NetworkError` naming the
        target; if true, such pairs are listed in :attr:`TravelTimes.unreachable`.

    """
    shape = (len(sources), len(targets))
    key = hashlib.sha256(
        f"{_CACHE_VERSION}|{network.fingerprint}|".encode()
        + _points_digest(sources)
        + _points_digest(targets)
    ).hexdigest()[:40]
    path = (cache_dir or default_cache_dir()) / f"{key}.npz"
    cached = _read_cache(path, shape) if cache else None
    if cached is not None:
        seconds, src_snap, dst_snap = cached
    else:
        s = network.snap(sources.x, sources.y, labels=sources.ids)
        t = network.snap(targets.x, targets.y, labels=targets.ids)
        seconds = node_times(network, s.node, t.node)
        seconds += network.access_seconds(s.distance_m)[:, None]
        seconds += network.access_seconds(t.distance_m)[None, :]
        src_snap, dst_snap = s.distance_m, t.distance_m
        if cache:
            _atomic_save(path, seconds=seconds, source_snap_m=src_snap, target_snap_m=dst_snap)
    bad_i, bad_j = np.nonzero(~np.isfinite(seconds))
    unreachable = tuple((sources.ids[i], targets.ids[j]) for i, j in zip(bad_i, bad_j, strict=True))
    if unreachable and not allow_unreachable:
        raise NetworkError(_unreachable_message(network, sources, targets, bad_i, bad_j))
    return TravelTimes(
        seconds=seconds,
        sources=sources,
        targets=targets,
        source_snap_m=src_snap,
        target_snap_m=dst_snap,
        unreachable=unreachable,
        provenance=network.provenance,
        from_cache=cached is not None,
    )


def _unreachable_message(
    network: RoadNetwork,
    sources: Points,
    targets: Points,
    bad_i: IntArray,
    bad_j: IntArray,
) -> str:
    worst = np.bincount(bad_j, minlength=len(targets))
    j = int(np.argmax(worst))
    example = sources.ids[int(bad_i[np.flatnonzero(bad_j == j)[0]])]
    return (
        f"site {targets.ids[j]!r} cannot be reached on the road network {network.source} from "
        f"{int(worst[j])} of {len(sources)} origins (e.g. {example!r}); it is on a part of the "
        f"network not connected to the rest ({len(bad_i)} unreachable pairs in all; set "
        "[network] allow_unreachable = true to list them instead)"
    )


@dataclass(frozen=True)
class Leg:
    """A stretch of a route on one road (consecutive edges of the same name and class)."""

    road: str
    road_class: str
    metres: float
    seconds: float


@dataclass(frozen=True)
class Route:
    """A fastest route: total time and distance (access legs included) and the roads used."""

    seconds: float
    metres: float
    nodes: tuple[int, ...]
    legs: tuple[Leg, ...]
    snap_m: tuple[float, float]
    straight_m: float
    provenance: str

    def roads(self) -> list[str]:
        """Named roads used, in order, without repeats next to each other."""
        out: list[str] = []
        for leg in self.legs:
            if leg.road and (not out or out[-1] != leg.road):
                out.append(leg.road)
        return out


def route(
    network: RoadNetwork,
    origin: tuple[float, float],
    destination: tuple[float, float],
    *,
    labels: tuple[str, str] = ("origin", "destination"),
) -> Route:
    """The fastest route between two points (EPSG:27700), with its legs."""
    from scipy.sparse.csgraph import dijkstra

    snap = network.snap(
        [origin[0], destination[0]], [origin[1], destination[1]], labels=list(labels)
    )
    a, b = int(snap.node[0]), int(snap.node[1])
    dist, pred = dijkstra(network.graph, directed=True, indices=a, return_predecessors=True)
    if not np.isfinite(dist[b]):
        msg = f"{labels[1]!r} cannot be reached from {labels[0]!r} on {network.source}"
        raise NetworkError(msg)
    nodes = [b]
    while nodes[-1] != a:
        nodes.append(int(pred[nodes[-1]]))
    nodes.reverse()
    legs: list[Leg] = []
    for u, v in itertools.pairwise(nodes):
        lo, hi = int(network.indptr[u]), int(network.indptr[u + 1])
        cand = lo + np.flatnonzero(network.indices[lo:hi] == v)
        e = int(cand[np.argmin(network.seconds[cand])])
        name, cls = network.names[int(network.road_name[e])], network.class_of(e)
        metres, secs = float(network.metres[e]), float(network.seconds[e])
        if legs and legs[-1].road == name and legs[-1].road_class == cls:
            last = legs.pop()
            metres, secs = last.metres + metres, last.seconds + secs
        legs.append(Leg(name, cls, metres, secs))
    access = network.access_seconds(snap.distance_m)
    detour = snap.distance_m * network.access_detour
    return Route(
        seconds=float(dist[b] + access.sum()),
        metres=float(sum(leg.metres for leg in legs) + detour.sum()),
        nodes=tuple(nodes),
        legs=tuple(legs),
        snap_m=(float(snap.distance_m[0]), float(snap.distance_m[1])),
        straight_m=math.dist(origin, destination),
        provenance=network.provenance,
    )


# ---------------------------------------------------------------------------------------------
# Building a network from edge lists


def network_from_edges(  # noqa: PLR0917 - an edge list is naturally positional
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    src: npt.ArrayLike,
    dst: npt.ArrayLike,
    metres: npt.ArrayLike,
    road_class: Sequence[str] | npt.ArrayLike,
    *,
    two_way: npt.ArrayLike | bool = False,
    names: Sequence[str] | None = None,
    cap_kph: npt.ArrayLike | None = None,
    extra_s: npt.ArrayLike | None = None,
    **options: Any,
) -> RoadNetwork:
    """Build a :class:`RoadNetwork` from an edge list (two-way edges are added both ways).

    ``road_class`` holds class names; ``names`` one road name per edge. Other keyword
    options (``speeds_kph``, ``provenance``, ``source``, ``max_snap_m``, ``access_kph``,
    ``access_detour``) are passed to :class:`RoadNetwork`.
    """
    s = np.asarray(src, dtype=np.int64)
    d = np.asarray(dst, dtype=np.int64)
    m = len(s)
    source = str(options.get("source", ""))
    if m == 0:
        raise NetworkError(f"{source}: the network has no roads")
    classes = np.asarray(road_class)
    lookup = {c: i for i, c in enumerate(ROAD_CLASSES)}
    unknown = sorted(set(map(str, np.unique(classes))) - set(lookup))
    if unknown:
        raise NetworkError(f"{source}: unknown road class {', '.join(map(repr, unknown))}")
    codes = np.array([lookup[str(c)] for c in classes], dtype=np.int16)
    name_list = list(names) if names is not None else [""] * m
    table, name_code = np.unique(
        np.asarray(name_list, dtype=object).astype(str), return_inverse=True
    )
    both = np.broadcast_to(np.asarray(two_way, dtype=bool), (m,))
    cap = np.full(m, np.inf) if cap_kph is None else np.asarray(cap_kph, dtype=np.float64)
    extra = np.zeros(m) if extra_s is None else np.asarray(extra_s, dtype=np.float64)
    length = np.maximum(np.asarray(metres, dtype=np.float64), _MIN_METRES)
    rev = np.flatnonzero(both)
    all_s = np.concatenate([s, d[rev]])
    all_d = np.concatenate([d, s[rev]])
    order = np.argsort(all_s, kind="stable")
    n = len(np.asarray(x))
    pick = np.concatenate([np.arange(m), rev])[order]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(all_s, minlength=n), out=indptr[1:])
    return RoadNetwork(
        x=np.asarray(x, dtype=np.float64),
        y=np.asarray(y, dtype=np.float64),
        indptr=indptr,
        indices=all_d[order],
        metres=length[pick],
        road_class=codes[pick],
        road_name=np.asarray(name_code, dtype=np.int32).reshape(-1)[pick],
        names=tuple(str(t) for t in table),
        cap_kph=cap[pick],
        extra_s=extra[pick],
        **options,
    )


def _to_bng(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    from pyproj import Transformer

    transformer = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    x, y = transformer.transform(lon, lat)
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def largest_component(network: RoadNetwork) -> RoadNetwork:
    """The largest strongly connected part of a network (as OSMnx keeps by default)."""
    from scipy.sparse.csgraph import connected_components

    count, label = connected_components(network.graph, directed=True, connection="strong")
    if count == 1:
        return network
    keep_label = int(np.argmax(np.bincount(label)))
    keep = label == keep_label
    new_id = np.cumsum(keep) - 1
    src, dst = network.sources, network.indices
    edge_keep = keep[src] & keep[dst]
    from dataclasses import replace

    s, d = new_id[src[edge_keep]], new_id[dst[edge_keep]]
    indptr = np.zeros(int(keep.sum()) + 1, dtype=np.int64)
    np.cumsum(np.bincount(s, minlength=int(keep.sum())), out=indptr[1:])
    return replace(
        network,
        x=network.x[keep],
        y=network.y[keep],
        indptr=indptr,
        indices=d,
        metres=network.metres[edge_keep],
        road_class=network.road_class[edge_keep],
        road_name=network.road_name[edge_keep],
        cap_kph=network.cap_kph[edge_keep],
        extra_s=network.extra_s[edge_keep],
    )


_SPEED = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$")


def parse_maxspeed(raw: str | None) -> float:
    """An OSM ``maxspeed`` in km/h (``inf`` when absent or not a number, e.g. ``"signals"``)."""
    if not raw:
        return math.inf
    match = _SPEED.match(raw.split(";")[0])
    if match is None:
        return math.inf
    value = float(match.group(1))
    return value * 1.609344 if match.group(2) == "mph" else value


# ---------------------------------------------------------------------------------------------
# Loaders


def network_from_osm(
    path: Path | str, *, speeds_kph: Mapping[str, float] | None = None
) -> RoadNetwork:
    """Read an OpenStreetMap extract (``.osm.pbf``, ``.osm`` XML) or an OSMnx ``.graphml``.

    Ways with a drivable ``highway`` value become edges (split at junctions); ``oneway``
    (``yes``/``-1``, and implied on motorways and roundabouts) is honoured; ``maxspeed`` caps
    the class speed. The largest strongly connected part is kept.
    """
    path = Path(path)
    if path.suffix.lower() == ".graphml":
        return network_from_graphml(path, speeds_kph=speeds_kph)
    from siteopt._osm import read_osm_ways

    ways = read_osm_ways(path)
    return _network_from_file(ways, path, "OpenStreetMap extract", speeds_kph, one_way_data=True)


def network_from_graphml(
    path: Path | str, *, speeds_kph: Mapping[str, float] | None = None
) -> RoadNetwork:
    """Read an OSMnx GraphML drive graph (nodes with lon ``x``/lat ``y``; edges with length)."""
    from siteopt._osm import read_graphml_edges

    path = Path(path)
    ways = read_graphml_edges(path)
    return _network_from_file(
        ways, path, "OpenStreetMap (OSMnx graph)", speeds_kph, one_way_data=True
    )


def network_from_os_open_roads(
    path: Path | str, *, speeds_kph: Mapping[str, float] | None = None
) -> RoadNetwork:
    """Read OS Open Roads ``RoadLink`` (a GeoPackage, a shapefile, or a folder of tiles).

    OS Open Roads carries no one-way information, so every link is two-way; classes map as in
    :data:`siteopt._roadclasses.OS_OPEN_ROADS_CLASSES`.
    """
    from siteopt._osm import read_open_roads

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
            provenance=_file_provenance(what, path, one_way=one_way_data),
            max_snap_m=1000.0,
        )
    )


def _file_provenance(what: str, path: Path, *, one_way: bool) -> str:
    return (
        f"{what} {path.name}: drive times at a speed per road class "
        f"({'one-way streets honoured' if one_way else 'no one-way data: all roads two-way'}), "
        "free-flow, no congestion"
    )


def embedded_network(
    dataset: Dataset, *, speeds_kph: Mapping[str, float] | None = None
) -> RoadNetwork:
    """The dataset's strategic network + local mesh (built by ``python -m geodata.build``)."""
    import pyarrow.parquet as pq

    nodes = pq.read_table(dataset.path(NODES_FILE), columns=["x", "y"])
    edges = pq.read_table(dataset.path(EDGES_FILE)).to_pydict()
    calibration = json.loads(dataset.path(CALIBRATION_FILE).read_text(encoding="utf-8"))
    speeds = {**calibration["speeds_kph"], **(speeds_kph or {})}
    return network_from_edges(
        nodes.column("x").to_numpy(),
        nodes.column("y").to_numpy(),
        edges["src"],
        edges["dst"],
        edges["metres"],
        edges["road_class"],
        names=edges["road"],
        extra_s=edges["extra_s"],
        speeds_kph=speeds,
        source=f"{dataset.root.name} embedded network",
        provenance=str(calibration["provenance"]),
        max_snap_m=float(calibration["max_snap_m"]),
        access_kph=float(calibration["access_kph"]),
        access_detour=float(calibration["access_detour"]),
        terminal_s=float(calibration["terminal_s"]),
    )


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


# ---------------------------------------------------------------------------------------------
# Points of an instance


def lsoa_points(dataset: Dataset) -> tuple[Points, FloatArray]:
    """LSOA demand points (ids = LSOA codes) and their mid-2015 and mid-2019 populations."""
    lsoas = dataset.lsoas()
    points = Points(
        tuple(lsoas["lsoa11cd"]), lsoas["x"].to_numpy(float), lsoas["y"].to_numpy(float)
    )
    pops = lsoas[["pop_mid2015", "pop_mid2019"]].to_numpy(np.float64)
    return points, pops


def site_points(instance: Instance, ids: Sequence[str] | None = None) -> Points:
    """Points of sites (dataset or the instance's custom sites), default the candidates."""
    dataset = instance.dataset()
    chosen = list(ids) if ids is not None else instance.candidate_ids()
    xs: list[float] = []
    ys: list[float] = []
    greenfield = {g.id: g for g in instance.greenfield_sites}
    for sid in chosen:
        if sid in dataset.sites:
            xs.append(dataset.sites[sid].x)
            ys.append(dataset.sites[sid].y)
            continue
        if sid in greenfield:
            xs.append(greenfield[sid].x)
            ys.append(greenfield[sid].y)
            continue
        custom = instance.sites.custom.get(sid)
        if custom is None:
            known = ", ".join(sorted([*dataset.sites, *instance.sites.custom]))
            raise NetworkError(f"site {sid!r} is not a dataset or custom site (known: {known})")
        if custom.postcode is not None:
            east, north = dataset.locate_postcode(custom.postcode)
            xs.append(float(east))
            ys.append(float(north))
        elif custom.easting is not None and custom.northing is not None:
            xs.append(custom.easting)
            ys.append(custom.northing)
        else:
            assert custom.lon is not None and custom.lat is not None
            bx, by = _to_bng(np.array([custom.lon]), np.array([custom.lat]))
            xs.append(float(bx[0]))
            ys.append(float(by[0]))
    return Points(tuple(chosen), np.array(xs), np.array(ys))


def place(instance: Instance, ref: str) -> tuple[str, float, float]:
    """A named place of an instance: a site id, an LSOA code, a postcode or ``"lon,lat"``.

    Returns a label and EPSG:27700 coordinates.
    """
    dataset = instance.dataset()
    if ref in dataset.sites or ref in instance.sites.custom:
        points = site_points(instance, [ref])
        return ref, float(points.x[0]), float(points.y[0])
    if re.fullmatch(r"E0\d{7}", ref):
        lsoas = dataset.lsoas()
        row = lsoas.loc[lsoas["lsoa11cd"] == ref, ["x", "y"]].to_numpy(np.float64)
        if len(row):
            return ref, float(row[0, 0]), float(row[0, 1])
    if re.fullmatch(r"\s*-?\d+(\.\d+)?\s*,\s*-?\d+(\.\d+)?\s*", ref):
        lon, lat = (float(v) for v in ref.split(","))
        x, y = _to_bng(np.array([lon]), np.array([lat]))
        return ref, float(x[0]), float(y[0])
    from siteopt.errors import DataError

    try:
        east, north = dataset.locate_postcode(ref)
    except DataError:
        msg = (
            f"place {ref!r} not understood: expected a site id, an LSOA code (E01...), a "
            "postcode in the dataset or 'lon,lat'"
        )
        raise NetworkError(msg) from None
    return ref, float(east), float(north)


def instance_travel_times(
    instance: Instance, *, cache: bool = True, cache_dir: Path | None = None
) -> TravelTimes:
    """LSOA demand points → candidate sites (home → site) on the instance's network."""
    network = load_network(instance)
    homes, _ = lsoa_points(instance.dataset())
    return travel_times(
        network,
        homes,
        site_points(instance),
        cache=cache,
        cache_dir=cache_dir,
        allow_unreachable=instance.network.allow_unreachable,
    )


def write_matrix_csv(times: TravelTimes, path: Path) -> None:
    """Write minutes (rows = sources, columns = targets); a pair with no route: ``unreachable``."""
    import csv

    path.parent.mkdir(parents=True, exist_ok=True)
    minutes = times.minutes
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["lsoa11cd", *times.targets.ids])
        for i, sid in enumerate(times.sources.ids):
            writer.writerow(
                [sid, *(f"{v:.2f}" if math.isfinite(v) else "unreachable" for v in minutes[i])]
            )


def write_weights_csv(instance: Instance, path: Path) -> None:
    """Write each LSOA's force and population (the instance's population year)."""
    lsoas = instance.dataset().lsoas()
    year = instance.data.population_year
    path.parent.mkdir(parents=True, exist_ok=True)
    lsoas[["lsoa11cd", "force", f"pop_mid{year}"]].rename(
        columns={f"pop_mid{year}": "population"}
    ).to_csv(path, index=False, lineterminator="\n")


def route_summary(found: Route, origin: str, destination: str) -> dict[str, Any]:
    """A route as plain data for the CLI and reports."""
    return {
        "from": origin,
        "to": destination,
        "minutes": round(found.seconds / 60.0, 1),
        "km": round(found.metres / 1000.0, 1),
        "straight_km": round(found.straight_m / 1000.0, 1),
        "roads": found.roads(),
        "legs": [
            {
                "road": leg.road,
                "road_class": leg.road_class,
                "km": round(leg.metres / 1000.0, 2),
                "minutes": round(leg.seconds / 60.0, 2),
            }
            for leg in found.legs
        ],
        "snap_m": [round(v, 1) for v in found.snap_m],
        "provenance": found.provenance,
    }

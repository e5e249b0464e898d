"""The road graph: RoadNetwork in compressed sparse row form.

The road graph: :class:`RoadNetwork` in compressed sparse row form, built from
any edge list, and its largest connected part.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from siteopt.errors import NetworkError
from siteopt.roadclasses import DEFAULT_SPEEDS_KPH, ROAD_CLASSES

if TYPE_CHECKING:
    import networkx as nx
    from scipy.sparse import csr_matrix


__all__ = ["RoadNetwork", "Snap", "network_from_edges"]


FloatArray = npt.NDArray[np.float64]


IntArray = npt.NDArray[np.int64]


_MIN_METRES = 0.1  # a zero-length edge (duplicate OSM nodes) still costs a little

# Points × nodes up to which snapping compares every pair (a few MB) instead of a k-d tree.
_DIRECT_SNAP_CELLS = 2_000_000


def _frozen(array: npt.ArrayLike, dtype: Any) -> Any:
    out = np.array(array, dtype=dtype, copy=True)
    out.flags.writeable = False
    return out


def check_congestion(factors: Mapping[str, float], *, where: str = "congestion") -> None:
    """Raise :class:`NetworkError` if a congestion table names an unknown class or a factor < 1."""
    unknown = sorted(set(factors) - set(ROAD_CLASSES))
    if unknown:
        classes = ", ".join(ROAD_CLASSES)
        msg = f"{where}: unknown road class {unknown[0]!r} (expected one of {classes})"
        raise NetworkError(msg)
    for name, factor in factors.items():
        if not (math.isfinite(factor) and factor >= 1.0):
            msg = f"{where}: {name}: expected a drive-time multiplier of at least 1, got {factor}"
            raise NetworkError(msg)


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
    congestion: Mapping[str, float] = field(default_factory=dict)

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
        check_congestion(self.congestion, where=self.source or "congestion")
        set_(self, "congestion", MappingProxyType(dict(self.congestion)))
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
        if self.congestion:
            slower = np.array([self.congestion.get(c, 1.0) for c in ROAD_CLASSES])
            out = out * slower[self.road_class]
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
        from scipy.sparse import csr_matrix  # noqa: PLC0415 (lazy: scipy is slow to import)

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
        from scipy.sparse import csr_matrix  # noqa: PLC0415 (lazy: scipy is slow to import)

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
        from scipy.spatial import cKDTree  # noqa: PLC0415 (lazy: scipy is slow to import)

        return cKDTree(np.column_stack([self.x, self.y]))

    def class_of(self, edge: int) -> str:
        """Road class name of one edge."""
        return ROAD_CLASSES[int(self.road_class[edge])]

    # -- changes --------------------------------------------------------------------------

    def with_speeds(self, speeds_kph: Mapping[str, float]) -> RoadNetwork:
        """Return a copy with some class speeds replaced (unknown classes raise an error)."""
        check_speeds(speeds_kph, where=f"{self.source}: speed table")

        return replace(self, speeds_kph={**self.speeds_kph, **speeds_kph})

    def with_congestion(self, factors: Mapping[str, float], note: str) -> RoadNetwork:
        """Return a copy whose edge times are multiplied per road class.

        ``note`` joins the provenance; classes not named keep their time. Unknown classes or
        factors below 1 raise :class:`NetworkError`.
        """
        check_congestion(factors, where=f"{self.source}: congestion")
        return replace(
            self, congestion=dict(factors), provenance=f"{self.provenance} {note}".strip()
        )

    def to_networkx(self) -> nx.DiGraph[int]:
        """Return a ``networkx.DiGraph`` (fastest parallel edge kept; attributes per edge).

        Nodes carry ``x``, ``y`` (EPSG:27700); edges carry ``seconds``, ``metres``,
        ``road_class`` and ``name``.
        """
        import networkx as nx  # noqa: PLC0415 (lazy: networkx is slow to import)

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
        dist, node = self._nearest_nodes(xs, ys)
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

    def _nearest_nodes(self, xs: FloatArray, ys: FloatArray) -> tuple[FloatArray, IntArray]:
        """Distance to and index of each point's nearest node.

        A few points (force centres, one site) are compared with every node directly: building
        a k-d tree, and importing scipy.spatial for it, costs more than the search.
        """
        if len(xs) * self.n_nodes > _DIRECT_SNAP_CELLS:
            dist, node = self._tree.query(np.column_stack([xs, ys]))
            return np.asarray(dist, dtype=np.float64), np.asarray(node, dtype=np.int64)
        squared = (xs[:, None] - self.x[None, :]) ** 2 + (ys[:, None] - self.y[None, :]) ** 2
        node = np.argmin(squared, axis=1)
        return np.sqrt(squared[np.arange(len(xs)), node]), node.astype(np.int64)

    def access_seconds(self, distance_m: FloatArray) -> FloatArray:
        """Seconds from a point to its snapped node: the off-network leg plus terminal time."""
        out: FloatArray = distance_m * self.access_detour / (self.access_kph / 3.6)
        return out + self.terminal_s


@dataclass(frozen=True)
class Snap:
    """Nearest node of each point and the straight-line distance to it (metres)."""

    node: IntArray
    distance_m: FloatArray


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


def largest_component(network: RoadNetwork) -> RoadNetwork:
    """The largest strongly connected part of a network (as OSMnx keeps by default)."""
    from scipy.sparse.csgraph import connected_components  # noqa: PLC0415 (lazy: scipy is slow to import)

    count, label = connected_components(network.graph, directed=True, connection="strong")
    if count == 1:
        return network
    keep_label = int(np.argmax(np.bincount(label)))
    keep = label == keep_label
    new_id = np.cumsum(keep) - 1
    src, dst = network.sources, network.indices
    edge_keep = keep[src] & keep[dst]

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

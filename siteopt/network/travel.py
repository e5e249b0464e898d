"""Travel times and distances between sets of points, cached on disk.

Travel times and distances: sources × targets matrices in one call
(``scipy.sparse.csgraph``), cached on disk, and their CSV files.
"""

from __future__ import annotations

import csv
import hashlib
import math
import multiprocessing
import os
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from siteopt.atomic import atomic_write
from siteopt.errors import CacheWarning, NetworkError, SiteoptError
from siteopt.network.graph import _frozen
from siteopt.network.points import Points, lsoa_points, site_points
from siteopt.network.sources import load_network

if TYPE_CHECKING:
    from collections.abc import Callable

    from scipy.sparse import csr_matrix

    from siteopt.instance.schema import Instance
    from siteopt.network.graph import RoadNetwork

__all__ = [
    "CACHE_ENV",
    "TravelTimes",
    "instance_travel_times",
    "node_metres",
    "node_times",
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

    def save(temporary: Path) -> None:
        with temporary.open("wb") as handle:  # a handle: np.savez would add ".npz" to a name
            np.savez(handle, **arrays)  # type: ignore[arg-type]

    atomic_write(path, save)


def _cache_key(kind: str, network: RoadNetwork, sources: Points, targets: Points) -> str:
    """File stem of a cached matrix: its kind (``s`` seconds, ``km``), the network, the points."""
    prefix = (
        f"{_CACHE_VERSION}|{network.fingerprint}|"
        if kind == "s"
        else (f"{_CACHE_VERSION}|{kind}|{network.fingerprint}|")
    )  # seconds keep the key they always had, so existing caches stay warm
    return hashlib.sha256(
        prefix.encode() + _points_digest(sources) + _points_digest(targets)
    ).hexdigest()[:40]


_TIMES = ("seconds", "source_snap_m", "target_snap_m")


def _read_cache(
    path: Path, shape: tuple[int, int], *, names: tuple[str, ...] = _TIMES
) -> tuple[FloatArray, ...] | None:
    try:  # the handle is ours: np.load leaks its own when the zip is damaged
        with path.open("rb") as handle, np.load(handle) as data:
            out = tuple(data[name] for name in names)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None  # missing or unreadable (e.g. truncated by a crash): recompute
    return out if out[0].shape == shape else None


def _cached(
    path: Path,
    names: tuple[str, ...],
    shape: tuple[int, int],
    compute: Callable[[], tuple[FloatArray, ...]],
    *,
    cache: bool,
) -> tuple[tuple[FloatArray, ...], bool]:
    """The arrays ``names`` read from the cache file ``path``, else computed (and cached).

    Returns the arrays and whether they came from the cache. The first array is the matrix of
    ``shape``. A cache that cannot be written (read-only
    folder, full disk) is only a warning: the run goes on with the computed arrays.
    """
    if cache:
        found = _read_cache(path, shape, names=names)
        if found is not None:
            return found, True
    arrays = compute()
    if cache:
        try:
            _atomic_save(path, **dict(zip(names, arrays, strict=True)))
        except SiteoptError as exc:
            warnings.warn(f"travel-time cache not written: {exc}", CacheWarning, stacklevel=3)
    return arrays, False


def node_times(
    network: RoadNetwork,
    source_nodes: npt.ArrayLike,
    target_nodes: npt.ArrayLike,
    *,
    max_seconds: float | None = None,
    workers: int | None = None,
) -> FloatArray:
    """Node-to-node fastest seconds, ``len(source_nodes) × len(target_nodes)`` (``inf``: none).

    Runs Dijkstra from whichever side has fewer distinct nodes (on the reversed graph when
    starting from the targets), so 1,558 homes × 30 sites costs 30 searches. The searches run in
    chunks whose distance rows fit in about 64 MB (memory grows with chunk × nodes, not with
    searches × nodes) and, for large graphs, in ``workers`` processes (default: every core when
    searches × nodes exceeds 5e7). ``max_seconds`` stops each search there: longer pairs are
    ``inf``, like pairs with no route.
    """
    src = np.asarray(source_nodes, dtype=np.int64)
    dst = np.asarray(target_nodes, dtype=np.int64)
    usrc, src_inv = np.unique(src, return_inverse=True)
    udst, dst_inv = np.unique(dst, return_inverse=True)
    if len(udst) < len(usrc):
        dist = _searches(network._reverse_graph, udst, usrc, max_seconds, workers)
        out: FloatArray = dist[dst_inv][:, src_inv].T
    else:
        dist = _searches(network.graph, usrc, udst, max_seconds, workers)
        out = dist[src_inv][:, dst_inv]
    return np.ascontiguousarray(out)


#: Bytes of Dijkstra distance rows held at once by one search chunk.
_CHUNK_BYTES = 64 * 2**20


#: Searches × nodes above which the searches are spread over processes.
_PARALLEL_WORK = 5e7


def _searches(
    graph: csr_matrix,
    roots: IntArray,
    columns: IntArray,
    max_seconds: float | None,
    workers: int | None,
) -> FloatArray:
    """Fastest seconds from each root to each column node, ``roots × columns``, in chunks."""
    n_nodes = graph.shape[0]
    size = max(1, min(len(roots), _CHUNK_BYTES // (8 * max(n_nodes, 1))))
    chunks = [roots[i : i + size] for i in range(0, len(roots), size)]
    if workers is None:
        workers = (os.cpu_count() or 1) if len(roots) * n_nodes > _PARALLEL_WORK else 1
    workers = min(workers, len(chunks))
    if workers > 1 and not multiprocessing.current_process().daemon:  # no children in a daemon
        import concurrent.futures  # noqa: PLC0415 (lazy: only for large graphs)

        context = multiprocessing.get_context("spawn")  # no fork of a process with threads
        with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
            parts = list(
                pool.map(
                    _search_chunk,
                    [graph] * len(chunks),
                    chunks,
                    [columns] * len(chunks),
                    [max_seconds] * len(chunks),
                )
            )
    else:
        parts = [_search_chunk(graph, chunk, columns, max_seconds) for chunk in chunks]
    if not parts:
        return np.zeros((0, len(columns)))
    return np.vstack(parts)


def _search_chunk(
    graph: csr_matrix, roots: IntArray, columns: IntArray, max_seconds: float | None
) -> FloatArray:
    """One chunk of :func:`_searches` (a module-level function: it runs in worker processes)."""
    from scipy.sparse.csgraph import dijkstra  # noqa: PLC0415 (lazy: scipy is slow to import)

    limit = np.inf if max_seconds is None else float(max_seconds)
    dist = dijkstra(graph, directed=True, indices=roots, min_only=False, limit=limit)
    out: FloatArray = dist[:, columns]
    return out


def node_metres(
    network: RoadNetwork, source_nodes: npt.ArrayLike, target_nodes: npt.ArrayLike
) -> FloatArray:
    """Road metres along the *fastest* path between nodes, ``sources × targets`` (``inf``: none).

    Dijkstra on seconds with predecessors, then the metres of each tree accumulated from the
    root by pointer doubling (vectorised; ``O(n log depth)`` per tree).
    """
    from scipy.sparse.csgraph import dijkstra  # noqa: PLC0415 (lazy: scipy is slow to import)

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


def travel_distances_km(
    network: RoadNetwork,
    sources: Points,
    targets: Points,
    *,
    cache: bool = True,
    cache_dir: Path | None = None,
) -> FloatArray:
    """Road kilometres along the fastest route from every source to every target.

    Includes the off-network legs (snap distance × the network's access detour) at both ends.
    Cached on disk like :func:`travel_times` (its own key: the same points give both).
    """

    def compute() -> tuple[FloatArray, ...]:
        s = network.snap(sources.x, sources.y, labels=sources.ids)
        t = network.snap(targets.x, targets.y, labels=targets.ids)
        metres = node_metres(network, s.node, t.node)
        metres += (s.distance_m * network.access_detour)[:, None]
        metres += (t.distance_m * network.access_detour)[None, :]
        return (metres / 1000.0,)

    path = (cache_dir or default_cache_dir()) / f"{_cache_key('km', network, sources, targets)}.npz"
    (km,), _ = _cached(path, ("km",), (len(sources), len(targets)), compute, cache=cache)
    return km


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

    def compute() -> tuple[FloatArray, ...]:
        s = network.snap(sources.x, sources.y, labels=sources.ids)
        t = network.snap(targets.x, targets.y, labels=targets.ids)
        seconds = node_times(network, s.node, t.node)
        seconds += network.access_seconds(s.distance_m)[:, None]
        seconds += network.access_seconds(t.distance_m)[None, :]
        return seconds, s.distance_m, t.distance_m

    path = (cache_dir or default_cache_dir()) / f"{_cache_key('s', network, sources, targets)}.npz"
    shape = (len(sources), len(targets))
    (seconds, src_snap, dst_snap), from_cache = _cached(path, _TIMES, shape, compute, cache=cache)
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
        from_cache=from_cache,
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
    """Write minutes (rows = sources, columns = targets); a pair with no route: ``unreachable``.

    Atomically: a failed write (a full disk) leaves no file behind.
    """
    minutes = times.minutes

    def write(temporary: Path) -> None:
        with temporary.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["lsoa11cd", *times.targets.ids])
            for i, sid in enumerate(times.sources.ids):
                writer.writerow(
                    [sid, *(f"{v:.2f}" if math.isfinite(v) else "unreachable" for v in minutes[i])]
                )

    atomic_write(path, write)


def write_weights_csv(instance: Instance, path: Path) -> None:
    """Write each LSOA's force and population (the instance's population year), atomically."""
    lsoas = instance.dataset().lsoas()
    year = instance.data.population_year
    table = lsoas[["lsoa11cd", "force", f"pop_mid{year}"]].rename(
        columns={f"pop_mid{year}": "population"}
    )
    atomic_write(path, lambda temporary: table.to_csv(temporary, index=False, lineterminator="\n"))

"""Drive minutes between the points of one set, pair by pair, without holding the dense matrix.

A greenfield grid at 1 km has 6,122 candidate sites: their candidate × candidate matrix is 300
MB of float64 (and each derived array as much again), while one room needs only the minutes to
the few standing buildings and two rooms only which pairs are too close or too far apart.
:class:`PairMinutes` answers those questions from Dijkstra searches run block by block, adding
each point's access leg in the order :func:`~siteopt.network.travel.travel_times` does, so
every value equals the dense matrix's to the bit.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from siteopt.errors import NetworkError
from siteopt.network.travel import node_times

if TYPE_CHECKING:
    from siteopt.network.graph import RoadNetwork
    from siteopt.network.points import Points

__all__ = ["ROUNDING_MINUTES", "PairMinutes"]


FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


#: Largest difference (minutes) between the two directions of search for one pair of points
#: (:meth:`PairMinutes.columns` against :meth:`PairMinutes.rows`): float64 sums along a path of
#: a few thousand edges differ by ~1e-12 of the time.
ROUNDING_MINUTES = 1e-6


#: Bytes of search rows (roots × network nodes) or minutes rows (points × points) held at once.
_BLOCK_BYTES = 64 * 2**20


@dataclass(frozen=True, eq=False)
class PairMinutes:
    """Drive minutes from each point of a set to each other, computed as they are asked for.

    Built from a dense matrix (:meth:`from_matrix`: small sets, or drive times drawn by a
    Monte-Carlo) or from the road network (:meth:`on_network`). ``memo`` keeps the
    derived tables (:meth:`outside`) so that constraints sharing the object compute them once.
    """

    size: int
    dense: FloatArray | None = None
    network: RoadNetwork | None = None
    nodes: IntArray | None = None  # snapped network node of each point
    access_s: FloatArray | None = None  # seconds of each point's access leg
    labels: tuple[str, ...] = ()
    allow_unreachable: bool = False
    memo: dict[tuple[float, float], BoolArray] = field(default_factory=dict, repr=False)

    @classmethod
    def from_matrix(cls, minutes: FloatArray) -> PairMinutes:
        """Pairs read from a dense ``(n, n)`` matrix of minutes."""
        matrix = np.asarray(minutes, dtype=np.float64)
        if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
            raise ValueError(f"minutes: expected a square matrix, got shape {matrix.shape}")
        return cls(size=matrix.shape[0], dense=matrix)

    @classmethod
    def on_network(
        cls, network: RoadNetwork, points: Points, *, allow_unreachable: bool = False
    ) -> PairMinutes:
        """Pairs measured on ``network`` between ``points`` (snapped as travel_times snaps)."""
        snap = network.snap(points.x, points.y, labels=points.ids)
        return cls(
            size=len(points),
            network=network,
            nodes=np.asarray(snap.node, dtype=np.int64),
            access_s=network.access_seconds(snap.distance_m),
            labels=tuple(points.ids),
            allow_unreachable=allow_unreachable,
        )

    def rows(self, rows: IntArray, columns: IntArray | None = None) -> FloatArray:
        """Minutes from points ``rows`` to points ``columns`` (default all), ``rows × columns``."""
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.arange(self.size) if columns is None else np.asarray(columns, dtype=np.int64)
        if self.dense is not None:
            return np.asarray(self.dense[np.ix_(rows, cols)], dtype=np.float64)
        network, nodes, access = self._measured()
        roots, inverse = np.unique(nodes[rows], return_inverse=True)
        seconds = _forward_seconds(network, roots, nodes[cols])[inverse]
        seconds += access[rows][:, np.newaxis]  # the order travel_times adds them in
        seconds += access[cols][np.newaxis, :]
        self._check_reached(seconds, rows, cols)
        out: FloatArray = seconds / 60.0
        return out

    def columns(self, columns: IntArray) -> FloatArray:
        """Minutes from every point to points ``columns`` (a few), ``n × columns``.

        Searched from the targets on the reversed network (a search per target, not per
        point): equal to :meth:`rows` up to the last bits, the times along a path being added
        in the other order. A caller comparing with a limit re-measures the rows that come
        within :data:`ROUNDING_MINUTES` of it with :meth:`rows`.
        """
        cols = np.asarray(columns, dtype=np.int64)
        if self.dense is not None:
            return np.asarray(self.dense[:, cols], dtype=np.float64)
        network, nodes, access = self._measured()
        seconds = node_times(network, nodes, nodes[cols])
        seconds += access[:, np.newaxis]
        seconds += access[cols][np.newaxis, :]
        self._check_reached(seconds, np.arange(self.size), cols)
        out: FloatArray = seconds / 60.0
        return out

    def pairs(self, first: IntArray, second: IntArray) -> FloatArray:
        """Minutes from ``first[i]`` to ``second[i]`` for each ``i`` (a few pairs)."""
        first = np.asarray(first, dtype=np.int64)
        second = np.asarray(second, dtype=np.int64)
        if self.dense is not None:
            return np.asarray(self.dense[first, second], dtype=np.float64)
        sources, at = np.unique(first, return_inverse=True)
        return self.rows(sources, second)[at, np.arange(len(second))]

    def blocks(self) -> Iterator[tuple[IntArray, FloatArray]]:
        """Every row in blocks of bounded memory: ``(row indices, minutes to every point)``.

        Rows sharing a network node are in one block, so each node is searched from once.
        """
        if self.dense is not None:
            yield np.arange(self.size), self.dense
            return
        _, nodes, _ = self._measured()
        order = np.argsort(nodes, kind="stable")
        per_block = max(1, _BLOCK_BYTES // (8 * max(self.size, 1)))
        for start in range(0, self.size, per_block):
            rows = order[start : start + per_block]
            yield rows, self.rows(rows)

    def outside(self, low: float, high: float) -> BoolArray:
        """``(n, n)``: pairs less than ``low`` or more than ``high`` minutes apart either way.

        The diagonal is ``False``. Computed once per ``(low, high)`` (``memo``).
        """
        key = (float(low), float(high))
        if key not in self.memo:
            flagged = np.zeros((self.size, self.size), dtype=np.bool_)
            for rows, minutes in self.blocks():
                flagged[rows] = (minutes < low) | (minutes > high)
            flagged |= flagged.T
            np.fill_diagonal(flagged, val=False)
            flagged.setflags(write=False)
            self.memo[key] = flagged
        return self.memo[key]

    def _measured(self) -> tuple[RoadNetwork, IntArray, FloatArray]:
        if self.network is None or self.nodes is None or self.access_s is None:
            raise ValueError("PairMinutes: neither a dense matrix nor a network")
        return self.network, self.nodes, self.access_s

    def _check_reached(self, seconds: FloatArray, rows: IntArray, cols: IntArray) -> None:
        if self.allow_unreachable or np.isfinite(seconds).all():
            return
        bad_i, bad_j = np.nonzero(~np.isfinite(seconds))
        label = self.labels[int(cols[bad_j[0]])] if self.labels else str(int(cols[bad_j[0]]))
        origin = self.labels[int(rows[bad_i[0]])] if self.labels else str(int(rows[bad_i[0]]))
        source = self.network.source if self.network is not None else "?"
        msg = (
            f"site {label!r} cannot be reached on the road network {source} from site "
            f"{origin!r}; it is on a part of the network not connected to the rest (set "
            "[network] allow_unreachable = true to allow it)"
        )
        raise NetworkError(msg)


def _forward_seconds(network: RoadNetwork, roots: IntArray, columns: IntArray) -> FloatArray:
    """Fastest seconds from each root node to each column node, searching from the roots.

    Always forward (from the roots), as :func:`~siteopt.network.travel.node_times` searches a
    square set, so that sums along each path are added in the same order.
    """
    from scipy.sparse.csgraph import dijkstra  # noqa: PLC0415 (lazy: scipy is slow to import)

    n_nodes = network.graph.shape[0]
    size = max(1, min(len(roots), _BLOCK_BYTES // (8 * max(n_nodes, 1))))
    parts = [
        dijkstra(
            network.graph, directed=True, indices=roots[i : i + size], min_only=False, limit=np.inf
        )[:, columns]
        for i in range(0, len(roots), size)
    ]
    if not parts:
        return np.zeros((0, len(columns)))
    return np.vstack(parts)

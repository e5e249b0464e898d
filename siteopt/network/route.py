"""One fastest route, with the roads it uses and its legs."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from siteopt.errors import NetworkError

if TYPE_CHECKING:
    from siteopt.network.graph import RoadNetwork

__all__ = ["Route", "route", "route_summary"]


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
    from scipy.sparse.csgraph import dijkstra  # noqa: PLC0415 (lazy: scipy is slow to import)

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

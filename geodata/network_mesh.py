"""The embedded network's skeleton and how mesh parameters turn it into a road network.

:class:`Skeleton` holds the nodes (LSOA demand points, SRN junctions, sites, real-road nodes),
the fixed links (SRN, real roads and their joins) and the local links of the mesh before its
parameters are chosen; :func:`network_of` applies :class:`MeshParams`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from siteopt.network.graph import RoadNetwork, network_from_edges

if TYPE_CHECKING:
    import pandas as pd

    from geodata.network_roads import MajorRoads


@dataclass(frozen=True)
class MeshParams:
    """Parameters of the local mesh."""

    detour: float
    urban_kph: float
    rural_kph: float
    delay_s: float
    terminal_s: float = 0.0


@dataclass(frozen=True)
class MeshFit:
    """Mesh parameters where a county's real A roads are in the network, and where they are not.

    In Cambridgeshire the mesh stands for the minor roads beside the real A roads; in
    Bedfordshire and Hertfordshire it stands for every road but the strategic ones, so each is
    fitted on Cambridge with (``real_roads``) or without (``strategic``) the real roads. The
    terminal time is one per trip end, shared.
    """

    real_roads: MeshParams
    strategic: MeshParams

    def __post_init__(self) -> None:
        if self.real_roads.terminal_s != self.strategic.terminal_s:
            raise ValueError("mesh fits must share one terminal time")

    @classmethod
    def uniform(cls, params: MeshParams) -> MeshFit:
        """The same parameters everywhere."""
        return cls(real_roads=params, strategic=params)


@dataclass(frozen=True)
class Skeleton:
    """Nodes and edges of the embedded network before the mesh parameters are applied."""

    nodes: pd.DataFrame  # node, kind, ref, x, y, area_type
    fixed: pd.DataFrame  # src, dst, metres, road_class, road, cap_kph, kind, extra_s: SRN, roads
    local: pd.DataFrame  # src, dst, straight_m, urban, real_area, kind (both directions)
    factors: dict[str, Any]
    roads: MajorRoads


def _by_area(local: pd.DataFrame, fit: MeshFit, name: str) -> Any:
    return np.where(local["real_area"], getattr(fit.real_roads, name), getattr(fit.strategic, name))


def class_speeds(fit: MeshFit) -> dict[str, float]:
    """Class speeds of the mesh: the faster area's (the other area's links carry a cap)."""
    return {
        "local_urban": max(fit.real_roads.urban_kph, fit.strategic.urban_kph),
        "local_rural": max(fit.real_roads.rural_kph, fit.strategic.rural_kph),
    }


def edge_table(skel: Skeleton, fit: MeshFit) -> pd.DataFrame:
    """All directed edges of the network for given mesh parameters."""
    import pandas as pd  # noqa: PLC0415 (lazy: pandas is slow to import)

    local = skel.local
    urban = local["urban"].to_numpy()
    kph = np.where(urban, _by_area(local, fit, "urban_kph"), _by_area(local, fit, "rural_kph"))
    top = class_speeds(fit)
    top_kph = np.where(urban, top["local_urban"], top["local_rural"])
    mesh = pd.DataFrame(
        {
            "src": local["src"],
            "dst": local["dst"],
            "metres": (local["straight_m"] * _by_area(local, fit, "detour")).round(1),
            "extra_s": _by_area(local, fit, "delay_s").astype(float),
            "road_class": np.where(urban, "local_urban", "local_rural"),
            "road": "",
            "cap_kph": np.where(kph < top_kph, kph, math.inf),
            "kind": local["kind"],
        }
    )
    edges = pd.concat([skel.fixed[mesh.columns], mesh], ignore_index=True)
    edges["src"] = edges["src"].astype("int64")
    edges["dst"] = edges["dst"].astype("int64")
    return edges.sort_values(["src", "dst", "kind"], kind="stable").reset_index(drop=True)


def network_of(skel: Skeleton, fit: MeshFit) -> RoadNetwork:
    """The embedded network for given mesh parameters (for calibration and checks)."""
    edges = edge_table(skel, fit)
    return network_from_edges(
        skel.nodes["x"].to_numpy(),
        skel.nodes["y"].to_numpy(),
        edges["src"].to_numpy(),
        edges["dst"].to_numpy(),
        edges["metres"].to_numpy(),
        edges["road_class"].to_numpy(),
        names=edges["road"].tolist(),
        cap_kph=edges["cap_kph"].to_numpy(),
        extra_s=edges["extra_s"].to_numpy(),
        speeds_kph=class_speeds(fit),
        source="embedded network (build)",
        terminal_s=fit.strategic.terminal_s,
    )

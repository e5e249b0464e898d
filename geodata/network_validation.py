"""Out-of-sample validation of the embedded network against routes on the real major roads.

The mesh parameters are fitted on Cambridge city (:mod:`geodata.network_build`); here they are
tested elsewhere, on LSOA pairs at least :data:`MIN_STRAIGHT_M` apart whose ends are not among
the Cambridge calibration LSOAs.

**Reference time** of a pair: the fastest route over the *real major-road graph* — every line of
``cambs_major_roads_osm.gpkg`` (Cambridgeshire and Peterborough, and the part of Bedfordshire and
Hertfordshire its clip box holds), the strategic roads included, with the same one-way inference,
limits and speed table as the network — plus a **local end** at each side: from the LSOA demand
point straight to one of its :data:`ENTRY_K` nearest junctions or road ends within
:data:`ENTRY_MAX_M`, at the mesh's own detour, speed and delay, plus the terminal time. The local
ends are *modelled*, not measured (the share of the reference time they take is reported); the
reference knows no B or minor road, so where one is the real fastest way it is too slow; and its
speeds are the same assumptions as the network's. What it measures is how the network's
routing, its strategic-road model and its mesh reproduce trips along the real major roads.

Three comparisons, each per area type (``urban``: both ends urban LSOAs; else ``rural``):

- **Cambridgeshire, real A roads** (``real_a_roads``): the embedded network on pairs inside
  Cambridgeshire. It holds the reference's non-strategic roads itself, so this measures its
  strategic-road model, its joins and its local ends — not those roads.
- **Bedfordshire, strategic roads + mesh** (``strategic_mesh``): the embedded network, which in
  Bedfordshire has no real A roads, on pairs around Bedford where the file's clip box holds the
  real roads: a true hold-out.
- **Cambridgeshire without its A roads** (``strategic_mesh``): the network rebuilt with the same
  parameters but no real roads — what Bedfordshire and Hertfordshire have — on Cambridgeshire
  pairs.

Hertfordshire has no reference (the file reaches only Royston); it uses the ``strategic_mesh``
error model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from geodata.network_roads import JOIN_KPH, MajorRoads, gap_joins
from siteopt.network.graph import RoadNetwork, network_from_edges
from siteopt.network.osm_lines import osm_line_edges
from siteopt.network.travel import node_times

if TYPE_CHECKING:
    import pandas as pd

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Pairs at least this far apart (straight line, metres) are validated ("long trips").
MIN_STRAIGHT_M = 10_000.0
#: Each local end reaches one of this many nearest junctions or road ends of the reference...
ENTRY_K = 4
#: ... within this distance (metres); LSOAs farther from every one are left out.
ENTRY_MAX_M = 3_000.0
#: LSOA points this close to the edge of the file's clip box are left out (routes leaving it).
BOX_MARGIN_M = 5_000.0
#: Levels of the stored error quantiles (0, 1, ..., 100 %).
QUANTILE_LEVELS = np.round(np.linspace(0.0, 1.0, 101), 2)

REAL_A_ROADS = "real_a_roads"
STRATEGIC_MESH = "strategic_mesh"
DATA_KIND_LABELS = {
    REAL_A_ROADS: "real A roads",
    STRATEGIC_MESH: "strategic roads + mesh",
}
COUNTY_DATA = {
    "bedfordshire": STRATEGIC_MESH,
    "cambridgeshire": REAL_A_ROADS,
    "hertfordshire": STRATEGIC_MESH,
}


@dataclass(frozen=True)
class MeshAccess:
    """How a local end is costed: the mesh's detour, speeds, delay and terminal time."""

    detour: float
    urban_kph: float
    rural_kph: float
    delay_s: float
    terminal_s: float


@dataclass(frozen=True)
class Reference:
    """Reference seconds between LSOA points (``inf``: no entry or no route) and access share."""

    seconds: FloatArray
    access_share: FloatArray


def reference_network(roads: MajorRoads) -> tuple[RoadNetwork, BoolArray]:
    """The real major-road graph (whole file, strategic roads included) and its entry nodes."""
    edges = osm_line_edges(roads.lines, roads.directions)
    gaps = np.array(gap_joins(edges.x, edges.y, edges.src, edges.dst), dtype=np.int64)
    gap_m = np.hypot(
        edges.x[gaps[:, 0]] - edges.x[gaps[:, 1]], edges.y[gaps[:, 0]] - edges.y[gaps[:, 1]]
    )
    network = network_from_edges(
        edges.x,
        edges.y,
        np.concatenate([edges.src, gaps[:, 0]]),
        np.concatenate([edges.dst, gaps[:, 1]]),
        np.concatenate([edges.metres, gap_m]),
        [*edges.road_class, *["primary_link"] * len(gaps)],
        two_way=np.concatenate([edges.two_way, np.ones(len(gaps), dtype=bool)]),
        names=[*edges.names, *[""] * len(gaps)],
        cap_kph=np.concatenate([edges.cap_kph, np.full(len(gaps), JOIN_KPH)]),
        source="major-road reference",
    )
    divided = np.zeros(network.n_nodes, dtype=bool)
    divided[edges.src[edges.divided_edges]] = True
    divided[edges.dst[edges.divided_edges]] = True
    pairs = np.unique(np.sort(np.column_stack([edges.src, edges.dst]), axis=1), axis=0)
    degree = np.bincount(pairs.ravel(), minlength=network.n_nodes)
    return network, ~divided | (degree == 1)


def _entries(
    network: RoadNetwork, entry: BoolArray, x: FloatArray, y: FloatArray
) -> tuple[IntArray, FloatArray]:
    """Up to :data:`ENTRY_K` entry nodes per point (-1: none) and their straight distances."""
    from scipy.spatial import cKDTree  # noqa: PLC0415 (lazy: scipy is slow to import)

    ids = np.flatnonzero(entry)
    dist, idx = cKDTree(np.column_stack([network.x[ids], network.y[ids]])).query(
        np.column_stack([x, y]), k=ENTRY_K
    )
    nodes = np.where(dist <= ENTRY_MAX_M, ids[np.minimum(idx, len(ids) - 1)], -1)
    return nodes.astype(np.int64), np.where(dist <= ENTRY_MAX_M, dist, np.inf)


def reference_times(
    roads: MajorRoads, x: FloatArray, y: FloatArray, urban: BoolArray, access: MeshAccess
) -> Reference:
    """Reference seconds between every pair of points (see the module docstring)."""
    from scipy.sparse import csr_matrix  # noqa: PLC0415 (lazy: scipy is slow to import)
    from scipy.sparse.csgraph import dijkstra  # noqa: PLC0415 (lazy: scipy is slow to import)

    network, entry = reference_network(roads)
    nodes, dist = _entries(network, entry, x, y)
    kph = np.where(urban, access.urban_kph, access.rural_kph)
    leg = dist * access.detour / (kph[:, None] / 3.6) + access.delay_s
    n, m = network.n_nodes, len(x)
    # origin copies (only leave) and destination copies (only arrive): no shortcut through them
    point, k = np.nonzero(nodes >= 0)
    graph = network.graph.tocoo()
    rows = np.concatenate([graph.row, n + point, nodes[point, k]])
    cols = np.concatenate([graph.col, nodes[point, k], n + m + point])
    weights = np.concatenate([graph.data, leg[point, k], leg[point, k]])
    full = csr_matrix((weights, (rows, cols)), shape=(n + 2 * m, n + 2 * m))
    origins = np.flatnonzero((nodes >= 0).any(axis=1))
    seconds = np.full((m, m), np.inf)
    share = np.full((m, m), np.nan)
    dist_all, pred = dijkstra(full, directed=True, indices=n + origins, return_predecessors=True)
    for row, o in enumerate(origins):
        reach = dist_all[row, n + m : n + 2 * m]
        seconds[o] = reach + 2 * access.terminal_s
        exit_node = pred[row, n + m : n + 2 * m]
        first = _first_steps(pred[row], n + int(o))
        ok = exit_node >= 0
        out_leg = np.full(m, np.nan)
        in_leg = np.full(m, np.nan)
        out_leg[ok] = full[n + o, first[exit_node[ok]]].toarray().ravel()
        in_leg[ok] = np.asarray(full[exit_node[ok], n + m + np.flatnonzero(ok)]).ravel()
        share[o] = (out_leg + in_leg + 2 * access.terminal_s) / seconds[o]
    np.fill_diagonal(seconds, 0.0)
    return Reference(seconds=seconds, access_share=share)


def _first_steps(pred: IntArray, root: int) -> IntArray:
    """For every node of a shortest-path tree, the first node after the root on its path.

    Pointer doubling: each node points to its parent until the parent is the root.
    """
    nodes = np.arange(len(pred))
    jump = np.where((pred >= 0) & (pred != root), pred, nodes)
    while True:
        further = jump[jump]
        if np.array_equal(further, jump):
            return jump
        jump = further


def validation_pairs(
    lsoas: pd.DataFrame,
    urban: BoolArray,
    reference: Reference,
    *,
    box: tuple[float, float, float, float],
    calibration: set[str],
) -> pd.DataFrame:
    """Ordered LSOA pairs of one county each, far enough apart, with a reference time.

    Left out: pairs under :data:`MIN_STRAIGHT_M`, across counties, with an end among the
    ``calibration`` LSOAs, within :data:`BOX_MARGIN_M` of the file's clip ``box``, or with no
    reference route.
    """
    import pandas as pd  # noqa: PLC0415 (lazy: pandas is slow to import)

    x, y = lsoas["x"].to_numpy(float), lsoas["y"].to_numpy(float)
    inside = (
        (x >= box[0] + BOX_MARGIN_M)
        & (x <= box[2] - BOX_MARGIN_M)
        & (y >= box[1] + BOX_MARGIN_M)
        & (y <= box[3] - BOX_MARGIN_M)
        & ~lsoas["lsoa11cd"].isin(calibration).to_numpy()
    )
    force = lsoas["force"].to_numpy()
    straight = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])
    ok = (
        inside[:, None]
        & inside[None, :]
        & (force[:, None] == force[None, :])
        & (straight >= MIN_STRAIGHT_M)
        & np.isfinite(reference.seconds)
    )
    i, j = np.nonzero(ok)
    return pd.DataFrame(
        {
            "from": i,
            "to": j,
            "county": force[i],
            "area_type": np.where(urban[i] & urban[j], "urban", "rural"),
            "straight_m": straight[i, j],
            "reference_s": reference.seconds[i, j],
            "access_share": reference.access_share[i, j],
        }
    )


def model_seconds(network: RoadNetwork, lsoa_nodes: IntArray, pairs: pd.DataFrame) -> FloatArray:
    """The network's LSOA-to-LSOA seconds on the pairs (the points are nodes: no snap leg)."""
    used = np.unique(np.concatenate([pairs["from"], pairs["to"]]))
    at = np.full(len(lsoa_nodes), -1)
    at[used] = np.arange(len(used))
    times = node_times(network, lsoa_nodes[used], lsoa_nodes[used]) + 2 * network.terminal_s
    out: FloatArray = times[at[pairs["from"]], at[pairs["to"]]]
    return out


def error_row(errors: FloatArray, pairs: pd.DataFrame) -> dict[str, Any]:
    """Size and error summary of one group of validation pairs."""
    if len(errors) == 0:
        return {"pairs": 0}
    return {
        "pairs": len(errors),
        "reference_minutes_median": round(float(np.median(pairs["reference_s"])) / 60.0, 1),
        "local_ends_share_median_pct": round(float(np.median(pairs["access_share"])) * 100, 1),
        "median_abs_pct": round(float(np.median(np.abs(errors))) * 100, 1),
        "p90_abs_pct": round(float(np.percentile(np.abs(errors), 90)) * 100, 1),
        "median_signed_pct": round(float(np.median(errors)) * 100, 1),
    }


def error_quantiles(errors: FloatArray) -> list[float]:
    """Signed relative errors at :data:`QUANTILE_LEVELS` (rounded for a compact, stable file)."""
    return [round(float(v), 4) for v in np.quantile(errors, QUANTILE_LEVELS)]


@dataclass(frozen=True)
class Comparison:
    """One row group of the validation table: a county's pairs on one network."""

    county: str
    network: str  # "built" or "without_real_roads"
    data_kind: str
    label: str


COMPARISONS = (
    Comparison("cambridgeshire", "built", REAL_A_ROADS, "Cambridgeshire"),
    Comparison("bedfordshire", "built", STRATEGIC_MESH, "Bedfordshire (around Bedford)"),
    Comparison("hertfordshire", "built", STRATEGIC_MESH, "Hertfordshire"),
    Comparison(
        "cambridgeshire", "without_real_roads", STRATEGIC_MESH, "Cambridgeshire without its A roads"
    ),
)

REFERENCE_TEXT = (
    "fastest route over the real major roads of cambs_major_roads_osm.gpkg (OpenStreetMap: "
    "Cambridgeshire, Peterborough and the parts of Bedfordshire and Hertfordshire in its clip "
    "box; strategic roads included; same one-way inference, limits and speeds as the network) "
    "plus a modelled local end at each side (straight line from the LSOA point to one of its "
    f"{ENTRY_K} nearest junctions or road ends within {ENTRY_MAX_M / 1000:g} km, at the mesh's "
    "detour, speed and delay, plus the terminal time). Not an observed time: no B or minor "
    "roads (too slow where one is the real way), speeds are the same assumptions as the "
    "network's."
)


@dataclass(frozen=True)
class Validation:
    """The validation table, the error model and the reference pairs (shipped for tests)."""

    table: dict[str, Any]
    error_model: dict[str, Any]
    pairs: pd.DataFrame


def validate(
    roads: MajorRoads,
    lsoas: pd.DataFrame,
    urban: BoolArray,
    networks: dict[str, tuple[RoadNetwork, IntArray]],
    *,
    access: MeshAccess,
    calibration: set[str],
) -> Validation:
    """Errors of each network on each county's pairs against the major-road reference.

    ``networks`` maps ``"built"`` and ``"without_real_roads"`` to a network and the node of
    each LSOA on it.
    """
    import pandas as pd  # noqa: PLC0415 (lazy: pandas is slow to import)

    x, y = lsoas["x"].to_numpy(float), lsoas["y"].to_numpy(float)
    reference = reference_times(roads, x, y, urban, access)
    west, south, east, north = (float(v) for v in roads.lines.total_bounds)
    pairs = validation_pairs(
        lsoas, urban, reference, box=(west, south, east, north), calibration=calibration
    )
    rows: list[dict[str, Any]] = []
    pooled: dict[tuple[str, str], list[FloatArray]] = {}
    for comparison in COMPARISONS:
        chosen = pairs[pairs["county"] == comparison.county]
        network, nodes = networks[comparison.network]
        errors = model_seconds(network, nodes, chosen) / chosen["reference_s"].to_numpy() - 1.0
        for area in ("urban", "rural"):
            mask = (chosen["area_type"] == area).to_numpy()
            rows.append(
                {
                    "comparison": comparison.label,
                    "county": comparison.county,
                    "network": comparison.network,
                    "data_kind": comparison.data_kind,
                    "area_type": area,
                    **error_row(errors[mask], chosen[mask]),
                }
            )
            pooled.setdefault((comparison.data_kind, area), []).append(errors[mask])
    codes = lsoas["lsoa11cd"].to_numpy()
    shipped = pd.DataFrame(
        {
            "from_lsoa": codes[pairs["from"]],
            "to_lsoa": codes[pairs["to"]],
            "county": pairs["county"],
            "area_type": pairs["area_type"],
            "reference_s": pairs["reference_s"].round(1),
            "local_ends_share": pairs["access_share"].round(3),
        }
    )
    return Validation(
        table={
            "reference": REFERENCE_TEXT,
            "min_straight_km": MIN_STRAIGHT_M / 1000.0,
            "excluded": "pairs across counties, with an end among the Cambridge calibration "
            f"LSOAs or within {BOX_MARGIN_M / 1000:g} km of the file's clip box, or with no "
            "reference route",
            "rows": rows,
        },
        error_model=error_model(pooled, pairs),
        pairs=shipped,
    )


def error_model(
    pooled: dict[tuple[str, str], list[FloatArray]], pairs: pd.DataFrame
) -> dict[str, Any]:
    """Error quantiles per data kind and area type (what :class:`TravelTimeError` reads)."""
    distributions = []
    for (kind, area), parts in sorted(
        pooled.items(), key=lambda item: (item[0][0], item[0][1] != "urban")
    ):
        errors = np.concatenate(parts)
        if len(errors) == 0:
            continue
        distributions.append(
            {
                "data_kind": kind,
                "area_type": area,
                "pairs": len(errors),
                "median_abs_pct": round(float(np.median(np.abs(errors))) * 100, 1),
                "p90_abs_pct": round(float(np.percentile(np.abs(errors), 90)) * 100, 1),
                "median_signed_pct": round(float(np.median(errors)) * 100, 1),
                "quantiles": error_quantiles(errors),
            }
        )
    minutes = pairs["reference_s"].to_numpy() / 60.0
    return {
        "definition": "e = network time / reference time - 1 for LSOA pairs at least "
        f"{MIN_STRAIGHT_M / 1000:g} km apart (see validation.reference); the reference minutes "
        f"of the pairs run from {np.percentile(minutes, 5):.0f} (5th percentile) to "
        f"{np.percentile(minutes, 95):.0f} (95th)",
        "reference_minutes_p5_p95": [
            round(float(np.percentile(minutes, 5)), 1),
            round(float(np.percentile(minutes, 95)), 1),
        ],
        "levels": [float(v) for v in QUANTILE_LEVELS],
        "county_data": dict(COUNTY_DATA),
        "data_kinds": dict(DATA_KIND_LABELS),
        "distributions": distributions,
    }

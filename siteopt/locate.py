"""Classic location models on a travel-time matrix, solved exactly.

Five textbook models answer planners' questions on the same data as ``siteopt solve``:

- **p-median**: ``p`` sites minimising total demand-weighted travel time, Σᵢ wᵢ minⱼ∈S tᵢⱼ.
- **p-center**: ``p`` sites minimising the worst travel time, maxᵢ minⱼ∈S tᵢⱼ (demand points with
  weight 0 are ignored).
- **LSCP** (location set covering): the fewest sites such that every demand point with weight > 0
  has a site within ``T`` minutes.
- **MCLP** (maximal covering): ``p`` sites maximising the demand with a site within ``T``.
- **p-dispersion**: ``p`` sites maximising the smallest travel time between two chosen sites.

The data is a :class:`CostMatrix` (demand points × candidate sites, minutes, with a weight per
demand point): from an instance (:func:`instance_cost_matrix`: LSOA population of the instance's
year, drive times on its road network) or from a user's CSV (:func:`read_cost_matrix`), so the
models serve any region. :func:`locate` solves one model and returns a :class:`LocateResult`
whose ``status`` is ``"optimal"`` only when optimality is proven.

Methods. ``method="auto"`` picks, per model, the exact method measured fastest on the BCH matrix
(docs/locate.md); ``"enumerate"`` and ``"mip"`` force one (the tests check them against each
other and against brute force):

- p-median: depth-first branch and bound over site sets with a submodular bound (the gain of
  adding sites never grows), started from a greedy + swap solution. ``"mip"``: the Elloumi (2010)
  formulation with chained level variables in HiGHS; each demand point's levels stop at its
  ``(m - p + 1)``-th nearest candidate (one of those is always open), so dominated assignments
  never enter the model — still 4.5-18 s on BCH, against milliseconds for the search.
- p-center: complete enumeration for small ``C(m, p)``; otherwise binary search over the distinct
  times, each step an exhaustive hitting-set search (``"mip"``: a HiGHS set-covering MIP).
- MCLP: enumeration for small ``C(m, p)``, else HiGHS maximal covering on demand points grouped
  by identical coverage. LSCP: HiGHS set covering on the same groups.
- p-dispersion: enumeration for small ``C(m, p)``, else binary search over the distinct times
  with a HiGHS independent-set MIP per step.

HiGHS is called through ``scipy.optimize.milp`` (relative gap 0), so no extra dependency.
"""

from __future__ import annotations

import bisect
import csv
import itertools
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from siteopt.atomic import atomic_write_text
from siteopt.errors import InstanceError, SiteoptError

if TYPE_CHECKING:
    import geopandas as gpd
    from rich.console import Console

    from siteopt.instance import Instance

__all__ = [
    "MODELS",
    "CostMatrix",
    "LocateError",
    "LocateResult",
    "instance_cost_matrix",
    "locate",
    "print_locate",
    "read_cost_matrix",
    "write_locate_outputs",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

Model = Literal["pmedian", "pcenter", "lscp", "mclp", "pdispersion"]
Method = Literal["auto", "enumerate", "mip"]
Status = Literal["optimal", "feasible", "infeasible", "unknown"]
MODELS: tuple[Model, ...] = ("pmedian", "pcenter", "lscp", "mclp", "pdispersion")

# "auto" enumerates while C(m, p) × demand points stays below these many cell evaluations;
# above them the other exact method is faster on the BCH matrix (measured: docs/locate.md).
ENUMERATION_BUDGET = 12_000_000  # MCLP (against HiGHS)
PCENTER_ENUMERATION_BUDGET = 12_000_000  # p-center (against bisection + hitting-set search)
DISPERSION_ENUMERATION_BUDGET = 1_000_000  # p-dispersion: C(m, p) × pairs (against HiGHS)
# Cells evaluated per numpy batch during enumeration (bounds memory to ~16 MB per array).
_BATCH_CELLS = 2_000_000


class LocateError(SiteoptError, ValueError):
    """A location model was asked something it cannot answer (bad p, missing threshold, …)."""


# ---------------------------------------------------------------------------------------------
# Data


@dataclass(frozen=True)
class CostMatrix:
    """Demand points × candidate sites travel times (minutes) with a weight per demand point.

    ``minutes[i, j]`` is ``inf`` when candidate ``j`` cannot be reached from demand point ``i``.
    ``between`` (candidates × candidates, minutes, symmetric) is needed by p-dispersion only.
    ``demand_lonlat`` / ``candidate_lonlat`` (EPSG:4326) are needed for map layers only.
    """

    minutes: FloatArray
    weights: FloatArray
    demand_ids: tuple[str, ...]
    candidate_ids: tuple[str, ...]
    source: str
    weight_label: str = "weight"
    between: FloatArray | None = None
    demand_lonlat: FloatArray | None = None
    candidate_lonlat: FloatArray | None = None

    def __post_init__(self) -> None:
        n, m = len(self.demand_ids), len(self.candidate_ids)
        minutes = np.array(self.minutes, dtype=np.float64)
        weights = np.array(self.weights, dtype=np.float64)
        if minutes.shape != (n, m) or weights.shape != (n,):
            msg = f"matrix is {minutes.shape}, weights {weights.shape}; expected ({n}, {m})"
            raise LocateError(msg)
        if n == 0 or m == 0:
            raise LocateError("a cost matrix needs at least one demand point and one candidate")
        if np.isnan(minutes).any() or (minutes < 0).any():
            raise LocateError("travel times must be ≥ 0 (or inf for no route), not NaN")
        if not np.isfinite(weights).all() or (weights < 0).any():
            raise LocateError("weights must be finite and ≥ 0")
        for name, value in (("minutes", minutes), ("weights", weights)):
            value.setflags(write=False)
            object.__setattr__(self, name, value)
        if self.between is not None:
            between = np.array(self.between, dtype=np.float64)
            if between.shape != (m, m) or np.isnan(between).any() or (between < 0).any():
                raise LocateError(f"between-sites matrix must be {m} × {m} times ≥ 0")
            between.setflags(write=False)
            object.__setattr__(self, "between", between)


def instance_cost_matrix(
    instance: Instance, *, cache: bool = True, cache_dir: Path | None = None
) -> CostMatrix:
    """LSOA demand points × the instance's candidates: drive minutes and population weights.

    The population is the instance's ``[data] population_year``; times come from
    :func:`siteopt.network.travel_times` on the instance's network (cached). Times between sites
    (for p-dispersion) are the shorter of the two directions.
    """
    from siteopt.network import load_network, lsoa_points, site_points, travel_times

    network = load_network(instance)
    dataset = instance.dataset()
    homes, populations = lsoa_points(dataset)
    sites = site_points(instance)
    allow = instance.network.allow_unreachable
    options: dict[str, Any] = {"cache": cache, "cache_dir": cache_dir, "allow_unreachable": allow}
    times = travel_times(network, homes, sites, **options)
    between = travel_times(network, sites, sites, **options).minutes
    year = instance.data.population_year
    lsoas = dataset.lsoas()
    return CostMatrix(
        minutes=times.minutes,
        weights=populations[:, 0 if year == 2015 else 1],
        demand_ids=homes.ids,
        candidate_ids=sites.ids,
        source=times.provenance,
        weight_label=f"population mid-{year}",
        between=np.minimum(between, between.T),
        demand_lonlat=lsoas[["lon", "lat"]].to_numpy(np.float64),
        candidate_lonlat=_to_lonlat(sites.x, sites.y),
    )


def _to_lonlat(x: FloatArray, y: FloatArray) -> FloatArray:
    from pyproj import Transformer

    to_wgs84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    lon, lat = to_wgs84.transform(x, y)
    return np.column_stack([lon, lat]).astype(np.float64)


UNREACHABLE = frozenset({"", "unreachable", "inf"})


def read_cost_matrix(path: Path) -> CostMatrix:
    """Read a user's cost matrix CSV (any region, any unit of time).

    Format: a header ``id,weight,<candidate 1>,<candidate 2>,…``, then one row per demand point:
    its id, its weight (≥ 0, e.g. population) and its time to each candidate (a number ≥ 0, or
    ``unreachable`` / empty for no route). For p-dispersion every candidate id must also appear as
    a demand row id: the times between candidates are read from those rows.
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    except OSError as exc:
        raise InstanceError(path, "", f"cannot read cost matrix CSV: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InstanceError(path, "", "expected a UTF-8 text CSV file") from None
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if len(rows) < 2:
        raise InstanceError(path, "", "expected a header row and at least one demand row")
    header = [cell.strip() for cell in rows[0]]
    if len(header) < 3 or header[1].lower() != "weight":
        msg = f"expected header 'id,weight,<candidate>,…', got {','.join(header[:3])!r}"
        raise InstanceError(path, "header", msg)
    candidates = tuple(header[2:])
    _check_unique(path, "header", candidates, "candidate")
    ids: list[str] = []
    weights = np.empty(len(rows) - 1)
    minutes = np.empty((len(rows) - 1, len(candidates)))
    for r, row in enumerate(rows[1:]):
        line = r + 2
        if len(row) != len(header):
            msg = f"expected {len(header)} cells like the header, got {len(row)}"
            raise InstanceError(path, f"line {line}", msg)
        ids.append(row[0].strip())
        weights[r] = _cell_number(path, line, "weight", row[1], allow_unreachable=False)
        for j, cell in enumerate(row[2:]):
            minutes[r, j] = _cell_number(path, line, candidates[j], cell, allow_unreachable=True)
    _check_unique(path, "id", tuple(ids), "demand id")
    between = None
    if set(candidates) <= set(ids):
        pick = [ids.index(c) for c in candidates]
        square = minutes[pick]
        between = np.minimum(square, square.T)
        np.fill_diagonal(between, 0.0)  # a site to itself, whatever its row says
    return CostMatrix(
        minutes=minutes,
        weights=weights,
        demand_ids=tuple(ids),
        candidate_ids=candidates,
        source=f"user cost matrix {path.name}",
        weight_label=header[1],
        between=between,
    )


def _check_unique(path: Path, field: str, values: tuple[str, ...], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if not value:
            raise InstanceError(path, field, f"expected a non-empty {what}")
        if value in seen:
            raise InstanceError(path, field, f"expected unique {what}s, {value!r} repeats")
        seen.add(value)


def _cell_number(
    path: Path, line: int, column: str, cell: str, *, allow_unreachable: bool
) -> float:
    text = cell.strip()
    if allow_unreachable and text.lower() in UNREACHABLE:
        return math.inf
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        expected = "a number ≥ 0" + (" or 'unreachable'" if allow_unreachable else "")
        raise InstanceError(path, f"line {line}.{column}", f"expected {expected}, got {text!r}")
    return value


# ---------------------------------------------------------------------------------------------
# Result


@dataclass(frozen=True)
class LocateResult:
    """One solved location model: the chosen sites, the objective and how it was proven."""

    model: Model
    status: Status
    method: str
    p: int | None
    within_min: float | None
    sites: tuple[str, ...]
    objective: float | None
    objective_label: str
    solve_seconds: float
    n_demand: int
    n_candidates: int
    weight_label: str
    source: str
    # per demand point: index into ``sites`` of the nearest chosen site (-1: none reachable)
    assigned: IntArray
    assigned_minutes: FloatArray
    weights: FloatArray
    demand_ids: tuple[str, ...]

    def summary(self) -> dict[str, Any]:
        """Weighted mean and worst time to the nearest chosen site, and share within T."""
        positive = self.weights > 0
        reach = positive & np.isfinite(self.assigned_minutes)
        total = float(self.weights.sum())
        out: dict[str, Any] = {
            "weighted_mean_min": (
                float(
                    self.weights[reach] @ self.assigned_minutes[reach] / self.weights[reach].sum()
                )
                if reach.any()
                else None
            ),
            "max_min": (
                float(self.assigned_minutes[positive & reach].max())
                if (positive & reach).any()
                else None
            ),
            "unreachable_weight": float(self.weights[positive & ~reach].sum()),
        }
        if self.within_min is not None and total > 0:
            within = self.weights[self.assigned_minutes <= self.within_min].sum()
            out["covered_share"] = float(within / total)
        return out

    def per_site(self) -> list[dict[str, Any]]:
        """Demand assigned to each chosen site (nearest-site allocation)."""
        total = float(self.weights.sum()) or 1.0
        reach = np.isfinite(self.assigned_minutes)
        rows = []
        for k, sid in enumerate(self.sites):
            mine = self.assigned == k
            rows.append(
                {
                    "id": sid,
                    "demand_points": int(mine.sum()),
                    "weight": float(self.weights[mine].sum()),
                    "weight_share": float(self.weights[mine].sum() / total),
                    "max_min": (
                        float(self.assigned_minutes[mine & reach].max())
                        if (mine & reach).any()
                        else None
                    ),
                }
            )
        return rows

    def to_dict(self, *, assignment: bool = False) -> dict[str, Any]:
        """The result as plain data (``assignment=True`` adds one row per demand point)."""
        out: dict[str, Any] = {
            "model": self.model,
            "status": self.status,
            "method": self.method,
            "p": self.p,
            "within_min": self.within_min,
            "sites": list(self.sites),
            "objective": {"value": self.objective, "label": self.objective_label},
            "summary": self.summary(),
            "per_site": self.per_site(),
            "solve_seconds": self.solve_seconds,
            "matrix": {
                "demand_points": self.n_demand,
                "candidates": self.n_candidates,
                "weights": self.weight_label,
                "source": self.source,
            },
        }
        if assignment:
            out["assignment"] = [
                {
                    "id": did,
                    "site": self.sites[k] if k >= 0 else None,
                    "minutes": float(t) if math.isfinite(t) else None,
                }
                for did, k, t in zip(
                    self.demand_ids,
                    self.assigned.tolist(),
                    self.assigned_minutes.tolist(),
                    strict=True,
                )
            ]
        return out


# ---------------------------------------------------------------------------------------------
# Solving


@dataclass(frozen=True)
class _Found:
    chosen: tuple[int, ...]
    status: Status
    method: str


def locate(
    matrix: CostMatrix,
    model: str,
    *,
    p: int | None = None,
    within: float | None = None,
    method: str = "auto",
    time_limit_s: float | None = None,
) -> LocateResult:
    """Solve one location model exactly on ``matrix``.

    ``p`` is the number of sites (all models but LSCP); ``within`` the coverage threshold in the
    matrix's unit (LSCP, MCLP). ``method`` is ``"auto"``, ``"enumerate"`` or ``"mip"`` (HiGHS).
    The status is ``"optimal"`` only when proven; ``"feasible"`` when a time limit stopped HiGHS
    with a solution; ``"unknown"`` when it stopped without one; ``"infeasible"`` when no choice of
    sites satisfies the model (proven).
    """
    checked = _check_request(matrix, model, p, within, method)
    if time_limit_s is not None and not (math.isfinite(time_limit_s) and time_limit_s > 0):
        raise LocateError(f"time limit: expected seconds > 0, got {time_limit_s}")
    start = time.perf_counter()
    found = _SOLVERS[checked](matrix, p, within, method, time_limit_s)
    seconds = time.perf_counter() - start
    return _result(matrix, model=checked, found=found, p=p, within=within, seconds=seconds)


def _check_request(
    matrix: CostMatrix, model: str, p: int | None, within: float | None, method: str
) -> Model:
    if model not in MODELS:
        raise LocateError(f"model: expected one of {', '.join(MODELS)}, got {model!r}")
    if method not in ("auto", "enumerate", "mip"):
        raise LocateError(f"method: expected auto, enumerate or mip, got {method!r}")
    m = len(matrix.candidate_ids)
    if model == "lscp":
        if p is not None:
            raise LocateError("lscp finds the number of sites itself: do not give p")
        if method == "enumerate":
            raise LocateError("lscp is solved by MIP only: use method auto or mip")
    else:
        low = 2 if model == "pdispersion" else 1
        if p is None or not low <= p <= m:
            raise LocateError(f"{model}: p: expected a whole number {low}..{m}, got {p}")
    if model in ("lscp", "mclp") and within is None:
        raise LocateError(f"{model}: within: expected a time ≥ 0, got {within}")
    if within is not None:
        if model not in {"lscp", "mclp", "pmedian", "pcenter"}:
            raise LocateError(f"{model} takes no coverage threshold (within)")
        if not math.isfinite(within) or within < 0:
            raise LocateError(f"{model}: within: expected a time ≥ 0, got {within}")
    if model == "pdispersion" and matrix.between is None:
        msg = "pdispersion needs times between candidates: list every candidate as a demand row"
        raise LocateError(msg)
    return model


def _result(
    matrix: CostMatrix,
    *,
    model: Model,
    found: _Found,
    p: int | None,
    within: float | None,
    seconds: float,
) -> LocateResult:
    chosen = list(found.chosen)
    n = len(matrix.demand_ids)
    if chosen:
        sub = matrix.minutes[:, chosen]
        nearest = np.argmin(sub, axis=1)
        assigned_minutes = sub[np.arange(n), nearest]
        assigned = np.where(np.isfinite(assigned_minutes), nearest, -1).astype(np.int64)
    else:
        assigned = np.full(n, -1, dtype=np.int64)
        assigned_minutes = np.full(n, math.inf)
    objective = _objective(matrix, model, chosen, within) if chosen else None
    return LocateResult(
        model=model,
        status=found.status,
        method=found.method,
        p=p,
        within_min=within,
        sites=tuple(matrix.candidate_ids[j] for j in chosen),
        objective=objective,
        objective_label=_OBJECTIVE_LABELS[model],
        solve_seconds=seconds,
        n_demand=n,
        n_candidates=len(matrix.candidate_ids),
        weight_label=matrix.weight_label,
        source=matrix.source,
        assigned=assigned,
        assigned_minutes=assigned_minutes,
        weights=matrix.weights,
        demand_ids=matrix.demand_ids,
    )


_OBJECTIVE_LABELS: dict[Model, str] = {
    "pmedian": "Σ weight × time to nearest chosen site (minimised)",
    "pcenter": "worst time to nearest chosen site (minimised)",
    "lscp": "number of sites covering all weighted demand within T (minimised)",
    "mclp": "weight within T of a chosen site (maximised)",
    "pdispersion": "shortest time between two chosen sites (maximised)",
}


def _objective(matrix: CostMatrix, model: Model, chosen: list[int], within: float | None) -> float:
    """The model's objective for a site set, computed directly from the matrix."""
    keep = matrix.weights > 0
    nearest = matrix.minutes[keep][:, chosen].min(axis=1)
    w = matrix.weights[keep]
    if model == "pmedian":
        return float(w @ nearest)
    if model == "pcenter":
        return float(nearest.max()) if len(nearest) else 0.0
    if model == "lscp":
        return float(len(chosen))
    if model == "mclp":
        assert within is not None
        return float(w[nearest <= within].sum())
    assert matrix.between is not None
    return float(min(matrix.between[a, b] for a, b in itertools.combinations(chosen, 2)))


# --- enumeration -----------------------------------------------------------------------------


def enumeration_cells(matrix: CostMatrix, p: int) -> int:
    """Work of complete enumeration: C(m, p) site sets × demand points with weight > 0."""
    return math.comb(len(matrix.candidate_ids), p) * int((matrix.weights > 0).sum())


def _use_enumeration(
    matrix: CostMatrix, p: int, method: str, *, budget: int = ENUMERATION_BUDGET
) -> bool:
    if method != "auto":
        return method == "enumerate"
    return enumeration_cells(matrix, p) <= budget


def _best_by_enumeration(
    score: Callable[[IntArray], FloatArray], m: int, p: int, rows: int
) -> tuple[tuple[int, ...], float]:
    """The site set with the smallest score over all ``C(m, p)`` sets (first one on ties)."""
    batch = max(1, _BATCH_CELLS // max(rows, 1))
    combos = itertools.combinations(range(m), p)
    best: tuple[tuple[int, ...], float] = ((), math.inf)
    while True:
        chunk = np.array(list(itertools.islice(combos, batch)), dtype=np.int64)
        if chunk.size == 0:
            return best
        values = score(chunk.reshape(-1, p))
        k = int(np.argmin(values))
        if values[k] < best[1]:
            best = (tuple(int(j) for j in chunk[k]), float(values[k]))


def _nearest_of(columns: FloatArray, chunk: IntArray) -> FloatArray:
    """Row ``c`` = elementwise minimum of ``columns[chunk[c, :]]`` (site-major layout)."""
    out = columns[chunk[:, 0]]
    for k in range(1, chunk.shape[1]):
        np.minimum(out, columns[chunk[:, k]], out=out)
    return out


def _enumerated(chosen: tuple[int, ...], value: float) -> _Found:
    if not math.isfinite(value):
        return _Found((), "infeasible", "enumeration")
    return _Found(chosen, "optimal", "enumeration")


def _weighted(matrix: CostMatrix) -> tuple[FloatArray, FloatArray]:
    keep = matrix.weights > 0
    return matrix.minutes[keep], matrix.weights[keep]


# --- p-median --------------------------------------------------------------------------------


def _solve_pmedian(
    matrix: CostMatrix, p: int | None, _within: float | None, method: str, limit: float | None
) -> _Found:
    assert p is not None
    times, w = _weighted(matrix)
    if not len(w):
        return _Found(tuple(range(p)), "optimal", "trivial (no weighted demand)")
    if method == "mip":
        return _pmedian_mip(times, w, p, limit)
    if method == "enumerate":
        columns = np.ascontiguousarray(times.T)
        chosen, value = _best_by_enumeration(
            lambda c: _nearest_of(columns, c) @ w, times.shape[1], p, len(w)
        )
        return _enumerated(chosen, value)
    chosen, value = _pmedian_branch_and_bound(times, w, p)
    return (
        _Found(chosen, "optimal", "branch and bound")
        if math.isfinite(value)
        else (_Found((), "infeasible", "branch and bound"))
    )


def _pmedian_local_search(columns: FloatArray, w: FloatArray, p: int) -> list[int]:
    """A good p-median set to start from: greedy additions, then best swaps until none helps."""
    m = len(columns)
    chosen: list[int] = []
    nearest = np.full(columns.shape[1], np.inf)
    for _ in range(p):
        values = np.minimum(nearest, columns) @ w
        values[chosen] = np.inf
        j = int(np.nanargmin(np.where(np.isnan(values), np.inf, values)))
        chosen.append(j)
        nearest = np.minimum(nearest, columns[j])
    best = float(nearest @ w)
    improved = True
    while improved and p < m:
        improved = False
        for k in range(p):
            others = [c for c in chosen if c != chosen[k]]
            rest = columns[others].min(axis=0) if others else np.full(columns.shape[1], np.inf)
            values = np.minimum(rest, columns) @ w
            values[chosen] = np.inf
            j = int(np.argmin(values))
            if values[j] < best * (1 - 1e-12):
                chosen[k], best, improved = j, float(values[j]), True
    return sorted(chosen)


def _suffix_top_sums(values: FloatArray, k: int) -> FloatArray:
    """``out[i]`` = sum of the ``k`` largest of ``values[i + 1:]`` (fewer if fewer remain)."""
    out = np.zeros(len(values))
    largest: list[float] = []  # the k largest seen so far, ascending
    for i in range(len(values) - 1, 0, -1):
        bisect.insort(largest, float(values[i]))
        if len(largest) > k:
            largest.pop(0)
        out[i - 1] = sum(largest)
    return out


def _pmedian_branch_and_bound(
    times: FloatArray, w: FloatArray, p: int
) -> tuple[tuple[int, ...], float]:
    """Exact p-median by depth-first search over site sets with a submodular bound.

    A partial set S with ``r`` sites still to pick from the candidates after its last one, U,
    costs at least cost(S) − (sum of the r largest single-site gains of U over S), because the
    gain of adding sites is submodular. Subtrees whose bound cannot beat the incumbent (from
    :func:`_pmedian_local_search`) are skipped; the last pick is evaluated exactly for all of U.
    """
    columns = np.ascontiguousarray(times.T)
    m = len(columns)
    start_set = _pmedian_local_search(columns, w, p)
    best_set = [tuple(start_set)]
    best_value = [float(columns[start_set].min(axis=0) @ w)]

    def gains(nearest: FloatArray, first: int) -> FloatArray:
        with np.errstate(invalid="ignore"):
            diff = nearest[None, :] - columns[first:]
        diff[np.isnan(diff)] = 0.0  # inf - inf: unreachable either way
        out: FloatArray = np.maximum(diff, 0.0, out=diff) @ w
        return out

    def visit(nearest: FloatArray, cost: float, first: int, chosen: tuple[int, ...]) -> None:
        r = p - len(chosen)
        if r == 1:
            values = np.minimum(nearest, columns[first:]) @ w
            k = int(np.argmin(values))
            if values[k] < best_value[0]:
                best_set[0], best_value[0] = (*chosen, first + k), float(values[k])
            return
        last = m - r + 1
        if chosen:
            gain = gains(nearest, first)
            with np.errstate(invalid="ignore"):  # inf - inf: see below
                bound = cost - gain[: last - first] - _suffix_top_sums(gain, r - 1)[: last - first]
            # NaN (inf - inf: S leaves a point unreachable that U could reach) never prunes.
            open_j = first + np.flatnonzero(~(bound > best_value[0] * (1 + 1e-9)))
        else:
            open_j = np.arange(first, last)
        for j in open_j.tolist():
            child = np.minimum(nearest, columns[j])
            visit(child, float(child @ w), j + 1, (*chosen, j))

    visit(np.full(columns.shape[1], np.inf), math.inf, 0, ())
    return tuple(sorted(best_set[0])), best_value[0]


def _pmedian_mip(times: FloatArray, w: FloatArray, p: int, limit: float | None) -> _Found:
    """Elloumi's formulation with chained level variables, built with numpy.

    For demand point ``i`` with distinct sorted times D⁰ < D¹ < … (up to its (m−p+1)-th nearest
    candidate), ``z[i, l]`` = 1 when no site within Dˡ is open; cost wᵢ (Dˡ⁺¹ − Dˡ). Constraints:
    z[i, 0] + Σ_{tᵢⱼ = D⁰} yⱼ ≥ 1 and z[i, l] − z[i, l−1] + Σ_{tᵢⱼ = Dˡ} yⱼ ≥ 0.
    """
    from scipy.sparse import coo_matrix

    n, m = times.shape
    order = np.argsort(times, axis=1, kind="stable")
    ranked = np.take_along_axis(times, order, axis=1)
    cap = ranked[:, m - p]
    kept = ranked <= cap[:, None]
    new_level = np.ones((n, m), dtype=bool)
    new_level[:, 1:] = ranked[:, 1:] != ranked[:, :-1]
    level = np.cumsum(new_level, axis=1) - 1
    levels = level[np.arange(n), kept.sum(axis=1) - 1] + 1  # distinct kept levels per point
    values = np.full((n, m), np.inf)
    at = kept & new_level
    values[np.nonzero(at)[0], level[at]] = ranked[at]
    if not np.isfinite(values[:, 0]).all():
        return _Found((), "infeasible", "HiGHS MIP (Elloumi)")
    n_z = levels - 1
    row_start = np.concatenate([[0], np.cumsum(n_z)[:-1]])
    rows = int(n_z.sum())
    point = np.repeat(np.arange(n), n_z)
    lvl = np.arange(rows) - row_start[point]
    gap = values[point, lvl + 1] - values[point, lvl]
    to_inf = ~np.isfinite(gap)  # next level unreachable: this z must be 0 (a site must be open)
    cost = np.concatenate([np.zeros(m), np.where(to_inf, 0.0, w[point] * gap)])
    upper = np.concatenate([np.ones(m), np.where(to_inf, 0.0, 1.0)])
    y_entries = kept & (level < (levels - 1)[:, None])
    yi, yk = np.nonzero(y_entries)
    r_idx = [np.arange(rows), np.nonzero(lvl > 0)[0], row_start[yi] + level[yi, yk]]
    c_idx = [m + np.arange(rows), m + np.nonzero(lvl > 0)[0] - 1, order[yi, yk]]
    vals = [np.ones(rows), -np.ones(int((lvl > 0).sum())), np.ones(len(yi))]
    # the cardinality row Σ y = p
    r_idx.append(np.full(m, rows))
    c_idx.append(np.arange(m))
    vals.append(np.ones(m))
    a = coo_matrix(
        (np.concatenate(vals), (np.concatenate(r_idx), np.concatenate(c_idx))),
        shape=(rows + 1, m + rows),
    ).tocsr()
    lower = np.concatenate([np.where(lvl == 0, 1.0, 0.0), [p]])
    upper_rows = np.concatenate([np.full(rows, np.inf), [p]])
    integrality = np.concatenate([np.ones(m), np.zeros(rows)])
    return _milp_sites(
        cost,
        a=a,
        lower=lower,
        upper_rows=upper_rows,
        upper_vars=upper,
        integrality=integrality,
        m=m,
        limit=limit,
        name="Elloumi",
    )


def _milp_sites(
    cost: FloatArray,
    *,
    a: Any,
    lower: FloatArray,
    upper_rows: FloatArray,
    upper_vars: FloatArray,
    integrality: FloatArray,
    m: int,
    limit: float | None,
    name: str,
) -> _Found:
    """Solve a MIP whose first ``m`` variables are the site choices; return the open sites."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    options: dict[str, Any] = {"disp": False, "mip_rel_gap": 0.0}
    if limit is not None:
        options["time_limit"] = limit
    res = milp(
        cost,
        constraints=LinearConstraint(a, lower, upper_rows),
        integrality=integrality,
        bounds=Bounds(np.zeros(len(cost)), upper_vars),
        options=options,
    )
    method = f"HiGHS MIP ({name})"
    if res.x is None:
        # status 2: proven infeasible; otherwise stopped (time limit) without any solution
        if res.status == 2:
            return _Found((), "infeasible", method)
        return _Found((), "unknown", f"{method}: {res.message}")
    chosen = tuple(int(j) for j in np.nonzero(res.x[:m] > 0.5)[0])
    return _Found(chosen, "optimal" if res.status == 0 else "feasible", method)


# --- covering models -------------------------------------------------------------------------


def _coverage_groups(matrix: CostMatrix, within: float) -> tuple[BoolArray, FloatArray, float]:
    """Distinct coverage rows of weighted demand, their summed weights, and uncovered weight."""
    times, w = _weighted(matrix)
    covers = times <= within
    reachable = covers.any(axis=1)
    patterns, inverse = np.unique(covers[reachable], axis=0, return_inverse=True)
    summed: FloatArray = np.bincount(
        inverse.ravel(), weights=w[reachable], minlength=len(patterns)
    ).astype(np.float64)
    return patterns, summed, float(w[~reachable].sum())


def _min_cover(
    patterns: BoolArray, m: int, limit: float | None, max_sites: int | None = None
) -> _Found:
    """Fewest sites such that every pattern (row) has an open site (HiGHS set covering)."""
    from scipy.sparse import csr_matrix

    rows = len(patterns)
    if rows == 0:
        return _Found((), "optimal", "HiGHS MIP (set covering)")
    a = csr_matrix(patterns.astype(np.float64))
    upper_rows = np.full(rows, np.inf)
    lower = np.ones(rows)
    if max_sites is not None:
        a = csr_matrix(np.vstack([patterns.astype(np.float64), np.ones((1, m))]))
        lower = np.append(lower, 0.0)
        upper_rows = np.append(upper_rows, float(max_sites))
    return _milp_sites(
        np.ones(m),
        a=a,
        lower=lower,
        upper_rows=upper_rows,
        upper_vars=np.ones(m),
        integrality=np.ones(m),
        m=m,
        limit=limit,
        name="set covering",
    )


def _solve_lscp(
    matrix: CostMatrix, _p: int | None, within: float | None, _method: str, limit: float | None
) -> _Found:
    assert within is not None
    patterns, _, uncovered = _coverage_groups(matrix, within)
    if uncovered > 0:
        return _Found((), "infeasible", "HiGHS MIP (set covering): some demand has no site in T")
    return _min_cover(patterns, len(matrix.candidate_ids), limit)


def _solve_mclp(
    matrix: CostMatrix, p: int | None, within: float | None, method: str, limit: float | None
) -> _Found:
    assert p is not None and within is not None
    m = len(matrix.candidate_ids)
    patterns, summed, _ = _coverage_groups(matrix, within)
    if not len(patterns):
        return _Found(tuple(range(p)), "optimal", "trivial (no site covers any demand)")
    if _use_enumeration(matrix, p, method):
        columns = np.ascontiguousarray(patterns.T)

        def uncovered(chunk: IntArray) -> FloatArray:
            covered = columns[chunk[:, 0]]
            for k in range(1, chunk.shape[1]):
                covered = covered | columns[chunk[:, k]]
            out: FloatArray = -(covered.astype(np.float64) @ summed)
            return out

        chosen, value = _best_by_enumeration(uncovered, m, p, len(summed))
        return _enumerated(chosen, value)
    from scipy.sparse import coo_matrix, csr_matrix, hstack, identity, vstack

    g = len(patterns)
    # z_g − Σ_{j covers g} y_j ≤ 0 ; Σ y = p
    link = hstack([-csr_matrix(patterns.astype(np.float64)), identity(g, format="csr")])
    card = coo_matrix(np.concatenate([np.ones(m), np.zeros(g)])[None, :])
    a = vstack([link, card]).tocsr()
    cost = np.concatenate([np.zeros(m), -summed])
    lower = np.concatenate([np.full(g, -np.inf), [p]])
    upper_rows = np.concatenate([np.zeros(g), [p]])
    integrality = np.concatenate([np.ones(m), np.zeros(g)])
    upper = np.ones(m + g)
    return _milp_sites(
        cost,
        a=a,
        lower=lower,
        upper_rows=upper_rows,
        upper_vars=upper,
        integrality=integrality,
        m=m,
        limit=limit,
        name="max covering",
    )


# --- p-center --------------------------------------------------------------------------------


def _solve_pcenter(
    matrix: CostMatrix, p: int | None, _within: float | None, method: str, limit: float | None
) -> _Found:
    assert p is not None
    times, w = _weighted(matrix)
    m = times.shape[1]
    if not len(w):
        return _Found(tuple(range(p)), "optimal", "trivial (no weighted demand)")
    if _use_enumeration(matrix, p, method, budget=PCENTER_ENUMERATION_BUDGET):
        columns = np.ascontiguousarray(times.T)
        chosen, value = _best_by_enumeration(
            lambda c: _nearest_of(columns, c).max(axis=1), m, p, len(w)
        )
        return _enumerated(chosen, value)
    values = np.unique(times[np.isfinite(times)])
    low = float(times.min(axis=1).max())
    if method == "mip":
        return _bisect_threshold(
            values,
            lambda t: _min_cover(np.unique(times <= t, axis=0), m, limit, max_sites=p),
            p,
            "binary search, set covering",
            low=low,
            smallest=True,
        )
    found = _bisect_threshold(
        values, lambda t: _hitting_set(times <= t, p), p, "", low=low, smallest=True
    )
    return _Found(found.chosen, found.status, "binary search, exact hitting-set search")


def _hitting_set(covers: BoolArray, p: int) -> _Found:
    """At most ``p`` sites such that every row has a covering site, by exhaustive branching.

    Branches on the sites of the row with the fewest covering sites (depth ≤ p), so the search
    is complete: ``infeasible`` is a proof that no such set exists.
    """
    masks = sorted(
        {int(sum(1 << int(j) for j in np.flatnonzero(row))) for row in np.unique(covers, axis=0)},
        key=int.bit_count,
    )

    def search(rows: list[int], budget: int, chosen: int) -> int | None:
        if not rows:
            return chosen
        if budget == 0:
            return None
        row = min(rows, key=int.bit_count)
        while row:
            bit = row & -row
            row ^= bit
            found = search([r for r in rows if not r & bit], budget - 1, chosen | bit)
            if found is not None:
                return found
        return None

    if masks and masks[0] == 0:
        return _Found((), "infeasible", "hitting-set search")
    hit = search(masks, p, 0)
    if hit is None:
        return _Found((), "infeasible", "hitting-set search")
    chosen = tuple(j for j in range(hit.bit_length()) if hit >> j & 1)
    return _Found(chosen, "optimal", "hitting-set search")


def _bisect_threshold(
    candidates: FloatArray,
    feasible_at: Callable[[float], _Found],
    p: int,
    name: str,
    *,
    low: float,
    smallest: bool,
) -> _Found:
    """Binary search for the best threshold whose feasibility MIP finds ``p`` sites.

    ``smallest=True`` looks for the smallest feasible threshold (feasibility grows with it);
    otherwise the largest (feasibility shrinks as it grows). Every step must be proven for the
    answer to be optimal.
    """
    values = candidates[candidates >= low] if smallest else candidates[candidates <= low]
    if not smallest:
        values = values[::-1]
    lo, hi = 0, len(values) - 1
    best: _Found | None = None
    proven = True
    while lo <= hi:
        mid = (lo + hi) // 2
        found = feasible_at(float(values[mid]))
        proven = proven and found.status in ("optimal", "infeasible")
        if found.chosen:
            best, hi = found, mid - 1
        else:
            lo = mid + 1
    method = f"HiGHS MIP ({name})"
    if best is None:
        return _Found((), "infeasible" if proven else "unknown", method)
    chosen = _pad(best.chosen, p)
    return _Found(chosen, "optimal" if proven else "feasible", method)


def _pad(chosen: tuple[int, ...], p: int) -> tuple[int, ...]:
    """A feasible set of fewer than ``p`` sites, padded to ``p`` with the lowest unused ids."""
    extra = (j for j in itertools.count() if j not in chosen)
    return tuple(sorted([*chosen, *itertools.islice(extra, p - len(chosen))]))


# --- p-dispersion ----------------------------------------------------------------------------


def _solve_pdispersion(
    matrix: CostMatrix, p: int | None, _within: float | None, method: str, limit: float | None
) -> _Found:
    assert p is not None and matrix.between is not None
    between = matrix.between
    m = len(between)
    pairs = np.array(list(itertools.combinations(range(p), 2)), dtype=np.int64)
    work = math.comb(m, p) * len(pairs)
    if method == "enumerate" or (method == "auto" and work <= DISPERSION_ENUMERATION_BUDGET):

        def closest(chunk: IntArray) -> FloatArray:
            out: FloatArray = -between[chunk[:, pairs[:, 0]], chunk[:, pairs[:, 1]]].min(axis=1)
            return out

        chosen, _ = _best_by_enumeration(closest, m, p, len(pairs))
        return _Found(chosen, "optimal", "enumeration")
    upper = np.triu_indices(m, 1)
    distinct = np.unique(between[upper])
    return _bisect_threshold(
        distinct,
        lambda d: _independent_set(between < d, p, limit),
        p,
        "binary search, independent set",
        low=float(distinct.max()),
        smallest=False,
    )


def _independent_set(conflict: BoolArray, p: int, limit: float | None) -> _Found:
    """``p`` sites no two of which conflict, if any (HiGHS, edge formulation)."""
    from scipy.sparse import coo_matrix

    m = len(conflict)
    a_idx, b_idx = np.nonzero(np.triu(conflict, 1))
    e = len(a_idx)
    rows = np.concatenate([np.arange(e), np.arange(e), np.full(m, e)])
    cols = np.concatenate([a_idx, b_idx, np.arange(m)])
    a = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(e + 1, m)).tocsr()
    lower = np.concatenate([np.full(e, -np.inf), [p]])
    upper_rows = np.concatenate([np.ones(e), [p]])
    return _milp_sites(
        np.zeros(m),
        a=a,
        lower=lower,
        upper_rows=upper_rows,
        upper_vars=np.ones(m),
        integrality=np.ones(m),
        m=m,
        limit=limit,
        name="independent set",
    )


_SOLVERS: dict[Model, Callable[[CostMatrix, int | None, float | None, str, float | None], _Found]]
_SOLVERS = {
    "pmedian": _solve_pmedian,
    "pcenter": _solve_pcenter,
    "lscp": _solve_lscp,
    "mclp": _solve_mclp,
    "pdispersion": _solve_pdispersion,
}


# ---------------------------------------------------------------------------------------------
# Output: JSON, GeoJSON map layers, terminal


def geojson_layers(result: LocateResult, matrix: CostMatrix) -> dict[str, Any] | None:
    """One GeoJSON FeatureCollection (EPSG:4326) of chosen sites and assigned demand points.

    Site features come first, then one per demand point with its site and time. ``None`` when the
    matrix has no coordinates (a user CSV).
    """
    if matrix.demand_lonlat is None or matrix.candidate_lonlat is None:
        return None
    index = {sid: j for j, sid in enumerate(matrix.candidate_ids)}
    features: list[dict[str, Any]] = []
    for k, sid in enumerate(result.sites):
        lon, lat = matrix.candidate_lonlat[index[sid]]
        features.append(_point(lon, lat, {"layer": "site", "id": sid, **result.per_site()[k]}))
    for i, did in enumerate(result.demand_ids):
        k = int(result.assigned[i])
        minutes = float(result.assigned_minutes[i])
        lon, lat = matrix.demand_lonlat[i]
        properties = {
            "layer": "demand",
            "id": did,
            "weight": float(result.weights[i]),
            "site": result.sites[k] if k >= 0 else None,
            "minutes": round(minutes, 3) if math.isfinite(minutes) else None,
        }
        features.append(_point(lon, lat, properties))
    return {
        "type": "FeatureCollection",
        "name": f"siteopt locate {result.model}",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        "features": features,
    }


def _point(lon: float, lat: float, properties: dict[str, Any]) -> dict[str, Any]:
    geometry = {"type": "Point", "coordinates": [round(float(lon), 6), round(float(lat), 6)]}
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def write_locate_outputs(
    result: LocateResult, matrix: CostMatrix, out_dir: Path, *, attribution: str | None = None
) -> list[Path]:
    """Write ``locate.json`` and (with coordinates) ``locate.geojson`` atomically; return paths.

    ``locate.json`` carries the assignment of every demand point.
    """
    payload = result.to_dict(assignment=True)
    if attribution:
        payload["attribution"] = attribution
    written = [out_dir / "locate.json"]
    layers = geojson_layers(result, matrix)
    if layers is not None:
        if attribution:
            layers["attribution"] = attribution
        atomic_write_text(out_dir / "locate.geojson", json.dumps(layers, ensure_ascii=False))
        written.append(out_dir / "locate.geojson")
    atomic_write_text(written[0], json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    return written


def locate_layers(result: LocateResult, instance: Instance) -> dict[str, gpd.GeoDataFrame]:
    """GIS layers of an instance-based result (EPSG:27700), for the export writers.

    ``sites`` (chosen sites with their share of demand), ``lsoa_results`` (each LSOA polygon with
    its assigned site, minutes and weight), ``districts`` and ``forces``.
    """
    import geopandas as gpd
    import pandas as pd

    from siteopt.network import site_points

    dataset = instance.dataset()
    points = site_points(instance, list(result.sites))
    per_site = pd.DataFrame(result.per_site())
    sites = gpd.GeoDataFrame(
        per_site.assign(name=[instance.site_name(s) for s in result.sites]),
        geometry=gpd.points_from_xy(points.x, points.y),
        crs="EPSG:27700",
    )
    assigned = pd.DataFrame(
        {
            "lsoa11cd": list(result.demand_ids),
            "site": [result.sites[k] if k >= 0 else None for k in result.assigned.tolist()],
            "minutes": np.where(
                np.isfinite(result.assigned_minutes), result.assigned_minutes, np.nan
            ),
            "weight": result.weights,
        }
    )
    lsoas = dataset.boundaries("lsoa").merge(assigned, on="lsoa11cd", how="left")
    return {
        "sites": sites,
        "lsoa_results": lsoas,
        "districts": dataset.boundaries("districts"),
        "forces": dataset.boundaries("forces"),
    }


def write_locate_gpkg(result: LocateResult, instance: Instance, out_dir: Path) -> Path:
    """Write ``locate.gpkg`` (the layers of :func:`locate_layers`) atomically; return its path."""
    from siteopt.atomic import atomic_write
    from siteopt.export import write_gpkg

    layers = locate_layers(result, instance)
    path = out_dir / "locate.gpkg"
    atomic_write(path, lambda temporary: _fresh_gpkg(temporary, layers, write_gpkg))
    return path


def _fresh_gpkg(
    temporary: Path,
    layers: dict[str, gpd.GeoDataFrame],
    write: Callable[[dict[str, gpd.GeoDataFrame], Path], None],
) -> None:
    temporary.unlink()  # GDAL creates the GeoPackage itself; an empty file is not one
    write(layers, temporary)


def print_locate(result: LocateResult, console: Console) -> None:
    """Print a location result: status, objective, chosen sites with their demand."""
    from rich.table import Table

    colour = {"optimal": "green", "feasible": "yellow"}.get(result.status, "red")
    what = f"p = {result.p}" if result.p is not None else ""
    if result.within_min is not None:
        what += f"{', ' if what else ''}within {result.within_min:g} min"
    console.print(
        f"[bold]{result.model}[/bold] ({what}): [{colour}]{result.status}[/{colour}] by "
        f"{result.method} in {result.solve_seconds:.3f} s; {result.n_demand} demand points × "
        f"{result.n_candidates} candidates ({result.weight_label})"
    )
    if not result.sites:
        console.print("no choice of sites satisfies the model")
        return
    assert result.objective is not None
    console.print(f"objective: {result.objective:,.6g} — {result.objective_label}")
    summary = result.summary()

    def minutes(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f} min"

    line = (
        f"weighted mean time {minutes(summary['weighted_mean_min'])}, "
        f"worst {minutes(summary['max_min'])}"
    )
    if summary["unreachable_weight"] > 0:
        line += f", unreachable weight {summary['unreachable_weight']:,.6g}"
    if "covered_share" in summary:
        line += f", {summary['covered_share']:.1%} of weight within {result.within_min:g} min"
    console.print(line)
    table = Table("site", "demand points", "weight", "share", "worst min")
    for row in result.per_site():
        worst = row["max_min"]
        table.add_row(
            row["id"],
            str(row["demand_points"]),
            f"{row['weight']:,.0f}",
            f"{row['weight_share']:.1%}",
            f"{worst:.1f}" if worst is not None else "-",
        )
    console.print(table)
    console.print(f"[dim]{result.source}[/dim]")

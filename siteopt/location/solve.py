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
whose ``status`` is ``OPTIMAL`` only when optimality is proven.

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

import itertools
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from siteopt.location.base import Deadline, _Found
from siteopt.location.coverage import _solve_lscp, _solve_mclp
from siteopt.location.lagrangian import PROVES
from siteopt.location.matrix import CostMatrix, LocateError, instance_cost_matrix
from siteopt.location.pcenter import _solve_pcenter
from siteopt.location.pdispersion import _solve_pdispersion
from siteopt.location.pmedian import _solve_pmedian
from siteopt.location.result import MAXIMISED, MODELS, LocateResult, Model, relative_gap
from siteopt.status import Status

if TYPE_CHECKING:
    from siteopt.instance.schema import Instance

__all__ = ["locate"]


def locate(
    data: CostMatrix | Instance,
    model: str,
    *,
    p: int | None = None,
    within: float | None = None,
    method: str = "auto",
    time_limit: float | None = None,
) -> LocateResult:
    """Solve one classic location model exactly.

    Parameters
    ----------
    data
        The demand points × candidate sites matrix, or an instance (its LSOAs weighted by
        population, drive times to its candidates on its road network).
    model
        ``"pmedian"``, ``"pcenter"``, ``"lscp"``, ``"mclp"`` or ``"pdispersion"``.
    p
        Number of sites (every model but LSCP).
    within
        Coverage threshold in the matrix's unit, minutes (LSCP, MCLP).
    method
        ``"auto"``, ``"enumerate"`` or ``"mip"`` (HiGHS).
    time_limit
        Seconds the search may take (``None``: no limit). Every model and method honours it
        and returns the best solution found so far with its proven bound.

    Returns
    -------
    LocateResult
        The chosen sites, objective and proven bound; ``status`` is ``OPTIMAL`` only when
        proven, ``FEASIBLE`` when the time limit stopped the search with a solution (its
        ``gap`` says how far from proven), ``UNKNOWN`` when it stopped without one,
        ``INFEASIBLE`` when no choice of sites satisfies the model (proven).

    Raises
    ------
    LocateError
        If the model, method, ``p``, ``within`` or ``time_limit`` do not fit together, or the
        matrix is too large for the memory available.
    """
    matrix = data if isinstance(data, CostMatrix) else instance_cost_matrix(data)
    checked = _check_request(matrix, model, p, within, method)
    if time_limit is not None and not (math.isfinite(time_limit) and time_limit > 0):
        raise LocateError(f"time_limit: expected seconds > 0, got {time_limit}")
    start = time.perf_counter()
    try:
        found = _SOLVERS[checked](matrix, p, within, method, Deadline.after(time_limit))
    except MemoryError:
        n, m = matrix.minutes.shape
        msg = (
            f"{checked}: out of memory solving the {n:,} × {m:,} matrix "
            f"({n * m * 8 / 1e9:.2f} GB as float64); free memory or use a smaller matrix"
        )
        raise LocateError(msg) from None
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
        if p is None:
            raise LocateError(f"{model}: p: missing: give the number of sites ({low}..{m})")
        if not low <= p <= m:
            raise LocateError(f"{model}: p: expected a whole number {low}..{m}, got {p}")
    if model in ("lscp", "mclp") and within is None:
        raise LocateError(f"{model}: within: missing: give the coverage time in minutes")
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
    status, bound = _proven(model, found, objective)
    return LocateResult(
        model=model,
        status=status,
        method=found.method,
        p=p,
        within_min=within,
        sites=tuple(matrix.candidate_ids[j] for j in chosen),
        objective=objective,
        bound=bound,
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


def _proven(model: Model, found: _Found, objective: float | None) -> tuple[Status, float | None]:
    """The status and proven bound to report: the bound is the objective when optimal.

    A bound on the wrong side of the objective (float noise) is clamped to it, and a
    ``FEASIBLE`` answer whose bound meets its objective is reported ``OPTIMAL``.
    """
    if objective is None:
        return found.status, found.bound
    if found.status is Status.OPTIMAL or found.bound is None:
        return found.status, objective if found.status is Status.OPTIMAL else None
    maximise = model in MAXIMISED
    bound = max(found.bound, objective) if maximise else min(found.bound, objective)
    if relative_gap(objective, bound) <= PROVES:
        return Status.OPTIMAL, objective
    return found.status, bound


def _objective(matrix: CostMatrix, model: Model, chosen: list[int], within: float | None) -> float:
    """The model's objective for a site set, computed directly from the matrix."""
    keep = matrix.weights > 0
    nearest = matrix.minutes[:, chosen][keep].min(axis=1)
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


_SOLVERS: dict[Model, Callable[[CostMatrix, int | None, float | None, str, Deadline], _Found]]


_SOLVERS = {
    "pmedian": _solve_pmedian,
    "pcenter": _solve_pcenter,
    "lscp": _solve_lscp,
    "mclp": _solve_mclp,
    "pdispersion": _solve_pdispersion,
}

"""What the location models share.

Budgets for complete enumeration, the best set by enumeration (stopped by a deadline), the
nearest open site of each demand point, the :class:`Deadline` every method honours, what a
method found (:class:`_Found`: sites, status, proven bound) and the HiGHS MIP helper.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from siteopt.status import Status

if TYPE_CHECKING:
    from siteopt.location.matrix import CostMatrix


FloatArray = npt.NDArray[np.float64]


IntArray = npt.NDArray[np.int64]


BoolArray = npt.NDArray[np.bool_]


# "auto" enumerates while C(m, p) × demand points stays below these many cell evaluations;
# above them the other exact method is faster on the BCH matrix (measured: docs/locate.md).
ENUMERATION_BUDGET = 12_000_000  # MCLP (against HiGHS)


PCENTER_ENUMERATION_BUDGET = 12_000_000  # p-center (against bisection + hitting-set search)


DISPERSION_ENUMERATION_BUDGET = 1_000_000  # p-dispersion: C(m, p) × pairs (against HiGHS)


# Cells evaluated per numpy batch during enumeration (bounds memory to ~16 MB per array).
_BATCH_CELLS = 2_000_000


@dataclass(frozen=True)
class Deadline:
    """When a method must stop: ``end`` on the :func:`time.perf_counter` clock (``inf``: never)."""

    end: float

    @classmethod
    def after(cls, seconds: float | None) -> Deadline:
        """The deadline ``seconds`` from now (``None``: no deadline)."""
        return cls(math.inf if seconds is None else time.perf_counter() + seconds)

    def passed(self) -> bool:
        """Whether the time is up."""
        return time.perf_counter() >= self.end

    def remaining(self) -> float | None:
        """Seconds left (at least a millisecond), or ``None`` without a deadline."""
        if math.isinf(self.end):
            return None
        return max(1e-3, self.end - time.perf_counter())


NO_DEADLINE = Deadline(math.inf)


STOPPED = "stopped by the time limit"  # how a method's name says it did not finish


@dataclass(frozen=True)
class _Found:
    """What a method found: the open sites, its status and a proven bound on the optimum.

    ``bound`` is a lower bound on the optimum of a minimising model (an upper bound for MCLP and
    p-dispersion, which maximise); ``None`` when the status is ``OPTIMAL`` (the bound is then
    the objective itself) or nothing is known.
    """

    chosen: tuple[int, ...]
    status: Status
    method: str
    bound: float | None = None


def enumeration_cells(matrix: CostMatrix, p: int) -> int:
    """Work of complete enumeration: C(m, p) site sets × demand points with weight > 0."""
    return math.comb(len(matrix.candidate_ids), p) * int((matrix.weights > 0).sum())


def _use_enumeration(matrix: CostMatrix, p: int, method: str, *, budget: int | None = None) -> bool:
    if method != "auto":
        return method == "enumerate"
    return enumeration_cells(matrix, p) <= (ENUMERATION_BUDGET if budget is None else budget)


def _best_by_enumeration(
    score: Callable[[IntArray], FloatArray],
    m: int,
    p: int,
    rows: int,
    deadline: Deadline = NO_DEADLINE,
) -> tuple[tuple[int, ...], float, bool]:
    """The site set with the smallest score over all ``C(m, p)`` sets (first one on ties).

    Returns the set, its score and whether every set was scored (``False``: the deadline
    passed first and the set is the best of those scored).
    """
    batch = max(1, _BATCH_CELLS // max(rows, 1))
    combos = itertools.combinations(range(m), p)
    best: tuple[tuple[int, ...], float] = ((), math.inf)
    while True:
        if best[0] and deadline.passed():
            return (*best, False)
        chunk = np.array(list(itertools.islice(combos, batch)), dtype=np.int64)
        if chunk.size == 0:
            return (*best, True)
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


def _enumerated(
    chosen: tuple[int, ...], value: float, complete: bool, bound: float | None = None
) -> _Found:
    """What an enumeration found: optimal (or infeasible) when complete, else ``bound`` holds."""
    if complete:
        if not math.isfinite(value):
            return _Found((), Status.INFEASIBLE, "enumeration")
        return _Found(chosen, Status.OPTIMAL, "enumeration")
    if not math.isfinite(value):
        return _Found((), Status.UNKNOWN, f"enumeration: {STOPPED}", bound)
    return _Found(chosen, Status.FEASIBLE, f"enumeration: {STOPPED}", bound)


def _weighted(matrix: CostMatrix) -> tuple[FloatArray, FloatArray]:
    """Times and weights of the demand points with weight > 0 (no copy when all are)."""
    keep = matrix.weights > 0
    if keep.all():
        return matrix.minutes, matrix.weights
    return matrix.minutes[keep], matrix.weights[keep]


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
    to_model: Callable[[float], float] = float,
) -> _Found:
    """Solve a MIP whose first ``m`` variables are the site choices; return the open sites.

    ``to_model`` turns HiGHS's proven dual bound (on the MIP's minimised objective) into a
    bound on the model's objective, e.g. negated for a maximising model.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp  # noqa: PLC0415 (lazy: scipy is slow to import)

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
    dual = res.get("mip_dual_bound")
    bound = to_model(float(dual)) if dual is not None and math.isfinite(dual) else None
    if res.x is None:
        # status 2: proven infeasible; otherwise stopped (time limit) without any solution
        if res.status == 2:
            return _Found((), Status.INFEASIBLE, method)
        return _Found((), Status.UNKNOWN, f"{method}: {res.message}", bound)
    chosen = tuple(int(j) for j in np.nonzero(res.x[:m] > 0.5)[0])
    if res.status == 0:
        return _Found(chosen, Status.OPTIMAL, method)
    return _Found(chosen, Status.FEASIBLE, method, bound)

"""What the location models share.

What the location models share: budgets for complete enumeration, the best set by
enumeration, the nearest open site of each demand point, and HiGHS MIP helpers.
"""

from __future__ import annotations

import itertools
import math
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
class _Found:
    chosen: tuple[int, ...]
    status: Status
    method: str


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
        return _Found((), Status.INFEASIBLE, "enumeration")
    return _Found(chosen, Status.OPTIMAL, "enumeration")


def _weighted(matrix: CostMatrix) -> tuple[FloatArray, FloatArray]:
    keep = matrix.weights > 0
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
) -> _Found:
    """Solve a MIP whose first ``m`` variables are the site choices; return the open sites."""
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
    if res.x is None:
        # status 2: proven infeasible; otherwise stopped (time limit) without any solution
        if res.status == 2:
            return _Found((), Status.INFEASIBLE, method)
        return _Found((), Status.UNKNOWN, f"{method}: {res.message}")
    chosen = tuple(int(j) for j in np.nonzero(res.x[:m] > 0.5)[0])
    return _Found(chosen, Status.OPTIMAL if res.status == 0 else Status.FEASIBLE, method)

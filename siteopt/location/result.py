"""The answer of a location model: :class:`LocateResult`."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from siteopt.status import Status

__all__ = ["MODELS", "LocateResult"]


FloatArray = npt.NDArray[np.float64]


IntArray = npt.NDArray[np.int64]


Model = Literal["pmedian", "pcenter", "lscp", "mclp", "pdispersion"]


Method = Literal["auto", "enumerate", "mip"]


MODELS: tuple[Model, ...] = ("pmedian", "pcenter", "lscp", "mclp", "pdispersion")


MAXIMISED: frozenset[Model] = frozenset({"mclp", "pdispersion"})


def relative_gap(objective: float, bound: float) -> float:
    """``|objective − bound| / max(|objective|, |bound|)`` (0 when both are 0).

    For the minimising models this is siteopt's ``(cost − bound) / cost``; dividing by the
    larger of the two keeps a maximising model's gap finite (between 0 and 1) when its
    objective is 0.
    """
    scale = max(abs(objective), abs(bound))
    return abs(objective - bound) / scale if scale > 0 else 0.0


@dataclass(frozen=True)
class LocateResult:
    """One solved location model: the chosen sites, the objective and how it was proven.

    ``bound`` is the proven bound on the optimum: a lower bound for the minimising models
    (p-median, p-center, LSCP), an upper bound for the maximising ones (MCLP, p-dispersion).
    It equals ``objective`` when the status is ``OPTIMAL``; with ``FEASIBLE`` (a time limit
    stopped the search) the optimum lies between the two and :attr:`gap` says how far apart.
    """

    model: Model
    status: Status
    method: str
    p: int | None
    within_min: float | None
    sites: tuple[str, ...]
    objective: float | None
    bound: float | None
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

    @property
    def gap(self) -> float | None:
        """Proven relative gap between objective and bound (:func:`relative_gap`); 0: optimal.

        ``None`` when there is no objective or no bound.
        """
        if self.objective is None or self.bound is None:
            return None
        return relative_gap(self.objective, self.bound)

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
            "status": str(self.status),
            "method": self.method,
            "p": self.p,
            "within_min": self.within_min,
            "sites": list(self.sites),
            "objective": {"value": self.objective, "label": self.objective_label},
            "bound": self.bound,
            "gap": self.gap,
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

"""Problem data: everything the optimiser needs, as integers, built once from an instance.

:class:`ProblemData` is the single contract between the data stages (demand, staffing, costs,
network, transition) and the solvers (the enumerator and CP-SAT): the integer arrays of
:class:`~siteopt.optimise.arrays.ProblemArrays` (money in £0.0001, staff in 0.0001 FTE), the
instance's named constraints (:mod:`siteopt.optimise.constraints`), and a few arrays only the
reports read.

The formulation these numbers feed is in ``docs/model.md``; :func:`siteopt.optimise.build.
problem_from_instance` is the adapter from an instance file, :class:`ProblemData` only holds data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from siteopt.optimise.arrays import (
    FTE_UNITS_PER_FTE,
    MONEY_UNITS_PER_GBP,
    BoolArray,
    IntArray,
    ProblemArrays,
    Routing,
    force_mask,
)
from siteopt.optimise.constraints.base import Constraint

__all__ = [
    "FTE_UNITS_PER_FTE",
    "MONEY_UNITS_PER_GBP",
    "BoolArray",
    "IntArray",
    "ProblemData",
    "Routing",
    "force_mask",
]


@dataclass(frozen=True, eq=False)
class ProblemData(ProblemArrays):
    """The optimisation problem: integer arrays, named constraints, and data for reports.

    Attributes
    ----------
    constraints
        The instance's enabled constraints, compiled per candidate
        (:class:`~siteopt.optimise.constraints.Constraint`).
    home_share, home_minutes, home_minutes_today, home_km, home_km_today
        For reports only (solvers ignore them): share of force ``f``'s staff living in zone
        ``i`` ``(F, Z)``, drive minutes (and km) from each zone to each candidate ``(Z, J)`` and
        to each force's room today ``(Z, F)``.

    The other attributes are those of :class:`~siteopt.optimise.arrays.ProblemArrays`.
    """

    constraints: tuple[Constraint, ...] = ()
    home_share: npt.NDArray[np.float64] | None = None
    home_minutes: npt.NDArray[np.float64] | None = None
    home_minutes_today: npt.NDArray[np.float64] | None = None
    home_km: npt.NDArray[np.float64] | None = None
    home_km_today: npt.NDArray[np.float64] | None = None

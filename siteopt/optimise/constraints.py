"""The optimisation's constraints, precomputed per candidate site (named as in the instance)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "Absorb",
    "Fallback",
    "ForceReach",
    "PopulationCover",
    "Separation",
    "SiteFilter",
    "StaffCommute",
]


IntArray = npt.NDArray[np.int64]


BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class SiteFilter:
    """Only sites with ``allowed[j]`` may open (``recruitment_pool``).

    ``pool`` (for reports): working-age people within reach of each site; ``limit``: the minimum.
    """

    name: str
    allowed: BoolArray
    pool: npt.NDArray[np.float64] | None = None
    limit: float = 0.0


@dataclass(frozen=True, eq=False)
class Separation:
    """No two open sites with ``conflict[j, j']`` (too close, or too far to decamp).

    ``minutes`` (for reports): drive minutes between sites; ``limits``: (min apart, max apart).
    """

    name: str
    conflict: BoolArray
    minutes: npt.NDArray[np.float64] | None = None
    limits: tuple[float, float] = (0.0, math.inf)


@dataclass(frozen=True, eq=False)
class ForceReach:
    """Each force ``f`` has an open site ``j`` with ``reach[f, j]`` (``force_centre_within``).

    ``minutes`` (for reports): from each force's centre to each site; ``limit``: the maximum.
    """

    name: str
    reach: BoolArray
    minutes: npt.NDArray[np.float64] | None = None
    limit: float = math.inf


@dataclass(frozen=True, eq=False)
class PopulationCover:
    """People in zones covered by an open site (``cover[i, j]``) are at least ``required``."""

    name: str
    cover: BoolArray
    people: IntArray
    required: int


@dataclass(frozen=True, eq=False)
class StaffCommute:
    """Staff (FTE units) within reach of their new site, ``Σ_f within[f, j(f)] ≥ required``."""

    name: str
    within: IntArray
    required: int


@dataclass(frozen=True, eq=False)
class Absorb:
    """With two or more open sites, each has at least ``min_seats`` seats."""

    name: str
    min_seats: int


@dataclass(frozen=True, eq=False)
class Fallback:
    """With one open site ``j``, ``available[j]`` (a fallback building in reach) must hold.

    ``fallback_of`` (for reports): the fallback building chosen for each site ("" if none).
    """

    name: str
    available: BoolArray
    standby_cost: int
    fallback_of: tuple[str, ...] = ()


Constraint = (
    SiteFilter | Separation | ForceReach | PopulationCover | StaffCommute | Absorb | Fallback
)

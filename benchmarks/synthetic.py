"""Reproducible synthetic location matrices for the large p-median benchmarks.

A region of towns and countryside: demand points cluster in towns whose sizes follow a Zipf law
(plus a rural share spread uniformly), each weighted by an LSOA-like population (lognormal
around 1,600, the size LSOAs were drawn to). Candidate sites are drawn from the demand points
(heavier places more often, as police stations sit where people live) plus a few uniform rural
points. Drive minutes follow road-like detours: straight-line distance times a circuity factor
that varies by pair (mean ~1.3, as measured on British roads), a speed that rises with trip
length (urban ~30 km/h, trunk ~80 km/h), and a per-point access time. Everything is seeded, so a
``(n, m, seed)`` triple always gives the same matrix.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from siteopt.location.matrix import CostMatrix

FloatArray = npt.NDArray[np.float64]

DENSITY_KM2_PER_POINT = 1.6  # area per demand point (England: ~4.3 km² per LSOA; towns denser)
RURAL_SHARE = 0.15
POINTS_PER_TOWN = 120
_ROW_CHUNK = 2048


def _places(n: int, rng: np.random.Generator, side_km: float) -> FloatArray:
    towns = max(1, n // POINTS_PER_TOWN)
    centres = rng.uniform(0.05 * side_km, 0.95 * side_km, size=(towns, 2))
    sizes = 1.0 / np.arange(1, towns + 1) ** 1.05  # Zipf-like town sizes
    rural = int(RURAL_SHARE * n)
    in_town = rng.choice(towns, size=n - rural, p=sizes / sizes.sum())
    spread = 1.5 + 12.0 * np.sqrt(sizes / sizes[0])  # km: big towns sprawl
    town_xy = centres[in_town] + rng.normal(size=(n - rural, 2)) * spread[in_town, None]
    rural_xy = rng.uniform(0.0, side_km, size=(rural, 2))
    xy: FloatArray = np.clip(np.vstack([town_xy, rural_xy]), 0.0, side_km)
    return xy


def synthetic_matrix(n: int, m: int, seed: int) -> CostMatrix:
    """A seeded ``n × m`` drive-minute matrix with population weights (see the module doc).

    The matrix is returned read-only, so :class:`CostMatrix` keeps it without a copy.
    """
    rng = np.random.default_rng(seed)
    side_km = float(np.sqrt(n * DENSITY_KM2_PER_POINT))
    demand = _places(n, rng, side_km)
    weights = np.round(rng.lognormal(np.log(1600.0), 0.3, size=n))
    from_demand = int(0.85 * m)
    picked = rng.choice(n, size=from_demand, replace=False, p=weights / weights.sum())
    sites = np.vstack([demand[picked], rng.uniform(0.0, side_km, size=(m - from_demand, 2))])
    access_demand = rng.gamma(2.0, 1.0, size=n)  # minutes from the door to a through road
    access_site = rng.gamma(2.0, 0.5, size=m)
    minutes = np.empty((n, m))
    for start in range(0, n, _ROW_CHUNK):
        rows = slice(start, min(n, start + _ROW_CHUNK))
        km = np.hypot(
            demand[rows, 0, None] - sites[None, :, 0], demand[rows, 1, None] - sites[None, :, 1]
        )
        km *= 1.3 * np.exp(rng.normal(0.0, 0.12, size=km.shape))  # circuity of the road route
        # 30 km/h for short urban trips, rising towards 80 km/h on long ones
        speed = 80.0 - 50.0 * np.exp(-km / 15.0)
        minutes[rows] = 60.0 * km / speed + access_demand[rows, None] + access_site[None, :]
    minutes.setflags(write=False)
    weights.setflags(write=False)
    return CostMatrix(
        minutes=minutes,
        weights=weights,
        demand_ids=tuple(f"d{i}" for i in range(n)),
        candidate_ids=tuple(f"s{j}" for j in range(m)),
        source=f"synthetic region n={n}, m={m}, seed={seed} (benchmarks/synthetic.py)",
        weight_label="synthetic population",
    )

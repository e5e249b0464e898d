"""Staff transition: where today's staff live, and what moving their workplace does to them.

A modelled view (labelled as such in reports), computed from drive times on the road graph:

- **Homes.** Force ``f``'s staff live around today's room ``c(f)`` by a gravity model: the share
  living in LSOA ``i`` is proportional to ``population_i × exp(−β × t[i, c(f)])``, with ``t`` the
  drive minutes from home to work and ``β`` the instance's ``home_decay_per_minute``.
- **Extra commute.** Moving to site ``j`` adds ``Δt = max(t[i, j] − t[i, c(f)], 0)`` minutes and
  ``Δd`` km each way.
- **Retention.** A member of staff stays with probability ``exp(−Δt / τ)`` (``τ`` =
  ``retention_scale_minutes``); those who do not move leave.
- **Excess travel.** Stayers are paid ``2 × Δd × working days × £/km`` a year for the
  instance's ``excess_travel_years``, discounted at the appraisal rate.

Everything here is per (force, candidate) pair, as arrays ``forces × candidates``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "TransitionParameters",
    "TransitionTable",
    "commute_share_within",
    "home_shares",
    "transition_table",
]


FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class TransitionParameters:
    """The transition figures of an instance, as plain numbers."""

    home_decay_per_minute: float
    retention_scale_minutes: float
    excess_travel_years: float
    excess_travel_gbp_per_km: float
    working_days_per_year: float
    discount_rate: float

    def excess_travel_years_factor(self) -> float:
        """Present value of £1 a year paid for the excess-travel period (part years pro rata)."""
        full = math.floor(self.excess_travel_years)
        value = sum((1 + self.discount_rate) ** -t for t in range(1, full + 1))
        part = self.excess_travel_years - full
        return value + part * (1 + self.discount_rate) ** -(full + 1)


@dataclass(frozen=True)
class TransitionTable:
    """Per force and candidate (arrays ``forces × candidates``): who stays and what they cost.

    ``home_share``: share of each force's staff living in each zone, ``forces × zones``.
    ``stay_share``: expected share of the force's current staff who move with the job.
    ``excess_travel_pv_gbp``: present value, per member of current staff, of excess-travel
    payments to those who stay. ``median_extra_minutes`` / ``p90_extra_minutes``: extra one-way
    commute of current staff, weighted by where they live.
    """

    home_share: FloatArray
    stay_share: FloatArray
    excess_travel_pv_gbp: FloatArray
    mean_extra_minutes: FloatArray
    median_extra_minutes: FloatArray
    p90_extra_minutes: FloatArray


def home_shares(
    population: npt.ArrayLike, minutes_to_room: npt.ArrayLike, *, decay_per_minute: float
) -> FloatArray:
    """Return the share of a room's staff living in each zone (gravity model, sums to 1).

    Parameters
    ----------
    population
        Population of each home zone (e.g. LSOA).
    minutes_to_room
        Drive minutes from each zone to the room, same length.
    decay_per_minute
        Distance decay ``β``: weight ``population × exp(−β × minutes)``.
    """
    pop = np.asarray(population, dtype=np.float64)
    minutes = np.asarray(minutes_to_room, dtype=np.float64)
    if pop.shape != minutes.shape or pop.ndim != 1:
        shapes = f"{pop.shape} and {minutes.shape}"
        msg = f"population, minutes_to_room: expected equal 1-D shapes, got {shapes}"
        raise ValueError(msg)
    # Work in logs and subtract the largest weight so that far-away rooms do not underflow to 0.
    log_weight = np.log(np.where(pop > 0, pop, 1.0)) - decay_per_minute * (minutes - minutes.min())
    weight = np.where(pop > 0, np.exp(log_weight - log_weight[pop > 0].max()), 0.0)
    total = weight.sum()
    if not total > 0:
        raise ValueError("population: expected at least one zone with people")
    shares: FloatArray = weight / total
    return shares


def _weighted_quantile(values: FloatArray, weights: FloatArray, q: float) -> float:
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    index = int(np.searchsorted(cumulative, q * cumulative[-1], side="left"))
    return float(values[order][min(index, len(values) - 1)])


def transition_table(
    *,
    population: npt.ArrayLike,
    minutes: npt.ArrayLike,
    km: npt.ArrayLike,
    current_room: npt.ArrayLike,
    params: TransitionParameters,
) -> TransitionTable:
    """Return stay shares, excess-travel cost and extra-commute statistics per force and candidate.

    Parameters
    ----------
    population
        Population per home zone, shape ``(zones,)``.
    minutes, km
        Drive minutes and kilometres from each home zone to each candidate, ``(zones, candidates)``.
    current_room
        Candidate index of each force's current room, ``(forces,)``.
    params
        Transition figures.
    """
    t = np.asarray(minutes, dtype=np.float64)
    d = np.asarray(km, dtype=np.float64)
    rooms = np.asarray(current_room, dtype=np.int64)
    yearly_days = 2 * params.working_days_per_year * params.excess_travel_gbp_per_km
    pv_factor = params.excess_travel_years_factor()
    shape = (len(rooms), t.shape[1])
    out = {name: np.zeros(shape) for name in ("stay", "pv", "mean", "median", "p90")}
    homes = np.zeros((len(rooms), t.shape[0]))
    for f, room in enumerate(rooms):
        w = home_shares(population, t[:, room], decay_per_minute=params.home_decay_per_minute)
        homes[f] = w
        extra_t = np.maximum(t - t[:, [room]], 0.0)
        extra_km = np.maximum(d - d[:, [room]], 0.0)
        stay = np.exp(-extra_t / params.retention_scale_minutes)
        out["stay"][f] = w @ stay
        out["pv"][f] = w @ (stay * extra_km) * yearly_days * pv_factor
        out["mean"][f] = w @ extra_t
        for j in range(t.shape[1]):
            out["median"][f, j] = _weighted_quantile(extra_t[:, j], w, 0.5)
            out["p90"][f, j] = _weighted_quantile(extra_t[:, j], w, 0.9)
    for array in (*out.values(), homes):
        array.setflags(write=False)
    return TransitionTable(
        home_share=homes,
        stay_share=out["stay"],
        excess_travel_pv_gbp=out["pv"],
        mean_extra_minutes=out["mean"],
        median_extra_minutes=out["median"],
        p90_extra_minutes=out["p90"],
    )


def commute_share_within(
    *,
    population: npt.ArrayLike,
    minutes: npt.ArrayLike,
    current_room: npt.ArrayLike,
    decay_per_minute: float,
    max_minutes: float,
) -> FloatArray:
    """Return, per force and candidate, the share of current staff living ≤ ``max_minutes`` away."""
    t = np.asarray(minutes, dtype=np.float64)
    rooms = np.asarray(current_room, dtype=np.int64)
    within = (t <= max_minutes).astype(np.float64)
    shares = np.zeros((len(rooms), t.shape[1]))
    for f, room in enumerate(rooms):
        w = home_shares(population, t[:, room], decay_per_minute=decay_per_minute)
        shares[f] = w @ within
    shares.setflags(write=False)
    return shares

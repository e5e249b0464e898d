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

Everything above is per (force, candidate) pair, as arrays ``forces × candidates``: what the
optimiser prices. Once a plan is chosen, :func:`staff_transport` matches today's staff to the
new rooms' posts as a transport problem (per force and home zone; see its docstring): who moves
to which room, who leaves, who is surplus, and how many each room must recruit.
"""

from __future__ import annotations

import functools
import math
import warnings
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from siteopt.instance.schema import Instance

__all__ = [
    "StaffTransport",
    "TransitionParameters",
    "TransitionTable",
    "commute_share_within",
    "home_shares",
    "staff_transport",
    "transition_parameters",
    "transition_table",
]


FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


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


def transition_parameters(instance: Instance) -> TransitionParameters:
    """Return the transition figures of an instance (``[transition]``, the discount rate)."""
    trans = instance.transition
    return TransitionParameters(
        home_decay_per_minute=trans.home_decay_per_minute.value,
        retention_scale_minutes=trans.retention_scale_minutes.value,
        excess_travel_years=trans.excess_travel_years.value,
        excess_travel_gbp_per_km=trans.excess_travel_gbp_per_km.value,
        working_days_per_year=trans.working_days_per_year.value,
        discount_rate=instance.costs.discount_rate.value,
    )


@dataclass(frozen=True, eq=False)
class TransitionTable:
    """Per force and candidate (arrays ``forces × candidates``): who stays and what they cost.

    ``home_share``: share of each force's staff living in each zone, ``forces × zones``.
    ``stay_share``: expected share of the force's current staff who move with the job.
    ``excess_travel_pv_gbp``: present value, per member of current staff, of excess-travel
    payments to those who stay. ``mean_extra_minutes``, ``median_extra_minutes`` and
    ``p90_extra_minutes``: extra one-way commute of current staff, weighted by where they live
    (the two quantiles are sorted out on first use: the optimiser needs neither, and a
    re-solve per what-if paid for them each time).
    """

    home_share: FloatArray
    stay_share: FloatArray
    excess_travel_pv_gbp: FloatArray
    mean_extra_minutes: FloatArray
    minutes: FloatArray  # (zones, candidates): the drive minutes the table was built from
    current_room: IntArray

    @cached_property
    def _quantiles(self) -> FloatArray:
        out = np.zeros((2, *self.stay_share.shape))
        for f, room in enumerate(self.current_room.tolist()):
            for cols in _column_blocks(self.minutes.shape[1]):
                extra_t = np.maximum(self.minutes[:, cols] - self.minutes[:, [room]], 0.0)
                out[:, f, cols] = _weighted_quantiles(extra_t, self.home_share[f], (0.5, 0.9))
        out.setflags(write=False)
        return out

    @property
    def median_extra_minutes(self) -> FloatArray:
        """Weighted median extra one-way commute, ``forces × candidates``."""
        median: FloatArray = self._quantiles[0]
        return median

    @property
    def p90_extra_minutes(self) -> FloatArray:
        """Weighted 90th percentile of the extra one-way commute, ``forces × candidates``."""
        p90: FloatArray = self._quantiles[1]
        return p90


#: Candidates per block of :func:`transition_table` and :func:`commute_share_within`: zones ×
#: block float64 temporaries (a 1 km grid's 1,558 LSOAs: 6.4 MB each) instead of zones ×
#: candidates (76 MB each, four at once). A multiple of 4: OpenBLAS's ``w @ matrix`` kernel
#: sums columns four at a time and the last ``columns % 4`` another way, so blocks of a
#: multiple of 4 (the remainder kept with the last, :func:`_column_blocks`) leave every
#: column's sum as the whole-matrix product on one thread gives it.
_CANDIDATE_BLOCK = 512


def _column_blocks(columns: int, block: int = _CANDIDATE_BLOCK) -> list[slice]:
    """Return slices that cut ``columns`` columns into blocks of ``block``, the last up to twice.

    The remainder joins the last block: a block of a few columns would be summed by BLAS's
    short-matrix path, not as the whole product sums its last columns.
    """
    starts = list(range(0, columns - block + 1, block)) or [0]
    return [slice(a, b) for a, b in zip(starts, [*starts[1:], columns], strict=True)]


def _one_blas_thread() -> AbstractContextManager[object]:
    """Return a context that runs BLAS on one thread (the weighted column sums).

    Threaded BLAS splits ``w @ matrix`` by columns and sums the last few of each thread's share
    the other way, so its last bits depended on the number of cores (a laptop, a 2-core CI box
    and a Dask worker, whose nanny sets one BLAS thread, disagreed); one thread makes the tables the
    same everywhere. It is also faster here: each product is small (a block of candidates).
    """
    limits: AbstractContextManager[object] = _blas_controller().limit(limits=1, user_api="blas")
    return limits


@functools.cache
def _blas_controller() -> Any:
    """The process's BLAS libraries, found once (a search of every loaded library: ~3 ms)."""
    import threadpoolctl  # type: ignore[import-untyped]  # noqa: PLC0415 (lazy: threadpoolctl is slow to import)

    return threadpoolctl.ThreadpoolController()


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


def _weighted_quantiles(
    values: FloatArray, weights: FloatArray, qs: tuple[float, ...], *, chunk: int = 1024
) -> FloatArray:
    """Weighted quantiles of each column of ``values`` (rows weighted by ``weights``).

    Returns ``(len(qs), columns)``: for each quantile the smallest value whose cumulative weight
    (rows sorted by value, ties in row order) reaches ``q`` of the total. Columns are sorted a
    ``chunk`` at a time so the sort's index array stays small.
    """
    out = np.empty((len(qs), values.shape[1]))
    last = values.shape[0] - 1
    for start in range(0, values.shape[1], chunk):
        block = values[:, start : start + chunk]
        order = np.argsort(block, axis=0, kind="stable")
        cumulative = np.cumsum(weights[order], axis=0)
        for k, q in enumerate(qs):
            reached = cumulative >= q * cumulative[-1]
            index = np.where(reached.any(axis=0), reached.argmax(axis=0), last)
            rows = np.take_along_axis(order, index[None, :], axis=0)
            out[k, start : start + chunk] = np.take_along_axis(block, rows, axis=0)[0]
    return out


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
    out = {name: np.zeros(shape) for name in ("stay", "pv", "mean")}
    homes = np.zeros((len(rooms), t.shape[0]))
    with _one_blas_thread():
        for f, room in enumerate(rooms):
            w = home_shares(population, t[:, room], decay_per_minute=params.home_decay_per_minute)
            homes[f] = w
            for cols in _column_blocks(t.shape[1]):
                extra_t = np.maximum(t[:, cols] - t[:, [room]], 0.0)
                extra_km = np.maximum(d[:, cols] - d[:, [room]], 0.0)
                stay = np.exp(-extra_t / params.retention_scale_minutes)
                out["stay"][f, cols] = w @ stay
                out["pv"][f, cols] = w @ (stay * extra_km) * yearly_days * pv_factor
                out["mean"][f, cols] = w @ extra_t
    for array in (*out.values(), homes):
        array.setflags(write=False)
    return TransitionTable(
        home_share=homes,
        stay_share=out["stay"],
        excess_travel_pv_gbp=out["pv"],
        mean_extra_minutes=out["mean"],
        minutes=t,
        current_room=rooms,
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
    shares = np.zeros((len(rooms), t.shape[1]))
    with _one_blas_thread():
        for f, room in enumerate(rooms):
            w = home_shares(population, t[:, room], decay_per_minute=decay_per_minute)
            for cols in _column_blocks(t.shape[1]):
                shares[f, cols] = w @ (t[:, cols] <= max_minutes).astype(np.float64)
    shares.setflags(write=False)
    return shares


@dataclass(frozen=True, eq=False)
class StaffTransport:
    """Today's staff matched to the new rooms' posts (:func:`staff_transport`), in FTE.

    Sparse: one entry per offer the programme could make (force ``f``'s staff living in zone
    ``i``, a room ``k`` they can reach and whose post saves money), never a dense
    ``forces × zones × rooms`` array (43 forces × 34,753 zones × 11 rooms is 16M cells a plane).

    Attributes
    ----------
    force, zone, room
        ``(offers,)``: force, home zone and room (index into ``posts``) of each offer.
    offered, movers
        ``(offers,)``: FTE offered the post, and the expected FTE who accept and move
        (``retention × offered``).
    retention
        ``(offers,)``: probability that one offered member of staff moves.
    extra_minutes
        ``(offers,)``: extra one-way commute of a mover (minutes, ``≥ 0``).
    posts
        ``(rooms,)``: FTE of posts at each room.
    staff
        ``(forces, zones)``: today's staff by force and home zone.
    redundancy_gbp, recruit_gbp, excess_travel_gbp
        One-off cost (present value) of the three parts: redundancy of everyone who does not
        move (leavers and surplus staff), recruiting and training each room's unfilled posts,
        excess travel paid to the movers.
    optimal
        ``True`` when the offers solve the programme: the LP's optimum, or greedy offers proven
        within £1,000 of it (:data:`_PROVEN_GBP`) on the offers kept. ``False``: greedy offers
        further from the bound, so the one-off cost is an upper bound (``lower_bound_gbp``
        says how far the optimum can be below it).
    left_out_gbp
        Value of the offers left out of a large programme (:data:`_LEFT_OUT_GBP` at most): the
        optimum one-off cost is no lower than this one's minus it.
    lower_bound_gbp
        When the offers were made greedily (too many for the LP, or the LP out of time): a
        proven lower bound on the programme's optimum one-off cost (the Lagrangian bound of
        :func:`_dual_bound`, less ``left_out_gbp``); ``None`` after the LP.
    """

    force: IntArray
    zone: IntArray
    room: IntArray
    offered: FloatArray
    movers: FloatArray
    retention: FloatArray
    extra_minutes: FloatArray
    posts: FloatArray
    staff: FloatArray
    redundancy_gbp: float
    recruit_gbp: float
    excess_travel_gbp: float
    optimal: bool = True
    left_out_gbp: float = 0.0
    lower_bound_gbp: float | None = None

    @property
    def room_movers(self) -> FloatArray:
        """``(forces, rooms)``: FTE of each force's staff who move to each room."""
        n_f, n_k = self.staff.shape[0], len(self.posts)
        cells = self.force * n_k + self.room
        moved = np.bincount(cells, self.movers, minlength=n_f * n_k).reshape(n_f, n_k)
        return np.asarray(moved, dtype=np.float64)

    @property
    def recruits(self) -> FloatArray:
        """``(rooms,)``: FTE each room recruits: its posts not filled by movers."""
        filled = np.bincount(self.room, self.movers, minlength=len(self.posts))
        short: FloatArray = np.maximum(self.posts - filled, 0.0)
        return short

    @property
    def leavers(self) -> FloatArray:
        """``(forces,)``: FTE offered a post who decline it (the extra commute) and leave."""
        declined = self.offered - self.movers
        out = np.bincount(self.force, declined, minlength=self.staff.shape[0])
        return np.asarray(out, dtype=np.float64)

    @property
    def surplus(self) -> FloatArray:
        """``(forces,)``: FTE for whom no room has a post (made redundant)."""
        offered = np.bincount(self.force, self.offered, minlength=self.staff.shape[0])
        left: FloatArray = np.maximum(self.staff.sum(axis=1) - offered, 0.0)
        return left

    @property
    def one_off_gbp(self) -> float:
        """Total one-off cost (present value): redundancy, recruiting and excess travel."""
        return self.redundancy_gbp + self.recruit_gbp + self.excess_travel_gbp


#: Tie-break (£ per FTE offered): among equally cheap matchings, offer the fewest posts, so posts
#: go to the staff most likely to take them. Tiny against redundancy and recruiting (thousands).
_OFFER_TIE_BREAK_GBP = 1.0


#: Offers (force × home zone × room) above which the least valuable are left out of the LP: a
#: national plan (43 forces × 34,753 zones × 11 rooms) would otherwise be a 16M-variable LP.
_MAX_OFFERS = 500_000


#: Most one-off value (£) the offers left out may hold together: a bound on the error.
_LEFT_OUT_GBP = 1_000.0


@dataclass(frozen=True)
class _Prices:
    """What an offer is worth: retention scale, £ of excess travel per km, £ saved per mover."""

    retention_scale_minutes: float
    travel_per_km: float
    mover_worth: float


@dataclass(frozen=True)
class _Offers:
    """Offers of one force or of all (flat arrays, ``(force, zone, room)`` in row-major order)."""

    force: IntArray
    zone: IntArray
    room: IntArray
    retention: FloatArray
    extra_minutes: FloatArray
    travel: FloatArray
    value: FloatArray  # staff × take-up × saving (£): the most the offer can save


@dataclass(frozen=True)
class _Programme:
    """The transport programme, a column per offer (in group order) and a row per room.

    ``cost``: £ per FTE offered (negative: a saving); ``retention``: take-up of an offer;
    ``limit``: staff of the offer's group (force and home zone); ``groups``: that group
    (sorted: a group's offers together); ``room``: the offer's room; ``posts``: each room's.
    """

    cost: FloatArray
    retention: FloatArray
    limit: FloatArray
    groups: IntArray
    room: IntArray
    posts: FloatArray


def _force_offers(
    f: int, group: FloatArray, travel: tuple[FloatArray, ...], prices: _Prices
) -> _Offers:
    """Every usable offer of force ``f`` (staff at home, a reachable room, a saving).

    ``travel``: minutes and km from each zone to each room ``(Z, K)`` and to each force's room
    today ``(Z, F)``. Only the force's own zones (``group[f] > 0``) are touched.
    """
    t, d, t0, d0 = travel
    zones = np.flatnonzero(group[f] > 0)
    extra_t = np.maximum(t[zones] - t0[zones, f][:, None], 0.0)
    extra_km = np.maximum(d[zones] - d0[zones, f][:, None], 0.0)
    reach = np.isfinite(extra_t) & np.isfinite(extra_km)
    retention = np.where(
        reach, np.exp(-np.where(reach, extra_t, 0.0) / prices.retention_scale_minutes), 0.0
    )
    cost = prices.travel_per_km * np.where(reach, extra_km, 0.0)
    gain = prices.mover_worth - cost
    z_idx, k_idx = np.nonzero((retention > 0) & (gain > 0))
    r = retention[z_idx, k_idx]
    return _Offers(
        force=np.full(len(z_idx), f, dtype=np.int64),
        zone=zones[z_idx],
        room=k_idx.astype(np.int64),
        retention=r,
        extra_minutes=extra_t[z_idx, k_idx],
        travel=cost[z_idx, k_idx],
        value=group[f, zones[z_idx]] * r * gain[z_idx, k_idx],
    )


def _usable_offers(
    group: FloatArray, travel: tuple[FloatArray, ...], prices: _Prices
) -> tuple[_Offers, float]:
    """Every usable offer, less the least valuable worth ≤ £1,000 together above ``_MAX_OFFERS``.

    Returns the offers (``value`` left empty: only the cut needs it) and the value left out.
    Built a force at a time, so nothing ``forces × zones × rooms`` is ever held: a first pass
    finds the value below which offers go (only offers worth ≤ £1,000 each can), the second
    writes the rest straight into arrays of their final size.
    """
    n_f = group.shape[0]
    small: list[FloatArray] = []
    count = 0
    for f in range(n_f):
        value = _force_offers(f, group, travel, prices).value
        count += len(value)
        small.append(value[value <= _LEFT_OUT_GBP])
    cut = _negligible_cut(np.concatenate(small)) if count > _MAX_OFFERS else None
    del small
    kept = count - (cut[2] if cut is not None else 0)
    out = {name: np.empty(kept, dtype=_OFFER_DTYPES[name]) for name in _KEPT_FIELDS}
    left_out, at = 0.0, 0
    ties_left = cut[1] if cut is not None else 0
    for f in range(n_f):
        offers = _force_offers(f, group, travel, prices)
        keep = np.ones(len(offers.value), dtype=np.bool_)
        if cut is not None:
            keep = offers.value > cut[0]
            tied = np.flatnonzero(offers.value == cut[0])
            keep[tied[ties_left:]] = True  # the first ``ties`` of equal value go
            ties_left = max(ties_left - len(tied), 0)
            left_out += float(offers.value[~keep].sum())
        n = int(keep.sum())
        for name in _KEPT_FIELDS:
            out[name][at : at + n] = getattr(offers, name)[keep]
        at += n
    joined = _Offers(
        force=out["force"], zone=out["zone"], room=out["room"], retention=out["retention"],
        extra_minutes=out["extra_minutes"], travel=out["travel"], value=np.empty(0),
    )  # fmt: skip
    return joined, left_out


_KEPT_FIELDS = ("force", "zone", "room", "retention", "extra_minutes", "travel")
_OFFER_DTYPES = {
    "force": np.int64, "zone": np.int64, "room": np.int64,
    "retention": np.float64, "extra_minutes": np.float64, "travel": np.float64,
}  # fmt: skip


def _negligible_cut(values: FloatArray) -> tuple[float, int, int] | None:
    """Where the least valuable offers worth ≤ £1,000 together stop: ``(value, ties, count)``.

    ``values``: the offers' values in offer order (only those ≤ £1,000 matter). Offers of lower
    value than the returned one are left out, and the first ``ties`` of equal value (offer
    order): the stable sort's prefix whose sum stays within £1,000. Leaving them out changes the
    programme's optimum by at most that sum (each offer's contribution is at most its value), so
    the one-off cost is exact to within £1,000. ``count``: how many go. ``None`` when none can.
    """
    ordered = np.sort(values, kind="stable")
    within = int(np.searchsorted(np.cumsum(ordered), _LEFT_OUT_GBP, side="right"))
    if within == 0:
        return None
    last = float(ordered[within - 1])
    below = int(np.searchsorted(ordered, last, side="left"))
    return last, within - below, within


def staff_transport(
    *,
    staff: npt.ArrayLike,
    home_share: npt.ArrayLike,
    minutes: npt.ArrayLike,
    km: npt.ArrayLike,
    minutes_today: npt.ArrayLike,
    km_today: npt.ArrayLike,
    posts: npt.ArrayLike,
    params: TransitionParameters,
    redundancy_gbp: float,
    recruit_gbp: float,
    lp_seconds: float | None = None,
) -> StaffTransport:
    """Match today's staff to the new rooms' posts at least one-off cost (a linear programme).

    Today's staff of force ``f`` living in zone ``i`` (``S_f × h[f, i]``, the gravity homes) may
    be offered posts at any open room ``k`` they can reach (finite drive time). An offer of
    ``x[f, i, k]`` FTE is taken up by ``r x`` of them, ``r = exp(−Δt / τ)`` with ``Δt`` the
    extra one-way minutes over today's commute; the rest leave. Each room takes at most its
    posts in movers; its other posts are recruited. Everyone who does not move is paid
    redundancy (leavers, and staff offered no post), each mover is paid excess travel
    ``2 Δkm × days × £/km`` for the instance's years (present value), each recruit costs
    recruiting and training::

        min  Σ r x (travel − redundancy − recruit)     (+ S × redundancy + P × recruit)
        s.t. Σ_k x[f, i, k] ≤ S_f h[f, i]              (each group offered at most once)
             Σ_{f,i} r x[f, i, k] ≤ P_k                (movers fill at most the posts)

    A mover is worth ``redundancy + recruit − travel`` wherever they go, so the programme fills
    the posts with the movers of least extra travel; ties go to the fewest offers. Above
    500,000 usable offers the least valuable, worth ≤ £1,000 together, are left out. With
    several rooms the LP may take ``lp_seconds`` (default 120 s); past that, or with more than
    500,000 offers (a national plan: 7M), the offers are made greedily at the rooms' prices of
    a Lagrangian bound, which proves how far from the optimum they are (``lower_bound_gbp``).
    Further than £1,000 the result says so (``optimal=False``, a :class:`TransportWarning`).

    Parameters
    ----------
    staff
        ``(forces,)`` FTE of today's staff.
    home_share
        ``(forces, zones)`` share of each force's staff living in each zone (rows sum to 1).
    minutes, km
        ``(zones, rooms)`` drive minutes and km from each zone to each open room.
    minutes_today, km_today
        ``(zones, forces)`` drive minutes and km from each zone to each force's room today.
    posts
        ``(rooms,)`` FTE of posts at each open room.
    params
        Transition figures (retention scale, excess-travel period and rate, discount rate).
    redundancy_gbp, recruit_gbp
        One-off cost of one FTE made redundant, and of recruiting and training one FTE.
    lp_seconds
        Time limit of the several-room LP (``None``: 120 s).
    """
    s = np.asarray(staff, dtype=np.float64)
    h = np.asarray(home_share, dtype=np.float64)
    t, d = np.asarray(minutes, dtype=np.float64), np.asarray(km, dtype=np.float64)
    t0, d0 = np.asarray(minutes_today, dtype=np.float64), np.asarray(km_today, dtype=np.float64)
    p = np.asarray(posts, dtype=np.float64)
    n_f, n_z = h.shape
    n_k = len(p)
    if s.shape != (n_f,) or t.shape != (n_z, n_k) or d.shape != t.shape:
        msg = f"staff, minutes, km: expected ({n_f},), ({n_z}, {n_k}), got {s.shape}, {t.shape}"
        raise ValueError(msg)
    if t0.shape != (n_z, n_f) or d0.shape != t0.shape:
        raise ValueError(f"minutes_today, km_today: expected ({n_z}, {n_f}), got {t0.shape}")
    group = s[:, None] * h  # (F, Z)
    prices = _Prices(
        retention_scale_minutes=params.retention_scale_minutes,
        travel_per_km=2 * params.working_days_per_year * params.excess_travel_gbp_per_km
        * params.excess_travel_years_factor(),
        mover_worth=redundancy_gbp + recruit_gbp,
    )  # fmt: skip
    offers, left_out = _usable_offers(group, (t, d, t0, d0), prices)
    offered = np.zeros(len(offers.retention))
    optimal, lower_bound = True, None
    seconds = _LP_SECONDS if lp_seconds is None else lp_seconds
    if len(offered):
        r = offers.retention
        cost = -r * (prices.mover_worth - offers.travel) + _OFFER_TIE_BREAK_GBP
        limit = group[offers.force, offers.zone]
        groups = offers.force * n_z + offers.zone
        programme = _Programme(
            cost=cost, retention=r, limit=limit, groups=groups, room=offers.room, posts=p
        )
        if n_k == 1:
            offered = _one_room_offers(programme)
        else:
            offered, optimal = _offers_lp(programme, seconds=seconds)
            if not optimal:
                no_tie_break = replace(programme, cost=cost - _OFFER_TIE_BREAK_GBP)
                offered, lower = _priced_greedy(no_tie_break, offered)
                saving = float((cost - _OFFER_TIE_BREAK_GBP) @ offered)
                optimal = saving - lower <= _PROVEN_GBP
                fixed = redundancy_gbp * float(s.sum()) + recruit_gbp * float(p.sum())
                lower_bound = fixed + lower - left_out
    movers = offers.retention * offered
    recruits = np.maximum(p - np.bincount(offers.room, movers, minlength=n_k), 0.0)
    for array in (offered, movers, offers.retention, offers.extra_minutes, group):
        array.setflags(write=False)
    result = StaffTransport(
        force=offers.force,
        zone=offers.zone,
        room=offers.room,
        offered=offered,
        movers=movers,
        retention=offers.retention,
        extra_minutes=offers.extra_minutes,
        posts=p,
        staff=group,
        redundancy_gbp=redundancy_gbp * (float(s.sum()) - float(movers.sum())),
        recruit_gbp=recruit_gbp * float(recruits.sum()),
        excess_travel_gbp=float((movers * offers.travel).sum()),
        optimal=optimal,
        left_out_gbp=left_out,
        lower_bound_gbp=lower_bound,
    )
    if not optimal:
        warnings.warn(
            f"staff transport of {len(offered):,} offers not solved as an LP (more than "
            f"{_MAX_LP_OFFERS:,}, or past {seconds:g} s): offers made greedily, so its one-off "
            f"cost £{result.one_off_gbp:,.0f} is an upper bound (the optimum is at least "
            f"£{lower_bound:,.0f})",
            TransportWarning,
            stacklevel=2,
        )
    return result


def _one_room_offers(programme: _Programme) -> FloatArray:
    """Offers of the one-room transport programme, exactly, without an LP solver.

    With one room each group has one variable (``0 ≤ x ≤ limit``) and the only coupling
    constraint is the room's posts (``Σ r x ≤ P``): a fractional knapsack, whose optimum takes
    the offers of least cost per post filled (``cost / r``) in order until the posts run out.
    """
    cost, retention, limit, posts = (
        programme.cost, programme.retention, programme.limit, programme.posts
    )  # fmt: skip
    x = np.zeros(len(cost))
    order = np.argsort(cost / retention, kind="stable")
    order = order[cost[order] < 0]  # only offers that save money
    filled = np.cumsum(retention[order] * limit[order])  # posts filled taking each in full
    whole = int(np.searchsorted(filled, float(posts[0]), side="right"))  # taken in full
    x[order[:whole]] = limit[order[:whole]]
    if whole < len(order):  # the next offer fills the posts left, in part
        left = float(posts[0]) - (float(filled[whole - 1]) if whole else 0.0)
        if left > 0:
            j = order[whole]
            x[j] = min(float(limit[j]), left / float(retention[j]))
    return x


def _offers_lp(programme: _Programme, *, seconds: float = 120.0) -> tuple[FloatArray, bool]:
    """Offers of the transport programme with several rooms (HiGHS through SciPy).

    Returns the offers and whether they are the LP's optimum: past ``seconds`` the LP stops and
    the offers are made greedily (:func:`_greedy_offers`, ``False``). A programme of more than
    :data:`_MAX_LP_OFFERS` offers is not handed to HiGHS at all: a national one (7M offers) held
    7 GB and ran for 6 minutes whatever its time limit.
    """
    cost, retention, limit = programme.cost, programme.retention, programme.limit
    groups, room, posts = programme.groups, programme.room, programme.posts
    if len(cost) > _MAX_LP_OFFERS:
        greedy = _greedy_offers(programme)
        return greedy, False
    from scipy.optimize import linprog  # noqa: PLC0415 (lazy: scipy is slow to import)
    from scipy.sparse import coo_matrix  # noqa: PLC0415 (lazy: scipy is slow to import)

    n = len(cost)
    columns = np.arange(n)
    used_groups, group_row = np.unique(groups, return_inverse=True)
    first = np.zeros(len(used_groups), dtype=np.int64)
    first[group_row[::-1]] = columns[::-1]  # any member: every member has the group's limit
    rows = np.concatenate([group_row, len(used_groups) + room])
    matrix = coo_matrix(
        (np.concatenate([np.ones(n), retention]), (rows, np.concatenate([columns, columns]))),
        shape=(len(used_groups) + len(posts), n),
    ).tocsr()
    rhs = np.concatenate([limit[first], posts])
    # the interior-point method (with crossover to a vertex): 0.05 s against the simplex's 0.9 s
    # (6,155 degenerate pivots) on the BCH two-room programme, the same optimum
    solved = linprog(
        cost,
        A_ub=matrix,
        b_ub=rhs,
        bounds=(0, None),
        method="highs-ipm",
        options={"time_limit": seconds},
    )
    if solved.status == 1 or solved.x is None:  # stopped at the time limit
        greedy = _greedy_offers(programme)
        return greedy, False
    if solved.status != 0:  # pragma: no cover - x = 0 is always feasible and cost is bounded
        raise RuntimeError(f"staff transport LP failed: {solved.message}")
    out: FloatArray = np.maximum(solved.x, 0.0)
    return out, True


#: Greedy offers within this much (£) of the Lagrangian bound count as solving the programme.
_PROVEN_GBP = 1_000.0


#: Seconds the several-room transport LP may take (BCH: 0.05 s) before offers are made greedily.
_LP_SECONDS = 120.0


#: Offers above which the several-room programme is not solved as an LP but greedily, with a
#: Lagrangian bound (its HiGHS model grows ~1 KB an offer: 500,000 offers ~0.5 GB).
_MAX_LP_OFFERS = 500_000


def _priced_greedy(programme: _Programme, greedy: FloatArray) -> tuple[FloatArray, float]:
    """The better of two greedy matchings, and a lower bound on the programme's optimum.

    ``cost``: each offer's saving (negative, £ per FTE offered, no tie-break); ``greedy``: the
    offers ranked by saving per post alone. The second ranking adds the rooms' dual prices of
    :func:`_dual_bound`, which also proves how far from the optimum either can be.
    """
    cost = programme.cost
    upper = float(cost @ greedy)
    bound, prices = _dual_bound(programme)
    priced = _greedy_offers(programme, prices=prices)
    better = priced if float(cost @ priced) < upper else greedy
    return better, min(bound, float(cost @ better))


class TransportWarning(UserWarning):
    """The staff transport's greedy offers are not proven optimal: its one-off is an upper bound."""


def _greedy_offers(programme: _Programme, prices: FloatArray | None = None) -> FloatArray:
    """A feasible matching: offers of most saving per post filled first, within both limits.

    ``prices``: £ per post of each room; when given, offers rank by their saving per member of
    staff offered net of the posts they take at those prices (``cost + λ r``, the reduced cost
    of :func:`_dual_bound`): at the dual's prices each group goes first to the room the
    relaxation gives it, and the posts of a scarce room to the staff who gain most there.
    """
    cost, retention, limit = programme.cost, programme.retention, programme.limit
    groups, room, posts = programme.groups, programme.room, programme.posts
    key = cost / retention if prices is None else _regret(cost + prices[room] * retention, groups)
    order = np.argsort(key, kind="stable")
    order = order[cost[order] < 0]  # only offers that save money
    x = np.zeros(len(cost))
    left_group: dict[int, float] = {}
    left_room = posts.astype(np.float64).tolist()
    for start in range(0, len(order), _GREEDY_CHUNK):  # as Python lists a chunk at a time
        block = order[start : start + _GREEDY_CHUNK]
        columns = zip(
            block.tolist(),
            groups[block].tolist(),
            room[block].tolist(),
            retention[block].tolist(),
            limit[block].tolist(),
            strict=True,
        )
        for j, g, k, r, staff_limit in columns:
            staff = left_group.get(g, staff_limit)
            take = min(staff, left_room[k] / r)
            if take <= 0:
                continue
            x[j] = take
            left_group[g] = staff - take
            left_room[k] -= take * r
    return x


def _regret(reduced: FloatArray, groups: IntArray) -> FloatArray:
    """Each offer's reduced cost less the group's best other choice (``0``: no offer at all).

    Negative only for a group's best offer: by how much the group would lose going elsewhere.
    ``groups`` sorted, as :func:`_usable_offers` builds them.
    """
    new_group = np.r_[True, groups[1:] != groups[:-1]]
    starts = np.flatnonzero(new_group)
    member = np.cumsum(new_group) - 1
    least = np.minimum.reduceat(reduced, starts)
    best = np.flatnonzero(reduced == least[member])
    best = best[np.r_[True, member[best][1:] != member[best][:-1]]]  # the first of a tie
    others = reduced.copy()
    others[best] = np.inf
    second = np.minimum.reduceat(others, starts)
    alternative = np.minimum(least, 0.0)[member]
    alternative[best] = np.minimum(second, 0.0)[member[best]]
    out: FloatArray = reduced - alternative
    return out


#: Offers the greedy matching turns into Python lists at a time (7M at once held 1 GB).
_GREEDY_CHUNK = 100_000


def _dual_bound(programme: _Programme, sweeps: int = 30) -> tuple[float, FloatArray]:
    """A lower bound on the transport programme's optimum, and the room prices that give it.

    Lagrangian relaxation of the rooms' posts (prices ``λ ≥ 0`` per post): each group then takes
    the offer of least ``cost + λ r`` in full when it is negative, and
    ``φ(λ) = −λ·P + Σ_g limit_g min(0, min_k cost + λ_k r)`` is at most the optimum for every
    ``λ`` (weak duality). ``λ`` rises by coordinate ascent: each room's price in turn is set to
    the exact maximiser of ``φ`` along it, the price at which the staff who would choose that
    room fill no more than its posts (:func:`_clearing_price`); sweeps stop when ``φ`` stops
    rising. ``groups`` must be sorted (a group's offers together, as
    :func:`_usable_offers` builds them).
    """
    cost, retention, limit = programme.cost, programme.retention, programme.limit
    groups, room, posts = programme.groups, programme.room, programme.posts
    new_group = np.r_[True, groups[1:] != groups[:-1]]
    starts = np.flatnonzero(new_group)
    member = np.cumsum(new_group) - 1  # group row of each offer
    group_limit = limit[starts]
    by_room = [np.flatnonzero(room == k) for k in range(len(posts))]
    prices = np.zeros(len(posts))

    def dual(prices: FloatArray) -> float:
        least = np.minimum.reduceat(cost + prices[room] * retention, starts)
        return float(group_limit @ np.minimum(least, 0.0)) - float(prices @ posts)

    best = dual(prices)
    for _ in range(sweeps):
        for k, offers in enumerate(by_room):
            reduced = cost + prices[room] * retention
            reduced[offers] = np.inf
            elsewhere = np.minimum(np.minimum.reduceat(reduced, starts), 0.0)[member[offers]]
            leave_at = (elsewhere - cost[offers]) / retention[offers]  # k stops being best
            supply = group_limit[member[offers]] * retention[offers]
            prices[k] = _clearing_price(leave_at, supply, float(posts[k]))
        value = dual(prices)
        rose = value - best
        best = max(best, value)
        if rose <= 1e-9 * max(1.0, abs(best)):
            break
    return best, prices


def _clearing_price(leave_at: FloatArray, supply: FloatArray, posts: float) -> float:
    """The least price ``λ ≥ 0`` at which the offers still choosing a room fill ≤ its posts.

    An offer chooses the room while ``λ < leave_at`` and then brings ``supply`` movers.
    """
    order = np.argsort(-leave_at, kind="stable")
    filled = np.cumsum(supply[order])
    over = int(np.searchsorted(filled, posts, side="right"))  # first offer past the posts
    if over == len(order):
        return 0.0
    return max(float(leave_at[order[over]]), 0.0)

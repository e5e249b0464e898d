"""A proven lower bound per number of pooled rooms: a facility-location relaxation (HiGHS MIP).

For ``k`` open sites under pooled routing, every cost term is bounded below by something linear
in which sites open (``y_j``) and where each force's staff go (``x_fj``, any open site, a
relaxation of "the nearest"):

- sites: ``Σ fixed_j y_j``;
- staff: each open room keeps its crew floor at every level at its own agent cost,
  ``Σ_j u_j y_j Σ_v w_v floor_v``; the rest of each level ``R_v = T_v − k floor_v`` costs at least
  filling the cheapest agent costs of any sites, each up to the largest building;
- seats: each open room needs ``max(0, seat floor − existing_j)`` new seats, and all rooms together
  at least the peak ``T*`` less their existing seats;
- transition: ``Σ move_fj x_fj`` plus redundancy or recruits of the difference between the stayers
  ``Σ stay_fj x_fj`` and the posts (fixed by ``k``);
- merge and standby: fixed by ``k``.

The reach constraints are kept (population covered through aggregated zones — people with the
same set of covering sites are one row, exact, no error; force centres; separation pairs), and
the rooms must seat the peak. Any constraint not understood here is dropped, which keeps the
bound valid. HiGHS returns its dual bound when stopped by the time limit, so the bound is valid
whatever the MIP gap; "infeasible" proves the size closed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from siteopt.optimise.arrays import MONEY_UNITS_PER_GBP, IntArray
from siteopt.optimise.constraints import seat_floor, standby_cost
from siteopt.optimise.options import _crew_floor, agent_unit
from siteopt.optimise.problem import ProblemData

__all__ = ["Relaxation", "RelaxedBound", "build_relaxation"]

#: An LP site value above this counts as (partly) open.
_OPEN = 1e-6


@dataclass(frozen=True)
class RelaxedBound:
    """The relaxation of one size: its proven bound and the sites its best solution opens.

    ``bound`` is ``None`` when the relaxation is infeasible (no option of that size exists);
    ``sites`` (possibly empty) seed the local search; ``proved`` says HiGHS closed its own gap.
    """

    bound: int | None
    sites: tuple[int, ...]
    proved: bool
    #: The sites the LP's solution holds open at all, most open first (empty for the MIP).
    ranked: tuple[int, ...] = ()


@dataclass(frozen=True)
class Relaxation:
    """The relaxation of ``k`` rooms over the ``allowed`` sites, built once, solved as LP or MIP.

    In pounds (``scale``), better scaled for HiGHS; ``constant`` (money units) holds the terms
    fixed by ``k``.
    """

    k: int
    allowed: IntArray
    cost: npt.NDArray[np.float64]
    matrix: Any
    low: npt.NDArray[np.float64]
    high: npt.NDArray[np.float64]
    upper: npt.NDArray[np.float64]
    constant: int
    fallback: int
    scale: float

    def solve(self, *, integer: bool, time_limit_s: float) -> RelaxedBound:
        """The LP (``integer=False``) or the MIP with integer sites: bound, sites, proof.

        A bound is HiGHS's (LP optimum, or the MIP's dual bound when stopped), so it is valid
        whatever the MIP's gap; ``bound=None`` with ``proved`` means no plan of ``k`` rooms.
        Without any bound from HiGHS the term-by-term fallback is returned, unproved.
        """
        from scipy.optimize import Bounds, LinearConstraint, milp  # noqa: PLC0415 (lazy: scipy is slow to import)

        n = len(self.allowed)
        integrality = np.zeros(len(self.cost))
        if integer:
            integrality[:n] = 1
        result = milp(
            self.cost,
            constraints=LinearConstraint(self.matrix, self.low, self.high),
            integrality=integrality,
            bounds=Bounds(np.zeros(len(self.cost)), self.upper),
            options={"time_limit": max(1.0, time_limit_s), "disp": False, "mip_rel_gap": 2e-3},
        )
        if result.status == 2:  # infeasible: no option of this size
            return RelaxedBound(None, (), True)
        value = getattr(result, "mip_dual_bound", None) if integer else result.fun
        bound = _pounds_to_bound(value, self.scale, self.constant)
        if not integer and result.status != 0:  # an LP stopped early bounds nothing
            bound = None
        if bound is None:
            return RelaxedBound(self.fallback, (), False)
        if result.x is None:
            return RelaxedBound(bound, (), result.status == 0)
        y = np.asarray(result.x[:n])
        if integer:
            sites = tuple(int(self.allowed[j]) for j in np.flatnonzero(y > 0.5))
            return RelaxedBound(bound, sites, result.status == 0)
        order = np.argsort(-y, kind="stable")
        sites = tuple(sorted(int(self.allowed[j]) for j in order[: self.k]))
        ranked = tuple(int(self.allowed[j]) for j in order if y[j] > _OPEN)
        return RelaxedBound(bound, sites, result.status == 0, ranked)


def build_relaxation(problem: ProblemData, k: int, *, allowed: IntArray) -> Relaxation | None:
    """The relaxation of ``k`` pooled rooms, or ``None`` when fewer than ``k`` sites are allowed."""
    from scipy.sparse import coo_array  # noqa: PLC0415 (lazy: scipy is slow to import)

    if len(allowed) < k:
        return None
    n, n_forces = len(allowed), problem.n_forces
    scale = 1.0 / MONEY_UNITS_PER_GBP  # the MIP in pounds: better scaled for HiGHS
    # columns: y (n), x (F n), new seats (n), surplus, recruits
    n_x = n_forces * n
    col_x, col_new, col_surplus = n, n + n_x, n + n_x + n
    zones = _cover_zones(problem, allowed)
    col_zone = col_surplus + 2
    col_prefix = col_zone + sum(len(z) for _, z in zones)  # z_fr: force f's x over its r nearest
    n_cols = col_prefix + n_x
    cost = np.zeros(n_cols)
    floor = _crew_floor(problem, k)
    weights = problem.level_weights
    unit = agent_unit(problem)[allowed].astype(np.float64)
    cost[:n] = problem.fixed_cost[allowed] + unit * float((weights * floor).sum())
    cost[col_x:col_new] = problem.move_cost[:, allowed].reshape(-1)
    cost[col_new : col_new + n] = problem.seat_cost[allowed]
    cost[col_surplus] = problem.redundancy_cost
    cost[col_surplus + 1] = problem.recruit_cost
    constant = _rest_of_staff(problem, k, floor, allowed) + problem.merge_cost
    constant += standby_cost(problem.constraints, problem, k)

    rows: list[tuple[dict[int, float], float, float]] = []
    rows.append((dict.fromkeys(range(n), 1.0), k, k))
    for f in range(n_forces):  # each force's staff go to one open site
        rows.append(({col_x + f * n + j: 1.0 for j in range(n)}, 1, 1))
    totals = problem.pooled_totals(k)
    peak = int(totals.max(initial=0))
    caps = problem.max_seats[allowed]
    rows.append(({j: float(caps[j]) for j in range(n)}, peak, np.inf))  # the rooms seat the peak
    existing = np.minimum(problem.existing_seats[allowed], caps)
    need = {col_new + j: 1.0 for j in range(n)} | {j: float(existing[j]) for j in range(n)}
    rows.append((need, peak, np.inf))  # new seats ≥ peak − existing seats of open rooms
    room_floor = seat_floor(problem.constraints, problem, k)
    posts = problem.agent_fte * int((weights * totals).sum())
    stay = problem.stay[:, allowed].reshape(-1).astype(np.float64)
    stayers = {col_x + i: float(v) for i, v in enumerate(stay) if v}
    rows.append((stayers | {col_surplus: -1.0}, -np.inf, posts))  # surplus ≥ stayers − posts
    rows.append((stayers | {col_surplus + 1: 1.0}, posts, np.inf))  # recruits ≥ posts − stayers
    rows.extend(_reach_rows(problem, allowed, k))
    at = col_zone
    for required, per_zone in zones:  # Σ people_z c_z ≥ required, c_z ≤ Σ_{j covers z} y_j
        rows.append(({at + z: float(p) for z, (_, p) in enumerate(per_zone)}, required, np.inf))
        for z, (cover, _) in enumerate(per_zone):
            rows.append(({at + z: 1.0} | dict.fromkeys(cover, -1.0), -np.inf, 0.0))
        at += len(per_zone)

    data, row_idx, col_idx, low, high = [], [], [], [], []
    for i, (coefs, lo, hi) in enumerate(rows):
        for col, value in coefs.items():
            row_idx.append(i)
            col_idx.append(col)
            data.append(value)
        low.append(lo)
        high.append(hi)
    # x_fj ≤ y_j and new_j ≥ (floor − existing_j) y_j, as extra rows
    extra = len(rows)
    for f in range(n_forces):
        for j in range(n):
            row_idx += [extra, extra]
            col_idx += [col_x + f * n + j, j]
            data += [1.0, -1.0]
            low.append(-np.inf)
            high.append(0.0)
            extra += 1
    extra = _nearest_rows(problem, allowed, (col_x, col_prefix), extra, (row_idx, col_idx, data))
    low += [0.0] * (2 * n_x)  # the prefix equalities, then z_f,r(j) − y_j ≥ 0
    high += [0.0] * n_x + [np.inf] * n_x
    for j in range(n):
        short = max(0, room_floor - int(existing[j])) if k >= 2 else 0
        row_idx += [extra, extra]
        col_idx += [col_new + j, j]
        data += [1.0, -float(short)]
        low.append(0.0)
        high.append(np.inf)
        extra += 1
    matrix = coo_array((data, (row_idx, col_idx)), shape=(extra, n_cols)).tocsr()
    upper = np.full(n_cols, np.inf)
    upper[:col_new] = 1.0
    upper[col_zone:] = 1.0
    upper[col_new : col_new + n] = caps
    return Relaxation(
        k=k,
        allowed=allowed,
        cost=cost * scale,
        matrix=matrix,
        low=np.asarray(low, dtype=np.float64),
        high=np.asarray(high, dtype=np.float64),
        upper=upper,
        constant=constant,
        fallback=_fallback_bound(problem, k, allowed),
        scale=scale,
    )


def _pounds_to_bound(value: float | None, scale: float, constant: int) -> int | None:
    """A HiGHS objective bound (pounds) as money units, rounded up; ``None`` if not finite.

    Every plan costs a whole number of money units, so a bound of 5,059.9995 units proves
    5,060; it is first lowered by 10^-7 relative for HiGHS's tolerances (pennies of £150m).
    """
    if value is None or not math.isfinite(value):
        return None
    return math.ceil((float(value) * (1 - 1e-7)) / scale) + constant


def _nearest_rows(
    problem: ProblemData,
    allowed: IntArray,
    columns: tuple[int, int],
    first_row: int,
    entries: tuple[list[int], list[int], list[float]],
) -> int:
    """Rows sending each force to its nearest open room; returns the next free row.

    Staff go to the open room nearest their force's room, so if site ``j`` is open the force is
    assigned to ``j`` or a site ranked no farther: ``Σ_{l ≤_f j} x_fl ≥ y_j``. Written with
    prefix sums ``z_fr = z_f,r-1 + x_f,l_r`` (sites in the force's order): first the ``F n``
    equalities (bounds 0, 0), then the ``F n`` rows ``z_f,r(j) − y_j ≥ 0`` (bounds 0, ∞), where
    ``r(j)`` is the last site ranked level with ``j``.
    """
    col_x, col_prefix = columns
    rows, cols, data = entries
    n = len(allowed)
    row = first_row
    for f in range(problem.n_forces):
        ranks = problem.room_rank[f, allowed]
        order = np.argsort(ranks, kind="stable")
        for r, j in enumerate(order.tolist()):  # z_fr − z_f,r-1 − x_f,l_r = 0
            rows += [row, row]
            cols += [col_prefix + f * n + r, col_x + f * n + j]
            data += [1.0, -1.0]
            if r:
                rows.append(row)
                cols.append(col_prefix + f * n + r - 1)
                data.append(-1.0)
            row += 1
    for f in range(problem.n_forces):
        ranks = problem.room_rank[f, allowed]
        order = np.argsort(ranks, kind="stable")
        sorted_ranks = ranks[order]
        last = np.searchsorted(sorted_ranks, sorted_ranks, side="right") - 1  # ties: the group
        for r, j in enumerate(order.tolist()):
            rows += [row, row]
            cols += [col_prefix + f * n + int(last[r]), j]
            data += [1.0, -1.0]
            row += 1
    return row


def _rest_of_staff(problem: ProblemData, k: int, floor: IntArray, allowed: IntArray) -> int:
    """Agents above the floors, at the cheapest agent costs of any ``k`` sites, each room full."""
    totals = problem.pooled_totals(k)
    rest = np.maximum(totals - k * floor, 0)
    units = np.sort(agent_unit(problem)[allowed])[:k]
    room = int(problem.max_seats[allowed].max(initial=0))
    cost = 0
    for v, amount in enumerate(rest.tolist()):
        left = int(amount)
        per_room = max(0, room - int(floor[v]))
        for u in units.tolist():
            take = min(left, per_room)
            cost += int(problem.level_weights[v]) * int(u) * take
            left -= take
            if left == 0:
                break
        if left:  # only if even k full rooms cannot hold it: priced at the dearest
            cost += int(problem.level_weights[v]) * int(units[-1]) * left
    return cost


def _fallback_bound(problem: ProblemData, k: int, allowed: IntArray) -> int:
    """Without a MIP bound: the staff and the ``k`` cheapest sites alone."""
    floor = _crew_floor(problem, k)
    fixed = int(np.sort(problem.fixed_cost[allowed])[:k].sum())
    units = np.sort(agent_unit(problem)[allowed])[:k]
    floors = int(units.sum()) * int((problem.level_weights * floor).sum())
    return fixed + floors + _rest_of_staff(problem, k, floor, allowed) + problem.merge_cost


def _reach_rows(
    problem: ProblemData, allowed: IntArray, k: int
) -> list[tuple[dict[int, float], float, float]]:
    """Rows of the conflicting pairs (``y_a + y_b ≤ 1``), over the allowed sites."""
    position = {int(j): i for i, j in enumerate(allowed)}
    rows: list[tuple[dict[int, float], float, float]] = []
    for c in problem.constraints:
        pairs = c.conflicts(problem, k)
        if pairs is None:
            continue
        for a, b in pairs.tolist():
            if a in position and b in position:
                rows.append(({position[a]: 1.0, position[b]: 1.0}, 0, 1))
    return rows


def _cover_zones(
    problem: ProblemData, allowed: IntArray
) -> list[tuple[int, list[tuple[list[int], int]]]]:
    """Per covering rule: weight required, and (covering columns, weight) per zone.

    Zones no allowed site covers drop out (they can never count); a rule whose zones are all
    out keeps its requirement (the relaxation is then infeasible, as the problem is).
    """
    position = {int(j): i for i, j in enumerate(allowed)}
    out = []
    for c in problem.constraints:
        for rule in c.covers(problem):
            zones = []
            for cover, weight in zip(rule.zones, rule.weights, strict=True):
                cols = [position[j] for j in cover if j in position]
                if cols and weight > 0:
                    zones.append((cols, weight))
            out.append((rule.required, zones))
    return out

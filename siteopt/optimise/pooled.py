"""Pricing and local search of pooled site sets of any size (many forces and candidates).

A national run (43 forces, hundreds of candidates, up to 15 rooms) is out of reach of the exact
enumerator (one or two sites) and of one CP-SAT model. Under pooled routing the cost of a set of
open sites follows from the set alone: each force's staff go to the open room nearest theirs,
the pooled staffing per level is fixed by the number of rooms, and only the split of agents
between rooms is left. :func:`price_site_set` builds that plan (a concrete, fully priced
:class:`~siteopt.optimise.option.Option`, so its cost is an upper bound on the optimum), and
:func:`local_search` improves sets of ``k`` sites by greedy addition and interchange (Teitz and
Bart's swap, as for the p-median).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from siteopt.optimise.arrays import IntArray
from siteopt.optimise.constraints import seat_floor
from siteopt.optimise.option import Option
from siteopt.optimise.options import (
    _crew_floor,
    _nearest_open,
    _priced,
    agent_unit,
)
from siteopt.optimise.problem import ProblemData

__all__ = ["local_search", "price_exact_split", "price_site_set", "search_key"]


def price_site_set(problem: ProblemData, sites: Sequence[int]) -> Option:
    """Price pooled routing over ``sites`` with a greedy split of the agents between rooms.

    Every room keeps its crew floor at each level; the rest of each level goes to the rooms
    with the cheapest agent first, up to their seats. Two fills are tried (rooms' existing seats
    first, or straight up to the building's size) and the cheaper kept. The split is not
    proven optimal for three or more rooms, so the price is an upper bound on the set's cost.
    """
    chosen = tuple(sorted(int(j) for j in sites))
    k = len(chosen)
    totals = problem.pooled_totals(k)
    floor = _crew_floor(problem, k)
    open_ = np.asarray(chosen)
    unit = agent_unit(problem)[open_]
    order = np.argsort(unit, kind="stable")
    caps = np.maximum(problem.max_seats[open_], floor.max(initial=0))
    existing = np.minimum(np.maximum(problem.existing_seats[open_], floor.max(initial=0)), caps)
    best: tuple[int, IntArray, tuple[int, ...]] | None = None
    for first_caps in (existing, caps):
        per_level = _fill(totals, floor, order, first_caps, caps)
        seats = _seats(problem, k, per_level)
        cost = _split_cost(problem, open_, per_level, seats)
        if best is None or cost < best[0]:
            best = (cost, per_level, seats)
    assert best is not None
    _, per_level, seats = best
    over = any(int(per_level[i].max()) > int(problem.max_seats[j]) for i, j in enumerate(chosen))
    return _pooled_plan(problem, chosen, per_level, seats, over_capacity=over)


def _pooled_plan(
    problem: ProblemData,
    chosen: tuple[int, ...],
    per_level: IntArray,
    seats: tuple[int, ...],
    *,
    over_capacity: bool,
) -> Option:
    """The priced option of a split ``per_level`` (rooms × levels) over the ``chosen`` sites."""
    agents = per_level[:, problem.level_of_interval]
    agents.setflags(write=False)
    open_ = np.asarray(chosen)
    staff = int((problem.agent_cost[open_] * (per_level * problem.level_weights).sum(axis=1)).sum())
    return _priced(
        problem,
        sites=chosen,
        routing="pooled",
        assignment=_nearest_open(problem, chosen),
        agents=agents,
        seats=seats,
        staff_cost=staff,
        over_capacity=over_capacity,
    )


def price_exact_split(problem: ProblemData, sites: Sequence[int]) -> Option | None:
    """Price pooled routing over ``sites`` with the cheapest split of agents and seats.

    The split :func:`price_site_set` makes greedily, solved exactly instead (a small HiGHS
    MIP: agents per room and level, each room's seats, new seats where a room has too few):
    staff at each room's agent cost plus the seats bought, every room at least its crew floor
    and the rooms' seat floor, none above its building. ``None`` if the buildings cannot hold
    the agents, or HiGHS does not finish within a few seconds (callers keep the greedy price).
    """
    from scipy.optimize import Bounds, LinearConstraint, milp  # noqa: PLC0415 (lazy: scipy is slow to import)
    from scipy.sparse import coo_array  # noqa: PLC0415 (lazy: scipy is slow to import)

    chosen = tuple(sorted(int(j) for j in sites))
    k, open_ = len(chosen), np.asarray(chosen)
    totals = problem.pooled_totals(k)
    floor = _crew_floor(problem, k)
    levels = len(totals)
    room_floor = max(seat_floor(problem.constraints, problem, k), int(floor.max(initial=0)))
    caps = problem.max_seats[open_]
    if (caps < room_floor).any():
        return None
    # columns: a_iv (k V), seats_i (k), new_i (k)
    n_a = k * levels
    cost = np.zeros(n_a + 2 * k)
    unit = agent_unit(problem)[open_].astype(np.float64)
    cost[:n_a] = (unit[:, None] * problem.level_weights[None, :]).reshape(-1)
    cost[n_a + k :] = problem.seat_cost[open_]
    rows, cols, data, low, high = [], [], [], [], []
    for v in range(levels):  # Σ_i a_iv = T_v
        rows += [v] * k
        cols += [i * levels + v for i in range(k)]
        data += [1.0] * k
        low.append(float(totals[v]))
        high.append(float(totals[v]))
    row = levels
    for i in range(k):
        for v in range(levels):  # a_iv ≤ seats_i
            rows += [row, row]
            cols += [i * levels + v, n_a + i]
            data += [1.0, -1.0]
            low.append(-np.inf)
            high.append(0.0)
            row += 1
        rows += [row, row]  # new_i ≥ seats_i − existing_i
        cols += [n_a + k + i, n_a + i]
        data += [1.0, -1.0]
        low.append(-float(problem.existing_seats[open_[i]]))
        high.append(np.inf)
        row += 1
    lower = np.concatenate([np.tile(floor, k), np.full(k, room_floor), np.zeros(k)])
    upper = np.concatenate([np.full(n_a, np.inf), caps, caps]).astype(np.float64)
    matrix = coo_array((data, (rows, cols)), shape=(row, len(cost))).tocsr()
    scale = 1e-4  # money units → pounds: better scaled for HiGHS
    result = milp(
        cost * scale,
        constraints=LinearConstraint(matrix, np.asarray(low), np.asarray(high)),
        integrality=np.ones(len(cost)),
        bounds=Bounds(lower.astype(np.float64), upper),
        options={"time_limit": 5.0, "disp": False, "mip_rel_gap": 0.0},
    )
    if result.status != 0 or result.x is None:
        return None
    x = np.rint(result.x).astype(np.int64)
    per_level = x[:n_a].reshape(k, levels)
    seats = tuple(int(v) for v in x[n_a : n_a + k])
    return _pooled_plan(problem, chosen, per_level, seats, over_capacity=False)


def _fill(
    totals: IntArray, floor: IntArray, order: IntArray, first_caps: IntArray, caps: IntArray
) -> IntArray:
    """Agents ``(k, V)``: the floor everywhere, the rest cheapest room first (two passes)."""
    k = len(order)
    per_level = np.tile(floor, (k, 1)).astype(np.int64)
    rest = totals - k * floor
    for limit in (first_caps, caps):
        for i in order:
            room = np.maximum(limit[i] - per_level[i], 0)
            take = np.minimum(room, np.maximum(rest, 0))
            per_level[i] += take
            rest = rest - take
    if (rest > 0).any():  # more than the buildings hold: the cheapest room takes it (over capacity)
        per_level[order[0]] += np.maximum(rest, 0)
    return per_level


def _seats(problem: ProblemData, k: int, per_level: IntArray) -> tuple[int, ...]:
    floor = seat_floor(problem.constraints, problem, k)
    return tuple(max(int(row.max()), floor) for row in per_level)


def _split_cost(
    problem: ProblemData, open_: IntArray, per_level: IntArray, seats: tuple[int, ...]
) -> int:
    """Staff and new seats of a split (the only costs the split changes)."""
    unit = agent_unit(problem)[open_]
    intervals = (per_level * problem.level_weights).sum(axis=1)
    new = np.maximum(np.asarray(seats) - problem.existing_seats[open_], 0)
    return int((unit * intervals).sum() + (problem.seat_cost[open_] * new).sum())


def search_key(problem: ProblemData, option: Option) -> tuple[int, float, int]:
    """Order of options in the search: fewer broken constraints, nearer to meeting them, cheaper.

    How far an option is from the limits of the constraints it breaks (each constraint's own
    value against its limit, relative) guides the search from infeasible sets towards
    feasible ones.
    """
    return (len(option.failed), _shortfall(problem, option), option.total)


def _shortfall(problem: ProblemData, option: Option) -> float:
    """Sum over the broken constraints of ``|value − limit| / |limit|`` (numeric ones)."""
    short = 0.0
    for c in problem.constraints:
        if c.name not in option.failed:
            continue
        result = c.describe(problem, option, holds=False)
        if isinstance(result.value, int | float) and isinstance(result.limit, int | float):
            short += abs(result.value - result.limit) / max(abs(result.limit), 1e-9)
    return short


def local_search(
    problem: ProblemData,
    k: int,
    *,
    allowed: IntArray,
    deadline: float,
    starts: Sequence[Sequence[int]] = (),
) -> Option | None:
    """The best set of ``k`` sites found by greedy addition and interchange before ``deadline``.

    Each start (one with fewer than ``k`` sites, e.g. the best plan of ``k − 1`` rooms, is first
    completed greedily; then a greedy construction from nothing) is improved by first-improvement
    swaps of one open site for one closed one until no swap helps or time runs out. Options
    that break constraints are ranked behind every feasible one (:func:`search_key`), so the
    search walks from infeasible sets towards feasible ones. ``None`` without any set of ``k``.
    """
    if len(allowed) < k:
        return None
    best: Option | None = None
    seeds: list[tuple[int, ...] | None] = [
        tuple(sorted({int(j) for j in s})) for s in starts if 0 < len(set(s)) <= k
    ]
    for seed in [*seeds, None]:  # None: the greedy construction, when time is left
        if seed is None and best is not None and time.perf_counter() > deadline:
            break
        partial = list(seed) if seed is not None else []
        start = (
            seed
            if seed is not None and len(seed) == k
            else _greedy(problem, k, allowed, deadline, partial)
        )
        found = _interchange(problem, start, allowed, deadline)
        if best is None or search_key(problem, found) < search_key(problem, best):
            best = found
    return best


def _greedy(
    problem: ProblemData, k: int, allowed: IntArray, deadline: float, chosen: list[int]
) -> tuple[int, ...]:
    """Add to ``chosen`` the site that makes the cheapest (least broken) set, up to ``k``."""
    chosen = list(chosen)
    for _ in range(k - len(chosen)):
        trial = [j for j in allowed.tolist() if j not in chosen]
        if time.perf_counter() > deadline:
            chosen.extend(trial[: k - len(chosen)])
            break
        scored = [(search_key(problem, price_site_set(problem, [*chosen, j])), j) for j in trial]
        chosen.append(min(scored)[1])
    return tuple(sorted(chosen))


def _interchange(
    problem: ProblemData, start: tuple[int, ...], allowed: IntArray, deadline: float
) -> Option:
    """First-improvement swaps from ``start`` until a local optimum (or the deadline)."""
    current = price_site_set(problem, start)
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        for out in current.sites:
            for j in allowed.tolist():
                if j in current.sites:
                    continue
                trial = price_site_set(problem, [s for s in current.sites if s != out] + [j])
                if search_key(problem, trial) < search_key(problem, current):
                    current, improved = trial, True
                    break
                if time.perf_counter() > deadline:
                    return current
            if improved:
                break
    return current

"""Exact enumeration of every option with one or two sites: the cross-check and the appraisal.

For each single site and each pair of sites, and each allowed routing, the cheapest way to staff
and seat the rooms is found exactly (see ``docs/model.md``):

- **by force**: every assignment of the forces to the open rooms (each room serving at least
  one force) is priced; a room staffs its group's requirement with the minimum crew.
- **pooled**: one queue over the rooms; every room keeps the minimum crew (or the constraints'
  larger per-level floor, :meth:`~siteopt.optimise.constraints.Constraint.crew_floor`) and the
  rest of each interval's requirement goes to the cheaper room up to its seats. Trying every seat
  count of the cheaper room (the dearer room takes the rest) is exact, because staff and seats
  are the only costs the split changes. Each force's staff move to the open room nearest their
  current one.

Every option records its cost components and the constraints it breaks (each constraint
evaluates itself on the option: :meth:`~siteopt.optimise.constraints.Constraint.holds`), so the
same pass gives the optimum and the ranked options appraisal. The table asks the constraints
the same questions over many site sets at once (``sites_hold``, ``assignment_holds``,
``split_holds``); no type is named here.

Two implementations price the same integers: :func:`enumerate_options` builds every
:class:`Option` one at a time (the reference), and :func:`option_table` prices every site set at
once with numpy (hundreds of candidates: ~10^5 pairs in seconds). :func:`best_options` ranks the
table and rebuilds only the winners with the reference code, so both always agree to the unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations, product

import numpy as np

from siteopt.optimise.arrays import BoolArray, IntArray, assigned_sum
from siteopt.optimise.constraints import SiteSets, seat_floor, split_holds, standby_cost
from siteopt.optimise.option import CAPACITY, Option
from siteopt.optimise.problem import ProblemData, Routing, force_mask

__all__ = [
    "BOUNDED_PAIRS",
    "CAPACITY",
    "Option",
    "OptionTable",
    "agent_unit",
    "best_options",
    "bounded_table",
    "enumerate_options",
    "option_table",
    "site_set_options",
]


def _seat_floor(problem: ProblemData, k: int) -> int:
    """Seats each of ``k`` open rooms must have, whatever their agents (0: none)."""
    return seat_floor(problem.constraints, problem, k)


def _standby_cost(problem: ProblemData, k: int) -> int:
    return standby_cost(problem.constraints, problem, k)


def _crew_floor(problem: ProblemData, k: int) -> IntArray:
    """Agents each of ``k`` pooled rooms staffs at each level: the minimum crew, or more.

    The constraints' per-level floors count when they fit together (``k × floor ≤`` the level's
    agents); an option where they do not breaks a constraint and is priced without them.
    """
    totals = problem.pooled_totals(k)
    floor = np.full_like(totals, problem.min_crew)
    for c in problem.constraints:
        extra = c.crew_floor(problem, k)
        if extra is not None:
            floor = np.maximum(floor, extra)
    if (k * floor > totals).any():
        return np.full_like(totals, problem.min_crew)
    return floor


def agent_unit(problem: ProblemData) -> IntArray:
    """Money a year of one agent-interval at each site: pay plus the functions' per-FTE shares.

    A pooled pair's split is priced with it, so the split stays the cheapest with functions.
    """
    if problem.agent_extra_cost is None:
        return problem.agent_cost
    unit: IntArray = problem.agent_cost + problem.agent_extra_cost
    return unit


def _split_holds(problem: ProblemData, k: int, groups: tuple[int, ...] | None) -> bool:
    return split_holds(problem.constraints, problem, k, groups)


def _transition_cost(problem: ProblemData, assignment: tuple[int, ...], posts: int) -> int:
    forces = np.arange(problem.n_forces)
    sites = np.asarray(assignment)
    stayers = int(problem.stay[forces, sites].sum())
    leaving = int(problem.move_cost[forces, sites].sum())
    surplus = max(0, stayers - posts)
    recruits = max(0, posts - stayers)
    return leaving + problem.redundancy_cost * surplus + problem.recruit_cost * recruits


def _priced(
    problem: ProblemData,
    *,
    sites: tuple[int, ...],
    routing: Routing,
    assignment: tuple[int, ...],
    agents: IntArray,
    seats: tuple[int, ...],
    staff_cost: int,
    over_capacity: bool,
) -> Option:
    """The option with its costs and the names of the constraints it breaks (capacity last)."""
    open_ = np.asarray(sites)
    new_seats = np.maximum(np.asarray(seats) - problem.existing_seats[open_], 0)
    posts = problem.agent_fte * int(agents.sum())
    groups = [sum(1 << f for f, j in enumerate(assignment) if j == site) for site in sites]
    function_cost, function_fte = problem.functions_priced(
        sites, groups, [int(n) for n in agents.sum(axis=1)]
    )
    posts += function_fte
    costs = {
        "sites": int(problem.fixed_cost[open_].sum()),
        "seats": int((problem.seat_cost[open_] * new_seats).sum()),
        "staff": staff_cost,
        "merge": problem.merge_cost,
        "standby": _standby_cost(problem, len(sites)),
        "transition": _transition_cost(problem, assignment, posts),
    }
    if problem.has_functions:
        costs["functions"] = function_cost
    option = Option(sites, routing, assignment, seats, agents, costs, ())
    failed = [c.name for c in problem.constraints if not c.holds(problem, option)]
    if over_capacity:
        failed.append(CAPACITY)
    if not failed:
        return option
    return Option(sites, routing, assignment, seats, agents, costs, tuple(dict.fromkeys(failed)))


def _over_capacity(problem: ProblemData, sites: tuple[int, ...], peaks: list[int]) -> bool:
    """Whether a room's own agents need more seats than its building holds."""
    return any(p > int(problem.max_seats[j]) for p, j in zip(peaks, sites, strict=True))


def _by_force(problem: ProblemData, sites: tuple[int, ...], assignment: tuple[int, ...]) -> Option:
    """Price one assignment of forces to rooms (each room answers its forces' calls)."""
    floor = _seat_floor(problem, len(sites))
    agents = np.stack(
        [
            problem.group_row(force_mask([f for f, g in enumerate(assignment) if g == j]))
            for j in sites
        ]
    )
    peaks = [int(p) for p in agents.max(axis=1)]
    seats = tuple(max(p, floor) for p in peaks)
    staff = int((problem.agent_cost[list(sites)] * agents.sum(axis=1)).sum())
    return _priced(
        problem,
        sites=sites,
        routing="by_force",
        assignment=assignment,
        agents=agents,
        seats=seats,
        staff_cost=staff,
        over_capacity=_over_capacity(problem, sites, peaks),
    )


def _nearest_open(problem: ProblemData, sites: tuple[int, ...]) -> tuple[int, ...]:
    """Each force's open room nearest its current room (pooled routing)."""
    open_ = list(sites)
    return tuple(
        open_[int(np.argmin(problem.room_rank[f, open_]))] for f in range(problem.n_forces)
    )


def _pooled(problem: ProblemData, sites: tuple[int, ...], routing: Routing = "pooled") -> Option:
    """Price one queue over one or two rooms with the cheapest exact split of agents.

    A single room is priced here whatever the routing (both routings are the same there).
    """
    assignment = _nearest_open(problem, sites)
    k = len(sites)
    totals = problem.pooled_totals(k)
    weights = problem.level_weights
    if k == 1:
        (j,) = sites
        per_level = totals[np.newaxis, :]
        seats: tuple[int, ...] = (int(per_level.max()),)
        staff = int(problem.agent_cost[j] * (weights * totals).sum())
        over = _over_capacity(problem, sites, list(seats))
    else:
        per_level, seats, staff, over = _pooled_pair_split(problem, sites, totals)
    agents = per_level[:, problem.level_of_interval]
    return _priced(
        problem,
        sites=sites,
        routing=routing,
        assignment=assignment,
        agents=agents,
        seats=seats,
        staff_cost=staff,
        over_capacity=over,
    )


def _pair_seat_counts(
    problem: ProblemData, totals: IntArray
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Every seat count ``s`` the cheaper room of a pooled pair might have, and what it implies.

    The cheaper room staffs ``min(s, N_v − L_v)`` at each level (``L_v``: the per-room floor),
    the dearer room the rest; its seats are its peak (at least the seat floor). Returns the
    seat counts of both rooms and the agents of both per seat count and level.
    """
    floor = _crew_floor(problem, 2)
    low = max(int(floor.max(initial=0)), _seat_floor(problem, 2))
    high = max(low, int((totals - floor).max(initial=0)))
    seats_a = np.arange(low, high + 1, dtype=np.int64)
    n_a = np.minimum(seats_a[:, np.newaxis], totals[np.newaxis, :] - floor[np.newaxis, :])
    n_b = totals[np.newaxis, :] - n_a
    seats_b = np.maximum(n_b.max(axis=1, initial=0), low)
    return seats_a, seats_b, n_a, n_b


def _pooled_pair_split(
    problem: ProblemData, sites: tuple[int, ...], totals: IntArray
) -> tuple[IntArray, tuple[int, ...], int, bool]:
    """Agents per room and level, seats, staff cost and capacity breach of the best split."""
    unit = agent_unit(problem)
    a, b = sorted(sites, key=lambda j: (int(unit[j]), j))
    weights = problem.level_weights
    seats_a, seats_b, n_a, n_b = _pair_seat_counts(problem, totals)
    cost = (
        unit[a] * (n_a * weights).sum(axis=1)
        + unit[b] * (n_b * weights).sum(axis=1)
        + problem.seat_cost[a] * np.maximum(seats_a - problem.existing_seats[a], 0)
        + problem.seat_cost[b] * np.maximum(seats_b - problem.existing_seats[b], 0)
    )
    fits = (seats_a <= problem.max_seats[a]) & (seats_b <= problem.max_seats[b])
    over = False
    if not fits.any():
        fits = np.ones_like(fits)
        cheapest = int(np.argmin(cost))
        peaks = [int(n_a[cheapest].max()), int(n_b[cheapest].max())]
        # No seat count fits: the rooms' own agents, or a seat floor no building holds.
        floor = _seat_floor(problem, 2)
        floor_short = floor > min(int(problem.max_seats[a]), int(problem.max_seats[b]))
        over = _over_capacity(problem, (a, b), peaks) or not floor_short
    best = int(np.flatnonzero(fits)[np.argmin(cost[fits])])
    order = [sites.index(a), sites.index(b)]
    per_level = np.empty((2, len(totals)), dtype=np.int64)
    per_level[order[0]], per_level[order[1]] = n_a[best], n_b[best]
    seats = [0, 0]
    seats[order[0]], seats[order[1]] = int(seats_a[best]), int(seats_b[best])
    staff = int(
        problem.agent_cost[a] * (n_a[best] * weights).sum()
        + problem.agent_cost[b] * (n_b[best] * weights).sum()
    )
    return per_level, (seats[0], seats[1]), staff, over


def _site_options(problem: ProblemData, sites: tuple[int, ...]) -> list[Option]:
    """Every routing and assignment of one set of open sites."""
    options = []
    if len(sites) == 1:
        options.append(_pooled(problem, sites, problem.routings[0]))
    elif "pooled" in problem.routings:
        options.append(_pooled(problem, sites))
    if "by_force" in problem.routings and len(sites) > 1:
        for assignment in product(sites, repeat=problem.n_forces):
            if set(assignment) == set(sites):
                options.append(_by_force(problem, sites, assignment))
    return options


def enumerate_options(problem: ProblemData) -> list[Option]:
    """Return every priced option with ``k_min..min(k_max, 2)`` open sites."""
    if problem.k_min > 2:
        msg = f"k_min: enumeration covers one or two sites, got k_min = {problem.k_min}"
        raise ValueError(msg)
    options: list[Option] = []
    for k in range(problem.k_min, min(problem.k_max, 2) + 1):
        for sites in combinations(range(problem.n_sites), k):
            options.extend(_site_options(problem, sites))
    return options


def _rank_key(option: Option) -> tuple[bool, int, tuple[int, ...]]:
    return (not option.feasible, option.total, option.sites)


def _best_of_site_set(problem: ProblemData, sites: tuple[int, ...]) -> Option:
    """The cheapest option of one site set, feasible first (first priced wins ties)."""
    best: Option | None = None
    for option in _site_options(problem, sites):
        if best is None or _rank_key(option) < _rank_key(best):
            best = option
    if best is None:  # pragma: no cover - every site set has at least one routing
        raise ValueError(f"sites {sites}: no routing prices this set")
    return best


def site_set_options(problem: ProblemData, sites: tuple[int, ...]) -> list[Option]:
    """Every priced option of one set of one or two open sites (each routing and assignment)."""
    if not 1 <= len(sites) <= 2 or len(set(sites)) != len(sites):
        raise ValueError(f"sites: expected one or two distinct site indices, got {sites}")
    return _site_options(problem, tuple(sorted(sites)))


def best_options(
    problem: ProblemData, n: int = 10, *, table: OptionTable | None = None
) -> list[Option]:
    """Return the best option of each site set, feasible ones first, cheapest first (top ``n``).

    The first is the proven optimum over one and two sites when it is feasible. The site sets
    are ranked from :func:`option_table` (``table``, when the caller already has it; without
    one, a problem with many pairs prices only the pairs that can reach the top ``n``:
    :func:`bounded_table`); the returned options are rebuilt one by one.
    """
    if table is None and _pair_count(problem) > BOUNDED_PAIRS:
        table = bounded_table(problem, n)
    table = table if table is not None else option_table(problem)
    return [_best_of_site_set(problem, table.site_set(row)) for row in table.ranked()[:n]]


@dataclass(frozen=True, eq=False)
class OptionTable:
    """The best option of every site set with one or two sites, as arrays.

    Attributes
    ----------
    first, second
        Site indices of each set (``second`` is -1 for a single site; ``first < second``).
    total
        Total cost a year (money units) of the set's best option.
    feasible
        Whether that option meets every constraint.
    """

    first: IntArray
    second: IntArray
    total: IntArray
    feasible: BoolArray

    def site_set(self, row: int) -> tuple[int, ...]:
        """The site indices of one row."""
        a, b = int(self.first[row]), int(self.second[row])
        return (a,) if b < 0 else (a, b)

    def ranked(self) -> IntArray:
        """Row order: feasible first, then cheapest, then by site indices."""
        return np.lexsort((self.second, self.first, self.total, ~self.feasible))

    def singles(self) -> IntArray:
        """Rows of the single-site sets (in site order)."""
        return np.flatnonzero(self.second < 0)


#: Pairs priced per numpy batch (bounds memory at about 100 MB for 100 seat counts).
_PAIR_BATCH = 20_000


def option_table(problem: ProblemData) -> OptionTable:
    """Price the best option of every site set with ``k_min..min(k_max, 2)`` open sites.

    Equal, set by set, to the best of :func:`enumerate_options` (same totals and feasibility).
    """
    if problem.k_min > 2:
        msg = f"k_min: enumeration covers one or two sites, got k_min = {problem.k_min}"
        raise ValueError(msg)
    parts: list[tuple[IntArray, IntArray, IntArray, BoolArray]] = []
    if problem.k_min == 1:
        sites = np.arange(problem.n_sites, dtype=np.int64)
        total, feasible = _single_totals(problem)
        parts.append((sites, np.full_like(sites, -1), total, feasible))
    # By force with one force there is no way to give two rooms a force each: no pair option.
    pairs_priced = "pooled" in problem.routings or problem.n_forces >= 2
    if problem.k_max >= 2 and problem.n_sites >= 2 and pairs_priced:
        first, second = np.triu_indices(problem.n_sites, k=1)
        pairs = _PairContext(problem)
        for start in range(0, len(first), _PAIR_BATCH):
            a = first[start : start + _PAIR_BATCH].astype(np.int64)
            b = second[start : start + _PAIR_BATCH].astype(np.int64)
            total, feasible = pairs.best(a, b)
            parts.append((a, b, total, feasible))
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return OptionTable(empty, empty, empty, np.zeros(0, dtype=np.bool_))
    return OptionTable(
        first=np.concatenate([p[0] for p in parts]),
        second=np.concatenate([p[1] for p in parts]),
        total=np.concatenate([p[2] for p in parts]),
        feasible=np.concatenate([p[3] for p in parts]),
    )


def _transition_costs(
    problem: ProblemData, assignment: IntArray, posts: IntArray | int
) -> IntArray:
    """:func:`_transition_cost` of many assignments ``(N, F)`` at once."""
    stayers = assigned_sum(problem.stay, assignment)
    leaving = assigned_sum(problem.move_cost, assignment)
    surplus = np.maximum(0, stayers - posts)
    recruits = np.maximum(0, posts - stayers)
    result: IntArray = leaving + problem.redundancy_cost * surplus + problem.recruit_cost * recruits
    return result


def _sites_hold(problem: ProblemData, sites: SiteSets) -> BoolArray:
    """Whether each site set meets the rules of its open sites alone (every constraint)."""
    ok = np.ones(len(sites.first), dtype=np.bool_)
    for c in problem.constraints:
        holds = c.sites_hold(problem, sites)
        if holds is not None:
            ok &= holds
    return ok


def _assignment_holds(problem: ProblemData, assignment: IntArray) -> BoolArray:
    """Whether each row of ``assignment`` ``(N, F)`` meets the rules on where staff go."""
    ok = np.ones(len(assignment), dtype=np.bool_)
    for c in problem.constraints:
        holds = c.assignment_holds(problem, assignment)
        if holds is not None:
            ok &= holds
    return ok


def _single_totals(problem: ProblemData) -> tuple[IntArray, BoolArray]:
    """Total and feasibility of every single open site (one pooled room)."""
    j = np.arange(problem.n_sites)
    totals = problem.pooled_totals(1)
    agent_intervals = int((problem.level_weights * totals).sum())
    seats = int(totals.max(initial=0))
    assignment = np.repeat(j[:, np.newaxis], problem.n_forces, axis=1)
    everyone = np.full_like(j, problem.all_forces)
    function_cost, function_fte = _functions_of(problem, j, everyone, agent_intervals)
    total = (
        problem.fixed_cost
        + problem.seat_cost * np.maximum(seats - problem.existing_seats, 0)
        + problem.agent_cost * agent_intervals
        + problem.merge_cost
        + _standby_cost(problem, 1)
        + function_cost
        + _transition_costs(problem, assignment, problem.agent_fte * agent_intervals + function_fte)
    )
    feasible = (
        _sites_hold(problem, SiteSets(j))
        & _assignment_holds(problem, assignment)
        & (seats <= problem.max_seats)
        & _split_holds(problem, 1, None)
    )
    return total.astype(np.int64), feasible


def _functions_of(
    problem: ProblemData, sites: IntArray, groups: IntArray, agent_intervals: IntArray | int
) -> tuple[IntArray, IntArray]:
    """:meth:`ProblemData.functions_priced` of one room per row: ``sites[i]`` with ``groups[i]``."""
    if (
        problem.post_cost is None
        or problem.post_fte is None
        or problem.group_cost is None
        or problem.group_fte is None
        or problem.agent_extra_cost is None
    ):
        zero = np.zeros(len(sites), dtype=np.int64)
        return zero, zero
    cost = (
        problem.post_cost[sites]
        + problem.group_cost[sites, groups]
        + problem.agent_extra_cost[sites] * agent_intervals
    )
    fte = (
        problem.post_fte[sites]
        + problem.group_fte[sites, groups]
        + problem.agent_extra_fte * np.asarray(agent_intervals, dtype=np.int64)
    )
    return cost.astype(np.int64), np.broadcast_to(fte, cost.shape).astype(np.int64)


class _PairContext:
    """What pricing a pair needs that does not depend on the pair, computed once."""

    def __init__(self, problem: ProblemData) -> None:
        self.problem = problem
        self.seat_floor = _seat_floor(problem, 2)
        totals = problem.pooled_totals(2)
        weights = problem.level_weights
        self.pooled_intervals = int((weights * totals).sum())
        # Seat counts of the cheaper room; what each means for both rooms (pair-independent).
        self.seats_a, self.seats_b, n_a, n_b = _pair_seat_counts(problem, totals)
        self.intervals_a = (n_a * weights).sum(axis=1)
        self.intervals_b = (n_b * weights).sum(axis=1)
        self.pooled_ok = _split_holds(problem, 2, None)
        by_force = "by_force" in problem.routings
        # proper, non-empty groups (by force only: pooled routing never reads them)
        self.masks = np.arange(1, problem.all_forces if by_force else 1, dtype=np.int64)
        rows = problem.group_agents
        self.group_intervals = rows.sum(axis=1)
        self.group_peak = rows.max(axis=1, initial=0)

    def best(self, a: IntArray, b: IntArray) -> tuple[IntArray, BoolArray]:
        """Total and feasibility of the best option of each pair ``(a[i], b[i])``."""
        problem = self.problem
        site_ok = _sites_hold(problem, SiteSets(a, b))
        totals: list[IntArray] = []
        feasible: list[BoolArray] = []
        if "pooled" in problem.routings:
            total, ok = self._pooled(a, b)
            totals.append(total)
            feasible.append(ok)
        if "by_force" in problem.routings:
            for mask in self.masks:
                total, ok = self._by_force(a, b, int(mask))
                totals.append(total)
                feasible.append(ok)
        total_v = np.stack(totals)  # (variants, pairs)
        ok_v = np.stack(feasible) & site_ok
        masked = np.where(ok_v, total_v, np.iinfo(np.int64).max)
        any_ok = ok_v.any(axis=0)
        best = np.where(any_ok, masked.min(axis=0), total_v.min(axis=0))
        return best.astype(np.int64), np.asarray(any_ok, dtype=np.bool_)

    def _pooled(self, a: IntArray, b: IntArray) -> tuple[IntArray, BoolArray]:
        problem = self.problem
        unit = agent_unit(problem)
        swap: BoolArray = (unit[b] < unit[a]) | ((unit[b] == unit[a]) & (b < a))
        cheap = np.where(swap, b, a)
        dear = np.where(swap, a, b)
        seats_a, seats_b = self.seats_a[np.newaxis, :], self.seats_b[np.newaxis, :]
        ca, cb = cheap[:, np.newaxis], dear[:, np.newaxis]
        cost = (
            unit[ca] * self.intervals_a[np.newaxis, :]
            + unit[cb] * self.intervals_b[np.newaxis, :]
            + problem.seat_cost[ca] * np.maximum(seats_a - problem.existing_seats[ca], 0)
            + problem.seat_cost[cb] * np.maximum(seats_b - problem.existing_seats[cb], 0)
        )
        fits = (seats_a <= problem.max_seats[ca]) & (seats_b <= problem.max_seats[cb])
        any_fit: BoolArray = np.asarray(fits.any(axis=1), dtype=np.bool_)
        big = np.iinfo(np.int64).max
        chosen = np.where(any_fit[:, np.newaxis], np.where(fits, cost, big), cost).argmin(axis=1)
        rows = np.arange(len(a))
        split = cost[rows, chosen]
        nearer_b = problem.room_rank[:, b] < problem.room_rank[:, a]  # (F, pairs); ties to a
        assignment = np.where(nearer_b, b, a).T
        posts: IntArray | int = problem.agent_fte * self.pooled_intervals
        functions: IntArray | int = 0
        if problem.has_functions:
            bits = (1 << np.arange(problem.n_forces, dtype=np.int64))[np.newaxis, :]
            group_b = (nearer_b.T * bits).sum(axis=1)
            group_a = problem.all_forces ^ group_b
            at_cheap = np.where(swap, group_b, group_a)
            at_dear = problem.all_forces ^ at_cheap
            # The per-agent share is in ``split`` already (it priced the split).
            cost_a, fte_a = _functions_of(problem, cheap, at_cheap, 0)
            cost_b, fte_b = _functions_of(problem, dear, at_dear, 0)
            functions = cost_a + cost_b
            posts = posts + fte_a + fte_b + problem.agent_extra_fte * self.pooled_intervals
        total = (
            problem.fixed_cost[a]
            + problem.fixed_cost[b]
            + split
            + problem.merge_cost
            + _standby_cost(problem, 2)
            + functions
            + _transition_costs(problem, assignment, posts)
        )
        ok = any_fit & _assignment_holds(problem, assignment) & self.pooled_ok
        return total, ok

    def _by_force(self, a: IntArray, b: IntArray, mask: int) -> tuple[IntArray, BoolArray]:
        problem = self.problem
        other = problem.all_forces ^ mask
        peak_a, peak_b = int(self.group_peak[mask]), int(self.group_peak[other])
        seats_a, seats_b = max(peak_a, self.seat_floor), max(peak_b, self.seat_floor)
        at_a = np.array([(mask >> f) & 1 for f in range(problem.n_forces)], dtype=np.bool_)
        assignment = np.where(at_a[np.newaxis, :], a[:, np.newaxis], b[:, np.newaxis])
        intervals_a, intervals_b = self.group_intervals[mask], self.group_intervals[other]
        posts: IntArray | int = problem.agent_fte * int(intervals_a + intervals_b)
        functions: IntArray | int = 0
        if problem.has_functions:
            cost_a, fte_a = _functions_of(problem, a, np.full_like(a, mask), int(intervals_a))
            cost_b, fte_b = _functions_of(problem, b, np.full_like(b, other), int(intervals_b))
            functions = cost_a + cost_b
            posts = posts + fte_a + fte_b
        total = (
            problem.fixed_cost[a]
            + problem.fixed_cost[b]
            + problem.seat_cost[a] * np.maximum(seats_a - problem.existing_seats[a], 0)
            + problem.seat_cost[b] * np.maximum(seats_b - problem.existing_seats[b], 0)
            + problem.agent_cost[a] * intervals_a
            + problem.agent_cost[b] * intervals_b
            + problem.merge_cost
            + _standby_cost(problem, 2)
            + functions
            + _transition_costs(problem, assignment, posts)
        )
        fits = (peak_a <= problem.max_seats[a]) & (peak_b <= problem.max_seats[b])
        ok = fits & _assignment_holds(problem, assignment) & _split_holds(problem, 2, (mask, other))
        return total, np.asarray(ok, dtype=np.bool_)


#: Above this many pairs, :func:`best_options` without a table prices only the pairs whose
#: lower bound can reach its top ``n`` (:func:`bounded_table`).
BOUNDED_PAIRS = 100_000


#: Most pairs :func:`bounded_table` prices before it gives up for the whole table.
_BOUNDED_MAX_PAIRS = 4_000_000


#: Forces up to which the bound splits them between the two rooms every way (``2^F``).
_BOUNDED_FORCES = 6


def _pair_count(problem: ProblemData) -> int:
    if problem.k_max < 2 or problem.k_min > 2:
        return 0
    return problem.n_sites * (problem.n_sites - 1) // 2


def bounded_table(problem: ProblemData, n: int) -> OptionTable | None:
    """The rows of :func:`option_table` that can rank in its top ``n``; ``None``: not here.

    Every single site is priced; a pair only when a lower bound on its total (:class:`_PairBound`)
    is at most a threshold ``T`` at or above which ``n`` feasible site sets are known, so no
    pair left out can rank among the first ``n`` (its total exceeds ``T``). ``T`` starts at the
    ``n``-th cheapest feasible single site, or grows from the least bound until ``n`` feasible
    sets are in. ``None`` when the bound does not apply (negative coefficients, many forces)
    or would leave too many pairs: the caller prices them all.
    """
    bound = _PairBound.of(problem)
    if bound is None or n < 1:
        return None
    parts: list[tuple[IntArray, IntArray, IntArray, BoolArray]] = []
    if problem.k_min == 1:
        sites = np.arange(problem.n_sites, dtype=np.int64)
        total, feasible = _single_totals(problem)
        parts.append((sites, np.full_like(sites, -1), total, feasible))
    known = np.sort(np.concatenate([p[2][p[3]] for p in parts])) if parts else np.zeros(0)
    threshold = int(known[n - 1]) if len(known) >= n else None
    least = bound.least()
    step = max(abs(least) // 1000, 1)
    context = _PairContext(problem)
    while True:
        limit = threshold if threshold is not None else least + step
        pairs = bound.pairs_within(limit)
        if pairs is None:
            return None
        a, b = pairs
        priced = [
            context.best(a[i : i + _PAIR_BATCH], b[i : i + _PAIR_BATCH])
            for i in range(0, len(a), _PAIR_BATCH)
        ]
        total = np.concatenate([t for t, _ in priced]) if priced else np.zeros(0, np.int64)
        feasible = np.concatenate([f for _, f in priced]) if priced else np.zeros(0, np.bool_)
        within = np.concatenate([known[known <= limit], total[feasible & (total <= limit)]])
        if len(within) >= n or len(a) == _pair_count(problem):
            parts.append((a, b, total.astype(np.int64), feasible))
            break
        step *= 4
    return OptionTable(
        first=np.concatenate([p[0] for p in parts]),
        second=np.concatenate([p[1] for p in parts]),
        total=np.concatenate([p[2] for p in parts]),
        feasible=np.concatenate([p[3] for p in parts]),
    )


@dataclass(frozen=True, eq=False)
class _PairBound:
    """A lower bound on the total of every pair's best option, as sums of per-site terms.

    With forces ``P`` at room ``a`` and the rest at ``b`` (any routing gives some such split),
    a pair's total is at least ``g_P[a] + g_{P̄}[b] + u[cheaper] I + c``: sites' fixed costs, the
    functions' posts and groups at each room and the staff leaving each force's room (all exact
    for that split), the agent-intervals ``I`` (fewest of any routing) at the cheaper room's
    rate, the merge and standby costs. Left out, being ``≥ 0``: seats, redundancy and
    recruitment. Enumerating ordered pairs with the agent term on the first site covers the
    cheaper-first order of every pair.
    """

    first: IntArray  # (2^F, J): g_P plus the agent term (money units: sums stay exact)
    second: IntArray  # (2^F, J): g_{P̄}
    constant: int

    @classmethod
    def of(cls, problem: ProblemData) -> _PairBound | None:
        """The bound's terms, or ``None`` when it does not hold or would be too slow."""
        if problem.n_forces > _BOUNDED_FORCES or problem.k_max < 2:
            return None
        unit = agent_unit(problem)
        coefficients = [
            unit,
            problem.seat_cost,
            np.array([problem.redundancy_cost, problem.recruit_cost]),
        ]
        if any((np.asarray(c) < 0).any() for c in coefficients):
            return None
        routings = problem.routings
        intervals: list[int] = []
        if "pooled" in routings:
            weights = problem.level_weights
            intervals.append(int((weights * problem.pooled_totals(2)).sum()))
        if "by_force" in routings and problem.n_forces >= 2:
            rows = problem.group_agents.sum(axis=1)
            full = problem.all_forces
            intervals.extend(int(rows[m] + rows[full ^ m]) for m in range(1, full))
        if not intervals:
            return None
        masks = range(problem.all_forces + 1)
        g = np.stack([cls._site_terms(problem, mask) for mask in masks])
        complement = [problem.all_forces ^ mask for mask in masks]
        return cls(
            first=g + unit[np.newaxis, :] * min(intervals),
            second=g[complement],
            constant=int(problem.merge_cost + _standby_cost(problem, 2)),
        )

    @staticmethod
    def _site_terms(problem: ProblemData, mask: int) -> IntArray:
        """``g_P`` for ``P = mask``: fixed cost, functions of group ``P`` and its staff leaving."""
        terms = problem.fixed_cost.astype(np.int64)
        post, group = problem.post_cost, problem.group_cost
        others = (problem.post_fte, problem.group_fte, problem.agent_extra_cost)
        if post is not None and group is not None and all(x is not None for x in others):
            terms += post + group[:, mask]  # a room's functions, as _functions_of prices them
        for f in range(problem.n_forces):
            if mask >> f & 1:
                terms += problem.move_cost[f]
        return terms

    def least(self) -> int:
        """The least bound of any pair (sites may repeat: a bound on the least)."""
        return int((self.first.min(axis=1) + self.second.min(axis=1)).min() + self.constant)

    def pairs_within(self, limit: int) -> tuple[IntArray, IntArray] | None:
        """Pairs ``a < b`` whose bound is at most ``limit``; ``None``: more than can be priced."""
        n_sites = self.first.shape[1]
        keys: list[IntArray] = []
        count = 0
        for first, second in zip(self.first, self.second, strict=True):
            order = np.argsort(second, kind="stable")
            ranked = second[order]
            room = limit - self.constant - first
            counts = np.searchsorted(ranked, room, side="right")
            count += int(counts.sum())
            if count > 2 * _BOUNDED_MAX_PAIRS:
                return None
            a = np.repeat(np.arange(n_sites, dtype=np.int64), counts)
            starts = np.repeat(np.cumsum(counts) - counts, counts)
            b = order[np.arange(len(a), dtype=np.int64) - starts]
            apart = a != b
            low, high = np.minimum(a, b)[apart], np.maximum(a, b)[apart]
            keys.append(low * n_sites + high)
        unique = np.unique(np.concatenate(keys)) if keys else np.zeros(0, dtype=np.int64)
        if len(unique) > _BOUNDED_MAX_PAIRS:
            return None
        return unique // n_sites, unique % n_sites

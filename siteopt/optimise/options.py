"""Exact enumeration of every option with one or two sites: the cross-check and the appraisal.

For each single site and each pair of sites, and each allowed routing, the cheapest way to staff
and seat the rooms is found exactly (see ``docs/model.md``):

- **by force**: every assignment of the forces to the open rooms (each room serving at least
  one force) is priced; a room staffs its group's requirement with the minimum crew.
- **pooled**: one queue over the rooms; every room keeps the minimum crew and the rest of each
  interval's requirement goes to the cheaper room up to its seats. Trying every seat count of the
  cheaper room (the dearer room takes the rest) is exact, because staff and seats are the only
  costs the split changes. Each force's staff move to the open room nearest their current one.

Every option records its cost components and the constraints it breaks, so the same pass gives
the optimum and the ranked options appraisal.

Two implementations price the same integers: :func:`enumerate_options` builds every
:class:`Option` one at a time (the reference), and :func:`option_table` prices every site set at
once with numpy (hundreds of candidates: ~10^5 pairs in seconds). :func:`best_options` ranks the
table and rebuilds only the winners with the reference code, so both always agree to the unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations, product

import numpy as np
import numpy.typing as npt

from siteopt.optimise.constraints import (
    Absorb,
    Fallback,
    ForceReach,
    PopulationCover,
    Separation,
    SiteFilter,
    StaffCommute,
)
from siteopt.optimise.problem import ProblemData, Routing, force_mask

__all__ = [
    "CAPACITY",
    "Option",
    "OptionTable",
    "best_options",
    "enumerate_options",
    "option_table",
    "site_set_options",
]


IntArray = npt.NDArray[np.int64]


BoolArray = npt.NDArray[np.bool_]


#: Name under which an option that needs more seats than a building holds is reported.
CAPACITY = "seat capacity"


@dataclass(frozen=True, eq=False)
class Option:
    """One priced configuration: open sites, routing, who goes where, seats and agents.

    Attributes
    ----------
    sites
        Indices of the open sites.
    routing
        ``"pooled"`` or ``"by_force"``.
    assignment
        Open site (index) whose room each force's staff move to; by force, also where its
        calls go.
    seats
        Seats at each open site (same order as ``sites``).
    agents
        Agents per open site and interval, ``(len(sites), T)``.
    costs
        Cost components in money units a year: ``sites``, ``seats``, ``staff``, ``merge``,
        ``standby``, ``transition``.
    failed
        Names of the constraints the option breaks (empty when feasible).
    """

    sites: tuple[int, ...]
    routing: Routing
    assignment: tuple[int, ...]
    seats: tuple[int, ...]
    agents: IntArray
    costs: dict[str, int]
    failed: tuple[str, ...]

    @property
    def total(self) -> int:
        """Total cost a year in money units."""
        return sum(self.costs.values())

    @property
    def feasible(self) -> bool:
        """Whether the option meets every constraint and fits its buildings."""
        return not self.failed


def _absorb_seats(problem: ProblemData, k: int) -> tuple[int, str | None]:
    for c in problem.constraints:
        if isinstance(c, Absorb) and k >= 2:
            return c.min_seats, c.name
    return 0, None


def _transition_cost(problem: ProblemData, assignment: tuple[int, ...], posts: int) -> int:
    forces = np.arange(problem.n_forces)
    sites = np.asarray(assignment)
    stayers = int(problem.stay[forces, sites].sum())
    leaving = int(problem.move_cost[forces, sites].sum())
    surplus = max(0, stayers - posts)
    recruits = max(0, posts - stayers)
    return leaving + problem.redundancy_cost * surplus + problem.recruit_cost * recruits


def _failures(
    problem: ProblemData, sites: tuple[int, ...], assignment: tuple[int, ...]
) -> list[str]:
    """Names of the site, coverage and commute constraints an option breaks."""
    failed = []
    forces = np.arange(problem.n_forces)
    open_ = list(sites)
    for c in problem.constraints:
        if isinstance(c, SiteFilter):
            ok = bool(c.allowed[open_].all())
        elif isinstance(c, Separation):
            ok = not any(c.conflict[a, b] for a, b in combinations(open_, 2))
        elif isinstance(c, ForceReach):
            ok = bool(c.reach[:, open_].any(axis=1).all())
        elif isinstance(c, PopulationCover):
            ok = int(c.people[c.cover[:, open_].any(axis=1)].sum()) >= c.required
        elif isinstance(c, StaffCommute):
            ok = int(c.within[forces, np.asarray(assignment)].sum()) >= c.required
        elif isinstance(c, Fallback):
            ok = len(open_) != 1 or bool(c.available[open_[0]])
        else:  # Absorb: a seat requirement, checked where seats are chosen
            ok = True
        if not ok:
            failed.append(c.name)
    return failed


def _standby_cost(problem: ProblemData, k: int) -> int:
    return sum(c.standby_cost for c in problem.constraints if isinstance(c, Fallback) and k == 1)


def _priced(
    problem: ProblemData,
    *,
    sites: tuple[int, ...],
    routing: Routing,
    assignment: tuple[int, ...],
    agents: IntArray,
    seats: tuple[int, ...],
    staff_cost: int,
    seat_failures: list[str],
) -> Option:
    open_ = np.asarray(sites)
    new_seats = np.maximum(np.asarray(seats) - problem.existing_seats[open_], 0)
    posts = problem.agent_fte * int(agents.sum())
    costs = {
        "sites": int(problem.fixed_cost[open_].sum()),
        "seats": int((problem.seat_cost[open_] * new_seats).sum()),
        "staff": staff_cost,
        "merge": problem.merge_cost,
        "standby": _standby_cost(problem, len(sites)),
        "transition": _transition_cost(problem, assignment, posts),
    }
    failed = _failures(problem, sites, assignment) + seat_failures
    return Option(sites, routing, assignment, seats, agents, costs, tuple(dict.fromkeys(failed)))


def _seat_failures(
    problem: ProblemData,
    sites: tuple[int, ...],
    peaks: list[int],
    absorb_min: int,
    absorb: str | None,
) -> list[str]:
    """Which seat rules an option breaks: the room's own peak, or the absorb-the-other rule."""
    caps = [int(problem.max_seats[j]) for j in sites]
    failed = []
    if any(p > c for p, c in zip(peaks, caps, strict=True)):
        failed.append(CAPACITY)
    if absorb is not None and any(absorb_min > c for c in caps):
        failed.append(absorb)
    return failed


def _by_force(problem: ProblemData, sites: tuple[int, ...], assignment: tuple[int, ...]) -> Option:
    """Price one assignment of forces to rooms (each room answers its forces' calls)."""
    absorb_min, absorb = _absorb_seats(problem, len(sites))
    agents = np.stack(
        [
            problem.group_agents[force_mask([f for f, g in enumerate(assignment) if g == j])]
            for j in sites
        ]
    )
    peaks = [int(p) for p in agents.max(axis=1)]
    seats = tuple(max(p, absorb_min) for p in peaks)
    failures = _seat_failures(problem, sites, peaks, absorb_min, absorb)
    staff = int((problem.agent_cost[list(sites)] * agents.sum(axis=1)).sum())
    return _priced(
        problem,
        sites=sites,
        routing="by_force",
        assignment=assignment,
        agents=agents,
        seats=seats,
        staff_cost=staff,
        seat_failures=failures,
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
    totals = np.maximum(problem.pooled_levels, k * problem.min_crew)
    weights = problem.level_weights
    absorb_min, absorb = _absorb_seats(problem, k)
    if k == 1:
        (j,) = sites
        per_level = totals[np.newaxis, :]
        seats: tuple[int, ...] = (int(per_level.max()),)
        staff = int(problem.agent_cost[j] * (weights * totals).sum())
        failures = _seat_failures(problem, sites, list(seats), 0, None)
    else:
        per_level, seats, staff, failures = _pooled_pair_split(
            problem, sites, totals, absorb_min, absorb
        )
    agents = per_level[:, problem.level_of_interval]
    return _priced(
        problem,
        sites=sites,
        routing=routing,
        assignment=assignment,
        agents=agents,
        seats=seats,
        staff_cost=staff,
        seat_failures=failures,
    )


def _pooled_pair_split(
    problem: ProblemData,
    sites: tuple[int, ...],
    totals: IntArray,
    absorb_min: int,
    absorb: str | None,
) -> tuple[IntArray, tuple[int, ...], int, list[str]]:
    """Agents per room and level, seats and staff cost of the cheapest pooled split of a pair."""
    a, b = sorted(sites, key=lambda j: (int(problem.agent_cost[j]), j))
    m, weights = problem.min_crew, problem.level_weights
    low = max(m, absorb_min)
    high = max(low, int((totals - m).max()))
    seats_a = np.arange(low, high + 1)  # every seat count the cheaper room might have
    n_a = np.minimum(seats_a[:, None], totals[None, :] - m)
    n_b = totals[None, :] - n_a
    seats_b = np.maximum(n_b.max(axis=1), low)
    cost = (
        problem.agent_cost[a] * (n_a * weights).sum(axis=1)
        + problem.agent_cost[b] * (n_b * weights).sum(axis=1)
        + problem.seat_cost[a] * np.maximum(seats_a - problem.existing_seats[a], 0)
        + problem.seat_cost[b] * np.maximum(seats_b - problem.existing_seats[b], 0)
    )
    fits = (seats_a <= problem.max_seats[a]) & (seats_b <= problem.max_seats[b])
    failures: list[str] = []
    if not fits.any():
        fits = np.ones_like(fits)
        cheapest = int(np.argmin(cost))
        peaks = [int(n_a[cheapest].max()), int(n_b[cheapest].max())]
        failures = _seat_failures(problem, (a, b), peaks, absorb_min, absorb) or [CAPACITY]
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
    return per_level, (seats[0], seats[1]), staff, failures


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
    are ranked from :func:`option_table` (``table``, when the caller already has it); the
    returned options are rebuilt one by one.
    """
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
    forces = np.arange(problem.n_forces)
    stayers = problem.stay[forces, assignment].sum(axis=1)
    leaving = problem.move_cost[forces, assignment].sum(axis=1)
    surplus = np.maximum(0, stayers - posts)
    recruits = np.maximum(0, posts - stayers)
    result: IntArray = leaving + problem.redundancy_cost * surplus + problem.recruit_cost * recruits
    return result


def _constraints_hold(problem: ProblemData, a: IntArray, b: IntArray | None) -> BoolArray:
    """Whether each single site ``a`` (``b`` is None) or pair ``(a, b)`` meets the site rules.

    Site filters, separation, force reach, population cover and fallback; the rules that depend
    on the assignment (staff commute) or on seats (absorb, capacity) are checked by the callers.
    """
    ok = np.ones(len(a), dtype=np.bool_)
    for c in problem.constraints:
        if isinstance(c, SiteFilter):
            ok &= c.allowed[a] if b is None else c.allowed[a] & c.allowed[b]
        elif isinstance(c, Separation) and b is not None:
            ok &= ~c.conflict[a, b]
        elif isinstance(c, ForceReach):
            reached = c.reach[:, a] if b is None else c.reach[:, a] | c.reach[:, b]
            ok &= reached.all(axis=0)
        elif isinstance(c, PopulationCover):
            ok &= _covered_people(c, a, b) >= c.required
        elif isinstance(c, Fallback) and b is None:
            ok &= c.available[a]
    return ok


def _covered_people(c: PopulationCover, a: IntArray, b: IntArray | None) -> IntArray:
    """People covered by site ``a`` or by either site of each pair (inclusion-exclusion)."""
    people = c.people.astype(np.float64)  # exact: populations stay far below 2**53
    cover = c.cover.astype(np.float64)
    alone = people @ cover
    if b is None:
        return np.rint(alone[a]).astype(np.int64)
    both = (cover * people[:, np.newaxis]).T @ cover
    return np.rint(alone[a] + alone[b] - both[a, b]).astype(np.int64)


def _commuters(problem: ProblemData, assignment: IntArray) -> list[tuple[StaffCommute, IntArray]]:
    forces = np.arange(problem.n_forces)
    return [
        (c, c.within[forces, assignment].sum(axis=1))
        for c in problem.constraints
        if isinstance(c, StaffCommute)
    ]


def _commute_holds(problem: ProblemData, assignment: IntArray) -> BoolArray:
    ok = np.ones(len(assignment), dtype=np.bool_)
    for c, within in _commuters(problem, assignment):
        ok &= within >= c.required
    return ok


def _single_totals(problem: ProblemData) -> tuple[IntArray, BoolArray]:
    """Total and feasibility of every single open site (one pooled room)."""
    j = np.arange(problem.n_sites)
    totals = np.maximum(problem.pooled_levels, problem.min_crew)
    agent_intervals = int((problem.level_weights * totals).sum())
    seats = int(totals.max(initial=0))
    assignment = np.repeat(j[:, np.newaxis], problem.n_forces, axis=1)
    total = (
        problem.fixed_cost
        + problem.seat_cost * np.maximum(seats - problem.existing_seats, 0)
        + problem.agent_cost * agent_intervals
        + problem.merge_cost
        + _standby_cost(problem, 1)
        + _transition_costs(problem, assignment, problem.agent_fte * agent_intervals)
    )
    feasible = (
        _constraints_hold(problem, j, None)
        & _commute_holds(problem, assignment)
        & (seats <= problem.max_seats)
    )
    return total.astype(np.int64), feasible


class _PairContext:
    """What pricing a pair needs that does not depend on the pair, computed once."""

    def __init__(self, problem: ProblemData) -> None:
        self.problem = problem
        absorb_min, absorb = _absorb_seats(problem, 2)
        self.absorb_min = absorb_min if absorb is not None else 0
        m, weights = problem.min_crew, problem.level_weights
        totals = np.maximum(problem.pooled_levels, 2 * m)
        self.pooled_intervals = int((weights * totals).sum())
        low = max(m, self.absorb_min)
        high = max(low, int((totals - m).max(initial=0)))
        # Seat counts of the cheaper room; what each means for both rooms (pair-independent).
        self.seats_a = np.arange(low, high + 1, dtype=np.int64)
        n_a = np.minimum(self.seats_a[:, np.newaxis], totals[np.newaxis, :] - m)
        n_b = totals[np.newaxis, :] - n_a
        self.intervals_a = (n_a * weights).sum(axis=1)
        self.intervals_b = (n_b * weights).sum(axis=1)
        self.seats_b = np.maximum(n_b.max(axis=1, initial=0), low)
        masks = np.arange(1, problem.all_forces, dtype=np.int64)  # proper, non-empty groups
        self.masks = masks
        rows = problem.group_agents
        self.group_intervals = rows.sum(axis=1)
        self.group_peak = rows.max(axis=1, initial=0)

    def best(self, a: IntArray, b: IntArray) -> tuple[IntArray, BoolArray]:
        """Total and feasibility of the best option of each pair ``(a[i], b[i])``."""
        problem = self.problem
        site_ok = _constraints_hold(problem, a, b)
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
        swap = (problem.agent_cost[b] < problem.agent_cost[a]) | (
            (problem.agent_cost[b] == problem.agent_cost[a]) & (b < a)
        )
        cheap = np.where(swap, b, a)
        dear = np.where(swap, a, b)
        seats_a, seats_b = self.seats_a[np.newaxis, :], self.seats_b[np.newaxis, :]
        ca, cb = cheap[:, np.newaxis], dear[:, np.newaxis]
        cost = (
            problem.agent_cost[ca] * self.intervals_a[np.newaxis, :]
            + problem.agent_cost[cb] * self.intervals_b[np.newaxis, :]
            + problem.seat_cost[ca] * np.maximum(seats_a - problem.existing_seats[ca], 0)
            + problem.seat_cost[cb] * np.maximum(seats_b - problem.existing_seats[cb], 0)
        )
        fits = (seats_a <= problem.max_seats[ca]) & (seats_b <= problem.max_seats[cb])
        any_fit = fits.any(axis=1)
        big = np.iinfo(np.int64).max
        split = np.where(any_fit, np.where(fits, cost, big).min(axis=1), cost.min(axis=1))
        nearer_b = problem.room_rank[:, b] < problem.room_rank[:, a]  # (F, pairs); ties to a
        assignment = np.where(nearer_b, b, a).T
        posts = problem.agent_fte * self.pooled_intervals
        total = (
            problem.fixed_cost[a]
            + problem.fixed_cost[b]
            + split
            + problem.merge_cost
            + _transition_costs(problem, assignment, posts)
        )
        return total, any_fit & self._absorb_fits(a, b) & _commute_holds(problem, assignment)

    def _absorb_fits(self, a: IntArray, b: IntArray) -> BoolArray:
        problem = self.problem
        return (self.absorb_min <= problem.max_seats[a]) & (self.absorb_min <= problem.max_seats[b])

    def _by_force(self, a: IntArray, b: IntArray, mask: int) -> tuple[IntArray, BoolArray]:
        problem = self.problem
        other = problem.all_forces ^ mask
        peak_a, peak_b = int(self.group_peak[mask]), int(self.group_peak[other])
        seats_a, seats_b = max(peak_a, self.absorb_min), max(peak_b, self.absorb_min)
        at_a = np.array([(mask >> f) & 1 for f in range(problem.n_forces)], dtype=np.bool_)
        assignment = np.where(at_a[np.newaxis, :], a[:, np.newaxis], b[:, np.newaxis])
        intervals_a, intervals_b = self.group_intervals[mask], self.group_intervals[other]
        posts = problem.agent_fte * int(intervals_a + intervals_b)
        total = (
            problem.fixed_cost[a]
            + problem.fixed_cost[b]
            + problem.seat_cost[a] * np.maximum(seats_a - problem.existing_seats[a], 0)
            + problem.seat_cost[b] * np.maximum(seats_b - problem.existing_seats[b], 0)
            + problem.agent_cost[a] * intervals_a
            + problem.agent_cost[b] * intervals_b
            + problem.merge_cost
            + _transition_costs(problem, assignment, posts)
        )
        fits = (peak_a <= problem.max_seats[a]) & (peak_b <= problem.max_seats[b])
        ok = fits & self._absorb_fits(a, b) & _commute_holds(problem, assignment)
        return total, np.asarray(ok, dtype=np.bool_)

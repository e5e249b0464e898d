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
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations, product

import numpy as np
import numpy.typing as npt

from siteopt.problem import (
    Absorb,
    Fallback,
    ForceReach,
    PopulationCover,
    ProblemData,
    Routing,
    Separation,
    SiteFilter,
    StaffCommute,
    force_mask,
)

__all__ = ["CAPACITY", "Option", "best_options", "enumerate_options"]

IntArray = npt.NDArray[np.int64]

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


def best_options(problem: ProblemData, n: int = 10) -> list[Option]:
    """Return the best option of each site set, feasible ones first, cheapest first (top ``n``).

    The first is the proven optimum over one and two sites when it is feasible.
    """
    best: dict[tuple[int, ...], Option] = {}
    for option in enumerate_options(problem):
        kept = best.get(option.sites)
        if kept is None or _rank_key(option) < _rank_key(kept):
            best[option.sites] = option
    return sorted(best.values(), key=_rank_key)[:n]

"""CP-SAT model of the site, routing, staffing and seating choice (``docs/model.md``).

:func:`solve_cp_sat` finds the cheapest option with any number of open sites from ``k_min`` to
``k_max``; for one or two sites it reproduces :func:`siteopt.optimise.options.enumerate_options` to
the unit, because both price the same integers the same way:

- a single open room is staffed like one pooled queue, ``max(a[F, t], m)`` agents in each interval,
  whatever the routing (it is reported under ``problem.routings[0]``, as the enumerator does);
- **pooled**: each level ``v`` is staffed with exactly ``max(a[F, v], k m)`` agents over the ``k``
  open rooms (never more: extra agents would only change the transition surplus, and the
  enumerator never adds them), each open room keeps the minimum crew, seats bound agents, and each
  force's staff move to the open room nearest its current room (``room_rank``, ties to the lower
  site index);
- **by force**: ``z[j, G]`` picks the group of forces each open room answers; seats cover the
  group's peak;
- every named constraint adds itself
  (:meth:`~siteopt.optimise.constraints.Constraint.add_to_model`); seat floors and standby
  costs are priced from the constraints' own methods, as in the enumerator.

:func:`infeasible_core` guards each named constraint (and the building capacity,
:data:`~siteopt.optimise.options.CAPACITY`) with an enforcement literal and shrinks the solver's
core of assumptions to an irreducible conflicting set with a deletion filter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from siteopt.optimise.arrays import IntArray
from siteopt.optimise.constraints import (
    Constraint,
    ModelContext,
    SeparationForm,
    seat_floor,
    standby_cost,
)
from siteopt.optimise.constraints.base import weighted_sum
from siteopt.optimise.options import CAPACITY, Option, agent_unit
from siteopt.optimise.problem import ProblemData, Routing

Var = cp_model.IntVar


@dataclass(frozen=True)
class _Built:
    """The CP-SAT model, the variables the constraints see, and those only extraction reads.

    ``rows``: agents per interval of the room answering each group; ``nearest``: pooled
    nearest-room literals; ``guards``: enforcement literal of each named constraint (and of
    the capacity) when the model is built for an infeasibility core.
    """

    model: ModelContext
    rows: IntArray
    nearest: dict[tuple[int, int], Var]
    guards: dict[str, Var]
    pooled_groups: dict[tuple[int, int], Var]

    @property
    def cp(self) -> cp_model.CpModel:
        """The CP-SAT model."""
        return self.model.cp


def _group_rows(problem: ProblemData) -> IntArray:
    """Agents per interval of the room answering each group.

    The all-forces room is the pooled single room: it is only chosen with one open site, which the
    enumerator prices pooled.
    """
    single = problem.pooled_totals(1)[problem.level_of_interval]
    if not problem.dense_groups:  # pooled routing only: no group is ever chosen by force
        return np.array([single], dtype=np.int64)
    rows = np.array(problem.group_agents, dtype=np.int64)
    rows[problem.all_forces] = single
    return rows


def _dot(variables: Sequence[Var], coefficients: Iterable[int] | IntArray) -> cp_model.LinearExpr:
    return weighted_sum(variables, coefficients)


def _build_model(
    problem: ProblemData,
    constraints: tuple[Constraint, ...],
    *,
    guarded: bool,
    separation: SeparationForm,
    capacity: bool = True,
    size_bounds: Mapping[int, int | None] | None = None,
    below: int | None = None,
) -> _Built:
    """Variables, structure, constraints and (unless ``guarded``) the objective.

    The two routings are disaggregated (a site is open pooled or open by force, and the number of
    open sites is chosen per routing) so that the LP relaxation prices each routing with its own
    staffing instead of a big-M mix.
    """
    cp = cp_model.CpModel()
    sites = range(problem.n_sites)
    rows = _group_rows(problem)
    sizes = range(problem.k_min, problem.k_max + 1)
    seat_top = max(
        int(problem.max_seats.max(initial=0)),
        int(rows.max()),
        int(problem.pooled_totals(problem.k_max).max()),
        *(seat_floor(constraints, problem, k) for k in sizes),
    )
    pooled_count, force_count = _count_literals(problem, cp)
    counts = [*pooled_count.values(), *force_count.values()]
    if counts:
        cp.add_exactly_one(counts)
    else:
        cp.add_bool_or([])  # no number of open sites is possible
    one_open = pooled_count.get(1, force_count.get(1))

    pooled_open = _open_literals(cp, problem.n_sites, "pooled_open", pooled_count)
    force_open = _open_literals(cp, problem.n_sites, "force_open", force_count)
    if pooled_open and force_open:
        open_ = [cp.new_bool_var(f"open[{j}]") for j in sites]
        for j in sites:
            cp.add(open_[j] == pooled_open[j] + force_open[j])
    else:
        open_ = pooled_open or force_open or [cp.new_bool_var(f"open[{j}]") for j in sites]

    seats = [cp.new_int_var(0, seat_top, f"seats[{j}]") for j in sites]
    for j in sites:
        cp.add(seats[j] <= seat_top * open_[j])
    groups = _add_by_force(
        problem, cp, rows=rows, force_open=force_open, count=force_count, seats=seats
    )
    agents, nearest = _add_pooled(
        problem, cp, pooled_open=pooled_open, count=pooled_count, seats=seats
    )
    assign_terms = [(var, f, j) for (f, j), var in nearest.items()]
    for (j, mask), var in groups.items():
        assign_terms.extend((var, f, j) for f in range(problem.n_forces) if mask >> f & 1)

    guards: dict[str, Var] = {}
    if guarded:
        names = [*dict.fromkeys(c.name for c in constraints), CAPACITY]
        guards = {name: cp.new_bool_var(f"guard[{name}]") for name in names}
    if capacity or guarded:
        enforce = [guards[CAPACITY]] if guarded else []
        for j in sites:
            cp.add(seats[j] <= int(problem.max_seats[j]) * open_[j]).only_enforce_if(enforce)
    model = ModelContext(
        cp=cp,
        open_=open_,
        pooled_open=pooled_open,
        pooled_count=pooled_count,
        force_count=force_count,
        one_open=one_open,
        groups=groups,
        agents=agents,
        seats=seats,
        assign_terms=assign_terms,
        separation=separation,
    )
    for c in constraints:
        c.add_to_model(problem, model, [guards[c.name]] if guarded else [])

    pooled_groups = _add_pooled_groups(problem, cp, nearest) if problem.has_functions else {}
    built = _Built(
        model=model, rows=rows, nearest=nearest, guards=guards, pooled_groups=pooled_groups
    )
    if not guarded:
        objective = _objective(problem, constraints, built, seat_top=seat_top)
        cp.minimize(objective)
        if size_bounds is not None:
            _add_size_bounds(built, objective, size_bounds)
        if below is not None:
            cp.add(objective <= below - 1)
    return built


def _add_size_bounds(
    built: _Built, objective: cp_model.LinearExprT, bounds: Mapping[int, int | None]
) -> None:
    """``cost >= Σ_k bound[k] · count[k]``; sizes without a feasible option are closed."""
    cp = built.cp
    terms: list[tuple[Var, int]] = []
    for count in (built.model.pooled_count, built.model.force_count):
        for k, var in count.items():
            if k not in bounds:
                continue
            bound = bounds[k]
            if bound is None:
                cp.add(var == 0)
            else:
                terms.append((var, bound))
    if terms:
        cp.add(objective >= _dot([v for v, _ in terms], [b for _, b in terms]))


def _count_literals(
    problem: ProblemData, cp: cp_model.CpModel
) -> tuple[dict[int, Var], dict[int, Var]]:
    """``count[k]``: exactly ``k`` sites open, pooled and by force.

    One open site is counted as pooled when pooled routing is allowed (both routings are the same
    option then); by force, each open room answers at least one force.
    """
    top = min(problem.k_max, problem.n_sites)
    pooled: dict[int, Var] = {}
    by_force: dict[int, Var] = {}
    if "pooled" in problem.routings:
        pooled = {k: cp.new_bool_var(f"pooled_count[{k}]") for k in range(problem.k_min, top + 1)}
    if "by_force" in problem.routings:
        low = max(problem.k_min, 2 if pooled else 1)
        high = min(top, problem.n_forces)
        by_force = {k: cp.new_bool_var(f"force_count[{k}]") for k in range(low, high + 1)}
    return pooled, by_force


def _open_literals(
    cp: cp_model.CpModel, n_sites: int, name: str, count: dict[int, Var]
) -> list[Var]:
    """Open-site literals of one routing, as many open as its count says."""
    if not count:
        return []
    literals = [cp.new_bool_var(f"{name}[{j}]") for j in range(n_sites)]
    cp.add(sum(literals) == _dot(list(count.values()), count))
    return literals


def _add_by_force(
    problem: ProblemData,
    cp: cp_model.CpModel,
    *,
    rows: IntArray,
    force_open: list[Var],
    count: dict[int, Var],
    seats: list[Var],
) -> dict[tuple[int, int], Var]:
    """``z[j, G]``: room ``j`` answers group ``G``; one group per open room, one room per force.

    The all-forces group is only possible with one open site, which is priced pooled when pooled
    routing is allowed, so it is left out then.
    """
    if not force_open:
        return {}
    top = problem.all_forces if 1 in count else problem.all_forces - 1
    masks = range(1, top + 1)
    groups = {
        (j, mask): cp.new_bool_var(f"group[{j},{mask}]")
        for j in range(problem.n_sites)
        for mask in masks
    }
    peaks = rows.max(axis=1)
    serving = sum(count.values())
    for j in range(problem.n_sites):
        chosen = [groups[j, mask] for mask in masks]
        cp.add(sum(chosen) == force_open[j])
        cp.add(seats[j] >= _dot(chosen, [peaks[mask] for mask in masks]))
    for f in range(problem.n_forces):
        cp.add(sum(var for (_, mask), var in groups.items() if mask >> f & 1) == serving)
    return groups


def _add_pooled(
    problem: ProblemData,
    cp: cp_model.CpModel,
    *,
    pooled_open: list[Var],
    count: dict[int, Var],
    seats: list[Var],
) -> tuple[dict[tuple[int, int], Var], dict[tuple[int, int], Var]]:
    """``n[j, v]`` agents of room ``j`` at level ``v``, and ``x[f, j]`` nearest open room.

    Each level is staffed with exactly ``max(a[F, v], k m)`` agents over the ``k`` open rooms.
    """
    if not pooled_open:
        return {}, {}
    n_sites, m = problem.n_sites, problem.min_crew
    k_values = list(count)
    totals = np.stack([problem.pooled_totals(k) for k in k_values])  # (K, V)
    room_top = (totals - m * (np.array(k_values)[:, None] - 1)).max(axis=0)
    agents = {
        (j, v): cp.new_int_var(0, int(room_top[v]), f"agents[{j},{v}]")
        for j in range(n_sites)
        for v in range(len(problem.pooled_levels))
    }
    for v in range(len(problem.pooled_levels)):
        level = [agents[j, v] for j in range(n_sites)]
        cp.add(sum(level) == _dot([count[k] for k in k_values], totals[:, v]))
        for j in range(n_sites):
            cp.add(agents[j, v] >= m * pooled_open[j])
            cp.add(agents[j, v] <= int(room_top[v]) * pooled_open[j])
            cp.add(agents[j, v] <= seats[j])
    serving = sum(count.values())
    nearest = {
        (f, j): cp.new_bool_var(f"nearest[{f},{j}]")
        for f in range(problem.n_forces)
        for j in range(n_sites)
    }
    for f in range(problem.n_forces):
        cp.add(sum(nearest[f, j] for j in range(n_sites)) == serving)
        order = sorted(range(n_sites), key=lambda j: (int(problem.room_rank[f, j]), j))
        for position, j in enumerate(order):
            cp.add_implication(nearest[f, j], pooled_open[j])
            cp.add(sum(nearest[f, jj] for jj in order[: position + 1]) >= pooled_open[j])
    return agents, nearest


def _add_pooled_groups(
    problem: ProblemData, cp: cp_model.CpModel, nearest: dict[tuple[int, int], Var]
) -> dict[tuple[int, int], Var]:
    """``y[j, G]``: pooled room ``j``'s staff and dispatch are those of exactly the forces ``G``.

    One group per site (the empty group for a closed room or a room no force is nearest to);
    force ``f`` is in site ``j``'s group exactly when ``j`` is its nearest open room. Only
    built when the non-call functions are priced (their cost depends on the group).
    """
    if not nearest:
        return {}
    masks = range(problem.all_forces + 1)
    groups = {
        (j, mask): cp.new_bool_var(f"pooled_group[{j},{mask}]")
        for j in range(problem.n_sites)
        for mask in masks
    }
    for j in range(problem.n_sites):
        cp.add_exactly_one(groups[j, mask] for mask in masks)
        for f in range(problem.n_forces):
            cp.add(sum(groups[j, mask] for mask in masks if mask >> f & 1) == nearest[f, j])
    return groups


def _functions_terms(
    problem: ProblemData, built: _Built
) -> tuple[cp_model.LinearExpr, cp_model.LinearExpr]:
    """Cost and FTE units of the non-call functions' room posts and force groups (0 without)."""
    if problem.post_cost is None or problem.post_fte is None:
        return _dot([], []), _dot([], [])
    assert problem.group_cost is not None and problem.group_fte is not None
    keyed = [*built.model.groups.items(), *built.pooled_groups.items()]
    keyed = [(key, var) for key, var in keyed if key[1]]
    variables = [var for _, var in keyed]
    cost = _dot(built.model.open_, problem.post_cost) + _dot(
        variables, [problem.group_cost[j, g] for (j, g), _ in keyed]
    )
    fte = _dot(built.model.open_, problem.post_fte) + _dot(
        variables, [problem.group_fte[j, g] for (j, g), _ in keyed]
    )
    return cost, fte


def _objective(
    problem: ProblemData,
    constraints: tuple[Constraint, ...],
    built: _Built,
    *,
    seat_top: int,
) -> cp_model.LinearExprT:
    """Total cost a year: the terms of :class:`~siteopt.optimise.options.Option` ``costs``."""
    cp, sites = built.cp, range(problem.n_sites)
    new_seats = [cp.new_int_var(0, seat_top, f"new_seats[{j}]") for j in sites]
    for j in sites:
        cp.add(new_seats[j] >= built.model.seats[j] - int(problem.existing_seats[j]))
    row_sums = built.rows.sum(axis=1)
    group_keys = list(built.model.groups)
    group_vars = [built.model.groups[k] for k in group_keys]
    agent_keys = list(built.model.agents)
    agent_vars = [built.model.agents[k] for k in agent_keys]
    weights = problem.level_weights
    agent_intervals = _dot(group_vars, [row_sums[g] for _, g in group_keys]) + _dot(
        agent_vars, [weights[v] for _, v in agent_keys]
    )
    unit = agent_unit(problem)
    staff = _dot(group_vars, [unit[j] * row_sums[g] for j, g in group_keys]) + _dot(
        agent_vars, [unit[j] * weights[v] for j, v in agent_keys]
    )
    function_cost, function_fte = _functions_terms(problem, built)

    assign_vars = [var for var, _, _ in built.model.assign_terms]
    stayers = _dot(assign_vars, [problem.stay[f, j] for _, f, j in built.model.assign_terms])
    moving = _dot(assign_vars, [problem.move_cost[f, j] for _, f, j in built.model.assign_terms])
    per_agent = problem.agent_fte + problem.agent_extra_fte
    posts = per_agent * agent_intervals + function_fte
    posts_top = per_agent * seat_top * len(problem.level_of_interval) * problem.k_max
    if problem.post_fte is not None and problem.group_fte is not None:
        posts_top += problem.k_max * int(problem.post_fte.max() + problem.group_fte.max())
    surplus = cp.new_int_var(0, int(problem.stay.max(axis=1).sum()), "surplus")
    recruits = cp.new_int_var(0, posts_top, "recruits")
    cp.add(surplus >= stayers - posts)
    cp.add(recruits >= posts - stayers)
    transition = moving + problem.redundancy_cost * surplus + problem.recruit_cost * recruits
    # Standby: what each number of open rooms pays (the fallback room with one).
    counts = [*built.model.pooled_count.items(), *built.model.force_count.items()]
    standby = [(var, standby_cost(constraints, problem, k)) for k, var in counts]
    standby = [(var, cost) for var, cost in standby if cost]
    return (
        _dot(built.model.open_, problem.fixed_cost)
        + _dot(new_seats, problem.seat_cost)
        + staff
        + function_cost
        + problem.merge_cost
        + _dot([var for var, _ in standby], [cost for _, cost in standby])
        + transition
    )


def _add_hint(problem: ProblemData, built: _Built, hint: Option) -> None:
    """Hint every decision of a known option (a partial or inconsistent hint is only a hint)."""
    cp = built.cp
    k = len(hint.sites)
    pooled = hint.routing == "pooled" or (k == 1 and bool(built.model.pooled_count))
    for j, var in enumerate(built.model.open_):
        cp.add_hint(var, j in hint.sites)
        cp.add_hint(
            built.model.seats[j], int(hint.seats[hint.sites.index(j)]) if j in hint.sites else 0
        )
    for count, active in (
        (built.model.pooled_count, pooled),
        (built.model.force_count, not pooled),
    ):
        for kk, var in count.items():
            cp.add_hint(var, active and kk == k)
    masks = {j: sum(1 << f for f, s in enumerate(hint.assignment) if s == j) for j in hint.sites}
    for (j, mask), var in built.model.groups.items():
        cp.add_hint(var, not pooled and masks.get(j) == mask)
    first = {
        v: int(np.argmax(problem.level_of_interval == v)) for v in range(len(problem.pooled_levels))
    }
    for (j, v), var in built.model.agents.items():
        on = pooled and j in hint.sites
        cp.add_hint(var, int(hint.agents[hint.sites.index(j), first[v]]) if on else 0)
    for (f, j), var in built.nearest.items():
        cp.add_hint(var, pooled and hint.assignment[f] == j)


def _extract_option(
    problem: ProblemData,
    constraints: tuple[Constraint, ...],
    built: _Built,
    solver: cp_model.CpSolver,
) -> Option:
    """The option of the solver's solution, priced from its values like the enumerator."""
    sites = tuple(j for j, var in enumerate(built.model.open_) if solver.boolean_value(var))
    pooled = any(solver.boolean_value(var) for var in built.model.pooled_count.values())
    routing: Routing = (
        problem.routings[0] if len(sites) == 1 else ("pooled" if pooled else "by_force")
    )
    goes_to = {(f, j) for var, f, j in built.model.assign_terms if solver.boolean_value(var)}
    assignment = tuple(next(j for j in sites if (f, j) in goes_to) for f in range(problem.n_forces))
    if pooled:
        levels = range(len(problem.pooled_levels))
        per_level = np.array(
            [[solver.value(built.model.agents[j, v]) for v in levels] for j in sites],
            dtype=np.int64,
        )
        agents = per_level[:, problem.level_of_interval]
    else:
        chosen = {j: g for (j, g), var in built.model.groups.items() if solver.boolean_value(var)}
        agents = np.stack([built.rows[chosen[j]] for j in sites])
    agents.setflags(write=False)
    floor = seat_floor(constraints, problem, len(sites))
    seats = tuple(max(int(row.max()), floor) for row in agents)
    return Option(
        sites=sites,
        routing=routing,
        assignment=assignment,
        seats=seats,
        agents=agents,
        costs=_option_costs(
            problem,
            constraints=constraints,
            sites=sites,
            assignment=assignment,
            agents=agents,
            seats=seats,
        ),
        failed=(),
    )


def _option_costs(
    problem: ProblemData,
    *,
    constraints: tuple[Constraint, ...],
    sites: tuple[int, ...],
    assignment: tuple[int, ...],
    agents: IntArray,
    seats: tuple[int, ...],
) -> dict[str, int]:
    """Cost components of an option, term by term as :mod:`siteopt.optimise.options` prices them."""
    open_ = np.asarray(sites)
    forces = np.arange(problem.n_forces)
    moved = np.asarray(assignment)
    new_seats = np.maximum(np.asarray(seats) - problem.existing_seats[open_], 0)
    posts = problem.agent_fte * int(agents.sum())
    groups = [sum(1 << f for f, j in enumerate(assignment) if j == site) for site in sites]
    function_cost, function_fte = problem.functions_priced(
        sites, groups, [int(n) for n in agents.sum(axis=1)]
    )
    posts += function_fte
    stayers = int(problem.stay[forces, moved].sum())
    functions = {"functions": function_cost} if problem.has_functions else {}
    return {
        "sites": int(problem.fixed_cost[open_].sum()),
        "seats": int((problem.seat_cost[open_] * new_seats).sum()),
        "staff": int((problem.agent_cost[open_] * agents.sum(axis=1)).sum()),
        "merge": problem.merge_cost,
        "standby": standby_cost(constraints, problem, len(sites)),
        "transition": int(problem.move_cost[forces, moved].sum())
        + problem.redundancy_cost * max(0, stayers - posts)
        + problem.recruit_cost * max(0, posts - stayers),
        **functions,
    }

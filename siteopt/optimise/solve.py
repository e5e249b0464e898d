"""Solve an instance: problem data → exact optimum → :class:`~siteopt.optimise.result.Result`.

``method = "enumerate"`` prices every one- and two-site option: for ``k_max ≤ 2`` that is the
proof (every option is priced exactly, so the cheapest feasible one is optimal).
``method = "cp-sat"`` proves the optimum with CP-SAT for any ``k`` and uses the enumeration to
rank the alternatives; for ``k_max ≤ 2`` it doubles as a cross-check of the enumeration
(``SolverStatistics.enumeration_agrees``). ``method = "auto"`` (the default) enumerates when
``k_max ≤ 2`` and uses CP-SAT beyond. When no option meets every constraint,
:func:`explain_infeasibility` names the smallest set of constraints that conflict and how far
each would have to move.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Literal, cast

import numpy as np

from siteopt.errors import ArgumentError, InstanceError
from siteopt.network.sources import commute_network, load_network
from siteopt.optimise.appraise import appraise_options
from siteopt.optimise.arrays import frozen_int
from siteopt.optimise.build import problem_from_instance, travel_inputs
from siteopt.optimise.option import CAPACITY
from siteopt.optimise.options import Option, OptionTable, best_options, option_table
from siteopt.optimise.problem import MONEY_UNITS_PER_GBP, ProblemData
from siteopt.optimise.result import (
    Infeasibility,
    Relaxation,
    Result,
    SizeRecord,
    SolverStatistics,
)
from siteopt.optimise.solution import (
    ConstraintResult,
    baseline_costs,
    constraint_results,
    cost_surface,
    gbp,
    option_summary,
    solution_from_option,
)
from siteopt.status import Status

if TYPE_CHECKING:
    from siteopt.instance.schema import Instance
    from siteopt.optimise.build import TravelInputs
    from siteopt.optimise.result import SettledBy
    from siteopt.queueing.fte import StaffingTable

__all__ = [
    "baseline_instance",
    "baseline_problem",
    "explain_infeasibility",
    "solve",
    "why_not",
]


Method = Literal["auto", "cp-sat", "enumerate"]


#: The methods :func:`solve` takes.
METHODS: tuple[Method, ...] = ("auto", "cp-sat", "enumerate")


def _without(problem: ProblemData, names: set[str]) -> ProblemData:
    return replace(
        problem, constraints=tuple(c for c in problem.constraints if c.name not in names)
    )


def _feasible_best(problem: ProblemData, time_limit_s: float) -> Option | None:
    """The proven cheapest feasible option, or None when there is none (or none found in time)."""
    if problem.k_max <= 2:
        ranked = best_options(problem, n=1)
        return ranked[0] if ranked and ranked[0].feasible else None
    from siteopt.optimise.search import solve_by_size  # noqa: PLC0415 (lazy: pulls in ortools)

    result, _ = solve_by_size(problem, time_limit_s=time_limit_s)
    return result.option


def explain_infeasibility(problem: ProblemData, *, time_limit_s: float = 60.0) -> Infeasibility:
    """Return a minimal conflicting set of constraints and what relaxing each one would take.

    One or two sites: a deletion filter over the enumeration (each constraint is dropped in
    turn; if the rest is still infeasible it is left out for good). More sites: CP-SAT's core of
    assumptions, shrunk by the same filter (:func:`siteopt.optimise.search.infeasible_core`). What
    remains is minimal: removing any one member makes the problem feasible. For each member the
    cheapest option without it, and its value against the member's limit ("how far it would have to
    move"), are reported.
    """
    names = [c.name for c in problem.constraints]
    if problem.k_max <= 2:
        kept = list(names)
        for name in names:
            trial = [n for n in kept if n != name]
            if _feasible_best(_without(problem, set(names) - set(trial)), time_limit_s) is None:
                kept = trial
    else:
        from siteopt.optimise.search import infeasible_core  # noqa: PLC0415 (lazy: pulls in ortools)

        kept = [n for n in infeasible_core(problem, time_limit_s=time_limit_s) if n in names]
    relaxations = []
    capacity = _capacity_relaxation(problem, time_limit_s) if CAPACITY in kept or not kept else None
    if capacity is not None:  # seats or staffing, not a named constraint, stand in the way
        kept = [n for n in kept if n != CAPACITY]
        relaxations.append(capacity)
    for name in kept:
        best = _feasible_best(_without(problem, {name}), time_limit_s)
        if best is None:  # a minimal conflict always frees; only a time-out lands here
            continue
        shown = replace(best, failed=(name,))
        result = next(r for r in constraint_results(problem, shown) if r.name == name)
        relaxations.append(_relaxation(problem, name, best, result))
    conflict = (*kept, CAPACITY) if capacity is not None else tuple(kept)
    return Infeasibility(conflict, tuple(relaxations))


def _capacity_relaxation(problem: ProblemData, time_limit_s: float) -> Relaxation | None:
    """What room for every agent would buy, when seats (``max_seats``) stand in the way.

    The relaxed problem lets every candidate seat the busiest hour of all forces (or the minimum
    crew); its cheapest option shows at which site, and by how many seats, the capacity falls
    short. ``None`` when more seats would not make the problem feasible.
    """
    peak = int(problem.group_agents[-1].max())
    roomy = replace(
        problem, max_seats=frozen_int(np.maximum(problem.max_seats, max(peak, problem.min_crew)))
    )
    best = _feasible_best(roomy, time_limit_s)
    if best is None:
        return None
    over = [int(best.seats[i]) - int(problem.max_seats[j]) for i, j in enumerate(best.sites)]
    i = int(np.argmax(over))
    j = best.sites[i]
    detail = (
        f"seats needed at {problem.site_ids[j]} (max_seats; the busiest hour of all forces needs "
        f"{peak:,} agents, min_positions_per_site is {problem.min_crew:,} a room)"
    )
    return Relaxation(
        constraint=CAPACITY,
        best_sites=tuple(problem.site_ids[k] for k in best.sites),
        best_total_gbp=round(best.total / MONEY_UNITS_PER_GBP, 2),
        value=float(best.seats[i]),
        limit=float(problem.max_seats[j]),
        detail=detail,
    )


def why_not(problem: ProblemData, best: Option, *, time_limit_s: float) -> tuple[Relaxation, ...]:
    """Return, per binding constraint, the cheapest plan only it rules out and its value.

    For each constraint the cheapest option meeting every *other* constraint; when that is
    cheaper than ``best`` it must break this one (else ``best`` would not be optimal), and
    relaxing the constraint to its value would save the difference. Constraints whose removal
    saves nothing are not listed. One or two sites only (the enumeration); ``()`` beyond.
    """
    if problem.k_max > 2:
        return ()
    out = []
    for constraint in problem.constraints:
        other = _feasible_best(_without(problem, {constraint.name}), time_limit_s)
        if other is None or other.total >= best.total:
            continue
        shown = replace(other, failed=(constraint.name,))
        result = next(r for r in constraint_results(problem, shown) if r.name == constraint.name)
        out.append(_relaxation(problem, constraint.name, other, result))
    return tuple(sorted(out, key=lambda r: r.best_total_gbp))


def _relaxation(
    problem: ProblemData, name: str, best: Option, result: ConstraintResult
) -> Relaxation:

    return Relaxation(
        constraint=name,
        best_sites=tuple(problem.site_ids[j] for j in best.sites),
        best_total_gbp=round(best.total / MONEY_UNITS_PER_GBP, 2),
        value=result.value,
        limit=result.limit,
        detail=result.detail,
    )


def solve(
    instance: Instance,
    *,
    method: str | None = None,
    time_limit: float | None = None,
    problem: ProblemData | None = None,
    baseline: ProblemData | None = None,
    travel_note: str | None = None,
    explain: bool = True,
    decision: bool = False,
) -> Result:
    """Solve an instance: the cheapest plan meeting every constraint, or why none exists.

    Parameters
    ----------
    instance
        The validated instance (:func:`~siteopt.instance.loading.load_instance`).
    method
        ``"auto"`` (enumeration for one or two sites, CP-SAT beyond), ``"cp-sat"`` (any number
        of sites; for one or two it cross-checks the enumeration) or ``"enumerate"`` (one or two
        sites); default: the instance's ``[solver] method``.
    time_limit
        Seconds the solver may take; default: the instance's ``[solver] time_limit_s``. A run
        stopped by it is ``FEASIBLE`` (with its gap) or ``UNKNOWN``, never a false proof.
    problem, baseline, travel_note
        Built from ``instance`` already (a sweep shares them): its problem data, the data that
        prices today's rooms (:func:`baseline_problem`) and its network's provenance line.
    explain
        Also answer "why not cheaper?" (:func:`why_not`, ``Result.why_not``); a sweep, which
        keeps only the costs, turns it off.
    decision
        Also compute the switching values and the robustness to drive-time error
        (:func:`~siteopt.optimise.decision.with_decision_analysis`: seconds, not milliseconds;
        ``siteopt solve --out`` turns it on).

    Returns
    -------
    Result
        Status, the chosen plan (``None`` when nothing was found), the explanation when
        infeasible, solver statistics, today's cost and the ranked alternatives.

    Raises
    ------
    ArgumentError
        If ``method`` or ``time_limit`` is not one the solver takes.
    InstanceError
        If the enumeration is asked for more than two sites.
    """
    chosen = _method(method if method is not None else instance.solver.method)
    if chosen == "auto":
        chosen = "enumerate" if instance.solver.k_max <= 2 else "cp-sat"
    limit = _time_limit(time_limit if time_limit is not None else instance.solver.time_limit_s)
    if problem is None:
        inputs = travel_inputs(instance)  # built once: the problem and the note share it
        problem = problem_from_instance(instance, travel=inputs)
        travel_note = travel_note if travel_note is not None else inputs.note
    travel = travel_note if travel_note is not None else _travel_note(instance)
    started = time.perf_counter()
    # The enumeration ranks the best site sets only: without a table best_options prices just
    # the pairs that can reach them (thousands of candidates); CP-SAT is hinted from the table.
    table = option_table(problem) if problem.k_min <= 2 and chosen != "enumerate" else None
    ranked = (
        best_options(problem, n=instance.solver.options_to_rank + 1, table=table)
        if problem.k_min <= 2
        else []
    )
    if chosen == "enumerate":
        if problem.k_max > 2:
            msg = f"enumeration covers one or two sites, k_max is {problem.k_max}: use 'cp-sat'"
            raise InstanceError(instance.file, "solver.method", msg)
        best = ranked[0] if ranked and ranked[0].feasible else None
        status = Status.OPTIMAL if best is not None else Status.INFEASIBLE
        bound = best.total if best is not None else None
        statistics = SolverStatistics(
            name="enumeration",
            wall_s=round(time.perf_counter() - started, 4),
            site_sets_priced=_site_sets(problem),
        )
    else:
        best, status, bound, statistics = _solve_cp_sat(problem, ranked, table, limit)
        statistics = replace(statistics, wall_s=round(time.perf_counter() - started, 4))
    base = baseline_costs(
        baseline if baseline is not None else baseline_problem(instance, problem), instance
    )
    alternatives = [o for o in ranked if best is None or o.sites != best.sites]
    summaries = tuple(
        option_summary(problem, o) for o in alternatives[: instance.solver.options_to_rank]
    )
    solution = (
        solution_from_option(problem, instance, best, baseline=base) if best is not None else None
    )
    baseline_gbp = {k: gbp(v) for k, v in base.items()}
    result = Result(
        instance_name=instance.name,
        status=status,
        solution=solution,
        best_bound_gbp=gbp(bound) if bound is not None else None,
        infeasibility=(
            explain_infeasibility(problem, time_limit_s=limit)
            if status is Status.INFEASIBLE
            else None
        ),
        statistics=statistics,
        baseline_gbp=gbp(sum(base.values())),
        baseline_costs=baseline_gbp,
        alternatives=summaries,
        travel_times=travel,
        cost_surface=cost_surface(problem, instance) if instance.greenfield_sites else (),
        why_not=(
            why_not(problem, best, time_limit_s=limit)
            if explain and best is not None and status is Status.OPTIMAL
            else ()
        ),
        appraisal=(
            appraise_options(
                instance,
                baseline_gbp,
                [(solution.site_ids, solution.costs)]
                + [(o.sites, o.costs) for o in summaries if o.feasible],
            )
            if solution is not None
            else ()
        ),
        instance=instance,
        problem=problem,
    )
    if not decision:
        return result
    from siteopt.optimise.decision import with_decision_analysis  # noqa: PLC0415 (lazy: only when asked)

    return with_decision_analysis(result)


def _method(method: str) -> Method:
    for known in METHODS:
        if method == known:
            return known
    raise ArgumentError("method", f"expected auto, cp-sat or enumerate, got {method!r}")


def _time_limit(seconds: float) -> float:
    if isinstance(seconds, bool) or not (math.isfinite(seconds) and seconds > 0):
        raise ArgumentError("time_limit", f"expected seconds > 0, got {seconds!r}")
    return float(seconds)


def _site_sets(problem: ProblemData) -> int:
    """How many sets of one or two open sites the enumeration prices."""
    return sum(math.comb(problem.n_sites, k) for k in range(problem.k_min, problem.k_max + 1))


#: Up to this many candidates (and two sites), one CP-SAT model proves the optimum on its own in
#: about a second and the enumeration cross-checks it; beyond, sizes are settled one by one.
MONOLITHIC_SITES = 64


def _solve_cp_sat(
    problem: ProblemData, ranked: list[Option], table: OptionTable | None, limit: float
) -> tuple[Option | None, Status, int | None, SolverStatistics]:
    """Best option, status, bound and statistics of the ``cp-sat`` method (wall time to add)."""
    from siteopt.optimise.search import solve_by_size, solve_cp_sat  # noqa: PLC0415 (lazy: pulls in ortools)

    enumerated = ranked[0] if ranked and ranked[0].feasible else None
    if problem.k_max <= 2 and problem.n_sites <= MONOLITHIC_SITES:
        result = solve_cp_sat(problem, time_limit_s=limit, hint=enumerated)
        if result.status.proven:
            statistics = SolverStatistics(
                name="cp-sat",
                wall_s=0.0,
                cp_sat_s=round(result.wall_s, 4),
                gap=result.gap,
                enumeration_agrees=(enumerated.total if enumerated else None) == result.objective,
            )
            return result.option, result.status, result.best_bound, statistics
        # the time limit stopped CP-SAT first: the enumeration, exact for one or two sites,
        # settles every size instead (size by size, below)
    if problem.dense_groups:
        result, parts = solve_by_size(problem, time_limit_s=limit, table=table)
    else:  # many forces, pooled: relaxation bound and local search per size (national)
        from siteopt.optimise.national import solve_pooled_by_size  # noqa: PLC0415 (lazy: pulls in scipy)

        result, parts = solve_pooled_by_size(problem, time_limit_s=limit, table=table)
    statistics = SolverStatistics(
        name="cp-sat by size",
        wall_s=0.0,
        gap=result.gap,
        sizes=tuple(
            SizeRecord(
                p.k,
                cast("SettledBy", p.how),
                p.proved,
                p.bound,
                cost=p.option.total if p.option is not None else None,
                sites=tuple(problem.site_ids[j] for j in p.option.sites) if p.option else (),
            )
            for p in parts
        ),
    )
    return result.option, result.status, result.best_bound, statistics


def baseline_problem(
    instance: Instance,
    problem: ProblemData,
    *,
    travel: TravelInputs | None = None,
    staffing_table: StaffingTable | None = None,
) -> ProblemData:
    """Problem data that prices today's rooms: ``problem`` itself when they are all candidates.

    A what-if may exclude a current room from the candidates ("Kempston is not available");
    today's cost is still today's, so it is priced on data built for the rooms alone
    (``travel`` and ``staffing_table``, when given, are that data's shared inputs).
    """
    rooms = sorted({force.current_site for force in instance.forces.values()})
    if all(room in problem.site_ids for room in rooms):
        return problem
    variant = baseline_instance(instance)
    return problem_from_instance(variant, travel=travel, staffing_table=staffing_table)


def baseline_instance(instance: Instance) -> Instance:
    """The instance :func:`baseline_problem` prices today's rooms on (rooms as the candidates)."""
    rooms = sorted({force.current_site for force in instance.forces.values()})
    sites = instance.sites.model_copy(update={"candidates": rooms, "exclude": []})
    solver = instance.solver.model_copy(update={"k_min": 1, "k_max": 1})
    variant = instance.model_copy(update={"sites": sites, "solver": solver, "constraints": {}})
    variant._greenfield = ()
    return variant


def _travel_note(instance: Instance) -> str:
    """The network's provenance, and the congestion of staff commutes when the instance sets it."""
    return commute_network(instance, load_network(instance)).provenance

"""Solve an instance: problem data → exact optimum → solution, or why none exists.

``method = "enumerate"`` prices every one- and two-site option (exact for ``k_max ≤ 2``);
``method = "cp-sat"`` proves the optimum with CP-SAT for any ``k`` and uses the enumeration to
rank the alternatives. When no option meets every constraint, :func:`explain_infeasibility`
names the smallest set of constraints that conflict and how far each would have to move.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from siteopt.errors import InstanceError
from siteopt.network.sources import load_network
from siteopt.optimise.build import problem_from_instance
from siteopt.optimise.options import Option, OptionTable, best_options, option_table
from siteopt.optimise.problem import MONEY_UNITS_PER_GBP, ProblemData
from siteopt.optimise.solution import (
    ConstraintResult,
    Solution,
    constraint_results,
    cost_surface,
    solution_from_option,
)

if TYPE_CHECKING:
    from siteopt.instance.schema import Instance
    from siteopt.optimise.build import TravelInputs
    from siteopt.queueing.fte import StaffingTable

__all__ = [
    "Infeasibility",
    "baseline_instance",
    "baseline_problem",
    "explain_infeasibility",
    "solve_instance",
]


Method = Literal["cp-sat", "enumerate"]


@dataclass(frozen=True)
class Relaxation:
    """What dropping one constraint of the conflict would buy."""

    constraint: str
    best_sites: tuple[str, ...]
    best_total_gbp: float
    value: float | None
    limit: float | None
    detail: str


@dataclass(frozen=True)
class Infeasibility:
    """The smallest set of constraints that cannot hold together, and what relaxing each buys."""

    conflict: tuple[str, ...]
    relaxations: tuple[Relaxation, ...]


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
    for name in kept:
        best = _feasible_best(_without(problem, {name}), time_limit_s)
        if best is None:  # a minimal conflict always frees; only a time-out lands here
            continue
        shown = replace(best, failed=(name,))
        result = next(r for r in constraint_results(problem, shown) if r.name == name)
        relaxations.append(_relaxation(problem, name, best, result))
    return Infeasibility(tuple(kept), tuple(relaxations))


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


def solve_instance(
    instance: Instance,
    *,
    method: Method | None = None,
    time_limit_s: float | None = None,
    problem: ProblemData | None = None,
    baseline: ProblemData | None = None,
    travel_note: str | None = None,
) -> tuple[Solution, Infeasibility | None]:
    """Solve an instance; return the solution and, when infeasible, the explanation.

    ``problem`` and ``baseline`` (today's rooms, see :func:`baseline_problem`), when given, must
    have been built from ``instance``, and ``travel_note`` is its network's provenance; a sweep
    passes them built from shared travel matrices.
    """
    method = method or instance.solver.method
    limit = time_limit_s if time_limit_s is not None else instance.solver.time_limit_s
    if problem is None:
        problem = problem_from_instance(instance)
    travel = travel_note if travel_note is not None else _travel_note(instance)
    started = time.perf_counter()
    table = option_table(problem) if problem.k_min <= 2 else None
    ranked = (
        best_options(problem, n=instance.solver.options_to_rank + 1, table=table)
        if table is not None
        else []
    )
    if method == "enumerate":
        if problem.k_max > 2:
            msg = f"enumeration covers one or two sites, k_max is {problem.k_max}: use 'cp-sat'"
            raise InstanceError(instance.file, "solver.method", msg)
        wall = time.perf_counter() - started
        best = ranked[0] if ranked and ranked[0].feasible else None
        status = "OPTIMAL" if best is not None else "INFEASIBLE"
        proved = best is not None
        solver = {
            "name": "enumeration",
            "wall_s": round(wall, 4),
            "site_sets_priced": _site_sets(problem),
        }
        bound = best.total if best is not None else None
    else:
        best, status, proved, bound, solver = _solve_cp_sat(problem, ranked, table, limit)
        solver["wall_s"] = round(time.perf_counter() - started, 4)  # enumeration included
    alternatives = [o for o in ranked if best is None or o.sites != best.sites]
    solution = solution_from_option(
        problem,
        instance,
        best,
        baseline_data=baseline if baseline is not None else baseline_problem(instance, problem),
        status=status,
        best_bound=bound,
        proved_optimal=proved,
        alternatives=alternatives[: instance.solver.options_to_rank],
        solver=solver,
        travel_times=travel,
    )
    if instance.greenfield_sites:
        solution = replace(solution, cost_surface=cost_surface(problem, instance))
    explanation = None
    if best is None and status == "INFEASIBLE":
        explanation = explain_infeasibility(problem, time_limit_s=limit)
    return solution, explanation


def _site_sets(problem: ProblemData) -> int:
    """How many sets of one or two open sites the enumeration prices."""
    return sum(math.comb(problem.n_sites, k) for k in range(problem.k_min, problem.k_max + 1))


#: Up to this many candidates (and two sites), one CP-SAT model proves the optimum on its own in
#: about a second and the enumeration cross-checks it; beyond, sizes are settled one by one.
MONOLITHIC_SITES = 64


def _solve_cp_sat(
    problem: ProblemData, ranked: list[Option], table: OptionTable | None, limit: float
) -> tuple[Option | None, str, bool, int | None, dict[str, Any]]:
    """Best option, status, proof, bound and solver record of the ``cp-sat`` method."""
    from siteopt.optimise.search import solve_by_size, solve_cp_sat  # noqa: PLC0415 (lazy: pulls in ortools)

    enumerated = ranked[0] if ranked and ranked[0].feasible else None
    if problem.k_max <= 2 and problem.n_sites <= MONOLITHIC_SITES:
        result = solve_cp_sat(problem, time_limit_s=limit, hint=enumerated)
        solver: dict[str, Any] = {
            "name": "cp-sat",
            "cp_sat_s": round(result.wall_s, 4),
            "gap": result.gap,
            "enumeration_agrees": (enumerated.total if enumerated else None) == result.objective,
        }
    else:
        result, parts = solve_by_size(problem, time_limit_s=limit, table=table)
        solver = {
            "name": "cp-sat by size",
            "gap": result.gap,
            "sizes": [
                {"k": p.k, "settled_by": p.how, "proved": p.proved, "bound": p.bound} for p in parts
            ],
        }
    return result.option, result.status.name, result.proved_optimal, result.best_bound, solver


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

    return load_network(instance).provenance

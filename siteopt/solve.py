"""Solve an instance: problem data → exact optimum → solution, or why none exists.

``method = "enumerate"`` prices every one- and two-site option (exact for ``k_max ≤ 2``);
``method = "cp-sat"`` proves the optimum with CP-SAT for any ``k`` and uses the enumeration to
rank the alternatives. When no option meets every constraint, :func:`explain_infeasibility`
names the smallest set of constraints that conflict and how far each would have to move.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from siteopt.enumerate import Option, best_options
from siteopt.errors import InstanceError
from siteopt.problem import ProblemData, problem_from_instance
from siteopt.solution import ConstraintResult, Solution, solution_from_option

if TYPE_CHECKING:
    from siteopt.instance import Instance

__all__ = ["Infeasibility", "baseline_problem", "explain_infeasibility", "solve_instance"]

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


def _feasible_best(problem: ProblemData) -> Option | None:
    ranked = best_options(problem, n=1)
    return ranked[0] if ranked and ranked[0].feasible else None


def explain_infeasibility(problem: ProblemData) -> Infeasibility:
    """Return a minimal conflicting set of constraints (deletion filter over the enumeration).

    Each constraint is dropped in turn; if the rest is still infeasible it is left out for good.
    What remains is minimal: removing any one member makes the problem feasible. For each member
    the cheapest option without it, and its value against the member's limit, are reported.
    """
    from siteopt.solution import _constraint_results

    names = [c.name for c in problem.constraints]
    kept = list(names)
    for name in names:
        trial = [n for n in kept if n != name]
        if _feasible_best(_without(problem, set(names) - set(trial))) is None:
            kept = trial
    relaxations = []
    for name in kept:
        relaxed = _without(problem, {name})
        best = _feasible_best(relaxed)
        if best is None:  # pragma: no cover - impossible for a minimal conflict
            continue
        shown = replace(best, failed=(name,))
        result = next(r for r in _constraint_results(problem, shown) if r.name == name)
        relaxations.append(_relaxation(problem, name, best, result))
    return Infeasibility(tuple(kept), tuple(relaxations))


def _relaxation(
    problem: ProblemData, name: str, best: Option, result: ConstraintResult
) -> Relaxation:
    from siteopt.problem import MONEY_UNITS_PER_GBP

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
) -> tuple[Solution, Infeasibility | None]:
    """Solve an instance; return the solution and, when infeasible, the explanation."""
    method = method or instance.solver.method
    limit = time_limit_s if time_limit_s is not None else instance.solver.time_limit_s
    problem = problem_from_instance(instance)
    travel = _travel_note(instance)
    started = time.perf_counter()
    ranked = (
        best_options(problem, n=instance.solver.options_to_rank + 1) if problem.k_min <= 2 else []
    )
    if method == "enumerate":
        if problem.k_max > 2:
            msg = f"enumeration covers one or two sites, k_max is {problem.k_max}: use 'cp-sat'"
            raise InstanceError(instance.file, "solver.method", msg)
        wall = time.perf_counter() - started
        best = ranked[0] if ranked and ranked[0].feasible else None
        status = "OPTIMAL" if best is not None else "INFEASIBLE"
        proved = best is not None
        solver = {"name": "enumeration", "wall_s": round(wall, 4), "options": len(ranked)}
        bound = best.total if best is not None else None
    else:
        from siteopt.model import solve_cp_sat

        hint = ranked[0] if ranked and ranked[0].feasible else None
        result = solve_cp_sat(problem, time_limit_s=limit, hint=hint)
        best = result.option
        status = result.status.name
        proved = result.proved_optimal
        bound = result.best_bound
        solver = {"name": "cp-sat", "wall_s": round(result.wall_s, 4), "gap": result.gap}
    alternatives = [o for o in ranked if best is None or o.sites != best.sites]
    solution = solution_from_option(
        problem,
        instance,
        best,
        baseline_data=baseline_problem(instance, problem),
        status=status,
        best_bound=bound,
        proved_optimal=proved,
        alternatives=alternatives[: instance.solver.options_to_rank],
        solver=solver,
        travel_times=travel,
    )
    explanation = None
    if best is None and status == "INFEASIBLE":
        if problem.k_max <= 2:
            explanation = explain_infeasibility(problem)
        else:
            from siteopt.model import infeasible_core

            core = infeasible_core(problem, time_limit_s=limit)
            explanation = Infeasibility(tuple(core), ())
    return solution, explanation


def baseline_problem(instance: Instance, problem: ProblemData) -> ProblemData:
    """Problem data that prices today's rooms: ``problem`` itself when they are all candidates.

    A what-if may exclude a current room from the candidates ("Kempston is not available");
    today's cost is still today's, so it is priced on data built for the rooms alone.
    """
    rooms = sorted({force.current_site for force in instance.forces.values()})
    if all(room in problem.site_ids for room in rooms):
        return problem
    sites = instance.sites.model_copy(update={"candidates": rooms, "exclude": []})
    solver = instance.solver.model_copy(update={"k_min": 1, "k_max": 1})
    variant = instance.model_copy(update={"sites": sites, "solver": solver, "constraints": {}})
    variant._greenfield = ()
    return problem_from_instance(variant)


def _travel_note(instance: Instance) -> str:
    from siteopt.network import load_network

    return load_network(instance).provenance

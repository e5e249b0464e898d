"""Solving the CP-SAT model: monolithic, size by size, or its conflict.

Solving the CP-SAT model: one model for few candidates, size by size (bounds, then
CP-SAT below the incumbent) for many, and the irreducible conflict of an
infeasible instance.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from siteopt.errors import SolverError
from siteopt.optimise.bounds import size_lower_bounds
from siteopt.optimise.cpsat import _add_hint, _build_model, _extract_option
from siteopt.optimise.options import CAPACITY, Option, OptionTable, best_options, option_table
from siteopt.optimise.problem import ProblemData
from siteopt.sigint import solve_keeping_sigint as _run
from siteopt.status import Status

if TYPE_CHECKING:
    from siteopt.optimise.constraints import SeparationForm

__all__ = [
    "ModelResult",
    "SizePart",
    "infeasible_core",
    "solve_by_size",
    "solve_cp_sat",
]


@dataclass(frozen=True)
class ModelResult:
    """Result of :func:`solve_cp_sat`.

    Attributes
    ----------
    status
        Solver outcome.
    option
        The best option found (``failed`` is empty), or ``None`` without a solution.
    objective
        Its total cost a year in money units (``option.total``).
    best_bound
        Proven lower bound on the optimum, or ``None`` without a solution.
    gap
        ``(objective - best_bound) / objective``, or ``None`` without a solution.
    wall_s
        Seconds spent building, solving and reading back the model.
    proved_optimal
        Whether ``option`` is a proven optimum.
    """

    status: Status
    option: Option | None
    objective: int | None
    best_bound: int | None
    gap: float | None
    wall_s: float
    proved_optimal: bool


def solve_cp_sat(
    problem: ProblemData,
    *,
    time_limit_s: float = 60.0,
    relax: frozenset[str] = frozenset(),
    hint: Option | None = None,
    workers: int = 0,
    size_bounds: Mapping[int, int | None] | None = None,
) -> ModelResult:
    """Find the cheapest feasible option with CP-SAT.

    Parameters
    ----------
    problem
        The integer problem data.
    time_limit_s
        Wall-clock limit of the search.
    relax
        Names of constraints to drop (:data:`~siteopt.optimise.options.CAPACITY` drops the building
        sizes).
    hint
        A known option to start the search from.
    workers
        CP-SAT search workers (0: one per core).
    size_bounds
        Proven lower bounds on the cost of any feasible option with ``k`` open sites
        (:func:`siteopt.optimise.bounds.size_lower_bounds`; ``None``: no feasible option of that
        size). They tighten the relaxation with many candidates; without them the model proves the
        optimum on its own.

    Returns
    -------
    ModelResult
        Status, the best option with its cost components, bound and gap.

    Raises
    ------
    ValueError
        If ``relax`` names an unknown constraint or a cost the formulation minimises is negative.
    """
    return _solve(
        problem,
        time_limit_s=time_limit_s,
        relax=relax,
        hint=hint,
        workers=workers,
        separation="pairwise",
        size_bounds=size_bounds,
    )


@dataclass(frozen=True)
class SizePart:
    """How :func:`solve_by_size` settled one number of open sites.

    ``how`` is ``"enumeration"`` (exact, one or two sites), ``"bound"`` (its lower bound is no
    better than the incumbent), ``"cp-sat"`` (searched, with the incumbent as cutoff),
    ``"relaxation"`` (bounded by :mod:`siteopt.optimise.relaxation`, searched by
    :mod:`siteopt.optimise.pooled`) or ``"closed"`` (no feasible option of that size); ``bound``
    is the proven lower bound on the cost of a better option of that size (``None`` when none
    can exist). ``option``: the best plan of that size when the search keeps one per size.
    """

    k: int
    how: str
    bound: int | None
    proved: bool
    wall_s: float
    option: Option | None = None


def solve_by_size(
    problem: ProblemData,
    *,
    time_limit_s: float = 60.0,
    workers: int = 0,
    table: OptionTable | None = None,
) -> tuple[ModelResult, tuple[SizePart, ...]]:
    """Find the cheapest feasible option size by size, proving each size settled.

    One and two sites are enumerated exactly (:func:`siteopt.optimise.options.option_table`, seconds
    for hundreds of candidates). A larger size is ruled out when its lower bound
    (:func:`siteopt.optimise.bounds.size_lower_bounds`) is no better than the best option so far;
    otherwise CP-SAT searches that size alone, for options strictly cheaper than the incumbent.
    The result is a proven optimum when every size is settled within the time limit.
    """
    start = time.perf_counter()
    deadline = start + time_limit_s
    if table is None and problem.k_min <= 2:  # built once: bounds and the incumbent share it
        table = option_table(problem)
    bounds = size_lower_bounds(problem, table=table)
    parts: list[SizePart] = []
    best: Option | None = None
    if problem.k_min <= 2:
        small = problem if problem.k_max <= 2 else replace(problem, k_max=2)
        ranked = best_options(small, n=1, table=table)
        best = ranked[0] if ranked and ranked[0].feasible else None
        wall = time.perf_counter() - start
        for k in range(problem.k_min, min(problem.k_max, 2) + 1):
            parts.append(SizePart(k, "enumeration", bounds[k], True, wall))
    for k in range(max(problem.k_min, 3), problem.k_max + 1):
        part, found = _settle_size(
            problem, k, bound=bounds[k], best=best, deadline=deadline, workers=workers
        )
        parts.append(part)
        if found is not None and (best is None or found.total < best.total):
            best = found
    wall = time.perf_counter() - start
    proved = all(p.proved for p in parts)
    known = [p.bound for p in parts if p.bound is not None]
    if best is None:
        status = Status.INFEASIBLE if proved else Status.UNKNOWN
        return ModelResult(status, None, None, None, None, wall, False), tuple(parts)
    bound = min([best.total, *known])
    status = Status.OPTIMAL if proved else Status.FEASIBLE
    gap = (best.total - bound) / max(1, abs(best.total))
    return ModelResult(status, best, best.total, bound, gap, wall, proved), tuple(parts)


def _settle_size(
    problem: ProblemData,
    k: int,
    *,
    bound: int | None,
    best: Option | None,
    deadline: float,
    workers: int,
) -> tuple[SizePart, Option | None]:
    """Rule out ``k`` open sites by its bound, or search it with CP-SAT below the incumbent."""
    start = time.perf_counter()
    if bound is None:
        return SizePart(k, "closed", None, True, 0.0), None
    if best is not None and bound >= best.total:
        return SizePart(k, "bound", bound, True, time.perf_counter() - start), None
    result = _solve(
        replace(problem, k_min=k, k_max=k),
        time_limit_s=max(0.01, deadline - start),
        relax=frozenset(),
        hint=None,
        workers=workers,
        separation="pairwise",
        size_bounds={k: bound},
        below=best.total if best is not None else None,
    )
    wall = time.perf_counter() - start
    if result.status is Status.INFEASIBLE:  # nothing of this size beats the incumbent
        settled = best.total if best is not None else None
        return SizePart(k, "cp-sat", settled, True, wall), None
    lower = result.best_bound if result.best_bound is not None else bound
    return SizePart(k, "cp-sat", lower, result.proved_optimal, wall), result.option


def infeasible_core(
    problem: ProblemData, *, time_limit_s: float = 60.0, workers: int = 1
) -> list[str]:
    """Return an irreducible set of named constraints that together admit no option.

    Parameters
    ----------
    problem
        The integer problem data.
    time_limit_s
        Wall-clock limit shared by every solve of the search.
    workers
        CP-SAT search workers per solve.

    Returns
    -------
    list of str
        Constraint names (in the problem's order, then :data:`~siteopt.optimise.options.CAPACITY`):
        dropping any one of them makes the rest feasible (when every solve ends in time). Empty
        when the problem is feasible, or infeasible whatever the named constraints (for example
        ``k_min`` above the number of sites).
    """
    _check_costs(problem)
    built = _build_model(problem, problem.constraints, guarded=True, separation="pairwise")
    names = [*dict.fromkeys(c.name for c in problem.constraints), CAPACITY]
    guards = built.guards
    deadline = time.perf_counter() + time_limit_s

    def conflicting(subset: Sequence[str]) -> list[str] | None:
        """The core within ``subset`` if it is infeasible, ``None`` if feasible or unknown."""
        built.cp.clear_assumptions()
        built.cp.add_assumptions([guards[n] for n in subset])
        solver = _solver(max(0.01, deadline - time.perf_counter()), workers)
        if _run(solver, built.cp) != cp_model.INFEASIBLE:
            return None
        core = set(solver.sufficient_assumptions_for_infeasibility())
        return [n for n in subset if guards[n].index in core]

    if conflicting([]) is not None:
        return []
    core = conflicting(names)
    if core is None:
        return []
    for name in list(core):
        if name not in core:
            continue
        smaller = conflicting([n for n in core if n != name])
        if smaller is not None:
            core = smaller
    return core


def _solve(
    problem: ProblemData,
    *,
    time_limit_s: float,
    relax: frozenset[str],
    hint: Option | None,
    workers: int,
    separation: SeparationForm,
    size_bounds: Mapping[int, int | None] | None = None,
    below: int | None = None,
) -> ModelResult:
    start = time.perf_counter()
    _check_costs(problem)
    known = {c.name for c in problem.constraints} | {CAPACITY}
    if unknown := set(relax) - known:
        msg = f"relax: unknown constraint names {sorted(unknown)}, expected some of {sorted(known)}"
        raise ValueError(msg)
    active = tuple(c for c in problem.constraints if c.name not in relax)
    built = _build_model(
        problem,
        active,
        guarded=False,
        separation=separation,
        capacity=CAPACITY not in relax,
        size_bounds=size_bounds if not relax else None,
        below=below,
    )
    if hint is not None:
        _add_hint(problem, built, hint)
    solver = _solver(time_limit_s, workers)
    status = _status_of(_run(solver, built.cp), built.cp)
    if status not in {Status.OPTIMAL, Status.FEASIBLE}:
        return ModelResult(status, None, None, None, None, time.perf_counter() - start, False)
    option = _extract_option(problem, active, built, solver)
    objective = option.total
    proved = status is Status.OPTIMAL
    if proved and round(solver.objective_value) != objective:
        msg = f"model objective {solver.objective_value} differs from the option's {objective}"
        raise RuntimeError(msg)
    bound = objective if proved else min(objective, round(solver.best_objective_bound))
    gap = (objective - bound) / max(1, abs(objective))
    return ModelResult(status, option, objective, bound, gap, time.perf_counter() - start, proved)


def _check_costs(problem: ProblemData) -> None:
    """The formulation relies on these costs not rewarding more seats, agents or transition."""
    for name in ("agent_cost", "seat_cost", "existing_seats", "max_seats", "stay"):
        if (getattr(problem, name) < 0).any():
            msg = f"{name}: expected non-negative values"
            raise ValueError(msg)
    for name in ("redundancy_cost", "recruit_cost", "agent_fte", "min_crew"):
        if getattr(problem, name) < 0:
            msg = f"{name}: expected a non-negative value, got {getattr(problem, name)}"
            raise ValueError(msg)


def _solver(time_limit_s: float, workers: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit_s)
    solver.parameters.num_workers = int(workers)
    return solver


def _status_of(status: object, model: cp_model.CpModel) -> Status:
    """The package's status of a CP-SAT outcome; an invalid model is a bug, raised."""
    if status == cp_model.MODEL_INVALID:
        fault = " ".join(model.validate().split())  # one line, not the whole constraint
        fault = fault if len(fault) <= 300 else fault[:297] + "..."
        raise SolverError(f"CP-SAT rejected the model as invalid: {fault}")
    mapping: dict[object, Status] = {
        cp_model.OPTIMAL: Status.OPTIMAL,
        cp_model.FEASIBLE: Status.FEASIBLE,
        cp_model.INFEASIBLE: Status.INFEASIBLE,
    }
    return mapping.get(status, Status.UNKNOWN)

"""One batch of scenarios on a worker.

One batch of scenarios on a worker: shared travel matrices and staffing tables,
each scenario solved into one results row (or an error row).
"""

from __future__ import annotations

import gc
import hashlib
import os
import socket
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from siteopt.optimise.build import BuildCache, problem_from_instance, travel_inputs
from siteopt.optimise.options import best_options, option_table
from siteopt.optimise.solution import baseline_costs, gbp, plan_figures
from siteopt.optimise.solve import (
    baseline_instance,
    baseline_problem,
    explain_infeasibility,
    solve,
)
from siteopt.status import Status
from siteopt.sweep.spec import Scenario, SweepMethod, _canonical

if TYPE_CHECKING:
    from siteopt.instance.schema import Instance
    from siteopt.optimise.build import TravelInputs
    from siteopt.optimise.options import OptionTable
    from siteopt.optimise.problem import ProblemData
    from siteopt.optimise.result import Infeasibility
    from siteopt.optimise.solution import PlanFigures, Solution
    from siteopt.queueing.fte import StaffingTable

__all__ = [
    "COST_KEYS",
    "ERROR",
    "BatchContext",
    "batch_context",
    "params_key",
    "run_batch",
    "travel_keys_needed",
]


#: Cost components of an option, in the order the results store has them.
COST_KEYS = ("sites", "seats", "staff", "functions", "merge", "standby", "transition")


#: A row's ``status`` when its scenario raised (not solved); otherwise a :class:`Status` value.
ERROR = "ERROR"


def travel_key(instance: Instance) -> str:
    """Key of the fields travel matrices depend on: data, network, candidates, rooms, sites."""
    rooms = [f.current_site for f in instance.forces.values()]
    parts = [
        instance.data.model_dump(mode="json", warnings=False),
        instance.network.model_dump(mode="json", warnings=False),
        instance.candidate_ids(),
        rooms,
        instance.sites.model_dump(mode="json", include={"custom", "greenfield"}, warnings=False),
    ]
    return hashlib.sha256(_canonical(parts).encode()).hexdigest()[:16]


def staffing_key(instance: Instance) -> str:
    """Key of the fields a staffing table depends on: data, forces, demand, staffing."""
    parts = instance.model_dump(
        mode="json", include={"data", "forces", "demand", "staffing"}, warnings=False
    )
    return hashlib.sha256(_canonical(parts).encode()).hexdigest()[:16]


#: Override paths under which scenarios of one sweep may differ in their travel inputs, and in
#: their staffing tables: scenarios whose overrides agree under them share those inputs.
TRAVEL_PATHS = ("data", "network", "sites", "forces")
STAFFING_PATHS = ("data", "forces", "demand", "staffing")


def params_key(scenario: Scenario, paths: tuple[str, ...]) -> str:
    """A scenario's overrides under the top-level ``paths`` (canonical JSON).

    Scenarios of one sweep (one base) with equal keys have equal fields under ``paths``: the
    sweep groups them without validating each (the workers do); a worker still looks its
    inputs up by the validated instance's own key.
    """
    return _canonical({k: v for k, v in scenario.params.items() if k.split(".")[0] in paths})


def travel_keys_needed(instance: Instance) -> frozenset[str]:
    """Keys of the travel inputs a scenario reads (its own, and today's rooms alone)."""
    keys = {travel_key(instance)}
    if _needs_baseline_travel(instance):
        keys.add(travel_key(baseline_instance(instance)))
    return frozenset(keys)


def _needs_baseline_travel(instance: Instance) -> bool:
    candidates = set(instance.candidate_ids())
    return any(f.current_site not in candidates for f in instance.forces.values())


def shared_travel(scenarios: Sequence[Scenario]) -> dict[str, TravelInputs]:
    """Travel matrices for every distinct key the scenarios need (also today's rooms alone)."""
    out: dict[str, TravelInputs] = {}
    for scenario in scenarios:
        inst = scenario.instance
        needed = [inst]
        if _needs_baseline_travel(inst):
            needed.append(baseline_instance(inst))
        for one in needed:
            key = travel_key(one)
            if key not in out:
                out[key] = travel_inputs(one)
    return out


def _travel_of(context: BatchContext, instance: Instance) -> TravelInputs:
    """The shared travel inputs of an instance, or its own (built here) if none were sent."""
    key = travel_key(instance)
    found = context.travel.get(key) or context.own_travel.get(key)
    if found is None:
        found = context.own_travel[key] = travel_inputs(instance)
    return found


@dataclass(frozen=True)
class Batch:
    """Scenarios sent to one worker task, with the solver settings of the sweep."""

    scenarios: tuple[Scenario, ...]
    method: SweepMethod
    time_limit_s: float | None

    @property
    def key(self) -> str:
        """A task key unique to the batch's scenarios."""
        ids = ",".join(s.id for s in self.scenarios)
        return "siteopt-sweep-" + hashlib.sha256(ids.encode()).hexdigest()[:20]


@dataclass(frozen=True)
class BatchContext:
    """What the scenarios of one batch share, each part keyed on the fields it depends on.

    Attributes
    ----------
    travel
        Travel matrices by :func:`travel_key` (computed once for the sweep, scattered).
    tables
        Staffing tables by :func:`staffing_key`, their force groups tabulated for the whole
        batch in one vectorised call (:func:`~siteopt.queueing.fte.tabulate_groups`).
    build
        Parts of the problem build keyed on their inputs (transition tables).
    staffing_keys
        Each scenario's staffing key, by scenario id.
    own_travel
        Travel inputs a scenario needed that were not sent (built here, then shared).
    option_names
        Each option table layout's site-set names (``a+b``), keyed on the candidate ids and
        the table's site indices: scenarios with the same candidates name the same options.
    """

    travel: Mapping[str, TravelInputs]
    tables: dict[str, StaffingTable]
    build: BuildCache
    staffing_keys: dict[str, str] = field(default_factory=dict)
    own_travel: dict[str, TravelInputs] = field(default_factory=dict)
    option_names: dict[
        tuple[tuple[str, ...], tuple[int, ...], tuple[int, ...]], tuple[str, ...]
    ] = field(default_factory=dict)


def batch_context(
    scenarios: Sequence[Scenario], travel: Mapping[str, TravelInputs]
) -> BatchContext:
    """Build the staffing tables of every distinct staffing key of a batch at once.

    A scenario whose table cannot be built is left out (its row records the error when it is
    solved); so is tabulating when it fails (each table then computes its own groups).
    """
    from siteopt.queueing.fte import staffing_table, tabulate_groups  # noqa: PLC0415 (lazy: pulls in scipy)

    tables: dict[str, StaffingTable] = {}
    keys: dict[str, str] = {}
    groups: dict[tuple[str, ...], list[StaffingTable]] = {}
    for scenario in scenarios:
        try:
            inst = scenario.instance
            key = staffing_key(inst)
            keys[scenario.id] = key
            if key not in tables:
                tables[key] = staffing_table(inst)
                groups.setdefault(tuple(inst.forces), []).append(tables[key])
        except Exception:  # recorded when the scenario is solved
            continue
    for forces, members in groups.items():
        if len(members) < 2 or len(forces) > TABULATED_FORCES:
            continue
        masks = range(1, 2 ** len(forces))
        subsets = [[f for i, f in enumerate(forces) if mask >> i & 1] for mask in masks]
        try:
            tabulate_groups(members, subsets)
        except Exception:  # a table that cannot be tabulated raises when solved
            continue
    return BatchContext(travel=travel, tables=tables, build=BuildCache(), staffing_keys=keys)


#: Up to this many forces a batch tabulates every force group's staffing together (each
#: problem reads all ``2^F - 1`` groups); beyond, each table computes the groups it is asked for.
TABULATED_FORCES = 6


def run_batch(batch: Batch, travel: Mapping[str, TravelInputs]) -> list[dict[str, Any]]:
    """Solve every scenario of a batch; a scenario that raises is recorded, the rest go on.

    Staffing tables are built once per distinct staffing key within the batch, their Erlang
    requirements in one vectorised call (:func:`batch_context`); what existed before the batch
    is left out of the garbage collector's passes while it runs.
    """
    with _older_objects_left_to_rest():
        return _batch_rows(batch, travel)


def _batch_rows(batch: Batch, travel: Mapping[str, TravelInputs]) -> list[dict[str, Any]]:
    worker = f"{socket.gethostname()}:{os.getpid()}"
    context = batch_context(batch.scenarios, travel)
    rows = []
    for scenario in batch.scenarios:
        started = time.perf_counter()
        try:
            row = _solved_row(scenario, batch, context)
        except Exception as exc:  # a scenario that raises is recorded, not fatal
            row = _error_row(f"{type(exc).__name__}: {exc}")
        row |= {
            "scenario_id": scenario.id,
            "index": scenario.index,
            "params": scenario.params_json,
            "solve_s": round(time.perf_counter() - started, 4),
            "worker": worker,
        }
        rows.append(row)
    return rows


@contextmanager
def _older_objects_left_to_rest() -> Iterator[None]:
    """While a batch runs, the cyclic garbage collector does not walk what existed before it.

    A batch makes many short-lived containers (each scenario's merged TOML, its validated
    models), so the collector runs often, and each full pass also walked the worker's
    long-lived objects (road network, travel inputs, datasets, modules) to no avail: they are
    frozen for the batch (:func:`gc.freeze`) and unfrozen after it, when they are collectable
    again. Nothing is frozen if something else froze objects already (not undone here).
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _solved_row(scenario: Scenario, batch: Batch, context: BatchContext) -> dict[str, Any]:
    from siteopt.queueing.fte import staffing_table  # noqa: PLC0415 (lazy: pulls in scipy)

    inst = scenario.instance
    skey = context.staffing_keys.get(scenario.id) or staffing_key(inst)
    if skey not in context.tables:
        context.tables[skey] = staffing_table(inst)
    table = context.tables[skey]
    shared = _travel_of(context, inst)
    problem = problem_from_instance(inst, travel=shared, staffing_table=table, cache=context.build)
    rooms_travel = _travel_of(context, _baseline(inst)) if _needs_baseline_travel(inst) else None
    baseline = baseline_problem(inst, problem, travel=rooms_travel, staffing_table=table)
    method = batch.method
    if method == "auto":
        method = "enumerate" if problem.k_max <= 2 else "cp-sat"
    if method == "enumerate" and problem.k_max <= 2:
        return _enumerated_row(inst, problem, baseline, batch.time_limit_s, context)
    result = solve(
        inst,
        method=method,
        time_limit=batch.time_limit_s,
        problem=problem,
        baseline=baseline,
        travel_note=shared.note,
        explain=False,
    )
    message = ""
    if result.infeasibility is not None:
        message = _conflict_message(result.infeasibility)
    elif result.solution is None:
        message = f"no solution ({result.status})"
    options = option_table(problem) if problem.k_min <= 2 else None
    return _row(
        status=result.status,
        message=message,
        method=method,
        plan=result.solution,
        baseline_gbp=result.baseline_gbp,
        options=_option_costs(problem, options, context),
    )


def _enumerated_row(
    inst: Instance,
    problem: ProblemData,
    baseline: ProblemData,
    time_limit_s: float | None,
    context: BatchContext,
) -> dict[str, Any]:
    """The row :func:`solve` with the enumeration gives, from one option table.

    Only what the row holds is computed: no staff transition plan, ranked alternatives or
    appraisal (a sweep stores none of them).
    """
    table = option_table(problem)
    ranked = best_options(problem, n=1, table=table)
    best = ranked[0] if ranked and ranked[0].feasible else None
    base = baseline_costs(baseline, inst)
    message = ""
    if best is None:
        limit = time_limit_s if time_limit_s is not None else inst.solver.time_limit_s
        message = _conflict_message(explain_infeasibility(problem, time_limit_s=limit))
    return _row(
        status=Status.OPTIMAL if best is not None else Status.INFEASIBLE,
        message=message,
        method="enumerate",
        plan=plan_figures(problem, inst, best, baseline=base) if best is not None else None,
        baseline_gbp=gbp(sum(base.values())),
        options=_option_costs(problem, table, context),
    )


def _conflict_message(infeasibility: Infeasibility) -> str:
    return "conflicting constraints: " + ", ".join(infeasibility.conflict)


def _row(
    *,
    status: Status,
    message: str,
    method: str,
    plan: PlanFigures | Solution | None,
    baseline_gbp: float | None,
    options: tuple[list[str], list[float | None]],
) -> dict[str, Any]:
    sites = list(plan.site_ids) if plan is not None else []
    names, totals = options
    return {
        "status": str(status),
        "message": message,
        "method": method,
        "option": "+".join(sorted(sites)) if sites else None,
        "sites": sites,
        "routing": plan.routing if plan is not None else None,
        "fte": round(plan.total_fte, 2) if plan is not None else None,
        "site_fte": [s.fte for s in plan.sites] if plan is not None else [],
        "objective_gbp": plan.objective_gbp if plan is not None else None,
        **{f"cost_{k}_gbp": plan.costs.get(k) if plan else None for k in COST_KEYS},
        "baseline_gbp": baseline_gbp,
        "saving_gbp": plan.saving_gbp if plan is not None else None,
        "one_off_gbp": plan.one_off_gbp if plan is not None else None,
        "payback_years": plan.payback_years if plan is not None else None,
        "option_names": names,
        "option_total_gbp": totals,
    }


def _option_costs(
    problem: ProblemData, table: OptionTable | None, context: BatchContext
) -> tuple[list[str], list[float | None]]:
    """Every one- and two-site option's best total (pounds; ``None`` when infeasible)."""
    if table is None:
        return [], []
    key = (problem.site_ids, tuple(table.first.tolist()), tuple(table.second.tolist()))
    if key not in context.option_names:
        context.option_names[key] = tuple(_site_set_names(problem.site_ids, table))
    names = list(context.option_names[key])
    totals = [
        gbp(int(total)) if ok else None
        for total, ok in zip(table.total.tolist(), table.feasible.tolist(), strict=True)
    ]
    return names, totals


def _site_set_names(site_ids: tuple[str, ...], table: OptionTable) -> list[str]:
    """Each row's sites by id, sorted and joined with ``+``."""
    return [
        "+".join(sorted((site_ids[a],) if b < 0 else (site_ids[a], site_ids[b])))
        for a, b in zip(table.first.tolist(), table.second.tolist(), strict=True)
    ]


def _error_row(message: str) -> dict[str, Any]:
    return {
        "status": ERROR,
        "message": message,
        "method": None,
        "option": None,
        "sites": [],
        "routing": None,
        "fte": None,
        "site_fte": [],
        "objective_gbp": None,
        **{f"cost_{k}_gbp": None for k in COST_KEYS},
        "baseline_gbp": None,
        "saving_gbp": None,
        "one_off_gbp": None,
        "payback_years": None,
        "option_names": [],
        "option_total_gbp": [],
    }


def _baseline(instance: Instance) -> Instance:

    return baseline_instance(instance)

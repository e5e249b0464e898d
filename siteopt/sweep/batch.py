"""One batch of scenarios on a worker.

One batch of scenarios on a worker: shared travel matrices and staffing tables,
each scenario solved into one results row (or an error row).
"""

from __future__ import annotations

import hashlib
import os
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from siteopt.optimise.build import problem_from_instance, travel_inputs
from siteopt.optimise.options import option_table
from siteopt.optimise.solution import gbp
from siteopt.optimise.solve import baseline_instance, baseline_problem, solve
from siteopt.sweep.spec import Scenario, SweepMethod, _canonical

if TYPE_CHECKING:
    from siteopt.instance.schema import Instance
    from siteopt.optimise.build import TravelInputs
    from siteopt.optimise.problem import ProblemData
    from siteopt.queueing.fte import StaffingTable

__all__ = ["COST_KEYS", "ERROR", "run_batch"]


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


def run_batch(batch: Batch, travel: Mapping[str, TravelInputs]) -> list[dict[str, Any]]:
    """Solve every scenario of a batch; a scenario that raises is recorded, the rest go on.

    Staffing tables are built once per distinct staffing key within the batch.
    """
    worker = f"{socket.gethostname()}:{os.getpid()}"
    tables: dict[str, StaffingTable] = {}
    rows = []
    for scenario in batch.scenarios:
        started = time.perf_counter()
        try:
            row = _solved_row(scenario, batch, travel, tables)
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


def _solved_row(
    scenario: Scenario,
    batch: Batch,
    travel: Mapping[str, TravelInputs],
    tables: dict[str, StaffingTable],
) -> dict[str, Any]:
    from siteopt.queueing.fte import staffing_table  # noqa: PLC0415 (lazy: pulls in scipy)

    inst = scenario.instance
    skey = staffing_key(inst)
    if skey not in tables:
        tables[skey] = staffing_table(inst)
    table = tables[skey]
    shared = travel[travel_key(inst)]
    problem = problem_from_instance(inst, travel=shared, staffing_table=table)
    rooms_travel = travel[travel_key(_baseline(inst))] if _needs_baseline_travel(inst) else None
    baseline = baseline_problem(inst, problem, travel=rooms_travel, staffing_table=table)
    method = batch.method
    if method == "auto":
        method = "enumerate" if problem.k_max <= 2 else "cp-sat"
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
        message = "conflicting constraints: " + ", ".join(result.infeasibility.conflict)
    elif result.solution is None:
        message = f"no solution ({result.status})"
    plan = result.solution
    sites = list(plan.site_ids) if plan is not None else []
    names, totals = _option_costs(problem)
    return {
        "status": str(result.status),
        "message": message,
        "method": method,
        "option": "+".join(sorted(sites)) if sites else None,
        "sites": sites,
        "routing": plan.routing if plan is not None else None,
        "fte": round(plan.total_fte, 2) if plan is not None else None,
        "site_fte": [s.fte for s in plan.sites] if plan is not None else [],
        "objective_gbp": plan.objective_gbp if plan is not None else None,
        **{f"cost_{k}_gbp": plan.costs.get(k) if plan else None for k in COST_KEYS},
        "baseline_gbp": result.baseline_gbp,
        "saving_gbp": plan.saving_gbp if plan is not None else None,
        "one_off_gbp": plan.one_off_gbp if plan is not None else None,
        "payback_years": plan.payback_years if plan is not None else None,
        "option_names": names,
        "option_total_gbp": totals,
    }


def _option_costs(problem: ProblemData) -> tuple[list[str], list[float | None]]:
    """Every one- and two-site option's best total (pounds; ``None`` when infeasible)."""
    if problem.k_min > 2:
        return [], []
    table = option_table(problem)
    names = [
        "+".join(sorted(problem.site_ids[j] for j in table.site_set(row)))
        for row in range(len(table.total))
    ]
    totals = [
        gbp(int(total)) if ok else None
        for total, ok in zip(table.total, table.feasible, strict=True)
    ]
    return names, totals


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

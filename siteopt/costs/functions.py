"""Cost of one FTE of each control-room function in a force area.

Each function's staff are paid by :func:`~siteopt.costs.prices.employer_cost` (salary, shift
allowance for shift workers, the area allowance of the building's force area, employer NI and
pension). Functions with team leaders (call handling, dispatch) cost the mix of operators and
supervisors per FTE; the local-knowledge extra is call-handling work and costs the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from siteopt.costs.prices import employer_cost, employment_cost_per_fte
from siteopt.instance.schema import CALL_HANDLING, DISPATCH, LOCAL_KNOWLEDGE

if TYPE_CHECKING:
    from siteopt.instance.schema import Instance

__all__ = ["FunctionRow", "PlanRoom", "function_cost_per_fte", "function_costs", "function_rows"]


def function_cost_per_fte(instance: Instance, name: str, area: str) -> float:
    """Return the yearly employer cost of one FTE of function ``name`` in force area ``area``."""
    pay = instance.pay
    functions = instance.functions
    if name in (CALL_HANDLING, LOCAL_KNOWLEDGE):
        ratio = (
            instance.staffing.supervisor_ratio.value if instance.staffing.supervisor_ratio else 0
        )
        return _with_supervisors(
            employment_cost_per_fte(instance, area),
            employment_cost_per_fte(instance, area, supervisor=True),
            ratio,
        )
    if name == DISPATCH:
        dispatch = functions.dispatch
        if dispatch is None:
            raise ValueError("dispatch: not defined in the instance's [functions]")
        return _with_supervisors(
            employer_cost(instance, dispatch.salary_gbp.value, area),
            employer_cost(instance, pay.supervisor_salary_gbp.value, area),
            dispatch.supervisor_ratio.value,
        )
    spec = functions.room.get(name)
    if spec is None:
        raise ValueError(f"function {name!r}: not defined in the instance's [functions]")
    return employer_cost(instance, spec.salary_gbp.value, area, shift_work=spec.shift_work)


def function_costs(instance: Instance, fte: dict[str, float], area: str) -> dict[str, float]:
    """Return the yearly cost of each function's FTE in a room in force area ``area``."""
    return {name: n * function_cost_per_fte(instance, name, area) for name, n in fte.items()}


def _with_supervisors(operator: float, supervisor: float, ratio: float) -> float:
    return (operator + ratio * supervisor) / (1 + ratio)


@dataclass(frozen=True)
class FunctionRow:
    """One function's FTE and yearly cost today and in a plan (``in_scope``: it moves)."""

    name: str
    label: str
    in_scope: bool
    today_fte: float
    today_gbp: float
    plan_fte: float
    plan_gbp: float


@dataclass(frozen=True)
class PlanRoom:
    """One open room of a plan: its force area, the forces it dispatches, its call-handling FTE."""

    area: str
    forces: tuple[str, ...]
    call_fte: float


def function_rows(instance: Instance, rooms: Sequence[PlanRoom]) -> list[FunctionRow]:
    """Return FTE and cost per function, today (each force in its room) and in a plan.

    Functions out of scope stay as today in the plan. A plan room pays the penalty of local
    knowledge for the forces it dispatches from outside their own force area.
    """
    from siteopt.queueing.fte import staffing_table  # noqa: PLC0415 (lazy: pulls in scipy)
    from siteopt.queueing.functions import function_model, today_establishment  # noqa: PLC0415 (lazy: pulls in scipy)

    table = staffing_table(instance)
    model = function_model(instance, table)
    sites = instance.dataset().sites
    today_fte: dict[str, float] = {}
    today_gbp: dict[str, float] = {}
    for fid, fte in today_establishment(instance, table, model).items():
        sid = instance.forces[fid].current_site
        area = sites[sid].force if sid in sites else instance.sites.custom[sid].force
        for name, value in function_costs(instance, fte, area).items():
            today_fte[name] = today_fte.get(name, 0.0) + fte[name]
            today_gbp[name] = today_gbp.get(name, 0.0) + value
    plan_fte: dict[str, float] = {}
    plan_gbp: dict[str, float] = {}
    for room in rooms:
        group = [model.forces.index(f) for f in room.forces]
        outside = [model.forces.index(f) for f in room.forces if f != room.area]
        fte = model.establishment(
            forces=group, outside=outside, call_fte=room.call_fte, scope_only=True
        )
        for name, value in function_costs(instance, fte, room.area).items():
            plan_fte[name] = plan_fte.get(name, 0.0) + fte[name]
            plan_gbp[name] = plan_gbp.get(name, 0.0) + value
    order = [*model.defined[:2], LOCAL_KNOWLEDGE, *model.defined[2:]]
    rows = []
    for name in order:
        if name not in today_fte and name not in plan_fte:
            continue
        moves = model.moves(name)
        rows.append(
            FunctionRow(
                name=name,
                label=model.labels[name],
                in_scope=moves,
                today_fte=today_fte.get(name, 0.0),
                today_gbp=today_gbp.get(name, 0.0),
                plan_fte=plan_fte.get(name, 0.0) if moves else today_fte.get(name, 0.0),
                plan_gbp=plan_gbp.get(name, 0.0) if moves else today_gbp.get(name, 0.0),
            )
        )
    return rows

"""Cost of one FTE of each control-room function in a force area.

Each function's staff are paid by :func:`~siteopt.costs.prices.employer_cost` (salary, shift
allowance for shift workers, the area allowance of the building's force area, employer NI and
pension). Functions with team leaders (call handling, dispatch) cost the mix of operators and
supervisors per FTE; the local-knowledge extra is call-handling work and costs the same.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from siteopt.costs.prices import employer_cost, employment_cost_per_fte
from siteopt.instance.schema import CALL_HANDLING, DISPATCH, LOCAL_KNOWLEDGE

if TYPE_CHECKING:
    from siteopt.instance.schema import Instance

__all__ = ["function_cost_per_fte", "function_costs"]


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

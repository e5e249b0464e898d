"""Cost figures: pay per FTE by site, building costs per candidate, and Green Book annualising.

This stage turns the instance's cost figures into plain numbers aligned with the candidate list,
so the optimisation model and the enumerator price every option the same way:

- employment cost of one FTE at a site: ``(salary × (1 + shift) + area allowance) × (1 + employer
  NI + employer pension)``, the allowance following the force area the building is in;
- building figures per candidate: ``sites.defaults`` with ``sites.overrides.<id>`` on top;
- one-off costs turned into an equivalent annual cost over the appraisal period at the Green Book
  discount rate, after the optimism-bias uplift.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from siteopt.instance.schema import Instance

__all__ = [
    "SiteCostTable",
    "annuity_factor",
    "employer_cost",
    "employment_cost_per_fte",
    "equivalent_annual_cost",
    "site_cost_table",
]


def annuity_factor(rate: float, years: int) -> float:
    """Return the present value of £1 a year for ``years`` years, paid at each year's end.

    ``sum(1 / (1 + rate) ** t for t in 1..years)``; equals ``years`` when the rate is 0.
    """
    if years < 1:
        raise ValueError(f"years: expected at least 1, got {years}")
    if rate == 0:
        return float(years)
    # expm1/log1p keep full precision for tiny rates, where 1 - (1 + r)^-n cancels to zero.
    return -math.expm1(-years * math.log1p(rate)) / rate


def equivalent_annual_cost(
    one_off_gbp: float, *, rate: float, years: int, optimism_bias: float = 0.0
) -> float:
    """Return the equal yearly cost whose present value equals an uplifted one-off cost."""
    return one_off_gbp * (1 + optimism_bias) / annuity_factor(rate, years)


def employment_cost_per_fte(instance: Instance, force: str, *, supervisor: bool = False) -> float:
    """Return the yearly employer cost of one FTE (call handler or supervisor) in a force area."""
    pay = instance.pay
    salary = (pay.supervisor_salary_gbp if supervisor else pay.call_handler_salary_gbp).value
    return employer_cost(instance, salary, force)


def employer_cost(
    instance: Instance, salary: float, force: str, *, shift_work: bool = True
) -> float:
    """Return the yearly employer cost of one FTE on ``salary`` in a force area.

    ``(salary × (1 + shift allowance) + area allowance) × (1 + employer NI + pension)``; the
    shift allowance only for shift workers.
    """
    pay = instance.pay
    shift = pay.shift_allowance_rate.value if shift_work else 0.0
    gross = salary * (1 + shift) + pay.area_allowance_gbp[force].value
    return gross * (1 + pay.employer_ni_rate.value + pay.employer_pension_rate.value)


@dataclass(frozen=True)
class SiteCostTable:
    """Building figures per candidate, aligned with ``ids`` (read-only arrays)."""

    ids: tuple[str, ...]
    forces: tuple[str, ...]
    existing_seats: npt.NDArray[np.int64]
    max_seats: npt.NDArray[np.int64]
    running_cost_gbp: npt.NDArray[np.float64]
    fit_out_per_seat_gbp: npt.NDArray[np.float64]
    move_one_off_gbp: npt.NDArray[np.float64]


def site_cost_table(instance: Instance) -> SiteCostTable:
    """Return each candidate's seats and costs: defaults, then the site's overrides on top.

    The instance validator has checked that every figure is present and seats are consistent.
    """
    ids = tuple(instance.candidate_ids())
    merged = [instance.sites.costs_for(sid) for sid in ids]

    def figures(name: str) -> list[float]:
        return [getattr(costs, name).value for costs in merged]

    return SiteCostTable(
        ids=ids,
        forces=instance.candidate_force_areas(),
        existing_seats=_read_only(np.asarray(figures("existing_seats"), dtype=np.int64)),
        max_seats=_read_only(np.asarray(figures("max_seats"), dtype=np.int64)),
        running_cost_gbp=_read_only(np.asarray(figures("running_cost_gbp"), dtype=np.float64)),
        fit_out_per_seat_gbp=_read_only(
            np.asarray(figures("fit_out_per_seat_gbp"), dtype=np.float64)
        ),
        move_one_off_gbp=_read_only(np.asarray(figures("move_one_off_gbp"), dtype=np.float64)),
    )


ArrayT = TypeVar("ArrayT", bound=np.ndarray)


def _read_only(array: ArrayT) -> ArrayT:
    array.setflags(write=False)
    return array

"""Green Book appraisal: cash flow per year, optimism bias per category, NPV against doing nothing.

The optimiser ranks options by their equivalent annual cost (one-offs annualised). A business case
also needs the money in the years it is spent (HM Treasury, *The Green Book*): the works, fit-out
and ICT while the new room is built, dual running while calls move over, the staff transition when
the old rooms close, then the new running costs for the appraisal period; each category uplifted by
its optimism bias; every year discounted; the net present value against **do nothing** (today's
rooms carry on) and the discounted payback.

The timeline is counted in months from the start of the works (month 0):

- months ``[0, build)``: works, fit-out and ICT spread evenly; today's rooms run as now;
- months ``[build, build + dual)``: the new rooms run and today's rooms still run in full
  (dual running);
- at month ``build + dual``: the staff transition (redundancy, recruiting and training, excess
  travel) falls, and only the new rooms run from then on;
- the appraisal ends ``years`` after go-live (month ``build + 12 × years``).

Month costs are summed into years (year 0 = the first twelve months) and year ``t`` is discounted by
``(1 + r)^-t``. Recurring costs are in today's prices (real terms), as the Green Book asks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "ONE_OFF_CATEGORIES",
    "RECURRING_CATEGORIES",
    "Appraisal",
    "CashFlowRules",
    "OptionCosts",
    "appraise",
    "discounted_payback_years",
]

#: One-off categories, each with its own optimism bias.
ONE_OFF_CATEGORIES = ("works", "fit_out", "ict", "transition")

#: Recurring categories (pounds a year); one optimism bias (``recurring``) applies to them all.
RECURRING_CATEGORIES = ("staff", "functions", "running", "standby")

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class CashFlowRules:
    """When the money falls and how it is uplifted and discounted.

    Attributes
    ----------
    years
        Appraisal period after go-live, years.
    discount_rate
        Real discount rate a year (Green Book: 3.5 % for years 0-30).
    build_months
        Months of works, fit-out and ICT before the new rooms open.
    dual_running_months
        Months after opening during which today's rooms still run in full.
    optimism_bias
        Uplift per category: ``works``, ``fit_out``, ``ict``, ``transition`` and ``recurring``.
    """

    years: int
    discount_rate: float
    build_months: int
    dual_running_months: int
    optimism_bias: Mapping[str, float]

    @property
    def months(self) -> int:
        """Months from the start of the works to the end of the appraisal."""
        return self.build_months + 12 * self.years

    @property
    def n_years(self) -> int:
        """Calendar years the timeline spans (year 0 first)."""
        return math.ceil(self.months / 12)


@dataclass(frozen=True)
class OptionCosts:
    """What one option costs, by category, before optimism bias.

    ``recurring``: pounds a year once it runs; ``one_off``: pounds, once. ``today`` marks do nothing
    (today's rooms: no works, no dual running, no transition).
    """

    name: str
    recurring: Mapping[str, float]
    one_off: Mapping[str, float]
    today: bool = False


@dataclass(frozen=True)
class Appraisal:
    """The cash flow of one option and its worth against doing nothing (pounds, real terms).

    Attributes
    ----------
    name
        The option (``"do nothing"``, ``"do minimum"`` or its sites joined by ``+``).
    cash_flow
        Pounds per calendar year (year 0 first) by category, optimism bias included.
    total
        The yearly totals.
    present_value
        Sum of the discounted totals.
    npv_gbp
        Net present value against do nothing: do nothing's present value minus this one's (a
        positive NPV saves money).
    discounted_payback_years
        Years from the start of the works until the discounted saving against do nothing has
        repaid what was spent; ``None`` when it does not within the period (and for do nothing).
    """

    name: str
    cash_flow: dict[str, tuple[float, ...]]
    total: tuple[float, ...]
    present_value: float
    npv_gbp: float
    discounted_payback_years: float | None


def _monthly(rules: CashFlowRules, costs: OptionCosts, today: OptionCosts) -> dict[str, FloatArray]:
    """Pounds per month by category (bias applied) over the whole timeline."""
    months = np.arange(rules.months)
    bias = rules.optimism_bias
    out: dict[str, FloatArray] = {}
    if costs.today:
        for category in RECURRING_CATEGORIES:
            yearly = costs.recurring.get(category, 0.0) * (1 + bias.get("recurring", 0.0))
            out[category] = np.full(rules.months, yearly / 12)
        for category in ONE_OFF_CATEGORIES:
            amount = costs.one_off.get(category, 0.0) * (1 + bias.get(category, 0.0))
            out[category] = _at(rules.months, 0, amount)
        return out
    live = rules.build_months
    closed = live + rules.dual_running_months
    for category in RECURRING_CATEGORIES:
        uplift = 1 + bias.get("recurring", 0.0)
        new = costs.recurring.get(category, 0.0) * uplift / 12
        old = today.recurring.get(category, 0.0) * uplift / 12
        if category == "running":  # dual running: both sets of buildings run
            flow = np.where(months < closed, old, 0.0) + np.where(months >= live, new, 0.0)
        else:  # staff are paid in one room or the other; the old pattern until the rooms close
            flow = np.where(months < closed, old, new)
        out[category] = flow.astype(np.float64)
    for category in ("works", "fit_out", "ict"):
        amount = costs.one_off.get(category, 0.0) * (1 + bias.get(category, 0.0))
        spread = np.where(months < live, amount / max(live, 1), 0.0)
        out[category] = spread if live > 0 else _at(rules.months, 0, amount)
    transition = costs.one_off.get("transition", 0.0) * (1 + bias.get("transition", 0.0))
    out["transition"] = _at(rules.months, min(closed, rules.months - 1), transition)
    return out


def _at(months: int, month: int, amount: float) -> FloatArray:
    flow = np.zeros(months)
    flow[month] = amount
    return flow


def _yearly(monthly: FloatArray, n_years: int) -> FloatArray:
    padded = np.zeros(12 * n_years)
    padded[: len(monthly)] = monthly
    out: FloatArray = padded.reshape(n_years, 12).sum(axis=1)
    return out


def discounted_payback_years(saving: npt.ArrayLike, discount: npt.ArrayLike) -> float | None:
    """Years until the cumulative discounted saving turns non-negative (interpolated in the year).

    Year ``t`` runs from ``t`` to ``t + 1`` years after the works start, its money spread evenly.

    ``saving``: pounds saved each year against do nothing (negative while investing);
    ``discount``: each year's discount factor. ``None`` when it never turns within the period,
    ``0.0`` when nothing is ever spent.
    """
    flows = np.asarray(saving, dtype=np.float64) * np.asarray(discount, dtype=np.float64)
    cumulative = np.cumsum(flows)
    if not (cumulative < 0).any():
        return 0.0
    last_negative = int(np.flatnonzero(cumulative < 0)[-1])
    if last_negative == len(flows) - 1:
        return None
    year = last_negative + 1  # year t runs from t to t + 1 years after the works start
    return round(year + float(-cumulative[last_negative] / flows[year]), 2)


def appraise(
    options: list[OptionCosts], today: OptionCosts, rules: CashFlowRules
) -> list[Appraisal]:
    """Return the appraisal of do nothing (``today``, first) and of every option, in order."""
    n_years = rules.n_years
    discount = (1 + rules.discount_rate) ** -np.arange(n_years, dtype=np.float64)
    flows = []
    for costs in [today, *options]:
        monthly = _monthly(rules, costs, today)
        flows.append((costs.name, {k: _yearly(v, n_years) for k, v in monthly.items()}))
    base_total = _summed(flows[0][1])
    base_pv = float(base_total @ discount)
    out = []
    for row, (name, by_category) in enumerate(flows):
        total = _summed(by_category)
        pv = float(total @ discount)
        out.append(
            Appraisal(
                name=name,
                cash_flow={k: tuple(round(float(v), 2) for v in a) for k, a in by_category.items()},
                total=tuple(round(float(v), 2) for v in total),
                present_value=round(pv, 2),
                npv_gbp=round(base_pv - pv, 2),
                discounted_payback_years=(
                    discounted_payback_years(base_total - total, discount) if row else None
                ),
            )
        )
    return out


def _summed(by_category: Mapping[str, FloatArray]) -> FloatArray:
    out: FloatArray = np.sum(np.stack(list(by_category.values())), axis=0)
    return out

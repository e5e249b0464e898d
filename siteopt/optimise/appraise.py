"""The Green Book appraisal of a solve: do nothing, do minimum, the chosen plan and the runners-up.

Each option's annualised cost components (the optimiser's objective) are turned back into what is
spent once and what is spent every year (:class:`~siteopt.costs.appraisal.OptionCosts`), then laid
out year by year by :func:`siteopt.costs.appraisal.appraise` with the instance's ``[appraisal]``
rules. With the default biases the one-offs add up to the solution's ``one_off_gbp``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from siteopt.costs.appraisal import Appraisal, CashFlowRules, OptionCosts, appraise
from siteopt.costs.prices import annuity_factor

if TYPE_CHECKING:
    from siteopt.instance.schema import Instance

__all__ = ["DO_MINIMUM", "DO_NOTHING", "appraisal_rules", "appraise_options", "option_costs"]

#: Names of the two reference options.
DO_NOTHING = "do nothing"
DO_MINIMUM = "do minimum"

#: One-offs the optimiser uplifts by ``[costs] optimism_bias`` (the others: none).
_UPLIFTED = ("works", "fit_out", "ict")


def appraisal_rules(instance: Instance) -> CashFlowRules:
    """Return the instance's cash-flow rules (period, rate, months, bias per category)."""
    table = instance.appraisal
    default = instance.costs.optimism_bias.value
    bias = dict.fromkeys(_UPLIFTED, default) | {"transition": 0.0, "recurring": 0.0}
    bias |= {category: figure.value for category, figure in table.optimism_bias.items()}
    return CashFlowRules(
        years=instance.costs.appraisal_years.value,
        discount_rate=instance.costs.discount_rate.value,
        build_months=table.build_months.value,
        dual_running_months=table.dual_running_months.value,
        optimism_bias=bias,
    )


def option_costs(
    instance: Instance,
    name: str,
    sites: Sequence[str],
    costs: Mapping[str, float],
    *,
    today: bool = False,
) -> OptionCosts:
    """Return what an option spends once and every year, before optimism bias (pounds).

    ``costs`` is its cost a year by component, as the optimiser priced it (``Solution.costs``,
    ``OptionSummary.costs`` or ``Result.baseline_costs``): running costs are recurring; the rest
    of ``sites`` (moving in), ``seats`` (fit-out), ``merge`` (ICT) and ``transition`` are
    annualised one-offs, turned back into one-offs with the annuity factor and without the
    optimiser's uplift.
    """
    factor = annuity_factor(
        instance.costs.discount_rate.value, instance.costs.appraisal_years.value
    )
    unbiased = factor / (1 + instance.costs.optimism_bias.value)
    running = sum(_running_cost(instance, sid) for sid in sites)
    return OptionCosts(
        name=name,
        recurring={
            "staff": costs.get("staff", 0.0),
            "functions": costs.get("functions", 0.0),
            "running": running,
            "standby": costs.get("standby", 0.0),
        },
        one_off={
            "works": max(costs.get("sites", 0.0) - running, 0.0) * unbiased,
            "fit_out": costs.get("seats", 0.0) * unbiased,
            "ict": costs.get("merge", 0.0) * unbiased,
            "transition": costs.get("transition", 0.0) * factor,
        },
        today=today,
    )


def _running_cost(instance: Instance, sid: str) -> float:
    """A site's running cost a year (also today's rooms a what-if removed from the candidates)."""
    figure = instance.sites.costs_for(sid).running_cost_gbp
    if figure is None:  # the validator requires it of every candidate and room
        msg = f"site {sid!r} has no running_cost_gbp"
        raise ValueError(msg)
    return float(figure.value)


def appraise_options(
    instance: Instance,
    baseline_costs: Mapping[str, float],
    options: Sequence[tuple[Sequence[str], Mapping[str, float]]],
) -> tuple[Appraisal, ...]:
    """Return do nothing, do minimum (when the instance defines one) and each option, appraised.

    ``options``: each option's sites and its cost a year by component (the chosen plan first).
    """
    rooms = list(dict.fromkeys(force.current_site for force in instance.forces.values()))
    today = option_costs(instance, DO_NOTHING, rooms, baseline_costs, today=True)
    listed = [option_costs(instance, " + ".join(sites), sites, costs) for sites, costs in options]
    minimum = instance.appraisal.do_minimum
    if minimum is not None:
        recurring = dict(today.recurring)
        recurring["running"] += minimum.recurring_change_gbp.value
        one_off = dict(today.one_off)
        one_off["ict"] += minimum.one_off_gbp.value
        listed.insert(0, OptionCosts(DO_MINIMUM, recurring, one_off, today=True))
    return tuple(appraise(listed, today, appraisal_rules(instance)))

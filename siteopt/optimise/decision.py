"""Switching values and robustness to drive-time error, added to a solved :class:`Result`.

Both take seconds (each re-prices options many times), so :func:`~siteopt.optimise.solve.solve`
computes them only when asked (``decision=True``; ``siteopt solve --out`` asks).
"""

from __future__ import annotations

from dataclasses import replace

from siteopt.optimise.result import Result
from siteopt.optimise.robustness import (
    MANY_SITES,
    decision_robustness,
    default_draws,
    not_computed,
)
from siteopt.optimise.switching import switching_values
from siteopt.status import Status

__all__ = ["SWITCHING_MAX_SITES", "switching_not_computed", "with_decision_analysis"]

#: Beyond this many candidates switching values are not computed: each of ~1,000 prices
#: rebuilds the whole problem and re-prices every site pair (hundreds of sites: many minutes).
SWITCHING_MAX_SITES = MANY_SITES


def switching_not_computed(n_sites: int) -> str | None:
    """Why switching values are not computed for ``n_sites`` candidates (``None``: they are)."""
    if n_sites <= SWITCHING_MAX_SITES:
        return None
    return (
        f"{n_sites} candidate sites: each switching value re-prices every one- and two-site "
        f"option of the whole problem many times, which takes minutes beyond "
        f"{SWITCHING_MAX_SITES} candidates"
    )


def with_decision_analysis(result: Result) -> Result:
    """Return ``result`` with its switching values and robustness filled in.

    Sets ``Result.switching`` and ``Result.robustness``. Only a proven optimal plan of one or
    two sites, with its instance and problem data, gets numbers; otherwise ``robustness`` says
    why (:attr:`~siteopt.optimise.robustness.Robustness.not_computed`) and ``switching`` stays
    ``None``, as it does without a feasible runner-up.
    """
    solution, instance, problem = result.solution, result.instance, result.problem
    if instance is None or problem is None:  # read back from JSON alone: nothing to re-price
        return result
    why = _why_not_analysed(result)
    if why is not None or solution is None:
        return replace(result, robustness=not_computed(why or "no plan was found"))
    chosen = tuple(solution.site_ids)
    runner_up = next(
        (o.sites for o in result.alternatives if o.feasible and set(o.sites) != set(chosen)),
        None,
    )
    computed = runner_up is not None and switching_not_computed(problem.n_sites) is None
    switching = switching_values(instance, problem, chosen) if computed else None
    robustness = decision_robustness(instance, problem, chosen, draws=default_draws(problem))
    return replace(result, switching=switching, robustness=robustness)


def _why_not_analysed(result: Result) -> str | None:
    """Why a result gets no switching values or robustness, or ``None`` when it does."""
    if result.solution is None:
        return f"no plan was found ({result.status})"
    if result.status is not Status.OPTIMAL:
        return f"the plan is not proven optimal ({result.status}): its ranking is not settled"
    if len(result.solution.site_ids) > 2 or (result.problem and result.problem.k_min > 2):
        return "plans of more than two rooms (the option table prices one or two)"
    return None

"""Switching values and robustness to drive-time error, added to a solved :class:`Result`.

Both take seconds (each re-prices options many times), so :func:`~siteopt.optimise.solve.solve`
computes them only when asked (``decision=True``; ``siteopt solve --out`` asks).
"""

from __future__ import annotations

from dataclasses import replace

from siteopt.optimise.result import Result
from siteopt.optimise.robustness import decision_robustness, default_draws, not_computed
from siteopt.optimise.switching import switching_values
from siteopt.status import Status

__all__ = ["with_decision_analysis"]


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
    switching = switching_values(instance, problem, chosen) if runner_up is not None else None
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

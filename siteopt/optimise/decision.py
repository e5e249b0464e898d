"""Switching values and robustness to drive-time error, added to a solved :class:`Result`.

Both take seconds (each re-prices options many times), so :func:`~siteopt.optimise.solve.solve`
computes them only when asked (``decision=True``; ``siteopt solve --out`` asks).
"""

from __future__ import annotations

from dataclasses import replace

from siteopt.optimise.result import Result
from siteopt.optimise.robustness import decision_robustness, default_draws
from siteopt.optimise.switching import switching_values
from siteopt.status import Status

__all__ = ["with_decision_analysis"]


def with_decision_analysis(result: Result) -> Result:
    """Return ``result`` with its switching values and robustness filled in.

    Sets ``Result.switching`` and ``Result.robustness``. Only an optimal plan of one or two
    sites with its instance and problem data gets them; the switching values need a feasible
    runner-up (the first feasible alternative).
    """
    solution, instance, problem = result.solution, result.instance, result.problem
    if result.status is not Status.OPTIMAL or solution is None or instance is None:
        return result
    if problem is None or len(solution.site_ids) > 2 or problem.k_min > 2:
        return result
    chosen = tuple(solution.site_ids)
    runner_up = next(
        (o.sites for o in result.alternatives if o.feasible and set(o.sites) != set(chosen)),
        None,
    )
    switching = (
        switching_values(instance, problem, chosen, tuple(runner_up))
        if runner_up is not None and len(runner_up) <= 2
        else None
    )
    robustness = decision_robustness(instance, problem, chosen, draws=default_draws(problem))
    return replace(result, switching=switching, robustness=robustness)

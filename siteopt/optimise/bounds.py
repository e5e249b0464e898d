"""Lower bounds on the cost of any option with exactly ``k`` open sites.

CP-SAT's linear relaxation of the site choice is weak when there are hundreds of candidates: a
fractional mix of cheap half-open sites prices staff and moves far below any real option. A
valid bound per number of open sites, added as the single inequality

    cost >= Σ_k bound[k] · (exactly k sites open)

lets the relaxation see what a size costs at least. For one and two sites the bound is exact (the
optimum of :func:`siteopt.optimise.options.option_table`); sizes with no feasible option are closed.
For three sites and more it is the sum of lower bounds on each cost term (``docs/model.md``).
"""

from __future__ import annotations

from itertools import product

import numpy as np

from siteopt.optimise.arrays import IntArray
from siteopt.optimise.constraints import split_holds, standby_cost
from siteopt.optimise.options import OptionTable, option_table
from siteopt.optimise.problem import ProblemData

__all__ = ["size_lower_bounds"]


def size_lower_bounds(
    problem: ProblemData, *, table: OptionTable | None = None
) -> dict[int, int | None]:
    """Return, per number of open sites ``k``, a lower bound on any feasible option's cost.

    ``None`` marks a size with no feasible option (proven by enumeration for ``k <= 2``, or too
    few sites that may open). ``table``: the problem's :func:`option_table`, if already built.
    """
    bounds: dict[int, int | None] = {}
    if problem.k_min <= 2:
        table = table if table is not None else option_table(problem)
        size = np.where(table.second < 0, 1, 2)
        for k in range(problem.k_min, min(problem.k_max, 2) + 1):
            feasible = table.feasible & (size == k)
            bounds[k] = int(table.total[feasible].min()) if feasible.any() else None
    for k in range(max(problem.k_min, 3), problem.k_max + 1):
        bounds[k] = _bound_for_size(problem, k)
    return bounds


def _allowed_sites(problem: ProblemData) -> IntArray:
    """Indices of the sites every constraint lets open."""
    allowed = np.ones(problem.n_sites, dtype=np.bool_)
    for c in problem.constraints:
        sites = c.allowed_sites(problem)
        if sites is not None:
            allowed &= sites
    return np.flatnonzero(allowed)


def _bound_for_size(problem: ProblemData, k: int) -> int | None:
    """Sum of per-term lower bounds for ``k >= 3`` open sites (valid, not tight).

    Sites: the ``k`` cheapest that may open. Staff: the fewest agent-intervals at the cheapest
    agent. Transition: each force's cheapest move, plus the recruits that even the most
    stayers cannot avoid. Standby: what the constraints charge ``k`` rooms. Seats and
    redundancy are at least zero.
    """
    sites = _allowed_sites(problem)
    if len(sites) < k:
        return None
    intervals = _fewest_agent_intervals(problem, k)
    if intervals is None:
        return None
    fixed = int(np.sort(problem.fixed_cost[sites])[:k].sum())
    staff = int(problem.agent_cost[sites].min()) * intervals
    leaving = int(problem.move_cost[:, sites].min(axis=1).sum())
    stayers_top = int(problem.stay[:, sites].max(axis=1).sum())
    recruits = max(0, problem.agent_fte * intervals - stayers_top)
    standby = standby_cost(problem.constraints, problem, k)
    transition = leaving + problem.recruit_cost * recruits
    return fixed + staff + problem.merge_cost + standby + transition


def _fewest_agent_intervals(problem: ProblemData, k: int) -> int | None:
    """Fewest agent-intervals a week over the allowed routings of ``k`` rooms.

    Pooled: ``max(level, k m)`` at each level. By force: every split of the forces into ``k``
    non-empty groups (rooms), each room staffed for its group. Splits the constraints rule out
    (:meth:`~siteopt.optimise.constraints.Constraint.split_holds`) are skipped.
    """
    candidates: list[int] = []
    if "pooled" in problem.routings and split_holds(problem.constraints, problem, k, None):
        totals = problem.pooled_totals(k)
        candidates.append(int((problem.level_weights * totals).sum()))
    if "by_force" in problem.routings and k <= problem.n_forces:
        per_group = problem.group_agents.sum(axis=1)
        for labels in product(range(k), repeat=problem.n_forces):
            if len(set(labels)) < k:
                continue
            masks = [sum(1 << f for f, g in enumerate(labels) if g == room) for room in range(k)]
            if split_holds(problem.constraints, problem, k, tuple(masks)):
                candidates.append(int(sum(per_group[m] for m in masks)))
    return min(candidates) if candidates else None

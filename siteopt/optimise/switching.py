"""Switching values: how far each modelled figure must move before the runner-up wins.

For the chosen option (its set of open sites) against the runner-up (the cheapest feasible
alternative of the options table), each figure of the instance labelled ``assumption`` (and
each call volume estimated per head of other forces, :func:`assumed_figures`) is varied
on its own, the two site sets are re-priced exactly with the figure changed (the problem data is
rebuilt from the changed instance, :func:`~siteopt.optimise.build.problem_from_instance`, and each
set priced by the enumeration, :func:`~siteopt.optimise.options.site_set_options`) and the value
at which the runner-up becomes the cheaper feasible option is found:

- first a screen at the ends of the search range (today's value ×0.1 and ×10, narrowed to what
  the figure's own limits allow) and at ×0.5 and ×2: a figure that changes neither option's cost
  nor feasibility there is listed as not affecting the choice;
- where the cost difference is a straight line through every screened point (most cost figures:
  a salary, a running cost, a one-off), the closed-form root of that line is checked by pricing
  just either side of it;
- otherwise (staffing steps, thresholds, feasibility) a grid of factors brackets the nearest
  flip on each side and bisection narrows it to :data:`REL_TOLERANCE` of today's value (to one
  unit for whole-number figures).

The switching value is the nearest value, on either side of today's, at which the runner-up wins
(ties go to the chosen option, as in the ranking). A flip that happens and un-happens between two
grid points would be missed; the grid is fine enough near today's value for the figures shipped.
Figures valued 0 today have no multiplicative range and are listed apart.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import BaseModel

from siteopt.errors import InstanceError
from siteopt.instance.figures import Calls, Figure, PerHeadEstimate
from siteopt.optimise.build import problem_from_instance, travel_inputs
from siteopt.optimise.options import site_set_options

if TYPE_CHECKING:
    from siteopt.instance.schema import Instance
    from siteopt.optimise.build import TravelInputs
    from siteopt.optimise.problem import ProblemData
    from siteopt.queueing.fte import StaffingTable

__all__ = [
    "HIGH_FACTOR",
    "LOW_FACTOR",
    "SwitchingValue",
    "SwitchingValues",
    "assumed_figures",
    "runner_up_wins",
    "switching_values",
    "with_figure",
]


#: The search range: today's value times these factors (narrowed by the figure's own limits).
LOW_FACTOR = 0.1
HIGH_FACTOR = 10.0

#: Bisection stops when the bracket is this share of today's value (whole numbers: one unit).
REL_TOLERANCE = 1e-3

#: Factors of today's value tried, nearest first, when the difference is not a straight line.
_GRID_UP = (1.05, 1.1, 1.25, 1.5, 2.0, 3.0, 5.0, 10.0)
_GRID_DOWN = (0.95, 0.9, 0.75, 0.5, 0.33, 0.2, 0.1)


How = Literal["closed form", "bisection"]


@dataclass(frozen=True)
class SwitchingValue:
    """One figure's switching value (``switch`` is ``None`` when it does not flip in range).

    Attributes
    ----------
    figure
        The figure's dotted path in the instance (``pay.call_handler_salary_gbp``).
    today
        Its value in the instance.
    switch
        The value at which the runner-up becomes the cheaper feasible option; ``None`` when that
        does not happen anywhere in ``low..high``.
    change
        ``switch / today - 1`` (``-0.2``: 20 % lower); ``None`` without a switch.
    low, high
        The range searched (today ×0.1 to ×10, narrowed by the figure's limits).
    how
        ``"closed form"`` (root of the straight-line cost difference, checked either side) or
        ``"bisection"``; ``None`` without a switch.
    tolerance
        The switch is exact to this much: just short of it (towards today) the chosen option
        still wins.
    """

    figure: str
    today: float
    switch: float | None
    change: float | None
    low: float
    high: float
    how: How | None
    tolerance: float


@dataclass(frozen=True)
class SwitchingValues:
    """The switching values of a result: chosen option against runner-up.

    Attributes
    ----------
    chosen, runner_up
        The site ids of the chosen option and of the runner-up (the cheapest feasible
        alternative).
    margin_gbp
        How much cheaper the chosen option is a year today (runner-up minus chosen).
    values
        Every assumption figure that changes either option's cost or feasibility within its
        range, nearest switch (by relative change) first, those that do not flip last.
    unaffected
        Assumption figures that change neither option's cost nor feasibility within their range.
    zero
        Assumption figures valued 0 today (no multiplicative range to search).
    """

    chosen: tuple[str, ...]
    runner_up: tuple[str, ...]
    margin_gbp: float
    values: tuple[SwitchingValue, ...]
    unaffected: tuple[str, ...]
    zero: tuple[str, ...]


#: What pricing one value gives: each option's total (money units), ``None`` when infeasible.
_State = tuple[int | None, int | None]


def switching_values(
    instance: Instance,
    problem: ProblemData,
    chosen: tuple[str, ...],
    runner_up: tuple[str, ...],
) -> SwitchingValues:
    """Return the switching value of every assumption figure: chosen against runner-up.

    Parameters
    ----------
    instance, problem
        The instance solved and its problem data.
    chosen, runner_up
        Site ids of the chosen option and of the runner-up (one or two sites each).

    Returns
    -------
    SwitchingValues
        Per figure: today's value, the value at which the runner-up wins (or none in range).
    """
    base = _Pricer(instance, chosen, runner_up).state_of(problem)
    pricer = _Pricer(_only_sites(instance, {*chosen, *runner_up}), chosen, runner_up)
    if pricer.state("", 0.0) != base:  # a constraint names another site: price on everything
        pricer = _Pricer(instance, chosen, runner_up)
    if base[0] is None or base[1] is None or base[1] < base[0]:
        msg = f"expected {chosen} feasible and no dearer than {runner_up} (the ranking)"
        raise ValueError(msg)
    values, unaffected, zero = [], [], []
    for path, today in assumed_figures(instance):
        if today == 0:
            zero.append(path)
            continue
        found = _figure_switch(pricer, path, today, base)
        if found is None:
            unaffected.append(path)
        else:
            values.append(found)
    values.sort(key=lambda v: (v.change is None, abs(v.change or 0.0), v.figure))
    return SwitchingValues(
        chosen=chosen,
        runner_up=runner_up,
        margin_gbp=round((base[1] - base[0]) / _money_per_gbp(), 2),
        values=tuple(values),
        unaffected=tuple(unaffected),
        zero=tuple(zero),
    )


def assumed_figures(instance: Instance) -> list[tuple[str, float]]:
    """Every number of the instance labelled ``assumption``, with its dotted path and value.

    The figures (``Instance.figures``) and the call volumes estimated per head of other forces
    (their calls a year before growth, to the call: each stands for the figure it replaces).
    """
    from siteopt.demand.volumes import annual_volumes  # noqa: PLC0415 (lazy: reads the LSOAs)

    found: list[tuple[str, float]] = [
        (path, figure.value)
        for path, figure in instance.figures()
        if figure.assumption and _is_number(figure.value)
    ]
    growth = instance.demand.growth.value
    found += [
        (f"demand.volumes.{v.force}.{v.stream}", float(round(v.calls / growth)))
        for v in annual_volumes(instance)
        if v.estimated
    ]
    return found


def _money_per_gbp() -> int:
    from siteopt.optimise.problem import MONEY_UNITS_PER_GBP  # noqa: PLC0415 (one constant)

    return MONEY_UNITS_PER_GBP


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def runner_up_wins(state: _State) -> bool:
    """Whether the runner-up is the cheaper feasible option (ties go to the chosen one)."""
    chosen, runner = state
    return runner is not None and (chosen is None or runner < chosen)


class _Pricer:
    """Prices the two site sets with one figure changed, sharing what the figure cannot change."""

    def __init__(
        self,
        instance: Instance,
        chosen: tuple[str, ...],
        runner_up: tuple[str, ...],
    ) -> None:
        self.instance = instance
        self.sets = (chosen, runner_up)
        self._travel: TravelInputs | None = None
        self._staffing: StaffingTable | None = None

    def travel(self) -> TravelInputs:
        if self._travel is None:
            self._travel = travel_inputs(self.instance)
        return self._travel

    def staffing(self) -> StaffingTable:
        if self._staffing is None:
            from siteopt.queueing.fte import staffing_table  # noqa: PLC0415 (lazy: pulls in scipy)

            self._staffing = staffing_table(self.instance)
        return self._staffing

    def state_of(self, problem: ProblemData) -> _State:
        chosen, runner = (self._total(problem, ids) for ids in self.sets)
        return chosen, runner

    @staticmethod
    def _total(problem: ProblemData, ids: tuple[str, ...]) -> int | None:
        sites = tuple(problem.site_ids.index(s) for s in ids)
        feasible = [o.total for o in site_set_options(problem, sites) if o.feasible]
        return min(feasible) if feasible else None

    def state(self, path: str, value: float) -> _State | None:
        """Both totals with ``path`` set to ``value``; ``None`` when the value is out of bounds.

        ``path`` empty: today's instance.
        """
        try:
            variant = with_figure(self.instance, path, value) if path else self.instance
            travel = None if path.startswith("network.") else self.travel()
            shared = not path.startswith(("demand.", "staffing."))
            problem = problem_from_instance(
                variant, travel=travel, staffing_table=self.staffing() if shared else None
            )
        except (InstanceError, ValueError):
            return None
        return self.state_of(problem)


def _only_sites(instance: Instance, ids: set[str]) -> Instance:
    """The instance with only ``ids`` as candidates.

    Each evaluation prices two site sets, and the problem data of a handful of sites builds
    several times faster (the costs of a site set do not depend on the other candidates).
    """
    dataset_ids = [
        s for s in instance.candidate_ids() if s in ids and s in instance.dataset().sites
    ]
    sites = instance.sites.model_copy(update={"candidates": dataset_ids, "exclude": []})
    variant = instance.model_copy(update={"sites": sites})
    variant._greenfield = tuple(g for g in instance.greenfield_sites if g.id in ids)
    return variant


def with_figure(instance: Instance, path: str, value: float) -> Instance:
    """Return ``instance`` with the figure at ``path`` set to ``value`` (validated by its type).

    Raises
    ------
    ValueError
        When ``value`` is outside the figure's own limits (a share above 1, a count below 0).
    """
    keys = path.split(".")

    def replaced(node: Any, rest: list[str]) -> Any:
        if not rest and isinstance(node, PerHeadEstimate):  # a figure in place of the estimate
            note = f"varied from a per-head estimate ({node.assumption})"
            return Figure[Calls].model_validate({"value": value, "assumption": note})
        if not rest:
            figure: Figure[Any] = node
            label = {"source": figure.source, "assumption": figure.assumption}
            return type(figure).model_validate({"value": value, **label})
        key, tail = rest[0], rest[1:]
        if isinstance(node, BaseModel):
            return node.model_copy(update={key: replaced(getattr(node, key), tail)})
        return {**node, key: replaced(node[key], tail)}

    variant: Instance = replaced(instance, keys)
    return variant


def _figure_switch(pricer: _Pricer, path: str, value: float, base: _State) -> SwitchingValue | None:
    """The figure's switching value, or ``None`` when it changes neither option in range."""
    today = float(value)
    whole = isinstance(value, int)
    cache: dict[float, _State | None] = {today: base}

    def at(x: float) -> _State | None:
        x = float(round(x)) if whole else x
        if x not in cache:
            cache[x] = pricer.state(path, x)
        return cache[x]

    low = _valid_end(at, today, LOW_FACTOR, whole)
    high = _valid_end(at, today, HIGH_FACTOR, whole)
    screen = [x for x in (low, today * 0.5, today * 2.0, high) if low <= x <= high]
    states = [at(x) for x in screen]  # every point priced: the brackets use them
    if all(state == base for state in states):
        return None
    tol = _tolerance(today, whole)
    found = []
    for end in (low, high):
        bracket = _bracket(at, cache, today, end, whole)
        if bracket is not None:
            found.append(_narrowed(at, *bracket, tol=tol, whole=whole))
    if not found:
        return SwitchingValue(path, today, None, None, low, high, None, tol)
    switch, how = min(found, key=lambda f: abs(f[0] - today))
    change = switch / today - 1.0
    return SwitchingValue(path, today, switch, change, low, high, how, tol)


def _tolerance(today: float, whole: bool) -> float:
    return 1.0 if whole else abs(today) * REL_TOLERANCE


def _valid_end(
    at: Callable[[float], _State | None], today: float, factor: float, whole: bool
) -> float:
    """The farthest value towards ``today × factor`` the figure's limits accept (by halving)."""
    x = today * factor
    for _ in range(12):
        if at(x) is not None:
            return float(round(x)) if whole else x
        x = today + (x - today) / 2.0
    return today


def _difference(state: _State | None) -> float | None:
    """Runner-up minus chosen (money units) when both are feasible, else ``None``."""
    if state is None or state[0] is None or state[1] is None:
        return None
    return float(state[1] - state[0])


def _bracket(
    at: Callable[[float], _State | None],
    cache: dict[float, _State | None],
    today: float,
    end: float,
    whole: bool,
) -> tuple[float, float] | None:
    """The nearest pair (chosen wins, runner-up wins) between today and ``end``, or ``None``.

    The values priced so far are looked at first. When none of them flips, both options are
    feasible at all of them and the cost difference moves one way only across them, the side
    is taken not to flip; otherwise the grid of factors is priced outwards.
    """
    side = 1.0 if end > today else -1.0
    if end == today:
        return None

    def between(x: float) -> bool:
        return 0 < (x - today) * side <= (end - today) * side

    def first_flip(xs: list[float]) -> tuple[float, float] | None:
        inside = today
        for x in sorted(xs, key=lambda v: (v - today) * side):
            state = cache.get(x)
            if state is None:
                continue
            if runner_up_wins(state):
                return inside, x
            inside = x
        return None

    known = [x for x in cache if between(x)]
    if (found := first_flip(known)) is not None:
        return found
    diffs = [
        _difference(cache[x]) for x in sorted([today, *known], key=lambda v: (v - today) * side)
    ]
    if len(diffs) >= 3 and all(d is not None for d in diffs):
        steps = np.diff(np.array(diffs, dtype=float))
        if (steps >= 0).all() or (steps <= 0).all():
            return None  # both feasible throughout and the difference monotone: no flip here
    grid = _GRID_UP if side > 0 else _GRID_DOWN
    for factor in grid:
        x = float(round(today * factor)) if whole else today * factor
        if between(x):
            at(x)
    return first_flip([x for x in cache if between(x)])


def _narrowed(
    at: Callable[[float], _State | None],
    inside: float,
    outside: float,
    *,
    tol: float,
    whole: bool,
) -> tuple[float, How]:
    """Narrow a bracket to ``tol``, returning the end where the runner-up wins.

    Each step tries the root of the straight line through the bracket's ends and the value just
    short of it (this closes at once where the cost difference is linear), else bisects.
    """
    how: How = "closed form"
    while abs(outside - inside) > tol:
        d_in, d_out = _difference(at(inside)), _difference(at(outside))
        step = tol if outside > inside else -tol
        guess = None
        if d_in is not None and d_out is not None and d_in != d_out:
            guess = inside + (outside - inside) * d_in / (d_in - d_out)
            guess = float(math.ceil(guess) if step > 0 else math.floor(guess)) if whole else guess
            if not (min(inside, outside) < guess < max(inside, outside)):
                guess = None
        if guess is None:
            how = "bisection"
            mid = (inside + outside) / 2.0
            mid = float(round(mid)) if whole else mid
            if mid in (inside, outside):
                break
            inside, outside = _split(at, inside, outside, mid)
            continue
        inside, outside = _split(at, inside, outside, guess)
        near = guess - step if outside == guess else guess + step
        if min(inside, outside) < near < max(inside, outside):
            inside, outside = _split(at, inside, outside, near)
        if abs(outside - inside) > tol:
            how = "bisection"
    return outside, how


def _split(
    at: Callable[[float], _State | None], inside: float, outside: float, x: float
) -> tuple[float, float]:
    state = at(x)
    if state is not None and runner_up_wins(state):
        return inside, x
    return x, outside

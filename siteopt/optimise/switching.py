"""Switching values: how far each modelled figure must move before the recommendation changes.

Each figure of the instance labelled ``assumption`` (and each call volume estimated per head of
other forces, :func:`assumed_figures`) is varied on its own. At each value tried the variant is
validated as the loader would (:func:`with_figure`: the figure's own limits and every
cross-field check), the whole problem is rebuilt from it
(:func:`~siteopt.optimise.build.problem_from_instance`, every candidate) and every one- and
two-site option re-priced and re-checked at once (:func:`~siteopt.optimise.options.
option_table`). The recommendation *flips* at a value when the chosen site set no longer meets
every constraint, or any other option meeting every constraint is strictly cheaper (ties go to
the chosen set); the option that then wins is recorded.

- **Range**: today's value ×0.1 to ×10. Where an end is not a valid instance (a share above 1,
  existing seats above the maximum) or no finite staffing meets a service target there (the
  queueing model's :class:`~siteopt.errors.StaffingError`), the real limit is found by bisection
  between the last valid and the first invalid value (to the tolerance below; a round limit
  such as 1 is tried). Any other error propagates.
- **Screen**: the ends, ×0.5, ×2 and today. A figure that changes no option's cost or
  feasibility at any of them is listed as not affecting the choice.
- **Straight lines**: where every option's total is a straight line through the screened
  values and no option's feasibility changes there (a salary, a running cost, a one-off), the
  margin of the chosen set over the best other option is the minimum of straight lines, a
  concave function: it crosses zero at most once on each side, so the side flips exactly when it
  has flipped at its end, and the crossing is narrowed from there.
- **Otherwise** (staffing steps, thresholds, feasibility) a grid of factors is priced outwards
  on both sides at once, nearest first; the first value at which the chosen set no longer wins
  brackets the flip, whatever changed (its feasibility, or which option wins), and the other
  side is walked only as far as that flip.
- **Narrowing**: false position on the margins (the Illinois rule; first the root and the value
  just short of it, which closes a straight line at once), else bisection, until the bracket is
  :data:`REL_TOLERANCE` of today's value (one unit for whole-number figures). The switching
  value is priced: there the recorded winner wins; just short of it (towards today) the chosen
  set still does.

The switching value is the nearest flip found on either side of today's value. A flip that
happens and un-happens between two grid values of a figure that is not a straight line would be
missed; where the margin steps back and forth inside one bracket (staffing steps) the value is
one of its crossings, not necessarily the nearest.
Figures valued 0 today have no multiplicative range and are listed apart.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import BaseModel, ValidationError

from siteopt.errors import InstanceError, StaffingError
from siteopt.instance.checks import _Checker
from siteopt.instance.figures import PerHeadEstimate
from siteopt.optimise.build import problem_from_instance, travel_inputs
from siteopt.optimise.options import option_table

if TYPE_CHECKING:
    import numpy.typing as npt

    from siteopt.instance.schema import Instance
    from siteopt.optimise.build import TravelInputs
    from siteopt.optimise.problem import ProblemData
    from siteopt.queueing.fte import StaffingTable

__all__ = [
    "HIGH_FACTOR",
    "LOW_FACTOR",
    "REL_TOLERANCE",
    "SwitchingValue",
    "SwitchingValues",
    "assumed_figures",
    "switching_values",
    "with_figure",
]


#: The search range: today's value times these factors (narrowed by the figure's own limits).
LOW_FACTOR = 0.1
HIGH_FACTOR = 10.0

#: Bisection stops when the bracket is this share of today's value (whole numbers: one unit).
REL_TOLERANCE = 1e-3

#: Factors of today's value tried, nearest first, when the figure is not a straight line.
_GRID_UP = (1.05, 1.25, 1.5, 2.0, 5.0, 10.0)
_GRID_DOWN = (0.95, 0.8, 0.5, 0.2, 0.1)

#: A total farther than this share of the largest (plus a few units of rounding) from the
#: straight line through the screen is not on it (a salary's totals lie within ~1e-8).
_LINE_SLACK = 1e-7


How = Literal["closed form", "bisection", "grid"]


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
        The nearest value at which the chosen site set stops being the cheapest option meeting
        every constraint; ``None`` when that does not happen anywhere in ``low..high``.
    change
        ``switch / today - 1`` (``-0.2``: 20 % lower); ``None`` without a switch.
    low, high
        The range searched (today ×0.1 to ×10, narrowed to the values that make a valid
        instance).
    how
        ``"closed form"`` (the root of the straight line through the bracket's margins, checked
        either side), ``"bisection"``, or ``"grid"`` (two neighbouring values priced already
        a tolerance apart: whole numbers); ``None`` without a switch.
    tolerance
        The switch is exact to this much: just short of it (towards today) the chosen set still
        wins.
    winner
        The site ids of the option that wins at ``switch``: empty when no option meets every
        constraint there; ``None`` without a switch.
    """

    figure: str
    today: float
    switch: float | None
    change: float | None
    low: float
    high: float
    how: How | None
    tolerance: float
    winner: tuple[str, ...] | None = None


@dataclass(frozen=True)
class SwitchingValues:
    """The switching values of a result: when the chosen site set stops winning.

    Attributes
    ----------
    chosen
        The site ids of the chosen option.
    runner_up
        The cheapest other option meeting every constraint today (what ``margin_gbp`` is
        measured against; a switch may hand the win to any option).
    margin_gbp
        How much cheaper the chosen option is a year today (runner-up minus chosen).
    values
        Every assumption figure that changes some option's cost or feasibility within its
        range, nearest switch (by relative change) first, those that do not flip last.
    unaffected
        Assumption figures that change no option's cost or feasibility at the values screened.
    zero
        Assumption figures valued 0 today (no multiplicative range to search).
    """

    chosen: tuple[str, ...]
    runner_up: tuple[str, ...]
    margin_gbp: float
    values: tuple[SwitchingValue, ...]
    unaffected: tuple[str, ...]
    zero: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class _State:
    """Every option priced at one value: the chosen set's total and the best other option."""

    totals: npt.NDArray[np.int64]
    feasible: npt.NDArray[np.bool_]
    chosen: int | None  # the chosen set's total, ``None`` when it breaks a constraint
    other: int | None  # the cheapest other option meeting every constraint, ``None``: none
    winner: tuple[str, ...]  # the best other option's site ids (empty: none feasible)

    @property
    def flipped(self) -> bool:
        """Whether the chosen set no longer wins (ties go to it, as in the ranking)."""
        return self.chosen is None or (self.other is not None and self.other < self.chosen)

    @property
    def margin(self) -> float | None:
        """The best other option's total minus the chosen set's, when both are feasible."""
        if self.chosen is None or self.other is None:
            return None
        return float(self.other - self.chosen)

    def same_table(self, other: _State) -> bool:
        """Whether every option costs the same and is as feasible as in ``other``."""
        return bool(
            np.array_equal(self.totals, other.totals)
            and np.array_equal(self.feasible, other.feasible)
        )


def switching_values(
    instance: Instance, problem: ProblemData, chosen: tuple[str, ...]
) -> SwitchingValues:
    """Return the switching value of every assumption figure of ``instance``.

    Parameters
    ----------
    instance, problem
        The instance solved and its problem data.
    chosen
        Site ids of the chosen option (one or two sites): the cheapest option meeting every
        constraint.

    Returns
    -------
    SwitchingValues
        Per figure: today's value, the nearest value at which another option wins, and which.

    Raises
    ------
    ValueError
        When ``chosen`` is not the best option of ``problem`` or no other option meets every
        constraint (no runner-up to measure the margin against).
    """
    pricer = _Pricer(instance, chosen, problem)
    base = pricer.priced(problem)
    if base.flipped or base.other is None:
        msg = f"expected {chosen} to be the cheapest option meeting every constraint, with a rival"
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
        runner_up=base.winner,
        margin_gbp=round((base.other - (base.chosen or 0)) / _money_per_gbp(), 2),
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


class _Pricer:
    """Prices every option with one figure changed, sharing what the figure cannot change."""

    def __init__(self, instance: Instance, chosen: tuple[str, ...], problem: ProblemData) -> None:
        self.instance = instance
        self.site_ids = problem.site_ids
        self.chosen = frozenset(chosen)
        self._travel: TravelInputs | None = None
        self._staffing: StaffingTable | None = None
        self._checker: _Checker | None = None
        self._functions: dict[str, Any] = {}  # the priced non-call functions (build.py)

    def travel(self) -> TravelInputs:
        if self._travel is None:
            self._travel = travel_inputs(self.instance)
        return self._travel

    def staffing(self) -> StaffingTable:
        if self._staffing is None:
            from siteopt.queueing.fte import staffing_table  # noqa: PLC0415 (lazy: pulls in scipy)

            self._staffing = staffing_table(self.instance)
        return self._staffing

    def priced(self, problem: ProblemData) -> _State:
        """Every option of ``problem`` priced; the chosen set against the best other one."""
        if problem.site_ids != self.site_ids:
            raise ValueError("a figure changed the candidate sites: expected the same sites")
        table = option_table(problem)
        chosen_total: int | None = None
        other_row: int | None = None
        for row in table.ranked():
            if not table.feasible[row]:
                break
            ids = frozenset(self.site_ids[j] for j in table.site_set(int(row)))
            if ids == self.chosen:
                chosen_total = int(table.total[row])
            elif other_row is None:
                other_row = int(row)
            if chosen_total is not None and other_row is not None:
                break
        other = None if other_row is None else int(table.total[other_row])
        winner = (
            () if other_row is None else tuple(self.site_ids[j] for j in table.site_set(other_row))
        )
        return _State(table.total, table.feasible, chosen_total, other, winner)

    def checker(self) -> _Checker:
        if self._checker is None:
            self._checker = _Checker(self.instance, {})
        return self._checker

    def variant(self, path: str, value: float) -> Instance | None:
        """The instance with ``path`` set to ``value``; ``None`` when the loader would refuse it."""
        try:
            return _variant(self.instance, path, value, self.checker())
        except InstanceError:
            return None

    def state(self, path: str, variant: Instance) -> _State | None:
        """Every option priced in ``variant`` (``path``: the figure it changed).

        ``None`` when no finite staffing meets a service target there (the queueing model's
        :class:`~siteopt.errors.StaffingError`, as ``siteopt solve`` would report): the range
        ends before such a value. Any other error propagates.
        """
        travel = None if path.startswith("network.") else self.travel()
        same_staffing = not path.startswith(("demand.", "staffing."))
        same_functions = same_staffing and not path.startswith(("functions.", "pay."))
        try:
            problem = problem_from_instance(
                variant,
                travel=travel,
                staffing_table=self.staffing() if same_staffing else None,
                shared=self._functions if same_functions else None,
            )
        except StaffingError:
            return None
        return self.priced(problem)


def with_figure(instance: Instance, path: str, value: float) -> Instance:
    """Return ``instance`` with the figure at ``path`` set to ``value``, validated in full.

    The figure is validated by its field's type, every table on its path by its own rules (the
    shrinkage components sum to less than 1) and the variant by the loader's cross-field
    checks (:mod:`siteopt.instance.checks`: existing seats at most the maximum, ordered
    bounds), so a variant is exactly an instance the loader would accept.

    Raises
    ------
    InstanceError
        When the variant is not a valid instance, naming the field and what was expected.
    """
    return _variant(instance, path, value, _Checker(instance, {}))


def _variant(instance: Instance, path: str, value: float, checker: _Checker) -> Instance:
    """:func:`with_figure`, with the loader's checker of ``instance`` made once.

    The checker keeps what it read of the dataset (its sites and forces): no figure changes them.
    """
    keys = path.split(".")

    def replaced(node: Any, rest: list[str]) -> Any:
        if not rest and isinstance(node, PerHeadEstimate):  # a figure in place of the estimate
            note = f"varied from a per-head estimate ({node.assumption})"
            return {"value": value, "assumption": note}
        if not rest:  # validated by the field that holds it (its type's limits)
            return {"value": value, "source": node.source, "assumption": node.assumption}
        key, tail = rest[0], rest[1:]
        if isinstance(node, BaseModel):
            fields = {name: getattr(node, name) for name in type(node).model_fields}
            fields[key] = replaced(getattr(node, key), tail)
            return type(node).model_validate(fields)  # runs the table's own checks
        return {**node, key: replaced(node[key], tail)}

    try:
        variant: Instance = replaced(instance, keys)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(k) for k in error["loc"])
        raise InstanceError(instance.file, path, f"{value:g} ({where}): {error['msg']}") from None
    object.__setattr__(variant, "__pydantic_private__", dict(instance.__pydantic_private__ or {}))
    checker.instance = variant
    try:
        checker.check_all()
    finally:
        checker.instance = instance
    return variant


def _figure_switch(pricer: _Pricer, path: str, value: float, base: _State) -> SwitchingValue | None:
    """The figure's switching value, or ``None`` when it changes no option in range."""
    today = float(value)
    whole = isinstance(value, int)
    tol = _tolerance(today, whole)
    variants: dict[float, Instance | None] = {today: pricer.instance}
    cache: dict[float, _State | None] = {today: base}

    def variant(x: float) -> Instance | None:
        if x not in variants:
            variants[x] = pricer.variant(path, x)
        return variants[x]

    def valid(x: float) -> bool:
        return variant(_snap(x, whole)) is not None

    def at(x: float) -> _State | None:
        x = _snap(x, whole)
        if x not in cache:
            found = variant(x)
            cache[x] = None if found is None else pricer.state(path, found)
        return cache[x]

    def priced(x: float) -> bool:
        return at(x) is not None

    low, high = (
        _valid_end(priced, today, _valid_end(valid, today, today * f, whole, tol), whole, tol)
        for f in (LOW_FACTOR, HIGH_FACTOR)
    )
    screen = sorted(
        {low, high, today, *(_snap(today * f, whole) for f in (0.5, 2.0) if low < today * f < high)}
    )
    states = [at(x) for x in screen]
    if all(s is None or s.same_table(base) for s in states):
        return None
    linear = _straight_lines(screen, states)
    found = [
        _narrowed(at, *bracket, tol=tol, whole=whole)
        for bracket in _brackets(at, cache, today, (low, high), whole, linear=linear)
    ]
    if not found:
        return SwitchingValue(path, today, None, None, low, high, None, tol)
    switch, how, winner = min(found, key=lambda f: abs(f[0] - today))
    change = switch / today - 1.0
    return SwitchingValue(path, today, switch, change, low, high, how, tol, winner)


def _tolerance(today: float, whole: bool) -> float:
    return 1.0 if whole else abs(today) * REL_TOLERANCE


def _snap(x: float, whole: bool) -> float:
    return float(round(x)) if whole else x


def _valid_end(
    valid: Callable[[float], bool], today: float, end: float, whole: bool, tol: float
) -> float:
    """The farthest valid value from ``today`` towards ``end``: bisected to ``tol`` if invalid."""
    end = _snap(end, whole)
    if valid(end):
        return end
    good, bad = today, end
    while abs(bad - good) > tol:
        mid = _snap((good + bad) / 2.0, whole)
        if mid in (good, bad):
            break
        if valid(mid):
            good = mid
        else:
            bad = mid
    round_limit = _roundest(good, bad)
    if round_limit is not None and valid(round_limit):
        good = round_limit
    return good


def _roundest(good: float, bad: float) -> float | None:
    """The value with fewest decimals strictly between ``good`` and ``bad`` (or ``bad``)."""
    for decimals in range(0, 10):
        scale = 10.0**decimals
        if bad > good:
            x = math.ceil(good * scale) / scale
            if good < x <= bad:
                return x
        else:
            x = math.floor(good * scale) / scale
            if bad <= x < good:
                return x
    return None


def _straight_lines(xs: list[float], states: list[_State | None]) -> bool:
    """Whether every option's total is a straight line through ``xs`` with feasibility fixed."""
    if len(xs) < 3 or any(s is None for s in states):
        return False
    first = states[0]
    assert first is not None
    if any(not np.array_equal(s.feasible, first.feasible) for s in states if s is not None):
        return False
    x = np.array(xs, dtype=float)
    totals = np.stack([s.totals for s in states if s is not None]).astype(float)
    slope = (totals[-1] - totals[0]) / (x[-1] - x[0])
    line = totals[0] + np.outer(x - x[0], slope)
    slack = _LINE_SLACK * float(np.abs(totals).max(initial=0.0)) + 8.0
    return bool((np.abs(totals - line) <= slack).all())


def _brackets(
    at: Callable[[float], _State | None],
    cache: dict[float, _State | None],
    today: float,
    ends: tuple[float, float],
    whole: bool,
    *,
    linear: bool,
) -> list[tuple[float, float]]:
    """Pairs (chosen wins, chosen does not) that hold the nearest flip, one per side at most.

    Straight lines: the margin is concave, so a side flips only when it has at its end.
    Otherwise the values priced so far and the grid are walked outwards on both sides at once,
    nearest first; once a side flips, the other is walked only as far as that flip.
    """
    if linear:
        flipped = [end for end in ends if end != today and (s := at(end)) is not None and s.flipped]
        return [(today, end) for end in flipped]

    def side_of(x: float) -> int:
        return next((i for i, end in enumerate(ends) if _between(x, today, end)), -1)

    points = {x for x in cache if side_of(x) >= 0}
    points |= {x for f in (*_GRID_DOWN, *_GRID_UP) if side_of(x := _snap(today * f, whole)) >= 0}
    inside = [today, today]
    done: set[int] = set()
    found: list[tuple[float, float]] = []
    limit = math.inf  # the first flip found is at most this far from today
    for x in sorted(points, key=lambda v: abs(v - today)):
        side = side_of(x)
        if side in done:
            continue
        if abs(inside[side] - today) >= limit:  # any flip on this side is farther
            done.add(side)
            continue
        state = at(x)
        if state is None:
            continue
        if state.flipped:
            found.append((inside[side], x))
            done.add(side)
            limit = min(limit, abs(x - today))
        else:
            inside[side] = x
    return found


def _between(x: float, today: float, end: float) -> bool:
    side = 1.0 if end > today else -1.0
    return end != today and 0 < (x - today) * side <= (end - today) * side


def _narrowed(
    at: Callable[[float], _State | None],
    inside: float,
    outside: float,
    *,
    tol: float,
    whole: bool,
) -> tuple[float, How, tuple[str, ...]]:
    """Narrow a bracket to ``tol``: the value where the chosen set stops winning, and who wins.

    False position (the root of the straight line through the bracket's margins, the Illinois
    variant: an end kept twice has its margin halved) while both ends have a margin, else
    bisection. A first root followed by the value just short of it closes the bracket at once
    where the margin is a straight line (``"closed form"``).
    """
    how: How = "grid"
    kept = 0  # +1: the inside end kept in a row, -1: the outside end
    weight_in = weight_out = 1.0
    while abs(outside - inside) > tol:
        m_in, m_out = _margin(at(inside)), _margin(at(outside))
        step = tol if outside > inside else -tol
        guess = None
        if m_in is not None and m_out is not None:
            f_in, f_out = m_in * weight_in, m_out * weight_out
            if f_in != f_out:
                guess = inside + (outside - inside) * f_in / (f_in - f_out)
                if whole:
                    guess = float(math.ceil(guess) if step > 0 else math.floor(guess))
                # never within a tolerance of an end: each step narrows by at least that
                lo, hi = min(inside, outside) + tol, max(inside, outside) - tol
                guess = min(max(guess, lo), hi) if lo <= hi else None
        if guess is None:
            mid = _snap((inside + outside) / 2.0, whole)
            if mid in (inside, outside):
                break
            guess = mid
            how = "bisection"
        elif how == "grid":
            how = "closed form"
            first = guess
        before = (inside, outside)
        inside, outside = _split(at, inside, outside, guess)
        if how == "closed form" and inside == first:  # the root and just past it
            near = first + step
            if min(inside, outside) < near < max(inside, outside):
                inside, outside = _split(at, inside, outside, near)
        elif how == "closed form" and outside == first:
            near = first - step
            if min(inside, outside) < near < max(inside, outside):
                inside, outside = _split(at, inside, outside, near)
        if how == "closed form" and abs(outside - inside) > tol:
            how = "bisection"
        moved_in = inside != before[0]
        kept = (kept + 1 if kept > 0 else 1) if not moved_in else (kept - 1 if kept < 0 else -1)
        weight_in = 0.5 * weight_in if kept >= 2 and not moved_in else 1.0
        weight_out = 0.5 * weight_out if kept <= -2 and moved_in else 1.0
    state = at(outside)
    assert state is not None and state.flipped  # the bracket's outer end always flips
    return outside, how, state.winner


def _margin(state: _State | None) -> float | None:
    return None if state is None else state.margin


def _split(
    at: Callable[[float], _State | None], inside: float, outside: float, x: float
) -> tuple[float, float]:
    state = at(x)
    if state is not None and state.flipped:
        return inside, x
    return x, outside

"""Tests for siteopt/optimise/switching.py: switching values, checked by independent re-pricing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siteopt.instance.loading import load_instance
from siteopt.instance.schema import Instance
from siteopt.optimise.build import problem_from_instance
from siteopt.optimise.options import site_set_options
from siteopt.optimise.solve import solve
from siteopt.optimise.switching import (
    HIGH_FACTOR,
    LOW_FACTOR,
    SwitchingValue,
    SwitchingValues,
    assumed_figures,
    switching_values,
    with_figure,
)
from tests.conftest import INSTANCES


@pytest.fixture(scope="module")
def toy() -> Instance:
    return load_instance(INSTANCES / "toy.toml")


@pytest.fixture(scope="module")
def toy_switching(toy: Instance) -> SwitchingValues:
    result = solve(toy)
    assert result.solution is not None and result.problem is not None
    runner_up = next(a.sites for a in result.alternatives if a.feasible)
    return switching_values(toy, result.problem, result.solution.site_ids, runner_up)


def _runner_up_wins(instance: Instance, values: SwitchingValues, path: str, x: float) -> bool:
    """Re-price both options on the whole problem (every candidate) with ``path`` at ``x``."""
    problem = problem_from_instance(with_figure(instance, path, x))

    def best(ids: tuple[str, ...]) -> int | None:
        sites = tuple(problem.site_ids.index(s) for s in ids)
        totals = [o.total for o in site_set_options(problem, sites) if o.feasible]
        return min(totals) if totals else None

    chosen, runner = best(values.chosen), best(values.runner_up)
    return runner is not None and (chosen is None or runner < chosen)


def _flips(values: SwitchingValues) -> list[SwitchingValue]:
    return [v for v in values.values if v.switch is not None]


def test_every_assumption_figure_is_varied_listed_unaffected_or_zero(
    toy: Instance, toy_switching: SwitchingValues
) -> None:
    """Each numeric assumption figure lands in exactly one list; sourced figures in none."""
    assumed = {p for p, f in toy.figures() if f.assumption and not isinstance(f.value, bool)}
    estimated = {p for p, _ in assumed_figures(toy) if p.startswith("demand.volumes.")}
    assert estimated - assumed, "the toy estimates a volume per head: it is varied too"
    assumed |= estimated
    listed = [v.figure for v in toy_switching.values]
    listed += [*toy_switching.unaffected, *toy_switching.zero]
    assert sorted(listed) == sorted(assumed)
    assert toy_switching.margin_gbp > 0
    for v in toy_switching.values:
        assert v.low <= v.today <= v.high
        assert v.low >= v.today * LOW_FACTOR - 1 and v.high <= v.today * HIGH_FACTOR + 1


def test_the_runner_up_wins_at_the_switch_and_not_just_short_of_it(
    toy: Instance, toy_switching: SwitchingValues
) -> None:
    """Re-pricing with every candidate (not the search's reduced problem) agrees at each switch."""
    flips = _flips(toy_switching)
    assert flips, "the toy instance has figures that flip its ranking"
    for v in flips:
        assert v.switch is not None and v.change == pytest.approx(v.switch / v.today - 1)
        towards_today = -v.tolerance if v.switch > v.today else v.tolerance
        assert _runner_up_wins(toy, toy_switching, v.figure, v.switch)
        assert not _runner_up_wins(toy, toy_switching, v.figure, v.switch + towards_today)
        assert not _runner_up_wins(toy, toy_switching, v.figure, v.today)


@settings(max_examples=12, deadline=None)
@given(share=st.floats(0.0, 1.0), beyond=st.floats(0.0, 1.0))
def test_ranking_is_on_either_side_of_the_switching_value(
    toy: Instance, toy_switching: SwitchingValues, share: float, beyond: float
) -> None:
    """Between today and the switch the chosen option wins; a little past it the runner-up."""
    v = _flips(toy_switching)[0]
    assert v.switch is not None
    side = 1.0 if v.switch > v.today else -1.0
    short = v.switch - side * v.tolerance
    inside = v.today + share * (short - v.today)
    past = v.switch + side * beyond * 0.02 * v.today
    assert not _runner_up_wins(toy, toy_switching, v.figure, inside)
    assert _runner_up_wins(toy, toy_switching, v.figure, past)


def test_an_unaffected_figure_changes_neither_option_at_the_ends_of_its_range(
    toy: Instance, toy_switching: SwitchingValues
) -> None:
    """A figure listed as unaffected prices both options the same at ×0.1 and ×10."""
    if not toy_switching.unaffected:
        pytest.skip("every assumption figure of the toy moves an option")
    path = toy_switching.unaffected[0]
    today = dict(toy.figures())[path].value
    problems = [problem_from_instance(with_figure(toy, path, today * f)) for f in (1, 0.5, 2)]
    totals = [
        [
            min(o.total for o in site_set_options(p, (p.site_ids.index(s),)))
            for s in (*toy_switching.chosen, *toy_switching.runner_up)
        ]
        for p in problems
    ]
    assert totals[0] == totals[1] == totals[2]


def test_with_figure_refuses_a_value_outside_the_figures_limits(toy: Instance) -> None:
    """A share above 1 is not a what-if but an error: the search stops at the figure's limit."""
    with pytest.raises(ValueError, match="less than or equal to 1"):
        with_figure(toy, "staffing.shrinkage.sickness", 1.5)
    changed = with_figure(toy, "pay.call_handler_salary_gbp", 30_000.0)
    assert changed.pay.call_handler_salary_gbp.value == 30_000.0
    assert toy.pay.call_handler_salary_gbp.value != 30_000.0

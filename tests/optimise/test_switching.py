"""Tests for siteopt/optimise/switching.py: switching values, checked by independent re-pricing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siteopt.errors import InstanceError
from siteopt.instance.loading import load_instance
from siteopt.instance.schema import Instance
from siteopt.optimise.build import problem_from_instance
from siteopt.optimise.options import option_table
from siteopt.optimise.solve import solve
from siteopt.optimise.switching import (
    HIGH_FACTOR,
    LOW_FACTOR,
    SwitchingValue,
    SwitchingValues,
    _figure_switch,
    _Pricer,
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
    return switching_values(toy, result.problem, result.solution.site_ids)


def _winner(instance: Instance, path: str, x: float) -> tuple[str, ...] | None:
    """The best option of the whole problem (every candidate) with ``path`` at ``x``."""
    problem = problem_from_instance(with_figure(instance, path, x))
    table = option_table(problem)
    row = int(table.ranked()[0])
    if not table.feasible[row]:
        return None
    return tuple(problem.site_ids[j] for j in table.site_set(row))


def _chosen_wins(instance: Instance, values: SwitchingValues, path: str, x: float) -> bool:
    """Whether the chosen set is still (one of) the cheapest options meeting every constraint."""
    problem = problem_from_instance(with_figure(instance, path, x))
    table = option_table(problem)
    ids = [
        frozenset(problem.site_ids[j] for j in table.site_set(r)) for r in range(len(table.total))
    ]
    chosen = [r for r, s in enumerate(ids) if s == frozenset(values.chosen)]
    if not chosen or not table.feasible[chosen[0]]:
        return False
    others = table.total[table.feasible & (np.arange(len(ids)) != chosen[0])]
    return bool(others.size == 0 or others.min() >= table.total[chosen[0]])


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


def test_the_recommendation_flips_at_the_switch_and_not_just_short_of_it(
    toy: Instance, toy_switching: SwitchingValues
) -> None:
    """Re-pricing every option of the whole problem agrees at each switch, and on who wins."""
    flips = _flips(toy_switching)
    assert flips, "the toy instance has figures that flip its ranking"
    assert any(v.winner != toy_switching.runner_up for v in flips), "not only the runner-up"
    for v in flips:
        assert v.switch is not None and v.change == pytest.approx(v.switch / v.today - 1)
        towards_today = -v.tolerance if v.switch > v.today else v.tolerance
        assert not _chosen_wins(toy, toy_switching, v.figure, v.switch)
        assert _winner(toy, v.figure, v.switch) == (v.winner or None)
        assert _chosen_wins(toy, toy_switching, v.figure, v.switch + towards_today)


@settings(max_examples=12, deadline=None)
@given(share=st.floats(0.0, 1.0))
def test_the_chosen_set_wins_between_today_and_the_switch(
    toy: Instance, toy_switching: SwitchingValues, share: float
) -> None:
    """Anywhere between today and just short of the switch, the chosen set still wins."""
    v = _flips(toy_switching)[0]
    assert v.switch is not None
    side = 1.0 if v.switch > v.today else -1.0
    short = v.switch - side * v.tolerance
    assert _chosen_wins(toy, toy_switching, v.figure, v.today + share * (short - v.today))


def test_figures_said_not_to_flip_never_flip_on_a_fine_grid(
    toy: Instance, toy_switching: SwitchingValues
) -> None:
    """On the whole problem, 24 values across the range of each "does not flip" figure, and of
    each figure listed unaffected (×0.1 to ×10 where valid), keep the chosen set winning."""
    steady = [(v.figure, v.low, v.high) for v in toy_switching.values if v.switch is None]
    today = dict(assumed_figures(toy))
    steady += [(p, today[p] * LOW_FACTOR, today[p] * HIGH_FACTOR) for p in toy_switching.unaffected]
    assert steady
    for path, low, high in steady:
        for x in np.geomspace(low, high, 24):
            value = float(round(x)) if isinstance(today[path], int) else float(x)
            try:
                wins = _chosen_wins(toy, toy_switching, path, value)
            except InstanceError:
                continue  # beyond what the loader accepts: outside the range
            assert wins, f"{path} = {value}: the recommendation flips"


def test_a_share_is_searched_up_to_its_schema_bound(toy_switching: SwitchingValues) -> None:
    """×10 of a share is above 1: the range ends at 1, not at the halving short of it."""
    share = next(
        v for v in toy_switching.values if v.figure == "constraints.staff_commute.min_share"
    )
    assert share.high == 1.0
    assert share.switch is not None and 0.5 < share.switch <= 1.0


def test_with_figure_refuses_what_the_loader_refuses(toy: Instance) -> None:
    """A share above 1, or a cross-field break (shrinkage summing to 1), is an InstanceError."""
    with pytest.raises(InstanceError, match="less than or equal to 1"):
        with_figure(toy, "staffing.shrinkage.sickness", 1.5)
    with pytest.raises(InstanceError, match="sum to less than 1"):
        with_figure(toy, "staffing.shrinkage.sickness", 0.9)
    changed = with_figure(toy, "pay.call_handler_salary_gbp", 30_000.0)
    assert changed.pay.call_handler_salary_gbp.value == 30_000.0
    assert toy.pay.call_handler_salary_gbp.value != 30_000.0
    assert changed.file == toy.file


@pytest.fixture(scope="module")
def bch() -> Instance:
    return load_instance(INSTANCES / "bch-2015.toml")


def test_bch_existing_seats_above_the_maximum_is_not_a_switching_value(bch: Instance) -> None:
    """Kempston has 45 seats: a maximum of 43 is refused (as `siteopt solve` refuses it)."""
    with pytest.raises(InstanceError, match="existing_seats <= max_seats"):
        with_figure(bch, "sites.overrides.kempston.max_seats", 43)


def test_a_bch_switching_value_is_confirmed_by_solving_either_side(bch: Instance) -> None:
    """Force centres' limit: the full solve keeps Kempston just short, and changes just past it
    to the option the search names (not the runner-up, Biggleswade)."""
    result = solve(bch)
    assert result.solution is not None and result.problem is not None
    chosen = result.solution.site_ids
    pricer = _Pricer(bch, chosen, result.problem)
    path = "constraints.force_centres.max_minutes"
    v = _figure_switch(pricer, path, 60.0, pricer.priced(result.problem))
    assert v is not None and v.switch is not None and v.winner
    short = v.switch - v.tolerance if v.switch > v.today else v.switch + v.tolerance
    before = solve(with_figure(bch, path, short))
    after = solve(with_figure(bch, path, v.switch))
    assert before.solution is not None and before.solution.site_ids == chosen
    assert after.solution is not None and set(after.solution.site_ids) == set(v.winner)
    assert set(v.winner) != {"biggleswade"}


def test_every_figure_set_to_todays_value_prices_every_option_the_same(toy: Instance) -> None:
    """Re-validating the variant changes nothing but the figure (the tables round-trip)."""
    base = option_table(problem_from_instance(toy))
    for path, today in assumed_figures(toy)[::3]:
        again = option_table(problem_from_instance(with_figure(toy, path, today)))
        assert np.array_equal(again.total, base.total), path
        assert np.array_equal(again.feasible, base.feasible), path


def test_an_error_building_the_problem_is_not_taken_for_the_end_of_the_range(
    toy: Instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only a refused instance (or no finite staffing) ends a range; a bug propagates."""
    from siteopt.optimise import switching

    result = solve(toy)
    assert result.solution is not None and result.problem is not None
    pricer = _Pricer(toy, result.solution.site_ids, result.problem)
    base = pricer.priced(result.problem)
    real = problem_from_instance

    def broken(instance: Instance, **kwargs: object) -> object:
        if instance.pay.call_handler_salary_gbp.value > 100_000:
            raise ValueError("a bug, not a bound")
        return real(instance, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(switching, "problem_from_instance", broken)
    with pytest.raises(ValueError, match="a bug, not a bound"):
        _figure_switch(pricer, "pay.call_handler_salary_gbp", 20_000.0, base)

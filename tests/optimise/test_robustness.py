"""Tests for siteopt/optimise/robustness.py: the recommendation under drive-time error."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siteopt.errors import NetworkError
from siteopt.instance.loading import load_instance
from siteopt.instance.schema import Instance
from siteopt.network.error import ErrorDistribution, TravelTimeError, instance_travel_time_error
from siteopt.optimise import robustness
from siteopt.optimise.build import problem_from_instance, travel_inputs
from siteopt.optimise.result import Result
from siteopt.optimise.robustness import _TripGroups, decision_robustness
from siteopt.optimise.solve import solve
from tests.conftest import INSTANCES


@pytest.fixture(scope="module")
def toy() -> Instance:
    return load_instance(INSTANCES / "toy.toml")


@pytest.fixture(scope="module")
def toy_result(toy: Instance) -> Result:
    return solve(toy)


def _chosen(result: Result) -> tuple[str, ...]:
    assert result.solution is not None
    return result.solution.site_ids


def test_draws_are_seeded_and_every_draw_is_counted_once(toy: Instance, toy_result: Result) -> None:
    """Same seed, same answer; held + rivals + no option = draws."""
    assert toy_result.problem is not None
    first = decision_robustness(toy, toy_result.problem, _chosen(toy_result), draws=12, seed=3)
    again = decision_robustness(toy, toy_result.problem, _chosen(toy_result), draws=12, seed=3)
    assert first == again and first.not_computed is None
    assert first.held + first.no_option + sum(r.draws for r in first.rivals) == 12
    assert first.share == pytest.approx(first.held / 12)
    assert all(set(r.sites) != set(_chosen(toy_result)) for r in first.rivals)


def _exact(model: TravelTimeError) -> TravelTimeError:
    """The same groups with no error at all."""
    zero = {
        key: ErrorDistribution(d.data_kind, d.area_type, d.pairs, d.levels, d.quantiles * 0.0)
        for key, d in model.distributions.items()
    }
    return TravelTimeError(zero, model.county_data, model.definition)


def test_without_error_the_recommendation_holds_in_every_draw(
    toy: Instance, toy_result: Result, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With drive times exactly right every draw is the solve itself: it holds every time."""
    model = instance_travel_time_error(toy)
    assert model is not None and toy_result.problem is not None
    monkeypatch.setattr(robustness, "instance_travel_time_error", lambda _: _exact(model))
    found = decision_robustness(toy, toy_result.problem, _chosen(toy_result), draws=5)
    assert (found.held, found.share, found.rivals) == (5, 1.0, ())


def test_a_network_without_an_error_model_says_why_nothing_was_computed(
    toy: Instance, toy_result: Result, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dataset whose network was never validated (national) gets a reason, not a number."""

    def missing(_: Instance) -> TravelTimeError:
        raise NetworkError("network_calibration.json: no error_model")

    monkeypatch.setattr(robustness, "instance_travel_time_error", missing)
    assert toy_result.problem is not None
    found = decision_robustness(toy, toy_result.problem, _chosen(toy_result))
    assert found.share is None and found.draws == 0
    assert found.not_computed is not None and "no validated error model" in found.not_computed


def test_each_trip_keeps_the_measured_error_and_groups_move_together(toy: Instance) -> None:
    """The copula keeps every trip's marginal error (its median) and correlates a group."""
    model = instance_travel_time_error(toy)
    assert model is not None
    groups = _TripGroups(toy, model)
    rng = np.random.default_rng(0)
    draws = 4000
    minutes = np.full((2, 1), 30.0)
    index = np.array([[0], [0]])
    samples = np.array(
        [
            groups._real(minutes, index, robustness._Draw(rng, len(groups.names), 0.75))[:, 0]
            for _ in range(draws)
        ]
    )
    errors = 30.0 / samples - 1.0  # back to e = shown / real - 1
    measured = model.distributions[groups.names[0]]
    assert np.median(errors[:, 0]) == pytest.approx(measured.median_bias, abs=0.01)
    assert np.corrcoef(errors[:, 0], errors[:, 1])[0, 1] == pytest.approx(0.75, abs=0.06)


def test_a_plan_not_proven_optimal_gets_a_reason_instead_of_numbers(toy_result: Result) -> None:
    """FEASIBLE (time limit) or beyond two rooms: no draws, and the result says why."""
    from dataclasses import replace

    from siteopt.optimise.decision import with_decision_analysis
    from siteopt.status import Status

    cut_short = with_decision_analysis(replace(toy_result, status=Status.FEASIBLE))
    assert cut_short.switching is None and cut_short.robustness is not None
    assert cut_short.robustness.not_computed is not None
    assert "not proven optimal (FEASIBLE)" in cut_short.robustness.not_computed
    full = with_decision_analysis(toy_result)
    assert full.switching is not None and full.robustness is not None
    assert full.robustness.draws == 200 and full.robustness.not_computed is None


def test_taking_out_the_median_error_keeps_the_spread_and_reruns_the_same_draws(
    toy: Instance, toy_result: Result
) -> None:
    """Centred distributions have median error 0 and the same ratios between quantiles; the
    result reports each group's bias and the held count without it."""
    model = instance_travel_time_error(toy)
    assert model is not None
    centred = robustness._centred(model)
    for key, d in model.distributions.items():
        c = centred.distributions[key]
        assert c.median_bias == pytest.approx(0.0, abs=1e-12)
        assert np.allclose((1 + c.quantiles) * (1 + d.median_bias), 1 + d.quantiles)
    assert toy_result.problem is not None
    found = decision_robustness(toy, toy_result.problem, _chosen(toy_result), draws=8, seed=1)
    assert found.held_unbiased is not None and 0 <= found.held_unbiased <= 8
    assert {(b.data_kind, b.area_type) for b in found.bias} == set(model.distributions)
    assert all(b.median_error == model.distributions[b.data_kind, b.area_type].median_bias
               for b in found.bias)  # fmt: skip


def test_a_force_centre_trip_takes_the_area_type_of_the_centres_lsoa(toy: Instance) -> None:
    """A centre is not taken as rural: it has the area type of the LSOA nearest it."""
    from siteopt.network.error import area_types

    areas = area_types(toy.dataset())
    urban = robustness._centre_urban(toy, areas)
    lsoas = toy.dataset().lsoas()
    centres = toy.dataset().population_centres(toy.data.population_year)
    for f, fid in enumerate(toy.forces):
        d2 = (lsoas["x"] - centres[fid][0]) ** 2 + (lsoas["y"] - centres[fid][1]) ** 2
        nearest = lsoas["lsoa11cd"].iloc[int(np.argmin(d2.to_numpy()))]
        assert urban[f] == (areas.get(nearest) == "urban")


def test_site_to_site_minutes_left_out_stay_out_of_a_draw(toy: Instance) -> None:
    """Above the dense limit travel has no site × site matrix: a draw keeps it measured."""
    model = instance_travel_time_error(toy)
    assert model is not None
    groups = _TripGroups(toy, model)
    travel = replace(travel_inputs(toy), site_minutes=None)
    rng = np.random.default_rng(3)
    drawn = groups.perturbed(travel, robustness._Draw(rng, len(groups.names), 0.5))
    assert drawn.site_minutes is None
    assert not np.array_equal(drawn.home_minutes, travel.home_minutes)
    same = travel_inputs(toy, dense_sites=0)
    assert same.site_minutes is None
    problem = problem_from_instance(toy, travel=drawn)  # pairs measured on the network
    assert problem.n_sites == len(travel.candidates)


@settings(max_examples=40, deadline=None)
@given(
    levels=st.integers(3, 120),
    uniform=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_error_tables_give_each_groups_interpolated_error_bit_for_bit(
    levels: int, uniform: bool, seed: int
) -> None:
    """One table lookup per trip equals ``relative_error`` of the trip's group exactly.

    Probabilities at, just below and just above every level, 0 and 1, and random ones; levels
    ``k / (L - 1)`` (the segment found by arithmetic) or uneven ones (a search).
    """
    rng = np.random.default_rng(seed)
    if uniform:
        grid = np.arange(levels) / (levels - 1)
    else:
        grid = np.concatenate([[0.0], np.sort(rng.uniform(0.0, 1.0, levels - 2)), [1.0]])
        grid = np.unique(grid)
    names = [("real_a_roads", "rural"), ("real_a_roads", "urban"), ("strategic_mesh", "rural")]
    quantiles = np.sort(rng.normal(0.0, 0.2, (len(names), len(grid))), axis=1)
    quantiles[:, 1] = quantiles[:, 2]  # a flat segment
    model = TravelTimeError(
        {
            name: ErrorDistribution(name[0], name[1], 100, grid, q)
            for name, q in zip(names, quantiles, strict=True)
        }
    )
    tables = robustness._ErrorTables.of(model, names)
    assert tables is not None and tables.uniform == uniform
    u = np.concatenate(
        [
            rng.random(5000),
            grid,
            np.nextafter(grid[1:], 0.0),
            np.nextafter(grid[:-1], 1.0),
            [0.0, 1.0],
        ]
    )
    index = rng.integers(0, len(names), u.size)
    got = tables.errors(u, index)
    for g, name in enumerate(names):
        assert np.array_equal(
            got[index == g], model.distributions[name].relative_error(u[index == g])
        )


def test_error_tables_are_not_made_for_groups_of_different_levels(toy: Instance) -> None:
    """Levels that differ between groups: no shared table (each group interpolates its own)."""
    model = instance_travel_time_error(toy)
    assert model is not None
    names = sorted(model.distributions)
    first = model.distributions[names[0]]
    levels, quantiles = np.array([0.0, 0.3, 1.0]), np.array([-0.1, 0.0, 0.2])
    other = ErrorDistribution(first.data_kind, first.area_type, first.pairs, levels, quantiles)
    uneven = TravelTimeError({**model.distributions, names[0]: other})
    assert robustness._ErrorTables.of(uneven, names) is None
    assert robustness._ErrorTables.of(model, names) is not None

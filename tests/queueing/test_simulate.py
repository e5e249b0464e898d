"""The discrete-event simulation agrees with the Erlang formulas where they are exact."""

from __future__ import annotations

import numpy as np
import pytest

from siteopt.errors import StaffingError
from siteopt.instance.loading import load_instance
from siteopt.queueing.agents import ServiceTarget, evaluate_staffing
from siteopt.queueing.simulate import (
    even_split,
    simulate_instance,
    simulate_queue,
    simulate_site_failure,
)
from siteopt.queueing.teams import blended_required_agents
from tests.conftest import INSTANCES

HOURS = 24
CONFIDENCE = 0.99


def flat(rate: float, hours: int = HOURS, streams: int = 1) -> np.ndarray:
    return np.full((hours, streams), rate / streams)


def within(value: float, mean: float, half: float) -> bool:
    return abs(value - mean) <= half


def test_stationary_service_level_and_asa_match_erlang_c() -> None:
    result = simulate_queue(
        flat(200.0),
        np.full(HOURS, 14),
        interval_hours=1.0,
        aht_s=180.0,
        target_wait_s=20.0,
        replications=16,
        seed=1,
        confidence=CONFIDENCE,
    )
    theory = evaluate_staffing(14, 200.0, aht_s=180.0, target_wait_s=20.0)
    overall = result.overall
    assert within(
        float(theory.service_level), overall.service_level[0], overall.service_level_ci[0]
    )
    assert within(float(theory.asa_s), overall.asa_s[0], overall.asa_ci_s[0])
    assert overall.abandon_share[0] == 0.0
    assert 0.0 < overall.service_level_ci[0] < 0.02
    assert overall.offered[0] == pytest.approx(200.0 * HOURS, rel=0.03)


def test_erlang_a_abandonment_and_service_level_match_simulation() -> None:
    result = simulate_queue(
        flat(200.0),
        np.full(HOURS, 11),
        interval_hours=1.0,
        aht_s=180.0,
        target_wait_s=20.0,
        patience_s=120.0,
        replications=16,
        seed=2,
        confidence=CONFIDENCE,
    )
    theory = evaluate_staffing(11, 200.0, aht_s=180.0, target_wait_s=20.0, patience_s=120.0)
    overall = result.overall
    assert within(float(theory.abandon_share), overall.abandon_share[0], overall.abandon_ci[0])
    assert within(
        float(theory.service_level), overall.service_level[0], overall.service_level_ci[0]
    )
    assert within(float(theory.asa_s), overall.asa_s[0], overall.asa_ci_s[0])
    assert overall.abandon_share[0] > 0.05


def test_blending_with_equal_aht_is_exact_and_unequal_aht_is_close() -> None:
    targets = [ServiceTarget(0.9, 10.0), ServiceTarget(0.8, 60.0)]
    for aht, tolerance in (([300.0, 300.0], 0.0), ([120.0, 600.0], 0.02)):
        n = int(blended_required_agents([150.0, 50.0], aht_s=aht, targets=targets))
        mean_aht = (150 * aht[0] + 50 * aht[1]) / 200
        rates = np.tile([150.0, 50.0], (HOURS, 1))
        result = simulate_queue(
            rates,
            np.full(HOURS, n),
            interval_hours=1.0,
            aht_s=aht,
            target_wait_s=[10.0, 60.0],
            replications=12,
            seed=3,
            confidence=CONFIDENCE,
        )
        for stream, target in enumerate(targets):
            theory = evaluate_staffing(
                n, 200.0, aht_s=mean_aht, target_wait_s=target.wait_s
            ).service_level
            sl, half = result.overall.service_level[stream], result.overall.service_level_ci[stream]
            assert abs(float(theory) - sl) <= half + tolerance


def test_priority_helps_the_first_stream() -> None:
    kwargs = {
        "interval_hours": 1.0,
        "aht_s": [240.0, 240.0],
        "target_wait_s": [10.0, 10.0],
        "replications": 6,
        "seed": 4,
    }
    rates, agents = flat(300.0, streams=2), np.full(HOURS, 22)
    fifo = simulate_queue(rates, agents, **kwargs)  # type: ignore[arg-type]
    prio = simulate_queue(rates, agents, priority_first=True, **kwargs)  # type: ignore[arg-type]
    assert prio.overall.service_level[0] > fifo.overall.service_level[0] + 0.03
    assert prio.overall.service_level[1] < fifo.overall.service_level[1]


def test_less_variable_handling_times_give_better_service() -> None:
    kwargs = {
        "interval_hours": 1.0,
        "aht_s": 180.0,
        "target_wait_s": 20.0,
        "replications": 6,
        "seed": 5,
    }
    rates, agents = flat(200.0), np.full(HOURS, 12)
    expo = simulate_queue(rates, agents, **kwargs)  # type: ignore[arg-type]
    steady = simulate_queue(rates, agents, handling="lognormal", handling_cv=0.3, **kwargs)  # type: ignore[arg-type]
    assert steady.overall.service_level[0] > expo.overall.service_level[0] + 0.03


def test_time_varying_staffing_shows_per_interval() -> None:
    rates = np.full((6, 1), 200.0)
    agents = np.array([14, 14, 10, 10, 14, 14])
    result = simulate_queue(
        rates, agents, interval_hours=1.0, aht_s=180.0, target_wait_s=20.0, replications=4, seed=6
    )
    per_interval = result.interval_service_level[:, 0]
    assert per_interval.shape == (6,)
    assert per_interval[1] > 0.8 > per_interval[3]
    assert result.replication_service_level.shape == (4, 1)


def test_same_seed_same_result_and_different_seed_differs() -> None:
    args = (flat(100.0, hours=4), np.full(4, 9))
    kwargs = {"interval_hours": 1.0, "aht_s": 200.0, "target_wait_s": 20.0, "replications": 3}
    first = simulate_queue(*args, seed=7, **kwargs)  # type: ignore[arg-type]
    again = simulate_queue(*args, seed=7, **kwargs)  # type: ignore[arg-type]
    other = simulate_queue(*args, seed=8, **kwargs)  # type: ignore[arg-type]
    assert np.array_equal(first.replication_service_level, again.replication_service_level)
    assert not np.array_equal(first.replication_service_level, other.replication_service_level)


def test_site_failure_drops_service_during_the_outage() -> None:
    hours = 30
    rates = flat(300.0, hours=hours)
    agents = np.stack([np.full(hours, 12), np.full(hours, 12)])
    result = simulate_site_failure(
        rates,
        agents,
        interval_hours=1.0,
        aht_s=240.0,
        target_wait_s=20.0,
        failed_site=0,
        failure_start_h=12.0,
        failure_hours=3.0,
        recovery_hours=3.0,
        patience_s=180.0,
        replications=4,
        seed=9,
    )
    during, baseline = (
        result.during.service_level[0],
        result.during_without_failure.service_level[0],
    )
    # Erlang A: 24 agents give 88.8 % in 20 s; 12 agents (one site) give 8.1 %.
    assert result.before.service_level[0] > 0.8
    assert during < 0.3
    assert baseline > 0.8
    assert result.during.abandon_share[0] > 0.2
    assert result.after.service_level[0] > during
    assert result.during.offered[0] == pytest.approx(900.0, rel=0.1)


def test_failure_window_must_fit_the_horizon() -> None:
    with pytest.raises(StaffingError, match="failure_start_h"):
        simulate_site_failure(
            flat(10.0, hours=4),
            np.ones((2, 4)),
            interval_hours=1.0,
            aht_s=100.0,
            target_wait_s=20.0,
            failed_site=1,
            failure_start_h=3.0,
            failure_hours=2.0,
        )
    with pytest.raises(StaffingError, match="failed_site"):
        simulate_site_failure(
            flat(10.0, hours=4),
            np.ones((2, 4)),
            interval_hours=1.0,
            aht_s=100.0,
            target_wait_s=20.0,
            failed_site=2,
            failure_start_h=0.0,
            failure_hours=1.0,
        )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"aht_s": -3.0}, "aht_s"),
        ({"replications": 1}, "replications"),
        ({"patience_s": 0.0}, "patience_s"),
        ({"target_wait_s": [1.0, 2.0]}, "target_wait_s"),
        ({"handling": "uniform"}, "handling"),
    ],
)
def test_bad_simulation_inputs_name_the_field(kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = {"interval_hours": 1.0, "aht_s": 100.0, "target_wait_s": 20.0}
    args.update(kwargs)
    with pytest.raises(StaffingError, match=field):
        simulate_queue(flat(10.0, hours=2), np.ones(2), **args)  # type: ignore[arg-type]


def test_bad_rates_and_agents_are_rejected() -> None:
    with pytest.raises(StaffingError, match="rates_per_hour"):
        simulate_queue(-flat(10.0, 2), np.ones(2), interval_hours=1.0, aht_s=1.0, target_wait_s=1.0)
    with pytest.raises(StaffingError, match="agents"):
        simulate_queue(flat(10.0, 2), np.ones(3), interval_hours=1.0, aht_s=1.0, target_wait_s=1.0)


# --------------------------------------------------------------------------------------------
# From an instance
# --------------------------------------------------------------------------------------------


def test_even_split_keeps_the_total() -> None:
    """Splitting agents between sites loses none and differs by at most one."""
    agents = np.array([0, 1, 5, 10, 11])
    split = even_split(agents, 3)
    assert split.sum(axis=0).tolist() == agents.tolist()
    assert (split.max(axis=0) - split.min(axis=0)).max() <= 1


def test_instance_simulation_meets_the_erlang_targets_over_the_week() -> None:
    """Staffed by the Erlang model, every stream meets its target over the simulated week."""
    instance = load_instance(INSTANCES / "toy.toml")
    sim = simulate_instance(instance, ["kempston"], replications=4, seed=3)
    for s, (share, _) in enumerate(sim.targets):
        overall = sim.week.overall
        assert overall.service_level[s] + overall.service_level_ci[s] >= share
    assert sim.failure is None
    assert sim.agents_by_site.min() >= instance.staffing.min_positions_per_site.value


def test_instance_simulation_failure_hurts_service() -> None:
    """Losing one of two sites for four hours lowers service during the failure."""
    instance = load_instance(INSTANCES / "toy.toml")
    sim = simulate_instance(
        instance, ["kempston", "welwyn"], fail="kempston", failure_hours=4, replications=4
    )
    assert sim.failure is not None
    assert np.all(
        sim.failure.during.service_level < sim.failure.during_without_failure.service_level
    )

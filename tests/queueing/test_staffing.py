"""Tests of the Erlang C / Erlang A staffing mathematics against slow independent references."""

from __future__ import annotations

import math
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special

from siteopt.demand.rates import arrival_rates
from siteopt.errors import StaffingError
from siteopt.instance.loading import load_instance
from siteopt.queueing.agents import ServiceTarget, evaluate_staffing, required_agents
from siteopt.queueing.erlang import (
    erlang_a_abandon_probability,
    erlang_a_asa,
    erlang_a_service_level,
    erlang_a_wait_probability,
    erlang_b,
    erlang_c,
    erlang_c_asa,
    erlang_c_service_level,
    occupancy,
    offered_load,
)
from siteopt.queueing.fte import (
    ShrinkageRates,
    fte_from_agents,
    room_fte,
    staffing_table,
    tabulate_groups,
)
from siteopt.queueing.simulate import simulate_queue
from siteopt.queueing.teams import (
    PoolingCalculator,
    _priority_targets_met,
    blended_required_agents,
    pooled_required_agents,
    priority_required_agents,
    separate_required_agents,
    team_required_agents,
)
from tests.conftest import INSTANCES

# --------------------------------------------------------------------------------------------
# Slow references, independent of the implementation
# --------------------------------------------------------------------------------------------


def exact_erlang_c(n: int, load: Fraction) -> Fraction:
    """Erlang C from factorial sums in exact rational arithmetic."""
    top = load**n / math.factorial(n) * Fraction(n) / (n - load)
    below = sum(load**k / math.factorial(k) for k in range(n))
    return top / (below + top)


def recursive_erlang_b(n: int, load: float) -> float:
    """Erlang B by the scalar textbook recursion (stable, O(n))."""
    b = 1.0
    for k in range(1, n + 1):
        b = load * b / (k + load * b)
    return b


def birth_death_erlang_a(
    n: int, load: float, aht: float, patience: float, wait: float
) -> tuple[float, float, float]:
    """(P(wait), P(abandon), answered-within-t share) from the truncated M/M/n+M chain.

    Given ``j`` callers queued ahead, the offered wait V is a sum of exponentials with rates
    ``n/aht + i/patience`` (i = 0..j), i.e. ``exp(-V/patience) ~ Beta(n*patience/aht, j+1)``;
    a caller is served iff patience > V, which has probability ``E[exp(-V/patience)]``.
    """
    lam, mu, theta = load / aht, 1.0 / aht, 1.0 / patience
    x = n * mu / theta
    weights = [1.0]
    for k in range(1, n + 1):
        weights.append(weights[-1] * lam / (k * mu))
    queue = [weights[-1]]
    j = 0
    while True:
        j += 1
        queue.append(queue[-1] * lam / (n * mu + j * theta))
        if queue[-1] < 1e-18 * queue[0] and j > lam / theta:
            break
    total = sum(weights[:-1]) + sum(queue)
    p_wait = sum(queue) / total
    z = math.exp(-theta * wait)
    served = late_served = 0.0
    for jj, q in enumerate(queue):
        served_given_j = x / (x + jj + 1.0)
        served += q * served_given_j
        late_served += q * served_given_j * float(special.betainc(x + 1.0, jj + 1.0, z))
    p_abandon = p_wait - served / total
    return p_wait, p_abandon, 1.0 - p_abandon - late_served / total


def meets(result_sl: float, share: float) -> bool:
    return result_sl >= share - 1e-12


# --------------------------------------------------------------------------------------------
# Erlang C against exact values
# --------------------------------------------------------------------------------------------


def test_classic_example_100_calls_in_30_minutes() -> None:
    # 100 calls per half hour, AHT 180 s -> 10 Erlangs; 80 % within 20 s needs 14 agents.
    target = ServiceTarget(share=0.8, wait_s=20)
    assert required_agents(200.0, aht_s=180.0, target=target) == 14
    for n in (13, 14):
        exact = 1 - float(exact_erlang_c(n, Fraction(10))) * math.exp(-(n - 10) * 20 / 180)
        got = erlang_c_service_level(n, 10.0, aht_s=180.0, target_wait_s=20.0)
        assert got == pytest.approx(exact, abs=1e-13)
    assert erlang_c_service_level(14, 10.0, aht_s=180.0, target_wait_s=20.0) == pytest.approx(
        0.88835, abs=5e-6
    )
    assert erlang_c_service_level(13, 10.0, aht_s=180.0, target_wait_s=20.0) == pytest.approx(
        0.79559, abs=5e-6
    )


@pytest.mark.parametrize("n", [1, 2, 5, 11, 23, 40, 60])
@pytest.mark.parametrize("fraction_of_n", [Fraction(1, 10), Fraction(1, 2), Fraction(9, 10)])
def test_erlang_c_matches_exact_factorial_sums(n: int, fraction_of_n: Fraction) -> None:
    load = fraction_of_n * n
    expected = float(exact_erlang_c(n, load))
    assert erlang_c(n, float(load)) == pytest.approx(expected, rel=1e-12)
    asa = erlang_c_asa(n, float(load), aht_s=240.0)
    assert asa == pytest.approx(expected * 240.0 / float(n - load), rel=1e-12)


@pytest.mark.parametrize(
    ("n", "load"), [(1, 0.3), (12, 30.0), (80, 70.5), (520, 500.3), (1030, 1000.0), (2100, 2000.0)]
)
def test_erlang_b_matches_recursion_for_large_loads(n: int, load: float) -> None:
    assert erlang_b(n, load) == pytest.approx(recursive_erlang_b(n, load), rel=1e-10)


def test_erlang_c_edge_cases() -> None:
    assert erlang_c(5, 5.0) == 1.0
    assert erlang_c(3, 7.5) == 1.0
    assert erlang_c(4, 0.0) == 0.0
    assert erlang_c_asa(3, 7.5, aht_s=100.0) == math.inf
    assert erlang_c_service_level(3, 7.5, aht_s=100.0, target_wait_s=20.0) == 0.0
    assert occupancy(np.array([0, 4, 2]), np.array([0.0, 2.0, 3.0])).tolist() == [0.0, 0.5, 1.0]
    assert erlang_b(0, 3.0) == 1.0


@settings(max_examples=60, deadline=None)
@given(load=st.floats(0.01, 1000.0), extra=st.integers(0, 300), wait=st.floats(0.0, 600.0))
def test_erlang_c_is_finite_and_a_probability_up_to_1000_erlangs(
    load: float, extra: int, wait: float
) -> None:
    n = math.floor(load) + extra
    for value in (
        erlang_b(n, load),
        erlang_c(n, load),
        erlang_c_service_level(n, load, aht_s=300.0, target_wait_s=wait),
        erlang_a_service_level(n, load, aht_s=300.0, patience_s=120.0, target_wait_s=wait),
        erlang_a_abandon_probability(n, load, aht_s=300.0, patience_s=120.0),
    ):
        assert np.isfinite(value)
        assert 0.0 <= value <= 1.0


# --------------------------------------------------------------------------------------------
# Erlang A against the birth-death chain
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "load", "aht", "patience", "wait"),
    [
        (14, 10.0, 180.0, 120.0, 20.0),
        (5, 6.0, 300.0, 60.0, 30.0),
        (50, 48.0, 240.0, 300.0, 20.0),
        (100, 130.0, 200.0, 90.0, 10.0),
        (300, 280.0, 300.0, 600.0, 20.0),
        (3, 2.0, 100.0, 1000.0, 0.0),
    ],
)
def test_erlang_a_matches_birth_death_chain(
    n: int, load: float, aht: float, patience: float, wait: float
) -> None:
    p_wait, p_abandon, sl = birth_death_erlang_a(n, load, aht, patience, wait)
    kw = {"aht_s": aht, "patience_s": patience}
    assert erlang_a_wait_probability(n, load, **kw) == pytest.approx(p_wait, abs=1e-12)
    assert erlang_a_abandon_probability(n, load, **kw) == pytest.approx(p_abandon, abs=1e-12)
    assert erlang_a_service_level(n, load, target_wait_s=wait, **kw) == pytest.approx(sl, abs=1e-12)
    # Little's law with abandonment rate = queue length / patience.
    assert erlang_a_asa(n, load, **kw) == pytest.approx(p_abandon * patience, rel=1e-9)


def test_erlang_a_tends_to_erlang_c_as_patience_grows() -> None:
    c_sl = erlang_c_service_level(100, 90.0, aht_s=300.0, target_wait_s=20.0)
    gaps = [
        abs(erlang_a_service_level(100, 90.0, aht_s=300.0, patience_s=p, target_wait_s=20.0) - c_sl)
        for p in (1e3, 1e5, 1e7, 1e9)
    ]
    assert gaps == sorted(gaps, reverse=True)
    assert gaps[-1] < 1e-6
    assert erlang_a_wait_probability(100, 90.0, aht_s=300.0, patience_s=1e9) == pytest.approx(
        erlang_c(100, 90.0), rel=1e-6
    )
    target = ServiceTarget(0.8, 20.0)
    rates = np.array([50.0, 200.0, 400.0, 1000.0])
    assert np.array_equal(
        required_agents(rates, aht_s=300.0, target=target, patience_s=1e9),
        required_agents(rates, aht_s=300.0, target=target),
    )


def test_infinite_patience_is_erlang_c() -> None:
    result = evaluate_staffing(14, 200.0, aht_s=180.0, target_wait_s=20.0, patience_s=math.inf)
    assert result.service_level == pytest.approx(
        erlang_c_service_level(14, 10.0, aht_s=180.0, target_wait_s=20.0)
    )
    assert result.abandon_share == 0.0


def test_erlang_a_with_no_agents_loses_every_call() -> None:
    assert erlang_a_abandon_probability(0, 3.0, aht_s=100.0, patience_s=60.0) == 1.0
    assert erlang_a_service_level(0, 3.0, aht_s=100.0, patience_s=60.0, target_wait_s=20.0) == 0


def test_erlang_a_can_need_more_agents_than_erlang_c_when_abandoning_counts_as_failure() -> None:
    # Abandonment shortens waits but every abandoned call fails the "answered within t / offered"
    # target, so near a threshold Erlang A can need one agent more. Checked on the chain.
    load, aht, patience, wait = 3.0 * 100.0 / 3600.0, 100.0, 6000.0, 60.0
    _, _, chain_sl = birth_death_erlang_a(1, load, aht, patience, wait)
    c_sl = 1 - float(exact_erlang_c(1, Fraction(1, 12))) * math.exp(-(1 - load) * wait / aht)
    assert chain_sl < 0.9519 < c_sl
    target = ServiceTarget(share=0.9519, wait_s=wait)
    assert required_agents(3.0, aht_s=aht, target=target) == 1
    assert required_agents(3.0, aht_s=aht, target=target, patience_s=patience) == 2


# --------------------------------------------------------------------------------------------
# required_agents: properties
# --------------------------------------------------------------------------------------------

rates_st = st.floats(0.0, 3000.0)
aht_st = st.floats(30.0, 900.0)
share_st = st.floats(0.05, 0.99)
wait_st = st.sampled_from([0.0, 5.0, 20.0, 60.0, 300.0])


@settings(max_examples=80, deadline=None)
@given(rate=rates_st, aht=aht_st, share=share_st, wait=wait_st, use_asa=st.booleans())
def test_required_agents_is_the_smallest_meeting_the_target(
    rate: float, aht: float, share: float, wait: float, use_asa: bool
) -> None:
    target = ServiceTarget(share=share, wait_s=wait, max_asa_s=30.0 if use_asa else None)
    n = int(required_agents(rate, aht_s=aht, target=target))
    load = rate * aht / 3600.0

    def ok(k: int) -> bool:
        sl = float(erlang_c_service_level(k, load, aht_s=aht, target_wait_s=wait))
        asa = float(erlang_c_asa(k, load, aht_s=aht))
        return meets(sl, share) and (not use_asa or asa <= 30.0 * (1 + 1e-12))

    if load == 0:
        assert n == 0
        return
    assert ok(n)
    assert n == 1 or not ok(n - 1)


@settings(max_examples=40, deadline=None)
@given(
    rate=st.floats(1.0, 1500.0),
    aht=aht_st,
    share=share_st,
    wait=wait_st,
    patience=st.floats(5.0, 2000.0),
)
def test_erlang_a_required_agents_is_the_smallest_meeting_the_target(
    rate: float, aht: float, share: float, wait: float, patience: float
) -> None:
    target = ServiceTarget(share=share, wait_s=wait, max_abandon_share=0.2)
    n = int(required_agents(rate, aht_s=aht, target=target, patience_s=patience))
    load = rate * aht / 3600.0

    def ok(k: int) -> bool:
        sl = erlang_a_service_level(k, load, aht_s=aht, patience_s=patience, target_wait_s=wait)
        ab = erlang_a_abandon_probability(k, load, aht_s=aht, patience_s=patience)
        return meets(float(sl), share) and float(ab) <= 0.2 + 1e-12

    assert ok(n)
    assert n == 1 or not ok(n - 1)


@settings(max_examples=50, deadline=None)
@given(
    rates=st.lists(rates_st, min_size=2, max_size=6),
    aht=aht_st,
    shares=st.lists(share_st, min_size=2, max_size=2),
    wait=wait_st,
)
def test_required_agents_non_decreasing_in_load_and_share(
    rates: list[float], aht: float, shares: list[float], wait: float
) -> None:
    ordered = np.sort(np.asarray(rates))
    low, high = sorted(shares)
    n_low = required_agents(ordered, aht_s=aht, target=ServiceTarget(low, wait))
    n_high = required_agents(ordered, aht_s=aht, target=ServiceTarget(high, wait))
    assert np.all(np.diff(n_low) >= 0)
    assert np.all(n_high >= n_low)


@settings(max_examples=50, deadline=None)
@given(
    rates=st.lists(st.floats(0.0, 800.0), min_size=3, max_size=3),
    aht=aht_st,
    share=share_st,
    wait=wait_st,
    split=st.sampled_from([[[0, 1, 2]], [[0, 1], [2]], [[0], [1, 2]], [[0, 2], [1]]]),
)
def test_pooled_agents_never_exceed_separate_teams(
    rates: list[float], aht: float, share: float, wait: float, split: list[list[int]]
) -> None:
    matrix = np.asarray(rates)[:, np.newaxis]
    target = ServiceTarget(share, wait, max_occupancy=0.9)
    separate = pooled_required_agents(matrix, [[0], [1], [2]], aht_s=aht, target=target)
    pooled = pooled_required_agents(matrix, split, aht_s=aht, target=target)
    assert pooled.sum() <= separate.sum()


@settings(max_examples=40, deadline=None)
@given(rate=st.floats(1.0, 2000.0), aht=aht_st, patience=st.floats(1.0, 5000.0))
def test_erlang_a_needs_no_more_agents_for_wait_probability_and_asa_targets(
    rate: float, aht: float, patience: float
) -> None:
    # With t = 0 the target is on P(wait) and an ASA cap, both smaller with abandonment.
    target = ServiceTarget(share=0.7, wait_s=0.0, max_asa_s=15.0)
    n_c = required_agents(rate, aht_s=aht, target=target)
    n_a = required_agents(rate, aht_s=aht, target=target, patience_s=patience)
    assert n_a <= n_c


def test_zero_load_needs_no_agents_and_shape_is_kept() -> None:
    rates = np.zeros((4, 3, 2))
    rates[1, 2, 1] = 120.0
    out = required_agents(
        rates, aht_s=np.array([200.0, 300.0, 400.0])[:, None], target=ServiceTarget()
    )
    assert out.shape == (4, 3, 2)
    assert out.dtype == np.int64
    assert out.sum() == out[1, 2, 1] > 0


def test_occupancy_cap_binds_exactly() -> None:
    # 40 Erlangs at <= 80 % occupancy needs exactly 50 agents (no float ceiling off-by-one).
    target = ServiceTarget(share=0.05, wait_s=600.0, max_occupancy=0.8)
    assert required_agents(480.0, aht_s=300.0, target=target) == 50
    assert required_agents(480.1, aht_s=300.0, target=target) == 51


def test_vectorised_matches_cellwise() -> None:
    rng = np.random.default_rng(3)
    rates = rng.uniform(0, 400, size=(24, 3))
    aht = np.array([120.0, 300.0, 600.0])
    target = ServiceTarget(0.9, 10.0, max_asa_s=8.0)
    whole = required_agents(rates, aht_s=aht, target=target)
    cells = [
        [int(required_agents(rates[i, j], aht_s=aht[j], target=target)) for j in range(3)]
        for i in range(24)
    ]
    assert whole.tolist() == cells


# --------------------------------------------------------------------------------------------
# Several streams and pooling
# --------------------------------------------------------------------------------------------


def test_blended_with_equal_aht_equals_one_stream() -> None:
    target = ServiceTarget(0.8, 20.0)
    rates = [np.array([100.0, 0.0, 30.0]), np.array([50.0, 0.0, 0.0])]
    blended = blended_required_agents(rates, aht_s=[240.0, 240.0], targets=[target, target])
    single = required_agents(rates[0] + rates[1], aht_s=240.0, target=target)
    assert blended.tolist() == single.tolist()
    separate = separate_required_agents(rates, aht_s=[240.0, 240.0], targets=[target, target])
    assert np.all(blended <= separate)
    assert np.array_equal(
        separate,
        required_agents(rates[0], aht_s=240.0, target=target)
        + required_agents(rates[1], aht_s=240.0, target=target),
    )


def test_blended_meets_the_strictest_stream() -> None:
    loose, strict = ServiceTarget(0.5, 60.0), ServiceTarget(0.95, 10.0)
    n = blended_required_agents([150.0, 50.0], aht_s=[120.0, 600.0], targets=[loose, strict])
    mean_aht = (150 * 120 + 50 * 600) / 200
    assert n == required_agents(200.0, aht_s=mean_aht, target=strict)
    assert (
        team_required_agents(
            [150.0, 50.0], aht_s=[120.0, 600.0], targets=[loose, strict], mode="blended"
        )
        == n
    )


def test_pooling_calculator_memoises_per_subset() -> None:
    rates = np.array([[100.0, 20.0], [80.0, 10.0], [60.0, 0.0]])
    calc = PoolingCalculator(rates, aht_s=[240.0, 300.0, 200.0], target=ServiceTarget())
    first = calc.agents_for([2, 0])
    assert calc.agents_for((0, 2)) is first
    table = calc.agents_for_partition([[0, 2], [1]])
    assert table.shape == (2, 2)
    assert table[0].tolist() == first.tolist()
    with pytest.raises(StaffingError, match="groups"):
        calc.agents_for_partition([[0, 1], [1, 2]])
    with pytest.raises(StaffingError, match="groups"):
        calc.agents_for([3])


# --------------------------------------------------------------------------------------------
# FTE
# --------------------------------------------------------------------------------------------


def test_fte_from_agents_worked_example() -> None:
    agents = np.full(168, 10)
    agents[:8] = 2
    fte = fte_from_agents(
        agents,
        1.0,
        shrinkage=ShrinkageRates(annual_leave=0.12, sickness=0.05, training=0.08, breaks=0.05),
        contract_hours_per_week=40.0,
        min_positions=4,
        supervisors_per_agent=0.1,
    )
    hours = 160 * 10 + 8 * 4
    assert fte.weekly_agent_hours == hours
    assert fte.agent_fte == pytest.approx(hours / 0.7 / 40.0)
    assert fte.supervisor_fte == pytest.approx(hours / 0.7 / 40.0 / 10.0)
    assert fte.total_fte == pytest.approx(fte.agent_fte * 1.1)


def test_fte_half_hour_intervals_and_scalar_shrinkage() -> None:
    fte = fte_from_agents(np.full((2, 336), 3), 0.5, shrinkage=0.25, contract_hours_per_week=36)
    assert fte.agent_fte.tolist() == pytest.approx([504 / 0.75 / 36] * 2)


def test_shrinkage_components_add() -> None:
    assert ShrinkageRates(annual_leave=0.1, sickness=0.05, other=0.1).total == pytest.approx(0.25)
    with pytest.raises(StaffingError, match=r"shrinkage\.sickness"):
        ShrinkageRates(sickness=1.0)
    with pytest.raises(StaffingError, match="summing to less than 1"):
        ShrinkageRates(annual_leave=0.5, training=0.5)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"interval_hours": 2.0}, "agents_per_interval"),
        ({"contract_hours_per_week": 0.0}, "contract_hours_per_week"),
        ({"min_positions": -1}, "min_positions"),
        ({"supervisors_per_agent": -0.1}, "supervisors_per_agent"),
        ({"shrinkage": 1.2}, "shrinkage"),
    ],
)
def test_fte_bad_inputs_name_the_field(kwargs: dict[str, float], field: str) -> None:
    args: dict[str, float] = {
        "interval_hours": 1.0,
        "shrinkage": 0.3,
        "contract_hours_per_week": 37.5,
    }
    args.update(kwargs)
    with pytest.raises(StaffingError, match=field):
        fte_from_agents(
            np.ones(168),
            args["interval_hours"],
            shrinkage=args["shrinkage"],
            contract_hours_per_week=args["contract_hours_per_week"],
            min_positions=int(kwargs.get("min_positions", 0)),
            supervisors_per_agent=kwargs.get("supervisors_per_agent", 0.0),
        )


# --------------------------------------------------------------------------------------------
# Bad input and impossible targets
# --------------------------------------------------------------------------------------------


def test_negative_volume_is_rejected() -> None:
    with pytest.raises(StaffingError, match=r"rate_per_hour.*-5"):
        required_agents([10.0, -5.0], aht_s=200.0, target=ServiceTarget())


@pytest.mark.parametrize("aht", [0.0, -3.0, math.nan, math.inf])
def test_non_positive_aht_is_rejected(aht: float) -> None:
    with pytest.raises(StaffingError, match="aht_s: expected a positive number of seconds"):
        required_agents(10.0, aht_s=aht, target=ServiceTarget())
    with pytest.raises(StaffingError, match="aht_s"):
        offered_load(10.0, aht)


@pytest.mark.parametrize("share", [0.0, -0.1, 1.01, math.nan])
def test_target_share_outside_unit_interval_is_rejected(share: float) -> None:
    with pytest.raises(StaffingError, match=r"target\.share"):
        ServiceTarget(share=share)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"wait_s": -1.0}, "target.wait_s"),
        ({"max_asa_s": -1.0}, "target.max_asa_s"),
        ({"max_occupancy": 0.0}, "target.max_occupancy"),
        ({"max_abandon_share": 1.5}, "target.max_abandon_share"),
    ],
)
def test_bad_target_fields_are_named(kwargs: dict[str, float], field: str) -> None:
    with pytest.raises(StaffingError, match=field.replace(".", r"\.")):
        ServiceTarget(**kwargs)


def test_bad_patience_and_agents_are_rejected() -> None:
    with pytest.raises(StaffingError, match="patience_s"):
        required_agents(10.0, aht_s=200.0, target=ServiceTarget(), patience_s=-1.0)
    with pytest.raises(StaffingError, match="agents"):
        erlang_c(2.5, 1.0)


@pytest.mark.parametrize(
    ("target", "patience", "field"),
    [
        (ServiceTarget(share=1.0, wait_s=0.0), None, "target.share"),
        (ServiceTarget(share=1.0, wait_s=3600.0), None, "target.share"),
        (ServiceTarget(share=0.8, wait_s=20.0, max_asa_s=0.0), None, "target.max_asa_s"),
        (ServiceTarget(share=0.8, max_abandon_share=0.0), 120.0, "target.max_abandon_share"),
    ],
)
def test_impossible_targets_raise(
    target: ServiceTarget, patience: float | None, field: str
) -> None:
    with pytest.raises(StaffingError, match=field.replace(".", r"\.")):
        required_agents([0.0, 50.0], aht_s=200.0, target=target, patience_s=patience)


def test_impossible_target_is_fine_without_calls() -> None:
    assert required_agents([0.0, 0.0], aht_s=200.0, target=ServiceTarget(1.0, 0.0)).tolist() == [
        0,
        0,
    ]


def test_extreme_but_feasible_target_terminates() -> None:
    target = ServiceTarget(share=1 - 1e-12, wait_s=0.0)
    n = int(required_agents(360.0, aht_s=300.0, target=target))
    assert erlang_c(n, 30.0) <= 1e-12
    assert erlang_c(n - 1, 30.0) > 1e-12


def test_unknown_team_mode_is_rejected() -> None:
    with pytest.raises(StaffingError, match="mode"):
        team_required_agents([1.0], aht_s=[100.0], targets=[ServiceTarget()], mode="pooled")  # type: ignore[arg-type]


def test_evaluate_staffing_fields() -> None:
    result = evaluate_staffing(
        np.array([11, 14]), 200.0, aht_s=180.0, target_wait_s=20.0, patience_s=120.0
    )
    assert result.agents.tolist() == [11, 14]
    assert np.all(result.service_level[1] > result.service_level[0])
    assert np.all(result.abandon_share[1] < result.abandon_share[0])
    assert np.allclose(result.occupancy, 10.0 * (1 - result.abandon_share) / result.agents)
    assert np.allclose(result.asa_s, result.abandon_share * 120.0)


# --------------------------------------------------------------------------------------------
# From an instance
# --------------------------------------------------------------------------------------------


def test_staffing_table_matches_direct_calls_for_one_force() -> None:
    """A force alone needs, per interval, the sum of its streams' separate teams."""
    instance = load_instance(INSTANCES / "toy.toml")
    table = staffing_table(instance)
    rates = arrival_rates(instance)
    f = rates.forces.index("cambridgeshire")
    expected = required_agents(
        rates.rates_per_hour[f, 0], aht_s=240, target=ServiceTarget(0.9, 10, max_occupancy=0.85)
    ) + required_agents(
        rates.rates_per_hour[f, 1],
        aht_s=300,
        target=ServiceTarget(0.8, 30, max_occupancy=0.85),
        patience_s=180,
    )
    assert table.agents_for(["cambridgeshire"]).tolist() == expected.tolist()


def test_staffing_table_memoises_and_pooling_never_costs_agents() -> None:
    """Each force subset is computed once; pooling all forces needs no more than rooms apart."""
    table = staffing_table(load_instance(INSTANCES / "bch-2015.toml"))
    everyone = table.agents_for(table.forces)
    assert table.agents_for(reversed(table.forces)) is everyone
    assert not everyone.flags.writeable
    apart = np.sum([table.agents_for([f]) for f in table.forces], axis=0)
    assert np.all(everyone <= apart)
    assert everyone.sum() < apart.sum()
    with pytest.raises(StaffingError, match="non-empty subset"):
        table.agents_for(["essex"])


def test_room_fte_applies_the_minimum_crew_and_supervisors() -> None:
    """A room never drops below its minimum crew; supervisors add their ratio on top."""
    instance = load_instance(INSTANCES / "bch-2015.toml")
    fte = room_fte(instance, np.zeros(168, dtype=np.int64))
    productive = 37 * (1 - (0.127 + 0.045 + 0.03 + 0.06 + 0.02))
    assert float(fte.agent_fte) == pytest.approx(6 * 168 / productive)
    assert float(fte.total_fte) == pytest.approx(1.1 * float(fte.agent_fte))


def test_blended_teams_need_no_more_than_separate_teams(tmp_path: Path) -> None:
    """One blended team is never larger than a team per stream (same targets)."""
    child = tmp_path / "blended.toml"
    child.write_text(
        f'extends = "{(INSTANCES / "toy.toml").as_posix()}"\n'
        '[staffing]\nstream_teams = "blended"\n',
        encoding="utf-8",
    )
    blended = staffing_table(load_instance(child))
    separate = staffing_table(load_instance(INSTANCES / "toy.toml"))
    forces = separate.forces
    assert blended.agents_for(forces).sum() < separate.agents_for(forces).sum()


# --------------------------------------------------------------------------------------------
# Priority for 999
# --------------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    rate=st.floats(min_value=1.0, max_value=400.0),
    aht=st.floats(min_value=60.0, max_value=900.0),
)
def test_priority_without_priority_calls_is_erlang_c(rate: float, aht: float) -> None:
    """With no priority calls, the other stream is staffed exactly as by Erlang C."""
    target = ServiceTarget(0.8, 30)
    both = priority_required_agents([0.0, rate], aht_s=[aht, aht], targets=[target, target])
    assert int(both) == int(required_agents(rate, aht_s=aht, target=target))


@settings(max_examples=40, deadline=None)
@given(
    high=st.floats(min_value=1.0, max_value=200.0),
    low=st.floats(min_value=1.0, max_value=300.0),
)
def test_priority_staffing_is_the_smallest_meeting_both_targets(high: float, low: float) -> None:
    """At the returned N both targets hold; at N − 1 one of them fails (by the same formulas)."""
    targets = [ServiceTarget(0.9, 10), ServiceTarget(0.8, 30)]
    n = int(priority_required_agents([high, low], aht_s=[270.0, 270.0], targets=targets))
    lam0, lam = high / 3600, (high + low) / 3600
    load = lam * 270.0

    def met(agents: int) -> bool:
        return bool(
            _priority_targets_met(
                np.array([float(agents)]),
                load=np.array([load]),
                aht=np.array([270.0]),
                lam0=np.array([lam0]),
                lam=np.array([lam]),
                targets=targets,
            )[0]
        )

    assert met(n)
    assert not met(n - 1)


def test_priority_staffing_meets_both_targets_in_simulation() -> None:
    """Simulated with 999 answered first, the priority staffing meets both targets."""
    targets = [ServiceTarget(0.9, 10), ServiceTarget(0.8, 30)]
    n = int(priority_required_agents([60.0, 200.0], aht_s=[270.0, 400.0], targets=targets))
    sim = simulate_queue(
        np.tile([60.0, 200.0], (24, 1)),
        np.full(24, n),
        interval_hours=1.0,
        aht_s=[270.0, 400.0],
        target_wait_s=[10.0, 30.0],
        priority_first=True,
        replications=8,
        seed=5,
    )
    level, half_width = sim.overall.service_level, sim.overall.service_level_ci
    assert level[0] + half_width[0] >= 0.9
    assert level[1] + half_width[1] >= 0.8
    assert level[0] > level[1]  # priority calls are answered faster


def test_priority_needs_two_streams_and_a_meetable_target() -> None:
    """Priority staffing refuses a single stream and a 100% target."""
    with pytest.raises(StaffingError, match="at least two streams"):
        priority_required_agents([10.0], aht_s=[200.0], targets=[ServiceTarget()])
    with pytest.raises(StaffingError, match=r"target\.share"):
        priority_required_agents(
            [10.0, 5.0], aht_s=[200.0, 200.0], targets=[ServiceTarget(1.0, 10), ServiceTarget()]
        )


def test_staffing_table_partition_rows_are_the_groups_own_rooms() -> None:
    """A partition gives one row per group, equal to that group's own room; overlaps are refused."""
    table = staffing_table(load_instance(INSTANCES / "toy.toml"))
    rows = table.agents_for_partition([["bedfordshire", "cambridgeshire"], ["hertfordshire"]])
    assert rows.shape == (2, 168)
    assert rows[1].tolist() == table.agents_for(["hertfordshire"]).tolist()
    with pytest.raises(StaffingError, match="disjoint"):
        table.agents_for_partition([["bedfordshire"], ["bedfordshire", "hertfordshire"]])


@settings(max_examples=25, deadline=None)
@given(
    scales=st.lists(st.one_of(st.just(0.0), st.floats(0.05, 3.0)), min_size=2, max_size=4),
    aht=st.lists(st.floats(60.0, 900.0), min_size=4, max_size=4),
    share=st.lists(st.sampled_from([0.8, 0.9, 0.95]), min_size=4, max_size=4),
    patience=st.lists(st.one_of(st.none(), st.floats(30.0, 900.0)), min_size=4, max_size=4),
)
def test_tabulated_groups_are_what_each_table_computes_alone(
    scales: list[float], aht: list[float], share: list[float], patience: list[float | None]
) -> None:
    """Tables of different rates, handling times, targets and patience tabulated together."""
    base = staffing_table(load_instance(INSTANCES / "bch-2015.toml"))
    tables = []
    for i, scale in enumerate(scales):
        stream = i % len(base.streams)
        tables.append(
            replace(
                base,
                rates_per_hour=base.rates_per_hour * scale,
                aht_s=tuple(aht[i] if s == stream else a for s, a in enumerate(base.aht_s)),
                targets=tuple(
                    replace(t, share=share[i]) if s == stream else t
                    for s, t in enumerate(base.targets)
                ),
                patience_s=tuple(
                    patience[i] if s == stream else p for s, p in enumerate(base.patience_s)
                ),
                _memo={},
            )
        )
    groups = [["bedfordshire"], ["cambridgeshire", "hertfordshire"], list(base.forces)]
    tabulate_groups(tables, groups)
    for table in tables:
        assert len(table._memo) == len(groups)
        alone = replace(table, _memo={})
        for group in groups:
            assert np.array_equal(table.agents_for(group), alone.agents_for(group))

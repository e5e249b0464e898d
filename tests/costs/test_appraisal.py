"""Green Book cash flows: timing, optimism bias, discounting, NPV and discounted payback."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from siteopt.costs.appraisal import (
    ONE_OFF_CATEGORIES,
    CashFlowRules,
    OptionCosts,
    appraise,
    discounted_payback_years,
)

TODAY = OptionCosts(
    "do nothing",
    recurring={"staff": 10e6, "functions": 20e6, "running": 1.2e6, "standby": 0.0},
    one_off={},
    today=True,
)
MERGED = OptionCosts(
    "one room",
    recurring={"staff": 7e6, "functions": 17e6, "running": 0.6e6, "standby": 0.12e6},
    one_off={"works": 1e6, "fit_out": 0.5e6, "ict": 1.5e6, "transition": 3e6},
)


def rules(**change: object) -> CashFlowRules:
    """Ten years, 3.5 %, a year of works, six months of dual running, no bias unless given."""
    values: dict[str, object] = {
        "years": 10,
        "discount_rate": 0.035,
        "build_months": 12,
        "dual_running_months": 6,
        "optimism_bias": {},
    }
    return CashFlowRules(**(values | change))  # type: ignore[arg-type]


def test_do_nothing_is_the_reference() -> None:
    """Do nothing has NPV 0 and pays today's costs every year of the period."""
    base, _ = appraise([MERGED], TODAY, rules())
    assert base.name == "do nothing" and base.npv_gbp == 0.0
    assert len(base.total) == 11  # the build year and ten years of running
    assert base.total == pytest.approx([31.2e6] * 11)


def test_money_falls_when_it_is_spent() -> None:
    """Works in the build year; dual running and the transition in the first year of running."""
    _, merged = appraise([MERGED], TODAY, rules())
    flow = merged.cash_flow
    assert flow["works"][0] == pytest.approx(1e6) and sum(flow["works"][1:]) == 0
    assert flow["transition"][1] == pytest.approx(3e6) and sum(flow["transition"]) == 3e6
    # year 0: today's staff and buildings; year 1: half old staff, half new, both buildings half
    assert flow["staff"][0] == pytest.approx(10e6)
    assert flow["staff"][1] == pytest.approx(0.5 * 10e6 + 0.5 * 7e6)
    assert flow["running"][1] == pytest.approx(0.5 * 1.2e6 + 0.6e6)
    assert flow["staff"][2:] == pytest.approx([7e6] * 9)


def test_optimism_bias_uplifts_each_category_alone() -> None:
    """A 24 % works bias adds 24 % of the works, nothing else."""
    _, plain = appraise([MERGED], TODAY, rules())
    _, biased = appraise([MERGED], TODAY, rules(optimism_bias={"works": 0.24}))
    assert sum(biased.cash_flow["works"]) == pytest.approx(1.24e6)
    assert sum(biased.total) - sum(plain.total) == pytest.approx(0.24e6)


def test_zero_rate_present_value_is_the_plain_sum() -> None:
    """At 0 % the present value is the undiscounted total and NPV the plain difference."""
    base, merged = appraise([MERGED], TODAY, rules(discount_rate=0.0))
    assert merged.present_value == pytest.approx(sum(merged.total))
    assert merged.npv_gbp == pytest.approx(sum(base.total) - sum(merged.total))


def test_discounted_payback_matches_a_hand_case() -> None:
    """−100 in year 0, +60 a year after: 40 are left after two years, repaid 2/3 into the third."""
    assert discounted_payback_years([-100, 60, 60, 60], [1, 1, 1, 1]) == pytest.approx(2.67)
    assert discounted_payback_years([-100, 10, 10], [1, 1, 1]) is None
    assert discounted_payback_years([0, 5], [1, 1]) == 0.0


amounts = st.floats(0, 5e6, allow_nan=False)


@given(
    st.sampled_from(ONE_OFF_CATEGORIES),
    amounts,
    st.integers(0, 24),
    st.integers(0, 24),
    st.floats(0, 0.1),
)
def test_more_one_off_spend_never_raises_npv(
    category: str, extra: float, build: int, dual: int, rate: float
) -> None:
    """NPV falls by the discounted extra spend, whatever the timing and rate."""
    more = OptionCosts(
        "more", MERGED.recurring, {**MERGED.one_off, category: MERGED.one_off[category] + extra}
    )
    chosen = rules(build_months=build, dual_running_months=dual, discount_rate=rate)
    _, merged, costlier = appraise([MERGED, more], TODAY, chosen)
    assert costlier.npv_gbp <= merged.npv_gbp + 1e-3
    assert sum(costlier.total) == pytest.approx(sum(merged.total) + extra, abs=0.1)


@given(st.integers(0, 36), st.integers(0, 36), st.integers(1, 30))
def test_recurring_money_adds_up_over_the_timeline(build: int, dual: int, years: int) -> None:
    """Staff: today's until the old rooms close, the new figure after; nothing lost at year ends."""
    chosen = rules(build_months=build, dual_running_months=dual, years=years)
    _, merged = appraise([MERGED], TODAY, chosen)
    months = build + 12 * years
    closed = min(build + dual, months)
    expected = 10e6 / 12 * closed + 7e6 / 12 * (months - closed)
    assert sum(merged.cash_flow["staff"]) == pytest.approx(expected)
    assert np.all(np.asarray(merged.total) >= 0)

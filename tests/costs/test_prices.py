"""Cost figures: annualising one-off costs, pay per FTE by area, building figures per candidate."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from siteopt.costs.prices import (
    annuity_factor,
    employment_cost_per_fte,
    equivalent_annual_cost,
    site_cost_table,
)
from siteopt.instance.loading import load_instance
from tests.conftest import INSTANCES


def test_annuity_factor_by_hand() -> None:
    """3.5% over 10 years: sum of 1.035^-t for t = 1..10 = 8.3166."""
    assert annuity_factor(0.035, 10) == pytest.approx(sum(1.035**-t for t in range(1, 11)))
    assert annuity_factor(0.035, 10) == pytest.approx(8.316605, abs=1e-6)
    assert annuity_factor(0.0, 7) == 7.0


@given(
    rate=st.floats(min_value=0.0, max_value=0.2),
    years=st.integers(min_value=1, max_value=60),
    one_off=st.floats(min_value=0.0, max_value=1e8),
)
def test_equivalent_annual_cost_has_the_one_off_as_present_value(
    rate: float, years: int, one_off: float
) -> None:
    """Discounting the equivalent annual cost over the period gives back the one-off cost."""
    yearly = equivalent_annual_cost(one_off, rate=rate, years=years)
    present = sum(yearly / (1 + rate) ** t for t in range(1, years + 1))
    assert present == pytest.approx(one_off, rel=1e-9, abs=1e-6)
    # Paying later costs more in total, but never more than the first year's interest on top.
    assert one_off / years - 1e-6 <= yearly <= one_off * (1 + rate) + 1e-6


def test_optimism_bias_uplifts_the_one_off() -> None:
    """A 24% optimism bias raises the annual cost by 24%."""
    base = equivalent_annual_cost(1_000_000, rate=0.035, years=10)
    assert equivalent_annual_cost(
        1_000_000, rate=0.035, years=10, optimism_bias=0.24
    ) == pytest.approx(1.24 * base)


def test_employment_cost_follows_the_area_allowance() -> None:
    """Toy pay: (20,000 × 1.2 + allowance) × (1 + 0.08 + 0.15)."""
    instance = load_instance(INSTANCES / "toy.toml")
    assert employment_cost_per_fte(instance, "bedfordshire") == pytest.approx(24_000 * 1.23)
    assert employment_cost_per_fte(instance, "hertfordshire") == pytest.approx(25_000 * 1.23)
    assert employment_cost_per_fte(instance, "bedfordshire", supervisor=True) == pytest.approx(
        28_000 * 1.2 * 1.23
    )


def test_site_costs_apply_overrides_over_defaults() -> None:
    """Welwyn's existing seats come from its override; every other figure from the defaults."""
    table = site_cost_table(load_instance(INSTANCES / "toy.toml"))
    assert table.ids == ("kempston", "hinchingbrooke", "welwyn", "luton")
    assert table.forces == ("bedfordshire", "cambridgeshire", "hertfordshire", "bedfordshire")
    assert table.existing_seats.tolist() == [0, 0, 12, 0]
    assert table.max_seats.tolist() == [40, 40, 40, 40]
    assert not table.running_cost_gbp.flags.writeable

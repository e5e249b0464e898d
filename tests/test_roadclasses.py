"""Road classes: the speed a posted limit allows and each road's speed cap."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from siteopt.roadclasses import (
    DEFAULT_SPEEDS_KPH,
    KM_PER_MILE,
    LIMIT_SPEEDS_KPH,
    ROUNDABOUT_KPH,
    UNKNOWN_LIMIT_KPH,
    edge_cap_kph,
    limit_speed_kph,
)


@given(st.floats(0.0, 200.0), st.floats(0.0, 200.0))
def test_a_higher_limit_never_gives_a_lower_speed(a: float, b: float) -> None:
    """Property: the limit's speed rises with the limit and never exceeds it up to 70 mph."""
    low, high = sorted((a, b))
    assert limit_speed_kph(low) <= limit_speed_kph(high) + 1e-9
    if high <= 70 * KM_PER_MILE:
        assert limit_speed_kph(high) <= high + 1e-9


@pytest.mark.parametrize("mph", sorted(LIMIT_SPEEDS_KPH))
def test_table_limits_give_their_table_speed(mph: int) -> None:
    """20 and 30 mph roads at the limit; 60 mph single carriageways at 80 km/h (about 50 mph)."""
    assert limit_speed_kph(mph * KM_PER_MILE) == pytest.approx(LIMIT_SPEEDS_KPH[mph])
    assert limit_speed_kph(20 * KM_PER_MILE) == pytest.approx(20 * KM_PER_MILE)


def test_edge_caps() -> None:
    """Known limit → its speed; unknown → the class's typical speed (or none); roundabouts slow."""
    assert edge_cap_kph("trunk", 60 * KM_PER_MILE) == pytest.approx(80.0)
    assert edge_cap_kph("trunk", math.inf) == UNKNOWN_LIMIT_KPH["trunk"]
    assert edge_cap_kph("primary", math.inf) == UNKNOWN_LIMIT_KPH["primary"]
    assert edge_cap_kph("residential", math.inf) == math.inf
    assert edge_cap_kph("primary", 70 * KM_PER_MILE, roundabout=True) == ROUNDABOUT_KPH
    assert limit_speed_kph(math.inf) == math.inf
    # the class speed of trunk and primary is a top speed that limits lower
    assert DEFAULT_SPEEDS_KPH["trunk"] >= LIMIT_SPEEDS_KPH[70]

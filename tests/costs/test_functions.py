"""Tests of siteopt.costs.functions: pay per function and the per-function table of a plan."""

from __future__ import annotations

import pytest

from siteopt.costs.functions import PlanRoom, function_cost_per_fte, function_rows
from siteopt.costs.prices import employment_cost_per_fte
from siteopt.instance.loading import load_instance
from siteopt.instance.schema import Instance
from tests.conftest import INSTANCES


@pytest.fixture(scope="module")
def bch() -> Instance:
    return load_instance(INSTANCES / "bch-2015.toml")


def test_call_handling_costs_the_handler_and_supervisor_mix(bch: Instance) -> None:
    handler = employment_cost_per_fte(bch, "hertfordshire")
    supervisor = employment_cost_per_fte(bch, "hertfordshire", supervisor=True)
    mix = function_cost_per_fte(bch, "call_handling", "hertfordshire")
    assert mix == pytest.approx((handler + 0.1 * supervisor) / 1.1)
    assert function_cost_per_fte(bch, "local_knowledge", "hertfordshire") == mix


def test_day_workers_get_no_shift_allowance(bch: Instance) -> None:
    """Management works days: its cost is salary + area allowance with on-costs, no shift pay."""
    pay = bch.pay
    on_costs = 1 + pay.employer_ni_rate.value + pay.employer_pension_rate.value
    expected = (42000 + pay.area_allowance_gbp["cambridgeshire"].value) * on_costs
    assert function_cost_per_fte(bch, "management", "cambridgeshire") == pytest.approx(expected)
    with pytest.raises(ValueError, match="not defined"):
        function_cost_per_fte(bch, "catering", "cambridgeshire")


def test_one_room_plan_table(bch: Instance) -> None:
    """One room at Kempston: fewer room posts than three rooms; Cambs and Herts dispatched from
    Bedfordshire pay the local-knowledge extra; out-of-scope functions stay as today."""
    room = PlanRoom("bedfordshire", ("bedfordshire", "cambridgeshire", "hertfordshire"), 205.3)
    rows = {r.name: r for r in function_rows(bch, [room])}
    assert rows["call_handling"].plan_fte == 205.3
    assert rows["supervision"].plan_fte == pytest.approx(rows["supervision"].today_fte / 3)
    assert rows["local_knowledge"].today_fte == 0 < rows["local_knowledge"].plan_fte
    assert sum(r.today_fte for r in rows.values()) == pytest.approx(786.7, abs=0.1)
    functions = bch.functions.model_copy(update={"in_scope": ["call_handling", "dispatch"]})
    narrow = bch.model_copy(update={"functions": functions})
    stays = {r.name: r for r in function_rows(narrow, [room])}
    assert not stays["training"].in_scope
    assert stays["training"].plan_fte == stays["training"].today_fte
    assert stays["training"].plan_gbp == stays["training"].today_gbp

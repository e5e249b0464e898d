"""``min_call_share`` on the BCH case: off by default, and binding when switched on."""

from __future__ import annotations

from dataclasses import replace

import pytest

from siteopt.instance.loading import load_instance
from siteopt.optimise.build import problem_from_instance
from siteopt.optimise.constraints import MinCallShare, constraint_results
from siteopt.optimise.options import best_options
from siteopt.optimise.problem import ProblemData
from siteopt.optimise.search import solve_cp_sat
from tests.conftest import INSTANCES


def two_rooms(tmp_path_factory: pytest.TempPathFactory, extra: str) -> ProblemData:
    """BCH 2015 held to two rooms (where a pooled queue may keep one as a shell), plus ``extra``."""
    variant = tmp_path_factory.mktemp("share") / "share.toml"
    variant.write_text(
        f'extends = "{(INSTANCES / "bch-2015.toml").as_posix()}"\n'
        "[solver]\nk_min = 2\nk_max = 2\n" + extra,
        encoding="utf-8",
    )
    return problem_from_instance(load_instance(variant))


@pytest.fixture(scope="module")
def default(tmp_path_factory: pytest.TempPathFactory) -> ProblemData:
    """Two rooms under the BCH 2015 default, where the rule is stated but disabled."""
    return two_rooms(tmp_path_factory, "")


@pytest.fixture(scope="module")
def enabled(tmp_path_factory: pytest.TempPathFactory) -> ProblemData:
    """The same with the rule switched on."""
    return two_rooms(tmp_path_factory, "[constraints.call_share]\nenabled = true\n")


def test_the_rule_is_stated_in_the_default_instance_but_off() -> None:
    """The table is there, labelled as an assumption, and disabled."""
    table = load_instance(INSTANCES / "bch-2015.toml").constraints["call_share"]
    assert table.type == "min_call_share"
    assert not table.enabled
    assert table.model_dump()["min_share"]["assumption"]


def test_switched_on_it_binds_and_changes_the_answer(
    default: ProblemData, enabled: ProblemData
) -> None:
    """The two-room optimum keeps a room as a shell; with the rule both rooms carry a real share."""
    assert "call_share" not in {c.name for c in default.constraints}
    (rule,) = [c for c in enabled.constraints if c.name == "call_share"]
    assert type(rule) is MinCallShare
    assert rule.share == 0.25

    before = best_options(default, n=1)[0]
    after = best_options(enabled, n=1)[0]
    assert before.feasible
    assert after.feasible
    assert after.total > before.total  # the rule costs money: it binds

    shown = replace(before, failed=("call_share",))  # the default optimum under the rule
    (value,) = [r for r in constraint_results(enabled, shown) if r.name == "call_share"]
    assert value.value is not None
    assert value.value < 0.25
    assert not rule.holds(enabled, before)

    (met,) = [r for r in constraint_results(enabled, after) if r.name == "call_share"]
    assert met.holds
    assert met.value is not None
    assert met.limit == 0.25
    assert met.value >= 0.25

    solved = solve_cp_sat(enabled, workers=1)
    assert solved.objective == after.total


def test_calls_a_year_are_in_the_problem(enabled: ProblemData) -> None:
    """The by-force rule reads each force's calls a year, as integers."""
    assert enabled.force_calls is not None
    assert enabled.force_calls.dtype.kind == "i"
    assert (enabled.force_calls > 0).all()

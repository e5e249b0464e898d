"""Why not cheaper: each binding constraint, the plan it rules out, checked by re-solving."""

from __future__ import annotations

from pathlib import Path

import pytest

import siteopt
from siteopt.optimise.result import Result

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bch() -> Result:
    """The default instance, solved."""
    return siteopt.solve(siteopt.load_instance(REPO / "instances" / "bch-2015.toml"))


def test_each_answer_is_the_optimum_without_that_constraint(bch: Result) -> None:
    """Re-solving without the constraint gives the plan and cost the answer names."""
    assert bch.solution is not None and bch.instance is not None and bch.why_not
    for item in bch.why_not:
        assert item.best_total_gbp < bch.solution.objective_gbp
        constraints = {k: v for k, v in bch.instance.constraints.items() if k != item.constraint}
        relaxed = siteopt.solve(bch.instance.model_copy(update={"constraints": constraints}))
        assert relaxed.solution is not None
        assert relaxed.solution.objective_gbp == pytest.approx(item.best_total_gbp, abs=0.01)
        assert relaxed.solution.site_ids == item.best_sites


def test_a_constraint_that_binds_is_broken_by_its_cheaper_plan(bch: Result) -> None:
    """Force centres: the cheaper single room is over the limit (value > limit)."""
    centres = next(i for i in bch.why_not if i.constraint == "force_centres")
    assert centres.value is not None and centres.limit is not None
    assert centres.value > centres.limit


def test_sweeps_skip_the_question(bch: Result) -> None:
    """``explain=False`` leaves it out (a sweep keeps only the costs)."""
    assert bch.instance is not None
    quiet = siteopt.solve(bch.instance, explain=False)
    assert quiet.why_not == () and quiet.solution == bch.solution


def test_the_contract_carries_it(bch: Result) -> None:
    """It round-trips through solution.json; a document without it still reads."""
    data = bch.to_dict()
    assert Result.from_dict(data).why_not == bch.why_not
    assert Result.from_dict({k: v for k, v in data.items() if k != "why_not"}).why_not == ()

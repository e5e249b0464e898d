"""The Green Book appraisal of a solve: it agrees with the plan, the JSON, workbook and report."""

from __future__ import annotations

from pathlib import Path

import pytest

import siteopt
from siteopt.costs.appraisal import ONE_OFF_CATEGORIES
from siteopt.optimise.appraise import DO_MINIMUM, DO_NOTHING
from siteopt.optimise.result import Result
from siteopt.outputs.data import format_value

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bch() -> Result:
    """The default instance, solved."""
    return siteopt.solve(siteopt.load_instance(REPO / "instances" / "bch-2015.toml"))


def test_rows_are_do_nothing_do_minimum_the_plan_then_the_runners_up(bch: Result) -> None:
    """Reference options first, then the plan and the feasible alternatives in cost order."""
    assert bch.solution is not None
    names = [a.name for a in bch.appraisal]
    assert names[:3] == [DO_NOTHING, DO_MINIMUM, " + ".join(bch.solution.site_ids)]
    feasible = [" + ".join(o.sites) for o in bch.alternatives if o.feasible]
    assert names[3:] == feasible


def test_one_offs_add_up_to_the_solutions_investment(bch: Result) -> None:
    """With the optimiser's own uplift per category the one-offs are ``one_off_gbp``."""
    assert bch.solution is not None
    chosen = bch.appraisal[2]
    spent = sum(sum(chosen.cash_flow[c]) for c in ONE_OFF_CATEGORIES)
    assert spent == pytest.approx(bch.solution.one_off_gbp, abs=1.0)


def test_npv_is_do_nothings_present_value_minus_the_options(bch: Result) -> None:
    """NPV against do nothing; do minimum (a cost and no saving) loses its uplifted one-off."""
    base = bch.appraisal[0]
    assert base.npv_gbp == 0.0 and base.discounted_payback_years is None
    for appraisal in bch.appraisal[1:]:
        assert appraisal.npv_gbp == pytest.approx(base.present_value - appraisal.present_value)
    instance = bch.instance
    assert instance is not None and instance.appraisal.do_minimum is not None
    uplift = 1 + instance.appraisal.optimism_bias["ict"].value
    assert bch.appraisal[1].npv_gbp == pytest.approx(
        -instance.appraisal.do_minimum.one_off_gbp.value * uplift
    )


def test_the_contract_round_trips_the_appraisal(bch: Result) -> None:
    """``to_dict`` → ``from_dict`` keeps every cash flow; a document without it still reads."""
    data = bch.to_dict()
    assert Result.from_dict(data).appraisal == bch.appraisal
    older = {k: v for k, v in data.items() if k != "appraisal"}
    assert Result.from_dict(older).appraisal == ()


def test_workbook_and_report_show_the_json_figures(bch: Result, tmp_path: Path) -> None:
    """The NPV sheet and the report's appraisal table carry the JSON's numbers."""
    import openpyxl

    siteopt.write_outputs(bch, tmp_path / "out", formats=("json", "md", "xlsx"))
    sheet = openpyxl.load_workbook(tmp_path / "out" / "siteopt.xlsx")["NPV"]
    rows = list(sheet.iter_rows(values_only=True))
    header = next(i for i, row in enumerate(rows) if row and row[0] == "option")
    by_name = {row[0]: row for row in rows[header + 1 :] if row and row[0]}
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    for appraisal in bch.appraisal:
        assert by_name[appraisal.name][2] == pytest.approx(appraisal.npv_gbp, abs=0.01)
        assert f"| {appraisal.name} | {format_value(appraisal.present_value, 'gbp')} |" in report

"""Tests for the business-case report (siteopt/outputs/report.py): one document, three views."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from siteopt.optimise.solution import ConstraintResult
from siteopt.outputs.data import ExportData, figure_kind, format_value
from siteopt.outputs.documents import report_html, report_markdown, write_report_pdf
from siteopt.outputs.report import AT_MOST_TYPES, business_report, business_tables, constraint_slack

SECTIONS = (
    "Executive summary", "Scope and terms", "Options appraisal", "Cost breakdown", "Demand",
    "Green Book appraisal", "Chosen rooms and staffing", "Constraints", "Why not cheaper?",
    "Switching values", "Robustness to drive-time error", "Staff impact", "Access and maps",
    "Resilience", "How travel times were obtained",
    "Assumptions and sources", "Data attribution",
)  # fmt: skip


def test_format_value_shows_pounds_minutes_shares_and_missing_values() -> None:
    """Pounds are whole with separators, shares in per cent, a missing value is a dash."""
    assert format_value(8210160.25, "gbp") == "£8,210,160"
    assert format_value(-1500.4, "gbp") == "−£1,500"
    assert format_value(56.63, "minutes") == "56.6 min"
    assert format_value(0.9119, "share") == "91.2 %"
    assert format_value(-0.0273, "change") == "−2.7 %"
    assert format_value(3.68, "change") == "+368.0 %"
    assert format_value(0.95, "years") == "0.95 years"
    assert format_value(None, "gbp") == "–"
    assert format_value(True, "bool") == "yes"


@given(
    value=st.floats(-1e6, 1e6, allow_nan=False),
    limit=st.floats(-1e6, 1e6, allow_nan=False),
    kind=st.sampled_from(["staff_commute", "force_centre_within", "absorb_load"]),
)
def test_constraint_slack_is_non_negative_exactly_when_the_limit_is_met(
    value: float, limit: float, kind: str
) -> None:
    """Slack ≥ 0 iff value ≥ limit (at-least constraints) or value ≤ limit (at-most)."""
    slack = constraint_slack(ConstraintResult("c", kind, value, limit, True, ""))
    assert slack is not None
    met = value <= limit if kind in AT_MOST_TYPES else value >= limit
    assert (slack >= 0) == met


def test_constraint_slack_is_none_without_a_value() -> None:
    """A constraint that does not apply (no value or limit) has no slack."""
    assert constraint_slack(ConstraintResult("c", "fallback", None, None, True, "")) is None


def test_report_has_every_section_in_order(toy_data: ExportData) -> None:
    """The document has the business case's sections, in the order a reader needs them."""
    titles = tuple(s.title for s in business_report(toy_data).sections)
    optional = {"Why not cheaper?"}  # only when a constraint binds (none does on the toy)
    assert tuple(t for t in titles if t not in optional) == tuple(
        t for t in SECTIONS if t not in optional
    )


def test_markdown_summary_states_the_solution_figures(toy_data: ExportData) -> None:
    """The executive summary's pounds, FTE and payback are the solution's, formatted."""
    text = report_markdown(business_report(toy_data))
    r, s = toy_data.result, toy_data.solution
    assert s is not None
    summary = text.split("## Options appraisal")[0]
    for value, kind in (
        (s.objective_gbp, "gbp"), (r.baseline_gbp, "gbp"), (s.saving_gbp, "gbp"),
        (s.one_off_gbp, "gbp"), (s.payback_years, "years"),
        (s.staff_impact.staff_today_fte, "fte"),
    ):  # fmt: skip
        assert format_value(value, kind) in summary
    assert "Crown copyright" in text
    assert r.travel_times in text
    for path, _ in toy_data.instance.figures():
        assert f"| {path} |" in text


def test_markdown_tables_have_one_cell_per_column(toy_data: ExportData) -> None:
    """Every Markdown table row has as many cells as its header (pipes in text escaped)."""
    text = report_markdown(business_report(toy_data))
    for block in re.findall(r"((?:^\|.*\|\n)+)", text, flags=re.MULTILINE):
        rows = block.strip("\n").split("\n")
        widths = {len(re.split(r"(?<!\\)\|", row)) for row in rows}
        assert len(widths) == 1, rows[0]


def test_html_is_self_contained(toy_data: ExportData) -> None:
    """Inline CSS and images as data URIs: the page opens with no network."""
    html = report_html(business_report(toy_data), {"overview": b"\x89PNG fake"})
    assert "<style>" in html
    assert not re.search(r"(src|href)=[\"']https?:", html)
    assert "data:image/png;base64," in html


def test_pdf_is_written_with_every_table(toy_data: ExportData, tmp_path: Path) -> None:
    """The PDF is a complete document (header and trailer) with several pages."""
    path = tmp_path / "report.pdf"
    write_report_pdf(business_report(toy_data), {}, path)
    content = path.read_bytes()
    assert content.startswith(b"%PDF") and content.rstrip().endswith(b"%%EOF")
    assert len(re.findall(rb"/Type /Page\b", content)) >= 2


def test_workbook_tables_include_staffing_by_hour_and_the_lsoa_table(
    toy_data: ExportData,
) -> None:
    """The workbook-only tables are there: hour-of-week staffing and the 1,558 LSOAs."""
    tables = {t.sheet: t for t in business_tables(toy_data)}
    assert len(tables["Staffing by hour"].rows) == 168
    assert len(tables["LSOAs"].rows) == 1558


def test_every_instance_figure_is_shown_at_its_own_precision_with_its_unit() -> None:
    """0.035 is 3.5 %, not "0.0"; seconds, pounds, minutes and speeds carry their unit."""
    shown = {
        ("costs.discount_rate", 0.035): "3.5 %",
        ("staffing.shrinkage.sickness", 0.045): "4.5 %",
        ("staffing.max_occupancy", 0.85): "85 %",
        ("appraisal.optimism_bias.ict", 0.24): "24 %",
        ("demand.streams.emergency.aht_s", 270.0): "270 s",
        ("pay.call_handler_salary_gbp", 21500.0): "£21,500",
        ("transition.excess_travel_gbp_per_km", 0.28): "£0.28 per km",
        ("constraints.staff_commute.max_minutes", 60.0): "60 min",
        ("network.speeds_kph.motorway", 105.0): "105 km/h",
        ("demand.volumes.hertfordshire.emergency", 123456.0): "123,456 calls a year",
        ("transition.home_decay_per_minute", 0.08): "0.08",
    }
    for (path, value), text in shown.items():
        assert format_value(value, figure_kind(path)) == text, path


@given(st.floats(1e-6, 1e9, allow_nan=False), st.sampled_from(["number", "percent", "pounds"]))
def test_figures_are_not_rounded_away(value: float, kind: str) -> None:
    """The shown number reads back to the figure to ten significant digits."""
    text = format_value(value, kind).replace("£", "").replace(" %", "").replace(",", "")
    scale = 100 if kind == "percent" else 1
    assert float(text) / scale == pytest.approx(value, rel=1e-9)


def test_estimated_volumes_and_the_profile_are_listed_with_the_figures(
    toy_data: ExportData,
) -> None:
    """Every call volume the model uses is shown, with the profile among the assumptions."""
    tables = {t.sheet: t for t in business_tables(toy_data)}
    volumes = tables["Call volumes"]
    instance = toy_data.instance
    assert len(volumes.rows) == len(instance.forces) * len(instance.demand.streams)
    assumptions = {row[0]: row for row in tables["Assumptions"].rows}
    assert assumptions["demand.profile"][2] in {"assumption", "source"}
    for force, stream, calls, how, _ in volumes.rows:
        if how == "per-head estimate":
            assert assumptions[f"demand.volumes.{force}.{stream}"][1] == calls


def test_report_says_what_made_it_its_scope_and_its_terms(toy_data: ExportData) -> None:
    """Version, instance hash and date; functions in scope, what is not modelled, a glossary."""
    report = business_report(toy_data)
    assert re.search(
        r"siteopt \S+ business-case report · instance file toy\.toml "
        r"\(sha256 [0-9a-f]{12}\) · produced \d{4}-\d\d-\d\d",
        report.subtitle,
    )
    scope = next(s for s in report.sections if s.title == "Scope and terms")
    text = " ".join(scope.paragraphs)
    assert "In scope (moves to the new rooms): call_handling" in text
    assert "Not modelled: traffic congestion by time of day" in text  # no [network.congestion]
    for term in ("OPTIMAL:", "pooled routing:", "room:", "NPV:"):
        assert term in text
    summary = next(s for s in report.sections if s.title == "Executive summary")
    assert re.match(r"Recommended: (one|two) control rooms? at ", summary.paragraphs[0])


def test_drive_time_constraints_show_their_margin_in_typical_errors(toy_data: ExportData) -> None:
    """A 60-min drive errs by minutes, not seconds; slack in errors is slack over that error."""
    from siteopt.outputs.report import drive_time_error

    error = drive_time_error(toy_data, 60.0)
    assert error is not None and 1.0 < error < 20.0
    table = next(t for t in business_tables(toy_data) if t.sheet == "Constraints")
    col = {name: i for i, name in enumerate(table.columns)}
    for row in table.rows:
        typical, ratio = row[col["typical error ±"]], row[col["slack in typical errors"]]
        if typical is not None and row[col["slack"]] is not None:
            assert ratio == pytest.approx(row[col["slack"]] / typical, abs=0.01)


def test_without_the_decision_analysis_the_report_says_it_was_not_computed(
    toy_data: ExportData,
) -> None:
    """A plain solve has no switching values or robustness: the report says so, with how."""
    assert toy_data.result.switching is None and toy_data.result.robustness is None
    report = report_markdown(business_report(toy_data))
    summary = report.split("## Scope and terms")[0]
    assert "Robustness to drive-time error: not computed for this run" in summary
    assert "Switching values were not computed for this run" in report
    assert "decision=True" in report


def test_an_unvalidated_network_gets_a_robustness_line_saying_why(toy_data: ExportData) -> None:
    """No error model (national): the summary line says it was not computed and why."""
    from dataclasses import replace

    from siteopt.optimise.robustness import Robustness
    from siteopt.outputs.data import export_data

    why = "the network has no validated error model (no error_model)"
    result = replace(toy_data.result, robustness=Robustness(0, 0, None, 0, 0.75, not_computed=why))
    report = business_report(export_data(result))
    assert "Robustness" not in {t.sheet for s in report.sections for t in s.tables}
    summary = report_markdown(report).split("## Scope and terms")[0]
    assert f"Robustness to drive-time error was not computed: {why}." in summary


def test_a_run_settled_size_by_size_shows_its_cost_against_number_of_rooms(
    toy_data: ExportData,
) -> None:
    """The national route: one row per number of rooms, its best plan, bound, gap and verdict."""
    from dataclasses import replace

    from siteopt.optimise.result import SizeRecord
    from siteopt.outputs.data import export_data

    sizes = (
        SizeRecord(1, "enumeration", True, None),  # proven empty
        SizeRecord(2, "relaxation", False, 90_000_000_000, 100_000_000_000, ("a", "b")),
        SizeRecord(3, "relaxation", True, 95_000_000_000, 95_000_000_000, ("a", "b", "c")),
        SizeRecord(4, "relaxation", False, 97_000_000_000),  # bounded, nothing found in time
    )
    statistics = replace(toy_data.result.statistics, name="cp-sat by size", sizes=sizes)
    report = business_report(export_data(replace(toy_data.result, statistics=statistics)))
    section = next(s for s in report.sections if s.title == "Cost against number of rooms")
    (table,) = section.tables
    assert [row[0] for row in table.rows] == [1, 2, 3, 4]
    assert table.formatted()[1][1:4] == ["£10,000,000", "£9,000,000", "10.00 %"]
    verdicts = [row[4] for row in table.rows]
    assert verdicts[0] == "no plan meets every constraint (proven)"
    assert verdicts[1] == "not proven: the gap bounds a cheaper plan"
    assert verdicts[2] == "proved the cheapest of its size"
    assert verdicts[3] == "no plan found in the time (none proven impossible)"
    assert "Cost by rooms" not in {t.sheet for t in business_tables(toy_data)}  # one-off runs

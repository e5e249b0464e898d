"""Tests for siteopt/outputs/workbook.py: every text cell is text, whatever the instance says."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from siteopt.cli import main
from tests.conftest import INSTANCES

if TYPE_CHECKING:
    from siteopt.outputs.data import ExportData

FORMULA = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture(scope="module")
def hostile_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The toy solved with hostile texts: a formula, mathtext, HTML."""
    folder = tmp_path_factory.mktemp("hostile")
    child = folder / "hostile.toml"
    child.write_text(
        f'extends = "{(INSTANCES / "toy.toml").as_posix()}"\n'
        "[sites.custom.odd]\n"
        'name = "Odd $\\\\frac{1}{0$ <script>alert(1)</script>"\n'
        'force = "bedfordshire"\neasting = 509000\nnorthing = 221000\nsource = "test"\n'
        "[sites.overrides.odd]\n"
        'running_cost_gbp = { value = 1, assumption = "cheap: always chosen" }\n'
        "[demand]\n"
        f"growth = {{ value = 1.0, assumption = '{FORMULA}' }}\n",
        encoding="utf-8",
    )
    out = folder / "out"
    assert main(["solve", str(child), "--out", str(out), "--format", "xlsx,md,maps"]) == 0
    return out


def test_a_text_starting_with_equals_is_written_as_text_not_a_formula(hostile_out: Path) -> None:
    """An assumption ``=HYPERLINK(...)`` was a live formula in the Assumptions sheet (#16, 12)."""
    from openpyxl import load_workbook

    workbook = load_workbook(hostile_out / "siteopt.xlsx")
    cells = [c for sheet in workbook for row in sheet.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    assert any(c.value == FORMULA and c.data_type == "s" for c in cells)


def test_mathtext_in_names_does_not_break_the_maps(hostile_out: Path) -> None:
    """``$\\frac{1}{0$`` in a site name stopped matplotlib's mathtext (#16 item 9)."""
    from openpyxl import load_workbook

    workbook = load_workbook(hostile_out / "siteopt.xlsx")
    texts = [c.value for s in workbook for row in s.iter_rows() for c in row if c.data_type == "s"]
    assert any(isinstance(t, str) and t.startswith("Odd $\\frac{1}{0$") for t in texts)
    assert list((hostile_out / "maps").glob("*.png"))


def test_illegal_xml_characters_are_dropped_from_text_cells(tmp_path: Path) -> None:
    """A control character from any source does not stop openpyxl (IllegalCharacterError)."""
    from openpyxl import Workbook, load_workbook
    from openpyxl.cell import WriteOnlyCell

    from siteopt.outputs.workbook import _text_cell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("t")
    sheet.append(
        [_text_cell(WriteOnlyCell(sheet), "a\u0001b"), _text_cell(WriteOnlyCell(sheet), "=1+1")]
    )
    workbook.save(tmp_path / "t.xlsx")
    row = next(load_workbook(tmp_path / "t.xlsx")["t"].iter_rows())
    assert [(c.value, c.data_type) for c in row] == [("ab", "s"), ("=1+1", "s")]


def test_html_in_names_is_escaped_in_the_markdown_report(hostile_out: Path) -> None:
    """A site name's ``<script>`` went into report.md raw (#16 item 13)."""
    text = (hostile_out / "report.md").read_text(encoding="utf-8")
    assert "<script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_summary_sheet_says_what_the_plan_is(toy_data: ExportData, tmp_path: Path) -> None:
    """The summary names the plan (rooms, forces, today's rooms) beside the instance's name, and
    FTE figures are rounded to the hundredth shown (no 4257.899999999999 on copying)."""
    from openpyxl import load_workbook

    from siteopt.outputs.data import plan_title
    from siteopt.outputs.workbook import write_workbook

    write_workbook(toy_data, tmp_path / "w.xlsx")
    rows = dict(load_workbook(tmp_path / "w.xlsx")["Summary"].iter_rows(values_only=True))
    assert rows["plan"] == plan_title(toy_data)
    handlers = rows["of which call handlers and supervisors"]
    assert handlers == round(handlers, 2)

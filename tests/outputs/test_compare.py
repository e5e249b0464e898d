"""Two runs side by side: values, changes, Markdown, workbook and the command."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

import siteopt
from siteopt.optimise.result import Result
from siteopt.outputs.compare import comparison, comparison_markdown, write_comparison
from tests.conftest import INSTANCES, CliResult


@pytest.fixture(scope="module")
def runs() -> tuple[Result, Result]:
    """The toy instance, and the same without the room it chose."""
    base = siteopt.solve(siteopt.load_instance(INSTANCES / "toy.toml"))
    assert base.solution is not None
    chosen = base.solution.site_ids[0]
    instance = base.instance
    assert instance is not None
    sites = instance.sites.model_copy(update={"exclude": [chosen]})
    other = siteopt.solve(instance.model_copy(update={"sites": sites}))
    return base, other


def test_a_run_against_itself_changes_nothing(runs: tuple[Result, Result]) -> None:
    """Every change is empty, every value on both sides."""
    base, _ = runs
    compared = comparison(base, base)
    assert all(row.change in (None, 0) and row.a == row.b for row in compared.rows)


def test_changes_are_the_differences_of_the_runs(runs: tuple[Result, Result]) -> None:
    """The total's change is the difference of the objectives; the rooms are marked changed."""
    base, other = runs
    assert base.solution is not None and other.solution is not None
    rows = {(r.section, r.item): r for r in comparison(base, other, name_a="a", name_b="b").rows}
    total = rows["cost a year", "total"]
    assert total.change == pytest.approx(other.solution.objective_gbp - base.solution.objective_gbp)
    assert rows["plan", "rooms"].a != rows["plan", "rooms"].b
    assert "| rooms | " in comparison_markdown(comparison(base, other)) and "changed" in (
        comparison_markdown(comparison(base, other))
    )


def test_workbook_holds_numbers(runs: tuple[Result, Result], tmp_path: Path) -> None:
    """compare.xlsx carries the pounds as numbers with a £ format."""
    from openpyxl import load_workbook

    base, other = runs
    md, xlsx = write_comparison(comparison(base, other), tmp_path / "cmp")
    assert md.read_text(encoding="utf-8").startswith("# Comparison: A and B")
    sheet = load_workbook(xlsx)["comparison"]
    total = next(r for r in sheet.iter_rows(min_row=2) if r[1].value == "total")
    assert isinstance(total[2].value, float) and total[2].number_format == '"£"#,##0'


def test_compare_command_reads_two_solution_files(
    runs: tuple[Result, Result], tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    """Named by their folders; a file that is not a solution is one line, exit 2."""
    base, other = runs
    for name, result in (("base", base), ("what-if", other)):
        (tmp_path / name).mkdir()
        document = json.dumps(result.to_dict())
        (tmp_path / name / "solution.json").write_text(document, encoding="utf-8")
    a, b = tmp_path / "base" / "solution.json", tmp_path / "what-if" / "solution.json"
    done = run_cli("compare", str(a), str(b), "--out", str(tmp_path / "out"))
    assert done.code == 0, done.err
    assert "base" in done.out and "what-if" in done.out
    assert (tmp_path / "out" / "compare.xlsx").is_file()
    (tmp_path / "bad.json").write_text("{}", encoding="utf-8")
    bad = run_cli("compare", str(a), str(tmp_path / "bad.json"))
    assert bad.code == 2 and len(bad.err.strip().splitlines()) == 1 and "bad.json" in bad.err

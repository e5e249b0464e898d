"""The cost-matrix CSV reader: the fast reader and the cell-by-cell one read the same file alike."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siteopt.errors import InstanceError
from siteopt.location import matrix as matrix_module
from siteopt.location.matrix import CostMatrix, read_cost_matrix
from tests.conftest import CliResult
from tests.location.helpers import write

UNREACHABLE_SPELLINGS = ["", "unreachable", "Unreachable", "UNREACHABLE", "inf", "Inf", "INF"]


def cell_texts() -> st.SearchStrategy[str]:
    number = st.floats(0, 1e4, allow_nan=False).map(lambda v: f"{v:.6g}")
    padded = st.tuples(st.sampled_from(["", " ", "  "]), number, st.sampled_from(["", " "]))
    return st.one_of(number, padded.map("".join), st.sampled_from(UNREACHABLE_SPELLINGS))


@st.composite
def csv_files(draw: st.DrawFn) -> tuple[str, int, int]:
    n = draw(st.integers(1, 6))
    m = draw(st.integers(1, 4))
    lines = ["id,weight," + ",".join(f"s{j}" for j in range(m))]
    for i in range(n):
        weight = draw(st.integers(0, 9999))
        cells = [draw(cell_texts()) for _ in range(m)]
        lines.append(f"d{i},{weight}," + ",".join(cells))
        if draw(st.booleans()) and draw(st.booleans()):
            lines.append("")  # blank lines are skipped
    return "\n".join(lines) + draw(st.sampled_from(["", "\n", "\r\n"])), n, m


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(file=csv_files())
def test_fast_and_checked_readers_agree(tmp_path: Path, file: tuple[str, int, int]) -> None:
    text, n, m = file
    path = tmp_path / "costs.csv"
    path.write_text(text, encoding="utf-8")
    header = matrix_module._header(path)
    ids, weights, minutes = matrix_module._read_checked(path, header)
    if n and not (weights > 0).any():  # nothing to locate: refused
        with pytest.raises(InstanceError, match="every weight is 0"):
            read_cost_matrix(path)
        return
    fast = read_cost_matrix(path)
    assert fast.demand_ids == ids and fast.minutes.shape == (n, m)
    assert np.array_equal(fast.weights, weights)
    assert np.array_equal(fast.minutes, minutes)


def test_a_short_row_is_told_from_an_empty_last_cell(tmp_path: Path) -> None:
    empty_last = read_cost_matrix(write(tmp_path, "id,weight,a,b\nx,1,2,\ny,1,,3\n"))
    assert math.isinf(empty_last.minutes[0, 1]) and math.isinf(empty_last.minutes[1, 0])
    with pytest.raises(InstanceError, match=r"line 3: expected 4 cells like the header, got 3"):
        read_cost_matrix(write(tmp_path, "id,weight,a,b\nx,1,2,\ny,1,3\n"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id,weight,a\nx,1,nan\n", r"line 2\.a: expected a number ≥ 0 or 'unreachable', got 'nan'"),
        ("id,weight,a\nx,1,2\ny,inf,3\n", r"line 3\.weight: expected a number ≥ 0, got 'inf'"),
        ("id,weight,a\nx,1,2\ny,2,-0.5\n", r"line 3\.a: expected a number ≥ 0 or 'unr"),
        ("id,weight,a\nx,1,2,9\n", r"line 2: expected 3 cells like the header, got 4"),
        ("id,weight,a\nx,1,2\ny,1,2,9\n", r"line 3: expected 3 cells like the header, got 4"),
        ("id,weight,a\n,1,2\n", r"id: expected a non-empty demand id"),
        ("id,w,a\nx,1,2\n", r"costs\.csv: header: expected header 'id,weight,<candidate>,…'"),
        ("id,weight,a\nx,1,fast\n", r"costs\.csv: line 2\.a: expected a number ≥ 0 or 'unr"),
        ("id,weight,a\nx,-1,2\n", r"costs\.csv: line 2\.weight: expected a number ≥ 0, got '-1'"),
        ("id,weight,a\nx,1\n", r"costs\.csv: line 2: expected 3 cells like the header, got 2"),
        ("id,weight,a\nx,1,2\nx,1,3\n", r"costs\.csv: id: expected unique demand ids, 'x'"),
        ("id,weight,a,a\nx,1,2,3\n", r"costs\.csv: header: expected unique candidates, 'a'"),
        ("id,weight,a\n", r"costs\.csv: expected a header row and at least one demand row"),
    ],
)
def test_bad_cells_are_named_by_line_and_column(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InstanceError, match=message):
        read_cost_matrix(write(tmp_path, text))


def test_quoted_ids_and_a_byte_order_mark_are_read(tmp_path: Path) -> None:
    path = tmp_path / "costs.csv"
    path.write_text('\ufeffid,weight,a\n"Luton, north",5,1.5\nplain,2,Infinity\n', encoding="utf-8")
    matrix = read_cost_matrix(path)
    assert matrix.demand_ids == ("Luton, north", "plain")
    assert matrix.minutes[0, 0] == 1.5 and math.isinf(matrix.minutes[1, 0])


def test_the_matrix_is_read_only_and_not_copied_again(tmp_path: Path) -> None:
    matrix = read_cost_matrix(write(tmp_path, "id,weight,a\nx,1,2\n"))
    assert not matrix.minutes.flags.writeable
    again = CostMatrix(
        minutes=matrix.minutes,
        weights=matrix.weights,
        demand_ids=matrix.demand_ids,
        candidate_ids=matrix.candidate_ids,
        source="same arrays",
    )
    assert again.minutes is matrix.minutes


def test_a_matrix_whose_weights_are_all_zero_is_one_error(
    tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    """lscp said OPTIMAL with no site at all on all-zero weights (#16 item 13)."""
    path = tmp_path / "z.csv"
    path.write_text("id,weight,a,b\nx,0,5,20\ny,0,30,10\n", encoding="utf-8")
    result = run_cli("locate", str(path), "--model", "lscp", "--within", "15")
    assert result.code == 2
    assert (
        result.err == f"siteopt: error: {path}: weight: expected some demand: every weight is 0\n"
    )

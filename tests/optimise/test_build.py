"""Building the integer problem: figures whose worst case overflows the model are input errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import INSTANCES, CliResult


def _child(tmp_path: Path, body: str) -> Path:
    child = tmp_path / "big.toml"
    child.write_text(f'extends = "{(INSTANCES / "toy.toml").as_posix()}"\n{body}', encoding="utf-8")
    return child


def test_costs_that_would_overflow_the_integer_model_are_an_input_error(
    tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    """Each figure within its range, together past 64 bits: exit 2 naming the field, not 1 or 3.

    Before the check CP-SAT answered MODEL_INVALID with a 280,000-character message (#16 item 5).
    """
    body = (
        "[sites.defaults]\n"
        'max_seats = { value = 10000, assumption = "x" }\n'
        'fit_out_per_seat_gbp = { value = 1e9, assumption = "x" }\n'
        "[costs]\n"
        'appraisal_years = { value = 1, assumption = "x" }\n'
        'optimism_bias = { value = 3, assumption = "x" }\n'
        "[solver]\n"
        'method = "cp-sat"\n'
    )
    result = run_cli("solve", str(_child(tmp_path, body)))
    assert result.code == 2
    assert result.err.count("\n") == 1
    assert "big.toml: sites.fit_out_per_seat_gbp: too large for the integer model" in result.err


def test_large_but_representable_costs_still_solve(
    tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    """A £1bn building stays inside the model: the check does not refuse what fits."""
    body = '[sites.defaults]\nrunning_cost_gbp = { value = 1e9, assumption = "x" }\n'
    result = run_cli("solve", str(_child(tmp_path, body)), "--json")
    assert result.code == 0, result.err

"""Shared fixtures: repository paths and a CLI runner that returns exit code and output."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings

from siteopt.cli import main

if TYPE_CHECKING:
    from siteopt.optimise.result import Result
    from siteopt.outputs.data import ExportData

#: Release-size property and fuzz runs: ``pytest -m fuzz --hypothesis-profile=long``.
settings.register_profile("long", max_examples=2000, deadline=None)

REPO = Path(__file__).resolve().parents[1]
INSTANCES = REPO / "instances"
BAD = Path(__file__).resolve().parent / "data" / "bad"
SHARED_GEODATA = REPO.parent / "shared" / "geodata"


@dataclass(frozen=True)
class CliResult:
    """What one CLI call returned and printed."""

    code: int
    out: str
    err: str


@pytest.fixture
def run_cli(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., CliResult]:
    """Run ``siteopt ARGS`` in-process and return its exit code, stdout and stderr.

    The terminal is made wide so that table cells are not wrapped in what the tests read.
    """
    monkeypatch.setenv("COLUMNS", "200")

    def run(*args: str) -> CliResult:
        code = main(list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture
def toy_file() -> Path:
    """The tiny synthetic instance."""
    return INSTANCES / "toy.toml"


@pytest.fixture(scope="module")
def toy_data() -> ExportData:
    """Export data of the toy instance's solution (solved once per test module)."""
    from siteopt.instance.loading import load_instance
    from siteopt.optimise.solve import solve
    from siteopt.outputs.data import export_data

    return export_data(solve(load_instance(INSTANCES / "toy.toml"), method="enumerate"))


def write_rooms_apart(tmp_path: Path) -> Path:
    """A toy variant without a feasible option: two rooms that must be 500-600 min apart."""
    path = tmp_path / "apart.toml"
    path.write_text(
        f'extends = "{(INSTANCES / "toy.toml").as_posix()}"\n[solver]\nk_min = 2\n'
        '[constraints.separation]\nmin_minutes = { value = 500, assumption = "t" }\n'
        'max_minutes = { value = 600, assumption = "t" }\n',
        encoding="utf-8",
    )
    return path


def without_solution(result: Result, conflict: tuple[str, ...] = ()) -> Result:
    """The same run as if no option met every constraint (a test input, not a solve).

    ``conflict``, when given, is the explanation's smallest conflicting set.
    """
    from dataclasses import replace

    from siteopt.optimise.result import Infeasibility
    from siteopt.status import Status

    explanation = Infeasibility(conflict, ()) if conflict else None
    return replace(
        result,
        status=Status.INFEASIBLE,
        solution=None,
        best_bound_gbp=None,
        infeasibility=explanation,
    )

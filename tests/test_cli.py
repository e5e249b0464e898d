"""The command line: validate, data, sites, solve; exit codes and JSON output."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tests.conftest import INSTANCES, CliResult


def test_validate_accepts_all_shipped_instances(run_cli: Callable[..., CliResult]) -> None:
    """`siteopt validate instances/*.toml` passes."""
    files = sorted(str(p) for p in INSTANCES.glob("*.toml"))
    result = run_cli("validate", *files)
    assert result.code == 0, result.err
    assert result.out.count("ok ") == len(files)


def test_data_prints_population_per_force_with_total(run_cli: Callable[..., CliResult]) -> None:
    """`siteopt data` shows per-force population and the regional total."""
    result = run_cli("data")
    assert result.code == 0
    for text in ("652,223", "832,835", "1,164,366", "2,649,424", "1,558"):
        assert text in result.out


def test_data_json_totals_add_up(run_cli: Callable[..., CliResult]) -> None:
    """The JSON summary's per-force rows sum to its totals."""
    summary = json.loads(run_cli("data", "--json").out)
    assert sum(f["pop_mid2015"] for f in summary["forces"]) == summary["totals"]["pop_mid2015"]
    assert sum(f["lsoas"] for f in summary["forces"]) == summary["totals"]["lsoas"] == 1558
    assert sum(d["pop_mid2015"] for d in summary["districts"]) == summary["totals"]["pop_mid2015"]
    assert summary["totals"]["current_control_rooms"] == ["hinchingbrooke", "kempston", "welwyn"]


def test_sites_lists_candidates_of_an_instance(run_cli: Callable[..., CliResult]) -> None:
    """`siteopt sites --instance toy.toml --json` lists exactly the toy candidates."""
    rows = json.loads(run_cli("sites", "--instance", str(INSTANCES / "toy.toml"), "--json").out)
    assert [r["id"] for r in rows] == ["kempston", "hinchingbrooke", "welwyn", "luton"]


def test_sites_table_marks_current_rooms(
    run_cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The site table marks the current control rooms."""
    monkeypatch.setenv("COLUMNS", "200")
    result = run_cli("sites")
    assert result.code == 0
    assert "current control room" in result.out


def test_solve_reports_not_solved_without_inventing_a_result(
    run_cli: Callable[..., CliResult],
) -> None:
    """Until the optimiser lands, solve validates, shows the problem and reports NOT_SOLVED."""
    result = run_cli("solve", str(INSTANCES / "bch-2015.toml"), "--json")
    assert result.code == 0
    summary = json.loads(result.out)
    assert summary["status"] == "NOT_SOLVED"
    assert "objective_gbp" not in summary
    calls = {(r["force"], r["stream"]): r for r in summary["annual_calls"]}
    assert calls["bedfordshire", "non_emergency"]["calls"] == 330_000
    assert calls["hertfordshire", "emergency"]["estimated"]


def test_unknown_command_is_a_usage_error(run_cli: Callable[..., CliResult]) -> None:
    """An unknown subcommand exits with click's usage code 2."""
    assert run_cli("frobnicate").code == 2

"""The command line: validate, data, sites, solve; exit codes and JSON output."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

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


def test_sites_table_marks_current_rooms(run_cli: Callable[..., CliResult]) -> None:
    """The site table marks the current control rooms."""
    result = run_cli("sites")
    assert result.code == 0
    assert "current control room" in result.out


def test_solve_json_is_the_output_contract(run_cli: Callable[..., CliResult]) -> None:
    """`siteopt solve FILE --json` prints one object: status, sites, costs, saving, constraints."""
    result = run_cli("solve", str(INSTANCES / "toy.toml"), "--method", "enumerate", "--json")
    assert result.code == 0, result.err
    summary = json.loads(result.out)
    assert summary["status"] == "OPTIMAL"
    assert summary["sites"]
    assert summary["saving_gbp"] == pytest.approx(  # each rounded to the penny on its own
        summary["baseline_gbp"] - summary["objective_gbp"], abs=0.011
    )


def test_solve_prints_a_report(run_cli: Callable[..., CliResult]) -> None:
    """Without --json, a terminal report with the chosen sites, costs and travel-time note."""
    result = run_cli("solve", str(INSTANCES / "toy.toml"), "--method", "enumerate")
    assert result.code == 0, result.err
    for text in ("Chosen sites", "Saving against today", "Constraints", "approximate"):
        assert text in result.out


def test_solve_infeasible_exits_3_with_the_conflict(
    run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    """An infeasible instance is not an error: exit code 3 and the conflicting constraints."""
    path = tmp_path / "apart.toml"
    path.write_text(
        f'extends = "{(INSTANCES / "toy.toml").as_posix()}"\n[solver]\nk_min = 2\n'
        '[constraints.separation]\nmin_minutes = { value = 500, assumption = "t" }\n'
        'max_minutes = { value = 600, assumption = "t" }\n',
        encoding="utf-8",
    )
    result = run_cli("solve", str(path), "--method", "enumerate")
    assert result.code == 3
    assert "Smallest conflicting set: separation" in result.out


def test_solve_rejects_an_unknown_method(run_cli: Callable[..., CliResult]) -> None:
    """A method other than cp-sat or enumerate is one clear error."""
    result = run_cli("solve", str(INSTANCES / "toy.toml"), "--method", "guess")
    assert result.code == 2
    assert "--method: expected cp-sat or enumerate" in result.err


def test_unknown_command_is_a_usage_error(run_cli: Callable[..., CliResult]) -> None:
    """An unknown subcommand exits with click's usage code 2."""
    assert run_cli("frobnicate").code == 2


def test_staffing_prints_agents_and_one_fewer(run_cli: Callable[..., CliResult]) -> None:
    """120 calls/h × 300 s, 90% in 10 s: 15 agents meet it and 14 do not (Erlang C)."""
    args = ["--calls-per-hour", "120", "--aht", "300", "--target", "0.9", "--within", "10"]
    summary = json.loads(run_cli("staffing", *args, "--json").out)
    assert summary["agents"] == 15
    assert summary["model"] == "Erlang C"
    below, at = summary["rows"]
    assert below["service_level"] < 0.9 <= at["service_level"]
    assert at["occupancy"] == pytest.approx(10 / 15)
    text = run_cli("staffing", *args).out
    assert "15 agents" in text


def test_staffing_rejects_an_impossible_target(run_cli: Callable[..., CliResult]) -> None:
    """A 100% target cannot be met by any finite staffing: one clear line, exit 2."""
    result = run_cli(
        "staffing", "--calls-per-hour", "50", "--aht", "200", "--target", "1", "--within", "10"
    )
    assert result.code == 2
    assert result.err.count("\n") == 1
    assert "share" in result.err


def test_pooling_shows_the_saving_of_one_room(run_cli: Callable[..., CliResult]) -> None:
    """One pooled room needs fewer FTE than three rooms apart; the saving is the difference."""
    summary = json.loads(run_cli("pooling", str(INSTANCES / "toy.toml"), "--json").out)
    assert len(summary["groups"]) == 7
    assert summary["one_room_fte"] < summary["separate_rooms_fte"]
    assert summary["pooling_saving_fte"] == pytest.approx(
        summary["separate_rooms_fte"] - summary["one_room_fte"]
    )


def test_simulate_with_a_failure_reports_every_window(run_cli: Callable[..., CliResult]) -> None:
    """`siteopt simulate --sites A,B --fail A` reports the week and the failure windows."""
    args = ["--sites", "kempston,welwyn", "--fail", "welwyn", "--hours", "3", "--replications", "3"]
    result = run_cli("simulate", str(INSTANCES / "toy.toml"), *args, "--json")
    assert result.code == 0, result.err
    summary = json.loads(result.out)
    assert [r["stream"] for r in summary["week"]] == ["emergency", "non_emergency"]
    failure = summary["failure"]
    assert failure["site"] == "welwyn"
    assert failure["hours"] == 3
    during = {r["stream"]: r["service_level"] for r in failure["during"]}
    normal = {r["stream"]: r["service_level"] for r in failure["during_without_failure"]}
    assert during["emergency"] < normal["emergency"]


def test_simulate_rejects_an_unknown_site(run_cli: Callable[..., CliResult]) -> None:
    """A site that is not a candidate is one clear error."""
    result = run_cli("simulate", str(INSTANCES / "toy.toml"), "--sites", "kempston,atlantis")
    assert result.code == 2
    assert "'atlantis' is not a candidate site" in result.err


def test_solve_out_writes_solution_json_atomically(
    run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    """`--out DIR` writes solution.json (and nothing half-written) with the same numbers."""
    out = tmp_path / "result"
    args = ["solve", str(INSTANCES / "toy.toml"), "--method", "enumerate", "--json", "--format"]
    result = run_cli(*args, "json", "--out", str(out))
    assert result.code == 0, result.err
    assert [p.name for p in out.iterdir()] == ["solution.json"]
    written = json.loads((out / "solution.json").read_text(encoding="utf-8"))
    assert written == json.loads(result.out)

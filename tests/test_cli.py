"""The command line: validate, data, sites, solve; exit codes and JSON output."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import INSTANCES, CliResult, write_rooms_apart


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
    path = write_rooms_apart(tmp_path)
    result = run_cli("solve", str(path), "--method", "enumerate")
    assert result.code == 3
    assert "Smallest conflicting set: separation" in result.out


def test_solve_rejects_an_unknown_method(run_cli: Callable[..., CliResult]) -> None:
    """A method other than cp-sat or enumerate is one clear error."""
    result = run_cli("solve", str(INSTANCES / "toy.toml"), "--method", "guess")
    assert result.code == 2
    assert "--method: expected auto, cp-sat or enumerate" in result.err


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


def write_force_centres_variant(tmp_path: Path, minutes: int) -> Path:
    """BCH with two or three rooms and every force centre within ``minutes`` of a room.

    At 25 min no two-room option exists and only CP-SAT can find a three-room one.
    """
    path = tmp_path / f"centres-{minutes}.toml"
    path.write_text(
        f'extends = "{(INSTANCES / "bch-2015.toml").as_posix()}"\n'
        "[solver]\nk_min = 2\nk_max = 3\n"
        f'[constraints.force_centres]\nmax_minutes = {{ value = {minutes}, assumption = "t" }}\n',
        encoding="utf-8",
    )
    return path


def write_staff_commute_variant(tmp_path: Path) -> Path:
    """BCH with two or three rooms and 90 % of today's staff within 45 min of a room.

    A two-room option exists (the enumeration finds it at once) but the three-room bound is
    lower than its cost, so only CP-SAT can settle three rooms.
    """
    path = tmp_path / "commute-90.toml"
    path.write_text(
        f'extends = "{(INSTANCES / "bch-2015.toml").as_posix()}"\n'
        "[solver]\nk_min = 2\nk_max = 3\n[constraints.staff_commute]\n"
        'max_minutes = { value = 45, assumption = "t" }\n'
        'min_share = { value = 0.9, assumption = "t" }\n',
        encoding="utf-8",
    )
    return path


def test_a_time_limited_solve_with_a_plan_is_feasible_with_its_gap(
    run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    """The limit stops CP-SAT before it settles three rooms: FEASIBLE, gap shown, exit 0."""
    path = write_staff_commute_variant(tmp_path)
    result = run_cli("solve", str(path), "--time-limit", "0.01", "--json")
    assert result.code == 0, result.err
    document = json.loads(result.out)
    assert (document["status"], document["proved_optimal"]) == ("FEASIBLE", False)
    gap = document["solver"]["gap"]
    assert 0 < gap < 1
    assert document["best_bound_gbp"] < document["objective_gbp"]
    assert document["best_bound_gbp"] == pytest.approx(document["objective_gbp"] * (1 - gap))
    text = run_cli("solve", str(path), "--time-limit", "0.01")
    assert text.code == 0
    assert "FEASIBLE (cp-sat by size, " in text.out
    assert f"not proven optimal, gap {100 * gap:.2f} %" in text.out
    assert "Raise --time-limit for a proof" in text.out


def test_a_time_limited_solve_without_a_plan_is_unknown_and_exits_4(
    run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    """Nothing found and nothing proven is UNKNOWN (exit 4), never called infeasible."""
    path = write_force_centres_variant(tmp_path, 25)
    result = run_cli("solve", str(path), "--time-limit", "0.01")
    assert result.code == 4, result.err
    assert "UNKNOWN" in result.out and "No option found before the time limit" in result.out
    assert "infeasible" not in result.out.lower()


def test_solve_names_flags_not_parameters(run_cli: Callable[..., CliResult]) -> None:
    """The library says ``time_limit`` and ``formats``; the command line says the flags."""
    toy = str(INSTANCES / "toy.toml")
    result = run_cli("solve", toy, "--time-limit", "-1")
    assert result.code == 2
    assert result.err == "siteopt: error: --time-limit: expected seconds > 0, got -1.0\n"
    result = run_cli("solve", toy, "--format", "md")
    assert result.code == 2
    assert result.err == "siteopt: error: --format: expected --out DIR to write the formats to\n"
    for bad in ("nan", "inf", "-5"):  # CP-SAT called these MODEL_INVALID (#16 item 5)
        result = run_cli("solve", toy, "--time-limit", bad)
        assert (result.code, result.err.count("\n")) == (2, 1), result.err
        assert result.err.startswith("siteopt: error: --time-limit: expected seconds > 0")


def test_solve_out_and_export_print_what_they_wrote(
    run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    """One line per format group, naming the files; export reads solution.json back."""
    out = tmp_path / "out"
    result = run_cli(
        "solve", str(INSTANCES / "toy.toml"), "--method", "enumerate", "--out", str(out),
        "--format", "json,md,geojson",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert f"Wrote 8 files to {out}:" in result.out
    assert "  json     solution.json\n" in result.out
    assert "  md       report.md\n" in result.out
    assert "  geojson  geojson/ (6 files: districts, drive_time_bands," in result.out
    again = run_cli("export", str(out / "solution.json"), "--out", str(tmp_path / "b"),
                    "--format", "xlsx")  # fmt: skip
    assert again.code == 0, again.err
    assert again.out == f"Wrote 1 file to {tmp_path / 'b'}:\n  xlsx     siteopt.xlsx\n"


def test_solve_out_shows_what_it_is_doing_on_a_terminal(
    run_cli: Callable[..., CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A slow --out (greenfield: tens of seconds) says on stderr what it is doing meanwhile;
    piped output stays clean (the other tests run without a terminal). #18 item 6."""
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich then treats stderr as a terminal
    out = tmp_path / "out"
    result = run_cli("solve", str(INSTANCES / "toy.toml"), "--out", str(out), "--format", "json")
    assert result.code == 0, result.err
    # the status redraws ~12 times a second: the re-pricing (seconds, even on the toy) shows
    assert "switching values and robustness to drive-time error" in result.err
    assert "re-pricing" not in result.out
    solution = json.loads((out / "solution.json").read_text(encoding="utf-8"))
    assert solution["robustness"]["draws"] == 200 and "switching" in solution


def test_export_of_a_malformed_solution_names_the_file_and_field(
    run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    """A hand-edited solution.json with a bad value: one line, exit 2, nothing written."""
    out = tmp_path / "out"
    assert run_cli("solve", str(INSTANCES / "toy.toml"), "--method", "enumerate", "--out",
                   str(out), "--format", "json").code == 0  # fmt: skip
    document = json.loads((out / "solution.json").read_text(encoding="utf-8"))
    document["sites"][0]["seats"] = "twelve"
    (out / "solution.json").write_text(json.dumps(document), encoding="utf-8")
    result = run_cli("export", str(out / "solution.json"), "--out", str(tmp_path / "b"))
    assert result.code == 2
    assert result.err == (
        f"siteopt: error: {out / 'solution.json'}: sites.0.seats: input should be a valid "
        'integer, got "twelve"\n'
    )
    assert not (tmp_path / "b").exists()


def test_today_shows_the_establishment_against_the_published_staff(
    run_cli: Callable[..., CliResult],
) -> None:
    """`siteopt today` reconciles the default with the published ~800 (within 15%)."""
    result = run_cli("today", str(INSTANCES / "bch-2015.toml"), "--json")
    assert result.code == 0, result.err
    summary = json.loads(result.out)
    published = summary["published_total"]
    assert published["is_source"] and published["value"] == 800
    assert abs(published["gap_share"]) <= 0.15
    assert summary["total_fte"] == pytest.approx(sum(summary["totals_fte"].values()))
    names = [f["name"] for f in summary["functions"]]
    assert names[:2] == ["call_handling", "dispatch"]
    herts = next(f for f in summary["forces"] if f["force"] == "hertfordshire")
    assert herts["published"]["is_source"] and abs(herts["published"]["gap_share"]) <= 0.15
    text = run_cli("today", str(INSTANCES / "bch-2015.toml")).out
    assert "published" in text and "gap" in text


def test_staffing_with_redials_is_erlang_x(run_cli: Callable[..., CliResult]) -> None:
    """`--redial-share` turns Erlang A into Erlang X: more attempts, at least as many agents."""
    args = ["--calls-per-hour", "120", "--aht", "300", "--target", "0.8", "--within", "30"]
    plain = json.loads(run_cli("staffing", *args, "--patience", "180", "--json").out)
    redial = json.loads(
        run_cli("staffing", *args, "--patience", "180", "--redial-share", "0.5", "--json").out
    )
    assert redial["model"] == "Erlang X" and plain["model"] == "Erlang A"
    assert redial["agents"] >= plain["agents"]
    assert redial["rows"][-1]["attempts_per_hour"] > 120
    bad = run_cli("staffing", *args, "--redial-share", "0.5")
    assert bad.code == 2 and "patience" in bad.err


def test_simulate_with_a_negative_seed_is_one_line(run_cli: Callable[..., CliResult]) -> None:
    """``--seed -1`` was numpy's ValueError as a traceback (#16 item 9)."""
    toy = str(INSTANCES / "toy.toml")
    result = run_cli("simulate", toy, "--sites", "kempston", "--seed", "-1")
    assert result.code == 2
    assert result.err == "siteopt: error: --seed: expected a seed >= 0, got -1\n"


def test_version_prints_the_installed_version(run_cli: Callable[..., CliResult]) -> None:
    """``siteopt --version`` prints one line and exits 0."""
    result = run_cli("--version")
    assert result.code == 0 and result.out.startswith("siteopt ") and not result.err


def test_route_takes_a_negative_longitude(run_cli: Callable[..., CliResult]) -> None:
    """'-0.5,52.1' is a place, not an option."""
    result = run_cli("route", str(INSTANCES / "bch-2015.toml"), "-0.5,52.1", "welwyn")
    assert result.code == 0, result.err
    assert result.out.startswith("-0.5,52.1 → welwyn:")


def test_sites_of_a_greenfield_instance_print_whole_ids(
    run_cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Grid points are listed (no KeyError) and no id is cut, even in a narrow terminal."""
    monkeypatch.setenv("COLUMNS", "60")
    result = run_cli("sites", "--instance", str(INSTANCES / "bch-greenfield.toml"))
    assert result.code == 0, result.err
    ids = [line.split("│")[1].strip() for line in result.out.splitlines() if "│ gf-" in line]
    assert ids and all(i.count("-") == 2 and "_" in i and "…" not in i for i in ids)


def test_locate_objective_has_its_unit(run_cli: Callable[..., CliResult]) -> None:
    """p-median's objective is person-minutes written out, not 7.5e+07."""
    result = run_cli("locate", str(INSTANCES / "bch-2015.toml"), "--model", "pmedian", "-p", "2")
    assert result.code == 0, result.err
    line = next(x for x in result.out.splitlines() if x.startswith("objective: "))
    assert "e+" not in line and "(population mid-2015 × minutes)" in line


def test_locate_without_p_says_it_is_missing(run_cli: Callable[..., CliResult]) -> None:
    """A missing -p is named as missing, not "got None"; --help mentions locate.gpkg."""
    result = run_cli("locate", str(INSTANCES / "bch-2015.toml"), "--model", "pmedian")
    assert result.code == 2 and "None" not in result.err
    assert "p: missing: give the number of sites (1..32)" in result.err
    assert "locate.gpkg" in run_cli("locate", "--help").out

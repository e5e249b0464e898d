"""Tests for siteopt/outputs/: outputs written atomically, GIS layers, workbook, reconciliation."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siteopt.cli import main
from siteopt.errors import ArgumentError
from siteopt.instance.loading import load_instance
from siteopt.optimise.result import Result
from siteopt.optimise.solve import solve
from siteopt.outputs.data import BAND_EDGES, ExportData, export_data, figure_kind, format_value
from siteopt.outputs.gis import drive_time_bands, gis_layers
from siteopt.outputs.report import significant
from siteopt.outputs.write import FORMATS, parse_formats, write_outputs
from tests.conftest import INSTANCES, CliResult, without_solution

LAYERS = ("sites", "lsoa_results", "districts", "forces", "roads", "drive_time_bands")


@pytest.fixture(scope="module")
def default_outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every output of the default instance, written once by `siteopt solve --out`."""
    out = tmp_path_factory.mktemp("bch") / "out"
    code = main(["solve", str(INSTANCES / "bch-2015.toml"), "--out", str(out), "--json"])
    assert code == 0
    return out


# ---------------------------------------------------------------------------------------------
# Formats and input files


def test_parse_formats_defaults_to_every_format_and_keeps_the_canonical_order() -> None:
    """No --format (or 'all') is every format; a list is returned in the writing order."""
    assert parse_formats(None) == FORMATS
    assert parse_formats("all") == FORMATS
    assert parse_formats("xlsx, JSON,md") == ("json", "md", "xlsx")
    assert parse_formats(["xlsx", "json"]) == ("json", "xlsx")


def test_parse_formats_names_the_parameter_and_the_choices_on_a_bad_format() -> None:
    """An unknown format is one error naming ``formats`` and the formats it takes."""
    with pytest.raises(ArgumentError, match=r"^formats: expected a comma list of json, md"):
        parse_formats("json,docx")


# ---------------------------------------------------------------------------------------------
# What the outputs show


def test_lsoa_results_nearest_room_is_never_farther_than_the_assigned_room(
    toy_data: ExportData,
) -> None:
    """The nearest open room is at most as far as the room answering most of its calls."""
    lsoas = toy_data.lsoas
    assert len(lsoas) == 1558
    assert (lsoas["minutes_nearest"] <= lsoas["minutes_main_room"] + 1e-9).all()
    assert set(lsoas["main_room"]) <= set(toy_data.chosen_ids)


def test_lsoa_staff_living_adds_up_to_todays_staff(toy_data: ExportData) -> None:
    """The gravity-model homes place every one of today's staff in some LSOA."""
    assert toy_data.solution is not None
    impact = toy_data.solution.staff_impact
    assert toy_data.lsoas["staff_living"].sum() == pytest.approx(impact.staff_today_fte, abs=0.05)


def test_lsoa_calls_add_up_to_the_instance_volumes(toy_data: ExportData) -> None:
    """Calls per LSOA sum to the instance's annual volumes over every force and stream."""
    from siteopt.demand.volumes import annual_volumes

    total = sum(v.calls for v in annual_volumes(toy_data.instance))
    assert toy_data.lsoas["calls_per_year"].sum() == pytest.approx(total, rel=1e-4)


def test_staffing_table_matches_the_peak_agents_of_each_room(toy_data: ExportData) -> None:
    """The hour-of-week staffing is the optimiser's: its peak is each room's peak agents."""
    assert toy_data.solution is not None
    for site in toy_data.solution.sites:
        assert toy_data.staffing[site.id].tolist() == list(site.agents)
        assert int(toy_data.staffing[site.id].max()) == site.peak_agents
    assert len(toy_data.staffing) == 168


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(minutes=st.lists(st.floats(0, 150), min_size=40, max_size=40))
def test_drive_time_bands_partition_the_population(
    toy_data: ExportData, minutes: list[float]
) -> None:
    """Bands cover every LSOA once: their populations add up and each band is one row."""
    lsoa = gis_layers(toy_data)["lsoa_results"].iloc[:40].copy()
    lsoa["minutes_nearest"] = minutes
    bands = drive_time_bands(lsoa)
    assert int(bands["population"].sum()) == int(lsoa["population"].sum())
    expected = {int(i) for i in np.digitize(minutes, BAND_EDGES[1:-1])}
    assert len(bands) == len(expected)
    assert bands.geometry.area.sum() == pytest.approx(lsoa.geometry.area.sum(), rel=1e-6)


# ---------------------------------------------------------------------------------------------
# Writing


def test_write_outputs_leaves_nothing_behind_when_a_format_fails(
    toy_data: ExportData, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failing format leaves the destination as it was: no new file, no temporary folder."""
    import siteopt.outputs.write

    out = tmp_path / "out"
    out.mkdir()
    (out / "solution.json").write_text("older", encoding="utf-8")

    def broken(data: ExportData, path: Path) -> None:
        path.write_bytes(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(siteopt.outputs.write, "write_workbook", broken)
    with pytest.raises(ArgumentError, match=r"disk full\); nothing was written"):
        write_outputs(toy_data, out, formats=("json", "md", "xlsx"))
    assert sorted(p.name for p in out.iterdir()) == ["solution.json"]
    assert (out / "solution.json").read_text(encoding="utf-8") == "older"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_write_outputs_writes_only_the_chosen_formats(toy_data: ExportData, tmp_path: Path) -> None:
    """--format json,md writes solution.json and report.md and nothing else."""
    written = write_outputs(toy_data, tmp_path / "out", formats=("json", "md"))
    assert written == {
        "json": [tmp_path / "out" / "solution.json"],
        "md": [tmp_path / "out" / "report.md"],
    }
    assert json.loads((tmp_path / "out" / "solution.json").read_text())["status"] == "OPTIMAL"


def test_export_command_rebuilds_outputs_from_a_saved_solution(
    run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    """solve --out writes the JSON with its instance file; export reloads it from elsewhere."""
    first = run_cli("solve", str(INSTANCES / "toy.toml"), "--out", str(tmp_path / "a"),
                    "--format", "json")  # fmt: skip
    assert first.code == 0, first.err
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["solution.json"]
    again = run_cli("export", str(tmp_path / "a" / "solution.json"), "--out",
                    str(tmp_path / "b"), "--format", "md,xlsx")  # fmt: skip
    assert again.code == 0, again.err
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == ["report.md", "siteopt.xlsx"]


def test_export_command_bad_format_and_bad_file_exit_2_with_one_line(
    run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    """Bad input to export is one line on stderr and exit code 2, nothing written."""
    result = run_cli("export", str(tmp_path / "missing.json"), "--out", str(tmp_path / "o"))
    assert result.code == 2
    assert result.err.count("\n") == 1 and "missing.json" in result.err
    result = run_cli("solve", str(INSTANCES / "toy.toml"), "--out", str(tmp_path / "o"),
                     "--format", "docx")  # fmt: skip
    assert result.code == 2 and "--format" in result.err
    assert not (tmp_path / "o").exists()


# ---------------------------------------------------------------------------------------------
# End to end on the default instance: GIS layers and reconciliation


def test_default_instance_writes_every_output(default_outputs: Path) -> None:
    """solve --out on the default instance writes every format, and maps in three formats."""
    names = {p.name for p in default_outputs.iterdir()}
    assert names == {
        "solution.json", "report.md", "report.html", "report.pdf", "maps", "layers.gpkg",
        "geojson", "siteopt.xlsx", "map.html", "resilience.json",
    }  # fmt: skip
    maps = {p.name for p in (default_outputs / "maps").iterdir()}
    for key in ("overview", "commute", "today_vs_proposal"):
        assert {f"{key}.png", f"{key}.pdf", f"{key}.svg"} <= maps
    assert not [p for p in default_outputs.parent.iterdir() if p.name.startswith(".")]


def test_geopackage_and_geojson_layers_read_back_with_names_crs_and_rows(
    default_outputs: Path,
) -> None:
    """Each layer reads back from the GeoPackage (EPSG:27700) and its GeoJSON (EPSG:4326)."""
    import pyogrio

    listed = pyogrio.list_layers(default_outputs / "layers.gpkg")
    assert sorted(str(name) for name, _ in listed) == sorted(LAYERS)
    solution = json.loads((default_outputs / "solution.json").read_text(encoding="utf-8"))
    expected_rows = {"lsoa_results": 1558, "forces": 3, "districts": 19}
    for layer in LAYERS:
        packaged = pyogrio.read_dataframe(default_outputs / "layers.gpkg", layer=layer)
        assert packaged.crs.to_epsg() == 27700
        geojson = pyogrio.read_dataframe(default_outputs / "geojson" / f"{layer}.geojson")
        assert geojson.crs.to_epsg() == 4326
        assert len(geojson) == len(packaged) > 0
        if layer in expected_rows:
            assert len(packaged) == expected_rows[layer]
    sites = pyogrio.read_dataframe(default_outputs / "layers.gpkg", layer="sites")
    chosen = sites[sites["role"].str.contains("chosen")]
    assert sorted(chosen["id"]) == sorted(s["id"] for s in solution["sites"])
    lsoa = pyogrio.read_dataframe(default_outputs / "layers.gpkg", layer="lsoa_results")
    for column in (
        "minutes_main_room",
        "calls_per_year",
        "main_room",
        "answered_by",
        "commute_change_min",
    ):
        assert column in lsoa.columns
    bands = pyogrio.read_dataframe(default_outputs / "layers.gpkg", layer="drive_time_bands")
    assert int(bands["population"].sum()) == int(lsoa["population"].sum())


def _sheet(path: Path, name: str) -> list[tuple[Any, ...]]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True)
    rows = [tuple(r) for r in workbook[name].iter_rows(values_only=True)]
    workbook.close()
    return rows


def test_report_workbook_and_json_show_the_same_numbers(default_outputs: Path) -> None:
    """The headline figures, costs, options and constraints agree across JSON, xlsx and md."""
    solution = json.loads((default_outputs / "solution.json").read_text(encoding="utf-8"))
    workbook = default_outputs / "siteopt.xlsx"
    report = (default_outputs / "report.md").read_text(encoding="utf-8")
    html = (default_outputs / "report.html").read_text(encoding="utf-8")
    summary = dict(_sheet(workbook, "Summary")[1:])
    headline = {
        "annual cost of the proposal": ("objective_gbp", "gbp"),
        "annual cost today (same model)": ("baseline_gbp", "gbp"),
        "saving a year against today": ("saving_gbp", "gbp"),
        "one-off investment": ("one_off_gbp", "gbp"),
        "payback": ("payback_years", "years"),
    }
    for label, (key, kind) in headline.items():
        assert summary[label] == solution[key]
        assert format_value(solution[key], kind) in report
        assert format_value(solution[key], kind) in html
    options = _sheet(workbook, "Options")[1:]
    totals = [solution["objective_gbp"]] + [a["total_gbp"] for a in solution["alternatives"]]
    assert [row[3] for row in options] == totals
    for total in totals:
        assert format_value(total, "gbp") in report
    costs = {row[0]: row for row in _sheet(workbook, "Costs")[1:]}
    for key, value in solution["costs"].items():
        assert costs[key][2] == value and costs[key][3] == solution["baseline_costs"][key]
        assert format_value(value, "gbp") in report
    assert costs["total"][2:] == (
        solution["objective_gbp"],
        solution["baseline_gbp"],
        solution["saving_gbp"],
    )
    constraints = {row[0]: row for row in _sheet(workbook, "Constraints")[1:]}
    for c in solution["constraints"]:
        assert constraints[c["name"]][2] == c["value"]
        assert constraints[c["name"]][5] == c["holds"]
    sites = {row[0]: row for row in _sheet(workbook, "Sites")[1:]}
    for s in solution["sites"]:
        assert sites[s["id"]][6] == s["fte"]
        assert format_value(s["fte"], "fte") in report


def test_switching_values_and_robustness_agree_across_json_workbook_and_report(
    default_outputs: Path,
) -> None:
    """Each switching value and the robustness line: the same numbers in JSON, xlsx and md."""
    solution = json.loads((default_outputs / "solution.json").read_text(encoding="utf-8"))
    workbook = default_outputs / "siteopt.xlsx"
    report = (default_outputs / "report.md").read_text(encoding="utf-8")
    switching = solution["switching"]
    rows = {row[0]: row for row in _sheet(workbook, "Switching values")[1:]}
    assert [v["figure"] for v in switching["values"]] == list(rows)
    assert "## Switching values" in report
    for v in switching["values"]:
        row = rows[v["figure"]]
        assert row[1] == v["today"]
        kind = figure_kind(v["figure"])
        if v["switch"] is None:
            assert row[2] == "does not flip"
            continue
        assert row[2] == significant(v["switch"]) and row[3] == significant(v["change"])
        line = f"| {v['figure']} | {format_value(v['today'], kind)} | "
        line += f"{format_value(significant(v['switch']), kind)} | "
        line += f"{format_value(significant(v['change']), 'change')} |"
        assert line in report
    robust = solution["robustness"]
    assert robust["draws"] == 200 and robust["not_computed"] is None
    sheet = dict(_sheet(workbook, "Robustness")[1:])
    assert sheet["draws in which the recommendation holds"] == robust["held"]
    assert sheet["share of draws in which it holds"] == robust["share"]
    summary = report.split("## Scope and terms")[0]
    holds = f"holds in {format_value(robust['share'], 'share')} of {robust['draws']} draws"
    assert holds in summary


def test_an_infeasible_solution_still_exports_its_report_layers_and_workbook(
    toy_data: ExportData, tmp_path: Path
) -> None:
    """With no feasible option the outputs say so (and why) instead of failing."""
    result = without_solution(toy_data.result, ("staff_commute", "separation"))
    data = export_data(result)
    written = write_outputs(data, tmp_path / "out", formats=("md", "xlsx", "gpkg", "webmap"))
    assert sorted(p.name for paths in written.values() for p in paths) == [
        "layers.gpkg", "map.html", "report.md", "siteopt.xlsx",
    ]  # fmt: skip
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "No option meets every constraint" in report
    assert "staff_commute, separation" in report
    assert data.lsoas["main_room"].eq("").all()


def test_three_rooms_get_their_hour_by_hour_staffing_from_the_solution(tmp_path: Path) -> None:
    """Beyond two rooms the staffing comes from solution.json, not from re-pricing."""
    variant = tmp_path / "three.toml"
    toy = (INSTANCES / "toy.toml").as_posix()
    variant.write_text(f'extends = "{toy}"\n[solver]\nk_min = 3\nk_max = 3\n', encoding="utf-8")
    instance = load_instance(variant)
    solved = solve(instance, method="cp-sat")
    solution = solved.solution
    assert solution is not None and len(solution.sites) == 3
    data = export_data(
        Result.from_dict(json.loads(json.dumps(solved.to_dict())), instance=instance)
    )
    assert list(data.staffing.columns) == ["interval", *(s.id for s in solution.sites)]
    for site in solution.sites:
        assert data.staffing[site.id].tolist() == list(site.agents)
        assert max(site.agents) == site.peak_agents
    assert data.staffing["interval"].iloc[1] == "Mon 01:00"


def test_functions_sheet_and_section_reconcile_today_and_the_plan(default_outputs: Path) -> None:
    """The per-function table: today's total is `siteopt today`'s, the plan's posts the staff
    impact's, and its costs are the solution's staff + functions (to rounding)."""
    solution = json.loads((default_outputs / "solution.json").read_text(encoding="utf-8"))
    rows = {row[0]: row for row in _sheet(default_outputs / "siteopt.xlsx", "Functions")[1:]}
    total = rows["total"]
    impact = solution["staff_impact"]
    assert total[2] == pytest.approx(impact["staff_today_fte"], abs=0.05)
    assert total[3] == pytest.approx(impact["posts_fte"], abs=0.5)
    costs, today = solution["costs"], solution["baseline_costs"]
    assert total[4] == pytest.approx(today["staff"] + today["functions"], rel=1e-4)
    assert total[5] == pytest.approx(costs["staff"] + costs["functions"], rel=1e-4)
    assert {"call handling", "dispatch", "duty managers", "management"} <= set(rows)
    report = (default_outputs / "report.md").read_text(encoding="utf-8")
    assert "## Functions: today and proposed" in report


# ---------------------------------------------------------------------------------------------
# Faults: where --out cannot be written, Ctrl-C, killed runs (#16 items 6 and 9)


def _dangling(tmp: Path) -> Path:
    link = tmp / "out"
    link.symlink_to(tmp / "missing" / "target")
    return link


def _file_parent(tmp: Path) -> Path:
    (tmp / "afile").write_text("x", encoding="utf-8")
    return tmp / "afile" / "out"


@pytest.mark.parametrize(
    ("make", "phrase"),
    [
        (_dangling, "a symbolic link to a missing target"),
        (lambda tmp: Path("/proc/siteopt-out"), "cannot write into /proc"),
        (_file_parent, "is a file, not a folder"),
    ],
    ids=["dangling-symlink", "unwritable-place", "file-in-the-path"],
)
def test_an_unwritable_out_fails_before_the_solve_in_one_line(
    tmp_path: Path,
    run_cli: Callable[..., CliResult],
    monkeypatch: pytest.MonkeyPatch,
    make: Callable[[Path], Path],
    phrase: str,
) -> None:
    """A dangling link or a place nobody may write failed with a traceback after the solve."""
    import siteopt

    def no_solve(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the solve ran before --out was checked")

    monkeypatch.setattr(siteopt, "solve", no_solve)
    result = run_cli("solve", str(INSTANCES / "toy.toml"), "--out", str(make(tmp_path)))
    assert result.code == 2
    assert result.err.count("\n") == 1 and result.err.startswith("siteopt: error: --out: ")
    assert phrase in result.err


def test_a_full_disk_while_writing_is_one_line_and_leaves_nothing(
    tmp_path: Path, run_cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENOSPC in a writer: exit 2, one line naming --out, no staging folder, no partial out."""
    import errno

    from siteopt.outputs import write

    def full(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(write, "write_workbook", full)
    out = tmp_path / "out"
    result = run_cli(
        "solve", str(INSTANCES / "toy.toml"), "--out", str(out), "--format", "json,xlsx"
    )
    assert result.code == 2
    assert result.err.count("\n") == 1
    assert "No space left on device" in result.err and "nothing was written" in result.err
    assert list(tmp_path.iterdir()) == []


def test_stale_staging_folders_of_killed_runs_are_removed_on_the_next_run(
    tmp_path: Path, toy_data: ExportData
) -> None:
    """SIGKILL leaves a hidden staging folder; the next write removes it, not a live run's."""
    import os

    out = tmp_path / "out"
    dead = tmp_path / ".out-siteopt99999999-abcd"
    live = tmp_path / f".out-siteopt{os.getpid()}-efgh"
    for folder in (dead, live):
        folder.mkdir()
        (folder / "solution.json").write_text("{}", encoding="utf-8")
    write_outputs(toy_data, out, formats="json")
    assert not dead.exists()
    assert live.exists()


def test_ctrl_c_after_the_solver_exits_130_in_one_line_and_leaves_nothing(tmp_path: Path) -> None:
    """OR-Tools left SIGINT at the system default: rc -2, no message, a staging folder left."""
    import subprocess
    import sys

    out = tmp_path / "out"
    script = (
        "import os, signal, sys, time\n"
        "import siteopt.outputs.write as write\n"
        "from siteopt.cli import main\n"
        "def interrupted(*a, **k):\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    time.sleep(5)\n"
        "write.write_workbook = interrupted\n"
        f"sys.exit(main(['solve', {str(INSTANCES / 'toy.toml')!r}, '--method', 'cp-sat',"
        f" '--out', {str(out)!r}, '--format', 'json,xlsx']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 130, done.stderr
    assert done.stderr == "siteopt: error: interrupted; no output was left half-written\n"
    assert list(tmp_path.iterdir()) == []

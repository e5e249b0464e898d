"""One plan everywhere: the solve, solution.json, report, workbook, GeoPackage, web map,
simulation and rosters agree.

Over the default BCH instance (one pooled room) and a by-force variant (two rooms, each
answering its own forces): every room's calls, agents, FTE, seats and staff moves are the same
in every output, and every room's posts are filled by movers and recruits. The simulation
(resilience.json, ``siteopt simulate --solution``) and the rosters (``siteopt roster
--solution``) run exactly the plan's agents per room; in normal running the plan meets every
stream's target within the simulation's confidence interval, and each room fails in turn.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from siteopt.costs.prices import annuity_factor
from siteopt.instance.loading import load_instance
from siteopt.optimise.result import Result, read_result
from siteopt.optimise.solve import solve
from siteopt.outputs.data import format_value, room_answers
from siteopt.outputs.write import write_outputs
from tests.conftest import INSTANCES, CliResult

pyogrio = pytest.importorskip("pyogrio")
openpyxl = pytest.importorskip("openpyxl")


VARIANTS = {
    "default": "",
    "by_force": '[solver]\nk_min = 2\n[staffing]\nrouting = ["by_force"]\n',
}


@pytest.fixture(scope="module", params=list(VARIANTS))
def written(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A solved variant and the folder its outputs were written to."""
    folder = tmp_path_factory.mktemp(request.param)
    path = INSTANCES / "bch-2015.toml"
    if VARIANTS[request.param]:
        path = folder / "variant.toml"
        path.write_text(
            f'extends = "{(INSTANCES / "bch-2015.toml").as_posix()}"\n' + VARIANTS[request.param],
            encoding="utf-8",
        )
    result = solve(load_instance(path))
    assert result.solution is not None
    out = folder / "out"
    write_outputs(result, out, formats=("json", "md", "xlsx", "gpkg", "webmap", "resilience"))
    return request.param, result, out


def _rows(path: Path, sheet: str) -> list[tuple[Any, ...]]:
    workbook = openpyxl.load_workbook(path, read_only=True)
    return [tuple(row) for row in workbook[sheet].iter_rows(values_only=True)]


def test_the_variants_are_what_they_claim(written: Any) -> None:
    """Default: one room answering everything; by force: two rooms, each its own forces."""
    name, result, _ = written
    s = result.solution
    if name == "default":
        assert len(s.sites) == 1 and s.allocation.rooms[0].call_share == 1.0
    else:
        assert s.routing == "by_force" and len(s.sites) == 2
        served = [set(r.forces) for r in s.allocation.rooms]
        assert not served[0] & served[1]
        assert served[0] | served[1] == set(result.problem.force_ids)


def test_the_allocation_adds_up(written: Any) -> None:
    """Posts = movers + recruits per room; staff = movers + leavers + surplus per force."""
    _, result, _ = written
    s = result.solution
    for site, room in zip(s.sites, s.allocation.rooms, strict=True):
        assert room.site == site.id
        assert room.posts_fte == pytest.approx(site.fte + room.functions_fte, abs=0.015)
        assert room.posts_fte == pytest.approx(room.movers_fte + room.recruits_fte, abs=0.005)
        assert room.movers_fte == pytest.approx(sum(room.movers_by_force.values()), abs=0.02)
        assert room.calls_per_year == pytest.approx(sum(room.calls_by_force.values()), abs=0.5)
        assert len(room.interval_share) == len(site.agents)
    for moves in s.allocation.forces:
        accounted = sum(moves.movers_by_room.values()) + moves.leavers_fte + moves.surplus_fte
        assert accounted == pytest.approx(moves.staff_fte, abs=0.02)
    impact = s.staff_impact
    assert impact.posts_fte == pytest.approx(sum(r.posts_fte for r in s.allocation.rooms), abs=0.01)
    assert impact.recruits_fte == pytest.approx(
        sum(r.recruits_fte for r in s.allocation.rooms), abs=0.01
    )
    # every call of every force is answered by some room, once
    calls = result.problem.interval_calls.sum(axis=1) * 365.25 / 7
    for f, fid in enumerate(result.problem.force_ids):
        answered = sum(r.calls_by_force.get(fid, 0.0) for r in s.allocation.rooms)
        assert answered == pytest.approx(calls[f], rel=1e-6)


def test_one_room_transport_equals_the_priced_transition(written: Any) -> None:
    """With one room, the transport problem and the optimiser's term are the same figure.

    Equal up to the linear programme's tolerance (HiGHS, about £1 in £100,000 here).
    """
    name, result, _ = written
    impact = result.solution.staff_impact
    if name == "default":
        assert impact.transition_gbp == pytest.approx(impact.priced_transition_gbp, rel=1e-4)
    costs = result.instance.costs
    factor = annuity_factor(costs.discount_rate.value, costs.appraisal_years.value)
    assert impact.transition_gbp == pytest.approx(impact.transition_one_off_gbp / factor, abs=0.01)


def test_solution_json_holds_the_same_plan(written: Any) -> None:
    """solution.json reads back to the same solution, allocation included."""
    _, result, out = written
    document = json.loads((out / "solution.json").read_text(encoding="utf-8"))
    assert document["allocation"] == result.solution.to_dict()["allocation"]
    read: Result = read_result(out / "solution.json", instance=result.instance)
    assert read.solution == result.solution


def test_geopackage_holds_the_same_rooms_and_calls(written: Any) -> None:
    """The sites layer carries each room's allocation; LSOA calls add up to each room's calls."""
    _, result, out = written
    s = result.solution
    sites = pyogrio.read_dataframe(out / "layers.gpkg", layer="sites").set_index("id")
    lsoa = pyogrio.read_dataframe(out / "layers.gpkg", layer="lsoa_results")
    total_lsoa = float(lsoa["calls_per_year"].sum())
    total_rooms = sum(r.calls_per_year for r in s.allocation.rooms)
    assert total_lsoa == pytest.approx(total_rooms, rel=1e-3)
    for site, room in zip(s.sites, s.allocation.rooms, strict=True):
        row = sites.loc[site.id]
        assert row["answers"] == room_answers(s, site.id)
        assert row["calls_per_year"] == pytest.approx(room.calls_per_year)
        assert row["fte"] == pytest.approx(site.fte)
        assert row["seats"] == site.seats
        assert row["peak_agents"] == site.peak_agents
        assert row["movers_fte"] == pytest.approx(room.movers_fte)
        assert row["recruits_fte"] == pytest.approx(room.recruits_fte)
        at_room = float(lsoa[f"calls_at_{site.id}"].sum())
        assert at_room == pytest.approx(room.calls_per_year, rel=1e-3)
    for fid in result.problem.force_ids:
        rows = lsoa[lsoa["force"] == fid]
        assert set(rows["answered_by"]) == {s.allocation.answered_by(fid)}
        assert set(rows["main_room"]) == {s.allocation.main_room(fid)}


def test_workbook_holds_the_same_rooms_agents_and_staff(written: Any) -> None:
    """Sites, staffing by hour and staff by room sheets: the allocation's numbers."""
    _, result, out = written
    s = result.solution
    book = out / "siteopt.xlsx"
    header, *rows = _rows(book, "Sites")
    sites = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    hourly_header, *hourly = _rows(book, "Staffing by hour")
    staff_header, *staff_rows = _rows(book, "Staff by room")
    staff = {row[0]: dict(zip(staff_header, row, strict=True)) for row in staff_rows}
    for site, room in zip(s.sites, s.allocation.rooms, strict=True):
        row = sites[site.id]
        assert row["answers"] == room_answers(s, site.id)
        assert row["calls a year"] == pytest.approx(room.calls_per_year)
        assert row["share of calls"] == pytest.approx(room.call_share)
        assert (row["FTE"], row["seats"], row["peak agents"]) == (
            site.fte,
            site.seats,
            site.peak_agents,
        )
        column = hourly_header.index(site.id)
        assert [r[column] for r in hourly] == list(site.agents)
        posts = staff[site.id]
        assert posts["posts FTE"] == pytest.approx(room.posts_fte)
        assert posts["movers FTE"] == pytest.approx(room.movers_fte)
        assert posts["recruits FTE"] == pytest.approx(room.recruits_fte)
        assert posts["posts FTE"] == pytest.approx(
            posts["movers FTE"] + posts["recruits FTE"], abs=0.005
        )
        for fid, moved in room.movers_by_force.items():
            assert posts[f"from {fid} FTE"] == pytest.approx(moved)


def test_report_and_web_map_show_the_same_rooms(written: Any) -> None:
    """The report names each room's share, FTE and staff moves; the map's hover the same."""
    _, result, out = written
    s = result.solution
    report = (out / "report.md").read_text(encoding="utf-8")
    html = (out / "map.html").read_text(encoding="utf-8")
    for site, room in zip(s.sites, s.allocation.rooms, strict=True):
        assert room_answers(s, site.id) in report
        for value in (site.fte, room.movers_fte, room.recruits_fte):
            assert format_value(value, "fte") in report
        assert format_value(room.calls_per_year, "int") in report
        assert f"answers {room_answers(s, site.id)}: {room.calls_per_year:,.0f} calls" in html
    for moves in s.allocation.forces:
        assert format_value(moves.leavers_fte, "fte") in report
    assert np.isfinite(s.staff_impact.transition_gbp)
    assert format_value(s.staff_impact.priced_transition_gbp, "gbp") in report
    assert format_value(s.staff_impact.transition_gbp, "gbp") in report


def _resilience(out: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((out / "resilience.json").read_text(encoding="utf-8"))
    return document["resilience"]  # type: ignore[no-any-return]


def test_simulation_runs_exactly_the_plans_agents_and_calls(
    written: Any, run_cli: Callable[..., CliResult]
) -> None:
    """resilience.json and ``simulate --solution``: each room's agents are the solution's.

    The simulated calls answered at each room match the allocation's (Poisson noise of a
    10-replication mean is about 0.3 %).
    """
    _, result, out = written
    s = result.solution
    saved = _resilience(out)
    cli = run_cli("simulate", "--solution", str(out / "solution.json"), "--json",
                  "--replications", "3", "--fail-hours", "2")  # fmt: skip
    assert cli.code == 0, cli.err
    for document in (saved, json.loads(cli.out)):
        assert document["sites"] == list(s.site_ids)
        for site, room in zip(s.sites, s.allocation.rooms, strict=True):
            assert document["agents_by_site"][site.id] == list(site.agents)
            assert document["peak_agents_by_site"][site.id] == site.peak_agents
            calls = document["calls_per_year_by_site"][site.id]
            assert calls == pytest.approx(room.calls_per_year, rel=0.02)
    assert {f["hours"] for f in json.loads(cli.out)["failures"]} == {2.0}


def test_the_plan_meets_every_target_in_normal_running_and_each_room_fails(written: Any) -> None:
    """Normal running: every stream within the CI of its target; a failure row per room.

    The report and the workbook carry the same numbers as resilience.json.
    """
    _, result, out = written
    s = result.solution
    saved = _resilience(out)
    streams = [row["stream"] for row in saved["week"]]
    assert streams == list(result.instance.demand.streams)
    for row in saved["week"]:
        assert row["service_level"] + row["service_level_ci"] >= row["target"]["share"]
        assert row["meets_target"]
    assert [f["site"] for f in saved["failures"]] == list(s.site_ids)
    for failure in saved["failures"]:
        assert failure["hours"] == 4.0 and failure["answered_by"] and failure["decamp"]
        assert failure["agents_down"] < failure["agents_normal"]
        for key in ("during", "after", "during_without_failure"):
            assert [r["stream"] for r in failure[key]] == streams
            assert all(0.0 <= r["service_level"] <= 1.0 for r in failure[key])
        during = np.array([r["service_level"] for r in failure["during"]])
        base = np.array([r["service_level"] for r in failure["during_without_failure"]])
        assert during.sum() < base.sum()  # a room's loss hurts (not every stream need drop)
    header, *rows = _rows(out / "siteopt.xlsx", "Resilience")
    assert len(rows) == len(streams) * (1 + 2 * len(s.sites))
    level = header.index("service level")
    assert [r[level] for r in rows[: len(streams)]] == [r["service_level"] for r in saved["week"]]
    for k, failure in enumerate(saved["failures"]):
        block = rows[len(streams) * (1 + 2 * k) : len(streams) * (3 + 2 * k)]
        assert {r[0] for r in block} == {failure["site"]}
        expected = [r["service_level"] for r in (*failure["during"], *failure["after"])]
        assert [r[level] for r in block] == expected
    _, *cover = _rows(out / "siteopt.xlsx", "Failure cover")
    assert [r[0] for r in cover] == list(s.site_ids)
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "## Resilience" in report
    assert "In normal running every stream meets its target." in report
    for failure in saved["failures"]:
        assert failure["answered_by"] in report and failure["decamp"] in report
        assert format_value(failure["during"][0]["service_level"], "share") in report


def test_rosters_cover_exactly_the_plans_agents(
    written: Any, run_cli: Callable[..., CliResult]
) -> None:
    """``roster --solution``: each room's requirement is its agents, the roster covers it."""
    _, result, out = written
    s = result.solution
    cli = run_cli("roster", "--solution", str(out / "solution.json"), "--json",
                  "--time-limit", "5")  # fmt: skip
    assert cli.code == 0, cli.err
    rooms = json.loads(cli.out)["rooms"]
    assert [r["site"] for r in rooms] == list(s.site_ids)
    for site, room, roster in zip(s.sites, s.allocation.rooms, rooms, strict=True):
        assert tuple(roster["forces"]) == room.forces
        required = np.array(roster["coverage"]["required"])
        per_hour = required.size // len(site.agents)
        assert (
            required.reshape(len(site.agents), per_hour) == np.array(site.agents)[:, np.newaxis]
        ).all()
        on_phones = np.array(roster["coverage"]["on_duty"]) * (1 - roster["break_share"])
        assert (on_phones >= required - 1e-9).all()


def test_a_short_time_limit_on_bch_is_never_called_infeasible(
    run_cli: Callable[..., CliResult],
) -> None:
    """``solve instances/bch-2015.toml --time-limit 0.3`` does not exit 3 (proven infeasible)."""
    cli = run_cli("solve", str(INSTANCES / "bch-2015.toml"), "--time-limit", "0.3", "--json")
    status = json.loads(cli.out)["status"]
    assert cli.code != 3
    assert (cli.code, status) in {(0, "OPTIMAL"), (0, "FEASIBLE"), (4, "UNKNOWN")}

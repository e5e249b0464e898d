"""Shift rosters: coverage, optimality against brute force, rota lines, FTE, fte_method."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siteopt.errors import InstanceError, StaffingError
from siteopt.instance.loading import load_instance
from siteopt.instance.schema import Instance
from siteopt.queueing.fte import instance_shrinkage, room_fte, staffing_table
from siteopt.queueing.rota import rota_pattern
from siteopt.queueing.shifts import (
    MINUTES_PER_WEEK,
    Shift,
    ShiftMenu,
    cover_cyclic,
    coverage_matrix,
    on_duty_needed,
    roster_week,
    shift_menu,
)
from siteopt.queueing.site_roster import site_roster
from tests.conftest import INSTANCES, CliResult

HOURS = 'hours = {{ value = {}, assumption = "t" }}\n'
BREAK = 'break_minutes = {{ value = {}, assumption = "t" }}\n'
EVERY_HALF_HOUR = tuple(range(0, 1440, 30))
MENU = ShiftMenu(
    shifts=(
        Shift("h8", 480, 30, EVERY_HALF_HOUR),
        Shift("h12", 720, 60, EVERY_HALF_HOUR),
    ),
    interval_minutes=30,
    min_rest_minutes=11 * 60,
    max_line_minutes=48 * 60,
)


def weekly_curve(low: int, high: int) -> np.ndarray:
    """A daily-shaped requirement over a week of 30-minute intervals (trough at 04:00)."""
    t = np.arange(336)
    shape = 0.5 - 0.5 * np.cos(2 * np.pi * ((t % 48) - 8) / 48)
    return np.rint(low + (high - low) * shape).astype(np.int64)


def variant(tmp_path: Path, body: str, name: str = "variant.toml") -> Path:
    """Write an instance file extending the toy instance."""
    file = tmp_path / name
    file.write_text(f'extends = "{INSTANCES / "toy.toml"}"\n{body}', encoding="utf-8")
    return file


@pytest.fixture(scope="module")
def toy() -> Instance:
    """The toy instance (shrinkage method)."""
    return load_instance(INSTANCES / "toy.toml")


# --------------------------------------------------------------------------------------------
# Covering


def test_roster_covers_the_requirement_in_every_interval() -> None:
    """Rostered staff on duty, and on the phones after breaks, meet every interval's need."""
    need = weekly_curve(3, 14)
    roster = roster_week(need, MENU)
    assert roster.solution.status == "optimal"
    assert (roster.on_duty >= roster.on_duty_needed).all()
    assert (roster.on_phones >= need - 1e-9).all()
    matrix = coverage_matrix(
        roster.option_start // 30,
        np.asarray([MENU.shifts[k].minutes // 30 for k in roster.option_shift]),
        336,
    )
    assert np.array_equal(matrix @ roster.counts, roster.on_duty)
    assert roster.paid_hours == pytest.approx(
        sum(MENU.shifts[k].minutes / 60 for _, k in roster.worked_shifts())
    )


def test_week_wraps_so_a_sunday_night_shift_covers_monday_morning() -> None:
    """With only 22:00 starts of 12-hour shifts, Monday 00:00-10:00 is covered from Sunday."""
    menu = ShiftMenu(
        shifts=(Shift("night", 720, 0, (22 * 60,)), Shift("day", 720, 0, (10 * 60,))),
        interval_minutes=60,
        min_rest_minutes=0,
        max_line_minutes=48 * 60,
    )
    roster = roster_week(np.full(168, 2), menu)
    sunday_night = (roster.option_start == 6 * 1440 + 22 * 60) & (roster.option_shift == 0)
    assert roster.counts[sunday_night].sum() == 2
    assert (roster.on_duty == 2).all()
    assert roster.paid_hours == 2 * 168


def test_on_duty_needed_relieves_breaks() -> None:
    """ceil(required / (1 - break share)); no break share leaves the requirement unchanged."""
    assert on_duty_needed([6, 10, 0], 1 / 12).tolist() == [7, 11, 0]
    assert on_duty_needed([6, 10, 0], 0.0).tolist() == [6, 10, 0]


def test_uncoverable_interval_is_a_clear_error() -> None:
    """A menu leaving part of the day without any shift cannot meet a 24/7 requirement."""
    menu = ShiftMenu(
        shifts=(Shift("day", 480, 30, (7 * 60,)),),
        interval_minutes=30,
        min_rest_minutes=0,
        max_line_minutes=48 * 60,
    )
    with pytest.raises(StaffingError, match="no shift of the menu covers interval"):
        roster_week(np.full(336, 1), menu)


def test_requirement_of_the_wrong_length_is_refused() -> None:
    """A requirement must cover exactly one week at the roster interval."""
    with pytest.raises(StaffingError, match="expected 336 intervals"):
        roster_week(np.ones(168, dtype=np.int64), MENU)


def brute_force_cover(
    need: list[int], starts: list[int], lengths: list[int], weights: list[int]
) -> int:
    """Cheapest covering by trying every vector of counts up to max(need)."""
    matrix = coverage_matrix(np.asarray(starts), np.asarray(lengths), len(need))
    top = max(need)
    best = None
    for counts in itertools.product(range(top + 1), repeat=len(starts)):
        if (matrix @ np.asarray(counts) >= np.asarray(need)).all():
            cost = sum(w * c for w, c in zip(weights, counts, strict=True))
            best = cost if best is None else min(best, cost)
    assert best is not None
    return best


@settings(max_examples=40, deadline=None)
@given(
    need=st.lists(st.integers(0, 2), min_size=4, max_size=6),
    options=st.lists(st.tuples(st.integers(0, 5), st.integers(1, 3)), min_size=1, max_size=4),
)
def test_cover_is_optimal_against_brute_force(
    need: list[int], options: list[tuple[int, int]]
) -> None:
    """CP-SAT's covering costs exactly what exhaustive search finds on tiny cyclic instances."""
    n = len(need)
    starts = [s % n for s, _ in options]
    lengths = [length for _, length in options]
    weights = lengths
    matrix = coverage_matrix(np.asarray(starts), np.asarray(lengths), n)
    if ((np.asarray(need) > 0) & (matrix.sum(axis=1) == 0)).any():
        with pytest.raises(StaffingError):
            cover_cyclic(need, starts=starts, lengths=lengths, weights=weights)
        return
    found = cover_cyclic(need, starts=starts, lengths=lengths, weights=weights)
    assert found.status == "optimal"
    assert (found.cover >= np.asarray(need)).all()
    assert found.objective == brute_force_cover(need, starts, lengths, weights)


# --------------------------------------------------------------------------------------------
# Rota lines and FTE


@settings(max_examples=8, deadline=None)
@given(low=st.integers(1, 4), extra=st.integers(0, 8), contract=st.sampled_from([35.0, 37.0, 40.0]))
def test_rota_lines_work_every_shift_within_the_rules(
    low: int, extra: int, contract: float
) -> None:
    """Every rostered shift is in exactly one line; rest, weekly cap and contract hold."""
    roster = roster_week(weekly_curve(low, low + extra), MENU)
    pattern = rota_pattern(roster, contract_hours_per_week=contract)
    placed = sorted(shift for line in pattern.lines for shift in line.shifts)
    assert placed == roster.worked_shifts()
    assert pattern.min_rest_hours() >= MENU.min_rest_minutes / 60
    assert all(line.minutes <= MENU.max_line_minutes for line in pattern.lines)
    assert pattern.mean_line_hours <= contract + 1e-9
    assert pattern.headcount >= roster.paid_hours / contract - 1e-9
    assert all(
        start < MINUTES_PER_WEEK
        and line.minutes == sum(MENU.shifts[k].minutes for _, k in line.shifts)
        for line in pattern.lines
        for start, _ in line.shifts
    )


def test_site_roster_fte_is_at_least_the_lower_bound(toy: Instance) -> None:
    """Headcount >= paid hours / contract >= required hours / contract; shrinkage on top."""
    result = site_roster(toy, "kempston")
    fte = result.fte
    assert result.forces == ("bedfordshire",)
    assert fte.headcount >= fte.floor_fte - 1e-9 >= fte.lower_bound_fte - 1e-9
    assert fte.lower_bound_fte == pytest.approx(
        result.roster.requirement.sum() * 0.5 / toy.staffing.contract_hours_per_week.value
    )
    assert fte.agent_fte >= fte.lower_bound_fte / (1 - fte.off_shift_shrinkage) - 1e-9
    shrinkage = toy.staffing.shrinkage
    assert fte.off_shift_shrinkage == pytest.approx(
        instance_shrinkage(toy).total - shrinkage.breaks.value
    )
    # The shrinkage method on the same hours, for comparison.
    expected = room_fte(toy, result.roster.requirement.reshape(-1, 2).max(axis=1))
    assert fte.shrinkage_method_fte == pytest.approx(float(expected.total_fte))


def test_hourly_profile_gives_both_half_hours_the_hours_requirement(toy: Instance) -> None:
    """At 30-min roster resolution an hourly profile repeats each hour's agents."""
    result = site_roster(toy, "welwyn")
    need = result.roster.requirement
    assert np.array_equal(need[0::2], need[1::2])
    assert "hourly demand profile" in result.requirement_note
    hourly = np.maximum(
        staffing_table(toy).agents_for(["hertfordshire"]),
        toy.staffing.min_positions_per_site.value,
    )
    assert np.array_equal(need[0::2], hourly)


# --------------------------------------------------------------------------------------------
# fte_method = "roster" feeds the optimiser through the staffing table


def test_roster_method_table_gives_rostered_staff_on_duty(tmp_path: Path, toy: Instance) -> None:
    """agents_for = rostered staff on duty; room FTE = paid hours / (1 - off-shift) / contract."""
    rostered = load_instance(variant(tmp_path, '[staffing]\nfte_method = "roster"\n'))
    table = staffing_table(rostered)
    assert table.interval_hours == 0.5
    on_duty = table.agents_for(["bedfordshire"])
    result = site_roster(rostered, "kempston")
    assert np.array_equal(on_duty, result.roster.on_duty)
    assert instance_shrinkage(rostered).breaks == 0.0
    fte = room_fte(rostered, on_duty)
    contract = toy.staffing.contract_hours_per_week.value
    assert float(fte.weekly_agent_hours) == pytest.approx(result.roster.paid_hours)
    assert float(fte.agent_fte) == pytest.approx(
        result.fte.floor_fte / (1 - result.fte.off_shift_shrinkage)
    )
    assert result.fte.floor_fte == pytest.approx(result.roster.paid_hours / contract)
    # The default stays the shrinkage method, at the staffing interval, with breaks shrinkage.
    assert toy.staffing.fte_method == "shrinkage"
    assert staffing_table(toy).interval_hours == 1.0
    assert instance_shrinkage(toy).breaks == toy.staffing.shrinkage.breaks.value


# --------------------------------------------------------------------------------------------
# Instance fields


def test_default_menu_is_labelled_assumptions(toy: Instance) -> None:
    """Without [staffing.roster]: 8/9/10/12-hour shifts every 30 min, labelled; WTR rules."""
    menu = shift_menu(toy)
    assert [s.minutes for s in menu.shifts] == [480, 540, 600, 720]
    assert all(len(s.starts) == 48 for s in menu.shifts)
    roster = toy.staffing.roster
    assert all(s.hours.assumption and s.break_minutes.assumption for s in roster.shifts.values())
    assert (
        roster.min_rest_hours.source and "Working Time Regulations" in roster.min_rest_hours.source
    )


def test_custom_menu_is_read(tmp_path: Path) -> None:
    """A [staffing.roster] table sets shifts, starts and rules."""
    body = (
        "[staffing.roster]\ninterval_minutes = 60\n"
        'min_rest_hours = { value = 12, assumption = "test" }\n'
        "[staffing.roster.shifts.long]\n"
        'hours = { value = 12, assumption = "test" }\n'
        'break_minutes = { value = 60, assumption = "test" }\n'
        'starts = ["07:00", "19:00"]\n'
    )
    menu = shift_menu(load_instance(variant(tmp_path, body)))
    assert menu.interval_minutes == 60
    assert menu.min_rest_minutes == 720
    assert [(s.name, s.minutes, s.starts) for s in menu.shifts] == [("long", 720, (420, 1140))]


@pytest.mark.parametrize(
    ("body", "path", "expected"),
    [
        (
            f"{HOURS.format(8.25)}{BREAK.format(30)}",
            "staffing.roster.shifts.odd.hours.value",
            "whole number of 30-minute intervals",
        ),
        (
            f"{HOURS.format(8)}{BREAK.format(480)}",
            "staffing.roster.shifts.odd.break_minutes.value",
            "break shorter than the shift",
        ),
        (
            f'{HOURS.format(8)}{BREAK.format(30)}starts = ["07:15"]\n',
            "staffing.roster.shifts.odd.starts.0",
            "on the 30-minute grid",
        ),
        (
            f'{HOURS.format(8)}{BREAK.format(30)}starts = ["25:00"]\n',
            "staffing.roster.shifts.odd.starts.0",
            "should match pattern",
        ),
    ],
)
def test_bad_roster_shift_names_file_and_field(
    tmp_path: Path, body: str, path: str, expected: str
) -> None:
    """A bad shift gives one InstanceError naming the file and the dotted field."""
    file = variant(tmp_path, f"[staffing.roster.shifts.odd]\n{body}")
    with pytest.raises(InstanceError, match=expected) as info:
        load_instance(file)
    assert info.value.path == path
    assert info.value.file == str(file)


# --------------------------------------------------------------------------------------------
# CLI


def test_cli_roster_json_and_png(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    """`siteopt roster --json --out` prints coverage and FTE and writes the PNG atomically."""
    result = run_cli(
        "roster", str(INSTANCES / "toy.toml"), "--site", "welwyn", "--json", "--out", str(tmp_path)
    )
    assert result.code == 0, result.err
    summary = json.loads(result.out)
    assert summary["forces"] == ["hertfordshire"]
    assert summary["solver"]["status"] == "optimal"
    assert len(summary["coverage"]["required_per_hour"]) == 168
    assert all(
        d >= r
        for d, r in zip(
            summary["coverage"]["on_duty"], summary["coverage"]["required"], strict=True
        )
    )
    png = tmp_path / "roster-welwyn.png"
    assert summary["png"] == str(png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["roster-welwyn.png"]


def test_cli_roster_prints_chart_and_fte(run_cli: Callable[..., CliResult]) -> None:
    """The terminal report has the hourly chart, the solver status and the FTE line."""
    result = run_cli(
        "roster", str(INSTANCES / "toy.toml"), "--site", "kempston", "--forces", "bedfordshire"
    )
    assert result.code == 0, result.err
    assert "Sun 23:00" in result.out
    assert "█" in result.out
    assert "CP-SAT: optimal" in result.out
    assert "FTE (shrinkage method:" in result.out


def test_cli_roster_unknown_site_exits_2(run_cli: Callable[..., CliResult]) -> None:
    """An unknown site is one line on stderr and exit code 2."""
    result = run_cli("roster", str(INSTANCES / "toy.toml"), "--site", "nowhere")
    assert result.code == 2
    assert "--site: 'nowhere' is not a candidate site" in result.err

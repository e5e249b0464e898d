"""The on-disk staffing cache: same answers as computing, keyed on every figure, never stale."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from collections.abc import Callable
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siteopt.errors import CacheWarning
from siteopt.instance.loading import load_instance
from siteopt.queueing import fte
from siteopt.queueing.agents import ServiceTarget
from siteopt.queueing.fte import StaffingTable, staffing_table
from siteopt.queueing.shifts import Shift, ShiftMenu
from siteopt.queueing.store import persisted_requirements, requirements_path, table_fingerprint
from tests.conftest import INSTANCES, REPO

TOY = load_instance(INSTANCES / "toy.toml")


def every_group(table: StaffingTable) -> list[tuple[str, ...]]:
    """Every non-empty group of the table's forces."""
    forces = table.forces
    return [g for k in range(1, len(forces) + 1) for g in combinations(forces, k)]


def computed(table: StaffingTable) -> dict[frozenset[str], list[int]]:
    """The requirement of every group, computed by a fresh table (no cache)."""
    fresh = dataclasses.replace(table, _memo={})
    return {frozenset(g): fresh.agents_for(g).tolist() for g in every_group(table)}


def test_a_warm_cache_gives_what_computing_gives_without_any_erlang(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = staffing_table(TOY)
    with persisted_requirements(table, directory=tmp_path):
        for group in every_group(table):
            table.agents_for(group)
    path = requirements_path(table, tmp_path)
    assert path is not None and path.exists()
    expected = computed(table)

    def no_erlang(*args: object, **kwargs: object) -> None:
        raise AssertionError("the warm cache should answer every group")

    monkeypatch.setattr(fte, "required_agents", no_erlang)
    warm = staffing_table(TOY)
    with persisted_requirements(warm, directory=tmp_path):
        got = {frozenset(g): warm.agents_for(g).tolist() for g in every_group(warm)}
    assert got == expected


def test_a_group_first_asked_later_is_added_to_the_file(tmp_path: Path) -> None:
    table = staffing_table(TOY)
    first, *rest = every_group(table)
    with persisted_requirements(table, directory=tmp_path):
        table.agents_for(first)
    later = staffing_table(TOY)
    with persisted_requirements(later, directory=tmp_path):
        for group in rest:
            later.agents_for(group)
    warm = staffing_table(TOY)
    with persisted_requirements(warm, directory=tmp_path):
        assert set(warm.known_requirements()) == {frozenset(g) for g in every_group(table)}


_CHANGES: dict[str, Callable[[StaffingTable], dict[str, Any]]] = {
    "rates": lambda t: {"rates_per_hour": np.nextafter(t.rates_per_hour, np.inf)},
    "aht": lambda t: {"aht_s": (t.aht_s[0] + 1.0, *t.aht_s[1:])},
    "target": lambda t: {"targets": (dataclasses.replace(t.targets[0], share=0.5), *t.targets[1:])},
    "max occupancy": lambda t: {
        "targets": (dataclasses.replace(t.targets[0], max_occupancy=0.5), *t.targets[1:])
    },
    "patience": lambda t: {"patience_s": (123.0, *t.patience_s[1:])},
    "teams": lambda t: {"stream_teams": "blended" if t.stream_teams != "blended" else "separate"},
    "interval": lambda t: {"interval_hours": t.interval_hours / 2},
    "minimum crew": lambda t: {"min_crew": t.min_crew + 1},
    "redials": lambda t: {"redials": ((0.3, 60.0), *((None,) * (len(t.streams) - 1)))},
    "forces": lambda t: {"forces": tuple(reversed(t.forces))},
}


@settings(max_examples=30, deadline=None)
@given(changed=st.sets(st.sampled_from(sorted(_CHANGES)), min_size=1))
def test_any_changed_figure_changes_the_key(changed: set[str]) -> None:
    table = staffing_table(TOY)
    other = table
    for name in sorted(changed):
        other = dataclasses.replace(other, **_CHANGES[name](other), _memo={})
    assert table_fingerprint(other) != table_fingerprint(table)
    assert table_fingerprint(dataclasses.replace(table, _memo={})) == table_fingerprint(table)


def test_a_rostered_table_is_never_cached(tmp_path: Path) -> None:
    menu = ShiftMenu(
        shifts=(Shift("h8", 480, 30, tuple(range(0, 1440, 60))),),
        interval_minutes=60,
        min_rest_minutes=11 * 60,
        max_line_minutes=48 * 60,
    )
    table = dataclasses.replace(staffing_table(TOY), roster_menu=menu)
    assert table_fingerprint(table) is None
    with persisted_requirements(table, directory=tmp_path) as same:
        assert same is table
    assert list(tmp_path.iterdir()) == []


def test_disabled_neither_reads_nor_writes(tmp_path: Path) -> None:
    table = staffing_table(TOY)
    with persisted_requirements(table, directory=tmp_path, enabled=False):
        table.agents_for(table.forces)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("damage", ["truncated", "wrong shape", "not a zip"])
def test_a_damaged_file_is_recomputed_and_rewritten(tmp_path: Path, damage: str) -> None:
    table = staffing_table(TOY)
    path = requirements_path(table, tmp_path)
    assert path is not None
    with persisted_requirements(table, directory=tmp_path):
        table.agents_for(table.forces)
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:50])
    elif damage == "wrong shape":
        with path.open("wb") as handle:
            np.savez(handle, groups=np.array(['["x"]']), agents=np.zeros((1, 3)))
    else:
        path.write_text("nothing", encoding="utf-8")
    again = staffing_table(TOY)
    with persisted_requirements(again, directory=tmp_path):
        got = again.agents_for(again.forces).tolist()
    assert got == computed(table)[frozenset(table.forces)]
    warm = staffing_table(TOY)
    with persisted_requirements(warm, directory=tmp_path):
        assert frozenset(table.forces) in warm.known_requirements()


def test_an_unwritable_folder_is_a_warning_not_an_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    table = staffing_table(TOY)
    with (
        pytest.warns(CacheWarning, match="staffing cache not written"),
        persisted_requirements(table, directory=blocker / "cache"),
    ):
        got = table.agents_for(table.forces).tolist()
    assert got == computed(table)[frozenset(table.forces)]


def test_targets_are_plain_figures() -> None:
    """The key serialises targets field by field: a new field must be a JSON value too."""
    assert all(
        isinstance(v, (int, float, type(None))) for v in dataclasses.astuple(ServiceTarget())
    )


def test_a_warm_solve_needs_no_scipy(tmp_path: Path) -> None:
    """From a warm cache `siteopt solve` evaluates no Erlang formula (scipy.special: 0.14 s)."""
    code = (
        "import contextlib, io, sys\n"
        "from siteopt.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['solve', 'instances/bch-2015.toml', '--json'])\n"
        "print(sorted(m for m in ('scipy', 'pandas') if m in sys.modules))\n"
    )
    env = {"SITEOPT_CACHE": str(tmp_path), "PATH": "/usr/bin:/bin"}
    runs = [
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO,
            env={**env, "PYTHONPATH": str(REPO)},
        ).stdout.strip()
        for _ in range(2)
    ]
    assert runs[0].splitlines()[-1] == "['scipy']"  # cold: the Erlang formulas ran
    assert runs[1].splitlines()[-1] == "[]"
    assert any(p.name.startswith("staffing-") for p in tmp_path.iterdir())

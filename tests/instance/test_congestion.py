"""Tests for siteopt/instance/congestion.py and ``[network.congestion]`` (commutes at peak)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import siteopt
from siteopt.errors import InstanceError
from siteopt.instance.congestion import load_congestion_csv
from siteopt.network.sources import commute_network, load_network
from siteopt.optimise.build import travel_inputs
from siteopt.roadclasses import ROAD_CLASSES
from tests.conftest import INSTANCES, CliResult

HOURS = 'hours = { value = [7, 19], assumption = "12-hour shifts changing at 07:00 and 19:00" }\n'


def variant(folder: Path, body: str, name: str = "peak.toml") -> Path:
    """An instance extending the BCH default with ``body`` appended."""
    file = folder / name
    file.write_text(f'extends = "{INSTANCES / "bch-2015.toml"}"\n{body}', encoding="utf-8")
    return file


def congestion_table(factor: float) -> str:
    """A [network.congestion] table slowing every road class by ``factor``."""
    lines = [f'factors.{c} = {{ value = {factor}, assumption = "test" }}\n' for c in ROAD_CLASSES]
    return "[network.congestion]\n" + HOURS + "".join(lines)


def test_measured_factors_are_averaged_over_the_commute_hours(tmp_path: Path) -> None:
    """A class's factor is the mean of its file factors at the listed hours; figures for others."""
    csv = tmp_path / "peak.csv"
    csv.write_text(
        "\ufeffroad_class,hour,factor\nmotorway,7,1.4\nmotorway,19,1.2\nmotorway,12,3.0\n",
        encoding="utf-8",
    )  # a byte-order mark, as spreadsheets write it
    body = (
        "[network.congestion]\n" + HOURS + 'file = "peak.csv"\n'
        'file_source = "a test file"\n'
        'factors.trunk = { value = 1.1, assumption = "test" }\n'
    )
    instance = siteopt.load_instance(variant(tmp_path, body))
    congestion = instance.network.congestion
    assert congestion is not None
    assert congestion.commute_factors() == pytest.approx({"motorway": 1.3, "trunk": 1.1})
    assert "07:00, 19:00" in congestion.note() and "peak.csv" in congestion.note()


@pytest.mark.parametrize(
    ("text", "where", "expected"),
    [
        ("road_class,hour\nmotorway,7\n", "", "expected columns road_class, hour, factor"),
        ("road_class,hour,factor\nmotorways,7,1.2\n", "line 2, road_class", "expected one of"),
        ("road_class,hour,factor\nmotorway,24,1.2\n", "line 2, hour", "expected 0 to 23"),
        ("road_class,hour,factor\nmotorway,7,0.8\n", "line 2, factor", "from 1 to 5"),
        ("road_class,hour,factor\nmotorway,7,x\n", "line 2, factor", "got 'x'"),
        ("road_class,hour,factor\ntrunk,7,1.2\ntrunk,7,1.3\n", "line 3", "given twice"),
    ],
)
def test_a_bad_congestion_file_is_one_error_naming_the_line(
    tmp_path: Path, text: str, where: str, expected: str
) -> None:
    """Each defect of the CSV names the file, the line and the column."""
    path = tmp_path / "c.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InstanceError) as caught:
        load_congestion_csv(path)
    assert caught.value.path == where
    assert expected in caught.value.message


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "[network.congestion]\n"
            + HOURS
            + 'factors.motorway = { value = 0.8, assumption = "t" }\n',
            "network.congestion.factors.motorway.value",
        ),
        (
            "[network.congestion]\n"
            + HOURS
            + 'factors.lanes = { value = 1.2, assumption = "t" }\n',
            "unknown road class 'lanes'",
        ),
        ("[network.congestion]\n" + HOURS, "expected 'factors' per road class"),
        (
            "[network.congestion]\n" + HOURS + 'file = "missing.csv"\nfile_source = "x"\n',
            "congestion file",
        ),
        (
            '[network.congestion]\nhours = { value = [7, 25], assumption = "t" }\n'
            'factors.motorway = { value = 1.2, assumption = "t" }\n',
            "network.congestion.hours.value.1",
        ),
    ],
)
def test_a_bad_congestion_table_is_one_line_exit_2(
    tmp_path: Path, run_cli: Callable[..., CliResult], body: str, expected: str
) -> None:
    """``siteopt validate`` names the file and field; nothing else is printed."""
    result = run_cli("validate", str(variant(tmp_path, body)))
    assert result.code == 2, result.err
    assert result.err.count("\n") == 1 and "peak.toml" in result.err
    assert expected in result.err


def test_factors_of_one_change_nothing_and_slower_roads_slow_only_staff_commutes(
    tmp_path: Path,
) -> None:
    """Congestion reaches the staff commute and transition, not population cover or centres."""
    free = siteopt.load_instance(INSTANCES / "bch-2015.toml")
    same = siteopt.load_instance(variant(tmp_path, congestion_table(1.0), "same.toml"))
    slow = siteopt.load_instance(variant(tmp_path, congestion_table(1.5), "slow.toml"))
    network = load_network(free)
    np.testing.assert_array_equal(commute_network(same, network).seconds, network.seconds)
    np.testing.assert_allclose(commute_network(slow, network).seconds, network.seconds * 1.5)

    def constraint_values(result: siteopt.Result) -> dict[str, float | None]:
        assert result.solution is not None
        return {c.name: c.value for c in result.solution.constraints}

    base, equal, slower = (siteopt.solve(i, explain=False) for i in (free, same, slow))
    assert constraint_values(equal) == constraint_values(base)
    assert equal.solution is not None and base.solution is not None
    assert equal.solution.objective_gbp == base.solution.objective_gbp
    values, before = constraint_values(slower), constraint_values(base)
    assert (values["staff_commute"] or 0) < (before["staff_commute"] or 0)
    assert slower.solution is not None
    assert slower.solution.costs["transition"] > base.solution.costs["transition"]
    free_travel, slow_travel = travel_inputs(free), travel_inputs(slow)
    # population cover, force centres and separation keep free-flow times
    np.testing.assert_array_equal(slow_travel.home_minutes, free_travel.home_minutes)
    np.testing.assert_array_equal(slow_travel.site_minutes, free_travel.site_minutes)
    assert free_travel.commute_minutes is None and slow_travel.commute_minutes is not None
    assert (slow_travel.commute_minutes >= free_travel.home_minutes).all()
    assert "Staff commutes at shift change (07:00, 19:00)" in slow_travel.note

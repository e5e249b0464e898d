"""Tests for siteopt/__init__.py: the public Python API a notebook uses."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import siteopt
from siteopt.errors import ArgumentError
from tests.conftest import INSTANCES, REPO

HEAVY = (
    "pandas", "geopandas", "matplotlib", "scipy", "ortools", "shapely", "pyproj", "pyarrow",
    "plotly", "reportlab", "openpyxl", "dask", "networkx", "rich",
)  # fmt: skip


def test_every_public_name_exists_and_has_a_docstring() -> None:
    """``__all__`` is explicit; each name is there, each function documents its parameters."""
    assert sorted(siteopt.__all__) == siteopt.__all__
    for name in siteopt.__all__:
        obj = getattr(siteopt, name)
        assert inspect.getdoc(obj), name
        if inspect.isfunction(obj):
            assert "Parameters\n----------" in inspect.getdoc(obj), name  # type: ignore[operator]


def test_locate_is_the_function_even_after_importing_the_location_package() -> None:
    """The subpackage is ``siteopt.location``, so importing it cannot rebind ``siteopt.locate``."""
    import siteopt.location.solve

    assert inspect.isfunction(siteopt.locate)


def test_import_siteopt_loads_no_heavy_library() -> None:
    """``import siteopt`` stays fast: pandas, scipy, OR-Tools, geopandas, … load on first use."""
    code = f"import sys, siteopt; print([m for m in {HEAVY!r} if m in sys.modules])"
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env={"PYTHONPATH": str(REPO), "PATH": ""},
    )
    assert proc.stdout.strip() == "[]"


@pytest.fixture(scope="module")
def toy() -> siteopt.Instance:
    """The tiny synthetic instance."""
    return siteopt.load_instance(INSTANCES / "toy.toml")


def test_solve_returns_a_typed_result(toy: siteopt.Instance) -> None:
    """A Result with a status, a plan in pounds and the statistics of the method asked for."""
    result = siteopt.solve(toy, method="enumerate")
    assert isinstance(result, siteopt.Result)
    assert result.status is siteopt.Status.OPTIMAL
    assert isinstance(result.solution, siteopt.Solution)
    assert result.solution.objective_gbp == pytest.approx(sum(result.solution.costs.values()))
    assert result.statistics.name == "enumeration"
    assert result.instance is toy and result.problem is not None


def test_one_or_two_sites_are_proven_by_the_enumeration_and_cp_sat_cross_checks(
    toy: siteopt.Instance,
) -> None:
    """``auto`` proves k ≤ 2 by pricing every option; ``cp-sat`` finds the same plan, agreeing."""
    auto = siteopt.solve(toy, method="auto")
    checked = siteopt.solve(toy, method="cp-sat")
    assert auto.status is checked.status is siteopt.Status.OPTIMAL
    assert auto.statistics.name == "enumeration" and auto.statistics.site_sets_priced
    assert checked.statistics.name == "cp-sat" and checked.statistics.enumeration_agrees
    assert auto.solution is not None and checked.solution is not None
    assert auto.solution.objective_gbp == checked.solution.objective_gbp
    assert [s.id for s in auto.solution.sites] == [s.id for s in checked.solution.sites]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "guess"}, "method: expected auto, cp-sat or enumerate, got 'guess'"),
        ({"time_limit": 0.0}, "time_limit: expected seconds > 0, got 0.0"),
        ({"time_limit": float("nan")}, "time_limit: expected seconds > 0, got nan"),
    ],
)
def test_solve_names_the_parameter_of_a_bad_argument(
    toy: siteopt.Instance, kwargs: dict[str, object], message: str
) -> None:
    """Library errors speak of parameters (the CLI turns them into flags)."""
    with pytest.raises(ArgumentError) as info:
        siteopt.solve(toy, **kwargs)  # type: ignore[arg-type]
    assert str(info.value) == message
    assert info.value.field == next(iter(kwargs))


def test_write_outputs_writes_the_formats_asked_for(toy: siteopt.Instance, tmp_path: Path) -> None:
    """``write_outputs(result, out, formats=...)`` returns the files per format."""
    result = siteopt.solve(toy, method="enumerate")
    written = siteopt.write_outputs(result, tmp_path / "out", formats="json,md")
    assert written == {
        "json": [tmp_path / "out" / "solution.json"],
        "md": [tmp_path / "out" / "report.md"],
    }
    assert siteopt.read_result(tmp_path / "out" / "solution.json") == result
    with pytest.raises(ArgumentError, match=r"^formats: expected a comma list"):
        siteopt.write_outputs(result, tmp_path / "other", formats=["docx"])


def test_required_agents_is_erlang_c_for_one_queue() -> None:
    """120 calls/h × 300 s, 90 % in 10 s: 15 agents (Erlang C); arrays give arrays."""
    assert int(siteopt.required_agents(120, aht_s=300, share=0.9, within_s=10)) == 15
    many = siteopt.required_agents([0, 120], aht_s=300, share=0.9, within_s=10)
    assert many.tolist() == [0, 15]
    from siteopt.queueing.agents import ServiceTarget, required_agents

    patient = siteopt.required_agents(120, aht_s=300, share=0.9, within_s=10, patience_s=60)
    erlang_a = required_agents(120, aht_s=300, target=ServiceTarget(0.9, 10), patience_s=60)
    assert int(patient) == int(erlang_a) != 15  # callers who hang up change the answer


def test_travel_times_and_locate_take_an_instance(toy: siteopt.Instance) -> None:
    """LSOAs × candidates minutes, and a p-median on the same matrix."""
    times = siteopt.travel_times(toy)
    assert times.minutes.shape == (1558, len(toy.candidate_ids()))
    assert times.provenance
    found = siteopt.locate(toy, "pmedian", p=1)
    assert found.status is siteopt.Status.OPTIMAL
    assert len(found.sites) == 1 and found.sites[0] in toy.candidate_ids()

"""The alliance instances on the national dataset: volumes recomputed, solved, every output."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path

import pyogrio
import pytest

from geodata.national.volumes import scaled_volumes
from siteopt.instance.loading import load_instance
from siteopt.optimise.solve import solve
from siteopt.status import Status
from tests.conftest import INSTANCES, CliResult

ALLIANCES = {"kent-essex": 2019, "norfolk-suffolk": 2015}


@pytest.mark.parametrize("name", [*ALLIANCES, "england-regions"])
def test_volumes_are_the_crime_scaled_bch_rates(name: str) -> None:
    """Each force's calls in the file equal geodata.national.volumes' computation."""
    raw = tomllib.loads((INSTANCES / f"{name}.toml").read_text(encoding="utf-8"))
    forces = list(raw["forces"])
    year = raw["data"]["population_year"]
    for volume in scaled_volumes(forces, year):
        stated = raw["demand"]["volumes"][volume.force][volume.stream]
        assert stated["value"] == volume.calls, (volume.force, volume.stream)
        assert stated["assumption"] == volume.assumption


@pytest.mark.parametrize("name", [*ALLIANCES, "england-regions"])
def test_national_instances_validate_with_every_figure_labelled(name: str) -> None:
    """Valid, on the national dataset, every figure with a source or an assumption."""
    instance = load_instance(INSTANCES / f"{name}.toml")
    assert instance.data.dataset == "england-wales"
    for path, figure in instance.figures():
        assert bool(figure.source) != bool(figure.assumption), path


def test_today_rooms_are_named_headquarters_or_flagged_assumptions() -> None:
    """Kent and Suffolk use their OSM HQ points; Essex and Norfolk custom sites say assumption."""
    kent_essex = load_instance(INSTANCES / "kent-essex.toml")
    norfolk_suffolk = load_instance(INSTANCES / "norfolk-suffolk.toml")
    assert kent_essex.forces["kent"].current_site == "kent-police-headquarters"
    assert norfolk_suffolk.forces["suffolk"].current_site == "suffolk-constabulary-headquarters"
    for instance, sid in ((kent_essex, "essex-hq"), (norfolk_suffolk, "norfolk-hq")):
        assert instance.sites.custom[sid].source.startswith("assumption:")


@pytest.mark.parametrize("name", list(ALLIANCES))
def test_alliance_solves_to_proven_optimum_within_its_own_area(name: str) -> None:
    """The optimum is proved, and every chosen room lies in one of the alliance's forces."""
    instance = load_instance(INSTANCES / f"{name}.toml")
    result = solve(instance)
    assert result.status is Status.OPTIMAL
    assert result.solution is not None
    forces = set(instance.forces)
    areas = dict(zip(instance.candidate_ids(), instance.candidate_force_areas(), strict=True))
    assert result.solution.sites
    for site in result.solution.sites:
        assert areas[site.id] in forces


def test_norfolk_suffolk_writes_every_output_for_its_own_area(
    run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    """Report, maps, GIS, workbook and web map are written; the maps cover Norfolk and Suffolk."""
    out = tmp_path / "out"
    result = run_cli("solve", str(INSTANCES / "norfolk-suffolk.toml"), "--out", str(out))
    assert result.code == 0, result.err
    for name in (
        "report.md",
        "report.html",
        "report.pdf",
        "siteopt.xlsx",
        "map.html",
        "layers.gpkg",
        "maps/overview.png",
        "maps/commute.png",
    ):
        assert (out / name).is_file(), name
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "Voronoi cells of LSOA points, not ONS boundaries" in report
    assert "sites.custom.norfolk-hq" in report
    forces = pyogrio.read_dataframe(out / "layers.gpkg", layer="forces")
    assert sorted(forces["force"]) == ["norfolk", "suffolk"]

"""Data checks of an instance: the dataset, its force selection and the population year."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from siteopt.errors import InstanceError
from siteopt.instance.loading import load_instance
from tests.conftest import INSTANCES, CliResult


def child_of(tmp_path: Path, parent: str, body: str) -> Path:
    """Write an instance file extending a shipped one, with ``body`` appended."""
    child = tmp_path / "child.toml"
    child.write_text(
        f'extends = "{(INSTANCES / parent).as_posix()}"\nname = "child"\n{body}', encoding="utf-8"
    )
    return child


def test_unknown_selected_force_names_its_list_entry(tmp_path: Path) -> None:
    """A misspelt force in [data] forces is reported at its index, with a suggestion."""
    child = child_of(tmp_path, "kent-essex.toml", '[data]\nforces = ["kent", "esex"]\n')
    with pytest.raises(InstanceError, match="did you mean 'essex'") as err:
        load_instance(child)
    assert err.value.path == "data.forces.1"


def test_selected_force_without_an_instance_force_is_refused(tmp_path: Path) -> None:
    """Selecting a force whose calls the instance does not state is an error at data.forces."""
    child = child_of(tmp_path, "kent-essex.toml", '[data]\nforces = ["kent", "essex", "sussex"]\n')
    with pytest.raises(InstanceError, match=r"not in \[forces\] \(e.g. 'sussex'\)") as err:
        load_instance(child)
    assert err.value.path == "data.forces"


def test_national_dataset_without_a_selection_needs_every_force(tmp_path: Path) -> None:
    """On the national dataset an instance either lists all 43 forces or selects some."""
    child = child_of(tmp_path, "toy.toml", '[data]\ndataset = "england-wales"\n')
    with pytest.raises(InstanceError, match="list the instance's forces in \\[data\\] forces"):
        load_instance(child)


def test_mid_2015_population_is_refused_for_welsh_forces(tmp_path: Path) -> None:
    """The four Welsh forces have no mid-2015 LSOA population in the national dataset."""
    child = child_of(tmp_path, "england-regions.toml", "[data]\npopulation_year = 2015\n")
    with pytest.raises(InstanceError, match="no mid-2015 LSOA population for 'dyfed-powys'") as err:
        load_instance(child)
    assert err.value.path == "data.population_year"


def test_a_candidate_listed_twice_is_refused_at_its_index(tmp_path: Path) -> None:
    """The same site twice in candidates would let the solver open it twice (#16 item 1)."""
    child = child_of(
        tmp_path, "toy.toml", '[sites]\ncandidates = ["kempston", "luton", "kempston"]\n'
    )
    with pytest.raises(InstanceError, match="'kempston' is listed twice") as err:
        load_instance(child)
    assert err.value.path == "sites.candidates.2"
    assert err.value.file == str(child)


def test_a_custom_site_also_listed_in_candidates_is_refused(tmp_path: Path) -> None:
    """A custom site is a candidate already; listing it again would double it (#16 item 1)."""
    body = (
        '[sites]\ncandidates = ["kempston", "newhq"]\n'
        '[sites.custom.newhq]\nname = "New HQ"\nforce = "bedfordshire"\n'
        'easting = 505000.0\nnorthing = 245000.0\nsource = "test"\n'
    )
    with pytest.raises(InstanceError, match="'newhq' is a custom site") as err:
        load_instance(child_of(tmp_path, "toy.toml", body))
    assert err.value.path == "sites.candidates.1"


def test_cli_refuses_repeated_candidates_in_one_line(
    tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    """`solve` exits 2 with one stderr line naming file and field, no traceback."""
    child = child_of(tmp_path, "toy.toml", '[sites]\ncandidates = ["kempston", "kempston"]\n')
    result = run_cli("solve", str(child), "--method", "enumerate")
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1
    assert str(child) in lines[0]
    assert "sites.candidates.1" in lines[0]
    assert "Traceback" not in result.err

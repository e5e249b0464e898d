"""Tests for siteopt/serve/files.py: only files under the instances folder are listed or opened."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siteopt.errors import ArgumentError
from siteopt.serve.files import InstanceFiles
from tests.serve.conftest import copy_instances


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> InstanceFiles:
    root = copy_instances(tmp_path_factory.mktemp("files") / "instances")
    (root.parent / "outside.toml").write_text('name = "outside"\n')
    (root / "out-link.toml").symlink_to(root.parent / "outside.toml")
    (root / "in-link.toml").symlink_to(root / "toy.toml")
    (root / "broken.toml").write_text("name = [unclosed\n")
    return InstanceFiles.at(root)


def test_a_file_inside_is_resolved(files: InstanceFiles) -> None:
    assert files.resolve("toy.toml") == files.root / "toy.toml"
    assert files.resolve("./toy.toml") == files.root / "toy.toml"
    assert files.resolve("sweeps/bch-grid.toml") == files.root / "sweeps" / "bch-grid.toml"


@pytest.mark.parametrize(
    "path",
    ["../outside.toml", "sweeps/../../outside.toml", "/etc/passwd", "out-link.toml", "..", "",
     "C:\\outside.toml", "..\\outside.toml"],
)  # fmt: skip
def test_paths_that_leave_the_folder_are_refused(files: InstanceFiles, path: str) -> None:
    with pytest.raises(ArgumentError, match="expected a path inside the instances folder"):
        files.resolve(path)


def test_a_link_that_stays_inside_is_allowed(files: InstanceFiles) -> None:
    assert files.resolve("in-link.toml") == files.root / "toy.toml"


def test_only_toml_files_are_opened(files: InstanceFiles) -> None:
    (files.root / "notes.txt").write_text("x")
    with pytest.raises(ArgumentError, match="no such instance file"):
        files.resolve("notes.txt")
    with pytest.raises(ArgumentError, match="no such instance file"):
        files.resolve("sweeps")


def test_entries_list_instances_not_sweep_specs_nor_links_out(files: InstanceFiles) -> None:
    paths = [e.path for e in files.entries()]
    assert "toy.toml" in paths and "bch-2015.toml" in paths
    assert "sweeps/bch-grid.toml" not in paths
    assert "out-link.toml" not in paths
    assert "broken.toml" in paths  # listed: opening it shows the loader's error


def test_a_missing_folder_is_an_argument_error(tmp_path: Path) -> None:
    with pytest.raises(ArgumentError, match="expected a folder of instance files"):
        InstanceFiles.at(tmp_path / "nope")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("./\\:~abc-_ ")) | st.characters(), max_size=30))
def test_any_path_resolves_inside_the_folder_or_is_refused(files: InstanceFiles, path: str) -> None:
    try:
        resolved = files.resolve(path)
    except ArgumentError:
        return
    assert resolved.is_relative_to(files.root)
    assert resolved.is_file()

"""Tests for siteopt/serve/opened.py: files read once, read again when they change."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from siteopt.errors import InstanceError
from siteopt.serve.files import InstanceFiles
from siteopt.serve.opened import InstanceCache


def test_a_file_is_read_once_and_again_when_it_changes(folder: Path) -> None:
    cache = InstanceCache(InstanceFiles.at(folder))
    first = cache.open("toy.toml")
    assert cache.open("toy.toml") is first
    file = folder / "toy.toml"
    file.write_text(file.read_text().replace('name = "toy"', 'name = "toy changed"'))
    os.utime(file, ns=(first.stamps[0][1] + 10**9, first.stamps[0][1] + 10**9))
    assert cache.open("toy.toml").instance.name == "toy changed"


def test_sites_the_file_excludes_are_listed_switched_off(folder: Path) -> None:
    (folder / "no-welwyn.toml").write_text(
        'extends = "toy.toml"\nname = "no welwyn"\n[sites]\nexclude = ["welwyn"]\n'
    )
    opened = InstanceCache(InstanceFiles.at(folder)).open("no-welwyn.toml")
    assert "welwyn" in opened.site_ids
    assert opened.base_excluded == ("welwyn",)
    assert "welwyn" not in opened.instance.candidate_ids()


def test_a_broken_file_raises_the_loader_error(folder: Path) -> None:
    (folder / "bad.toml").write_text('extends = "toy.toml"\n[demand]\ngrowth = -1\n')
    with pytest.raises(InstanceError, match=r"demand.growth.value: input should be greater than 0"):
        InstanceCache(InstanceFiles.at(folder)).open("bad.toml")

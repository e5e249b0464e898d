"""Tests for siteopt/serve/variant.py: a saved what-if is an extends file that validates."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from pathlib import Path

from siteopt.instance.loading import load_instance
from siteopt.serve.editor import Change, what_if
from siteopt.serve.files import InstanceFiles
from siteopt.serve.opened import InstanceCache
from siteopt.serve.variant import save_variant, variant_toml


def test_the_variant_text_extends_the_instance_with_labelled_figures(folder: Path) -> None:
    opened = InstanceCache(InstanceFiles.at(folder)).open("toy.toml")
    reason = 'planner\'s "growth" view'
    change, _ = what_if(
        opened.groups, {"demand.growth": Change("1.2", reason)}, ["welwyn"], opened.site_ids
    )
    text = variant_toml(opened, change, "growth", datetime(2026, 12, 5, tzinfo=UTC))
    table = tomllib.loads(text)
    assert table["extends"] == "toy.toml"
    assert table["name"] == "toy: growth"
    figure = table["demand"]["growth"]
    assert figure["value"] == 1.2
    assert figure["assumption"].startswith(reason + " (base value 1; assumption: toy)")
    assert table["sites"]["exclude"] == ["welwyn"]


def test_save_writes_a_file_that_loads_and_leaves_no_temporary(folder: Path) -> None:
    opened = InstanceCache(InstanceFiles.at(folder)).open("toy.toml")
    change, _ = what_if(opened.groups, {"demand.growth": Change("1.3", "why")}, [], opened.site_ids)
    path, errors = save_variant(opened, change, "toy-growth.toml", "")
    assert errors == [] and path == folder / "toy-growth.toml"
    instance = load_instance(path)
    assert instance.demand.growth.value == 1.3
    assert instance.demand.growth.assumption is not None
    assert instance.demand.growth.assumption.startswith("why (base value 1")
    assert instance.name == "toy: toy-growth"
    assert not list(folder.glob(".toy-growth*"))


def test_nothing_changed_is_not_saved(folder: Path) -> None:
    opened = InstanceCache(InstanceFiles.at(folder)).open("toy.toml")
    change, _ = what_if(opened.groups, {}, [], opened.site_ids)
    path, errors = save_variant(opened, change, "same", "")
    assert path is None and "nothing changed" in errors[0].message
    assert not (folder / "same.toml").exists()

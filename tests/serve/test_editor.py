"""Tests for siteopt/serve/editor.py: an instance's figures and the what-ifs made of them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from siteopt.instance.loading import InstanceTemplate
from siteopt.serve.editor import Change, figure_groups, validate_what_if, what_if
from tests.conftest import INSTANCES


@pytest.fixture(scope="module")
def template() -> InstanceTemplate:
    return InstanceTemplate.read(INSTANCES / "bch-2015.toml")


def test_the_figures_the_file_sets_are_editable(template: InstanceTemplate) -> None:
    groups = figure_groups(template.merged())
    paths = {f.path for g in groups for f in g.fields}
    instance = template.variant({})
    numbers = {p for p, fig in instance.figures() if isinstance(fig.value, int | float)}
    assert paths <= numbers  # each field is a figure of the validated instance
    assert len(paths) > 90  # the file's figures, not the schema's defaults (rosters)
    assert "sites.overrides.kempston.max_seats" in paths
    assert "demand.volumes.hertfordshire.emergency" not in paths  # a per-head estimate: no value


def test_groups_keep_the_file_order_and_labels(template: InstanceTemplate) -> None:
    groups = figure_groups(template.merged())
    sections = list(dict.fromkeys(g.section for g in groups))
    assert sections[:4] == ["forces", "demand", "staffing", "pay"]
    emergency = next(g for g in groups if g.path == "demand.streams.emergency")
    assert emergency.label == "999"
    target = next(f for f in emergency.fields if f.key == "target_share")
    assert (target.value, target.kind, target.provenance) == (0.9, "float", "source")


def test_a_what_if_keeps_only_the_changed_figures(template: InstanceTemplate) -> None:
    groups = figure_groups(template.merged())
    changes = {
        "demand.streams.emergency.target_within_s": Change("15", "r"),
        "demand.growth": Change("1.0"),  # unchanged
    }
    change, errors = what_if(groups, changes, ["kempston"], ["kempston", "welwyn"])
    assert errors == []
    assert change.overrides() == {
        "demand.streams.emergency.target_within_s": 15,
        "sites.exclude": ["kempston"],
    }
    labelled = change.overrides(labelled=True)["demand.streams.emergency.target_within_s"]
    assert labelled["assumption"].startswith("r (base value 10; source: Herts FCR target")


def test_unreadable_fields_and_unknown_sites_are_field_errors(template: InstanceTemplate) -> None:
    groups = figure_groups(template.merged())
    changes = {"demand.growth": Change("abc"), "no.such": Change("1")}
    _, errors = what_if(groups, changes, ["atlantis"], ["kempston"])
    assert [(e.field, e.message) for e in errors] == [
        ("demand.growth", "demand.growth.value: expected a number, got 'abc'"),
        ("no.such", "no.such: not a figure of this instance"),
        ("sites.exclude", "sites.exclude: not candidate sites: atlantis"),
    ]


def test_a_validation_error_lands_on_the_field_it_names(template: InstanceTemplate) -> None:
    groups = figure_groups(template.merged())
    path = "demand.volumes.bedfordshire.emergency"
    change, _ = what_if(groups, {path: Change("-5")}, [], [])
    instance, errors = validate_what_if(template, change)
    assert instance is None
    assert errors[0].field == path
    assert errors[0].message == (
        f"{INSTANCES / 'bch-2015.toml'}: {path}.value: "
        "input should be greater than or equal to 0, got -5"
    )


@given(st.floats(min_value=0, max_value=1e9, allow_nan=False))
def test_a_number_typed_reads_back_as_itself(template: InstanceTemplate, number: float) -> None:
    groups = figure_groups(template.merged())
    change, errors = what_if(groups, {"demand.growth": Change(repr(number))}, [], [])
    assert errors == []
    assert change.values.get("demand.growth", 1.0) == number

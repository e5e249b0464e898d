"""Tests of siteopt.queueing.functions: dispatch, room functions, local knowledge, today."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import siteopt
from siteopt.instance.figures import Figure
from siteopt.instance.schema import Instance
from siteopt.queueing.fte import staffing_table
from siteopt.queueing.functions import (
    DispatchAreaSpec,
    FunctionModel,
    _force_areas,
    dispatch_channels,
    dispatchers_per_interval,
    function_model,
    today_establishment,
)

INSTANCES = Path(__file__).resolve().parents[2] / "instances"


def bare_model(loads: np.ndarray, areas: list[DispatchAreaSpec], **fields: object) -> FunctionModel:
    """A function model of dispatch alone over ``loads`` ``(F, T)`` (dispatcher Erlangs)."""
    n_forces, n_intervals = loads.shape
    base: dict[str, object] = {
        "forces": tuple(f"f{f}" for f in range(n_forces)),
        "in_scope": ("call_handling", "dispatch"),
        "defined": ("call_handling", "dispatch"),
        "labels": {"call_handling": "call handling", "dispatch": "dispatch"},
        "interval_hours": 1.0,
        "fte_per_weekly_hour": 1 / 30,
        "incident_load": loads,
        "areas": tuple(areas),
        "dispatch_occupancy": 0.6,
        "dispatch_supervisor_ratio": 0.0,
        "min_dispatchers": 1,
        "night": np.zeros(n_intervals, dtype=np.bool_),
        "areas_per_channel": 1,
        "across_forces": False,
        "call_hours": np.zeros(n_forces),
        "call_supervisor_ratio": 0.0,
        "penalty": 0.0,
        "rooms": (),
    }
    base.update(fields)
    return FunctionModel(**base)  # type: ignore[arg-type]


@st.composite
def dispatch_models(draw: st.DrawFn) -> FunctionModel:
    """Random loads, areas (shares, hours, minimum crews) and night sharing."""
    n_forces = draw(st.integers(1, 3))
    n_intervals = draw(st.integers(1, 8))
    loads = np.array(
        [[draw(st.floats(0, 12)) for _ in range(n_intervals)] for _ in range(n_forces)]
    )
    areas = []
    for f in range(n_forces):
        n_areas = draw(st.integers(1, 4))
        weights = [draw(st.floats(0.05, 1)) for _ in range(n_areas)]
        for a, w in enumerate(weights):
            # The first area of a force is always open (a channel at every hour).
            open_ = [a == 0 or draw(st.booleans()) for _ in range(n_intervals)]
            areas.append(
                DispatchAreaSpec(
                    force=f,
                    name=f"a{f}{a}",
                    share=w / sum(weights),
                    open=np.array(open_),
                    min_dispatchers=draw(st.integers(1, 3)),
                )
            )
    night = np.array([draw(st.booleans()) for _ in range(n_intervals)])
    return bare_model(
        loads,
        areas,
        night=night,
        areas_per_channel=draw(st.integers(1, 4)),
        across_forces=draw(st.booleans()),
        penalty=draw(st.floats(0, 1)),
    )


@settings(max_examples=300, deadline=None)
@given(model=dispatch_models(), data=st.data())
def test_dispatchers_never_fall_below_the_channel_minimum(
    model: FunctionModel, data: st.DataObject
) -> None:
    """Every open channel keeps its minimum crew, whatever the load (day and night)."""
    group = data.draw(st.sets(st.integers(0, len(model.forces) - 1), min_size=1))
    outside = data.draw(st.sets(st.sampled_from(sorted(group))))
    staffed = dispatchers_per_interval(model, group, outside)
    minimum = dispatch_channels(model, group)
    assert (staffed >= minimum).all()
    assert (minimum >= 1).all()  # every force has an open area at every hour
    # And enough dispatchers for the load at the occupancy cap.
    load = sum(model.incident_load[f] * (1 + model.penalty * (f in outside)) for f in group)
    assert (staffed * model.dispatch_occupancy >= load - 1e-6).all()


@settings(max_examples=300, deadline=None)
@given(model=dispatch_models(), data=st.data())
def test_adding_a_dispatch_area_never_lowers_the_dispatchers(
    model: FunctionModel, data: st.DataObject
) -> None:
    """Splitting an area's incidents over a new area keeps or raises dispatchers everywhere."""
    index = data.draw(st.integers(0, len(model.areas) - 1))
    cut = data.draw(st.floats(0.01, 0.99))
    old = model.areas[index]
    new_area = replace(old, name=old.name + "-new", share=old.share * cut)
    areas = [*model.areas]
    areas[index] = replace(old, share=old.share * (1 - cut))
    more = replace(model, areas=(*areas, new_area))
    group = range(len(model.forces))
    before = dispatchers_per_interval(model, group)
    after = dispatchers_per_interval(more, group)
    assert (after >= before).all()
    assert more.dispatch_fte(group) >= model.dispatch_fte(group)


@settings(max_examples=200, deadline=None)
@given(model=dispatch_models(), low=st.floats(0, 1), high=st.floats(0, 1))
def test_a_larger_penalty_never_needs_fewer_staff(
    model: FunctionModel, low: float, high: float
) -> None:
    """Dispatch and the local-knowledge extra grow with the penalty; at 0 nothing is added."""
    low, high = sorted((low, high))
    group = list(range(len(model.forces)))
    a, b = replace(model, penalty=low), replace(model, penalty=high)
    assert (
        dispatchers_per_interval(b, group, group) >= dispatchers_per_interval(a, group, group)
    ).all()
    zero = replace(model, penalty=0.0)
    assert (
        dispatchers_per_interval(zero, group, group) == dispatchers_per_interval(zero, group)
    ).all()
    assert zero.local_knowledge_fte(group) == 0.0


def test_night_sharing_merges_channels_of_one_room() -> None:
    """Three quiet areas of two forces share one channel at night when sharing crosses forces."""
    loads = np.array([[0.1, 0.1], [0.1, 0.1]])
    open_ = np.ones(2, dtype=np.bool_)
    areas = [
        DispatchAreaSpec(0, "a", 0.5, open_, 1),
        DispatchAreaSpec(0, "b", 0.5, open_, 1),
        DispatchAreaSpec(1, "c", 1.0, open_, 1),
    ]
    night = np.array([False, True])
    across = bare_model(loads, areas, night=night, areas_per_channel=3, across_forces=True)
    within = replace(across, across_forces=False)
    assert dispatchers_per_interval(across, [0, 1]).tolist() == [3, 1]
    assert dispatchers_per_interval(within, [0, 1]).tolist() == [3, 2]
    assert dispatchers_per_interval(across, [0]).tolist() == [2, 1]


@pytest.fixture(scope="module")
def bch() -> Instance:
    return siteopt.load_instance(INSTANCES / "bch-2015.toml")


def test_bch_today_reconciles_with_the_published_800(bch: Instance) -> None:
    """Today's modelled establishment of the three rooms is within 15% of the published ~800."""
    table = staffing_table(bch)
    today = today_establishment(bch, table)
    published = bch.functions.published_staff
    assert published is not None and published.source
    total = sum(sum(fte.values()) for fte in today.values())
    assert abs(total - published.value) <= 0.15 * published.value
    herts = bch.forces["hertfordshire"].current_staff
    assert herts.source  # the Herts FCR ~300 is published
    assert abs(sum(today["hertfordshire"].values()) - herts.value) <= 0.15 * herts.value
    # Call handling is the queueing model's, unchanged.
    assert sum(t["call_handling"] for t in today.values()) == pytest.approx(278.5, abs=0.05)


def test_bch_default_areas_are_the_districts_by_population(bch: Instance) -> None:
    """19 districts (Beds 3, Cambs 6, Herts 10), each force's shares adding up to one."""
    model = function_model(bch, staffing_table(bch))
    counts = [sum(a.force == f for a in model.areas) for f in range(3)]
    assert counts == [3, 6, 10]
    for f in range(3):
        assert sum(a.share for a in model.areas if a.force == f) == pytest.approx(1.0)
    # 24/7 channels: at least 19 dispatchers by day, fewer at night (sharing across forces).
    minimum = dispatch_channels(model, [0, 1, 2])
    assert minimum.max() == 19
    assert minimum.min() == 7  # ceil(19 / 3)


def test_out_of_scope_functions_are_still_part_of_today(bch: Instance) -> None:
    """A function not in scope stays with the forces: shown today, not priced by the model."""
    functions = bch.functions.model_copy(update={"in_scope": ["call_handling"]})
    narrow = bch.model_copy(update={"functions": functions})
    table = staffing_table(narrow)
    model = function_model(narrow, table)
    assert not model.moves("dispatch")
    today = today_establishment(narrow, table, model)
    assert "dispatch" in today["bedfordshire"]
    in_scope = model.establishment(forces=[0], call_fte=10.0, scope_only=True)
    assert set(in_scope) == {"call_handling"}


def test_penalty_figure_is_labelled(bch: Instance) -> None:
    penalty = bch.functions.local_knowledge_penalty
    assert isinstance(penalty, Figure) and penalty.assumption


@settings(max_examples=300, deadline=None)
@given(model=dispatch_models(), ratio=st.floats(0, 0.5))
def test_dispatch_fte_of_every_pair_at_once_equals_pair_by_pair(
    model: FunctionModel, ratio: float
) -> None:
    """The first dispatch_fte prices every (group, penalised) pair at once: the same floats."""
    model = replace(model, dispatch_supervisor_ratio=ratio)
    n_forces = len(model.forces)
    for mask in range(1, 2**n_forces):
        group = [f for f in range(n_forces) if mask >> f & 1]
        for sub in range(2 ** len(group)):
            outside = [f for i, f in enumerate(group) if sub >> i & 1]
            alone = model.fte_of_positions(dispatchers_per_interval(model, group, outside))
            assert model.dispatch_fte(group, outside) == alone * (1 + ratio)
    assert len(model._memo.fte) == 3**n_forces - 1


@settings(max_examples=200, deadline=None)
@given(model=dispatch_models())
def test_each_forces_area_arrays_equal_the_area_by_area_sums(model: FunctionModel) -> None:
    """Shares renormalised by a running sum over the areas, in their order: the same floats."""
    n_intervals = len(model.night)
    for force in range(len(model.forces)):
        mine = [a for a in model.areas if a.force == force]
        open_share = np.zeros(n_intervals)
        for area in mine:
            open_share += area.open * area.share
        expected = [
            np.divide(
                area.share * area.open,
                open_share,
                out=np.zeros(n_intervals),
                where=open_share > 0,
            )
            for area in mine
        ]
        found = _force_areas(model, force)
        assert found.share.tolist() == [e.tolist() for e in expected]
        crew, count = np.zeros(n_intervals, dtype=int), np.zeros(n_intervals, dtype=int)
        for area in mine:
            crew += area.open * area.min_dispatchers
            count += area.open
        assert found.crew.tolist() == crew.tolist()
        assert found.count.tolist() == count.tolist()

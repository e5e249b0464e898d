"""Tests for siteopt/outputs/labels.py: labels that do not overlap and stay near their points."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siteopt.outputs.labels import RINGS_PT, label_box, marker_boxes, place_labels

#: Room names of the national plan that collided on its maps, and some longer ones.
NAMES = (
    "Birmingham Central\nPolice Station", "St Ives Police Station", "Eye Police Station",
    "Overseas Visitors\nRecords Office", "Gwent Police HQ", "Kent Police Headquarters",
    "Cambridge", "Hinchingbrooke Park", "Welwyn Garden City",
)  # fmt: skip


@pytest.fixture
def axes() -> Iterator[Any]:
    """An empty 100 x 100 map panel on a 6-inch figure."""
    import matplotlib as mpl

    mpl.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(6, 6))
    ax = fig.add_axes((0.05, 0.05, 0.9, 0.9))
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.set_aspect("equal")
    try:
        yield ax
    finally:
        plt.close(fig)


def overlapping_pairs(boxes: list[Any]) -> list[tuple[int, int]]:
    """Pairs of boxes that share area."""
    return [
        (i, j)
        for i in range(len(boxes))
        for j in range(i + 1, len(boxes))
        if min(boxes[i].x1, boxes[j].x1) > max(boxes[i].x0, boxes[j].x0)
        and min(boxes[i].y1, boxes[j].y1) > max(boxes[i].y0, boxes[j].y0)
    ]


def distance_pt(ax: Any, box: Any, point: tuple[float, float]) -> float:
    """Distance in points from a data point to a display box (0 inside)."""
    px, py = ax.transData.transform(point)
    dx = max(box.x0 - px, 0.0, px - box.x1)
    dy = max(box.y0 - py, 0.0, py - box.y1)
    return float(math.hypot(dx, dy) * 72.0 / ax.get_figure().dpi)


def test_a_crowded_cluster_gets_labels_that_do_not_overlap(axes: Any) -> None:
    """Nine rooms 3 % of the panel apart (a 3 x 3 grid, ~5 mm): every label placed, none
    overlapping another, each within the farthest ring of its point, the far ones with a
    leader line."""
    points = [(50.0 + dx, 50.0 + dy) for dx in (-3, 0, 3) for dy in (-3, 0, 3)]
    placed = place_labels(axes, points, NAMES, taken=[], fontsize=8, fontweight="bold")
    assert len(placed) == len(points)
    boxes = [label_box(a, pad_pt=0) for a in placed]
    assert overlapping_pairs(boxes) == []
    reach = math.hypot(RINGS_PT[-1], 0.75 * RINGS_PT[-1])
    for annotation, box, point in zip(placed, boxes, points, strict=True):
        assert annotation.xy == point
        assert distance_pt(axes, box, point) <= reach
        near = max(abs(v) for v in annotation.xyann) <= RINGS_PT[0]
        assert (annotation.arrow_patch is None) == near


def test_an_uncrowded_label_sits_beside_its_point_without_a_leader(axes: Any) -> None:
    """Alone, a label takes the first place tried: north-east of its point, close by."""
    (label,) = place_labels(axes, [(30.0, 30.0)], ["Kempston"], taken=[], fontsize=8)
    assert label.xyann == (RINGS_PT[0], 0.75 * RINGS_PT[0])
    assert label.get_horizontalalignment() == "left"
    assert label.arrow_patch is None


def test_labels_keep_off_other_markers_and_optional_ones_are_left_off(axes: Any) -> None:
    """A label avoids a marker north-east of its point; an optional name with no clear spot
    (a marker on every side) is left off rather than drawn over it."""
    markers = marker_boxes(axes, [33.0], [31.5], 16.0)
    (label,) = place_labels(
        axes, [(30.0, 30.0)], ["Kempston"], taken=[], markers=markers, fontsize=8
    )
    box = label_box(label, pad_pt=0)
    assert not box.overlaps(markers[0])
    ring = [(50.0 + dx, 50.0 + dy) for dx in (-4, 0, 4) for dy in (-4, 0, 4) if dx or dy]
    walls = marker_boxes(axes, [x for x, _ in ring], [y for _, y in ring], 30.0)
    skipped = place_labels(
        axes, [(50.0, 50.0)], ["Bedford"], taken=[], markers=walls, optional=True,
        offsets_pt=((0.0, 0.0), (0.0, -8.0), (0.0, 8.0)), fontsize=6.5,
    )  # fmt: skip
    assert skipped == []


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 2**32 - 1),
    count=st.integers(2, 6),
)
def test_random_clusters_never_overlap(axes: Any, seed: int, count: int) -> None:
    """Up to six rooms scattered within 10 % of the panel: placed labels never overlap and each
    stays within the farthest ring of its own point."""
    rng = np.random.default_rng(seed)
    points = [(float(x), float(y)) for x, y in rng.uniform(45, 55, size=(count, 2))]
    names = [NAMES[int(i)] for i in rng.integers(0, len(NAMES), size=count)]
    for text in list(axes.texts):
        text.remove()
    placed = place_labels(axes, points, names, taken=[], fontsize=8)
    boxes = [label_box(a, pad_pt=0) for a in placed]
    assert overlapping_pairs(boxes) == []
    reach = math.hypot(RINGS_PT[-1], 0.75 * RINGS_PT[-1])
    assert all(
        distance_pt(axes, box, point) <= reach for box, point in zip(boxes, points, strict=True)
    )

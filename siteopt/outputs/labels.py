"""Map labels that do not overlap: a greedy placement measured in display coordinates.

Each label, in order, is tried at a few offsets around its point: north-east, south-east,
north-west, south-west, above, below, right, left, first close by, then on two rings farther
out with a leader line back to the point. Each offset is priced by what its text box (as the
renderer measures it) would hide: labels already placed and the panel's edge count most, markers
less (minor ones, such as rooms the map does not name, least); moving out a ring, or sitting
nearer another marker than its own point, costs a share of the label's area. The first offset
costing nothing wins, else the cheapest. A required label is always placed; an optional one
(a district name) only where it hides nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.text import Annotation
    from matplotlib.transforms import Bbox

    #: Markers to keep clear of: (major, minor) display boxes.
    _Markers = tuple[Sequence[Bbox], Sequence[Bbox]]

__all__ = ["RINGS_PT", "label_box", "marker_boxes", "place_labels", "ring_offsets"]


#: Directions tried around a point (unit offsets), nearest-looking first.
_DIRECTIONS: tuple[tuple[float, float], ...] = (
    (1.0, 0.75), (1.0, -0.75), (-1.0, 0.75), (-1.0, -0.75),
    (0.0, 1.0), (0.0, -1.0), (1.0, 0.0), (-1.0, 0.0),
)  # fmt: skip


#: Distances of the rings tried (points); past the first a leader line joins label and point.
RINGS_PT: tuple[float, ...] = (9.0, 24.0, 42.0)


def ring_offsets(rings_pt: Sequence[float] = RINGS_PT) -> list[tuple[float, float]]:
    """Offsets (points) tried around a point: each direction on each ring, nearest ring first."""
    return [(dx * r, dy * r) for r in rings_pt for dx, dy in _DIRECTIONS]


#: Weight of covering a label already placed (or leaving the panel) against covering a marker.
_LABEL_WEIGHT = 50.0


#: Weight of covering a minor marker (one the map does not name, e.g. today's rooms nationally).
_MINOR_WEIGHT = 0.25


#: Cost of a label nearer another major marker than its own point, as a share of its area.
_AMBIGUITY_COST = 0.6


#: Cost of each ring farther out, as a share of the label's own area: a label moves out a ring
#: rather than cover a good part of another marker, not to clear a corner of one.
_RING_COST = 0.25


def _alignment(dx: float, dy: float) -> tuple[Any, Any]:
    """Horizontal and vertical alignment that keeps the text on the offset's side of the point."""
    ha = "left" if dx > 0 else "right" if dx < 0 else "center"
    va = "bottom" if dy > 0 else "top" if dy < 0 else "center"
    return ha, va


def _area(a: Bbox, b: Bbox) -> float:
    """Area shared by two boxes (display units squared; 0 when apart)."""
    width = min(a.x1, b.x1) - max(a.x0, b.x0)
    height = min(a.y1, b.y1) - max(a.y0, b.y0)
    return float(max(width, 0.0) * max(height, 0.0))


def _outside(box: Bbox, frame: Bbox) -> float:
    """Area of ``box`` outside ``frame``."""
    return box.width * box.height - _area(box, frame)


def _figure(artist: Any) -> Any:
    """The figure an artist is drawn on (its canvas gives the renderer that measures text)."""
    fig = artist.get_figure()
    if fig is None:
        raise ValueError("a label is measured on a figure: the artist is on none")
    return fig


def label_box(artist: Any, pad_pt: float = 1.5) -> Bbox:
    """The display box of a drawn text (not its leader line), grown by ``pad_pt`` points."""
    from matplotlib.text import Text  # noqa: PLC0415 (lazy: matplotlib is slow to import)
    from matplotlib.transforms import Bbox  # noqa: PLC0415 (lazy: matplotlib is slow to import)

    fig = _figure(artist)
    renderer = fig.canvas.get_renderer()
    artist.get_window_extent(renderer)  # an annotation places its text here
    box = Text.get_window_extent(artist, renderer)
    pad = pad_pt * fig.dpi / 72.0
    return Bbox.from_extents(box.x0 - pad, box.y0 - pad, box.x1 + pad, box.y1 + pad)


def marker_boxes(ax: Axes, xs: Iterable[float], ys: Iterable[float], size_pt: float) -> list[Bbox]:
    """Display boxes of square markers ``size_pt`` points wide centred on data points."""
    from matplotlib.transforms import Bbox  # noqa: PLC0415 (lazy: matplotlib is slow to import)

    half = size_pt / 2 * _figure(ax).dpi / 72.0
    ax.apply_aspect()
    boxes = []
    for x, y in zip(xs, ys, strict=True):
        cx, cy = ax.transData.transform((x, y))
        boxes.append(Bbox.from_extents(cx - half, cy - half, cx + half, cy + half))
    return boxes


def _covered(box: Bbox, others: Sequence[Bbox]) -> float:
    return sum(_area(box, other) for other in others)


def _cost(box: Bbox, labels: Sequence[Bbox], markers: _Markers, frame: Bbox) -> float:
    """What a label at ``box`` hides: labels and the panel's edge count most, markers less."""
    major, minor = markers
    return (
        _LABEL_WEIGHT * (_covered(box, labels) + _outside(box, frame))
        + _covered(box, major)
        + _MINOR_WEIGHT * _covered(box, minor)
    )


def place_labels(
    ax: Axes,
    points: Sequence[tuple[float, float]],
    texts: Sequence[str],
    *,
    taken: list[Bbox],
    markers: Sequence[Bbox] = (),
    minor_markers: Sequence[Bbox] = (),
    optional: bool = False,
    offsets_pt: Sequence[tuple[float, float]] | None = None,
    leader: dict[str, Any] | None = None,
    **style: Any,
) -> list[Annotation]:
    """Label each data point with its text where it overlaps no label placed before it.

    Parameters
    ----------
    ax
        The map panel (its limits and aspect already set).
    points, texts
        Data coordinates and the text of each label, in order of priority.
    taken
        Display boxes already taken (earlier labels); each placed label's box is appended.
    markers
        Display boxes of markers a label should keep clear of when it can.
    minor_markers
        Display boxes of markers a label may cover more readily.
    optional
        Leave off a label that fits nowhere clear of labels and markers (``False``: place it
        where it overlaps least).
    offsets_pt
        Offsets tried from the point (points), in order of preference (default:
        :func:`ring_offsets`); a label farther than the first ring gets a leader line.
    leader
        Line properties of the leader lines.
    style
        Text properties (font size, weight, colour, path effects, z-order).

    Returns
    -------
    list of matplotlib.text.Annotation
        The labels placed.
    """
    ax.apply_aspect()
    frame = ax.get_window_extent(_figure(ax).canvas.get_renderer())
    offsets = ring_offsets() if offsets_pt is None else list(offsets_pt)
    line = {"arrowstyle": "-", "lw": 0.8, "color": "black", "shrinkA": 1, "shrinkB": 5}
    line.update(leader or {})
    placed = []
    for (x, y), text in zip(points, texts, strict=True):
        # a label does not avoid its own point's marker (it sits beside it on purpose)
        at = ax.transData.transform((x, y))
        others = (_not_at(markers, at), _not_at(minor_markers, at))
        offset, box, cost = _best_offset(
            ax,
            (x, y),
            text=text,
            offsets=offsets,
            taken=taken,
            markers=others,
            frame=frame,
            style=style,
        )
        if optional and cost > 0:
            continue  # no clear spot: left off
        ha, va = _alignment(*offset)
        # the leader runs from the label's corner nearest the point
        relpos = (
            {"left": 0.0, "right": 1.0}.get(ha, 0.5),
            {"bottom": 0.0, "top": 1.0}.get(va, 0.5),
        )
        annotation = ax.annotate(
            text, (x, y), xytext=offset, textcoords="offset points", ha=ha, va=va,
            arrowprops={**line, "relpos": relpos} if _ring(offset) > 0 else None, **style,
        )  # fmt: skip
        taken.append(box)
        placed.append(annotation)
    return placed


def _not_at(boxes: Sequence[Bbox], at: Any) -> list[Bbox]:
    """The boxes not centred on the display point ``at`` (within a pixel)."""
    return [
        box
        for box in boxes
        if abs((box.x0 + box.x1) / 2 - at[0]) > 1 or abs((box.y0 + box.y1) / 2 - at[1]) > 1
    ]


def _distance(box: Bbox, point: Any) -> float:
    """Distance from a display point to a box (0 inside it)."""
    dx = max(box.x0 - point[0], 0.0, point[0] - box.x1)
    dy = max(box.y0 - point[1], 0.0, point[1] - box.y1)
    return float((dx * dx + dy * dy) ** 0.5)


def _nearer_other(box: Bbox, at: Any, centres: Sequence[tuple[float, float]]) -> bool:
    """Whether a marker centre other than ``at`` is nearer the box than ``at`` is."""
    own = _distance(box, at)
    return any(_distance(box, centre) < own for centre in centres)


def _ring(offset: tuple[float, float]) -> int:
    """How many rings of :data:`RINGS_PT` lie inside ``offset`` (0: the first ring or nearer)."""
    reach = max(abs(offset[0]), abs(offset[1]))
    return sum(1 for distance in RINGS_PT[:-1] if reach > distance + 1e-9)


def _best_offset(
    ax: Axes,
    point: tuple[float, float],
    *,
    text: str,
    offsets: Sequence[tuple[float, float]],
    taken: Sequence[Bbox],
    markers: _Markers,
    frame: Bbox,
    style: dict[str, Any],
) -> tuple[tuple[float, float], Bbox, float]:
    """The first offset with nothing in the way, else the cheapest; its box and cost.

    The cost of an offset is what its box hides (:func:`_cost`) plus, as shares of the label's
    area, :data:`_RING_COST` per ring past the first and :data:`_AMBIGUITY_COST` when another
    major marker is nearer the label than its own point (it would read as that one's name).
    """
    at = ax.transData.transform(point)
    centres = [((b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2) for b in markers[0]]
    probe = ax.annotate(text, point, xytext=(0, 0), textcoords="offset points", **style)
    try:
        best: tuple[tuple[float, float], Bbox, float] | None = None
        for offset in offsets:
            ha, va = _alignment(*offset)
            probe.xyann = offset
            probe.set_horizontalalignment(ha)
            probe.set_verticalalignment(va)
            box = label_box(probe)
            cost = _cost(box, taken, markers, frame)
            cost += (
                _RING_COST * _ring(offset) + _AMBIGUITY_COST * _nearer_other(box, at, centres)
            ) * (box.width * box.height)
            if best is None or cost < best[2]:
                best = (offset, box, cost)
            if cost == 0:
                break
    finally:
        probe.remove()
    if best is None:
        raise ValueError("no offset to try a label at")
    return best

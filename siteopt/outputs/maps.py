"""Print maps of a solution (matplotlib + geopandas, no network access, EPSG:27700).

Four maps, each with a title, legend, north arrow, scale bar and the dataset's attribution:

- ``overview``: the three force areas with districts, roads by class, drive-time bands from the
  chosen rooms, and the chosen, current and candidate sites;
- ``commute``: the modelled change in staff commute by home LSOA;
- ``cost_surface``: for single-room runs with greenfield candidates, the total cost a year of a
  room at each candidate ("where the ideal site would be");
- ``today_vs_proposal``: drive time from each LSOA to its force's room, today and proposed.

Colours are colour-blind safe: viridis/cividis for ordered values, a purple-orange diverging
scale for changes, and the Okabe-Ito palette for site categories.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from siteopt.outputs.data import format_value, plan_title
from siteopt.outputs.gis import dissolve_classes, gis_layers
from siteopt.outputs.labels import label_box, marker_boxes, place_labels

if TYPE_CHECKING:
    import geopandas as gpd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from siteopt.optimise.solution import SurfacePoint
    from siteopt.outputs.data import ExportData

__all__ = [
    "MAP_KEYS",
    "commute_map",
    "cost_surface_map",
    "map_figures",
    "overview_map",
    "render_maps",
    "today_vs_proposal_map",
]


#: The maps, in order (file stems under ``maps/``).
MAP_KEYS: tuple[str, ...] = ("overview", "commute", "cost_surface", "today_vs_proposal")


#: Okabe-Ito colours (colour-blind safe) for site categories.
CHOSEN = "#D55E00"


CURRENT = "#0072B2"


CANDIDATE = "#7F7F7F"


BEST = "#D55E00"


#: Drive-time band edges (minutes) and their colours (viridis, dark = near).
TIME_EDGES: tuple[float, ...] = (0, 15, 30, 45, 60, 90)


#: Commute change band edges (minutes one way).
CHANGE_EDGES: tuple[float, ...] = (-60, -15, -5, 5, 15, 30, 45, 120)


#: Road classes drawn on maps: (label, line width, colour, z-order).
ROAD_STYLE: Mapping[str, tuple[str, float, str, int]] = MappingProxyType(
    {
        "motorway": ("motorway", 1.6, "#3B3B3B", 4),
        "trunk": ("trunk (A) road", 1.0, "#5E5E5E", 4),
        "primary": ("primary road", 0.8, "#6E6E6E", 3),
        "secondary": ("secondary road", 0.5, "#8A8A8A", 3),
        "local_urban": ("modelled local link", 0.2, "#B5B5B5", 2),
        "local_rural": ("modelled local link", 0.2, "#B5B5B5", 2),
    }
)


#: Road classes drawn on print maps (real roads; the embedded mesh links are modelled).
PRINTED_ROADS: tuple[str, ...] = ("motorway", "trunk", "primary", "secondary")


PNG_DPI = 300


EMBED_DPI = 130


def _plt() -> Any:
    import matplotlib as mpl  # noqa: PLC0415 (lazy: matplotlib is slow to import)

    mpl.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415 (lazy: matplotlib is slow to import)

    return plt


def _new_figure(title: str, *, panels: int = 1) -> tuple[Figure, list[Axes]]:
    """A landscape A4 figure: map panel(s) on the left, the legend column on the right."""
    plt = _plt()
    fig = plt.figure(figsize=(11.69, 8.27))
    fig.suptitle(title, fontsize=15, fontweight="bold", x=0.02, ha="left", y=0.975)
    boxes = (
        [(0.01, 0.085, 0.62, 0.83)]
        if panels == 1
        else [(0.005, 0.085, 0.375, 0.83), (0.385, 0.085, 0.375, 0.83)]
    )
    axes = [fig.add_axes(box) for box in boxes]
    for ax in axes:
        ax.set_axis_off()
        ax.set_aspect("equal")
    return fig, axes


def _layers(data: ExportData) -> dict[str, gpd.GeoDataFrame]:

    return gis_layers(data)


def _frame(ax: Axes, layers: dict[str, gpd.GeoDataFrame], *, roads: bool = True) -> None:
    """Force and district boundaries (and roads) over the whole study area."""
    layers["districts"].boundary.plot(ax=ax, color="#9A9A9A", linewidth=0.35, zorder=5)
    layers["forces"].boundary.plot(ax=ax, color="#1A1A1A", linewidth=1.2, zorder=6)
    xmin, ymin, xmax, ymax = layers["forces"].total_bounds
    pad = 0.03 * max(xmax - xmin, ymax - ymin)
    if roads:
        # the embedded mesh links are modelled straight lines, not roads: left off print maps
        drawn = layers["roads"][layers["roads"]["road_class"].isin(PRINTED_ROADS)]
        drawn = drawn.clip((xmin - pad, ymin - pad, xmax + pad, ymax + pad))
        for cls, group in drawn.groupby("road_class"):
            _, width, colour, z = ROAD_STYLE[str(cls)]
            group.plot(ax=ax, color=colour, linewidth=width, zorder=z)
    ax.set_xlim(xmin - pad, xmax + pad)
    ax.set_ylim(ymin - pad, ymax + pad)


def _north_arrow(ax: Axes) -> None:
    ax.annotate(
        "N", xy=(0.95, 0.97), xytext=(0.95, 0.89), xycoords="axes fraction",
        ha="center", va="center", fontsize=11, fontweight="bold",
        arrowprops={"facecolor": "black", "width": 3.5, "headwidth": 10, "headlength": 9},
        zorder=20,
    )  # fmt: skip


def _scale_bar(ax: Axes, km: int | None = None) -> None:
    """A black and white bar of ``km`` (``None``: a round length near a fifth of the width)."""
    xmin, xmax = ax.get_xlim()
    ymin, ymax = ax.get_ylim()
    if km is None:  # 20 km for an alliance, 100 km for England and Wales
        fifth = (xmax - xmin) / 5_000
        km = max([k for k in _SCALE_KM if k <= fifth], default=_SCALE_KM[0])
    length = km * 1000
    x0 = xmax - 0.04 * (xmax - xmin) - length
    y0 = ymin + 0.03 * (ymax - ymin)
    half = length / 2
    ax.fill([x0, x0 + half, x0 + half, x0], [y0, y0, y0 + 900, y0 + 900], "black", zorder=20)
    ax.fill(
        [x0 + half, x0 + length, x0 + length, x0 + half],
        [y0, y0, y0 + 900, y0 + 900], facecolor="white", edgecolor="black", linewidth=0.8,
        zorder=20,
    )  # fmt: skip
    for x, text in ((x0, "0"), (x0 + half, f"{km // 2}"), (x0 + length, f"{km} km")):
        ax.text(x, y0 + 1600, text, ha="center", va="bottom", fontsize=7.5, zorder=20)


#: Lengths a scale bar may have (km).
_SCALE_KM = (5, 10, 20, 50, 100, 200)


def _attribution(fig: Figure, data: ExportData) -> None:
    text = " ".join(data.attribution.values())
    wrapped = "\n".join(textwrap.wrap(text, width=210))
    fig.text(0.015, 0.008, wrapped, fontsize=5.6, color="#333333", va="bottom", ha="left")


def _site_markers(ax: Axes, data: ExportData, *, label_chosen: bool = True) -> list[Any]:
    """Candidate, current and chosen sites; returns legend handles."""
    from matplotlib.lines import Line2D  # noqa: PLC0415 (lazy: matplotlib is slow to import)

    sites = data.sites
    chosen = sites["role"].str.contains("chosen")
    current = sites["role"].str.contains("current")
    greenfield = sites["greenfield"].astype(bool)
    others = ~chosen & ~current
    handles = []
    if (others & ~greenfield).any():
        rows = sites[others & ~greenfield]
        ax.scatter(rows["x"], rows["y"], s=14, c=CANDIDATE, edgecolors="white", linewidths=0.4,
                   zorder=10)  # fmt: skip
        handles.append(Line2D([], [], marker="o", ls="", color=CANDIDATE, label="candidate site"))
    if (others & greenfield).any():
        rows = sites[others & greenfield]
        ax.scatter(rows["x"], rows["y"], s=3, c=CANDIDATE, marker="+", linewidths=0.4, zorder=9)
        handles.append(
            Line2D([], [], marker="+", ls="", color=CANDIDATE, label="greenfield grid point")
        )
    if current.any():
        rows = sites[current]
        # hollow and above the stars: a room kept by the proposal shows both marks
        ax.scatter(rows["x"], rows["y"], s=150, marker="s", facecolors="none",
                   edgecolors=CURRENT, linewidths=2.0, zorder=13)  # fmt: skip
        handles.append(
            Line2D([], [], marker="s", ls="", mfc="none", mec=CURRENT, mew=2, ms=9,
                   label="today's control room")
        )  # fmt: skip
    if chosen.any():
        rows = sites[chosen]
        ax.scatter(rows["x"], rows["y"], s=260, marker="*", c=CHOSEN, edgecolors="black",
                   linewidths=0.7, zorder=12)  # fmt: skip
        handles.append(
            Line2D([], [], marker="*", ls="", color=CHOSEN, mec="black", ms=14,
                   label="proposed control room")
        )  # fmt: skip
    # at national size (43 rooms today) naming today's rooms too would bury the proposal's names
    named_today = current & (int(current.sum()) <= _NAMED_ROOMS_TODAY)
    labelled = sites[chosen | named_today] if label_chosen else sites[named_today]
    _label_sites(ax, labelled, sites)
    return handles


#: Today's rooms are named on a map when there are at most this many (BCH: 3; national: 43).
_NAMED_ROOMS_TODAY = 12


def _label_sites(ax: Axes, rows: Any, sites: Any) -> None:
    """Name ``rows`` beside their markers, clear of each other and of the rooms' markers."""
    import matplotlib.patheffects as pe  # noqa: PLC0415 (lazy: matplotlib is slow to import)

    major, minor = _room_boxes(ax, sites)
    place_labels(
        ax, list(zip(rows["x"], rows["y"], strict=True)),
        [_short_name(str(name)) for name in rows["name"]],
        taken=[], markers=major, minor_markers=minor,
        fontsize=8, fontweight="bold", zorder=15,
        path_effects=[pe.withStroke(linewidth=2.5, foreground="white")],
    )  # fmt: skip


def _room_boxes(ax: Axes, sites: Any) -> tuple[list[Any], list[Any]]:
    """Display boxes of the rooms' markers: proposed rooms (and named rooms), then the others.

    Today's rooms are minor obstacles when there are too many to name (43 nationally): a label
    may cover one of them sooner than move far from its own point.
    """
    chosen = sites["role"].str.contains("chosen")
    current = sites["role"].str.contains("current")
    major = chosen | (current & (int(current.sum()) <= _NAMED_ROOMS_TODAY))
    minor = current & ~major
    return (
        marker_boxes(ax, sites.loc[major, "x"], sites.loc[major, "y"], _ROOM_MARKER_PT),
        marker_boxes(ax, sites.loc[minor, "x"], sites.loc[minor, "y"], _ROOM_MARKER_PT),
    )


#: Width of a room's marker (points): the star of ``s=260`` is about 16 pt across.
_ROOM_MARKER_PT = 16.0


def _short_name(name: str, width: int = 24) -> str:
    return "\n".join(textwrap.wrap(name, width=width)[:3])


def _place_names(ax: Axes, data: ExportData) -> Any:
    """District names at each district's population-weighted centre, so readers find places.

    Returns the legend handle that says what the grey names are.
    """
    import matplotlib.patheffects as pe  # noqa: PLC0415 (lazy: matplotlib is slow to import)
    from matplotlib.lines import Line2D  # noqa: PLC0415 (lazy: matplotlib is slow to import)

    lsoas = data.instance.dataset().lsoas()
    weight = lsoas[f"pop_mid{data.instance.data.population_year}"].fillna(0.0) + 1.0
    lsoas = lsoas.assign(w=weight, wx=lsoas["x"] * weight, wy=lsoas["y"] * weight)
    lsoas = lsoas.assign(wxx=lsoas["wx"] * lsoas["x"], wyy=lsoas["wy"] * lsoas["y"])
    centres = lsoas.groupby("lad_name")[["w", "wx", "wy", "wxx", "wyy"]].sum()
    # spread of the people around the centre: towns (compact) are named before rural districts
    spread = (centres["wxx"] + centres["wyy"]) / centres["w"] - (
        (centres["wx"] / centres["w"]) ** 2 + (centres["wy"] / centres["w"]) ** 2
    )
    major, minor = _room_boxes(ax, data.sites)
    named = centres.loc[spread.sort_values().index[:_MAX_PLACE_NAMES]]
    # a name goes at its centre or a line above or below it, clear of the rooms' names and
    # markers and of the names placed before it; else it is left off (the boundary shows it)
    place_labels(
        ax, list(zip(named["wx"] / named["w"], named["wy"] / named["w"], strict=True)),
        [_short_name(str(name), 16) for name in named.index],
        taken=[label_box(text) for text in ax.texts],
        markers=major, minor_markers=minor, optional=True, offsets_pt=_PLACE_NAME_OFFSETS_PT,
        fontsize=6.5, style="italic", color="#404040", zorder=8,
        path_effects=[pe.withStroke(linewidth=2.0, foreground="white")],
    )  # fmt: skip
    return Line2D([], [], ls="", marker="$Aa$", color="#404040", ms=9, label="district name")


#: Where a district name may go (points from its centre): on it, a line below, a line above.
_PLACE_NAME_OFFSETS_PT = ((0.0, 0.0), (0.0, -8.0), (0.0, 8.0))


#: District names tried on a map, most compact first (England and Wales has hundreds).
_MAX_PLACE_NAMES = 40


def _band_colours(n: int, cmap: str = "viridis") -> list[Any]:
    plt = _plt()
    colours = plt.get_cmap(cmap)(np.linspace(0.05, 0.95, n))
    return list(colours)


def _fill(
    ax: Axes, layer: gpd.GeoDataFrame, index: Any, colours: list[Any], *, alpha: float = 1.0
) -> None:
    """Fill LSOAs by class: each class is merged into one shape first (fast, small vectors)."""
    import geopandas as gpd  # noqa: PLC0415 (lazy: geopandas is slow to import)
    from matplotlib.colors import to_rgba  # noqa: PLC0415 (lazy: matplotlib is slow to import)

    merged = dissolve_classes(layer.geometry.to_numpy(), index)
    shapes = gpd.GeoSeries(list(merged.values()), crs=layer.crs)
    face = [to_rgba(colours[k], alpha=alpha) for k in merged]
    shapes.plot(ax=ax, color=face, linewidth=0, zorder=1)


def _time_bins(values: Any) -> tuple[Any, list[str]]:
    edges = np.asarray(TIME_EDGES, dtype=float)
    index = np.clip(np.digitize(values, edges[1:-1]), 0, len(edges) - 2)
    last = len(edges) - 2
    labels = [f"{edges[i]:.0f}–{edges[i + 1]:.0f} min" for i in range(last)]
    labels.append(f"{edges[last]:.0f}+ min")
    return index, labels


def _road_handles() -> list[Any]:
    from matplotlib.lines import Line2D  # noqa: PLC0415 (lazy: matplotlib is slow to import)

    seen: dict[str, Any] = {}
    for cls in ("motorway", "trunk"):
        label, width, colour, _ = ROAD_STYLE[cls]
        seen.setdefault(label, Line2D([], [], color=colour, lw=max(width, 0.6), label=label))
    return list(seen.values())


def _boundary_handles(data: ExportData) -> list[Any]:
    from matplotlib.lines import Line2D  # noqa: PLC0415 (lazy: matplotlib is slow to import)

    # Areas drawn from points (the national dataset) say so in the legend.
    note = " (approximate)" if data.instance.dataset().boundary_note else ""
    return [
        Line2D([], [], color="#1A1A1A", lw=1.2, label=f"force boundary{note}"),
        Line2D([], [], color="#9A9A9A", lw=0.5, label=f"district boundary{note}"),
    ]


def _key_figures(fig: Figure, data: ExportData) -> None:
    """The proposal's headline figures, under the legend (same numbers as the report)."""
    s = data.solution
    assert s is not None  # drawn only for a solution
    maps = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    right = max(ax.get_position().x1 for ax in maps)
    rooms = "room" if len(s.sites) == 1 else "rooms"
    named = (
        ": " + ", ".join(_short_name(site.name, 30) for site in s.sites)
        if len(s.sites) <= _NAMED_ROOMS_KEY
        else " (named on the map)"
    )
    lines = [
        f"{len(s.sites)} {rooms}{named}",
        f"posts {format_value(s.staff_impact.posts_fte, 'fte')} FTE "
        f"({format_value(s.total_fte, 'fte')} call handling)",
        f"cost {format_value(s.objective_gbp, 'gbp')} a year",
        f"today {format_value(data.result.baseline_gbp, 'gbp')} a year",
        f"saving {format_value(s.saving_gbp, 'gbp')} a year",
    ]
    fig.text(
        right + 0.015, 0.13, "\n".join(lines), fontsize=8.5, va="bottom", ha="left",
        bbox={"boxstyle": "round,pad=0.6", "facecolor": "#F3F6FA", "edgecolor": "#1F4E79"},
    )  # fmt: skip


#: Rooms the key figures name; more are named on the map only (11 names overflow the box).
_NAMED_ROOMS_KEY = 3


def _legend(fig: Figure, handles: list[Any], title: str, *, y: float = 0.5) -> None:
    """The legend, in the column right of the map panel(s)."""
    maps = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    for ax in maps:
        ax.apply_aspect()
    right = max(ax.get_position().x1 for ax in maps)
    legend = fig.legend(
        handles=handles, title=title, loc="center left", bbox_to_anchor=(right + 0.01, y),
        fontsize=8.5, title_fontsize=9.5, frameon=False, alignment="left",
    )  # fmt: skip
    legend.set_zorder(30)


def overview_map(data: ExportData, layers: dict[str, gpd.GeoDataFrame]) -> Figure:
    """Map 1: force areas, roads by class, drive-time bands and the sites."""
    from matplotlib.patches import Patch  # noqa: PLC0415 (lazy: matplotlib is slow to import)

    fig, (ax,) = _new_figure(plan_title(data))
    _frame(ax, layers)
    lsoa = layers["lsoa_results"]
    handles: list[Any] = []
    if data.chosen_ids:
        index, labels = _time_bins(lsoa["minutes_nearest"].to_numpy(float))
        colours = _band_colours(len(labels))
        _fill(ax, lsoa, index, colours)
        handles += [Patch(facecolor=c, label=lab) for lab, c in zip(labels, colours, strict=True)]
    handles += _site_markers(ax, data)
    handles.append(_place_names(ax, data))
    handles += _road_handles() + _boundary_handles(data)
    _legend(fig, handles, "Drive time to nearest proposed room", y=0.58)
    _key_figures(fig, data)
    _north_arrow(ax)
    _scale_bar(ax)
    _attribution(fig, data)
    ax.set_title(
        "Drive-time bands: LSOAs by free-flow drive time from their demand point", fontsize=9
    )
    return fig


def commute_map(data: ExportData, layers: dict[str, gpd.GeoDataFrame]) -> Figure:
    """Map 2: modelled change in today's staff's one-way commute, by home LSOA."""
    from matplotlib.patches import Patch  # noqa: PLC0415 (lazy: matplotlib is slow to import)

    fig, (ax,) = _new_figure("Staff commute change (modelled)")
    _frame(ax, layers, roads=False)
    lsoa = layers["lsoa_results"]
    living = lsoa["staff_living"].to_numpy(float)
    change = lsoa["commute_change_min"].to_numpy(float)
    # LSOAs where less than 0.05 FTE of today's staff live are shown as "few staff live here"
    shown = np.nan_to_num(living) >= 0.05
    edges = np.asarray(CHANGE_EDGES, dtype=float)
    index = np.clip(np.digitize(np.nan_to_num(change), edges[1:-1]), 0, len(edges) - 2)
    colours = _change_colours(edges)
    index = np.where(shown, index, len(colours))
    _fill(ax, lsoa, index, [*colours, "#C8C8C8"])
    labels = [f"{edges[i]:+.0f} to {edges[i + 1]:+.0f} min" for i in range(len(edges) - 1)]
    labels[0] = f"less than {edges[1]:+.0f} min"
    labels[-1] = f"more than {edges[-2]:+.0f} min"
    handles: list[Any] = [
        Patch(facecolor=c, label=lab) for lab, c in zip(labels, colours, strict=True)
    ]
    handles.append(Patch(facecolor="#C8C8C8", label="fewer than 0.05 FTE live here"))
    handles += _site_markers(ax, data)
    handles += _boundary_handles(data)
    impact = data.solution.staff_impact if data.solution is not None else None
    _legend(fig, handles, "Change in one-way drive time")
    ax.set_title(
        "Homes of today's staff: gravity model around today's rooms. Movers' extra commute: median "
        f"{impact.median_extra_minutes if impact else '–'} min, 90th percentile "
        f"{impact.p90_extra_minutes if impact else '–'} min",
        fontsize=8.5,
    )
    _north_arrow(ax)
    _scale_bar(ax)
    _attribution(fig, data)
    return fig


def _change_colours(edges: Any) -> list[Any]:
    """Diverging colours centred on no change: each class coloured at its midpoint."""
    import matplotlib as mpl  # noqa: PLC0415 (lazy: matplotlib is slow to import)

    middle = (np.asarray(edges[:-1]) + np.asarray(edges[1:])) / 2
    norm = mpl.colors.TwoSlopeNorm(vcenter=0.0, vmin=-40.0, vmax=60.0)
    cmap = _plt().get_cmap("PuOr_r")
    return [cmap(float(norm(m))) for m in middle]


def _grid_spacing(x: Any, y: Any) -> float:
    """The spacing of a regular grid of points (smallest positive coordinate step)."""
    steps = [np.diff(np.unique(v)) for v in (x, y)]
    positive = np.concatenate([s[s > 0] for s in steps])
    return float(positive.min()) if len(positive) else 5000.0


#: Opacity of a greenfield cell that breaks a constraint on the cost-surface map.
FADED = 0.3


def surface_label(point: SurfacePoint) -> str:
    """What a reader can find on a map: the building's name, or the district of a grid cell."""
    if not point.greenfield:
        return point.name
    _, found, district = point.name.rpartition(" in ")
    return f"new build in {district}" if found else "new build (grid cell)"


def cost_surface_map(data: ExportData, layers: dict[str, gpd.GeoDataFrame]) -> Figure | None:
    """Map 3: total cost a year of a single room at each candidate (``None`` without a surface)."""
    import matplotlib as mpl  # noqa: PLC0415 (lazy: matplotlib is slow to import)
    from matplotlib.lines import Line2D  # noqa: PLC0415 (lazy: matplotlib is slow to import)
    from matplotlib.patches import Patch, Rectangle  # noqa: PLC0415 (lazy: matplotlib is slow to import)

    surface = data.cost_surface
    if not surface:
        return None
    fig, (ax,) = _new_figure("Where the ideal single site would be: total cost a year")
    _frame(ax, layers, roads=True)
    x = np.array([p.easting for p in surface], dtype=float)
    y = np.array([p.northing for p in surface], dtype=float)
    cost = np.array([p.total_gbp for p in surface], dtype=float) / 1e6
    feasible = np.array([p.feasible for p in surface])
    greenfield = np.array([p.greenfield for p in surface])
    size = _grid_spacing(x[greenfield], y[greenfield]) if greenfield.sum() > 1 else 5000.0
    # the colour scale spans the grid's costs (the surface); buildings outside it are clipped
    scale = cost[greenfield] if greenfield.any() else cost
    norm = mpl.colors.Normalize(vmin=float(scale.min()), vmax=float(np.percentile(scale, 95)))
    cmap = _plt().get_cmap("cividis")
    for xi, yi, ci, ok, gf in zip(x, y, cost, feasible, greenfield, strict=True):
        if gf:  # a cell breaking a constraint is faded, not hatched: most cells can break one
            ax.add_patch(
                Rectangle((xi - size / 2, yi - size / 2), size, size, facecolor=cmap(norm(ci)),
                          alpha=1.0 if ok else FADED, edgecolor="white" if ok else "none",
                          linewidth=0.4, zorder=1)
            )  # fmt: skip
        else:
            ax.scatter([xi], [yi], s=40, color=cmap(norm(ci)), edgecolors="black",
                       linewidths=0.6, marker="o" if ok else "X", zorder=10)  # fmt: skip
    handles: list[Any] = []
    for mask, marker, colour, what in (
        (np.ones_like(feasible), "*", BEST, "cheapest feasible site"),
        (greenfield, "D", "#CC79A7", "cheapest feasible greenfield cell"),
    ):
        ranked = np.where(feasible & mask, cost, np.inf)
        if not np.isfinite(ranked).any():
            continue
        best = int(np.argmin(ranked))
        ax.scatter([x[best]], [y[best]], s=300 if marker == "*" else 110, marker=marker,
                   c=colour, edgecolors="black", linewidths=0.8, zorder=13)  # fmt: skip
        ax.annotate(
            f"{surface_label(surface[best])}\n£{cost[best]:.2f}M a year",
            (x[best], y[best]), xytext=(10, -22 if marker == "*" else 10),
            textcoords="offset points", fontsize=8, fontweight="bold", zorder=15,
            bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.85, "lw": 0.4},
        )  # fmt: skip
        handles.append(
            Line2D([], [], marker=marker, ls="", color=colour, mec="black",
                   ms=14 if marker == "*" else 9, label=what)
        )  # fmt: skip
    handles += [
        Patch(facecolor=cmap(0.5), label="greenfield cell meeting every constraint (£ a year)"),
        Patch(facecolor=cmap(0.5), alpha=FADED, label="greenfield cell breaking a constraint"),
        Line2D([], [], marker="o", ls="", color=cmap(0.5), mec="black", label="existing building"),
        Line2D([], [], marker="X", ls="", color=cmap(0.5), mec="black",
               label="existing building, breaks a constraint"),
    ]  # fmt: skip
    handles += _boundary_handles(data)
    _legend(fig, handles, "Single room priced at each candidate", y=0.3)
    bar_axes = fig.add_axes((0.66, 0.62, 0.018, 0.28), label="<colorbar>")
    colorbar = fig.colorbar(
        mpl.cm.ScalarMappable(norm=norm, cmap=cmap), cax=bar_axes, extend="both"
    )
    colorbar.set_label("total cost a year, £ million", fontsize=8)
    colorbar.ax.tick_params(labelsize=7)
    ax.set_title("Each candidate priced as the only room (staff, sites, seats, ICT, transition)",
                 fontsize=9)  # fmt: skip
    _north_arrow(ax)
    _scale_bar(ax)
    _attribution(fig, data)
    return fig


def today_vs_proposal_map(data: ExportData, layers: dict[str, gpd.GeoDataFrame]) -> Figure:
    """Map 4: drive time from each LSOA to its force's control room, today and proposed."""
    from matplotlib.patches import Patch  # noqa: PLC0415 (lazy: matplotlib is slow to import)

    fig, axes = _new_figure("Today and the proposal: drive time to the control room", panels=2)
    lsoa = layers["lsoa_results"]
    s = data.solution
    # pooled over several rooms the "main" room of every force is the largest one (Birmingham
    # for all 43 forces nationally): the nearest room is the comparison that means something
    pooled = s is not None and s.routing == "pooled" and len(s.sites) > 1
    proposal = (
        "Proposal: the nearest room (calls pooled over "
        + ("both" if len(s.sites) == 2 else f"all {len(s.sites)}")
        + ")"
        if pooled and s is not None
        else "Proposal: the room answering most of its calls"
    )
    titles = ("Today: each force's own room", proposal)
    columns = ("minutes_today", "minutes_nearest" if pooled else "minutes_main_room")
    handles: dict[str, Any] = {}
    for ax, column, title, current_only in zip(axes, columns, titles, (True, False), strict=True):
        _frame(ax, layers, roads=False)
        index, labels = _time_bins(lsoa[column].to_numpy(float))
        colours = _band_colours(len(labels))
        _fill(ax, lsoa, index, colours)
        ax.set_title(title, fontsize=10)
        sites = data.sites
        role = "current" if current_only else "chosen"
        view = _view_with(data, sites["role"].str.contains(role), role)
        for handle in _site_markers(ax, view):
            handles.setdefault(handle.get_label(), handle)
        _north_arrow(ax)
        _scale_bar(ax)
    bands = [Patch(facecolor=c, label=lab) for lab, c in zip(labels, colours, strict=True)]
    _legend(fig, [*bands, *handles.values()], "Drive time to the\ncontrol room")
    _attribution(fig, data)
    return fig


def _view_with(data: ExportData, keep: Any, role: str) -> ExportData:
    """The same export data with only some sites, all shown in one role (one panel's markers)."""
    return replace(data, sites=data.sites[keep].assign(role=role).reset_index(drop=True))


def map_figures(data: ExportData, layers: dict[str, gpd.GeoDataFrame]) -> dict[str, Figure]:
    """Return the maps that apply to a solution (no sites: none; no surface: no cost map).

    Texts are drawn as written: a ``$`` in a site name is not mathtext (an unclosed fraction
    would stop the drawing).
    """
    import matplotlib as mpl  # noqa: PLC0415 (lazy: matplotlib is slow to import)

    with mpl.rc_context({"text.parse_math": False}):
        return _map_figures(data, layers)


def _map_figures(data: ExportData, layers: dict[str, gpd.GeoDataFrame]) -> dict[str, Figure]:
    figures: dict[str, Figure] = {}
    if data.chosen_ids:
        figures["overview"] = overview_map(data, layers)
        figures["commute"] = commute_map(data, layers)
    surface = cost_surface_map(data, layers)
    if surface is not None:
        figures["cost_surface"] = surface
    if data.chosen_ids:
        figures["today_vs_proposal"] = today_vs_proposal_map(data, layers)
    return figures


def _downscaled_png(png: bytes, factor: float) -> bytes:
    """The same picture at ``factor`` of its size (for the reports; no second rendering)."""
    from PIL import Image  # noqa: PLC0415 (lazy: PIL is slow to import)

    with Image.open(io.BytesIO(png)) as image:
        size = (round(image.width * factor), round(image.height * factor))
        small = image.convert("RGB").resize(size, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    small.save(out, format="PNG", compress_level=2)
    return out.getvalue()


def render_maps(data: ExportData, folder: Path | None, *, embed: bool = True) -> dict[str, bytes]:
    """Draw the maps; write PNG (300 dpi), PDF and SVG into ``folder`` when given.

    Returns each map as a smaller PNG for embedding in the HTML and PDF reports (empty when
    ``embed`` is false).
    """
    plt = _plt()
    layers = _layers(data)
    embedded: dict[str, bytes] = {}
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    metadata = {"Creator": "siteopt"}
    for key, fig in map_figures(data, layers).items():
        try:
            if folder is not None:
                buffer = io.BytesIO()
                fig.savefig(
                    buffer,
                    format="png",
                    dpi=PNG_DPI,
                    metadata={"Software": "siteopt"},
                    pil_kwargs={"compress_level": 2},
                )
                (folder / f"{key}.png").write_bytes(buffer.getvalue())
                fig.savefig(folder / f"{key}.pdf", metadata=metadata)
                fig.savefig(folder / f"{key}.svg", metadata={"Creator": "siteopt"})
                if embed:
                    embedded[key] = _downscaled_png(buffer.getvalue(), EMBED_DPI / PNG_DPI)
            elif embed:
                buffer = io.BytesIO()
                fig.savefig(buffer, format="png", dpi=EMBED_DPI)
                embedded[key] = buffer.getvalue()
        finally:
            plt.close(fig)
    return embedded

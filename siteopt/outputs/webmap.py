"""Offline interactive map: one HTML file with Plotly's JavaScript inlined, no tiles, no CDN.

The basemap is drawn from the embedded data (force and district boundaries, roads by class), in
EPSG:27700 metres on plain axes, so nothing is fetched: the page works on a network with no
internet. Each layer is a legend entry that toggles it; LSOAs are filled by drive-time band and,
like the sites, show their figures on hover (at their demand points); a second chart compares
the appraised options.

A small inline script writes what rendered into a hidden ``<div id="siteopt-status">`` (number of
site markers drawn, JavaScript errors caught) so a headless browser can check the page.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np

from siteopt.outputs.data import BAND_EDGES, COST_LABELS, plan_title
from siteopt.outputs.gis import dissolve_classes

if TYPE_CHECKING:
    import geopandas as gpd

    from siteopt.optimise.solution import SiteResult
    from siteopt.outputs.data import ExportData

__all__ = ["SITE_TRACE_NAMES", "webmap_html"]


#: Legend names of the site traces (the status script counts their markers).
SITE_TRACE_NAMES: tuple[str, ...] = ("proposed room", "today's room", "candidate site")


_STATUS_SCRIPT = """
<script>
(function () {
  var errors = [];
  window.addEventListener("error", function (e) { errors.push(String(e.message)); });
  function report() {
    var status = document.getElementById("siteopt-status");
    var map = document.getElementById("siteopt-map");
    var count = 0;
    if (map) {
      /* site traces carry uids "siteopt-site-*": Plotly names their groups "trace<uid>" */
      map.querySelectorAll(".scatterlayer g.trace").forEach(function (group) {
        if (group.getAttribute("class").indexOf("tracesiteopt-site-") >= 0) {
          count += group.querySelectorAll("path.point").length;
        }
      });
    }
    status.setAttribute("data-site-markers", String(count));
    status.setAttribute("data-errors", String(errors.length));
    status.setAttribute("data-error-text", errors.join(" | "));
    status.textContent = count + " site markers drawn";
  }
  window.addEventListener("load", function () { setTimeout(report, 0); });
})();
</script>
"""


def _lines(geoms: Any) -> tuple[Any, Any]:
    """Coordinates of line or polygon boundaries, separated by NaN gaps (one Plotly trace)."""
    import shapely  # noqa: PLC0415 (lazy: shapely is slow to import)

    values = np.asarray(geoms)
    polygon = np.array([g.geom_type.endswith("Polygon") for g in values], dtype=bool)
    values = np.where(polygon, shapely.boundary(values), values)
    lines = shapely.get_parts(shapely.get_parts(values))
    coords, index = shapely.get_coordinates(lines, return_index=True)
    # a NaN row after each line breaks the trace there
    breaks = np.flatnonzero(np.diff(index)) + 1
    xy = np.insert(coords.round(0), breaks, np.nan, axis=0)
    xy = np.vstack([xy, [np.nan, np.nan]]).astype(np.float32)
    return xy[:, 0], xy[:, 1]


def _site_hover(row: Any, open_rooms: dict[str, SiteResult]) -> str:
    text = f"<b>{row['name']}</b><br>{row['id']} · {row['force_area']}<br>{row['role']}"
    room = open_rooms.get(row["id"])
    if room is not None:
        text += (
            f"<br>{room.fte:,.2f} FTE · {room.seats} seats · peak {room.peak_agents} "
            f"agents<br>answers {row['answers']}: {row['calls_per_year']:,.0f} calls a year"
        )
    return text


def _map_figure(data: ExportData, layers: dict[str, gpd.GeoDataFrame]) -> Any:
    import plotly.graph_objects as go  # noqa: PLC0415 (lazy: plotly is slow to import)

    fig = go.Figure()
    for name, layer, colour, width in (
        ("district boundaries", layers["districts"], "#9A9A9A", 0.8),
        ("force boundaries", layers["forces"], "#1A1A1A", 2.0),
    ):
        xs, ys = _lines(layer.geometry)
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name=name, hoverinfo="skip",
                                 line={"color": colour, "width": width}))  # fmt: skip
    roads = layers["roads"]
    for label, classes, colour, width, visible in (
        ("motorways", ("motorway",), "#3B3B3B", 2.5, True),
        ("trunk (A) roads", ("trunk", "primary"), "#5E5E5E", 1.6, True),
        ("modelled local links", ("local_urban", "local_rural"), "#C8C8C8", 0.5, "legendonly"),
    ):
        chosen = roads[roads["road_class"].isin(classes)]
        if len(chosen):
            xs, ys = _lines(chosen.geometry)
            fig.add_trace(
                go.Scatter(x=xs, y=ys, mode="lines", name=label, hoverinfo="skip",
                           visible=visible, line={"color": colour, "width": width})
            )  # fmt: skip
    lsoa = data.lsoas
    if data.chosen_ids:
        minutes = lsoa["minutes_nearest"]
        title = "min to nearest proposed room"
    else:
        minutes = lsoa["minutes_today"]
        title = "min to today's room"
    _band_areas(fig, layers["lsoa_results"], minutes.to_numpy(float), title)
    _lsoa_hover_traces(fig, data)
    _site_traces(fig, data)
    xmin, ymin, xmax, ymax = layers["forces"].total_bounds
    pad = 0.03 * max(xmax - xmin, ymax - ymin)
    fig.update_xaxes(range=[xmin - pad, xmax + pad])
    fig.update_yaxes(range=[ymin - pad, ymax + pad])
    fig.update_layout(
        title=f"{plan_title(data)}: {title.replace('min', 'drive time', 1)} "
        "(click a legend entry to show or hide a layer)",
        height=820, template="plotly_white", hovermode="closest",
        legend={"itemclick": "toggle", "groupclick": "toggleitem", "x": 0, "y": 1,
                "bgcolor": "rgba(255,255,255,0.85)"},
        xaxis={"visible": False}, yaxis={"visible": False, "scaleanchor": "x", "scaleratio": 1},
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
    )  # fmt: skip
    return fig


#: What the hover box of an LSOA shows: its own figures (``customdata``) and what is the same
#: for every LSOA of its force (``{force}``, ``{answered}``, ``{main}``, filled in per force).
_LSOA_HOVER = (
    "<b>%{customdata[0]}</b> (%{customdata[1]})<br>%{customdata[2]}, {force}<br>"
    "population %{customdata[3]:,} · %{customdata[4]:,.0f} calls a year<br>"
)


_PLAN_HOVER = (
    "{answered}<br>room answering most: {main}: %{customdata[5]:.1f} min<br>"
    "nearest open room %{customdata[6]}: %{customdata[7]:.1f} min<br>"
    "today's room: %{customdata[8]:.1f} min<br>"
    "staff commute change %{customdata[9]:+.1f} min<extra></extra>"
)


def _lsoa_hover_traces(fig: Any, data: ExportData) -> None:
    """Invisible markers at the LSOAs' demand points that show their figures on hover.

    One trace per force: what all its LSOAs share (the force, who answers its calls) is written
    once in the trace's hover template, and each LSOA carries only its own figures, so a
    national map (34,753 LSOAs) does not repeat the 11-room split in every point.
    """
    import plotly.graph_objects as go  # noqa: PLC0415 (lazy: plotly is slow to import)

    names = dict(zip(data.sites["id"], data.sites["name"], strict=True))
    solution = data.solution if data.chosen_ids else None
    columns = ["lsoa11nm", "lsoa11cd", "lad_name", "population", "calls_per_year"]
    columns += (
        ["minutes_main_room", "nearest_site", "minutes_nearest", "minutes_today",
         "commute_change_min"]
        if solution is not None
        else ["minutes_today"]
    )  # fmt: skip
    for force, rows in data.lsoas.groupby("force", sort=False):
        custom = rows[columns].copy()
        if solution is not None:
            custom["nearest_site"] = custom["nearest_site"].map(names)
            shares = solution.allocation.force_shares(str(force))
            main = names[solution.allocation.main_room(str(force))]
            template = (
                (_LSOA_HOVER + _PLAN_HOVER)
                .replace("{answered}", _answered_by(shares, names))
                .replace("{main}", _template_text(main))
            )
        else:
            template = _LSOA_HOVER + "today's room: %{customdata[5]:.1f} min<extra></extra>"
        known = data.instance.forces.get(str(force))
        force_name = known.name if known is not None else str(force)
        fig.add_trace(
            go.Scatter(
                x=rows["x"].to_numpy(np.float32), y=rows["y"].to_numpy(np.float32),
                mode="markers", name="LSOA details (hover)", showlegend=False,
                customdata=custom.to_numpy(object),
                hovertemplate=template.replace("{force}", _template_text(force_name)),
                marker={"size": 7, "color": "rgba(0,0,0,0)"},  # invisible: areas show the bands
            )
        )  # fmt: skip


def _answered_by(shares: dict[str, float], names: dict[str, str]) -> str:
    """Who answers a force's calls (hover template text), one room a line, largest share first."""
    if len(shares) == 1:
        return f"answered by {_template_text(names[next(iter(shares))])}"
    ranked = sorted(shares.items(), key=lambda item: -item[1])
    lines = "".join(
        f"<br>  {_template_text(names[site])} {100 * share:.1f} %" for site, share in ranked
    )
    return f"calls pooled over {len(shares)} rooms:{lines}"


def _template_text(text: str) -> str:
    """``text`` as literal text of a Plotly hover template (no ``{``: ``%{`` starts a field)."""
    return escape(text, quote=False).replace("{", "&#123;")


def _band_areas(fig: Any, lsoas: gpd.GeoDataFrame, minutes: Any, title: str) -> None:
    """LSOAs filled by drive-time band: one trace per band (the LSOAs of a band merged)."""
    import matplotlib as mpl  # noqa: PLC0415 (lazy: matplotlib is slow to import)
    import plotly.graph_objects as go  # noqa: PLC0415 (lazy: plotly is slow to import)
    import shapely  # noqa: PLC0415 (lazy: shapely is slow to import)

    band = np.clip(np.digitize(minutes, BAND_EDGES[1:-1]), 0, len(BAND_EDGES) - 2)
    colours = mpl.colormaps["viridis"](np.linspace(0.05, 0.95, len(BAND_EDGES) - 1))
    for k, shape in dissolve_classes(lsoas.geometry.to_numpy(), band).items():
        rings = [
            np.asarray(polygon.exterior.coords)
            for polygon in shapely.get_parts(shape)
            if polygon.geom_type == "Polygon"
        ]
        xy = np.vstack([np.vstack([ring.round(0), [np.nan, np.nan]]) for ring in rings])
        xy = xy.astype(np.float32)  # sent as 4-byte floats: 0.125 m steps at 1,300 km north
        low, high = BAND_EDGES[k], BAND_EDGES[k + 1]
        label = f"{low:.0f}–{high:.0f} min" if np.isfinite(high) else f"{low:.0f}+ min"
        r, g, b, _ = (int(255 * c) for c in colours[k])
        fig.add_trace(
            go.Scatter(
                x=xy[:, 0], y=xy[:, 1], mode="lines", fill="toself", name=label,
                legendgroup="bands", legendgrouptitle={"text": title}, hoverinfo="skip",
                fillcolor=f"rgba({r},{g},{b},0.75)", line={"width": 0},
            )
        )  # fmt: skip


def _site_traces(fig: Any, data: ExportData) -> None:
    import plotly.graph_objects as go  # noqa: PLC0415 (lazy: plotly is slow to import)

    sites = data.sites
    open_rooms = {s.id: s for s in data.solution.sites} if data.solution is not None else {}
    chosen = sites["role"].str.contains("chosen")
    current = sites["role"].str.contains("current") & ~chosen
    groups = (
        (SITE_TRACE_NAMES[0], chosen, "star", 20, "#D55E00"),
        (SITE_TRACE_NAMES[1], current, "square-open", 13, "#0072B2"),
        (SITE_TRACE_NAMES[2], sites["role"] == "candidate", "circle", 7, "#7F7F7F"),
    )  # fmt: skip
    for number, (name, mask, symbol, size, colour) in enumerate(groups):
        rows = sites[mask]
        if not len(rows):
            continue
        fig.add_trace(
            go.Scatter(
                x=rows["x"], y=rows["y"], mode="markers", name=name, uid=f"siteopt-site-{number}",
                text=[_site_hover(r, open_rooms) for _, r in rows.iterrows()], hoverinfo="text",
                marker={"symbol": symbol, "size": size, "color": colour,
                        "line": {"width": 1.5 if symbol != "square-open" else 2.5,
                                 "color": "black" if symbol == "star" else colour}},
            )
        )  # fmt: skip


def _options_figure(data: ExportData) -> Any:
    import plotly.graph_objects as go  # noqa: PLC0415 (lazy: plotly is slow to import)

    options = data.ranked_options
    baseline = data.result.baseline_gbp
    labels = [
        f"{i}. {_option_sites(o.sites)}" + ("" if o.feasible else f" (fails {', '.join(o.failed)})")
        for i, o in enumerate(options, start=1)
    ]
    every_site = [_template_text(" + ".join(o.sites)) for o in options]
    fig = go.Figure()
    for key in COST_LABELS:
        fig.add_trace(
            go.Bar(
                y=labels, x=[o.costs.get(key, 0.0) for o in options], name=key,
                orientation="h", customdata=every_site,
                hovertemplate="%{customdata}<br>" + key + ": £%{x:,.0f}<extra></extra>",
            )
        )  # fmt: skip
    fig.add_vline(x=baseline, line_dash="dash", line_color="#0072B2",
                  annotation_text=f"today £{baseline:,.0f}")  # fmt: skip
    fig.update_layout(
        barmode="stack", title="Option comparison: cost a year by component (rank 1 = proposal)",
        height=120 + 34 * len(options), template="plotly_white",
        yaxis={"autorange": "reversed"}, xaxis={"title": "£ a year", "tickformat": ",.0f"},
        colorway=["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00"],
        margin={"l": 10, "r": 10, "t": 50, "b": 40},
    )  # fmt: skip
    return fig


def _option_sites(sites: tuple[str, ...]) -> str:
    """An option's rooms for a bar label: all of up to three, else the first two and a count.

    Eleven site ids in one label (a national plan) squeezed the bars to a sliver; the hover box
    still names every room.
    """
    if len(sites) <= _NAMED_OPTION_SITES:
        return " + ".join(sites)
    return f"{len(sites)} rooms: {' + '.join(sites[:2])} + {len(sites) - 2} more"


#: Rooms an option's bar label names in full.
_NAMED_OPTION_SITES = 3


def webmap_html(
    data: ExportData, layers: dict[str, gpd.GeoDataFrame], *, plotly_src: str | None = None
) -> str:
    """Return the offline interactive map as one HTML document.

    Plotly's JavaScript is inlined; with ``plotly_src`` (a URL, e.g. the copy ``siteopt serve``
    serves from the package) the page loads it from there instead.
    """
    config = {"displaylogo": False, "responsive": True}
    map_div = _map_figure(data, layers).to_html(
        full_html=False,
        include_plotlyjs=plotly_src if plotly_src is not None else True,
        div_id="siteopt-map",
        config=config,
    )
    options_div = _options_figure(data).to_html(
        full_html=False, include_plotlyjs=False, div_id="siteopt-options", config=config
    )
    attribution = " ".join(data.attribution.values())
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>siteopt map: {escape(plan_title(data))}</title>",
            "<style>body{font-family:Arial,sans-serif;margin:1em}"
            "#siteopt-status{display:none}"
            "footer{font-size:.75em;color:#444;margin-top:1em}</style>",
            "</head><body>",
            map_div,
            options_div,
            f"<footer><p>Travel times: {escape(data.result.travel_times)}</p>"
            f"<p>{escape(attribution)}</p></footer>",
            '<div id="siteopt-status"></div>',
            _STATUS_SCRIPT,
            "</body></html>",
        ]
    )

"""Tests for siteopt/outputs/maps.py: which maps are drawn, their files, what every map carries."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from siteopt.optimise.solution import SurfacePoint
from siteopt.outputs.data import ExportData, export_data
from siteopt.outputs.gis import gis_layers
from siteopt.outputs.maps import (
    EMBED_DPI,
    FADED,
    PNG_DPI,
    cost_surface_map,
    map_figures,
    render_maps,
)
from tests.conftest import without_solution


def hand_made_surface(data: ExportData) -> tuple[SurfacePoint, ...]:
    """A cost surface: a 5 km grid plus the candidates.

    The totals are a test input (a bowl around the chosen room), not a modelled figure.
    """
    chosen = data.sites[data.sites["role"].str.contains("chosen")].iloc[0]
    points = []
    for e in np.arange(chosen["x"] - 20_000, chosen["x"] + 20_001, 5_000):
        for n in np.arange(chosen["y"] - 20_000, chosen["y"] + 20_001, 5_000):
            distance = float(np.hypot(e - chosen["x"], n - chosen["y"]))
            name = f"greenfield site at grid {e / 1000:g}-{n / 1000:g} km in Bedford"
            points.append(
                SurfacePoint(id=f"gf-{e / 1000:g}-{n / 1000:g}", name=name, easting=float(e),
                             northing=float(n),
                             total_gbp=1e6 + 10 * distance, feasible=distance < 15_000,
                             greenfield=True)
            )  # fmt: skip
    for _, site in data.sites.iterrows():
        points.append(
            SurfacePoint(id=site["id"], name=site["name"], easting=site["x"],
                         northing=site["y"], total_gbp=1.1e6, feasible=True, greenfield=False)
        )  # fmt: skip
    return tuple(points)


def with_surface(data: ExportData, surface: tuple[SurfacePoint, ...]) -> ExportData:
    """The same export data, its result carrying ``surface`` as its cost surface."""
    return replace(data, result=replace(data.result, cost_surface=surface))


def _texts(fig: Any) -> str:
    found = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        found += [t.get_text() for t in ax.texts]
        found.append(ax.get_title())
    for legend in fig.legends:
        found += [t.get_text() for t in legend.get_texts()]
        found.append(legend.get_title().get_text())
    return "\n".join(found)


def test_a_solved_run_without_a_surface_draws_three_maps(toy_data: ExportData) -> None:
    """Overview, commute and today-vs-proposal; no cost surface without greenfield points."""
    import matplotlib.pyplot as plt

    figures = map_figures(toy_data, gis_layers(toy_data))
    try:
        assert list(figures) == ["overview", "commute", "today_vs_proposal"]
        assert cost_surface_map(toy_data, gis_layers(toy_data)) is None
    finally:
        for fig in figures.values():
            plt.close(fig)


def test_every_map_has_title_legend_scale_north_arrow_and_attribution(
    toy_data: ExportData,
) -> None:
    """Each map names itself and carries the legend, scale bar, north arrow and licences."""
    import matplotlib.pyplot as plt

    data = with_surface(toy_data, hand_made_surface(toy_data))
    figures = map_figures(data, gis_layers(data))
    try:
        assert set(figures) == {"overview", "commute", "cost_surface", "today_vs_proposal"}
        for key, fig in figures.items():
            text = _texts(fig)
            assert fig.get_suptitle(), key
            assert fig.legends, f"{key}: no legend"
            assert "km" in text and "N" in text, key
            assert "Crown copyright" in text and "OpenStreetMap" in text, key
    finally:
        for fig in figures.values():
            plt.close(fig)


def test_cost_surface_map_marks_the_cheapest_feasible_cell(toy_data: ExportData) -> None:
    """The best feasible grid cell is labelled by its district (not "gf-522_5-272_5") and
    cost; cells breaking a constraint are faded, not hatched (#18 item 4)."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    surface = hand_made_surface(toy_data)
    data = with_surface(toy_data, surface)
    fig = cost_surface_map(data, gis_layers(data))
    assert fig is not None
    try:
        grid = [p for p in surface if p.greenfield and p.feasible]
        best = min(grid, key=lambda p: p.total_gbp)
        text = _texts(fig)
        assert f"new build in Bedford\n£{best.total_gbp / 1e6:.2f}M a year" in text
        assert "gf-" not in text
        cells = [p for p in fig.axes[0].patches if isinstance(p, Rectangle)]
        assert len(cells) == sum(p.greenfield for p in surface)
        assert not [p for p in cells if p.get_hatch()]
        faded = [p for p in cells if p.get_alpha() == FADED]
        assert len(faded) == sum(p.greenfield and not p.feasible for p in surface)
    finally:
        plt.close(fig)


def test_render_maps_writes_png_at_300_dpi_pdf_and_svg(
    toy_data: ExportData, tmp_path: Path
) -> None:
    """Each map is written as a 300 dpi PNG, a PDF and an SVG; smaller PNGs are embedded."""
    from PIL import Image

    embedded = render_maps(toy_data, tmp_path, embed=True)
    assert set(embedded) == {"overview", "commute", "today_vs_proposal"}
    for key in embedded:
        with Image.open(tmp_path / f"{key}.png") as image:
            assert image.info["dpi"] == pytest.approx((PNG_DPI, PNG_DPI), abs=0.5)
            full_width = image.width
        assert (tmp_path / f"{key}.pdf").read_bytes().startswith(b"%PDF")
        assert b"<svg" in (tmp_path / f"{key}.svg").read_bytes()[:2000]
        with Image.open(__import__("io").BytesIO(embedded[key])) as small:
            assert small.width == round(full_width * EMBED_DPI / PNG_DPI)


def test_an_infeasible_solution_draws_no_proposal_maps(toy_data: ExportData) -> None:
    """With no open room there is nothing to propose: no overview, commute or comparison."""
    data = export_data(without_solution(toy_data.result))
    assert map_figures(data, gis_layers(data)) == {}


def test_overview_names_places_and_keeps_todays_room_visible(toy_data: ExportData) -> None:
    """District names are written on the overview; today's rooms are drawn above the stars."""
    figure = map_figures(toy_data, gis_layers(toy_data))["overview"]
    ax = figure.axes[0]
    texts = {t.get_text().replace("\n", " ") for t in ax.texts}
    districts = set(toy_data.instance.dataset().lsoas()["lad_name"])
    assert texts & districts  # at least one district named (the rest may not fit)
    markers = {c.get_zorder(): c for c in ax.collections if np.asarray(c.get_offsets()).shape[0]}
    squares = [z for z, c in markers.items() if np.asarray(c.get_facecolor()).size == 0]
    assert squares and max(squares) > 12  # hollow squares above the proposal stars (zorder 12)
    key = " ".join(t.get_text() for t in figure.texts)
    assert "posts" in key and "room(s)" not in key


def test_overview_title_says_what_the_plan_is_not_the_instance_name(toy_data: ExportData) -> None:
    """The title counts the plan's rooms, the forces and today's rooms; an instance named for
    its question ("k regional control rooms") does not leak into it (#natout item 2)."""
    import matplotlib.pyplot as plt

    from siteopt.outputs.data import plan_title

    data = replace(toy_data, result=replace(toy_data.result, instance_name="E&W: k rooms"))
    rooms = len(data.chosen_ids)
    forces = len(data.instance.forces)
    today = len(set(data.current_ids))
    noun = "control room" if rooms == 1 else "control rooms"
    assert plan_title(data) == (f"Proposal: {rooms} {noun} for {forces} forces ({today} today)")
    figures = map_figures(data, gis_layers(data))
    try:
        title = figures["overview"].get_suptitle()
        assert title == plan_title(data)
        assert "k rooms" not in title
    finally:
        for fig in figures.values():
            plt.close(fig)
    assert plan_title(export_data(without_solution(data.result))) == (
        f"Today: {today} control rooms for {forces} forces"
    )


def test_room_names_on_the_maps_do_not_overlap(toy_data: ExportData) -> None:
    """On every map panel the rooms' names (bold labels) share no area with each other."""
    import matplotlib.pyplot as plt

    from siteopt.outputs.labels import label_box
    from tests.outputs.test_labels import overlapping_pairs

    figures = map_figures(toy_data, gis_layers(toy_data))
    try:
        for key, fig in figures.items():
            for ax in fig.axes:
                boxes = [label_box(t, pad_pt=0) for t in ax.texts if t.get_text().strip()]
                assert overlapping_pairs(boxes) == [], key
    finally:
        for fig in figures.values():
            plt.close(fig)

"""Tests for siteopt/outputs/webmap.py: one offline HTML file, checked in a headless browser."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from siteopt.outputs.data import ExportData
from siteopt.outputs.gis import gis_layers
from siteopt.outputs.webmap import webmap_html

CHROMIUM = "/usr/bin/chromium"

# networking off: every host resolves to nothing and any proxied request goes nowhere
OFFLINE_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--proxy-server=127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--enable-logging=stderr",
    "--v=0",
    "--virtual-time-budget=15000",
)


@pytest.fixture(scope="module")
def page(toy_data: ExportData, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The toy solution's offline map written to a file."""
    path = tmp_path_factory.mktemp("webmap") / "map.html"
    path.write_text(webmap_html(toy_data, gis_layers(toy_data)), encoding="utf-8")
    return path


def chromium() -> str:
    """The Chromium binary; skipped outside CI when absent (CI installs it in .ci/run)."""
    if Path(CHROMIUM).exists():
        return CHROMIUM
    found = shutil.which("chromium")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed but CI must run the browser test (.ci/run)")
    pytest.skip("chromium is not installed (apt-get install chromium); CI runs this test")


def run_chromium(*args: str) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium offline with the given extra arguments."""
    return subprocess.run(
        [chromium(), *OFFLINE_FLAGS, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "HOME": os.environ.get("HOME", "/tmp")},
    )


def test_page_loads_nothing_from_outside(page: Path) -> None:
    """No script, stylesheet, image or font is fetched: everything is inline."""
    html = page.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link[^>]+href=", html)
    assert not re.search(r"<img[^>]+src=[\"']https?:", html)
    assert "plotly" in html.lower() and len(html) > 1_000_000  # the bundle itself is inline
    assert "Crown copyright" in html


def test_page_renders_offline_with_every_site_marker_and_no_console_error(
    page: Path, toy_data: ExportData, tmp_path: Path
) -> None:
    """Headless Chromium with networking off draws one marker per site and logs no error."""
    result = run_chromium("--dump-dom", page.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    status = re.search(r'id="siteopt-status"([^>]*)>', result.stdout)
    assert status is not None, "the page's status element is missing: the page did not run"
    attributes = dict(re.findall(r'([\w-]+)="([^"]*)"', status.group(1)))
    assert attributes["data-errors"] == "0", attributes.get("data-error-text")
    assert int(attributes["data-site-markers"]) == len(toy_data.sites)
    console = [line for line in result.stderr.splitlines() if ":CONSOLE" in line]
    assert console == []
    assert result.stdout.count('class="legendtoggle"') >= 6  # each layer can be switched off
    shot = tmp_path / "webmap.png"
    taken = run_chromium(f"--screenshot={shot}", "--window-size=1400,1700", page.as_uri())
    assert taken.returncode == 0 and shot.stat().st_size > 10_000
    print(f"webmap screenshot: {shot}")


def test_lsoas_are_areas_by_band_and_the_page_shows_no_debug_text(
    toy_data: ExportData, page: Path
) -> None:
    """Filled drive-time bands (not dots); the status line is hidden; no projection jargon."""
    from siteopt.outputs.gis import gis_layers
    from siteopt.outputs.webmap import _map_figure

    figure = _map_figure(toy_data, gis_layers(toy_data))
    filled = [t for t in figure.data if t.fill == "toself"]
    assert filled and all(t.legendgroup == "bands" for t in filled)
    assert "EPSG" not in figure.layout.title.text
    html = page.read_text(encoding="utf-8")
    assert "#siteopt-status{display:none}" in html


def test_lsoa_hover_names_every_lsoa_once_with_its_force_written_once(
    toy_data: ExportData,
) -> None:
    """Each LSOA is one hover point; what its force shares (the force's name, who answers its
    calls, by room name) is in the trace's template, not repeated in every point."""
    from siteopt.outputs.webmap import _map_figure

    figure = _map_figure(toy_data, gis_layers(toy_data))
    hover = [t for t in figure.data if t.name == "LSOA details (hover)"]
    codes = [row[1] for t in hover for row in t.customdata]
    assert sorted(codes) == sorted(toy_data.lsoas["lsoa11cd"])
    solution = toy_data.solution
    assert solution is not None
    names = dict(zip(toy_data.sites["id"], toy_data.sites["name"], strict=True))
    force_of = dict(zip(toy_data.lsoas["lsoa11cd"], toy_data.lsoas["force"], strict=True))
    forces = {force_of[t.customdata[0][1]]: t for t in hover}
    assert len(forces) == len(hover) == toy_data.lsoas["force"].nunique()
    for force, trace in forces.items():
        template = trace.hovertemplate
        assert toy_data.instance.forces[force].name in template
        assert names[solution.allocation.main_room(force)] in template
        fields = re.findall(r"%\{([^}]*)\}", template)
        assert fields and all(f.startswith("customdata[") for f in fields)
        assert {force_of[row[1]] for row in trace.customdata} == {force}
        assert len(trace.customdata[0]) == 10


def test_options_chart_labels_stay_short_for_many_rooms() -> None:
    """A national option of eleven rooms is labelled by its first two and a count."""
    from siteopt.outputs.webmap import _option_sites

    sites = tuple(f"room-{i}" for i in range(11))
    assert _option_sites(sites) == "11 rooms: room-0 + room-1 + 9 more"
    assert _option_sites(sites[:3]) == "room-0 + room-1 + room-2"


_HOVER_SCRIPT = """<script>window.addEventListener("load", function () { setTimeout(function () {
  var gd = document.getElementById("siteopt-map");
  var idx = gd.data.findIndex(function (t) { return t.name === "LSOA details (hover)"; });
  Plotly.Fx.hover(gd, [{curveNumber: idx, pointNumber: 0}]);
  setTimeout(function () {
    var h = document.querySelector("#siteopt-map .hoverlayer");
    document.body.setAttribute("data-hover", h ? h.textContent : "none");
  }, 300);
}, 500); });</script></body>"""


def test_hovering_an_lsoa_in_the_browser_shows_its_figures(
    page: Path, toy_data: ExportData, tmp_path: Path
) -> None:
    """Plotly fills the hover template in: the first LSOA's name, code, force and drive times
    show as text (no ``%{`` left unfilled)."""
    probe = tmp_path / "hover.html"
    probe.write_text(
        page.read_text(encoding="utf-8").replace("</body>", _HOVER_SCRIPT), encoding="utf-8"
    )
    result = run_chromium("--dump-dom", probe.as_uri())
    found = re.search(r'data-hover="([^"]*)"', result.stdout)
    assert found is not None, result.stderr[-2000:]
    hover = found.group(1)
    from siteopt.outputs.webmap import _map_figure

    first = next(
        t for t in _map_figure(toy_data, gis_layers(toy_data)).data
        if t.name == "LSOA details (hover)"
    ).customdata[0]  # fmt: skip
    assert first[0] in hover and first[1] in hover
    assert "room answering most" in hover and " min" in hover
    assert "%{" not in hover and "customdata" not in hover

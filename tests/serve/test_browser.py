"""The page in a real browser: Debian's Chromium driven by Playwright, networking off.

A server is started on a free local port (``live_server``); the round trip of issue 22: open the
default instance, change the 999 target and solve (the page shows the API's cost), switch
Kempston off (it leaves the answer), type a negative volume (the field shows the loader's
error), save a variant (``siteopt validate`` accepts it). Screenshots are kept as artefacts in
``test-artifacts/serve/`` (``$SITEOPT_TEST_ARTIFACTS`` to change it).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.outputs.test_webmap import chromium
from tests.serve.conftest import LiveServer, api_cost

sync_api = pytest.importorskip("playwright.sync_api")

TARGET = "demand.streams.emergency.target_share"
VOLUME = "demand.volumes.bedfordshire.emergency"

# networking off: only the loopback server answers
OFFLINE_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--proxy-server=127.0.0.1:9",
    "--proxy-bypass-list=127.0.0.1",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


@pytest.fixture(scope="module")
def artifacts() -> Path:
    """Where the screenshots go (kept after the run; ignored by git)."""
    folder = Path(os.environ.get("SITEOPT_TEST_ARTIFACTS", REPO / "test-artifacts")) / "serve"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser_page(live_server: LiveServer) -> Iterator[Any]:
    """One page of headless Chromium, offline; fails the test if it asks for anything remote."""
    binary = chromium()
    outside: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=binary, args=OFFLINE_ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        page.on(
            "request",
            lambda r: None if r.url.startswith(live_server.url) else outside.append(r.url),
        )
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.set_default_timeout(60_000)
        yield page
        browser.close()
    assert outside == [], f"the page asked for {outside}"
    assert errors == [], errors


#: Where a site's marker is on the page (pixels), from the map's own axes.
MARKER_XY = """site => {
  const frame = document.querySelector('#map');
  const plot = frame.contentDocument.getElementById('siteopt-map');
  const layout = plot._fullLayout;
  for (let k = 0; k < plot.data.length; k++) {
    const text = plot.data[k].text;
    const i = Array.isArray(text) ? text.findIndex(t => t.includes('<br>' + site + ' · ')) : -1;
    if (i < 0 || !String(plot.data[k].uid).startsWith('siteopt-site-')) continue;
    const point = plot.calcdata[k][i], box = plot.getBoundingClientRect();
    const outer = frame.getBoundingClientRect();
    return [outer.left + box.left + layout.xaxis._offset + layout.xaxis.c2p(point.x),
            outer.top + box.top + layout.yaxis._offset + layout.yaxis.c2p(point.y)];
  }
}"""


def solve_and_wait(page: Any) -> None:
    """Press Solve and wait for the status line to say the job ended."""
    before = page.get_attribute("body", "data-job")
    page.click("#solve")
    page.wait_for_function(
        "b => document.body.getAttribute('data-job') !== b"
        " && !document.querySelector('#solve').disabled",
        arg=before,
    )


def set_figure(page: Any, path: str, value: str, reason: str = "") -> None:
    page.fill(f'input.figure[name="{path}"]', value)
    if reason:
        page.fill(f'input.reason[name="{path}.reason"]', reason)


def test_open_change_the_999_target_and_see_the_api_cost(
    browser_page: Any, live_server: LiveServer, artifacts: Path
) -> None:
    page = browser_page
    page.goto(live_server.url + "/")
    page.wait_for_selector("#objective")  # the file's own answer is solved on opening
    default = float(page.get_attribute("#objective", "data-gbp"))
    assert default == pytest.approx(api_cost(live_server.folder, {}), abs=0.01)
    page.screenshot(path=str(artifacts / "1-default.png"), full_page=False)
    set_figure(page, TARGET, "0.95", "a tighter 999 target")
    assert page.is_visible(f'input.reason[name="{TARGET}.reason"]')
    solve_and_wait(page)
    shown = float(page.get_attribute("#objective", "data-gbp"))
    assert shown == pytest.approx(api_cost(live_server.folder, {TARGET: 0.95}), abs=0.01)
    assert shown != default
    assert "Cost a year" in page.inner_text("#summary")
    assert "previous run" in page.inner_text("#compare")
    page.screenshot(path=str(artifacts / "2-target-95.png"), full_page=False)


def test_switch_kempston_off_and_see_it_leave_the_answer(
    browser_page: Any, live_server: LiveServer, artifacts: Path
) -> None:
    page = browser_page
    assert "kempston" in page.get_attribute("#rooms", "data-sites")
    page.uncheck('input.site-toggle[value="kempston"]')
    solve_and_wait(page)
    rooms = page.get_attribute("#rooms", "data-sites")
    assert rooms and "kempston" not in rooms.split(",")
    job = page.get_attribute("body", "data-job")
    page.wait_for_selector(f'#map[data-loaded="{job}"]')  # this answer's map, labelled
    page.wait_for_function(
        "() => { const d = document.querySelector('#map').contentDocument;"
        " const s = d.getElementById('siteopt-status');"
        " return Number(s.getAttribute('data-site-markers')) > 0; }"
    )
    status = page.frame_locator("#map").locator("#siteopt-status")
    assert status.get_attribute("data-errors") == "0"
    labels = page.evaluate(
        "() => document.querySelector('#map').contentDocument.getElementById('siteopt-map')"
        ".layout.annotations.map(a => a.text)"
    )
    assert labels == [r.split(" (")[0] for r in page.inner_text("#rooms").split(", ")]
    page.screenshot(path=str(artifacts / "3-no-kempston.png"), full_page=True)
    x, y = page.evaluate(MARKER_XY, "welwyn")
    page.mouse.click(x, y)  # a real click on Welwyn's marker switches it off
    assert not page.is_checked('input.site-toggle[value="welwyn"]')
    assert "switched off: Hertfordshire" in page.inner_text("#status")
    page.check('input.site-toggle[value="welwyn"]')


def test_a_negative_volume_shows_the_field_error(
    browser_page: Any, live_server: LiveServer, artifacts: Path
) -> None:
    page = browser_page
    page.click("#reset")
    set_figure(page, VOLUME, "-5")
    before = page.get_attribute("body", "data-job")
    page.click("#solve")
    error = page.locator(f'[data-error-for="{VOLUME}"]')
    error.wait_for(state="visible")
    assert error.inner_text().endswith(
        "bch-2015.toml: demand.volumes.bedfordshire.emergency.value: "
        "input should be greater than or equal to 0, got -5"
    )
    assert page.get_attribute("body", "data-job") == before  # nothing was solved
    page.screenshot(path=str(artifacts / "4-negative-volume.png"), full_page=False)


def test_save_a_variant_and_validate_it(
    browser_page: Any, live_server: LiveServer, artifacts: Path
) -> None:
    page = browser_page
    page.click("#reset")
    set_figure(page, TARGET, "0.95", "the planner's tighter 999 target")
    page.uncheck('input.site-toggle[value="kempston"]')
    page.fill("#variant-file", "browser-what-if")
    page.fill("#variant-title", "999 at 95 %, no Kempston")
    page.click("#save-variant")
    page.locator("#saved a").wait_for(state="visible")
    assert "browser-what-if.toml" in page.inner_text("#saved")
    page.locator("#save").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "5-saved.png"), full_page=False)
    saved = live_server.folder / "browser-what-if.toml"
    checked = subprocess.run(
        [sys.executable, "-m", "siteopt", "validate", str(saved)],
        capture_output=True, text=True, check=False, cwd=REPO,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    assert "ok" in checked.stdout
    assert "the planner's tighter 999 target" in saved.read_text()
    page.click("#saved a")  # the saved variant opens, solved, without Kempston
    page.wait_for_selector("#objective")
    assert "kempston" not in page.get_attribute("#rooms", "data-sites").split(",")
    assert page.get_attribute("body", "data-instance") == "browser-what-if.toml"

"""API tests of every route of siteopt/serve/app.py, in process (Starlette's test client)."""

from __future__ import annotations

import io
import json
import re
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import siteopt
from tests.serve.conftest import api_cost, wait_for_job

TARGET = "demand.streams.emergency.target_share"


def solved(client: Any, body: dict[str, Any], previous: str | None = None) -> dict[str, Any]:
    reply = client.post("/api/solve", json=body)
    assert reply.status_code == 202, reply.text
    return wait_for_job(client, reply.json()["id"], previous)


def test_the_page_opens_the_default_instance_with_its_figures_and_sites(client: Any) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert 'data-instance="bch-2015.toml"' in page.text
    assert f'name="{TARGET}"' in page.text and 'value="0.9"' in page.text
    assert "Herts FCR target" in page.text  # the figure's source is shown beside it
    assert 'class="site-toggle" value="kempston" checked' in page.text
    assert not re.search(r'(src|href)="(https?:)?//', page.text)  # every asset from the server


def test_the_page_of_a_broken_file_shows_its_one_line_error(client: Any, folder: Path) -> None:
    (folder / "broken.toml").write_text('name = "broken"\nextends = "missing.toml"\n')
    page = client.get("/", params={"instance": "broken.toml"})
    assert page.status_code == 422
    assert "broken.toml: extends: file &#x27;missing.toml&#x27; not found" in page.text


def test_instances_lists_files_under_the_folder_not_sweep_specs(client: Any) -> None:
    listed = client.get("/api/instances").json()["instances"]
    assert [e["path"] for e in listed] == ["bch-2015.toml", "bch-one-site.toml", "toy.toml"]
    assert listed[0]["name"] == "BCH public contact 2015"


def test_instance_returns_grouped_figures_and_sites(client: Any) -> None:
    data = client.get("/api/instance", params={"path": "bch-2015.toml"}).json()
    groups = {g["path"]: g for g in data["groups"]}
    assert groups["demand.streams.emergency"]["label"] == "999"
    field = next(f for f in groups["demand.streams.emergency"]["fields"] if f["path"] == TARGET)
    assert field["value"] == 0.9 and field["kind"] == "float" and "Herts" in field["source"]
    assert {"id": "kempston", "name": "Bedfordshire Police Headquarters", "on": True} in data[
        "sites"
    ]


@pytest.mark.parametrize(
    "path", ["../secret.toml", "/etc/passwd", "sweeps/../../secret.toml", "C:/x.toml", "..", ""]
)
def test_paths_outside_the_folder_are_refused(client: Any, folder: Path, path: str) -> None:
    (folder.parent / "secret.toml").write_text('name = "secret"\n')
    reply = client.get("/api/instance", params={"path": path})
    assert reply.status_code == 403
    assert "expected a path inside the instances folder" in reply.json()["errors"][0]["message"]
    solve = client.post("/api/solve", json={"instance": path})
    assert solve.status_code == 403


def test_a_symlink_out_of_the_folder_is_refused_and_not_listed(client: Any, folder: Path) -> None:
    outside = folder.parent / "outside.toml"
    outside.write_text((folder / "toy.toml").read_text())
    (folder / "link.toml").symlink_to(outside)
    assert client.get("/api/instance", params={"path": "link.toml"}).status_code == 403
    assert "link.toml" not in json.dumps(client.get("/api/instances").json())
    page = client.get("/", params={"instance": "link.toml"})
    assert "expected a path inside the instances folder" in page.text


def test_a_missing_file_is_not_found(client: Any) -> None:
    assert client.get("/api/instance", params={"path": "nope.toml"}).status_code == 404


def test_validate_accepts_a_what_if_and_names_a_bad_field(client: Any) -> None:
    body = {"instance": "bch-2015.toml", "changes": {TARGET: {"value": "0.95", "reason": "r"}}}
    assert client.post("/api/validate", json=body).json()["overrides"] == {TARGET: 0.95}
    volume = "demand.volumes.bedfordshire.emergency"
    bad = {"instance": "bch-2015.toml", "changes": {volume: {"value": "-5", "reason": ""}}}
    reply = client.post("/api/validate", json=bad)
    assert reply.status_code == 422
    [error] = reply.json()["errors"]
    assert error["field"] == volume
    assert error["message"].endswith(
        "bch-2015.toml: demand.volumes.bedfordshire.emergency.value: "
        "input should be greater than or equal to 0, got -5"
    )


def test_validate_names_text_where_a_number_is_expected(client: Any) -> None:
    body = {"instance": "toy.toml", "changes": {"demand.growth": {"value": "lots"}}}
    [error] = client.post("/api/validate", json=body).json()["errors"]
    assert error == {
        "field": "demand.growth",
        "message": "demand.growth.value: expected a number, got 'lots'",
    }


def test_posts_must_be_json(client: Any) -> None:
    reply = client.post("/api/solve", data={"instance": "toy.toml"})
    assert reply.status_code == 422
    assert "expected application/json" in reply.text


def test_a_request_naming_another_host_is_refused(client: Any) -> None:
    assert client.get("/", headers={"host": "evil.example"}).status_code == 400


def test_solve_shows_the_cost_the_api_gives_for_the_same_what_if(client: Any, folder: Path) -> None:
    body = {"instance": "bch-2015.toml", "changes": {TARGET: {"value": "0.95", "reason": "r"}}}
    job = solved(client, body)
    assert job["state"] == "done", job
    expected = api_cost(folder, {TARGET: 0.95})
    assert job["result"]["objective_gbp"] == pytest.approx(expected, abs=0.01)
    assert f'data-gbp="{expected!r}"' in job["html"]["summary"]
    assert "NPV against do nothing" in job["html"]["costs"]
    assert "margin" in job["html"]["constraints"] and "staff_commute" in job["html"]["constraints"]
    assert "chosen" in job["html"]["options"]


def test_switching_kempston_off_takes_it_out_of_the_answer(client: Any) -> None:
    base = solved(client, {"instance": "bch-2015.toml"})
    assert [s["id"] for s in base["result"]["sites"]] == ["kempston"]
    without = solved(client, {"instance": "bch-2015.toml", "excluded": ["kempston"]}, base["id"])
    assert "kempston" not in [s["id"] for s in without["result"]["sites"]]
    compare = without["html"]["compare"]
    assert "previous run" in compare and "kempston" in compare and "changed" in compare


def test_two_solves_at_once_keep_their_own_answers(client: Any, folder: Path) -> None:
    bodies = [
        {"instance": "bch-2015.toml", "changes": {TARGET: {"value": value}}}
        for value in ("0.8", "0.97")
    ]
    with ThreadPoolExecutor(2) as pool:
        jobs = list(pool.map(lambda body: solved(client, body), bodies))
    for job, value in zip(jobs, (0.8, 0.97), strict=True):
        assert job["result"]["objective_gbp"] == pytest.approx(
            api_cost(folder, {TARGET: value}), abs=0.01
        )
    assert jobs[0]["result"]["objective_gbp"] != jobs[1]["result"]["objective_gbp"]


def test_an_unknown_job_is_not_found(client: Any) -> None:
    assert client.get("/api/jobs/j999").status_code == 404
    assert client.post("/api/jobs/j999/cancel", json={}).status_code == 404
    assert client.get("/jobs/j999/map").status_code == 404
    assert client.get("/jobs/j999/export.zip").status_code == 404


def test_cancel_ends_the_job_as_cancelled(client: Any) -> None:
    job = client.post("/api/solve", json={"instance": "toy.toml"}).json()
    cancelled = client.post(f"/api/jobs/{job['id']}/cancel", json={}).json()
    if cancelled["state"] != "done":  # the toy may have finished already
        assert cancelled["state"] == "cancelled"
        assert wait_for_job(client, job["id"])["state"] == "cancelled"


def test_map_loads_plotly_from_the_server(client: Any) -> None:
    job = solved(client, {"instance": "toy.toml"})
    page = client.get(f"/jobs/{job['id']}/map")
    assert page.status_code == 200
    assert 'src="/static/plotly.min.js"' in page.text
    assert not re.search(r'src="https?:', page.text)
    bundle = client.get("/static/plotly.min.js")
    assert bundle.status_code == 200 and len(bundle.content) > 1_000_000


def test_static_assets_are_served(client: Any) -> None:
    assert "function" in client.get("/static/app.js").text
    assert "font-family" in client.get("/static/app.css").text


def test_export_is_a_zip_of_the_business_case(client: Any) -> None:
    job = solved(client, {"instance": "toy.toml", "changes": {"demand.growth": {"value": "1.1"}}})
    reply = client.get(f"/jobs/{job['id']}/export.zip")
    assert reply.status_code == 200
    assert reply.headers["content-disposition"] == 'attachment; filename="toy-business-case.zip"'
    names = zipfile.ZipFile(io.BytesIO(reply.content)).namelist()
    for expected in ("solution.json", "report.pdf", "report.md", "siteopt.xlsx", "map.html"):
        assert expected in names
    solution = json.loads(zipfile.ZipFile(io.BytesIO(reply.content)).read("solution.json"))
    assert solution["objective_gbp"] == pytest.approx(job["result"]["objective_gbp"])


def test_variant_is_saved_beside_the_instance_and_validates(
    client: Any, folder: Path, run_cli: Any
) -> None:
    body = {
        "instance": "bch-2015.toml",
        "changes": {TARGET: {"value": "0.95", "reason": "the new national 999 standard"}},
        "excluded": ["kempston"],
        "file": "bch-999-95",
        "title": "999 at 95 %, no Kempston",
    }
    reply = client.post("/api/variant", json=body)
    assert reply.status_code == 201, reply.text
    assert reply.json() == {"saved": "bch-999-95.toml", "url": "/?instance=bch-999-95.toml"}
    saved = folder / "bch-999-95.toml"
    text = saved.read_text()
    assert 'extends = "bch-2015.toml"' in text
    assert 'assumption = "the new national 999 standard (base value 0.9; source: Herts' in text
    checked = run_cli("validate", str(saved))
    assert checked.code == 0, checked.err
    instance = siteopt.load_instance(saved)
    assert instance.demand.streams["emergency"].target_share.value == 0.95
    assert "kempston" not in instance.candidate_ids()
    assert instance.name == "BCH public contact 2015: 999 at 95 %, no Kempston"
    assert [e["path"] for e in client.get("/api/instances").json()["instances"]].count(
        "bch-999-95.toml"
    ) == 1


def test_variant_refuses_a_change_without_reason_and_saves_nothing(
    client: Any, folder: Path
) -> None:
    before = sorted(folder.iterdir())
    body = {"instance": "toy.toml", "changes": {"demand.growth": {"value": "1.2"}}, "file": "x"}
    reply = client.post("/api/variant", json=body)
    assert reply.status_code == 422
    assert reply.json()["errors"][0]["field"] == "demand.growth"
    assert "reason" in reply.json()["errors"][0]["message"]
    assert sorted(folder.iterdir()) == before


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("toy", "toy.toml already exists"),
        ("../escape", "expected a file name"),
        ("", "expected a file name"),
    ],
)
def test_variant_file_name_is_checked(client: Any, folder: Path, name: str, message: str) -> None:
    body = {
        "instance": "toy.toml",
        "changes": {"demand.growth": {"value": "1.2", "reason": "r"}},
        "file": name,
    }
    reply = client.post("/api/variant", json=body)
    assert reply.status_code == 422
    assert message in reply.json()["errors"][0]["message"]
    assert not (folder.parent / "escape.toml").exists()


def test_variant_of_an_invalid_what_if_is_not_saved(client: Any, folder: Path) -> None:
    body = {
        "instance": "toy.toml",
        "changes": {"demand.growth": {"value": "-1", "reason": "r"}},
        "file": "neg",
    }
    reply = client.post("/api/variant", json=body)
    assert reply.status_code == 422
    assert reply.json()["errors"][0]["field"] == "demand.growth"
    assert not (folder / "neg.toml").exists()
    assert not list(folder.glob(".neg*"))


def test_an_infeasible_what_if_shows_the_conflict_not_a_blank_page(client: Any) -> None:
    share = "constraints.staff_commute.min_share"
    job = solved(client, {"instance": "toy.toml", "changes": {share: {"value": "0.99"}}})
    assert job["state"] == "done" and job["result"]["status"] == "INFEASIBLE"
    assert "These constraints cannot all hold: staff_commute" in job["html"]["summary"]
    assert "No plan to price" in job["html"]["costs"]
    assert client.get(f"/jobs/{job['id']}/map").status_code == 404


def test_a_solve_that_fails_shows_its_error(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from siteopt.errors import SolverError
    from siteopt.serve import app

    def fail(instance: Any) -> Any:
        raise SolverError("CP-SAT refused the model: MODEL_INVALID")

    monkeypatch.setattr(app, "_solve", fail)
    job = solved(client, {"instance": "toy.toml"})
    assert job["state"] == "failed"
    assert job["error"] == "CP-SAT refused the model: MODEL_INVALID"
    assert "result" not in job

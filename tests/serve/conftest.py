"""Serve test fixtures: a copy of the instances folder, an in-process client, a live server."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import INSTANCES

pytest.importorskip("starlette")

COPIED = ("bch-2015.toml", "bch-one-site.toml", "toy.toml")


def copy_instances(folder: Path) -> Path:
    """The shipped instances the tests use, and a sweep spec, copied into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        shutil.copy(INSTANCES / name, folder / name)
    (folder / "sweeps").mkdir()
    shutil.copy(INSTANCES / "sweeps" / "bch-grid.toml", folder / "sweeps" / "bch-grid.toml")
    return folder


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A fresh instances folder (tests save variants into it)."""
    return copy_instances(tmp_path / "instances")


@pytest.fixture
def client(folder: Path) -> Iterator[Any]:
    """An in-process client of the app serving ``folder``."""
    from starlette.testclient import TestClient

    from siteopt.serve.app import create_app

    with TestClient(create_app(folder)) as test_client:
        yield test_client


def free_port() -> int:
    """A free local TCP port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@dataclass(frozen=True)
class LiveServer:
    """A server running in this process on a local port."""

    url: str
    folder: Path


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``siteopt serve`` (uvicorn) on a free port in a thread, stopped after the module."""
    import uvicorn

    from siteopt.serve.app import create_app

    folder = copy_instances(tmp_path_factory.mktemp("live") / "instances")
    port = free_port()
    config = uvicorn.Config(create_app(folder), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the server did not start")
        time.sleep(0.05)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", folder)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def wait_for_job(client: Any, job_id: str, previous: str | None = None) -> dict[str, Any]:
    """Poll a job until it has ended; return its last state."""
    query = {"previous": previous} if previous else {}
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/api/jobs/{job_id}", params=query).json()
        if job["state"] not in {"queued", "running"}:
            return job
        time.sleep(0.05)
    pytest.fail(f"job {job_id} did not end")


def api_cost(folder: Path, overrides: dict[str, Any]) -> float:
    """The API's cost a year of a what-if of bch-2015.toml (what the page must show)."""
    import siteopt
    from siteopt.instance.loading import InstanceTemplate

    instance = InstanceTemplate.read(folder / "bch-2015.toml").variant(overrides)
    solution = siteopt.solve(instance).solution
    assert solution is not None
    return solution.objective_gbp

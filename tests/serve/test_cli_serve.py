"""``siteopt serve`` from the command line: it serves the folder, or says why it cannot."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import REPO, CliResult
from tests.serve.conftest import free_port


def test_serve_of_a_missing_folder_is_one_line_and_exit_2(
    run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    result = run_cli("serve", "--instances", str(tmp_path / "nope"))
    assert result.code == 2
    missing = tmp_path / "nope"
    assert (
        result.err
        == f"siteopt: error: --instances: {missing}: expected a folder of instance files\n"
    )


def test_serve_answers_on_the_port_it_was_given(folder: Path) -> None:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [
        sys.executable,
        "-m",
        "siteopt",
        "serve",
        "--instances",
        str(folder),
        "--port",
        str(port),
    ]
    server = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        assert line.strip() == f"siteopt serve: open http://127.0.0.1:{port}/ (Ctrl+C to stop)"
        url = f"http://127.0.0.1:{port}/api/instances"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as reply:
                    listed = json.load(reply)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        assert [e["path"] for e in listed["instances"]] == [
            "bch-2015.toml",
            "bch-one-site.toml",
            "toy.toml",
        ]
        server.send_signal(signal.SIGINT)  # Ctrl-C is how a server stops: not an error
        _, err = server.communicate(timeout=30)
        assert (server.returncode, err) == (0, "siteopt serve: stopped\n")
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=30)
        if server.stdout is not None:
            server.stdout.close()


def test_serve_without_the_web_packages_says_what_to_install(
    run_cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch, folder: Path
) -> None:
    monkeypatch.delitem(sys.modules, "siteopt.serve.app", raising=False)
    for name in [m for m in sys.modules if m == "starlette" or m.startswith("starlette.")]:
        monkeypatch.setitem(sys.modules, name, None)  # None: "not installed" to the import system
    monkeypatch.setitem(sys.modules, "starlette", None)
    result = run_cli("serve", "--instances", str(folder))
    assert result.code == 2
    assert (
        result.err == "siteopt: error: siteopt serve needs starlette: pip install -e '.[serve]'\n"
    )


def test_serve_on_a_port_in_use_is_one_line_and_exit_2(
    run_cli: Callable[..., CliResult], folder: Path
) -> None:
    """uvicorn printed its own log line and exited with 3, the code of an infeasible plan."""
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = run_cli("serve", "--instances", str(folder), "--port", str(port))
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        f"siteopt: error: --port: cannot listen on 127.0.0.1:{port}: in use (another siteopt "
        "serve?); choose another with --port\n"
    )

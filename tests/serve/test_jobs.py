"""Tests for siteopt/serve/jobs.py: solves in worker threads, errors kept, cancel honoured."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from siteopt.errors import InstanceError
from siteopt.serve.jobs import Job, Jobs


def wait(job: Job) -> Job:
    deadline = time.monotonic() + 30
    while not job.over and time.monotonic() < deadline:
        time.sleep(0.01)
    return job


def test_a_job_keeps_its_result() -> None:
    jobs = Jobs(workers=1)
    marker: Any = object()
    job = wait(jobs.submit("toy.toml", lambda: marker))
    assert (job.state, job.result, job.error) == ("done", marker, None)
    assert jobs.get(job.id) is job


def test_a_failing_solve_keeps_its_one_line_error() -> None:
    jobs = Jobs(workers=1)

    def fail() -> Any:
        raise InstanceError("x.toml", "solver.k_max", "expected at most 2")

    job = wait(jobs.submit("x.toml", fail))
    assert job.state == "failed"
    assert job.error == "x.toml: solver.k_max: expected at most 2"


def test_an_unexpected_failure_is_shown_not_lost(capsys: pytest.CaptureFixture[str]) -> None:
    jobs = Jobs(workers=1)
    job = wait(jobs.submit("x.toml", lambda: 1 / 0))  # type: ignore[arg-type,return-value]
    assert job.state == "failed" and job.error is not None and "ZeroDivisionError" in job.error
    assert "Traceback" in capsys.readouterr().err


def test_a_cancelled_job_drops_its_result_and_a_queued_one_never_runs() -> None:
    jobs = Jobs(workers=1)
    release = threading.Event()
    ran: list[str] = []

    def slow() -> Any:
        release.wait(10)
        ran.append("slow")
        return "result"

    first = jobs.submit("a.toml", slow)
    second = jobs.submit("b.toml", lambda: ran.append("second"))  # type: ignore[arg-type,return-value]
    while not first.started:
        time.sleep(0.01)
    assert jobs.cancel(first.id) is first and first.state == "cancelled"
    assert jobs.cancel(second.id) is second and second.state == "cancelled"
    release.set()
    time.sleep(0.2)
    assert first.result is None and first.state == "cancelled"
    assert ran == ["slow"]
    assert jobs.cancel("nope") is None


def test_old_jobs_are_dropped() -> None:
    jobs = Jobs(workers=1, keep=2)
    made = [wait(jobs.submit("t", lambda: None)) for _ in range(3)]  # type: ignore[arg-type,return-value]
    assert jobs.get(made[0].id) is None and jobs.get(made[2].id) is made[2]

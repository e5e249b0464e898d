"""Solves run in worker threads, one job per press of *solve*, so two tabs never share state.

Each job solves its own validated instance (a what-if is a new instance, never a change to a
shared one) and keeps its :class:`~siteopt.optimise.result.Result` or its error. Cancelling a
queued job stops it from starting; a running solve cannot be interrupted inside the solver, so
cancelling it marks the job cancelled at once and its result is thrown away when it ends (the
instance's ``[solver] time_limit_s`` bounds how long that thread keeps working).
"""

from __future__ import annotations

import itertools
import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from siteopt.errors import SiteoptError

if TYPE_CHECKING:
    from siteopt.optimise.result import Result

__all__ = ["Job", "JobState", "Jobs"]


JobState = Literal["queued", "running", "done", "failed", "cancelled"]


@dataclass
class Job:
    """One solve: its state, timings, and its result or error (a one-line message)."""

    id: str
    instance: str
    state: JobState = "queued"
    submitted: float = field(default_factory=time.perf_counter)
    started: float | None = None
    finished: float | None = None
    result: Result | None = None
    error: str | None = None
    cache: dict[str, Any] = field(default_factory=dict)
    future: Future[None] | None = None

    @property
    def elapsed_s(self) -> float:
        """Seconds since it was submitted (until it finished)."""
        end = self.finished if self.finished is not None else time.perf_counter()
        return end - self.submitted

    @property
    def over(self) -> bool:
        """True once it is done, failed or cancelled."""
        return self.state in {"done", "failed", "cancelled"}


class Jobs:
    """The jobs of this server: a small pool of worker threads and the latest jobs by id."""

    def __init__(self, workers: int = 2, keep: int = 64) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="siteopt-solve")
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._keep = keep

    def submit(self, instance: str, solve: Callable[[], Result]) -> Job:
        """Queue a solve and return its job at once."""
        with self._lock:
            job = Job(id=f"j{next(self._ids)}", instance=instance)
            self._jobs[job.id] = job
            while len(self._jobs) > self._keep:
                self._jobs.popitem(last=False)
        job.future = self._pool.submit(self._run, job, solve)
        return job

    def get(self, job_id: str) -> Job | None:
        """The job of that id (``None`` when unknown or dropped as too old)."""
        with self._lock:
            return self._jobs.get(job_id)

    def cancel(self, job_id: str) -> Job | None:
        """Cancel a job that has not ended; return it (``None`` when unknown)."""
        job = self.get(job_id)
        if job is None:
            return None
        with self._lock:
            if not job.over:
                if job.future is not None:
                    job.future.cancel()
                job.state = "cancelled"
                job.finished = time.perf_counter()
        return job

    def shutdown(self) -> None:
        """Stop taking jobs; queued ones are dropped."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    @staticmethod
    def _cancelled(job: Job) -> bool:
        """Whether the job was cancelled (another thread may have said so while it ran)."""
        return job.state == "cancelled"

    def _run(self, job: Job, solve: Callable[[], Result]) -> None:
        with self._lock:
            if job.state != "queued":
                return
            job.state = "running"
            job.started = time.perf_counter()
        result: Result | None = None
        error: str | None = None
        try:
            result = solve()
        except SiteoptError as exc:
            error = str(exc)
        except Exception as exc:
            error = f"the solve failed: {type(exc).__name__}: {exc}"
            traceback.print_exc()
        with self._lock:
            if self._cancelled(job):
                return
            job.result, job.error = result, error
            job.state = "done" if error is None else "failed"
            job.finished = time.perf_counter()

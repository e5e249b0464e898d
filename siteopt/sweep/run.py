"""Running a sweep on dask.distributed.

Running a sweep on ``dask.distributed`` (a local cluster or ``--scheduler``):
batches, resubmission after a lost worker, resume, progress.
"""

from __future__ import annotations

import itertools
import math
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from siteopt.errors import SiteoptError
from siteopt.status import Status
from siteopt.sweep.batch import (
    STAFFING_PATHS,
    TRAVEL_PATHS,
    Batch,
    params_key,
    run_batch,
    shared_travel,
    travel_keys_needed,
)
from siteopt.sweep.report import write_report
from siteopt.sweep.spec import MAX_SCENARIOS, Scenario, Sweep, load_sweep
from siteopt.sweep.store import StoreLock, _open_store, _write_batch, stored_ids

if TYPE_CHECKING:
    from siteopt.optimise.build import TravelInputs

__all__ = ["SweepRun", "run_sweep"]


#: Times a batch lost by the cluster (its worker died) is resubmitted before it is given up.
MAX_RESUBMITS = 2


#: Row statuses of a scenario with a solution; any other (infeasible, unknown, error) "failed".
FOUND = frozenset(str(s) for s in Status if s.found)


@dataclass(frozen=True)
class SweepRun:
    """What one run of a sweep did."""

    total: int
    skipped: int
    ran: int
    failed: int
    lost: int
    wall_s: float
    out: Path
    report: Path | None


def batches_of(scenarios: Sequence[Scenario], size: int) -> list[list[Scenario]]:
    """Group scenarios by travel and staffing overrides (so shared inputs are reused), then chunk.

    Grouped by their overrides (:func:`~siteopt.sweep.batch.params_key`), not their validated
    instances: a worker validates its scenarios, in parallel.
    """

    def key(s: Scenario) -> tuple[str, str]:
        return (params_key(s, TRAVEL_PATHS), params_key(s, STAFFING_PATHS))

    ordered = sorted(scenarios, key=lambda s: (*key(s), s.index))
    out: list[list[Scenario]] = []
    for _, group in itertools.groupby(ordered, key=key):
        members = list(group)
        out.extend(members[i : i + size] for i in range(0, len(members), size))
    # Merge small groups so a Monte-Carlo sweep (every scenario its own key) is not one task each.
    merged: list[list[Scenario]] = []
    for chunk in out:
        if merged and len(merged[-1]) + len(chunk) <= size:
            merged[-1].extend(chunk)
        else:
            merged.append(list(chunk))
    return merged


def run_sweep(
    sweep: Sweep | Path | str,
    out: Path | str,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    batch_size: int | None = None,
    progress: bool = True,
    report: bool = True,
    restart: bool = False,
    max_scenarios: int = MAX_SCENARIOS,
) -> SweepRun:
    """Run every scenario not yet in the store at ``out``; write the summary report at the end.

    Parameters
    ----------
    sweep
        A sweep (:func:`~siteopt.sweep.spec.load_sweep`) or the path of a sweep file.
    out
        The results store folder; a rerun resumes it (stored scenarios are skipped).
    scheduler
        A running Dask scheduler's address; without it a ``LocalCluster`` with ``workers``
        processes (default: one per core) runs the same tasks.
    workers
        Local worker processes.
    batch_size
        Scenarios per task (default: the sweep file's).
    progress
        Show a progress bar on the terminal.
    report
        Write the summary report (``summary.md``, …) when every batch came back.
    restart
        Discard what the store at ``out`` holds (results of other inputs) and start again.
    max_scenarios
        The most scenarios a sweep file given by path may have (:func:`load_sweep`).

    Returns
    -------
    SweepRun
        How many scenarios ran, were skipped, failed or were lost, and the report's path.
    """
    if scheduler is not None:
        _check_scheduler(scheduler)
    if not isinstance(sweep, Sweep):
        sweep = load_sweep(sweep, max_scenarios=max_scenarios)
    out = Path(out)
    started = time.perf_counter()
    with StoreLock(out) as lock:
        if lock.took_over is not None:
            sys.stderr.write(
                f"siteopt: warning: {out}: took over the lock of a sweep that is no longer "
                f"running ({lock.took_over})\n"
            )
        return _run_locked(
            sweep,
            out,
            started=started,
            scheduler=scheduler,
            workers=workers,
            batch_size=batch_size,
            progress=progress,
            report=report,
            restart=restart,
        )


def _run_locked(
    sweep: Sweep,
    out: Path,
    *,
    started: float,
    scheduler: str | None,
    workers: int | None,
    batch_size: int | None,
    progress: bool,
    report: bool,
    restart: bool,
) -> SweepRun:
    _open_store(out, sweep, restart=restart)
    done = stored_ids(out)
    todo = [s for s in sweep.scenarios if s.id not in done]
    size = batch_size or sweep.spec.batch_size
    counts = {"ran": 0, "failed": 0, "lost": 0}
    if todo:
        # The cluster starts in the background while the scenarios are validated and grouped
        # and the travel inputs built (each took seconds; one after the other, they added up).
        with _client(scheduler, workers) as starting:
            batches = [
                Batch(tuple(b), sweep.spec.method, sweep.spec.time_limit_s)
                for b in batches_of(todo, size)
            ]
            travel = _Travel.of(todo)
            client = starting.ready()
            with _progress(progress, len(sweep.scenarios)) as bar:
                bar.advance(len(done))
                _submit_all(client, batches, travel, out, set(done), counts=counts, bar=bar)
    written = None
    if report and counts["lost"] == 0:
        written = write_report(out)
    return SweepRun(
        total=len(sweep.scenarios),
        skipped=len(done),
        ran=counts["ran"],
        failed=counts["failed"],
        lost=counts["lost"],
        wall_s=round(time.perf_counter() - started, 2),
        out=out,
        report=written,
    )


def _submit_all(
    client: Any,
    batches: list[Batch],
    travel: _Travel,
    out: Path,
    stored: set[str],
    *,
    counts: dict[str, int],
    bar: _Bar,
) -> None:
    """Submit every batch, store each as it finishes; a batch lost to the cluster is counted.

    The travel inputs are scattered once (not per batch). A batch whose task fails (its worker
    died, a dependency was lost) or whose scattered inputs the cluster lost is resubmitted,
    its inputs scattered again, up to :data:`MAX_RESUBMITS` times.
    """
    shared = _Shared(client, travel.inputs)
    pending: dict[Any, tuple[Batch, int]] = {}

    def submit(batch: Batch, attempt: int) -> None:
        needed = travel.needed(batch)
        try:
            inputs = shared.futures(needed)
        except _ScatterError as exc:
            lose(batch, exc)
            return
        future = client.submit(run_batch, batch, inputs, key=f"{batch.key}-{attempt}", pure=False)
        pending[future] = (batch, attempt)

    def lose(batch: Batch, exc: BaseException) -> None:
        counts["lost"] += len(batch.scenarios)  # not stored: a rerun resumes them
        bar.note(f"batch lost by the cluster: {type(exc).__name__}: {exc}")
        bar.update(0, counts)

    def retry(batch: Batch, attempt: int, exc: BaseException) -> None:
        if attempt < MAX_RESUBMITS:
            submit(batch, attempt + 1)
        else:
            lose(batch, exc)

    for batch in batches:
        submit(batch, 0)
    while pending:
        finished = [f for f in pending if f.done()]
        if not finished:
            _resubmit_orphans(pending, shared, travel, retry)
            time.sleep(POLL_S)
            continue
        for future in finished:
            batch, attempt = pending.pop(future)
            try:
                rows = future.result()
            except Exception as exc:  # the cluster lost the batch (e.g. KilledWorker)
                retry(batch, attempt, exc)
                continue
            rows = _write_batch(out, rows, stored)
            counts["ran"] += len(rows)
            counts["failed"] += sum(r["status"] not in FOUND for r in rows)
            bar.update(len(rows), counts)


def _resubmit_orphans(
    pending: dict[Any, tuple[Batch, int]],
    shared: _Shared,
    travel: _Travel,
    retry: Callable[[Batch, int, BaseException], None],
) -> None:
    """Cancel and resubmit the batches waiting on scattered inputs the cluster lost."""
    lost = shared.lost()
    if not lost:
        return
    for future, (batch, attempt) in list(pending.items()):
        if travel.needed(batch) & lost:
            del pending[future]
            future.cancel()
            retry(batch, attempt, _ScatterError(f"inputs {sorted(lost)} lost with their worker"))


@dataclass(frozen=True)
class _Travel:
    """The travel inputs a sweep's batches read: one set per distinct travel overrides.

    ``needs`` maps a scenario's travel overrides (:func:`params_key`) to the keys of the inputs
    it reads; one scenario of each is validated here to build them.
    """

    inputs: dict[str, TravelInputs]
    needs: dict[str, frozenset[str]]

    @classmethod
    def of(cls, scenarios: Sequence[Scenario]) -> _Travel:
        """Travel inputs of one scenario per distinct travel overrides."""
        firsts: dict[str, Scenario] = {}
        for scenario in scenarios:
            firsts.setdefault(params_key(scenario, TRAVEL_PATHS), scenario)
        return cls(
            inputs=shared_travel(list(firsts.values())),
            needs={k: travel_keys_needed(s.instance) for k, s in firsts.items()},
        )

    def needed(self, batch: Batch) -> set[str]:
        """Keys of the travel inputs a batch reads (its scenarios', and today's rooms alone)."""
        keys: set[str] = set()
        for scenario in batch.scenarios:
            keys |= self.needs[params_key(scenario, TRAVEL_PATHS)]
        return keys


#: Seconds between checks of the running batches.
POLL_S = 0.05


#: Seconds one scatter of travel inputs may take before it is tried again.
SCATTER_TIMEOUT_S = 30.0


#: Tries of one scatter before the batches needing it are counted lost.
SCATTER_TRIES = 3


class _ScatterError(RuntimeError):
    """The cluster did not take a travel input after :data:`SCATTER_TRIES` tries."""


class _Shared:
    """Travel inputs scattered to the cluster once; an input the cluster lost is scattered again."""

    def __init__(self, client: Any, travel: Mapping[str, TravelInputs]) -> None:
        self.client = client
        self.travel = travel
        self.held: dict[str, Any] = {}

    def futures(self, keys: set[str]) -> dict[str, Any]:
        """The scattered future of each key (scattering those not held or lost)."""
        for key in sorted(keys):
            future = self.held.get(key)
            if future is None or future.status != "finished":
                self.held[key] = self._scatter(key)
        return {k: self.held[k] for k in keys}

    def lost(self) -> set[str]:
        """Keys whose scattered data the cluster no longer holds."""
        return {k for k, f in self.held.items() if f.status in {"lost", "error", "cancelled"}}

    def _scatter(self, key: str) -> Any:
        last: BaseException | None = None
        for attempt in range(SCATTER_TRIES):
            try:
                # Client.scatter's own ``timeout`` only bounds the wait for a first worker; a
                # worker killed mid-scatter can stall it for minutes, so the whole call is bounded
                # here. One worker takes the data (no broadcast: a broadcast waits on every
                # worker, the dead one too); tasks elsewhere fetch it from there.
                return self.client.sync(
                    self.client._scatter,
                    self.travel[key],
                    hash=False,
                    callback_timeout=SCATTER_TIMEOUT_S,
                )
            except Exception as exc:  # a worker died mid-scatter (CommClosedError, timeout)
                last = exc
                time.sleep(min(2.0**attempt, 5.0))
        msg = f"scattering travel inputs {key} failed {SCATTER_TRIES} times: {last}"
        raise _ScatterError(msg)


def _check_scheduler(address: str) -> None:
    """Refuse a scheduler address Dask cannot parse (before any work), naming the flag."""
    from distributed.comm.addressing import (  # noqa: PLC0415 (lazy: distributed is slow to import)
        parse_address,
        parse_host_port,
    )

    try:
        scheme, location = parse_address(address)
        if scheme in {"tcp", "tls", "ws", "wss"}:
            parse_host_port(location)
        elif scheme not in {"inproc", "ucx"}:
            msg = f"unknown address scheme {scheme!r}"
            raise ValueError(msg)
    except (ValueError, TypeError) as exc:
        msg = (
            f"--scheduler {address!r}: expected a Dask scheduler address such as "
            f"tcp://HOST:8786 ({exc})"
        )
        raise SiteoptError(msg) from None


class _client:  # noqa: N801 - used as a context manager, like a function
    """A Dask client on ``scheduler``, or on a LocalCluster started (and closed) here.

    Entering starts the connection (or the cluster) in a background thread and returns at once;
    :meth:`ready` waits for it and returns the client, or raises what starting it raised.
    """

    def __init__(self, scheduler: str | None, workers: int | None) -> None:
        self.scheduler = scheduler
        self.workers = workers
        self.cluster: Any = None
        self.client: Any = None
        self.failed: BaseException | None = None
        self.thread: threading.Thread | None = None

    def __enter__(self) -> _client:
        self.thread = threading.Thread(target=self._start, name="siteopt-cluster", daemon=True)
        self.thread.start()
        return self

    def ready(self) -> Any:
        """The connected client (waits for the cluster to start)."""
        if self.thread is not None:
            self.thread.join()
        if self.failed is not None:
            raise self.failed
        return self.client

    def _start(self) -> None:
        try:
            self.client = self._connect()
        except BaseException as exc:  # raised by ready(), in the caller's thread
            self.failed = exc

    def _connect(self) -> Any:
        import distributed  # noqa: PLC0415 (lazy: distributed is slow to import)

        dist: Any = distributed  # untyped library
        if self.scheduler is not None:
            try:
                return dist.Client(self.scheduler, timeout=30)
            except (OSError, ValueError) as exc:
                msg = f"--scheduler {self.scheduler}: cannot connect ({exc})"
                raise SiteoptError(msg) from None
        self.cluster = dist.LocalCluster(
            n_workers=self.workers or os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # any free port: never "8787 is already in use"
            silence_logs=50,
        )
        return dist.Client(self.cluster)

    def __exit__(self, *exc: object) -> None:
        if self.thread is not None:
            self.thread.join()
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()


class _Bar:
    """Progress: a rich bar on a terminal; else a plain line every 10 % or 30 s (or nothing).

    Rich draws nothing until the end when stderr is a file or a pipe, so a sweep logged to a file
    looked stuck; there it writes lines such as ``sweep: 250/1000 scenarios, 24.1/s, ...``.
    """

    def __init__(self, enabled: bool, total: int) -> None:
        self.enabled = enabled
        self.total = total
        self.progress: Any = None
        self.task: Any = None
        self.done = 0
        self.found = 0  # already stored when the sweep started
        self.started = time.monotonic()
        self.last_line = (0, self.started)  # (scenarios done, time) of the last plain line

    def __enter__(self) -> _Bar:
        if not self.enabled:
            return self
        from rich.console import Console  # noqa: PLC0415 (lazy: rich is slow to import)

        console = Console(stderr=True)
        if not console.is_terminal:
            return self
        from rich.progress import (  # noqa: PLC0415 (lazy: rich is slow to import)
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("sweep"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TimeElapsedColumn(),
            TextColumn("failures {task.fields[failed]} lost {task.fields[lost]}"),
            console=console,
        )
        self.progress.__enter__()
        self.task = self.progress.add_task("sweep", total=self.total, rate="", failed=0, lost=0)
        return self

    def note(self, text: str) -> None:
        """Print a line above the bar (to stderr)."""
        if self.progress is not None:
            self.progress.console.print(text, markup=False)
        else:
            sys.stderr.write(text + "\n")

    def advance(self, n: int) -> None:
        """Count ``n`` scenarios found already done."""
        self.done += n
        self.found += n
        self.last_line = (self.done, self.last_line[1])
        if self.progress is not None:
            self.progress.update(self.task, advance=n)

    def update(self, n: int, counts: Mapping[str, int]) -> None:
        """Count ``n`` newly finished scenarios and refresh the rate and failures."""
        self.done += n
        if self.progress is None:
            self._plain_line(counts)
            return
        task = self.progress.tasks[0]
        speed = task.speed
        rate = f"{speed:.1f} scen/s" if speed else ""
        self.progress.update(
            self.task, advance=n, rate=rate, failed=counts["failed"], lost=counts["lost"]
        )

    def _plain_line(self, counts: Mapping[str, int]) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        since_done, since_time = self.last_line
        step = max(1, self.total // 10)
        if self.done < self.total and self.done - since_done < step and now - since_time < 30:
            return
        rate = (self.done - self.found) / max(now - self.started, 1e-9)  # this run's own
        left = (self.total - self.done) / rate if rate > 0 else float("inf")
        eta = f", about {left:.0f} s left" if math.isfinite(left) and self.done < self.total else ""
        sys.stderr.write(
            f"sweep: {self.done:,}/{self.total:,} scenarios, {rate:.1f}/s, "
            f"{counts['failed']} failed, {counts['lost']} lost{eta}\n"
        )
        sys.stderr.flush()
        self.last_line = (self.done, now)

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.__exit__(None, None, None)


def _progress(enabled: bool, total: int) -> _Bar:
    return _Bar(enabled, total)

"""Tests for siteopt/sweep/ and siteopt/sweep/report.py: files, store, resume, Dask, report."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siteopt.errors import InstanceError, SiteoptError
from siteopt.sweep.report import ScenarioCosts, minimax_regret_choice, regret
from siteopt.sweep.run import run_sweep
from siteopt.sweep.spec import load_sweep, scenario_id
from siteopt.sweep.store import iter_rows, stored_ids
from tests.conftest import INSTANCES, CliResult

SWEEPS = INSTANCES / "sweeps"
TOY = INSTANCES / "toy.toml"
#: Columns that depend on where and how fast a scenario ran, not on its result.
RUN_COLUMNS = {"solve_s", "worker"}


def _sweep_file(folder: Path, body: str, name: str = "sweep.toml") -> Path:
    file = folder / name
    file.write_text(f'name = "test sweep"\nbase = "{TOY}"\n{body}', encoding="utf-8")
    return file


GRID = """
batch_size = {batch}
[grid]
"demand.growth" = {growth}
"pay.area_allowance_gbp.hertfordshire" = [0, 1000, 3000]
"sites.exclude" = [[], ["luton"]]
"""


def _grid(folder: Path, *, n_growth: int, batch: int, name: str = "sweep.toml") -> Path:
    growth = [round(0.8 + 0.05 * i, 2) for i in range(n_growth)]
    return _sweep_file(folder, GRID.format(growth=growth, batch=batch), name)


def _results(out: Path) -> dict[str, dict[str, Any]]:
    rows = list(iter_rows(out))
    ids = [r["scenario_id"] for r in rows]
    assert len(ids) == len(set(ids)), "a scenario was written twice"
    return {r["scenario_id"]: {k: v for k, v in r.items() if k not in RUN_COLUMNS} for r in rows}


def _wait_for(condition: Callable[[], bool], what: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def _parts(out: Path) -> int:
    return len(list((out / "results").glob("batch-*.parquet")))


# ---------------------------------------------------------------------------------------------
# Sweep files


def test_grid_is_the_cross_product_with_deterministic_ids(tmp_path: Path) -> None:
    sweep = load_sweep(_grid(tmp_path, n_growth=2, batch=5))
    assert len(sweep.scenarios) == 2 * 3 * 2
    again = load_sweep(_grid(tmp_path, n_growth=2, batch=5))
    assert [s.id for s in sweep.scenarios] == [s.id for s in again.scenarios]
    assert len({s.id for s in sweep.scenarios}) == 12
    last = sweep.scenarios[-1].instance
    assert last.sites.exclude == ["luton"]
    assert last.demand.growth.value == 0.85
    assert "what-if set in sweep.toml" in (last.demand.growth.assumption or "")


@given(
    st.integers(0, 10_000),
    st.dictionaries(st.text(min_size=1, max_size=8), st.integers() | st.floats(allow_nan=False)),
)
def test_scenario_ids_are_stable_and_depend_on_the_index(
    index: int, params: dict[str, Any]
) -> None:
    assert scenario_id(index, params) == scenario_id(index, dict(reversed(params.items())))
    assert scenario_id(index, params) != scenario_id(index + 1, params)


def test_monte_carlo_draws_are_seeded_and_in_range(tmp_path: Path) -> None:
    body = """
[monte_carlo]
draws = 30
seed = 7
[monte_carlo.fields]
"demand.growth" = { distribution = "uniform", low = 0.9, high = 1.2 }
"sites.exclude" = { distribution = "choice", values = [[], ["luton"]], weights = [1, 0] }
"""
    first = load_sweep(_sweep_file(tmp_path, body))
    second = load_sweep(_sweep_file(tmp_path, body))
    growth = [s.params["demand.growth"] for s in first.scenarios]
    assert growth == [s.params["demand.growth"] for s in second.scenarios]
    assert all(0.9 <= g <= 1.2 for g in growth)
    assert len(set(growth)) == 30
    assert all(s.params["sites.exclude"] == [] for s in first.scenarios)  # weight 0 never drawn


def test_csv_scenarios_read_toml_cells(tmp_path: Path) -> None:
    (tmp_path / "s.csv").write_text(
        'demand.growth,sites.exclude\n1.1,[]\n1.3,"[""luton""]"\n', encoding="utf-8"
    )
    sweep = load_sweep(_sweep_file(tmp_path, '[csv]\npath = "s.csv"\n'))
    assert [s.params for s in sweep.scenarios] == [
        {"demand.growth": 1.1, "sites.exclude": []},
        {"demand.growth": 1.3, "sites.exclude": ["luton"]},
    ]


def test_a_bad_axis_path_fails_the_whole_sweep_naming_file_and_axis(tmp_path: Path) -> None:
    file = _sweep_file(tmp_path, '[grid]\n"demand.grwoth" = [1.0, 1.2]\n')
    with pytest.raises(InstanceError) as caught:
        load_sweep(file)
    assert caught.value.file == str(file)
    assert caught.value.path == "grid.demand.grwoth"
    assert "did you mean 'growth'" in caught.value.message


def test_a_bad_value_names_the_scenario_and_what_was_expected(tmp_path: Path) -> None:
    file = _sweep_file(tmp_path, '[grid]\n"sites.exclude" = [[], ["kempstone"]]\n')
    with pytest.raises(InstanceError, match=r"grid\.sites\.exclude: scenario 1 .*unknown site id"):
        load_sweep(file)


def test_sweep_file_needs_exactly_one_source_of_scenarios(tmp_path: Path) -> None:
    with pytest.raises(InstanceError, match="exactly one of"):
        load_sweep(_sweep_file(tmp_path, ""))


@pytest.mark.parametrize("name", ["bch-grid.toml", "bch-monte-carlo.toml", "bch-scenarios.toml"])
def test_shipped_sweep_files_validate(name: str) -> None:
    sweep = load_sweep(SWEEPS / name)
    assert sweep.scenarios
    assert sweep.base.name.startswith("BCH")


# ---------------------------------------------------------------------------------------------
# Regret


@settings(max_examples=60)
@given(
    st.integers(1, 6).flatmap(
        lambda n: st.lists(
            st.lists(st.floats(0, 1e6) | st.just(float("inf")), min_size=n, max_size=n),
            min_size=1,
            max_size=8,
        )
    )
)
def test_minimax_regret_choice_has_the_smallest_worst_regret(rows: list[list[float]]) -> None:
    cost = np.array(rows)
    finite_rows = np.isfinite(cost).any(axis=1)
    cost = cost[finite_rows]
    if not len(cost):
        return
    optimum = cost.min(axis=1)
    names = tuple(f"o{j}" for j in range(cost.shape[1]))
    matrix = ScenarioCosts(tuple(f"s{i}" for i in range(len(cost))), names, cost, optimum)
    r = regret(matrix)
    assert (r >= 0).all()
    assert (r.min(axis=1) == 0).all()  # every scenario's optimum has no regret
    choice = minimax_regret_choice(matrix)
    worst = r.max(axis=0)
    if choice is None:
        assert not np.isfinite(worst).any()
    else:
        assert choice[1] == worst.min()
        assert worst[names.index(choice[0])] == worst.min()


def test_regret_is_measured_from_a_priced_option_cheaper_than_an_unproven_optimum() -> None:
    """A scenario whose solver stopped above a priced option: regret from that option, not 0."""
    cost = np.array([[10.0, 12.0], [20.0, 18.0]])
    matrix = ScenarioCosts(("s0", "s1"), ("a", "b"), cost, np.array([10.0, 19.0]))
    assert regret(matrix).tolist() == [[0.0, 2.0], [2.0, 0.0]]


# ---------------------------------------------------------------------------------------------
# Running: local cluster, failures recorded, report


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """An uninterrupted local run of a 24-scenario toy grid (sweep file, store)."""
    folder = tmp_path_factory.mktemp("reference")
    file = _grid(folder, n_growth=4, batch=1)
    out = folder / "out"
    run = run_sweep(load_sweep(file), out, workers=2, progress=False)
    assert (run.total, run.ran, run.lost) == (24, 24, 0)
    yield file, out


def test_local_run_stores_every_scenario_once_with_its_results(
    reference: tuple[Path, Path],
) -> None:
    file, out = reference
    sweep = load_sweep(file)
    rows = _results(out)
    assert set(rows) == {s.id for s in sweep.scenarios}
    for scenario in sweep.scenarios:
        row = rows[scenario.id]
        assert json.loads(row["params"]) == scenario.params
        assert row["status"] == "OPTIMAL"
        # the optimum is the cheapest feasible option the scenario priced
        totals = [t for t in row["option_total_gbp"] if t is not None]
        assert row["objective_gbp"] == pytest.approx(min(totals), abs=0.02)
        chosen = row["option_names"].index(row["option"])
        assert row["option_total_gbp"][chosen] == pytest.approx(row["objective_gbp"], abs=0.02)
        parts = sum(row[f"cost_{k}_gbp"] for k in ("sites", "seats", "staff", "merge"))
        parts += row["cost_standby_gbp"] + row["cost_transition_gbp"]
        assert parts == pytest.approx(row["objective_gbp"], abs=0.1)
        assert row["saving_gbp"] == pytest.approx(row["baseline_gbp"] - row["objective_gbp"])
        if scenario.params["sites.exclude"]:
            assert not any("luton" in n for n in row["option_names"])


def test_report_files_are_written_with_the_choices(reference: tuple[Path, Path]) -> None:
    _, out = reference
    for name in ("summary.md", "summary.html", "summary.xlsx", "optimal_frequency.png"):
        assert (out / name).stat().st_size > 0
    text = (out / "summary.md").read_text(encoding="utf-8")
    assert "Min–max regret choice" in text
    assert "Expected-cost choice" in text
    html = (out / "summary.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in html
    from openpyxl import load_workbook

    book = load_workbook(out / "summary.xlsx")
    assert book.sheetnames == ["scenarios", "options", "sensitivity"]
    assert book["scenarios"].max_row == 25  # header + 24 scenarios
    # titled by the sweep's name; money in the options sheet is numbers with a £ format
    name = json.loads((out / "sweep.json").read_text(encoding="utf-8"))["sweep"]
    assert text.startswith(f"# Sweep summary: {name}\n") and name != out.name
    options = list(book["options"].iter_rows(min_row=3, values_only=True))
    medians = [row[5] for row in options if row[0]]
    assert medians and all(isinstance(v, float) for v in medians[:1])
    assert book["options"].cell(row=3, column=6).number_format == '"£"#,##0'
    assert "are over the scenarios where the option is usable" in text


def test_sweep_report_command_prints_the_summary(
    reference: tuple[Path, Path], run_cli: Callable[..., CliResult]
) -> None:
    _, out = reference
    result = run_cli("sweep-report", str(out))
    assert result.code == 0
    assert "Min–max regret choice" in result.out


def test_rerun_of_a_finished_sweep_runs_nothing(reference: tuple[Path, Path]) -> None:
    file, out = reference
    before = _results(out)
    run = run_sweep(load_sweep(file), out, workers=1, progress=False, report=False)
    assert (run.skipped, run.ran) == (24, 0)
    assert _results(out) == before


def test_a_store_of_another_sweep_is_refused(reference: tuple[Path, Path], tmp_path: Path) -> None:
    _, out = reference
    other = load_sweep(_grid(tmp_path, n_growth=2, batch=1))
    with pytest.raises(SiteoptError, match=r"other inputs .*scenarios.*--restart"):
        run_sweep(other, out, workers=1, progress=False)


def _copy_store(out: Path, folder: Path) -> Path:
    """A copy of a results store to damage or double."""
    import shutil

    copy = folder / "store"
    shutil.copytree(out, copy)
    return copy


def test_a_damaged_results_file_is_a_one_line_error(
    reference: tuple[Path, Path], tmp_path: Path
) -> None:
    copy = _copy_store(reference[1], tmp_path)
    (copy / "results" / "batch-damaged.parquet").write_bytes(b"PAR1")
    with pytest.raises(SiteoptError, match="damaged results file"):
        stored_ids(copy)


def test_infeasible_and_raising_scenarios_are_recorded_and_the_rest_go_on(
    tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    body = """
method = "enumerate"
[grid]
"constraints.staff_commute.min_share" = [0.5, 0.999]
"solver.k_max" = [2, 3]
"""
    file = _sweep_file(tmp_path, body)
    result = run_cli("sweep", str(file), "--out", str(tmp_path / "out"), "--workers", "1")
    assert result.code == 0, result.err
    by_params = {r["params"]: r for r in iter_rows(tmp_path / "out")}
    assert len(by_params) == 4
    statuses = {
        (p["constraints.staff_commute.min_share"], p["solver.k_max"]): (r["status"], r["message"])
        for p, r in ((json.loads(k), v) for k, v in by_params.items())
    }
    assert statuses[0.5, 2] == ("OPTIMAL", "")
    assert statuses[0.999, 2][0] == "INFEASIBLE"
    assert "staff_commute" in statuses[0.999, 2][1]
    for share in (0.5, 0.999):
        status, message = statuses[share, 3]
        assert status == "ERROR"
        assert "enumeration covers one or two sites" in message


# ---------------------------------------------------------------------------------------------
# Reliability: SIGKILL of the sweep, loss of a Dask worker


def _sweep_process(file: Path, out: Path, *extra: str) -> subprocess.Popen[bytes]:
    """Start ``siteopt sweep`` in its own process group; its stderr goes to ``<out>.log``."""
    entry = "from siteopt.cli import entry_point; entry_point()"
    command = [sys.executable, "-c", entry, "sweep", str(file), "--out", str(out)]
    with (out.parent / f"{out.name}.log").open("wb") as log:  # the child keeps its own copy
        return subprocess.Popen(
            [*command, "--quiet", *extra],
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )


def test_a_killed_sweep_resumes_and_equals_an_uninterrupted_run(
    reference: tuple[Path, Path],
) -> None:
    file, reference_out = reference
    out = file.parent / "killed"
    process = _sweep_process(file, out, "--workers", "1", "--batch-size", "1")
    try:
        _wait_for(lambda: _parts(out) >= 3, "three stored batches")
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    stored = len(stored_ids(out))
    assert 3 <= stored < 24, "the sweep must be killed mid-run"
    run = run_sweep(load_sweep(file), out, workers=1, progress=False, report=False)
    assert run.skipped == stored
    assert run.ran == 24 - stored
    assert _results(out) == _results(reference_out)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _dask(*args: str) -> subprocess.Popen[bytes]:
    """Start a ``dask`` command-line process (scheduler or worker) in its own process group."""
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "dask"), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def test_a_dask_worker_killed_mid_run_loses_no_scenario(
    reference: tuple[Path, Path],
) -> None:
    from distributed import Client

    file, reference_out = reference
    out = file.parent / "dask"
    address = f"tcp://127.0.0.1:{_free_port()}"
    port = address.rsplit(":", 1)[1]
    started = [_dask("scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard")]
    try:
        worker_args = ("worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard")
        started += [_dask(*worker_args), _dask(*worker_args)]
        with Client(address, timeout=60) as client:  # type: ignore[no-untyped-call]
            client.wait_for_workers(2, timeout=60)
        process = _sweep_process(file, out, "--scheduler", address, "--batch-size", "1")
        _wait_for(lambda: _parts(out) >= 2, "two stored batches")
        os.kill(started[1].pid, signal.SIGKILL)  # one of the two workers
        code = process.wait(timeout=120)
        assert code == 0, (out.parent / "dask.log").read_text(encoding="utf-8")
    finally:
        for proc in started:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert _results(out) == _results(reference_out)


# ---------------------------------------------------------------------------------------------
# One writer per store, each scenario stored once


def _one_error_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


def test_a_second_sweep_on_the_same_store_is_refused_and_a_dead_ones_lock_taken_over(
    reference: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """A running sweep's lock names it; a second writer is refused; a dead writer's lock is taken.

    The refusal is tested against a stand-in holder (a live process named in the lock), not a
    racing second sweep: the toy sweep can finish before a second interpreter has started.
    """
    file, reference_out = reference
    out = file.parent / "locked"
    first = _sweep_process(file, out, "--workers", "1", "--batch-size", "1")
    try:
        _wait_for(lambda: _parts(out) >= 1, "a stored batch")
        if first.poll() is None:  # still running: its lock names it
            held = json.loads((out / "sweep.lock").read_text(encoding="utf-8"))
            assert (held["pid"], held["host"]) == (first.pid, socket.gethostname())
    finally:
        with contextlib.suppress(ProcessLookupError):  # it may have finished on its own
            os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    try:
        lock = {"pid": holder.pid, "host": socket.gethostname()}
        (out / "sweep.lock").write_text(json.dumps(lock), encoding="utf-8")
        entry = "from siteopt.cli import entry_point; entry_point()"
        second = subprocess.run(
            [sys.executable, "-c", entry, "sweep", str(file), "--out", str(out), "--quiet"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert second.returncode == 2, second.stderr
        line = _one_error_line(second.stderr)
        assert f"pid {holder.pid}" in line
        assert "sweep.lock" in line
    finally:
        holder.kill()
        holder.wait()
    run = run_sweep(load_sweep(file), out, workers=1, progress=False, report=False)
    assert f"took over the lock of a sweep that is no longer running (pid {holder.pid}" in (
        capsys.readouterr().err
    )
    assert run.skipped + run.ran == 24
    assert not (out / "sweep.lock").exists()
    assert _results(out) == _results(reference_out)


def test_a_scenario_is_stored_and_counted_once_even_if_written_twice(
    reference: tuple[Path, Path], tmp_path: Path
) -> None:
    import shutil

    from siteopt.sweep.report import load_results
    from siteopt.sweep.store import _write_batch

    _, out = reference
    copy = _copy_store(out, tmp_path)
    parts = sorted((copy / "results").glob("batch-*.parquet"))
    shutil.copy(parts[0], copy / "results" / "batch-0copy.parquet")  # a doubled batch file
    assert len(load_results(copy)) == 24
    assert len(list(iter_rows(copy))) == 24
    rows = list(iter_rows(out))[:3]
    stored = stored_ids(copy)
    assert _write_batch(copy, rows, stored) == []  # nothing new: no file written
    assert len(list((copy / "results").glob("batch-*.parquet"))) == len(parts) + 1


# ---------------------------------------------------------------------------------------------
# The store is tied to the content of every input file


def _profile_sweep(folder: Path) -> Path:
    """A two-scenario sweep whose base extends the toy and reads a measured profile p.csv."""
    shares = [float(i % 24 + 1) for i in range(168)]
    _write_shares(folder / "p.csv", shares)
    (folder / "base.toml").write_text(
        f'extends = "{TOY}"\n[demand]\nprofile = "p.csv"\n', encoding="utf-8"
    )
    file = folder / "sweep.toml"
    file.write_text(
        'name = "profile sweep"\nbase = "base.toml"\n[grid]\n"demand.growth" = [1.0, 1.2]\n',
        encoding="utf-8",
    )
    return file


def _write_shares(path: Path, shares: list[float]) -> None:
    total = sum(shares)
    lines = ["interval,share", *(f"{i},{s / total!r}" for i, s in enumerate(shares))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_changed_input_file_refuses_a_resume_until_restart(
    tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    file = _profile_sweep(tmp_path)
    out = tmp_path / "out"
    first = run_sweep(load_sweep(file), out, workers=1, progress=False, report=False)
    assert first.ran == 2
    before = _results(out)
    # the same numbers in the TOML files, another call profile: the stored results are stale
    _write_shares(tmp_path / "p.csv", [1.0 if i < 84 else 3.0 for i in range(168)])
    result = run_cli("sweep", str(file), "--out", str(out), "--quiet", "--workers", "1")
    assert result.code == 2
    line = _one_error_line(result.err)
    assert "p.csv changed" in line
    assert "--restart" in line
    assert _results(out) == before  # nothing was touched
    again = run_cli("sweep", str(file), "--out", str(out), "--quiet", "--workers", "1", "--restart")
    assert again.code == 0, again.err
    assert "0 already stored, 2 run" in again.out
    after = _results(out)
    assert set(after) == set(before)
    assert all(after[k]["fte"] != before[k]["fte"] for k in after)


def test_the_store_records_every_input_files_hash(tmp_path: Path) -> None:
    file = _profile_sweep(tmp_path)
    sweep = load_sweep(file)
    names = {Path(f).name for f in sweep.inputs}
    assert {"sweep.toml", "base.toml", "toy.toml", "p.csv", "manifest.json"} <= names
    out = tmp_path / "out"
    run_sweep(sweep, out, workers=1, progress=False, report=False)
    held = json.loads((out / "sweep.json").read_text(encoding="utf-8"))
    assert held["inputs"] == dict(sweep.inputs)
    assert held["siteopt"]
    (tmp_path / "base.toml").write_text(
        (tmp_path / "base.toml").read_text(encoding="utf-8") + "# a comment\n", encoding="utf-8"
    )
    with pytest.raises(SiteoptError, match=r"base\.toml changed"):
        run_sweep(load_sweep(file), out, workers=1, progress=False, report=False)


# ---------------------------------------------------------------------------------------------
# Hostile sweep files: one line, exit 2, naming the file and the field

MC = """
[monte_carlo]
draws = 5
seed = {seed}
[monte_carlo.fields]
"demand.growth" = {{ distribution = "uniform", low = {low}, high = {high} }}
"""


@pytest.mark.parametrize(
    ("seed", "low", "high", "field"),
    [
        (-1, 0.9, 1.1, "monte_carlo.seed"),
        (1, 0.9, "inf", "monte_carlo.fields.demand.growth.uniform.high"),
        (1, "nan", 1.1, "monte_carlo.fields.demand.growth.uniform.low"),
        (1, "-inf", 1.1, "monte_carlo.fields.demand.growth.uniform.low"),
    ],
)
def test_hostile_monte_carlo_settings_are_one_line_naming_the_field(
    tmp_path: Path, run_cli: Callable[..., CliResult], seed: int, low: Any, high: Any, field: str
) -> None:
    file = _sweep_file(tmp_path, MC.format(seed=seed, low=low, high=high))
    result = run_cli("sweep", str(file), "--out", str(tmp_path / "out"), "--quiet")
    assert result.code == 2
    line = _one_error_line(result.err)
    assert f"{file}: {field}:" in line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"demand.growth\n1.1\n\xff\xfe1.2\n", "expected UTF-8 text, got byte 0xff"),
        (b'sites.exclude\n"' + b"x" * 131_073 + b'"\n', "field larger than field limit"),
    ],
    ids=["not-utf8", "huge-cell"],
)
def test_an_unreadable_scenario_csv_is_one_line_naming_it(
    tmp_path: Path, run_cli: Callable[..., CliResult], content: bytes, expected: str
) -> None:
    (tmp_path / "s.csv").write_bytes(content)
    file = _sweep_file(tmp_path, '[csv]\npath = "s.csv"\n')
    result = run_cli("sweep", str(file), "--out", str(tmp_path / "out"), "--quiet")
    assert result.code == 2
    line = _one_error_line(result.err)
    assert str(tmp_path / "s.csv") in line
    assert expected in line


def test_a_scenario_csv_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    (tmp_path / "s.csv").write_bytes("demand.growth\n1.1\n".encode("utf-8-sig"))
    sweep = load_sweep(_sweep_file(tmp_path, '[csv]\npath = "s.csv"\n'))
    assert [s.params for s in sweep.scenarios] == [{"demand.growth": 1.1}]


@pytest.mark.parametrize("address", ["not a url", "tcp://127.0.0.1", "foo://host:1"])
def test_a_bad_scheduler_address_is_one_line_before_any_work(
    tmp_path: Path, run_cli: Callable[..., CliResult], address: str
) -> None:
    file = _sweep_file(tmp_path, '[grid]\n"demand.growth" = [1.0]\n')
    result = run_cli("sweep", str(file), "--out", str(tmp_path / "out"), "--scheduler", address)
    assert result.code == 2
    line = _one_error_line(result.err)
    assert f"--scheduler {address!r}: expected a Dask scheduler address" in line
    assert not (tmp_path / "out").exists()


def test_a_huge_grid_is_refused_before_it_is_expanded(tmp_path: Path) -> None:
    axes = "\n".join(f'"demand.axis{i}" = [1, 2]' for i in range(30))
    file = _sweep_file(tmp_path, f"[grid]\n{axes}\n")
    entry = "from siteopt.cli import entry_point; entry_point()"
    result = subprocess.run(
        [sys.executable, "-c", entry, "sweep", str(file), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=120,  # expanding 2**30 scenarios would take far longer (and all memory)
        check=False,
    )
    assert result.returncode == 2
    line = _one_error_line(result.stderr)
    assert f"{file}: grid: expected at most 100,000 scenarios (the limit)" in line
    assert "got 1,073,741,824" in line
    assert f"--max-scenarios {2**30}" in line


def test_max_scenarios_lets_a_larger_sweep_through(tmp_path: Path) -> None:
    file = _grid(tmp_path, n_growth=2, batch=5)  # 12 scenarios
    with pytest.raises(InstanceError, match=r"at most 10 scenarios .* got 12 \(2 × 3 × 2\)"):
        load_sweep(file, max_scenarios=10)
    assert len(load_sweep(file, max_scenarios=12).scenarios) == 12
    (tmp_path / "s.csv").write_text("demand.growth\n1.0\n1.1\n1.2\n", encoding="utf-8")
    rows = _sweep_file(tmp_path, '[csv]\npath = "s.csv"\n', name="rows.toml")
    with pytest.raises(InstanceError, match=r"at most 2 scenarios .* got 3"):
        load_sweep(rows, max_scenarios=2)


# ---------------------------------------------------------------------------------------------
# A Dask worker lost while the travel inputs are scattered


class _Cluster:
    """A Dask scheduler and worker processes on this host, each in its own process group."""

    def __init__(self, workers: int) -> None:
        self.address = f"tcp://127.0.0.1:{_free_port()}"
        port = self.address.rsplit(":", 1)[1]
        self.scheduler = _dask("scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard")
        self.workers = [self._worker() for _ in range(workers)]

    def _worker(self) -> subprocess.Popen[bytes]:
        return _dask("worker", self.address, "--nthreads", "1", "--no-nanny", "--no-dashboard")

    def add_worker(self) -> None:
        """Start one more worker."""
        self.workers.append(self._worker())

    def kill_worker(self, index: int = 0) -> None:
        """SIGKILL a worker (no goodbye to the scheduler)."""
        os.kill(self.workers[index].pid, signal.SIGKILL)

    def close(self) -> None:
        """Kill every process started here."""
        for proc in [self.scheduler, *self.workers]:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _scheduler_state(client: Any) -> tuple[int, int]:
    """(clients connected, keys held) on the scheduler."""
    state: tuple[int, int] = client.run_on_scheduler(
        lambda dask_scheduler: (len(dask_scheduler.clients), len(dask_scheduler.tasks))
    )
    return state


@pytest.mark.parametrize("moment", ["sweep-connected", "inputs-scattered"])
def test_a_worker_killed_while_inputs_are_scattered_loses_nothing_and_does_not_hang(
    reference: tuple[Path, Path], moment: str
) -> None:
    from distributed import Client

    file, reference_out = reference
    out = file.parent / f"scatter-{moment}"
    cluster = _Cluster(workers=2)
    try:
        with Client(cluster.address, timeout=60) as client:  # type: ignore[no-untyped-call]
            client.wait_for_workers(2, timeout=60)
            clients, _ = _scheduler_state(client)
            process = _sweep_process(file, out, "--scheduler", cluster.address, "--batch-size", "1")
            if moment == "sweep-connected":
                _wait_for(lambda: _scheduler_state(client)[0] > clients, "the sweep's client")
            else:
                _wait_for(lambda: _scheduler_state(client)[1] > 0, "scattered travel inputs")
            cluster.kill_worker(0)
            assert _parts(out) == 0, "the worker must be killed before the first batch is stored"
        code = process.wait(timeout=240)
        log = (out.parent / f"{out.name}.log").read_text(encoding="utf-8")
        assert code == 0, log
        assert "Traceback" not in log
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        cluster.close()
    assert _results(out) == _results(reference_out)


# ---------------------------------------------------------------------------------------------
# Fault injection: workers and the sweep itself killed at random moments

#: Seeds of the fault-injection test: 3 in CI; ``SITEOPT_FAULT_SEEDS=20 pytest -m fault`` for more.
FAULT_SEEDS = range(int(os.environ.get("SITEOPT_FAULT_SEEDS", "3")))


@pytest.mark.fault
@pytest.mark.parametrize("seed", FAULT_SEEDS)
def test_random_kills_of_workers_and_the_sweep_leave_the_uninterrupted_result(
    reference: tuple[Path, Path], seed: int
) -> None:
    """Kill a worker (maybe mid-scatter) and the sweep at random moments, resume until done."""
    import random

    from distributed import Client

    rng = random.Random(seed)
    file, reference_out = reference
    out = file.parent / f"fault-{seed}"
    cluster = _Cluster(workers=2)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        with Client(cluster.address, timeout=60) as client:  # type: ignore[no-untyped-call]
            client.wait_for_workers(2, timeout=60)
        for run in range(3):  # two interrupted runs, then one left to finish
            process = _sweep_process(file, out, "--scheduler", cluster.address, "--batch-size", "1")
            processes.append(process)
            if run == 2:
                break
            kill_worker_at = rng.uniform(0.0, 4.0)  # the sweep's start, scatter or batches
            kill_sweep_at = kill_worker_at + rng.uniform(0.0, 3.0)
            started = time.monotonic()
            time.sleep(kill_worker_at)
            cluster.kill_worker(len(cluster.workers) - 2)
            cluster.add_worker()  # the cluster's size stays two
            time.sleep(max(0.0, kill_sweep_at - (time.monotonic() - started)))
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        code = processes[-1].wait(timeout=240)
        log = (out.parent / f"{out.name}.log").read_text(encoding="utf-8")
        assert code == 0, log
        assert "Traceback" not in log
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        cluster.close()
    assert _results(out) == _results(reference_out)
    assert not (out / "sweep.lock").exists()


# ---------------------------------------------------------------------------------------------
# Monte-Carlo draws are validated by their ranges at load, each draw in full when built


def test_monte_carlo_draws_are_validated_by_range_not_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from siteopt.sweep import spec

    calls: list[int] = []
    real = spec._ScenarioValidator.instance

    def counted(self: Any, params: Any, section: str, index: int) -> Any:
        calls.append(index)
        return real(self, params, section, index)

    monkeypatch.setattr(spec._ScenarioValidator, "instance", counted)
    body = """
[monte_carlo]
draws = 5000
seed = 3
[monte_carlo.fields]
"demand.growth" = { distribution = "uniform", low = 0.9, high = 1.2 }
"sites.exclude" = { distribution = "choice", values = [[], ["luton"]] }
"""
    sweep = load_sweep(_sweep_file(tmp_path, body))
    assert len(sweep.scenarios) == 5000
    assert len(calls) <= 1 + 2 + 2  # the first draw, growth's extremes, each choice
    assert not any(s.built for s in sweep.scenarios)
    growth = [s.params["demand.growth"] for s in sweep.scenarios]
    assert growth.index(min(growth)) in calls
    assert growth.index(max(growth)) in calls
    last = sweep.scenarios[-1]
    assert last.instance.demand.growth.value == last.params["demand.growth"]  # built on use


def test_a_monte_carlo_range_the_field_refuses_fails_at_load_naming_it(tmp_path: Path) -> None:
    body = """
[monte_carlo]
draws = 2000
seed = 1
[monte_carlo.fields]
"demand.growth" = { distribution = "normal", mean = 1.0, sd = 0.3 }
"""
    file = _sweep_file(tmp_path, body)
    with pytest.raises(InstanceError) as caught:
        load_sweep(file)
    assert caught.value.file == str(file)
    assert caught.value.path == "monte_carlo.fields.demand.growth"


def test_validating_scenarios_leaves_the_base_template_unchanged(tmp_path: Path) -> None:
    """Each scenario's TOML is a copy of the base's: overrides and resolved paths stay in it."""
    sweep_file = tmp_path / "sweep.toml"
    base = (Path(__file__).resolve().parents[2] / "instances" / "bch-2015.toml").as_posix()
    sweep_file.write_text(
        f'name = "template"\nbase = "{base}"\n[grid]\n'
        '"demand.growth" = [1.0, 1.2]\n"sites.exclude" = [[], ["kempston"]]\n'
        '"data.population_year" = [2015, 2019]\n',
        encoding="utf-8",
    )
    sweep = load_sweep(sweep_file)
    template = sweep.scenarios[0].validator.template
    before = template.merged()
    again = [s.validator.instance(s.params, s.section, s.index) for s in sweep.scenarios]
    assert template.merged() == before
    for scenario, instance in zip(sweep.scenarios, again, strict=True):
        assert instance == scenario.instance
        assert instance.demand.growth.value == scenario.params["demand.growth"]
        assert instance.sites.exclude == scenario.params["sites.exclude"]
        assert instance.data.dataset == sweep.base.data.dataset  # resolved once, the same

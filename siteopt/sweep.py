"""Batch what-if sweeps: many scenarios of one base instance, locally or on a Dask cluster.

A sweep file (``instances/sweeps/*.toml``, see ``docs/sweep.md``) names a base instance and its
scenarios: a grid of axes (dotted field paths → values, the cross product), Monte-Carlo draws
(a distribution per field and a seed) or an explicit CSV. Every scenario is the base instance's
merged TOML with its overrides applied and is validated by the instance validator before anything
runs; the first bad scenario fails the whole sweep with one error naming the sweep file and axis.

Scenarios run in batches on a ``dask.distributed`` cluster: a ``LocalCluster`` (one worker per
core) by default, or an existing scheduler (``--scheduler tcp://HOST:PORT``); the worker code is
the same either way. Travel matrices are computed once per distinct set of candidates and
broadcast to the workers; batches are grouped by the fields staffing depends on, so a staffing
table is built once per batch and shared by its scenarios. Each finished batch is one Parquet
file in the results store, written atomically; a rerun with the same file and ``--out`` skips
the scenarios already stored.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import itertools
import json
import os
import socket
import time
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from siteopt.atomic import atomic_write, atomic_write_text
from siteopt.errors import InstanceError, SiteoptError

if TYPE_CHECKING:
    import pyarrow as pa

    from siteopt.instance import Instance
    from siteopt.problem import ProblemData, TravelInputs
    from siteopt.staffing import StaffingTable

__all__ = [
    "COST_KEYS",
    "Scenario",
    "Sweep",
    "SweepRun",
    "load_sweep",
    "result_schema",
    "run_batch",
    "run_sweep",
    "stored_ids",
]

#: Cost components of an option, in the order the results store has them.
COST_KEYS = ("sites", "seats", "staff", "merge", "standby", "transition")
SweepMethod = Literal["auto", "cp-sat", "enumerate"]


# ---------------------------------------------------------------------------------------------
# The sweep file


class _SweepTable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Uniform(_SweepTable):
    """Uniform between ``low`` and ``high``."""

    distribution: Literal["uniform"]
    low: float
    high: float


class Normal(_SweepTable):
    """Normal with ``mean`` and ``sd``, optionally clipped to ``[low, high]``."""

    distribution: Literal["normal"]
    mean: float
    sd: Annotated[float, Field(ge=0)]
    low: float | None = None
    high: float | None = None


class Triangular(_SweepTable):
    """Triangular on ``[low, high]`` with its peak at ``mode``."""

    distribution: Literal["triangular"]
    low: float
    mode: float
    high: float


class Choice(_SweepTable):
    """One of ``values`` (any TOML value, e.g. a list of site ids), with optional ``weights``."""

    distribution: Literal["choice"]
    values: list[Any] = Field(min_length=1)
    weights: list[Annotated[float, Field(ge=0)]] | None = None


Distribution = Annotated[
    Uniform | Normal | Triangular | Choice, Field(discriminator="distribution")
]


class MonteCarlo(_SweepTable):
    """Monte-Carlo draws: ``draws`` scenarios, each field drawn independently, seeded."""

    draws: Annotated[int, Field(ge=1, le=1_000_000)]
    seed: int
    fields: dict[str, Distribution] = Field(min_length=1)


class CsvScenarios(_SweepTable):
    """An explicit CSV: a header of dotted field paths, one scenario per row (TOML values)."""

    path: str


class SweepFile(_SweepTable):
    """The sweep file's schema (exactly one of ``grid``, ``monte_carlo``, ``csv``)."""

    name: str = Field(min_length=1)
    description: str = ""
    base: str
    method: SweepMethod = "auto"
    time_limit_s: Annotated[float, Field(gt=0)] | None = None
    batch_size: Annotated[int, Field(ge=1, le=10_000)] = 20
    grid: dict[str, list[Any]] | None = None
    monte_carlo: MonteCarlo | None = None
    csv: CsvScenarios | None = None


@dataclass(frozen=True)
class Scenario:
    """One scenario: its position, deterministic id, overrides and validated instance."""

    index: int
    id: str
    params: dict[str, Any]
    instance: Instance = field(repr=False, compare=False)

    @property
    def params_json(self) -> str:
        """The overrides as canonical JSON (sorted keys)."""
        return _canonical(self.params)


@dataclass(frozen=True)
class Sweep:
    """A loaded sweep: its file, settings, base instance and every validated scenario."""

    file: Path
    spec: SweepFile
    base: Instance
    scenarios: tuple[Scenario, ...]
    digest: str

    @property
    def axes(self) -> tuple[str, ...]:
        """The dotted field paths the scenarios set."""
        return tuple(dict.fromkeys(k for s in self.scenarios for k in s.params))


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def scenario_id(index: int, params: Mapping[str, Any]) -> str:
    """Return a scenario's id: a hash of its index and parameters (stable across runs)."""
    text = f"{index}:{_canonical(dict(params))}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_sweep(path: Path | str) -> Sweep:
    """Read a sweep file, expand its scenarios and validate every one; raise on the first error."""
    from siteopt.instance import load_instance

    file = Path(path)
    spec = _read_spec(file)
    base_file = file.parent / spec.base
    if not base_file.is_file():
        raise InstanceError(file, "base", f"instance file {spec.base!r} not found next to it")
    base = load_instance(base_file)
    section, overrides = _expand(file, spec)
    validator = _ScenarioValidator(base_file, file)
    scenarios = []
    for index, params in enumerate(overrides):
        instance = validator.instance(params, section, index)
        scenarios.append(Scenario(index, scenario_id(index, params), params, instance))
    digest = hashlib.sha256(
        _canonical([validator.template.merged(), [(s.id, s.params) for s in scenarios]]).encode()
    ).hexdigest()
    return Sweep(file, spec, base, tuple(scenarios), digest)


def _read_spec(file: Path) -> SweepFile:
    if not file.is_file():
        raise InstanceError(file, "", "sweep file not found")
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InstanceError(file, "", f"not valid TOML: {exc}") from None
    try:
        spec = SweepFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise InstanceError(file, loc, f"{first['msg']}, got {first['input']!r}") from None
    given = [k for k in ("grid", "monte_carlo", "csv") if getattr(spec, k) is not None]
    if len(given) != 1:
        msg = f"expected exactly one of [grid], [monte_carlo], [csv], got {given or 'none'}"
        raise InstanceError(file, "", msg)
    return spec


def _expand(file: Path, spec: SweepFile) -> tuple[str, list[dict[str, Any]]]:
    """Return the section the scenarios come from and each scenario's overrides."""
    if spec.grid is not None:
        for axis, values in spec.grid.items():
            if not values:
                raise InstanceError(file, f"grid.{axis}", "expected a non-empty list of values")
        axes = list(spec.grid)
        rows = itertools.product(*(spec.grid[a] for a in axes))
        return "grid", [dict(zip(axes, row, strict=True)) for row in rows]
    if spec.monte_carlo is not None:
        return "monte_carlo.fields", _draws(file, spec.monte_carlo)
    assert spec.csv is not None
    return "csv", _csv_rows(file, file.parent / spec.csv.path)


def _draws(file: Path, mc: MonteCarlo) -> list[dict[str, Any]]:
    """Draw ``mc.draws`` scenarios: one seeded generator, fields drawn in file order."""
    import numpy as np

    rng = np.random.default_rng(mc.seed)
    columns: dict[str, list[Any]] = {}
    for name, dist in mc.fields.items():
        where = f"monte_carlo.fields.{name}"
        if isinstance(dist, Uniform):
            if dist.low > dist.high:
                raise InstanceError(file, where, "expected low <= high")
            columns[name] = [float(v) for v in rng.uniform(dist.low, dist.high, mc.draws)]
        elif isinstance(dist, Normal):
            draws = rng.normal(dist.mean, dist.sd, mc.draws)
            if dist.low is not None or dist.high is not None:
                draws = np.clip(draws, dist.low, dist.high)
            columns[name] = [float(v) for v in draws]
        elif isinstance(dist, Triangular):
            if not dist.low <= dist.mode <= dist.high or dist.low == dist.high:
                raise InstanceError(file, where, "expected low <= mode <= high and low < high")
            draws = rng.triangular(dist.low, dist.mode, dist.high, mc.draws)
            columns[name] = [float(v) for v in draws]
        else:
            columns[name] = _choices(file, where, dist, rng.random(mc.draws))
    return [{name: columns[name][i] for name in columns} for i in range(mc.draws)]


def _choices(file: Path, where: str, dist: Choice, uniform: Any) -> list[Any]:
    import numpy as np

    weights = np.asarray(dist.weights or [1.0] * len(dist.values), dtype=float)
    if len(weights) != len(dist.values) or weights.sum() <= 0:
        msg = f"expected {len(dist.values)} weights with a positive sum, got {dist.weights}"
        raise InstanceError(file, f"{where}.weights", msg)
    cumulative = np.cumsum(weights / weights.sum())
    picks = np.minimum(np.searchsorted(cumulative, uniform, side="right"), len(dist.values) - 1)
    return [copy.deepcopy(dist.values[int(i)]) for i in picks]


def _csv_rows(file: Path, csv_file: Path) -> list[dict[str, Any]]:
    """Read a scenario CSV: header = dotted paths, each cell a TOML value (``1.2``, ``["a"]``)."""
    if not csv_file.is_file():
        raise InstanceError(file, "csv.path", f"file {csv_file.name!r} not found next to it")
    with csv_file.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if not header or any(not h.strip() for h in header):
            raise InstanceError(csv_file, "", "expected a header row of dotted field paths")
        rows = []
        for line, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                msg = f"line {line}: expected {len(header)} cells, got {len(cells)}"
                raise InstanceError(csv_file, "", msg)
            rows.append(
                {
                    h.strip(): _toml_value(csv_file, line, h.strip(), c)
                    for h, c in zip(header, cells, strict=True)
                }
            )
    if not rows:
        raise InstanceError(csv_file, "", "expected at least one scenario row")
    return rows


def _toml_value(csv_file: Path, line: int, column: str, cell: str) -> Any:
    try:
        return tomllib.loads(f"v = {cell.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        msg = (
            f"line {line}: expected a TOML value (a number, true/false, a quoted string or "
            f'a list such as ["kempston"]), got {cell!r}'
        )
        raise InstanceError(csv_file, column, msg) from None


class _ScenarioValidator:
    """Applies a scenario's overrides to the base's merged TOML and runs the instance validator."""

    def __init__(self, base_file: Path, sweep_file: Path) -> None:
        from siteopt.instance import InstanceTemplate

        self.base_file = base_file
        self.sweep_file = sweep_file
        self.template = InstanceTemplate.read(base_file)

    def instance(self, params: Mapping[str, Any], section: str, index: int) -> Instance:
        """Return the validated instance of one scenario; errors name the sweep file and axis."""
        try:
            return self.template.variant(params, self.sweep_file)
        except InstanceError as exc:
            axis = _blamed_axis(exc.path, params)
            where = f"{section}.{axis}" if axis else section
            shown = f"{axis} = {_canonical(params[axis])}" if axis else _canonical(dict(params))
            msg = f"scenario {index} ({shown}): {exc.path or exc.file}: {exc.message}"
            raise InstanceError(self.sweep_file, where, msg) from None


def _blamed_axis(path: str, params: Mapping[str, Any]) -> str | None:
    """The axis an error path falls under (or that falls under it), if any."""
    for axis in params:
        if path == axis or path.startswith(f"{axis}.") or axis.startswith(f"{path}."):
            return axis
    return None


# ---------------------------------------------------------------------------------------------
# Shared inputs: keys, travel matrices


def travel_key(instance: Instance) -> str:
    """Key of the fields travel matrices depend on: data, network, candidates, rooms, sites."""
    rooms = [f.current_site for f in instance.forces.values()]
    parts = [
        instance.data.model_dump(mode="json", warnings=False),
        instance.network.model_dump(mode="json", warnings=False),
        instance.candidate_ids(),
        rooms,
        instance.sites.model_dump(mode="json", include={"custom", "greenfield"}, warnings=False),
    ]
    return hashlib.sha256(_canonical(parts).encode()).hexdigest()[:16]


def staffing_key(instance: Instance) -> str:
    """Key of the fields a staffing table depends on: data, forces, demand, staffing."""
    parts = instance.model_dump(
        mode="json", include={"data", "forces", "demand", "staffing"}, warnings=False
    )
    return hashlib.sha256(_canonical(parts).encode()).hexdigest()[:16]


def _needs_baseline_travel(instance: Instance) -> bool:
    candidates = set(instance.candidate_ids())
    return any(f.current_site not in candidates for f in instance.forces.values())


def shared_travel(scenarios: Sequence[Scenario]) -> dict[str, TravelInputs]:
    """Travel matrices for every distinct key the scenarios need (also today's rooms alone)."""
    from siteopt.problem import travel_inputs
    from siteopt.solve import baseline_instance

    out: dict[str, TravelInputs] = {}
    for scenario in scenarios:
        inst = scenario.instance
        needed = [inst]
        if _needs_baseline_travel(inst):
            needed.append(baseline_instance(inst))
        for one in needed:
            key = travel_key(one)
            if key not in out:
                out[key] = travel_inputs(one)
    return out


# ---------------------------------------------------------------------------------------------
# The worker side: one batch of scenarios → result rows


@dataclass(frozen=True)
class Batch:
    """Scenarios sent to one worker task, with the solver settings of the sweep."""

    scenarios: tuple[Scenario, ...]
    method: SweepMethod
    time_limit_s: float | None

    @property
    def key(self) -> str:
        """A task key unique to the batch's scenarios."""
        ids = ",".join(s.id for s in self.scenarios)
        return "siteopt-sweep-" + hashlib.sha256(ids.encode()).hexdigest()[:20]


def run_batch(batch: Batch, travel: Mapping[str, TravelInputs]) -> list[dict[str, Any]]:
    """Solve every scenario of a batch; a scenario that raises is recorded, the rest go on.

    Staffing tables are built once per distinct staffing key within the batch.
    """
    worker = f"{socket.gethostname()}:{os.getpid()}"
    tables: dict[str, StaffingTable] = {}
    rows = []
    for scenario in batch.scenarios:
        started = time.perf_counter()
        try:
            row = _solved_row(scenario, batch, travel, tables)
        except Exception as exc:  # a scenario that raises is recorded, not fatal
            row = _error_row(f"{type(exc).__name__}: {exc}")
        row |= {
            "scenario_id": scenario.id,
            "index": scenario.index,
            "params": scenario.params_json,
            "solve_s": round(time.perf_counter() - started, 4),
            "worker": worker,
        }
        rows.append(row)
    return rows


def _solved_row(
    scenario: Scenario,
    batch: Batch,
    travel: Mapping[str, TravelInputs],
    tables: dict[str, StaffingTable],
) -> dict[str, Any]:
    from siteopt.problem import problem_from_instance
    from siteopt.solve import baseline_problem, solve_instance
    from siteopt.staffing import staffing_table

    inst = scenario.instance
    skey = staffing_key(inst)
    if skey not in tables:
        tables[skey] = staffing_table(inst)
    table = tables[skey]
    shared = travel[travel_key(inst)]
    problem = problem_from_instance(inst, travel=shared, staffing_table=table)
    rooms_travel = travel[travel_key(_baseline(inst))] if _needs_baseline_travel(inst) else None
    baseline = baseline_problem(inst, problem, travel=rooms_travel, staffing_table=table)
    method = batch.method
    if method == "auto":
        method = "enumerate" if problem.k_max <= 2 else "cp-sat"
    solution, why = solve_instance(
        inst,
        method=method,
        time_limit_s=batch.time_limit_s,
        problem=problem,
        baseline=baseline,
        travel_note=shared.network.provenance,
    )
    message = ""
    if why is not None:
        message = "conflicting constraints: " + ", ".join(why.conflict)
    elif solution.objective_gbp is None:
        message = f"no solution ({solution.status})"
    sites = [s.id for s in solution.sites]
    names, totals = _option_costs(problem)
    return {
        "status": solution.status,
        "message": message,
        "method": method,
        "option": "+".join(sorted(sites)) if sites else None,
        "sites": sites,
        "routing": solution.routing,
        "fte": round(sum(s.fte for s in solution.sites), 2) if sites else None,
        "site_fte": [s.fte for s in solution.sites],
        "objective_gbp": solution.objective_gbp,
        **{f"cost_{k}_gbp": solution.costs.get(k) for k in COST_KEYS},
        "baseline_gbp": solution.baseline_gbp,
        "saving_gbp": solution.saving_gbp,
        "one_off_gbp": solution.one_off_gbp,
        "payback_years": solution.payback_years,
        "option_names": names,
        "option_total_gbp": totals,
    }


def _option_costs(problem: ProblemData) -> tuple[list[str], list[float | None]]:
    """Every one- and two-site option's best total (pounds; ``None`` when infeasible)."""
    from siteopt.enumerate import option_table
    from siteopt.solution import gbp

    if problem.k_min > 2:
        return [], []
    table = option_table(problem)
    names = [
        "+".join(sorted(problem.site_ids[j] for j in table.site_set(row)))
        for row in range(len(table.total))
    ]
    totals = [
        gbp(int(total)) if ok else None
        for total, ok in zip(table.total, table.feasible, strict=True)
    ]
    return names, totals


def _error_row(message: str) -> dict[str, Any]:
    return {
        "status": "ERROR",
        "message": message,
        "method": None,
        "option": None,
        "sites": [],
        "routing": None,
        "fte": None,
        "site_fte": [],
        "objective_gbp": None,
        **{f"cost_{k}_gbp": None for k in COST_KEYS},
        "baseline_gbp": None,
        "saving_gbp": None,
        "one_off_gbp": None,
        "payback_years": None,
        "option_names": [],
        "option_total_gbp": [],
    }


# ---------------------------------------------------------------------------------------------
# The results store


def result_schema() -> pa.Schema:
    """The Parquet schema of the results store (one row per scenario; ``docs/sweep.md``)."""
    import pyarrow as pa

    money = [pa.field(f"cost_{k}_gbp", pa.float64()) for k in COST_KEYS]
    return pa.schema(
        [
            pa.field("scenario_id", pa.string(), nullable=False),
            pa.field("index", pa.int64(), nullable=False),
            pa.field("params", pa.string(), nullable=False),
            pa.field("status", pa.string(), nullable=False),
            pa.field("message", pa.string()),
            pa.field("method", pa.string()),
            pa.field("option", pa.string()),
            pa.field("sites", pa.list_(pa.string())),
            pa.field("routing", pa.string()),
            pa.field("fte", pa.float64()),
            pa.field("site_fte", pa.list_(pa.float64())),
            pa.field("objective_gbp", pa.float64()),
            *money,
            pa.field("baseline_gbp", pa.float64()),
            pa.field("saving_gbp", pa.float64()),
            pa.field("one_off_gbp", pa.float64()),
            pa.field("payback_years", pa.float64()),
            pa.field("option_names", pa.list_(pa.string())),
            pa.field("option_total_gbp", pa.list_(pa.float64())),
            pa.field("solve_s", pa.float64()),
            pa.field("worker", pa.string()),
        ]
    )


MANIFEST = "sweep.json"
#: Times a batch lost by the cluster (its worker died) is resubmitted before it is given up.
MAX_RESUBMITS = 2
PARTS = "results"


def _open_store(out: Path, sweep: Sweep) -> None:
    """Create the store or check that it holds this sweep (same scenarios, same base)."""
    manifest = out / MANIFEST
    payload = {
        "sweep": sweep.spec.name,
        "file": str(sweep.file),
        "digest": sweep.digest,
        "scenarios": len(sweep.scenarios),
        "axes": list(sweep.axes),
    }
    if manifest.is_file():
        try:
            held = json.loads(manifest.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            held = {}
        if held.get("digest") != sweep.digest:
            msg = (
                f"{out} holds results of another sweep ({held.get('sweep', 'unknown')!r}) or of "
                "an earlier version of this file; pass a fresh --out folder"
            )
            raise SiteoptError(msg)
        return
    if out.exists() and any(out.iterdir()):
        raise SiteoptError(f"{out}: expected an empty or new folder for the results store")
    text = json.dumps(payload, indent=2) + "\n"
    atomic_write_text(manifest, text)


def stored_ids(out: Path) -> set[str]:
    """Ids of the scenarios already in the store (finished batch files only)."""
    ids: set[str] = set()
    for part in sorted((out / PARTS).glob("batch-*.parquet")):
        ids.update(_read_part(part, columns=["scenario_id"]).column(0).to_pylist())
    return ids


def _read_part(part: Path, columns: list[str] | None = None) -> Any:
    """One batch file of the store as a pyarrow table; a damaged file is a one-line error."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.read_table(part, columns=columns)
    except (pa.ArrowInvalid, OSError) as exc:
        msg = f"{part}: damaged results file ({exc}); delete it and rerun the sweep to redo it"
        raise SiteoptError(msg) from None


def _write_batch(out: Path, rows: list[dict[str, Any]]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist(rows, schema=result_schema())
    digest = hashlib.sha256(",".join(r["scenario_id"] for r in rows).encode()).hexdigest()[:20]
    path = out / PARTS / f"batch-{digest}.parquet"
    atomic_write(path, lambda p: pq.write_table(table, p))


# ---------------------------------------------------------------------------------------------
# The driver


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
    """Group scenarios by travel and staffing key (so shared inputs are reused), then chunk."""
    ordered = sorted(
        scenarios, key=lambda s: (travel_key(s.instance), staffing_key(s.instance), s.index)
    )
    out: list[list[Scenario]] = []
    for _, group in itertools.groupby(
        ordered, key=lambda s: (travel_key(s.instance), staffing_key(s.instance))
    ):
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
    sweep: Sweep,
    out: Path,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    batch_size: int | None = None,
    progress: bool = True,
    report: bool = True,
) -> SweepRun:
    """Run every scenario not yet in the store at ``out``; write the summary report at the end.

    ``scheduler`` is a running Dask scheduler's address; without it a ``LocalCluster`` with
    ``workers`` processes (default: one per core) runs the same tasks.
    """
    started = time.perf_counter()
    _open_store(out, sweep)
    done = stored_ids(out)
    todo = [s for s in sweep.scenarios if s.id not in done]
    size = batch_size or sweep.spec.batch_size
    batches = [
        Batch(tuple(b), sweep.spec.method, sweep.spec.time_limit_s) for b in batches_of(todo, size)
    ]
    counts = {"ran": 0, "failed": 0, "lost": 0}
    if batches:
        travel = shared_travel(todo)
        with (
            _client(scheduler, workers) as client,
            _progress(progress, len(sweep.scenarios)) as bar,
        ):
            bar.advance(len(done))
            _submit_all(client, batches, travel, out, counts=counts, bar=bar)
    written = None
    if report and counts["lost"] == 0:
        from siteopt.sweep_report import write_report

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
    travel: dict[str, TravelInputs],
    out: Path,
    *,
    counts: dict[str, int],
    bar: _Bar,
) -> None:
    """Submit every batch, store each as it finishes; a batch lost to the cluster is counted."""
    import distributed

    dist: Any = distributed  # untyped library

    def needed(batch: Batch) -> set[str]:
        keys = {travel_key(s.instance) for s in batch.scenarios}
        keys |= {
            travel_key(_baseline(s.instance))
            for s in batch.scenarios
            if _needs_baseline_travel(s.instance)
        }
        return keys

    def submit(batch: Batch, attempt: int) -> Any:
        shared = {k: client.scatter(travel[k], broadcast=True, hash=False) for k in needed(batch)}
        return client.submit(run_batch, batch, shared, key=f"{batch.key}-{attempt}", pure=False)

    futures = {submit(batch, 0): (batch, 0) for batch in batches}
    pending = dist.as_completed(list(futures))
    for future in pending:
        batch, attempt = futures.pop(future)
        try:
            rows = future.result()
        except Exception as exc:  # the cluster lost the batch (e.g. KilledWorker)
            if attempt < MAX_RESUBMITS:
                retry = submit(batch, attempt + 1)
                futures[retry] = (batch, attempt + 1)
                pending.add(retry)
                continue
            counts["lost"] += len(batch.scenarios)  # not stored: a rerun resumes them
            bar.note(f"batch lost by the cluster: {type(exc).__name__}: {exc}")
            bar.update(0, counts)
            continue
        _write_batch(out, rows)
        counts["ran"] += len(rows)
        counts["failed"] += sum(r["status"] not in {"OPTIMAL", "FEASIBLE"} for r in rows)
        bar.update(len(rows), counts)


def _baseline(instance: Instance) -> Instance:
    from siteopt.solve import baseline_instance

    return baseline_instance(instance)


class _client:  # noqa: N801 - used as a context manager, like a function
    """A Dask client on ``scheduler``, or on a LocalCluster started (and closed) here."""

    def __init__(self, scheduler: str | None, workers: int | None) -> None:
        self.scheduler = scheduler
        self.workers = workers
        self.cluster: Any = None
        self.client: Any = None

    def __enter__(self) -> Any:
        import distributed

        dist: Any = distributed  # untyped library
        if self.scheduler is not None:
            try:
                self.client = dist.Client(self.scheduler, timeout=30)
            except OSError as exc:
                msg = f"--scheduler {self.scheduler}: cannot connect ({exc})"
                raise SiteoptError(msg) from None
            return self.client
        self.cluster = dist.LocalCluster(
            n_workers=self.workers or os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=50,
        )
        self.client = dist.Client(self.cluster)
        return self.client

    def __exit__(self, *exc: object) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()


class _Bar:
    """A rich progress bar: done/total, rate, ETA, failures (or nothing when quiet)."""

    def __init__(self, enabled: bool, total: int) -> None:
        self.enabled = enabled
        self.total = total
        self.progress: Any = None
        self.task: Any = None

    def __enter__(self) -> _Bar:
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
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
                console=Console(stderr=True),
            )
            self.progress.__enter__()
            self.task = self.progress.add_task("sweep", total=self.total, rate="", failed=0, lost=0)
        return self

    def note(self, text: str) -> None:
        """Print a line above the bar (to stderr)."""
        import sys

        if self.progress is not None:
            self.progress.console.print(text, markup=False)
        else:
            sys.stderr.write(text + "\n")

    def advance(self, n: int) -> None:
        """Count ``n`` scenarios found already done."""
        if self.progress is not None:
            self.progress.update(self.task, advance=n)

    def update(self, n: int, counts: Mapping[str, int]) -> None:
        """Count ``n`` newly finished scenarios and refresh the rate and failures."""
        if self.progress is None:
            return
        task = self.progress.tasks[0]
        speed = task.speed
        rate = f"{speed:.1f} scen/s" if speed else ""
        self.progress.update(
            self.task, advance=n, rate=rate, failed=counts["failed"], lost=counts["lost"]
        )

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.__exit__(None, None, None)


def _progress(enabled: bool, total: int) -> _Bar:
    return _Bar(enabled, total)


def iter_rows(out: Path) -> Iterator[dict[str, Any]]:
    """Yield every stored row (any order)."""
    for part in sorted((out / PARTS).glob("batch-*.parquet")):
        yield from _read_part(part).to_pylist()

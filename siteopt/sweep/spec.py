"""Sweep files and their scenarios.

Sweep files: a base instance and its scenarios (a grid of axes, Monte-Carlo draws
or an explicit CSV), each validated by the instance validator before anything runs.

Batch what-if sweeps: many scenarios of one base instance, locally or on a Dask cluster.

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
import io
import itertools
import json
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from siteopt.errors import InstanceError
from siteopt.instance.loading import InstanceTemplate, load_instance

if TYPE_CHECKING:
    from siteopt.instance.schema import Instance

__all__ = ["Scenario", "Sweep", "load_sweep"]


SweepMethod = Literal["auto", "cp-sat", "enumerate"]


class _SweepTable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


#: A finite number (``inf`` and ``nan`` are refused: a draw from them is no scenario).
Finite = Annotated[float, Field(allow_inf_nan=False)]


class Uniform(_SweepTable):
    """Uniform between ``low`` and ``high``."""

    distribution: Literal["uniform"]
    low: Finite
    high: Finite


class Normal(_SweepTable):
    """Normal with ``mean`` and ``sd``, optionally clipped to ``[low, high]``."""

    distribution: Literal["normal"]
    mean: Finite
    sd: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    low: Finite | None = None
    high: Finite | None = None


class Triangular(_SweepTable):
    """Triangular on ``[low, high]`` with its peak at ``mode``."""

    distribution: Literal["triangular"]
    low: Finite
    mode: Finite
    high: Finite


class Choice(_SweepTable):
    """One of ``values`` (any TOML value, e.g. a list of site ids), with optional ``weights``."""

    distribution: Literal["choice"]
    values: list[Any] = Field(min_length=1)
    weights: list[Annotated[float, Field(ge=0, allow_inf_nan=False)]] | None = None


Distribution = Annotated[
    Uniform | Normal | Triangular | Choice, Field(discriminator="distribution")
]


class MonteCarlo(_SweepTable):
    """Monte-Carlo draws: ``draws`` scenarios, each field drawn independently, seeded."""

    draws: Annotated[int, Field(ge=1, le=1_000_000)]
    seed: Annotated[int, Field(ge=0)]
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
    time_limit_s: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None
    batch_size: Annotated[int, Field(ge=1, le=10_000)] = 20
    grid: dict[str, list[Any]] | None = None
    monte_carlo: MonteCarlo | None = None
    csv: CsvScenarios | None = None


@dataclass(frozen=True)
class Scenario:
    """One scenario: its position, deterministic id, overrides and validated instance.

    A Monte-Carlo draw's instance is built (and validated) when first asked for: the draws'
    ranges were validated when the sweep was loaded.
    """

    index: int
    id: str
    params: dict[str, Any]
    validator: _ScenarioValidator = field(repr=False, compare=False)
    section: str = field(default="", repr=False, compare=False)
    built: list[Instance] = field(default_factory=list, repr=False, compare=False)

    @property
    def instance(self) -> Instance:
        """The validated instance (built on first use)."""
        if not self.built:
            self.built.append(self.validator.instance(self.params, self.section, self.index))
        return self.built[0]

    @property
    def params_json(self) -> str:
        """The overrides as canonical JSON (sorted keys)."""
        return _canonical(self.params)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle without the instance: a worker validates the overrides again.

        Validating takes a few milliseconds; unpickling an instance made every worker rebuild
        pydantic's parametrised figure classes, and the sweep validated every draw on the client
        one after the other.
        """
        return (Scenario, (self.index, self.id, self.params, self.validator, self.section))


@dataclass(frozen=True)
class Sweep:
    """A loaded sweep: its file, settings, base instance and every validated scenario.

    ``inputs`` maps every file the scenarios read (the sweep file, the base instance and what it
    extends, a scenario CSV, demand profiles, road networks, each dataset's manifest) to the
    SHA-256 of its content: the results store is tied to them.
    """

    file: Path
    spec: SweepFile
    base: Instance
    scenarios: tuple[Scenario, ...]
    digest: str
    inputs: Mapping[str, str] = field(default_factory=dict)

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


#: Scenarios a sweep may have unless ``max_scenarios`` (``--max-scenarios``) allows more.
MAX_SCENARIOS = 100_000


def load_sweep(path: Path | str, *, max_scenarios: int = MAX_SCENARIOS) -> Sweep:
    """Read a sweep file, expand its scenarios and validate every one.

    Parameters
    ----------
    path
        The sweep file (``instances/sweeps/*.toml``); its ``base`` instance is read relative to
        it.
    max_scenarios
        The most scenarios the file may have: a grid is counted before it is expanded, and a
        larger sweep is refused with an error naming the limit.

    Returns
    -------
    Sweep
        The sweep's settings and every scenario, each a validated instance.

    Raises
    ------
    InstanceError
        On the first error, naming the file, the field (or scenario) and what was expected.
    """
    file = Path(path)
    spec = _read_spec(file)
    base_file = file.parent / spec.base
    if not base_file.is_file():
        raise InstanceError(file, "base", f"instance file {spec.base!r} not found next to it")
    base = load_instance(base_file)
    section, overrides = _expand(file, spec, max_scenarios)
    validator = _ScenarioValidator(base_file, file)
    scenarios = []
    for index, params in enumerate(overrides):
        scenario = Scenario(index, scenario_id(index, params), params, validator, section)
        if spec.monte_carlo is None:
            scenario.instance  # noqa: B018 (validated now: an explicit scenario is checked at once)
        scenarios.append(scenario)
    probes = _probe_instances(validator, section, overrides) if spec.monte_carlo else []
    digest = hashlib.sha256(
        _canonical([validator.template.merged(), [(s.id, s.params) for s in scenarios]]).encode()
    ).hexdigest()
    reading = [s.instance for s in scenarios if s.built or _reads_files(s.params)]
    inputs = input_hashes(file, spec, [base, *probes, *reading])
    return Sweep(file, spec, base, tuple(scenarios), digest, inputs)


def _probe_instances(
    validator: _ScenarioValidator, section: str, draws: list[dict[str, Any]]
) -> list[Instance]:
    """Validate the extremes of every Monte-Carlo field (each distinct value of a choice).

    Each probe is the first draw with one field set to its smallest or largest drawn number (or
    one of its drawn choices), so a range a field refuses fails the sweep at once, naming the
    field and a draw that has the value; every draw is validated in full when it is built.
    """
    probes = [(0, draws[0])]
    for name in draws[0]:
        picked: dict[str, int] = {}
        numbers = [(v, i) for i, d in enumerate(draws) if _is_number(v := d[name])]
        if numbers:
            for _, i in (min(numbers), max(numbers)):
                picked.setdefault(f"{i}", i)
        for i, d in enumerate(draws):
            if not _is_number(d[name]):
                picked.setdefault(_canonical(d[name]), i)
        probes += [(i, draws[0] | {name: draws[i][name]}) for i in picked.values()]
    return [validator.instance(params, section, i) for i, params in probes]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _reads_files(params: Mapping[str, Any]) -> bool:
    """Whether a scenario's overrides may change the files it reads (dataset, profile, roads)."""
    paths = ("data.dataset", "demand.profile", "network.path")
    return any(
        p == k or p.startswith(f"{k}.") or k.startswith(f"{p}.") for k in params for p in paths
    )


def input_hashes(file: Path, spec: SweepFile, instances: list[Instance]) -> dict[str, str]:
    """SHA-256 of every file a sweep reads, keyed by its resolved path (sorted)."""
    files = {file.resolve()}
    if spec.csv is not None:
        files.add((file.parent / spec.csv.path).resolve())
    seen: set[tuple[Any, ...]] = set()
    for inst in instances:
        key = (inst.chain, inst.demand.profile, inst.network.path, inst.data.dataset)
        if key in seen:
            continue
        seen.add(key)
        files.update(f.resolve() for f in inst.chain)
        if inst.demand.profile != "default":
            files.add(Path(inst.demand.profile).resolve())
        if inst.network.path:
            files.add(Path(inst.network.path).resolve())
        files.add(inst.dataset().path("manifest.json").resolve())
    return {str(f): _file_hash(f) for f in sorted(files)}


def _file_hash(path: Path) -> str:
    """SHA-256 of a file's bytes (of a folder: of its files' names and bytes, sorted)."""
    digest = hashlib.sha256()
    files = sorted(f for f in path.rglob("*") if f.is_file()) if path.is_dir() else [path]
    try:
        for one in files:
            digest.update(str(one.relative_to(path) if one != path else "").encode())
            with one.open("rb") as handle:
                while chunk := handle.read(1 << 20):
                    digest.update(chunk)
    except OSError as exc:
        raise InstanceError(path, "", f"cannot read the file ({exc.strerror})") from None
    return digest.hexdigest()


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


def _expand(file: Path, spec: SweepFile, limit: int) -> tuple[str, list[dict[str, Any]]]:
    """Return the section the scenarios come from and each scenario's overrides."""
    if spec.grid is not None:
        for axis, values in spec.grid.items():
            if not values:
                raise InstanceError(file, f"grid.{axis}", "expected a non-empty list of values")
        axes = list(spec.grid)
        sizes = [len(spec.grid[a]) for a in axes]
        _check_count(file, "grid", math.prod(sizes), limit, " × ".join(map(str, sizes)))
        rows = itertools.product(*(spec.grid[a] for a in axes))
        return "grid", [dict(zip(axes, row, strict=True)) for row in rows]
    if spec.monte_carlo is not None:
        _check_count(file, "monte_carlo.draws", spec.monte_carlo.draws, limit, "")
        return "monte_carlo.fields", _draws(file, spec.monte_carlo)
    assert spec.csv is not None
    return "csv", _csv_rows(file, file.parent / spec.csv.path, limit)


def _check_count(file: Path, where: str, count: int, limit: int, shape: str) -> None:
    """Refuse more scenarios than ``limit`` before making any of them."""
    if count <= limit:
        return
    shown = f" ({shape})" if shape else ""
    msg = (
        f"expected at most {limit:,} scenarios (the limit), got {count:,}{shown}; "
        f"pass --max-scenarios {count} to run them all"
    )
    raise InstanceError(file, where, msg)


def _draws(file: Path, mc: MonteCarlo) -> list[dict[str, Any]]:
    """Draw ``mc.draws`` scenarios: one seeded generator, fields drawn in file order."""
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

    weights = np.asarray(dist.weights or [1.0] * len(dist.values), dtype=float)
    if len(weights) != len(dist.values) or weights.sum() <= 0:
        msg = f"expected {len(dist.values)} weights with a positive sum, got {dist.weights}"
        raise InstanceError(file, f"{where}.weights", msg)
    cumulative = np.cumsum(weights / weights.sum())
    picks = np.minimum(np.searchsorted(cumulative, uniform, side="right"), len(dist.values) - 1)
    return [copy.deepcopy(dist.values[int(i)]) for i in picks]


def _csv_rows(file: Path, csv_file: Path, limit: int) -> list[dict[str, Any]]:
    """Read a scenario CSV: header = dotted paths, each cell a TOML value (``1.2``, ``["a"]``)."""
    if not csv_file.is_file():
        raise InstanceError(file, "csv.path", f"file {csv_file.name!r} not found next to it")
    try:
        text = csv_file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        msg = f"expected UTF-8 text, got byte 0x{exc.object[exc.start]:02x} at offset {exc.start}"
        raise InstanceError(csv_file, "", msg) from None
    except OSError as exc:
        raise InstanceError(csv_file, "", f"cannot read the file ({exc.strerror})") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[dict[str, Any]] = []
    try:
        header = next(reader, None)
        if not header or any(not h.strip() for h in header):
            raise InstanceError(csv_file, "", "expected a header row of dotted field paths")
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                msg = f"line {line}: expected {len(header)} cells, got {len(cells)}"
                raise InstanceError(csv_file, "", msg)
            if len(rows) == limit:
                count = len(rows) + 1 + sum(1 for c in reader if any(x.strip() for x in c))
                _check_count(csv_file, "", count, limit, "rows")
            rows.append(
                {
                    h.strip(): _toml_value(csv_file, line, h.strip(), c)
                    for h, c in zip(header, cells, strict=True)
                }
            )
    except csv.Error as exc:  # e.g. a cell longer than the csv module's field limit
        msg = f"line {reader.line_num + 1}: not a readable CSV row ({exc})"
        raise InstanceError(csv_file, "", msg) from None
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

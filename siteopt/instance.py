"""Instance files: TOML → one validated, frozen :class:`Instance`.

An instance file states a siteopt problem: forces, call demand, staffing rules, pay, candidate
sites and their costs, coverage and resilience constraints, and solver settings. Every figure from
the outside world is a *figure table* ``{ value = …, source = "…" }`` and every modelled figure is
``{ value = …, assumption = "…" }``; a bare number is refused in a file that does not extend
another.

A file may ``extends = "other.toml"`` (a path relative to itself) and override any field; tables
merge key by key, anything else is replaced. A figure overridden without a new ``source`` or
``assumption`` is labelled as a what-if assumption that names the overriding file and the base
value, so a variant cannot silently inherit a citation that no longer applies.

Every problem is reported as one :class:`~siteopt.errors.InstanceError` naming the file that set
the offending key, the dotted field path and what was expected.
"""

from __future__ import annotations

import difflib
import math
import os
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    ValidationError,
    model_validator,
)

from siteopt.data import Dataset, open_dataset
from siteopt.errors import DataError, InstanceError

__all__ = [
    "Constraint",
    "Figure",
    "Instance",
    "InstanceTemplate",
    "load_instance",
]

T = TypeVar("T")

NonNegative = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]
Share = Annotated[float, Field(ge=0, le=1)]
OpenShare = Annotated[float, Field(gt=0, lt=1)]
TargetShare = Annotated[float, Field(gt=0, le=1)]
Count = Annotated[int, Field(ge=0)]
Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]


class Strict(BaseModel):
    """Base of every instance table: unknown keys are errors and parsed values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class Figure(Strict, Generic[T]):
    """A number with its provenance: exactly one of ``source`` or ``assumption``."""

    value: T
    source: str | None = None
    assumption: str | None = None

    @model_validator(mode="after")
    def _one_provenance(self) -> Figure[T]:
        given = [k for k in ("source", "assumption") if getattr(self, k)]
        if len(given) != 1:
            msg = (
                "expected exactly one of 'source' (where the figure comes from, with its date) "
                "or 'assumption' (why this modelled value)"
            )
            raise ValueError(msg)
        return self

    @property
    def provenance(self) -> str:
        """``"source: …"`` or ``"assumption: …"`` for reports."""
        return f"source: {self.source}" if self.source else f"assumption: {self.assumption}"


class PerHeadEstimate(Strict):
    """A missing force figure estimated from the per-head rate of other forces (an assumption)."""

    per_head_of: list[Identifier] = Field(min_length=1)
    assumption: str = Field(min_length=1)


def _volume_tag(raw: Any) -> str:
    return "per_head" if isinstance(raw, Mapping) and "per_head_of" in raw else "figure"


Volume = Annotated[
    Annotated[Figure[NonNegative], Tag("figure")] | Annotated[PerHeadEstimate, Tag("per_head")],
    Discriminator(_volume_tag),
]


class DataConfig(Strict):
    """Which dataset (embedded name or folder) and which population estimate to use."""

    dataset: str = "bch"
    population_year: Literal[2015, 2019] = 2015


class Force(Strict):
    """A police force: its display name, today's control room and today's staff there."""

    name: str = Field(min_length=1)
    current_site: Identifier
    current_staff: Figure[Annotated[int, Field(ge=0)]]


class Stream(Strict):
    """A call stream (999, 101, crime recording): handling time and service target."""

    label: str = Field(min_length=1)
    aht_s: Figure[Positive]
    target_share: Figure[TargetShare]
    target_within_s: Figure[NonNegative]
    patience_s: Figure[Positive] | None = None


class Demand(Strict):
    """Annual call volumes per force and stream, growth and the hour-of-week profile."""

    profile: str = "default"
    growth: Figure[Positive]
    streams: dict[Identifier, Stream] = Field(min_length=1)
    volumes: dict[Identifier, dict[Identifier, Volume]] = Field(min_length=1)


class Shrinkage(Strict):
    """Shares of paid time not available for calls; components add up (contact-centre practice)."""

    annual_leave: Figure[Share]
    sickness: Figure[Share]
    training: Figure[Share]
    breaks: Figure[Share]
    other: Figure[Share] | None = None

    def components(self) -> dict[str, Figure[float]]:
        """Return the given components by name."""
        return {k: v for k, v in self if v is not None}

    @model_validator(mode="after")
    def _total_below_one(self) -> Shrinkage:
        total = sum(f.value for f in self.components().values())
        if total >= 1:
            msg = f"expected the shrinkage components to sum to less than 1, got {total:.3f}"
            raise ValueError(msg)
        return self


HHMM = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


class RosterShift(Strict):
    """One shift of the roster menu: paid length, paid break, allowed start times of day."""

    hours: Figure[Annotated[float, Field(gt=0, le=24)]]
    break_minutes: Figure[NonNegative]
    starts: list[HHMM] | None = Field(default=None, min_length=1)


def _wtr(what: str) -> str:
    return f"Working Time Regulations 1998 (SI 1998/1833), {what} (legislation.gov.uk, as made)"


def _default_shift(hours: float, break_minutes: float) -> RosterShift:
    note = "default roster menu: starts on the hour or half hour, paid break taken on shift"
    return RosterShift(
        hours=Figure(value=hours, assumption=f"{hours:g}-hour shifts ({note})"),
        break_minutes=Figure(
            value=break_minutes,
            assumption=f"{break_minutes:g} min paid break per {hours:g}-hour shift ({note})",
        ),
    )


def _default_roster_shifts() -> dict[str, RosterShift]:
    return {
        "h8": _default_shift(8, 30),
        "h9": _default_shift(9, 45),
        "h10": _default_shift(10, 45),
        "h12": _default_shift(12, 60),
    }


class Roster(Strict):
    """Shift menu and rules for rostering (``fte_method = "roster"`` and ``siteopt roster``).

    ``starts`` of a shift lists its allowed start times of day (``"HH:MM"``); omitted, every
    ``interval_minutes`` step of the day is allowed. The same starts apply on every day.
    """

    interval_minutes: Literal[30, 60] = 30
    shifts: dict[Identifier, RosterShift] = Field(
        default_factory=_default_roster_shifts, min_length=1
    )
    min_rest_hours: Figure[NonNegative] = Figure(
        value=11, source=_wtr("reg. 10: 11 consecutive hours' daily rest")
    )
    max_weekly_hours: Figure[Positive] = Figure(
        value=48, source=_wtr("reg. 4: 48 hours a week (averaged; here a cap on each rota line)")
    )
    time_limit_s: Annotated[float, Field(gt=0)] = 10.0


class Staffing(Strict):
    """How agents are sized and turned into FTE."""

    routing: list[Literal["pooled", "by_force"]] = Field(
        default=["pooled", "by_force"], min_length=1
    )
    interval_minutes: Literal[30, 60] = 60
    stream_teams: Literal["separate", "blended", "priority"] = "separate"
    max_occupancy: Figure[OpenShare]
    min_positions_per_site: Figure[Annotated[int, Field(ge=1)]]
    contract_hours_per_week: Figure[Annotated[float, Field(gt=0, le=60)]]
    supervisor_ratio: Figure[Share] | None = None
    shrinkage: Shrinkage
    fte_method: Literal["shrinkage", "roster"] = "shrinkage"
    roster: Roster = Field(default_factory=Roster)


class Pay(Strict):
    """Pay of control-room staff; the area allowance follows the force area of the site."""

    call_handler_salary_gbp: Figure[Positive]
    supervisor_salary_gbp: Figure[Positive]
    shift_allowance_rate: Figure[Share]
    employer_pension_rate: Figure[Share]
    employer_ni_rate: Figure[Share]
    area_allowance_gbp: dict[Identifier, Figure[NonNegative]]


class SiteCosts(Strict):
    """Cost and capacity figures of a candidate building (all assumptions until a planner sets)."""

    existing_seats: Figure[Annotated[int, Field(ge=0)]] | None = None
    max_seats: Figure[Annotated[int, Field(ge=1)]] | None = None
    running_cost_gbp: Figure[NonNegative] | None = None
    fit_out_per_seat_gbp: Figure[NonNegative] | None = None
    move_one_off_gbp: Figure[NonNegative] | None = None


class CustomSite(Strict):
    """A candidate not in the dataset's site list, placed by postcode, grid or lon/lat."""

    name: str = Field(min_length=1)
    force: Identifier
    postcode: str | None = None
    easting: float | None = None
    northing: float | None = None
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _one_location(self) -> CustomSite:
        ways = [
            self.postcode is not None,
            self.easting is not None or self.northing is not None,
            self.lon is not None or self.lat is not None,
        ]
        if sum(ways) != 1:
            msg = "expected exactly one location: 'postcode', 'easting'+'northing' or 'lon'+'lat'"
            raise ValueError(msg)
        if (self.easting is None) != (self.northing is None):
            raise ValueError("expected both 'easting' and 'northing'")
        if (self.lon is None) != (self.lat is None):
            raise ValueError("expected both 'lon' and 'lat'")
        return self


class Greenfield(Strict):
    """Generic new-build candidates on a grid over the region: where the ideal site would be."""

    grid_km: Annotated[float, Field(ge=1, le=100)]
    new_build_one_off_gbp: Figure[NonNegative]
    running_cost_gbp: Figure[NonNegative]
    fit_out_per_seat_gbp: Figure[NonNegative]
    max_seats: Figure[Annotated[int, Field(ge=1)]]

    def costs(self) -> SiteCosts:
        """Cost figures of one greenfield candidate (no seats today; the build is its move)."""
        return SiteCosts(
            existing_seats=Figure[Annotated[int, Field(ge=0)]](
                value=0, assumption="greenfield: no building yet"
            ),
            max_seats=self.max_seats,
            running_cost_gbp=self.running_cost_gbp,
            fit_out_per_seat_gbp=self.fit_out_per_seat_gbp,
            move_one_off_gbp=self.new_build_one_off_gbp,
        )


@dataclass(frozen=True)
class GreenfieldSite:
    """One greenfield candidate: grid point (EPSG:27700), the force area and district it lies in."""

    id: str
    x: float
    y: float
    force: str
    district: str = ""


GREENFIELD_PREFIX = "gf-"


class Sites(Strict):
    """Candidate sites: a selection from the dataset, extra sites, and their cost figures."""

    candidates: Literal["all"] | list[Identifier] = "all"
    exclude: list[Identifier] = []
    defaults: SiteCosts
    overrides: dict[Identifier, SiteCosts] = {}
    custom: dict[Identifier, CustomSite] = {}
    greenfield: Greenfield | None = None

    def costs_for(self, sid: str) -> SiteCosts:
        """Return a site's cost figures: the defaults with the site's overrides on top."""
        if sid.startswith(GREENFIELD_PREFIX) and self.greenfield is not None:
            return self.greenfield.costs()
        override = self.overrides.get(sid)
        if override is None:
            return self.defaults
        given = {k: v for k, v in override if v is not None}
        return self.defaults.model_copy(update=given)


class Costs(Strict):
    """Appraisal conventions and one-off costs."""

    appraisal_years: Figure[Annotated[int, Field(ge=1, le=60)]]
    discount_rate: Figure[Annotated[float, Field(ge=0, lt=1)]]
    optimism_bias: Figure[Annotated[float, Field(ge=0, le=3)]]
    ict_one_off_gbp: Figure[NonNegative]


class Transition(Strict):
    """Staff transition: where today's staff live and what a longer commute costs."""

    home_decay_per_minute: Figure[Positive]
    excess_travel_years: Figure[NonNegative]
    excess_travel_gbp_per_km: Figure[NonNegative]
    working_days_per_year: Figure[Annotated[float, Field(gt=0, le=366)]]
    retention_scale_minutes: Figure[Positive]
    redundancy_gbp: Figure[NonNegative]
    recruit_train_gbp: Figure[NonNegative]


class _ConstraintBase(Strict):
    enabled: bool = True
    description: str = ""


class StaffCommute(_ConstraintBase):
    """At least ``min_share`` of today's staff commute ≤ ``max_minutes`` to their new site."""

    type: Literal["staff_commute"]
    max_minutes: Figure[Positive]
    min_share: Figure[Share]


class PopulationWithin(_ConstraintBase):
    """At least ``min_share`` of the population lives within ``max_minutes`` of an open site."""

    type: Literal["population_within"]
    max_minutes: Figure[Positive]
    min_share: Figure[Share]


class ForceCentreWithin(_ConstraintBase):
    """Each force's population-weighted centre (or HQ) is within ``max_minutes`` of a site."""

    type: Literal["force_centre_within"]
    max_minutes: Figure[Positive]
    centre: Literal["population", "hq"] = "population"
    forces: Literal["all"] | list[Identifier] = "all"


class RecruitmentPool(_ConstraintBase):
    """Working-age people within ``max_minutes`` of each open site are ``min_people`` or more."""

    type: Literal["recruitment_pool"]
    max_minutes: Figure[Positive]
    min_people: Figure[NonNegative]
    working_age_share: Figure[Share]


class SiteSeparation(_ConstraintBase):
    """Two open sites are at least ``min_minutes`` and at most ``max_minutes`` apart by road."""

    type: Literal["site_separation"]
    min_minutes: Figure[NonNegative]
    max_minutes: Figure[Positive]


class AbsorbLoad(_ConstraintBase):
    """With two or more sites, each can seat ``min_share`` of the peak positions of all sites."""

    type: Literal["absorb_load"]
    min_share: Figure[Share]


class Fallback(_ConstraintBase):
    """With one site, a fallback building within ``max_minutes`` seats ``min_share`` of peak."""

    type: Literal["fallback"]
    site: Identifier | Literal["nearest"] = "nearest"
    max_minutes: Figure[Positive]
    min_share: Figure[Share]
    standby_cost_gbp: Figure[NonNegative]


Constraint = Annotated[
    StaffCommute
    | PopulationWithin
    | ForceCentreWithin
    | RecruitmentPool
    | SiteSeparation
    | AbsorbLoad
    | Fallback,
    Field(discriminator="type"),
]
CONSTRAINT_TYPES = frozenset(
    {
        "staff_commute",
        "population_within",
        "force_centre_within",
        "recruitment_pool",
        "site_separation",
        "absorb_load",
        "fallback",
    }
)


class Network(Strict):
    """Where the road graph comes from, and the speed per road class.

    ``speeds_kph`` overrides the default speed of some road classes (km/h, each a figure with a
    ``source`` or ``assumption``); classes not named keep their defaults: for the embedded
    network the calibrated ``local_urban`` speed and the assumed ``motorway``, ``trunk`` and
    ``local_rural`` speeds of ``geodata/bch/network_calibration.json``; for road files the table
    in ``siteopt/_roadclasses.py`` (see ``docs/network.md``). ``allow_unreachable`` lists pairs
    with no route instead of stopping with an error.
    """

    kind: Literal["embedded", "osm", "os_open_roads"] = "embedded"
    path: str | None = None
    speeds_kph: dict[str, Figure[Positive]] = {}
    allow_unreachable: bool = False

    @model_validator(mode="after")
    def _path_for_files(self) -> Network:
        if self.kind != "embedded" and not self.path:
            raise ValueError(f"expected 'path' to the {self.kind} file for kind = {self.kind!r}")
        if self.kind == "embedded" and self.path:
            raise ValueError("'path' is only for kind = 'osm' or 'os_open_roads'")
        return self


class Solver(Strict):
    """How many sites to open and how to prove it."""

    k_min: Annotated[int, Field(ge=1)] = 1
    k_max: Annotated[int, Field(ge=1)] = 2
    method: Literal["cp-sat", "enumerate"] = "cp-sat"
    time_limit_s: Annotated[float, Field(gt=0)] = 60.0
    options_to_rank: Annotated[int, Field(ge=1, le=100)] = 10


class Instance(Strict):
    """A validated siteopt problem (see the module docstring for the file format)."""

    name: str = Field(min_length=1)
    description: str = ""
    extends: str | None = None
    data: DataConfig = DataConfig()
    forces: dict[Identifier, Force] = Field(min_length=1)
    demand: Demand
    staffing: Staffing
    pay: Pay
    sites: Sites
    costs: Costs
    transition: Transition
    constraints: dict[Identifier, Constraint] = {}
    network: Network = Network()
    solver: Solver = Solver()

    _file: Path = PrivateAttr(default=Path("<memory>"))
    _chain: tuple[Path, ...] = PrivateAttr(default=())
    _greenfield: tuple[GreenfieldSite, ...] = PrivateAttr(default=())
    _opened: tuple[str, Dataset] | None = PrivateAttr(default=None)

    @property
    def file(self) -> Path:
        """The instance file this was loaded from."""
        return self._file

    @property
    def chain(self) -> tuple[Path, ...]:
        """The file and the files it extends, nearest first."""
        return self._chain

    def dataset(self) -> Dataset:
        """Return the dataset this instance uses (its folder was checked at load time)."""
        # A relative folder was already resolved against the file that named it, at load time.
        # Opened once per instance (keyed by the reference, which a model_copy may change).
        if self._opened is None or self._opened[0] != self.data.dataset:
            self._opened = (self.data.dataset, open_dataset(self.data.dataset))
        return self._opened[1]

    @property
    def greenfield_sites(self) -> tuple[GreenfieldSite, ...]:
        """The greenfield grid candidates (empty without ``[sites.greenfield]``)."""
        return self._greenfield

    def site_name(self, sid: str) -> str:
        """Display name of a site: the dataset's, the custom site's, or its greenfield grid."""
        dataset_sites = self.dataset().sites
        if sid in dataset_sites:
            return dataset_sites[sid].name
        if sid in self.sites.custom:
            return self.sites.custom[sid].name
        grid = sid.removeprefix(GREENFIELD_PREFIX).replace("_", ".")
        where = next((f" in {g.district}" for g in self._greenfield if g.id == sid), "")
        return f"greenfield site at grid {grid} km{where}"

    def candidate_ids(self) -> list[str]:
        """Return the ids of the candidate sites in the order the solver sees them."""
        dataset_ids = list(self.dataset().sites)
        chosen = dataset_ids if self.sites.candidates == "all" else list(self.sites.candidates)
        extra = [*self.sites.custom, *(g.id for g in self._greenfield)]
        excluded = set(self.sites.exclude)
        return [s for s in [*chosen, *extra] if s not in excluded]

    def figures(self) -> Iterator[tuple[str, Figure[Any]]]:
        """Yield every figure with its dotted path (for the assumptions-and-sources table)."""
        yield from _walk_figures(self, "")


def _walk_figures(node: Any, prefix: str) -> Iterator[tuple[str, Figure[Any]]]:
    if isinstance(node, Figure):
        yield prefix, node
    elif isinstance(node, BaseModel):
        for key, value in node:
            yield from _walk_figures(value, f"{prefix}.{key}" if prefix else key)
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _walk_figures(value, f"{prefix}.{key}")


# ---------------------------------------------------------------------------------------------
# Loading: TOML, `extends`, error messages


Origins = dict[tuple[str, ...], Path]
PATH_FIELDS = (("data", "dataset"), ("demand", "profile"), ("network", "path"))


def load_instance(path: Path | str) -> Instance:
    """Read, merge (``extends``) and validate an instance file; raise :class:`InstanceError`."""
    return InstanceTemplate.read(path).variant({})


class InstanceTemplate:
    """An instance file read and merged once, to validate many what-if variants of it quickly.

    A sweep validates each scenario as ``template.variant({"demand.growth": 1.2}, sweep_file)``:
    the overrides go onto the merged TOML by the same merge as ``extends`` (an overridden figure
    is labelled "what-if set in <file>"), then through the full validator.
    """

    def __init__(self, file: Path, raw: dict[str, Any], origins: Origins, chain: tuple[Path, ...]):
        self.file = file
        self._raw = raw
        self._origins = origins
        self._chain = chain
        self._grids: dict[tuple[str, float], tuple[GreenfieldSite, ...]] = {}

    @classmethod
    def read(cls, path: Path | str) -> InstanceTemplate:
        """Read and merge an instance file and what it extends (no validation yet)."""
        file = Path(path)
        raw, origins, chain = _merged_toml(file, ())
        return cls(file, raw, origins, chain)

    def merged(self) -> dict[str, Any]:
        """The merged TOML table (a copy), before overrides and validation."""
        import copy

        return copy.deepcopy(self._raw)

    def variant(self, overrides: Mapping[str, Any], source: Path | None = None) -> Instance:
        """Return the validated instance with ``overrides`` (dotted path → value) applied.

        ``source`` is the file the overrides come from (it labels the overridden figures).
        """
        import copy

        raw: Any = copy.deepcopy(self._raw)
        origins = dict(self._origins)
        origin = source or self.file
        for dotted, value in overrides.items():
            keys = tuple(dotted.split("."))
            if not all(keys):
                raise InstanceError(origin, dotted, "expected a dotted field path")
            over: Any = copy.deepcopy(value)
            for key in reversed(keys):
                over = {key: over}
            raw = _merge(raw, over, origin, ())
            _record_origins(value, keys, origin, origins)
        _resolve_relative_paths(raw, origins)
        try:
            instance = Instance.model_validate(raw)
        except ValidationError as exc:
            raise _instance_error(exc, origins, self.file) from None
        instance._file = self.file
        instance._chain = self._chain
        if instance.sites.greenfield is not None:
            grid_km = instance.sites.greenfield.grid_km
            grid = (str(instance.data.dataset), grid_km)
            if grid not in self._grids:
                self._grids[grid] = greenfield_grid(instance.dataset(), grid_km)
            instance._greenfield = self._grids[grid]
        _Checker(instance, origins).check_all()
        return instance


#: Greenfield grid points farther than this from every LSOA demand point (open country with no
#: settlement to reach it through) are not candidates.
GREENFIELD_MAX_FROM_SETTLEMENT_M = 4000.0


def greenfield_grid(dataset: Dataset, grid_km: float) -> tuple[GreenfieldSite, ...]:
    """Return grid points ``grid_km`` apart inside the region's force areas (ids in km).

    Points more than :data:`GREENFIELD_MAX_FROM_SETTLEMENT_M` from every LSOA demand point are
    left out: a control room needs a road and a workforce nearby.
    """
    import numpy as np
    import shapely
    from scipy.spatial import cKDTree

    forces = dataset.boundaries("forces")
    minx, miny, maxx, maxy = forces.total_bounds
    step = grid_km * 1000
    xs = np.arange(math.floor(minx / step) * step + step / 2, maxx, step)
    ys = np.arange(math.floor(miny / step) * step + step / 2, maxy, step)
    gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
    lsoas = dataset.lsoas()
    tree = cKDTree(np.column_stack([lsoas["x"], lsoas["y"]]))
    near, _ = tree.query(np.column_stack([gx, gy]))
    settled = near <= GREENFIELD_MAX_FROM_SETTLEMENT_M
    gx, gy = gx[settled], gy[settled]
    districts = dataset.boundaries("districts")  # they tile the force areas
    out = []
    for name, force, geom in zip(
        districts["lad_name"], districts["force"], districts.geometry, strict=True
    ):
        inside = shapely.contains_xy(geom, gx, gy)
        for x, y in zip(gx[inside], gy[inside], strict=True):
            sid = f"{GREENFIELD_PREFIX}{x / 1000:.1f}-{y / 1000:.1f}".replace(".", "_")
            out.append(GreenfieldSite(sid, float(x), float(y), str(force), str(name)))
    return tuple(sorted(out, key=lambda g: (g.y, g.x)))


def _read_toml(file: Path) -> dict[str, Any]:
    if not file.is_file():
        raise InstanceError(file, "", "file not found")
    try:
        with file.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise InstanceError(file, "", f"not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise InstanceError(file, "", "not valid TOML: expected UTF-8 text") from None


def _merged_toml(
    file: Path, seen: tuple[Path, ...]
) -> tuple[dict[str, Any], Origins, tuple[Path, ...]]:
    """Return the file's table merged over what it extends, the origin of each key, the chain."""
    resolved = file.resolve()
    if resolved in seen:
        cycle = " -> ".join(str(p) for p in (*seen, resolved))
        raise InstanceError(file, "extends", f"circular extends: {cycle}")
    own = _read_toml(file)
    own_origins: Origins = {}
    _record_origins(own, (), file, own_origins)
    parent_ref = own.get("extends")
    if parent_ref is None:
        return own, own_origins, (file,)
    if not isinstance(parent_ref, str):
        raise InstanceError(file, "extends", f"expected a file path string, got {parent_ref!r}")
    parent_file = file.parent / parent_ref
    if not parent_file.is_file():
        raise InstanceError(file, "extends", f"file {parent_ref!r} not found next to {file.name}")
    base, origins, chain = _merged_toml(parent_file, (*seen, resolved))
    merged = _merge(base, own, file, ())
    origins.update(own_origins)
    return merged, origins, (file, *chain)


def _record_origins(node: Any, prefix: tuple[str, ...], file: Path, out: Origins) -> None:
    out[prefix] = file
    if isinstance(node, dict):
        for key, value in node.items():
            _record_origins(value, (*prefix, key), file, out)


def _is_figure_table(node: Any) -> bool:
    return isinstance(node, dict) and "value" in node and ("source" in node or "assumption" in node)


def _merge(base: Any, over: Any, file: Path, path: tuple[str, ...]) -> Any:
    """Merge ``over`` into ``base``: tables key by key, anything else replaced."""
    if (
        _is_figure_table(base)
        and isinstance(over, dict)
        and (over.get("source") or over.get("assumption"))
    ):
        return over
    if _is_figure_table(base):
        new_value = over.get("value") if isinstance(over, dict) else over
        unlabelled = not isinstance(over, dict) or not (
            over.get("source") or over.get("assumption")
        )
        if unlabelled and new_value is not None and not isinstance(new_value, dict | list):
            note = base.get("source") or base.get("assumption")
            kind = "source" if base.get("source") else "assumption"
            extra = (
                {k: v for k, v in over.items() if k != "value"} if isinstance(over, dict) else {}
            )
            return {
                "value": new_value,
                "assumption": f"what-if set in {file.name} (base value {base['value']}; "
                f"{kind}: {note})",
                **extra,
            }
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = _merge(base[key], value, file, (*path, key)) if key in base else value
        return out
    return over


def _resolve_relative_paths(raw: dict[str, Any], origins: Origins) -> None:
    """Make file paths relative to the file that set them (so ``extends`` keeps them valid)."""
    for section, key in PATH_FIELDS:
        table = raw.get(section)
        if not isinstance(table, dict) or not isinstance(table.get(key), str):
            continue
        value = table[key]
        if section == "data" and "/" not in value and "\\" not in value:
            continue  # an embedded dataset name
        if section == "demand" and value == "default":
            continue
        if not Path(value).is_absolute():
            table[key] = os.path.normpath(origins[(section, key)].parent / value)


def _origin_of(loc: tuple[str, ...], origins: Origins, default: Path) -> Path:
    for end in range(len(loc), -1, -1):
        if loc[:end] in origins:
            return origins[loc[:end]]
    return default


def _instance_error(exc: ValidationError, origins: Origins, file: Path) -> InstanceError:
    """Turn pydantic's first error into one InstanceError with a dotted path."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc = _clean_loc(first["loc"])
    kind = first["type"]
    if kind == "extra_forbidden":
        parent, key = loc[:-1], loc[-1]
        message = f"unknown key {key!r}"
        allowed = _allowed_keys(parent)
        if allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            message += f" ({hint}expected one of: {', '.join(allowed)})"
    elif kind == "missing":
        message = "required key missing"
    elif kind in {"model_attributes_type", "dict_type", "model_type"}:
        message = f"expected a table, got {_show(first['input'])}"
    elif kind == "union_tag_invalid":
        ctx = first.get("ctx", {})
        loc = (*loc, str(ctx.get("discriminator", "type")).strip("'"))
        message = (
            f"unknown {loc[-1]} {ctx.get('tag')!r} (expected one of: {ctx.get('expected_tags')})"
        )
    elif kind == "literal_error":
        message = f"{_lower_first(first['msg'])}, got {_show(first['input'])}"
    elif kind == "value_error":
        message = str(first["ctx"]["error"]) if "ctx" in first else first["msg"]
    else:
        message = f"{_lower_first(first['msg'])}, got {_show(first['input'])}"
    if _expects_figure(loc, first["input"]):
        message = (
            'expected a figure table { value = …, source = "…" } or '
            f'{{ value = …, assumption = "…" }}, got {_show(first["input"])}'
        )
    if len(errors) > 1:
        message += f" (+{len(errors) - 1} more)"
    return InstanceError(_origin_of(loc, origins, file), ".".join(loc), message)


def _clean_loc(loc: tuple[int | str, ...]) -> tuple[str, ...]:
    """Drop pydantic's union-tag entries from a location and render list indices as strings."""
    out: list[str] = []
    for i, part in enumerate(loc):
        prev = loc[i - 1] if i else None
        is_tag = isinstance(part, str) and (
            part in {"figure", "per_head"} | CONSTRAINT_TYPES
            and prev is not None
            and str(prev) in _tagged_parents(loc[:i])
        )
        if not is_tag:
            out.append(str(part))
    return tuple(out)


def _tagged_parents(prefix: tuple[int | str, ...]) -> set[str]:
    """Keys whose value is a tagged union (constraint names, volume stream names)."""
    if len(prefix) == 2 and prefix[0] == "constraints":
        return {str(prefix[1])}
    if len(prefix) == 4 and prefix[:2] == ("demand", "volumes"):
        return {str(prefix[3])}
    return set()


def _expects_figure(loc: tuple[str, ...], value: Any) -> bool:
    """True when the error is a bare number or string where a figure table was expected."""
    if isinstance(value, dict) or not loc:
        return False
    cls = _model_at(loc)
    return cls is not None and issubclass(cls, Figure)


def _model_at(loc: tuple[str, ...]) -> type[BaseModel] | None:
    """Return the model class that sits at ``loc`` in the schema, if it can be found."""
    from typing import get_args, get_origin

    def models_in(annotation: Any) -> list[type[BaseModel]]:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return [annotation]
        found: list[type[BaseModel]] = []
        for arg in get_args(annotation):
            found += models_in(arg)
        if get_origin(annotation) is dict:
            return []
        return found

    def step(annotation: Any, key: str) -> Any:
        origin = get_origin(annotation)
        if origin is dict:
            return get_args(annotation)[1]
        for arg in get_args(annotation):
            if get_origin(arg) is dict:
                return get_args(arg)[1]
        for model in models_in(annotation):
            if key in model.model_fields:
                return model.model_fields[key].annotation
        return None

    annotation: Any = Instance
    for key in loc:
        if annotation is None:
            return None
        annotation = step(annotation, key)
    models = models_in(annotation) if annotation is not None else []
    return models[0] if models else None


def _allowed_keys(parent: tuple[str, ...]) -> list[str]:
    model = _model_at(parent) if parent else Instance
    if model is None:
        return []
    return sorted(model.model_fields)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


# ---------------------------------------------------------------------------------------------
# Cross-references: things one field alone cannot check


class _Checker:
    """Cross-reference checks: ids, forces, files and counts that one field cannot check alone."""

    def __init__(self, instance: Instance, origins: Origins) -> None:
        self.instance = instance
        self.origins = origins
        try:
            self.dataset = instance.dataset()
            self.known_sites = self.dataset.sites
        except DataError as exc:
            raise self.error(("data", "dataset"), str(exc)) from None
        self.force_ids = list(instance.forces)
        self.all_sites = sorted(set(self.known_sites) | set(instance.sites.custom))

    def error(self, loc: tuple[str, ...], message: str) -> InstanceError:
        """Return an InstanceError for ``loc``, naming the file that set it."""
        file = _origin_of(loc, self.origins, self.instance.file)
        return InstanceError(file, ".".join(loc), message)

    def site(self, loc: tuple[str, ...], sid: str) -> None:
        """Check that ``sid`` is a dataset or custom site id."""
        if sid not in self.all_sites:
            close = difflib.get_close_matches(sid, self.all_sites, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise self.error(loc, f"unknown site id {sid!r}{hint}; `siteopt sites` lists the ids")

    def force(self, loc: tuple[str, ...], fid: str) -> None:
        """Check that ``fid`` is one of the instance's forces."""
        if fid not in self.instance.forces:
            raise self.error(loc, f"unknown force {fid!r} ({_one_of(self.force_ids)})")

    def check_all(self) -> None:
        """Run every check; the first failure raises."""
        self.check_forces()
        self.check_sites()
        self.check_demand()
        self.check_pay()
        self.check_constraints()
        self.check_solver()
        self.check_network()
        self.check_roster()
        self.check_files()

    def check_forces(self) -> None:
        """Forces exist in the dataset and their current rooms are known sites."""
        dataset_forces = {s.force for s in self.known_sites.values()}
        for fid, force in self.instance.forces.items():
            if fid not in dataset_forces:
                msg = f"force {fid!r} is not in the dataset ({_one_of(dataset_forces)})"
                raise self.error(("forces", fid), msg)
            self.site(("forces", fid, "current_site"), force.current_site)

    def check_sites(self) -> None:
        """Candidate, excluded, overridden and custom sites are consistent."""
        sites = self.instance.sites
        for sid, custom in sites.custom.items():
            loc = ("sites", "custom", sid)
            if sid in self.known_sites:
                raise self.error(loc, f"id {sid!r} is already a dataset site; pick another id")
            self.force((*loc, "force"), custom.force)
            if custom.postcode is not None:
                try:
                    self.dataset.locate_postcode(custom.postcode)
                except DataError as exc:
                    raise self.error((*loc, "postcode"), str(exc)) from None
        if sites.candidates != "all":
            for i, sid in enumerate(sites.candidates):
                self.site(("sites", "candidates", str(i)), sid)
        for i, sid in enumerate(sites.exclude):
            self.site(("sites", "exclude", str(i)), sid)
        for sid in sites.overrides:
            self.site(("sites", "overrides", sid), sid)
        if not self.instance.candidate_ids():
            raise self.error(("sites", "candidates"), "no candidate sites left after 'exclude'")
        for sid in self.instance.candidate_ids():
            self.check_site_costs(sid)

    def check_site_costs(self, sid: str) -> None:
        """Each candidate has every cost figure, and no more existing seats than it can hold."""
        costs = self.instance.sites.costs_for(sid)
        for name, figure in costs:
            if figure is None:
                msg = f"no {name} for site {sid!r}: set it here or in [sites.overrides.{sid}]"
                raise self.error(("sites", "defaults", name), msg)
        assert costs.existing_seats is not None and costs.max_seats is not None
        have, cap = costs.existing_seats.value, costs.max_seats.value
        if have > cap:
            where = "overrides" if sid in self.instance.sites.overrides else "defaults"
            loc = (
                ("sites", where, sid, "existing_seats")
                if where == "overrides"
                else ("sites", "defaults", "existing_seats")
            )
            msg = f"expected existing_seats <= max_seats for {sid!r}, got {have} > {cap}"
            raise self.error(loc, msg)

    def check_demand(self) -> None:
        """Every force has a volume for every stream; per-head estimates name measured forces."""
        demand = self.instance.demand
        for fid in self.force_ids:
            if fid not in demand.volumes:
                raise self.error(("demand", "volumes"), f"missing volumes for force {fid!r}")
        for fid, by_stream in demand.volumes.items():
            self.force(("demand", "volumes", fid), fid)
            for stream in demand.streams:
                if stream not in by_stream:
                    msg = f"missing volume for stream {stream!r}"
                    raise self.error(("demand", "volumes", fid), msg)
            for stream, volume in by_stream.items():
                loc = ("demand", "volumes", fid, stream)
                if stream not in demand.streams:
                    msg = f"unknown stream {stream!r} ({_one_of(demand.streams)})"
                    raise self.error(loc, msg)
                if isinstance(volume, PerHeadEstimate):
                    self.check_per_head(loc, fid, stream, volume)

    def check_per_head(
        self, loc: tuple[str, ...], fid: str, stream: str, volume: PerHeadEstimate
    ) -> None:
        """A per-head estimate takes its rate from other forces with measured volumes."""
        for j, other in enumerate(volume.per_head_of):
            where = (*loc, "per_head_of", str(j))
            if other not in self.instance.forces or other == fid:
                others = [f for f in self.force_ids if f != fid]
                raise self.error(where, f"{_one_of(others)}, got {other!r}")
            if not isinstance(self.instance.demand.volumes.get(other, {}).get(stream), Figure):
                msg = f"force {other!r} has no measured {stream!r} volume to take a rate from"
                raise self.error(where, msg)

    def check_pay(self) -> None:
        """Every force and every candidate's force area has an area allowance; none is unknown."""
        allowances = self.instance.pay.area_allowance_gbp
        for fid in self.force_ids:
            if fid not in allowances:
                msg = f"missing area allowance for force {fid!r}"
                raise self.error(("pay", "area_allowance_gbp"), msg)
        from siteopt.costs import candidate_forces

        areas = dict(
            zip(self.instance.candidate_ids(), candidate_forces(self.instance), strict=True)
        )
        for sid, area in areas.items():
            if area not in allowances:
                msg = (
                    f"missing area allowance for force area {area!r}, where candidate site "
                    f"{sid!r} lies (staff there are paid that area's allowance)"
                )
                raise self.error(("pay", "area_allowance_gbp"), msg)
        for fid in allowances:
            if fid not in set(areas.values()):
                self.force(("pay", "area_allowance_gbp", fid), fid)

    def check_constraints(self) -> None:
        """Constraints name known forces and sites and have ordered bounds."""
        for kind in ("absorb_load", "fallback"):
            names = [n for n, c in self.instance.constraints.items() if c.type == kind]
            if len(names) > 1:
                msg = f"expected at most one {kind!r} constraint, got {', '.join(names)}"
                raise self.error(("constraints", names[1]), msg)
        for name, constraint in self.instance.constraints.items():
            loc = ("constraints", name)
            if isinstance(constraint, ForceCentreWithin) and constraint.forces != "all":
                for j, fid in enumerate(constraint.forces):
                    self.force((*loc, "forces", str(j)), fid)
            if isinstance(constraint, SiteSeparation):
                low, high = constraint.min_minutes.value, constraint.max_minutes.value
                if low > high:
                    msg = f"expected min_minutes <= max_minutes, got {low:g} > {high:g}"
                    raise self.error((*loc, "min_minutes"), msg)
            if isinstance(constraint, Fallback) and constraint.site != "nearest":
                self.site((*loc, "site"), constraint.site)

    def check_solver(self) -> None:
        """k_min <= k_max <= number of candidates."""
        solver = self.instance.solver
        if solver.k_min > solver.k_max:
            msg = f"expected k_min <= k_max, got k_min = {solver.k_min} > k_max = {solver.k_max}"
            raise self.error(("solver", "k_min"), msg)
        n = len(self.instance.candidate_ids())
        if solver.k_max > n:
            msg = f"expected at most {n} (the number of candidate sites), got {solver.k_max}"
            raise self.error(("solver", "k_max"), msg)

    def check_network(self) -> None:
        """Speeds are given only for known road classes."""
        from siteopt._roadclasses import ROAD_CLASSES

        for name in self.instance.network.speeds_kph:
            if name not in ROAD_CLASSES:
                close = difflib.get_close_matches(name, ROAD_CLASSES, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                msg = f"unknown road class {name!r} ({hint}{_one_of(ROAD_CLASSES)})"
                raise self.error(("network", "speeds_kph", name), msg)

    def check_roster(self) -> None:
        """Roster shifts are whole roster intervals long, start on the grid, break within."""
        roster = self.instance.staffing.roster
        step = roster.interval_minutes
        for sid, shift in roster.shifts.items():
            loc = ("staffing", "roster", "shifts", sid)
            minutes = shift.hours.value * 60
            if abs(minutes / step - round(minutes / step)) > 1e-9:
                hours = shift.hours.value
                msg = f"expected a whole number of {step}-minute intervals, got {hours:g} h"
                raise self.error((*loc, "hours", "value"), msg)
            if shift.break_minutes.value >= minutes:
                msg = (
                    f"expected a break shorter than the shift ({minutes:g} min), "
                    f"got {shift.break_minutes.value:g}"
                )
                raise self.error((*loc, "break_minutes", "value"), msg)
            for i, start in enumerate(shift.starts or []):
                hour, minute = (int(part) for part in start.split(":"))
                if (hour * 60 + minute) % step:
                    msg = f"expected a start on the {step}-minute grid, got {start!r}"
                    raise self.error((*loc, "starts", str(i)), msg)

    def check_files(self) -> None:
        """Data files named by the instance exist."""
        profile = self.instance.demand.profile
        if profile != "default" and not Path(profile).is_file():
            msg = f"profile file {profile!r} not found (expected 'default' or a CSV path)"
            raise self.error(("demand", "profile"), msg)
        if profile != "default":
            from siteopt.demand import load_profile_csv  # demand imports this module

            load_profile_csv(profile, self.instance.staffing.interval_minutes)
        road_file = self.instance.network.path
        if road_file is not None and not Path(road_file).exists():
            raise self.error(("network", "path"), f"road data file {road_file!r} not found")


def _one_of(items: Any) -> str:
    return "expected one of: " + ", ".join(sorted(items))

"""The instance schema: a pydantic model per section of an instance file, the Instance at the root.

Instance files: TOML → one validated, frozen :class:`Instance`.

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

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    Field,
    PrivateAttr,
    model_validator,
)

from siteopt.data import Dataset, open_dataset
from siteopt.errors import InstanceError
from siteopt.instance.congestion import MAX_CONGESTION, load_congestion_csv
from siteopt.instance.constraints import ConstraintSpec
from siteopt.instance.figures import (
    MAX_CALL_SECONDS,
    CallSeconds,
    Figure,
    Growth,
    Identifier,
    Money,
    NonNegative,
    Occupancy,
    Positive,
    PositiveSeats,
    Salary,
    Seats,
    Share,
    Strict,
    TargetShare,
    Volume,
)
from siteopt.roadclasses import ROAD_CLASSES

__all__ = ["Instance"]


class DataConfig(Strict):
    """Which dataset (embedded name or folder), which of its forces, which population estimate.

    ``forces`` restricts the dataset to some of its forces (e.g. ``["kent", "essex"]`` of
    ``england-wales``): LSOAs, sites, boundary layers and the embedded road network's extent
    (plus a buffer) are then those forces' only. Omitted, the whole dataset is used.
    ``population_year`` 2015 exists for English LSOAs only (the national dataset has mid-2015
    populations for England, mid-2019 for England and Wales).
    """

    dataset: str = "bch"
    forces: list[Identifier] | None = Field(default=None, min_length=1)
    population_year: Literal[2015, 2019] = 2015


class Force(Strict):
    """A police force: its display name, today's control room and today's staff there."""

    name: str = Field(min_length=1)
    current_site: Identifier
    current_staff: Figure[Annotated[int, Field(ge=0, le=100_000)]]


class Stream(Strict):
    """A call stream (999, 101, crime recording): handling time and service target.

    ``patience_s`` makes it Erlang A (callers abandon); ``redial_share`` and ``redial_delay_s``
    as well make it Erlang X (a share of the abandoning callers ring again after a mean delay;
    :mod:`siteopt.queueing.erlangx`).
    """

    label: str = Field(min_length=1)
    aht_s: Figure[CallSeconds]
    target_share: Figure[TargetShare]
    target_within_s: Figure[Annotated[float, Field(ge=0, le=MAX_CALL_SECONDS)]]
    patience_s: Figure[CallSeconds] | None = None
    redial_share: Figure[Annotated[float, Field(ge=0, lt=1)]] | None = None
    redial_delay_s: Figure[CallSeconds] | None = None

    @model_validator(mode="after")
    def _redials_need_patience(self) -> Stream:
        if (self.redial_share is None) != (self.redial_delay_s is None):
            raise ValueError(
                "expected both 'redial_share' and 'redial_delay_s' (Erlang X) or neither"
            )
        if self.redial_share is not None and self.patience_s is None:
            raise ValueError(
                "expected 'patience_s' with 'redial_share': only abandoning callers redial"
            )
        return self


class Demand(Strict):
    """Annual call volumes per force and stream, growth and the hour-of-week profile."""

    profile: str = "default"
    growth: Figure[Growth]
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


CongestionFactor = Annotated[float, Field(ge=1, le=MAX_CONGESTION)]


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
    max_occupancy: Figure[Occupancy]
    min_positions_per_site: Figure[PositiveSeats]
    contract_hours_per_week: Figure[Annotated[float, Field(gt=0, le=60)]]
    supervisor_ratio: Figure[Share] | None = None
    shrinkage: Shrinkage
    fte_method: Literal["shrinkage", "roster"] = "shrinkage"
    roster: Roster = Field(default_factory=Roster)


class Pay(Strict):
    """Pay of control-room staff; the area allowance follows the force area of the site."""

    call_handler_salary_gbp: Figure[Salary]
    supervisor_salary_gbp: Figure[Salary]
    shift_allowance_rate: Figure[Share]
    employer_pension_rate: Figure[Share]
    employer_ni_rate: Figure[Share]
    area_allowance_gbp: dict[Identifier, Figure[Money]]


class SiteCosts(Strict):
    """Cost and capacity figures of a candidate building (all assumptions until a planner sets)."""

    existing_seats: Figure[Seats] | None = None
    max_seats: Figure[PositiveSeats] | None = None
    running_cost_gbp: Figure[Money] | None = None
    fit_out_per_seat_gbp: Figure[Money] | None = None
    move_one_off_gbp: Figure[Money] | None = None


class CustomSite(Strict):
    """A candidate not in the dataset's site list, placed by postcode, grid or lon/lat."""

    name: str = Field(min_length=1)
    force: Identifier
    postcode: str | None = None
    easting: Annotated[float, Field(ge=0, le=700_000)] | None = None
    northing: Annotated[float, Field(ge=0, le=1_300_000)] | None = None
    # Great Britain: the British National Grid's extent, or its longitudes and latitudes.
    lon: Annotated[float, Field(ge=-9, le=2)] | None = None
    lat: Annotated[float, Field(ge=49, le=61)] | None = None
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
    new_build_one_off_gbp: Figure[Money]
    running_cost_gbp: Figure[Money]
    fit_out_per_seat_gbp: Figure[Money]
    max_seats: Figure[PositiveSeats]

    def costs(self) -> SiteCosts:
        """Cost figures of one greenfield candidate (no seats today; the build is its move).

        Shared by every candidate of the grid (built per candidate, they cost 1 s at 1 km).
        """
        return _greenfield_costs(
            self.max_seats, self.running_cost_gbp, self.fit_out_per_seat_gbp,
            self.new_build_one_off_gbp,
        )  # fmt: skip


@functools.lru_cache(maxsize=64)
def _greenfield_costs(
    max_seats: Figure[PositiveSeats],
    running_cost_gbp: Figure[Money],
    fit_out_per_seat_gbp: Figure[Money],
    new_build_one_off_gbp: Figure[Money],
) -> SiteCosts:
    """The cost figures of a greenfield candidate, keyed by the grid's (immutable) figures."""
    return SiteCosts(
        existing_seats=Figure[Seats](value=0, assumption="greenfield: no building yet"),
        max_seats=max_seats,
        running_cost_gbp=running_cost_gbp,
        fit_out_per_seat_gbp=fit_out_per_seat_gbp,
        move_one_off_gbp=new_build_one_off_gbp,
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
    exclude: list[Identifier] = Field(default_factory=list)
    defaults: SiteCosts
    overrides: dict[Identifier, SiteCosts] = Field(default_factory=dict)
    custom: dict[Identifier, CustomSite] = Field(default_factory=dict)
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
    ict_one_off_gbp: Figure[Money]


class DoMinimum(Strict):
    """The do-minimum option of the appraisal: today's rooms kept, with a labelled change."""

    description: str = Field(min_length=1)
    one_off_gbp: Figure[NonNegative]
    recurring_change_gbp: Figure[float]


class Appraisal(Strict):
    """Green Book cash flow: when the money falls and each category's optimism bias.

    ``optimism_bias`` maps a category (``works``, ``fit_out``, ``ict``, ``transition``,
    ``recurring``) to its uplift; a category not named takes ``[costs] optimism_bias`` for the
    one-offs the optimiser uplifts (works, fit-out, ICT) and none for the others.
    """

    build_months: Figure[Annotated[int, Field(ge=0, le=60)]] = Figure(
        value=12,
        assumption="12 months of works, fit-out and ICT before the new room opens (no BCH plan "
        "was published)",
    )
    dual_running_months: Figure[Annotated[int, Field(ge=0, le=36)]] = Figure(
        value=6,
        assumption="today's rooms keep running in full for 6 months after the new room opens, "
        "while calls and staff move over (no BCH plan was published)",
    )
    optimism_bias: dict[
        Literal["works", "fit_out", "ict", "transition", "recurring"],
        Figure[Annotated[float, Field(ge=0, le=3)]],
    ] = Field(default_factory=dict)
    do_minimum: DoMinimum | None = None


class Transition(Strict):
    """Staff transition: where today's staff live and what a longer commute costs."""

    home_decay_per_minute: Figure[Positive]
    excess_travel_years: Figure[NonNegative]
    excess_travel_gbp_per_km: Figure[Money]
    working_days_per_year: Figure[Annotated[float, Field(gt=0, le=366)]]
    retention_scale_minutes: Figure[Positive]
    redundancy_gbp: Figure[Money]
    recruit_train_gbp: Figure[Money]


HourOfDay = Annotated[int, Field(ge=0, le=23)]


class Congestion(Strict):
    """Drive-time multipliers per road class at the hours staff travel to and from a shift.

    Used for staff commutes only (the staff-commute constraint, the staff transition costs and
    the commute maps); population cover, force-centre, fallback and separation times stay
    free-flow. ``factors`` gives a labelled multiplier per road class at those hours; ``file``
    (with ``file_source``) gives measured multipliers per class and hour of the day, of which the
    mean at ``hours`` is used (:mod:`siteopt.instance.congestion`). Classes named in neither
    keep their free-flow time.
    """

    hours: Figure[list[HourOfDay]]
    factors: dict[str, Figure[CongestionFactor]] = Field(default_factory=dict)
    file: str | None = None
    file_source: str | None = None

    @model_validator(mode="after")
    def _factors_or_file(self) -> Congestion:
        if not self.hours.value:
            raise ValueError("hours: expected at least one hour of the day (0-23)")
        if (self.file is None) != (self.file_source is None):
            raise ValueError(
                "expected 'file' and 'file_source' (where its figures come from) together"
            )
        if not self.factors and self.file is None:
            raise ValueError("expected 'factors' per road class, or a measured 'file'")
        unknown = sorted(set(self.factors) - set(ROAD_CLASSES))
        if unknown:
            classes = ", ".join(ROAD_CLASSES)
            msg = f"factors: unknown road class {unknown[0]!r} (expected one of {classes})"
            raise ValueError(msg)
        return self

    def commute_factors(self) -> dict[str, float]:
        """The drive-time multiplier of each road class for staff commutes (file, then figures).

        Raises
        ------
        InstanceError
            When the file cannot be read, or lacks a listed hour for a class it names.
        """
        out = {name: float(figure.value) for name, figure in self.factors.items()}
        if self.file is None:
            return out
        measured = load_congestion_csv(self.file)
        for road_class in sorted({c for c, _ in measured}):
            missing = [h for h in self.hours.value if (road_class, h) not in measured]
            if missing:
                msg = f"{road_class} has no factor for hour {missing[0]}"
                raise InstanceError(self.file, "", msg)
            if road_class in out:
                msg = f"{road_class} is also given in [network.congestion] factors; give it once"
                raise InstanceError(self.file, "", msg)
            at_hours = [measured[road_class, h] for h in self.hours.value]
            out[road_class] = sum(at_hours) / len(at_hours)
        return out

    def note(self) -> str:
        """One sentence for travel notes: which hours, which multipliers, where they come from."""
        hours = ", ".join(f"{h:02d}:00" for h in self.hours.value)
        shown = ", ".join(f"{k} ×{v:.2f}" for k, v in sorted(self.commute_factors().items()))
        where = [f"hours: {self.hours.provenance}"]
        if self.factors:
            where += [f"{k}: {f.provenance}" for k, f in sorted(self.factors.items())]
        if self.file is not None:
            where.append(f"measured file {Path(self.file).name}: source: {self.file_source}")
        return (
            f"Staff commutes at shift change ({hours}) with drive times multiplied by road class "
            f"({shown}; {'; '.join(where)}); every other time is free-flow."
        )


class Network(Strict):
    """Where the road graph comes from, and the speed per road class.

    ``speeds_kph`` overrides the default speed of some road classes (km/h, each a figure with a
    ``source`` or ``assumption``); classes not named keep their defaults: for the embedded
    network the calibrated ``local_urban`` speed and the assumed ``motorway``, ``trunk`` and
    ``local_rural`` speeds of ``geodata/bch/network_calibration.json``; for road files the table
    in ``siteopt/roadclasses.py`` (see ``docs/network.md``). ``allow_unreachable`` lists pairs
    with no route instead of stopping with an error.
    """

    kind: Literal["embedded", "osm", "os_open_roads"] = "embedded"
    path: str | None = None
    speeds_kph: dict[str, Figure[Positive]] = Field(default_factory=dict)
    allow_unreachable: bool = False
    congestion: Congestion | None = None

    @model_validator(mode="after")
    def _path_for_files(self) -> Network:
        if self.kind != "embedded" and not self.path:
            raise ValueError(f"expected 'path' to the {self.kind} file for kind = {self.kind!r}")
        if self.kind == "embedded" and self.path:
            raise ValueError("'path' is only for kind = 'osm' or 'os_open_roads'")
        return self


CALL_HANDLING = "call_handling"


DISPATCH = "dispatch"


#: The extra call-handling work of calls answered outside their force area (a reported function).
LOCAL_KNOWLEDGE = "local_knowledge"


class DispatchArea(Strict):
    """One dispatch area of a force: its share of the force's incidents, hours and minimum crew.

    ``hours`` is ``["HH:MM", "HH:MM"]`` (from, to; may wrap past midnight, ``["00:00",
    "00:00"]`` = always); omitted, the area's channel is staffed around the clock.
    """

    share: Figure[Share]
    hours: tuple[HHMM, HHMM] | None = None
    min_dispatchers: Figure[Annotated[int, Field(ge=1)]] | None = None


class NightSharing(Strict):
    """Quiet hours in which the dispatch channels of one room may merge.

    Between ``start`` and ``end`` (time of day, may wrap past midnight) the areas a room
    dispatches are merged into channels of at most ``areas_per_channel`` areas; with
    ``across_forces = false`` only areas of the same force merge.
    """

    start: HHMM
    end: HHMM
    areas_per_channel: Figure[Annotated[int, Field(ge=1)]]
    across_forces: bool = True


class Dispatch(Strict):
    """Dispatch (radio): a channel per area, sized by incidents needing deployment.

    ``incident_share`` gives, per call stream, the share of calls that create an incident
    needing deployment; each takes ``minutes_per_incident`` of a dispatcher's time; dispatchers
    are busy at most ``max_occupancy`` and every open area channel has at least
    ``min_dispatchers``. ``areas`` lists the areas of a force; a force not listed gets one area
    per local-authority district of the dataset, open around the clock, sharing the force's
    incidents by population.
    """

    label: str = "dispatch"
    incident_share: dict[Identifier, Figure[Share]] = Field(min_length=1)
    minutes_per_incident: Figure[Positive]
    max_occupancy: Figure[Occupancy]
    min_dispatchers: Figure[Annotated[int, Field(ge=1)]]
    supervisor_ratio: Figure[Share]
    salary_gbp: Figure[Salary]
    areas: dict[Identifier, dict[Identifier, DispatchArea]] = Field(default_factory=dict)
    night_sharing: NightSharing | None = None

    @model_validator(mode="after")
    def _shares_add_up(self) -> Dispatch:
        for force, areas in self.areas.items():
            if not areas:
                raise ValueError(f"areas.{force}: expected at least one dispatch area")
            total = sum(a.share.value for a in areas.values())
            if abs(total - 1) > 1e-3:
                msg = f"areas.{force}: expected the area shares to add up to 1, got {total:.4f}"
                raise ValueError(msg)
        return self


class RoomFunction(Strict):
    """A function staffed per room: supervision, management, support, training.

    ``positions_per_room`` are posts staffed around the clock in every open room (a duty
    inspector per shift: 1), turned into FTE by shrinkage and contract hours;
    ``posts_per_room`` are day posts in FTE; ``per_fte`` is a share of the room's operational
    FTE (call handling and dispatch, their supervisors included).
    """

    label: str = Field(min_length=1)
    salary_gbp: Figure[Salary]
    shift_work: bool = True
    positions_per_room: Figure[NonNegative] | None = None
    posts_per_room: Figure[NonNegative] | None = None
    per_fte: Figure[Share] | None = None


class Functions(Strict):
    """The control-room functions the instance models, and which of them move (``in_scope``).

    Call handling (the demand streams) is always in scope. A function defined but not in
    scope stays with the forces as today: ``siteopt today`` shows it, the options do not price
    it. ``local_knowledge_penalty`` lengthens calls and dispatch of a force handled in a room
    outside its force area (0.1 = 10 % longer).
    """

    in_scope: list[Identifier] = Field(default=[CALL_HANDLING], min_length=1)
    published_staff: Figure[NonNegative] | None = None
    local_knowledge_penalty: Figure[Annotated[float, Field(ge=0, le=3)]] | None = None
    dispatch: Dispatch | None = None
    room: dict[Identifier, RoomFunction] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _scope_names_functions(self) -> Functions:
        known = [CALL_HANDLING, *([DISPATCH] if self.dispatch else []), *self.room]
        if CALL_HANDLING not in self.in_scope:
            raise ValueError(f"in_scope: expected {CALL_HANDLING!r} in the list (it always moves)")
        for name in self.in_scope:
            if name not in known:
                msg = f"in_scope: unknown function {name!r} (defined: {', '.join(known)})"
                raise ValueError(msg)
        for name in self.room:
            if name in (CALL_HANDLING, DISPATCH, LOCAL_KNOWLEDGE):
                raise ValueError(f"room.{name}: the name is reserved for a built-in function")
        return self

    def defined(self) -> list[str]:
        """Names of every defined function, call handling first."""
        return [CALL_HANDLING, *([DISPATCH] if self.dispatch else []), *self.room]

    def moves(self, name: str) -> bool:
        """Whether function ``name`` is in scope (moves with the plan)."""
        return name in self.in_scope


class Solver(Strict):
    """How many sites to open and how to prove it."""

    k_min: Annotated[int, Field(ge=1)] = 1
    k_max: Annotated[int, Field(ge=1)] = 2
    method: Literal["auto", "cp-sat", "enumerate"] = "auto"
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
    appraisal: Appraisal = Field(default_factory=Appraisal)
    transition: Transition
    constraints: dict[Identifier, ConstraintSpec] = Field(default_factory=dict)
    functions: Functions = Functions()
    network: Network = Network()
    solver: Solver = Solver()

    _file: Path = PrivateAttr(default=Path("<memory>"))
    _chain: tuple[Path, ...] = PrivateAttr(default=())
    _greenfield: tuple[GreenfieldSite, ...] = PrivateAttr(default=())
    _opened: tuple[tuple[str, tuple[str, ...] | None], Dataset] | None = PrivateAttr(default=None)
    _districts: tuple[tuple[GreenfieldSite, ...], dict[str, str]] | None = PrivateAttr(default=None)

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
        # Opened once per instance (keyed by the reference and the forces, which a model_copy
        # may change).
        forces = tuple(self.data.forces) if self.data.forces is not None else None
        key = (self.data.dataset, forces)
        if self._opened is None or self._opened[0] != key:
            self._opened = (key, open_dataset(self.data.dataset, forces=forces))
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
        if self._districts is None or self._districts[0] is not self._greenfield:
            # one lookup table per grid (a name per candidate was a scan of the whole grid)
            self._districts = (self._greenfield, {g.id: g.district for g in self._greenfield})
        district = self._districts[1].get(sid)
        where = f" in {district}" if district else ""
        return f"greenfield site at grid {grid} km{where}"

    def candidate_ids(self) -> list[str]:
        """Return the ids of the candidate sites in the order the solver sees them."""
        dataset_ids = list(self.dataset().sites)
        chosen = dataset_ids if self.sites.candidates == "all" else list(self.sites.candidates)
        extra = [*self.sites.custom, *(g.id for g in self._greenfield)]
        excluded = set(self.sites.exclude)
        return [s for s in [*chosen, *extra] if s not in excluded]

    def candidate_force_areas(self) -> tuple[str, ...]:
        """Return the force area of each candidate (its pay area), in candidate order."""
        sites = self.dataset().sites
        greenfield = {g.id: g.force for g in self._greenfield}
        return tuple(
            sites[sid].force
            if sid in sites
            else greenfield[sid]
            if sid in greenfield
            else self.sites.custom[sid].force
            for sid in self.candidate_ids()
        )

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

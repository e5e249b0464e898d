"""The control room beyond call handling: dispatch, supervision, management and support, in FTE.

Call handling is sized by the queueing models of this package (:mod:`siteopt.queueing.fte`);
the other functions of a control room do not queue the same way, and this module sizes them
from the instance's ``[functions]`` tables (``docs/model.md``, "Functions"):

- **dispatch**: a radio channel per dispatch area, each open area staffed with at least its
  minimum crew whatever the load, and more when the incidents needing deployment (a share of
  each stream's calls, ``minutes_per_incident`` of dispatcher time each) would push a
  dispatcher above the occupancy cap: ``max(min, ⌈load / occupancy⌉)`` per area and interval.
  In the quiet hours of ``night_sharing`` the areas of one room merge into channels of at most
  ``areas_per_channel`` areas (across forces when allowed): ``max(channels × min,
  ⌈Σ load / occupancy⌉)``. Dispatch team leaders are a ratio of the dispatchers.
- **room functions** (supervision, management, support, training): posts staffed around the
  clock in every open room, day posts per room, and a share of the room's operational FTE.
- **local knowledge**: calls and dispatch of a force handled in a room outside its force area
  take ``1 + penalty`` times as long. Dispatch load grows by that factor; the extra call-
  handling work is priced at the margin, ``penalty × calls × handling time / max occupancy``
  agent-hours a week (the pooled Erlang requirement is not re-solved per site).

Positions on duty become FTE as for call handling: weekly position-hours / ((1 − shrinkage) ×
contract hours).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from siteopt.instance.schema import CALL_HANDLING, DISPATCH, LOCAL_KNOWLEDGE, Instance
from siteopt.queueing.erlang import HOURS_PER_WEEK
from siteopt.queueing.fte import StaffingTable, room_fte

__all__ = [
    "LOCAL_KNOWLEDGE",
    "DispatchAreaSpec",
    "FunctionModel",
    "RoomFunctionSpec",
    "dispatch_channels",
    "dispatchers_per_interval",
    "function_model",
    "today_establishment",
]


FloatArray = npt.NDArray[np.float64]


IntArray = npt.NDArray[np.int64]


BoolArray = npt.NDArray[np.bool_]


#: Tolerance under which a load divided by the occupancy cap is rounded down (float noise).
_EPS = 1e-9


@dataclass(frozen=True)
class DispatchAreaSpec:
    """One dispatch area: force index, name, share of the force's incidents, open intervals."""

    force: int
    name: str
    share: float
    open: BoolArray
    min_dispatchers: int


@dataclass(frozen=True)
class RoomFunctionSpec:
    """A function staffed per room: 24/7 positions, day posts (FTE) and a per-FTE share."""

    name: str
    label: str
    positions: float
    posts: float
    per_fte: float


@dataclass(frozen=True)
class _ForceAreas:
    """One force's dispatch areas as arrays (:func:`_force_areas`).

    ``share``: the share of the force's load each area takes per interval (renormalised over
    the areas open then), ``open``: whether it is open, both ``(areas, T)``; ``minimum``: its
    minimum crew ``(areas, 1)``; ``crew``: the minimum crews of the open areas summed ``(T,)``;
    ``count``: how many areas are open ``(T,)``.
    """

    share: FloatArray
    open: BoolArray
    minimum: IntArray
    crew: IntArray
    count: IntArray


@dataclass(frozen=True)
class _DispatchMemo:
    """Dispatch figures of a model that depend only on a force (group), computed once.

    ``day``: day dispatchers of each (force, penalised); ``channels``: the minimum crew of each
    force group (:func:`dispatch_channels`); ``fte``: :meth:`FunctionModel.dispatch_fte` of each
    (group, penalised members); ``areas``: each force's areas as arrays (:func:`_force_areas`).
    A model is priced for every candidate and force group; these were recomputed area by area
    for each.
    """

    day: dict[tuple[int, bool], IntArray] = field(default_factory=dict)
    fte: dict[tuple[tuple[int, ...], tuple[int, ...]], float] = field(default_factory=dict)
    channels: dict[frozenset[int], IntArray] = field(default_factory=dict)
    areas: dict[int, _ForceAreas] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class FunctionModel:
    """What sizing the non-call functions needs, read once from an instance.

    Attributes
    ----------
    forces
        Force ids (index order of the arrays).
    in_scope, defined
        Functions that move with the plan, and every defined function (call handling first).
    labels
        Display label of each function.
    interval_hours, fte_per_weekly_hour
        Interval length; FTE per weekly hour on duty (``1 / ((1 − shrinkage) × contract)``).
    incident_load
        ``(F, T)`` dispatcher Erlangs of each force's incidents per interval (no penalty).
    areas
        The dispatch areas of every force.
    dispatch_occupancy, dispatch_supervisor_ratio, min_dispatchers
        Dispatch sizing figures (``min_dispatchers``: per merged night channel).
    night, areas_per_channel, across_forces
        Night-sharing intervals ``(T,)`` (all False without sharing) and how areas merge.
    call_hours
        ``(F,)`` weekly call-handling agent-hours of each force's calls at the occupancy cap
        (the base of the local-knowledge extra).
    call_supervisor_ratio
        Call-handling supervisors per agent.
    penalty
        Local-knowledge penalty (0: none).
    rooms
        Room functions, in definition order.
    """

    forces: tuple[str, ...]
    in_scope: tuple[str, ...]
    defined: tuple[str, ...]
    labels: dict[str, str]
    interval_hours: float
    fte_per_weekly_hour: float
    incident_load: FloatArray
    areas: tuple[DispatchAreaSpec, ...]
    dispatch_occupancy: float
    dispatch_supervisor_ratio: float
    min_dispatchers: int
    night: BoolArray
    areas_per_channel: int
    across_forces: bool
    call_hours: FloatArray
    call_supervisor_ratio: float
    penalty: float
    rooms: tuple[RoomFunctionSpec, ...]
    _memo: _DispatchMemo = field(default_factory=_DispatchMemo, init=False, repr=False)

    @property
    def has_dispatch(self) -> bool:
        """Whether dispatch is defined."""
        return DISPATCH in self.defined

    def moves(self, name: str) -> bool:
        """Whether a function is in scope (``local_knowledge`` moves with call handling)."""
        return name in self.in_scope or name == LOCAL_KNOWLEDGE

    def fte_of_positions(self, positions_per_interval: npt.ArrayLike) -> float:
        """FTE to keep ``positions_per_interval`` on duty in every interval of the week."""
        hours = float(np.sum(positions_per_interval)) * self.interval_hours
        return hours * self.fte_per_weekly_hour

    def dispatch_fte(self, forces: Iterable[int], outside: Iterable[int] = ()) -> float:
        """Dispatchers and their team leaders of one room dispatching ``forces`` (FTE)."""
        group = sorted(set(forces))
        if not self.has_dispatch or not group:
            return 0.0
        key = (tuple(group), tuple(sorted(set(outside) & set(group))))
        memo = self._memo.fte
        if not memo and len(self.forces) <= TABULATED_DISPATCH_FORCES:
            memo.update(_every_dispatch_fte(self))
        if key not in memo:
            positions = dispatchers_per_interval(self, group, outside)
            memo[key] = self.fte_of_positions(positions) * (1 + self.dispatch_supervisor_ratio)
        return memo[key]

    def local_knowledge_fte(self, outside: Iterable[int]) -> float:
        """Extra call-handling FTE (supervisors included) of forces answered outside their area."""
        hours = self.penalty * float(sum(self.call_hours[f] for f in set(outside)))
        return hours * self.fte_per_weekly_hour * (1 + self.call_supervisor_ratio)

    def room_post_fte(self, spec: RoomFunctionSpec) -> float:
        """FTE of a room function's fixed posts in one room (24/7 positions and day posts)."""
        return spec.positions * HOURS_PER_WEEK * self.fte_per_weekly_hour + spec.posts

    def per_fte_share(self, *, scope_only: bool = True) -> float:
        """Sum of the room functions' shares of operational FTE (in scope only by default)."""
        return sum(r.per_fte for r in self.rooms if not scope_only or self.moves(r.name))

    def establishment(
        self,
        *,
        forces: Iterable[int],
        outside: Iterable[int] = (),
        call_fte: float,
        rooms: float = 1.0,
        scope_only: bool = False,
    ) -> dict[str, float]:
        """FTE per function of ``rooms`` room(s) dispatching ``forces`` with ``call_fte``.

        ``outside``: forces whose calls and dispatch this room handles outside their own force
        area (the local-knowledge penalty applies). ``rooms`` scales the fixed room posts (a
        share of a room). ``scope_only`` leaves out functions not in scope.
        """
        group = sorted(set(forces))
        out = sorted(set(outside) & set(group))
        fte: dict[str, float] = {CALL_HANDLING: call_fte}
        if self.has_dispatch and (self.moves(DISPATCH) or not scope_only):
            fte[DISPATCH] = self.dispatch_fte(group, out)
        if self.penalty > 0 and out:
            fte[LOCAL_KNOWLEDGE] = self.local_knowledge_fte(out)
        operational = sum(fte.values())
        for spec in self.rooms:
            if scope_only and not self.moves(spec.name):
                continue
            fte[spec.name] = rooms * self.room_post_fte(spec) + spec.per_fte * operational
        return fte


def function_model(instance: Instance, table: StaffingTable) -> FunctionModel:
    """Read the instance's ``[functions]`` tables against its staffing table's rates."""
    functions = instance.functions
    staffing = instance.staffing
    # The other functions are not rostered: their positions take breaks off the post whatever
    # the call-handling FTE method, so the full shrinkage (breaks included) applies.
    shrinkage = sum(f.value for f in staffing.shrinkage.components().values())
    per_hour = 1 / ((1 - shrinkage) * staffing.contract_hours_per_week.value)
    forces = table.forces
    n_intervals = table.rates_per_hour.shape[2]
    hours = table.interval_hours
    weekly_calls = table.rates_per_hour.sum(axis=2) * hours  # (F, S)
    occupancy = staffing.max_occupancy.value
    call_hours = (weekly_calls * np.asarray(table.aht_s)).sum(axis=1) / 3600 / occupancy
    dispatch = functions.dispatch
    labels = {CALL_HANDLING: "call handling", LOCAL_KNOWLEDGE: "local-knowledge extra"}
    rooms = tuple(
        RoomFunctionSpec(
            name=name,
            label=spec.label,
            positions=spec.positions_per_room.value if spec.positions_per_room else 0.0,
            posts=spec.posts_per_room.value if spec.posts_per_room else 0.0,
            per_fte=spec.per_fte.value if spec.per_fte else 0.0,
        )
        for name, spec in functions.room.items()
    )
    labels.update({r.name: r.label for r in rooms})
    penalty = functions.local_knowledge_penalty
    common = {
        "forces": forces,
        "in_scope": tuple(functions.in_scope),
        "defined": tuple(functions.defined()),
        "labels": labels,
        "interval_hours": hours,
        "fte_per_weekly_hour": per_hour,
        "call_hours": call_hours,
        "call_supervisor_ratio": (
            staffing.supervisor_ratio.value if staffing.supervisor_ratio else 0.0
        ),
        "penalty": penalty.value if penalty else 0.0,
        "rooms": rooms,
    }
    if dispatch is None:
        return FunctionModel(
            **common,
            incident_load=np.zeros((len(forces), n_intervals)),
            areas=(),
            dispatch_occupancy=1.0,
            dispatch_supervisor_ratio=0.0,
            min_dispatchers=1,
            night=np.zeros(n_intervals, dtype=np.bool_),
            areas_per_channel=1,
            across_forces=False,
        )
    labels[DISPATCH] = dispatch.label
    shares = np.array(
        [
            dispatch.incident_share[s].value if s in dispatch.incident_share else 0.0
            for s in table.streams
        ]
    )
    # Dispatcher Erlangs: incidents per hour × minutes each / 60.
    incident_load = np.einsum("fst,s->ft", table.rates_per_hour, shares)
    incident_load *= dispatch.minutes_per_incident.value / 60
    minutes = np.arange(n_intervals) * round(hours * 60) % 1440
    night = np.zeros(n_intervals, dtype=np.bool_)
    areas_per_channel = 1
    across = False
    if dispatch.night_sharing is not None:
        sharing = dispatch.night_sharing
        night = _in_window(minutes, (sharing.start, sharing.end))
        areas_per_channel = sharing.areas_per_channel.value
        across = sharing.across_forces
    return FunctionModel(
        **common,
        incident_load=incident_load,
        areas=_dispatch_areas(instance, forces, minutes),
        dispatch_occupancy=dispatch.max_occupancy.value,
        dispatch_supervisor_ratio=dispatch.supervisor_ratio.value,
        min_dispatchers=dispatch.min_dispatchers.value,
        night=night,
        areas_per_channel=areas_per_channel,
        across_forces=across,
    )


def _in_window(minutes: IntArray, window: tuple[str, str] | None) -> BoolArray:
    """Which minutes of the day fall in ``[from, to)`` (wrapping past midnight; equal: all)."""
    if window is None:
        return np.ones(len(minutes), dtype=np.bool_)
    start, end = (int(t[:2]) * 60 + int(t[3:]) for t in window)
    length = (end - start) % 1440 or 1440
    inside: BoolArray = (minutes - start) % 1440 < length
    return inside


def _dispatch_areas(
    instance: Instance, forces: tuple[str, ...], minutes: IntArray
) -> tuple[DispatchAreaSpec, ...]:
    """Every force's dispatch areas: listed in the instance, else its districts by population."""
    dispatch = instance.functions.dispatch
    assert dispatch is not None
    default_min = dispatch.min_dispatchers.value
    areas: list[DispatchAreaSpec] = []
    districts = None
    for f, fid in enumerate(forces):
        listed = dispatch.areas.get(fid)
        if listed is not None:
            areas.extend(
                DispatchAreaSpec(
                    force=f,
                    name=name,
                    share=area.share.value,
                    open=_in_window(minutes, area.hours),
                    min_dispatchers=(
                        area.min_dispatchers.value if area.min_dispatchers else default_min
                    ),
                )
                for name, area in listed.items()
            )
            continue
        if districts is None:
            districts = _district_shares(instance)
        always = np.ones(len(minutes), dtype=np.bool_)
        areas.extend(
            DispatchAreaSpec(
                force=f, name=name, share=share, open=always, min_dispatchers=default_min
            )
            for name, share in districts.get(fid, {}).items()
        )
    return tuple(areas)


def _district_shares(instance: Instance) -> dict[str, dict[str, float]]:
    """Each force's districts and their share of its population (the instance's year)."""
    by_force = instance.dataset().district_populations(instance.data.population_year)
    shares: dict[str, dict[str, float]] = {}
    for force, by_district in by_force.items():
        total = sum(by_district.values())
        shares[force] = {_slug(d): p / total for d, p in by_district.items()}
    return shares


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def dispatch_channels(model: FunctionModel, forces: Iterable[int]) -> IntArray:
    """Minimum dispatchers of one room per interval: every open channel's minimum crew.

    By day each open area of ``forces`` is a channel with its own minimum; in night-sharing
    intervals the open areas merge into ``⌈areas / areas_per_channel⌉`` channels (per force
    unless ``across_forces``), each with the dispatch minimum.
    """
    group = frozenset(forces)
    memo = model._memo.channels
    if group not in memo:
        found = _dispatch_channels(model, group)
        found.setflags(write=False)
        memo[group] = found
    return memo[group]


def _dispatch_channels(model: FunctionModel, group: frozenset[int]) -> IntArray:
    """:func:`dispatch_channels` (not memoised)."""
    forces = _areas_of_forces(model, sorted(group))
    day = np.zeros(len(model.night), dtype=np.int64)
    for force in forces:
        day += force.crew
    if not model.night.any():
        return day
    open_count = np.array([force.count for force in forces]).reshape(len(group), len(model.night))
    per = model.areas_per_channel
    if model.across_forces:
        channels = -(-open_count.sum(axis=0) // per)
    else:
        channels = (-(-open_count // per)).sum(axis=0)
    minimum: IntArray = np.where(model.night, channels * model.min_dispatchers, day)
    return minimum


def dispatchers_per_interval(
    model: FunctionModel, forces: Iterable[int], outside: Iterable[int] = ()
) -> IntArray:
    """Dispatchers on duty per interval in one room dispatching ``forces``.

    Each open area takes its share of its force's load (shares renormalised over the areas open
    in that interval); ``outside`` forces' load is scaled by ``1 + penalty``.
    """
    group = sorted(set(forces))
    penalised = set(outside)
    n_intervals = len(model.night)
    if not group:
        return np.zeros(n_intervals, dtype=np.int64)
    load = {
        f: model.incident_load[f] * (1 + model.penalty if f in penalised else 1.0) for f in group
    }
    day = np.zeros(n_intervals, dtype=np.int64)
    for f in group:
        day += _force_day_dispatchers(model, f, load[f], penalised=f in penalised)
    if not model.night.any():
        return day
    total = sum(load.values())
    busy_all = np.ceil(total / model.dispatch_occupancy - _EPS).astype(np.int64)
    night = np.maximum(dispatch_channels(model, group), busy_all)
    result: IntArray = np.where(model.night, night, day)
    return result


#: Up to this many forces a model's first :meth:`FunctionModel.dispatch_fte` prices every
#: (group, penalised members) pair at once (``3^F - 1`` of them, one vectorised pass); beyond,
#: each pair is priced when asked.
TABULATED_DISPATCH_FORCES = 6


def _every_dispatch_fte(
    model: FunctionModel,
) -> dict[tuple[tuple[int, ...], tuple[int, ...]], float]:
    """:meth:`FunctionModel.dispatch_fte` of every force group and penalised subset of it.

    The same figures as :func:`dispatchers_per_interval` pair by pair, bit for bit: the
    dispatchers are whole numbers, and each pair's night load is summed force by force in
    ascending order as there. A model is priced for every candidate and force group (a
    sweep's scenario, 18 pairs of 3 forces); one pass over all 26 costs less than one call each.
    """
    n_forces, n_intervals = len(model.forces), len(model.night)
    masks = [(g, p) for g in range(1, 2**n_forces) for p in range(2**n_forces) if p & ~g == 0]
    bits = np.arange(n_forces)
    groups, penalised = (np.array([m[i] for m in masks])[:, None] >> bits & 1 for i in (0, 1))
    day = np.zeros((len(masks), n_intervals), dtype=np.int64)
    total = np.zeros((len(masks), n_intervals))
    for f in range(n_forces):
        for penalty in (False, True):
            rows = (groups[:, f] == 1) & (penalised[:, f] == penalty)
            load = model.incident_load[f] * (1 + model.penalty if penalty else 1.0)
            day[rows] += _force_day_dispatchers(model, f, load, penalised=penalty)
            total[rows] += load
    positions = day
    if model.night.any():
        busy_all = np.ceil(total / model.dispatch_occupancy - _EPS).astype(np.int64)
        by_group = [dispatch_channels(model, _members(g)) for g in range(1, 2**n_forces)]
        channels = np.stack(by_group)[[g - 1 for g, _ in masks]]
        positions = np.where(model.night, np.maximum(channels, busy_all), day)
    ratio = 1 + model.dispatch_supervisor_ratio
    return {
        (_members(g), _members(p)): model.fte_of_positions(weekly) * ratio
        for (g, p), weekly in zip(masks, positions.sum(axis=1).tolist(), strict=True)
    }


def _members(mask: int) -> tuple[int, ...]:
    """The force indices of a bit mask, ascending."""
    return tuple(f for f in range(mask.bit_length()) if mask >> f & 1)


def _force_day_dispatchers(
    model: FunctionModel, force: int, load: FloatArray, *, penalised: bool
) -> IntArray:
    """Day dispatchers per interval of one force's open areas (``load``: its incident load).

    Each open area ``max(min, ⌈load × area share / occupancy⌉)``, summed over the force's
    areas; memoised in the model per force and penalty (the load is a function of both).
    """
    memo = model._memo.day
    key = (force, penalised)
    if key not in memo:
        (areas,) = _areas_of_forces(model, [force])
        busy = np.ceil(load * areas.share / model.dispatch_occupancy - _EPS).astype(np.int64)
        found = (areas.open * np.maximum(areas.minimum, busy)).sum(axis=0, dtype=np.int64)
        found.setflags(write=False)
        memo[key] = found
    return memo[key]


def _areas_of_forces(model: FunctionModel, forces: Sequence[int]) -> list[_ForceAreas]:
    """Each force's :func:`_force_areas`, kept per model."""
    memo = model._memo.areas
    for force in forces:
        if force not in memo:
            memo[force] = _force_areas(model, force)
    return [memo[force] for force in forces]


def _force_areas(model: FunctionModel, force: int) -> _ForceAreas:
    """One force's dispatch areas as arrays (see :class:`_ForceAreas`).

    The open areas' shares are summed area by area in their order (a running sum), as the
    per-area loop this replaced did.
    """
    n_intervals = len(model.night)
    mine = [a for a in model.areas if a.force == force]
    open_ = np.asarray([a.open for a in mine], dtype=np.bool_).reshape(len(mine), n_intervals)
    share = np.asarray([a.share for a in mine], dtype=np.float64).reshape(len(mine), 1)
    minimum = np.asarray([a.min_dispatchers for a in mine], dtype=np.int64).reshape(len(mine), 1)
    weighted = open_ * share
    open_share = np.add.accumulate(weighted)[-1] if mine else np.zeros(n_intervals)
    shares = np.divide(
        weighted, open_share, out=np.zeros((len(mine), n_intervals)), where=open_share > 0
    )
    return _ForceAreas(
        share=shares,
        open=open_,
        minimum=minimum,
        crew=(open_ * minimum).sum(axis=0, dtype=np.int64),
        count=open_.sum(axis=0, dtype=np.int64),
    )


def today_establishment(
    instance: Instance, table: StaffingTable, model: FunctionModel | None = None
) -> dict[str, dict[str, float]]:
    """Today's modelled FTE per force and function: each force in its own room today.

    Forces sharing a room today share its fixed room posts equally; every defined function is
    shown, in scope or not (out of scope: it stays as today, but it is part of today's staff).
    """
    model = model if model is not None else function_model(instance, table)
    by_room: dict[str, list[str]] = {}
    for fid, force in instance.forces.items():
        by_room.setdefault(force.current_site, []).append(fid)
    result: dict[str, dict[str, float]] = {}
    for fid, force in instance.forces.items():
        room_forces = by_room[force.current_site]
        f = table.forces.index(fid)
        call_fte = float(room_fte(instance, table.agents_for([fid])).total_fte)
        group = [table.forces.index(x) for x in room_forces]
        whole = model.establishment(forces=group, call_fte=0.0, rooms=1.0)
        own = model.establishment(forces=[f], call_fte=call_fte, rooms=1 / len(room_forces))
        if len(room_forces) > 1 and DISPATCH in whole:
            # A shared room's dispatch (merged night channels) split by each force's own need.
            alone = {x: model.dispatch_fte([table.forces.index(x)]) for x in room_forces}
            weight = alone[fid] / sum(alone.values()) if sum(alone.values()) > 0 else 0.0
            own[DISPATCH] = whole[DISPATCH] * weight
        result[fid] = own
    return result

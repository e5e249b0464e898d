"""From agents on duty to FTE, and the staffing table of every group of forces.

From agents on duty to FTE: shrinkage, contract hours and supervisors, and the
staffing table of every group of forces an instance can pool.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt

from siteopt.demand.rates import arrival_rates
from siteopt.errors import StaffingError
from siteopt.queueing.agents import ServiceTarget, required_agents
from siteopt.queueing.erlang import HOURS_PER_WEEK, _agents_array
from siteopt.queueing.shifts import roster_week, shift_menu
from siteopt.queueing.teams import blended_required_agents, priority_required_agents

if TYPE_CHECKING:
    from siteopt.instance.schema import Instance
    from siteopt.queueing.shifts import ShiftMenu

__all__ = [
    "ShrinkageRates",
    "StaffingFte",
    "StaffingTable",
    "fte_from_agents",
    "instance_shrinkage",
    "room_fte",
    "staffing_table",
    "tabulate_groups",
]


FloatArray = npt.NDArray[np.float64]


IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class ShrinkageRates:
    """Shares of paid time in which an agent is not available to take calls.

    The components are shares of the same paid hours, so they are *added* (the usual contact-centre
    convention: 12 % leave + 5 % sickness + 8 % training = 25 % of paid time away from the phones).
    Multiplying would only be right if each share were measured on the time left by the previous
    ones; inputs are rarely defined that way.

    Attributes
    ----------
    annual_leave, sickness, training, breaks, other
        Each a share in [0, 1); their sum must stay below 1.
    """

    annual_leave: float = 0.0
    sickness: float = 0.0
    training: float = 0.0
    breaks: float = 0.0
    other: float = 0.0

    def __post_init__(self) -> None:
        for name in ("annual_leave", "sickness", "training", "breaks", "other"):
            value = getattr(self, name)
            if not (math.isfinite(value) and 0.0 <= value < 1.0):
                raise StaffingError(f"shrinkage.{name}: expected a share in [0, 1), got {value}")
        if self.total >= 1.0:
            raise StaffingError(
                f"shrinkage: expected components summing to less than 1, got {self.total:g}"
            )

    @property
    def total(self) -> float:
        """Return the total shrinkage (sum of the components)."""
        return self.annual_leave + self.sickness + self.training + self.breaks + self.other


@dataclass(frozen=True, eq=False)
class StaffingFte:
    """Weekly agent-hours and FTE; arrays have the leading shape of the agents input.

    Attributes
    ----------
    weekly_agent_hours
        Productive agent-hours per week after the minimum crew is applied.
    agent_fte
        Agent full-time equivalents: hours / (1 - shrinkage) / contract hours.
    supervisor_fte
        Supervisor FTE (agent FTE × supervisors per agent).
    total_fte
        Agents plus supervisors.
    """

    weekly_agent_hours: FloatArray
    agent_fte: FloatArray
    supervisor_fte: FloatArray
    total_fte: FloatArray


def fte_from_agents(
    agents_per_interval: npt.ArrayLike,
    interval_hours: float,
    *,
    shrinkage: ShrinkageRates | float,
    contract_hours_per_week: float,
    min_positions: int = 0,
    supervisors_per_agent: float = 0.0,
) -> StaffingFte:
    """Return the FTE needed to put ``agents_per_interval`` on the phones for one week.

    ``FTE = sum(max(agents, min_positions) * interval_hours) / (1 - shrinkage) / contract hours``.

    Parameters
    ----------
    agents_per_interval
        Agents on duty per interval; the last axis must cover exactly one week.
    interval_hours
        Length of one interval in hours (e.g. 1 or 0.5).
    shrinkage
        Shrinkage components, or a single total share in [0, 1).
    contract_hours_per_week
        Paid hours of one FTE per week.
    min_positions
        Minimum agents on duty in every interval (the open room's minimum crew).
    supervisors_per_agent
        Supervisor FTE per agent FTE (e.g. 0.1 for one supervisor to ten agents); 0 for none.
    """
    agents = _agents_array(agents_per_interval).astype(np.float64)
    if agents.ndim == 0:
        raise StaffingError("agents_per_interval: expected an array with an interval axis")
    if not (math.isfinite(interval_hours) and interval_hours > 0):
        raise StaffingError(f"interval_hours: expected a positive number, got {interval_hours}")
    covered = agents.shape[-1] * interval_hours
    if not math.isclose(covered, HOURS_PER_WEEK):
        raise StaffingError(
            f"agents_per_interval: expected intervals covering one week ({HOURS_PER_WEEK:g} h), "
            f"got {agents.shape[-1]} x {interval_hours:g} h = {covered:g} h"
        )
    total_shrinkage = (
        shrinkage.total
        if isinstance(shrinkage, ShrinkageRates)
        else ShrinkageRates(other=shrinkage).total
    )
    if not (math.isfinite(contract_hours_per_week) and contract_hours_per_week > 0):
        raise StaffingError(
            "contract_hours_per_week: expected a positive number of hours, "
            f"got {contract_hours_per_week}"
        )
    if min_positions < 0:
        raise StaffingError(f"min_positions: expected a non-negative count, got {min_positions}")
    if not (math.isfinite(supervisors_per_agent) and supervisors_per_agent >= 0):
        raise StaffingError(
            f"supervisors_per_agent: expected a non-negative share, got {supervisors_per_agent}"
        )
    hours = np.maximum(agents, float(min_positions)).sum(axis=-1) * interval_hours
    agent_fte = hours / (1.0 - total_shrinkage) / contract_hours_per_week
    supervisors = agent_fte * supervisors_per_agent
    return StaffingFte(
        weekly_agent_hours=np.asarray(hours, dtype=np.float64),
        agent_fte=np.asarray(agent_fte, dtype=np.float64),
        supervisor_fte=np.asarray(supervisors, dtype=np.float64),
        total_fte=np.asarray(agent_fte + supervisors, dtype=np.float64),
    )


@dataclass(frozen=True, eq=False)
class StaffingTable:
    """Required agents per interval for any group of forces sharing one room, memoised.

    Built from an instance by :func:`staffing_table`; each force group's calls of every stream
    are added, and the group's streams are staffed as separate teams or one blended team.

    Attributes
    ----------
    forces, streams
        Force and stream ids, in the order of the rate array's first two axes.
    rates_per_hour
        Calls per hour, shape ``(forces, streams, intervals)``.
    aht_s, targets, patience_s
        Per stream: handling time, service target, mean patience (``None``: Erlang C).
    stream_teams
        ``"separate"``, ``"blended"`` or ``"priority"`` (one team, the first stream first).
    interval_hours
        Length of one interval.
    redials
        Per stream ``(redial share, mean redial delay s)`` for Erlang X, or ``None`` (empty:
        none anywhere).
    roster_menu, roster_time_limit_s, min_crew
        With ``fte_method = "roster"``: the shift menu, the CP-SAT limit per roster and the
        minimum crew; :meth:`agents_for` then returns the staff a cheapest roster puts on duty
        (breaks included, so agents × interval hours are the paid hours). ``None``: the Erlang
        requirement.
    """

    forces: tuple[str, ...]
    streams: tuple[str, ...]
    rates_per_hour: FloatArray
    aht_s: tuple[float, ...]
    targets: tuple[ServiceTarget, ...]
    patience_s: tuple[float | None, ...]
    stream_teams: Literal["separate", "blended", "priority"]
    interval_hours: float
    roster_menu: ShiftMenu | None = None
    roster_time_limit_s: float = 10.0
    min_crew: int = 0
    redials: tuple[tuple[float, float] | None, ...] = ()
    _memo: dict[frozenset[str], IntArray] = field(default_factory=dict, repr=False)

    def agents_for(self, forces: Iterable[str]) -> IntArray:
        """Return agents per interval of one room answering every call of ``forces`` (memoised).

        With a roster menu, the staff on duty in a cheapest roster covering the requirement.

        Parameters
        ----------
        forces
            Force ids served together (any order).
        """
        key = self._key(forces)
        if key not in self._memo:
            agents = self.required_for(key)
            if self.roster_menu is not None:
                roster = roster_week(
                    np.maximum(agents, self.min_crew),
                    self.roster_menu,
                    time_limit_s=self.roster_time_limit_s,
                )
                agents = roster.on_duty
            agents = np.asarray(agents, dtype=np.int64)
            agents.setflags(write=False)
            self._memo[key] = agents
        return self._memo[key]

    def known_requirements(self) -> dict[frozenset[str], IntArray]:
        """Return the agents per interval of every force group computed (or remembered) so far."""
        return dict(self._memo)

    def remember(self, requirements: dict[frozenset[str], IntArray]) -> None:
        """Take agents per interval of force groups from elsewhere (a cache; see :mod:`.store`).

        The caller vouches they are what :meth:`agents_for` would compute for this table; groups
        already known keep their value.
        """
        for group, agents in requirements.items():
            self._memo.setdefault(self._key(group), agents)

    def required_for(self, forces: Iterable[str]) -> IntArray:
        """Return the Erlang requirement per interval of one room serving ``forces``."""
        return np.asarray(self.team_agents(forces).sum(axis=0), dtype=np.int64)

    def agents_for_partition(self, groups: Sequence[Iterable[str]]) -> IntArray:
        """Return agents per group and interval when each group of forces has its own room.

        Parameters
        ----------
        groups
            Disjoint force groups, e.g. ``[["bedfordshire", "cambridgeshire"], ["hertfordshire"]]``
            for ``by_force`` routing to two rooms (use one group of all forces for ``pooled``).
        """
        keys = [self._key(group) for group in groups]
        if sum(len(k) for k in keys) != len(frozenset().union(*keys)):
            msg = f"groups: expected disjoint force groups, got {[sorted(k) for k in keys]}"
            raise StaffingError(msg)
        return np.stack([self.agents_for(key) for key in keys])

    def teams(self) -> list[list[int]]:
        """Return the stream indices of each team: one per stream, or one team for all."""
        if self.stream_teams == "separate":
            return [[s] for s in range(len(self.streams))]
        return [list(range(len(self.streams)))]

    def team_agents(self, forces: Iterable[str]) -> IntArray:
        """Return agents per team and interval (``teams() × intervals``) for a force group."""
        rates = self.group_rates(forces)
        if self.stream_teams == "separate":
            teams = [self._stream_agents(s, rates[s]) for s in range(len(self.streams))]
            return np.asarray(teams, dtype=np.int64)
        if self.stream_teams == "priority":
            team = priority_required_agents(
                list(rates), aht_s=list(self.aht_s), targets=list(self.targets)
            )
        else:
            team = blended_required_agents(
                list(rates),
                aht_s=list(self.aht_s),
                targets=list(self.targets),
                patience_s=self._blended_patience(rates),
            )
        return team[np.newaxis, :]

    def group_rates(self, forces: Iterable[str]) -> FloatArray:
        """Return calls per hour of a force group, ``(streams, intervals)`` (its forces' sum)."""
        index = [self.forces.index(f) for f in sorted(self._key(forces))]
        rates: FloatArray = self.rates_per_hour[index].sum(axis=0)
        return rates

    @property
    def plain_erlang(self) -> bool:
        """Whether each stream is its own team, staffed by Erlang C or A (no roster, no redials).

        Such tables can be tabulated together (:func:`tabulate_groups`).
        """
        return (
            self.stream_teams == "separate"
            and self.roster_menu is None
            and all(r is None for r in self.redials)
        )

    def _stream_agents(self, s: int, rates: FloatArray) -> IntArray:
        """Agents of one stream's own team: Erlang C, A, or X with redials."""
        redial = self.redials[s] if self.redials else None
        patience = self.patience_s[s]
        if redial is not None and patience is not None:
            from siteopt.queueing.erlangx import erlang_x_required_agents  # noqa: PLC0415 (cycle-free: erlangx imports agents)

            return erlang_x_required_agents(
                rates,
                aht_s=self.aht_s[s],
                patience_s=patience,
                redial_share=redial[0],
                redial_delay_s=redial[1],
                target=self.targets[s],
            )
        return required_agents(
            rates, aht_s=self.aht_s[s], target=self.targets[s], patience_s=patience
        )

    def _key(self, forces: Iterable[str]) -> frozenset[str]:
        key = frozenset(forces)
        if not key or key - set(self.forces):
            msg = f"forces: expected a non-empty subset of {list(self.forces)}, got {sorted(key)}"
            raise StaffingError(msg)
        return key

    def _blended_patience(self, rates: FloatArray) -> float | None:
        """Arrival-weighted mean patience when every stream has one; else Erlang C (none)."""
        if any(p is None for p in self.patience_s):
            return None
        calls = rates.sum(axis=1)
        weights = calls / calls.sum() if calls.sum() > 0 else np.full(len(calls), 1 / len(calls))
        return float(sum(w * p for w, p in zip(weights, self.patience_s, strict=True) if p))


def staffing_table(instance: Instance) -> StaffingTable:
    """Return the staffing table of an instance (arrival rates from :mod:`siteopt.demand`).

    With ``staffing.fte_method = "roster"`` the table works at the roster's interval and its
    :meth:`StaffingTable.agents_for` gives rostered staff on duty (see
    :mod:`siteopt.queueing.shifts`).
    """
    roster_menu = None
    if instance.staffing.fte_method == "roster":
        roster_menu = shift_menu(instance)
        minutes = instance.staffing.roster.interval_minutes
        instance = instance.model_copy(
            update={"staffing": instance.staffing.model_copy(update={"interval_minutes": minutes})}
        )
    rates = arrival_rates(instance)
    streams = [instance.demand.streams[s] for s in rates.streams]
    occupancy_cap = instance.staffing.max_occupancy.value
    return StaffingTable(
        forces=rates.forces,
        streams=rates.streams,
        rates_per_hour=rates.rates_per_hour,
        aht_s=tuple(s.aht_s.value for s in streams),
        targets=tuple(
            ServiceTarget(
                share=s.target_share.value,
                wait_s=s.target_within_s.value,
                max_occupancy=occupancy_cap,
            )
            for s in streams
        ),
        patience_s=tuple(s.patience_s.value if s.patience_s else None for s in streams),
        stream_teams=instance.staffing.stream_teams,
        interval_hours=rates.profile.interval_minutes / 60,
        roster_menu=roster_menu,
        roster_time_limit_s=instance.staffing.roster.time_limit_s,
        min_crew=instance.staffing.min_positions_per_site.value,
        redials=tuple(
            (s.redial_share.value, s.redial_delay_s.value)
            if s.redial_share is not None and s.redial_delay_s is not None
            else None
            for s in streams
        ),
    )


#: Most cells (tables × groups × intervals) one vectorised call of :func:`tabulate_groups` holds.
_TABULATE_CELLS = 1 << 21


def tabulate_groups(tables: Sequence[StaffingTable], groups: Sequence[Iterable[str]]) -> None:
    """Fill the memo of each table's :meth:`StaffingTable.agents_for` for ``groups`` at once.

    The staffing tables of many scenarios (a sweep batch) differ in their rates, handling times
    and targets; each stream's requirement of every table and group whose stream has the same
    target (and is Erlang C, or Erlang A) is one call of :func:`required_agents` (vectorised
    cell by cell, so each cell is what the table would compute alone). Tables not
    :attr:`~StaffingTable.plain_erlang` are left to compute their groups when asked.
    """
    keys = [frozenset(g) for g in groups]
    plain = [t for t in tables if t.plain_erlang]
    if not plain or not keys:
        return
    n_intervals = plain[0].rates_per_hour.shape[2]
    per_call = max(1, _TABULATE_CELLS // (len(keys) * n_intervals))
    for start in range(0, len(plain), per_call):
        _tabulate(plain[start : start + per_call], keys)


def _tabulate(tables: Sequence[StaffingTable], keys: Sequence[frozenset[str]]) -> None:
    """:func:`tabulate_groups` of a chunk of tables (memory bounded by the caller)."""
    # (table, stream) cells grouped by what required_agents takes as one scalar: the target
    # and whether callers abandon (Erlang A) or not (Erlang C).
    cells: dict[tuple[ServiceTarget, bool], list[tuple[int, int]]] = {}
    for t, table in enumerate(tables):
        if any(k - set(table.forces) for k in keys):
            continue
        for s, (target, patience) in enumerate(zip(table.targets, table.patience_s, strict=True)):
            cells.setdefault((target, patience is None), []).append((t, s))
    group_rates = {
        t: np.stack([tables[t].group_rates(k) for k in keys])
        for t in {t for m in cells.values() for t, _ in m}
    }  # table → (groups, streams, intervals)
    agents: dict[tuple[int, int], IntArray] = {}  # (table, stream) → (groups, intervals)
    for (target, no_patience), members in cells.items():
        rates = np.stack([group_rates[t][:, s] for t, s in members])
        aht = np.array([tables[t].aht_s[s] for t, s in members])[:, None, None]
        patience_s = (
            None
            if no_patience
            else np.array([tables[t].patience_s[s] or 0.0 for t, s in members])[:, None, None]
        )
        found = required_agents(rates, aht_s=aht, target=target, patience_s=patience_s)
        for i, member in enumerate(members):
            agents[member] = found[i]
    for t, table in enumerate(tables):
        streams = range(len(table.streams))
        if not all((t, s) in agents for s in streams):
            continue
        for g, key in enumerate(keys):
            team = np.asarray([agents[t, s][g] for s in streams], dtype=np.int64)
            total = np.asarray(team.sum(axis=0), dtype=np.int64)
            total.setflags(write=False)
            table._memo.setdefault(key, total)


def instance_shrinkage(instance: Instance) -> ShrinkageRates:
    """Return the instance's shrinkage components.

    With ``fte_method = "roster"`` breaks are 0: they are paid hours inside the rostered shifts.
    """
    parts = instance.staffing.shrinkage
    rostered = instance.staffing.fte_method == "roster"
    return ShrinkageRates(
        annual_leave=parts.annual_leave.value,
        sickness=parts.sickness.value,
        training=parts.training.value,
        breaks=0.0 if rostered else parts.breaks.value,
        other=parts.other.value if parts.other else 0.0,
    )


def room_fte(instance: Instance, agents_per_interval: npt.ArrayLike) -> StaffingFte:
    """Return the FTE of one open room staffing ``agents_per_interval`` (minimum crew applied).

    With ``fte_method = "roster"`` the agents are rostered staff on duty per roster interval.
    """
    staffing = instance.staffing
    minutes = (
        staffing.roster.interval_minutes
        if staffing.fte_method == "roster"
        else staffing.interval_minutes
    )
    return fte_from_agents(
        agents_per_interval,
        minutes / 60,
        shrinkage=instance_shrinkage(instance),
        contract_hours_per_week=staffing.contract_hours_per_week.value,
        min_positions=staffing.min_positions_per_site.value,
        supervisors_per_agent=staffing.supervisor_ratio.value if staffing.supervisor_ratio else 0.0,
    )

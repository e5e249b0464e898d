"""What each open room of a plan handles, and who fills its posts: the plan's :class:`Allocation`.

One object every output reads (the report, the workbook, the GIS layers, the maps, the web map,
the simulation and the rosters), so they cannot disagree about a room:

- **Work.** By force (two or more rooms), a room answers every call of its forces. Pooled, the
  open rooms answer one virtual queue: any free agent takes the next call, so in each interval
  a room answers the share of the calls that its agents are of all agents on duty
  (``interval_share``), whatever the force or stream. The calls of force ``f``, stream ``s``
  in interval ``t`` answered at room ``k`` are ``interval_share[k][t] × calls[f, s, t]`` for the
  forces it serves. One room answers everything.
- **Staff.** Today's staff (the model's FTE of each force's own room, living around it by the
  gravity model) are matched to each room's posts by the transport problem of
  :func:`siteopt.costs.transition.staff_transport`: movers by force and room, leavers (offered
  a post, declined it), surplus staff (no post), and the recruits each room needs. Posts filled
  = movers + recruits for every room.

The agents per interval, FTE and seats of each room are those of
:class:`~siteopt.optimise.solution.SiteResult` (the same order as ``Allocation.rooms``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from siteopt.costs.transition import StaffTransport, staff_transport, transition_parameters
from siteopt.demand.volumes import WEEKS_PER_YEAR
from siteopt.optimise.arrays import FloatArray
from siteopt.optimise.problem import FTE_UNITS_PER_FTE, ProblemData

if TYPE_CHECKING:
    from siteopt.instance.schema import Instance
    from siteopt.optimise.option import Option

__all__ = [
    "Allocation",
    "ForceTransition",
    "RoomAllocation",
    "plan_allocation",
    "plan_transport",
]


@dataclass(frozen=True)
class RoomAllocation:
    """One open room: the calls it answers and who fills its posts.

    Attributes
    ----------
    site
        The room's site id.
    forces
        Forces whose calls it answers (all of them, or a share: see ``shared``).
    shared
        Whether other rooms answer the same calls (one pooled queue over two or more rooms).
    interval_share
        Share of its forces' calls it answers in each interval of the week (1 when not shared).
    calls_by_force
        Calls a year it answers, per force (all streams).
    calls_per_year
        Calls a year it answers.
    call_share
        Its share of every call of the plan.
    posts_fte
        Posts (FTE): call handling (supervisors included) plus ``functions_fte``.
    functions_fte
        Posts of the other functions in scope (dispatch, duty managers, management, support,
        training); 0 when only call handling is in scope.
    movers_fte
        Today's staff expected to move into its posts.
    movers_by_force
        The same by the force they come from.
    recruits_fte
        Posts filled by recruiting: ``posts_fte − movers_fte``.
    """

    site: str
    forces: tuple[str, ...]
    shared: bool
    interval_share: tuple[float, ...]
    calls_by_force: dict[str, float]
    calls_per_year: float
    call_share: float
    posts_fte: float
    functions_fte: float
    movers_fte: float
    movers_by_force: dict[str, float]
    recruits_fte: float


@dataclass(frozen=True)
class ForceTransition:
    """What happens to one force's staff today (FTE): ``staff = movers + leavers + surplus``.

    ``movers_by_room``: expected movers to each open room; ``leavers_fte``: offered a post and
    declined it (the extra commute); ``surplus_fte``: offered no post (no room needs them).
    """

    force: str
    staff_fte: float
    movers_by_room: dict[str, float]
    leavers_fte: float
    surplus_fte: float


@dataclass(frozen=True)
class Allocation:
    """The plan room by room: the work each answers and who fills its posts.

    ``rooms`` are in the order of the solution's sites; ``forces`` in the instance's order.
    """

    rooms: tuple[RoomAllocation, ...]
    forces: tuple[ForceTransition, ...]

    def room(self, site: str) -> RoomAllocation:
        """The allocation of one open room, by site id."""
        for room in self.rooms:
            if room.site == site:
                return room
        raise KeyError(f"{site!r} is not an open room of the plan")

    def force_shares(self, force: str) -> dict[str, float]:
        """Share of a force's calls answered at each open room (rooms answering none left out)."""
        calls = {r.site: r.calls_by_force.get(force, 0.0) for r in self.rooms}
        total = sum(calls.values())
        if total <= 0:
            return {r.site: 1.0 / len(self.rooms) for r in self.rooms if force in r.forces}
        return {site: c / total for site, c in calls.items() if c > 0}

    def answered_by(self, force: str) -> str:
        """Who answers a force's calls, in words: ``"kempston"`` or ``"pooled: a 79.6 %, b …"``."""
        shares = self.force_shares(force)
        if len(shares) == 1:
            return next(iter(shares))
        parts = ", ".join(f"{site} {100 * share:.1f} %" for site, share in shares.items())
        return f"pooled: answered by {len(shares)} rooms ({parts})"

    def main_room(self, force: str) -> str:
        """The room answering the largest share of a force's calls (the first on a tie)."""
        shares = self.force_shares(force)
        return max(shares, key=lambda site: shares[site])


def _fte(value: float) -> float:
    return round(float(value), 2)


def room_posts_fte(problem: ProblemData, option: Option) -> FloatArray:
    """Return each open room's posts in FTE: call handling plus the functions in scope."""
    week_agents = option.agents.sum(axis=1)
    posts = problem.agent_fte * week_agents / FTE_UNITS_PER_FTE
    for k, (site, group) in enumerate(zip(option.sites, option.room_groups(), strict=True)):
        _, units = problem.functions_priced([site], [group], [int(week_agents[k])])
        posts[k] += units / FTE_UNITS_PER_FTE
    return np.asarray(posts, dtype=np.float64)


def plan_transport(problem: ProblemData, instance: Instance, option: Option) -> StaffTransport:
    """Return today's staff matched to the posts of an option's rooms (the transport problem).

    Needs the problem's staff homes and travel (``home_share``, ``home_minutes``, ``home_km``
    and today's; built by :func:`~siteopt.optimise.build.problem_from_instance`).
    """
    arrays = (
        problem.home_share,
        problem.home_minutes,
        problem.home_km,
        problem.home_minutes_today,
        problem.home_km_today,
    )
    if any(a is None for a in arrays):
        raise ValueError("problem: the staff transport needs home shares, minutes and km")
    share, minutes, km, minutes_today, km_today = arrays
    assert share is not None and minutes is not None and km is not None
    assert minutes_today is not None and km_today is not None
    rooms = list(option.sites)
    posts = room_posts_fte(problem, option)
    trans = instance.transition
    return staff_transport(
        staff=problem.staff / FTE_UNITS_PER_FTE,
        home_share=share,
        minutes=minutes[:, rooms],
        km=km[:, rooms],
        minutes_today=minutes_today,
        km_today=km_today,
        posts=posts,
        params=transition_parameters(instance),
        redundancy_gbp=trans.redundancy_gbp.value,
        recruit_gbp=trans.recruit_train_gbp.value,
    )


def _interval_shares(option: Option) -> FloatArray:
    """``(rooms, intervals)``: share of its forces' calls each room answers in each interval."""
    agents = option.agents.astype(np.float64)
    if option.routing == "by_force" and len(option.sites) > 1:
        return np.ones_like(agents)
    on_duty = agents.sum(axis=0)
    shares: FloatArray = np.divide(
        agents, on_duty, out=np.full_like(agents, 1 / len(agents)), where=on_duty > 0
    )
    return shares


def plan_allocation(problem: ProblemData, option: Option, transport: StaffTransport) -> Allocation:
    """Return the allocation of an option: work per room (from its agents) and staff moves.

    ``transport`` is :func:`plan_transport` of the same option.
    """
    groups = option.room_groups()
    by_force = option.routing == "by_force" and len(option.sites) > 1
    shares = _interval_shares(option)
    n_intervals = shares.shape[1]
    week_calls = (
        problem.interval_calls
        if problem.interval_calls is not None
        else np.zeros((problem.n_forces, n_intervals))
    )
    moved = transport.room_movers  # (F, K)
    call_posts = problem.agent_fte * option.agents.sum(axis=1) / FTE_UNITS_PER_FTE
    calls = np.zeros((len(option.sites), problem.n_forces))
    for k, mask in enumerate(groups):
        served = [f for f in range(problem.n_forces) if not by_force or mask >> f & 1]
        calls[k, served] = (week_calls[served] * shares[k]).sum(axis=1) * WEEKS_PER_YEAR
    total_calls = float(calls.sum())
    rooms = []
    for k, j in enumerate(option.sites):
        names = [
            problem.force_ids[f]
            for f in range(problem.n_forces)
            if not by_force or groups[k] >> f & 1
        ]
        posts = _fte(transport.posts[k])
        movers = _fte(moved[:, k].sum())
        rooms.append(
            RoomAllocation(
                site=problem.site_ids[j],
                forces=tuple(names),
                shared=len(option.sites) > 1 and not by_force,
                interval_share=tuple(round(float(v), 4) for v in shares[k]),
                calls_by_force={
                    problem.force_ids[f]: round(float(calls[k, f]), 1)
                    for f in range(problem.n_forces)
                    if problem.force_ids[f] in names
                },
                calls_per_year=round(float(calls[k].sum()), 1),
                call_share=round(float(calls[k].sum()) / total_calls, 4) if total_calls else 0.0,
                posts_fte=posts,
                functions_fte=_fte(max(transport.posts[k] - call_posts[k], 0.0)),
                movers_fte=movers,
                movers_by_force={fid: _fte(moved[f, k]) for f, fid in enumerate(problem.force_ids)},
                recruits_fte=_fte(max(posts - movers, 0.0)),
            )
        )
    forces = []
    for f, fid in enumerate(problem.force_ids):
        staff = _fte(transport.staff[f].sum())
        by_room = {problem.site_ids[j]: _fte(moved[f, k]) for k, j in enumerate(option.sites)}
        leavers = _fte(transport.leavers[f])
        forces.append(
            ForceTransition(
                force=fid,
                staff_fte=staff,
                movers_by_room=by_room,
                leavers_fte=leavers,
                surplus_fte=max(_fte(staff - sum(by_room.values()) - leavers), 0.0) + 0.0,
            )
        )
    return Allocation(rooms=tuple(rooms), forces=tuple(forces))

"""The roster of one room of an instance.

The roster of one room of an instance: its requirement from the staffing table,
the cover, the rota, the FTE, a summary and a coverage chart.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from siteopt.atomic import atomic_write
from siteopt.errors import StaffingError
from siteopt.queueing.rota import RosterFte, RotaPattern, roster_fte, rota_pattern
from siteopt.queueing.shifts import (
    DAY_NAMES,
    MINUTES_PER_DAY,
    MINUTES_PER_WEEK,
    WeekRoster,
    roster_week,
    shift_menu,
)

if TYPE_CHECKING:
    from siteopt.instance.schema import Instance
    from siteopt.queueing.plan_simulation import PlanRooms

__all__ = [
    "SiteRoster",
    "plan_requirement",
    "plan_rosters",
    "requirement_for",
    "roster_summary",
    "site_roster",
    "write_coverage_png",
]


IntArray = npt.NDArray[np.int64]


FloatArray = npt.NDArray[np.float64]


def requirement_for(instance: Instance, forces: list[str]) -> tuple[IntArray, str]:
    """Return agents needed per roster interval by one room serving ``forces``, and how.

    The staffing stage is run at the roster's resolution: a measured half-hourly profile is used
    as measured; an hourly profile gives each half hour its hour's call rate (so both halves need
    the hour's agents). The room's minimum crew is applied.
    """
    from siteopt.queueing.fte import staffing_table  # noqa: PLC0415 (lazy: pulls in scipy)

    minutes = instance.staffing.roster.interval_minutes
    at_roster = instance.model_copy(
        update={"staffing": instance.staffing.model_copy(update={"interval_minutes": minutes})}
    )
    table = staffing_table(at_roster)
    for force in forces:
        if force not in table.forces:
            msg = f"--forces: unknown force {force!r} (expected one of: {', '.join(table.forces)})"
            raise StaffingError(msg)
    agents = table.required_for(forces)
    min_crew = instance.staffing.min_positions_per_site.value
    native = 60 if instance.demand.profile == "default" else _profile_minutes(instance)
    if native == minutes:
        note = f"Erlang requirement per {minutes}-min interval of the demand profile"
    elif native > minutes:
        note = (
            f"hourly demand profile: each {minutes}-min interval gets its hour's call rate "
            "(both halves need the hour's agents)"
        )
    else:
        note = f"half-hourly demand profile added in pairs to {minutes}-min intervals"
    return np.maximum(agents, min_crew).astype(np.int64), f"{note}; minimum crew {min_crew}"


def _profile_minutes(instance: Instance) -> int:
    """Native resolution (minutes) of the instance's profile CSV."""
    with Path(instance.demand.profile).open(encoding="utf-8") as handle:
        rows = sum(1 for line in handle if line.strip()) - 1
    return 30 if rows == 2 * 168 else 60


@dataclass(frozen=True, eq=False)
class SiteRoster:
    """A room's roster, rota lines and FTE, with what they were computed from."""

    site: str
    forces: tuple[str, ...]
    requirement_note: str
    roster: WeekRoster
    pattern: RotaPattern
    fte: RosterFte


def site_roster(
    instance: Instance,
    site: str,
    *,
    forces: list[str] | None = None,
    time_limit_s: float | None = None,
) -> SiteRoster:
    """Return the roster of a room at ``site`` answering the calls of ``forces``.

    Parameters
    ----------
    instance
        A validated instance.
    site
        A candidate site id.
    forces
        Forces whose calls the room answers; default: the force(s) whose room is at ``site``
        today, or every force when ``site`` is not a current room.
    time_limit_s
        CP-SAT limit (default ``staffing.roster.time_limit_s``).
    """
    if site not in instance.candidate_ids():
        raise StaffingError(f"--site: {site!r} is not a candidate site of {instance.file}")
    if forces is None:
        forces = [f for f, spec in instance.forces.items() if spec.current_site == site]
        forces = forces or list(instance.forces)
    if not forces:
        raise StaffingError("--forces: expected at least one force")
    requirement, note = requirement_for(instance, forces)
    return _roster(instance, site, tuple(forces), requirement, note=note, time_limit_s=time_limit_s)


def _roster(
    instance: Instance,
    site: str,
    forces: tuple[str, ...],
    requirement: IntArray,
    *,
    note: str,
    time_limit_s: float | None,
) -> SiteRoster:
    """Return the cheapest roster covering ``requirement``, its rota lines and FTE."""
    from siteopt.queueing.fte import instance_shrinkage  # noqa: PLC0415 (lazy: pulls in scipy)

    menu = shift_menu(instance)
    limit = time_limit_s if time_limit_s is not None else instance.staffing.roster.time_limit_s
    roster = roster_week(requirement, menu, time_limit_s=limit)
    staffing = instance.staffing
    contract = staffing.contract_hours_per_week.value
    pattern = rota_pattern(roster, contract_hours_per_week=contract)
    shrinkage = instance.staffing.shrinkage
    total = instance_shrinkage(instance).total + (
        shrinkage.breaks.value if staffing.fte_method == "roster" else 0.0
    )
    fte = roster_fte(
        roster,
        pattern,
        contract_hours_per_week=contract,
        shrinkage_total=total,
        break_shrinkage=shrinkage.breaks.value,
        supervisors_per_agent=staffing.supervisor_ratio.value if staffing.supervisor_ratio else 0.0,
    )
    return SiteRoster(site, forces, note, roster, pattern, fte)


def plan_requirement(agents: npt.ArrayLike, interval_minutes: int) -> IntArray:
    """Return a plan room's agents per interval at the roster's ``interval_minutes``.

    A coarser plan (hourly agents, half-hour roster) gives each roster interval its hour's
    agents; a finer one gives each roster interval the most agents of the plan intervals in it,
    so the roster never puts fewer on the phones than the plan.
    """
    plan = np.asarray(agents, dtype=np.int64)
    plan_minutes = MINUTES_PER_WEEK // plan.size
    if plan_minutes * plan.size != MINUTES_PER_WEEK:
        raise StaffingError(f"agents: expected a week of equal intervals, got {plan.size}")
    if plan_minutes >= interval_minutes:
        return np.repeat(plan, plan_minutes // interval_minutes).astype(np.int64)
    return np.asarray(plan.reshape(-1, interval_minutes // plan_minutes).max(axis=1), np.int64)


def plan_rosters(
    instance: Instance,
    plan: PlanRooms,
    *,
    sites: list[str] | None = None,
    time_limit_s: float | None = None,
) -> list[SiteRoster]:
    """Return the roster of each room of a plan, covering exactly its agents per interval.

    Parameters
    ----------
    instance
        The instance the plan answers (its shift menu, contract hours, shrinkage).
    plan
        The plan's rooms (:class:`~siteopt.queueing.plan_simulation.PlanRooms`), e.g. from a
        solution by :func:`siteopt.outputs.resilience.plan_rooms`.
    sites
        Rooms to roster (default: every room of the plan).
    time_limit_s
        CP-SAT limit per room (default ``staffing.roster.time_limit_s``).
    """
    chosen = list(plan.sites) if sites is None else sites
    unknown = [s for s in chosen if s not in plan.sites]
    if unknown:
        msg = f"--site: expected a room of the plan ({', '.join(plan.sites)}), got {unknown}"
        raise StaffingError(msg)
    minutes = shift_menu(instance).interval_minutes
    rosters = []
    for k, site in enumerate(plan.sites):
        if site not in chosen:
            continue
        forces = plan.forces[k] if plan.forces is not None else tuple(instance.forces)
        shared = plan.forces is None and len(plan.sites) > 1
        note = f"the plan's agents at {site} per {minutes}-min interval, exactly" + (
            " (its share of the pooled queue)" if shared else ""
        )
        requirement = plan_requirement(plan.agents[k], minutes)
        rosters.append(
            _roster(instance, site, forces, requirement, note=note, time_limit_s=time_limit_s)
        )
    return rosters


def _label(minute: int) -> str:
    day, rest = divmod(minute % MINUTES_PER_WEEK, MINUTES_PER_DAY)
    return f"{DAY_NAMES[day]} {rest // 60:02d}:{rest % 60:02d}"


def _hourly(values: npt.ArrayLike, per_hour: int) -> FloatArray:
    """Mean per hour of a per-interval series."""
    arr = np.asarray(values, dtype=np.float64)
    return np.asarray(arr.reshape(-1, per_hour).mean(axis=1), dtype=np.float64)


def roster_summary(result: SiteRoster) -> dict[str, Any]:
    """Return the roster as a JSON-ready dict (the ``siteopt roster --json`` output)."""
    roster, fte, pattern = result.roster, result.fte, result.pattern
    menu = roster.menu
    per_hour = 60 // menu.interval_minutes
    shifts = [
        {"start": _label(start), "shift": menu.shifts[k].name, "staff": n}
        for k, start, n in zip(
            roster.option_shift.tolist(),
            roster.option_start.tolist(),
            roster.counts.tolist(),
            strict=True,
        )
        if n
    ]
    return {
        "site": result.site,
        "forces": list(result.forces),
        "requirement": result.requirement_note,
        "interval_minutes": menu.interval_minutes,
        "break_share": menu.break_share,
        "menu": [
            {
                "shift": s.name,
                "hours": s.minutes / 60,
                "break_minutes": s.break_minutes,
                "starts_per_day": len(set(s.starts)),
            }
            for s in menu.shifts
        ],
        "solver": {
            "status": roster.solution.status,
            "paid_hours": roster.paid_hours,
            "paid_hours_bound": roster.paid_hours_bound,
            "gap": roster.solution.gap,
            "wall_s": roster.solution.wall_s,
        },
        "shift_counts": roster.shift_counts(),
        "shifts": shifts,
        "coverage": {
            "required_per_hour": _hourly(roster.requirement, per_hour).tolist(),
            "on_duty_per_hour": _hourly(roster.on_duty, per_hour).tolist(),
            "required": roster.requirement.tolist(),
            "on_duty": roster.on_duty.tolist(),
        },
        "rota": {
            "lines": pattern.headcount,
            "working_lines": pattern.working_lines,
            "cycle_weeks": pattern.cycle_weeks,
            "mean_line_hours": pattern.mean_line_hours,
            "min_rest_hours": pattern.min_rest_hours(),
        },
        "fte": {
            "required_hours": fte.required_hours,
            "paid_hours": fte.paid_hours,
            "lower_bound_fte": fte.lower_bound_fte,
            "floor_fte": fte.floor_fte,
            "headcount": fte.headcount,
            "off_shift_shrinkage": fte.off_shift_shrinkage,
            "agent_fte": fte.agent_fte,
            "supervisor_fte": fte.supervisor_fte,
            "total_fte": fte.total_fte,
            "shrinkage_method_fte": fte.shrinkage_method_fte,
        },
    }


def write_coverage_png(result: SiteRoster, path: Path | str) -> Path:
    """Write the week's coverage chart (required vs rostered per interval) to a PNG, atomically."""
    import matplotlib  # noqa: PLC0415 (lazy: matplotlib is slow to import)

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415 (lazy: matplotlib is slow to import)

    target = Path(path)
    roster = result.roster
    hours = np.arange(len(roster.requirement) + 1) * roster.interval_hours
    fig, ax = plt.subplots(figsize=(14, 4.5), dpi=120)
    try:
        # Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
        ax.stairs(roster.on_duty, hours, fill=True, color="#56B4E9", label="rostered on duty")
        ax.stairs(
            roster.on_phones,
            hours,
            color="#0072B2",
            linewidth=1.0,
            linestyle="--",
            label="expected on the phones (breaks relieved)",
        )
        ax.stairs(
            roster.requirement,
            hours,
            color="#D55E00",
            linewidth=1.6,
            label="required on the phones",
        )
        ax.set_xticks(np.arange(0, 169, 24), [*DAY_NAMES, ""])
        ax.set_xticks(np.arange(0, 169, 6), minor=True)
        ax.set_xlim(0, 168)
        ax.set_xlabel("hour of the week (Monday 00:00 first)")
        ax.set_ylabel("staff")
        fte = result.fte
        ax.set_title(
            f"{result.site}: weekly roster, {fte.paid_hours:,.0f} paid h, "
            f"{fte.headcount} on the rota, {fte.total_fte:,.1f} FTE "
            f"(shrinkage method {fte.shrinkage_method_fte:,.1f})"
        )
        ax.grid(axis="y", alpha=0.3)
        ax.legend(loc="upper left", fontsize=8)
        fig.tight_layout()
        atomic_write(target, lambda temporary: fig.savefig(temporary, format="png"))
    finally:
        plt.close(fig)
    return target

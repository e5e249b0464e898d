"""Resilience of the chosen plan: its rooms simulated in normal running and failing in turn.

:func:`plan_rooms` reads the plan's rooms from a solution (its agents per interval, seats and,
by force, the forces of each room); :func:`plan_simulation` runs
:func:`~siteopt.queueing.plan_simulation.simulate_plan` on them; :func:`resilience_summary` is its
JSON-ready form (``resilience.json``, ``siteopt simulate --solution … --json`` and the report's
and workbook's "Resilience" table); :func:`export_resilience` computes it once per export.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from siteopt.demand.volumes import WEEKS_PER_YEAR
from siteopt.queueing.plan_simulation import PlanRooms, PlanSimulation, simulate_plan
from siteopt.queueing.simulate import WindowStats

if TYPE_CHECKING:
    from siteopt.instance.schema import Instance
    from siteopt.optimise.solution import Solution
    from siteopt.outputs.data import ExportData

__all__ = [
    "EXPORT_SETTINGS",
    "export_resilience",
    "plan_rooms",
    "plan_simulation",
    "resilience_summary",
    "stream_rows",
    "week_label",
]


#: The simulation behind the exported "Resilience" section: replications, failure hours, seed.
#: Ten replications of a week keep it to about a second on BCH; ``siteopt simulate --solution``
#: runs more when asked (``--replications``).
EXPORT_SETTINGS: MappingProxyType[str, Any] = MappingProxyType(
    {"replications": 10, "fail_hours": 4.0, "seed": 0}
)


#: How the fallback constraint names the building it found (``ConstraintResult.detail``).
FALLBACK_DETAIL = "fallback building: "


def plan_rooms(solution: Solution) -> PlanRooms:
    """Return the rooms of a solution as the simulation needs them (its agents, exactly).

    By force, each room's forces are the allocation's; a one-room plan's fallback building is
    the one its ``fallback`` constraint found.
    """
    by_force = solution.routing == "by_force" and len(solution.sites) > 1
    fallback = next(
        (
            c.detail.removeprefix(FALLBACK_DETAIL)
            for c in solution.constraints
            if c.type == "fallback" and c.detail.startswith(FALLBACK_DETAIL)
        ),
        None,
    )
    return PlanRooms(
        sites=tuple(site.id for site in solution.sites),
        agents=np.array([site.agents for site in solution.sites], dtype=np.int64),
        seats=tuple(site.seats for site in solution.sites),
        forces=tuple(room.forces for room in solution.allocation.rooms) if by_force else None,
        fallback_site=fallback if len(solution.sites) == 1 else None,
    )


def plan_simulation(
    instance: Instance,
    solution: Solution,
    *,
    fail_hours: float | None = 4.0,
    failure_start_h: float | None = None,
    fail_sites: Sequence[str] | None = None,
    replications: int = 10,
    seed: int = 0,
) -> PlanSimulation:
    """Simulate a solution's rooms for a week, then each room failing for ``fail_hours``.

    See :func:`~siteopt.queueing.plan_simulation.simulate_plan` for the model and the parameters.
    """
    return simulate_plan(
        instance,
        plan_rooms(solution),
        fail_hours=fail_hours,
        failure_start_h=failure_start_h,
        fail_sites=fail_sites,
        replications=replications,
        seed=seed,
    )


def stream_rows(
    stats: WindowStats, streams: tuple[str, ...], targets: tuple[tuple[float, float], ...]
) -> list[dict[str, Any]]:
    """Return one JSON-ready row per stream of a simulated window: target, SL with CI, ASA."""
    return [
        {
            "stream": stream,
            "target": {"share": share, "within_s": wait},
            "service_level": _num(stats.service_level[s]),
            "service_level_ci": _num(stats.service_level_ci[s]),
            "meets_target": bool(stats.service_level[s] + stats.service_level_ci[s] >= share),
            "asa_s": _num(stats.asa_s[s]),
            "abandon_share": _num(stats.abandon_share[s]),
            "calls": _num(stats.offered[s]),
        }
        for s, (stream, (share, wait)) in enumerate(zip(streams, targets, strict=True))
    ]


def _num(value: float) -> float | None:
    """A finite float rounded to 4 decimals, else ``None`` (JSON has no NaN)."""
    return round(float(value), 4) if np.isfinite(value) else None


def week_label(start_h: float) -> str:
    """``"Sat 00:00"``: an hour of the week (Monday 00:00 = 0) as day and time."""
    day, minute = divmod(round(start_h * 60), 24 * 60)
    names = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    return f"{names[day % 7]} {minute // 60:02d}:{minute % 60:02d}"


def resilience_summary(sim: PlanSimulation) -> dict[str, Any]:
    """Return the plan's simulation as a JSON-ready dict: normal week and each room failing."""

    def rows(stats: WindowStats) -> list[dict[str, Any]]:
        return stream_rows(stats, sim.streams, sim.targets)

    return {
        "model": (
            "discrete-event simulation of the plan's agents per room and interval "
            "(siteopt.queueing.plan_simulation.simulate_plan): Poisson arrivals per interval, "
            "exponential handling and patience, each team of the staffing model its own queue"
        ),
        "sites": list(sim.sites),
        "replications": sim.replications,
        "confidence": sim.confidence,
        "interval_hours": sim.interval_hours,
        "agents_by_site": {site: sim.agents[k].tolist() for k, site in enumerate(sim.sites)},
        "peak_agents_by_site": {site: int(sim.agents[k].max()) for k, site in enumerate(sim.sites)},
        "calls_per_year_by_site": {
            site: round(float(sim.calls_by_site[k]) * WEEKS_PER_YEAR, 1)
            for k, site in enumerate(sim.sites)
        },
        "week": rows(sim.week),
        "failures": [
            {
                "site": f.site,
                "start_h": f.start_h,
                "start": week_label(f.start_h),
                "hours": f.hours,
                "recovery_hours": f.recovery_hours,
                "answered_by": f.answered_by,
                "decamp": f.decamp,
                "decamp_minutes": f.decamp_minutes,
                "agents_normal": round(f.agents_normal, 2),
                "agents_down": round(f.agents_down, 2),
                "agents_decamped": round(f.agents_decamped, 2),
                "before": rows(f.before),
                "during": rows(f.during),
                "during_without_failure": rows(f.during_without_failure),
                "after": rows(f.after),
                "after_without_failure": rows(f.after_without_failure),
            }
            for f in sim.failures
        ],
    }


def export_resilience(data: ExportData) -> dict[str, Any] | None:
    """Return the resilience summary of an export's plan (computed once), ``None`` without one.

    Runs :func:`plan_simulation` with :data:`EXPORT_SETTINGS`.
    """
    if data.solution is None:
        return None
    if "resilience" not in data.memo:
        sim = plan_simulation(data.instance, data.solution, **EXPORT_SETTINGS)
        data.memo["resilience"] = resilience_summary(sim)
    summary: dict[str, Any] = data.memo["resilience"]
    return summary

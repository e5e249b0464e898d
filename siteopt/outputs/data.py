"""Everything the business-case outputs show, gathered once: :class:`ExportData`.

:func:`export_data` collects the typed result (:class:`~siteopt.optimise.result.Result` and its
:class:`~siteopt.optimise.solution.Solution`), the instance, the problem data it was solved on,
per-LSOA results (drive time to the assigned and the nearest open room, calls a year, modelled
staff commute change) and the staffing of each open room by interval of the week. Every writer
reads that one object, so the report, the workbook, the maps and ``solution.json`` show the
same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from siteopt.demand.rates import instance_profile, lsoa_calls
from siteopt.errors import ArgumentError
from siteopt.network.points import site_points
from siteopt.optimise.build import problem_from_instance
from siteopt.optimise.problem import FTE_UNITS_PER_FTE
from siteopt.optimise.solution import OptionSummary

if TYPE_CHECKING:
    import pandas as pd

    from siteopt.instance.schema import Instance
    from siteopt.optimise.problem import ProblemData
    from siteopt.optimise.result import Result
    from siteopt.optimise.solution import Solution, SurfacePoint

__all__ = [
    "ExportData",
    "export_data",
    "format_value",
]


#: Drive-time bands (minutes) from the open rooms, for maps and the ``drive_time_bands`` layer.
BAND_EDGES: tuple[float, ...] = (0.0, 15.0, 30.0, 45.0, 60.0, float("inf"))


@dataclass(frozen=True, eq=False)
class ExportData:
    """Everything the outputs show, computed once (see the module docstring).

    Attributes
    ----------
    result
        The result the outputs show (status, plan, today's cost, alternatives, …).
    instance
        The instance it answers.
    problem
        Its problem data (travel minutes from every LSOA to every candidate, staff homes).
    lsoas
        One row per LSOA: code, name, district, force, population, calls a year, demand point,
        ``assigned_site``, ``minutes_assigned``, ``nearest_site``, ``minutes_nearest``,
        ``minutes_today``, ``staff_living`` and ``commute_change_min``.
    sites
        One row per candidate and current room: ``id``, ``name``, ``force_area``, ``x``, ``y``,
        ``role`` (``chosen``, ``current``, ``chosen, current`` or ``candidate``), ``greenfield``.
    staffing
        Agents on duty per open room and interval of the week (rows: intervals; columns:
        ``interval`` label then one per open room); empty without a solution.
    """

    result: Result
    instance: Instance
    problem: ProblemData
    lsoas: pd.DataFrame
    sites: pd.DataFrame
    staffing: pd.DataFrame
    memo: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def solution(self) -> Solution | None:
        """The chosen plan (``None`` when nothing was found)."""
        return self.result.solution

    @property
    def chosen_ids(self) -> tuple[str, ...]:
        """Ids of the open rooms of the solution (empty without one)."""
        return self.solution.site_ids if self.solution is not None else ()

    @property
    def current_ids(self) -> tuple[str, ...]:
        """Ids of today's rooms, one per force (in the instance's force order)."""
        return tuple(f.current_site for f in self.instance.forces.values())

    @property
    def attribution(self) -> dict[str, str]:
        """Licence and attribution lines of the dataset (every output carries them)."""
        return self.instance.dataset().attribution

    @property
    def ranked_options(self) -> tuple[OptionSummary, ...]:
        """The proposal (when there is one), then the next best options, cheapest first."""
        s = self.solution
        chosen = (
            (OptionSummary(s.site_ids, s.routing, s.objective_gbp, s.costs, True, ()),)
            if s is not None
            else ()
        )
        return (*chosen, *self.result.alternatives)

    @property
    def cost_surface(self) -> tuple[SurfacePoint, ...]:
        """The single-site cost surface of the run (empty when not computed)."""
        return self.result.cost_surface


def export_data(result: Result) -> ExportData:
    """Return everything the outputs show for a result (computed once).

    Parameters
    ----------
    result
        A solved result, or one read back with its instance
        (:func:`~siteopt.optimise.result.read_result`); its problem data is rebuilt from the
        instance when the result does not carry it.

    Raises
    ------
    ArgumentError
        If the result carries no instance (read from JSON without one).
    """
    instance = result.instance
    if instance is None:
        msg = "the result carries no instance: read it with read_result(path, instance=...)"
        raise ArgumentError("result", msg)
    problem = result.problem if result.problem is not None else problem_from_instance(instance)
    solution = result.solution
    return ExportData(
        result=result,
        instance=instance,
        problem=problem,
        lsoas=_lsoa_results(instance, problem, solution),
        sites=_site_table(instance, problem, solution),
        staffing=_staffing_table(instance, solution),
    )


def _assigned_columns(
    problem: ProblemData, solution: Solution | None
) -> tuple[list[int], list[int]]:
    """Candidate index of each force's assigned room, and of each open room.

    A force goes to the room that takes its staff (``forces_served``); where several do (one
    pooled queue), to the one nearest its room today, as the enumeration prices pooled options.
    """
    if solution is None:
        return [], []
    open_ = [problem.site_ids.index(sid) for sid in solution.site_ids]
    assigned: list[int] = []
    for f, fid in enumerate(problem.force_ids):
        serving = [problem.site_ids.index(s.id) for s in solution.sites if fid in s.forces_served]
        pool = serving or open_
        assigned.append(min(pool, key=lambda j: int(problem.room_rank[f, j])))
    return assigned, open_


def _lsoa_results(
    instance: Instance, problem: ProblemData, solution: Solution | None
) -> pd.DataFrame:
    """One row per LSOA: drive times, calls a year and the modelled commute change.

    Drive times go to its force's assigned room and to the nearest open room; the commute change
    is that of today's staff who live there.
    """
    lsoas = instance.dataset().lsoas()
    calls = lsoa_calls(instance)
    streams = list(instance.demand.streams)
    pop = f"pop_mid{instance.data.population_year}"
    out = lsoas[["lsoa11cd", "lsoa11nm", "lad_name", "force", "x", "y", "lon", "lat"]].copy()
    out["population"] = lsoas[pop].astype(np.int64)
    out["calls_per_year"] = calls[streams].sum(axis=1).round(1)
    assert problem.home_minutes is not None and problem.home_minutes_today is not None
    minutes = problem.home_minutes
    today = problem.home_minutes_today
    force_index = out["force"].map({f: i for i, f in enumerate(problem.force_ids)})
    rows = np.arange(len(out))
    out["minutes_today"] = today[rows, force_index.to_numpy(np.int64)].round(1)
    assigned, open_ = _assigned_columns(problem, solution)
    if not open_:
        for col in ("assigned_site", "nearest_site"):
            out[col] = ""
        for col in ("minutes_assigned", "minutes_nearest", "staff_living", "commute_change_min"):
            out[col] = np.nan
        return out
    room = np.asarray(assigned)[force_index.to_numpy(np.int64)]
    out["assigned_site"] = [problem.site_ids[j] for j in room]
    out["minutes_assigned"] = minutes[rows, room].round(1)
    nearest = np.asarray(open_)[np.argmin(minutes[:, open_], axis=1)]
    out["nearest_site"] = [problem.site_ids[j] for j in nearest]
    out["minutes_nearest"] = minutes[rows, nearest].round(1)
    living, change = _commute_change(problem, assigned)
    out["staff_living"] = living.round(3)
    out["commute_change_min"] = change.round(1)
    return out


def _commute_change(problem: ProblemData, assigned: list[int]) -> tuple[Any, Any]:
    """Today's staff living in each LSOA (FTE) and their mean change in one-way drive minutes.

    Homes are the gravity model of :mod:`siteopt.costs.transition` (``problem.home_share``); the
    change is new room minus today's room, averaged over the forces whose staff live there.
    """
    assert problem.home_share is not None
    assert problem.home_minutes is not None and problem.home_minutes_today is not None
    staff = problem.staff.astype(np.float64) / FTE_UNITS_PER_FTE
    weights = problem.home_share * staff[:, None]  # forces × zones
    deltas = np.stack(
        [
            problem.home_minutes[:, j] - problem.home_minutes_today[:, f]
            for f, j in enumerate(assigned)
        ]
    )  # forces × zones
    living = weights.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        change = np.where(living > 0, (weights * deltas).sum(axis=0) / living, np.nan)
    return living, change


def _site_table(
    instance: Instance, problem: ProblemData, solution: Solution | None
) -> pd.DataFrame:
    """Candidates and today's rooms with coordinates and their role in the solution."""
    import pandas as pd  # noqa: PLC0415 (lazy: pandas is slow to import)

    chosen = set(solution.site_ids) if solution is not None else set()
    current = {f.current_site for f in instance.forces.values()}
    ids = list(problem.site_ids) + sorted(current - set(problem.site_ids))
    points = site_points(instance, ids)
    dataset = instance.dataset().sites
    areas = dict(zip(problem.site_ids, instance.candidate_force_areas(), strict=True))
    greenfield = {g.id for g in instance.greenfield_sites}
    rows = []
    for sid, x, y in zip(ids, points.x, points.y, strict=True):
        role = ", ".join(
            r for r, hit in (("chosen", sid in chosen), ("current", sid in current)) if hit
        )
        name = instance.site_name(sid)
        area = areas.get(sid) or (dataset[sid].force if sid in dataset else "")
        rows.append(
            {
                "id": sid,
                "name": name,
                "force_area": area,
                "x": float(x),
                "y": float(y),
                "role": role or "candidate",
                "greenfield": sid in greenfield,
            }
        )
    return pd.DataFrame(rows)


def _staffing_table(instance: Instance, solution: Solution | None) -> pd.DataFrame:
    """Agents on duty per open room and interval of the week (the optimiser's staffing)."""
    import pandas as pd  # noqa: PLC0415 (lazy: pandas is slow to import)

    by_site = {s.id: s.agents for s in solution.sites} if solution is not None else {}
    lengths = {len(a) for a in by_site.values()}
    if not by_site or len(lengths) != 1 or 0 in lengths:
        return pd.DataFrame({"interval": []})
    (n,) = lengths
    labels = instance_profile(instance).labels()
    if len(labels) != n:  # e.g. a roster at 30 minutes over an hourly profile
        labels = _week_labels(n)
    table = pd.DataFrame({"interval": labels})
    for sid, agents in by_site.items():
        table[sid] = np.asarray(agents, dtype=np.int64)
    return table


def _week_labels(n: int) -> list[str]:
    """``n`` equal intervals of the week from Monday 00:00, as "Mon 00:30"."""
    days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    step = 7 * 24 * 60 // n
    return [
        f"{days[m // 1440]} {m % 1440 // 60:02d}:{m % 60:02d}" for m in range(0, n * step, step)
    ]


#: Cost components of an option, as the report names them.
COST_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "sites": "sites (running, and annualised one-off move of a new room)",
        "seats": "seats added (annualised fit-out)",
        "staff": "staff (call handlers and supervisors, shrinkage included)",
        "functions": "other functions in scope (dispatch, duty managers, management, support)",
        "merge": "merged ICT (annualised one-off)",
        "standby": "standby fallback room",
        "transition": "staff transition (redundancy, excess travel, recruiting; annualised)",
    }
)


def format_value(value: Any, kind: str) -> str:
    """Return a value as the report shows it (£ whole pounds, minutes to 0.1, shares in %)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if kind == "bool":
        return "yes" if value else "no"
    if kind == "text" or isinstance(value, str):
        return str(value)
    number = float(value)
    formats = {
        "gbp": lambda v: f"£{v:,.0f}" if v >= 0 else f"−£{-v:,.0f}",
        "minutes": lambda v: f"{v:,.1f} min",
        "share": lambda v: f"{100 * v:.1f} %",
        "fte": lambda v: f"{v:,.2f}",
        "int": lambda v: f"{v:,.0f}",
        "float": lambda v: f"{v:,.1f}",
        "years": lambda v: f"{v:.2f} years",
    }
    return formats.get(kind, lambda v: f"{v:g}")(number)

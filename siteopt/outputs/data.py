"""Everything the business-case outputs show, gathered once: :class:`ExportData`.

:func:`export_data` collects the typed result (:class:`~siteopt.optimise.result.Result` and its
:class:`~siteopt.optimise.solution.Solution`), the instance, the problem data it was solved on,
per-LSOA results (who answers its calls, drive time to the main and the nearest open room,
calls a year, modelled staff commute change) and the staffing of each open room by interval
of the week. Every writer reads that one object, so the report, the workbook, the maps and
``solution.json`` show the same numbers.
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
    "plan_title",
    "room_answers",
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
        ``answered_by`` (the allocation in words), ``main_room`` (answering most of its calls),
        ``main_room_share``, ``minutes_main_room``, ``calls_at_<site>`` per open room,
        ``nearest_site``, ``minutes_nearest``, ``minutes_today``, ``staff_living`` and
        ``commute_change_min``.
    sites
        One row per candidate and current room: ``id``, ``name``, ``force_area``, ``x``, ``y``,
        ``role`` (``chosen``, ``current``, ``chosen, current`` or ``candidate``), ``greenfield``;
        for the open rooms, from the allocation: ``answers`` (in words), ``calls_per_year``,
        ``call_share``, ``fte``, ``seats``, ``peak_agents``, ``movers_fte``, ``recruits_fte``.
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


def _main_rooms(problem: ProblemData, solution: Solution | None) -> tuple[list[int], list[int]]:
    """Candidate index of the room answering most of each force's calls, and of each open room.

    Read from the plan's allocation: by force, the force's one room; pooled, the room whose
    agents answer the largest share of the virtual queue.
    """
    if solution is None:
        return [], []
    open_ = [problem.site_ids.index(sid) for sid in solution.site_ids]
    main = [problem.site_ids.index(solution.allocation.main_room(fid)) for fid in problem.force_ids]
    return main, open_


def _lsoa_results(
    instance: Instance, problem: ProblemData, solution: Solution | None
) -> pd.DataFrame:
    """One row per LSOA: who answers its calls, drive times, calls and the commute change.

    ``answered_by`` and ``calls_at_<site>`` come from the plan's allocation (its force's share
    at each open room); drive times go to the room answering most of its calls and to the
    nearest open room; the commute change is that of today's staff who live there.
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
    main, open_ = _main_rooms(problem, solution)
    if solution is None or not open_:
        for col in ("answered_by", "main_room", "nearest_site"):
            out[col] = ""
        for col in ("main_room_share", "minutes_main_room", "minutes_nearest", "staff_living",
                    "commute_change_min"):  # fmt: skip
            out[col] = np.nan
        return out
    allocation = solution.allocation
    force_of = out["force"].to_numpy()
    out["answered_by"] = out["force"].map({f: allocation.answered_by(f) for f in problem.force_ids})
    room = np.asarray(main)[force_index.to_numpy(np.int64)]
    out["main_room"] = [problem.site_ids[j] for j in room]
    shares = {f: allocation.force_shares(f) for f in problem.force_ids}
    out["main_room_share"] = [
        round(shares[f][problem.site_ids[j]], 4) for f, j in zip(force_of, room, strict=True)
    ]
    out["minutes_main_room"] = minutes[rows, room].round(1)
    for sid in solution.site_ids:
        share = np.array([shares[f].get(sid, 0.0) for f in force_of])
        out[f"calls_at_{sid}"] = (out["calls_per_year"].to_numpy(np.float64) * share).round(1)
    nearest = np.asarray(open_)[np.argmin(minutes[:, open_], axis=1)]
    out["nearest_site"] = [problem.site_ids[j] for j in nearest]
    out["minutes_nearest"] = minutes[rows, nearest].round(1)
    living, change = _commute_change(problem, solution)
    out["staff_living"] = living.round(3)
    out["commute_change_min"] = change.round(1)
    return out


def _commute_change(problem: ProblemData, solution: Solution) -> tuple[Any, Any]:
    """Today's staff living in each LSOA (FTE) and their mean change in one-way drive minutes.

    Homes are the gravity model of :mod:`siteopt.costs.transition` (``problem.home_share``); a
    force's staff go to the open rooms as its movers do in the allocation (its staff to the
    nearest open room when nobody moves); the change is new room minus today's room, averaged
    over the forces whose staff live there.
    """
    assert problem.home_share is not None
    assert problem.home_minutes is not None and problem.home_minutes_today is not None
    staff = problem.staff.astype(np.float64) / FTE_UNITS_PER_FTE
    weights = problem.home_share * staff[:, None]  # forces × zones
    deltas = np.zeros_like(weights)
    for f, moves in enumerate(solution.allocation.forces):
        split = {sid: fte for sid, fte in moves.movers_by_room.items() if fte > 0}
        if not split:
            rank = problem.room_rank[f]
            split = {min(solution.site_ids, key=lambda s: rank[problem.site_ids.index(s)]): 1.0}
        total = sum(split.values())
        for sid, fte in split.items():
            j = problem.site_ids.index(sid)
            deltas[f] += (
                fte / total * (problem.home_minutes[:, j] - problem.home_minutes_today[:, f])
            )
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
    plan = _room_columns(solution)
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
                **plan.get(sid, _NO_ROOM),
            }
        )
    return pd.DataFrame(rows)


#: The allocation columns of a site that is not an open room.
_NO_ROOM: Mapping[str, Any] = MappingProxyType(
    {
        "answers": "",
        "calls_per_year": np.nan,
        "call_share": np.nan,
        "fte": np.nan,
        "seats": np.nan,
        "peak_agents": np.nan,
        "movers_fte": np.nan,
        "recruits_fte": np.nan,
    }
)


def room_answers(solution: Solution, site: str) -> str:
    """What an open room answers, in words (``"pooled: answered by both, 19.8 % here"``)."""
    room = solution.allocation.room(site)
    if room.shared:
        others = "both" if len(solution.sites) == 2 else f"all {len(solution.sites)} rooms"
        return f"pooled: answered by {others}, {100 * room.call_share:.1f} % here"
    if len(solution.sites) == 1:
        return "every call"
    return f"every call of {', '.join(room.forces)}"


def _room_columns(solution: Solution | None) -> dict[str, dict[str, Any]]:
    """The allocation columns of each open room (see :data:`_NO_ROOM`)."""
    if solution is None:
        return {}
    out = {}
    for site, room in zip(solution.sites, solution.allocation.rooms, strict=True):
        out[site.id] = {
            "answers": room_answers(solution, site.id),
            "calls_per_year": room.calls_per_year,
            "call_share": room.call_share,
            "fte": site.fte,
            "seats": site.seats,
            "peak_agents": site.peak_agents,
            "movers_fte": room.movers_fte,
            "recruits_fte": room.recruits_fte,
        }
    return out


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
        "transition": "staff transition as priced by the optimiser (redundancy, excess travel, "
        "recruiting; annualised; the staff impact shows the per-room transport figure)",
    }
)


def plan_title(data: ExportData) -> str:
    """What the plan is, in a title: ``"Proposal: 11 control rooms for 43 forces (43 today)"``.

    Built from the plan itself, not from the instance's name (a national instance is named for
    the question, "k regional control rooms", not for the answer). Without a plan: today's rooms.
    """
    forces = len(data.instance.forces)
    today = len(set(data.current_ids))
    served = f"for {forces} {_plural(forces, 'force')}"
    if not data.chosen_ids:
        return f"Today: {today} {_plural(today, 'control room')} {served}"
    rooms = len(data.chosen_ids)
    return f"Proposal: {rooms} {_plural(rooms, 'control room')} {served} ({today} today)"


def _plural(count: int, noun: str) -> str:
    return noun if count == 1 else f"{noun}s"


def format_value(value: Any, kind: str) -> str:
    """Return a value as the report shows it (£ whole pounds, minutes to 0.1, shares in %)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if kind == "bool":
        return "yes" if value else "no"
    if kind == "text" or isinstance(value, str):
        return str(value)
    number = float(value)
    if kind in _FIGURE_UNITS:  # an instance figure: its own precision, with its unit
        return _FIGURE_UNITS[kind].format(_exact(number * (100 if kind == "percent" else 1)))
    formats = {
        "gbp": lambda v: f"£{v:,.0f}" if v >= 0 else f"−£{-v:,.0f}",
        "minutes": lambda v: f"{v:,.1f} min",
        "share": lambda v: f"{100 * v:.1f} %",
        "change": lambda v: f"{100 * v:+.1f} %".replace("-", "−"),
        "fte": lambda v: f"{v:,.2f}",
        "int": lambda v: f"{v:,.0f}",
        "float": lambda v: f"{v:,.1f}",
        "years": lambda v: f"{v:.2f} years",
    }
    return formats.get(kind, lambda v: f"{v:g}")(number)


#: Display of each unit kind of an instance figure (:func:`figure_kind`); ``{}`` is the number.
_FIGURE_UNITS: Mapping[str, str] = MappingProxyType(
    {
        "percent": "{} %",
        "pounds": "£{}",
        "pounds_per_km": "£{} per km",
        "seconds": "{} s",
        "minutes_exact": "{} min",
        "hours": "{} h",
        "hours_per_week": "{} h a week",
        "months": "{} months",
        "years_exact": "{} years",
        "kph": "{} km/h",
        "calls": "{} calls a year",
        "number": "{}",
    }
)


def _exact(number: float) -> str:
    """A number at its own precision (up to ten significant digits), thousands separated."""
    text = f"{abs(number):,.10g}"
    return f"−{text}" if number < 0 else text


def figure_kind(path: str) -> str:
    """Return the unit kind of an instance figure from its dotted path (see ``format_value``).

    By the name's convention: ``…_gbp`` pounds, ``…_rate``/``…_share``/shrinkage/bias/occupancy
    per cent, ``…_s`` seconds, ``…minutes…`` minutes, ``…hours…`` hours, ``…_months``,
    ``…_years``, road speeds km/h, demand volumes calls a year; anything else a plain number.
    """
    parts = path.split(".")
    name = parts[-1]
    percent_names = {"max_occupancy", "local_knowledge_penalty", "optimism_bias"}
    percent_tables = {"shrinkage", "optimism_bias", "incident_share"}
    rules = (
        ("pounds_per_km", "_gbp_per_km" in name),
        ("pounds", name.endswith("_gbp") or "area_allowance_gbp" in parts),
        (
            "percent",
            name.endswith(("_rate", "_share"))
            or name in percent_names
            or bool(percent_tables & set(parts[:-1])),
        ),
        ("seconds", name.endswith("_s")),
        ("minutes_exact", "minutes" in name),
        ("hours_per_week", name.endswith("hours_per_week")),
        ("hours", "hours" in name),
        ("months", name.endswith("_months")),
        ("years_exact", name.endswith("_years")),
        ("kph", "speeds_kph" in parts),
        ("calls", "volumes" in parts),
    )
    return next((kind for kind, applies in rules if applies), "number")

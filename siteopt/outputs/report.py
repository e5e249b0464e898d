"""The business-case report as tables.

The business-case report as tables: executive summary, costs against today,
constraints, sites, staff, staffing, coverage, options and every figure's source.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from siteopt.costs.appraisal import ONE_OFF_CATEGORIES
from siteopt.demand.volumes import annual_volumes
from siteopt.instance.profile import DEFAULT_PROFILE_NOTE
from siteopt.optimise.appraise import DO_MINIMUM, DO_NOTHING
from siteopt.optimise.arrays import FTE_UNITS_PER_FTE, MONEY_UNITS_PER_GBP
from siteopt.optimise.decision import switching_not_computed
from siteopt.optimise.switching import HIGH_FACTOR, LOW_FACTOR
from siteopt.outputs.data import COST_LABELS, figure_kind, format_value, plan_title, room_answers
from siteopt.status import Status, status_note

if TYPE_CHECKING:
    from siteopt.optimise.result import SizeRecord
    from siteopt.optimise.solution import ConstraintResult
    from siteopt.outputs.data import ExportData

__all__ = [
    "BusinessReport",
    "ReportSection",
    "ReportTable",
    "business_report",
    "business_tables",
    "constraint_slack",
]


#: Constraint types whose value must be at most the limit (the others: at least the limit).
AT_MOST_TYPES = frozenset({"force_centre_within"})


#: Kind of a constraint's value and limit, by constraint type (for number formats).
CONSTRAINT_KINDS: Mapping[str, str] = MappingProxyType(
    {
        "staff_commute": "share",
        "population_within": "share",
        "force_centre_within": "minutes",
        "recruitment_pool": "int",
        "site_separation": "minutes",
        "absorb_load": "int",
        "fallback": "text",
        "min_call_share": "share",
    }
)


@dataclass(frozen=True)
class ReportTable:
    """A table of the business case: raw values with a kind per column (or per cell).

    ``kinds`` name the number format of each column (``text``, ``gbp``, ``minutes``,
    ``share``, ``fte``, ``int``, ``float``, ``years``, ``bool``); ``cell_kinds`` overrides
    them per cell (row, column) where a column mixes units.
    """

    title: str
    sheet: str
    columns: tuple[str, ...]
    kinds: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    cell_kinds: dict[tuple[int, int], str] = field(default_factory=dict)
    freeze_first_column: bool = False

    def kind(self, row: int, col: int) -> str:
        """Return the number format kind of one cell."""
        return self.cell_kinds.get((row, col), self.kinds[col])

    def select(self, columns: tuple[str, ...]) -> ReportTable:
        """The same table with only the named columns (in that order)."""
        index = [self.columns.index(c) for c in columns]
        return replace(
            self,
            columns=columns,
            kinds=tuple(self.kinds[i] for i in index),
            rows=tuple(tuple(row[i] for i in index) for row in self.rows),
            cell_kinds={
                (r, index.index(c)): k for (r, c), k in self.cell_kinds.items() if c in index
            },
        )

    def formatted(self) -> list[list[str]]:
        """Return the rows as display strings (the report's cells)."""
        return [
            [format_value(v, self.kind(r, c)) for c, v in enumerate(row)]
            for r, row in enumerate(self.rows)
        ]


@dataclass(frozen=True)
class ReportSection:
    """A section of the business case: paragraphs, tables and figures (map keys)."""

    title: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[ReportTable, ...] = ()
    figures: tuple[str, ...] = ()


@dataclass(frozen=True)
class BusinessReport:
    """The business-case document: title, subtitle and sections in order."""

    title: str
    subtitle: str
    sections: tuple[ReportSection, ...]


def constraint_slack(constraint: ConstraintResult) -> float | None:
    """Return how far a constraint's value is inside its limit (negative: broken by that much)."""
    value, limit = constraint.value, constraint.limit
    if value is None or limit is None:
        return None
    if constraint.type in AT_MOST_TYPES:
        return float(limit) - float(value)
    return float(value) - float(limit)


def _site_names(data: ExportData) -> dict[str, str]:
    return dict(zip(data.sites["id"], data.sites["name"], strict=True))


def _summary_table(data: ExportData) -> ReportTable:
    r, s = data.result, data.solution
    names = _site_names(data)
    impact = s.staff_impact if s is not None else None
    opened = "; ".join(f"{names.get(i, i)} ({i})" for i in data.chosen_ids)
    rows: list[tuple[str, Any, str]] = [
        ("instance", r.instance_name, "text"),
        ("plan", plan_title(data), "text"),
        ("status", str(r.status), "text"),
        ("proved optimal", r.proved_optimal, "bool"),
        ("rooms opened", opened or f"none ({_no_solution(data)})", "text"),
        ("routing", s.routing if s is not None else "–", "text"),
        ("posts (FTE) at the new rooms", impact.posts_fte if impact else None, "fte"),
        (
            "of which call handlers and supervisors",
            round(s.total_fte, 2) if s is not None and s.total_fte else None,
            "fte",
        ),
        ("staff FTE today (modelled)", impact.staff_today_fte if impact else None, "fte"),
        ("annual cost of the proposal", s.objective_gbp if s is not None else None, "gbp"),
        ("annual cost today (same model)", r.baseline_gbp, "gbp"),
        ("saving a year against today", s.saving_gbp if s is not None else None, "gbp"),
        ("one-off investment", s.one_off_gbp if s is not None else None, "gbp"),
        ("payback", s.payback_years if s is not None else None, "years"),
    ]
    return _labelled_values("Summary", "Summary", ("item", "value"), rows)


def _labelled_values(
    title: str, sheet: str, columns: tuple[str, str], rows: list[tuple[str, Any, str]]
) -> ReportTable:
    """A two-column table of (label, value), each value shown by its own kind."""
    return ReportTable(
        title=title,
        sheet=sheet,
        columns=columns,
        kinds=("text", "text"),
        rows=tuple((label, value) for label, value, _ in rows),
        cell_kinds={(r, 1): kind for r, (_, _, kind) in enumerate(rows)},
    )


def _options_table(data: ExportData) -> ReportTable:
    components = list(COST_LABELS)
    rows = []
    for rank, option in enumerate(data.ranked_options, start=1):
        rows.append(
            (
                rank,
                " + ".join(option.sites),
                option.routing,
                option.total_gbp,
                round(data.result.baseline_gbp - option.total_gbp, 2),
                *(option.costs.get(k, 0.0) for k in components),
                option.feasible,
                ", ".join(option.failed) or "all met",
            )
        )
    return ReportTable(
        title="Options appraisal (best options, cheapest first; rank 1 is the proposal)",
        sheet="Options",
        columns=(
            "rank", "sites", "routing", "total £ a year", "saving £ a year",
            *(f"{k} £" for k in components), "feasible", "constraints failed",
        ),
        kinds=("int", "text", "text", "gbp", "gbp", *("gbp" for _ in components), "bool", "text"),
        rows=tuple(rows),
        freeze_first_column=True,
    )  # fmt: skip


#: What the cost-against-rooms table shows (the national route settles each size apart).
SIZES_NOTE = (
    "Each number of rooms is settled apart: one and two rooms by pricing every option, more by "
    "a facility-location relaxation (a proven lower bound on any plan of that size) and a "
    "local search from its sites (the best plan found). The gap is how much cheaper a plan of "
    "that size could still be; the proposal is the cheapest plan of any size, and the run is "
    "proven optimal only when every size is settled."
)


def _size_table(data: ExportData) -> ReportTable:
    """Per number of rooms: the best plan's cost, the proven bound and gap (the cost curve)."""
    rows = []
    for size in data.result.statistics.sizes:
        cost = size.cost / MONEY_UNITS_PER_GBP if size.cost is not None else None
        bound = size.bound / MONEY_UNITS_PER_GBP if size.bound is not None else None
        gap = (cost - bound) / cost if cost and bound is not None else None
        shown = f"{100 * max(gap, 0.0):.2f} %" if gap is not None else None  # 0.04 %, not 0.0
        rows.append((size.k, cost, bound, shown, _size_verdict(size), size.settled_by))
    return ReportTable(
        title="Cost against number of rooms: each size's best plan, its proven lower bound and gap",
        sheet="Cost by rooms",
        columns=(
            "rooms",
            "best plan £ a year",
            "lower bound £ a year",
            "gap",
            "verdict",
            "settled by",
        ),
        kinds=("int", "gbp", "gbp", "text", "text", "text"),
        rows=tuple(rows),
    )


def _size_verdict(size: SizeRecord) -> str:
    if size.cost is None and size.bound is None and size.proved:
        return "no plan meets every constraint (proven)"
    if size.cost is None:
        return "no plan found in the time (none proven impossible)"
    if size.proved:
        return "proved the cheapest of its size"
    return "not proven: the gap bounds a cheaper plan"


def _cost_table(data: ExportData) -> ReportTable:
    r, s = data.result, data.solution
    rows = []
    for key, label in COST_LABELS.items():
        now = r.baseline_costs.get(key, 0.0)
        new = s.costs.get(key) if s is not None and s.costs else None
        rows.append((key, label, new, now, None if new is None else round(now - new, 2)))
    rows.append(
        (
            "total",
            "",
            s.objective_gbp if s is not None else None,
            r.baseline_gbp,
            s.saving_gbp if s is not None else None,
        )
    )
    return ReportTable(
        title="Cost a year by component (one-offs annualised over the appraisal period)",
        sheet="Costs",
        columns=(
            "component",
            "what it is",
            "proposal £ a year",
            "today £ a year",
            "saving £ a year",
        ),
        kinds=("text", "text", "gbp", "gbp", "gbp"),
        rows=tuple(rows),
    )


#: Constraint types whose value is one drive time (its error band applies).
DRIVE_TIME_TYPES = frozenset({"force_centre_within", "site_separation"})


def drive_time_error(data: ExportData, minutes: float) -> float | None:
    """The typical error of a drive time of ``minutes`` on this network, at its worst.

    The largest median absolute error over the instance's forces' road data (real A roads or
    strategic roads and mesh) and area types (``siteopt/network/error.py``); ``None`` for road
    files, which carry no validation.
    """
    from siteopt.errors import NetworkError  # noqa: PLC0415 (lazy: only with constraints)
    from siteopt.network.error import AREA_TYPES, instance_travel_time_error  # noqa: PLC0415 (lazy: only with constraints)

    try:
        model = instance_travel_time_error(data.instance)
    except NetworkError:  # a dataset whose network was not validated (national): no band
        return None
    if model is None:
        return None
    kinds = {model.data_kind_of(force) for force in data.instance.forces}
    return max(
        float(model.expected_error_minutes(minutes, area, data_kind=kind))
        for kind in kinds
        for area in AREA_TYPES
    )


def _constraint_table(data: ExportData) -> ReportTable:
    rows, kinds = [], {}
    constraints = data.solution.constraints if data.solution is not None else ()
    for r, c in enumerate(constraints):
        kind = CONSTRAINT_KINDS.get(c.type, "float")
        direction = "≤" if c.type in AT_MOST_TYPES else "≥"
        for col in (2, 3, 4, 6):
            kinds[(r, col)] = kind
        slack = constraint_slack(c)
        error = (
            drive_time_error(data, c.value)
            if c.type in DRIVE_TIME_TYPES and c.value is not None
            else None
        )
        rows.append(
            (
                c.name,
                f"{c.type} ({direction} limit)" if c.limit is not None else c.type,
                c.value,
                c.limit,
                slack,
                c.holds,
                error,
                round(slack / error, 2) if error and slack is not None else None,
                c.detail,
            )
        )
    return ReportTable(
        title="Constraints of the proposal: value, limit, slack (how far inside the limit) and, "
        "for drive times, the slack in units of the network's typical error",
        sheet="Constraints",
        columns=("constraint", "type", "value", "limit", "slack", "met", "typical error ±",
                 "slack in typical errors", "what it measures"),
        kinds=("text", "text", "float", "float", "float", "bool", "float", "float", "text"),
        rows=tuple(rows),
        cell_kinds=kinds,
    )  # fmt: skip


def _sites_table(data: ExportData) -> ReportTable:
    s = data.solution
    rows = []
    if s is not None:
        for x, room in zip(s.sites, s.allocation.rooms, strict=True):
            rows.append(
                (
                    x.id, x.name, x.force_area, room_answers(s, x.id), room.calls_per_year,
                    room.call_share, x.fte, x.seats, x.existing_seats, x.peak_agents,
                )
            )  # fmt: skip
    return ReportTable(
        title="Chosen rooms: the calls each answers, staff and seats (the plan's allocation)",
        sheet="Sites",
        columns=(
            "site", "name", "force area", "answers", "calls a year", "share of calls", "FTE",
            "seats", "seats today", "peak agents",
        ),
        kinds=("text", "text", "text", "text", "int", "share", "fte", "int", "int", "int"),
        rows=tuple(rows),
    )  # fmt: skip


def _staff_table(data: ExportData) -> ReportTable:
    impact = data.solution.staff_impact if data.solution is not None else None

    def measure(name: str) -> Any:
        return getattr(impact, name) if impact is not None else None

    upper = impact is not None and impact.transition_one_off_basis == "upper_bound"
    bound = ": an upper bound, greedy matching" if upper else ""
    lower: list[tuple[str, Any, str]] = (
        [("transition one-off: proven lower bound", measure("transition_one_off_lower_gbp"),
          "gbp")]
        if upper
        else []
    )  # fmt: skip
    rows: list[tuple[str, Any, str]] = [
        ("staff today (FTE, modelled)", measure("staff_today_fte"), "fte"),
        ("posts at the new rooms (FTE)", measure("posts_fte"), "fte"),
        ("share of today's staff expected to move with the job", measure("retained_share"),
         "share"),
        ("leavers: offered a post, declined it (FTE)", measure("leavers_fte"), "fte"),
        ("redundancies: leavers and staff with no post (FTE)", measure("redundancies_fte"),
         "fte"),
        ("to recruit, over every room (FTE)", measure("recruits_fte"), "fte"),
        ("extra one-way commute of movers, median", measure("median_extra_minutes"), "minutes"),
        ("extra one-way commute of movers, 90th percentile", measure("p90_extra_minutes"),
         "minutes"),
        (f"transition one-off (transport problem{bound})", measure("transition_one_off_gbp"),
         "gbp"),
        *lower,
        (f"transition a year (transport problem, annualised{bound})", measure("transition_gbp"),
         "gbp"),
        ("transition a year as priced in the objective", measure("priced_transition_gbp"), "gbp"),
    ]  # fmt: skip
    title = "Staff impact (modelled: gravity-model homes, retention falling with extra commute)"
    return _labelled_values(title, "Staff impact", ("measure", "value"), rows)


def _room_staff_table(data: ExportData) -> ReportTable:
    """Per open room: posts, movers from each force, recruits (posts = movers + recruits)."""
    s = data.solution
    forces = tuple(data.problem.force_ids)
    rows = []
    if s is not None:
        for room in s.allocation.rooms:
            rows.append(
                (
                    room.site, room.posts_fte, room.functions_fte, room.movers_fte,
                    *(room.movers_by_force.get(f, 0.0) for f in forces), room.recruits_fte,
                )
            )  # fmt: skip
    return ReportTable(
        title="Staff by room: posts filled by movers from each force, then recruits",
        sheet="Staff by room",
        columns=(
            "room", "posts FTE", "of which other functions FTE", "movers FTE",
            *(f"from {f} FTE" for f in forces),
            "recruits FTE",
        ),
        kinds=("text", "fte", "fte", "fte", *("fte" for _ in forces), "fte"),
        rows=tuple(rows),
    )  # fmt: skip


def _force_staff_table(data: ExportData) -> ReportTable:
    """Per force: today's staff, movers to each room, leavers and surplus."""
    s = data.solution
    rooms = s.site_ids if s is not None else ()
    rows = []
    if s is not None:
        for moves in s.allocation.forces:
            rows.append(
                (
                    moves.force, moves.staff_fte,
                    *(moves.movers_by_room.get(r, 0.0) for r in rooms),
                    moves.leavers_fte, moves.surplus_fte,
                )
            )  # fmt: skip
    return ReportTable(
        title="Today's staff by force: who moves where, who leaves, who has no post",
        sheet="Staff by force",
        columns=(
            "force", "staff today FTE", *(f"to {r} FTE" for r in rooms), "leavers FTE",
            "no post FTE",
        ),
        kinds=("text", "fte", *("fte" for _ in rooms), "fte", "fte"),
        rows=tuple(rows),
    )  # fmt: skip


def _staffing_tables(data: ExportData) -> tuple[ReportTable, ReportTable]:
    """Agents by hour of week per room (workbook) and its per-room summary (report)."""
    staffing = data.staffing
    rooms = [c for c in staffing.columns if c != "interval"]
    intervals = staffing.shape[0]
    interval_h = 168 / intervals if intervals else 1.0  # hours in one interval of the week
    hourly = ReportTable(
        title="Agents on duty by interval of the week, per room",
        sheet="Staffing by hour",
        columns=("interval", *rooms),
        kinds=("text", *("int" for _ in rooms)),
        rows=tuple(tuple(r) for r in staffing.itertuples(index=False)),
        freeze_first_column=True,
    )
    summary_rows = tuple(
        (
            room,
            int(staffing[room].min()),
            float(staffing[room].mean()),
            int(staffing[room].max()),
            float(staffing[room].sum() * interval_h),
        )
        for room in rooms
    )
    summary = ReportTable(
        title="Agents on duty over the week, per room (the optimiser's staffing)",
        sheet="Staffing summary",
        columns=("room", "fewest agents", "mean agents", "most agents", "agent-hours a week"),
        kinds=("text", "int", "float", "int", "int"),
        rows=summary_rows,
    )
    return hourly, summary


def _lsoa_table(data: ExportData) -> ReportTable:
    frame = data.lsoas
    columns = (
        "lsoa11cd", "lsoa11nm", "lad_name", "force", "population", "calls_per_year",
        "answered_by", "main_room", "main_room_share", "minutes_main_room",
        *(f"calls_at_{sid}" for sid in data.chosen_ids), "nearest_site", "minutes_nearest",
        "minutes_today", "staff_living", "commute_change_min",
    )  # fmt: skip
    kinds = (
        "text", "text", "text", "text", "int", "float", "text", "text", "share", "minutes",
        *("float" for _ in data.chosen_ids), "text", "minutes", "minutes", "fte", "minutes",
    )  # fmt: skip
    rows = tuple(
        tuple(None if isinstance(v, float) and math.isnan(v) else v for v in row)
        for row in frame[list(columns)].itertuples(index=False)
    )
    return ReportTable(
        title="LSOA results",
        sheet="LSOAs",
        columns=columns,
        kinds=kinds,
        rows=rows,
        freeze_first_column=True,
    )


def _coverage_table(data: ExportData) -> ReportTable:
    """Share of population within each drive-time band of the nearest open room, and today."""
    frame = data.lsoas
    population = frame["population"].to_numpy(float)
    total = population.sum()
    rows = []
    for limit in (15, 30, 45, 60):
        new = population[frame["minutes_nearest"].to_numpy(float) <= limit].sum() / total
        now = population[frame["minutes_today"].to_numpy(float) <= limit].sum() / total
        rows.append((f"within {limit} min", new, now))
    return ReportTable(
        title="Population by drive time from its LSOA demand point",
        sheet="Coverage",
        columns=("drive time", "to the nearest chosen room", "to its own force's room today"),
        kinds=("text", "share", "share"),
        rows=tuple(rows),
    )


def _assumption_table(data: ExportData) -> ReportTable:
    rows = []
    for path, figure in data.instance.figures():
        label = "source" if figure.source else "assumption"
        text = figure.source or figure.assumption or ""
        value = figure.value if isinstance(figure.value, int | float | str) else str(figure.value)
        rows.append((path, value, label, text))
    profile = data.instance.demand.profile
    note = DEFAULT_PROFILE_NOTE if profile == "default" else f"source: measured profile {profile}"
    label, _, text = note.partition(": ")
    rows.append(("demand.profile", profile, label, text))
    for estimate in (v for v in annual_volumes(data.instance) if v.estimated):
        rows.append((f"demand.volumes.{estimate.force}.{estimate.stream}", round(estimate.calls),
                     "assumption", estimate.provenance.removeprefix("assumption: ")))  # fmt: skip
    for sid, custom in data.instance.sites.custom.items():  # where a custom site was placed
        kind = "assumption" if custom.source.lower().startswith("assumption") else "source"
        rows.append((f"sites.custom.{sid}", custom.name, kind, custom.source))
    robust = data.result.robustness
    if robust is not None and robust.not_computed is None:  # the analysis's own modelled values
        rows += [
            ("robustness.correlation", robust.correlation, "assumption", ROBUSTNESS_CORRELATION),
            ("robustness.draws", robust.draws, "assumption", ROBUSTNESS_DRAWS),
        ]
    return ReportTable(
        title="Assumptions and sources (every figure of the instance file)",
        sheet="Assumptions",
        columns=("figure", "value", "kind", "source or assumption"),
        kinds=("text", "text", "text", "text"),
        rows=tuple(rows),
        cell_kinds={
            (r, 1): figure_kind(row[0])
            for r, row in enumerate(rows)
            if isinstance(row[1], int | float) and not isinstance(row[1], bool)
        },
    )  # fmt: skip


def _volume_table(data: ExportData) -> ReportTable:
    """Calls a year the model uses, per force and stream, and where each figure comes from."""
    rows = tuple(
        (v.force, v.stream, round(v.calls), "per-head estimate" if v.estimated else "figure",
         v.provenance)
        for v in annual_volumes(data.instance)
    )  # fmt: skip
    growth = data.instance.demand.growth.value
    return ReportTable(
        title=f"Call volumes the model uses (calls a year, growth ×{growth:g} applied)",
        sheet="Call volumes",
        columns=("force", "stream", "calls a year", "how obtained", "source or assumption"),
        kinds=("text", "text", "int", "text", "text"),
        rows=rows,
    )


def _function_table(data: ExportData) -> ReportTable | None:
    """FTE and cost per control-room function, today and in the plan (``None``: calls only)."""
    from siteopt.costs.functions import PlanRoom, function_rows  # noqa: PLC0415 (lazy: scipy)

    if len(data.instance.functions.defined()) < 2 or data.solution is None:
        return None
    problem, solution = data.problem, data.solution
    open_ = [problem.site_ids.index(site.id) for site in solution.sites]
    if solution.routing == "by_force" and len(open_) > 1:
        served = [site.forces_served for site in solution.sites]
    else:
        nearest = [
            min(open_, key=lambda j: (int(problem.room_rank[f, j]), j))
            for f in range(problem.n_forces)
        ]
        served = [
            tuple(problem.force_ids[f] for f, j in enumerate(nearest) if j == site)
            for site in open_
        ]
    rooms = [
        PlanRoom(
            area=site.force_area,
            forces=tuple(forces),
            call_fte=problem.agent_fte * sum(site.agents) / FTE_UNITS_PER_FTE,
        )
        for site, forces in zip(solution.sites, served, strict=True)
    ]
    rows = function_rows(data.instance, rooms)
    body: list[tuple[str, str, float, float, float, float, float]] = [
        (r.label, "moves" if r.in_scope else "stays", round(r.today_fte, 2),
         round(r.plan_fte, 2), round(r.today_gbp, 2), round(r.plan_gbp, 2),
         round(r.today_gbp - r.plan_gbp, 2))
        for r in rows
    ]  # fmt: skip
    today_gbp = sum(r.today_gbp for r in rows)
    plan_gbp = sum(r.plan_gbp for r in rows)
    body.append(
        (
            "total",
            "",
            round(sum(r.today_fte for r in rows), 2),
            round(sum(r.plan_fte for r in rows), 2),
            round(today_gbp, 2),
            round(plan_gbp, 2),
            round(today_gbp - plan_gbp, 2),
        )
    )
    return ReportTable(
        title="Establishment by function: today's rooms and the proposal (FTE, £ a year)",
        sheet="Functions",
        columns=("function", "scope", "today FTE", "proposal FTE", "today £", "proposal £",
                 "saving £"),
        kinds=("text", "text", "fte", "fte", "gbp", "gbp", "gbp"),
        rows=tuple(body),
    )  # fmt: skip


def _resilience_tables(data: ExportData) -> tuple[ReportTable, ReportTable] | None:
    """The plan simulated: service level per stream in normal running and each room failing."""
    from siteopt.outputs.resilience import export_resilience, week_label  # noqa: PLC0415 (lazy: scipy)

    summary = export_resilience(data)
    if summary is None:
        return None
    rows: list[tuple[Any, ...]] = [
        ("none (normal running)", "whole week", r["stream"], r["target"]["share"],
         r["service_level"], r["service_level_ci"], r["meets_target"], r["abandon_share"], None)
        for r in summary["week"]
    ]  # fmt: skip
    cover: list[tuple[Any, ...]] = []
    for f in summary["failures"]:
        end = f["start_h"] + f["hours"]
        windows = (
            (f"during: {f['start']}, {f['hours']:g} h", f["during"], f["during_without_failure"]),
            (f"after: {week_label(end)}, {f['recovery_hours']:g} h", f["after"],
             f["after_without_failure"]),
        )  # fmt: skip
        for label, stats, base in windows:
            rows += [
                (f["site"], label, r["stream"], r["target"]["share"], r["service_level"],
                 r["service_level_ci"], r["meets_target"], r["abandon_share"],
                 base[i]["service_level"])
                for i, r in enumerate(stats)
            ]  # fmt: skip
        cover.append(
            (f["site"], f"{f['start']}, {f['hours']:g} h", f["answered_by"], f["decamp"],
             f["agents_normal"], f["agents_down"], f["agents_decamped"])
        )  # fmt: skip
    level = f"{100 * summary['confidence']:g} %"
    service = ReportTable(
        title=(f"Resilience: service level per stream, normal running and each room failing "
               f"(simulated, {summary['replications']} replications, ± {level} CI)"),
        sheet="Resilience",
        columns=("room failing", "calls arriving", "stream", "target", "service level",
                 f"± {level} CI", "meets target", "abandoned", "same hours without the failure"),
        kinds=("text", "text", "text", "share", "share", "share", "bool", "share", "share"),
        rows=tuple(rows),
    )  # fmt: skip
    who = ReportTable(
        title="Resilience: who answers while a room is out (means over the failure's hours)",
        sheet="Failure cover",
        columns=("room failing", "when", "answered by", "decamp (assumption)",
                 "agents normally", "agents before the decamp", "agents after the decamp"),
        kinds=("text", "text", "text", "text", "float", "float", "float"),
        rows=tuple(cover),
    )  # fmt: skip
    return service, who


def _resilience_verdict(data: ExportData) -> str:
    """In words: which streams miss their target in normal running; the worst failure."""
    from siteopt.outputs.resilience import export_resilience  # noqa: PLC0415 (lazy: scipy)

    summary = export_resilience(data)
    assert summary is not None
    missed = [r["stream"] for r in summary["week"] if not r["meets_target"]]
    normal = (
        "In normal running every stream meets its target."
        if not missed
        else f"In normal running {', '.join(missed)} miss their target."
    )
    during = [
        (r["service_level"], f["site"], r["stream"], r["target"]["share"])
        for f in summary["failures"]
        for r in f["during"]
        if r["service_level"] is not None
    ]
    if not during:
        return normal
    level, site, stream, target = min(during)
    return (
        f"{normal} The worst while a room is out: {stream} at "
        f"{format_value(level, 'share')} answered in time (target "
        f"{format_value(target, 'share')}) while {site} is out."
    )


def _npv_table(data: ExportData) -> ReportTable:
    """Every appraised option: present value, NPV against do nothing, ranks by NPV and by cost."""
    appraised = data.result.appraisal
    by_npv = {
        a.name: rank
        for rank, a in enumerate(sorted(appraised[1:], key=lambda a: -a.npv_gbp), start=1)
    }
    by_cost = {
        a.name: rank
        for rank, a in enumerate(
            (a for a in appraised if a.name not in {DO_NOTHING, DO_MINIMUM}), start=1
        )
    }
    rows = tuple(
        (
            a.name,
            a.present_value,
            a.npv_gbp,
            a.discounted_payback_years,
            by_npv.get(a.name),
            by_cost.get(a.name),
        )
        for a in appraised
    )
    return ReportTable(
        title="Green Book appraisal: present value of costs over the period and NPV against "
        "do nothing (real terms, discounted)",
        sheet="NPV",
        columns=("option", "present value £", "NPV against do nothing £",
                 "discounted payback (years from start)", "rank by NPV",
                 "rank by cost a year"),
        kinds=("text", "gbp", "gbp", "years", "int", "int"),
        rows=rows,
    )  # fmt: skip


def _cash_flow_table(data: ExportData) -> ReportTable:
    """The chosen plan's cash flow by year against do nothing."""
    today, chosen = data.result.appraisal[0], data.result.appraisal[_chosen_row(data)]
    rate = data.instance.costs.discount_rate.value
    rows, cumulative = [], 0.0
    for year, (now, new) in enumerate(zip(today.total, chosen.total, strict=True)):
        one_off = sum(chosen.cash_flow[c][year] for c in ONE_OFF_CATEGORIES)
        saving = now - new
        discounted = saving / (1 + rate) ** year
        cumulative += discounted
        rows.append((year, round(new - one_off, 2), round(one_off, 2), new, now, round(saving, 2),
                     round(discounted, 2), round(cumulative, 2)))  # fmt: skip
    return ReportTable(
        title=f"Cash flow of the proposal ({chosen.name}) by year against do nothing "
        "(year 0 starts with the works; optimism bias included)",
        sheet="Cash flow",
        columns=("year", "recurring £", "one-off £", "proposal £", "do nothing £", "saving £",
                 "discounted saving £", "cumulative discounted £"),
        kinds=("int", *("gbp",) * 7),
        rows=tuple(rows),
    )  # fmt: skip


def _chosen_row(data: ExportData) -> int:
    """Row of the chosen plan in ``result.appraisal`` (after do nothing and do minimum)."""
    return 2 if data.instance.appraisal.do_minimum is not None else 1


def _appraisal_paragraphs(data: ExportData) -> tuple[str, ...]:
    appraised = data.result.appraisal
    rules = data.instance.appraisal
    chosen = appraised[_chosen_row(data)]
    cost_order = [a.name for a in appraised if a.name not in {DO_NOTHING, DO_MINIMUM}]
    npv_order = sorted(cost_order, key=lambda n: -next(a.npv_gbp for a in appraised if a.name == n))
    if npv_order == cost_order:
        ranking = "Ranked by NPV, the options come in the same order as by cost a year."
    else:
        moved = [n for i, n in enumerate(npv_order) if cost_order[i] != n]
        ranking = (
            f"Ranked by NPV the order differs from the cost a year the optimiser minimises: "
            f"{', '.join(moved[:4])}{' …' if len(moved) > 4 else ''} change places (dual running "
            "and the timing of one-offs weigh differently from an equal annual charge)."
        )
        if npv_order[0] != cost_order[0]:
            ranking += f" The best by NPV is {npv_order[0]}, not the proposal."
    minimum = rules.do_minimum
    return (
        f"Over {data.instance.costs.appraisal_years.value} years of running after "
        f"{rules.build_months.value} months of works, with {rules.dual_running_months.value} "
        "months of dual running, discounted at "
        f"{format_value(data.instance.costs.discount_rate.value, 'share')} a year: the "
        f"proposal's NPV against do nothing is {format_value(chosen.npv_gbp, 'gbp')}, repaid "
        + (f"{format_value(chosen.discounted_payback_years, 'years')} after the works start."
           if chosen.discounted_payback_years is not None else "not within the period."),
        ranking,
        *((f"Do minimum: {minimum.description}.",) if minimum is not None else ()),
    )  # fmt: skip


def _why_not_table(data: ExportData) -> ReportTable:
    """Per binding constraint: the cheapest plan only it rules out, and what relaxing it saves."""
    s = data.solution
    assert s is not None  # only with a plan
    types = {c.name: c.type for c in s.constraints}
    rows, kinds = [], {}
    for r, item in enumerate(data.result.why_not):
        kind = CONSTRAINT_KINDS.get(types.get(item.constraint, ""), "float")
        kinds[r, 4] = kinds[r, 5] = "text" if kind == "text" else kind
        rows.append((item.constraint, " + ".join(item.best_sites), item.best_total_gbp,
                     round(s.objective_gbp - item.best_total_gbp, 2), item.value, item.limit,
                     item.detail))  # fmt: skip
    return ReportTable(
        title="Why not cheaper? The cheapest plan each binding constraint rules out",
        sheet="Why not",
        columns=("constraint", "cheapest plan without it", "its cost £ a year",
                 "saving if relaxed £ a year", "its value", "limit", "what is measured"),
        kinds=("text", "text", "gbp", "gbp", "float", "float", "text"),
        rows=tuple(rows),
        cell_kinds=kinds,
    )  # fmt: skip


def _why_not_lines(data: ExportData) -> tuple[str, ...]:
    s = data.solution
    if s is None or not data.result.why_not:
        return ()
    names = _site_names(data)
    table = _why_not_table(data)
    lines = []
    for r, item in enumerate(data.result.why_not):
        plan = " and ".join(names.get(i, i) for i in item.best_sites)
        saving = format_value(s.objective_gbp - item.best_total_gbp, "gbp")
        if item.value is not None and item.limit is not None:
            what = (f"{item.detail}: {format_value(item.value, table.kind(r, 4))} against the "
                    f"limit of {format_value(item.limit, table.kind(r, 5))}")  # fmt: skip
        else:
            what = item.detail
        if item.best_sites == s.site_ids:
            lines.append(f"The same rooms without {item.constraint} would save {saving} a year "
                         f"(what it pays for: {item.detail}).")  # fmt: skip
        else:
            lines.append(
                f"{plan} would save {saving} a year but breaks {item.constraint} ({what})."
            )
    return tuple(lines)


#: How the robustness line is computed, said under it.
ROBUSTNESS_METHOD = (
    "Each draw replaces every drive time the decision uses (homes to sites, rooms to sites, "
    "sites to sites, force centres to sites) by a plausible real time, drawn from the error "
    "measured when the network was validated out of sample, per county road data (real A roads "
    "or strategic roads) and urban or rural trip. The draws share one shock per group (most of "
    "the error) and add a smaller one per trip, because trips in one county share roads and "
    "speed assumptions. Every one- and two-room option is then re-priced and re-checked; the "
    "recommendation holds when it is still the cheapest meeting every constraint "
    "(siteopt/optimise/robustness.py, docs/outputs.md)."
)


#: What the robustness analysis's own modelled values stand for (the assumptions list).
ROBUSTNESS_CORRELATION = (
    "share of a trip group's drive-time error common to its trips (Gaussian copula); the "
    "validation measured each trip's error, not how errors co-vary: a high value is the cautious "
    "choice (siteopt/optimise/robustness.py CORRELATION)"
)
ROBUSTNESS_DRAWS = (
    "Monte-Carlo draws of the robustness analysis (siteopt/optimise/robustness.py DRAWS; fewer "
    "for a greenfield grid)"
)


#: What the report says when the switching values and robustness were not computed.
NOT_COMPUTED = (
    "not computed for this run (`siteopt solve --out` computes them; in Python, "
    "`solve(..., decision=True)`)"
)


def significant(value: float) -> float:
    """A computed switching value at the four significant digits the report shows."""
    return float(f"{value:.4g}")


def _shown(value: float, kind: str) -> str:
    """A computed figure value at four significant digits, with its unit."""
    return format_value(significant(value), kind)


def _switching_table(data: ExportData) -> ReportTable:
    """Per assumption figure: today's value, the value at which the runner-up wins, the change."""
    switching = data.result.switching
    assert switching is not None  # only when computed
    rows: list[tuple[Any, ...]] = []
    kinds: dict[tuple[int, int], str] = {}
    for r, v in enumerate(switching.values):
        kind = figure_kind(v.figure)
        kinds[r, 1] = kind
        searched = f"{_shown(v.low, kind)} to {_shown(v.high, kind)}"
        if v.switch is None:
            kinds[r, 2] = "text"
            rows.append((v.figure, v.today, "does not flip", None, "", "", searched))
        else:
            kinds[r, 2] = kind
            winner = " + ".join(v.winner or ()) or "no option meets every constraint"
            rows.append((v.figure, v.today, significant(v.switch), significant(v.change or 0.0),
                         winner, v.how or "", searched))  # fmt: skip
    return ReportTable(
        title=f"Switching values: each assumption figure, alone, at which another option "
        f"beats {' + '.join(switching.chosen)}",
        sheet="Switching values",
        columns=("figure", "today", "flips at", "change", "wins there", "how found",
                 "range searched"),
        kinds=("text", "float", "float", "change", "text", "text", "text"),
        rows=tuple(rows),
        cell_kinds=kinds,
    )  # fmt: skip


def _switching_paragraphs(data: ExportData) -> tuple[str, ...]:
    switching, robust = data.result.switching, data.result.robustness
    if switching is None:
        if robust is None:
            return (f"Switching values were {NOT_COMPUTED}.",)
        if not any(o.feasible for o in data.result.alternatives):
            return ("Switching values were not computed: no alternative meets every constraint, "
                    "so there is no runner-up to compare with.",)  # fmt: skip
        too_many = switching_not_computed(len(data.instance.candidate_ids()))
        why = robust.not_computed or too_many or "no runner-up to measure the margin against"
        return (f"Switching values were not computed: {why}.",)
    names = _site_names(data)
    chosen = " and ".join(names.get(i, i) for i in switching.chosen)
    runner = " and ".join(names.get(i, i) for i in switching.runner_up)
    flips = [v for v in switching.values if v.switch is not None]
    nearest = ""
    if flips:
        v = flips[0]
        kind = figure_kind(v.figure)
        won = " and ".join(names.get(i, i) for i in v.winner or ()) or "no option"
        nearest = (
            f" The nearest: {v.figure} at {_shown(v.switch or 0.0, kind)} (today "
            f"{format_value(v.today, kind)}, {format_value(v.change, 'change')}), where {won} "
            "wins."
        )
    return (
        f"How far each modelled figure (an 'assumption') must move, on its own, before {chosen} "
        "stops being the cheapest option meeting every constraint: every one- and two-room "
        "option is re-priced and re-checked on the whole problem with the figure changed, over "
        f"×{LOW_FACTOR:g} to ×{HIGH_FACTOR:g} of today's value (ending where the instance would "
        "no longer be valid); the table says which option wins at the switching value. Today "
        f"the runner-up is {runner}, {format_value(switching.margin_gbp, 'gbp')} a year dearer. "
        "A switching value is found by bisection, or as the root of a straight line through "
        "the margins either side, to 0.1 % of today's value (to one unit for whole numbers), "
        f"and priced either side. {len(flips)} of {len(switching.values)} figures that move "
        f"some option flip the recommendation within their range.{nearest}",
        f"Figures that change no option's cost or feasibility at the values screened: "
        f"{', '.join(switching.unaffected) or 'none'}."
        + (f" Valued 0 today, so not varied: {', '.join(switching.zero)}."
           if switching.zero else ""),
    )  # fmt: skip


def _robustness_table(data: ExportData) -> ReportTable:
    robust = data.result.robustness
    assert robust is not None and robust.not_computed is None  # only when computed
    rows: list[tuple[str, Any, str]] = [
        ("draws", robust.draws, "int"),
        ("draws in which the recommendation holds", robust.held, "int"),
        ("share of draws in which it holds", robust.share, "share"),
        ("draws with no option meeting every constraint", robust.no_option, "int"),
        ("random seed", robust.seed, "int"),
        ("correlation of errors within a group (ρ; modelled assumption)", robust.correlation,
         "share"),
        ("draws (modelled assumption)", robust.draws,
         "int"),
    ]  # fmt: skip
    if robust.held_unbiased is not None:
        rows.append(("draws in which it holds with each group's median error taken out",
                     robust.held_unbiased, "int"))  # fmt: skip
    rows += [
        (f"median measured error, {b.data_kind.replace('_', ' ')} {b.area_type} trips",
         b.median_error, "change")
        for b in robust.bias
    ]  # fmt: skip
    rows += [(f"draws won instead by {' + '.join(w.sites)}", w.draws, "int") for w in robust.rivals]
    return _labelled_values(
        "Robustness to drive-time error (Monte-Carlo over the network's measured error)",
        "Robustness", ("item", "value"), rows,
    )  # fmt: skip


def _error_bias_line(data: ExportData) -> tuple[str, ...]:
    """How far the measured errors are from centred (why most draws move one way)."""
    from siteopt.errors import NetworkError  # noqa: PLC0415 (lazy: only with the analysis)
    from siteopt.network.error import instance_travel_time_error  # noqa: PLC0415 (lazy: only with the analysis)

    robust = data.result.robustness
    if robust is None or robust.not_computed is not None:
        return ()
    try:
        model = instance_travel_time_error(data.instance)
    except NetworkError:
        return ()
    if model is None:
        return ()
    parts = [
        f"{kind.replace('_', ' ')} {area} trips {format_value(d.median_bias, 'share')}"
        for (kind, area), d in sorted(model.distributions.items())
    ]
    return (
        "The measured errors are not centred on zero: the median of network time over real "
        f"time, minus one, is {', '.join(parts)}. A positive bias means the network's times "
        "run long there, so most draws shorten those drive times; a limit a rival misses by "
        "less than the bias is then often met.",
    )


def robustness_line(data: ExportData) -> str:
    """The executive summary's line on robustness to drive-time error."""
    robust = data.result.robustness
    if robust is None:
        return f"Robustness to drive-time error: {NOT_COMPUTED}."
    if robust.not_computed is not None or robust.share is None:
        return f"Robustness to drive-time error was not computed: {robust.not_computed}."
    names = _site_names(data)
    line = (
        f"Robustness: the recommendation holds in {format_value(robust.share, 'share')} of "
        f"{robust.draws} draws when drive times are off by the network's measured error "
        "(errors correlated within each county's road data and area type; see Robustness)."
    )
    worst = max(robust.bias, key=lambda b: abs(b.median_error), default=None)
    if worst is not None and robust.held_unbiased is not None and robust.draws:
        way = "long" if worst.median_error > 0 else "short"
        line += (
            f" The network's {worst.data_kind.replace('_', ' ')} times run "
            f"{format_value(abs(worst.median_error), 'share')} {way} at the median; with each "
            "group's median error taken out (its spread kept) it holds in "
            f"{format_value(robust.held_unbiased / robust.draws, 'share')}."
        )
    if robust.speeds_note is not None:
        line += f" Note: {robust.speeds_note}."
    if robust.rivals:
        top = robust.rivals[0]
        rival = " and ".join(names.get(i, i) for i in top.sites)
        line += (
            f" Most often {rival} wins instead "
            f"({format_value(top.draws / robust.draws, 'share')} of draws)."
        )
    return line


def business_tables(data: ExportData) -> list[ReportTable]:
    """Return every table of the business case (the workbook's sheets, in order)."""
    hourly, staffing = _staffing_tables(data)
    tables = [_summary_table(data), _options_table(data), _cost_table(data), _volume_table(data)]
    if data.result.statistics.sizes:
        tables.append(_size_table(data))
    if data.result.appraisal:
        tables += [_npv_table(data), _cash_flow_table(data)]
    functions = _function_table(data)
    if functions is not None:
        tables.append(functions)
    if data.solution is not None:
        tables += [_sites_table(data), staffing, hourly]
    tables.append(_constraint_table(data))
    if data.solution is not None and data.result.why_not:
        tables.append(_why_not_table(data))
    if data.solution is not None and data.result.switching is not None:
        tables.append(_switching_table(data))
    robust = data.result.robustness
    if data.solution is not None and robust is not None and robust.not_computed is None:
        tables.append(_robustness_table(data))
    tables.append(_staff_table(data))
    if data.solution is not None:
        tables += [_room_staff_table(data), _force_staff_table(data)]
    if data.solution is not None:
        tables += [_coverage_table(data), _lsoa_table(data)]
    resilience = _resilience_tables(data)
    if resilience is not None:
        tables += resilience
    tables.append(_assumption_table(data))
    return tables


def _no_solution(data: ExportData) -> str:
    """Why there is no plan, in a few words."""
    status = data.result.status
    return "infeasible" if status is Status.INFEASIBLE else status_note(status, None)


def _executive_summary(data: ExportData) -> tuple[str, ...]:
    r, s = data.result, data.solution
    names = _site_names(data)
    if s is None:
        conflict = r.infeasibility.conflict if r.infeasibility is not None else ()
        if r.status is Status.INFEASIBLE:
            lead = f"No option meets every constraint ({r.status})."
            why = (
                f"The smallest set of constraints that cannot hold together: {', '.join(conflict)}."
                if conflict
                else "No explanation was computed."
            )
        else:
            lead = (
                f"No option was found before the time limit ({r.status}): none is proven to "
                "exist or not."
            )
            why = "More time for the solver ([solver] time_limit_s) may find one or prove why not."
        return (
            f"{lead} Today's rooms of the {_forces_in_words(len(data.problem.force_ids))} cost "
            f"{format_value(r.baseline_gbp, 'gbp')} a year on "
            "the same model.",
            why,
        )
    opened = " and ".join(f"{names.get(i, i)} ({i})" for i in s.site_ids)
    payback = s.payback_years
    proof = "proved optimal" if r.proved_optimal else f"best found, {status_note(r.status, r.gap)}"
    return (
        f"Recommended: {_rooms_in_words(len(s.sites))} at {opened}, {s.routing} routing ({proof}).",
        f"Staff: {format_value(s.staff_impact.posts_fte, 'fte')} FTE of posts (of which "
        f"{format_value(s.total_fte, 'fte')} call handlers and supervisors), against "
        f"{format_value(s.staff_impact.staff_today_fte, 'fte')} FTE in today's rooms (modelled).",
        f"Annual cost {format_value(s.objective_gbp, 'gbp')} against "
        f"{format_value(r.baseline_gbp, 'gbp')} today: a saving of "
        f"{format_value(s.saving_gbp, 'gbp')} a year.",
        f"One-off investment {format_value(s.one_off_gbp, 'gbp')}, paid back in "
        f"{format_value(payback, 'years') if payback is not None else 'never (no yearly gain)'}"
        " by the recurring saving (staff, other functions, running and standby costs, without"
        f" the annualised one-offs) of {format_value(s.recurring_saving_gbp, 'gbp')} a year.",
        *transition_bound_line(data),
        *_npv_line(data),
        *(f"Why not cheaper: {line}" for line in _why_not_lines(data)[:1]),
        robustness_line(data),
    )


def transition_bound_line(data: ExportData) -> tuple[str, ...]:
    """A sentence saying the transport's one-off is an upper bound, when it is (else none)."""
    s = data.solution
    if s is None or s.staff_impact.transition_one_off_basis != "upper_bound":
        return ()
    impact = s.staff_impact
    lower = impact.transition_one_off_lower_gbp
    at_least = (
        f"; the optimum matching costs at least {format_value(lower, 'gbp')} (a proven bound)"
        if lower is not None
        else ""
    )
    return (
        f"The staff transition one-off of {format_value(impact.transition_one_off_gbp, 'gbp')} "
        "(the transport problem) is an upper bound: today's staff were matched to the new "
        f"posts greedily, not proven optimal{at_least}.",
    )


def _npv_line(data: ExportData) -> tuple[str, ...]:
    if not data.result.appraisal:
        return ()
    chosen = data.result.appraisal[_chosen_row(data)]
    years = data.instance.costs.appraisal_years.value
    payback = chosen.discounted_payback_years
    return (
        f"Green Book: net present value {format_value(chosen.npv_gbp, 'gbp')} against doing "
        f"nothing over {years} years (discounted payback "
        f"{format_value(payback, 'years') if payback is not None else 'not within the period'}"
        " from the start of the works).",
    )


#: What the terms of the report mean (its "Scope and terms" section).
GLOSSARY: tuple[tuple[str, str], ...] = (
    ("OPTIMAL", "the plan is proven the cheapest of all that meet every constraint (every "
     "one- and two-room option priced, or CP-SAT's proof for more rooms)"),
    ("FEASIBLE", "the plan meets every constraint but the solver stopped before proving no "
     "cheaper one exists; the gap bounds how much cheaper one could be"),
    ("INFEASIBLE / UNKNOWN", "no plan meets every constraint (proven) / none was found in the "
     "time allowed"),
    ("room", "a control room: the building where call handlers, dispatchers and their "
     "supervisors work"),
    ("pooled routing", "every open room answers calls from every force, as one virtual queue; "
     "with one room, that room answers everything"),
    ("by-force routing", "each force's calls go to one room"),
    ("FTE / posts", "full-time equivalents: agents needed hour by hour, grossed up for leave, "
     "sickness, training and breaks (shrinkage) and contract hours; posts are the FTE of every "
     "function in scope"),
    ("cost a year", "the equivalent annual cost the optimiser minimises: running costs plus each "
     "one-off spread over the appraisal period at the discount rate"),
    ("NPV", "net present value against doing nothing: today's rooms' discounted costs minus the "
     "option's, year by year (Green Book)"),
)  # fmt: skip

#: What the model leaves out, said once in every report (after what it says of traffic).
NOT_MODELLED = (
    "the seating of dispatch desks, officers' deployment, ICT integration risk beyond the "
    "optimism bias, and the consultation and HR process of a move."
)


def _not_modelled(data: ExportData) -> str:
    """The "not modelled" sentence: congestion is left out unless the instance slows commutes."""
    if data.instance.network.congestion is None:
        return (
            "Not modelled: traffic congestion by time of day (free-flow drive times; "
            "`[network.congestion]` can slow staff commutes at shift change), " + NOT_MODELLED
        )
    return (
        "Not modelled: congestion outside staff commutes (population cover, force centres, "
        "fallback and separation use free-flow drive times), " + NOT_MODELLED
    )


def _rooms_in_words(n: int) -> str:
    """``"one control room"``, ``"two control rooms"`` … (digits from ten)."""
    words = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
    count = words[n] if n < len(words) else f"{n:,}"
    return f"{count} control room{'' if n == 1 else 's'}"


def _forces_in_words(n: int) -> str:
    """``"one force"``, ``"three forces"`` … (digits from ten)."""
    return _rooms_in_words(n).replace("control room", "force")


def _scope_paragraphs(data: ExportData) -> tuple[str, ...]:
    functions = data.instance.functions
    defined = ["call_handling", *(["dispatch"] if functions.dispatch else []), *functions.room]
    moving = [f for f in defined if f in functions.in_scope]
    staying = [f for f in defined if f not in functions.in_scope]
    method = data.instance.staffing.fte_method
    fte_note = (
        "FTE come from a weekly shift roster per room (fte_method = roster)."
        if method == "roster"
        else "FTE come from hourly agents grossed up by shrinkage (fte_method = shrinkage); a "
        "shift roster usually needs more, as shifts cannot follow demand hour by hour: "
        "`siteopt roster --solution` measures it for this plan (docs/roster.md)."
    )
    return (
        f"In scope (moves to the new rooms): {', '.join(moving)}."
        + (f" Stays with the forces as today: {', '.join(staying)}." if staying else ""),
        _not_modelled(data),
        fte_note,
        *(f"{term}: {meaning}." for term, meaning in GLOSSARY),
    )


def _version() -> str:
    try:
        return version("siteopt")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "(not installed)"


def _run_line(data: ExportData) -> str:
    """Who made the report, from what, when: version, instance file and its hash, date."""
    digest = hashlib.sha256(data.instance.file.read_bytes()).hexdigest()[:12]
    today = datetime.now(UTC).date().isoformat()
    return (
        f"siteopt {_version()} business-case report · instance file "
        f"{data.instance.file.name} (sha256 {digest}) · produced {today}"
    )


def business_report(data: ExportData) -> BusinessReport:
    """Return the business-case document of a solution (see :class:`BusinessReport`)."""
    tables = {t.sheet: t for t in business_tables(data)}
    has_sites = data.solution is not None
    figures_main = ("overview", "today_vs_proposal") if has_sites else ()
    by_size = tuple(
        ReportSection("Cost against number of rooms", (SIZES_NOTE,), (tables[sheet],))
        for sheet in ("Cost by rooms",)
        if sheet in tables
    )
    sections = [
        ReportSection("Executive summary", _executive_summary(data), (tables["Summary"],),
                      figures_main[:1]),
        ReportSection("Scope and terms", _scope_paragraphs(data)),
        ReportSection(
            "Options appraisal",
            ("Each option is priced by the same model: staff by Erlang C/A per hour of the "
             "week, sites, seats, ICT and staff transition; failed constraints are named.",),
            (
                tables["Options"].select(
                    ("rank", "sites", "routing", "total £ a year", "saving £ a year",
                     "feasible", "constraints failed")
                ),
            ),
        ),
        *by_size,
        ReportSection("Cost breakdown", (), (tables["Costs"],)),
        ReportSection(
            "Demand",
            ("Calls a year per force and stream as the model uses them; a per-head estimate "
             "stands in where a force's figure was not published, and every call is spread over "
             "the hours of the week by the demand profile (see Assumptions and sources).",),
            (tables["Call volumes"],),
        ),
    ]  # fmt: skip
    if "NPV" in tables:
        sections.append(
            ReportSection(
                "Green Book appraisal",
                _appraisal_paragraphs(data),
                (tables["NPV"], tables["Cash flow"]),
            )
        )
    if "Functions" in tables:
        sections.append(
            ReportSection(
                "Functions: today and proposed",
                ("Call handling is sized by the queueing model; dispatch by a channel per area "
                 "and the incidents needing deployment; duty managers, management, support "
                 "and training per room and per FTE (docs/model.md). Functions out of scope "
                 "stay with the forces as today.",),
                (tables["Functions"],),
            )
        )  # fmt: skip
    if has_sites:
        sections.append(
            ReportSection(
                "Chosen rooms and staffing",
                (),
                (tables["Sites"], tables["Staffing summary"]),
            )
        )
    sections.append(
        ReportSection(
            "Constraints",
            ("A drive time carries the network's typical error (the median error of validated "
             "trips, at its worst over the forces' road data and urban or rural trips; "
             "docs/network.md): a slack under one typical error means the constraint may not "
             "hold on the real roads.",),
            (tables["Constraints"],),
        )
    )  # fmt: skip
    if "Why not" in tables:
        sections.append(
            ReportSection(
                "Why not cheaper?",
                ("Each constraint below binds: dropping it alone lets a cheaper plan through "
                 "(the cheapest meeting every other constraint).", *_why_not_lines(data)),
                (tables["Why not"],),
            )
        )  # fmt: skip
    if has_sites:
        sections.append(
            ReportSection(
                "Switching values",
                _switching_paragraphs(data),
                tuple(tables[k] for k in ("Switching values",) if k in tables),
            )
        )
        sections.append(
            ReportSection(
                "Robustness to drive-time error",
                (robustness_line(data), ROBUSTNESS_METHOD, *_error_bias_line(data)),
                tuple(tables[k] for k in ("Robustness",) if k in tables),
            )
        )
    staff_figs = ("commute",) if has_sites else ()
    sections.append(
        ReportSection(
            "Staff impact",
            ("Homes of today's staff are modelled (gravity model around today's rooms); the "
             "commute change is the drive time to the new room minus today's. Today's staff "
             "are matched to each room's posts as a transport problem: a post is offered to "
             "those who can reach the room, taken up with a probability falling with the "
             "extra commute; each room recruits the posts its movers do not fill. The "
             "optimiser priced a simpler term (each force's staff to one room, posts and "
             "movers over all rooms together); both are shown.", *transition_bound_line(data)),
            (tables["Staff impact"], *(tables[k] for k in ("Staff by room", "Staff by force")
                                       if k in tables)),
            staff_figs,
        )
    )  # fmt: skip
    if has_sites:
        surface = ("cost_surface",) if data.cost_surface else ()
        sections.append(
            ReportSection(
                "Access and maps",
                (),
                (tables["Coverage"],),
                (*figures_main[1:], *surface),
            )
        )
    if "Resilience" in tables:
        sections.append(
            ReportSection(
                "Resilience",
                ("The chosen plan simulated (discrete-event, its agents per room and hour "
                 "exactly): a week of normal running, then each room failing in turn at the "
                 "busiest hour of the week. A stream meets its target when the service level "
                 "plus its confidence half-width reaches the target. Calls being answered "
                 "when a room fails are completed (optimistic); decamp times and fallback "
                 "seats are the instance's labelled assumptions, shown below.",
                 _resilience_verdict(data)),
                (tables["Resilience"], tables["Failure cover"]),
            )
        )  # fmt: skip
    sections.append(
        ReportSection(
            "How travel times were obtained",
            (
                data.result.travel_times,
                "Drive times run from each LSOA's demand point (mean of its postcode units) to "
                "each site on the road network; drive-time bands on the maps are LSOAs grouped "
                "by the time from their demand point, not network isochrones.",
            ),
        )
    )
    sections.append(
        ReportSection(
            "Assumptions and sources",
            ("A 'source' is a published figure with where and when; an 'assumption' is a "
             "modelled value where no published figure exists.",),
            (tables["Assumptions"],),
        )
    )  # fmt: skip
    sections.append(ReportSection("Data attribution", tuple(data.attribution.values())))
    return BusinessReport(
        title=f"Control room options: {data.result.instance_name}",
        subtitle=_run_line(data),
        sections=tuple(sections),
    )

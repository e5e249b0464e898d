"""The business-case report as tables.

The business-case report as tables: executive summary, costs against today,
constraints, sites, staff, staffing, coverage, options and every figure's source.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from siteopt.optimise.arrays import FTE_UNITS_PER_FTE
from siteopt.outputs.data import COST_LABELS, format_value, room_answers
from siteopt.status import Status, status_note

if TYPE_CHECKING:
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
        ("status", str(r.status), "text"),
        ("proved optimal", r.proved_optimal, "bool"),
        ("rooms opened", opened or f"none ({_no_solution(data)})", "text"),
        ("routing", s.routing if s is not None else "–", "text"),
        ("posts (FTE) at the new rooms", impact.posts_fte if impact else None, "fte"),
        (
            "of which call handlers and supervisors",
            (s.total_fte if s is not None else 0) or None,
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


def _constraint_table(data: ExportData) -> ReportTable:
    rows, kinds = [], {}
    constraints = data.solution.constraints if data.solution is not None else ()
    for r, c in enumerate(constraints):
        kind = CONSTRAINT_KINDS.get(c.type, "float")
        direction = "≤" if c.type in AT_MOST_TYPES else "≥"
        for col in (2, 3, 4):
            kinds[(r, col)] = kind
        rows.append(
            (
                c.name,
                f"{c.type} ({direction} limit)" if c.limit is not None else c.type,
                c.value,
                c.limit,
                constraint_slack(c),
                c.holds,
                c.detail,
            )
        )
    return ReportTable(
        title="Constraints of the proposal: value, limit and slack (how far inside the limit)",
        sheet="Constraints",
        columns=("constraint", "type", "value", "limit", "slack", "met", "what it measures"),
        kinds=("text", "text", "float", "float", "float", "bool", "text"),
        rows=tuple(rows),
        cell_kinds=kinds,
    )


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
        ("transition one-off (transport problem)", measure("transition_one_off_gbp"), "gbp"),
        ("transition a year (transport problem, annualised)", measure("transition_gbp"), "gbp"),
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
    for sid, custom in data.instance.sites.custom.items():  # where a custom site was placed
        kind = "assumption" if custom.source.lower().startswith("assumption") else "source"
        rows.append((f"sites.custom.{sid}", custom.name, kind, custom.source))
    return ReportTable(
        title="Assumptions and sources (every figure of the instance file)",
        sheet="Assumptions",
        columns=("figure", "value", "kind", "source or assumption"),
        kinds=("text", "float", "text", "text"),
        rows=tuple(rows),
        cell_kinds={
            (r, 1): ("float" if isinstance(row[1], int | float) and not isinstance(row[1], bool)
                     else "text")
            for r, row in enumerate(rows)
        },
    )  # fmt: skip


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


def business_tables(data: ExportData) -> list[ReportTable]:
    """Return every table of the business case (the workbook's sheets, in order)."""
    hourly, staffing = _staffing_tables(data)
    tables = [_summary_table(data), _options_table(data), _cost_table(data)]
    functions = _function_table(data)
    if functions is not None:
        tables.append(functions)
    if data.solution is not None:
        tables += [_sites_table(data), staffing, hourly]
    tables += [_constraint_table(data), _staff_table(data)]
    if data.solution is not None:
        tables += [_room_staff_table(data), _force_staff_table(data)]
    if data.solution is not None:
        tables += [_coverage_table(data), _lsoa_table(data)]
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
            f"{lead} Today's three rooms cost {format_value(r.baseline_gbp, 'gbp')} a year on "
            "the same model.",
            why,
        )
    opened = " and ".join(f"{names.get(i, i)} ({i})" for i in s.site_ids)
    payback = s.payback_years
    proof = "proved optimal" if r.proved_optimal else f"best found, {status_note(r.status, r.gap)}"
    return (
        f"Recommended: {len(s.sites)} control room(s) at {opened}, {s.routing} routing ({proof}).",
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
    )


def business_report(data: ExportData) -> BusinessReport:
    """Return the business-case document of a solution (see :class:`BusinessReport`)."""
    tables = {t.sheet: t for t in business_tables(data)}
    has_sites = data.solution is not None
    figures_main = ("overview", "today_vs_proposal") if has_sites else ()
    sections = [
        ReportSection("Executive summary", _executive_summary(data), (tables["Summary"],),
                      figures_main[:1]),
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
        ReportSection("Cost breakdown", (), (tables["Costs"],)),
    ]  # fmt: skip
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
    sections.append(ReportSection("Constraints", (), (tables["Constraints"],)))
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
             "movers over all rooms together); both are shown.",),
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
        subtitle=f"siteopt business-case report · instance file {data.instance.file.name}",
        sections=tuple(sections),
    )

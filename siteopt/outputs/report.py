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

from siteopt.outputs.data import COST_LABELS, format_value

if TYPE_CHECKING:
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


def constraint_slack(constraint: dict[str, Any]) -> float | None:
    """Return how far a constraint's value is inside its limit (negative: broken by that much)."""
    value, limit = constraint.get("value"), constraint.get("limit")
    if value is None or limit is None:
        return None
    if constraint.get("type") in AT_MOST_TYPES:
        return float(limit) - float(value)
    return float(value) - float(limit)


def _site_names(data: ExportData) -> dict[str, str]:
    return dict(zip(data.sites["id"], data.sites["name"], strict=True))


def _summary_table(data: ExportData) -> ReportTable:
    s = data.solution
    names = _site_names(data)
    impact = s.get("staff_impact") or {}
    opened = "; ".join(f"{names.get(x['id'], x['id'])} ({x['id']})" for x in s["sites"])
    rows: list[tuple[str, Any, str]] = [
        ("instance", s["instance"], "text"),
        ("status", s["status"], "text"),
        ("proved optimal", bool(s.get("proved_optimal")), "bool"),
        ("rooms opened", opened or "none (infeasible)", "text"),
        ("routing", s.get("routing") or "–", "text"),
        ("staff FTE at the new rooms", sum(x["fte"] for x in s["sites"]) or None, "fte"),
        ("staff FTE today (modelled)", impact.get("staff_today_fte"), "fte"),
        ("annual cost of the proposal", s.get("objective_gbp"), "gbp"),
        ("annual cost today (same model)", s.get("baseline_gbp"), "gbp"),
        ("saving a year against today", s.get("saving_gbp"), "gbp"),
        ("one-off investment", s.get("one_off_gbp"), "gbp"),
        ("payback", s.get("payback_years"), "years"),
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
    s = data.solution
    chosen = []
    if s["sites"]:
        chosen.append(
            {
                "sites": [x["id"] for x in s["sites"]],
                "routing": s["routing"],
                "total_gbp": s["objective_gbp"],
                "costs": s["costs"],
                "feasible": True,
                "failed": [],
            }
        )
    components = list(COST_LABELS)
    rows = []
    for rank, option in enumerate([*chosen, *s["alternatives"]], start=1):
        rows.append(
            (
                rank,
                " + ".join(option["sites"]),
                option["routing"],
                option["total_gbp"],
                round(s["baseline_gbp"] - option["total_gbp"], 2),
                *(option["costs"].get(k, 0.0) for k in components),
                bool(option["feasible"]),
                ", ".join(option["failed"]) or "all met",
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
    s = data.solution
    rows = []
    for key, label in COST_LABELS.items():
        now = s["baseline_costs"].get(key, 0.0)
        new = s["costs"].get(key) if s["costs"] else None
        rows.append((key, label, new, now, None if new is None else round(now - new, 2)))
    rows.append(("total", "", s.get("objective_gbp"), s["baseline_gbp"], s.get("saving_gbp")))
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
    for r, c in enumerate(data.solution.get("constraints", [])):
        kind = CONSTRAINT_KINDS.get(c["type"], "float")
        direction = "≤" if c["type"] in AT_MOST_TYPES else "≥"
        for col in (2, 3, 4):
            kinds[(r, col)] = kind
        rows.append(
            (
                c["name"],
                f"{c['type']} ({direction} limit)" if c.get("limit") is not None else c["type"],
                c.get("value"),
                c.get("limit"),
                constraint_slack(c),
                bool(c["holds"]),
                c["detail"],
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
    rows = tuple(
        (
            x["id"], x["name"], x["force_area"], x["fte"], x["seats"], x["existing_seats"],
            x["peak_agents"], ", ".join(x["forces_served"]),
        )
        for x in data.solution["sites"]
    )  # fmt: skip
    return ReportTable(
        title="Chosen rooms: staff and seats",
        sheet="Sites",
        columns=(
            "site", "name", "force area", "FTE", "seats", "seats today", "peak agents",
            "forces served",
        ),
        kinds=("text", "text", "text", "fte", "int", "int", "int", "text"),
        rows=rows,
    )  # fmt: skip


def _staff_table(data: ExportData) -> ReportTable:
    impact = data.solution.get("staff_impact") or {}
    rows: list[tuple[str, Any, str]] = [
        ("staff today (FTE, modelled)", impact.get("staff_today_fte"), "fte"),
        ("posts at the new rooms (FTE)", impact.get("posts_fte"), "fte"),
        ("share of today's staff expected to move with the job", impact.get("retained_share"),
         "share"),
        ("leavers (FTE)", impact.get("leavers_fte"), "fte"),
        ("redundancies (FTE)", impact.get("redundancies_fte"), "fte"),
        ("to recruit (FTE)", impact.get("recruits_fte"), "fte"),
        ("extra one-way commute, median", impact.get("median_extra_minutes"), "minutes"),
        ("extra one-way commute, 90th percentile", impact.get("p90_extra_minutes"), "minutes"),
    ]  # fmt: skip
    title = "Staff impact (modelled: gravity-model homes, retention falling with extra commute)"
    return _labelled_values(title, "Staff impact", ("measure", "value"), rows)


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
        "assigned_site", "minutes_assigned", "nearest_site", "minutes_nearest", "minutes_today",
        "staff_living", "commute_change_min",
    )  # fmt: skip
    kinds = (
        "text", "text", "text", "text", "int", "float", "text", "minutes", "text", "minutes",
        "minutes", "fte", "minutes",
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


def business_tables(data: ExportData) -> list[ReportTable]:
    """Return every table of the business case (the workbook's sheets, in order)."""
    hourly, staffing = _staffing_tables(data)
    tables = [_summary_table(data), _options_table(data), _cost_table(data)]
    if data.solution["sites"]:
        tables += [_sites_table(data), staffing, hourly]
    tables += [_constraint_table(data), _staff_table(data)]
    if data.solution["sites"]:
        tables += [_coverage_table(data), _lsoa_table(data)]
    tables.append(_assumption_table(data))
    return tables


def _executive_summary(data: ExportData) -> tuple[str, ...]:
    s = data.solution
    names = _site_names(data)
    if not s["sites"]:
        conflict = (s.get("infeasibility") or {}).get("conflict") or []
        why = (
            f"The smallest set of constraints that cannot hold together: {', '.join(conflict)}."
            if conflict
            else "No explanation was computed."
        )
        return (
            f"No option meets every constraint ({s['status']}). Today's three rooms cost "
            f"{format_value(s['baseline_gbp'], 'gbp')} a year on the same model.",
            why,
        )
    opened = " and ".join(f"{names.get(x['id'], x['id'])} ({x['id']})" for x in s["sites"])
    fte_total = sum(x["fte"] for x in s["sites"])
    impact = s.get("staff_impact") or {}
    payback = s.get("payback_years")
    proof = "proved optimal" if s.get("proved_optimal") else "best found, not proved optimal"
    return (
        f"Recommended: {len(s['sites'])} control room(s) at {opened}, {s['routing']} routing "
        f"({proof}).",
        f"Staff: {format_value(fte_total, 'fte')} FTE of call handlers and supervisors, against "
        f"{format_value(impact.get('staff_today_fte'), 'fte')} FTE in today's rooms.",
        f"Annual cost {format_value(s['objective_gbp'], 'gbp')} against "
        f"{format_value(s['baseline_gbp'], 'gbp')} today: a saving of "
        f"{format_value(s['saving_gbp'], 'gbp')} a year.",
        f"One-off investment {format_value(s['one_off_gbp'], 'gbp')}, paid back in "
        f"{format_value(payback, 'years') if payback is not None else 'never (no yearly gain)'}"
        " by the recurring saving (staff, running and standby costs, without the annualised "
        f"one-offs) of {format_value(s.get('recurring_saving_gbp'), 'gbp')} a year.",
    )


def business_report(data: ExportData) -> BusinessReport:
    """Return the business-case document of a solution (see :class:`BusinessReport`)."""
    tables = {t.sheet: t for t in business_tables(data)}
    s = data.solution
    has_sites = bool(s["sites"])
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
             "commute change is the drive time to the new room minus today's.",),
            (tables["Staff impact"],),
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
                str(s.get("travel_times", "")),
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
        title=f"Control room options: {s['instance']}",
        subtitle=f"siteopt business-case report · instance file {data.instance.file.name}",
        sections=tuple(sections),
    )

"""Reports: plain-data summaries (for ``--json``) and their rich terminal rendering.

Each summary is built by a ``*_summary``/``*_rows`` function that returns JSON-ready data computed
from the dataset or instance, and printed by a matching ``print_*`` function, so the terminal and
JSON views always show the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from siteopt.data import FORCE_IDS

if TYPE_CHECKING:
    from rich.console import Console

    from siteopt.data import Dataset
    from siteopt.export import ExportData
    from siteopt.instance import Instance
    from siteopt.simulate import InstanceSimulation, WindowStats
    from siteopt.solution import Solution
    from siteopt.solve import Infeasibility

__all__ = [
    "BusinessReport",
    "ReportSection",
    "ReportTable",
    "business_report",
    "business_tables",
    "constraint_slack",
    "dataset_summary",
    "format_value",
    "pooling_summary",
    "print_dataset_summary",
    "print_pooling_summary",
    "print_problem_summary",
    "print_queue_summary",
    "print_simulation_summary",
    "print_sites",
    "print_solution",
    "problem_summary",
    "queue_summary",
    "report_html",
    "report_markdown",
    "simulation_summary",
    "site_rows",
    "write_report_pdf",
]


def dataset_summary(dataset: Dataset) -> dict[str, Any]:
    """Return LSOA, population, district and site totals of a dataset, computed from its files."""
    lsoas = dataset.lsoas()
    by_force = lsoas.groupby("force").agg(
        lsoas=("lsoa11cd", "size"),
        districts=("lad13cd", "nunique"),
        pop_mid2015=("pop_mid2015", "sum"),
        pop_mid2019=("pop_mid2019", "sum"),
    )
    site_forces = [s.force for s in dataset.sites.values()]
    forces = [
        {
            "force": fid,
            "lsoas": int(by_force.loc[fid, "lsoas"]),
            "districts": int(by_force.loc[fid, "districts"]),
            "pop_mid2015": int(by_force.loc[fid, "pop_mid2015"]),
            "pop_mid2019": int(by_force.loc[fid, "pop_mid2019"]),
            "sites": site_forces.count(fid),
        }
        for fid in by_force.index
    ]
    districts = (
        lsoas.groupby(["force", "lad13cd", "lad19cd", "lad_name"], as_index=False)
        .agg(lsoas=("lsoa11cd", "size"), pop_mid2015=("pop_mid2015", "sum"))
        .sort_values(["force", "lad_name"])
    )
    manifest = dataset.manifest
    return {
        "dataset": str(dataset.root),
        "forces": forces,
        "totals": {
            "lsoas": len(lsoas),
            "pop_mid2015": int(lsoas["pop_mid2015"].sum()),
            "pop_mid2019": int(lsoas["pop_mid2019"].sum()),
            "sites": len(dataset.sites),
            "current_control_rooms": sorted(
                s.id for s in dataset.sites.values() if s.current_control_room
            ),
            "postcodes": manifest["counts"]["postcodes"],
        },
        "districts": [
            {k: (int(v) if k in {"lsoas", "pop_mid2015"} else v) for k, v in row.items()}
            for row in districts.to_dict("records")
        ],
        "demand_point_methods": {
            str(k): int(v) for k, v in lsoas["point_method"].value_counts().sort_index().items()
        },
        "attribution": dataset.attribution,
    }


def print_dataset_summary(summary: dict[str, Any], out: Console) -> None:
    """Print a dataset summary as rich tables."""
    from rich.table import Table

    table = Table(title=f"Embedded dataset: {summary['dataset']}")
    for col in ("force", "LSOAs", "districts", "pop. mid-2015", "pop. mid-2019", "sites"):
        table.add_column(col, justify="left" if col == "force" else "right")
    for row in summary["forces"]:
        table.add_row(
            row["force"],
            f"{row['lsoas']:,}",
            str(row["districts"]),
            f"{row['pop_mid2015']:,}",
            f"{row['pop_mid2019']:,}",
            str(row["sites"]),
        )
    totals = summary["totals"]
    table.add_row(
        "[bold]total[/bold]",
        f"{totals['lsoas']:,}",
        str(len(summary["districts"])),
        f"{totals['pop_mid2015']:,}",
        f"{totals['pop_mid2019']:,}",
        str(totals["sites"]),
    )
    out.print(table)

    districts = Table(title="Districts (2013 code → 2019 code)")
    for col in ("force", "district", "code 2013", "code 2019", "LSOAs", "pop. mid-2015"):
        districts.add_column(col, justify="right" if col in {"LSOAs", "pop. mid-2015"} else "left")
    for row in summary["districts"]:
        districts.add_row(
            row["force"],
            row["lad_name"],
            row["lad13cd"],
            row["lad19cd"],
            str(row["lsoas"]),
            f"{row['pop_mid2015']:,}",
        )
    out.print(districts)
    methods = ", ".join(f"{k} {v:,}" for k, v in summary["demand_point_methods"].items())
    out.print(f"Demand points: {methods}.")
    out.print(
        f"Postcode index: {totals['postcodes']:,} postcode units (OS Code-Point Open 2014.3). "
        f"Current control rooms: {', '.join(totals['current_control_rooms'])}."
    )
    out.print("[bold]Sources and attribution[/bold]")
    for line in summary["attribution"].values():
        out.print(f"  • {line}")


def site_rows(dataset: Dataset, instance: Instance | None) -> list[dict[str, Any]]:
    """Return one row per site: all dataset sites, or an instance's candidates (custom included)."""
    if instance is None:
        return [_dataset_site_row(dataset, sid) for sid in dataset.sites]
    rows = []
    for sid in instance.candidate_ids():
        if sid in dataset.sites:
            rows.append(_dataset_site_row(dataset, sid))
            continue
        custom = instance.sites.custom[sid]
        rows.append(
            {
                "id": sid,
                "name": custom.name,
                "force": custom.force,
                "kind": "custom",
                "postcode": custom.postcode or "",
                "current_control_room": False,
                "status_today": "",
                "confidence": "",
                "source": custom.source,
            }
        )
    return rows


def _dataset_site_row(dataset: Dataset, sid: str) -> dict[str, Any]:
    site = dataset.sites[sid]
    return {
        "id": site.id,
        "name": site.name,
        "force": site.force,
        "kind": site.kind,
        "postcode": site.postcode,
        "x": site.x,
        "y": site.y,
        "lon": site.lon,
        "lat": site.lat,
        "current_control_room": site.current_control_room,
        "status_today": site.status_today,
        "confidence": site.confidence,
        "source": site.source,
    }


def print_sites(rows: list[dict[str, Any]], out: Console) -> None:
    """Print site rows as a rich table (current control rooms marked, low confidence flagged)."""
    from rich.table import Table

    table = Table(title=f"Candidate sites ({len(rows)})")
    for col in ("id", "name", "force", "kind", "postcode", "note"):
        table.add_column(col)
    for row in rows:
        notes = []
        if row["current_control_room"]:
            notes.append("[bold]current control room[/bold]")
        if row["confidence"] == "low":
            notes.append("[yellow]low-confidence postcode[/yellow]")
        if row["status_today"] == "closed":
            notes.append("closed since 2015")
        table.add_row(
            row["id"], row["name"], row["force"], row["kind"], row["postcode"], "; ".join(notes)
        )
    out.print(table)


def problem_summary(instance: Instance) -> dict[str, Any]:
    """Return what an instance states: forces, demand, candidates, constraints, solver settings."""
    from siteopt.demand import annual_volumes, force_populations

    volumes = annual_volumes(instance)
    population = force_populations(instance)
    return {
        "status": "NOT_SOLVED",
        "message": (
            "instance is valid; the optimiser (cost model, CP-SAT and enumeration) has not "
            "landed yet, so no sites, staff or costs are reported"
        ),
        "instance": {"name": instance.name, "file": str(instance.file)},
        "forces": [
            {
                "id": fid,
                "name": force.name,
                "population": population[fid],
                "current_site": force.current_site,
                "current_staff": force.current_staff.value,
            }
            for fid, force in instance.forces.items()
        ],
        "annual_calls": [
            {
                "force": v.force,
                "stream": v.stream,
                "calls": round(v.calls),
                "estimated": v.estimated,
                "provenance": v.provenance,
            }
            for v in volumes
        ],
        "candidates": instance.candidate_ids(),
        "constraints": [
            {"name": name, "type": c.type, "enabled": c.enabled}
            for name, c in instance.constraints.items()
        ],
        "solver": instance.solver.model_dump(),
        "figures": {
            "sourced": sum(1 for _, f in instance.figures() if f.source),
            "assumed": sum(1 for _, f in instance.figures() if f.assumption),
        },
    }


def print_problem_summary(summary: dict[str, Any], out: Console) -> None:
    """Print a problem summary: forces, annual calls by stream, candidates and constraints."""
    from rich.table import Table

    out.print(f"[bold]{summary['instance']['name']}[/bold] ({summary['instance']['file']})")
    forces = Table(title="Forces")
    for col in ("force", "population", "today's room", "staff today"):
        forces.add_column(col, justify="right" if col in {"population", "staff today"} else "left")
    for row in summary["forces"]:
        forces.add_row(
            row["name"], f"{row['population']:,}", row["current_site"], f"{row['current_staff']:,}"
        )
    out.print(forces)

    streams = sorted({r["stream"] for r in summary["annual_calls"]}, key=_stream_order(summary))
    calls = Table(title="Calls a year (* = estimated per head, an assumption)")
    calls.add_column("force")
    for stream in streams:
        calls.add_column(stream, justify="right")
    calls.add_column("total", justify="right")
    force_ids = [r["id"] for r in summary["forces"]]
    ordered = [f for f in FORCE_IDS if f in force_ids] + [
        f for f in force_ids if f not in FORCE_IDS
    ]
    for fid in ordered:
        cells = {r["stream"]: r for r in summary["annual_calls"] if r["force"] == fid}
        row = [f"{cells[s]['calls']:,}{'*' if cells[s]['estimated'] else ''}" for s in streams]
        total = sum(cells[s]["calls"] for s in streams)
        calls.add_row(fid, *row, f"{total:,}")
    out.print(calls)
    figures = summary["figures"]
    out.print(
        f"{len(summary['candidates'])} candidate sites; constraints: "
        + ", ".join(f"{c['name']} ({c['type']})" for c in summary["constraints"] if c["enabled"])
        + f"; {figures['sourced']} sourced figures, {figures['assumed']} assumptions."
    )
    out.print(f"[yellow]Not solved:[/yellow] {summary['message']}.")


def _stream_order(summary: dict[str, Any]) -> Any:
    order = {r["stream"]: i for i, r in enumerate(summary["annual_calls"])}
    return order.__getitem__


# ---------------------------------------------------------------------------------------------
# Staffing


def queue_summary(
    *,
    calls_per_hour: float,
    aht_s: float,
    share: float,
    within_s: float,
    patience_s: float | None,
    max_occupancy: float | None,
) -> dict[str, Any]:
    """Return the smallest staffing of one queue meeting a target, and how it performs."""
    from siteopt.staffing import ServiceTarget, evaluate_staffing, required_agents

    target = ServiceTarget(share=share, wait_s=within_s, max_occupancy=max_occupancy)
    agents = int(required_agents(calls_per_hour, aht_s=aht_s, target=target, patience_s=patience_s))
    rows = []
    for n in (agents - 1, agents):
        if n < 0:
            continue
        result = evaluate_staffing(
            n, calls_per_hour, aht_s=aht_s, target_wait_s=within_s, patience_s=patience_s
        )
        rows.append(
            {
                "agents": n,
                "service_level": float(result.service_level),
                "asa_s": float(result.asa_s),
                "occupancy": float(result.occupancy),
                "abandon_share": float(result.abandon_share),
                "meets_target": n == agents,
            }
        )
    return {
        "model": "Erlang A" if patience_s is not None else "Erlang C",
        "calls_per_hour": calls_per_hour,
        "aht_s": aht_s,
        "load_erlangs": calls_per_hour * aht_s / 3600,
        "target": {"share": share, "within_s": within_s, "max_occupancy": max_occupancy},
        "patience_s": patience_s,
        "agents": agents,
        "rows": rows,
    }


def print_queue_summary(summary: dict[str, Any], out: Console) -> None:
    """Print a queue staffing summary: the required agents, and one fewer for comparison."""
    from rich.table import Table

    target = summary["target"]
    out.print(
        f"{summary['model']}: {summary['calls_per_hour']:g} calls/h × {summary['aht_s']:g} s "
        f"= {summary['load_erlangs']:.2f} Erlangs; target {target['share']:.0%} within "
        f"{target['within_s']:g} s → [bold]{summary['agents']} agents[/bold]"
    )
    table = Table()
    for col in ("agents", "service level", "ASA (s)", "occupancy", "abandoned", "meets target"):
        table.add_column(col, justify="right")
    for row in summary["rows"]:
        table.add_row(
            str(row["agents"]),
            f"{row['service_level']:.1%}",
            f"{row['asa_s']:.1f}",
            f"{row['occupancy']:.1%}",
            f"{row['abandon_share']:.1%}",
            "yes" if row["meets_target"] else "no",
        )
    out.print(table)


def pooling_summary(instance: Instance) -> dict[str, Any]:
    """Return agents and FTE for every group of forces sharing one room, and the pooling saving."""
    from itertools import combinations

    from siteopt.staffing import room_fte, staffing_table

    table = staffing_table(instance)
    hours = table.interval_hours
    groups: list[dict[str, Any]] = []
    for size in range(1, len(table.forces) + 1):
        for group in combinations(table.forces, size):
            agents = table.agents_for(group)
            fte = room_fte(instance, agents)
            groups.append(
                {
                    "forces": list(group),
                    "peak_agents": int(agents.max()),
                    "night_agents": int(agents.min()),
                    "weekly_agent_hours": float(agents.sum() * hours),
                    "fte": float(fte.total_fte),
                }
            )
    separate = float(sum(g["fte"] for g in groups if len(g["forces"]) == 1))
    pooled = float(groups[-1]["fte"])
    return {
        "instance": instance.name,
        "stream_teams": table.stream_teams,
        "min_positions_per_site": instance.staffing.min_positions_per_site.value,
        "groups": groups,
        "separate_rooms_fte": separate,
        "one_room_fte": pooled,
        "pooling_saving_fte": separate - pooled,
    }


def print_pooling_summary(summary: dict[str, Any], out: Console) -> None:
    """Print agents and FTE per force group, and what one pooled room saves."""
    from rich.table import Table

    table = Table(
        title=f"Staffing per room by the forces it serves ({summary['stream_teams']} stream "
        f"teams, minimum crew {summary['min_positions_per_site']})"
    )
    for col in ("forces", "peak agents", "night agents", "agent-hours/week", "FTE"):
        table.add_column(col, justify="left" if col == "forces" else "right")
    for group in summary["groups"]:
        table.add_row(
            " + ".join(group["forces"]),
            str(group["peak_agents"]),
            str(group["night_agents"]),
            f"{group['weekly_agent_hours']:,.0f}",
            f"{group['fte']:,.1f}",
        )
    out.print(table)
    out.print(
        f"Three rooms apart: {summary['separate_rooms_fte']:,.1f} FTE; one pooled room: "
        f"{summary['one_room_fte']:,.1f} FTE; pooling saves "
        f"[bold]{summary['pooling_saving_fte']:,.1f} FTE[/bold]."
    )


def simulation_summary(sim: InstanceSimulation) -> dict[str, Any]:
    """Return a simulated week (and failure, if any) per stream, with confidence intervals."""

    def window(stats: WindowStats) -> list[dict[str, Any]]:
        return [
            {
                "stream": stream,
                "target": {"share": share, "within_s": wait},
                "service_level": float(stats.service_level[s]),
                "service_level_ci": float(stats.service_level_ci[s]),
                "asa_s": float(stats.asa_s[s]),
                "abandon_share": float(stats.abandon_share[s]),
                "calls": float(stats.offered[s]),
            }
            for s, (stream, (share, wait)) in enumerate(zip(sim.streams, sim.targets, strict=True))
        ]

    out: dict[str, Any] = {
        "sites": list(sim.sites),
        "replications": sim.week.replications,
        "confidence": sim.week.confidence,
        "peak_agents_by_site": {
            site: int(sim.agents_by_site[k].max()) for k, site in enumerate(sim.sites)
        },
        "week": window(sim.week.overall),
    }
    if sim.failure is not None:
        out["failure"] = {
            "site": sim.failed_site,
            "start_h": sim.failure_start_h,
            "hours": sim.failure_hours,
            "before": window(sim.failure.before),
            "during": window(sim.failure.during),
            "during_without_failure": window(sim.failure.during_without_failure),
            "after": window(sim.failure.after),
        }
    return out


def print_simulation_summary(summary: dict[str, Any], out: Console) -> None:
    """Print simulated service levels per stream (and per failure window)."""
    from rich.table import Table

    conf = f"{summary['confidence']:.0%} CI over {summary['replications']} replications"
    peaks = ", ".join(f"{k} {v}" for k, v in summary["peak_agents_by_site"].items())
    out.print(f"Simulated week at {', '.join(summary['sites'])} (peak agents: {peaks}); {conf}.")
    table = Table(title="Whole week")
    for col in ("stream", "target", "service level", "ASA (s)", "abandoned", "calls"):
        table.add_column(col, justify="left" if col in {"stream", "target"} else "right")
    for row in summary["week"]:
        table.add_row(*_simulated_row(row))
    out.print(table)
    failure = summary.get("failure")
    if failure is None:
        return
    start = failure["start_h"]
    day = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[int(start // 24) % 7]
    title = (
        f"{failure['site']} down for {failure['hours']:g} h from {day} "
        f"{int(start % 24):02d}:{round(start % 1 * 60):02d}"
    )
    table = Table(title=title)
    for col in ("window", "stream", "target", "service level", "ASA (s)", "abandoned", "calls"):
        table.add_column(col, justify="left" if col in {"window", "stream", "target"} else "right")
    for key, label in (
        ("before", "before"),
        ("during_without_failure", "same hours, no failure"),
        ("during", "during the failure"),
        ("after", "after (recovery)"),
    ):
        for row in failure[key]:
            table.add_row(label, *_simulated_row(row))
    out.print(table)


def _simulated_row(row: dict[str, Any]) -> list[str]:
    target = row["target"]
    return [
        row["stream"],
        f"{target['share']:.0%} in {target['within_s']:g} s",
        f"{row['service_level']:.1%} ± {row['service_level_ci']:.1%}",
        f"{row['asa_s']:.1f}",
        f"{row['abandon_share']:.1%}",
        f"{row['calls']:,.0f}",
    ]


# ---------------------------------------------------------------------------------------------
# Solution


def print_solution(solution: Solution, explanation: Infeasibility | None, out: Console) -> None:
    """Print a solved instance: sites, costs against today, constraints, staff, alternatives."""
    from rich.table import Table

    out.print(f"[bold]{solution.instance}[/bold]: {solution.status} ({_solver_line(solution)})")
    if not solution.sites:
        _print_infeasible(explanation, out)
        return
    sites = Table(title=f"Chosen sites ({solution.routing} routing)")
    for col in ("site", "name", "area", "FTE", "peak agents", "seats (today)", "forces served"):
        sites.add_column(col, justify="right" if col in {"FTE", "peak agents"} else "left")
    for s in solution.sites:
        sites.add_row(
            s.id, s.name, s.force_area, f"{s.fte:,.1f}", str(s.peak_agents),
            f"{s.seats} ({s.existing_seats})", ", ".join(s.forces_served),
        )  # fmt: skip
    out.print(sites)
    costs = Table(title="Cost a year (one-offs annualised, Green Book)", min_width=48)
    for col in ("component", "proposal £", "today £"):
        costs.add_column(col, justify="left" if col == "component" else "right")
    for key, value in solution.costs.items():
        costs.add_row(key, f"{value:,.0f}", f"{solution.baseline_costs.get(key, 0):,.0f}")
    assert solution.objective_gbp is not None and solution.saving_gbp is not None
    costs.add_row(
        "[bold]total[/bold]", f"{solution.objective_gbp:,.0f}", f"{solution.baseline_gbp:,.0f}"
    )
    out.print(costs)
    payback = f"{solution.payback_years:.2f} years" if solution.payback_years else "never"
    out.print(
        f"Saving against today: [bold]£{solution.saving_gbp:,.0f} a year[/bold] (one-offs "
        f"annualised). One-off investment £{solution.one_off_gbp or 0:,.0f}, paid back in "
        f"{payback} by the recurring saving (staff, running, standby) of "
        f"£{solution.recurring_saving_gbp or 0:,.0f} a year."
    )
    _print_constraints(solution, out)
    impact = solution.staff_impact
    if impact is not None:
        out.print(
            f"Staff (modelled): {impact.staff_today_fte:,.1f} FTE today → {impact.posts_fte:,.1f} "
            f"posts; {impact.retained_share:.0%} expected to move with the job; "
            f"{impact.redundancies_fte:,.1f} FTE redundant, {impact.recruits_fte:,.1f} to recruit; "
            f"extra commute median {impact.median_extra_minutes} min, "
            f"90th percentile {impact.p90_extra_minutes} min."
        )
    _print_alternatives(solution, out)
    _print_cost_surface(solution, out)
    out.print(f"[dim]Travel times: {solution.travel_times}[/dim]")


def _print_cost_surface(solution: Solution, out: Console) -> None:
    """The single-site cost surface in two lines: the best building and the best new build."""
    surface = solution.cost_surface
    if not surface:
        return
    feasible = [p for p in surface if p.feasible]
    lines = [
        f"Where the ideal single room would be: {len(surface)} candidates priced alone, "
        f"{len(feasible)} meet every constraint alone."
    ]
    for label, kind in (("standing building", False), ("new build", True)):
        best = min(
            (p for p in feasible if p.greenfield is kind), key=lambda p: p.total_gbp, default=None
        )
        if best is not None:
            lines.append(
                f"  cheapest {label}: {best.name} ({best.id}), £{best.total_gbp:,.0f} a year"
            )
    lines.append("  (map: `--out DIR --format maps`, cost_surface in `--json`)")
    out.print("\n".join(lines))


def _solver_line(solution: Solution) -> str:
    solver = solution.solver
    proof = "proved optimal" if solution.proved_optimal else "not proved optimal"
    return f"{solver.get('name')}, {solver.get('wall_s', 0):.2f} s, {proof}"


def _print_constraints(solution: Solution, out: Console) -> None:
    from rich.table import Table

    table = Table(title="Constraints")
    for col in ("name", "value", "limit", "holds", "what"):
        table.add_column(col, justify="right" if col in {"value", "limit"} else "left")
    for c in solution.constraints:
        table.add_row(
            c.name, _number(c.value), _number(c.limit),
            "[green]yes[/green]" if c.holds else "[red]no[/red]", c.detail,
        )  # fmt: skip
    out.print(table)


def _print_alternatives(solution: Solution, out: Console) -> None:
    from rich.table import Table

    if not solution.alternatives:
        return
    table = Table(title="Next best options")
    for col in ("sites", "routing", "£ a year", "more than chosen", "fails"):
        table.add_column(col, justify="right" if "£" in col or "more" in col else "left")
    best = solution.objective_gbp or 0.0
    for alt in solution.alternatives:
        table.add_row(
            " + ".join(alt.sites), alt.routing, f"{alt.total_gbp:,.0f}",
            f"{alt.total_gbp - best:+,.0f}", ", ".join(alt.failed) or "-",
        )  # fmt: skip
    out.print(table)


def _print_infeasible(explanation: Infeasibility | None, out: Console) -> None:
    out.print("[red]No option meets every constraint.[/red]")
    if explanation is None:
        return
    out.print(f"Smallest conflicting set: [bold]{', '.join(explanation.conflict)}[/bold]")
    for r in explanation.relaxations:
        out.print(
            f"  • without {r.constraint}: best {' + '.join(r.best_sites)} at "
            f"£{r.best_total_gbp:,.0f} a year, where {r.detail} is {_number(r.value)} "
            f"(limit {_number(r.limit)})"
        )


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) < 1:
        return f"{value:.1%}"
    return f"{value:,.1f}" if abs(value) < 1000 else f"{value:,.0f}"


# ---------------------------------------------------------------------------------------------
# Business-case report: one document model rendered as Markdown, HTML, PDF and workbook sheets

#: Cost components of an option, as the report names them.
COST_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "sites": "sites (running, and annualised one-off move of a new room)",
        "seats": "seats added (annualised fit-out)",
        "staff": "staff (call handlers and supervisors, shrinkage included)",
        "merge": "merged ICT (annualised one-off)",
        "standby": "standby fallback room",
        "transition": "staff transition (redundancy, excess travel, recruiting; annualised)",
    }
)

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


#: Captions of the maps a report may show.
FIGURE_CAPTIONS: Mapping[str, str] = MappingProxyType(
    {
        "overview": "Chosen and candidate sites, force boundaries, roads and drive-time bands.",
        "today_vs_proposal": "Drive time to the control room: today's rooms and the proposal.",
        "commute": "Modelled change in staff commute (minutes one way) by home LSOA.",
        "cost_surface": "Total cost a year of a single room at each candidate site.",
    }
)


def _md_escape(text: str) -> str:
    """A table cell's text with its pipes escaped."""
    return text.replace("|", "\\|")


def _markdown_table(table: ReportTable) -> list[str]:
    cells = table.formatted()
    lines = [
        f"**{table.title}**",
        "",
        "| " + " | ".join(_md_escape(c) for c in table.columns) + " |",
        "|" + "|".join("---" if k in {"text", "bool"} else "---:" for k in table.kinds) + "|",
    ]
    lines += ["| " + " | ".join(_md_escape(c) for c in row) + " |" for row in cells]
    return [*lines, ""]


def report_markdown(report: BusinessReport) -> str:
    """Return the business case as Markdown (maps referenced as files under ``maps/``)."""
    lines = [f"# {report.title}", "", f"_{report.subtitle}_", ""]
    for section in report.sections:
        lines += [f"## {section.title}", ""]
        for paragraph in section.paragraphs:
            lines += [paragraph, ""]
        for table in section.tables:
            lines += _markdown_table(table)
        for key in section.figures:
            lines += [f"![{FIGURE_CAPTIONS[key]}](maps/{key}.png)", ""]
    return "\n".join(lines)


_HTML_CSS = """
body{font-family:"DejaVu Sans",Arial,sans-serif;max-width:1100px;margin:2em auto;color:#1a1a1a;
line-height:1.4;padding:0 1em}
h1{color:#1f4e79;border-bottom:3px solid #1f4e79}h2{color:#1f4e79;margin-top:1.8em}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.88em}
caption{text-align:left;font-weight:bold;padding:.3em 0}
th{background:#1f4e79;color:#fff;text-align:left;padding:.3em .6em}
td{border-bottom:1px solid #ccc;padding:.25em .6em;vertical-align:top}
td.n{text-align:right;white-space:nowrap}tr:nth-child(even) td{background:#f3f6fa}
figure{margin:1em 0}figure img{max-width:100%;border:1px solid #ccc}
figcaption{font-size:.85em;color:#444}.sub{color:#555;font-style:italic}
"""


def report_html(report: BusinessReport, figures: dict[str, bytes]) -> str:
    """Return the business case as one self-contained HTML page (inline CSS, PNG maps inline)."""
    import base64
    from html import escape

    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(report.title)}</title><style>{_HTML_CSS}</style></head><body>",
        f"<h1>{escape(report.title)}</h1><p class='sub'>{escape(report.subtitle)}</p>",
    ]
    for section in report.sections:
        parts.append(f"<h2>{escape(section.title)}</h2>")
        parts += [f"<p>{escape(p)}</p>" for p in section.paragraphs]
        for table in section.tables:
            parts.append(f"<table><caption>{escape(table.title)}</caption><tr>")
            parts += [f"<th>{escape(c)}</th>" for c in table.columns]
            parts.append("</tr>")
            for r, row in enumerate(table.formatted()):
                cells = [
                    f"<td class='n'>{escape(v)}</td>"
                    if table.kind(r, c) not in {"text", "bool"}
                    else f"<td>{escape(v)}</td>"
                    for c, v in enumerate(row)
                ]
                parts.append("<tr>" + "".join(cells) + "</tr>")
            parts.append("</table>")
        for key in section.figures:
            if key in figures:
                data = base64.b64encode(figures[key]).decode("ascii")
                parts.append(
                    f"<figure><img alt='{escape(FIGURE_CAPTIONS[key])}' "
                    f"src='data:image/png;base64,{data}'><figcaption>"
                    f"{escape(FIGURE_CAPTIONS[key])}</figcaption></figure>"
                )
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report_pdf(report: BusinessReport, figures: dict[str, bytes], path: Path) -> None:
    """Write the business case as a PDF (A4, reportlab): the same tables and maps."""
    import io
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.platypus import (
        Image,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    styles = getSampleStyleSheet()
    cell = ParagraphStyle("cell", parent=styles["BodyText"], fontSize=7, leading=8.5)
    head = ParagraphStyle("head", parent=cell, textColor=colors.white, fontName="Helvetica-Bold")
    heading = ParagraphStyle("section", parent=styles["Heading2"], keepWithNext=1)
    caption = ParagraphStyle("caption", parent=cell, keepWithNext=1)
    width = A4[0] - 30 * mm
    story: list[Any] = [
        Paragraph(escape(report.title), styles["Title"]),
        Paragraph(escape(report.subtitle), styles["Italic"]),
    ]
    for section in report.sections:
        story.append(Paragraph(escape(section.title), heading))
        story += [Paragraph(escape(p), styles["BodyText"]) for p in section.paragraphs]
        for table in section.tables:
            story.append(Paragraph(f"<b>{escape(table.title)}</b>", caption))
            rows: list[list[Any]] = [[Paragraph(escape(c), head) for c in table.columns]]
            rows += [
                [
                    Paragraph(escape(v), cell) if table.kind(r, c) == "text" and len(v) > 12 else v
                    for c, v in enumerate(row)
                ]
                for r, row in enumerate(table.formatted())
            ]
            numeric = [c for c, k in enumerate(table.kinds) if k not in {"text", "bool"}]
            grid = Table(rows, repeatRows=1, colWidths=_pdf_widths(table, width))
            grid.setStyle(
                TableStyle(
                    [
                        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1F4E79")),
                        ("ROWBACKGROUNDS", (0, 1), (-1, -1),
                         [colors.white, colors.HexColor("#F3F6FA")]),
                        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#CCCCCC")),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                        ("FONTSIZE", (0, 1), (-1, -1), 7),
                        *(("ALIGN", (c, 1), (c, -1), "RIGHT") for c in numeric),
                    ]
                )
            )  # fmt: skip
            story += [grid, Spacer(1, 4 * mm)]
        for key in section.figures:
            if key in figures:
                reader = ImageReader(io.BytesIO(figures[key]))
                w, h = reader.getSize()
                scale = min(width / w, 200 * mm / h)
                story.append(Image(io.BytesIO(figures[key]), width=w * scale, height=h * scale))
                story.append(Paragraph(escape(FIGURE_CAPTIONS[key]), styles["Italic"]))
    document = SimpleDocTemplate(
        str(path), pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm,
        topMargin=15 * mm, bottomMargin=15 * mm, title=report.title, author="siteopt",
    )  # fmt: skip
    document.build(story)


def _pdf_widths(table: ReportTable, width: float) -> list[float]:
    """Column widths: numbers fit their longest value, text shares the rest (no word is split)."""
    from reportlab.lib.units import mm

    cells = table.formatted()[:200]
    char, bold = 1.5 * float(mm), 2.0 * float(mm)  # one character at 7 pt, regular and bold

    def longest_word(c: int) -> float:
        words = [w for r in cells for w in r[c].split()]
        return max(len(w) for w in words) * char if words else 0.0

    def header(c: int) -> float:
        return max(map(len, table.columns[c].split())) * bold

    fixed = [
        max(max(len(r[c]) for r in cells) * char, header(c)) + 3 * mm
        if table.kinds[c] != "text" and cells
        else None
        for c in range(len(table.columns))
    ]
    floor = [
        max(min(longest_word(c), 30 * char), header(c)) + 3 * mm for c in range(len(table.columns))
    ]
    lengths = [
        min(max([len(table.columns[c]), *(len(r[c]) for r in cells)]), 60)
        for c in range(len(table.columns))
    ]
    free = width - sum(f for f in fixed if f is not None)
    text = sum(n for n, f in zip(lengths, fixed, strict=True) if f is None) or 1
    return [
        f if f is not None else max(free * n / text, floor[c])
        for c, (n, f) in enumerate(zip(lengths, fixed, strict=True))
    ]

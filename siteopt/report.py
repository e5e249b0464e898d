"""Reports: plain-data summaries (for ``--json``) and their rich terminal rendering.

Each summary is built by a ``*_summary``/``*_rows`` function that returns JSON-ready data computed
from the dataset or instance, and printed by a matching ``print_*`` function, so the terminal and
JSON views always show the same numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from siteopt.data import FORCE_IDS

if TYPE_CHECKING:
    from rich.console import Console

    from siteopt.data import Dataset
    from siteopt.instance import Instance
    from siteopt.simulate import InstanceSimulation, WindowStats
    from siteopt.solution import Solution
    from siteopt.solve import Infeasibility

__all__ = [
    "dataset_summary",
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
    "simulation_summary",
    "site_rows",
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
    costs = Table(title="Cost a year (one-offs annualised, Green Book)")
    for col in ("component", "proposal £", "today £"):
        costs.add_column(col, justify="left" if col == "component" else "right")
    for key, value in solution.costs.items():
        costs.add_row(key, f"{value:,.0f}", f"{solution.baseline_costs.get(key, 0):,.0f}")
    assert solution.objective_gbp is not None and solution.saving_gbp is not None
    costs.add_row(
        "[bold]total[/bold]", f"{solution.objective_gbp:,.0f}", f"{solution.baseline_gbp:,.0f}"
    )
    out.print(costs)
    payback = f"{solution.payback_years:.1f} years" if solution.payback_years else "never"
    out.print(
        f"Saving against today: [bold]£{solution.saving_gbp:,.0f} a year[/bold]; one-off "
        f"investment £{solution.one_off_gbp or 0:,.0f}, paid back in {payback}."
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
    out.print(f"[dim]Travel times: {solution.travel_times}[/dim]")


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

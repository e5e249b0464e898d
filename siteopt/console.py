"""Terminal rendering (rich) of every summary and result; only the CLI imports this.

Each ``print_*`` function renders data computed elsewhere (a summary of
:mod:`siteopt.outputs.summaries`, a solution, a roster, a location model), so the
terminal and ``--json`` views always show the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from siteopt.data import FORCE_IDS
from siteopt.status import Status, status_note

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from siteopt.location.result import LocateResult
    from siteopt.optimise.result import Result
    from siteopt.optimise.solution import Solution
    from siteopt.outputs.compare import Comparison

__all__ = [
    "print_comparison",
    "print_dataset_summary",
    "print_locate",
    "print_plan_simulation",
    "print_pooling_summary",
    "print_problem_summary",
    "print_queue_summary",
    "print_result",
    "print_roster",
    "print_simulation_summary",
    "print_sites",
    "print_today_summary",
    "print_written",
]


def print_roster(summary: dict[str, Any], console: Console, *, width: int = 40) -> None:
    """Print a roster summary: hourly coverage chart, shifts, rota lines and FTE."""
    from rich.table import Table  # noqa: PLC0415 (lazy: rich is slow to import)

    from siteopt.queueing.site_roster import _label  # noqa: PLC0415 (lazy: keeps the console light to import)

    solver, fte, rota = summary["solver"], summary["fte"], summary["rota"]
    console.print(
        f"[bold]WeekRoster for {summary['site']}[/bold] (calls of {', '.join(summary['forces'])}); "
        f"{summary['requirement']}; breaks relieved on shift "
        f"({summary['break_share']:.1%} of paid time)."
    )
    required = summary["coverage"]["required_per_hour"]
    on_duty = summary["coverage"]["on_duty_per_hour"]
    top = max(*on_duty, 1.0)
    chart = Table(title="Coverage per hour: █ required on the phones, ░ extra on duty")
    for name in ("hour", "req", "duty", "chart"):
        chart.add_column(name, justify="right" if name in ("req", "duty") else "left")
    for hour, (req, duty) in enumerate(zip(required, on_duty, strict=True)):
        full = round(req / top * width)
        extra = max(0, round(duty / top * width) - full)
        chart.add_row(_label(hour * 60), f"{req:g}", f"{duty:g}", "█" * full + "░" * extra)
    console.print(chart)
    counts = ", ".join(f"{name}: {n}" for name, n in summary["shift_counts"].items())
    console.print(f"Shifts a week: {counts}.")
    console.print(
        f"CP-SAT: {solver['status']}, {solver['paid_hours']:,.1f} paid hours a week "
        f"(bound {solver['paid_hours_bound']:,.1f}, gap {solver['gap']:.2%}, "
        f"{solver['wall_s']:.2f} s)."
    )
    console.print(
        f"Rota: {rota['lines']} lines rotating weekly ({rota['working_lines']} working, "
        f"{rota['lines'] - rota['working_lines']} rest weeks), {rota['mean_line_hours']:.1f} h "
        f"a week on average, shortest rest {rota['min_rest_hours']:.1f} h."
    )
    console.print(
        f"FTE: lower bound {fte['lower_bound_fte']:,.1f} (required hours / contract), "
        f"rostered {fte['floor_fte']:,.1f}, headcount {fte['headcount']}; with "
        f"{fte['off_shift_shrinkage']:.1%} leave/sickness/training on top: agents "
        f"{fte['agent_fte']:,.1f} + supervisors {fte['supervisor_fte']:,.1f} = "
        f"[bold]{fte['total_fte']:,.1f} FTE[/bold] (shrinkage method: "
        f"{fte['shrinkage_method_fte']:,.1f})."
    )


def print_dataset_summary(summary: dict[str, Any], out: Console) -> None:
    """Print a dataset summary as rich tables."""
    from rich.table import Table  # noqa: PLC0415 (lazy: rich is slow to import)

    table = Table(title=f"Embedded dataset: {summary['dataset']}")
    for col in ("force", "LSOAs", "districts", "pop. mid-2015", "pop. mid-2019", "sites"):
        table.add_column(col, justify="left" if col == "force" else "right")
    for row in summary["forces"]:
        table.add_row(
            row["force"],
            f"{row['lsoas']:,}",
            str(row["districts"]),
            "–" if row["pop_mid2015"] is None else f"{row['pop_mid2015']:,}",
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
    if "force_scalers" in summary:
        _print_scalers(summary, out)
    else:
        _print_districts(summary, out)
    methods = ", ".join(f"{k} {v:,}" for k, v in summary["demand_point_methods"].items())
    out.print(f"Demand points: {methods}.")
    if totals["postcodes"]:
        out.print(
            f"Postcode index: {totals['postcodes']:,} postcode units (OS Code-Point Open 2014.3)."
        )
    rooms = ", ".join(totals["current_control_rooms"]) or "none in the data"
    out.print(f"Current control rooms: {rooms}.")
    out.print("[bold]Sources and attribution[/bold]")
    for line in summary["attribution"].values():
        out.print(f"  • {line}")


def _print_districts(summary: dict[str, Any], out: Console) -> None:
    from rich.table import Table  # noqa: PLC0415 (lazy: rich is slow to import)

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


def _print_scalers(summary: dict[str, Any], out: Console) -> None:
    """The national dataset's per-force demand scalers (one row per force)."""
    from rich.table import Table  # noqa: PLC0415 (lazy: rich is slow to import)

    table = Table(title="Per-force demand scalers")
    columns = ("force", "years", "crime 2024/25", "per 1,000", "officers 2015", "OSM HQ point")
    for col in columns:
        table.add_column(col, justify="left" if col in {"force", "OSM HQ point"} else "right")
    for row in summary["force_scalers"]:
        table.add_row(
            row["force"],
            row["population_years"],
            f"{row['recorded_crime_2024_25']:,}",
            f"{row['crime_per_1000_2019']:.1f}",
            f"{row['officer_fte_2015']:,.0f}",
            row["osm_force_hq_site"] or "–",
        )
    out.print(table)
    out.print(f"{len(summary['districts'])} districts (LAD22). Areas: {summary['boundaries']}.")
    out.print("[bold]Scaler sources[/bold]")
    for key, text in summary["force_scaler_sources"].items():
        out.print(f"  • {key}: {text}")


def print_sites(rows: list[dict[str, Any]], out: Console) -> None:
    """Print site rows as a rich table (current control rooms marked, low confidence flagged)."""
    from rich.table import Table  # noqa: PLC0415 (lazy: rich is slow to import)

    table = Table(title=f"Candidate sites ({len(rows)})")
    widest = max((len(row["id"]) for row in rows), default=2)
    table.add_column("id", min_width=widest, no_wrap=True)  # ids are typed: never cut them
    for col in ("name", "force", "kind", "postcode", "note"):
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


def print_problem_summary(summary: dict[str, Any], out: Console) -> None:
    """Print a problem summary: forces, annual calls by stream, candidates and constraints."""
    from rich.table import Table  # noqa: PLC0415 (lazy: rich is slow to import)

    from siteopt.outputs.summaries import _stream_order  # noqa: PLC0415 (lazy: keeps the console light to import)

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


def print_queue_summary(summary: dict[str, Any], out: Console) -> None:
    """Print a queue staffing summary: the required agents, and one fewer for comparison."""
    from rich.table import Table  # noqa: PLC0415 (lazy: rich is slow to import)

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


def print_pooling_summary(summary: dict[str, Any], out: Console) -> None:
    """Print agents and FTE per force group, and what one pooled room saves."""
    from rich.table import Table  # noqa: PLC0415 (lazy: rich is slow to import)

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


def print_today_summary(summary: dict[str, Any], out: Console) -> None:
    """Print today's modelled FTE per force and function against the published staff."""
    from rich.table import Table  # noqa: PLC0415 (lazy: rich is slow to import)

    functions = summary["functions"]
    table = Table(title=f"{summary['instance']}: today's modelled establishment (FTE)")
    table.add_column("force")
    for fn in functions:
        mark = "" if fn["in_scope"] else " (stays)"
        table.add_column(f"{fn['label']}{mark}", justify="right")
    for col in ("modelled", "published", "gap"):
        table.add_column(col, justify="right")
    for force in summary["forces"]:
        table.add_row(
            force["force"],
            *(f"{force['fte'].get(fn['name'], 0.0):,.1f}" for fn in functions),
            f"{force['total_fte']:,.1f}",
            *_published_cells(force["published"]),
        )
    published = summary["published_total"]
    table.add_row(
        "[bold]total[/bold]",
        *(f"{summary['totals_fte'][fn['name']]:,.1f}" for fn in functions),
        f"[bold]{summary['total_fte']:,.1f}[/bold]",
        *(_published_cells(published) if published else ("-", "-")),
    )
    out.print(table)
    out.print(f"Cost of today's establishment: £{summary['total_cost_gbp']:,.0f} a year.")
    if published:
        out.print(
            f"Modelled {summary['total_fte']:,.1f} FTE against the published "
            f"{published['value']:,.0f}: gap {published['gap_fte']:+,.1f} FTE "
            f"({published['gap_share']:+.1%}). Published total {published['provenance']}"
        )
    for force in summary["forces"]:
        if not force["published"]["is_source"]:
            out.print(
                f"* {force['force']}: the 'published' figure is an "
                f"{force['published']['provenance']}"
            )
    stays = [fn["label"] for fn in functions if not fn["in_scope"]]
    if stays:
        out.print(f"Not in scope (stay with the forces as today): {', '.join(stays)}.")


def _published_cells(published: dict[str, Any]) -> tuple[str, str]:
    star = "" if published["is_source"] else "*"
    gap = published["gap_share"]
    share = f" ({gap:+.0%})" if gap is not None else ""
    return f"{published['value']:,.0f}{star}", f"{published['gap_fte']:+,.1f}{share}"


def print_simulation_summary(summary: dict[str, Any], out: Console) -> None:
    """Print simulated service levels per stream (and per failure window)."""
    from rich.table import Table  # noqa: PLC0415 (lazy: rich is slow to import)

    conf, peaks = _simulation_terms(summary)
    out.print(f"Simulated week at {', '.join(summary['sites'])} (peak agents: {peaks}); {conf}.")
    table = _stream_table(
        "Whole week", ("stream", "target", "service level", "ASA (s)", "abandoned", "calls")
    )
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


def print_plan_simulation(summary: dict[str, Any], out: Console) -> None:
    """Print a saved plan simulated: normal running per stream, then each room failing."""
    conf, peaks = _simulation_terms(summary)
    out.print(f"The plan's rooms simulated, their agents exactly (peak: {peaks}); {conf}.")
    table = _stream_table(
        "Normal running, whole week",
        ("stream", "target", "service level", "meets target", "ASA (s)", "abandoned"),
    )
    for row in summary["week"]:
        cells = _simulated_row(row)
        table.add_row(*cells[:3], "yes" if row["meets_target"] else "[red]no[/red]", *cells[3:5])
    out.print(table)
    for failure in summary["failures"]:
        title = f"{failure['site']} out for {failure['hours']:g} h from {failure['start']}"
        table = _stream_table(
            title,
            ("calls arriving", "stream", "target", "service level", "ASA (s)", "abandoned"),
        )
        for key, label in (
            ("during_without_failure", "same hours, no failure"),
            ("during", "during the failure"),
            ("after_without_failure", "next hours, no failure"),
            ("after", f"after ({failure['recovery_hours']:g} h)"),
        ):
            for row in failure[key]:
                table.add_row(label, *_simulated_row(row)[:5])
        out.print(table)
        out.print(
            f"  answered by: {failure['answered_by']}\n  decamp: {failure['decamp']}\n"
            f"  agents answering (mean over the failure): {failure['agents_normal']:g} normally, "
            f"{failure['agents_down']:g} before the decamp, {failure['agents_decamped']:g} after"
        )


def _simulation_terms(summary: dict[str, Any]) -> tuple[str, str]:
    """The confidence level and replications, and the peak agents per room, in words."""
    conf = f"{summary['confidence']:.0%} CI over {summary['replications']} replications"
    peaks = ", ".join(f"{k} {v}" for k, v in summary["peak_agents_by_site"].items())
    return conf, peaks


def _stream_table(title: str, columns: tuple[str, ...]) -> Table:
    """An empty rich table of simulated rows: words left, numbers right."""
    from rich.table import Table  # noqa: PLC0415 (lazy: rich is slow to import)

    table = Table(title=title)
    for col in columns:
        words = col in {"calls arriving", "window", "stream", "target"}
        table.add_column(col, justify="left" if words else "right")
    return table


def _simulated_row(row: dict[str, Any]) -> list[str]:
    target = row["target"]
    if row["service_level"] is None:  # no call arrived in the window
        return [
            row["stream"],
            f"{target['share']:.0%} in {target['within_s']:g} s",
            "–",
            "–",
            "–",
            "0",
        ]
    return [
        row["stream"],
        f"{target['share']:.0%} in {target['within_s']:g} s",
        f"{row['service_level']:.1%} ± {row['service_level_ci']:.1%}",
        f"{row['asa_s']:.1f}",
        f"{row['abandon_share']:.1%}",
        f"{row['calls']:,.0f}",
    ]


def _forces_served(forces: tuple[str, ...], solution: Solution) -> str:
    """The forces a room serves, short: "all 43 (pooled)", or the first few of a long list."""
    if solution.routing == "pooled" and len(solution.sites) > 1:
        return f"all {len(forces)} (pooled)"
    if len(forces) > _FORCES_LISTED:
        return f"{len(forces)}: {', '.join(forces[:_FORCES_LISTED])} …"
    return ", ".join(forces)


#: Forces named in a room's row of the console before the list is cut short.
_FORCES_LISTED = 4


def print_result(result: Result, out: Console) -> None:
    """Print a solved instance: sites, costs against today, constraints, staff, alternatives."""
    from rich.table import Table  # noqa: PLC0415 (lazy: rich is slow to import)

    out.print(f"[bold]{result.instance_name}[/bold]: {result.status} ({_solver_line(result)})")
    solution = result.solution
    if solution is None:
        _print_no_solution(result, out)
        return
    sites = Table(title=f"Chosen sites ({solution.routing} routing)")
    fte = "call-handling FTE"  # the other functions' posts are in the staff line below
    for col in ("site", "name", "area", fte, "peak agents", "seats (today)", "forces served"):
        sites.add_column(col, justify="right" if col in {fte, "peak agents"} else "left")
    for s in solution.sites:
        sites.add_row(
            s.id, s.name, s.force_area, f"{s.fte:,.1f}", str(s.peak_agents),
            f"{s.seats} ({s.existing_seats})", _forces_served(s.forces_served, solution),
        )  # fmt: skip
    out.print(sites)
    costs = Table(title="Cost a year (one-offs annualised, Green Book)", min_width=48)
    for col in ("component", "proposal £", "today £"):
        costs.add_column(col, justify="left" if col == "component" else "right")
    for key, value in solution.costs.items():
        costs.add_row(key, f"{value:,.0f}", f"{result.baseline_costs.get(key, 0):,.0f}")
    costs.add_row(
        "[bold]total[/bold]", f"{solution.objective_gbp:,.0f}", f"{result.baseline_gbp:,.0f}"
    )
    out.print(costs)
    payback = f"{solution.payback_years:.2f} years" if solution.payback_years else "never"
    out.print(
        f"Saving against today: [bold]£{solution.saving_gbp:,.0f} a year[/bold] (one-offs "
        f"annualised). One-off investment £{solution.one_off_gbp:,.0f}, paid back in "
        f"{payback} by the recurring saving (staff, other functions, running, standby) of "
        f"£{solution.recurring_saving_gbp:,.0f} a year."
    )
    _print_constraints(solution, out)
    impact = solution.staff_impact
    out.print(
        f"Staff (modelled): {impact.staff_today_fte:,.1f} FTE today → {impact.posts_fte:,.1f} "
        f"posts; {impact.retained_share:.0%} expected to move with the job; "
        f"{impact.redundancies_fte:,.1f} FTE redundant, {impact.recruits_fte:,.1f} to recruit; "
        f"extra commute median {impact.median_extra_minutes} min, "
        f"90th percentile {impact.p90_extra_minutes} min."
    )
    if impact.transition_one_off_basis == "upper_bound":
        lower = impact.transition_one_off_lower_gbp
        out.print(
            f"[yellow]Transition one-off £{impact.transition_one_off_gbp:,.0f} is an upper "
            "bound:[/yellow] today's staff were matched to the posts greedily, not proven optimal"
            + (f" (the optimum is at least £{lower:,.0f})." if lower is not None else ".")
        )
    if result.status is Status.FEASIBLE and result.gap is not None:
        out.print(
            f"[yellow]Not proven optimal:[/yellow] the time limit stopped the search; this plan "
            f"costs at most {result.gap:.2%} more than the optimum (best bound "
            f"£{result.best_bound_gbp or 0:,.0f} a year). Raise --time-limit for a proof."
        )
    _print_alternatives(result, out)
    _print_cost_surface(result, out)
    _print_size_curve(result, out)
    out.print(f"[dim]Travel times: {result.travel_times}[/dim]")


def _print_size_curve(result: Result, out: Console) -> None:
    """Cost against number of rooms, with each size's proven bound and gap (national route)."""
    from rich.table import Table  # noqa: PLC0415 (lazy: rich is slow to import)

    from siteopt.optimise.arrays import MONEY_UNITS_PER_GBP  # noqa: PLC0415 (lazy: keeps the console light to import)

    sizes = result.statistics.sizes
    if not any(s.cost is not None for s in sizes):
        return
    table = Table(title="Cost against number of rooms (best plan found, proven bound)")
    for col in ("rooms", "cost £ a year", "bound £ a year", "gap", "settled by"):
        table.add_column(col, justify="left" if col == "settled by" else "right")
    for s in sizes:
        cost = f"{s.cost / MONEY_UNITS_PER_GBP:,.0f}" if s.cost is not None else "none found"
        bound = f"{s.bound / MONEY_UNITS_PER_GBP:,.0f}" if s.bound is not None else "-"
        if s.bound is None and s.proved:
            gap, cost = "-", "no plan meets the constraints"
        elif s.cost is not None and s.bound is not None:
            gap = f"{max(0, s.cost - s.bound) / s.cost:.2%}"
        else:
            gap = "-"
        table.add_row(str(s.k), cost, bound, gap, s.settled_by)
    out.print(table)


def print_written(written: Mapping[str, Sequence[Path]], out_dir: Path, out: Console) -> None:
    """Print what an output folder received: one line per format, its files by name."""
    total = sum(len(paths) for paths in written.values())
    out.print(f"Wrote {total} file{'' if total == 1 else 's'} to {out_dir}:")
    for fmt, paths in written.items():
        names = [p.relative_to(out_dir).as_posix() for p in paths]
        folders = {n.split("/")[0] for n in names if "/" in n}
        if folders:
            stems = sorted({Path(n).stem for n in names})
            kinds = sorted({Path(n).suffix.lstrip(".") for n in names})
            shown = (
                f"{', '.join(sorted(folders))}/ ({len(names)} files: {', '.join(stems)}"
                f" as {', '.join(kinds)})"
            )
        else:
            shown = ", ".join(names)
        out.print(f"  {fmt:<8} {shown}", highlight=False)


def _print_cost_surface(result: Result, out: Console) -> None:
    """The single-site cost surface in two lines: the best building and the best new build."""
    surface = result.cost_surface
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


def _solver_line(result: Result) -> str:
    statistics = result.statistics
    note = status_note(result.status, result.gap)
    return f"{statistics.name}, {statistics.wall_s:.2f} s, {note}"


def _print_constraints(solution: Solution, out: Console) -> None:
    from rich.table import Table  # noqa: PLC0415 (lazy: rich is slow to import)

    table = Table(title="Constraints")
    for col in ("name", "value", "limit", "holds", "what"):
        table.add_column(col, justify="right" if col in {"value", "limit"} else "left")
    for c in solution.constraints:
        table.add_row(
            c.name, _number(c.value), _number(c.limit),
            "[green]yes[/green]" if c.holds else "[red]no[/red]", c.detail,
        )  # fmt: skip
    out.print(table)


def _print_alternatives(result: Result, out: Console) -> None:
    from rich.table import Table  # noqa: PLC0415 (lazy: rich is slow to import)

    if not result.alternatives or result.solution is None:
        return
    table = Table(title="Next best options")
    for col in ("sites", "routing", "£ a year", "more than chosen", "fails"):
        table.add_column(col, justify="right" if "£" in col or "more" in col else "left")
    best = result.solution.objective_gbp
    for alt in result.alternatives:
        table.add_row(
            " + ".join(alt.sites), alt.routing, f"{alt.total_gbp:,.0f}",
            f"{alt.total_gbp - best:+,.0f}", ", ".join(alt.failed) or "-",
        )  # fmt: skip
    out.print(table)


def _print_no_solution(result: Result, out: Console) -> None:
    if result.status is Status.UNKNOWN:
        out.print(
            "[red]No option found before the time limit[/red], and none proven impossible: "
            "raise --time-limit."
        )
        return
    out.print("[red]No option meets every constraint.[/red]")
    explanation = result.infeasibility
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


def _plain_number(value: float) -> str:
    """Thousands separated, no exponent (7.52416e+07 → 75,241,600)."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.4g}"


def _objective_unit(result: LocateResult) -> str:
    """The unit of a location model's objective, from the model and the demand weights."""
    units = {
        "pmedian": f"({result.weight_label} × minutes)",
        "pcenter": "min",
        "lscp": "sites",
        "mclp": f"({result.weight_label})",
        "pdispersion": "min",
    }
    return units.get(result.model, "")


def print_locate(result: LocateResult, console: Console) -> None:
    """Print a location result: status, objective, chosen sites with their demand."""
    from rich.table import Table  # noqa: PLC0415 (lazy: rich is slow to import)

    colour = {Status.OPTIMAL: "green", Status.FEASIBLE: "yellow"}.get(result.status, "red")
    what = f"p = {result.p}" if result.p is not None else ""
    if result.within_min is not None:
        what += f"{', ' if what else ''}within {result.within_min:g} min"
    console.print(
        f"[bold]{result.model}[/bold] ({what}): [{colour}]{result.status}[/{colour}] by "
        f"{result.method} in {result.solve_seconds:.3f} s; {result.n_demand} demand points × "
        f"{result.n_candidates} candidates ({result.weight_label})"
    )
    if not result.sites:
        if result.status is Status.INFEASIBLE:
            console.print("no choice of sites satisfies the model")
        else:
            console.print(f"{status_note(result.status, None)} before the time limit")
        return
    assert result.objective is not None
    console.print(
        f"objective: {_plain_number(result.objective)} {_objective_unit(result)} — "
        f"{result.objective_label}"
    )
    if result.status is Status.FEASIBLE:
        side = "at most" if result.model in ("mclp", "pdispersion") else "at least"
        bound = f"{result.bound:,.6g}" if result.bound is not None else "unknown"
        console.print(
            f"[yellow]{status_note(result.status, result.gap)}[/yellow]: the optimum is "
            f"{side} {bound}"
        )
    summary = result.summary()

    def minutes(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f} min"

    line = (
        f"weighted mean time {minutes(summary['weighted_mean_min'])}, "
        f"worst {minutes(summary['max_min'])}"
    )
    if summary["unreachable_weight"] > 0:
        line += f", unreachable weight {summary['unreachable_weight']:,.6g}"
    if "covered_share" in summary:
        line += f", {summary['covered_share']:.1%} of weight within {result.within_min:g} min"
    console.print(line)
    table = Table("site", "demand points", "weight", "share", "worst min")
    for row in result.per_site():
        worst = row["max_min"]
        table.add_row(
            row["id"],
            str(row["demand_points"]),
            f"{row['weight']:,.0f}",
            f"{row['weight_share']:.1%}",
            f"{worst:.1f}" if worst is not None else "-",
        )
    console.print(table)
    console.print(f"[dim]{result.source}[/dim]")


def print_comparison(compared: Comparison, out: Console) -> None:
    """Print two runs side by side, one table per section, changes marked."""
    from rich.table import Table  # noqa: PLC0415 (lazy: rich is slow to import)

    from siteopt.outputs.compare import shown_cells  # noqa: PLC0415 (lazy: only for compare)

    section, table = None, None
    for row in compared.rows:
        if row.section != section:
            if table is not None:
                out.print(table)
            section = row.section
            table = Table(title=section)
            table.add_column("item")
            for name in (compared.name_a, compared.name_b, "change"):
                table.add_column(name, justify="right")
        assert table is not None
        a, b, delta = shown_cells(row)
        table.add_row(row.item, a, b, f"[bold]{delta}[/bold]" if delta else "")
    if table is not None:
        out.print(table)

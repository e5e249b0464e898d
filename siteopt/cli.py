"""The ``siteopt`` command line: a thin shell over the public API (:mod:`siteopt`).

Each command parses its flags, calls the API and prints through :mod:`siteopt.console`; no
model logic lives here. Library errors name parameters (``formats``, ``time_limit``); they are
shown with the flag's name (``--format``, ``--time-limit``).

Exit codes: 0 success (also a solution found but not proven optimal: ``FEASIBLE``), 1 a solver
failure (a bug: the solver refused its model), 2 bad input (one line naming the file, field and
what was expected), 3 proven infeasible, 4 nothing found within the time limit (``UNKNOWN``).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import warnings
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated, Any

import typer

import siteopt
from siteopt.errors import ArgumentError, InstanceError, SiteoptError, SolverError
from siteopt.status import Status

if TYPE_CHECKING:
    from rich.console import Console

app = typer.Typer(
    name="siteopt",
    help="Where should shared police control rooms be? Sites, staff and cost on a road network.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version  # noqa: PLC0415 (lazy: only for --version)

        sys.stdout.write(f"siteopt {version('siteopt')}\n")
        raise typer.Exit


@app.callback()
def _main(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    """Where should shared police control rooms be? Sites, staff and cost on a road network."""


EXIT_SOLVER_ERROR = 1
EXIT_BAD_INPUT = 2
EXIT_INFEASIBLE = 3
EXIT_UNKNOWN = 4
EXIT_INTERRUPTED = 130

#: Exit code of a run by its status (``OPTIMAL`` and ``FEASIBLE``: 0).
STATUS_EXIT = MappingProxyType({Status.INFEASIBLE: EXIT_INFEASIBLE, Status.UNKNOWN: EXIT_UNKNOWN})

#: The flag of each library parameter that an :class:`ArgumentError` may name.
FLAGS = MappingProxyType(
    {
        "formats": "--format",
        "time_limit": "--time-limit",
        "method": "--method",
        "out": "--out",
        "instance": "--instance",
        "seed": "--seed",
        "port": "--port",
        "instances": "--instances",
    }
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object instead.")]
DatasetOption = Annotated[
    str, typer.Option("--dataset", help="Embedded dataset name or dataset folder.")
]


def console(*, stderr: bool = False) -> Console:
    """Return the rich console used for reports (stdout, or stderr beside a JSON document).

    Piped or redirected output is 120 columns wide (rich would cut site names at 80); a
    ``COLUMNS`` setting still wins.
    """
    from rich.console import Console  # noqa: PLC0415 (lazy: rich is slow to import)

    stream = sys.stderr if stderr else sys.stdout
    wide = None if stream.isatty() or "COLUMNS" in os.environ else 120
    return Console(highlight=False, width=wide, stderr=stderr)


def print_json(payload: Any) -> None:
    """Print a JSON document to stdout."""
    sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Instance files to check.")],
) -> None:
    """Check instance files: schema, sources, references, data files. Exit 2 on the first error."""
    out = console()
    for file in files:
        instance = siteopt.load_instance(file)
        candidates = instance.candidate_ids()
        out.print(
            f"[green]ok[/green] {file}: {instance.name!r}, {len(instance.forces)} forces, "
            f"{len(candidates)} candidate sites, "
            f"k = {instance.solver.k_min}..{instance.solver.k_max}, "
            f"{sum(1 for _ in instance.figures())} figures with source or assumption"
        )


@app.command()
def data(dataset: DatasetOption = "bch", as_json: JsonOption = False) -> None:
    """Summarise the embedded dataset: LSOAs, population per force, sites, sources."""
    from siteopt.console import print_dataset_summary  # noqa: PLC0415 (lazy: one command's imports)
    from siteopt.data import open_dataset  # noqa: PLC0415 (lazy: one command's imports)
    from siteopt.outputs.summaries import dataset_summary  # noqa: PLC0415 (lazy: one command's imports)

    summary = dataset_summary(open_dataset(dataset, base=Path.cwd()))
    if as_json:
        print_json(summary)
    else:
        print_dataset_summary(summary, console())


@app.command()
def sites(
    instance_file: Annotated[
        Path | None, typer.Option("--instance", help="List this instance's candidates.")
    ] = None,
    dataset: DatasetOption = "bch",
    as_json: JsonOption = False,
) -> None:
    """List candidate sites (all dataset sites, or one instance's candidates)."""
    from siteopt.console import print_sites  # noqa: PLC0415 (lazy: one command's imports)
    from siteopt.data import open_dataset  # noqa: PLC0415 (lazy: one command's imports)
    from siteopt.outputs.summaries import site_rows  # noqa: PLC0415 (lazy: one command's imports)

    if instance_file is not None:
        instance = siteopt.load_instance(instance_file)
        rows = site_rows(instance.dataset(), instance)
    else:
        rows = site_rows(open_dataset(dataset, base=Path.cwd()), None)
    if as_json:
        print_json(rows)
    else:
        print_sites(rows, console())


@app.command()
def solve(
    instance_file: Annotated[Path, typer.Argument(help="Instance file (TOML).")],
    method: Annotated[
        str | None,
        typer.Option(
            help="auto (enumeration for one or two sites, CP-SAT beyond), cp-sat (also "
            "cross-checks the enumeration) or enumerate (default: the instance's)."
        ),
    ] = None,
    time_limit: Annotated[
        float | None, typer.Option(help="Solver time limit, seconds (default: the instance's).")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Folder to write the outputs into (atomically): see --format."),
    ] = None,
    formats: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="With --out: comma list of json,md,html,pdf,maps,gpkg,geojson,xlsx,webmap,"
            "resilience (default: all).",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Solve an instance: which sites, how many staff, what it costs and saves against today."""
    from siteopt.console import print_result, print_written  # noqa: PLC0415 (lazy: one command's imports)

    if formats is not None and out is None:
        raise ArgumentError("formats", "expected --out DIR to write the formats to")
    instance = siteopt.load_instance(instance_file)
    chosen = None
    if out is not None:  # a bad --format or --out fails before the solve, not after
        from siteopt.outputs.write import check_out_folder, parse_formats  # noqa: PLC0415 (lazy: only with --out)

        chosen = parse_formats(formats)
        check_out_folder(out)
    written = None
    with console(stderr=True).status("solving") as status:  # shown only on a terminal
        result = siteopt.solve(instance, method=method, time_limit=time_limit)
        if out is not None:
            from siteopt.optimise.decision import with_decision_analysis  # noqa: PLC0415 (lazy: only with --out)

            status.update("switching values and robustness to drive-time error (re-pricing)")
            result = with_decision_analysis(result)
            status.update(f"writing the outputs into {out}")
            written = siteopt.write_outputs(result, out, formats=chosen)
    if as_json:
        print_json(result.to_dict(relative_to=out))
    else:
        print_result(result, console())
    if out is not None and written is not None:
        print_written(written, out, console(stderr=as_json))
    if result.status in STATUS_EXIT:
        raise typer.Exit(STATUS_EXIT[result.status])


@app.command()
def export(
    solution_file: Annotated[Path, typer.Argument(help="solution.json written by --out.")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write the outputs into.")],
    formats: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="Comma list of json,md,html,pdf,maps,gpkg,geojson,xlsx,webmap,resilience "
            "(default: all).",
        ),
    ] = None,
    instance_file: Annotated[
        Path | None,
        typer.Option("--instance", help="Instance file (default: the one the JSON names)."),
    ] = None,
) -> None:
    """Rebuild the report, maps, GIS layers, workbook and offline map of a saved solution."""
    from siteopt.console import print_written  # noqa: PLC0415 (lazy: one command's imports)
    from siteopt.outputs.write import check_out_folder, parse_formats  # noqa: PLC0415 (lazy: one command's imports)

    chosen = parse_formats(formats)
    check_out_folder(out)
    instance = siteopt.load_instance(instance_file) if instance_file is not None else None
    result = siteopt.read_result(solution_file, instance=instance)
    written = siteopt.write_outputs(result, out, formats=chosen)
    print_written(written, out, console())


@app.command()
def staffing(
    calls_per_hour: Annotated[float, typer.Option(help="Arrival rate (calls per hour).")],
    aht: Annotated[float, typer.Option(help="Average handling time, talk + wrap (seconds).")],
    target: Annotated[float, typer.Option(help="Share to answer in time, e.g. 0.9.")] = 0.9,
    within: Annotated[float, typer.Option(help="Answer-time threshold (seconds).")] = 10.0,
    patience: Annotated[
        float | None, typer.Option(help="Mean caller patience (seconds): Erlang A.")
    ] = None,
    max_occupancy: Annotated[
        float | None, typer.Option(help="Cap on agent occupancy, e.g. 0.85.")
    ] = None,
    redial_share: Annotated[
        float | None,
        typer.Option(help="Share of abandoning callers who redial: Erlang X (needs --patience)."),
    ] = None,
    redial_delay: Annotated[
        float, typer.Option(help="Mean time from abandoning to redialling (seconds).")
    ] = 600.0,
    as_json: JsonOption = False,
) -> None:
    """Agents one queue needs for a service target (Erlang C; A with --patience; X with redials)."""
    from siteopt.console import print_queue_summary  # noqa: PLC0415 (lazy: one command's imports)
    from siteopt.outputs.summaries import queue_summary  # noqa: PLC0415 (lazy: one command's imports)

    summary = queue_summary(
        calls_per_hour=calls_per_hour,
        aht_s=aht,
        share=target,
        within_s=within,
        patience_s=patience,
        max_occupancy=max_occupancy,
        redials=(redial_share, redial_delay) if redial_share is not None else None,
    )
    if as_json:
        print_json(summary)
    else:
        print_queue_summary(summary, console())


@app.command()
def pooling(
    instance_file: Annotated[Path, typer.Argument(help="Instance file (TOML).")],
    as_json: JsonOption = False,
) -> None:
    """Agents and FTE for every group of forces sharing one room: what pooling saves."""
    from siteopt.console import print_pooling_summary  # noqa: PLC0415 (lazy: one command's imports)
    from siteopt.outputs.summaries import pooling_summary  # noqa: PLC0415 (lazy: one command's imports)

    summary = pooling_summary(siteopt.load_instance(instance_file))
    if as_json:
        print_json(summary)
    else:
        print_pooling_summary(summary, console())


@app.command()
def today(
    instance_file: Annotated[Path, typer.Argument(help="Instance file (TOML).")],
    as_json: JsonOption = False,
) -> None:
    """Today's modelled staff per force and function, next to the published figures."""
    from siteopt.console import print_today_summary  # noqa: PLC0415 (lazy: one command's imports)
    from siteopt.outputs.summaries import today_summary  # noqa: PLC0415 (lazy: one command's imports)

    summary = today_summary(siteopt.load_instance(instance_file))
    if as_json:
        print_json(summary)
    else:
        print_today_summary(summary, console())


SolutionOption = Annotated[
    Path | None,
    typer.Option(
        "--solution",
        help="solution.json written by `solve --out`: use exactly its rooms and agents.",
    ),
]


@app.command()
def simulate(
    instance_file: Annotated[
        Path | None,
        typer.Argument(help="Instance file (TOML); with --solution: default the one it names."),
    ] = None,
    sites: Annotated[
        str | None, typer.Option(help="Comma-separated site ids sharing the calls.")
    ] = None,
    solution_file: SolutionOption = None,
    fail: Annotated[
        str | None,
        typer.Option(help="Site id to take out of service (with --solution: default each room)."),
    ] = None,
    hours: Annotated[
        float, typer.Option("--fail-hours", "--hours", help="How long a failed room is out (h).")
    ] = 4.0,
    start_hour: Annotated[
        float | None,
        typer.Option(help="Failure start, hours from Monday 00:00 (default: busiest hour)."),
    ] = None,
    replications: Annotated[int, typer.Option(min=2, help="Independent replications.")] = 10,
    seed: Annotated[int, typer.Option(help="Seed of the first replication.")] = 0,
    as_json: JsonOption = False,
) -> None:
    """Simulate a week of calls: a saved plan (--solution) failing each room in turn, or sites."""
    from siteopt.console import print_plan_simulation, print_simulation_summary  # noqa: PLC0415 (lazy: one command's imports)
    from siteopt.outputs.summaries import simulation_summary  # noqa: PLC0415 (lazy: one command's imports)

    if seed < 0:  # numpy's generators take none
        raise ArgumentError("seed", f"expected a seed >= 0, got {seed}")
    if solution_file is not None:
        from siteopt.outputs.resilience import plan_simulation, resilience_summary  # noqa: PLC0415 (lazy: pulls in scipy)

        if sites is not None:
            raise ArgumentError("--sites", "expected either --sites or --solution, not both")
        result = _read_plan(solution_file, instance_file)
        assert result.instance is not None and result.solution is not None
        plan = resilience_summary(
            plan_simulation(
                result.instance,
                result.solution,
                fail_hours=hours,
                failure_start_h=start_hour,
                fail_sites=[fail] if fail is not None else None,
                replications=replications,
                seed=seed,
            )
        )
        if as_json:
            print_json(plan)
        else:
            print_plan_simulation(plan, console())
        return
    from siteopt.queueing.simulate import simulate_instance  # noqa: PLC0415 (lazy: pulls in scipy)

    if instance_file is None or sites is None:
        raise ArgumentError("--sites", "expected an instance file and --sites, or --solution")
    sim = simulate_instance(
        siteopt.load_instance(instance_file),
        [s.strip() for s in sites.split(",") if s.strip()],
        fail=fail,
        failure_hours=hours,
        failure_start_h=start_hour,
        replications=replications,
        seed=seed,
    )
    summary = simulation_summary(sim)
    if as_json:
        print_json(summary)
    else:
        print_simulation_summary(summary, console())


def _read_plan(solution_file: Path, instance_file: Path | None) -> siteopt.Result:
    """Read a solution.json with its instance; refuse one without a plan (exit 2)."""
    instance = siteopt.load_instance(instance_file) if instance_file is not None else None
    result = siteopt.read_result(solution_file, instance=instance)
    if result.solution is None:
        msg = f"{solution_file}: expected a plan, but its status is {result.status}"
        raise ArgumentError("--solution", msg)
    return result


@app.command()
def roster(
    instance_file: Annotated[
        Path | None,
        typer.Argument(help="Instance file (TOML); with --solution: default the one it names."),
    ] = None,
    site: Annotated[
        str | None,
        typer.Option("--site", help="Site id of the room (with --solution: default every room)."),
    ] = None,
    solution_file: SolutionOption = None,
    forces: Annotated[
        str | None,
        typer.Option(help="Comma-separated forces it answers (default: its own, else all)."),
    ] = None,
    time_limit: Annotated[
        float | None, typer.Option(help="CP-SAT limit, seconds (default: the instance's).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Folder to write roster-SITE.png into (atomically).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Weekly shift roster of a room (or of every room of a saved plan): cover, rota, FTE."""
    from siteopt.console import print_roster  # noqa: PLC0415 (lazy: one command's imports)
    from siteopt.queueing.site_roster import (  # noqa: PLC0415 (lazy: one command's imports)
        plan_rosters,
        roster_summary,
        site_roster,
        write_coverage_png,
    )

    if solution_file is not None:
        from siteopt.outputs.resilience import plan_rooms  # noqa: PLC0415 (lazy: pulls in scipy)

        if forces is not None:
            raise ArgumentError("--forces", "the plan says which forces each room answers")
        result = _read_plan(solution_file, instance_file)
        assert result.instance is not None and result.solution is not None
        rosters = plan_rosters(
            result.instance,
            plan_rooms(result.solution),
            sites=[site] if site is not None else None,
            time_limit_s=time_limit,
        )
    else:
        if instance_file is None or site is None:
            raise ArgumentError("--site", "expected an instance file and --site, or --solution")
        chosen = [f.strip() for f in forces.split(",") if f.strip()] if forces else None
        instance = siteopt.load_instance(instance_file)
        rosters = [site_roster(instance, site, forces=chosen, time_limit_s=time_limit)]
    summaries = []
    for one in rosters:
        summary = roster_summary(one)
        if out is not None:
            summary["png"] = str(write_coverage_png(one, out / f"roster-{one.site}.png"))
        summaries.append(summary)
    if as_json:
        print_json(summaries[0] if solution_file is None else {"rooms": summaries})
        return
    for summary in summaries:
        print_roster(summary, console())
        if out is not None:
            console().print(f"wrote {summary['png']}")


CacheDirOption = Annotated[
    Path | None,
    typer.Option(
        "--cache-dir", help="Travel-time cache folder (default $SITEOPT_CACHE or ~/.cache/siteopt)."
    ),
]


@app.command()
def matrix(
    instance_file: Annotated[Path, typer.Argument(help="Instance file (TOML).")],
    out: Annotated[Path, typer.Option("--out", help="CSV of minutes: LSOAs × candidate sites.")],
    weights: Annotated[
        Path | None, typer.Option("--weights", help="Also write LSOA populations to this CSV.")
    ] = None,
    cache_dir: CacheDirOption = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Recompute; do not cache.")] = False,
) -> None:
    """Drive times (minutes) from every LSOA demand point to every candidate site."""
    from siteopt.network.travel import write_matrix_csv, write_weights_csv  # noqa: PLC0415 (lazy: one command's imports)

    instance = siteopt.load_instance(instance_file)
    times = siteopt.travel_times(instance, cache=not no_cache, cache_dir=cache_dir)
    write_matrix_csv(times, out)
    if weights is not None:
        write_weights_csv(instance, weights)
    shape = times.seconds.shape
    sys.stdout.write(
        f"wrote {out}: {shape[0]} LSOAs × {shape[1]} sites, minutes"
        f"{' (from cache)' if times.from_cache else ''}\n{times.provenance}\n"
    )
    if times.unreachable:
        sys.stderr.write(f"siteopt: {len(times.unreachable)} pairs have no route (unreachable)\n")


@app.command(context_settings={"ignore_unknown_options": True})  # "-0.5,52.1" is a place
def route(
    instance_file: Annotated[Path, typer.Argument(help="Instance file (TOML).")],
    origin: Annotated[str, typer.Argument(help="Site id, LSOA code, postcode or 'lon,lat'.")],
    destination: Annotated[str, typer.Argument(help="Site id, LSOA code, postcode or 'lon,lat'.")],
    as_json: JsonOption = False,
) -> None:
    """Fastest drive between two places: time, distance and roads used."""
    from siteopt.network.points import place  # noqa: PLC0415 (lazy: one command's imports)
    from siteopt.network.route import route as fastest_route  # noqa: PLC0415 (lazy: one command's imports)
    from siteopt.network.route import route_summary  # noqa: PLC0415 (lazy: one command's imports)
    from siteopt.network.sources import load_network  # noqa: PLC0415 (lazy: one command's imports)

    instance = siteopt.load_instance(instance_file)
    a, b = place(instance, origin), place(instance, destination)
    found = fastest_route(load_network(instance), a[1:], b[1:], labels=(a[0], b[0]))
    summary = route_summary(found, a[0], b[0])
    if as_json:
        print_json(summary)
        return
    sys.stdout.write(
        f"{a[0]} → {b[0]}: {summary['minutes']:.0f} min, {summary['km']:.1f} km "
        f"(straight line {summary['straight_km']:.1f} km)\n"
        f"roads: {' · '.join(summary['roads']) or 'local roads only'}\n"
        f"{summary['provenance']}\n"
    )


@app.command()
def sweep(
    sweep_file: Annotated[Path, typer.Argument(help="Sweep file (instances/sweeps/*.toml).")],
    out: Annotated[Path, typer.Option(help="Results store folder (rerun to resume).")],
    scheduler: Annotated[
        str | None, typer.Option(help="Dask scheduler address, e.g. tcp://HOST:8786.")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Local worker processes (default: one per core).")
    ] = None,
    batch_size: Annotated[
        int | None, typer.Option(min=1, help="Scenarios per task (default: the file's).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
    restart: Annotated[
        bool,
        typer.Option(
            "--restart", help="Discard the results already in --out (of other inputs); run all."
        ),
    ] = False,
    max_scenarios: Annotated[
        int,
        typer.Option(min=1, help="The most scenarios the sweep may have (counted first)."),
    ] = 100_000,
) -> None:
    """Run every scenario of a sweep file (resumable), then write the summary report."""
    run = siteopt.run_sweep(
        sweep_file,
        out,
        scheduler=scheduler,
        workers=workers,
        batch_size=batch_size,
        progress=not quiet,
        restart=restart,
        max_scenarios=max_scenarios,
    )
    sys.stdout.write(
        f"{run.total} scenarios: {run.skipped} already stored, {run.ran} run "
        f"({run.failed} infeasible or failed), {run.lost} lost; {run.wall_s:.1f} s\n"
    )
    if run.report is not None:
        sys.stdout.write(f"summary: {run.report}\n")
    if run.lost:
        sys.stderr.write("siteopt: some batches were lost by the cluster; rerun to resume\n")
        raise typer.Exit(1)


@app.command()
def compare(
    base: Annotated[Path, typer.Argument(help="The base run's solution.json.")],
    other: Annotated[Path, typer.Argument(help="The what-if run's solution.json.")],
    out: Annotated[
        Path | None, typer.Option(help="Folder to write compare.md and compare.xlsx into.")
    ] = None,
) -> None:
    """Two runs side by side: rooms, costs by component, NPV, constraints and staff."""
    from siteopt.console import print_comparison  # noqa: PLC0415 (lazy: one command's imports)
    from siteopt.outputs.compare import comparison, write_comparison  # noqa: PLC0415 (lazy: only here)

    compared = comparison(
        siteopt.read_result(base, with_instance=False),
        siteopt.read_result(other, with_instance=False),
        name_a=_run_name(base),
        name_b=_run_name(other),
    )
    print_comparison(compared, console())
    if out is not None:
        written = write_comparison(compared, out)
        console(stderr=True).print(f"Wrote {', '.join(p.name for p in written)} to {out}")


def _run_name(path: Path) -> str:
    """A run's name for the comparison: its folder (``solution.json`` files all share a name)."""
    return path.parent.name or path.stem if path.name == "solution.json" else path.stem


@app.command("sweep-report")
def sweep_report(
    out: Annotated[Path, typer.Argument(help="Results store folder written by `siteopt sweep`.")],
) -> None:
    """Summarise a sweep's results: optimal options, costs, regret, what flips the decision."""
    from siteopt.sweep.report import write_report  # noqa: PLC0415 (lazy: one command's imports)

    written = write_report(out)
    sys.stdout.write(written.read_text(encoding="utf-8"))


@app.command()
def locate(
    source: Annotated[
        Path, typer.Argument(help="Instance file (TOML), or a cost matrix CSV (id,weight,sites…).")
    ],
    model: Annotated[str, typer.Option(help="pmedian, pcenter, lscp, mclp or pdispersion.")],
    p: Annotated[int | None, typer.Option("-p", "--p", help="Number of sites.")] = None,
    within: Annotated[
        float | None, typer.Option(help="Coverage threshold, minutes (lscp, mclp).")
    ] = None,
    method: Annotated[str, typer.Option(help="auto, enumerate or mip.")] = "auto",
    time_limit: Annotated[
        float | None,
        typer.Option(
            help="Seconds the search may take; then the best sites found so far are returned "
            "with their proven gap (status FEASIBLE)."
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Folder for locate.json and locate.geojson, and locate.gpkg (GIS layers) "
            "for an instance (atomic)."
        ),
    ] = None,
    cache_dir: CacheDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Classic location models, solved exactly: p-median, p-center, LSCP, MCLP, p-dispersion."""
    from siteopt.console import print_locate  # noqa: PLC0415 (lazy: one command's imports)
    from siteopt.location.matrix import LocateError, instance_cost_matrix, read_cost_matrix  # noqa: PLC0415 (lazy: one command's imports)
    from siteopt.location.outputs import write_locate_gpkg, write_locate_outputs  # noqa: PLC0415 (lazy: one command's imports)

    attribution = None
    if source.suffix.lower() == ".csv":
        matrix = read_cost_matrix(source)
    else:
        instance = siteopt.load_instance(source)
        matrix = instance_cost_matrix(instance, cache_dir=cache_dir)
        attribution = "; ".join(instance.dataset().attribution.values())
    try:
        result = siteopt.locate(
            matrix, model, p=p, within=within, method=method, time_limit=time_limit
        )
    except LocateError as exc:
        raise InstanceError(source, "command line", str(exc)) from None
    if out is not None:
        write_locate_outputs(result, matrix, out, attribution=attribution)
        if source.suffix.lower() != ".csv" and result.sites:
            write_locate_gpkg(result, instance, out)
    if as_json:
        print_json(result.to_dict())
    else:
        print_locate(result, console())
    if result.status in STATUS_EXIT:
        raise typer.Exit(STATUS_EXIT[result.status])


@app.command()
def serve(
    instances: Annotated[
        Path, typer.Option(help="Folder of instance files: the only files the page opens or saves.")
    ] = Path("instances"),
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8765,
    host: Annotated[
        str, typer.Option(help="Address to bind (default: this machine only).")
    ] = "127.0.0.1",
) -> None:
    """A local web page: change the assumptions, solve, see the answer move, save a variant."""
    from siteopt.serve import serve as serve_page  # noqa: PLC0415 (lazy: only here)

    try:
        serve_page(instances, host=host, port=port)
    except Interrupted:  # Ctrl-C is how a server is stopped: not an error
        sys.stderr.write("siteopt serve: stopped\n")


def _show_error(exc: SiteoptError) -> None:
    if isinstance(exc, ArgumentError):  # the library names a parameter; say the flag
        text = f"{FLAGS.get(exc.field, exc.field)}: {exc.message}"
    else:
        text = str(exc)
    sys.stderr.write(f"siteopt: error: {_one_line(text)}\n")


def _one_line(text: str) -> str:
    """``text`` with newlines and other unprintable characters escaped: one line, always."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class Interrupted(BaseException):
    """Ctrl-C during a command (click would turn a KeyboardInterrupt into "Aborted!", exit 1)."""


def _raise_interrupted(signum: int, frame: object) -> None:
    raise Interrupted


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; user errors print one line and return exit code 2 (no traceback).

    Exit codes: 0 a plan (or a command done), 2 bad input, 3 proved infeasible, 4 stopped before
    a plan or a proof, 1 a solver fault, 130 interrupted (``docs/errors.md``).
    """
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, _raise_interrupted) if in_main else None
    shown = warnings.showwarning
    warnings.showwarning = _show_warning
    try:
        return _run_app(argv)
    finally:
        warnings.showwarning = shown
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _show_warning(
    message: Warning | str, category: type[Warning], *args: object, **kw: object
) -> None:
    """A warning is one line, ``siteopt: warning: …`` (not Python's file:line report)."""
    sys.stderr.write(f"siteopt: warning: {_one_line(str(message))}\n")


def _run_app(argv: list[str] | None) -> int:
    try:
        app(args=argv, standalone_mode=True)
    except SolverError as exc:
        _show_error(exc)
        return EXIT_SOLVER_ERROR
    except SiteoptError as exc:
        _show_error(exc)
        return EXIT_BAD_INPUT
    except Interrupted:  # Ctrl-C: the writers have removed their temporary files
        sys.stderr.write("siteopt: error: interrupted; no output was left half-written\n")
        return EXIT_INTERRUPTED
    except SystemExit as exc:  # click's usage errors and --help end here with their own code
        return exc.code if isinstance(exc.code, int) else 0
    except typer.Exit as exc:  # pragma: no cover - standalone mode turns it into SystemExit
        return int(exc.exit_code)
    return 0


def entry_point() -> None:
    """Console-script entry point."""
    raise SystemExit(main())

"""The ``siteopt`` command line: a thin shell over the package's stages.

Exit codes: 0 success, 2 bad input (one line naming the file, field and what was expected),
3 infeasible problem (once the optimiser lands).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from siteopt.errors import SiteoptError

if TYPE_CHECKING:
    from rich.console import Console

app = typer.Typer(
    name="siteopt",
    help="Where should shared police control rooms be? Sites, staff and cost on a road network.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_BAD_INPUT = 2
EXIT_INFEASIBLE = 3

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object instead.")]
DatasetOption = Annotated[
    str, typer.Option("--dataset", help="Embedded dataset name or dataset folder.")
]


def console() -> Console:
    """Return the rich console used for reports (stdout)."""
    from rich.console import Console

    return Console(highlight=False)


def print_json(payload: Any) -> None:
    """Print a JSON document to stdout."""
    sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Instance files to check.")],
) -> None:
    """Check instance files: schema, sources, references, data files. Exit 2 on the first error."""
    from siteopt.instance import load_instance

    out = console()
    for file in files:
        instance = load_instance(file)
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
    from siteopt.data import open_dataset
    from siteopt.report import dataset_summary, print_dataset_summary

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
    from siteopt.data import open_dataset
    from siteopt.instance import load_instance
    from siteopt.report import print_sites, site_rows

    if instance_file is not None:
        instance = load_instance(instance_file)
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
        str | None, typer.Option(help="cp-sat or enumerate (default: the instance's).")
    ] = None,
    time_limit: Annotated[
        float | None, typer.Option(help="Solver time limit, seconds (default: the instance's).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Folder to write solution.json into (atomically).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Solve an instance: which sites, how many staff, what it costs and saves against today."""
    from siteopt.errors import InstanceError
    from siteopt.instance import load_instance
    from siteopt.report import print_solution
    from siteopt.solve import solve_instance

    instance = load_instance(instance_file)
    if method is not None and method not in ("cp-sat", "enumerate"):
        msg = f"expected cp-sat or enumerate, got {method!r}"
        raise InstanceError(instance_file, "--method", msg)
    chosen: Literal["cp-sat", "enumerate"] | None = None
    if method is not None:
        chosen = "enumerate" if method == "enumerate" else "cp-sat"
    solution, explanation = solve_instance(instance, method=chosen, time_limit_s=time_limit)
    from dataclasses import asdict

    extra = {"infeasibility": asdict(explanation)} if explanation is not None else {}
    if out is not None:
        solution.write_json(out / "solution.json", extra=extra)
    if as_json:
        print_json(solution.to_dict() | extra)
    else:
        print_solution(solution, explanation, console())
    if not solution.sites:
        raise typer.Exit(EXIT_INFEASIBLE)


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
    as_json: JsonOption = False,
) -> None:
    """Agents one queue needs for a service target (Erlang C, or Erlang A with --patience)."""
    from siteopt.report import print_queue_summary, queue_summary

    summary = queue_summary(
        calls_per_hour=calls_per_hour,
        aht_s=aht,
        share=target,
        within_s=within,
        patience_s=patience,
        max_occupancy=max_occupancy,
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
    from siteopt.instance import load_instance
    from siteopt.report import pooling_summary, print_pooling_summary

    summary = pooling_summary(load_instance(instance_file))
    if as_json:
        print_json(summary)
    else:
        print_pooling_summary(summary, console())


@app.command()
def simulate(
    instance_file: Annotated[Path, typer.Argument(help="Instance file (TOML).")],
    sites: Annotated[str, typer.Option(help="Comma-separated site ids sharing the calls.")],
    fail: Annotated[str | None, typer.Option(help="Site id to take out of service.")] = None,
    hours: Annotated[float, typer.Option(help="How long the failed site is out (hours).")] = 4.0,
    start_hour: Annotated[
        float | None,
        typer.Option(help="Failure start, hours from Monday 00:00 (default: busiest hour)."),
    ] = None,
    replications: Annotated[int, typer.Option(min=2, help="Independent replications.")] = 10,
    seed: Annotated[int, typer.Option(help="Seed of the first replication.")] = 0,
    as_json: JsonOption = False,
) -> None:
    """Simulate a week of calls at the given sites (optionally failing one) to check staffing."""
    from siteopt.instance import load_instance
    from siteopt.report import print_simulation_summary, simulation_summary
    from siteopt.simulate import simulate_instance

    result = simulate_instance(
        load_instance(instance_file),
        [s.strip() for s in sites.split(",") if s.strip()],
        fail=fail,
        failure_hours=hours,
        failure_start_h=start_hour,
        replications=replications,
        seed=seed,
    )
    summary = simulation_summary(result)
    if as_json:
        print_json(summary)
    else:
        print_simulation_summary(summary, console())


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
    from siteopt.instance import load_instance
    from siteopt.network import instance_travel_times, write_matrix_csv, write_weights_csv

    instance = load_instance(instance_file)
    times = instance_travel_times(instance, cache=not no_cache, cache_dir=cache_dir)
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


@app.command()
def route(
    instance_file: Annotated[Path, typer.Argument(help="Instance file (TOML).")],
    origin: Annotated[str, typer.Argument(help="Site id, LSOA code, postcode or 'lon,lat'.")],
    destination: Annotated[str, typer.Argument(help="Site id, LSOA code, postcode or 'lon,lat'.")],
    as_json: JsonOption = False,
) -> None:
    """Fastest drive between two places: time, distance and roads used."""
    from siteopt.instance import load_instance
    from siteopt.network import load_network, place, route_summary
    from siteopt.network import route as fastest_route

    instance = load_instance(instance_file)
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


def _show_error(exc: SiteoptError) -> None:
    sys.stderr.write(f"siteopt: error: {exc}\n")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; user errors print one line and return exit code 2 (no traceback)."""
    try:
        app(args=argv, standalone_mode=True)
    except SiteoptError as exc:
        _show_error(exc)
        return EXIT_BAD_INPUT
    except SystemExit as exc:  # click's usage errors and --help end here with their own code
        return exc.code if isinstance(exc.code, int) else 0
    except typer.Exit as exc:  # pragma: no cover - standalone mode turns it into SystemExit
        return int(exc.exit_code)
    return 0


def entry_point() -> None:
    """Console-script entry point."""
    raise SystemExit(main())

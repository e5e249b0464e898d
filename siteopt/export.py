"""Business-case outputs of a solution: report, print maps, GIS layers, workbook, offline map.

:func:`export_data` gathers, once, everything the outputs show: the solution (the JSON output
contract), the instance, the problem data it was solved on, per-LSOA results (drive time to the
assigned and the nearest open room, calls a year, modelled staff commute change) and the staffing
of each open room by hour of the week. Every writer reads that one object, so the report, the
workbook, the maps and ``solution.json`` show the same numbers.

:func:`write_outputs` writes the chosen formats into a folder atomically: everything is written
into a temporary folder beside the destination and moved into place only when every format
succeeded; a failure leaves the destination as it was.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from siteopt.errors import DataError, InstanceError

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from siteopt.enumerate import Option
    from siteopt.instance import Instance
    from siteopt.problem import ProblemData

__all__ = [
    "FORMATS",
    "ExportData",
    "export_data",
    "gis_layers",
    "load_solution_json",
    "parse_formats",
    "solution_instance_path",
    "write_outputs",
    "write_workbook",
]

#: Every output format, in the order they are written (``--format`` takes a comma list).
FORMATS: tuple[str, ...] = (
    "json",
    "md",
    "html",
    "pdf",
    "maps",
    "gpkg",
    "geojson",
    "xlsx",
    "webmap",
)

#: Drive-time bands (minutes) from the open rooms, for maps and the ``drive_time_bands`` layer.
BAND_EDGES: tuple[float, ...] = (0.0, 15.0, 30.0, 45.0, 60.0, float("inf"))


@dataclass(frozen=True, eq=False)
class ExportData:
    """Everything the outputs show, computed once (see the module docstring).

    Attributes
    ----------
    solution
        The output contract (``Solution.to_dict()`` plus any extra keys such as
        ``infeasibility``).
    instance
        The instance the solution answers.
    problem
        Its problem data (travel minutes from every LSOA to every candidate, staff homes).
    option
        The chosen option rebuilt from the problem data (agents per room and interval), or
        ``None`` when it cannot be rebuilt exactly (infeasible, or more than two rooms).
    lsoas
        One row per LSOA: code, name, district, force, population, calls a year, demand point,
        ``assigned_site``, ``minutes_assigned``, ``nearest_site``, ``minutes_nearest``,
        ``minutes_today``, ``staff_living`` and ``commute_change_min``.
    sites
        One row per candidate and current room: ``id``, ``name``, ``force_area``, ``x``, ``y``,
        ``role`` (``chosen``, ``current``, ``chosen, current`` or ``candidate``), ``greenfield``.
    staffing
        Agents on duty per open room and interval of the week (rows: intervals; columns:
        ``interval`` label then one per open room); empty when ``option`` is ``None``.
    """

    solution: dict[str, Any]
    instance: Instance
    problem: ProblemData
    option: Option | None
    lsoas: pd.DataFrame
    sites: pd.DataFrame
    staffing: pd.DataFrame

    @property
    def chosen_ids(self) -> tuple[str, ...]:
        """Ids of the open rooms of the solution (empty when infeasible)."""
        return tuple(s["id"] for s in self.solution.get("sites", []))

    @property
    def current_ids(self) -> tuple[str, ...]:
        """Ids of today's rooms, one per force (in the instance's force order)."""
        return tuple(f.current_site for f in self.instance.forces.values())

    @property
    def attribution(self) -> dict[str, str]:
        """Licence and attribution lines of the dataset (every output carries them)."""
        return self.instance.dataset().attribution

    @cached_property
    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """The GIS layers (computed once; see :func:`gis_layers`)."""
        return gis_layers(self)

    @property
    def cost_surface(self) -> list[dict[str, Any]]:
        """The single-site cost surface of the solution (empty when not computed)."""
        surface = self.solution.get("cost_surface") or []
        return list(surface)


def parse_formats(raw: str | None) -> tuple[str, ...]:
    """Return the formats named in a comma list (``None`` or ``"all"``: every format)."""
    if raw is None or raw.strip() in {"", "all"}:
        return FORMATS
    names = [n.strip().lower() for n in raw.split(",") if n.strip()]
    unknown = [n for n in names if n not in FORMATS]
    if unknown or not names:
        msg = f"expected a comma list of {', '.join(FORMATS)} (or 'all'), got {raw!r}"
        raise InstanceError("<command line>", "--format", msg)
    return tuple(f for f in FORMATS if f in names)


def load_solution_json(path: Path) -> dict[str, Any]:
    """Read a ``solution.json`` written by ``siteopt solve``; raise a one-line error if unusable."""
    if not path.is_file():
        raise InstanceError(path, "", "expected a solution.json written by 'siteopt solve --out'")
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InstanceError(path, "", f"not valid JSON ({exc})") from None
    if not isinstance(payload, dict):
        raise InstanceError(path, "", "expected a JSON object (the solution output contract)")
    for key in ("instance", "status", "sites", "costs", "baseline_gbp", "alternatives"):
        if key not in payload:
            raise InstanceError(path, key, "missing: expected the solution output contract")
    _check_contract_shapes(payload, path)
    return payload


def _check_contract_shapes(payload: dict[str, Any], path: Path) -> None:
    """The parts of the contract the outputs read have the types ``siteopt solve`` writes."""
    sites = payload["sites"]
    if not isinstance(sites, list):
        raise InstanceError(path, "sites", "expected a list of open sites")
    for i, site in enumerate(sites):
        if not isinstance(site, dict) or not isinstance(site.get("id"), str):
            raise InstanceError(path, f"sites.{i}", "expected an object with a string 'id'")
    alternatives = payload["alternatives"]
    if not isinstance(alternatives, list):
        raise InstanceError(path, "alternatives", "expected a list of options")
    tables = [("costs", payload["costs"])] + [
        (f"alternatives.{i}.costs", a.get("costs") if isinstance(a, dict) else None)
        for i, a in enumerate(alternatives)
    ]
    for where, table in tables:
        if not isinstance(table, dict) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in table.values()
        ):
            raise InstanceError(path, where, "expected an object of cost component -> £ a year")


def check_out_folder(out: Path) -> None:
    """The output folder is a folder (or can be made one); raise a one-line error otherwise."""
    from siteopt.errors import SiteoptError

    if out.exists() and not out.is_dir():
        raise SiteoptError(f"--out {out}: expected a folder, found a file")
    for parent in out.parents:
        if parent.exists():
            if not parent.is_dir():
                raise SiteoptError(f"--out {out}: {parent} is a file, not a folder")
            break


def check_solution_sites(payload: dict[str, Any], instance: Instance, path: Path) -> None:
    """Every open site of a saved solution is a candidate of the instance it is exported with."""
    known = set(instance.candidate_ids())
    for i, site in enumerate(payload["sites"]):
        if site["id"] not in known:
            msg = f"site {site['id']!r} is not a candidate of {instance.file.name}"
            raise InstanceError(path, f"sites.{i}.id", msg)


def solution_instance_path(payload: dict[str, Any], json_path: Path) -> Path:
    """Return the instance file a solution answers.

    ``instance_file`` (written by ``siteopt solve --out``) is tried first, then ``instance`` in
    case it is a path; a relative path is taken from the JSON's folder, then the working folder.
    """
    for key in ("instance_file", "instance"):
        ref = payload.get(key)
        if not isinstance(ref, str) or not ref:
            continue
        candidate = Path(ref)
        tries = [candidate] if candidate.is_absolute() else [json_path.parent / ref, Path(ref)]
        for path in tries:
            if path.is_file():
                return path
    msg = (
        "expected 'instance_file' naming an existing instance file (or pass --instance FILE), "
        f"got {payload.get('instance_file', payload.get('instance'))!r}"
    )
    raise InstanceError(json_path, "instance_file", msg)


# ---------------------------------------------------------------------------------------------
# Gathering the data


def export_data(solution: dict[str, Any], instance: Instance) -> ExportData:
    """Return everything the outputs show for a solution of ``instance`` (computed once)."""
    from siteopt.problem import problem_from_instance

    problem = problem_from_instance(instance)
    option = _chosen_option(problem, solution)
    return ExportData(
        solution=solution,
        instance=instance,
        problem=problem,
        option=option,
        lsoas=_lsoa_results(instance, problem, solution, option),
        sites=_site_table(instance, problem, solution),
        staffing=_staffing_table(instance, problem, solution, option),
    )


def _chosen_option(problem: ProblemData, solution: dict[str, Any]) -> Option | None:
    """The solution's option rebuilt by the enumeration's pricing (one or two rooms only).

    The rebuilt option must cost what the solution says, to the penny; otherwise ``None``.
    """
    from siteopt.enumerate import site_set_options
    from siteopt.problem import MONEY_UNITS_PER_GBP

    ids = [s["id"] for s in solution.get("sites", [])]
    if not ids or len(ids) > 2 or any(i not in problem.site_ids for i in ids):
        return None
    sites = tuple(sorted(problem.site_ids.index(i) for i in ids))
    objective = solution.get("objective_gbp")
    for option in site_set_options(problem, sites):
        if option.routing != solution.get("routing"):
            continue
        if objective is not None and abs(option.total / MONEY_UNITS_PER_GBP - objective) < 0.01:
            return option
    return None


def _assigned_columns(
    problem: ProblemData, solution: dict[str, Any], option: Option | None
) -> tuple[list[int], list[int]]:
    """Candidate index of each force's assigned room, and of each open room."""
    open_ = [problem.site_ids.index(s["id"]) for s in solution.get("sites", [])]
    if option is not None:
        return list(option.assignment), open_
    if not open_:
        return [], []
    assigned: list[int] = []
    for fid in problem.force_ids:
        serving = [
            problem.site_ids.index(s["id"])
            for s in solution["sites"]
            if fid in s.get("forces_served", [])
        ]
        pool = serving or open_
        f = problem.force_ids.index(fid)
        assigned.append(min(pool, key=lambda j: int(problem.room_rank[f, j])))
    return assigned, open_


def _lsoa_results(
    instance: Instance, problem: ProblemData, solution: dict[str, Any], option: Option | None
) -> pd.DataFrame:
    """One row per LSOA: drive times, calls a year and the modelled commute change.

    Drive times go to its force's assigned room and to the nearest open room; the commute change
    is that of today's staff who live there.
    """
    from siteopt.demand import lsoa_calls

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
    assigned, open_ = _assigned_columns(problem, solution, option)
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

    Homes are the gravity model of :mod:`siteopt.transition` (``problem.home_share``); the change
    is new room minus today's room, averaged over the forces whose staff live there.
    """
    from siteopt.problem import FTE_UNITS_PER_FTE

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


def _site_table(instance: Instance, problem: ProblemData, solution: dict[str, Any]) -> pd.DataFrame:
    """Candidates and today's rooms with coordinates and their role in the solution."""
    import pandas as pd

    from siteopt.costs import candidate_forces
    from siteopt.network import site_points

    chosen = {s["id"] for s in solution.get("sites", [])}
    current = {f.current_site for f in instance.forces.values()}
    ids = list(problem.site_ids) + sorted(current - set(problem.site_ids))
    points = site_points(instance, ids)
    dataset = instance.dataset().sites
    areas = dict(zip(problem.site_ids, candidate_forces(instance), strict=True))
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


def _staffing_table(
    instance: Instance, problem: ProblemData, solution: dict[str, Any], option: Option | None
) -> pd.DataFrame:
    """Agents on duty per open room and interval of the week (the optimiser's staffing)."""
    import pandas as pd

    from siteopt.demand import instance_profile

    by_site = {s["id"]: s.get("agents") or [] for s in solution.get("sites", [])}
    if option is not None:
        by_site = {
            problem.site_ids[j]: option.agents[r].tolist() for r, j in enumerate(option.sites)
        }
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


# ---------------------------------------------------------------------------------------------
# GIS layers


def _band_label(low: float, high: float) -> str:
    return f"{low:.0f}+ min" if not np.isfinite(high) else f"{low:.0f}-{high:.0f} min"


def gis_layers(data: ExportData) -> dict[str, gpd.GeoDataFrame]:
    """Return the GIS layers (EPSG:27700): sites, lsoa_results, districts, forces, roads, bands."""
    import geopandas as gpd

    dataset = data.instance.dataset()
    crs = "EPSG:27700"
    sites = gpd.GeoDataFrame(
        data.sites, geometry=gpd.points_from_xy(data.sites["x"], data.sites["y"]), crs=crs
    )
    boundaries = dataset.boundaries("lsoa")[["lsoa11cd", "geometry"]]
    lsoa = boundaries.merge(data.lsoas, on="lsoa11cd", how="inner", validate="one_to_one")
    lsoa = gpd.GeoDataFrame(lsoa, geometry="geometry", crs=boundaries.crs).to_crs(crs)
    return {
        "sites": sites,
        "lsoa_results": lsoa,
        "districts": dataset.boundaries("districts").to_crs(crs),
        "forces": dataset.boundaries("forces").to_crs(crs),
        "roads": road_layer(data),
        "drive_time_bands": drive_time_bands(lsoa),
    }


def drive_time_bands(lsoa: gpd.GeoDataFrame, column: str = "minutes_nearest") -> gpd.GeoDataFrame:
    """LSOA areas dissolved by drive-time band to the nearest open room (from each LSOA's point).

    An LSOA is in the band of the drive time from its demand point; the bands are as fine as the
    LSOAs, not isochrones of the road network.
    """
    import geopandas as gpd

    values = lsoa[column].to_numpy(np.float64)
    if np.isnan(values).all():
        return gpd.GeoDataFrame(
            {"band": [], "min_minutes": [], "max_minutes": [], "population": []},
            geometry=[],
            crs=lsoa.crs,
        )
    import pandas as pd

    band = np.digitize(values, BAND_EDGES[1:-1])
    merged = dissolve_classes(lsoa.geometry.to_numpy(), band)
    people = lsoa["population"].to_numpy(np.int64)
    dissolved = pd.DataFrame(
        {
            "band_index": list(merged),
            "population": [int(people[band == b].sum()) for b in merged],
            "geometry": list(merged.values()),
        }
    )
    dissolved["min_minutes"] = [BAND_EDGES[i] for i in dissolved["band_index"]]
    dissolved["max_minutes"] = [
        BAND_EDGES[i + 1] if np.isfinite(BAND_EDGES[i + 1]) else None
        for i in dissolved["band_index"]
    ]
    dissolved["band"] = [
        _band_label(BAND_EDGES[i], BAND_EDGES[i + 1]) for i in dissolved["band_index"]
    ]
    dissolved["population"] = dissolved["population"].astype(np.int64)
    return gpd.GeoDataFrame(
        dissolved[["band", "min_minutes", "max_minutes", "population", "geometry"]],
        geometry="geometry",
        crs=lsoa.crs,
    )


def dissolve_classes(geoms: Any, classes: Any) -> dict[int, Any]:
    """Union of the polygons of each class (LSOAs tile the area, so a coverage union is exact)."""
    import shapely

    keys = np.asarray(classes)
    values = np.asarray(geoms)
    return {int(k): shapely.coverage_union_all(values[keys == k]) for k in np.unique(keys)}


def road_layer(data: ExportData) -> gpd.GeoDataFrame:
    """The instance's road network as straight segments between its nodes, one per road link.

    The embedded network's ``local_urban``/``local_rural`` links are the modelled LSOA mesh (no
    real road geometry); they are kept so the layer shows what the travel times ran on.
    """
    import geopandas as gpd
    import shapely

    from siteopt._roadclasses import ROAD_CLASSES
    from siteopt.network import load_network

    network = load_network(data.instance)
    src = np.repeat(np.arange(network.n_nodes), np.diff(network.indptr))
    dst = network.indices
    low, high = np.minimum(src, dst), np.maximum(src, dst)
    _, first = np.unique(np.stack([low, high]), axis=1, return_index=True)
    first = np.sort(first)
    coords = np.stack(
        [
            np.stack([network.x[src[first]], network.y[src[first]]], axis=1),
            np.stack([network.x[dst[first]], network.y[dst[first]]], axis=1),
        ],
        axis=1,
    )
    return gpd.GeoDataFrame(
        {
            "road_class": [ROAD_CLASSES[c] for c in network.road_class[first]],
            "road": [network.names[n] for n in network.road_name[first]],
            "metres": network.metres[first].round(1),
        },
        geometry=shapely.linestrings(coords),
        crs="EPSG:27700",
    )


def write_gpkg(layers: dict[str, gpd.GeoDataFrame], path: Path) -> None:
    """Write every layer into one GeoPackage (EPSG:27700)."""
    import pyogrio

    for name, layer in layers.items():
        pyogrio.write_dataframe(layer, path, layer=name, driver="GPKG")


def write_geojson(layers: dict[str, gpd.GeoDataFrame], folder: Path) -> None:
    """Write each layer as ``<layer>.geojson`` in EPSG:4326 (RFC 7946)."""
    import pyogrio

    folder.mkdir(parents=True, exist_ok=True)
    for name, layer in layers.items():
        pyogrio.write_dataframe(
            layer.to_crs("EPSG:4326"), folder / f"{name}.geojson", driver="GeoJSON"
        )


# ---------------------------------------------------------------------------------------------
# Workbook


def write_workbook(data: ExportData, path: Path) -> None:
    """Write the Excel workbook: the report's tables with formatted headers and number formats.

    Values are plain numbers with Excel number formats (£, minutes, %); there are no formulas.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    from siteopt.report import ReportTable, business_tables

    workbook = Workbook(write_only=True)
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor="1F4E79")
    attribution = ReportTable(
        title="Attribution", sheet="Attribution", columns=("dataset", "attribution"),
        kinds=("text", "text"), rows=tuple(data.attribution.items()),
    )  # fmt: skip
    for table in [*business_tables(data), attribution]:
        sheet = workbook.create_sheet(table.sheet)
        sheet.freeze_panes = "B2" if table.freeze_first_column else "A2"
        for col in range(len(table.columns)):
            width = max(
                [len(str(table.columns[col]))] + [len(str(r[col])) for r in table.rows[:200]]
            )
            sheet.column_dimensions[get_column_letter(col + 1)].width = min(max(10, width + 2), 80)
        header = []
        for name in table.columns:
            cell = WriteOnlyCell(sheet, value=name)
            cell.font = header_font
            cell.fill = header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            header.append(cell)
        sheet.append(header)
        for r, row in enumerate(table.rows):
            cells = []
            for c, value in enumerate(row):
                cell = WriteOnlyCell(sheet, value=_cell_value(value))
                fmt = _NUMBER_FORMATS.get(table.kind(r, c))
                if fmt is not None:
                    cell.number_format = fmt
                cells.append(cell)
            sheet.append(cells)
    workbook.save(path)


_NUMBER_FORMATS = MappingProxyType(
    {
        "gbp": "£#,##0",
        "minutes": '0.0 "min"',
        "share": "0.0%",
        "fte": "#,##0.00",
        "int": "#,##0",
        "float": "#,##0.0",
        "years": '0.00 "years"',
    }
)


def _cell_value(value: Any) -> Any:
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


# ---------------------------------------------------------------------------------------------
# Writing everything, atomically


def write_outputs(
    data: ExportData, out: Path, formats: tuple[str, ...] | None = None
) -> list[Path]:
    """Write the chosen formats into ``out`` atomically; return the paths written.

    Everything goes into a temporary folder beside ``out`` first. When every format has been
    written, a new ``out`` is that folder renamed (one step: all or nothing); into an existing
    ``out`` the files are moved one by one, each replacing the older one of the same name.
    """
    chosen = formats or FORMATS
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}-"))
    try:
        _write_all(data, staging, chosen)
        if not out.exists():
            umask = os.umask(0)
            os.umask(umask)
            staging.chmod(0o777 & ~umask)  # mkdtemp makes it owner-only
            staging.rename(out)
            return sorted(out / item.name for item in out.iterdir())
        written = []
        for item in sorted(staging.iterdir()):
            target = out / item.name
            if target.is_dir() and item.is_dir():
                shutil.rmtree(target)
            item.replace(target)
            written.append(target)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _write_all(data: ExportData, folder: Path, formats: tuple[str, ...]) -> None:
    from siteopt.report import (
        business_report,
        report_html,
        report_markdown,
        write_report_pdf,
    )

    if "json" in formats:
        (folder / "solution.json").write_text(
            json.dumps(data.solution, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    figures: dict[str, bytes] = {}
    if {"maps", "html", "pdf"} & set(formats):
        from siteopt.maps import render_maps

        figures = render_maps(
            data,
            folder / "maps" if "maps" in formats else None,
            embed=bool({"html", "pdf"} & set(formats)),
        )
    document = business_report(data)
    if "md" in formats:
        (folder / "report.md").write_text(report_markdown(document), encoding="utf-8")
    if "html" in formats:
        (folder / "report.html").write_text(report_html(document, figures), encoding="utf-8")
    if "pdf" in formats:
        write_report_pdf(document, figures, folder / "report.pdf")
    if {"gpkg", "geojson", "webmap"} & set(formats):
        layers = data.layers
        if "gpkg" in formats:
            write_gpkg(layers, folder / "layers.gpkg")
        if "geojson" in formats:
            write_geojson(layers, folder / "geojson")
        if "webmap" in formats:
            from siteopt.webmap import webmap_html

            (folder / "map.html").write_text(webmap_html(data, layers), encoding="utf-8")
    if "xlsx" in formats:
        write_workbook(data, folder / "siteopt.xlsx")
    if not any(folder.iterdir()):  # pragma: no cover - parse_formats refuses an empty list
        raise DataError("no output format chosen")

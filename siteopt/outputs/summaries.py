"""Plain-data summaries for --json and the terminal.

Plain-data summaries (for ``--json`` and the terminal) of the dataset, the sites,
an instance's problem, one queue, pooling and a simulation.
"""

from __future__ import annotations

import math
from itertools import combinations
from typing import TYPE_CHECKING, Any

from siteopt.demand.volumes import annual_volumes, force_populations
from siteopt.instance.schema import LOCAL_KNOWLEDGE

if TYPE_CHECKING:
    from siteopt.data import Dataset
    from siteopt.instance.schema import Instance
    from siteopt.queueing.agents import ServiceTarget
    from siteopt.queueing.simulate import InstanceSimulation, WindowStats

__all__ = [
    "dataset_summary",
    "pooling_summary",
    "problem_summary",
    "queue_summary",
    "simulation_summary",
    "site_rows",
    "today_summary",
]


def dataset_summary(dataset: Dataset) -> dict[str, Any]:
    """Return LSOA, population, district and site totals of a dataset, computed from its files.

    A population the dataset lacks for a force (mid-2015 in Wales) is ``None``; the national
    dataset adds its per-force demand scalers (``force_scalers``) and how its areas were made.
    """
    lsoas = dataset.lsoas()
    codes = [c for c in dataset.district_columns if c != "lad_name"]
    by_force = lsoas.groupby("force").agg(
        lsoas=("lsoa11cd", "size"),
        districts=(codes[0], "nunique"),
        pop_mid2015=("pop_mid2015", lambda p: None if p.isna().any() else int(p.sum())),
        pop_mid2019=("pop_mid2019", "sum"),
    )
    site_forces = [s.force for s in dataset.sites.values()]
    forces = [
        {
            "force": fid,
            "lsoas": int(by_force.loc[fid, "lsoas"]),
            "districts": int(by_force.loc[fid, "districts"]),
            "pop_mid2015": _int_or_none(by_force.loc[fid, "pop_mid2015"]),
            "pop_mid2019": int(by_force.loc[fid, "pop_mid2019"]),
            "sites": site_forces.count(fid),
        }
        for fid in by_force.index
    ]
    districts = (
        lsoas.groupby(["force", *dataset.district_columns], as_index=False)
        .agg(lsoas=("lsoa11cd", "size"), pop_mid2015=("pop_mid2015", "sum"))
        .sort_values(["force", "lad_name"])
    )
    manifest = dataset.manifest
    summary: dict[str, Any] = {
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
    scalers = dataset.force_scalers()
    if scalers is not None:
        summary["force_scalers"] = (
            scalers.astype(object).where(scalers.notna(), None).to_dict("records")
        )
        summary["force_scaler_sources"] = manifest.get("force_scaler_sources", {})
        summary["boundaries"] = dataset.boundary_note
    return summary


def _int_or_none(value: Any) -> int | None:
    return None if value is None or math.isnan(value) else int(value)


def site_rows(dataset: Dataset, instance: Instance | None) -> list[dict[str, Any]]:
    """Return one row per site: all dataset sites, or an instance's candidates (custom included)."""
    if instance is None:
        return [_dataset_site_row(dataset, sid) for sid in dataset.sites]
    rows = []
    today = {force.current_site for force in instance.forces.values()}
    areas = dict(zip(instance.candidate_ids(), instance.candidate_force_areas(), strict=True))
    for sid in instance.candidate_ids():
        if sid in dataset.sites:
            row = _dataset_site_row(dataset, sid)
            row["current_control_room"] = row["current_control_room"] or sid in today
            rows.append(row)
            continue
        rows.append(_instance_site_row(instance, sid, areas[sid], current=sid in today))
    return rows


def _instance_site_row(
    instance: Instance, sid: str, force: str, *, current: bool
) -> dict[str, Any]:
    """A site the instance adds to the dataset's: a custom building or a greenfield grid point."""
    custom = instance.sites.custom.get(sid)
    if custom is not None:
        kind, postcode, source = "custom", custom.postcode or "", custom.source
    else:
        kind, postcode, source = "greenfield", "", "[sites.greenfield] grid point (no building)"
    return {
        "id": sid,
        "name": instance.site_name(sid),
        "force": force,
        "kind": kind,
        "postcode": postcode,
        "current_control_room": current,
        "status_today": "",
        "confidence": "",
        "source": source,
    }


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


def problem_summary(instance: Instance) -> dict[str, Any]:
    """Return what an instance states: forces, demand, candidates, constraints, solver settings."""
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


def _stream_order(summary: dict[str, Any]) -> Any:
    order = {r["stream"]: i for i, r in enumerate(summary["annual_calls"])}
    return order.__getitem__


def queue_summary(
    *,
    calls_per_hour: float,
    aht_s: float,
    share: float,
    within_s: float,
    patience_s: float | None,
    max_occupancy: float | None,
    redials: tuple[float, float] | None = None,
) -> dict[str, Any]:
    """Return the smallest staffing of one queue meeting a target, and how it performs.

    ``redials``: ``(share of abandoning callers who redial, mean delay s)`` for Erlang X.
    """
    from siteopt.queueing.agents import ServiceTarget, evaluate_staffing, required_agents  # noqa: PLC0415 (lazy: pulls in scipy)

    target = ServiceTarget(share=share, wait_s=within_s, max_occupancy=max_occupancy)
    if redials is not None:
        return _erlang_x_summary(calls_per_hour, aht_s, target, patience_s, redials)
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


def _erlang_x_summary(
    calls_per_hour: float,
    aht_s: float,
    target: ServiceTarget,
    patience_s: float | None,
    redials: tuple[float, float],
) -> dict[str, Any]:
    """:func:`queue_summary` with redials (Erlang X): measures per attempt."""
    from siteopt.errors import StaffingError  # noqa: PLC0415 (lazy: only on this path)
    from siteopt.queueing.erlangx import erlang_x, erlang_x_required_agents  # noqa: PLC0415 (lazy: pulls in scipy)

    if patience_s is None:
        raise StaffingError("redial_share: redials need a caller patience (--patience)")
    share, delay = redials
    agents = int(
        erlang_x_required_agents(
            calls_per_hour,
            aht_s=aht_s,
            patience_s=patience_s,
            redial_share=share,
            redial_delay_s=delay,
            target=target,
        )
    )
    rows = []
    for n in (agents - 1, agents):
        if n < 0:
            continue
        x = erlang_x(
            n,
            calls_per_hour,
            aht_s=aht_s,
            patience_s=patience_s,
            redial_share=share,
            redial_delay_s=delay,
            target_wait_s=target.wait_s,
        )
        carried = x.attempts_per_hour * (1 - x.abandon_share) * aht_s / 3600
        rows.append(
            {
                "agents": n,
                "service_level": x.service_level,
                "asa_s": x.asa_s,
                "occupancy": carried / n if n else 0.0,
                "abandon_share": x.abandon_share,
                "lost_share": x.lost_share,
                "attempts_per_hour": x.attempts_per_hour,
                "meets_target": n == agents,
            }
        )
    return {
        "model": "Erlang X",
        "calls_per_hour": calls_per_hour,
        "aht_s": aht_s,
        "load_erlangs": calls_per_hour * aht_s / 3600,
        "target": {
            "share": target.share,
            "within_s": target.wait_s,
            "max_occupancy": target.max_occupancy,
        },
        "patience_s": patience_s,
        "redial_share": share,
        "redial_delay_s": delay,
        "agents": agents,
        "rows": rows,
    }


def pooling_summary(instance: Instance) -> dict[str, Any]:
    """Return agents and FTE for every group of forces sharing one room, and the pooling saving."""
    from siteopt.queueing.fte import room_fte, staffing_table  # noqa: PLC0415 (lazy: pulls in scipy)

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


def today_summary(instance: Instance) -> dict[str, Any]:
    """Return today's modelled establishment per force and function next to the published staff.

    Every defined function is shown (``in_scope`` says which move with a plan); the published
    figures are each force's ``current_staff`` and ``functions.published_staff``, with their
    provenance; the gap is modelled minus published.
    """
    from siteopt.costs.functions import function_costs  # noqa: PLC0415 (lazy: with scipy below)
    from siteopt.queueing.fte import staffing_table  # noqa: PLC0415 (lazy: pulls in scipy)
    from siteopt.queueing.functions import function_model, today_establishment  # noqa: PLC0415 (lazy: pulls in scipy)

    table = staffing_table(instance)
    model = function_model(instance, table)
    establishment = today_establishment(instance, table, model)
    sites = instance.dataset().sites
    order = [*model.defined[:2], LOCAL_KNOWLEDGE, *model.defined[2:]]
    names = [n for n in order if any(n in fte for fte in establishment.values())]
    forces: list[dict[str, Any]] = []
    for fid, fte in establishment.items():
        force = instance.forces[fid]
        room = force.current_site
        area = sites[room].force if room in sites else instance.sites.custom[room].force
        costs = function_costs(instance, fte, area)
        published = force.current_staff
        total = sum(fte.values())
        forces.append(
            {
                "force": fid,
                "name": force.name,
                "room": room,
                "fte": fte,
                "total_fte": total,
                "cost_gbp": costs,
                "total_cost_gbp": sum(costs.values()),
                "published": _published(published.value, published.provenance, total),
            }
        )
    total = sum(f["total_fte"] for f in forces)
    published_total = instance.functions.published_staff
    return {
        "instance": instance.name,
        "functions": [
            {"name": n, "label": model.labels[n], "in_scope": model.moves(n)} for n in names
        ],
        "forces": forces,
        "totals_fte": {n: sum(f["fte"].get(n, 0.0) for f in forces) for n in names},
        "total_fte": total,
        "total_cost_gbp": sum(f["total_cost_gbp"] for f in forces),
        "published_total": (
            _published(published_total.value, published_total.provenance, total)
            if published_total is not None
            else None
        ),
    }


def _published(value: float, provenance: str, modelled: float) -> dict[str, Any]:
    """A published figure, its provenance, and the modelled figure's gap to it."""
    return {
        "value": value,
        "provenance": provenance,
        "is_source": provenance.startswith("source:"),
        "gap_fte": modelled - value,
        "gap_share": (modelled - value) / value if value else None,
    }

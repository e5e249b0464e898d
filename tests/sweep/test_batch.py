"""A batch shares inputs between its scenarios; each row must be what solving it alone gives."""

from __future__ import annotations

import csv
import gc
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siteopt.optimise.build import problem_from_instance
from siteopt.optimise.options import option_table
from siteopt.optimise.solution import gbp
from siteopt.optimise.solve import solve
from siteopt.sweep.batch import COST_KEYS, ERROR, Batch, batch_context, run_batch, shared_travel
from siteopt.sweep.spec import Sweep, load_sweep
from tests.conftest import INSTANCES

BCH = INSTANCES / "bch-2015.toml"

#: Fields a sweep may vary, one strategy each: demand and staffing (the staffing tables and
#: their tabulation), pay, candidates, transition figures and the population year (the shared
#: transition tables and dataset), the function model (dispatch) and constraint limits (an
#: hour-long commute limit, and a 1-minute force-centre limit that makes a scenario infeasible).
KINDS: dict[str, st.SearchStrategy[Any]] = {
    "demand.growth": st.floats(0.8, 1.4).map(lambda v: round(v, 3)),
    "demand.streams.emergency.aht_s": st.integers(200, 400),
    "demand.streams.emergency.target_share": st.sampled_from([0.85, 0.9, 0.95]),
    "demand.streams.non_emergency.patience_s": st.integers(60, 600),
    "staffing.min_positions_per_site": st.integers(3, 9),
    "pay.area_allowance_gbp.hertfordshire": st.integers(0, 3000),
    "sites.exclude": st.sampled_from([[], ["kempston"], ["welwyn", "hinchingbrooke"]]),
    "transition.home_decay_per_minute": st.sampled_from([0.05, 0.08, 0.12]),
    "transition.retention_scale_minutes": st.integers(20, 80),
    "data.population_year": st.sampled_from([2015, 2019]),
    "functions.local_knowledge_penalty": st.sampled_from([0.0, 0.05, 0.2]),
    "functions.dispatch.minutes_per_incident": st.integers(15, 45),
    "constraints.staff_commute.max_minutes": st.integers(40, 80),
    "constraints.force_centres.max_minutes": st.sampled_from([1, 45, 60]),
}


def _sweep_of(folder: Path, rows: list[dict[str, Any]], base: Path = BCH) -> Sweep:
    """A CSV sweep of ``rows`` (dotted field → value) on ``base``."""
    columns = sorted({k for r in rows for k in r})
    with (folder / "scenarios.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows([[_toml(r[c]) for c in columns] for r in rows])
    file = folder / "sweep.toml"
    file.write_text(
        f'name = "batch test"\nbase = "{base.as_posix()}"\nbatch_size = {len(rows)}\n'
        '[csv]\npath = "scenarios.csv"\n',
        encoding="utf-8",
    )
    return load_sweep(file)


def _toml(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(f'"{v}"' for v in value) + "]"
    return str(value)


def _solved_alone(sweep: Sweep) -> list[dict[str, Any]]:
    """Each scenario solved on its own (a fresh instance, nothing shared): the row's fields."""
    out = []
    for scenario in sweep.scenarios:
        inst = scenario.instance
        result = solve(inst, method="enumerate", explain=False)
        plan = result.solution
        table = option_table(problem_from_instance(inst))
        out.append(
            {
                "status": str(result.status),
                "message": (
                    "conflicting constraints: " + ", ".join(result.infeasibility.conflict)
                    if result.infeasibility is not None
                    else ""
                ),
                "option": "+".join(sorted(plan.site_ids)) if plan else None,
                "routing": plan.routing if plan else None,
                "fte": round(plan.total_fte, 2) if plan else None,
                "site_fte": [s.fte for s in plan.sites] if plan else [],
                "objective_gbp": plan.objective_gbp if plan else None,
                **{f"cost_{k}_gbp": plan.costs.get(k) if plan else None for k in COST_KEYS},
                "baseline_gbp": result.baseline_gbp,
                "saving_gbp": plan.saving_gbp if plan else None,
                "one_off_gbp": plan.one_off_gbp if plan else None,
                "payback_years": plan.payback_years if plan else None,
                "option_total_gbp": [
                    gbp(int(t)) if ok else None
                    for t, ok in zip(table.total, table.feasible, strict=True)
                ],
            }
        )
    return out


def _in_one_batch(sweep: Sweep) -> list[dict[str, Any]]:
    batch = Batch(sweep.scenarios, "auto", None)
    rows = run_batch(batch, shared_travel(sweep.scenarios))
    return [{k: row[k] for k in ("index", *_FIELDS)} for row in rows]


_FIELDS = (
    "status",
    "message",
    "option",
    "routing",
    "fte",
    "site_fte",
    "objective_gbp",
    *(f"cost_{k}_gbp" for k in COST_KEYS),
    "baseline_gbp",
    "saving_gbp",
    "one_off_gbp",
    "payback_years",
    "option_total_gbp",
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_a_batch_gives_each_scenario_what_solving_it_alone_gives(data: st.DataObject) -> None:
    """Vary a few kinds of input across a batch: every row equals its scenario solved alone."""
    kinds = data.draw(st.lists(st.sampled_from(sorted(KINDS)), min_size=1, max_size=4, unique=True))
    n = data.draw(st.integers(2, 4))
    rows = [{k: data.draw(KINDS[k], label=f"{i}:{k}") for k in kinds} for i in range(n)]
    with tempfile.TemporaryDirectory() as folder:
        batch = _in_one_batch(_sweep_of(Path(folder), rows))
        alone = _solved_alone(_sweep_of(Path(folder), rows))
    for row, expected in zip(sorted(batch, key=lambda r: r["index"]), alone, strict=True):
        assert {k: row[k] for k in _FIELDS} == expected


@pytest.mark.parametrize("motorway", [[90, 105, 120]])
def test_a_batch_varying_road_speeds_uses_each_scenarios_own_travel_times(
    tmp_path: Path, motorway: list[int]
) -> None:
    """Speeds change the travel matrices (and so the transition tables keyed on them)."""
    rows = [{"network.speeds_kph.motorway": v, "demand.growth": 1.1} for v in motorway]
    batch = _in_one_batch(_sweep_of(tmp_path, rows))
    alone = _solved_alone(_sweep_of(tmp_path, rows))
    assert [{k: r[k] for k in _FIELDS} for r in batch] == alone
    assert len({r["objective_gbp"] for r in batch}) > 1  # the speeds did change something


def test_one_scenario_that_raises_is_an_error_row_and_the_others_are_unchanged(
    tmp_path: Path,
) -> None:
    """A scenario whose service target no staffing meets fails alone, not its batch."""
    rows = [
        {"demand.streams.emergency.target_share": share, "demand.growth": g}
        for share, g in [(0.9, 1.0), (1.0, 1.1), (0.95, 1.2)]
    ]
    sweep = _sweep_of(tmp_path, rows)
    context = batch_context(sweep.scenarios, shared_travel(sweep.scenarios))
    assert len(context.tables) == 3  # a table is built (its rates are fine): solving it raises
    batch = _in_one_batch(sweep)
    assert batch[1]["status"] == ERROR
    assert "cannot be met" in batch[1]["message"]
    alone = _solved_alone(_sweep_of(tmp_path, [rows[0], rows[2]]))
    assert [{k: r[k] for k in _FIELDS} for r in (batch[0], batch[2])] == alone


def test_scenarios_with_other_candidates_name_their_own_options(tmp_path: Path) -> None:
    """Option names are shared by scenarios with the same candidates only."""
    rows = [
        {"sites.exclude": exclude, "demand.growth": g}
        for exclude, g in [([], 1.0), (["kempston"], 1.1), ([], 1.2)]
    ]
    sweep = _sweep_of(tmp_path, rows)
    batch = run_batch(Batch(sweep.scenarios, "auto", None), shared_travel(sweep.scenarios))
    names = [row["option_names"] for row in sorted(batch, key=lambda r: r["index"])]
    assert names[0] == names[2]
    assert any("kempston" in n for n in names[0])
    assert not any("kempston" in n for n in names[1])
    for row, scenario in zip(sorted(batch, key=lambda r: r["index"]), sweep.scenarios, strict=True):
        problem = problem_from_instance(scenario.instance)
        table = option_table(problem)
        expected = [
            "+".join(sorted(problem.site_ids[j] for j in (a, b) if j >= 0))
            for a, b in zip(table.first.tolist(), table.second.tolist(), strict=True)
        ]
        assert row["option_names"] == expected
    names[0].append("changed")  # each row holds its own list
    assert names[2][-1] != "changed"


def test_a_batch_leaves_the_garbage_collector_as_it_found_it(tmp_path: Path) -> None:
    """Objects frozen for the batch are unfrozen after it; a freeze made before is kept."""
    sweep = _sweep_of(tmp_path, [{"demand.growth": 1.0}])
    batch = Batch(sweep.scenarios, "auto", None)
    travel = shared_travel(sweep.scenarios)
    assert gc.get_freeze_count() == 0
    run_batch(batch, travel)
    assert gc.get_freeze_count() == 0
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        run_batch(batch, travel)
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()

"""Solutions: the output contract, numbers that reconcile, the baseline, infeasibility explained."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from siteopt.errors import InstanceError
from siteopt.instance.loading import load_instance
from siteopt.optimise.build import problem_from_instance
from siteopt.optimise.options import best_options
from siteopt.optimise.problem import MONEY_UNITS_PER_GBP, force_mask
from siteopt.optimise.solution import baseline_costs
from siteopt.optimise.solve import explain_infeasibility, solve
from siteopt.status import Status
from tests.conftest import INSTANCES

CONTRACT = {
    "status",
    "objective_gbp",
    "best_bound_gbp",
    "proved_optimal",
    "sites",
    "routing",
    "costs",
    "baseline_gbp",
    "saving_gbp",
    "payback_years",
    "constraints",
    "staff_impact",
    "alternatives",
    "solver",
}


@pytest.fixture(scope="module")
def toy_solution() -> dict[str, Any]:
    """The toy instance solved by enumeration, as the JSON contract."""
    result = solve(load_instance(INSTANCES / "toy.toml"), method="enumerate")
    assert result.infeasibility is None
    return result.to_dict()


def test_output_contract_has_every_key(toy_solution: dict[str, Any]) -> None:
    """The JSON object carries every field other tools rely on."""
    assert set(toy_solution) >= CONTRACT
    site = toy_solution["sites"][0]
    assert {"id", "name", "fte", "seats", "forces_served"} <= set(site)
    impact = toy_solution["staff_impact"]
    assert {"retained_share", "median_extra_minutes", "p90_extra_minutes"} <= set(impact)
    for row in toy_solution["constraints"]:
        assert {"name", "value", "limit", "holds"} <= set(row)


def test_numbers_reconcile(toy_solution: dict[str, Any]) -> None:
    """Components sum to the total; baseline − total = saving; rooms' FTE sum to the posts."""
    costs = toy_solution["costs"]
    assert sum(costs.values()) == pytest.approx(toy_solution["objective_gbp"], abs=0.05)
    saving = toy_solution["baseline_gbp"] - toy_solution["objective_gbp"]
    # each of the three is rounded to the penny on its own: they can differ by one
    assert toy_solution["saving_gbp"] == pytest.approx(saving, abs=0.011)
    baseline = toy_solution["baseline_costs"]
    assert sum(baseline.values()) == pytest.approx(toy_solution["baseline_gbp"], abs=0.05)
    room_fte = sum(s["fte"] for s in toy_solution["sites"])
    assert room_fte == pytest.approx(toy_solution["staff_impact"]["posts_fte"], abs=0.05)
    assert toy_solution["status"] == "OPTIMAL"
    assert toy_solution["proved_optimal"] is True


def test_the_solution_is_the_cheapest_feasible_option() -> None:
    """The chosen sites are those of the cheapest option meeting every constraint."""
    instance = load_instance(INSTANCES / "toy.toml")
    problem = problem_from_instance(instance)
    feasible = [o for o in best_options(problem, n=100) if o.feasible]
    solution = solve(instance, method="enumerate").solution
    assert solution is not None
    best = feasible[0]
    assert [s.id for s in solution.sites] == [problem.site_ids[j] for j in best.sites]
    assert solution.objective_gbp == pytest.approx(best.total / MONEY_UNITS_PER_GBP, abs=0.01)


def test_baseline_prices_each_force_at_its_own_room() -> None:
    """Today: staff cost of each force's own requirement at its own room, running cost, no move."""
    instance = load_instance(INSTANCES / "toy.toml")
    problem = problem_from_instance(instance)
    base = baseline_costs(problem, instance)
    staff = sum(
        int(problem.agent_cost[j] * problem.group_agents[force_mask([f])].sum())
        for f, j in enumerate((0, 1, 2))
    )
    assert base["staff"] == staff
    assert base["sites"] == int(problem.fixed_cost[[0, 1, 2]].sum())
    assert base["merge"] == base["transition"] == 0
    # Kempston and Hinchingbrooke have no seats in the toy: their peaks are fitted out.
    peaks = [int(problem.group_agents[force_mask([f])].max()) for f in range(3)]
    expected_seats = problem.seat_cost[0] * peaks[0] + problem.seat_cost[1] * peaks[1]
    expected_seats += problem.seat_cost[2] * max(0, peaks[2] - 12)
    assert base["seats"] == int(expected_seats)


def write_variant(tmp_path: Path, body: str) -> Path:
    """A toy variant with extra TOML."""
    path = tmp_path / "variant.toml"
    path.write_text(f'extends = "{(INSTANCES / "toy.toml").as_posix()}"\n{body}', encoding="utf-8")
    return path


def test_infeasible_instance_names_the_smallest_conflict(tmp_path: Path) -> None:
    """Two rooms that must be 500 min apart cannot exist; with k_min = 2 nothing is feasible."""
    path = write_variant(
        tmp_path,
        "[solver]\nk_min = 2\n"
        '[constraints.separation]\nmin_minutes = { value = 500, assumption = "t" }\n'
        'max_minutes = { value = 600, assumption = "t" }\n',
    )
    instance = load_instance(path)
    result = solve(instance, method="enumerate")
    assert result.status is Status.INFEASIBLE
    assert result.solution is None
    explanation = result.infeasibility
    assert explanation is not None
    assert explanation.conflict == ("separation",)
    (relaxed,) = explanation.relaxations
    assert relaxed.constraint == "separation"
    assert relaxed.value is not None and relaxed.value < 500


def test_infeasible_three_rooms_say_how_far_the_conflict_must_move(tmp_path: Path) -> None:
    """Beyond two sites the conflict comes from CP-SAT's core, with the same relaxation."""
    path = write_variant(
        tmp_path,
        "[solver]\nk_min = 3\nk_max = 3\n"
        '[constraints.separation]\nmin_minutes = { value = 500, assumption = "t" }\n'
        'max_minutes = { value = 600, assumption = "t" }\n',
    )
    result = solve(load_instance(path), method="cp-sat")
    assert result.status is Status.INFEASIBLE
    explanation = result.infeasibility
    assert explanation is not None
    assert explanation.conflict == ("separation",)
    (relaxed,) = explanation.relaxations
    assert len(relaxed.best_sites) == 3
    assert relaxed.value is not None and relaxed.value < 500


def test_explanation_is_minimal_when_two_constraints_conflict(tmp_path: Path) -> None:
    """Staff commute within 1 min and force centres within 1 min: each alone is infeasible."""
    path = write_variant(
        tmp_path,
        '[constraints.staff_commute]\nmax_minutes = { value = 1, assumption = "t" }\n'
        'min_share = { value = 0.99, assumption = "t" }\n'
        '[constraints.centres]\ntype = "force_centre_within"\n'
        'max_minutes = { value = 1, assumption = "t" }\n',
    )
    problem = problem_from_instance(load_instance(path))
    explanation = explain_infeasibility(problem)
    assert len(explanation.conflict) == 1  # one of them already makes it infeasible
    assert explanation.conflict[0] in {"staff_commute", "centres"}


def test_payback_is_one_offs_over_the_yearly_gain(toy_solution: dict[str, Any]) -> None:
    """Payback years = one-off investment / yearly recurring gain (both positive here)."""
    payback = toy_solution["payback_years"]
    one_off = toy_solution["one_off_gbp"]
    assert payback is None or (isinstance(payback, float) and payback > 0)
    assert isinstance(one_off, float) and one_off > 0
    assert np.isfinite(one_off)


def test_greenfield_candidates_are_solved_and_named(tmp_path: Path) -> None:
    """With a greenfield grid and one room, every grid point is priced as a candidate."""
    path = write_variant(
        tmp_path,
        "[solver]\nk_max = 1\n"
        "[sites.greenfield]\ngrid_km = 15\n"
        'new_build_one_off_gbp = { value = 0, assumption = "free land, for the test" }\n'
        'running_cost_gbp = { value = 1000, assumption = "t" }\n'
        'fit_out_per_seat_gbp = { value = 0, assumption = "t" }\n'
        'max_seats = { value = 200, assumption = "t" }\n',
    )
    instance = load_instance(path)
    result = solve(instance, method="enumerate")
    solution = result.solution
    assert solution is not None
    # A free, nearly free-running building beats every existing one.
    (site,) = solution.sites
    assert site.id.startswith("gf-")
    assert site.name.startswith("greenfield site at grid")
    # The cost surface prices every candidate alone; its cheapest feasible point is the optimum.
    surface = result.cost_surface
    assert len(surface) == len(instance.candidate_ids())
    assert {p.id for p in surface if p.greenfield} == {g.id for g in instance.greenfield_sites}
    best = min((p for p in surface if p.feasible), key=lambda p: p.total_gbp)
    assert (best.id, best.total_gbp) == (site.id, solution.objective_gbp)
    grid = {g.id: g for g in instance.greenfield_sites}
    assert (best.easting, best.northing) == (grid[site.id].x, grid[site.id].y)
    import io

    from rich.console import Console

    from siteopt.console import print_result

    printed = io.StringIO()
    print_result(result, Console(file=printed, width=200))
    assert f"cheapest new build: {site.name} ({site.id}), £{solution.objective_gbp:,.0f}" in (
        printed.getvalue()
    )
    assert result.to_dict()["cost_surface"][0].keys() == {
        "id", "name", "easting", "northing", "total_gbp", "feasible", "greenfield",
    }  # fmt: skip


def test_no_cost_surface_without_greenfield_candidates() -> None:
    result = solve(load_instance(INSTANCES / "toy.toml"), method="enumerate")
    assert result.cost_surface == ()
    assert json.loads(json.dumps(result.to_dict()))["cost_surface"] == []


def test_cp_sat_and_enumeration_agree_on_the_toy() -> None:
    """Both methods give the same optimum on the toy instance; CP-SAT proves it."""
    instance = load_instance(INSTANCES / "toy.toml")
    by_enumeration = solve(instance, method="enumerate").solution
    result = solve(instance, method="cp-sat")
    assert result.status is Status.OPTIMAL
    assert result.proved_optimal and result.gap == 0.0
    by_cp_sat = result.solution
    assert by_cp_sat is not None and by_enumeration is not None
    assert by_cp_sat.objective_gbp == by_enumeration.objective_gbp
    assert {s.id for s in by_cp_sat.sites} == {s.id for s in by_enumeration.sites}


def test_three_rooms_are_solved_by_cp_sat_only(tmp_path: Path) -> None:
    """k = 3 is beyond enumeration; CP-SAT solves it and enumeration says so."""
    path = write_variant(tmp_path, "[solver]\nk_min = 3\nk_max = 3\n")
    instance = load_instance(path)
    result = solve(instance, method="cp-sat")
    assert result.solution is not None and len(result.solution.sites) == 3
    assert result.proved_optimal
    with pytest.raises(InstanceError, match="enumeration covers one or two sites") as info:
        solve(instance, method="enumerate")
    assert info.value.path == "solver.method"


def test_excluding_a_current_room_keeps_todays_baseline(tmp_path: Path) -> None:
    """'Kempston is not available': the proposal cannot use it, today's cost still includes it."""
    path = write_variant(tmp_path, '[sites]\nexclude = ["kempston"]\n')
    excluded = solve(load_instance(path), method="enumerate")
    full = solve(load_instance(INSTANCES / "toy.toml"), method="enumerate")
    assert excluded.solution is not None and full.solution is not None
    assert "kempston" not in excluded.solution.site_ids
    assert excluded.baseline_gbp == full.baseline_gbp
    assert excluded.solution.objective_gbp >= full.solution.objective_gbp


def test_a_greedy_staff_matching_is_labelled_an_upper_bound_everywhere(
    run_cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kent and Essex (two rooms) with the transport forced greedy and unproven: the result's
    typed field, solution.json, the report and the console all call its one-off an upper bound.
    """
    from siteopt.costs import transition

    exact = solve(load_instance(INSTANCES / "kent-essex.toml")).solution
    assert exact is not None and len(exact.sites) == 2
    assert exact.staff_impact.transition_one_off_basis == "optimal"
    assert exact.staff_impact.transition_one_off_lower_gbp is None
    monkeypatch.setattr(transition, "_MAX_LP_OFFERS", 0)  # too many offers for the LP
    monkeypatch.setattr(transition, "_PROVEN_GBP", -1.0)  # and the greedy matching unproven
    with warnings.catch_warnings():  # shown by the CLI as one line on stderr
        warnings.simplefilter("default", transition.TransportWarning)
        done = run_cli(
            "solve", str(INSTANCES / "kent-essex.toml"), "--out", str(tmp_path / "out"),
            "--format", "json,md",
        )  # fmt: skip
    assert done.code == 0, done.err
    assert "offers made greedily, so its one-off cost" in done.err  # the warning line
    impact = json.loads((tmp_path / "out" / "solution.json").read_text())["staff_impact"]
    assert impact["transition_one_off_basis"] == "upper_bound"
    lower, upper = impact["transition_one_off_lower_gbp"], impact["transition_one_off_gbp"]
    assert lower is not None
    # the bound brackets the LP's optimum (its £1 an offer tie-break aside)
    assert lower <= exact.staff_impact.transition_one_off_gbp + 0.01 <= upper + 0.02
    report = (tmp_path / "out" / "report.md").read_text()
    assert "upper bound, greedy matching" in report  # the staff table's row
    assert "is an upper bound: today's staff were matched to the new posts greedily" in report
    assert "is an upper bound" in done.out  # the console

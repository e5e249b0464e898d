"""Tests for siteopt/optimise/result.py: the typed result and the JSON output contract.

``Solution`` and ``Result`` round-trip exactly through plain data; the contract is the flat
object ``siteopt solve --json`` prints, versioned and described by the published JSON Schema
``docs/solution.schema.json`` (generated from the typed objects); reading a malformed document
names the field at fault.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siteopt.errors import ContractError, InstanceError
from siteopt.instance.loading import load_instance
from siteopt.optimise.allocation import Allocation, ForceTransition, RoomAllocation
from siteopt.optimise.result import (
    SCHEMA_VERSION,
    Infeasibility,
    Relaxation,
    Result,
    SizeRecord,
    SolverStatistics,
    contract_schema,
    contract_schema_text,
    read_result,
)
from siteopt.optimise.solution import (
    ConstraintResult,
    OptionSummary,
    SiteResult,
    Solution,
    StaffImpact,
    SurfacePoint,
)
from siteopt.optimise.solve import solve
from siteopt.status import Status
from tests.conftest import INSTANCES, REPO, CliResult, write_rooms_apart

jsonschema = pytest.importorskip("jsonschema")

SCHEMA_FILE = REPO / "docs" / "solution.schema.json"

# ---------------------------------------------------------------------------------------------
# Strategies: any typed plan or result (finite numbers, text without lone surrogates)

characters = st.characters(exclude_categories=["Cs"])
text = st.text(characters, max_size=12)
names = st.text(characters, min_size=1, max_size=8)
money = st.floats(-1e10, 1e10, allow_nan=False)
maybe = st.none() | st.floats(-1e6, 1e6, allow_nan=False)
counts = st.integers(0, 10_000)


def tuples(of: st.SearchStrategy[Any], most: int = 4) -> st.SearchStrategy[tuple[Any, ...]]:
    return st.lists(of, max_size=most).map(tuple)


sites = st.builds(
    SiteResult, id=names, name=text, force_area=names, fte=money, seats=counts,
    existing_seats=counts, peak_agents=counts, forces_served=tuples(names),
    agents=tuples(counts, 24),
)  # fmt: skip
constraints = st.builds(
    ConstraintResult, name=names, type=names, value=maybe, limit=maybe, holds=st.booleans(),
    detail=text,
)  # fmt: skip
impacts = st.builds(
    StaffImpact, staff_today_fte=money, posts_fte=money, retained_share=money,
    leavers_fte=money, redundancies_fte=money, recruits_fte=money,
    median_extra_minutes=maybe, p90_extra_minutes=maybe, transition_one_off_gbp=money,
    transition_gbp=money, priced_transition_gbp=money,
)  # fmt: skip
by_name = st.dictionaries(names, money, max_size=3)
allocations = st.builds(
    Allocation,
    rooms=tuples(st.builds(
        RoomAllocation, site=names, forces=tuples(names), shared=st.booleans(),
        interval_share=tuples(money, 24), calls_by_force=by_name, calls_per_year=money,
        call_share=money, posts_fte=money, functions_fte=money, movers_fte=money,
        movers_by_force=by_name, recruits_fte=money,
    )),
    forces=tuples(st.builds(
        ForceTransition, force=names, staff_fte=money, movers_by_room=by_name,
        leavers_fte=money, surplus_fte=money,
    )),
)  # fmt: skip
costs = st.dictionaries(names, money, max_size=6)
routings = st.sampled_from(["pooled", "by_force"])
solutions = st.builds(
    Solution, objective_gbp=money, sites=tuples(sites), routing=routings, costs=costs,
    saving_gbp=money, one_off_gbp=money, payback_years=maybe, recurring_saving_gbp=money,
    constraints=tuples(constraints), staff_impact=impacts, allocation=allocations,
)  # fmt: skip
options = st.builds(
    OptionSummary, sites=tuples(names), routing=routings, total_gbp=money, costs=costs,
    feasible=st.booleans(), failed=tuples(names),
)  # fmt: skip
surface = st.builds(
    SurfacePoint, id=names, name=text, easting=money, northing=money, total_gbp=money,
    feasible=st.booleans(), greenfield=st.booleans(),
)  # fmt: skip
seconds = st.floats(0, 1e4)
explanations = st.builds(
    Infeasibility, conflict=tuples(names),
    relaxations=tuples(st.builds(Relaxation, constraint=names, best_sites=tuples(names),
                                 best_total_gbp=money, value=maybe, limit=maybe, detail=text)),
)  # fmt: skip
statistics = st.one_of(
    st.builds(SolverStatistics, name=st.just("enumeration"), wall_s=seconds,
              site_sets_priced=counts),
    st.builds(SolverStatistics, name=st.just("cp-sat"), wall_s=seconds, cp_sat_s=seconds,
              gap=st.none() | st.floats(0, 1), enumeration_agrees=st.booleans()),
    st.builds(SolverStatistics, name=st.just("cp-sat by size"), wall_s=seconds,
              gap=st.none() | st.floats(0, 1),
              sizes=tuples(st.builds(SizeRecord, k=st.integers(1, 9),
                                     settled_by=st.sampled_from(["enumeration", "bound",
                                                                 "cp-sat", "closed"]),
                                     proved=st.booleans(), bound=st.none() | counts))),
)  # fmt: skip


@st.composite
def results(draw: st.DrawFn) -> Result:
    """A result whose status fits whether it has a plan."""
    status = draw(st.sampled_from(list(Status)))
    return Result(
        instance_name=draw(text),
        status=status,
        solution=draw(solutions) if status.found else None,
        best_bound_gbp=draw(st.none() | money),
        infeasibility=draw(st.none() | explanations) if status is Status.INFEASIBLE else None,
        statistics=draw(statistics),
        baseline_gbp=draw(money),
        baseline_costs=draw(costs),
        alternatives=draw(tuples(options)),
        travel_times=draw(text),
        cost_surface=draw(tuples(surface)),
    )


# ---------------------------------------------------------------------------------------------
# Round trips


@settings(max_examples=150, deadline=None)
@given(solution=solutions)
def test_solution_round_trips_exactly_through_plain_data_and_json(solution: Solution) -> None:
    """``Solution.from_dict(s.to_dict()) == s``, also after a JSON text in between."""
    plain = solution.to_dict()
    assert Solution.from_dict(plain) == solution
    assert Solution.from_dict(json.loads(json.dumps(plain))) == solution


@settings(max_examples=100, deadline=None)
@given(result=results())
def test_result_round_trips_through_the_contract(result: Result) -> None:
    """``Result.from_dict(r.to_dict()) == r``; the document validates against the schema."""
    document = json.loads(json.dumps(result.to_dict()))
    assert Result.from_dict(document) == result
    jsonschema.validate(document, contract_schema())


@pytest.fixture(scope="module")
def toy_result() -> Result:
    """The toy instance solved by enumeration."""
    return solve(load_instance(INSTANCES / "toy.toml"), method="enumerate")


def test_a_solved_result_round_trips_and_keeps_the_contract_flat(toy_result: Result) -> None:
    """The contract's keys in order: schema_version first, the plan's fields at top level."""
    document = toy_result.to_dict()
    assert list(document)[:3] == ["schema_version", "instance", "status"]
    assert document["schema_version"] == SCHEMA_VERSION
    assert document["status"] == "OPTIMAL" and document["proved_optimal"] is True
    assert toy_result.solution is not None
    assert document["objective_gbp"] == toy_result.solution.objective_gbp
    assert document["sites"][0]["id"] == toy_result.solution.sites[0].id
    assert document["solver"] == {
        "name": "enumeration",
        "wall_s": toy_result.statistics.wall_s,
        "site_sets_priced": toy_result.statistics.site_sets_priced,
    }
    assert "infeasibility" not in document and "instance_file" not in document
    back = Result.from_dict(document)
    assert back == toy_result
    assert back.instance is None and back.problem is None  # not part of the JSON
    assert toy_result.gap == 0.0 and toy_result.proved_optimal


def test_an_infeasible_result_writes_empty_plan_fields_and_its_explanation(
    tmp_path: Path,
) -> None:
    """No plan: nulls and empty lists where the plan would be, plus ``infeasibility``."""
    path = write_rooms_apart(tmp_path)
    result = solve(load_instance(path), method="enumerate")
    document = result.to_dict()
    assert (document["status"], document["objective_gbp"], document["sites"]) == (
        "INFEASIBLE", None, []
    )  # fmt: skip
    assert (document["costs"], document["staff_impact"], document["constraints"]) == ({}, None, [])
    assert document["infeasibility"]["conflict"] == ["separation"]
    assert list(document)[-1] == "infeasibility"
    assert Result.from_dict(document) == result
    assert result.gap is None


def test_statistics_write_only_their_solver_s_keys() -> None:
    """Each method's ``solver`` object has its own keys, in the contract's order."""
    by_size = SolverStatistics(
        name="cp-sat by size", wall_s=1.5, gap=0.01, sizes=(SizeRecord(3, "cp-sat", False, 7),)
    )
    assert by_size.to_dict() == {
        "name": "cp-sat by size",
        "gap": 0.01,
        "sizes": [
            {"k": 3, "settled_by": "cp-sat", "proved": False, "bound": 7, "cost": None, "sites": []}
        ],
        "wall_s": 1.5,
    }
    cp_sat = SolverStatistics(
        name="cp-sat", wall_s=1.0, cp_sat_s=0.5, gap=None, enumeration_agrees=True
    )
    assert list(cp_sat.to_dict()) == ["name", "cp_sat_s", "gap", "enumeration_agrees", "wall_s"]
    with pytest.raises(ContractError, match=r"solver: unexpected keys \['sizes'\]"):
        SolverStatistics.from_dict(cp_sat.to_dict() | {"sizes": []})
    with pytest.raises(ContractError, match=r"^solver\.gap: missing"):
        SolverStatistics.from_dict({k: v for k, v in cp_sat.to_dict().items() if k != "gap"})


def test_a_feasible_result_carries_its_gap_next_to_the_status(toy_result: Result) -> None:
    """A plan without a proof: FEASIBLE, the solver's gap, ``proved_optimal`` false."""
    unproven = replace(
        toy_result,
        status=Status.FEASIBLE,
        statistics=SolverStatistics(name="cp-sat by size", wall_s=1.0, gap=0.0125),
    )
    assert unproven.gap == 0.0125 and not unproven.proved_optimal
    document = unproven.to_dict()
    assert (document["status"], document["proved_optimal"]) == ("FEASIBLE", False)
    assert document["solver"]["gap"] == 0.0125
    assert Result.from_dict(document) == unproven


def test_a_status_that_does_not_fit_the_plan_is_refused(toy_result: Result) -> None:
    """OPTIMAL without a plan, or INFEASIBLE with one, cannot be built or read."""
    with pytest.raises(ValueError, match="status INFEASIBLE with a solution"):
        replace(toy_result, status=Status.INFEASIBLE)
    document = toy_result.to_dict() | {"status": "INFEASIBLE", "proved_optimal": False}
    with pytest.raises(ContractError, match="status: INFEASIBLE does not fit a solution"):
        Result.from_dict(document)


# ---------------------------------------------------------------------------------------------
# Reading a malformed document names the field


MALFORMED: list[tuple[Callable[[dict[str, Any]], object], str]] = [
    (lambda d: d.pop("sites"), r"^sites: missing"),
    (lambda d: d["sites"][0].update(fte="12"),
     r"^sites\.0\.fte: input should be a valid number, got \"12\""),
    (lambda d: d["sites"][0].pop("agents"), r"^sites\.0\.agents: missing"),
    (lambda d: d.update(status="DONE"), r"^status: input should be 'OPTIMAL', .*got \"DONE\""),
    (lambda d: d.update(proved_optimal=False),
     r"^proved_optimal: expected true with status OPTIMAL"),
    (lambda d: d.update(schema_version=3), r"^schema_version: expected 2 .*got 3"),
    (lambda d: d.update(schema_version=1), r"^schema_version: expected 2 .*got 1"),
    (lambda d: d["solver"].update(name="guess"),
     r"^solver\.name: input should be 'enumeration'"),
    (lambda d: d.update(alternatives={}), r"^alternatives: input should be a valid array"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "message"), MALFORMED)
def test_a_malformed_document_names_the_field_at_fault(
    toy_result: Result, change: Callable[[dict[str, Any]], object], message: str
) -> None:
    """One error naming the dotted field path and what was expected."""
    document = json.loads(json.dumps(toy_result.to_dict()))
    change(document)
    with pytest.raises(ContractError, match=message):
        Result.from_dict(document)


def test_a_document_from_before_schema_version_is_refused_as_version_1(
    toy_result: Result,
) -> None:
    """solution.json files written before the field existed are version 1 (no allocation)."""
    document = toy_result.to_dict()
    del document["schema_version"]
    with pytest.raises(ContractError, match=r"^schema_version: expected 2 .*got 1"):
        Result.from_dict(document)


# ---------------------------------------------------------------------------------------------
# Files


def test_read_result_finds_the_instance_relative_to_the_file(
    toy_result: Result, tmp_path: Path
) -> None:
    """``instance_file`` (written relative to the folder) brings the instance back."""
    folder = tmp_path / "run"
    folder.mkdir()
    document = toy_result.to_dict(relative_to=folder)
    assert not Path(document["instance_file"]).is_absolute()
    (folder / "solution.json").write_text(json.dumps(document), encoding="utf-8")
    read = read_result(folder / "solution.json")
    assert read == toy_result
    assert read.instance is not None and read.instance.name == toy_result.instance_name


def test_read_result_errors_name_the_file_and_the_field(toy_result: Result, tmp_path: Path) -> None:
    """Missing file, invalid JSON, a malformed field, an unknown site: one line each."""
    with pytest.raises(InstanceError, match=r"nope\.json: not found; expected a solution\.json"):
        read_result(tmp_path / "nope.json")
    with pytest.raises(InstanceError, match=r": a folder; expected a solution\.json"):
        read_result(tmp_path)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(InstanceError, match=r"bad\.json: not valid JSON"):
        read_result(bad)
    document = toy_result.to_dict()
    document["baseline_gbp"] = "a lot"
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(InstanceError, match=r"broken\.json: baseline_gbp: input should be"):
        read_result(broken)
    stranger = toy_result.to_dict()
    stranger["sites"][0]["id"] = "atlantis"
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text(json.dumps(stranger), encoding="utf-8")
    with pytest.raises(InstanceError, match=r"elsewhere\.json: instance_file: expected"):
        read_result(elsewhere)
    instance = load_instance(INSTANCES / "toy.toml")
    with pytest.raises(InstanceError, match=r"sites\.0\.id: site 'atlantis' is not a candidate"):
        read_result(elsewhere, instance=instance)


@pytest.mark.parametrize(
    ("path", "value", "phrase"),
    [
        ("sites.0.seats", -5, "expected a count from 0"),
        ("sites.0.fte", 1e30, "expected a count from 0"),
        ("sites.0.agents", [4, 4, 4], "expected 168 intervals of the week, got 3"),
        ("sites.0.agents.7", -1, "expected a count from 0"),
        ("objective_gbp", -1e9, "expected £0 to"),
        ("costs.staff", -1.0, "expected £0 to"),
    ],
)
def test_read_result_refuses_values_that_keep_the_type_but_cannot_be(
    toy_result: Result, tmp_path: Path, path: str, value: object, phrase: str
) -> None:
    """Negative seats, a short agents row, negative costs were accepted with exit 0 (#16 9)."""
    document = toy_result.to_dict()
    *parents, last = path.split(".")
    node: Any = document
    for key in parents:
        node = node[int(key)] if key.isdigit() else node[key]
    node[int(last) if last.isdigit() else last] = value
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(document), encoding="utf-8")
    instance = load_instance(INSTANCES / "toy.toml")
    with pytest.raises(InstanceError) as err:
        read_result(edited, instance=instance)
    assert err.value.path == path
    assert phrase in err.value.message


# ---------------------------------------------------------------------------------------------
# The published JSON Schema


def test_the_published_schema_is_the_generated_one() -> None:
    """docs/solution.schema.json is contract_schema() (regenerate it when the types change)."""
    assert SCHEMA_FILE.read_text(encoding="utf-8") == contract_schema_text(), (
        "docs/solution.schema.json is stale: regenerate it with contract_schema_text() "
        "(see its docstring) and raise SCHEMA_VERSION if the contract changed"
    )
    jsonschema.Draft202012Validator.check_schema(json.loads(SCHEMA_FILE.read_text()))


def test_the_schema_rejects_an_extra_key_and_a_wrong_type(toy_result: Result) -> None:
    """The schema is strict enough to catch a renamed key or a string where £ belong."""
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    document = json.loads(json.dumps(toy_result.to_dict()))
    jsonschema.validate(document, schema)
    with pytest.raises(jsonschema.ValidationError, match="Additional properties"):
        jsonschema.validate(document | {"objective": 1.0}, schema)
    with pytest.raises(jsonschema.ValidationError, match="'sizes' is not one of"):
        jsonschema.validate(document | {"solver": document["solver"] | {"sizes": []}}, schema)
    with pytest.raises(jsonschema.ValidationError, match="'site_sets_priced' is a required"):
        jsonschema.validate(document | {"solver": {"name": "enumeration", "wall_s": 1.0}}, schema)
    document["sites"][0]["fte"] = "12"
    with pytest.raises(jsonschema.ValidationError, match="is not of type 'number'"):
        jsonschema.validate(document, schema)


def test_cli_json_and_written_solution_json_validate_against_the_schema(
    run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    """What `siteopt solve --json` prints and what `--out` writes follow the published schema."""
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    out = tmp_path / "out"
    result = run_cli(
        "solve", str(INSTANCES / "toy.toml"), "--json", "--out", str(out), "--format", "json"
    )
    assert result.code == 0, result.err
    printed = json.loads(result.out)
    written = json.loads((out / "solution.json").read_text(encoding="utf-8"))
    assert printed == written
    for document in (printed, written):
        jsonschema.validate(document, schema)
    assert written["instance_file"].endswith("toy.toml")

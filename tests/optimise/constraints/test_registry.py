"""The constraint contract: the registry is the only list of types, and a new type is one class.

A test-only type (:class:`MustOpen`, never registered in the package) is added to problems and
to a registry here; every solver, the size bounds and the reports handle it without a change
elsewhere, and agree with each other to the unit as they do for the shipped types.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Self

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siteopt.errors import InstanceError
from siteopt.instance.constraints import CONSTRAINT_TYPES, ConstraintSpecBase
from siteopt.instance.figures import Figure, Identifier, NonNegative
from siteopt.instance.loading import load_instance
from siteopt.optimise import constraints as package
from siteopt.optimise.arrays import BoolArray, ProblemArrays
from siteopt.optimise.bounds import size_lower_bounds
from siteopt.optimise.build import problem_from_instance, travel_inputs
from siteopt.optimise.constraints import (
    REGISTRY,
    CompileContext,
    Constraint,
    ConstraintResult,
    ModelContext,
    SiteSets,
    compile_constraints,
    constraint_results,
)
from siteopt.optimise.constraints.base import spec_as
from siteopt.optimise.option import Option
from siteopt.optimise.options import best_options
from siteopt.optimise.problem import MONEY_UNITS_PER_GBP, ProblemData
from siteopt.optimise.search import solve_by_size, solve_cp_sat
from siteopt.status import Status
from tests.conftest import INSTANCES, REPO
from tests.optimise.test_cpsat import (
    KINDS,
    ROUTINGS,
    assert_matches_enumerator,
    random_constraints,
    random_problem,
)
from tests.optimise.test_options import assert_table_matches_reference

if TYPE_CHECKING:
    from ortools.sat.python import cp_model


class MustOpenSpec(ConstraintSpecBase):
    """Test-only table: ``site`` is open, and each room beyond the first pays ``levy_gbp``."""

    type: Literal["must_open"]
    site: Identifier
    levy_gbp: Figure[NonNegative]

    def site_refs(self) -> dict[tuple[str, ...], str]:
        """The site that must open."""
        return {("site",): self.site}


@dataclass(frozen=True, eq=False)
class MustOpen(Constraint):
    """Test-only type: site ``site`` is open; every open room beyond the first costs ``levy``."""

    kind = "must_open"
    site: int
    levy: int

    @classmethod
    def from_spec(cls, name: str, spec: ConstraintSpecBase, context: CompileContext) -> Self:
        """The site's index among the candidates, the levy in money units."""
        table = spec_as(spec, MustOpenSpec)
        levy = round(table.levy_gbp.value * MONEY_UNITS_PER_GBP)
        return cls(name, context.candidates.index(table.site), levy)

    def holds(self, problem: ProblemArrays, option: Option) -> bool:
        """The site is among the open ones."""
        return self.site in option.sites

    def sites_hold(self, problem: ProblemArrays, sites: SiteSets) -> BoolArray:
        """The site is one of each set's."""
        hits = [column == self.site for column in sites.columns()]
        return np.asarray(np.logical_or.reduce(hits), dtype=np.bool_)

    def standby_cost(self, problem: ProblemArrays, k: int) -> int:
        """The levy on each room beyond the first."""
        return self.levy * (k - 1)

    def add_to_model(
        self, problem: ProblemArrays, model: ModelContext, enforce: Sequence[cp_model.IntVar]
    ) -> None:
        """The site's open literal is 1."""
        model.cp.add(model.open_[self.site] == 1).only_enforce_if(enforce)

    def describe(self, problem: ProblemArrays, option: Option, *, holds: bool) -> ConstraintResult:
        """1 when the site is open."""
        return self.result(float(self.site in option.sites), 1.0, holds, "the site is open")


def test_the_registry_lists_every_instance_type_once() -> None:
    """One class per instance ``type``, named by its own ``kind``."""
    assert set(REGISTRY) == CONSTRAINT_TYPES
    for kind, cls in REGISTRY.items():
        assert cls.kind == kind
        assert issubclass(cls, Constraint)
    assert len(set(REGISTRY.values())) == len(REGISTRY)


def _constraint_class_names() -> set[str]:
    """Concrete constraint classes and instance tables of every type."""
    tables = {cls.__name__ for cls in ConstraintSpecBase.__subclasses__()}
    return {cls.__name__ for cls in REGISTRY.values()} | tables


def _isinstance_targets(tree: ast.AST) -> set[str]:
    """Class names tested by ``isinstance`` / ``issubclass`` anywhere in a module."""
    names: set[str] = set()
    for node in ast.walk(tree):
        call = node if isinstance(node, ast.Call) else None
        if call is None or not isinstance(call.func, ast.Name):
            continue
        if call.func.id in {"isinstance", "issubclass"} and len(call.args) == 2:
            names |= {n.id for n in ast.walk(call.args[1]) if isinstance(n, ast.Name)}
            names |= {n.attr for n in ast.walk(call.args[1]) if isinstance(n, ast.Attribute)}
    return names


def test_no_module_outside_the_constraint_modules_switches_on_a_type() -> None:
    """No ``isinstance`` over constraint classes (or their tables), nor an import of one.

    The solvers, bounds, build and reports only call :class:`Constraint` methods; the concrete
    classes are named only in their own modules and the registry.
    """
    concrete = _constraint_class_names()
    owners = {REPO / "siteopt/instance/constraints.py"}
    owners |= set((REPO / "siteopt/optimise/constraints").glob("*.py"))
    offenders = []
    for path in sorted((REPO / "siteopt").rglob("*.py")):
        if path in owners:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if switched := _isinstance_targets(tree) & concrete:
            offenders.append(f"{path.relative_to(REPO)}: isinstance over {sorted(switched)}")
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom):
                continue
            ours = (node.module or "").startswith("siteopt.optimise.constraints")
            if ours and (named := {a.name for a in node.names} & concrete):
                offenders.append(f"{path.relative_to(REPO)}: imports {sorted(named)}")
    assert offenders == []


def test_the_scan_finds_a_switch() -> None:
    """The scan above is not vacuous: it flags a module that switches on a type."""
    tree = ast.parse("def f(c):\n    return isinstance(c, (Absorb, x.Fallback))\n")
    assert _isinstance_targets(tree) & _constraint_class_names() == {"Absorb", "Fallback"}


@st.composite
def problems_with_a_new_type(draw: st.DrawFn) -> ProblemData:
    """Random problems with some shipped constraints and the test-only type."""
    seed = draw(st.integers(0, 2**32 - 1))
    kinds = draw(st.sets(st.sampled_from(KINDS)))
    rng = np.random.default_rng(seed)
    problem = random_problem(
        rng,
        routings=draw(st.sampled_from(ROUTINGS)),
        k_min=draw(st.integers(1, 2)),
        k_max=draw(st.integers(2, 3)),
    )
    must = MustOpen("must", int(rng.integers(problem.n_sites)), int(rng.integers(0, 400)))
    return replace(problem, constraints=(*random_constraints(rng, problem, kinds), must))


@settings(max_examples=120, deadline=None)
@given(problem=problems_with_a_new_type())
def test_a_new_type_needs_only_its_class(problem: ProblemData) -> None:
    """Table, reference, CP-SAT, size bounds and search agree with a type they never saw."""
    small = replace(problem, k_max=min(problem.k_max, 2))
    assert_table_matches_reference(small)
    assert_matches_enumerator(small, solve_cp_sat(small, workers=1))
    whole = solve_cp_sat(problem, workers=1)
    result, _ = solve_by_size(problem, workers=1)
    assert result.objective == whole.objective
    if whole.option is not None:
        must = problem.constraints[-1]
        assert isinstance(must, MustOpen)
        assert must.site in whole.option.sites
        assert whole.option.costs["standby"] >= must.levy * (len(whole.option.sites) - 1)
        bounds = size_lower_bounds(problem)
        bound = bounds[len(whole.option.sites)]
        assert bound is not None
        assert bound <= whole.option.total
        (*_, shown) = constraint_results(problem, whole.option)
        assert (shown.type, shown.value, shown.holds) == ("must_open", 1.0, True)


def test_a_new_type_compiles_from_its_table_through_a_registry() -> None:
    """The builder only knows the registry: without the type it names the table, with it works."""
    toy = load_instance(INSTANCES / "toy.toml")
    table = MustOpenSpec.model_validate(
        {"type": "must_open", "site": "welwyn", "levy_gbp": {"value": 5, "assumption": "test"}}
    )
    variant = toy.model_copy(update={"constraints": {"must": table}})
    with pytest.raises(InstanceError, match="no constraint class for type 'must_open'") as info:
        problem_from_instance(variant)
    assert info.value.path == "constraints.must.type"
    travel = travel_inputs(toy)
    assert travel.site_minutes is not None  # a few candidates: the dense matrix
    context = CompileContext(
        instance=variant,
        network=travel.network,
        candidates=travel.candidates,
        population=travel.populations[:, 0],
        home_minutes=travel.home_minutes,
        site_minutes=travel.site_minutes,
        staff_fte=np.ones(len(toy.forces)),
        peak_positions=10,
        max_seats=np.full(len(travel.candidates), 40, dtype=np.int64),
    )
    (must,) = compile_constraints(context, registry={**REGISTRY, "must_open": MustOpen})
    assert isinstance(must, MustOpen)
    assert (must.name, must.site, must.levy) == ("must", 2, 5 * MONEY_UNITS_PER_GBP)


def test_every_shipped_type_compiles_from_an_instance_file(tmp_path: Path) -> None:
    """One table of each type on the toy: compiled in the file's order, solved, described."""
    variant = tmp_path / "all.toml"
    variant.write_text(
        f'extends = "{(INSTANCES / "toy.toml").as_posix()}"\n'
        "[constraints.people]\n"
        'type = "population_within"\n'
        'max_minutes = { value = 90, assumption = "t" }\n'
        'min_share = { value = 0.5, assumption = "t" }\n'
        "[constraints.centres]\n"
        'type = "force_centre_within"\n'
        'forces = ["bedfordshire"]\n'
        'max_minutes = { value = 90, assumption = "t" }\n'
        "[constraints.pool]\n"
        'type = "recruitment_pool"\n'
        'max_minutes = { value = 45, assumption = "t" }\n'
        'min_people = { value = 1000, assumption = "t" }\n'
        'working_age_share = { value = 0.6, assumption = "t" }\n'
        "[constraints.absorb]\n"
        'type = "absorb_load"\n'
        'min_share = { value = 0.5, assumption = "t" }\n'
        "[constraints.fallback]\n"
        'type = "fallback"\n'
        'max_minutes = { value = 60, assumption = "t" }\n'
        'min_share = { value = 0.5, assumption = "t" }\n'
        'standby_cost_gbp = { value = 1000, assumption = "t" }\n'
        "[constraints.share]\n"
        'type = "min_call_share"\n'
        'min_share = { value = 0.2, assumption = "t" }\n',
        encoding="utf-8",
    )
    instance = load_instance(variant)
    problem = problem_from_instance(instance)
    assert [c.name for c in problem.constraints] == list(instance.constraints)
    assert {c.kind for c in problem.constraints} == CONSTRAINT_TYPES
    best = best_options(problem, n=1)[0]
    results = constraint_results(problem, best)
    assert [r.type for r in results] == [c.kind for c in problem.constraints]
    assert all(r.holds for r in results) == best.feasible
    result = solve_cp_sat(problem, workers=1)
    assert result.status is Status.OPTIMAL
    assert result.objective == best.total


def test_the_package_exports_the_contract() -> None:
    """What other stages may use: the base, its contexts, the registry and the helpers."""
    for name in ("Constraint", "ConstraintResult", "REGISTRY", "compile_constraints"):
        assert name in package.__all__

"""The optimisation's constraints: one class per type, one module per class.

Each type derives from :class:`~siteopt.optimise.constraints.base.Constraint` and knows how to
compile itself from its instance table, evaluate itself (one option, or vectorised over site
sets), price what it adds (seats, agents, standby), add itself to the CP-SAT model and describe
itself in reports. :data:`REGISTRY` maps each instance ``type`` to its class, and is the only
list of types in the optimiser: the solvers, the bounds and the reports only call the methods.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from siteopt.errors import InstanceError
from siteopt.optimise.constraints.absorb import Absorb
from siteopt.optimise.constraints.base import (
    CompileContext,
    Constraint,
    ConstraintResult,
    CoverRule,
    ModelContext,
    SeparationForm,
    SiteSets,
)
from siteopt.optimise.constraints.fallback import Fallback
from siteopt.optimise.constraints.force_reach import ForceReach
from siteopt.optimise.constraints.min_call_share import MinCallShare
from siteopt.optimise.constraints.population_cover import PopulationCover
from siteopt.optimise.constraints.recruitment_pool import SiteFilter
from siteopt.optimise.constraints.separation import Separation
from siteopt.optimise.constraints.staff_commute import StaffCommute

if TYPE_CHECKING:
    from siteopt.optimise.arrays import ProblemArrays
    from siteopt.optimise.option import Option
    from siteopt.optimise.problem import ProblemData

__all__ = [
    "REGISTRY",
    "Absorb",
    "CompileContext",
    "Constraint",
    "ConstraintResult",
    "CoverRule",
    "Fallback",
    "ForceReach",
    "MinCallShare",
    "ModelContext",
    "PopulationCover",
    "Separation",
    "SeparationForm",
    "SiteFilter",
    "SiteSets",
    "StaffCommute",
    "compile_constraints",
    "constraint_results",
    "seat_floor",
    "split_holds",
    "standby_cost",
]


REGISTRY: Mapping[str, type[Constraint]] = MappingProxyType(
    {
        cls.kind: cls
        for cls in (
            StaffCommute,
            PopulationCover,
            ForceReach,
            SiteFilter,
            Separation,
            Absorb,
            Fallback,
            MinCallShare,
        )
    }
)
"""Instance ``type`` → constraint class: the one place that lists the types."""


def compile_constraints(
    context: CompileContext, *, registry: Mapping[str, type[Constraint]] = REGISTRY
) -> tuple[Constraint, ...]:
    """Compile each enabled constraint table of the context's instance, in the file's order.

    Raises
    ------
    InstanceError
        If a table's ``type`` has no class in ``registry``.
    """
    instance = context.instance
    out: list[Constraint] = []
    for name, spec in instance.constraints.items():
        if not spec.enabled:
            continue
        cls = registry.get(spec.type)
        if cls is None:
            known = ", ".join(sorted(registry))
            msg = f"no constraint class for type {spec.type!r} (expected one of: {known})"
            raise InstanceError(instance.file, f"constraints.{name}.type", msg)
        out.append(cls.from_spec(name, spec, context))
    return tuple(out)


def constraint_results(problem: ProblemData, option: Option) -> tuple[ConstraintResult, ...]:
    """Each named constraint on an option: its value against its limit, and whether it holds."""
    return tuple(
        c.describe(problem, option, holds=c.name not in option.failed) for c in problem.constraints
    )


def seat_floor(constraints: Iterable[Constraint], problem: ProblemArrays, k: int) -> int:
    """Seats each of ``k`` open rooms must have under ``constraints`` (the largest floor)."""
    return max((c.seat_floor(problem, k) for c in constraints), default=0)


def standby_cost(constraints: Iterable[Constraint], problem: ProblemArrays, k: int) -> int:
    """Money a year ``constraints`` charge an option with ``k`` open rooms."""
    return sum(c.standby_cost(problem, k) for c in constraints)


def split_holds(
    constraints: Iterable[Constraint],
    problem: ProblemArrays,
    k: int,
    groups: tuple[int, ...] | None,
) -> bool:
    """Whether ``k`` rooms may share the calls this way under every constraint."""
    return all(c.split_holds(problem, k, groups) for c in constraints)

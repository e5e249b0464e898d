"""The constraint contract: what every constraint type knows about itself.

A constraint type is one class (one module of this package) that derives from
:class:`Constraint` and is listed in the registry (:data:`siteopt.optimise.constraints.REGISTRY`).
The solvers, the bounds and the reports only call these methods; none of them knows the types:

=========================  ======================================================================
method                     used by
=========================  ======================================================================
``from_spec``              the problem builder: compile the instance table per candidate site
``holds``                  the reference enumerator (one option, any number of sites)
``sites_hold``             the vectorised option table: rules of the open sites alone
``assignment_holds``       the option table: rules of where each force's staff go
``split_holds``            the option table and the size bounds: rules of how k rooms share calls
``seat_floor``             the pricing of seats (all solvers): seats each open room must have
``crew_floor``             the pricing of pooled agents (all solvers): agents per room and level
``standby_cost``           the cost of an option with k open rooms (all solvers)
``allowed_sites``          the size bounds: sites that may open at all
``add_to_model``           the CP-SAT model, under an enforcement literal (infeasibility cores)
``describe``               the reports: value against limit on the chosen option
=========================  ======================================================================

The defaults say "no rule of this kind", so a type overrides only what it uses. Every method
reads the same integers, so the enumerator, the option table and CP-SAT agree to the unit.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal, Self, TypeVar

import numpy as np

from siteopt.instance.constraints import ConstraintSpecBase
from siteopt.network.pairs import PairMinutes
from siteopt.optimise.arrays import BoolArray, FloatArray, IntArray, ProblemArrays
from siteopt.optimise.option import Option

if TYPE_CHECKING:
    from ortools.sat.python import cp_model

    from siteopt.instance.schema import Instance
    from siteopt.network.graph import RoadNetwork

__all__ = [
    "CompileContext",
    "Constraint",
    "ConstraintResult",
    "ModelContext",
    "SeparationForm",
    "SiteSets",
    "spec_as",
    "weighted_sum",
]


SeparationForm = Literal["pairwise", "per_site"]


SpecT = TypeVar("SpecT", bound=ConstraintSpecBase)


@dataclass(frozen=True)
class ConstraintResult:
    """One constraint on the chosen option: its value against its limit."""

    name: str
    type: str
    value: float | None
    limit: float | None
    holds: bool
    detail: str


@dataclass(frozen=True)
class CompileContext:
    """What compiling a constraint table may read, prepared once by the problem builder.

    Attributes
    ----------
    instance
        The instance (fields a type needs beyond these arrays, e.g. force ids, greenfield sites).
    network
        The road network (travel times a type needs beyond these matrices).
    candidates
        Candidate site ids, in the problem's order ``J``.
    population
        ``(Z,)`` people in each zone (LSOA) in the instance's population year.
    home_minutes
        ``(Z, J + F)`` drive minutes from each zone to each candidate, then to each force's
        room today.
    site_minutes
        ``(J, J)`` drive minutes between candidates, or the same served pair by pair
        (:class:`~siteopt.network.pairs.PairMinutes`: large candidate sets); read it through
        :attr:`site_pairs`.
    commute_minutes
        ``(Z, J + F)`` like ``home_minutes`` for staff commutes at shift change
        (``[network.congestion]``); ``None``: free-flow, :attr:`home_minutes`.
    staff_fte
        ``(F,)`` today's staff of each force (the model's FTE of its own room).
    peak_positions
        Peak agents of one room answering every call (``P*``).
    max_seats
        ``(J,)`` most positions each candidate building holds.
    """

    instance: Instance
    network: RoadNetwork
    candidates: tuple[str, ...]
    population: FloatArray
    home_minutes: FloatArray
    site_minutes: FloatArray | PairMinutes
    staff_fte: FloatArray
    peak_positions: int
    max_seats: IntArray
    commute_minutes: FloatArray | None = None

    @property
    def staff_minutes(self) -> FloatArray:
        """``(Z, J + F)`` drive minutes of staff commutes (congested when the instance says)."""
        return self.home_minutes if self.commute_minutes is None else self.commute_minutes

    @property
    def site_pairs(self) -> PairMinutes:
        """Drive minutes between candidates, asked for pair by pair or row by row."""
        if isinstance(self.site_minutes, PairMinutes):
            return self.site_minutes
        return PairMinutes.from_matrix(self.site_minutes)

    @property
    def candidate_minutes(self) -> FloatArray:
        """``(Z, J)`` drive minutes from each zone to each candidate."""
        return self.home_minutes[:, : len(self.candidates)]

    @property
    def room_columns(self) -> IntArray:
        """Columns of :attr:`home_minutes` that are today's rooms, one per force."""
        n = len(self.candidates)
        return np.arange(n, self.home_minutes.shape[1], dtype=np.int64)


@dataclass(frozen=True)
class SiteSets:
    """Many site sets of one size at once: single sites (``second`` is ``None``) or pairs."""

    first: IntArray
    second: IntArray | None = None

    @property
    def k(self) -> int:
        """Number of open sites in each set."""
        return 1 if self.second is None else 2

    def columns(self) -> list[IntArray]:
        """The site indices of each set, one array per position in the set."""
        return [self.first] if self.second is None else [self.first, self.second]


@dataclass(frozen=True)
class ModelContext:
    """The CP-SAT model and the decision variables a constraint adds itself to.

    Attributes
    ----------
    cp
        The model.
    open_
        ``y_j``: site ``j`` is open (either routing).
    pooled_open
        Site ``j`` is open with pooled routing (empty when pooled routing is not allowed).
    pooled_count, force_count
        ``k`` → literal "exactly ``k`` sites open", pooled and by force.
    one_open
        The literal "exactly one site open" (``None`` when one site is not allowed).
    groups
        ``(j, mask)`` → literal "room ``j`` answers exactly the forces of ``mask``" (by force).
    agents
        ``(j, v)`` → agents of pooled room ``j`` at pooled level ``v``.
    seats
        Seats of each site (0 when closed).
    assign_terms
        ``(literal, f, j)``: force ``f``'s staff go to site ``j`` when the literal is 1.
    separation
        How separation is written: one clause per conflicting pair, or one row per site.
    """

    cp: cp_model.CpModel
    open_: list[cp_model.IntVar]
    pooled_open: list[cp_model.IntVar]
    pooled_count: dict[int, cp_model.IntVar]
    force_count: dict[int, cp_model.IntVar]
    one_open: cp_model.IntVar | None
    groups: dict[tuple[int, int], cp_model.IntVar]
    agents: dict[tuple[int, int], cp_model.IntVar]
    seats: list[cp_model.IntVar]
    assign_terms: list[tuple[cp_model.IntVar, int, int]]
    separation: SeparationForm = "pairwise"


def weighted_sum(
    variables: Sequence[cp_model.IntVar], coefficients: Iterable[int] | IntArray
) -> cp_model.LinearExpr:
    """``Σ coefficient × variable`` as one CP-SAT expression (integer coefficients)."""
    from ortools.sat.python import cp_model  # noqa: PLC0415 (lazy: ortools is slow to import)

    return cp_model.LinearExpr.weighted_sum(list(variables), [int(c) for c in coefficients])


def spec_as(spec: ConstraintSpecBase, kind: type[SpecT]) -> SpecT:
    """Return ``spec`` as the instance table type a constraint class compiles from.

    Raises
    ------
    TypeError
        If the registry handed a constraint class another type's table.
    """
    if not isinstance(spec, kind):
        msg = f"expected a {kind.__name__} table, got {type(spec).__name__}"
        raise TypeError(msg)
    return spec


@dataclass(frozen=True)
class CoverRule:
    """``Σ_z weight_z [some site of zones[z] is open] ≥ required`` (a covering rule).

    ``zones``: the covering sites of each zone (zones with the same set aggregated, an exact
    aggregation); ``weights``: each zone's weight (people, or 1 per force).
    """

    required: int
    zones: tuple[tuple[int, ...], ...]
    weights: tuple[int, ...]


@dataclass(frozen=True, eq=False)
class Constraint(ABC):
    """A named constraint compiled for one problem (see the module docstring for the contract).

    ``kind`` is the instance table's ``type`` string; ``name`` its key in ``[constraints]``.
    For reports, ``value_kind`` says how :meth:`describe`'s value and limit read (``share``,
    ``minutes``, ``int``, ``text``) and ``at_most`` whether the value must stay at or below the
    limit (otherwise at or above it).
    """

    kind: ClassVar[str]
    value_kind: ClassVar[str] = "float"
    at_most: ClassVar[bool] = False
    name: str

    # -- compile ------------------------------------------------------------------------------

    @classmethod
    @abstractmethod
    def from_spec(cls, name: str, spec: ConstraintSpecBase, context: CompileContext) -> Self:
        """Compile the instance table ``spec`` (of this type) per candidate site."""

    # -- evaluate -----------------------------------------------------------------------------

    @abstractmethod
    def holds(self, problem: ProblemArrays, option: Option) -> bool:
        """Whether one priced option (any number of sites) meets the constraint (reference)."""

    def sites_hold(self, problem: ProblemArrays, sites: SiteSets) -> BoolArray | None:
        """Whether each site set may be open together (``None``: no rule on the sites alone)."""
        return None

    def assignment_holds(self, problem: ProblemArrays, assignment: IntArray) -> BoolArray | None:
        """Whether each row of ``assignment`` ``(N, F)`` (site of each force's staff) is allowed.

        ``None``: no rule on where staff go.
        """
        return None

    def split_holds(self, problem: ProblemArrays, k: int, groups: tuple[int, ...] | None) -> bool:
        """Whether ``k`` rooms may share the calls this way.

        ``groups``: by force, the force mask each room answers; ``None``: pooled (one room is
        always priced pooled).
        """
        return True

    # -- price --------------------------------------------------------------------------------

    def seat_floor(self, problem: ProblemArrays, k: int) -> int:
        """Seats each of ``k`` open rooms must have (0: no floor)."""
        return 0

    def crew_floor(self, problem: ProblemArrays, k: int) -> IntArray | None:
        """Agents each of ``k`` pooled rooms must staff at each pooled level (``None``: none).

        A floor that cannot fit (``k × floor > max(a[F, v], k m)``) is reported by
        :meth:`split_holds`; the option is then priced without the floors.
        """
        return None

    def standby_cost(self, problem: ProblemArrays, k: int) -> int:
        """Money a year an option with ``k`` open rooms pays because of this constraint."""
        return 0

    def allowed_sites(self, problem: ProblemArrays) -> BoolArray | None:
        """Sites that may open at all (``None``: every site), for the size bounds."""
        return None

    def with_drive_times(self, real: Callable[[FloatArray], FloatArray]) -> Self:
        """The constraint with the drive times it holds itself replaced by ``real(minutes)``.

        For a Monte-Carlo over drive-time error (:mod:`siteopt.optimise.robustness`): the times
        of the problem's matrices are perturbed there; a type that measured its own times on the
        network (force centres to sites: ``forces × candidates``) re-checks them here. Default:
        it holds none.
        """
        return self

    # -- relax --------------------------------------------------------------------------------

    def covers(self, problem: ProblemArrays) -> tuple[CoverRule, ...]:
        """Covering rules the constraint implies, for relaxations (``()``: none).

        Each says: the weight of the zones with an open covering site is at least
        ``required``. A relaxation may keep them (they are implied) or drop them.
        """
        return ()

    def conflicts(self, problem: ProblemArrays, k: int) -> IntArray | None:
        """``(P, 2)`` pairs of sites that may not both be open among ``k`` (``None``: none)."""
        return None

    # -- model --------------------------------------------------------------------------------

    @abstractmethod
    def add_to_model(
        self, problem: ProblemArrays, model: ModelContext, enforce: Sequence[cp_model.IntVar]
    ) -> None:
        """Add the constraint's rules to the CP-SAT model, enforced only when ``enforce`` holds.

        The model itself reads :meth:`standby_cost` (objective) and :meth:`seat_floor` (variable
        bounds, extracted seats); the rules behind them (``seats ≥ floor``, the per-level
        agents of :meth:`crew_floor`) go here, so that CP-SAT's feasible set is the one
        :meth:`holds` accepts.
        """

    # -- report -------------------------------------------------------------------------------

    @abstractmethod
    def describe(self, problem: ProblemArrays, option: Option, *, holds: bool) -> ConstraintResult:
        """The constraint's value on ``option`` against its limit (``holds`` as solved)."""

    def result(
        self, value: float | None, limit: float | None, holds: bool, detail: str
    ) -> ConstraintResult:
        """A :class:`ConstraintResult` of this constraint."""
        return ConstraintResult(self.name, self.kind, value, limit, holds, detail)

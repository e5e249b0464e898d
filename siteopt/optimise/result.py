"""The result of a solve, :class:`Result`, and the JSON output contract it reads and writes.

A :class:`Result` is one run: its :class:`~siteopt.status.Status` (with the proven gap), the
chosen plan (:class:`~siteopt.optimise.solution.Solution`, ``None`` when nothing was found),
why no plan exists (:class:`Infeasibility`), what the solver did (:class:`SolverStatistics`),
and the facts of the run that do not depend on the plan: today's rooms priced by the same model,
the ranked alternatives, how travel times were obtained and the single-site cost surface.

:meth:`Result.to_dict` is the JSON output contract of ``siteopt solve --json`` and
``solution.json``: one flat object, versioned by ``schema_version`` (:data:`SCHEMA_VERSION`);
:meth:`Result.from_dict` reads it back, :func:`contract_schema` is its JSON Schema
(``docs/solution.schema.json``) and :func:`read_result` reads a ``solution.json`` file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, get_type_hints

from siteopt.costs.appraisal import Appraisal
from siteopt.errors import ContractError, InstanceError
from siteopt.instance.loading import load_instance
from siteopt.optimise.plain import attribute_docs, from_plain, json_schema, plain_text, to_plain
from siteopt.optimise.robustness import Robustness
from siteopt.optimise.solution import OptionSummary, Solution, SurfacePoint
from siteopt.optimise.switching import SwitchingValues
from siteopt.status import Status

if TYPE_CHECKING:
    from siteopt.instance.schema import Instance
    from siteopt.optimise.problem import ProblemData

__all__ = [
    "SCHEMA_VERSION",
    "Infeasibility",
    "Relaxation",
    "Result",
    "SizeRecord",
    "SolverStatistics",
    "contract_schema",
    "contract_schema_text",
    "read_result",
]


#: Version of the JSON output contract. It changes whenever the contract does: a key added,
#: removed or renamed, a type, unit or meaning changed (``docs/outputs.md``).
SCHEMA_VERSION = 2


SolverName = Literal["enumeration", "cp-sat", "cp-sat by size"]


SettledBy = Literal["enumeration", "bound", "cp-sat", "relaxation", "closed"]


@dataclass(frozen=True)
class SizeRecord:
    """How the size-by-size search settled one number ``k`` of open sites.

    ``settled_by`` is ``"enumeration"``, ``"bound"``, ``"cp-sat"``, ``"relaxation"`` (a
    facility-location relaxation bounds it, a seeded local search finds its best plan: the
    national route) or ``"closed"`` (no feasible option of that size); ``bound`` is the proven
    lower bound (money units) on the cost of a better option of that size, ``None`` when none
    can exist. ``cost`` and ``sites``: the best plan found of that size (the "cost against
    number of rooms" curve, with ``(cost - bound) / cost`` its proven gap), when the search
    keeps one per size; ``None`` and ``()`` otherwise.
    """

    k: int
    settled_by: SettledBy
    proved: bool
    bound: int | None
    cost: int | None = None
    sites: tuple[str, ...] = ()


#: The keys of each solver's statistics in the contract, in order.
_STATISTICS_KEYS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "enumeration": ("name", "wall_s", "site_sets_priced"),
        "cp-sat": ("name", "cp_sat_s", "gap", "enumeration_agrees", "wall_s"),
        "cp-sat by size": ("name", "gap", "sizes", "wall_s"),
    }
)


@dataclass(frozen=True)
class SolverStatistics:
    """What the solver did.

    Attributes
    ----------
    name
        ``"enumeration"`` (every one- and two-site option priced), ``"cp-sat"`` (one CP-SAT
        model, cross-checked by the enumeration) or ``"cp-sat by size"`` (sizes settled one by
        one: enumeration, bounds, CP-SAT).
    wall_s
        Seconds of the whole solve (the enumeration included).
    gap
        CP-SAT methods: relative gap of the best option found, ``(cost - bound) / cost``;
        ``None`` when none was found.
    cp_sat_s
        ``"cp-sat"``: seconds of the CP-SAT model alone.
    enumeration_agrees
        ``"cp-sat"``: whether the enumeration's best cost equals CP-SAT's.
    sizes
        ``"cp-sat by size"``: how each number of open sites was settled.
    site_sets_priced
        ``"enumeration"``: how many sets of open sites were priced.
    """

    name: SolverName
    wall_s: float
    gap: float | None = None
    cp_sat_s: float | None = None
    enumeration_agrees: bool | None = None
    sizes: tuple[SizeRecord, ...] = ()
    site_sets_priced: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the statistics as the contract's ``solver`` object (only this solver's keys)."""
        plain = to_plain(self)
        return {key: plain[key] for key in _STATISTICS_KEYS[self.name]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, where: str = "solver") -> SolverStatistics:
        """Return the statistics :meth:`to_dict` wrote (``where``: the path in errors)."""
        read: SolverStatistics = from_plain(cls, dict(data), where=where)
        keys = _STATISTICS_KEYS[read.name]
        if unexpected := set(data) - set(keys):
            msg = f"unexpected keys {sorted(unexpected)} for solver {read.name!r}"
            raise ContractError(where, msg)
        for key in keys:
            if key not in data:
                raise ContractError(f"{where}.{key}", f"missing: solver {read.name!r} has it")
        return read


@dataclass(frozen=True)
class Relaxation:
    """What dropping one constraint of the conflict would buy.

    The cheapest option without ``constraint`` (its sites and cost a year), and its value
    against the constraint's limit: how far the constraint would have to move.
    """

    constraint: str
    best_sites: tuple[str, ...]
    best_total_gbp: float
    value: float | None
    limit: float | None
    detail: str


@dataclass(frozen=True)
class Infeasibility:
    """The smallest set of constraints that cannot hold together, and what relaxing each buys."""

    conflict: tuple[str, ...]
    relaxations: tuple[Relaxation, ...]


#: What the contract holds for each field of a :class:`Solution` when nothing was found.
NO_SOLUTION: Mapping[str, Any] = MappingProxyType(
    {
        "objective_gbp": None,
        "sites": [],
        "routing": None,
        "costs": {},
        "saving_gbp": None,
        "one_off_gbp": None,
        "payback_years": None,
        "recurring_saving_gbp": None,
        "constraints": [],
        "staff_impact": None,
        "allocation": None,
    }
)


#: The contract's keys in order: each names a field of the :class:`Result` (``result.``) or of
#: its :class:`Solution` (``solution.``), or a value derived from them.
CONTRACT_KEYS: tuple[tuple[str, str], ...] = (
    ("schema_version", "derived"),
    ("instance", "result.instance_name"),
    ("status", "result.status"),
    ("objective_gbp", "solution.objective_gbp"),
    ("best_bound_gbp", "result.best_bound_gbp"),
    ("proved_optimal", "derived"),
    ("sites", "solution.sites"),
    ("routing", "solution.routing"),
    ("costs", "solution.costs"),
    ("baseline_gbp", "result.baseline_gbp"),
    ("baseline_costs", "result.baseline_costs"),
    ("saving_gbp", "solution.saving_gbp"),
    ("one_off_gbp", "solution.one_off_gbp"),
    ("payback_years", "solution.payback_years"),
    ("constraints", "solution.constraints"),
    ("staff_impact", "solution.staff_impact"),
    ("allocation", "solution.allocation"),
    ("alternatives", "result.alternatives"),
    ("solver", "result.statistics"),
    ("travel_times", "result.travel_times"),
    ("cost_surface", "result.cost_surface"),
    ("recurring_saving_gbp", "solution.recurring_saving_gbp"),
    ("why_not", "result.why_not"),
    ("appraisal", "result.appraisal"),
    ("switching", "result.switching"),
    ("robustness", "result.robustness"),
    ("infeasibility", "result.infeasibility"),
)

#: Keys a reader does not require (older documents of the same version lack them).
OPTIONAL_KEYS = frozenset(
    {"schema_version", "infeasibility", "appraisal", "why_not", "switching", "robustness"}
)


@dataclass(frozen=True)
class Result:
    """One solve of an instance: status, the chosen plan, and the facts of the run.

    Attributes
    ----------
    instance_name
        The instance's ``name`` (``"instance"`` in the JSON contract).
    status
        ``OPTIMAL``, ``FEASIBLE`` (found, not proven optimal: see :attr:`gap`), ``INFEASIBLE``
        (proven) or ``UNKNOWN`` (nothing found, nothing proven).
    solution
        The chosen plan; ``None`` when nothing was found.
    best_bound_gbp
        Proven lower bound on the cost a year of any plan; ``None`` when none is known.
    infeasibility
        When infeasible: the smallest set of conflicting constraints and what relaxing each buys.
    statistics
        What the solver did (``"solver"`` in the JSON contract).
    baseline_gbp
        Today's rooms' cost a year, priced by the same model.
    baseline_costs
        The same by component.
    alternatives
        The next best options of the appraisal, cheapest first (``[solver] options_to_rank``).
    travel_times
        How the travel times were obtained (the network's provenance).
    cost_surface
        Each candidate priced as the only open site (instances with greenfield candidates).
    why_not
        Per binding constraint, the cheapest plan only it rules out, its cost and its value
        against the limit (what relaxing the constraint would save); one or two sites only.
    appraisal
        The Green Book cash flows: do nothing first, then do minimum (when the instance defines
        one), the chosen plan and the alternatives (:mod:`siteopt.optimise.appraise`); empty
        when nothing was found.
    switching
        For the chosen option against the runner-up, the value of each assumption figure at
        which the runner-up wins (:mod:`siteopt.optimise.switching`); ``None`` when not computed
        (``solve(..., decision=True)`` and ``siteopt solve --out`` compute it).
    robustness
        How often the recommendation holds when drive times carry the network's measured error
        (:mod:`siteopt.optimise.robustness`); ``None`` when not computed, as ``switching``.
    instance
        The instance solved; not serialised (``None`` when read from JSON without one).
    problem
        Its problem data (integer coefficients); not serialised (``None`` when read from JSON).
    """

    instance_name: str
    status: Status
    solution: Solution | None
    best_bound_gbp: float | None
    infeasibility: Infeasibility | None
    statistics: SolverStatistics
    baseline_gbp: float
    baseline_costs: dict[str, float]
    alternatives: tuple[OptionSummary, ...]
    travel_times: str
    cost_surface: tuple[SurfacePoint, ...] = ()
    why_not: tuple[Relaxation, ...] = ()
    appraisal: tuple[Appraisal, ...] = ()
    switching: SwitchingValues | None = None
    robustness: Robustness | None = None
    instance: Instance | None = field(default=None, compare=False, repr=False)
    problem: ProblemData | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if (self.solution is not None) != self.status.found:
            msg = f"status {self.status} with{'' if self.solution else 'out'} a solution"
            raise ValueError(msg)

    @property
    def gap(self) -> float | None:
        """Proven relative gap of the solution, ``(cost - bound) / cost``: 0 when optimal.

        ``None`` when nothing was found.
        """
        if self.status is Status.OPTIMAL:
            return 0.0
        if self.status is Status.FEASIBLE:
            return self.statistics.gap
        return None

    @property
    def proved_optimal(self) -> bool:
        """Whether the solution is proven optimal."""
        return self.status is Status.OPTIMAL

    def to_dict(self, *, relative_to: Path | None = None) -> dict[str, Any]:
        """Return the JSON output contract: one flat object (see ``docs/outputs.md``).

        Parameters
        ----------
        relative_to
            The folder the document is written into: adds ``instance_file``, the instance's
            path relative to it, so ``siteopt export`` can reload the instance.
        """
        plan = self.solution.to_dict() if self.solution is not None else dict(NO_SOLUTION)
        values = {
            "schema_version": SCHEMA_VERSION,
            "proved_optimal": self.proved_optimal,
            "solver": self.statistics.to_dict(),
            **{key: plan[key] for key in NO_SOLUTION},
        }
        out: dict[str, Any] = {}
        for key, source in CONTRACT_KEYS:
            if source.startswith("result."):
                value = getattr(self, source.removeprefix("result."))
                if key in {"infeasibility", "switching", "robustness"} and value is None:
                    continue
                values.setdefault(key, to_plain(value))
            out[key] = values[key]
        if relative_to is not None and self.instance is not None:
            where = os.path.relpath(self.instance.file.resolve(), relative_to.resolve())
            out["instance_file"] = Path(where).as_posix()
        return out

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        *,
        instance: Instance | None = None,
        problem: ProblemData | None = None,
    ) -> Result:
        """Return the result a JSON output contract describes.

        Parameters
        ----------
        data
            The contract, as :meth:`to_dict` wrote it (``json.load`` of ``solution.json``).
        instance, problem
            The instance it answers and its problem data, when known (not part of the JSON).

        Raises
        ------
        ContractError
            Naming the first field that is missing, of the wrong type or inconsistent.
        """
        if not isinstance(data, Mapping):
            raise ContractError("", "expected a JSON object (the solution output contract)")
        _check_version(data)
        for key, _ in CONTRACT_KEYS:
            if key not in data and key not in OPTIONAL_KEYS:
                raise ContractError(key, "missing: expected the solution output contract")
        status = from_plain(Status, data["status"], where="status")
        solution = None
        if data["objective_gbp"] is not None:
            solution = Solution.from_dict({key: data[key] for key in NO_SOLUTION})
        if (solution is not None) != status.found:
            found = "a solution" if solution is not None else "no solution"
            raise ContractError("status", f"{status} does not fit {found} (objective_gbp)")
        if data["proved_optimal"] is not (status is Status.OPTIMAL):
            msg = f"expected {str(status is Status.OPTIMAL).lower()} with status {status}"
            raise ContractError("proved_optimal", msg)
        if solution is None:
            for key, empty in NO_SOLUTION.items():
                if data[key] != empty:
                    msg = f"expected {json.dumps(empty)} without a solution, got {data[key]!r}"
                    raise ContractError(key, msg)
        infeasibility = data.get("infeasibility")
        return cls(
            instance_name=from_plain(str, data["instance"], where="instance"),
            status=status,
            solution=solution,
            best_bound_gbp=from_plain(float | None, data["best_bound_gbp"], where="best_bound_gbp"),
            infeasibility=(
                from_plain(Infeasibility, infeasibility, where="infeasibility")
                if infeasibility is not None
                else None
            ),
            statistics=SolverStatistics.from_dict(_mapping(data["solver"], "solver")),
            baseline_gbp=from_plain(float, data["baseline_gbp"], where="baseline_gbp"),
            baseline_costs=from_plain(
                dict[str, float], data["baseline_costs"], where="baseline_costs"
            ),
            alternatives=from_plain(
                tuple[OptionSummary, ...], data["alternatives"], where="alternatives"
            ),
            travel_times=from_plain(str, data["travel_times"], where="travel_times"),
            cost_surface=from_plain(
                tuple[SurfacePoint, ...], data["cost_surface"], where="cost_surface"
            ),
            why_not=from_plain(tuple[Relaxation, ...], data.get("why_not", []), where="why_not"),
            appraisal=from_plain(
                tuple[Appraisal, ...], data.get("appraisal", []), where="appraisal"
            ),
            switching=_optional(SwitchingValues, data, "switching"),
            robustness=_optional(Robustness, data, "robustness"),
            instance=instance,
            problem=problem,
        )


def _optional(kind: Any, data: Mapping[str, Any], key: str) -> Any:
    """An optional key of the contract read as ``kind`` (``None`` when absent)."""
    value = data.get(key)
    return from_plain(kind, value, where=key) if value is not None else None


def _check_version(data: Mapping[str, Any]) -> None:
    """Documents from before ``schema_version`` existed are version 1; others must match."""
    version = data.get("schema_version", 1)
    if version != SCHEMA_VERSION or isinstance(version, bool):
        msg = (
            f"expected {SCHEMA_VERSION} (this siteopt's output contract), got {version!r}: "
            "written by another version of siteopt"
        )
        raise ContractError("schema_version", msg)


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ContractError(where, f"expected an object, got {json.dumps(value)}")
    return value


def read_result(
    path: Path | str, *, instance: Instance | None = None, with_instance: bool = True
) -> Result:
    """Read a ``solution.json`` (the JSON output contract) with the instance it answers.

    Parameters
    ----------
    path
        The file, as ``siteopt solve --out`` or :func:`~siteopt.outputs.write.write_outputs`
        wrote it.
    instance
        The instance it answers; default: the file's ``instance_file`` (relative to the
        file's folder, then to the working folder), else its ``instance`` if that is a path.
    with_instance
        False: read the document alone (no instance is looked for; ``instance`` stays
        ``None``), e.g. to compare two runs.

    Returns
    -------
    Result
        With ``instance`` set (``problem`` is rebuilt by the outputs when needed).

    Raises
    ------
    InstanceError
        One line naming the file, the field and what was expected: the file is missing, not
        JSON, not the contract, its instance cannot be found, or a site it opens is not a
        candidate of the instance.
    """
    file = Path(path)
    if not file.is_file():
        what = "a folder" if file.is_dir() else "not found"
        msg = f"{what}; expected a solution.json written by 'siteopt solve --out'"
        raise InstanceError(file, "", msg)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InstanceError(file, "", f"not valid JSON ({exc})") from None
    try:
        result = Result.from_dict(data)
    except ContractError as exc:
        raise InstanceError(file, exc.path, exc.message) from None
    if not with_instance:
        return result
    chosen = instance or load_instance(_instance_path(data, file))
    _check_sites(result, chosen, file)
    return replace(result, instance=chosen)


def _instance_path(data: Mapping[str, Any], file: Path) -> Path:
    """The instance file a saved result names: ``instance_file``, else ``instance``."""
    for key in ("instance_file", "instance"):
        ref = data.get(key)
        if not isinstance(ref, str) or not ref:
            continue
        candidate = Path(ref)
        tries = [candidate] if candidate.is_absolute() else [file.parent / ref, Path(ref)]
        for tried in tries:
            if tried.is_file():
                return tried
    msg = (
        "expected 'instance_file' naming an existing instance file (or pass the instance), "
        f"got {data.get('instance_file', data.get('instance'))!r}"
    )
    raise InstanceError(file, "instance_file", msg)


def _check_sites(result: Result, instance: Instance, file: Path) -> None:
    """A saved plan fits the instance it is read with: candidates, counts and money in range.

    The types are the contract's (:meth:`Result.from_dict`); these are the values a hand-edited
    file can get wrong while keeping the types: negative seats, an agents row of the wrong
    length, a negative or absurd cost.
    """
    known = set(instance.candidate_ids())
    solution = result.solution
    if solution is None:
        return
    intervals = 7 * 24 * 60 // instance.staffing.interval_minutes
    for i, site in enumerate(solution.sites):
        if site.id not in known:
            msg = f"site {site.id!r} is not a candidate of {instance.file.name}"
            raise InstanceError(file, f"sites.{i}.id", msg)
        for key in ("seats", "existing_seats", "peak_agents", "fte"):
            _check_count(file, f"sites.{i}.{key}", getattr(site, key))
        if len(site.agents) != intervals:
            msg = f"expected {intervals} intervals of the week, got {len(site.agents)}"
            raise InstanceError(file, f"sites.{i}.agents", msg)
        for t, agents in enumerate(site.agents):
            _check_count(file, f"sites.{i}.agents.{t}", agents)
    for key, value in (
        ("objective_gbp", solution.objective_gbp),
        *((f"costs.{k}", v) for k, v in solution.costs.items()),
    ):
        if not 0 <= value <= MAX_CONTRACT_GBP:
            msg = f"expected £0 to £{MAX_CONTRACT_GBP:,.0f} a year, got {value!r}"
            raise InstanceError(file, key, msg)


#: Largest count (seats, agents, FTE) and money a year a saved plan may hold: the instance
#: limits (:mod:`siteopt.instance.figures`) keep real plans far below them.
MAX_CONTRACT_COUNT = 1_000_000
MAX_CONTRACT_GBP = 1e14


def _check_count(file: Path, path: str, value: float) -> None:
    if not 0 <= value <= MAX_CONTRACT_COUNT:
        msg = f"expected a count from 0 to {MAX_CONTRACT_COUNT:,}, got {value!r}"
        raise InstanceError(file, path, msg)


def contract_schema() -> dict[str, Any]:
    """Return the JSON Schema of the output contract, generated from the typed result.

    Each key's schema is that of the :class:`Result` or :class:`Solution` field it comes from
    (:data:`CONTRACT_KEYS`); a solution field also admits what the contract holds when nothing
    was found (:data:`NO_SOLUTION`).
    """
    defs: dict[str, Any] = {}

    def schema_of(kind: Any) -> dict[str, Any]:
        schema = json_schema(kind)
        defs.update(schema.pop("$defs", {}))
        return schema

    solution = schema_of(Solution)
    statistics = schema_of(SolverStatistics)
    # the fields that are not serialised are typed as plain objects here
    hints = get_type_hints(Result, localns={"Instance": object, "ProblemData": object})
    docs = attribute_docs(Result) | attribute_docs(Solution)
    derived: dict[str, Any] = {
        "schema_version": {"const": SCHEMA_VERSION, "description": "version of this contract"},
        "proved_optimal": {"type": "boolean", "description": "whether status is OPTIMAL"},
        "solver": {"$ref": "#/$defs/SolverStatistics"},
    }
    statistics["required"] = ["name"]
    statistics["allOf"] = [  # each solver's own keys, exactly (SolverStatistics.to_dict)
        {
            "if": {"properties": {"name": {"const": name}}},
            "then": {"required": list(keys), "propertyNames": {"enum": list(keys)}},
        }
        for name, keys in _STATISTICS_KEYS.items()
    ]
    defs["SolverStatistics"] = statistics
    properties: dict[str, Any] = {}
    for key, source in CONTRACT_KEYS:
        owner, _, name = source.partition(".")
        if key in derived:
            schema = derived[key]
        elif owner == "solution":
            schema = solution["properties"][name]
            if NO_SOLUTION[name] is None and not _admits_null(schema):
                inner = {k: v for k, v in schema.items() if k != "description"}
                schema = {"anyOf": [inner, {"type": "null"}]}
        elif name == "infeasibility":  # the key is absent, not null, without an explanation
            schema = {"$ref": "#/$defs/Infeasibility"}
            defs["Infeasibility"] = schema_of(Infeasibility)
        elif name in {"switching", "robustness"}:  # absent, not null, when not computed
            schema = schema_of(SwitchingValues if name == "switching" else Robustness)
        else:
            schema = schema_of(hints[name])
        if docs.get(name):
            schema = {**schema, "description": plain_text(docs[name])}
        properties[key] = schema
    properties["instance_file"] = {
        "type": "string",
        "description": "the instance file, relative to the document's folder (--out only)",
    }
    required = [k for k, _ in CONTRACT_KEYS if k not in OPTIONAL_KEYS - {"schema_version"}]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/siteopt/siteopt/docs/solution.schema.json",
        "title": "siteopt solution output contract",
        "description": (
            "What `siteopt solve --json` prints and `solution.json` holds (siteopt.Result."
            f"to_dict()), schema_version {SCHEMA_VERSION}. Generated by "
            "siteopt.optimise.result.contract_schema(); do not edit by hand."
        ),
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
        "$defs": dict(sorted(defs.items())),
    }


def contract_schema_text() -> str:
    """Return :func:`contract_schema` as ``docs/solution.schema.json`` holds it.

    Regenerate the file with ``python -c "from siteopt.optimise.result import
    contract_schema_text as t; open('docs/solution.schema.json', 'w').write(t())"``.
    """
    return json.dumps(contract_schema(), indent=2, ensure_ascii=False) + "\n"


def _admits_null(schema: Mapping[str, Any]) -> bool:
    return any(option.get("type") == "null" for option in schema.get("anyOf", []))

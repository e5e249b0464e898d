"""Decision robustness: how often the recommendation holds when drive times are off.

The embedded network's drive times were validated out of sample (``docs/network.md``); the
measured relative error ``e = network time / real time - 1`` is stored per data kind (real A
roads, or strategic roads and mesh) and area type (:mod:`siteopt.network.error`). Here each draw
replaces every drive time the decision uses by a plausible real time, ``shown / (1 + e)``, and
the decision is taken again: the problem data is rebuilt from the perturbed matrices and every
one- and two-site option re-priced and re-checked at once (:func:`~siteopt.optimise.options.
option_table`). The recommendation *holds* in a draw when the chosen site set is still the
cheapest option meeting every constraint.

**Correlated errors.** The errors of different trips are not independent: trips in one county
share its roads and the same speed assumptions, so when the network is slow there it is slow for
most trips at once. Each draw therefore has one common shock per group (data kind × area type)
and a smaller shock per trip, combined by a Gaussian copula,
``z = √ρ·z_group + √(1-ρ)·z_trip`` with ``ρ =`` :data:`CORRELATION`, and ``e`` is the measured
distribution's quantile at ``Φ(z)``. Every single trip thus keeps exactly the measured error
distribution, while errors in one group move together (correlation about ``ρ``). The validation
stores the marginal distributions only, not how errors co-vary; a high ``ρ`` is the cautious
choice (independent errors would largely cancel in sums and minimums and overstate robustness).

A trip's group is its origin's: an LSOA's, a room's or a site's force gives the data kind, and
it is ``urban`` only when both ends are urban LSOAs or sites. Distances (km, for excess travel)
are left as they are (the error model is of times); the times a constraint takes straight from
the network are perturbed the same way where the constraint re-checks them
(:meth:`~siteopt.optimise.constraints.base.Constraint.with_drive_times`: force centres to
sites), and not otherwise (a fallback's times to a named site).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from siteopt.errors import NetworkError
from siteopt.network.error import instance_travel_time_error
from siteopt.optimise.build import problem_from_instance, travel_inputs
from siteopt.optimise.options import best_options

if TYPE_CHECKING:
    from siteopt.instance.schema import Instance
    from siteopt.network.error import TravelTimeError
    from siteopt.optimise.build import TravelInputs
    from siteopt.optimise.problem import ProblemData

__all__ = [
    "CORRELATION",
    "DRAWS",
    "FEW_DRAWS",
    "MANY_SITES",
    "RivalWins",
    "Robustness",
    "decision_robustness",
    "default_draws",
    "not_computed",
]


#: Draws by default, and the share of a group's error that is common to its trips.
DRAWS = 200
CORRELATION = 0.75

#: Beyond this many candidates (a greenfield grid) a draw rebuilds problem data for hundreds of
#: sites (~0.2 s): :data:`FEW_DRAWS` keep ``solve --out`` within seconds, not minutes.
MANY_SITES = 64
FEW_DRAWS = 50

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class BiasOfGroup:
    """The median measured error of one group of trips (``0.1``: the network runs 10 % long)."""

    data_kind: str
    area_type: str
    median_error: float


@dataclass(frozen=True)
class RivalWins:
    """An option that won some draws instead: its sites and in how many draws."""

    sites: tuple[str, ...]
    draws: int


@dataclass(frozen=True)
class Robustness:
    """How often the recommendation holds when drive times carry the measured error.

    Attributes
    ----------
    draws
        Draws made (0 when not computed).
    held
        Draws in which the chosen site set stayed the cheapest option meeting every constraint.
    share
        ``held / draws``; ``None`` when not computed.
    seed, correlation
        The random seed and the share of each group's error common to its trips.
    rivals
        The options that won the other draws, most often first.
    no_option
        Draws in which no option met every constraint.
    not_computed
        Why it was not computed (no validated error model, more than two sites), else ``None``.
    held_unbiased
        Draws (the same random numbers) in which it holds when each group's median error is
        taken out, its spread kept: how much of ``held`` the network's bias explains.
    bias
        The measured median error of each group (data kind × area type).
    speeds_note
        Set when the instance's road speeds differ from those the error was measured at.
    """

    draws: int
    held: int
    share: float | None
    seed: int
    correlation: float
    rivals: tuple[RivalWins, ...] = ()
    no_option: int = 0
    not_computed: str | None = None
    held_unbiased: int | None = None
    bias: tuple[BiasOfGroup, ...] = ()
    speeds_note: str | None = None


def decision_robustness(
    instance: Instance,
    problem: ProblemData,
    chosen: tuple[str, ...],
    *,
    draws: int = DRAWS,
    seed: int = 0,
    correlation: float = CORRELATION,
) -> Robustness:
    """Return how often ``chosen`` stays the best option under drive-time error.

    Parameters
    ----------
    instance, problem
        The instance solved and its problem data.
    chosen
        Site ids of the recommended option.
    draws, seed, correlation
        Number of Monte-Carlo draws, the random seed, and ``ρ`` (module note).

    Returns
    -------
    Robustness
        With ``not_computed`` set when the network carries no validated error model or the
        options go beyond two sites (the option table's reach).
    """
    if problem.k_min > 2:
        return not_computed(
            "plans of more than two sites (option table)", seed=seed, correlation=correlation
        )
    try:
        model = instance_travel_time_error(instance)
    except NetworkError as exc:
        return not_computed(
            f"the {instance.dataset().name} network has no validated error model "
            f"({str(exc).rsplit(': ', 1)[-1]})",
            seed=seed,
            correlation=correlation,
        )
    if model is None:
        return not_computed(
            "a road file's drive times carry no validation", seed=seed, correlation=correlation
        )
    try:
        groups = _TripGroups(instance, model)
    except NetworkError as exc:
        return not_computed(str(exc), seed=seed, correlation=correlation)
    from siteopt.queueing.fte import staffing_table  # noqa: PLC0415 (lazy: pulls in scipy)

    travel = travel_inputs(instance)
    table = staffing_table(instance)
    shared: dict[str, Any] = {}  # the priced non-call functions: drive times do not move them
    # The same draws with and without the bias: each draw's probabilities are made once and
    # priced under both error models (they differ only in the errors those probabilities give).
    models = (groups, groups.with_model(_centred(model)))
    tallies = (_Tally(frozenset(chosen)), _Tally(frozenset(chosen)))
    rng = np.random.default_rng(seed)
    for _ in range(draws):
        draw = _Draw(rng, len(groups.names), correlation)
        for trip_groups, tally in zip(models, tallies, strict=True):
            perturbed = trip_groups.perturbed(travel, draw.replay())
            trial = problem_from_instance(
                instance, travel=perturbed, staffing_table=table, shared=shared
            )
            tally.count(_best_site_set(trip_groups.with_centres(trial, draw)))
    held, no_option, rivals = tallies[0].held, tallies[0].no_option, tallies[0].rivals
    held_unbiased = tallies[1].held
    ranked = sorted(rivals.items(), key=lambda kv: (-kv[1], kv[0]))
    bias = tuple(
        BiasOfGroup(kind, area, d.median_bias)
        for (kind, area), d in sorted(model.distributions.items())
    )
    return Robustness(
        draws=draws,
        held=held,
        share=held / draws if draws else None,
        seed=seed,
        correlation=correlation,
        rivals=tuple(RivalWins(sites, n) for sites, n in ranked),
        no_option=no_option,
        held_unbiased=held_unbiased,
        bias=bias,
        speeds_note=_speeds_note(instance),
    )


class _Tally:
    """Winners of the draws so far: the chosen set's, no option's, each rival's count."""

    def __init__(self, target: frozenset[str]) -> None:
        self.target = target
        self.held = 0
        self.no_option = 0
        self.rivals: dict[tuple[str, ...], int] = {}

    def count(self, winner: tuple[str, ...] | None) -> None:
        """Count one draw's winner (``None``: no option met every constraint)."""
        if winner is None:
            self.no_option += 1
        elif frozenset(winner) == self.target:
            self.held += 1
        else:
            self.rivals[winner] = self.rivals.get(winner, 0) + 1


class _Draw:
    """One draw's random numbers: a shock per group, then each trip's probability ``Φ(z)``.

    The probabilities are made in the order the trips ask for them (home, site and room
    minutes, then each constraint's centre minutes) and kept: :meth:`replay` hands the same
    ones, in the same order, to a second error model without drawing again (and without
    computing ``Φ`` of ten million trips again on a 1 km grid).
    """

    def __init__(self, rng: np.random.Generator, groups: int, correlation: float) -> None:
        self.rng = rng
        self.correlation = correlation
        self.shocks = rng.standard_normal(groups)
        self._made: list[FloatArray] = []
        self._next = 0

    def replay(self) -> _Draw:
        """Return the draw with its probabilities handed out again from the first."""
        self._next = 0
        return self

    def probabilities(self, index: IntArray) -> FloatArray:
        """``Φ(z)`` of each trip of ``index`` (its group's), ``z = √ρ·z_group + √(1-ρ)·z_trip``."""
        if self._next == len(self._made):
            self._made.append(self._new(index))
        u = self._made[self._next]
        if u.shape != index.shape:
            raise ValueError("a replayed draw must be asked for the same trips in the same order")
        self._next += 1
        return u

    def _new(self, index: IntArray) -> FloatArray:
        from scipy.special import ndtr  # noqa: PLC0415 (lazy: scipy is slow to import)

        # In place, each element as ``√ρ·shocks[index] + √(1-ρ)·z_trip`` would give it.
        z = self.rng.standard_normal(index.shape)
        z *= math.sqrt(1.0 - self.correlation)
        z += (math.sqrt(self.correlation) * self.shocks)[index]
        u: FloatArray = ndtr(z, out=z)
        return u


def _centred(model: TravelTimeError) -> TravelTimeError:
    """The error model with each group's median error taken out (its spread kept)."""
    centred = {
        key: replace(d, quantiles=(1.0 + d.quantiles) / (1.0 + d.median_bias) - 1.0)
        for key, d in model.distributions.items()
    }
    return replace(model, distributions=centred)


def _speeds_note(instance: Instance) -> str | None:
    """Which road speeds of the instance differ from those the error model was measured at."""
    import json  # noqa: PLC0415 (only here)

    from siteopt.network.sources import CALIBRATION_FILE  # noqa: PLC0415 (only here)

    try:
        text = instance.dataset().path(CALIBRATION_FILE).read_text(encoding="utf-8")
        calibrated = json.loads(text).get("speeds_kph", {})
    except (OSError, ValueError):
        return None
    changed = [
        f"{road} {figure.value:g} km/h (measured at {calibrated[road]:g})"
        for road, figure in sorted(instance.network.speeds_kph.items())
        if road in calibrated and float(figure.value) != float(calibrated[road])
    ]
    if not changed:
        return None
    return (
        "the error model was measured at the calibrated road speeds; this instance sets "
        + ", ".join(changed)
        + ", so the draws apply that error to times it no longer describes exactly"
    )


def default_draws(problem: ProblemData) -> int:
    """:data:`DRAWS`, or :data:`FEW_DRAWS` beyond :data:`MANY_SITES` candidates."""
    return DRAWS if problem.n_sites <= MANY_SITES else FEW_DRAWS


def not_computed(why: str, *, seed: int = 0, correlation: float = CORRELATION) -> Robustness:
    """A :class:`Robustness` with no draws, saying why."""
    return Robustness(0, 0, None, seed, correlation, not_computed=why)


def _best_site_set(problem: ProblemData) -> tuple[str, ...] | None:
    best = best_options(problem, n=1)  # only the pairs that can win are priced (many sites)
    if not best or not best[0].feasible:
        return None
    return tuple(problem.site_ids[j] for j in best[0].sites)


def _centre_urban(instance: Instance, areas: dict[str, str]) -> npt.NDArray[np.bool_]:
    """Whether each force's centre is urban (the trips from it to the candidates).

    With ``centre = "hq"``: its HQ site's area type; else (population-weighted centre) that of
    the LSOA whose point is nearest it.
    """
    forces = list(instance.forces)
    kinds = {
        getattr(c, "centre", None)
        for c in instance.constraints.values()
        if c.type == "force_centre_within"
    }
    if kinds == {"hq"}:
        return np.array([areas.get(instance.forces[f].current_site) == "urban" for f in forces])
    lsoas = instance.dataset().lsoas()
    xs, ys = lsoas["x"].to_numpy(dtype=float), lsoas["y"].to_numpy(dtype=float)
    codes = list(lsoas["lsoa11cd"])
    centres = instance.dataset().population_centres(instance.data.population_year)
    nearest = [
        int(np.argmin((xs - centres[f][0]) ** 2 + (ys - centres[f][1]) ** 2)) for f in forces
    ]
    return np.array([areas.get(codes[i]) == "urban" for i in nearest], dtype=bool)


#: Trips per block of :meth:`_ErrorTables.errors` (its temporaries stay in the cache).
_BLOCK = 1 << 16


@dataclass(frozen=True, eq=False)
class _ErrorTables:
    """Every group's inverse error distribution as one table, for groups sharing their levels.

    ``errors`` gives what each group's ``relative_error`` (``np.interp(u, levels, quantiles)``)
    gives, bit for bit (the same segment, slope and sum as numpy's), for trips of every group
    at once: one segment search per trip and no per-group masks. With levels ``k / (L - 1)``
    (the validation's percentiles) the segment is found by arithmetic, not a binary search.
    """

    levels: FloatArray  # (L,), every group's
    uniform: bool  # levels are k / (L - 1)
    slopes: FloatArray  # (groups × L,) slope of the segment from each level (0 from the last)
    starts: FloatArray  # (groups × L,) the quantile at each level

    @classmethod
    def of(cls, model: TravelTimeError, names: list[tuple[str, str]]) -> _ErrorTables | None:
        """The tables of ``model``'s groups ``names`` (``None``: their levels differ)."""
        dists = [model.distributions[name] for name in names]
        levels = dists[0].levels
        if any(not np.array_equal(d.levels, levels) for d in dists):
            return None
        last = len(levels) - 1
        steps = levels[1:] - levels[:-1]
        slopes = [np.append((d.quantiles[1:] - d.quantiles[:-1]) / steps, 0.0) for d in dists]
        return cls(
            levels=levels,
            uniform=bool(np.array_equal(levels, np.arange(last + 1) / last)),
            slopes=np.concatenate(slopes),
            starts=np.concatenate([d.quantiles for d in dists]),
        )

    def _segments(self, u: FloatArray) -> IntArray:
        """The largest ``j`` with ``levels[j] ≤ u`` (``u`` in ``[0, 1]``), as numpy's search."""
        if not self.uniform:
            found: IntArray = np.searchsorted(self.levels, u, side="right") - 1
            return found
        last = len(self.levels) - 1
        j = (u * last).astype(np.intp)  # within one of the segment (rounding): set right below
        j -= self.levels[j] > u
        j += (j < last) & (self.levels[np.minimum(j + 1, last)] <= u)
        return j

    def errors(self, u: FloatArray, index: IntArray) -> FloatArray:
        """Relative error of each trip at probability ``u``, from its group's distribution."""
        flat_u, flat_index = u.reshape(-1), index.reshape(-1)
        out = np.empty(u.shape)
        flat_out = out.reshape(-1)
        width = len(self.levels)
        for start in range(0, flat_u.size, _BLOCK):
            block = slice(start, start + _BLOCK)
            uu = flat_u[block]
            j = self._segments(uu)
            cell = flat_index[block] * width + j
            e = uu - self.levels[j]
            e *= self.slopes[cell]
            e += self.starts[cell]
            flat_out[block] = e
        return out


class _TripGroups:
    """The error group (data kind × area type) of every trip the decision uses."""

    def __init__(self, instance: Instance, model: TravelTimeError) -> None:
        from siteopt.network.error import area_types  # noqa: PLC0415 (lazy: pulls in pyarrow)

        self.model = model
        self.names = sorted(model.distributions)
        self._tables = _ErrorTables.of(model, self.names)
        self._group_masks: dict[int, tuple[IntArray, tuple[npt.NDArray[np.bool_], ...]]] = {}
        dataset = instance.dataset()
        areas = area_types(dataset)
        lsoas = dataset.lsoas()
        candidates = instance.candidate_ids()
        site_force = dict(zip(candidates, instance.candidate_force_areas(), strict=True))
        rooms = [instance.forces[f].current_site for f in instance.forces]
        site_force.update({instance.forces[f].current_site: f for f in instance.forces})

        def kind(force: str) -> str:
            return model.data_kind_of(force)

        def urban(ids: list[str]) -> npt.NDArray[np.bool_]:
            return np.array([areas.get(i) == "urban" for i in ids], dtype=bool)

        homes = list(lsoas["lsoa11cd"])
        targets = [*candidates, *rooms]
        self.home = self._index([kind(f) for f in lsoas["force"]], urban(homes), urban(targets))
        self.site = self._index(
            [kind(site_force[s]) for s in candidates], urban(candidates), urban(candidates)
        )
        self.room = self._index(
            [kind(site_force[s]) for s in rooms], urban(rooms), urban(candidates)
        )
        forces = list(instance.forces)
        self.centre = self._index(
            [kind(f) for f in forces], _centre_urban(instance, areas), urban(candidates)
        )

    def with_model(self, model: TravelTimeError) -> _TripGroups:
        """The same groups drawing from ``model`` (same groups, other distributions)."""
        if sorted(model.distributions) != self.names:
            raise ValueError("expected an error model with the same groups")
        other = copy.copy(self)
        other.model = model
        other._tables = _ErrorTables.of(model, self.names)
        return other

    def _index(
        self,
        kinds: list[str],
        origin_urban: npt.NDArray[np.bool_],
        target_urban: npt.NDArray[np.bool_],
    ) -> IntArray:
        """Group index of each (origin, target) trip."""
        both = origin_urban[:, np.newaxis] & target_urban[np.newaxis, :]
        out = np.full(both.shape, -1, dtype=np.int64)
        for g, (data_kind, area) in enumerate(self.names):
            rows = np.array([k == data_kind for k in kinds], dtype=bool)[:, np.newaxis]
            out[rows & (both == (area == "urban"))] = g
        if (out < 0).any():
            known = ", ".join(f"{k}/{a}" for k, a in self.names)
            raise NetworkError(f"error model: a trip has no measured distribution (known: {known})")
        return out

    def _masks(self, index: IntArray) -> tuple[npt.NDArray[np.bool_], ...]:
        """``index == g`` for every group ``g``: made once per trip set, not once a draw."""
        key = id(index)
        if key not in self._group_masks:
            masks = tuple(index == g for g in range(len(self.names)))
            self._group_masks[key] = (index, masks)  # the index held: its id stays its own
        return self._group_masks[key][1]

    def _real(self, minutes: FloatArray, index: IntArray, draw: _Draw) -> FloatArray:
        """Plausible real times behind ``minutes`` (module note): ``shown / (1 + e)``."""
        u = draw.probabilities(index)
        if self._tables is not None:
            e = self._tables.errors(u, index)
        else:
            e = np.empty_like(minutes)
            for name, mask in zip(self.names, self._masks(index), strict=True):
                e[mask] = self.model.distributions[name].relative_error(u[mask])
        e += 1.0
        real: FloatArray = np.divide(minutes, e, out=e)
        return real

    def perturbed(self, travel: TravelInputs, draw: _Draw) -> TravelInputs:
        """The travel matrices with every drive time replaced by a draw of the real one."""
        return replace(
            travel,
            home_minutes=self._real(travel.home_minutes, self.home, draw),
            site_minutes=(  # None: too many candidates for a dense matrix; not perturbed
                None
                if travel.site_minutes is None
                else self._real(travel.site_minutes, self.site, draw)
            ),
            room_minutes=self._real(travel.room_minutes, self.room, draw),
        )

    def with_centres(self, problem: ProblemData, draw: _Draw) -> ProblemData:
        """The problem with the times its constraints measured themselves drawn the same way.

        Force centres to sites (``forces × candidates``; :meth:`Constraint.with_drive_times`).
        """

        def real(minutes: FloatArray) -> FloatArray:
            return self._real(minutes, self.centre, draw)

        constraints = tuple(c.with_drive_times(real) for c in problem.constraints)
        return replace(problem, constraints=constraints)

"""ConstraintSpec tables of an instance file, one model per type.

The constraint tables of an instance file (``[constraints.<name>]``), one model per
``type``; the optimiser compiles each into its own constraint class
(:mod:`siteopt.optimise.constraints`, one module per type). The checks of an instance ask each
table which forces and sites it names and whether its bounds are in order, so they need no
list of types either.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal, get_args

from pydantic import (
    Field,
)

from siteopt.instance.figures import (
    Figure,
    Identifier,
    Money,
    NonNegative,
    OpenShare,
    Positive,
    Share,
    Strict,
)

__all__ = ["CONSTRAINT_TYPES", "SHARE_UNITS", "ConstraintSpec", "ConstraintSpecBase"]


FieldPath = tuple[str, ...]


#: The optimiser reads a ``min_call_share`` share in these units (millionths), exactly.
SHARE_UNITS = 1_000_000


class ConstraintSpecBase(Strict):
    """Fields every constraint table has, and what the instance checks ask of each table."""

    #: At most one table of this type per instance.
    unique: ClassVar[bool] = False

    enabled: bool = True
    description: str = ""

    def force_refs(self) -> dict[FieldPath, str]:
        """Force ids the table names, by field path within the table."""
        return {}

    def site_refs(self) -> dict[FieldPath, str]:
        """Site ids the table names, by field path within the table."""
        return {}

    def field_error(self) -> tuple[FieldPath, str] | None:
        """A field out of order with another or out of range, and why (``None``: none)."""
        return None


class StaffCommuteSpec(ConstraintSpecBase):
    """At least ``min_share`` of today's staff commute ≤ ``max_minutes`` to their new site."""

    type: Literal["staff_commute"]
    max_minutes: Figure[Positive]
    min_share: Figure[Share]


class PopulationWithinSpec(ConstraintSpecBase):
    """At least ``min_share`` of the population lives within ``max_minutes`` of an open site."""

    type: Literal["population_within"]
    max_minutes: Figure[Positive]
    min_share: Figure[Share]


class ForceCentreWithinSpec(ConstraintSpecBase):
    """Each force's population-weighted centre (or HQ) is within ``max_minutes`` of a site."""

    type: Literal["force_centre_within"]
    max_minutes: Figure[Positive]
    centre: Literal["population", "hq"] = "population"
    forces: Literal["all"] | list[Identifier] = "all"

    def force_refs(self) -> dict[FieldPath, str]:
        """The forces listed in ``forces``."""
        if self.forces == "all":
            return {}
        return {("forces", str(j)): fid for j, fid in enumerate(self.forces)}


class RecruitmentPoolSpec(ConstraintSpecBase):
    """Working-age people within ``max_minutes`` of each open site are ``min_people`` or more."""

    type: Literal["recruitment_pool"]
    max_minutes: Figure[Positive]
    min_people: Figure[NonNegative]
    working_age_share: Figure[Share]


class SiteSeparationSpec(ConstraintSpecBase):
    """Two open sites are at least ``min_minutes`` and at most ``max_minutes`` apart by road."""

    type: Literal["site_separation"]
    min_minutes: Figure[NonNegative]
    max_minutes: Figure[Positive]

    def field_error(self) -> tuple[FieldPath, str] | None:
        """``min_minutes`` above ``max_minutes``."""
        low, high = self.min_minutes.value, self.max_minutes.value
        if low > high:
            return ("min_minutes",), f"expected min_minutes <= max_minutes, got {low:g} > {high:g}"
        return None


class AbsorbLoadSpec(ConstraintSpecBase):
    """With two or more sites, each can seat ``min_share`` of the peak positions of all sites."""

    unique: ClassVar[bool] = True

    type: Literal["absorb_load"]
    min_share: Figure[Share]


class FallbackSpec(ConstraintSpecBase):
    """With one site, a fallback building within ``max_minutes`` seats ``min_share`` of peak."""

    unique: ClassVar[bool] = True

    type: Literal["fallback"]
    site: Identifier | Literal["nearest"] = "nearest"
    max_minutes: Figure[Positive]
    min_share: Figure[Share]
    standby_cost_gbp: Figure[Money]

    def site_refs(self) -> dict[FieldPath, str]:
        """The named fallback building (none with ``site = "nearest"``)."""
        return {} if self.site == "nearest" else {("site",): self.site}


class MinCallShareSpec(ConstraintSpecBase):
    """Each open room answers at least ``min_share`` of the calls (no room is a standby shell).

    Pooled, every open room staffs at least that share of the agents in every interval; by
    force, the forces a room answers make at least that share of the year's calls.
    """

    type: Literal["min_call_share"]
    min_share: Figure[OpenShare]

    def field_error(self) -> tuple[FieldPath, str] | None:
        """A share the model cannot tell from 0 or 1 (it works in millionths)."""
        share = self.min_share.value
        if not 0 < round(share * SHARE_UNITS) < SHARE_UNITS:
            return (
                "min_share",
                "value",
            ), f"expected a share in (0, 1) to six decimals, got {share}"
        return None


ConstraintSpec = Annotated[
    StaffCommuteSpec
    | PopulationWithinSpec
    | ForceCentreWithinSpec
    | RecruitmentPoolSpec
    | SiteSeparationSpec
    | AbsorbLoadSpec
    | FallbackSpec
    | MinCallShareSpec,
    Field(discriminator="type"),
]


CONSTRAINT_TYPES = frozenset(
    get_args(spec.model_fields["type"].annotation)[0]
    for spec in get_args(get_args(ConstraintSpec)[0])
)
"""The ``type`` strings of the tables above (read from the union, so listed once)."""

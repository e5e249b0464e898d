"""ConstraintSpec tables of an instance file, one model per type.

The constraint tables of an instance file (``[constraints.<name>]``), one model per
``type``; the optimiser compiles each into its own constraint class.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    Field,
)

from siteopt.instance.figures import Figure, Identifier, NonNegative, Positive, Share, Strict

__all__ = ["ConstraintSpec"]


class _ConstraintBase(Strict):
    enabled: bool = True
    description: str = ""


class StaffCommuteSpec(_ConstraintBase):
    """At least ``min_share`` of today's staff commute ≤ ``max_minutes`` to their new site."""

    type: Literal["staff_commute"]
    max_minutes: Figure[Positive]
    min_share: Figure[Share]


class PopulationWithinSpec(_ConstraintBase):
    """At least ``min_share`` of the population lives within ``max_minutes`` of an open site."""

    type: Literal["population_within"]
    max_minutes: Figure[Positive]
    min_share: Figure[Share]


class ForceCentreWithinSpec(_ConstraintBase):
    """Each force's population-weighted centre (or HQ) is within ``max_minutes`` of a site."""

    type: Literal["force_centre_within"]
    max_minutes: Figure[Positive]
    centre: Literal["population", "hq"] = "population"
    forces: Literal["all"] | list[Identifier] = "all"


class RecruitmentPoolSpec(_ConstraintBase):
    """Working-age people within ``max_minutes`` of each open site are ``min_people`` or more."""

    type: Literal["recruitment_pool"]
    max_minutes: Figure[Positive]
    min_people: Figure[NonNegative]
    working_age_share: Figure[Share]


class SiteSeparationSpec(_ConstraintBase):
    """Two open sites are at least ``min_minutes`` and at most ``max_minutes`` apart by road."""

    type: Literal["site_separation"]
    min_minutes: Figure[NonNegative]
    max_minutes: Figure[Positive]


class AbsorbLoadSpec(_ConstraintBase):
    """With two or more sites, each can seat ``min_share`` of the peak positions of all sites."""

    type: Literal["absorb_load"]
    min_share: Figure[Share]


class FallbackSpec(_ConstraintBase):
    """With one site, a fallback building within ``max_minutes`` seats ``min_share`` of peak."""

    type: Literal["fallback"]
    site: Identifier | Literal["nearest"] = "nearest"
    max_minutes: Figure[Positive]
    min_share: Figure[Share]
    standby_cost_gbp: Figure[NonNegative]


ConstraintSpec = Annotated[
    StaffCommuteSpec
    | PopulationWithinSpec
    | ForceCentreWithinSpec
    | RecruitmentPoolSpec
    | SiteSeparationSpec
    | AbsorbLoadSpec
    | FallbackSpec,
    Field(discriminator="type"),
]


CONSTRAINT_TYPES = frozenset(
    {
        "staff_commute",
        "population_within",
        "force_centre_within",
        "recruitment_pool",
        "site_separation",
        "absorb_load",
        "fallback",
    }
)

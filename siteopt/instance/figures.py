"""Labelled figures (value with source or assumption) and the schema's number types.

Labelled figures: a value with its ``source`` (a published figure) or its
``assumption`` (a modelled one), and the constrained number types of the schema.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

__all__ = ["Figure"]


T = TypeVar("T")


NonNegative = Annotated[float, Field(ge=0)]


#: Characters no output can show (a spreadsheet cell, XML, a map label): C0 and C1 controls other
#: than tab and newline, and DEL.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


#: Limits that keep every figure inside the solver's integer model (money is counted in units of
#: 1/10,000 of a pound, summed over sites, seats and years, in 64 bits) and far beyond any real
#: control room: a figure past them is a typing error, refused with the limit in the message.
MAX_GBP = 1e9
MAX_SALARY_GBP = 1e7
MAX_SEATS = 10_000
MAX_CALLS_PER_YEAR = 1e8
MAX_GROWTH = 100.0
MAX_CALL_SECONDS = 86_400.0


Money = Annotated[float, Field(ge=0, le=MAX_GBP)]


Salary = Annotated[float, Field(gt=0, le=MAX_SALARY_GBP)]


Seats = Annotated[int, Field(ge=0, le=MAX_SEATS)]


PositiveSeats = Annotated[int, Field(ge=1, le=MAX_SEATS)]


Calls = Annotated[float, Field(ge=0, le=MAX_CALLS_PER_YEAR)]


Growth = Annotated[float, Field(gt=0, le=MAX_GROWTH)]


#: An occupancy cap: below 5 % the agents would sit idle 95 % of the time (a typing error), and the
#: staffing it asks for runs past any integer.
Occupancy = Annotated[float, Field(ge=0.05, lt=1)]


#: A call's handling time, a service target or a caller's patience: at most a day.
CallSeconds = Annotated[float, Field(gt=0, le=MAX_CALL_SECONDS)]


Positive = Annotated[float, Field(gt=0)]


Share = Annotated[float, Field(ge=0, le=1)]


OpenShare = Annotated[float, Field(gt=0, lt=1)]


TargetShare = Annotated[float, Field(gt=0, le=1)]


Count = Annotated[int, Field(ge=0)]


Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]


class Strict(BaseModel):
    """Base of every instance table: unknown keys are errors and parsed values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        if isinstance(value, str) and CONTROL_CHARACTERS.search(value):
            shown = CONTROL_CHARACTERS.search(value).group()  # type: ignore[union-attr]
            msg = f"expected text without control characters, got {shown!r} in {value!r}"
            raise ValueError(msg)  # spreadsheets, XML and fonts cannot hold them
        return value


class Figure(Strict, Generic[T]):
    """A number with its provenance: exactly one of ``source`` or ``assumption``."""

    value: T
    source: str | None = None
    assumption: str | None = None

    @field_validator("value", mode="before")
    @classmethod
    def _not_a_boolean(cls, value: Any) -> Any:
        if isinstance(value, bool):
            msg = f"expected a number, got {str(value).lower()}"
            raise ValueError(msg)  # pydantic would read true as 1
        return value

    @model_validator(mode="after")
    def _one_provenance(self) -> Figure[T]:
        given = [k for k in ("source", "assumption") if getattr(self, k)]
        if len(given) != 1:
            msg = (
                "expected exactly one of 'source' (where the figure comes from, with its date) "
                "or 'assumption' (why this modelled value)"
            )
            raise ValueError(msg)
        return self

    @property
    def provenance(self) -> str:
        """``"source: …"`` or ``"assumption: …"`` for reports."""
        return f"source: {self.source}" if self.source else f"assumption: {self.assumption}"


class PerHeadEstimate(Strict):
    """A missing force figure estimated from the per-head rate of other forces (an assumption)."""

    per_head_of: list[Identifier] = Field(min_length=1)
    assumption: str = Field(min_length=1)


def _volume_tag(raw: Any) -> str:
    if isinstance(raw, PerHeadEstimate):  # a table re-validated from its parsed values
        return "per_head"
    return "per_head" if isinstance(raw, Mapping) and "per_head_of" in raw else "figure"


Volume = Annotated[
    Annotated[Figure[Calls], Tag("figure")] | Annotated[PerHeadEstimate, Tag("per_head")],
    Discriminator(_volume_tag),
]

"""The figures of an instance as the page edits them, and the planner's changes as overrides.

:func:`figure_groups` walks the merged instance table (``extends`` applied) and returns every
labelled figure with a number or yes/no value, grouped by the table that holds it, in the file's
order. :func:`what_if` turns the page's changes (figure path → text typed, reason) and the sites
switched off into loader overrides; :func:`validate_what_if` applies them through the same
validator as ``siteopt validate`` and reports a bad field with the CLI's one-line message.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from siteopt.errors import InstanceError

if TYPE_CHECKING:
    from siteopt.instance.loading import InstanceTemplate
    from siteopt.instance.schema import Instance

__all__ = [
    "SITES_FIELD",
    "Change",
    "FieldError",
    "FigureField",
    "FigureGroup",
    "WhatIf",
    "figure_groups",
    "validate_what_if",
    "what_if",
]


#: The field the site switches set (and where their errors are shown).
SITES_FIELD = "sites.exclude"


@dataclass(frozen=True)
class FigureField:
    """One editable figure: its dotted path, value, and its source or assumption."""

    path: str
    key: str
    value: float | int | bool
    provenance: str
    note: str

    @property
    def kind(self) -> str:
        """``"bool"``, ``"int"`` or ``"float"``: what the field accepts."""
        if isinstance(self.value, bool):
            return "bool"
        return "int" if isinstance(self.value, int) else "float"


@dataclass(frozen=True)
class FigureGroup:
    """The figures of one table (``demand.streams.emergency``), with its ``label`` if any."""

    path: str
    label: str
    fields: tuple[FigureField, ...]

    @property
    def section(self) -> str:
        """The top-level table (``demand``), as the instance file groups its figures."""
        return self.path.split(".", 1)[0]


@dataclass(frozen=True)
class Change:
    """A figure the planner changed: the text typed and the reason given (may be empty)."""

    text: str
    reason: str = ""


@dataclass(frozen=True)
class FieldError:
    """A message to show beside one field (``field`` empty: beside the form)."""

    field: str
    message: str


@dataclass(frozen=True)
class WhatIf:
    """The changes parsed: new values by figure path, their reasons, the sites switched off."""

    values: Mapping[str, float | int | bool]
    reasons: Mapping[str, str]
    excluded: tuple[str, ...]
    base: Mapping[str, FigureField]
    base_excluded: tuple[str, ...] = ()

    def overrides(self, *, labelled: bool = False) -> dict[str, Any]:
        """Return the loader's overrides (dotted path → value).

        A bare value is labelled by the loader as a what-if with its base value; ``labelled``
        gives each changed figure its reason as the ``assumption`` instead.
        """
        out: dict[str, Any] = {}
        for path, value in self.values.items():
            if labelled:
                out[path] = {"value": value, "assumption": self.assumption(path)}
            else:
                out[path] = value
        if self.excluded != self.base_excluded:
            out[SITES_FIELD] = list(self.excluded)
        return out

    def assumption(self, path: str) -> str:
        """The saved assumption of a changed figure: the reason, then what it replaced."""
        base = self.base[path]
        reason = self.reasons.get(path, "").strip()
        return f"{reason} (base value {_shown(base.value)}; {base.provenance}: {base.note})"

    @property
    def empty(self) -> bool:
        """True when nothing differs from the instance file."""
        return not self.values and self.excluded == self.base_excluded


def figure_groups(merged: Mapping[str, Any]) -> list[FigureGroup]:
    """Return the number and yes/no figures of a merged instance table, grouped by table."""
    groups: dict[str, list[FigureField]] = {}
    labels: dict[str, str] = {}
    for path, table, parent in _figure_tables(merged, ()):
        group = ".".join(path[:-1])
        value = table["value"]
        provenance = "source" if table.get("source") else "assumption"
        field = FigureField(".".join(path), path[-1], value, provenance, str(table[provenance]))
        groups.setdefault(group, []).append(field)
        label = parent.get("label") or parent.get("name")
        labels[group] = label if isinstance(label, str) else ""
    return [FigureGroup(g, labels[g], tuple(fields)) for g, fields in groups.items()]


def _figure_tables(
    node: Mapping[str, Any], prefix: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], Mapping[str, Any], Mapping[str, Any]]]:
    for key, value in node.items():
        if not isinstance(value, dict):
            continue
        path = (*prefix, key)
        if "value" in value and (value.get("source") or value.get("assumption")):
            if isinstance(value["value"], bool | int | float):
                yield path, value, node
        else:
            yield from _figure_tables(value, path)


def what_if(
    groups: list[FigureGroup],
    changes: Mapping[str, Change],
    excluded: list[str],
    candidates: list[str],
    base_excluded: tuple[str, ...] = (),
) -> tuple[WhatIf, list[FieldError]]:
    """Parse the page's changes against the instance's figures and candidate sites.

    ``candidates`` are every site the page can switch (the file's exclusions included),
    ``base_excluded`` the ones the file itself excludes.

    Returns the parsed what-if and the fields that could not be read as their kind (an unknown
    figure, text where a number is expected, a site that is not a candidate).
    """
    base = {f.path: f for g in groups for f in g.fields}
    values: dict[str, float | int | bool] = {}
    reasons: dict[str, str] = {}
    errors: list[FieldError] = []
    for path, change in changes.items():
        field = base.get(path)
        if field is None:
            errors.append(FieldError(path, f"{path}: not a figure of this instance"))
            continue
        try:
            value = _parse(change.text, field.kind)
        except ValueError as exc:
            errors.append(FieldError(path, f"{path}.value: {exc}"))
            continue
        if value != field.value or type(value) is not type(field.value):
            values[path] = value
            reasons[path] = change.reason
    unknown = sorted(set(excluded) - set(candidates))
    if unknown:
        errors.append(
            FieldError(SITES_FIELD, f"{SITES_FIELD}: not candidate sites: {', '.join(unknown)}")
        )
    kept = tuple(s for s in candidates if s in set(excluded))
    return WhatIf(values, reasons, kept, base, base_excluded), errors


def _parse(text: str, kind: str) -> float | int | bool:
    """Read the text of a field as its kind; raise ValueError with what was expected."""
    cleaned = text.strip().replace(",", "").replace("_", "")
    if kind == "bool":
        if cleaned.lower() in {"true", "yes", "on", "1"}:
            return True
        if cleaned.lower() in {"false", "no", "off", "0"}:
            return False
        msg = f"expected yes or no, got {text!r}"
        raise ValueError(msg)
    try:
        number = float(cleaned)
    except ValueError:
        msg = f"expected a number, got {text!r}"
        raise ValueError(msg) from None
    if not math.isfinite(number):
        msg = f"expected a finite number, got {text!r}"
        raise ValueError(msg)
    if kind == "int" and number.is_integer():
        return int(number)
    return number


def validate_what_if(
    template: InstanceTemplate,
    change: WhatIf,
    *,
    labelled: bool = False,
    source: Path | None = None,
) -> tuple[Instance | None, list[FieldError]]:
    """Return the validated instance with the what-if applied, or the field that fails.

    The message is the loader's one line (file, dotted path, what was expected), as
    ``siteopt validate`` prints it; it is shown beside the changed field it names.
    """
    try:
        instance = template.variant(change.overrides(labelled=labelled), source)
    except InstanceError as exc:
        return None, [FieldError(_field_of(exc.path, change), str(exc))]
    return instance, []


def _field_of(path: str, change: WhatIf) -> str:
    """The changed field an error path falls under (``""`` when it is none of them)."""
    for field in (*change.values, SITES_FIELD):
        if path == field or path.startswith(f"{field}."):
            return field
    return ""


def _shown(value: float | int | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"{value:g}" if isinstance(value, float) else str(value)

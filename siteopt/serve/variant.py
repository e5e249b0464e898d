"""Saving a what-if as a variant file: ``extends`` the instance, the changed figures labelled.

The file is written next to the instance it extends. Each changed figure carries the planner's
reason as its ``assumption`` (followed by the base value and its provenance); switched-off sites
become ``[sites] exclude``. Nothing is written unless the what-if validates, and the file itself
is loaded back before it is renamed into place (:func:`siteopt.atomic.atomic_write`).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from siteopt.atomic import atomic_write
from siteopt.serve.editor import FieldError

if TYPE_CHECKING:
    from siteopt.serve.editor import WhatIf
    from siteopt.serve.opened import OpenedInstance

__all__ = ["FILE_FIELD", "REASON_MISSING", "save_variant", "variant_file", "variant_toml"]


#: The form field of the variant's file name (its errors are shown there).
FILE_FIELD = "variant.file"

#: Shown beside a changed figure saved without a reason.
REASON_MISSING = "expected the reason for this change: it is saved as the figure's assumption"

_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}$")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def variant_file(opened: OpenedInstance, name: str) -> tuple[Path | None, list[FieldError]]:
    """Return the new file's path (beside the instance), or why the name cannot be used."""
    stem = name.strip().removesuffix(".toml")
    if not _FILE_NAME.match(stem):
        message = (
            f"{FILE_FIELD}: expected a file name of letters, digits, '-', '_' or '.', got {name!r}"
        )
        return None, [FieldError(FILE_FIELD, message)]
    base = opened.template.file.resolve()
    path = base.parent / f"{stem}.toml"
    if path.exists():
        message = f"{FILE_FIELD}: {path.name} already exists; choose another name"
        return None, [FieldError(FILE_FIELD, message)]
    return path, []


def variant_toml(opened: OpenedInstance, change: WhatIf, title: str, when: datetime) -> str:
    """Return the text of the variant file (a TOML document that ``extends`` the instance)."""
    base = opened.template.file.resolve()
    lines = [
        f"# What-if of {base.name}, saved by `siteopt serve` on {when:%Y-%m-%d %H:%M} UTC.",
        "# Each changed figure's assumption is the planner's reason, then the base value.",
        f"extends = {_string(base.name)}",
        f"name = {_string(f'{opened.instance.name}: {title}')}",
    ]
    tables: dict[str, list[str]] = {}
    overrides = change.overrides(labelled=True)
    for path, value in overrides.items():
        table, _, key = path.rpartition(".")
        tables.setdefault(table, []).append(f"{_key(key)} = {_value(value)}")
    for table, entries in tables.items():
        header = ".".join(_key(k) for k in table.split("."))
        if table == "sites":
            lines += ["", f"[{header}]", "# sites switched off on the page"]
        else:
            lines += ["", f"[{header}]"]
        lines += entries
    return "\n".join(lines) + "\n"


def save_variant(
    opened: OpenedInstance, change: WhatIf, name: str, title: str
) -> tuple[Path | None, list[FieldError]]:
    """Validate the what-if and write it as a variant file; return the file or the errors.

    Every changed figure needs a reason; the what-if must pass the loader as ``siteopt validate``
    would, and so must the written file (loaded from its temporary name before the rename).
    """
    errors = [
        FieldError(p, f"{p}: {REASON_MISSING}")
        for p in change.values
        if not change.reasons.get(p, "").strip()
    ]
    if change.empty:
        errors.append(FieldError("", "nothing changed: change a figure or switch a site off first"))
    path, name_errors = variant_file(opened, name)
    errors += name_errors
    if errors or path is None:
        return None, errors
    _, errors = opened.validate(change, labelled=True, source=path)
    if errors:
        return None, errors
    text = variant_toml(opened, change, title.strip() or path.stem, datetime.now(UTC))
    atomic_write(path, lambda temporary: _write_checked(temporary, text))
    return path, []


def _write_checked(temporary: Path, text: str) -> None:
    """Write the text and load it back, so a file that would not validate is never renamed."""
    from siteopt.instance.loading import load_instance  # noqa: PLC0415 (lazy: pydantic models)

    temporary.write_text(text, encoding="utf-8")
    load_instance(temporary)


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _string(key)


def _string(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    msg = f"cannot write {value!r} as TOML"
    raise TypeError(msg)

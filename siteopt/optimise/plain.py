"""Typed results ↔ plain JSON data: the two directions of the output contract.

:func:`to_plain` turns frozen dataclasses (and the tuples, dicts and enums inside them) into the
types JSON has; :func:`from_plain` reads plain data back into a typed object, strictly (a number
where a number is expected, no string coerced), and raises one :class:`ContractError` naming the
first field at fault. :func:`json_schema` is the JSON Schema of a typed object. The reading and
the schema are pydantic's, on the plain dataclasses; no pydantic type leaks into the results.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import re
from collections.abc import Mapping
from enum import Enum
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

from siteopt.errors import ContractError

__all__ = [
    "attribute_docs",
    "describe_properties",
    "from_plain",
    "json_schema",
    "plain_text",
    "to_plain",
]


T = TypeVar("T")


def to_plain(value: Any) -> Any:
    """Return ``value`` as JSON types: dataclasses as dicts, tuples as lists, enums as strings."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    return value


def from_plain(kind: Any, data: Any, *, where: str = "") -> Any:
    """Return ``data`` (JSON types) read as ``kind``; raise :class:`ContractError` if it is not one.

    Parameters
    ----------
    kind
        The type to read: a dataclass, or a tuple / union of them.
    data
        Plain data, as :func:`to_plain` writes it or ``json.load`` reads it.
    where
        Dotted path of ``data`` inside its document, prefixed to the path of an error.

    Raises
    ------
    ContractError
        Naming the first field that is missing or of the wrong type, and what it holds.
    """
    try:
        text = json.dumps(data, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ContractError(where, f"expected plain JSON data ({exc})") from None
    try:
        return TypeAdapter(kind).validate_json(text, strict=True)
    except ValidationError as exc:
        error = exc.errors()[0]
        path = ".".join(str(p) for p in (*([where] if where else []), *error["loc"]))
        raise ContractError(path, _message(error)) from None


def _message(error: Any) -> str:
    if error["type"] == "missing":
        return "missing"
    text = str(error["msg"])
    shown = json.dumps(error.get("input"), ensure_ascii=False)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return f"{text[:1].lower()}{text[1:]}, got {shown}"


def json_schema(kind: Any) -> dict[str, Any]:
    """Return the JSON Schema (draft 2020-12) of what :func:`to_plain` writes for ``kind``.

    Objects admit no keys beyond their fields (``additionalProperties: false``); a field is
    described by its class's numpydoc ``Attributes`` section, where it has one.
    """
    schema: dict[str, Any] = TypeAdapter(kind).json_schema()
    _tidy(schema)
    if dataclasses.is_dataclass(kind):
        describe_properties(schema, attribute_docs(kind))
    return schema


def attribute_docs(kind: Any) -> dict[str, str]:
    """Return each attribute's description from a class's numpydoc ``Attributes`` section."""
    lines = (inspect.getdoc(kind) or "").splitlines()
    docs: dict[str, str] = {}
    inside, name = False, ""
    for i, line in enumerate(lines):
        if line.strip() == "Attributes" and i + 1 < len(lines) and set(lines[i + 1]) == {"-"}:
            inside = True
            continue
        if not inside or set(line) == {"-"}:
            continue
        if line and not line.startswith(" "):
            if i + 1 < len(lines) and set(lines[i + 1].strip()) == {"-"}:
                break  # the next section
            name = line.strip()
            for one in name.split(","):
                docs[one.strip()] = ""
        elif name and line.strip():
            for one in name.split(","):
                docs[one.strip()] = f"{docs[one.strip()]} {line.strip()}".strip()
    return docs


def describe_properties(schema: dict[str, Any], docs: Mapping[str, str]) -> None:
    """Set the ``description`` of each property of an object schema that ``docs`` describes."""
    for name, prop in schema.get("properties", {}).items():
        if docs.get(name):
            prop["description"] = plain_text(docs[name])


def plain_text(doc: str) -> str:
    """A docstring as plain text: its first paragraphs, without reStructuredText roles."""
    text = doc.split("\n\nAttributes\n", maxsplit=1)[0].split("\n\nParameters\n", maxsplit=1)[0]
    text = re.sub(r":[a-z]+:`~?([^`]+)`", r"`\1`", text)
    return text.replace("``", "`")


def _tidy(node: Any) -> None:
    """Close every object to extra keys and drop pydantic's generated property titles."""
    if isinstance(node, dict):
        if isinstance(node.get("description"), str):
            node["description"] = plain_text(node["description"])
        if node.get("type") == "object" and "properties" in node:
            node.setdefault("additionalProperties", False)
            for prop in node["properties"].values():
                prop.pop("title", None)
                for option in prop.get("anyOf", []):
                    option.pop("title", None)
        for value in node.values():
            _tidy(value)
    elif isinstance(node, list):
        for value in node:
            _tidy(value)

"""Reading instance files: TOML, extends chains, overrides, one-line errors.

Reading instance files: TOML, ``extends`` chains, what-if overrides, and one-line
errors that name the file that set the offending key, its dotted path and what
was expected.
"""

from __future__ import annotations

import copy
import difflib
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast, get_args, get_origin

from pydantic import (
    BaseModel,
    ValidationError,
)

from siteopt.errors import InstanceError
from siteopt.instance.checks import Origins, _Checker, _origin_of
from siteopt.instance.constraints import CONSTRAINT_TYPES, ConstraintSpec
from siteopt.instance.figures import Figure, PerHeadEstimate
from siteopt.instance.greenfield import greenfield_grid
from siteopt.instance.schema import GreenfieldSite, Instance

if TYPE_CHECKING:
    from siteopt.data import Dataset

__all__ = ["InstanceTemplate", "load_instance"]


PATH_FIELDS = (
    ("data", "dataset"),
    ("demand", "profile"),
    ("network", "path"),
    ("network", "congestion", "file"),
)


def load_instance(path: Path | str) -> Instance:
    """Read, merge (``extends``) and validate an instance file.

    Parameters
    ----------
    path
        The instance file (TOML); files it ``extends`` are read relative to it.

    Returns
    -------
    Instance
        The validated instance, every figure with its source or assumption.

    Raises
    ------
    InstanceError
        One line naming the file, the dotted field path and what was expected.
    """
    return InstanceTemplate.read(path).variant({})


class InstanceTemplate:
    """An instance file read and merged once, to validate many what-if variants of it quickly.

    A sweep validates each scenario as ``template.variant({"demand.growth": 1.2}, sweep_file)``:
    the overrides go onto the merged TOML by the same merge as ``extends`` (an overridden figure
    is labelled "what-if set in <file>"), then through the full validator.
    """

    def __init__(self, file: Path, raw: dict[str, Any], origins: Origins, chain: tuple[Path, ...]):
        self.file = file
        self._raw = raw
        self._origins = origins
        self._chain = chain
        self._grids: dict[tuple[str, str, float], tuple[GreenfieldSite, ...]] = {}
        # each dataset (and forces) opened by a variant, shared by the next ones (and pickled
        # with the template, with what it has read: a sweep worker does not open it again)
        self._datasets: dict[
            tuple[str, str], tuple[tuple[str, tuple[str, ...] | None], Dataset]
        ] = {}

    @classmethod
    def read(cls, path: Path | str) -> InstanceTemplate:
        """Read and merge an instance file and what it extends (no validation yet)."""
        file = Path(path)
        raw, origins, chain = _merged_toml(file, ())
        return cls(file, raw, origins, chain)

    def merged(self) -> dict[str, Any]:
        """The merged TOML table (a copy), before overrides and validation."""
        return copy.deepcopy(self._raw)

    def variant(self, overrides: Mapping[str, Any], source: Path | None = None) -> Instance:
        """Return the validated instance with ``overrides`` (dotted path → value) applied.

        ``source`` is the file the overrides come from (it labels the overridden figures).
        """
        raw: Any = _toml_copy(self._raw)
        origins = dict(self._origins)
        origin = source or self.file
        for dotted, value in overrides.items():
            keys = tuple(dotted.split("."))
            if not all(keys):
                raise InstanceError(origin, dotted, "expected a dotted field path")
            over: Any = copy.deepcopy(value)
            for key in reversed(keys):
                over = {key: over}
            raw = _merge(raw, over, origin, ())
            _record_origins(value, keys, origin, origins)
            _claim_below(keys, value, origin, origins)
        _resolve_relative_paths(raw, origins)
        try:
            instance = Instance.model_validate(raw)
        except ValidationError as exc:
            raise _instance_error(exc, origins, self.file) from None
        instance._file = self.file
        instance._chain = self._chain
        # Variants naming the same dataset share one opened dataset (and what it reads and
        # derives, once): each opening its own re-read the LSOA table per variant.
        dataset_key = (str(instance.data.dataset), str(instance.data.forces))
        if dataset_key in self._datasets:
            instance._opened = self._datasets[dataset_key]
        if instance.sites.greenfield is not None:
            grid_km = instance.sites.greenfield.grid_km
            grid = (str(instance.data.dataset), str(instance.data.forces), grid_km)
            if grid not in self._grids:
                self._grids[grid] = greenfield_grid(instance.dataset(), grid_km)
            instance._greenfield = self._grids[grid]
        _Checker(instance, origins).check_all()
        if instance._opened is not None:
            self._datasets.setdefault(dataset_key, instance._opened)
        return instance


def _toml_copy(node: Any) -> Any:
    """A copy of merged TOML: tables and arrays copied, values (immutable) shared.

    What ``copy.deepcopy`` gives for TOML data (no table or array appears twice in it) at a
    third of its cost: a sweep copies its base's merged TOML for every scenario.
    """
    if isinstance(node, dict):
        return {key: _toml_copy(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_toml_copy(value) for value in node]
    return node


#: Longest ``extends`` chain and deepest nesting of tables and arrays an instance file may have
#: (the shipped instances use 2 and 5): past them is a loop or a generated file gone wrong.
MAX_EXTENDS = 32
MAX_DEPTH = 32


def _read_toml(file: Path) -> dict[str, Any]:
    if not file.is_file():
        raise InstanceError(file, "", "file not found")
    try:
        with file.open("rb") as handle:
            table = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise InstanceError(file, "", f"not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise InstanceError(file, "", "not valid TOML: expected UTF-8 text") from None
    except RecursionError:
        raise InstanceError(file, "", f"tables nested deeper than {MAX_DEPTH} levels") from None
    except OSError as exc:
        raise InstanceError(file, "", f"cannot read the file ({exc.strerror or exc})") from None
    deep = _too_deep(table, MAX_DEPTH)
    if deep is not None:
        raise InstanceError(file, deep, f"tables nested deeper than {MAX_DEPTH} levels")
    return table


def _too_deep(node: Any, levels: int, path: str = "") -> str | None:
    """The dotted path where ``node`` nests deeper than ``levels`` tables or arrays, or None."""
    if not isinstance(node, dict | list):
        return None
    if levels == 0:
        return path
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in items:
        found = _too_deep(value, levels - 1, f"{path}.{key}" if path else str(key))
        if found is not None:
            return found
    return None


def _merged_toml(
    file: Path, seen: tuple[Path, ...]
) -> tuple[dict[str, Any], Origins, tuple[Path, ...]]:
    """Return the file's table merged over what it extends, the origin of each key, the chain."""
    resolved = file.resolve()
    if resolved in seen:
        cycle = " -> ".join(str(p) for p in (*seen, resolved))
        raise InstanceError(file, "extends", f"circular extends: {cycle}")
    if len(seen) >= MAX_EXTENDS:
        msg = f"expected at most {MAX_EXTENDS} files in an extends chain from {seen[0]}"
        raise InstanceError(file, "extends", msg)
    own = _read_toml(file)
    own_origins: Origins = {}
    _record_origins(own, (), file, own_origins)
    parent_ref = own.get("extends")
    if parent_ref is None:
        return own, own_origins, (file,)
    if not isinstance(parent_ref, str):
        raise InstanceError(file, "extends", f"expected a file path string, got {parent_ref!r}")
    parent_file = file.parent / parent_ref
    if not parent_file.is_file():
        raise InstanceError(file, "extends", f"file {parent_ref!r} not found next to {file.name}")
    base, origins, chain = _merged_toml(parent_file, (*seen, resolved))
    merged = _merge(base, own, file, ())
    origins.update(own_origins)
    for keys, _ in _leaves(own, ()):
        _claim_below(keys, None, file, origins)
    return merged, origins, (file, *chain)


def _leaves(node: Any, prefix: tuple[str, ...]) -> list[tuple[tuple[str, ...], Any]]:
    """Every key path of a table whose value is not a table, with the value."""
    if not isinstance(node, dict):
        return [(prefix, node)]
    return [leaf for key, value in node.items() for leaf in _leaves(value, (*prefix, key))]


def _claim_below(keys: tuple[str, ...], value: Any, file: Path, origins: Origins) -> None:
    """A value that is not a table replaces what was below its key: ``file`` set all of it.

    A bare number over a parent's figure table (``target_share = 95``) becomes that figure's
    ``value``; an error in it must name the file that wrote the number, not the parent whose
    ``value`` key it replaced.
    """
    if isinstance(value, dict):
        return
    depth = len(keys)
    for path in [p for p in origins if len(p) > depth and p[:depth] == keys]:
        origins[path] = file


def _record_origins(node: Any, prefix: tuple[str, ...], file: Path, out: Origins) -> None:
    out[prefix] = file
    if isinstance(node, dict):
        for key, value in node.items():
            _record_origins(value, (*prefix, key), file, out)


def _is_figure_table(node: Any) -> bool:
    return isinstance(node, dict) and "value" in node and ("source" in node or "assumption" in node)


def _is_per_head_table(node: Any) -> bool:
    return isinstance(node, dict) and "per_head_of" in node


def _merge(base: Any, over: Any, file: Path, path: tuple[str, ...]) -> Any:
    """Merge ``over`` into ``base``: tables key by key, anything else replaced."""
    if _is_per_head_table(base) and not _is_per_head_table(over):
        return _replace_estimate(base, over, file)
    if _is_figure_table(base) and _is_per_head_table(over):
        return over
    if (
        _is_figure_table(base)
        and isinstance(over, dict)
        and (over.get("source") or over.get("assumption"))
    ):
        return over
    if _is_figure_table(base):
        new_value = over.get("value") if isinstance(over, dict) else over
        unlabelled = not isinstance(over, dict) or not (
            over.get("source") or over.get("assumption")
        )
        if unlabelled and new_value is not None and not isinstance(new_value, dict | list):
            note = base.get("source") or base.get("assumption")
            kind = "source" if base.get("source") else "assumption"
            extra = (
                {k: v for k, v in over.items() if k != "value"} if isinstance(over, dict) else {}
            )
            return {
                "value": new_value,
                "assumption": f"what-if set in {file.name} (base value {base['value']}; "
                f"{kind}: {note})",
                **extra,
            }
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            where = (*path, key)
            out[key] = (
                _merge(base[key], value, file, where) if key in base else _new(value, file, where)
            )
        return out
    return over


def _new(value: Any, file: Path, path: tuple[str, ...]) -> Any:
    """A key the base lacks, with bare numbers where the schema expects figures made what-ifs.

    The same rule as over a figure the base sets; tables are looked through.
    """
    if isinstance(value, dict):
        return {k: _new(v, file, (*path, k)) for k, v in value.items()}
    bare = isinstance(value, int | float) and not isinstance(value, bool)
    model = _model_at(path) if bare else None
    if model is not None and issubclass(model, Figure):
        return {"value": value, "assumption": f"what-if set in {file.name} (no base value)"}
    return value


def _replace_estimate(base: dict[str, Any], over: Any, file: Path) -> Any:
    """A measured figure (or a what-if number) in place of a per-head estimate replaces it whole."""
    if isinstance(over, dict) and set(over) == {"value"}:
        over = over["value"]  # a what-if of the ``value`` alone (a sweep axis ending in .value)
    if isinstance(over, dict | list) or over is None:
        return over
    others = ", ".join(map(str, base.get("per_head_of") or []))
    return {
        "value": over,
        "assumption": f"what-if set in {file.name} (base: per-head estimate from {others}; "
        f"assumption: {base.get('assumption')})",
    }


def _resolve_relative_paths(raw: dict[str, Any], origins: Origins) -> None:
    """Make file paths relative to the file that set them (so ``extends`` keeps them valid)."""
    for field_path in PATH_FIELDS:
        table: Any = raw
        for part in field_path[:-1]:
            table = table.get(part) if isinstance(table, dict) else None
        key = field_path[-1]
        if not isinstance(table, dict) or not isinstance(table.get(key), str):
            continue
        value = table[key]
        if field_path[0] == "data" and "/" not in value and "\\" not in value:
            continue  # an embedded dataset name
        if field_path[0] == "demand" and value == "default":
            continue
        if not Path(value).is_absolute():
            table[key] = os.path.normpath(origins[field_path].parent / value)


def _instance_error(exc: ValidationError, origins: Origins, file: Path) -> InstanceError:
    """Turn pydantic's first error into one InstanceError with a dotted path."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc = _clean_loc(first["loc"])
    kind = first["type"]
    if kind == "extra_forbidden":
        parent, key = loc[:-1], loc[-1]
        message = f"unknown key {key!r}"
        allowed = _allowed_keys(parent, first["loc"][:-1])
        if allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            message += f" ({hint}expected one of: {', '.join(allowed)})"
    elif kind == "missing":
        message = "required key missing"
    elif kind in {"model_attributes_type", "dict_type", "model_type"}:
        message = f"expected a table, got {_show(first['input'])}"
    elif kind == "union_tag_invalid":
        ctx = first.get("ctx", {})
        loc = (*loc, str(ctx.get("discriminator", "type")).strip("'"))
        message = (
            f"unknown {loc[-1]} {ctx.get('tag')!r} (expected one of: {ctx.get('expected_tags')})"
        )
    elif kind == "literal_error":
        message = f"{_lower_first(first['msg'])}, got {_show(first['input'])}"
    elif kind in {"less_than_equal", "less_than"}:
        bound = "at most" if kind == "less_than_equal" else "less than"
        limit = first.get("ctx", {}).get("le", first.get("ctx", {}).get("lt"))
        message = f"expected {bound} {_number(limit)}, got {_show(first['input'])}"
    elif kind == "value_error":
        message = str(first["ctx"]["error"]) if "ctx" in first else first["msg"]
    else:
        message = f"{_lower_first(first['msg'])}, got {_show(first['input'])}"
    if _expects_figure(loc, first["input"]):
        message = (
            'expected a figure table { value = …, source = "…" } or '
            f'{{ value = …, assumption = "…" }}, got {_show(first["input"])}'
        )
    if len(errors) > 1:
        message += f" (+{len(errors) - 1} more)"
    return InstanceError(_origin_of(loc, origins, file), ".".join(loc), message)


def _clean_loc(loc: tuple[int | str, ...]) -> tuple[str, ...]:
    """Drop pydantic's union-tag entries from a location and render list indices as strings."""
    out: list[str] = []
    for i, part in enumerate(loc):
        prev = loc[i - 1] if i else None
        is_tag = isinstance(part, str) and (
            part in {"figure", "per_head"} | CONSTRAINT_TYPES
            and prev is not None
            and str(prev) in _tagged_parents(loc[:i])
        )
        if not is_tag:
            out.append(str(part))
    return tuple(out)


def _tagged_parents(prefix: tuple[int | str, ...]) -> set[str]:
    """Keys whose value is a tagged union (constraint names, volume stream names)."""
    if len(prefix) == 2 and prefix[0] == "constraints":
        return {str(prefix[1])}
    if len(prefix) == 4 and prefix[:2] == ("demand", "volumes"):
        return {str(prefix[3])}
    return set()


def _expects_figure(loc: tuple[str, ...], value: Any) -> bool:
    """True when the error is a bare number or string where a figure table was expected."""
    if isinstance(value, dict) or not loc:
        return False
    cls = _model_at(loc)
    return cls is not None and issubclass(cls, Figure)


def _model_at(loc: tuple[str, ...]) -> type[BaseModel] | None:
    """Return the model class that sits at ``loc`` in the schema, if it can be found."""

    def models_in(annotation: Any) -> list[type[BaseModel]]:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return [annotation]
        found: list[type[BaseModel]] = []
        for arg in get_args(annotation):
            found += models_in(arg)
        if get_origin(annotation) is dict:
            return []
        return found

    def step(annotation: Any, key: str) -> Any:
        origin = get_origin(annotation)
        if origin is dict:
            return get_args(annotation)[1]
        for arg in get_args(annotation):
            if get_origin(arg) is dict:
                return get_args(arg)[1]
        for model in models_in(annotation):
            if key in model.model_fields:
                return model.model_fields[key].annotation
        return None

    annotation: Any = Instance
    for key in loc:
        if annotation is None:
            return None
        annotation = step(annotation, key)
    models = models_in(annotation) if annotation is not None else []
    return models[0] if models else None


def _allowed_keys(parent: tuple[str, ...], raw_parent: tuple[int | str, ...] = ()) -> list[str]:
    """Keys of the table at ``parent``; ``raw_parent`` (pydantic's location) picks a union member.

    In a tagged union (a volume: figure or per-head estimate; a constraint by its ``type``)
    pydantic names the member it tried in its location, so the keys are that member's.
    """
    tagged = _tagged_member(raw_parent)
    model = tagged or (_model_at(parent) if parent else Instance)
    if model is None:
        return []
    return sorted(model.model_fields)


def _tagged_member(raw_loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The union member pydantic validated at the end of ``raw_loc`` (by its tag), if any."""
    if not raw_loc or not isinstance(raw_loc[-1], str):
        return None
    tag = raw_loc[-1]
    before = _clean_loc(raw_loc[:-1])
    if tuple(_clean_loc(raw_loc)) != before:
        return None  # the last entry is a field, not a tag
    if before[:2] == ("demand", "volumes"):
        members: dict[str, type[BaseModel]] = {"figure": Figure, "per_head": PerHeadEstimate}
        return members.get(tag)
    if before[:1] == ("constraints",):
        for spec in get_args(get_args(ConstraintSpec)[0]):
            if get_args(spec.model_fields["type"].annotation)[0] == tag:
                return cast("type[BaseModel]", spec)
    return None


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int | float) else str(value)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]

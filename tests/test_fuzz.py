"""Fuzz suite: generated and mutated input files through the CLI, against the errors contract.

Every input here is built by Hypothesis from what the schemas accept (the toy instance, a
profile CSV, the toy's ``solution.json``, an OpenStreetMap road file) and then broken: values of
the wrong type, huge, negative or not finite, control characters, deleted and unknown keys, deep
nesting. Each is run through ``siteopt.cli.main`` in-process and must keep the contract of
``docs/errors.md``:

- exit 0, 2, 3 or 4 (never 1, never an uncaught exception);
- on 2, exactly one stderr line, ``siteopt: error: …``, naming the file at fault;
- no traceback on stderr;
- nothing half-written: no hidden staging file or folder, no output folder after a failure.

CI runs a bounded number of examples (the profile in force: ``default`` gives tens, see
``_budget``); a release runs ``pytest -m fuzz --hypothesis-profile=long`` (``tests/conftest.py``).
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siteopt.cli import main
from tests.conftest import INSTANCES

pytestmark = pytest.mark.fuzz

TOY = tomllib.loads((INSTANCES / "toy.toml").read_text(encoding="utf-8"))


def _budget(share: float) -> int:
    """Examples for one test: ``share`` of the profile's ``max_examples``, at least 3."""
    current = settings.default
    examples = current.max_examples if current is not None else 100
    return max(3, int(examples * share))


def _fuzz(share: float) -> settings:
    return settings(
        max_examples=_budget(share),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


# ---------------------------------------------------------------------------------------------
# The contract


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    try:
        code = main(list(args))
    except BaseException as exc:  # the contract: nothing escapes main
        pytest.fail(f"main raised {type(exc).__name__}: {exc}")
    return code, capsys.readouterr().err


def _check_contract(code: int, err: str, folder: Path, blamed: tuple[str, ...]) -> None:
    """Exit code, one line naming a blamed file on 2, no traceback, nothing hidden left."""
    assert code in {0, 2, 3, 4}, err
    assert "Traceback" not in err, err
    if code == 2:
        lines = err.splitlines()
        assert len(lines) == 1, err
        assert lines[0].startswith("siteopt: error: "), err
        assert any(name in lines[0] for name in blamed), err
    leftovers = [p.name for p in folder.rglob(".*")]
    assert leftovers == [], leftovers


# ---------------------------------------------------------------------------------------------
# TOML written from Python data (inline tables: deletions, additions and any value type)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # JSON's escapes (\\uXXXX, \\", \\\\) are TOML's too
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{json.dumps(str(k))} = {_toml_value(v)}" for k, v in value.items())
        return "{" + inner + "}"
    raise TypeError(type(value))


def _toml_document(table: dict[str, Any]) -> str:
    return "".join(f"{json.dumps(k)} = {_toml_value(v)}\n" for k, v in table.items())


def _leaf_paths(node: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    if isinstance(node, dict) and node:
        return [p for k, v in node.items() for p in _leaf_paths(v, (*prefix, k))]
    return [prefix]


LEAVES = _leaf_paths(TOY)

HOSTILE_TEXT = st.text(
    alphabet=st.sampled_from(["a", "=", "$", "\\", "\n", "\x01", "\x7f", "é", "<", "{", " "]),
    max_size=12,
)
HOSTILE_SCALAR = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 1, 10**6, 10**12, 2**63, -(2**63), 1e308, 1e-308]),
    st.integers(),
    st.booleans(),
    HOSTILE_TEXT,
)
HOSTILE_VALUE = st.recursive(
    HOSTILE_SCALAR,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["value", "x"]), inner)
    ),
    max_leaves=6,
)


def _set(table: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = table
    for key in path[:-1]:
        node = node.setdefault(key, {})
        if not isinstance(node, dict):
            return
    node[path[-1]] = value


def _delete(table: dict[str, Any], path: tuple[str, ...]) -> None:
    node: Any = table
    for key in path[:-1]:
        node = node.get(key) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(path[-1], None)


@st.composite
def mutated_instances(draw: st.DrawFn) -> dict[str, Any]:
    """The toy instance with one to three mutations: a value replaced, a key deleted or added."""
    table: dict[str, Any] = json.loads(json.dumps(TOY))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(LEAVES))
        kind = draw(st.sampled_from(["replace", "delete", "add", "deep"]))
        if kind == "replace":
            _set(table, path, draw(HOSTILE_VALUE))
        elif kind == "delete":
            _delete(table, path[: draw(st.integers(1, len(path)))])
        elif kind == "add":
            _set(table, (*path[:-1], draw(st.sampled_from(["valeu", "extra\nkey", "x"]))), 1)
        else:
            nested: Any = 1
            for _ in range(draw(st.integers(30, 200))):
                nested = [nested]
            _set(table, path, nested)
    return table


@_fuzz(0.5)
@given(table=mutated_instances())
def test_mutated_instances_keep_the_errors_contract_in_validate(
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    table: dict[str, Any],
) -> None:
    """``validate`` of a mutated toy: ok (0) or one line naming the file (2)."""
    folder = tmp_path_factory.mktemp("inst")
    file = folder / "fuzzed.toml"
    file.write_text(_toml_document(table), encoding="utf-8")
    code, err = _run(capsys, "validate", str(file))
    _check_contract(code, err, folder, blamed=("fuzzed.toml",))


FIGURE_PATHS = [p for p in LEAVES if p[-1] == "value"]


@_fuzz(0.05)
@given(
    path=st.sampled_from(FIGURE_PATHS),
    value=st.one_of(st.floats(min_value=0, max_value=1e12, allow_nan=False), st.integers(0, 10**9)),
)
def test_solving_instances_with_extreme_figures_keeps_the_contract(
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    path: tuple[str, ...],
    value: float,
) -> None:
    """``solve`` of a toy with one figure pushed anywhere in range or past it: 0/2/3/4 only."""
    table = json.loads(json.dumps(TOY))
    _set(table, path, value)
    folder = tmp_path_factory.mktemp("solve")
    file = folder / "fuzzed.toml"
    file.write_text(_toml_document(table), encoding="utf-8")
    code, err = _run(capsys, "solve", str(file), "--time-limit", "5", "--json")
    _check_contract(code, err, folder, blamed=("fuzzed.toml",))


# ---------------------------------------------------------------------------------------------
# Profile CSV


@st.composite
def profile_csvs(draw: st.DrawFn) -> bytes:
    """A profile CSV: a header and shares, then maybe broken (encoding, rows, cells, a BOM)."""
    n = draw(st.sampled_from([168, 336, 167, 0, 1]))
    shares: list[Any] = [1 / n] * n if n else []
    if n and draw(st.booleans()):
        shares[draw(st.integers(0, n - 1))] = draw(HOSTILE_SCALAR)
    header = draw(st.sampled_from(["share", "hour,share", "Share", "", "share,share"]))
    rows = [",".join([str(i)] * header.count(",")) + ("," if "," in header else "") + str(s)
            for i, s in enumerate(shares)]  # fmt: skip
    text = "\n".join([header, *rows]) + "\n"
    data = text.encode("utf-8")
    mutation = draw(st.sampled_from(["none", "bom", "latin1", "nul", "truncate"]))
    if mutation == "bom":
        data = b"\xef\xbb\xbf" + data
    elif mutation == "latin1":
        data = data.replace(b"share", b"sh\xe4re", 1)
    elif mutation == "nul":
        data = data.replace(b"\n", b"\x00\n", 3)
    elif mutation == "truncate":
        data = data[: draw(st.integers(0, len(data)))]
    return data


@_fuzz(0.3)
@given(data=profile_csvs(), giant=st.sampled_from([0, 10, 140_000]))
def test_profile_csvs_keep_the_errors_contract(
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    data: bytes,
    giant: int,
) -> None:
    """A fuzzed ``demand.profile`` CSV: ok or one line naming the CSV (or the instance).

    ``giant``: a last cell of that many characters (past 131,072 the csv module refuses it).
    """
    folder = tmp_path_factory.mktemp("csv")
    (folder / "p.csv").write_bytes(data + b"x" * giant + (b"\n" if giant else b""))
    file = folder / "fuzzed.toml"
    file.write_text(
        f'extends = "{(INSTANCES / "toy.toml").as_posix()}"\n[demand]\nprofile = "p.csv"\n',
        encoding="utf-8",
    )
    code, err = _run(capsys, "validate", str(file))
    _check_contract(code, err, folder, blamed=("p.csv", "fuzzed.toml"))


# ---------------------------------------------------------------------------------------------
# solution.json


@pytest.fixture(scope="module")
def toy_solution(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The toy's solution.json, as ``solve --out`` writes it (with an absolute instance_file)."""
    out = tmp_path_factory.mktemp("toy") / "out"
    assert main(["solve", str(INSTANCES / "toy.toml"), "--out", str(out), "--format", "json"]) == 0
    document: dict[str, Any] = json.loads((out / "solution.json").read_text(encoding="utf-8"))
    document["instance_file"] = str(INSTANCES / "toy.toml")
    return document


def _json_paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, dict):
        return [prefix] + [p for k, v in node.items() for p in _json_paths(v, (*prefix, k))]
    if isinstance(node, list):
        return [prefix] + [p for i, v in enumerate(node[:3]) for p in _json_paths(v, (*prefix, i))]
    return [prefix]


JSON_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    HOSTILE_TEXT,
    st.lists(st.integers(-5, 5), max_size=3),
    st.just({}),
)


@_fuzz(0.2)
@given(data=st.data())
def test_mutated_solution_json_keeps_the_errors_contract_in_export(
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    toy_solution: dict[str, Any],
    data: st.DataObject,
) -> None:
    """``export`` of a mutated solution.json: rebuilt (0) or one line naming the file (2)."""
    document = json.loads(json.dumps(toy_solution))
    paths = [p for p in _json_paths(document) if p and p[0] != "instance_file"]
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths))
        node: Any = document
        try:
            for key in path[:-1]:
                node = node[key]
            if data.draw(st.booleans()) and isinstance(node, dict):
                node.pop(path[-1], None)
            else:
                node[path[-1]] = data.draw(JSON_VALUE)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed the way there
    folder = tmp_path_factory.mktemp("sol")
    file = folder / "fuzzed.json"
    file.write_text(json.dumps(document), encoding="utf-8")
    out = folder / "out"
    code, err = _run(capsys, "export", str(file), "--out", str(out), "--format", "json,md")
    _check_contract(code, err, folder, blamed=("fuzzed.json",))
    if code != 0:
        assert not out.exists()


# ---------------------------------------------------------------------------------------------
# Road files (OpenStreetMap XML)

COORDINATE = st.one_of(
    st.floats(min_value=51.5, max_value=52.5).map(str),
    st.sampled_from(["952.2", "nan", "inf", "", "x", "-0.0", "1e400", "52.0.1"]),
)


@st.composite
def osm_files(draw: st.DrawFn) -> str:
    """A few nodes near Bedfordshire and ways between them, with fuzzed coordinates and tags."""
    n = draw(st.integers(0, 5))
    nodes = [
        f' <node id="{i + 1}" lat="{draw(COORDINATE)}" lon="{-0.45 + 0.05 * i}"/>' for i in range(n)
    ]
    highway = draw(st.sampled_from(["primary", "footway", "residential", "", "motorway"]))
    refs = "".join(f'<nd ref="{draw(st.integers(1, 6))}"/>' for _ in range(draw(st.integers(0, 4))))
    way = f' <way id="10">{refs}<tag k="highway" v="{highway}"/></way>'
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n'
        + "\n".join([*nodes, way])
        + "\n</osm>\n"
    )


@_fuzz(0.1)
@given(text=osm_files())
def test_osm_road_files_keep_the_errors_contract_in_route(
    tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    """``route`` over a fuzzed .osm road file: a route (0) or one line naming a file (2)."""
    folder = tmp_path_factory.mktemp("osm")
    (folder / "roads.osm").write_text(text, encoding="utf-8")
    file = folder / "fuzzed.toml"
    file.write_text(
        f'extends = "{(INSTANCES / "toy.toml").as_posix()}"\n'
        '[network]\nkind = "osm"\npath = "roads.osm"\n',
        encoding="utf-8",
    )
    code, err = _run(capsys, "route", str(file), "--", "-0.45,52.0", "-0.40,52.0")
    _check_contract(code, err, folder, blamed=("roads.osm", "fuzzed.toml", "network"))


def test_the_contract_check_catches_what_it_should(tmp_path: Path) -> None:
    """The checker itself: a traceback, two lines, exit 1 or a leftover staging file fail it."""
    checks: list[Callable[[], None]] = [
        lambda: _check_contract(1, "", tmp_path, ("f",)),
        lambda: _check_contract(2, "siteopt: error: f: x\nmore\n", tmp_path, ("f",)),
        lambda: _check_contract(2, "siteopt: error: other: x\n", tmp_path, ("f",)),
        lambda: _check_contract(0, "Traceback (most recent call last)", tmp_path, ("f",)),
    ]
    for check in checks:
        with pytest.raises(AssertionError):
            check()
    (tmp_path / ".out-staging").mkdir()
    with pytest.raises(AssertionError):
        _check_contract(0, "", tmp_path, ("f",))

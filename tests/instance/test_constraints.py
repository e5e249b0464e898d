"""Constraint tables of an instance file: the ``min_call_share`` table and its errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from siteopt.errors import InstanceError
from siteopt.instance.constraints import CONSTRAINT_TYPES, MinCallShareSpec
from siteopt.instance.loading import load_instance
from tests.conftest import INSTANCES


def share_variant(tmp_path: Path, body: str) -> Path:
    """A toy variant with one ``min_call_share`` table whose fields are ``body``."""
    path = tmp_path / "share.toml"
    path.write_text(
        f'extends = "{(INSTANCES / "toy.toml").as_posix()}"\n'
        f'[constraints.share]\ntype = "min_call_share"\n{body}\n',
        encoding="utf-8",
    )
    return path


def test_a_call_share_table_loads(tmp_path: Path) -> None:
    """A share in (0, 1) with its label; enabled unless said otherwise."""
    instance = load_instance(
        share_variant(tmp_path, 'min_share = { value = 0.3, assumption = "t" }')
    )
    table = instance.constraints["share"]
    assert isinstance(table, MinCallShareSpec)
    assert table.min_share.value == 0.3
    assert table.enabled
    assert "min_call_share" in CONSTRAINT_TYPES


def share(value: str) -> str:
    """A labelled ``min_share`` line."""
    return f'min_share = {{ value = {value}, assumption = "t" }}'


SHARE = "constraints.share.min_share"


@pytest.mark.parametrize(
    ("body", "path", "phrase"),
    [
        (share("1.0"), f"{SHARE}.value", "less than 1"),
        (share("0"), f"{SHARE}.value", "greater than 0"),
        (share("1e-9"), f"{SHARE}.value", "six decimals"),
        ("", SHARE, "required key missing"),
        ('min_share = "0.3"', SHARE, "expected a figure table"),
        (share("0.3") + "\nminimum_share = 3", "constraints.share.minimum_share", "unknown key"),
    ],
)
def test_a_bad_call_share_table_is_one_error(
    tmp_path: Path, body: str, path: str, phrase: str
) -> None:
    """Each mistake is one error naming the file, the field and what was expected."""
    with pytest.raises(InstanceError, match=phrase) as info:
        load_instance(share_variant(tmp_path, body))
    assert info.value.path == path
    assert "share.toml" in info.value.file

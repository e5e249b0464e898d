"""Atomic writes: whole file or nothing, with the permissions of a plain write."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from siteopt.atomic import atomic_write, atomic_write_text
from siteopt.errors import SiteoptError


def test_text_is_written_with_umask_permissions(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "out.txt"
    old = os.umask(0o022)
    try:
        atomic_write_text(target, "hello\n")
    finally:
        os.umask(old)
    assert target.read_text(encoding="utf-8") == "hello\n"
    assert target.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in target.parent.iterdir()] == ["out.txt"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")

    def broken(path: Path) -> None:
        path.write_text("half", encoding="utf-8")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        atomic_write(target, broken)
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_a_file_where_the_folder_should_be_is_a_one_line_error(tmp_path: Path) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(SiteoptError, match="expected a folder"):
        atomic_write_text(blocker / "report.md", "x")

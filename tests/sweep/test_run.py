"""Tests for siteopt/sweep/run.py's progress output (the sweeps themselves: test_sweep.py)."""

from __future__ import annotations

import pytest

from siteopt.sweep.run import _Bar


def test_progress_to_a_file_is_a_line_every_tenth_not_silence_until_the_end(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Rich draws nothing until the end off a terminal: a logged sweep looked hung."""
    counts = {"failed": 1, "lost": 0}
    with _Bar(True, 40) as bar:
        bar.advance(8)  # found already stored: not reported as progress of this run
        for _ in range(32):
            bar.update(1, counts)
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(" scenarios")[0] for line in lines] == [
        f"sweep: {n}/40" for n in (12, 16, 20, 24, 28, 32, 36, 40)
    ]
    assert all(", 1 failed, 0 lost" in line for line in lines)
    assert "left" in lines[0] and "left" not in lines[-1]


def test_quiet_progress_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    """``--quiet`` (progress disabled) writes no progress line."""
    with _Bar(False, 10) as bar:
        bar.update(10, {"failed": 0, "lost": 0})
    assert capsys.readouterr().err == ""

"""Tests for siteopt/status.py: one status vocabulary, its meaning in words."""

from __future__ import annotations

import json

from siteopt.status import Status, status_note


def test_the_four_statuses_are_their_own_strings() -> None:
    """One vocabulary: the value is the name, so JSON, sweep rows and terminals agree."""
    assert [str(s) for s in Status] == ["OPTIMAL", "FEASIBLE", "INFEASIBLE", "UNKNOWN"]
    assert json.dumps(Status.FEASIBLE) == '"FEASIBLE"'
    assert Status("INFEASIBLE") is Status.INFEASIBLE


def test_found_and_proven_split_the_statuses() -> None:
    """A solution exists for OPTIMAL and FEASIBLE; a proof for OPTIMAL and INFEASIBLE."""
    assert {s for s in Status if s.found} == {Status.OPTIMAL, Status.FEASIBLE}
    assert {s for s in Status if s.proven} == {Status.OPTIMAL, Status.INFEASIBLE}


def test_status_note_says_the_gap_of_an_unproven_solution() -> None:
    """FEASIBLE names its gap in per cent; the others say what is (not) proven."""
    assert status_note(Status.OPTIMAL, 0.0) == "proved optimal"
    assert status_note(Status.FEASIBLE, 0.0123) == "not proven optimal, gap 1.23 %"
    assert status_note(Status.FEASIBLE, None) == "not proven optimal, gap unknown"
    assert status_note(Status.INFEASIBLE, None) == "proved infeasible"
    assert "no solution found" in status_note(Status.UNKNOWN, None)

"""Console output (siteopt/console.py): what a terminal shows stays readable at national size."""

from __future__ import annotations

from dataclasses import replace

from siteopt.console import _forces_served
from siteopt.outputs.data import ExportData


def test_a_room_of_many_forces_is_one_short_cell(toy_data: ExportData) -> None:
    """Pooled rooms say "all 43 (pooled)"; a long by-force list names the first four."""
    solution = toy_data.solution
    assert solution is not None
    many = tuple(f"force-{i}" for i in range(43))
    pooled = replace(solution, routing="pooled", sites=(solution.sites[0], solution.sites[0]))
    assert _forces_served(many, pooled) == "all 43 (pooled)"
    by_force = replace(solution, routing="by_force")
    assert _forces_served(many, by_force) == "43: force-0, force-1, force-2, force-3 …"
    assert _forces_served(("a", "b"), by_force) == "a, b"

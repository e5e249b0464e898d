"""Tests for siteopt/optimise/solve.py: an infeasible run says which input stands in the way."""

from __future__ import annotations

from pathlib import Path

import pytest

from siteopt.instance.loading import load_instance
from siteopt.optimise.option import CAPACITY
from siteopt.optimise.solve import solve
from siteopt.status import Status
from tests.conftest import INSTANCES


def _child(tmp_path: Path, body: str) -> Path:
    child = tmp_path / "child.toml"
    child.write_text(f'extends = "{(INSTANCES / "toy.toml").as_posix()}"\n{body}', encoding="utf-8")
    return child


@pytest.mark.parametrize(
    ("body", "needed"),
    [
        ('[staffing]\nmin_positions_per_site = { value = 1000, assumption = "x" }\n', 1000),
        (
            '[demand.volumes.bedfordshire]\nemergency = { value = 1e7, assumption = "x" }\n'
            '[solver]\nk_max = 3\nmethod = "cp-sat"\n',
            None,
        ),
        ('[demand.volumes.bedfordshire]\nemergency = { value = 1e7, assumption = "x" }\n', None),
    ],
    ids=["min-crew-above-every-building", "calls-past-three-buildings-cpsat", "calls-enumerate"],
)
def test_infeasible_because_of_seats_names_capacity_and_the_shortfall(
    tmp_path: Path, body: str, needed: int | None
) -> None:
    """Seats or staffing, not a named constraint: the conflict says so, and by how much (#16 7).

    Before, the conflict was empty and the terminal printed "Smallest conflicting set:" alone.
    """
    result = solve(load_instance(_child(tmp_path, body)))
    assert result.status is Status.INFEASIBLE
    assert result.infeasibility is not None
    assert CAPACITY in result.infeasibility.conflict
    relaxation = next(r for r in result.infeasibility.relaxations if r.constraint == CAPACITY)
    assert relaxation.limit == 40  # the toy's max_seats
    assert relaxation.value is not None and relaxation.value > 40
    if needed is not None:
        assert relaxation.value == needed
    assert relaxation.best_sites and relaxation.best_total_gbp > 0
    assert "max_seats" in relaxation.detail


def test_infeasible_because_of_a_constraint_does_not_blame_capacity(tmp_path: Path) -> None:
    """Two rooms 500-600 minutes apart: the separation is the conflict, not the seats."""
    body = (
        "[solver]\nk_min = 2\n[constraints.separation]\n"
        'min_minutes = { value = 500, assumption = "t" }\n'
        'max_minutes = { value = 600, assumption = "t" }\n'
    )
    result = solve(load_instance(_child(tmp_path, body)))
    assert result.infeasibility is not None
    assert result.infeasibility.conflict == ("separation",)

"""The greenfield grid above the dense limit: pairs measured on demand agree with the dense path.

At 5 km (275 candidates) both paths run fast: the problem built with every candidate pair
measured pair by pair (``dense_sites=0``) has the same separation conflicts and fallbacks as the
dense matrix gives, and the ranked options from the bounded pair search equal the whole table's.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import numpy as np
import pytest

from siteopt.instance.loading import load_instance
from siteopt.optimise.build import problem_from_instance, travel_inputs
from siteopt.optimise.constraints import Fallback, Separation
from siteopt.optimise.options import best_options, bounded_table, option_table
from siteopt.optimise.problem import ProblemData
from tests.conftest import INSTANCES

T = TypeVar("T")


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[ProblemData, ProblemData]:
    """The 5 km grid with up to two rooms: dense site × site minutes, and measured on demand."""
    folder: Path = tmp_path_factory.mktemp("greenfield")
    variant = folder / "gf5-k2.toml"
    variant.write_text(
        f'extends = "{(INSTANCES / "bch-greenfield.toml").as_posix()}"\n'
        "[solver]\nk_min = 1\nk_max = 2\n",
        encoding="utf-8",
    )
    instance = load_instance(variant)
    dense = travel_inputs(instance)
    sparse = travel_inputs(instance, dense_sites=0)
    assert dense.site_minutes is not None and sparse.site_minutes is None
    return (
        problem_from_instance(instance, travel=dense),
        problem_from_instance(instance, travel=sparse),
    )


def _only(problem: ProblemData, kind: type[T]) -> T:
    (found,) = [c for c in problem.constraints if isinstance(c, kind)]
    return found


def test_separation_and_fallback_agree_with_the_dense_matrix(
    both: tuple[ProblemData, ProblemData],
) -> None:
    dense, sparse = both
    np.testing.assert_array_equal(
        _only(sparse, Separation).conflict, _only(dense, Separation).conflict
    )
    lazy, eager = _only(sparse, Fallback), _only(dense, Fallback)
    np.testing.assert_array_equal(lazy.available, eager.available)
    assert lazy.fallback_of == eager.fallback_of
    assert _only(sparse, Separation).given is None  # measured, not built up front


def test_bounded_ranking_equals_the_whole_table(both: tuple[ProblemData, ProblemData]) -> None:
    dense, sparse = both
    table = option_table(dense)
    for n in (1, 11, 200):
        bounded = bounded_table(sparse, n)
        assert bounded is not None
        assert len(bounded.total) < len(table.total) or n == 200
        expected = [(o.sites, o.total, o.feasible) for o in best_options(dense, n, table=table)]
        got = [(o.sites, o.total, o.feasible) for o in best_options(sparse, n, table=bounded)]
        assert got == expected

"""Tests for siteopt/optimise/constraints/force_reach.py: drive times swapped for a Monte-Carlo."""

from __future__ import annotations

import numpy as np

from siteopt.instance.loading import load_instance
from siteopt.optimise.build import problem_from_instance
from siteopt.optimise.constraints import ForceReach
from tests.conftest import INSTANCES


def test_with_drive_times_checks_reach_again_and_other_types_are_unchanged() -> None:
    """Slower real times shrink reach for the bound forces only; other constraints keep theirs."""
    problem = problem_from_instance(load_instance(INSTANCES / "bch-2015.toml"))
    for constraint in problem.constraints:
        slower = constraint.with_drive_times(lambda minutes: minutes * 1.5)
        if not isinstance(constraint, ForceReach):
            assert slower is constraint
            continue
        assert isinstance(slower, ForceReach) and constraint.minutes is not None
        assert slower.minutes is not None
        before = constraint.minutes
        assert np.array_equal(slower.minutes, before * 1.5)
        assert np.array_equal(slower.reach, before * 1.5 <= constraint.limit)  # all forces bound
        assert slower.reach.sum() < constraint.reach.sum()
        same = constraint.with_drive_times(lambda minutes: minutes)
        assert isinstance(same, ForceReach)
        assert np.array_equal(same.reach, constraint.reach)

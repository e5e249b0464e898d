"""Shared helpers of the location tests: random matrices, brute force, a countdown deadline."""

from __future__ import annotations

import itertools
import math
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from unittest import mock

import numpy as np
from hypothesis import strategies as st

from siteopt.location import solve
from siteopt.location.base import Deadline
from siteopt.location.matrix import CostMatrix

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


MAXIMISED = ("mclp", "pdispersion")


@st.composite
def small_matrices(
    draw: st.DrawFn, max_n: int = 8, max_m: int = 7
) -> tuple[list[list[float]], list[float]]:
    """Times (whole minutes 0..30, some unreachable) and weights (0..50) of a small matrix."""
    n = draw(st.integers(1, max_n))
    m = draw(st.integers(2, max_m))
    cell = st.one_of(st.integers(0, 30).map(float), st.just(math.inf))
    times = [[draw(cell) for _ in range(m)] for _ in range(n)]
    weights = [float(draw(st.integers(0, 50))) for _ in range(n)]
    return times, weights


def as_matrix(times: list[list[float]], weights: list[float]) -> CostMatrix:
    """A CostMatrix with a seeded symmetric between-sites matrix (for p-dispersion)."""
    m = len(times[0])
    rng = np.random.default_rng(len(times) * 7 + m)
    between = rng.integers(1, 40, size=(m, m)).astype(float)
    between = np.minimum(between, between.T)
    np.fill_diagonal(between, 0.0)
    return CostMatrix(
        minutes=np.array(times),
        weights=np.array(weights),
        demand_ids=tuple(f"d{i}" for i in range(len(times))),
        candidate_ids=tuple(f"s{j}" for j in range(m)),
        source="random",
        between=between,
    )


def objective_of(
    model: str, matrix: CostMatrix, sites: tuple[int, ...], within: float | None
) -> float:
    """A site set's objective in plain Python (``inf`` for p-median / p-center gaps)."""
    rows = [
        (min(float(matrix.minutes[i, j]) for j in sites), float(wi))
        for i, wi in enumerate(matrix.weights)
        if wi > 0
    ]
    if model == "pmedian":
        return sum(wi * t for t, wi in rows)
    if model == "pcenter":
        return max((t for t, _ in rows), default=0.0)
    if model == "mclp":
        assert within is not None
        return sum(wi for t, wi in rows if t <= within)
    if model == "lscp":
        assert within is not None
        return float(len(sites)) if all(t <= within for t, _ in rows) else math.inf
    assert matrix.between is not None
    return min(float(matrix.between[a, b]) for a, b in itertools.combinations(sites, 2))


def brute_optimum(model: str, matrix: CostMatrix, p: int | None, within: float | None) -> float:
    """The optimum by trying every site set (``inf`` / ``-inf`` when none is feasible)."""
    m = len(matrix.candidate_ids)
    sizes = range(1, m + 1) if model == "lscp" else [p or 0]
    values = [
        objective_of(model, matrix, sites, within)
        for k in sizes
        for sites in itertools.combinations(range(m), k)
    ]
    return max(values) if model in MAXIMISED else min(values)


def relative_gap(objective: float, bound: float) -> float:
    """The documented gap, computed here independently of siteopt."""
    scale = max(abs(objective), abs(bound))
    return 0.0 if scale == 0 else abs(objective - bound) / scale


@dataclass(frozen=True)
class Countdown(Deadline):
    """A deadline that passes after ``checks`` questions (deterministic early stops)."""

    left: list[int] = field(default_factory=lambda: [0])

    def passed(self) -> bool:
        """True once the countdown has run out."""
        self.left[0] -= 1
        return self.left[0] < 0

    def remaining(self) -> float | None:
        """HiGHS gets a millisecond once the countdown has run out, else no limit."""
        return 1e-3 if self.left[0] < 0 else None


@contextmanager
def stopping_after(checks: int) -> Iterator[None]:
    """Every ``locate`` call inside runs against a deadline passing after ``checks`` checks."""
    fake = mock.Mock(wraps=Deadline)
    fake.after = lambda _seconds: Countdown(math.inf, [checks])
    with mock.patch.object(solve, "Deadline", fake):
        yield


def write(tmp_path: Path, text: str) -> Path:
    """``text`` written as ``costs.csv`` in ``tmp_path``."""
    path = tmp_path / "costs.csv"
    path.write_text(text, encoding="utf-8")
    return path

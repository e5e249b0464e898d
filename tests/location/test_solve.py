"""Time limits of every location model: the best answer so far, its proven bound and its gap."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siteopt.location import base, pcenter, pdispersion, pmedian
from siteopt.location import matrix as matrix_module
from siteopt.location.matrix import CostMatrix, LocateError
from siteopt.location.solve import locate
from siteopt.status import Status
from tests.conftest import CliResult
from tests.location.helpers import (
    MAXIMISED,
    as_matrix,
    brute_optimum,
    objective_of,
    relative_gap,
    small_matrices,
    stopping_after,
)

LIMIT_S = 1.0
# Setting up (greedy starts, coverage groups, the MIP build) may run past the limit a little.
SLACK_S = 4.0


def random_matrix(n: int = 3000, m: int = 150, seed: int = 21) -> CostMatrix:
    """Independent uniform times (no geometry): hard for every exact method."""
    rng = np.random.default_rng(seed)
    times = rng.uniform(1.0, 100.0, size=(n, m))
    times[rng.random((n, m)) < 0.02] = np.inf
    between = rng.uniform(1.0, 100.0, size=(m, m))
    between = np.minimum(between, between.T)
    np.fill_diagonal(between, 0.0)
    return CostMatrix(
        minutes=times,
        weights=rng.integers(0, 100, n).astype(float),
        demand_ids=tuple(f"d{i}" for i in range(n)),
        candidate_ids=tuple(f"s{j}" for j in range(m)),
        source="uniform random",
        between=between,
    )


@pytest.fixture(scope="module")
def hard() -> CostMatrix:
    return random_matrix()


BITING: list[tuple[str, str, dict[str, Any]]] = [
    ("pmedian", "auto", {"p": 10}),
    ("pmedian", "mip", {"p": 10}),
    ("pcenter", "auto", {"p": 10}),
    ("lscp", "auto", {"within": 25.0}),
    ("mclp", "auto", {"p": 10, "within": 10.0}),
    ("pdispersion", "auto", {"p": 10}),
]


@pytest.mark.parametrize(("model", "method", "args"), BITING)
def test_a_time_limit_that_bites_returns_the_best_answer_with_its_gap(
    hard: CostMatrix, model: str, method: str, args: dict[str, Any]
) -> None:
    result = locate(hard, model, method=method, time_limit=LIMIT_S, **args)
    assert result.status is Status.FEASIBLE, result.method
    assert "time limit" in result.method
    assert result.solve_seconds <= LIMIT_S + SLACK_S
    assert result.objective is not None and result.bound is not None
    chosen = tuple(hard.candidate_ids.index(s) for s in result.sites)
    assert len(chosen) == args.get("p", len(chosen))
    assert result.objective == pytest.approx(
        objective_of(model, hard, chosen, args.get("within")), rel=1e-12
    )
    if model in MAXIMISED:
        assert result.bound > result.objective
        assert result.gap == pytest.approx((result.bound - result.objective) / result.bound)
    else:
        assert result.bound < result.objective
        assert result.gap == pytest.approx((result.objective - result.bound) / result.objective)
    assert result.gap is not None and 0 < result.gap < 1
    payload = result.to_dict()
    assert (payload["bound"], payload["gap"]) == (result.bound, result.gap)


def test_pmedian_bound_is_valid_against_a_better_known_solution(hard: CostMatrix) -> None:
    """Stopped at 0.5 s, the bound stays below what a 3 s search reaches."""
    quick = locate(hard, "pmedian", p=10, time_limit=0.5)
    longer = locate(hard, "pmedian", p=10, time_limit=3.0)
    assert quick.bound is not None and longer.objective is not None
    assert quick.bound <= longer.objective
    assert longer.gap is not None and quick.gap is not None and longer.gap <= quick.gap


MODELS_ARGS = [
    ("pmedian", {"p": 2}),
    ("pmedian", {"p": 3}),
    ("pcenter", {"p": 2}),
    ("lscp", {"within": 12.0}),
    ("mclp", {"p": 2, "within": 12.0}),
    ("pdispersion", {"p": 3}),
]


@pytest.mark.parametrize(("model", "args"), MODELS_ARGS)
@pytest.mark.parametrize("method", ["auto", "mip", "enumerate"])
@settings(max_examples=30, deadline=None)
@given(data=small_matrices(), checks=st.integers(0, 40))
def test_a_stopped_search_keeps_a_valid_bound_and_its_true_gap(
    model: str,
    args: dict[str, Any],
    method: str,
    data: tuple[list[list[float]], list[float]],
    checks: int,
) -> None:
    """Whatever moment the deadline passes, the bound holds against brute force.

    The deadline is a countdown of checks, so every stopping point of every method is reached
    on some example (with the branch and bound's node enumeration off for p-median).
    """
    if model == "lscp" and method == "enumerate":
        return
    matrix = as_matrix(*data)
    if args.get("p", 0) > len(matrix.candidate_ids):
        return
    optimum = brute_optimum(model, matrix, args.get("p"), args.get("within"))
    with stopping_after(checks), exact_methods_without_enumeration():
        result = locate(matrix, model, method=method, **args)
    if result.status is Status.INFEASIBLE:
        assert math.isinf(optimum)
        return
    if result.status is Status.UNKNOWN:
        assert result.objective is None and result.gap is None
        return
    if result.status is Status.OPTIMAL and not result.sites:  # LSCP with no weighted demand
        assert model == "lscp" and not (matrix.weights > 0).any()
        return
    assert result.objective is not None and result.bound is not None
    chosen = tuple(matrix.candidate_ids.index(s) for s in result.sites)
    assert objective_of(model, matrix, chosen, args.get("within")) == pytest.approx(
        result.objective
    )
    if model in MAXIMISED:
        assert result.objective <= optimum + 1e-9 <= result.bound + 2e-9
    else:
        assert result.bound - 1e-9 <= optimum <= result.objective + 1e-9
    assert result.gap == pytest.approx(relative_gap(result.objective, result.bound), abs=1e-12)
    if result.status is Status.OPTIMAL:
        assert result.objective == pytest.approx(optimum) and result.gap == 0.0


@contextmanager
def exact_methods_without_enumeration() -> Iterator[None]:
    """``auto`` never enumerates, and ``enumerate`` checks the deadline after every set."""
    with (
        mock.patch.object(pmedian, "NODE_ENUMERATION_CELLS", 0),
        mock.patch.object(pcenter, "PCENTER_ENUMERATION_BUDGET", 0),
        mock.patch.object(base, "ENUMERATION_BUDGET", 0),
        mock.patch.object(pdispersion, "DISPERSION_ENUMERATION_BUDGET", 0),
        mock.patch.object(base, "_BATCH_CELLS", 1),
    ):
        yield


def test_out_of_memory_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def exhausted(*_args: object) -> None:
        raise MemoryError

    monkeypatch.setitem(
        locate.__globals__["_SOLVERS"],  # the dispatch table of siteopt.location.solve
        "pmedian",
        exhausted,
    )
    with pytest.raises(LocateError, match=r"pmedian: out of memory solving the 3,000 × 150"):
        locate(random_matrix(), "pmedian", p=3)


def test_the_mip_refuses_a_formulation_it_cannot_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pmedian, "MIP_LEVEL_ROWS", 1000)
    with pytest.raises(
        LocateError, match=r"Elloumi MIP of 2,972 weighted demand points × 150 candidates has up to"
    ):
        locate(random_matrix(), "pmedian", p=3, method="mip")


def written_csv(matrix: CostMatrix, path: Path) -> Path:
    """``matrix`` as a cost-matrix CSV at ``path``."""
    lines = ["id,weight," + ",".join(matrix.candidate_ids)]
    for did, w, row in zip(matrix.demand_ids, matrix.weights, matrix.minutes, strict=True):
        cells = ",".join("unreachable" if math.isinf(t) else f"{t:.3f}" for t in row)
        lines.append(f"{did},{w:g},{cells}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("stage", ["reading", "solving"])
def test_cli_out_of_memory_is_one_line_and_exit_code_2(
    run_cli: Callable[..., CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stage: str
) -> None:
    def exhausted(*_args: object) -> None:
        raise MemoryError

    path = written_csv(random_matrix(n=40, m=6, seed=2), tmp_path / "costs.csv")
    if stage == "reading":
        monkeypatch.setattr(matrix_module, "_read_fast", exhausted)
        expected = rf"{path}: out of memory reading 0 MB of text for 6 candidates \(the times"
    else:
        monkeypatch.setitem(locate.__globals__["_SOLVERS"], "pmedian", exhausted)
        expected = r"pmedian: out of memory solving the 40 × 6 matrix"
    shown = run_cli("locate", str(path), "--model", "pmedian", "-p", "2")
    assert shown.code == 2, shown.err
    assert shown.out == "" and len(shown.err.splitlines()) == 1
    assert shown.err.startswith("siteopt: error: ") and "Traceback" not in shown.err
    assert re.search(expected, shown.err), shown.err


def test_cli_time_limit_prints_the_gap_and_json_carries_bound_and_gap(
    run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    path = written_csv(random_matrix(n=2000, m=120, seed=4), tmp_path / "costs.csv")
    args = ("locate", str(path), "--model", "pmedian", "-p", "10", "--time-limit", "0.5")
    shown = run_cli(*args)
    assert shown.code == 0, shown.err
    assert "FEASIBLE" in shown.out and "not proven optimal, gap" in shown.out
    assert "the optimum is at least" in shown.out
    payload = json.loads(run_cli(*args, "--json").out)
    assert payload["status"] == "FEASIBLE"
    value = payload["objective"]["value"]
    assert payload["bound"] < value
    assert payload["gap"] == pytest.approx((value - payload["bound"]) / value)

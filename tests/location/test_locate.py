"""Tests for siteopt.location: hand-checked answers, brute-force agreement, CSV input, CLI."""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siteopt.location.matrix import CostMatrix, LocateError, read_cost_matrix
from siteopt.location.solve import locate
from siteopt.status import Status
from tests.conftest import INSTANCES, CliResult
from tests.location.helpers import as_matrix, small_matrices, write

# Four demand points × three candidates, minutes; weights 10, 20, 30, 40.
#            a   b   c
HAND = [
    [1.0, 5.0, 9.0],
    [4.0, 2.0, 8.0],
    [7.0, 6.0, 1.0],
    [9.0, 3.0, 4.0],
]
HAND_BETWEEN = [[0.0, 4.0, 8.0], [4.0, 0.0, 5.0], [8.0, 5.0, 0.0]]


def hand_matrix() -> CostMatrix:
    return CostMatrix(
        minutes=np.array(HAND),
        weights=np.array([10.0, 20.0, 30.0, 40.0]),
        demand_ids=("d1", "d2", "d3", "d4"),
        candidate_ids=("a", "b", "c"),
        source="hand",
        between=np.array(HAND_BETWEEN),
    )


METHODS = ("auto", "enumerate", "mip")


@pytest.mark.parametrize("method", METHODS)
def test_pmedian_hand_checked(method: str) -> None:
    # p=1: a 10+80+210+360=660, b 50+40+180+120=390, c 90+160+30+160=440 → b, 390.
    one = locate(hand_matrix(), "pmedian", p=1, method=method)
    assert (one.sites, one.objective, one.status) == (("b",), 390.0, Status.OPTIMAL)
    # p=2: {a,b} 10+40+180+120=350, {a,c} 10+80+30+160=280, {b,c} 50+40+30+120=240 → {b,c}.
    two = locate(hand_matrix(), "pmedian", p=2, method=method)
    assert (two.sites, two.objective) == (("b", "c"), 240.0)
    assert two.assigned.tolist() == [0, 0, 1, 0]


@pytest.mark.parametrize("method", METHODS)
def test_pcenter_hand_checked(method: str) -> None:
    # p=1 worst: a 9, b 6, c 9 → b, 6.  p=2: {a,b} 6, {a,c} 4, {b,c} 5 → {a,c}, 4.
    assert locate(hand_matrix(), "pcenter", p=1, method=method).objective == 6.0
    two = locate(hand_matrix(), "pcenter", p=2, method=method)
    assert (two.sites, two.objective) == (("a", "c"), 4.0)


def test_lscp_hand_checked() -> None:
    # within 4: a covers d1,d2; b covers d2,d4; c covers d3,d4 → {a,c} (2 sites); within 1 none.
    result = locate(hand_matrix(), "lscp", within=4.0)
    assert (result.sites, result.objective, result.status) == (("a", "c"), 2.0, Status.OPTIMAL)
    assert locate(hand_matrix(), "lscp", within=9.0).objective == 1.0
    nothing = locate(hand_matrix(), "lscp", within=0.5)
    assert nothing.status == Status.INFEASIBLE and nothing.sites == () and nothing.objective is None


@pytest.mark.parametrize("method", METHODS)
def test_mclp_hand_checked(method: str) -> None:
    # within 3: a covers d1 (10); b covers d2, d4 (60); c covers d3 (30).
    one = locate(hand_matrix(), "mclp", p=1, within=3.0, method=method)
    assert (one.sites, one.objective) == (("b",), 60.0)
    two = locate(hand_matrix(), "mclp", p=2, within=3.0, method=method)
    assert (two.sites, two.objective) == (("b", "c"), 90.0)
    assert two.summary()["covered_share"] == pytest.approx(0.9)


@pytest.mark.parametrize("method", METHODS)
def test_pdispersion_hand_checked(method: str) -> None:
    two = locate(hand_matrix(), "pdispersion", p=2, method=method)
    assert (two.sites, two.objective) == (("a", "c"), 8.0)
    three = locate(hand_matrix(), "pdispersion", p=3, method=method)
    assert three.objective == 4.0


# --- brute force ------------------------------------------------------------------------------


def brute_objective(model: str, times: list[list[float]], w: list[float], sites: tuple[int, ...],
                    within: float, between: list[list[float]]) -> float:  # fmt: skip
    """The model's objective in plain Python (the score to minimise)."""
    rows = [(min(row[j] for j in sites), wi) for row, wi in zip(times, w, strict=True) if wi > 0]
    if model == "pmedian":
        return sum(wi * t for t, wi in rows)
    if model == "pcenter":
        return max((t for t, _ in rows), default=0.0)
    if model == "mclp":
        return -sum(wi for t, wi in rows if t <= within)
    return -min(between[a][b] for a, b in itertools.combinations(sites, 2))


@pytest.mark.parametrize("model", ["pmedian", "pcenter", "mclp", "pdispersion"])
@settings(max_examples=40, deadline=None)
@given(data=small_matrices(max_n=7, max_m=6), p=st.integers(1, 2), within=st.integers(0, 30))
def test_optimum_equals_brute_force(
    model: str, data: tuple[list[list[float]], list[float]], p: int, within: int
) -> None:
    times, weights = data
    if model == "pdispersion":
        p = 2
    matrix = as_matrix(times, weights)
    between = matrix.between.tolist() if matrix.between is not None else []
    scores = [
        brute_objective(model, times, weights, sites, within, between)
        for sites in itertools.combinations(range(len(times[0])), p)
    ]
    best = min(scores)
    for method in METHODS:
        threshold = None if model == "pdispersion" else float(within)
        result = locate(matrix, model, p=p, within=threshold, method=method)
        if not math.isfinite(best):
            assert result.status == Status.INFEASIBLE, (method, result)
            continue
        assert result.status == Status.OPTIMAL, (method, result.method)
        assert len(result.sites) == p
        expected = -best if model in ("mclp", "pdispersion") else best
        assert result.objective == pytest.approx(expected, rel=1e-12, abs=1e-9), method
        chosen = tuple(matrix.candidate_ids.index(s) for s in result.sites)
        assert brute_objective(model, times, weights, chosen, within, between) == pytest.approx(
            best, rel=1e-12, abs=1e-9
        )


@settings(max_examples=200, deadline=None)
@given(data=small_matrices(max_n=7, max_m=6), p=st.integers(3, 5))
def test_pmedian_branch_and_bound_equals_brute_force_beyond_two_sites(
    data: tuple[list[list[float]], list[float]], p: int
) -> None:
    """The submodular bound prunes from p = 3, also with unreachable cells (inf)."""
    times, weights = data
    if p > len(times[0]):
        return
    best = min(
        brute_objective("pmedian", times, weights, sites, 0, [])
        for sites in itertools.combinations(range(len(times[0])), p)
    )
    result = locate(as_matrix(times, weights), "pmedian", p=p, within=None, method="auto")
    if not math.isfinite(best):
        assert result.status == Status.INFEASIBLE
        return
    assert result.status == Status.OPTIMAL
    assert result.objective == pytest.approx(best, rel=1e-12, abs=1e-9)


def test_pmedian_keeps_a_subtree_that_reaches_an_unreachable_point() -> None:
    """S = {s0, s1} leaves d2 unreachable (cost inf); s5 reaches it: the branch must stay open."""
    inf = math.inf
    times = [
        [1.0, 9.0, 9.0, 2.0, 9.0, 9.0],
        [9.0, 1.0, 9.0, 9.0, 2.0, 9.0],
        [inf, inf, 1.0, inf, inf, 3.0],
        [9.0, 9.0, inf, 1.0, 1.0, 1.0],
    ]
    weights = [10.0, 10.0, 10.0, 10.0]
    best = min(
        brute_objective("pmedian", times, weights, sites, 0, [])
        for sites in itertools.combinations(range(6), 3)
    )
    result = locate(as_matrix(times, weights), "pmedian", p=3, within=None, method="auto")
    assert result.status == Status.OPTIMAL
    assert result.objective == pytest.approx(best)


@settings(max_examples=40, deadline=None)
@given(data=small_matrices(max_n=7, max_m=6), within=st.integers(0, 30))
def test_lscp_equals_brute_force(data: tuple[list[list[float]], list[float]], within: int) -> None:
    times, weights = data
    m = len(times[0])
    need = [row for row, w in zip(times, weights, strict=True) if w > 0]
    smallest = next(
        (
            k
            for k in range(m + 1)
            for sites in itertools.combinations(range(m), k)
            if all(any(row[j] <= within for j in sites) for row in need)
        ),
        None,
    )
    result = locate(as_matrix(times, weights), "lscp", within=float(within))
    if smallest is None:
        assert result.status == Status.INFEASIBLE
    else:
        assert result.status == Status.OPTIMAL
        assert len(result.sites) == smallest


@pytest.mark.parametrize("p", [3, 4])
def test_search_methods_agree_on_a_larger_matrix(p: int) -> None:
    rng = np.random.default_rng(p)
    xy = rng.uniform(0, 50, size=(80, 2))
    sites = rng.uniform(0, 50, size=(12, 2))
    times = np.hypot(*(xy[:, None, :] - sites[None, :, :]).transpose(2, 0, 1))
    matrix = CostMatrix(
        minutes=times,
        weights=rng.integers(1, 100, 80).astype(float),
        demand_ids=tuple(f"d{i}" for i in range(80)),
        candidate_ids=tuple(f"s{j}" for j in range(12)),
        source="random plane",
    )
    for model in ("pmedian", "pcenter", "mclp"):
        values = {
            method: locate(matrix, model, p=p, within=12.0, method=method).objective
            for method in METHODS
        }
        assert values["auto"] == pytest.approx(values["enumerate"], rel=1e-9), model
        assert values["mip"] == pytest.approx(values["enumerate"], rel=1e-9), model


def test_requests_that_make_no_sense_are_refused() -> None:
    matrix = hand_matrix()
    with pytest.raises(LocateError, match=r"p: expected a whole number 1\.\.3, got 4"):
        locate(matrix, "pmedian", p=4)
    with pytest.raises(LocateError, match="model: expected one of"):
        locate(matrix, "median", p=1)
    with pytest.raises(LocateError, match="mclp: within: missing: give the coverage time"):
        locate(matrix, "mclp", p=1)
    with pytest.raises(LocateError, match="lscp finds the number of sites itself"):
        locate(matrix, "lscp", p=1, within=3.0)
    with pytest.raises(LocateError, match="p: expected a whole number 2"):
        locate(matrix, "pdispersion", p=1)


# --- CSV input --------------------------------------------------------------------------------


def test_reads_a_cost_matrix_csv_with_unreachable_cells(tmp_path: Path) -> None:
    path = write(tmp_path, "id,weight,a,b\nx,10,1,unreachable\ny,5,3,2\na,0,0,4\nb,0,4,\n")
    matrix = read_cost_matrix(path)
    assert matrix.candidate_ids == ("a", "b")
    assert math.isinf(matrix.minutes[0, 1]) and math.isinf(matrix.minutes[3, 1])
    assert matrix.between is not None and matrix.between.tolist() == [[0.0, 4.0], [4.0, 0.0]]
    result = locate(matrix, "pmedian", p=1)
    assert (result.sites, result.objective) == (("a",), 25.0)


def test_pdispersion_needs_times_between_candidates(tmp_path: Path) -> None:
    matrix = read_cost_matrix(write(tmp_path, "id,weight,a,b\nx,1,1,2\n"))
    with pytest.raises(LocateError, match="list every candidate as a demand row"):
        locate(matrix, "pdispersion", p=2)


# --- CLI --------------------------------------------------------------------------------------


def test_cli_locate_on_an_instance_writes_json_and_map_layers(
    run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    result = run_cli(
        "locate", str(INSTANCES / "toy.toml"), "--model", "pmedian", "-p", "2", "--json",
        "--out", str(out), "--cache-dir", str(tmp_path / "cache"),
    )  # fmt: skip
    assert result.code == 0, result.err
    payload = json.loads(result.out)
    assert payload["status"] == "OPTIMAL" and len(payload["sites"]) == 2
    assert payload["matrix"]["demand_points"] == 1558
    assert payload["matrix"]["weights"] == "population mid-2015"
    written = json.loads((out / "locate.json").read_text(encoding="utf-8"))
    assert written["objective"] == payload["objective"]
    assert len(written["assignment"]) == 1558
    layers = json.loads((out / "locate.geojson").read_text(encoding="utf-8"))
    sites = [f for f in layers["features"] if f["properties"]["layer"] == "site"]
    assert [f["properties"]["id"] for f in sites] == payload["sites"]
    lon, lat = sites[0]["geometry"]["coordinates"]
    assert -1.0 < lon < 0.6 and 51.5 < lat < 52.8  # BCH, in degrees (EPSG:4326)
    assert sorted(p.name for p in out.iterdir()) == ["locate.geojson", "locate.gpkg", "locate.json"]
    # The GeoPackage is written by the export code's layer writer (EPSG:27700).
    import pyogrio

    names = [name for name, _ in pyogrio.list_layers(out / "locate.gpkg")]
    assert names == ["sites", "lsoa_results", "districts", "forces"]
    lsoas = pyogrio.read_dataframe(out / "locate.gpkg", layer="lsoa_results")
    assert len(lsoas) == 1558 and lsoas.crs.to_epsg() == 27700
    assert set(lsoas["site"]) == set(payload["sites"])
    by_code = dict(zip(lsoas["lsoa11cd"], lsoas["site"], strict=True))
    assert all(by_code[a["id"]] == a["site"] for a in written["assignment"][:50])


def test_cli_locate_on_a_csv_prints_a_table(
    run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    path = write(tmp_path, "id,weight,a,b\nx,10,1,9\ny,5,8,2\n")
    result = run_cli("locate", str(path), "--model", "mclp", "-p", "1", "--within", "3")
    assert result.code == 0, result.err
    assert "OPTIMAL" in result.out and "66.7% of weight within 3 min" in result.out


def test_cli_locate_errors_and_infeasibility_exit_codes(
    run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    path = write(tmp_path, "id,weight,a,b\nx,10,1,9\ny,5,8,2\n")
    bad = run_cli("locate", str(path), "--model", "pmedian", "-p", "3")
    assert bad.code == 2
    assert bad.err.strip() == (
        f"siteopt: error: {path}: command line: pmedian: p: expected a whole number 1..2, got 3"
    )
    none = run_cli("locate", str(path), "--model", "lscp", "--within", "0.5")
    assert none.code == 3 and "INFEASIBLE" in none.out


def test_bad_threshold_and_time_limit_are_refused_for_every_model() -> None:
    matrix = as_matrix([[1.0, 2.0], [3.0, 1.0]], [1.0, 1.0])
    for model in ("pmedian", "pcenter", "mclp"):
        for bad in (-5.0, math.nan, math.inf):
            with pytest.raises(LocateError, match="within"):
                locate(matrix, model, p=1, within=bad)
    with pytest.raises(LocateError, match="time_limit"):
        locate(matrix, "pmedian", p=1, time_limit=-1.0)


def test_unreachable_demand_is_reported_not_a_worst_time_of_infinity() -> None:
    """MCLP may leave a point with no route; the summary stays valid JSON."""
    inf = math.inf
    matrix = as_matrix([[1.0, inf], [inf, inf], [2.0, 5.0]], [1.0, 3.0, 1.0])
    result = locate(matrix, "mclp", p=1, within=3.0)
    summary = result.summary()
    assert summary["max_min"] == 2.0
    assert summary["unreachable_weight"] == 3.0
    json.dumps(summary, allow_nan=False)
    assert all(row["max_min"] is None or math.isfinite(row["max_min"]) for row in result.per_site())

"""Staff transition: gravity homes, retention, excess travel, commute shares (hand-checkable)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import threadpoolctl  # type: ignore[import-untyped]
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from siteopt.costs.transition import (
    StaffTransport,
    TransitionParameters,
    _column_blocks,
    _offers_lp,
    _one_room_offers,
    _Programme,
    _weighted_quantiles,
    commute_share_within,
    home_shares,
    staff_transport,
    transition_table,
)

PARAMS = TransitionParameters(
    home_decay_per_minute=0.1,
    retention_scale_minutes=30.0,
    excess_travel_years=1,
    excess_travel_gbp_per_km=0.25,
    working_days_per_year=200,
    discount_rate=0.0,
)
# three home zones, two sites (0 = today's room, 1 = new)
POP = np.array([1000.0, 1000.0, 2000.0])
MIN = np.array([[10.0, 40.0], [20.0, 20.0], [30.0, 60.0]])
KM = np.array([[8.0, 40.0], [16.0, 16.0], [25.0, 55.0]])
POP40 = np.linspace(500.0, 2500.0, 40)


def test_home_shares_by_hand() -> None:
    """Weights population × exp(−0.1 × minutes), normalised."""
    w = home_shares(POP, MIN[:, 0], decay_per_minute=0.1)
    raw = POP * np.exp(-0.1 * MIN[:, 0])
    assert w == pytest.approx(raw / raw.sum())
    assert w.sum() == pytest.approx(1.0)


def test_transition_table_by_hand() -> None:
    """Stay share, excess travel and extra minutes for a move from site 0 to site 1."""
    table = transition_table(population=POP, minutes=MIN, km=KM, current_room=[0], params=PARAMS)
    w = home_shares(POP, MIN[:, 0], decay_per_minute=0.1)
    extra = np.array([30.0, 0.0, 30.0])
    stay = np.exp(-extra / 30.0)
    assert table.stay_share[0, 0] == pytest.approx(1.0)
    assert table.stay_share[0, 1] == pytest.approx(w @ stay)
    extra_km = np.array([32.0, 0.0, 30.0])
    assert table.excess_travel_pv_gbp[0, 1] == pytest.approx(w @ (stay * extra_km) * 2 * 200 * 0.25)
    assert table.excess_travel_pv_gbp[0, 0] == 0.0
    assert table.mean_extra_minutes[0, 1] == pytest.approx(w @ extra)
    # Zone 0 holds more than half the staff (it is nearest the room): the median move is +30 min.
    assert w[0] > 0.5
    assert table.median_extra_minutes[0, 1] == 30.0
    assert not table.stay_share.flags.writeable


def test_excess_travel_is_discounted_over_its_years() -> None:
    """Two and a half years at 3.5%: 1/1.035 + 1/1.035² + 0.5/1.035³."""
    params = TransitionParameters(0.1, 30.0, 2.5, 0.25, 200, 0.035)
    expected = 1 / 1.035 + 1 / 1.035**2 + 0.5 / 1.035**3
    assert params.excess_travel_years_factor() == pytest.approx(expected)


def test_commute_share_within_by_hand() -> None:
    """Share of site-0 staff within 30 min of each site."""
    shares = commute_share_within(
        population=POP, minutes=MIN, current_room=[0], decay_per_minute=0.1, max_minutes=30
    )
    w = home_shares(POP, MIN[:, 0], decay_per_minute=0.1)
    assert shares[0] == pytest.approx([1.0, w[1]])


@given(
    minutes=hnp.arrays(np.float64, (6, 3), elements=st.floats(0, 200)),
    population=hnp.arrays(np.float64, 6, elements=st.floats(1, 1e4)),
    decay=st.floats(0.0, 0.5),
)
def test_staying_never_exceeds_one_and_the_current_room_keeps_everyone(
    minutes: np.ndarray, population: np.ndarray, decay: float
) -> None:
    """Stay shares lie in (0, 1]; moving nowhere keeps all staff at no excess cost."""
    params = TransitionParameters(decay, 40.0, 1, 0.28, 210, 0.035)
    table = transition_table(
        population=population, minutes=minutes, km=minutes, current_room=[0, 2], params=params
    )
    assert np.all((table.stay_share > 0) & (table.stay_share <= 1 + 1e-12))
    assert table.stay_share[0, 0] == pytest.approx(1.0)
    assert table.stay_share[1, 2] == pytest.approx(1.0)
    assert table.excess_travel_pv_gbp[0, 0] == 0.0
    assert math.isfinite(float(table.p90_extra_minutes.max()))


def whole_matrix_tables(
    population: np.ndarray, minutes: np.ndarray, km: np.ndarray, rooms: list[int]
) -> dict[str, np.ndarray]:
    """The tables as one product per force over every candidate at once (BLAS on one thread)."""
    out: dict[str, list[np.ndarray]] = {"stay": [], "pv": [], "mean": [], "within": []}
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        for room in rooms:
            w = home_shares(population, minutes[:, room], decay_per_minute=0.1)
            extra_t = np.maximum(minutes - minutes[:, [room]], 0.0)
            stay = np.exp(-extra_t / 30.0)
            out["stay"].append(w @ stay)
            out["pv"].append(w @ (stay * np.maximum(km - km[:, [room]], 0.0)) * 2 * 200 * 0.25)
            out["mean"].append(w @ extra_t)
            out["within"].append(w @ (minutes <= 45.0).astype(np.float64))
    return {name: np.array(rows) for name, rows in out.items()}


@pytest.mark.parametrize(("candidates", "threads"), [(1101, 1), (1101, 2), (1538, 2)])
def test_tables_by_blocks_of_candidates_are_the_whole_matrix_products_bit_for_bit(
    candidates: int, threads: int
) -> None:
    """Blocked sums equal the whole-matrix products exactly, whatever BLAS's thread count.

    More candidates than a block, the last block not a multiple of four: its columns must still
    be summed as the whole product sums them (and not as a threaded BLAS splits them).
    """
    rng = np.random.default_rng(candidates)
    population = rng.uniform(100.0, 3000.0, 300)
    minutes = rng.uniform(0.0, 120.0, (300, candidates))
    km = minutes * rng.uniform(0.6, 1.4, minutes.shape)
    rooms = [0, candidates - 1]
    want = whole_matrix_tables(population, minutes, km, rooms)
    with threadpoolctl.threadpool_limits(limits=threads, user_api="blas"):
        table = transition_table(
            population=population, minutes=minutes, km=km, current_room=rooms, params=PARAMS
        )
        within = commute_share_within(
            population=population,
            minutes=minutes,
            current_room=rooms,
            decay_per_minute=0.1,
            max_minutes=45.0,
        )
    assert np.array_equal(table.stay_share, want["stay"])
    assert np.array_equal(table.excess_travel_pv_gbp, want["pv"])
    assert np.array_equal(table.mean_extra_minutes, want["mean"])
    assert np.array_equal(within, want["within"])
    extra_t = np.maximum(minutes - minutes[:, [rooms[1]]], 0.0)
    median = _weighted_quantiles(extra_t, table.home_share[1], (0.5,))[0]
    assert np.array_equal(table.median_extra_minutes[1], median)


@given(columns=st.integers(0, 5000), block=st.sampled_from([4, 64, 512]))
def test_column_blocks_cover_every_column_once_in_blocks_of_at_least_a_block(
    columns: int, block: int
) -> None:
    """Blocks start at multiples of ``block``; each but a lone first is at least ``block`` long."""
    blocks = _column_blocks(columns, block)
    assert [c for cols in blocks for c in range(columns)[cols]] == list(range(columns))
    assert all(cols.start % block == 0 for cols in blocks)
    assert all(block <= cols.stop - cols.start < 2 * block for cols in blocks[1:])
    assert blocks[0].stop - blocks[0].start >= min(columns, block)


def test_far_rooms_do_not_underflow() -> None:
    """A steep decay with long drives still gives finite shares that sum to one."""
    w = home_shares([1.0, 1.0], [5000.0, 5010.0], decay_per_minute=1.0)
    assert w.sum() == pytest.approx(1.0)
    assert w[0] > w[1] > 0


# ---------------------------------------------------------------------------------------------
# The staff transport problem


def transport(posts: list[float], staff: float = 10.0) -> StaffTransport:
    """One force of ``staff`` FTE living as the gravity model says around room 0 of ``MIN``."""
    share = home_shares(POP, MIN[:, 0], decay_per_minute=0.1)
    return staff_transport(
        staff=[staff],
        home_share=share[np.newaxis, :],
        minutes=MIN,
        km=KM,
        minutes_today=MIN[:, [0]],
        km_today=KM[:, [0]],
        posts=posts,
        params=PARAMS,
        redundancy_gbp=10_000.0,
        recruit_gbp=5_000.0,
    )


def offered_by_group(result: StaffTransport) -> np.ndarray:
    """``(forces, zones)``: FTE offered a post, over every room."""
    out = np.zeros_like(result.staff)
    np.add.at(out, (result.force, result.zone), result.offered)
    return out


def test_one_room_with_room_for_everyone_takes_every_willing_mover() -> None:
    """Posts above the expected stayers: everyone is offered, stayers = Σ share × retention."""
    result = transport([0.0, 100.0])
    share = home_shares(POP, MIN[:, 0], decay_per_minute=0.1)
    retention = np.exp(-np.maximum(MIN[:, 1] - MIN[:, 0], 0) / 30.0)
    assert result.movers.sum() == pytest.approx(10.0 * share @ retention)
    assert result.offered.sum() == pytest.approx(10.0)
    assert result.recruits[1] == pytest.approx(100.0 - result.movers.sum())
    assert result.surplus.sum() == pytest.approx(0.0, abs=1e-9)
    # redundancy for all who do not move; excess travel 2 × Δkm × 200 days × £0.25 per mover
    leavers = 10.0 - result.movers.sum()
    assert result.redundancy_gbp == pytest.approx(10_000 * leavers)
    extra_km = np.maximum(KM[:, 1] - KM[:, 0], 0)
    travel = 10.0 * share * retention @ (2 * extra_km * 200 * 0.25)
    assert result.excess_travel_gbp == pytest.approx(travel)


def test_too_few_posts_go_to_the_movers_of_least_extra_travel() -> None:
    """Two posts at the old room and the new: the old room is filled by staff with no extra km."""
    result = transport([2.0, 0.0])
    assert result.room_movers[0, 0] == pytest.approx(2.0)
    at_old = result.room == 0
    assert result.movers[at_old] @ np.maximum(
        KM[result.zone[at_old], 0] - KM[result.zone[at_old], 0], 0
    ) == pytest.approx(0.0)
    assert result.surplus[0] == pytest.approx(8.0)
    assert result.recruits == pytest.approx([0.0, 0.0])


@given(
    posts=st.lists(st.floats(0.0, 30.0), min_size=2, max_size=2),
    staff=st.floats(0.5, 40.0),
)
def test_transport_accounts_for_every_post_and_every_member_of_staff(
    posts: list[float], staff: float
) -> None:
    """Posts = movers + recruits per room; staff = movers + leavers + surplus; offers ≤ staff."""
    result = transport(posts, staff)
    moved = result.room_movers.sum(axis=0)
    assert moved + result.recruits == pytest.approx(posts, abs=1e-6)
    assert (moved <= np.asarray(posts) + 1e-6).all()
    accounted = result.room_movers.sum() + result.leavers.sum() + result.surplus.sum()
    assert accounted == pytest.approx(staff, abs=1e-6)
    assert (offered_by_group(result) <= result.staff + 1e-6).all()


@given(
    st.integers(1, 40).flatmap(
        lambda n: st.tuples(
            hnp.arrays(np.float64, n, elements=st.floats(-5_000, 50, allow_nan=False)),
            hnp.arrays(np.float64, n, elements=st.floats(0.05, 1.0)),
            hnp.arrays(np.float64, n, elements=st.floats(0.0, 30.0)),
        )
    ),
    st.floats(0.0, 200.0),
)
def test_one_room_offers_reach_the_lp_optimum(
    columns: tuple[np.ndarray, np.ndarray, np.ndarray], posts: float
) -> None:
    """One room: the fractional-knapsack offers are feasible and cost what HiGHS's optimum costs."""
    cost, retention, limit = columns
    groups = np.arange(len(cost), dtype=np.int64)
    room = np.zeros(len(cost), dtype=np.int64)
    programme = _Programme(cost, retention, limit, groups, room, np.array([posts]))
    greedy = _one_room_offers(programme)
    lp, optimal = _offers_lp(programme)
    assert optimal
    assert np.all(greedy >= 0) and np.all(greedy <= limit + 1e-9)
    assert float(retention @ greedy) <= posts + 1e-6
    assert float(cost @ greedy) == pytest.approx(float(cost @ lp), rel=1e-7, abs=1e-4)


def _one_weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The textbook definition, one column at a time: sort, accumulate, first to reach q."""
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    index = int(np.searchsorted(cumulative, q * cumulative[-1], side="left"))
    return float(values[order][min(index, len(values) - 1)])


@given(
    values=hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 30), st.integers(1, 12)),
        elements=st.sampled_from([0.0, 0.5, 1.0, 2.0, 7.25, 30.0]),  # ties on purpose
    ),
    seed=st.integers(0, 2**16),
    chunk=st.integers(1, 5),
)
def test_weighted_quantiles_of_every_column_equal_one_column_at_a_time(
    values: np.ndarray, seed: int, chunk: int
) -> None:
    """The vectorised quantiles (chunks of columns) equal the per-column definition exactly."""
    rng = np.random.default_rng(seed)
    n = values.shape[0]
    weights = np.where(rng.random(n) > 0.2, rng.random(n), 0.0)
    weights[0] += 0.1  # at least one weighted row
    got = _weighted_quantiles(values, weights, (0.5, 0.9), chunk=chunk)
    for j in range(values.shape[1]):
        for k, q in enumerate((0.5, 0.9)):
            assert got[k, j] == _one_weighted_quantile(values[:, j], weights, q)


@pytest.mark.parametrize("posts", [[20.0, 30.0], [60.0, 10.0], [0.0, 500.0]])
def test_offers_left_out_of_a_large_programme_cost_at_most_a_thousand_pounds(
    posts: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above the size limit the least valuable offers go; the one-off moves by ≤ £1,000."""
    from siteopt.costs import transition

    zones = np.arange(300.0)  # homes ever farther from both rooms: shares fall to nothing
    minutes = np.column_stack([zones, zones + 5.0])
    km = minutes * 1.2

    def one_off() -> tuple[float, int]:
        share = home_shares(np.ones(300), minutes[:, 0], decay_per_minute=0.1)
        result = staff_transport(
            staff=[400.0], home_share=share[np.newaxis, :], minutes=minutes, km=km,
            minutes_today=minutes[:, [0]], km_today=km[:, [0]], posts=posts, params=PARAMS,
            redundancy_gbp=10_000.0, recruit_gbp=5_000.0,
        )  # fmt: skip
        total = result.redundancy_gbp + result.recruit_gbp + result.excess_travel_gbp
        return total, int((result.offered > 0).sum())

    exact, offers = one_off()
    monkeypatch.setattr(transition, "_MAX_OFFERS", 0)  # every programme counts as large
    pruned, fewer = one_off()
    assert fewer < offers  # offers were left out
    assert exact - 1e-6 <= pruned <= exact + 1_000.0 + 1e-6


def test_a_transport_lp_out_of_time_makes_feasible_greedy_offers_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The LP may not finish: greedy offers respect both limits, cost no less, and say so."""
    import scipy.optimize
    from scipy.optimize import OptimizeResult

    from siteopt.costs import transition

    exact = transport([3.0, 4.0])

    def out_of_time(*args: object, **kwargs: object) -> OptimizeResult:
        return OptimizeResult(status=1, x=None, message="Time limit reached")

    monkeypatch.setattr(scipy.optimize, "linprog", out_of_time)
    monkeypatch.setattr(transition, "_PROVEN_GBP", -1.0)  # no greedy matching counts as proven
    with pytest.warns(transition.TransportWarning, match="an upper bound"):
        greedy = transport([3.0, 4.0])
    assert exact.optimal and exact.lower_bound_gbp is None
    assert not greedy.optimal and greedy.lower_bound_gbp is not None
    assert (offered_by_group(greedy) <= greedy.staff + 1e-9).all()
    assert (greedy.room_movers.sum(axis=0) <= np.asarray([3.0, 4.0]) + 1e-9).all()
    assert greedy.one_off_gbp >= exact.one_off_gbp - 1e-6
    assert greedy.lower_bound_gbp <= exact.one_off_gbp + 1e-6


@settings(max_examples=40, deadline=None)
@given(
    posts=st.lists(st.floats(0.0, 40.0), min_size=3, max_size=3),
    staff=st.lists(st.floats(0.5, 40.0), min_size=2, max_size=2),
    seed=st.integers(0, 2**16),
)
def test_greedy_offers_at_lagrangian_prices_are_bracketed_by_the_lp_optimum(
    posts: list[float], staff: list[float], seed: int
) -> None:
    """Too many offers for the LP: lower bound ≤ the LP's one-off ≤ the greedy one-off (+ £1)."""
    from siteopt.costs import transition

    rng = np.random.default_rng(seed)
    minutes = rng.uniform(0.0, 120.0, (40, 3))
    today = rng.uniform(0.0, 60.0, (40, 2))
    km, km_today = minutes * 1.1, today * 1.1
    share = np.vstack([home_shares(POP40, today[:, f], decay_per_minute=0.05) for f in (0, 1)])
    args = {
        "staff": staff, "home_share": share, "minutes": minutes, "km": km,
        "minutes_today": today, "km_today": km_today, "posts": posts, "params": PARAMS,
        "redundancy_gbp": 10_000.0, "recruit_gbp": 5_000.0,
    }  # fmt: skip
    lp = staff_transport(**args)  # type: ignore[arg-type]
    limit = transition._MAX_LP_OFFERS
    try:
        transition._MAX_LP_OFFERS = 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", transition.TransportWarning)
            greedy = staff_transport(**args)  # type: ignore[arg-type]
    finally:
        transition._MAX_LP_OFFERS = limit
    assert greedy.lower_bound_gbp is not None
    # the LP's optimum includes its £1 an offer tie-break: its one-off is within £1 x staff
    assert greedy.lower_bound_gbp <= lp.one_off_gbp + 1e-6
    assert greedy.one_off_gbp >= greedy.lower_bound_gbp - 1e-6
    if greedy.optimal:  # proven: within £1,000 of the bound
        assert greedy.one_off_gbp <= greedy.lower_bound_gbp + 1_000.0 + 1e-6
    assert (greedy.room_movers.sum(axis=0) <= np.asarray(posts) + 1e-6).all()
    assert (offered_by_group(greedy) <= greedy.staff + 1e-9).all()

"""Tests of siteopt.queueing.erlangx: Erlang X (abandonment with redials)."""

from __future__ import annotations

import heapq
from collections import deque
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import siteopt
from siteopt.errors import InstanceError, StaffingError
from siteopt.instance.figures import Figure
from siteopt.queueing.agents import ServiceTarget, required_agents
from siteopt.queueing.erlang import erlang_a_abandon_probability, erlang_a_service_level
from siteopt.queueing.erlangx import erlang_x, erlang_x_required_agents
from siteopt.queueing.fte import staffing_table

INSTANCES = Path(__file__).resolve().parents[2] / "instances"


def simulate_redials(
    agents: int,
    rate_per_hour: float,
    *,
    aht_s: float,
    patience_s: float,
    redial: float,
    delay_s: float,
    hours: float,
    rng: np.random.Generator,
    wait_s: float,
    warm_hours: float = 5.0,
) -> tuple[int, int, int]:
    """Event simulation of M/M/N+M whose abandoning callers redial: attempts, abandoned, fast.

    Independent of the Markov chain: FIFO queue, an abandonment event per waiting caller, a
    redial event after an exponential delay; attempts arriving after the warm-up are counted.
    """
    lam = rate_per_hour / 3600.0
    end, warm = hours * 3600.0, warm_hours * 3600.0
    events: list[tuple[float, int, int]] = [(rng.exponential(1 / lam), 0, -1)]
    queue: deque[int] = deque()
    waiting: dict[int, float] = {}
    busy = attempts = abandoned = fast = next_id = 0
    while events:
        now, kind, caller = heapq.heappop(events)
        if now > end:
            break
        if kind in (0, 1):  # first attempt / redial
            if kind == 0:
                heapq.heappush(events, (now + rng.exponential(1 / lam), 0, -1))
            caller, next_id = next_id, next_id + 1
            waiting[caller] = now
            attempts += now >= warm
            queue.append(caller)
            heapq.heappush(events, (now + rng.exponential(patience_s), 3, caller))
        elif kind == 2:
            busy -= 1
        elif caller in waiting:  # patience ran out while waiting
            abandoned += waiting.pop(caller) >= warm
            if rng.random() < redial:
                heapq.heappush(events, (now + rng.exponential(delay_s), 1, -1))
        while busy < agents and queue:
            caller = queue.popleft()
            if caller not in waiting:
                continue
            start = waiting.pop(caller)
            fast += start >= warm and now - start <= wait_s
            busy += 1
            heapq.heappush(events, (now + rng.exponential(aht_s), 2, -1))
    return attempts, abandoned, fast


@pytest.mark.parametrize(
    ("redial", "delay_s", "seed"), [(0.5, 600.0, 2), (0.8, 120.0, 3), (0.8, 600.0, 4)]
)
def test_erlang_x_is_within_the_simulations_confidence_interval(
    redial: float, delay_s: float, seed: int
) -> None:
    """11 agents, 120 calls/h of 5 min, patience 3 min: per-attempt abandonment and service
    level within the 95% CI of 40 simulated 300-hour runs (a fixed point on the load, redials
    taken as Poisson, falls well outside)."""
    rng = np.random.default_rng(seed)
    runs = [
        simulate_redials(
            11, 120, aht_s=300, patience_s=180, redial=redial, delay_s=delay_s, hours=300,
            rng=rng, wait_s=30,
        )
        for _ in range(40)
    ]  # fmt: skip
    abandon = np.array([b / a for a, b, _ in runs])
    level = np.array([c / a for a, _, c in runs])
    x = erlang_x(
        11, 120, aht_s=300, patience_s=180, redial_share=redial, redial_delay_s=delay_s,
        target_wait_s=30,
    )  # fmt: skip
    t = stats.t.ppf(0.975, len(runs) - 1) / np.sqrt(len(runs))
    assert abs(x.abandon_share - abandon.mean()) <= t * abandon.std(ddof=1)
    assert abs(x.service_level - level.mean()) <= t * level.std(ddof=1)


@settings(max_examples=40, deadline=None)
@given(
    agents=st.integers(1, 25),
    rate=st.floats(1, 300),
    aht=st.floats(60, 900),
    patience=st.floats(20, 900),
    wait=st.floats(0, 60),
)
def test_without_redials_erlang_x_is_erlang_a(
    agents: int, rate: float, aht: float, patience: float, wait: float
) -> None:
    x = erlang_x(
        agents, rate, aht_s=aht, patience_s=patience, redial_share=0.0, redial_delay_s=600,
        target_wait_s=wait,
    )  # fmt: skip
    load = rate * aht / 3600
    a_ab = erlang_a_abandon_probability(agents, load, aht_s=aht, patience_s=patience)
    a_sl = erlang_a_service_level(agents, load, aht_s=aht, patience_s=patience, target_wait_s=wait)
    assert x.abandon_share == pytest.approx(float(a_ab), abs=1e-7)
    assert x.service_level == pytest.approx(float(a_sl), abs=1e-7)
    assert x.attempts_per_hour == pytest.approx(rate)


@settings(max_examples=25, deadline=None)
@given(rate=st.floats(5, 200), low=st.floats(0, 0.9), high=st.floats(0, 0.9))
def test_more_redials_never_need_fewer_agents(rate: float, low: float, high: float) -> None:
    """Redials only add attempts: Erlang X needs at least Erlang A's agents, more with more."""
    low, high = sorted((low, high))
    target = ServiceTarget(share=0.8, wait_s=30)
    erlang_a = int(required_agents(rate, aht_s=300, target=target, patience_s=180))
    needs = [
        int(
            erlang_x_required_agents(
                rate, aht_s=300, patience_s=180, redial_share=r, redial_delay_s=300, target=target
            )
        )
        for r in (low, high)
    ]
    assert erlang_a <= needs[0] <= needs[1]


def test_bad_inputs_are_staffing_errors() -> None:
    with pytest.raises(StaffingError, match="redial_share"):
        erlang_x(3, 10, aht_s=300, patience_s=180, redial_share=1.0, redial_delay_s=60,
                 target_wait_s=10)  # fmt: skip
    with pytest.raises(StaffingError, match="patience_s"):
        erlang_x(3, 10, aht_s=300, patience_s=0, redial_share=0.5, redial_delay_s=60,
                 target_wait_s=10)  # fmt: skip


def test_an_instance_stream_with_redials_is_staffed_by_erlang_x() -> None:
    """The toy's 101 stream with half of the abandoning callers redialling needs more agents."""
    toy = siteopt.load_instance(INSTANCES / "toy.toml")
    stream = toy.demand.streams["non_emergency"]
    if stream.patience_s is None:
        stream = stream.model_copy(
            update={"patience_s": Figure[float](value=180, assumption="test")}
        )
    redialling = stream.model_copy(
        update={
            "redial_share": Figure[float](value=0.5, assumption="test"),
            "redial_delay_s": Figure[float](value=300, assumption="test"),
        }
    )

    def with_stream(s: object) -> siteopt.Instance:
        streams = {**toy.demand.streams, "non_emergency": s}
        return toy.model_copy(update={"demand": toy.demand.model_copy(update={"streams": streams})})

    plain = staffing_table(with_stream(stream)).agents_for(["bedfordshire"])
    more = staffing_table(with_stream(redialling)).agents_for(["bedfordshire"])
    assert (more >= plain).all() and (more > plain).any()


def test_redials_are_checked_in_instance_files(tmp_path: Path) -> None:
    """Redials need patience, and separate stream teams."""
    base = (INSTANCES / "bch-2015.toml").as_posix()
    no_patience = tmp_path / "a.toml"
    no_patience.write_text(
        f'extends = "{base}"\n[demand.streams.crime_recording]\n'
        'redial_share = { value = 0.3, assumption = "t" }\n'
        'redial_delay_s = { value = 300, assumption = "t" }\n'
    )
    with pytest.raises(InstanceError, match="patience_s"):
        siteopt.load_instance(no_patience)
    blended = tmp_path / "b.toml"
    blended.write_text(
        f'extends = "{base}"\n[staffing]\nstream_teams = "blended"\n'
        "[demand.streams.non_emergency]\n"
        'redial_share = { value = 0.3, assumption = "t" }\n'
        'redial_delay_s = { value = 300, assumption = "t" }\n'
    )
    with pytest.raises(InstanceError, match="separate"):
        siteopt.load_instance(blended)

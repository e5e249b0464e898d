"""Annual call volumes per force and stream, with per-head estimates for missing figures."""

from __future__ import annotations

from pathlib import Path

import pytest

from siteopt.demand.rates import arrival_rates, lsoa_calls
from siteopt.demand.volumes import WEEKS_PER_YEAR, annual_volumes, force_populations
from siteopt.errors import InstanceError
from siteopt.instance.loading import load_instance
from siteopt.instance.profile import default_profile, load_profile_csv
from tests.conftest import INSTANCES


def test_per_head_estimate_uses_the_pooled_rate_of_the_named_forces() -> None:
    """Herts 999 = Herts population × (Beds + Cambs 999) / (Beds + Cambs population)."""
    instance = load_instance(INSTANCES / "bch-2015.toml")
    volumes = {(v.force, v.stream): v for v in annual_volumes(instance)}
    beds, cambs, herts = 652_223, 832_835, 1_164_366
    expected = herts * (110_000 + 130_142) / (beds + cambs)
    assert volumes["hertfordshire", "emergency"].calls == pytest.approx(expected)
    assert volumes["hertfordshire", "emergency"].estimated
    assert volumes["cambridgeshire", "crime_recording"].calls == pytest.approx(
        cambs * 50_000 / beds
    )
    assert not volumes["bedfordshire", "emergency"].estimated
    assert volumes["bedfordshire", "emergency"].provenance.startswith("source:")


def test_herts_estimate_is_consistent_with_the_published_weekly_total() -> None:
    """The estimated Herts streams add up to about 15,000 calls a week (herts.police.uk)."""
    instance = load_instance(INSTANCES / "bch-2015.toml")
    herts = sum(v.calls for v in annual_volumes(instance) if v.force == "hertfordshire")
    assert herts / 52.18 == pytest.approx(15_000, rel=0.05)


def test_growth_scales_every_volume(tmp_path: Path) -> None:
    """A growth factor multiplies measured and estimated volumes alike."""
    child = tmp_path / "grow.toml"
    child.write_text(
        f'extends = "{(INSTANCES / "toy.toml").as_posix()}"\n[demand]\ngrowth = 1.5\n',
        encoding="utf-8",
    )
    base = annual_volumes(load_instance(INSTANCES / "toy.toml"))
    grown = annual_volumes(load_instance(child))
    for a, b in zip(base, grown, strict=True):
        assert b.calls == pytest.approx(1.5 * a.calls)


def test_force_populations_follow_the_population_year(tmp_path: Path) -> None:
    """Choosing mid-2019 population changes the per-force totals."""
    child = tmp_path / "y2019.toml"
    child.write_text(
        f'extends = "{(INSTANCES / "toy.toml").as_posix()}"\n[data]\npopulation_year = 2019\n',
        encoding="utf-8",
    )
    assert force_populations(load_instance(child))["bedfordshire"] == 674_992
    assert force_populations(load_instance(INSTANCES / "toy.toml"))["bedfordshire"] == 652_223


def test_default_profile_has_the_published_shape() -> None:
    """Shares sum to 1; evening 18-22 beats the afternoon; weekend small hours double weekdays."""
    profile = default_profile(60)
    shares = dict(zip(profile.labels(), profile.shares, strict=True))
    assert profile.intervals == 168
    assert sum(profile.shares) == pytest.approx(1.0)
    assert shares["Wed 19:00"] > shares["Wed 14:00"] > shares["Wed 04:00"]
    assert shares["Sat 01:00"] == pytest.approx(2 * shares["Wed 01:00"])
    assert shares["Sun 02:00"] == pytest.approx(2 * shares["Tue 02:00"])
    assert shares["Fri 23:00"] > shares["Thu 23:00"]
    assert profile.provenance.startswith("assumption:")


def test_half_hourly_profile_splits_each_hour() -> None:
    """The 336-interval profile carries the same weekly shape at half-hour resolution."""
    hourly, half = default_profile(60), default_profile(30)
    assert half.intervals == 336
    assert half.labels()[:3] == ["Mon 00:00", "Mon 00:30", "Mon 01:00"]
    pairs = [a + b for a, b in zip(half.shares[::2], half.shares[1::2], strict=True)]
    assert pairs == pytest.approx(list(hourly.shares))


def write_profile(path: Path, shares: list[float]) -> Path:
    """Write a profile CSV with a day/hour column and a share column."""
    lines = ["interval,share"] + [f"{i},{s!r}" for i, s in enumerate(shares)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_measured_profile_round_trips(tmp_path: Path) -> None:
    """A measured 168-row profile is read back as given and can be split to half hours."""
    shares = [float(i % 24 + 1) for i in range(168)]
    total = sum(shares)
    shares = [s / total for s in shares]
    path = write_profile(tmp_path / "p.csv", shares)
    assert load_profile_csv(path, 60).shares == pytest.approx(shares)
    assert sum(load_profile_csv(path, 30).shares) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("shares", "phrase"),
    [
        ([1 / 100] * 100, "expected 168 hourly or 336 half-hourly rows, got 100"),
        ([1 / 168] * 167 + [0.5], "expected shares summing to 1"),
        ([-1 / 168] + [2 / 168] * 167, "expected a share >= 0"),
    ],
)
def test_bad_profile_csv_is_one_clear_error(
    tmp_path: Path, shares: list[float], phrase: str
) -> None:
    """Wrong row counts, shares not summing to 1 and negative shares are refused by name."""
    path = write_profile(tmp_path / "bad.csv", shares)
    with pytest.raises(InstanceError, match=phrase) as info:
        load_profile_csv(path)
    assert info.value.path == "share"
    assert info.value.file == str(path)


def test_arrival_rates_reproduce_the_annual_volumes() -> None:
    """Rates × interval hours × weeks per year give back each force's annual calls."""
    instance = load_instance(INSTANCES / "bch-2015.toml")
    rates = arrival_rates(instance)
    assert rates.rates_per_hour.shape == (3, 3, 168)
    assert not rates.rates_per_hour.flags.writeable
    yearly = rates.rates_per_hour.sum(axis=2) * WEEKS_PER_YEAR
    for volume in annual_volumes(instance):
        f, s = rates.forces.index(volume.force), rates.streams.index(volume.stream)
        assert yearly[f, s] == pytest.approx(volume.calls)
    pooled = rates.for_forces(rates.forces)
    assert pooled == pytest.approx(rates.rates_per_hour.sum(axis=0))


def test_lsoa_calls_sum_to_the_force_volumes() -> None:
    """Spreading calls over LSOAs by population keeps every force's total."""
    instance = load_instance(INSTANCES / "toy.toml")
    table = lsoa_calls(instance)
    assert len(table) == 1558
    by_force = table.groupby("force")["emergency"].sum()
    for volume in annual_volumes(instance):
        if volume.stream == "emergency":
            assert by_force[volume.force] == pytest.approx(volume.calls)

"""Annual call volumes per force and stream, with per-head estimates for missing figures."""

from __future__ import annotations

import pytest

from siteopt.demand import annual_volumes, force_populations
from siteopt.instance import load_instance
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


def test_growth_scales_every_volume(tmp_path: pytest.TempPathFactory) -> None:
    """A growth factor multiplies measured and estimated volumes alike."""
    child = tmp_path / "grow.toml"  # type: ignore[operator]
    child.write_text(
        f'extends = "{(INSTANCES / "toy.toml").as_posix()}"\n[demand]\ngrowth = 1.5\n',
        encoding="utf-8",
    )
    base = annual_volumes(load_instance(INSTANCES / "toy.toml"))
    grown = annual_volumes(load_instance(child))
    for a, b in zip(base, grown, strict=True):
        assert b.calls == pytest.approx(1.5 * a.calls)


def test_force_populations_follow_the_population_year(tmp_path: pytest.TempPathFactory) -> None:
    """Choosing mid-2019 population changes the per-force totals."""
    child = tmp_path / "y2019.toml"  # type: ignore[operator]
    child.write_text(
        f'extends = "{(INSTANCES / "toy.toml").as_posix()}"\n[data]\npopulation_year = 2019\n',
        encoding="utf-8",
    )
    assert force_populations(load_instance(child))["bedfordshire"] == 674_992
    assert force_populations(load_instance(INSTANCES / "toy.toml"))["bedfordshire"] == 652_223

"""Call demand: annual volumes per force and stream, their hour-of-week spread, and per LSOA.

This stage reads a validated :class:`~siteopt.instance.Instance` and the dataset's populations and
returns plain numbers and arrays: annual volumes (missing figures estimated per head), the
hour-of-week profile (default shape or a measured CSV), arrival rates per interval for staffing,
and calls per LSOA for maps.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from siteopt.errors import InstanceError
from siteopt.instance import Figure, PerHeadEstimate

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pandas as pd

    from siteopt.instance import Instance

__all__ = [
    "AnnualVolume",
    "ArrivalRates",
    "WeekProfile",
    "annual_volumes",
    "arrival_rates",
    "default_profile",
    "force_populations",
    "instance_profile",
    "load_profile_csv",
    "lsoa_calls",
]


@dataclass(frozen=True)
class AnnualVolume:
    """Calls a year for one force and stream, growth applied, with how the figure was obtained."""

    force: str
    stream: str
    calls: float
    estimated: bool
    provenance: str


def force_populations(instance: Instance) -> dict[str, int]:
    """Return each force's population for the instance's population year (from the LSOA table)."""
    lsoas = instance.dataset().lsoas()
    column = f"pop_mid{instance.data.population_year}"
    totals = lsoas.groupby("force")[column].sum()
    return {fid: int(totals.get(fid, 0)) for fid in instance.forces}


def annual_volumes(instance: Instance) -> list[AnnualVolume]:
    """Return calls a year per force and stream; per-head estimates use the pooled rate.

    A force whose figure is ``per_head_of = [A, B]`` gets
    ``population × (volume_A + volume_B) / (population_A + population_B)``.
    """
    population = force_populations(instance)
    growth = instance.demand.growth.value
    out: list[AnnualVolume] = []
    for fid in instance.forces:
        for stream in instance.demand.streams:
            volume = instance.demand.volumes[fid][stream]
            if isinstance(volume, Figure):
                calls, estimated, note = volume.value, False, volume.provenance
            else:
                calls = per_head_estimate(instance, volume, stream, population, population[fid])
                estimated, note = True, f"assumption: {volume.assumption}"
            out.append(AnnualVolume(fid, stream, calls * growth, estimated, note))
    return out


def per_head_estimate(
    instance: Instance,
    estimate: PerHeadEstimate,
    stream: str,
    population: dict[str, int],
    own_population: int,
) -> float:
    """Return a force's volume from the pooled per-head rate of the forces it names."""
    measured = 0.0
    for other in estimate.per_head_of:
        figure = instance.demand.volumes[other][stream]
        assert isinstance(figure, Figure)  # guaranteed by the instance validator
        measured += figure.value
    people = sum(population[other] for other in estimate.per_head_of)
    return own_population * measured / people


# ---------------------------------------------------------------------------------------------
# Hour-of-week profile

HOURS_PER_WEEK = 168
WEEKS_PER_YEAR = 365.25 / 7
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

#: Relative calls by hour of an ordinary day (00:00 … 23:00): a night trough, a daytime plateau
#: and the evening peak 18:00–22:00. An assumption shaped on BCH-FACTS §5 (a UK force's 15 months
#: of deployments: "daily peak 18:00–22:00"), not a measured BCH profile.
DEFAULT_DAY_SHAPE = (
    0.75, 0.60, 0.50, 0.42, 0.36, 0.35, 0.42, 0.60, 0.80, 0.95, 1.00, 1.05,
    1.05, 1.05, 1.05, 1.10, 1.15, 1.20, 1.30, 1.35, 1.35, 1.30, 1.15, 0.95,
)  # fmt: skip
#: 00:00–04:00 on Saturday and Sunday mornings has about twice the calls of other days, and the
#: Friday/Saturday evening peak runs on to midnight (same source, an assumption in detail).
WEEKEND_NIGHT_FACTOR = 2.0
FRIDAY_SATURDAY_LATE_FACTOR = 1.2

DEFAULT_PROFILE_NOTE = (
    "assumption: default hour-of-week shape (evening peak 18:00-22:00; Friday and Saturday nights "
    "busy into the early hours, 00:00-04:00 on Saturday and Sunday mornings about twice other "
    "days), after a UK force's published deployment profile (BCH-FACTS §5); no measured BCH "
    "profile was found"
)


@dataclass(frozen=True)
class WeekProfile:
    """Share of a week's calls in each interval, Monday 00:00 first (shares sum to 1)."""

    shares: tuple[float, ...]
    interval_minutes: int
    provenance: str

    @property
    def intervals(self) -> int:
        """Number of intervals in the week (168 hourly or 336 half-hourly)."""
        return len(self.shares)

    def labels(self) -> list[str]:
        """Return a label per interval, e.g. ``"Fri 18:30"``."""
        per_day = self.intervals // 7
        step = 24 * 60 // per_day
        minutes = [(i % per_day) * step for i in range(self.intervals)]
        return [
            f"{DAY_NAMES[i // per_day]} {m // 60:02d}:{m % 60:02d}" for i, m in enumerate(minutes)
        ]


def default_profile(interval_minutes: int = 60) -> WeekProfile:
    """Return the default hour-of-week profile (an assumption; see :data:`DEFAULT_PROFILE_NOTE`)."""
    weights = []
    for day in range(7):
        for hour, base in enumerate(DEFAULT_DAY_SHAPE):
            factor = 1.0
            if day in (5, 6) and hour < 4:  # Saturday and Sunday mornings
                factor = WEEKEND_NIGHT_FACTOR
            elif day in (4, 5) and hour >= 22:  # Friday and Saturday late evening
                factor = FRIDAY_SATURDAY_LATE_FACTOR
            weights.append(base * factor)
    hourly = _normalised(weights)
    return WeekProfile(_resampled(hourly, interval_minutes), interval_minutes, DEFAULT_PROFILE_NOTE)


def load_profile_csv(path: Path | str, interval_minutes: int = 60) -> WeekProfile:
    """Read a measured profile: a CSV whose ``share`` column has 168 or 336 rows from Mon 00:00.

    Shares must be non-negative and sum to 1 (± 1e-6). A half-hourly file serves hourly intervals
    (pairs are added) and an hourly file serves half-hourly ones (each hour is split evenly).
    """
    file = Path(path)
    try:
        with file.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError) as exc:
        raise InstanceError(file, "", f"cannot read profile CSV: {exc}") from None
    if not rows or "share" not in rows[0]:
        raise InstanceError(file, "share", "expected a CSV with a header row and a 'share' column")
    if len(rows) not in (HOURS_PER_WEEK, 2 * HOURS_PER_WEEK):
        msg = f"expected 168 hourly or 336 half-hourly rows, got {len(rows)}"
        raise InstanceError(file, "share", msg)
    shares = []
    for line, row in enumerate(rows, start=2):
        try:
            value = float(row["share"])
        except (TypeError, ValueError):
            msg = f"line {line}: expected a number, got {row['share']!r}"
            raise InstanceError(file, "share", msg) from None
        if not math.isfinite(value) or value < 0:
            raise InstanceError(file, "share", f"line {line}: expected a share >= 0, got {value}")
        shares.append(value)
    total = math.fsum(shares)
    if abs(total - 1) > PROFILE_TOLERANCE:
        msg = f"expected shares summing to 1 (± {PROFILE_TOLERANCE:g}), got {total:.9f}"
        raise InstanceError(file, "share", msg)
    hourly_or_half = tuple(shares)
    native_minutes = 60 if len(shares) == HOURS_PER_WEEK else 30
    hourly = (
        hourly_or_half
        if native_minutes == 60
        else tuple(a + b for a, b in zip(shares[::2], shares[1::2], strict=True))
    )
    resampled = (
        hourly_or_half
        if native_minutes == interval_minutes
        else _resampled(hourly, interval_minutes)
    )
    return WeekProfile(resampled, interval_minutes, f"source: measured profile {file}")


PROFILE_TOLERANCE = 1e-6


def instance_profile(instance: Instance) -> WeekProfile:
    """Return the instance's hour-of-week profile at its staffing interval."""
    minutes = instance.staffing.interval_minutes
    if instance.demand.profile == "default":
        return default_profile(minutes)
    return load_profile_csv(instance.demand.profile, minutes)


def _normalised(weights: list[float]) -> tuple[float, ...]:
    total = math.fsum(weights)
    return tuple(w / total for w in weights)


def _resampled(hourly: tuple[float, ...], interval_minutes: int) -> tuple[float, ...]:
    if interval_minutes == 60:
        return hourly
    return tuple(share / 2 for share in hourly for _ in range(2))


# ---------------------------------------------------------------------------------------------
# Arrival rates per interval


@dataclass(frozen=True)
class ArrivalRates:
    """Calls per hour in each interval of an average week: array forces × streams × intervals."""

    forces: tuple[str, ...]
    streams: tuple[str, ...]
    rates_per_hour: npt.NDArray[np.float64]
    profile: WeekProfile

    def for_forces(self, forces: list[str] | tuple[str, ...]) -> npt.NDArray[np.float64]:
        """Return streams × intervals rates of the given forces together."""
        index = [self.forces.index(f) for f in forces]
        summed: npt.NDArray[np.float64] = self.rates_per_hour[index].sum(axis=0)
        return summed


def arrival_rates(instance: Instance) -> ArrivalRates:
    """Return calls per hour per force, stream and interval of an average week.

    ``rate = annual calls / weeks per year × interval share / interval hours``. Seasonal peaks
    (summer weekends, New Year's Eve) are not in an average week.
    """
    import numpy as np

    profile = instance_profile(instance)
    forces = tuple(instance.forces)
    streams = tuple(instance.demand.streams)
    shares = np.asarray(profile.shares)
    hours = profile.interval_minutes / 60
    rates = np.zeros((len(forces), len(streams), profile.intervals))
    for volume in annual_volumes(instance):
        weekly = volume.calls / WEEKS_PER_YEAR
        rates[forces.index(volume.force), streams.index(volume.stream)] = weekly * shares / hours
    rates.setflags(write=False)
    return ArrivalRates(forces, streams, rates, profile)


def lsoa_calls(instance: Instance) -> pd.DataFrame:
    """Return calls a year per LSOA and stream, each force's volume spread by population share."""
    lsoas = instance.dataset().lsoas()
    column = f"pop_mid{instance.data.population_year}"
    share = lsoas[column] / lsoas.groupby("force")[column].transform("sum")
    out = lsoas[["lsoa11cd", "force", column]].copy()
    for stream in instance.demand.streams:
        per_force = {v.force: v.calls for v in annual_volumes(instance) if v.stream == stream}
        out[stream] = share * lsoas["force"].map(per_force)
    return out

"""Arrival rates per force, stream and interval; calls per LSOA.

Arrival rates per force, stream and interval of the week (for staffing), and calls
per LSOA (for maps).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from siteopt.demand.volumes import WEEKS_PER_YEAR, annual_volumes
from siteopt.instance.profile import WeekProfile, default_profile, load_profile_csv

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pandas as pd

    from siteopt.instance.schema import Instance

__all__ = ["ArrivalRates", "arrival_rates", "instance_profile", "lsoa_calls"]


def instance_profile(instance: Instance) -> WeekProfile:
    """Return the instance's hour-of-week profile at its staffing interval."""
    minutes = instance.staffing.interval_minutes
    if instance.demand.profile == "default":
        return default_profile(minutes)
    return load_profile_csv(instance.demand.profile, minutes)


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

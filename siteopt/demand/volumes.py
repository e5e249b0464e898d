"""Annual call volumes per force and stream.

Annual call volumes per force and stream: published figures, or per-head estimates
from other forces where a figure is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from siteopt.instance.figures import Figure, PerHeadEstimate

if TYPE_CHECKING:
    from siteopt.instance.schema import Instance

__all__ = ["AnnualVolume", "annual_volumes", "force_populations"]


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
    totals = instance.dataset().force_populations(instance.data.population_year)
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


WEEKS_PER_YEAR = 365.25 / 7

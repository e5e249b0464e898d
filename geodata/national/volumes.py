"""Call volumes and staff of an alliance from BCH's figures scaled by recorded crime per head.

No force publishes its 999/101 volumes in the national inputs, so an alliance instance states
each force's annual calls per stream as an assumption computed here:

    calls(f, s) = rate_BCH(s) x (crime per head of f / crime per head of BCH(s)) x population(f)

where ``rate_BCH(s)`` is the calls per head of the BCH forces with a *published* volume of
stream ``s`` in ``instances/bch-2015.toml`` (their mid-2015 population), and crime per head is
police recorded crime 2024/25 over the mid-2019 population of the same forces
(``geodata/england-wales/force_scalers.csv``). Staff today scale from a named figure the same
way: a force's staff = reference staff x its calls / the reference's calls.

Usage (prints the TOML lines an alliance file carries, with the arithmetic in each text)::

    python -m geodata.national.volumes kent essex [--year 2019]
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import TYPE_CHECKING

from geodata import BCH_DIR

if TYPE_CHECKING:
    from siteopt.data import Dataset
    from siteopt.instance.schema import Instance

BCH_INSTANCE = BCH_DIR.parents[1] / "instances" / "bch-2015.toml"
#: Volumes are rounded to this many calls (the scaling is not precise to more).
ROUND_CALLS = 100


@dataclass(frozen=True)
class BchRate:
    """BCH's calls per head of one stream, and the BCH forces it comes from."""

    stream: str
    label: str
    forces: tuple[str, ...]
    calls: float
    population_2015: int
    crime: int
    population_2019: int

    @property
    def per_head(self) -> float:
        """Calls a year per resident (mid-2015)."""
        return self.calls / self.population_2015

    @property
    def crime_per_head(self) -> float:
        """Recorded crime 2024/25 per resident (mid-2019) of the same forces."""
        return self.crime / self.population_2019


@dataclass(frozen=True)
class ScaledVolume:
    """One force's modelled annual calls of one stream and the text that states how."""

    force: str
    stream: str
    calls: int
    assumption: str


def bch_rates(bch: Instance, national: Dataset) -> dict[str, BchRate]:
    """Return BCH's per-head rate of each stream from the forces that publish it."""
    from siteopt.instance.figures import Figure  # noqa: PLC0415 (light, local)

    scalers = national.force_scalers()
    assert scalers is not None
    table = scalers.set_index("force")
    lsoas = bch.dataset().lsoas()
    pop2015 = lsoas.groupby("force")["pop_mid2015"].sum()
    crime = table["recorded_crime_2024_25"].to_dict()
    pop2019 = table["pop_mid2019"].to_dict()
    out = {}
    for stream, spec in bch.demand.streams.items():
        figures = {
            fid: volume.value
            for fid in bch.forces
            if isinstance(volume := bch.demand.volumes[fid][stream], Figure)
        }
        out[stream] = BchRate(
            stream=stream,
            label=spec.label,
            forces=tuple(figures),
            calls=float(sum(figures.values())),
            population_2015=int(sum(pop2015[f] for f in figures)),
            crime=int(sum(crime[f] for f in figures)),
            population_2019=int(sum(pop2019[f] for f in figures)),
        )
    return out


def scaled_volumes(forces: list[str], year: int) -> list[ScaledVolume]:
    """Return each force's modelled calls per stream (see the module docstring)."""
    from siteopt.data import open_dataset  # noqa: PLC0415 (light, local)
    from siteopt.instance.loading import load_instance  # noqa: PLC0415 (light, local)

    bch = load_instance(BCH_INSTANCE)
    national = open_dataset("england-wales")
    rates = bch_rates(bch, national)
    scalers = national.force_scalers()
    assert scalers is not None
    rows = {str(r["force"]): r for r in scalers.to_dict("records")}
    out = []
    for fid in forces:
        row = rows[fid]
        population = int(row[f"pop_mid{year}"])
        crime_per_head = float(row["recorded_crime_2024_25"]) / float(row["pop_mid2019"])
        for stream, rate in rates.items():
            ratio = crime_per_head / rate.crime_per_head
            calls = round(rate.per_head * ratio * population / ROUND_CALLS) * ROUND_CALLS
            text = (
                f"no published {rate.label} volume: BCH rate {rate.per_head:.4f} calls per head "
                f"({' + '.join(rate.forces)} published volumes over their mid-2015 population, "
                f"bch-2015.toml) x {row['name']}'s recorded crime per head over theirs "
                f"({1000 * crime_per_head:.1f} vs {1000 * rate.crime_per_head:.1f} per 1,000: "
                "Home Office recorded crime 2024/25 over ONS mid-2019 population, "
                f"geodata/england-wales/force_scalers.csv) x mid-{year} population "
                f"{population:,}; rounded to {ROUND_CALLS}"
            )
            out.append(ScaledVolume(fid, stream, int(calls), text))
    return out


def scaled_staff(reference_staff: float, reference_calls: float, calls: float) -> int:
    """Return staff scaled from a reference by annual calls (rounded to whole people)."""
    return round(reference_staff * calls / reference_calls)


@dataclass(frozen=True)
class BchStaffing:
    """BCH's staff today, seats today and annual calls (all streams) of ``bch-2015.toml``."""

    staff: int
    seats: int
    calls: float


def bch_staffing() -> BchStaffing:
    """Return BCH's staff and seats in today's three rooms and its calls a year."""
    from siteopt.demand.volumes import annual_volumes  # noqa: PLC0415 (light, local)
    from siteopt.instance.loading import load_instance  # noqa: PLC0415 (light, local)

    bch = load_instance(BCH_INSTANCE)
    seats = 0
    for force in bch.forces.values():
        existing = bch.sites.costs_for(force.current_site).existing_seats
        seats += existing.value if existing is not None else 0
    return BchStaffing(
        staff=sum(f.current_staff.value for f in bch.forces.values()),
        seats=seats,
        calls=sum(v.calls for v in annual_volumes(bch)),
    )


def staff_lines(volumes: list[ScaledVolume], reference: tuple[str, int] | None) -> list[str]:
    """Return each force's staff and seats today, scaled by its calls from a reference.

    ``reference`` is (force, published staff) in the alliance; ``None`` scales from BCH.
    """
    calls: dict[str, int] = {}
    for volume in volumes:
        calls[volume.force] = calls.get(volume.force, 0) + volume.calls
    bch = bch_staffing()
    lines = []
    for fid, total in calls.items():
        if reference is not None and fid == reference[0]:
            staff, how = reference[1], "published figure (set its source in the file)"
        elif reference is not None:
            staff = scaled_staff(reference[1], calls[reference[0]], total)
            how = (
                f"{reference[0]}'s {reference[1]} staff x {fid}'s modelled calls {total:,} / "
                f"{reference[0]}'s {calls[reference[0]]:,}"
            )
        else:
            staff = scaled_staff(bch.staff, bch.calls, total)
            how = (
                f"BCH's {bch.staff} staff in today's rooms (bch-2015.toml) x {fid}'s modelled "
                f"calls {total:,} / BCH's {bch.calls:,.0f}"
            )
        seats = round(staff * bch.seats / bch.staff)
        lines.append(f"{fid}: current_staff = {staff} ({how})")
        lines.append(
            f"{fid}: existing_seats = {seats} (BCH's {bch.seats} seats for {bch.staff} staff "
            f"today, bch-2015.toml, x {staff} staff)"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    """Print the volume lines of an alliance instance for the given forces."""
    parser = argparse.ArgumentParser(prog="python -m geodata.national.volumes")
    parser.add_argument("forces", nargs="+", help="force ids of the national dataset")
    parser.add_argument("--year", type=int, choices=[2015, 2019], default=2019)
    parser.add_argument(
        "--staff-reference",
        metavar="FORCE=STAFF",
        help="scale staff from this force's published staff (default: from BCH's)",
    )
    args = parser.parse_args(argv)
    reference = None
    if args.staff_reference:
        fid, staff = args.staff_reference.split("=")
        reference = (fid, int(staff))
    volumes = scaled_volumes(args.forces, args.year)
    current = ""
    for volume in volumes:
        if volume.force != current:
            current = volume.force
            print(f"\n[demand.volumes.{current}]")
        print(f'{volume.stream} = {{ value = {volume.calls}, assumption = "{volume.assumption}" }}')
    print()
    for line in staff_lines(volumes, reference):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

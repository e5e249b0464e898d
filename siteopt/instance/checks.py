"""Cross-field checks of a validated instance.

Cross-field checks of a validated instance: references between sections, seats,
pay areas, rosters and the data files an instance names.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from siteopt.data import open_dataset
from siteopt.errors import DataError, InstanceError
from siteopt.instance.figures import Figure, PerHeadEstimate
from siteopt.instance.profile import load_profile_csv
from siteopt.roadclasses import ROAD_CLASSES

if TYPE_CHECKING:
    from siteopt.instance.schema import Instance


class _Checker:
    """Cross-reference checks: ids, forces, files and counts that one field cannot check alone."""

    def __init__(self, instance: Instance, origins: Origins) -> None:
        self.instance = instance
        self.origins = origins
        try:
            # the instance's own when it selects no forces (a sweep's variants share theirs)
            whole = (
                instance.dataset()
                if instance.data.forces is None
                else open_dataset(instance.data.dataset)
            )
            whole.all_force_ids  # noqa: B018 (reads the LSOA table: a broken dataset fails here)
        except DataError as exc:
            raise self.error(("data", "dataset"), str(exc)) from None
        for i, fid in enumerate(instance.data.forces or []):
            if fid not in whole.all_force_ids:
                close = difflib.get_close_matches(fid, whole.all_force_ids, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                msg = f"force {fid!r} is not in dataset {whole.name!r}{hint}"
                raise self.error(("data", "forces", str(i)), msg)
        try:
            self.dataset = instance.dataset()
            self.known_sites = self.dataset.sites
        except DataError as exc:
            raise self.error(("data", "dataset"), str(exc)) from None
        self.force_ids = list(instance.forces)
        self.all_sites = sorted(set(self.known_sites) | set(instance.sites.custom))

    def error(self, loc: tuple[str, ...], message: str) -> InstanceError:
        """Return an InstanceError for ``loc``, naming the file that set it."""
        file = _origin_of(loc, self.origins, self.instance.file)
        return InstanceError(file, ".".join(loc), message)

    def site(self, loc: tuple[str, ...], sid: str) -> None:
        """Check that ``sid`` is a dataset or custom site id."""
        if sid not in self.all_sites:
            close = difflib.get_close_matches(sid, self.all_sites, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise self.error(loc, f"unknown site id {sid!r}{hint}; `siteopt sites` lists the ids")

    def force(self, loc: tuple[str, ...], fid: str) -> None:
        """Check that ``fid`` is one of the instance's forces."""
        if fid not in self.instance.forces:
            raise self.error(loc, f"unknown force {fid!r} ({_one_of(self.force_ids)})")

    def check_all(self) -> None:
        """Run every check; the first failure raises."""
        self.check_data()
        self.check_forces()
        self.check_sites()
        self.check_demand()
        self.check_pay()
        self.check_functions()
        self.check_constraints()
        self.check_solver()
        self.check_network()
        self.check_roster()
        self.check_files()

    def check_forces(self) -> None:
        """Forces exist in the (selected) dataset and their current rooms are known sites."""
        dataset_forces = set(self.dataset.force_ids)
        for fid, force in self.instance.forces.items():
            if fid not in dataset_forces:
                if self.instance.data.forces is not None:
                    selected = _one_of(dataset_forces)
                    msg = f"force {fid!r} is not selected in [data] forces ({selected})"
                else:
                    msg = f"force {fid!r} is not in the dataset ({_one_of(dataset_forces)})"
                raise self.error(("forces", fid), msg)
            self.site(("forces", fid, "current_site"), force.current_site)

    def check_data(self) -> None:
        """Every selected force is an instance force; the population year exists for all."""
        extra = [f for f in self.dataset.force_ids if f not in self.instance.forces]
        selecting = self.instance.data.forces is not None or self.dataset.expects_selection
        if extra and selecting:
            msg = (
                f"dataset {self.dataset.name!r} has LSOAs of {len(extra)} force(s) not in "
                f"[forces] (e.g. {extra[0]!r}): list the instance's forces in [data] forces"
            )
            where = ("data", "forces") if self.instance.data.forces is not None else ("forces",)
            raise self.error(where, msg)
        year = self.instance.data.population_year
        missing = self.dataset.missing_population(year)
        if missing:
            msg = (
                f"no mid-{year} LSOA population for {', '.join(map(repr, missing))} in dataset "
                f"{self.dataset.name!r} (mid-2015 populations exist for England only): use 2019"
            )
            raise self.error(("data", "population_year"), msg)

    def check_sites(self) -> None:
        """Candidate, excluded, overridden and custom sites are consistent."""
        sites = self.instance.sites
        for sid, custom in sites.custom.items():
            loc = ("sites", "custom", sid)
            if sid in self.known_sites:
                raise self.error(loc, f"id {sid!r} is already a dataset site; pick another id")
            self.force((*loc, "force"), custom.force)
            if custom.postcode is not None:
                try:
                    self.dataset.locate_postcode(custom.postcode)
                except DataError as exc:
                    raise self.error((*loc, "postcode"), str(exc)) from None
        if sites.candidates != "all":
            first: dict[str, int] = {}
            for i, sid in enumerate(sites.candidates):
                loc = ("sites", "candidates", str(i))
                self.site(loc, sid)
                if sid in first:
                    msg = f"site {sid!r} is listed twice (also at index {first[sid]}): list it once"
                    raise self.error(loc, msg)
                if sid in sites.custom:
                    msg = (
                        f"site {sid!r} is a custom site, which is always a candidate; "
                        "do not list it in candidates too"
                    )
                    raise self.error(loc, msg)
                first[sid] = i
        for i, sid in enumerate(sites.exclude):
            self.site(("sites", "exclude", str(i)), sid)
        for sid in sites.overrides:
            self.site(("sites", "overrides", sid), sid)
        if not self.instance.candidate_ids():
            raise self.error(("sites", "candidates"), "no candidate sites left after 'exclude'")
        for sid in self.instance.candidate_ids():
            self.check_site_costs(sid)

    def check_site_costs(self, sid: str) -> None:
        """Each candidate has every cost figure, and no more existing seats than it can hold."""
        costs = self.instance.sites.costs_for(sid)
        for name, figure in costs:
            if figure is None:
                msg = f"no {name} for site {sid!r}: set it here or in [sites.overrides.{sid}]"
                raise self.error(("sites", "defaults", name), msg)
        assert costs.existing_seats is not None and costs.max_seats is not None
        have, cap = costs.existing_seats.value, costs.max_seats.value
        if have > cap:
            where = "overrides" if sid in self.instance.sites.overrides else "defaults"
            loc = (
                ("sites", where, sid, "existing_seats")
                if where == "overrides"
                else ("sites", "defaults", "existing_seats")
            )
            msg = f"expected existing_seats <= max_seats for {sid!r}, got {have} > {cap}"
            raise self.error(loc, msg)

    def check_demand(self) -> None:
        """Every force has a volume for every stream; per-head estimates name measured forces."""
        demand = self.instance.demand
        teams = self.instance.staffing.stream_teams
        for sid, spec in demand.streams.items():
            if spec.redial_share is not None and teams != "separate":
                msg = f"redials (Erlang X) need stream_teams = 'separate', got {teams!r}"
                raise self.error(("demand", "streams", sid, "redial_share"), msg)
        for fid in self.force_ids:
            if fid not in demand.volumes:
                raise self.error(("demand", "volumes"), f"missing volumes for force {fid!r}")
        for fid, by_stream in demand.volumes.items():
            self.force(("demand", "volumes", fid), fid)
            for stream in demand.streams:
                if stream not in by_stream:
                    msg = f"missing volume for stream {stream!r}"
                    raise self.error(("demand", "volumes", fid), msg)
            for stream, volume in by_stream.items():
                loc = ("demand", "volumes", fid, stream)
                if stream not in demand.streams:
                    msg = f"unknown stream {stream!r} ({_one_of(demand.streams)})"
                    raise self.error(loc, msg)
                if isinstance(volume, PerHeadEstimate):
                    self.check_per_head(loc, fid, stream, volume)

    def check_per_head(
        self, loc: tuple[str, ...], fid: str, stream: str, volume: PerHeadEstimate
    ) -> None:
        """A per-head estimate takes its rate from other forces with measured volumes."""
        for j, other in enumerate(volume.per_head_of):
            where = (*loc, "per_head_of", str(j))
            if other not in self.instance.forces or other == fid:
                others = [f for f in self.force_ids if f != fid]
                raise self.error(where, f"{_one_of(others)}, got {other!r}")
            if not isinstance(self.instance.demand.volumes.get(other, {}).get(stream), Figure):
                msg = f"force {other!r} has no measured {stream!r} volume to take a rate from"
                raise self.error(where, msg)

    def check_pay(self) -> None:
        """Every force and every candidate's force area has an area allowance; none is unknown."""
        allowances = self.instance.pay.area_allowance_gbp
        for fid in self.force_ids:
            if fid not in allowances:
                msg = f"missing area allowance for force {fid!r}"
                raise self.error(("pay", "area_allowance_gbp"), msg)

        areas = dict(
            zip(self.instance.candidate_ids(), self.instance.candidate_force_areas(), strict=True)
        )
        for sid, area in areas.items():
            if area not in allowances:
                msg = (
                    f"missing area allowance for force area {area!r}, where candidate site "
                    f"{sid!r} lies (staff there are paid that area's allowance)"
                )
                raise self.error(("pay", "area_allowance_gbp"), msg)
        for fid in allowances:
            if fid not in set(areas.values()):
                self.force(("pay", "area_allowance_gbp", fid), fid)

    def check_functions(self) -> None:
        """Dispatch names known forces and streams; each force has a channel at every hour."""
        dispatch = self.instance.functions.dispatch
        if dispatch is None:
            return
        streams = self.instance.demand.streams
        for stream in dispatch.incident_share:
            if stream not in streams:
                loc = ("functions", "dispatch", "incident_share", stream)
                raise self.error(loc, f"unknown stream {stream!r} ({_one_of(streams)})")
        for fid, areas in dispatch.areas.items():
            loc = ("functions", "dispatch", "areas", fid)
            self.force(loc, fid)
            if not _hours_covered([a.hours for a in areas.values()]):
                msg = "expected at least one area of the force open at every hour of the day"
                raise self.error(loc, msg)

    def check_constraints(self) -> None:
        """Constraints name known forces and sites, have ordered bounds, unique types once."""
        by_type: dict[str, list[str]] = {}
        for name, constraint in self.instance.constraints.items():
            if constraint.unique:
                by_type.setdefault(constraint.type, []).append(name)
        for kind, names in by_type.items():
            if len(names) > 1:
                msg = f"expected at most one {kind!r} constraint, got {', '.join(names)}"
                raise self.error(("constraints", names[1]), msg)
        for name, constraint in self.instance.constraints.items():
            loc = ("constraints", name)
            for path, fid in constraint.force_refs().items():
                self.force((*loc, *path), fid)
            if (wrong := constraint.field_error()) is not None:
                path, msg = wrong
                raise self.error((*loc, *path), msg)
            for path, sid in constraint.site_refs().items():
                self.site((*loc, *path), sid)

    def check_solver(self) -> None:
        """k_min <= k_max <= number of candidates."""
        solver = self.instance.solver
        if solver.k_min > solver.k_max:
            msg = f"expected k_min <= k_max, got k_min = {solver.k_min} > k_max = {solver.k_max}"
            raise self.error(("solver", "k_min"), msg)
        n = len(self.instance.candidate_ids())
        if solver.k_max > n:
            msg = f"expected at most {n} (the number of candidate sites), got {solver.k_max}"
            raise self.error(("solver", "k_max"), msg)

    def check_network(self) -> None:
        """Speeds are given only for known road classes."""
        for name in self.instance.network.speeds_kph:
            if name not in ROAD_CLASSES:
                close = difflib.get_close_matches(name, ROAD_CLASSES, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                msg = f"unknown road class {name!r} ({hint}{_one_of(ROAD_CLASSES)})"
                raise self.error(("network", "speeds_kph", name), msg)

    def check_roster(self) -> None:
        """Roster shifts are whole roster intervals long, start on the grid, break within."""
        roster = self.instance.staffing.roster
        step = roster.interval_minutes
        for sid, shift in roster.shifts.items():
            loc = ("staffing", "roster", "shifts", sid)
            minutes = shift.hours.value * 60
            if abs(minutes / step - round(minutes / step)) > 1e-9:
                hours = shift.hours.value
                msg = f"expected a whole number of {step}-minute intervals, got {hours:g} h"
                raise self.error((*loc, "hours", "value"), msg)
            if shift.break_minutes.value >= minutes:
                msg = (
                    f"expected a break shorter than the shift ({minutes:g} min), "
                    f"got {shift.break_minutes.value:g}"
                )
                raise self.error((*loc, "break_minutes", "value"), msg)
            for i, start in enumerate(shift.starts or []):
                hour, minute = (int(part) for part in start.split(":"))
                if (hour * 60 + minute) % step:
                    msg = f"expected a start on the {step}-minute grid, got {start!r}"
                    raise self.error((*loc, "starts", str(i)), msg)

    def check_files(self) -> None:
        """Data files named by the instance exist."""
        profile = self.instance.demand.profile
        if profile != "default" and not Path(profile).is_file():
            msg = f"profile file {profile!r} not found (expected 'default' or a CSV path)"
            raise self.error(("demand", "profile"), msg)
        if profile != "default":
            load_profile_csv(profile, self.instance.staffing.interval_minutes)
        road_file = self.instance.network.path
        if road_file is not None and not Path(road_file).exists():
            raise self.error(("network", "path"), f"road data file {road_file!r} not found")
        congestion = self.instance.network.congestion
        if congestion is not None and congestion.file is not None:
            if not Path(congestion.file).is_file():
                msg = f"congestion file {congestion.file!r} not found"
                raise self.error(("network", "congestion", "file"), msg)
            congestion.commute_factors()  # reads and checks the file (errors name its line)


def _minutes_of_day(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _hours_covered(windows: list[tuple[str, str] | None]) -> bool:
    """Whether the union of daily windows (``None``: all day) covers every minute of a day."""
    covered = [False] * 1440
    for window in windows:
        if window is None:
            return True
        start, end = (_minutes_of_day(t) for t in window)
        length = (end - start) % 1440 or 1440
        for minute in range(start, start + length):
            covered[minute % 1440] = True
    return all(covered)


def _one_of(items: Any) -> str:
    return "expected one of: " + ", ".join(sorted(items))


Origins = dict[tuple[str, ...], Path]


def _origin_of(loc: tuple[str, ...], origins: Origins, default: Path) -> Path:
    for end in range(len(loc), -1, -1):
        if loc[:end] in origins:
            return origins[loc[:end]]
    return default

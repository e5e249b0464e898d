"""How far to trust a drive time: the embedded network's measured travel-time error.

The embedded dataset's build validates the network out of sample against routes on the real
major roads (``docs/network.md``) and stores the distribution of the relative error
``e = network time / reference time - 1`` per *data kind* (``real_a_roads`` where the county's
real A roads are in the network, Cambridgeshire; ``strategic_mesh`` where only the strategic
roads and the mesh are, Bedfordshire and Hertfordshire) and *area type* (``urban`` when both
ends of a trip are urban LSOAs, else ``rural``), as quantiles.

:class:`TravelTimeError` turns that into what a report or a Monte-Carlo run needs: the typical
error of a time in minutes, an interval for the real time, and samples of it. The errors of
different trips are not independent (trips share roads and the same speed assumptions);
sampling each trip on its own understates how far a sum or a minimum of times can move.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from siteopt.data import read_parquet_columns
from siteopt.errors import NetworkError
from siteopt.network.sources import CALIBRATION_FILE, NODES_FILE

if TYPE_CHECKING:
    from siteopt.data import Dataset
    from siteopt.instance.schema import Instance

__all__ = [
    "AREA_TYPES",
    "ErrorDistribution",
    "TravelTimeError",
    "area_types",
    "instance_travel_time_error",
    "travel_time_error",
    "trip_area_type",
]


FloatArray = npt.NDArray[np.float64]

#: Area types of a trip.
AREA_TYPES = ("urban", "rural")

#: Points of the inverse distribution used for medians of derived quantities.
_GRID = np.linspace(0.0, 1.0, 2001)


def trip_area_type(origin: str, destination: str) -> str:
    """``urban`` when both ends are urban, else ``rural`` (how the validation groups pairs)."""
    for value in (origin, destination):
        if value not in AREA_TYPES:
            raise NetworkError(f"area type {value!r}: expected one of {', '.join(AREA_TYPES)}")
    return "urban" if origin == destination == "urban" else "rural"


@dataclass(frozen=True)
class ErrorDistribution:
    """The measured relative error ``e = model / reference - 1`` of one kind of trip.

    ``quantiles[k]`` is the error at probability ``levels[k]``; between them the distribution
    is taken as linear (so samples lie between the smallest and largest error measured).
    """

    data_kind: str
    area_type: str
    pairs: int
    levels: FloatArray
    quantiles: FloatArray

    def __post_init__(self) -> None:
        levels = np.array(self.levels, dtype=np.float64)
        quantiles = np.array(self.quantiles, dtype=np.float64)
        where = f"error model {self.data_kind}/{self.area_type}"
        if len(levels) < 2 or len(levels) != len(quantiles):
            raise NetworkError(f"{where}: levels and quantiles must be two or more, one each")
        if levels[0] != 0.0 or levels[-1] != 1.0 or (np.diff(levels) <= 0).any():
            raise NetworkError(f"{where}: levels must rise from 0 to 1")
        if (np.diff(quantiles) < 0).any() or not np.isfinite(quantiles).all():
            raise NetworkError(f"{where}: quantiles must be finite and non-decreasing")
        if quantiles[0] <= -1.0:
            raise NetworkError(f"{where}: an error of -100 % or less is impossible")
        levels.flags.writeable = False
        quantiles.flags.writeable = False
        object.__setattr__(self, "levels", levels)
        object.__setattr__(self, "quantiles", quantiles)

    def relative_error(self, probability: npt.ArrayLike) -> FloatArray:
        """Relative error ``e`` at the given probabilities (the inverse distribution)."""
        out: FloatArray = np.interp(
            np.asarray(probability, dtype=np.float64), self.levels, self.quantiles
        )
        return out

    @property
    def median_bias(self) -> float:
        """Median of ``e``: positive when the network is slower than the reference."""
        return float(self.relative_error(0.5))

    def typical_share(self) -> float:
        """Median of ``|model - real| / model`` (the typical error as a share of the time shown)."""
        e = self.relative_error(_GRID)
        return float(np.median(np.abs(e / (1.0 + e))))


@dataclass(frozen=True)
class TravelTimeError:
    """Error distributions of the embedded network's drive times, by data kind and area type.

    Parameters
    ----------
    distributions
        ``(data_kind, area_type) → ErrorDistribution``.
    county_data
        Data kind of each force's roads (``cambridgeshire → real_a_roads`` ...).
    definition
        What the errors were measured against (shown beside a band).

    """

    distributions: Mapping[tuple[str, str], ErrorDistribution]
    county_data: Mapping[str, str] = field(default_factory=dict)
    definition: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "distributions", MappingProxyType(dict(self.distributions)))
        object.__setattr__(self, "county_data", MappingProxyType(dict(self.county_data)))
        if not self.distributions:
            raise NetworkError("error model: no error distribution")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, where: str = "error model") -> TravelTimeError:
        """Read the ``error_model`` section of ``network_calibration.json``."""
        try:
            levels = np.asarray(data["levels"], dtype=np.float64)
            distributions = {
                (str(d["data_kind"]), str(d["area_type"])): ErrorDistribution(
                    data_kind=str(d["data_kind"]),
                    area_type=str(d["area_type"]),
                    pairs=int(d["pairs"]),
                    levels=levels,
                    quantiles=np.asarray(d["quantiles"], dtype=np.float64),
                )
                for d in data["distributions"]
            }
            county = {str(k): str(v) for k, v in data.get("county_data", {}).items()}
        except (KeyError, TypeError, ValueError) as exc:
            raise NetworkError(f"{where}: malformed error model ({exc!r})") from None
        return cls(distributions, county, str(data.get("definition", "")))

    def data_kind_of(self, force: str) -> str:
        """The data kind of a force's roads (``real_a_roads`` or ``strategic_mesh``)."""
        try:
            return self.county_data[force]
        except KeyError:
            known = ", ".join(sorted(self.county_data))
            raise NetworkError(
                f"error model: no data kind for force {force!r} (known: {known})"
            ) from None

    def distribution(self, area_type: str, data_kind: str) -> ErrorDistribution:
        """The error distribution of one kind of trip."""
        try:
            return self.distributions[data_kind, area_type]
        except KeyError:
            known = ", ".join(f"{k}/{a}" for k, a in sorted(self.distributions))
            msg = f"error model: no distribution for {data_kind}/{area_type} (known: {known})"
            raise NetworkError(msg) from None

    def expected_error_minutes(
        self, minutes: npt.ArrayLike, area_type: str, *, data_kind: str
    ) -> FloatArray:
        """Typical error of drive times shown, in minutes: the median of ``|shown - real|``.

        Half of the validated trips of this kind erred by more. Use it for "60.4 min ± 6 min".
        """
        share = self.distribution(area_type, data_kind).typical_share()
        out: FloatArray = np.asarray(minutes, dtype=np.float64) * share
        return out

    def interval_minutes(
        self, minutes: npt.ArrayLike, area_type: str, *, data_kind: str, coverage: float = 0.8
    ) -> tuple[FloatArray, FloatArray]:
        """Central interval of the real time holding ``coverage`` of validated trips.

        The real time is ``shown / (1 + e)``; a network that is slow (``e > 0``) has its
        interval below the time shown.
        """
        if not 0.0 < coverage < 1.0:
            raise NetworkError(f"error model: coverage must lie in (0, 1), got {coverage}")
        dist = self.distribution(area_type, data_kind)
        low_e, high_e = dist.relative_error([(1 - coverage) / 2, (1 + coverage) / 2])
        shown = np.asarray(minutes, dtype=np.float64)
        return shown / (1.0 + high_e), shown / (1.0 + low_e)

    def sample_relative_errors(
        self,
        rng: np.random.Generator,
        size: int | tuple[int, ...],
        area_type: str,
        *,
        data_kind: str,
    ) -> FloatArray:
        """Draws of ``e`` from the measured distribution (inverse-transform sampling)."""
        return self.distribution(area_type, data_kind).relative_error(rng.uniform(0.0, 1.0, size))

    def sample_real_minutes(
        self,
        rng: np.random.Generator,
        minutes: npt.ArrayLike,
        area_type: str,
        *,
        data_kind: str,
        draws: int,
    ) -> FloatArray:
        """``draws`` samples of the real time behind each time shown (shape ``(draws, *minutes)``).

        Each trip is drawn on its own (see the module note on correlated errors).
        """
        shown = np.asarray(minutes, dtype=np.float64)
        e = self.sample_relative_errors(rng, (draws, *shown.shape), area_type, data_kind=data_kind)
        out: FloatArray = shown / (1.0 + e)
        return out


def travel_time_error(dataset: Dataset) -> TravelTimeError:
    """The error model stored with a dataset's embedded network."""
    path = dataset.path(CALIBRATION_FILE)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise NetworkError(f"{path}: not a readable network calibration file ({exc})") from None
    if "error_model" not in data:
        msg = f"{path}: its drive times were not validated out of sample (no error_model)"
        raise NetworkError(msg)
    return TravelTimeError.from_dict(data["error_model"], where=str(path))


def instance_travel_time_error(instance: Instance) -> TravelTimeError | None:
    """The error model of an instance's network: ``None`` for a road file (not validated)."""
    if instance.network.kind != "embedded":
        return None
    return travel_time_error(instance.dataset())


def area_types(dataset: Dataset) -> dict[str, str]:
    """``urban``/``rural`` of every LSOA (by code) and site (by id) of the embedded network."""
    rows = read_parquet_columns(dataset.path(NODES_FILE), ["kind", "ref", "area_type"])
    return {
        ref: area
        for kind, ref, area in zip(
            rows["kind"].tolist(), rows["ref"].tolist(), rows["area_type"].tolist(), strict=True
        )
        if kind in {"lsoa", "site"}
    }

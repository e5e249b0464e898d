"""siteopt: where should shared police control rooms be.

Exact site and staffing choices on a road network. The public API, in the order a notebook
uses it::

    import siteopt

    instance = siteopt.load_instance("instances/bch-2015.toml")
    result = siteopt.solve(instance)  # a Result: status, solution, statistics, ...
    result.status, result.solution.sites, result.to_dict()
    siteopt.write_outputs(result, "out/")  # report, maps, GIS layers, workbook, web map

Stages, in the order data flows (one subpackage each): :mod:`siteopt.instance` (TOML →
validated instance), :mod:`siteopt.data` (the embedded dataset), :mod:`siteopt.demand` (calls
per force and stream), :mod:`siteopt.network` (road network, travel times),
:mod:`siteopt.queueing` (Erlang staffing, simulation, rosters), :mod:`siteopt.costs`,
:mod:`siteopt.optimise` (problem data, enumeration, CP-SAT, the :class:`Result`),
:mod:`siteopt.outputs` (business-case outputs), :mod:`siteopt.location` (classic location
models), :mod:`siteopt.sweep` (what-if sweeps); :mod:`siteopt.cli` is the thin command line.
"""

from __future__ import annotations

import importlib
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from siteopt.errors import ArgumentError as ArgumentError
from siteopt.errors import ContractError as ContractError
from siteopt.errors import DataError as DataError
from siteopt.errors import InstanceError as InstanceError
from siteopt.errors import NetworkError as NetworkError
from siteopt.errors import SiteoptError as SiteoptError
from siteopt.errors import SolverError as SolverError
from siteopt.errors import StaffingError as StaffingError
from siteopt.status import Status as Status

if TYPE_CHECKING:
    from pathlib import Path

    import numpy as np
    import numpy.typing as npt

    from siteopt.instance.loading import load_instance as load_instance
    from siteopt.instance.schema import Instance as Instance
    from siteopt.location.matrix import LocateError as LocateError
    from siteopt.location.result import LocateResult as LocateResult
    from siteopt.location.solve import locate as locate
    from siteopt.network.travel import TravelTimes
    from siteopt.optimise.result import Infeasibility as Infeasibility
    from siteopt.optimise.result import Result as Result
    from siteopt.optimise.result import SolverStatistics as SolverStatistics
    from siteopt.optimise.result import read_result as read_result
    from siteopt.optimise.solution import Solution as Solution
    from siteopt.optimise.solve import solve as solve
    from siteopt.outputs.write import write_outputs as write_outputs
    from siteopt.sweep.run import SweepRun as SweepRun
    from siteopt.sweep.run import run_sweep as run_sweep
    from siteopt.sweep.spec import load_sweep as load_sweep

#: Where each public name lives; imported on first use (PEP 562), so ``import siteopt`` and the
#: command line load only the stages a call needs (``siteopt solve`` never imports the sweeps).
_LAZY = MappingProxyType(
    {
        "load_instance": "siteopt.instance.loading",
        "Instance": "siteopt.instance.schema",
        "LocateError": "siteopt.location.matrix",
        "LocateResult": "siteopt.location.result",
        "locate": "siteopt.location.solve",
        "Infeasibility": "siteopt.optimise.result",
        "Result": "siteopt.optimise.result",
        "SolverStatistics": "siteopt.optimise.result",
        "read_result": "siteopt.optimise.result",
        "Solution": "siteopt.optimise.solution",
        "solve": "siteopt.optimise.solve",
        "write_outputs": "siteopt.outputs.write",
        "SweepRun": "siteopt.sweep.run",
        "run_sweep": "siteopt.sweep.run",
        "load_sweep": "siteopt.sweep.spec",
    }
)


def __getattr__(name: str) -> Any:
    """Import a public name from its stage on first use."""
    module = _LAZY.get(name)
    if module is None:
        msg = f"module 'siteopt' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "ArgumentError",
    "ContractError",
    "DataError",
    "Infeasibility",
    "Instance",
    "InstanceError",
    "LocateError",
    "LocateResult",
    "NetworkError",
    "Result",
    "SiteoptError",
    "Solution",
    "SolverError",
    "SolverStatistics",
    "StaffingError",
    "Status",
    "SweepRun",
    "load_instance",
    "load_sweep",
    "locate",
    "read_result",
    "required_agents",
    "run_sweep",
    "solve",
    "travel_times",
    "write_outputs",
]
__version__ = "0.1.0"


def required_agents(
    calls_per_hour: npt.ArrayLike,
    *,
    aht_s: npt.ArrayLike,
    share: float = 0.8,
    within_s: float = 20.0,
    patience_s: npt.ArrayLike | None = None,
    max_occupancy: float | None = None,
) -> npt.NDArray[np.int64]:
    """Return the fewest agents one queue needs to answer ``share`` of calls within ``within_s``.

    Erlang C without ``patience_s``; Erlang A (callers hang up after an exponential patience,
    abandoned calls count as failures) with it. Vectorised: arrays of rates give arrays.

    Parameters
    ----------
    calls_per_hour
        Arrival rate(s), calls per hour.
    aht_s
        Average handling time (talk + wrap), seconds.
    share
        Share of calls to answer in time, in (0, 1).
    within_s
        Answer-time threshold, seconds.
    patience_s
        Mean caller patience, seconds (Erlang A); ``None``: nobody hangs up (Erlang C).
    max_occupancy
        Cap on agent occupancy, e.g. 0.85.

    Returns
    -------
    numpy.ndarray
        Agents per rate (a 0-d array for one rate; ``int(...)`` gives the number).

    Raises
    ------
    StaffingError
        If an input is invalid or no finite staffing meets the target.
    """
    from siteopt.queueing.agents import ServiceTarget  # noqa: PLC0415 (lazy: scipy is slow to import)
    from siteopt.queueing.agents import required_agents as erlang_agents  # noqa: PLC0415 (lazy: scipy is slow to import)

    target = ServiceTarget(share=share, wait_s=within_s, max_occupancy=max_occupancy)
    return erlang_agents(calls_per_hour, aht_s=aht_s, target=target, patience_s=patience_s)


def travel_times(
    instance: Instance, *, cache: bool = True, cache_dir: Path | None = None
) -> TravelTimes:
    """Return drive times from every LSOA demand point to every candidate site of an instance.

    Parameters
    ----------
    instance
        The instance: its dataset's LSOAs, its candidates and its road network.
    cache
        Read and write the on-disk cache of travel-time matrices.
    cache_dir
        Cache folder (default ``$SITEOPT_CACHE`` or ``~/.cache/siteopt``).

    Returns
    -------
    TravelTimes
        ``minutes`` (LSOAs × candidates; ``inf`` where unreachable), the ids of both, and the
        network's ``provenance`` (how the times were obtained).
    """
    from siteopt.network.travel import instance_travel_times  # noqa: PLC0415 (lazy: a stage)

    return instance_travel_times(instance, cache=cache, cache_dir=cache_dir)

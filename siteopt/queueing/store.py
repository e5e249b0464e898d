"""The on-disk cache of staffing requirements, beside the travel-time cache.

A :class:`~siteopt.queueing.fte.StaffingTable`'s agents per interval for a group of forces are a
pure function of the table's own figures (arrival rates, handling times, service targets,
patience, redials, team rule, interval) and of the queueing code. This module keys a file on
exactly those: the figures *and* the source text of the modules that compute the requirement,
so an edited formula never reads an old answer. A solve from a warm cache then needs no Erlang
evaluation at all (and skips the import of ``scipy.special``, about 0.14 s of a 0.6 s solve).

Rostered tables (``fte_method = "roster"``) are not cached: their staff on duty come from a
time-limited CP-SAT search, so a stored roster could differ from a fresh one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from siteopt.atomic import atomic_write
from siteopt.errors import CacheWarning, SiteoptError
from siteopt.network.travel import default_cache_dir

if TYPE_CHECKING:
    from siteopt.queueing.fte import StaffingTable

__all__ = ["persisted_requirements", "requirements_path", "table_fingerprint"]


IntArray = npt.NDArray[np.int64]


#: The modules whose code decides a table's requirement (their text is part of the key).
_CODE_MODULES = ("agents.py", "erlang.py", "erlangx.py", "fte.py", "teams.py", "store.py")


@cache
def _code_digest() -> bytes:
    """SHA-256 of the requirement code's source text (read once per process)."""
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for name in _CODE_MODULES:
        digest.update(name.encode())
        digest.update((here / name).read_bytes())
    return digest.digest()


def table_fingerprint(table: StaffingTable) -> str | None:
    """Return the cache key of a staffing table's requirements; ``None`` if it is not cached.

    Every figure :meth:`~siteopt.queueing.fte.StaffingTable.agents_for` reads is in the key, so
    two tables with the same key give the same agents for every group.
    """
    if table.roster_menu is not None:
        return None
    try:
        code = _code_digest()
    except OSError:  # installed without its sources: nothing to key the formulas on
        return None
    rates = np.ascontiguousarray(table.rates_per_hour, dtype=np.float64)
    figures = [
        table.forces,
        table.streams,
        list(rates.shape),
        table.aht_s,
        [dataclasses.astuple(t) for t in table.targets],
        table.patience_s,
        table.stream_teams,
        table.interval_hours,
        table.min_crew,
        table.redials,
    ]
    digest = hashlib.sha256(code)
    digest.update(json.dumps(figures).encode())
    digest.update(rates.tobytes())
    return digest.hexdigest()[:40]


def requirements_path(table: StaffingTable, directory: Path | None = None) -> Path | None:
    """Return the cache file of a table's requirements (``None``: the table is not cached)."""
    key = table_fingerprint(table)
    if key is None:
        return None
    return (directory or default_cache_dir()) / f"staffing-{key}.npz"


def _read(path: Path, n_intervals: int) -> dict[frozenset[str], IntArray]:
    """The stored requirement per group; empty if the file is missing or unreadable."""
    try:  # the handle is ours: np.load leaks its own when the zip is damaged
        with path.open("rb") as handle, np.load(handle, allow_pickle=False) as data:
            groups = [frozenset(json.loads(str(g))) for g in data["groups"]]
            agents = data["agents"]
    except (OSError, KeyError, ValueError, TypeError, zipfile.BadZipFile):
        return {}  # missing or damaged: recompute
    if agents.ndim != 2 or agents.shape != (len(groups), n_intervals):
        return {}
    out: dict[frozenset[str], IntArray] = {}
    for group, row in zip(groups, agents, strict=True):
        found = np.array(row, dtype=np.int64)
        found.setflags(write=False)
        out[group] = found
    return out


def _write(path: Path, memo: dict[frozenset[str], IntArray]) -> None:
    """Store every group of ``memo`` (a warning, not an error, when the folder is not writable)."""
    groups = sorted(memo, key=sorted)
    names = np.array([json.dumps(sorted(g)) for g in groups])
    agents = np.stack([memo[g] for g in groups]).astype(np.int64)

    def save(temporary: Path) -> None:
        with temporary.open("wb") as handle:  # a handle: np.savez would add ".npz" to a name
            np.savez(handle, groups=names, agents=agents)

    try:
        atomic_write(path, save)
    except SiteoptError as exc:
        warnings.warn(f"staffing cache not written: {exc}", CacheWarning, stacklevel=4)


@contextmanager
def persisted_requirements(
    table: StaffingTable, *, directory: Path | None = None, enabled: bool = True
) -> Iterator[StaffingTable]:
    """Fill ``table``'s memo from the cache, yield it, then store any group computed meanwhile.

    Parameters
    ----------
    table
        A staffing table; rostered tables pass through untouched.
    directory
        Cache folder; default :func:`~siteopt.network.travel.default_cache_dir`.
    enabled
        ``False``: neither read nor write (the table computes as usual).
    """
    path = requirements_path(table, directory) if enabled else None
    if path is None:
        yield table
        return
    n_intervals = table.rates_per_hour.shape[-1]
    stored = _read(path, n_intervals)
    table.remember(stored)
    yield table
    known = table.known_requirements()
    if set(known) - set(stored):
        _write(path, known)

"""The results store: one Parquet file per finished batch, written atomically.

One sweep at a time writes a store: :class:`StoreLock` holds ``sweep.lock`` (the writer's pid and
host) for the whole run. Every scenario is stored once: a batch skips the scenarios already
stored, and reading keeps the first row of each scenario id (so a store copied together by hand
still counts each scenario once).
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from siteopt.atomic import atomic_write, atomic_write_text
from siteopt.errors import SiteoptError
from siteopt.sweep.batch import COST_KEYS

if TYPE_CHECKING:
    import pyarrow as pa

    from siteopt.sweep.spec import Sweep

__all__ = ["StoreLock", "result_schema", "stored_ids"]


def result_schema() -> pa.Schema:
    """The Parquet schema of the results store (one row per scenario; ``docs/sweep.md``)."""
    import pyarrow as pa  # noqa: PLC0415 (lazy: pyarrow is slow to import)

    money = [pa.field(f"cost_{k}_gbp", pa.float64()) for k in COST_KEYS]
    return pa.schema(
        [
            pa.field("scenario_id", pa.string(), nullable=False),
            pa.field("index", pa.int64(), nullable=False),
            pa.field("params", pa.string(), nullable=False),
            pa.field("status", pa.string(), nullable=False),
            pa.field("message", pa.string()),
            pa.field("method", pa.string()),
            pa.field("option", pa.string()),
            pa.field("sites", pa.list_(pa.string())),
            pa.field("routing", pa.string()),
            pa.field("fte", pa.float64()),
            pa.field("site_fte", pa.list_(pa.float64())),
            pa.field("objective_gbp", pa.float64()),
            *money,
            pa.field("baseline_gbp", pa.float64()),
            pa.field("saving_gbp", pa.float64()),
            pa.field("one_off_gbp", pa.float64()),
            pa.field("payback_years", pa.float64()),
            pa.field("option_names", pa.list_(pa.string())),
            pa.field("option_total_gbp", pa.list_(pa.float64())),
            pa.field("solve_s", pa.float64()),
            pa.field("worker", pa.string()),
        ]
    )


MANIFEST = "sweep.json"


#: The lock file a running sweep holds in its store (its pid and host, as JSON).
LOCK = "sweep.lock"


PARTS = "results"


def _open_store(out: Path, sweep: Sweep, *, restart: bool = False) -> None:
    """Create the store, or check that it holds this sweep of these inputs (``restart``: empty it).

    The store's identity is the sweep's digest (base TOML and scenarios), the content hash of
    every input file and the siteopt version: a resumed sweep never mixes results of other
    inputs; a mismatch is one error naming what changed.
    """
    manifest = out / MANIFEST
    payload = {
        "sweep": sweep.spec.name,
        "file": str(sweep.file),
        "digest": sweep.digest,
        "siteopt": _siteopt_version(),
        "inputs": dict(sweep.inputs),
        "scenarios": len(sweep.scenarios),
        "axes": list(sweep.axes),
    }
    if manifest.is_file() and restart:
        _empty_store(out)
    elif manifest.is_file():
        try:
            held = json.loads(manifest.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            held = {}
        changed = _changes(held if isinstance(held, dict) else {}, payload)
        if changed:
            msg = (
                f"{out}: the stored results are of other inputs ({changed}); rerun with "
                "--restart to discard them and start again, or pass a fresh --out folder"
            )
            raise SiteoptError(msg)
        return
    if out.exists() and any(p.name != LOCK for p in out.iterdir()):
        raise SiteoptError(f"{out}: expected an empty or new folder for the results store")
    text = json.dumps(payload, indent=2) + "\n"
    atomic_write_text(manifest, text)


def _siteopt_version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415 (lazy: rarely used)

    try:
        return version("siteopt")
    except PackageNotFoundError:
        return "unknown"


def _changes(held: dict[str, Any], now: dict[str, Any]) -> str:
    """What differs between a store's manifest and this sweep (empty when nothing does)."""
    if held.get("digest") != now["digest"]:
        if held.get("sweep") != now["sweep"]:
            return f"another sweep, {held.get('sweep', 'unknown')!r}"
        return "the sweep's scenarios or base instance changed"
    if held.get("siteopt") != now["siteopt"]:
        return f"made by siteopt {held.get('siteopt', 'before 0.1.0')}, this is {now['siteopt']}"
    before = held.get("inputs")
    if not isinstance(before, dict):
        return "made without input file hashes"
    after = now["inputs"]
    changed = [Path(f).name for f in after if f in before and before[f] != after[f]]
    added = [Path(f).name for f in after if f not in before]
    gone = [Path(f).name for f in before if f not in after]
    parts = [f"{', '.join(changed)} changed"] if changed else []
    parts += [f"now also reads {', '.join(added)}"] if added else []
    parts += [f"no longer reads {', '.join(gone)}"] if gone else []
    return "; ".join(parts)


def _empty_store(out: Path) -> None:
    """Remove a store's results, report and manifest (``--restart``); the lock stays."""
    import shutil  # noqa: PLC0415 (lazy: only a restart needs it)

    for entry in out.iterdir():
        if entry.name == LOCK:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


class StoreLock:
    """Hold the store's lock file while a sweep writes it; a second writer is refused.

    The lock file holds the writer's pid and host. A lock left by a process that died (its pid
    is not running on this host) is stale: it is taken over, and :attr:`took_over` says whose it
    was. A lock held by a running process, or by another host, is a one-line error.
    """

    def __init__(self, out: Path) -> None:
        self.path = out / LOCK
        self.took_over: str | None = None

    def __enter__(self) -> StoreLock:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            msg = f"{self.path.parent}: cannot create the results store ({exc})"
            raise SiteoptError(msg) from None
        mine = json.dumps({"pid": os.getpid(), "host": socket.gethostname()})
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                self._take_over_if_stale()
                continue
            except OSError as exc:
                raise SiteoptError(f"{self.path}: cannot create the lock file ({exc})") from None
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(mine + "\n")
            return self
        raise SiteoptError(f"{self.path}: another sweep keeps taking the lock; try again")

    def _take_over_if_stale(self) -> None:
        holder = _lock_holder(self.path)
        if holder is None:  # removed meanwhile: try again
            return
        pid, host = holder
        here = socket.gethostname()
        if host == here and not _running(pid):
            self.took_over = f"pid {pid} on {host}"
            self.path.unlink(missing_ok=True)
            return
        where = "this host" if host == here else f"host {host}"
        msg = (
            f"{self.path.parent}: another sweep (pid {pid} on {where}) is writing this store; "
            f"wait for it to finish, or delete {self.path} if that process is gone"
        )
        raise SiteoptError(msg)

    def __exit__(self, *exc: object) -> None:
        if _lock_holder(self.path) == (os.getpid(), socket.gethostname()):
            self.path.unlink(missing_ok=True)


def _lock_holder(path: Path) -> tuple[int, str] | None:
    """The (pid, host) a lock file names; ``None`` when it is gone; (-1, "") when unreadable."""
    try:
        held = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return (-1, socket.gethostname())  # half-written or damaged: its writer died
    if not isinstance(held, dict):
        return (-1, socket.gethostname())
    pid, host = held.get("pid"), held.get("host")
    if not isinstance(pid, int) or not isinstance(host, str):
        return (-1, socket.gethostname())
    return (pid, host)


def _running(pid: int) -> bool:
    """Whether a process with this pid runs on this host (a zombie counts as ended)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    try:
        state = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return True
    return state[0] != "Z"


def stored_ids(out: Path) -> set[str]:
    """Ids of the scenarios already in the store (finished batch files only)."""
    ids: set[str] = set()
    for part in sorted((out / PARTS).glob("batch-*.parquet")):
        ids.update(_read_part(part, columns=["scenario_id"]).column(0).to_pylist())
    return ids


def _read_part(part: Path, columns: list[str] | None = None) -> Any:
    """One batch file of the store as a pyarrow table; a damaged file is a one-line error."""
    import pyarrow as pa  # noqa: PLC0415 (lazy: pyarrow is slow to import)
    import pyarrow.parquet as pq  # noqa: PLC0415 (lazy: pyarrow is slow to import)

    try:
        return pq.read_table(part, columns=columns)
    except (pa.ArrowInvalid, OSError) as exc:
        msg = f"{part}: damaged results file ({exc}); delete it and rerun the sweep to redo it"
        raise SiteoptError(msg) from None


def _write_batch(out: Path, rows: list[dict[str, Any]], stored: set[str]) -> list[dict[str, Any]]:
    """Store the rows of scenarios not in ``stored`` (updated); return the rows written."""
    import pyarrow as pa  # noqa: PLC0415 (lazy: pyarrow is slow to import)
    import pyarrow.parquet as pq  # noqa: PLC0415 (lazy: pyarrow is slow to import)

    fresh: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row["scenario_id"] not in stored:
            fresh.setdefault(row["scenario_id"], row)
    rows = list(fresh.values())
    if not rows:
        return []
    table = pa.Table.from_pylist(rows, schema=result_schema())
    digest = hashlib.sha256(",".join(r["scenario_id"] for r in rows).encode()).hexdigest()[:20]
    path = out / PARTS / f"batch-{digest}.parquet"
    atomic_write(path, lambda p: pq.write_table(table, p))
    stored.update(fresh)
    return rows


def iter_rows(out: Path) -> Iterator[dict[str, Any]]:
    """Yield every stored scenario's row once (the first file's, in file-name order)."""
    seen: set[str] = set()
    for part in sorted((out / PARTS).glob("batch-*.parquet")):
        for row in _read_part(part).to_pylist():
            if row["scenario_id"] not in seen:
                seen.add(row["scenario_id"])
                yield row

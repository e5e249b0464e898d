"""The results store: one Parquet file per finished batch, written atomically."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from siteopt.atomic import atomic_write, atomic_write_text
from siteopt.errors import SiteoptError
from siteopt.sweep.batch import COST_KEYS

if TYPE_CHECKING:
    import pyarrow as pa

    from siteopt.sweep.spec import Sweep

__all__ = ["result_schema", "stored_ids"]


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


PARTS = "results"


def _open_store(out: Path, sweep: Sweep) -> None:
    """Create the store or check that it holds this sweep (same scenarios, same base)."""
    manifest = out / MANIFEST
    payload = {
        "sweep": sweep.spec.name,
        "file": str(sweep.file),
        "digest": sweep.digest,
        "scenarios": len(sweep.scenarios),
        "axes": list(sweep.axes),
    }
    if manifest.is_file():
        try:
            held = json.loads(manifest.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            held = {}
        if held.get("digest") != sweep.digest:
            msg = (
                f"{out} holds results of another sweep ({held.get('sweep', 'unknown')!r}) or of "
                "an earlier version of this file; pass a fresh --out folder"
            )
            raise SiteoptError(msg)
        return
    if out.exists() and any(out.iterdir()):
        raise SiteoptError(f"{out}: expected an empty or new folder for the results store")
    text = json.dumps(payload, indent=2) + "\n"
    atomic_write_text(manifest, text)


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


def _write_batch(out: Path, rows: list[dict[str, Any]]) -> None:
    import pyarrow as pa  # noqa: PLC0415 (lazy: pyarrow is slow to import)
    import pyarrow.parquet as pq  # noqa: PLC0415 (lazy: pyarrow is slow to import)

    table = pa.Table.from_pylist(rows, schema=result_schema())
    digest = hashlib.sha256(",".join(r["scenario_id"] for r in rows).encode()).hexdigest()[:20]
    path = out / PARTS / f"batch-{digest}.parquet"
    atomic_write(path, lambda p: pq.write_table(table, p))


def iter_rows(out: Path) -> Iterator[dict[str, Any]]:
    """Yield every stored row (any order)."""
    for part in sorted((out / PARTS).glob("batch-*.parquet")):
        yield from _read_part(part).to_pylist()

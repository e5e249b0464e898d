"""Congestion at the hours staff drive to and from a shift: drive-time multipliers per road class.

An instance gives them as labelled figures per road class (``[network.congestion] factors``) or
measured, hour by hour, in a CSV file (``file`` with ``file_source``): columns ``road_class``,
``hour`` (0-23) and ``factor`` (drive time over free-flow drive time, at least 1). The factor a
staff commute uses for a class is the mean of that class's factors at the commute ``hours``.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

from siteopt.errors import InstanceError
from siteopt.roadclasses import ROAD_CLASSES

__all__ = ["MAX_CONGESTION", "load_congestion_csv"]

#: The largest drive-time multiplier accepted (a trip five times its free-flow time).
MAX_CONGESTION = 5.0


def load_congestion_csv(path: Path | str) -> dict[tuple[str, int], float]:
    """Read a congestion CSV: ``{(road class, hour): factor}``; any defect is one InstanceError.

    Raises
    ------
    InstanceError
        Naming the file and line: a missing column, an unknown road class, an hour outside
        0-23, a factor below 1 or above :data:`MAX_CONGESTION`, or a class and hour twice.
    """
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InstanceError(path, "", f"cannot read the congestion file ({exc})") from None
    if not rows or not {"road_class", "hour", "factor"} <= set(rows[0]):
        msg = "expected columns road_class, hour, factor and at least one row"
        raise InstanceError(path, "", msg)
    factors: dict[tuple[str, int], float] = {}
    for line, row in enumerate(rows, start=2):
        factors_key = _row_key(path, line, row)
        if factors_key in factors:
            msg = f"{factors_key[0]} at hour {factors_key[1]} given twice"
            raise InstanceError(path, f"line {line}", msg)
        factors[factors_key] = _row_factor(path, line, row)
    return factors


def _row_key(path: Path, line: int, row: dict[str, str | None]) -> tuple[str, int]:
    road_class = (row.get("road_class") or "").strip()
    if road_class not in ROAD_CLASSES:
        msg = f"expected one of {', '.join(ROAD_CLASSES)}, got {road_class!r}"
        raise InstanceError(path, f"line {line}, road_class", msg)
    hour_text = (row.get("hour") or "").strip()
    if not hour_text.isdigit() or not 0 <= int(hour_text) <= 23:
        raise InstanceError(path, f"line {line}, hour", f"expected 0 to 23, got {hour_text!r}")
    return road_class, int(hour_text)


def _row_factor(path: Path, line: int, row: dict[str, str | None]) -> float:
    text = (row.get("factor") or "").strip()
    try:
        factor = float(text)
    except ValueError:
        factor = math.nan
    if not 1.0 <= factor <= MAX_CONGESTION:
        msg = f"expected a drive-time multiplier from 1 to {MAX_CONGESTION:g}, got {text!r}"
        raise InstanceError(path, f"line {line}, factor", msg)
    return factor

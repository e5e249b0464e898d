"""The hour-of-week shape of demand: the default or a measured CSV.

The hour-of-week shape of demand: the default profile (an assumption with a
published shape) or a measured CSV named by the instance, read and checked when
the instance is validated.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

from siteopt.errors import InstanceError

__all__ = ["WeekProfile", "default_profile", "load_profile_csv"]


HOURS_PER_WEEK = 168
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

#: Relative calls by hour of an ordinary day (00:00 … 23:00): a night trough, a daytime plateau
#: and the evening peak 18:00–22:00. An assumption shaped on BCH-FACTS §5 (a UK force's 15 months
#: of deployments: "daily peak 18:00–22:00"), not a measured BCH profile.
DEFAULT_DAY_SHAPE = (
    0.75, 0.60, 0.50, 0.42, 0.36, 0.35, 0.42, 0.60, 0.80, 0.95, 1.00, 1.05,
    1.05, 1.05, 1.05, 1.10, 1.15, 1.20, 1.30, 1.35, 1.35, 1.30, 1.15, 0.95,
)  # fmt: skip
#: 00:00–04:00 on Saturday and Sunday mornings has about twice the calls of other days, and the
#: Friday/Saturday evening peak runs on to midnight (same source, an assumption in detail).
WEEKEND_NIGHT_FACTOR = 2.0
FRIDAY_SATURDAY_LATE_FACTOR = 1.2

#: Shares of a measured profile must sum to 1 within this.
PROFILE_TOLERANCE = 1e-6

DEFAULT_PROFILE_NOTE = (
    "assumption: default hour-of-week shape (evening peak 18:00-22:00; Friday and Saturday nights "
    "busy into the early hours, 00:00-04:00 on Saturday and Sunday mornings about twice other "
    "days), after a UK force's published deployment profile (BCH-FACTS §5); no measured BCH "
    "profile was found"
)


@dataclass(frozen=True)
class WeekProfile:
    """Share of a week's calls in each interval, Monday 00:00 first (shares sum to 1)."""

    shares: tuple[float, ...]
    interval_minutes: int
    provenance: str

    @property
    def intervals(self) -> int:
        """Number of intervals in the week (168 hourly or 336 half-hourly)."""
        return len(self.shares)

    def labels(self) -> list[str]:
        """Return a label per interval, e.g. ``"Fri 18:30"``."""
        per_day = self.intervals // 7
        step = 24 * 60 // per_day
        minutes = [(i % per_day) * step for i in range(self.intervals)]
        return [
            f"{DAY_NAMES[i // per_day]} {m // 60:02d}:{m % 60:02d}" for i, m in enumerate(minutes)
        ]


def default_profile(interval_minutes: int = 60) -> WeekProfile:
    """Return the default hour-of-week profile (an assumption; see :data:`DEFAULT_PROFILE_NOTE`)."""
    weights = []
    for day in range(7):
        for hour, base in enumerate(DEFAULT_DAY_SHAPE):
            factor = 1.0
            if day in (5, 6) and hour < 4:  # Saturday and Sunday mornings
                factor = WEEKEND_NIGHT_FACTOR
            elif day in (4, 5) and hour >= 22:  # Friday and Saturday late evening
                factor = FRIDAY_SATURDAY_LATE_FACTOR
            weights.append(base * factor)
    hourly = _normalised(weights)
    return WeekProfile(_resampled(hourly, interval_minutes), interval_minutes, DEFAULT_PROFILE_NOTE)


def load_profile_csv(path: Path | str, interval_minutes: int = 60) -> WeekProfile:
    """Read a measured profile: a CSV whose ``share`` column has 168 or 336 rows from Mon 00:00.

    Shares must be non-negative and sum to 1 (± 1e-6). A half-hourly file serves hourly intervals
    (pairs are added) and an hourly file serves half-hourly ones (each hour is split evenly).
    """
    file = Path(path)
    try:
        # utf-8-sig: a byte-order mark (Excel's "CSV UTF-8") is not part of the first header
        with file.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except UnicodeDecodeError as exc:
        msg = f"cannot read profile CSV: expected UTF-8 text, byte {exc.start} is not"
        raise InstanceError(file, "", msg) from None
    except (OSError, csv.Error) as exc:  # csv.Error: a cell over 131,072 characters, a NUL
        raise InstanceError(file, "", f"cannot read profile CSV: {exc}") from None
    if not rows or "share" not in rows[0]:
        raise InstanceError(file, "share", "expected a CSV with a header row and a 'share' column")
    if len(rows) not in (HOURS_PER_WEEK, 2 * HOURS_PER_WEEK):
        msg = f"expected 168 hourly or 336 half-hourly rows, got {len(rows)}"
        raise InstanceError(file, "share", msg)
    shares = []
    for line, row in enumerate(rows, start=2):
        try:
            value = float(row["share"])
        except (TypeError, ValueError):
            shown = repr(row["share"])
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            msg = f"line {line}: expected a number, got {shown}"
            raise InstanceError(file, "share", msg) from None
        if not math.isfinite(value) or value < 0:
            raise InstanceError(file, "share", f"line {line}: expected a share >= 0, got {value}")
        shares.append(value)
    total = math.fsum(shares)
    if abs(total - 1) > PROFILE_TOLERANCE:
        msg = f"expected shares summing to 1 (± {PROFILE_TOLERANCE:g}), got {total:.9f}"
        raise InstanceError(file, "share", msg)
    hourly_or_half = tuple(shares)
    native_minutes = 60 if len(shares) == HOURS_PER_WEEK else 30
    hourly = (
        hourly_or_half
        if native_minutes == 60
        else tuple(a + b for a, b in zip(shares[::2], shares[1::2], strict=True))
    )
    resampled = (
        hourly_or_half
        if native_minutes == interval_minutes
        else _resampled(hourly, interval_minutes)
    )
    return WeekProfile(resampled, interval_minutes, f"source: measured profile {file}")


def _normalised(weights: list[float]) -> tuple[float, ...]:
    total = math.fsum(weights)
    return tuple(w / total for w in weights)


def _resampled(hourly: tuple[float, ...], interval_minutes: int) -> tuple[float, ...]:
    if interval_minutes == 60:
        return hourly
    return tuple(share / 2 for share in hourly for _ in range(2))

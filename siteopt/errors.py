"""Exceptions and warnings raised by siteopt.

Every error a user can cause by bad input derives from :class:`SiteoptError` and carries a message
that names the file, the dotted field path and what was expected. The CLI prints that one line and
exits with code 2; no traceback is shown.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "DataError",
    "InstanceError",
    "NetworkError",
    "SiteoptError",
    "StaffingError",
]


class SiteoptError(Exception):
    """Base class of every error siteopt raises for bad input or an unusable data file."""


class InstanceError(SiteoptError, ValueError):
    """An instance file is malformed: the message names the file, the field path and the fix.

    Parameters
    ----------
    file
        The instance file (or data file) at fault.
    path
        Dotted field path inside the file, e.g. ``demand.volumes.bedfordshire.emergency.value``;
        empty when the fault is the file itself.
    message
        What was expected (and what was found).

    """

    def __init__(self, file: Path | str, path: str, message: str) -> None:
        self.file = str(file)
        self.path = path
        self.message = message
        where = f"{self.file}: {path}" if path else self.file
        super().__init__(f"{where}: {message}")


class DataError(SiteoptError, ValueError):
    """An embedded or user-supplied data file is missing or does not have the expected content."""


class NetworkError(SiteoptError, ValueError):
    """A road-network file is unusable, a point cannot be snapped, or a site is unreachable."""


class StaffingError(SiteoptError, ValueError):
    """Staffing inputs are invalid or a service target cannot be met by any finite staffing."""

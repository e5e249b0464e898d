"""Exceptions and warnings raised by siteopt.

Every error a user can cause by bad input derives from :class:`SiteoptError` and carries a message
that names the file, the dotted field path and what was expected. The CLI prints that one line and
exits with code 2; no traceback is shown.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "ArgumentError",
    "CacheWarning",
    "ContractError",
    "DataError",
    "InstanceError",
    "NetworkError",
    "SiteoptError",
    "SolverError",
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


class ArgumentError(SiteoptError, ValueError):
    """An argument of a library function is invalid: ``field`` names the parameter.

    The message speaks of the parameter (``formats``, ``time_limit``); the command line turns
    the parameter into its flag (``--format``, ``--time-limit``).

    Parameters
    ----------
    field
        The parameter at fault, as the Python function names it.
    message
        What was expected (and what was found).

    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class ContractError(SiteoptError, ValueError):
    """A document does not follow the JSON output contract (``solution.json``).

    Parameters
    ----------
    path
        Dotted field path inside the document, e.g. ``sites.0.fte``; empty for the whole
        document.
    message
        What was expected (and what was found).
    file
        The file the document was read from, when known.

    """

    def __init__(self, path: str, message: str, *, file: Path | str | None = None) -> None:
        self.path = path
        self.message = message
        self.file = str(file) if file is not None else None
        where = ": ".join(p for p in (self.file, path) if p)
        super().__init__(f"{where}: {message}" if where else message)


class SolverError(SiteoptError, RuntimeError):
    """A solver refused the model it was given (CP-SAT's ``MODEL_INVALID``): a bug, not a status.

    The message names what the solver found invalid.
    """


class CacheWarning(UserWarning):
    """A cache could not be written (a full disk, a read-only cache folder); the run goes on."""

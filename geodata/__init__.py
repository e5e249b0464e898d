"""Embedded datasets for siteopt, derived from public sources by ``python -m geodata.build``.

The raw inputs live outside the repository (``../shared/geodata/``); only the compact files this
package's build writes are committed, under ``geodata/bch/``. ``siteopt.data`` reads them.
"""

from pathlib import Path

__all__ = ["BCH_DIR", "BuildError", "default_shared"]

#: Folder holding the embedded BCH dataset (read-only at run time).
BCH_DIR = Path(__file__).resolve().parent / "bch"


class BuildError(RuntimeError):
    """An input does not have the shape or content the build expects."""


def default_shared() -> Path:
    """Return ``../shared/geodata`` beside the repository."""
    return Path(__file__).resolve().parents[2] / "shared" / "geodata"

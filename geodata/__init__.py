"""Embedded datasets for siteopt, derived from public sources by ``python -m geodata.build``.

The raw inputs live outside the repository (``../shared/geodata/``); only the compact files this
package's build writes are committed, under ``geodata/bch/``. ``siteopt.data`` reads them.
"""

from pathlib import Path

__all__ = ["BCH_DIR"]

#: Folder holding the embedded BCH dataset (read-only at run time).
BCH_DIR = Path(__file__).resolve().parent / "bch"

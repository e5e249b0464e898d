"""Atomic file writes: a temporary file beside the target, then one rename.

A reader never sees a half-written file, and a write that fails leaves nothing behind. The
written file gets the permissions a plain ``open(path, "w")`` would (``0o666`` less the umask),
not the owner-only mode of a temporary file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from siteopt.errors import SiteoptError

__all__ = ["atomic_write", "atomic_write_text"]


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Write ``path`` through ``write(temporary_path)``, then rename it into place."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise SiteoptError(f"{path.parent}: expected a folder to write {path.name} into") from None
    except OSError as exc:
        raise SiteoptError(f"{path.parent}: cannot create the folder ({exc.strerror})") from None
    if path.is_dir():
        raise SiteoptError(f"{path}: expected a file name, found a folder")
    # The temporary keeps the target's extension: some writers (GDAL, matplotlib) read it.
    try:
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=path.suffix)
    except OSError as exc:
        raise SiteoptError(f"{path}: cannot write the file ({exc.strerror or exc})") from None
    os.close(fd)
    temporary = Path(name)
    try:
        write(temporary)
        temporary.chmod(_default_mode())
        temporary.replace(path)
    except OSError as exc:  # a full disk, a folder made read-only meanwhile: nothing is left
        temporary.unlink(missing_ok=True)
        raise SiteoptError(f"{path}: cannot write the file ({exc.strerror or exc})") from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write UTF-8 text to ``path`` atomically."""
    atomic_write(path, lambda temporary: temporary.write_text(text, encoding="utf-8"))

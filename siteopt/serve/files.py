"""Which instance files the browser may list and open: only those under the instances folder.

A path from the browser is relative to the folder; an absolute path, a ``..`` part, or a path
that resolves (symbolic links followed) outside the folder is refused before any file is read.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from siteopt.errors import ArgumentError

__all__ = ["InstanceEntry", "InstanceFiles"]


@dataclass(frozen=True)
class InstanceEntry:
    """One instance file as the picker lists it: its path under the folder and its name."""

    path: str
    name: str


@dataclass(frozen=True)
class InstanceFiles:
    """The instances folder the server may read from and write variants into."""

    root: Path

    @classmethod
    def at(cls, folder: Path | str) -> InstanceFiles:
        """Return the folder, resolved; raise :class:`ArgumentError` when it is not a folder."""
        root = Path(folder)
        if not root.is_dir():
            raise ArgumentError("instances", f"{root}: expected a folder of instance files")
        return cls(root.resolve())

    def resolve(self, relative: str) -> Path:
        """Return the file a browser path names, refusing anything outside the folder.

        Raises
        ------
        ArgumentError
            If the path is empty, absolute, has a ``..`` part, resolves outside the folder
            (a symbolic link out included) or is not a ``.toml`` file there.
        """
        outside = f"{relative!r}: expected a path inside the instances folder"
        text = relative.strip().replace("\\", "/")
        pure = PurePosixPath(text)
        if not text or pure.is_absolute() or ".." in pure.parts or ":" in text or "\x00" in text:
            raise ArgumentError("instance", outside)
        try:
            file = (self.root / pure).resolve()
            inside = file.is_relative_to(self.root)
            found = inside and file.suffix == ".toml" and file.is_file()
        except (OSError, ValueError):  # a name the file system cannot hold
            raise ArgumentError("instance", outside) from None
        if not inside:
            raise ArgumentError("instance", outside)
        if not found:
            raise ArgumentError("instance", f"{relative!r}: no such instance file in the folder")
        return file

    def relative(self, file: Path) -> str:
        """Return a file's path under the folder as the browser sees it (``/``-separated)."""
        return file.resolve().relative_to(self.root).as_posix()

    def entries(self) -> list[InstanceEntry]:
        """Return the instance files under the folder, sorted by path (sweep specs left out)."""
        found = []
        for file in sorted(self.root.rglob("*.toml")):
            try:
                relative = self.relative(file)
            except ValueError:  # a link out of the folder is not listed
                continue
            name = _instance_name(file)
            if name is not None:
                found.append(InstanceEntry(relative, name))
        return found


def _instance_name(file: Path) -> str | None:
    """The file's ``name``; ``None`` for a sweep spec (``base = …``); the path if unreadable."""
    try:
        with file.open("rb") as handle:
            table = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return file.name  # listed: opening it shows the loader's one-line error
    if "base" in table:
        return None
    name = table.get("name")
    return name if isinstance(name, str) else file.name

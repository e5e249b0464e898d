"""Instance files opened by the server: read and merged once, re-read when a file changes."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from siteopt.serve.editor import FigureGroup, WhatIf, figure_groups, validate_what_if

if TYPE_CHECKING:
    from siteopt.instance.loading import InstanceTemplate
    from siteopt.instance.schema import Instance
    from siteopt.serve.editor import FieldError
    from siteopt.serve.files import InstanceFiles

__all__ = ["InstanceCache", "OpenedInstance"]


@dataclass(frozen=True)
class OpenedInstance:
    """One instance file as the page edits it.

    Attributes
    ----------
    relative
        Its path under the instances folder.
    template
        The merged file (``extends`` applied), to validate what-ifs on.
    instance
        The file as it is, validated.
    groups
        Its editable figures, grouped by table.
    sites
        Every site the page can switch, ``(id, name)``, the file's own exclusions included.
    base_excluded
        The sites the file itself excludes.
    stamps
        Modification times of the file and what it extends (a change re-reads it).
    """

    relative: str
    template: InstanceTemplate
    instance: Instance
    groups: list[FigureGroup]
    sites: tuple[tuple[str, str], ...]
    base_excluded: tuple[str, ...]
    stamps: tuple[tuple[Path, int], ...]
    lock: threading.Lock = field(default_factory=threading.Lock, compare=False)

    @property
    def site_ids(self) -> list[str]:
        """The switchable sites' ids."""
        return [sid for sid, _ in self.sites]

    def validate(
        self, change: WhatIf, *, labelled: bool = False, source: Path | None = None
    ) -> tuple[Instance | None, list[FieldError]]:
        """Validate a what-if on this file (one at a time: the template caches grids)."""
        with self.lock:
            return validate_what_if(self.template, change, labelled=labelled, source=source)


class InstanceCache:
    """The files opened so far, by path; safe to use from several request threads."""

    def __init__(self, files: InstanceFiles) -> None:
        self.files = files
        self._opened: dict[Path, OpenedInstance] = {}
        self._lock = threading.Lock()

    def open(self, relative: str) -> OpenedInstance:
        """Return the instance a browser path names (refused outside the folder).

        Raises
        ------
        ArgumentError
            If the path is outside the instances folder or names no instance file.
        InstanceError
            If the file does not validate (the loader's one-line message).
        """
        file = self.files.resolve(relative)
        with self._lock:
            cached = self._opened.get(file)
            if cached is not None and _stamps(p for p, _ in cached.stamps) == cached.stamps:
                return cached
            opened = _read(file, self.files.relative(file))
            self._opened[file] = opened
            return opened


def _stamps(files: Any) -> tuple[tuple[Path, int], ...]:
    return tuple((p, p.stat().st_mtime_ns if p.exists() else -1) for p in files)


def _as_given(file: Path) -> Path:
    """The file relative to the working folder when inside it, so errors read as the CLI's."""
    try:
        return file.relative_to(Path.cwd().resolve())
    except ValueError:
        return file


def _read(file: Path, relative: str) -> OpenedInstance:
    from siteopt.instance.loading import InstanceTemplate  # noqa: PLC0415 (lazy: pydantic models)

    template = InstanceTemplate.read(_as_given(file))
    instance = template.variant({})
    every = template.variant({"sites.exclude": []}) if instance.sites.exclude else instance
    sites = tuple((sid, every.site_name(sid)) for sid in every.candidate_ids())
    return OpenedInstance(
        relative=relative,
        template=template,
        instance=instance,
        groups=figure_groups(template.merged()),
        sites=sites,
        base_excluded=tuple(s for s in every.candidate_ids() if s in set(instance.sites.exclude)),
        stamps=_stamps(Path(p).resolve() for p in instance.chain),
    )

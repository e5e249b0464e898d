"""Writing the chosen output formats into a folder atomically.

Writing the chosen output formats into a folder atomically: everything is written
into a temporary folder beside the destination and moved into place only when every
format succeeded; a failure leaves the destination as it was.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from siteopt.errors import ArgumentError, DataError
from siteopt.outputs.data import ExportData, export_data
from siteopt.outputs.documents import report_html, report_markdown, write_report_pdf
from siteopt.outputs.gis import gis_layers, write_geojson, write_gpkg
from siteopt.outputs.maps import render_maps
from siteopt.outputs.report import business_report
from siteopt.outputs.webmap import webmap_html
from siteopt.outputs.workbook import write_workbook

if TYPE_CHECKING:
    from siteopt.optimise.result import Result

__all__ = ["FORMATS", "OUTPUT_NAMES", "check_out_folder", "parse_formats", "write_outputs"]


#: Every output format, in the order they are written.
FORMATS: tuple[str, ...] = (
    "json",
    "md",
    "html",
    "pdf",
    "maps",
    "gpkg",
    "geojson",
    "xlsx",
    "webmap",
    "resilience",
)


#: What each format writes into the output folder (a file, or a folder of files).
OUTPUT_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "json": "solution.json",
        "md": "report.md",
        "html": "report.html",
        "pdf": "report.pdf",
        "maps": "maps",
        "gpkg": "layers.gpkg",
        "geojson": "geojson",
        "xlsx": "siteopt.xlsx",
        "webmap": "map.html",
        "resilience": "resilience.json",
    }
)


def parse_formats(formats: str | Iterable[str] | None) -> tuple[str, ...]:
    """Return the formats named, in the writing order.

    Parameters
    ----------
    formats
        Format names, or one comma list of them; ``None`` or ``"all"``: every format.

    Raises
    ------
    ArgumentError
        Naming ``formats`` and the formats there are, when a name is unknown or none is given.
    """
    if formats is None or (isinstance(formats, str) and formats.strip() in {"", "all"}):
        return FORMATS
    raw = formats.split(",") if isinstance(formats, str) else list(formats)
    names = [n.strip().lower() for n in raw if n.strip()]
    unknown = [n for n in names if n not in FORMATS]
    if unknown or not names:
        shown = formats if isinstance(formats, str) else ",".join(raw)
        msg = f"expected a comma list of {', '.join(FORMATS)} (or 'all'), got {shown!r}"
        raise ArgumentError("formats", msg)
    return tuple(f for f in FORMATS if f in names)


def check_out_folder(out: Path) -> None:
    """The output folder is a folder (or can be made one) we may write; raise if not.

    Checked before a solve, so that a read-only place or a dangling link fails in a second, not
    after the whole run: a trial folder is made (and removed) where the outputs would be staged,
    and inside ``out`` when it exists.

    Raises
    ------
    ArgumentError
        One line naming ``out`` and what is wrong with it.
    """
    if out.is_symlink() and not out.exists():
        raise ArgumentError("out", f"{out}: a symbolic link to a missing target")
    if out.exists() and not out.is_dir():
        raise ArgumentError("out", f"{out}: expected a folder, found a file")
    nearest = next((p for p in out.parents if p.exists()), Path.cwd())
    if not nearest.is_dir():
        raise ArgumentError("out", f"{out}: {nearest} is a file, not a folder")
    for place in (out, nearest) if out.exists() else (nearest,):
        try:
            Path(tempfile.mkdtemp(dir=place, prefix=".siteopt-check-")).rmdir()
        except OSError as exc:
            raise ArgumentError(
                "out", f"{out}: cannot write into {place} ({_reason(exc)})"
            ) from None


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def _staging_prefix(out: Path, pid: int) -> str:
    """Prefix of the hidden staging folder beside ``out`` (the pid tells a live run's apart)."""
    return f".{out.name}-siteopt{pid}-"


def _remove_stale_staging(out: Path) -> None:
    """Remove staging folders beside ``out`` left by runs that were killed (their pid is gone)."""
    for folder in out.parent.glob(f".{glob.escape(out.name)}-siteopt*-*"):
        pid = folder.name[len(f".{out.name}-siteopt") :].split("-", 1)[0]
        if folder.is_dir() and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def write_outputs(
    result: Result | ExportData,
    out: Path | str,
    *,
    formats: str | Iterable[str] | None = None,
) -> dict[str, list[Path]]:
    """Write a result's business-case outputs into a folder, atomically.

    Parameters
    ----------
    result
        The result (with its instance: solved, or read by
        :func:`~siteopt.optimise.result.read_result`), or its gathered
        :class:`~siteopt.outputs.data.ExportData`.
    out
        The folder to write into (made if missing; files of the same name are replaced).
    formats
        Formats to write (:data:`FORMATS`; a comma list is accepted); default: every format.

    Returns
    -------
    dict of str to list of Path
        The files written, per format (a folder's files one by one), in the writing order.

    Notes
    -----
    Everything goes into a temporary folder beside ``out`` first. When every format has been
    written, a new ``out`` is that folder renamed (one step: all or nothing); into an existing
    ``out`` the files are moved one by one, each replacing the older one of the same name.
    """
    chosen = parse_formats(formats)
    out = Path(out)
    check_out_folder(out)
    data = result if isinstance(result, ExportData) else export_data(result)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_staging(out)
        staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=_staging_prefix(out, os.getpid())))
    except OSError as exc:
        raise ArgumentError("out", f"{out}: cannot write there ({_reason(exc)})") from None
    try:
        try:
            _write_all(data, staging, chosen, out)
        except OSError as exc:  # a full disk, a folder made read-only meanwhile
            msg = f"{out}: writing the outputs failed ({_reason(exc)}); nothing was written"
            raise ArgumentError("out", msg) from None
        if not out.exists():
            umask = os.umask(0)
            os.umask(umask)
            staging.chmod(0o777 & ~umask)  # mkdtemp makes it owner-only
            staging.rename(out)
        else:
            for item in sorted(staging.iterdir()):
                target = out / item.name
                if target.is_dir() and item.is_dir():
                    shutil.rmtree(target)
                item.replace(target)
        return _written(out, chosen)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _written(out: Path, formats: tuple[str, ...]) -> dict[str, list[Path]]:
    """The files each format wrote into ``out`` (a folder's files one by one)."""
    written: dict[str, list[Path]] = {}
    for fmt in formats:
        path = out / OUTPUT_NAMES[fmt]
        if path.is_dir():
            written[fmt] = sorted(p for p in path.rglob("*") if p.is_file())
        elif path.is_file():
            written[fmt] = [path]
    return written


def _write_all(data: ExportData, folder: Path, formats: tuple[str, ...], out: Path) -> None:
    """Write ``formats`` into ``folder`` (``out``: where it will end up, for relative paths)."""
    if "json" in formats:
        document = data.result.to_dict(relative_to=out)
        (folder / OUTPUT_NAMES["json"]).write_text(
            json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    figures: dict[str, bytes] = {}
    if {"maps", "html", "pdf"} & set(formats):
        figures = render_maps(
            data,
            folder / OUTPUT_NAMES["maps"] if "maps" in formats else None,
            embed=bool({"html", "pdf"} & set(formats)),
        )
    report = business_report(data) if {"md", "html", "pdf"} & set(formats) else None
    if report is not None and "md" in formats:
        (folder / OUTPUT_NAMES["md"]).write_text(report_markdown(report), encoding="utf-8")
    if report is not None and "html" in formats:
        html = report_html(report, figures)
        (folder / OUTPUT_NAMES["html"]).write_text(html, encoding="utf-8")
    if report is not None and "pdf" in formats:
        write_report_pdf(report, figures, folder / OUTPUT_NAMES["pdf"])
    if {"gpkg", "geojson", "webmap"} & set(formats):
        layers = gis_layers(data)
        if "gpkg" in formats:
            write_gpkg(layers, folder / OUTPUT_NAMES["gpkg"])
        if "geojson" in formats:
            write_geojson(layers, folder / OUTPUT_NAMES["geojson"])
        if "webmap" in formats:
            page = webmap_html(data, layers)
            (folder / OUTPUT_NAMES["webmap"]).write_text(page, encoding="utf-8")
    if "xlsx" in formats:
        write_workbook(data, folder / OUTPUT_NAMES["xlsx"])
    if "resilience" in formats:
        from siteopt.outputs.resilience import export_resilience  # noqa: PLC0415 (lazy: scipy)

        document = {"status": str(data.result.status), "resilience": export_resilience(data)}
        (folder / OUTPUT_NAMES["resilience"]).write_text(
            json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    if not any(folder.iterdir()):  # pragma: no cover - parse_formats refuses an empty list
        raise DataError("no output format chosen")

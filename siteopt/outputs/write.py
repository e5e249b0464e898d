"""Writing the chosen output formats into a folder atomically.

Writing the chosen output formats into a folder atomically: everything is written
into a temporary folder beside the destination and moved into place only when every
format succeeded; a failure leaves the destination as it was.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from siteopt.errors import DataError, InstanceError, SiteoptError
from siteopt.outputs.documents import report_html, report_markdown, write_report_pdf
from siteopt.outputs.gis import gis_layers, write_geojson, write_gpkg
from siteopt.outputs.maps import render_maps
from siteopt.outputs.report import business_report
from siteopt.outputs.webmap import webmap_html
from siteopt.outputs.workbook import write_workbook

if TYPE_CHECKING:
    from siteopt.outputs.data import ExportData

__all__ = ["FORMATS", "parse_formats", "write_outputs"]


#: Every output format, in the order they are written (``--format`` takes a comma list).
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
)


def parse_formats(raw: str | None) -> tuple[str, ...]:
    """Return the formats named in a comma list (``None`` or ``"all"``: every format)."""
    if raw is None or raw.strip() in {"", "all"}:
        return FORMATS
    names = [n.strip().lower() for n in raw.split(",") if n.strip()]
    unknown = [n for n in names if n not in FORMATS]
    if unknown or not names:
        msg = f"expected a comma list of {', '.join(FORMATS)} (or 'all'), got {raw!r}"
        raise InstanceError("<command line>", "--format", msg)
    return tuple(f for f in FORMATS if f in names)


def check_out_folder(out: Path) -> None:
    """The output folder is a folder (or can be made one); raise a one-line error otherwise."""
    if out.exists() and not out.is_dir():
        raise SiteoptError(f"--out {out}: expected a folder, found a file")
    for parent in out.parents:
        if parent.exists():
            if not parent.is_dir():
                raise SiteoptError(f"--out {out}: {parent} is a file, not a folder")
            break


def write_outputs(
    data: ExportData, out: Path, formats: tuple[str, ...] | None = None
) -> list[Path]:
    """Write the chosen formats into ``out`` atomically; return the paths written.

    Everything goes into a temporary folder beside ``out`` first. When every format has been
    written, a new ``out`` is that folder renamed (one step: all or nothing); into an existing
    ``out`` the files are moved one by one, each replacing the older one of the same name.
    """
    chosen = formats or FORMATS
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}-"))
    try:
        _write_all(data, staging, chosen)
        if not out.exists():
            umask = os.umask(0)
            os.umask(umask)
            staging.chmod(0o777 & ~umask)  # mkdtemp makes it owner-only
            staging.rename(out)
            return sorted(out / item.name for item in out.iterdir())
        written = []
        for item in sorted(staging.iterdir()):
            target = out / item.name
            if target.is_dir() and item.is_dir():
                shutil.rmtree(target)
            item.replace(target)
            written.append(target)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _write_all(data: ExportData, folder: Path, formats: tuple[str, ...]) -> None:

    if "json" in formats:
        (folder / "solution.json").write_text(
            json.dumps(data.solution, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    figures: dict[str, bytes] = {}
    if {"maps", "html", "pdf"} & set(formats):
        figures = render_maps(
            data,
            folder / "maps" if "maps" in formats else None,
            embed=bool({"html", "pdf"} & set(formats)),
        )
    document = business_report(data)
    if "md" in formats:
        (folder / "report.md").write_text(report_markdown(document), encoding="utf-8")
    if "html" in formats:
        (folder / "report.html").write_text(report_html(document, figures), encoding="utf-8")
    if "pdf" in formats:
        write_report_pdf(document, figures, folder / "report.pdf")
    if {"gpkg", "geojson", "webmap"} & set(formats):
        layers = gis_layers(data)
        if "gpkg" in formats:
            write_gpkg(layers, folder / "layers.gpkg")
        if "geojson" in formats:
            write_geojson(layers, folder / "geojson")
        if "webmap" in formats:
            (folder / "map.html").write_text(webmap_html(data, layers), encoding="utf-8")
    if "xlsx" in formats:
        write_workbook(data, folder / "siteopt.xlsx")
    if not any(folder.iterdir()):  # pragma: no cover - parse_formats refuses an empty list
        raise DataError("no output format chosen")

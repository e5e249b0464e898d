"""The business-case report rendered as Markdown, self-contained HTML and PDF."""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping
from html import escape
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape as xml_escape

if TYPE_CHECKING:
    from siteopt.outputs.report import BusinessReport, ReportTable

__all__ = ["report_html", "report_markdown", "write_report_pdf"]


#: Captions of the maps a report may show.
FIGURE_CAPTIONS: Mapping[str, str] = MappingProxyType(
    {
        "overview": "Chosen and candidate sites, force boundaries, roads and drive-time bands.",
        "today_vs_proposal": "Drive time to the control room: today's rooms and the proposal.",
        "commute": "Modelled change in staff commute (minutes one way) by home LSOA.",
        "cost_surface": "Total cost a year of a single room at each candidate site.",
    }
)


def _md_text(text: str) -> str:
    """Text for Markdown: a name's ``<script>`` shows as text, not raw HTML a viewer runs."""
    return text.replace("<", "&lt;").replace(">", "&gt;")


def _md_escape(text: str) -> str:
    """A table cell's text with its pipes and angle brackets escaped."""
    return _md_text(text).replace("|", "\\|")


def _markdown_table(table: ReportTable) -> list[str]:
    cells = table.formatted()
    lines = [
        f"**{_md_text(table.title)}**",
        "",
        "| " + " | ".join(_md_escape(c) for c in table.columns) + " |",
        "|" + "|".join("---" if k in {"text", "bool"} else "---:" for k in table.kinds) + "|",
    ]
    lines += ["| " + " | ".join(_md_escape(c) for c in row) + " |" for row in cells]
    return [*lines, ""]


def report_markdown(report: BusinessReport) -> str:
    """Return the business case as Markdown (maps referenced as files under ``maps/``)."""
    lines = [f"# {_md_text(report.title)}", "", f"_{_md_text(report.subtitle)}_", ""]
    for section in report.sections:
        lines += [f"## {_md_text(section.title)}", ""]
        for paragraph in section.paragraphs:
            lines += [_md_text(paragraph), ""]
        for table in section.tables:
            lines += _markdown_table(table)
        for key in section.figures:
            lines += [f"![{FIGURE_CAPTIONS[key]}](maps/{key}.png)", ""]
    return "\n".join(lines)


_HTML_CSS = """
body{font-family:"DejaVu Sans",Arial,sans-serif;max-width:1100px;margin:2em auto;color:#1a1a1a;
line-height:1.4;padding:0 1em}
h1{color:#1f4e79;border-bottom:3px solid #1f4e79}h2{color:#1f4e79;margin-top:1.8em}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.88em}
caption{text-align:left;font-weight:bold;padding:.3em 0}
th{background:#1f4e79;color:#fff;text-align:left;padding:.3em .6em}
td{border-bottom:1px solid #ccc;padding:.25em .6em;vertical-align:top}
td.n{text-align:right;white-space:nowrap}tr:nth-child(even) td{background:#f3f6fa}
figure{margin:1em 0}figure img{max-width:100%;border:1px solid #ccc}
figcaption{font-size:.85em;color:#444}.sub{color:#555;font-style:italic}
"""


def report_html(report: BusinessReport, figures: dict[str, bytes]) -> str:
    """Return the business case as one self-contained HTML page (inline CSS, PNG maps inline)."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(report.title)}</title><style>{_HTML_CSS}</style></head><body>",
        f"<h1>{escape(report.title)}</h1><p class='sub'>{escape(report.subtitle)}</p>",
    ]
    for section in report.sections:
        parts.append(f"<h2>{escape(section.title)}</h2>")
        parts += [f"<p>{escape(p)}</p>" for p in section.paragraphs]
        for table in section.tables:
            parts.append(f"<table><caption>{escape(table.title)}</caption><tr>")
            parts += [f"<th>{escape(c)}</th>" for c in table.columns]
            parts.append("</tr>")
            for r, row in enumerate(table.formatted()):
                cells = [
                    f"<td class='n'>{escape(v)}</td>"
                    if table.kind(r, c) not in {"text", "bool"}
                    else f"<td>{escape(v)}</td>"
                    for c, v in enumerate(row)
                ]
                parts.append("<tr>" + "".join(cells) + "</tr>")
            parts.append("</table>")
        for key in section.figures:
            if key in figures:
                data = base64.b64encode(figures[key]).decode("ascii")
                parts.append(
                    f"<figure><img alt='{escape(FIGURE_CAPTIONS[key])}' "
                    f"src='data:image/png;base64,{data}'><figcaption>"
                    f"{escape(FIGURE_CAPTIONS[key])}</figcaption></figure>"
                )
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report_pdf(report: BusinessReport, figures: dict[str, bytes], path: Path) -> None:
    """Write the business case as a PDF (A4, reportlab): the same tables and maps."""
    from reportlab.lib import colors  # noqa: PLC0415 (lazy: reportlab is slow to import)
    from reportlab.lib.pagesizes import A4  # noqa: PLC0415 (lazy: reportlab is slow to import)
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet  # noqa: PLC0415 (lazy: reportlab is slow to import)
    from reportlab.lib.units import mm  # noqa: PLC0415 (lazy: reportlab is slow to import)
    from reportlab.lib.utils import ImageReader  # noqa: PLC0415 (lazy: reportlab is slow to import)
    from reportlab.platypus import (  # noqa: PLC0415 (lazy: reportlab is slow to import)
        Image,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    styles = getSampleStyleSheet()
    cell = ParagraphStyle("cell", parent=styles["BodyText"], fontSize=7, leading=8.5)
    head = ParagraphStyle("head", parent=cell, textColor=colors.white, fontName="Helvetica-Bold")
    heading = ParagraphStyle("section", parent=styles["Heading2"], keepWithNext=1)
    caption = ParagraphStyle("caption", parent=cell, keepWithNext=1)
    width = A4[0] - 30 * mm
    story: list[Any] = [
        Paragraph(xml_escape(report.title), styles["Title"]),
        Paragraph(xml_escape(report.subtitle), styles["Italic"]),
    ]
    for section in report.sections:
        story.append(Paragraph(xml_escape(section.title), heading))
        story += [Paragraph(xml_escape(p), styles["BodyText"]) for p in section.paragraphs]
        for table in section.tables:
            story.append(Paragraph(f"<b>{xml_escape(table.title)}</b>", caption))
            rows: list[list[Any]] = [[Paragraph(xml_escape(c), head) for c in table.columns]]
            rows += [
                [
                    Paragraph(xml_escape(v), cell)
                    if table.kind(r, c) == "text" and len(v) > 12
                    else v
                    for c, v in enumerate(row)
                ]
                for r, row in enumerate(table.formatted())
            ]
            numeric = [c for c, k in enumerate(table.kinds) if k not in {"text", "bool"}]
            grid = Table(rows, repeatRows=1, colWidths=_pdf_widths(table, width))
            grid.setStyle(
                TableStyle(
                    [
                        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1F4E79")),
                        ("ROWBACKGROUNDS", (0, 1), (-1, -1),
                         [colors.white, colors.HexColor("#F3F6FA")]),
                        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#CCCCCC")),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                        ("FONTSIZE", (0, 1), (-1, -1), 7),
                        *(("ALIGN", (c, 1), (c, -1), "RIGHT") for c in numeric),
                    ]
                )
            )  # fmt: skip
            story += [grid, Spacer(1, 4 * mm)]
        for key in section.figures:
            if key in figures:
                reader = ImageReader(io.BytesIO(figures[key]))
                w, h = reader.getSize()
                scale = min(width / w, 200 * mm / h)
                story.append(Image(io.BytesIO(figures[key]), width=w * scale, height=h * scale))
                story.append(Paragraph(xml_escape(FIGURE_CAPTIONS[key]), styles["Italic"]))
    document = SimpleDocTemplate(
        str(path), pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm,
        topMargin=15 * mm, bottomMargin=15 * mm, title=report.title, author="siteopt",
    )  # fmt: skip

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawString(15 * mm, 8 * mm, report.title)
        canvas.drawRightString(A4[0] - 15 * mm, 8 * mm, f"page {doc.page}")
        canvas.restoreState()

    document.build(story, onFirstPage=footer, onLaterPages=footer)


def _pdf_widths(table: ReportTable, width: float) -> list[float]:
    """Column widths: numbers fit their longest value, text shares the rest (no word is split)."""
    from reportlab.lib.units import mm  # noqa: PLC0415 (lazy: reportlab is slow to import)

    cells = table.formatted()[:200]
    char, bold = 1.5 * float(mm), 2.0 * float(mm)  # one character at 7 pt, regular and bold

    def longest_word(c: int) -> float:
        words = [w for r in cells for w in r[c].split()]
        return max(len(w) for w in words) * char if words else 0.0

    def header(c: int) -> float:
        return max(map(len, table.columns[c].split())) * bold

    fixed = [
        max(max(len(r[c]) for r in cells) * char, header(c)) + 3 * mm
        if table.kinds[c] != "text" and cells
        else None
        for c in range(len(table.columns))
    ]
    floor = [
        max(min(longest_word(c), 30 * char), header(c)) + 3 * mm for c in range(len(table.columns))
    ]
    lengths = [
        min(max([len(table.columns[c]), *(len(r[c]) for r in cells)]), 60)
        for c in range(len(table.columns))
    ]
    free = width - sum(f for f in fixed if f is not None)
    text = sum(n for n, f in zip(lengths, fixed, strict=True) if f is None) or 1
    return [
        f if f is not None else max(free * n / text, floor[c])
        for c, (n, f) in enumerate(zip(lengths, fixed, strict=True))
    ]

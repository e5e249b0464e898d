"""The Excel workbook of a solution: one sheet per table of the report."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from siteopt.outputs.report import ReportTable, business_tables

if TYPE_CHECKING:
    from siteopt.outputs.data import ExportData

__all__ = ["write_workbook"]


def write_workbook(data: ExportData, path: Path) -> None:
    """Write the Excel workbook: the report's tables with formatted headers and number formats.

    Values are plain numbers with Excel number formats (£, minutes, %); there are no formulas:
    every text is a text cell, even one starting with ``=`` (an assumption such as
    ``=HYPERLINK(...)`` would otherwise be a live formula), and characters XML cannot hold
    (control characters) are dropped.
    """
    from openpyxl import Workbook  # noqa: PLC0415 (lazy: openpyxl is slow to import)
    from openpyxl.cell import WriteOnlyCell  # noqa: PLC0415 (lazy: openpyxl is slow to import)
    from openpyxl.styles import Alignment, Font, PatternFill  # noqa: PLC0415 (lazy: openpyxl is slow to import)
    from openpyxl.utils import get_column_letter  # noqa: PLC0415 (lazy: openpyxl is slow to import)

    workbook = Workbook(write_only=True)
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor="1F4E79")
    attribution = ReportTable(
        title="Attribution", sheet="Attribution", columns=("dataset", "attribution"),
        kinds=("text", "text"), rows=tuple(data.attribution.items()),
    )  # fmt: skip
    for table in [*business_tables(data), attribution]:
        sheet = workbook.create_sheet(table.sheet)
        sheet.freeze_panes = "B2" if table.freeze_first_column else "A2"
        for col in range(len(table.columns)):
            width = max(
                [len(str(table.columns[col]))] + [len(str(r[col])) for r in table.rows[:200]]
            )
            sheet.column_dimensions[get_column_letter(col + 1)].width = min(max(10, width + 2), 80)
        header = []
        for name in table.columns:
            cell = _text_cell(WriteOnlyCell(sheet), name)
            cell.font = header_font
            cell.fill = header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            header.append(cell)
        sheet.append(header)
        for r, row in enumerate(table.rows):
            cells = []
            for c, raw in enumerate(row):
                value = _cell_value(raw)
                cell = (
                    _text_cell(WriteOnlyCell(sheet), value)
                    if isinstance(value, str)
                    else WriteOnlyCell(sheet, value=value)
                )
                fmt = _NUMBER_FORMATS.get(table.kind(r, c))
                if fmt is not None:
                    cell.number_format = fmt
                cells.append(cell)
            sheet.append(cells)
    workbook.save(path)


_NUMBER_FORMATS = MappingProxyType(
    {
        "gbp": "£#,##0",
        "minutes": '0.0 "min"',
        "share": "0.0%",
        "change": "+0.0%;-0.0%;0.0%",
        "fte": "#,##0.00",
        "int": "#,##0",
        "float": "#,##0.0",
        "years": '0.00 "years"',
        # instance figures at their own precision (siteopt.outputs.data.figure_kind)
        "percent": "0.0##%",
        "pounds": '"£"#,##0',
        "pounds_per_km": '"£"0.00" per km"',
        "seconds": 'General" s"',
        "minutes_exact": 'General" min"',
        "hours": 'General" h"',
        "hours_per_week": 'General" h a week"',
        "months": 'General" months"',
        "years_exact": 'General" years"',
        "kph": 'General" km/h"',
        "calls": '#,##0" calls a year"',
        "number": "General",
    }
)


def _text_cell(cell: Any, text: str) -> Any:
    """The cell holding ``text`` as text: never a formula, without XML-illegal characters."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # noqa: PLC0415 (lazy: openpyxl is slow to import)

    cell.value = ILLEGAL_CHARACTERS_RE.sub("", text)
    cell.data_type = "s"  # openpyxl makes any text starting with "=" a formula
    return cell


def _cell_value(value: Any) -> Any:
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value

"""Two runs side by side: a base and a what-if (``siteopt compare A/solution.json B/…``).

:func:`comparison` lines the two results up item by item: the rooms, the cost a year by
component, today's cost, saving, one-off investment and payback, the Green Book NPV, each
constraint's value against its limit, and the staff impact. :func:`comparison_markdown` and
:func:`write_comparison_xlsx` write it for a business case; the terminal table is in
:mod:`siteopt.console`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from siteopt.atomic import atomic_write, atomic_write_text
from siteopt.outputs.data import COST_LABELS, format_value
from siteopt.outputs.report import CONSTRAINT_KINDS

if TYPE_CHECKING:
    from siteopt.optimise.result import Result

__all__ = [
    "Comparison",
    "ComparisonRow",
    "comparison",
    "comparison_markdown",
    "shown_cells",
    "write_comparison",
    "write_comparison_xlsx",
]


@dataclass(frozen=True)
class ComparisonRow:
    """One item of the comparison: its section, label, the two values and their number kind.

    ``kind`` is a :func:`~siteopt.outputs.data.format_value` kind; ``change`` is ``b - a`` for
    numbers (``None`` for text or a missing side).
    """

    section: str
    item: str
    a: Any
    b: Any
    kind: str

    @property
    def change(self) -> float | None:
        """``b - a`` when both are numbers."""
        numbers = all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in (self.a, self.b)
        )
        return round(float(self.b) - float(self.a), 6) if numbers else None


@dataclass(frozen=True)
class Comparison:
    """Two results lined up (``a``: the base, ``b``: the what-if), with their names."""

    name_a: str
    name_b: str
    rows: tuple[ComparisonRow, ...]


def _chosen_appraisal(result: Result) -> Any:
    if result.solution is None:
        return None
    name = " + ".join(result.solution.site_ids)
    return next((a for a in result.appraisal if a.name == name), None)


def _plan_rows(result: Result) -> dict[tuple[str, str], tuple[Any, str]]:
    """Every item of one result, keyed by (section, item)."""
    s = result.solution
    out: dict[tuple[str, str], tuple[Any, str]] = {
        ("plan", "status"): (str(result.status), "text"),
        ("plan", "rooms"): (", ".join(s.site_ids) if s else None, "text"),
        ("plan", "routing"): (s.routing if s else None, "text"),
        ("cost a year", "total"): (s.objective_gbp if s else None, "gbp"),
    }
    for key, label in COST_LABELS.items():
        out["cost a year", label] = (s.costs.get(key) if s else None, "gbp")
    appraisal = _chosen_appraisal(result)
    out |= {
        ("cost a year", "today's rooms"): (result.baseline_gbp, "gbp"),
        ("cost a year", "saving"): (s.saving_gbp if s else None, "gbp"),
        ("investment", "one-off"): (s.one_off_gbp if s else None, "gbp"),
        ("investment", "payback (simple)"): (s.payback_years if s else None, "years"),
        ("investment", "NPV against do nothing"): (
            appraisal.npv_gbp if appraisal else None, "gbp"),
        ("investment", "discounted payback"): (
            appraisal.discounted_payback_years if appraisal else None, "years"),
    }  # fmt: skip
    for c in s.constraints if s else ():
        limit = f", limit {c.limit:g}" if c.limit is not None else ""
        kind = CONSTRAINT_KINDS.get(c.type, "float")
        kind = "float" if kind == "text" else kind
        out["constraints", f"{c.name} ({c.type}{limit})"] = (c.value, kind)
        out["constraints", f"{c.name} limit"] = (c.limit, kind)
        out["constraints", f"{c.name} holds"] = (c.holds, "bool")
    if s is not None:
        impact = s.staff_impact
        out |= {
            ("staff", "posts (FTE)"): (impact.posts_fte, "fte"),
            ("staff", "today's staff (FTE)"): (impact.staff_today_fte, "fte"),
            ("staff", "move with the job (share)"): (impact.retained_share, "share"),
            ("staff", "redundancies (FTE)"): (impact.redundancies_fte, "fte"),
            ("staff", "recruits (FTE)"): (impact.recruits_fte, "fte"),
            ("staff", "median extra commute"): (impact.median_extra_minutes, "minutes"),
        }
    return out


def comparison(a: Result, b: Result, *, name_a: str = "A", name_b: str = "B") -> Comparison:
    """Return two results lined up item by item (an item one side lacks shows as missing)."""
    left, right = _plan_rows(a), _plan_rows(b)
    keys = list(dict.fromkeys([*left, *right]))
    rows = []
    for key in keys:
        value_a, kind_a = left.get(key, (None, "text"))
        value_b, kind_b = right.get(key, (None, kind_a))
        if _unremarkable(key[1], value_a, value_b):
            continue
        kind = kind_a if key in left else kind_b
        rows.append(ComparisonRow(key[0], key[1], value_a, value_b, kind))
    return Comparison(name_a, name_b, tuple(rows))


def _unremarkable(item: str, a: Any, b: Any) -> bool:
    """A constraint's limit when both runs share it, its verdict when it holds in both."""
    return (item.endswith(" limit") and a == b) or (item.endswith(" holds") and a is b is True)


def shown_cells(row: ComparisonRow) -> tuple[str, str, str]:
    """The two values and the change as printed (changes signed; none when equal)."""
    change = row.change
    kind = row.kind
    delta = "" if change is None or change == 0 else format_value(change, kind)
    if kind in {"text", "bool"} and row.a != row.b:
        delta = "changed"
    if delta and change is not None and change > 0 and not delta.startswith("−"):
        delta = f"+{delta}"
    return format_value(row.a, kind), format_value(row.b, kind), delta


def comparison_markdown(compared: Comparison) -> str:
    """The comparison as Markdown: one table per section."""
    lines = [f"# Comparison: {compared.name_a} and {compared.name_b}", ""]
    section = None
    for row in compared.rows:
        if row.section != section:
            section = row.section
            lines += ["", f"## {section}", "",
                      f"| item | {compared.name_a} | {compared.name_b} | change |",
                      "|---|---:|---:|---:|"]  # fmt: skip
        a, b, delta = shown_cells(row)
        lines.append(f"| {row.item} | {a} | {b} | {delta} |")
    return "\n".join(lines) + "\n"


#: Excel number formats of the comparison's kinds.
_FORMATS = {
    "gbp": '"£"#,##0',
    "years": '0.00" years"',
    "fte": "#,##0.00",
    "share": "0.0%",
    "minutes": '0.0" min"',
    "float": "#,##0.0##",
}


def write_comparison_xlsx(compared: Comparison, path: Path) -> None:
    """Write the comparison as one sheet (numbers as numbers), atomically."""
    from openpyxl import Workbook  # noqa: PLC0415 (lazy: openpyxl is slow to import)
    from openpyxl.styles import Font  # noqa: PLC0415 (lazy: openpyxl is slow to import)

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "comparison"
    sheet.append(["section", "item", compared.name_a, compared.name_b, "change"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in compared.rows:
        values = [row.section, row.item, row.a, row.b, row.change]
        sheet.append(values)
        fmt = _FORMATS.get(row.kind)
        if fmt is not None:
            for column in (3, 4, 5):
                sheet.cell(row=sheet.max_row, column=column).number_format = fmt
        for column in (3, 4):  # text as text, never a formula
            cell = sheet.cell(row=sheet.max_row, column=column)
            if isinstance(cell.value, str):
                cell.data_type = "s"
    for letter, width in zip("ABCDE", (14, 42, 26, 26, 16), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "C2"
    atomic_write(path, book.save)


def write_comparison(compared: Comparison, out: Path) -> list[Path]:
    """Write ``compare.md`` and ``compare.xlsx`` into ``out`` (made if missing)."""
    out.mkdir(parents=True, exist_ok=True)
    md, xlsx = out / "compare.md", out / "compare.xlsx"
    atomic_write_text(md, comparison_markdown(compared))
    write_comparison_xlsx(compared, xlsx)
    return [md, xlsx]

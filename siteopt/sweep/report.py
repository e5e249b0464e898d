"""Summary of a sweep's results store: which option to choose when the future is uncertain.

From every stored scenario (:mod:`siteopt.sweep.store`) it reports how often each option is
optimal, each option's cost distribution, the min–max regret choice (the option whose worst
extra cost over a scenario's optimum is smallest) and the expected-cost choice (lowest mean
cost, scenarios weighted equally: an assumption), and which parameters flip the decision between
the choice and its closest challenger (tornado chart and break-even values). Written as
Markdown, self-contained HTML, PNG charts and an Excel workbook, each atomically.

Regret is computed over the one- and two-site options every scenario prices exactly (their best
routing); an option a scenario cannot use (infeasible there, or a site excluded) has infinite
regret in it. Scenarios without a feasible optimum are left out of regret and counted.
"""

from __future__ import annotations

import base64
import html
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from siteopt.atomic import atomic_write, atomic_write_text
from siteopt.errors import SiteoptError
from siteopt.sweep.batch import ERROR
from siteopt.sweep.store import MANIFEST, iter_rows

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ScenarioCosts",
    "Sensitivity",
    "expected_cost_choice",
    "minimax_regret_choice",
    "regret",
    "scenario_costs",
    "sensitivity",
    "write_report",
]


FloatArray = npt.NDArray[np.float64]


SUMMARY = "summary"


#: Parameters with more distinct values than this are grouped into quantile bins.
MAX_LEVELS = 8


BINS = 5


@dataclass(frozen=True)
class ScenarioCosts:
    """Scenario × option costs (pounds a year; ``inf`` where the option cannot be used)."""

    scenario_ids: tuple[str, ...]
    options: tuple[str, ...]
    cost: FloatArray
    optimum: FloatArray


def load_results(out: Path) -> pd.DataFrame:
    """Every stored row of a results store as a data frame, in scenario order."""
    import pandas as pd  # noqa: PLC0415 (lazy: pandas is slow to import)

    rows = list(iter_rows(out))
    if not rows:
        raise SiteoptError(f"{out}: no results stored (run `siteopt sweep` first)")
    return pd.DataFrame(rows).sort_values("index", kind="stable").reset_index(drop=True)


def scenario_costs(frame: pd.DataFrame) -> ScenarioCosts:
    """Costs of every option in every scenario that has a feasible optimum."""
    solved = frame[frame["objective_gbp"].notna()]
    options = sorted({n for names in solved["option_names"] for n in names})
    column = {name: j for j, name in enumerate(options)}
    cost = np.full((len(solved), len(options)), np.inf)
    for i, (names, totals) in enumerate(
        zip(solved["option_names"], solved["option_total_gbp"], strict=True)
    ):
        for name, total in zip(names, totals, strict=True):
            if total is not None and not math.isnan(total):
                cost[i, column[name]] = total
    optimum = solved["objective_gbp"].to_numpy(dtype=float)
    return ScenarioCosts(tuple(solved["scenario_id"]), tuple(options), cost, optimum)


def regret(matrix: ScenarioCosts) -> FloatArray:
    """Each option's extra cost over each scenario's best (``inf`` where unusable).

    A scenario's best is its optimum, or a priced option cheaper still when the solver stopped
    short of a proof, so that no regret is negative and none is hidden by clipping.
    """
    best = np.minimum(matrix.optimum, matrix.cost.min(axis=1, initial=np.inf))
    out: FloatArray = matrix.cost - best[:, None]
    return out


def minimax_regret_choice(matrix: ScenarioCosts) -> tuple[str, float] | None:
    """The option with the smallest worst-case regret and that regret (``None``: none usable)."""
    if not matrix.options or not len(matrix.optimum):
        return None
    worst = regret(matrix).max(axis=0)
    best = int(np.argmin(worst))
    return (matrix.options[best], float(worst[best])) if np.isfinite(worst[best]) else None


def expected_cost_choice(matrix: ScenarioCosts) -> tuple[str, float] | None:
    """The option with the lowest mean cost over the scenarios (equal weights)."""
    if not matrix.options or not len(matrix.optimum):
        return None
    mean = matrix.cost.mean(axis=0)
    best = int(np.argmin(mean))
    return (matrix.options[best], float(mean[best])) if np.isfinite(mean[best]) else None


@dataclass(frozen=True)
class Sensitivity:
    """How one parameter moves the cost gap between the choice and its challenger."""

    parameter: str
    levels: tuple[str, ...]
    gap_gbp: tuple[float, ...]  # mean challenger − choice cost at each level
    optimal_at: tuple[str, ...]  # the option most often optimal at each level
    break_even: float | None
    flips: bool


def _numeric(values: list[Any]) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def _levels(values: list[Any]) -> tuple[list[str], npt.NDArray[np.int64], FloatArray | None]:
    """Group a parameter's values: each distinct value, or quantile bins when many and numeric."""
    if _numeric(values) and len(set(values)) > MAX_LEVELS:
        array = np.asarray(values, dtype=float)
        edges = np.unique(np.quantile(array, np.linspace(0, 1, BINS + 1)))
        group = np.clip(np.searchsorted(edges, array, side="right") - 1, 0, len(edges) - 2)
        labels = [f"{edges[g]:.4g}–{edges[g + 1]:.4g}" for g in range(len(edges) - 1)]
        centres = np.array([array[group == g].mean() for g in range(len(labels))])
        return labels, group.astype(np.int64), centres
    shown = [json.dumps(v) for v in values]
    distinct = sorted(set(shown), key=lambda t: values[shown.index(t)] if _numeric(values) else t)
    group = np.array([distinct.index(t) for t in shown], dtype=np.int64)
    if not _numeric(values):
        return distinct, group, None
    return distinct, group, np.array([float(v) for v in sorted(set(values))])


def sensitivity(
    frame: pd.DataFrame, matrix: ScenarioCosts, choice: str, challenger: str
) -> list[Sensitivity]:
    """Per parameter: the mean cost gap (challenger − choice) at each of its levels.

    A gap that changes sign between levels flips the decision; the break-even value is where
    the gap, interpolated linearly between the two levels' mean parameter values, is zero.
    """
    solved = frame[frame["objective_gbp"].notna()].reset_index(drop=True)
    params = [json.loads(p) for p in solved["params"]]
    a, b = matrix.options.index(choice), matrix.options.index(challenger)
    gap = matrix.cost[:, b] - matrix.cost[:, a]
    out = []
    for name in dict.fromkeys(k for p in params for k in p):
        values = [p.get(name) for p in params]
        labels, group, centres = _levels(values)
        if len(labels) < 2:
            continue
        gaps, optimal = [], []
        for g in range(len(labels)):
            members = group == g
            finite = gap[members][np.isfinite(gap[members])]
            gaps.append(float(finite.mean()) if len(finite) else math.nan)
            counts = solved.loc[members, "option"].value_counts()
            optimal.append(str(counts.index[0]) if len(counts) else "")
        out.append(
            Sensitivity(
                parameter=name,
                levels=tuple(labels),
                gap_gbp=tuple(gaps),
                optimal_at=tuple(optimal),
                break_even=_break_even(centres, gaps),
                flips=len(set(optimal)) > 1 or _changes_sign(gaps),
            )
        )
    return sorted(out, key=lambda s: -_spread(s.gap_gbp))


def _spread(gaps: tuple[float, ...]) -> float:
    finite = [g for g in gaps if math.isfinite(g)]
    return max(finite) - min(finite) if finite else 0.0


def _changes_sign(gaps: list[float]) -> bool:
    finite = [g for g in gaps if math.isfinite(g)]
    return bool(finite) and min(finite) < 0 < max(finite)


def _break_even(centres: FloatArray | None, gaps: list[float]) -> float | None:
    if centres is None:
        return None
    for i in range(len(gaps) - 1):
        g0, g1 = gaps[i], gaps[i + 1]
        if math.isfinite(g0) and math.isfinite(g1) and (g0 > 0 >= g1 or g0 < 0 <= g1):
            x0, x1 = float(centres[i]), float(centres[i + 1])
            return x0 + (x1 - x0) * g0 / (g0 - g1)
    return None


@dataclass(frozen=True)
class _Table:
    """A summary table: raw cells (numbers stay numbers for Excel); ``money`` marks £ columns."""

    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    money: frozenset[int] = frozenset()
    note: str = ""

    def shown(self) -> list[list[str]]:
        """The cells as the Markdown and HTML summaries print them."""
        return [
            [_money(v) if c in self.money else str(v) for c, v in enumerate(row)]
            for row in self.rows
        ]


def _money(value: float) -> str:
    if not math.isfinite(value):
        return "—"
    return f"−£{-value:,.0f}" if value < 0 else f"£{value:,.0f}"


def _option_rows(frame: pd.DataFrame, matrix: ScenarioCosts, shown: list[str]) -> _Table:
    worst = regret(matrix).max(axis=0) if len(matrix.optimum) else np.zeros(len(matrix.options))
    optimal = frame["option"].value_counts()
    rows = []
    for name in shown:
        j = matrix.options.index(name)
        costs = matrix.cost[:, j]
        usable = costs[np.isfinite(costs)]
        q = np.quantile(usable, [0, 0.1, 0.5, 0.9, 1]) if len(usable) else [math.nan] * 5
        rows.append(
            (
                name,
                int(optimal.get(name, 0)),
                int(len(costs) - len(usable)),
                *(float(v) for v in q),
                float(usable.mean()) if len(usable) else math.nan,
                float(worst[j]),
            )
        )
    header = ("option", "optimal in", "unusable in", "min", "p10", "median", "p90", "max")
    return _Table(
        "Options: cost a year across scenarios",
        (*header, "mean", "max regret"),
        tuple(rows),
        money=frozenset(range(3, 10)),
        note=(
            "Cost statistics (min to max, mean) are over the scenarios where the option is usable "
            "(meets every constraint and was priced); 'unusable in' counts the others. Max "
            "regret is over every scenario, so an option unusable in any scenario has none (—)."
        ),
    )


def _shown_options(frame: pd.DataFrame, matrix: ScenarioCosts, picks: list[str]) -> list[str]:
    """Options worth a row: every scenario optimum, the two choices, then cheapest on average."""
    ordered = list(dict.fromkeys([*frame["option"].dropna().value_counts().index, *picks]))
    mean = matrix.cost.mean(axis=0)
    for j in np.argsort(mean, kind="stable"):
        if len(ordered) >= 8:
            break
        if np.isfinite(mean[j]) and matrix.options[j] not in ordered:
            ordered.append(matrix.options[j])
    return [o for o in ordered if o in matrix.options]


def write_report(out: Path) -> Path:
    """Write the summary of the store at ``out`` (Markdown, HTML, PNGs, Excel); return the .md."""
    frame = load_results(out)
    matrix = scenario_costs(frame)
    minimax = minimax_regret_choice(matrix)
    expected = expected_cost_choice(matrix)
    picks = [c[0] for c in (minimax, expected) if c is not None]
    shown = _shown_options(frame, matrix, picks)
    choice = picks[0] if picks else None
    challenger = next((o for o in shown if o != choice), None)
    sens = sensitivity(frame, matrix, choice, challenger) if choice and challenger else []
    charts = {
        "optimal": _chart_optimal(out, frame),
        "costs": _chart_costs(out, matrix, shown),
        "tornado": _chart_tornado(out, sens, choice, challenger) if sens else None,
    }
    lines = _headline(frame, matrix, minimax, expected, challenger)
    tables = [_option_rows(frame, matrix, shown), _sensitivity_table(sens, choice, challenger)]
    title = f"Sweep summary: {_sweep_name(out)}"
    md = _markdown(title, lines, tables, charts)
    atomic_write_text(out / f"{SUMMARY}.md", md)
    atomic_write_text(out / f"{SUMMARY}.html", _html(title, lines, tables, charts))
    _write_excel(out / f"{SUMMARY}.xlsx", frame, tables)
    return out / f"{SUMMARY}.md"


def _headline(
    frame: pd.DataFrame,
    matrix: ScenarioCosts,
    minimax: tuple[str, float] | None,
    expected: tuple[str, float] | None,
    challenger: str | None,
) -> list[str]:
    status = frame["status"].value_counts()
    lines = [
        f"{len(frame)} scenarios stored: "
        + ", ".join(f"{int(n)} {s}" for s, n in status.items())
        + f"; {len(matrix.optimum)} with a feasible optimum enter the regret analysis.",
    ]
    if minimax is not None:
        lines.append(
            f"**Min–max regret choice: {minimax[0]}**: at most {_money(minimax[1])} a year "
            "dearer than the best option of any scenario."
        )
    else:
        lines.append("No option is usable in every scenario: no min–max regret choice.")
    if expected is not None:
        lines.append(
            f"**Expected-cost choice: {expected[0]}**: mean {_money(expected[1])} a year "
            "(scenarios weighted equally: assumption)."
        )
    if challenger is not None:
        lines.append(f"Closest challenger (sensitivity below): {challenger}.")
    failed = frame[frame["status"] == ERROR]
    if len(failed):
        lines.append(f"{len(failed)} scenarios raised an error (see the Excel sheet 'scenarios').")
    return lines


def _sensitivity_table(
    sens: list[Sensitivity], choice: str | None, challenger: str | None
) -> _Table:
    rows: tuple[tuple[Any, ...], ...] = tuple(
        (
            s.parameter,
            "; ".join(f"{lv}: {_money(g)}" for lv, g in zip(s.levels, s.gap_gbp, strict=True)),
            "; ".join(f"{lv}: {o}" for lv, o in zip(s.levels, s.optimal_at, strict=True)),
            "yes" if s.flips else "no",
            "—" if s.break_even is None else f"{s.break_even:.4g}",
        )
        for s in sens
    )
    return _Table(
        f"What flips the decision: mean cost gap {challenger} − {choice} by parameter level",
        ("parameter", "gap at each level", "most often optimal", "flips", "break-even"),
        rows,
    )


def _chart_optimal(out: Path, frame: pd.DataFrame) -> Path:
    import matplotlib.pyplot as plt  # noqa: PLC0415 (lazy: matplotlib is slow to import)

    counts = frame["option"].fillna("(no feasible option)").value_counts().iloc[:12][::-1]
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(counts) + 1.5))
    ax.barh(list(counts.index), list(counts.to_numpy()), color="#3465a4")
    ax.set_xlabel("scenarios in which the option is optimal")
    ax.set_title("How often each option is optimal")
    return _save(fig, out / "optimal_frequency.png")


def _chart_costs(out: Path, matrix: ScenarioCosts, shown: list[str]) -> Path:
    import matplotlib.pyplot as plt  # noqa: PLC0415 (lazy: matplotlib is slow to import)

    data, labels = [], []
    for name in shown:
        costs = matrix.cost[:, matrix.options.index(name)]
        usable = costs[np.isfinite(costs)] / 1e6
        if len(usable):
            data.append(usable)
            labels.append(name)
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(labels) + 1.5))
    if data:
        ax.boxplot(data[::-1], orientation="horizontal")
        ax.set_yticks(range(1, len(labels) + 1), labels[::-1])
    ax.set_xlabel("cost a year (£ million), scenarios where the option is usable")
    ax.set_title("Cost distribution of the leading options")
    return _save(fig, out / "cost_distribution.png")


def _chart_tornado(
    out: Path, sens: list[Sensitivity], choice: str | None, challenger: str | None
) -> Path:
    import matplotlib.pyplot as plt  # noqa: PLC0415 (lazy: matplotlib is slow to import)

    shown = sens[:10][::-1]
    fig, ax = plt.subplots(figsize=(9, 0.55 * len(shown) + 2.2))
    for y, s in enumerate(shown):
        finite = [g / 1e3 for g in s.gap_gbp if math.isfinite(g)]
        if not finite:
            ax.text(0, y, " no gap: the challenger is unusable at every level", va="center")
            continue
        lo, hi = min(finite), max(finite)
        colour = "#cc0000" if s.flips else "#729fcf"
        ax.barh(y, hi - lo, left=lo, color=colour, edgecolor=colour, linewidth=2)
        ax.text(hi, y, f"  {lo:,.1f} to {hi:,.1f}", va="center", fontsize=8)
    ax.axvline(0, color="black", linewidth=1)
    ax.set_yticks(range(len(shown)), [s.parameter for s in shown])
    ax.margins(x=0.25)
    ax.set_xlabel(f"mean cost gap, {challenger}\nminus {choice} (£ thousand a year)")
    ax.set_title("Tornado: the gap's range over each parameter (red: the decision flips)")
    return _save(fig, out / "tornado.png")


def _save(fig: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt  # noqa: PLC0415 (lazy: matplotlib is slow to import)

    fig.tight_layout()
    atomic_write(path, lambda p: fig.savefig(p, dpi=110, format="png"))
    plt.close(fig)
    return path


def _sweep_name(out: Path) -> str:
    """The sweep's own name (its file's ``name``), else the store's folder name."""
    try:
        name = json.loads((out / MANIFEST).read_text(encoding="utf-8")).get("sweep")
    except (OSError, ValueError, AttributeError):
        name = None
    return name if isinstance(name, str) and name else out.name


def _markdown(
    title: str, lines: list[str], tables: list[_Table], charts: dict[str, Path | None]
) -> str:
    parts = [f"# {title}", "", *[f"- {line}" for line in lines], ""]
    for table in tables:
        parts += [f"## {table.title}", "", "| " + " | ".join(table.header) + " |"]
        parts.append("|" + "---|" * len(table.header))
        parts += ["| " + " | ".join(row) + " |" for row in table.shown()]
        parts += ["", table.note, ""] if table.note else [""]
    parts.append("## Charts")
    parts += [f"![{name}]({path.name})" for name, path in charts.items() if path is not None]
    return "\n".join(parts) + "\n"


def _html(
    title: str, lines: list[str], tables: list[_Table], charts: dict[str, Path | None]
) -> str:
    def bold(text: str) -> str:
        escaped = html.escape(text)
        while escaped.count("**") >= 2:
            escaped = escaped.replace("**", "<b>", 1).replace("**", "</b>", 1)
        return escaped

    body = [f"<h1>{html.escape(title)}</h1>", "<ul>", *[f"<li>{bold(t)}</li>" for t in lines],
            "</ul>"]  # fmt: skip
    for table in tables:
        body.append(f"<h2>{html.escape(table.title)}</h2><table>")
        body.append("<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in table.header) + "</tr>")
        for row in table.shown():
            body.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>")
        body.append("</table>")
        if table.note:
            body.append(f"<p>{html.escape(table.note)}</p>")
    for name, path in charts.items():
        if path is not None:
            data = base64.b64encode(path.read_bytes()).decode()
            body.append(f'<p><img alt="{name}" src="data:image/png;base64,{data}"></p>')
    style = (
        "body{font-family:sans-serif;max-width:1100px;margin:2em auto}"
        "table{border-collapse:collapse}td,th{border:1px solid #999;padding:3px 6px;"
        "font-size:90%;text-align:left}"
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n"
    )


def _write_excel(path: Path, frame: pd.DataFrame, tables: list[_Table]) -> None:
    from openpyxl import Workbook  # noqa: PLC0415 (lazy: openpyxl is slow to import)

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "scenarios"
    columns = [c for c in frame.columns if c not in {"option_names", "option_total_gbp"}]
    sheet.append(columns)
    for record in frame[columns].itertuples(index=False):
        sheet.append([_cell(v) for v in record])
    for name, table in zip(("options", "sensitivity"), tables, strict=True):
        ws = book.create_sheet(name)
        ws.append([table.title])
        ws.append(list(table.header))
        for row in table.rows:
            ws.append([_cell(v) for v in row])
            for c in table.money:  # pounds as numbers with a £ format, not text
                ws.cell(row=ws.max_row, column=c + 1).number_format = '"£"#,##0'
        if table.note:
            ws.append([table.note])
    atomic_write(path, book.save)


def _cell(value: Any) -> Any:
    if isinstance(value, list | tuple | np.ndarray):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float) and not math.isfinite(value):
        return None  # Excel has no NaN or infinity: an empty cell
    if isinstance(value, np.generic):
        return value.item()
    return value

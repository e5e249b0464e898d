"""The HTML of the page: the instance picker and figure editor, and the result's fragments.

Everything is rendered on the server; ``static/app.js`` only sends the form, polls the job and
puts these fragments in place. Numbers are shown as the report shows them
(:func:`siteopt.outputs.data.format_value`).
"""

from __future__ import annotations

import re
from html import escape
from typing import TYPE_CHECKING, Any

from siteopt.outputs.data import COST_LABELS, figure_kind, format_value
from siteopt.outputs.report import CONSTRAINT_KINDS, constraint_slack

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from siteopt.optimise.result import Result
    from siteopt.outputs.compare import Comparison
    from siteopt.serve.editor import FigureField, FigureGroup
    from siteopt.serve.files import InstanceEntry
    from siteopt.serve.opened import OpenedInstance

__all__ = [
    "comparison_html",
    "constraints_html",
    "costs_html",
    "options_html",
    "page_html",
    "summary_html",
]


#: A cell that shows a number (pounds, minutes, a share, a count, or none): right-aligned.
_NUMBER = re.compile(r"^(<[^>]+>)*[−+-]?£?[\d.,]+( (%|min|years|s))?(<[^>]+>)*$|^–$")


def _table(head: Sequence[str], rows: Iterable[Sequence[str]], css: str = "") -> str:
    """A table of already escaped cells; cells that show a number are right-aligned."""
    header = "".join(f"<th>{h}</th>" for h in head)
    body = "".join(
        "<tr>"
        + "".join(f'<td class="num">{c}</td>' if _NUMBER.match(c) else f"<td>{c}</td>" for c in row)
        + "</tr>"
        for row in rows
    )
    return f'<table class="{css}"><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>'


def page_html(
    entries: list[InstanceEntry], chosen: str, opened: OpenedInstance | None, error: str | None
) -> str:
    """Return the whole page: picker, editor (or the file's error), and empty result panes."""
    options = "".join(
        f'<option value="{escape(e.path)}"{" selected" if e.path == chosen else ""}>'
        f"{escape(e.path)} — {escape(e.name)}</option>"
        for e in entries
    )
    editor = _editor_html(opened) if opened is not None else ""
    failure = f'<p class="error" id="open-error">{escape(error)}</p>' if error else ""
    title = escape(opened.instance.name) if opened is not None else "siteopt"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>siteopt serve: {title}</title>
<link rel="stylesheet" href="/static/app.css">
</head><body data-instance="{escape(chosen)}">
<header>
<h1>siteopt <span>where should the control rooms be?</span></h1>
<form id="picker" method="get" action="/"><label>Instance
<select name="instance" id="instance-select" onchange="this.form.submit()">
{options}</select></label>
<noscript><button type="submit">Open</button></noscript></form>
</header>
{failure}
<main>{editor}{_results_html() if opened is not None else ""}</main>
<script src="/static/app.js"></script>
</body></html>"""


def _editor_html(opened: OpenedInstance) -> str:
    sections: dict[str, list[FigureGroup]] = {}
    for group in opened.groups:
        sections.setdefault(group.section, []).append(group)
    blocks = "".join(
        f'<details class="section"{" open" if name == "demand" else ""}><summary>{escape(name)}'
        f' <span class="count">{sum(len(g.fields) for g in groups)} figures</span></summary>'
        + "".join(_group_html(g) for g in groups)
        + "</details>"
        for name, groups in sections.items()
    )
    description = escape(opened.instance.description)
    return f"""<section id="editor">
<h2>{escape(opened.instance.name)}</h2><p class="description">{description}</p>
<div class="actions">
<button type="button" id="solve" class="primary">Solve</button>
<button type="button" id="cancel" hidden>Cancel</button>
<button type="button" id="reset">Reset to the file</button>
<span id="status" role="status"></span>
</div>
<p class="error" id="form-error" hidden></p>
{_sites_html(opened)}
<h3>Figures <small>every number with its source or assumption;
give a reason when you change one</small></h3>
{blocks}
<fieldset id="save"><legend>Save as variant</legend>
<label>File name
<input type="text" id="variant-file" name="variant.file" placeholder="my-what-if.toml"></label>
<label>What-if name <input type="text" id="variant-title" placeholder="999 target 15 s"></label>
<button type="button" id="save-variant">Save variant</button>
<p class="field-error" data-error-for="variant.file" hidden></p>
<p id="saved" hidden></p>
</fieldset>
</section>"""


def _sites_html(opened: OpenedInstance) -> str:
    excluded = set(opened.base_excluded)
    current = {f.current_site for f in opened.instance.forces.values()}
    boxes = "".join(
        f'<label class="site"><input type="checkbox" class="site-toggle" value="{escape(sid)}"'
        f"{'' if sid in excluded else ' checked'}{' data-base-off' if sid in excluded else ''}> "
        f"{escape(name)}{' <small>(today)</small>' if sid in current else ''}</label>"
        for sid, name in opened.sites
    )
    return f"""<fieldset id="sites">
<legend>Candidate sites <small>untick to rule a site out, or click it on the map</small></legend>
<div class="site-list">{boxes}</div>
<p class="field-error" data-error-for="sites.exclude" hidden></p></fieldset>"""


def _group_html(group: FigureGroup) -> str:
    label = f" <small>{escape(group.label)}</small>" if group.label else ""
    rows = "".join(_field_html(f) for f in group.fields)
    return f'<div class="group"><h4>{escape(group.path)}{label}</h4>{rows}</div>'


def _field_html(field: FigureField) -> str:
    path = escape(field.path)
    unit = format_value(field.value, figure_kind(field.path)) if field.kind != "bool" else ""
    shown = _field_text(field)
    if field.kind == "bool":
        control = (
            f'<select class="figure" name="{path}" data-base="{shown}">'
            f"<option{' selected' if field.value else ''}>true</option>"
            f"<option{'' if field.value else ' selected'}>false</option></select>"
        )
    else:
        control = (
            f'<input class="figure" type="text" inputmode="decimal" name="{path}" '
            f'value="{shown}" data-base="{shown}" size="10">'
        )
    return f"""<div class="field" data-field="{path}">
<label><span class="key">{escape(field.key)}</span>{control}
<span class="unit">{"in the file: " + escape(unit) if unit else ""}</span></label>
<p class="note {field.provenance}"><b>{field.provenance}:</b> {escape(field.note)}</p>
<input class="reason" type="text" name="{path}.reason" hidden
 placeholder="your reason for the change (saved as its assumption)">
<p class="field-error" data-error-for="{path}" hidden></p>
</div>"""


def _field_text(field: FigureField) -> str:
    if isinstance(field.value, bool):
        return "true" if field.value else "false"
    return f"{field.value:g}" if isinstance(field.value, float) else str(field.value)


def _results_html() -> str:
    return """<section id="results">
<div id="summary"><p class="hint">Press <b>Solve</b> to see the answer.</p></div>
<div id="links" hidden><a id="export" href="#" download>Export the business case (zip)</a></div>
<p id="map-status" class="hint" hidden>drawing the map…</p>
<iframe id="map" title="map of the answer" hidden></iframe>
<h3>Cost a year against today</h3><div id="costs"></div>
<h3>Constraints</h3><div id="constraints"></div>
<h3>Options ranked</h3><div id="options"></div>
<h3>Compared with the previous run</h3>
<div id="compare"><p class="hint">Solve twice to compare.</p></div>
</section>"""


def _gbp(value: float | None) -> str:
    return format_value(value, "gbp")


def _chosen_appraisal(result: Result) -> Any:
    if result.solution is None:
        return None
    name = " + ".join(result.solution.site_ids)
    return next((a for a in result.appraisal if a.name == name), None)


def summary_html(result: Result) -> str:
    """The answer in a few lines: status, rooms, cost a year, saving, NPV (or why none)."""
    s = result.solution
    if s is None:
        conflict = result.infeasibility.conflict if result.infeasibility is not None else ()
        why = (
            f" These constraints cannot all hold: {escape(', '.join(conflict))}."
            if conflict
            else ""
        )
        return f'<p class="error" id="no-plan">No plan: {escape(str(result.status))}.{why}</p>'
    appraisal = _chosen_appraisal(result)
    npv = appraisal.npv_gbp if appraisal is not None else None
    rooms = ", ".join(f"{escape(r.name)} ({r.fte:,.0f} FTE)" for r in s.sites)
    stats = result.statistics
    how = f"{result.status} ({stats.name}, {stats.wall_s:.2f} s)"
    cost, today = s.objective_gbp, result.baseline_gbp
    return f"""<dl class="summary">
<dt>Rooms</dt><dd id="rooms" data-sites="{escape(",".join(s.site_ids))}">{rooms}</dd>
<dt>Cost a year</dt><dd id="objective" data-gbp="{cost!r}">{_gbp(cost)}</dd>
<dt>Today's rooms</dt><dd id="baseline" data-gbp="{today!r}">{_gbp(today)}</dd>
<dt>Saving a year</dt><dd id="saving">{_gbp(s.saving_gbp)}</dd>
<dt>NPV against do nothing</dt><dd id="npv">{_gbp(npv)}</dd>
<dt>Status</dt><dd id="solve-status">{escape(how)}</dd>
</dl>"""


def costs_html(result: Result) -> str:
    """The cost a year by component, against today's rooms priced by the same model."""
    s = result.solution
    if s is None:
        return '<p class="hint">No plan to price.</p>'
    rows: list[tuple[str, ...]] = []
    for key, label in COST_LABELS.items():
        plan, today = s.costs.get(key, 0.0), result.baseline_costs.get(key, 0.0)
        rows.append((escape(label), _gbp(plan), _gbp(today), _gbp(plan - today)))
    total = (s.objective_gbp, result.baseline_gbp, s.objective_gbp - result.baseline_gbp)
    rows.append(("<b>total</b>", *(f"<b>{_gbp(v)}</b>" for v in total)))
    appraisal = _chosen_appraisal(result)
    table = _table(("component", "plan", "today", "change"), rows, "numbers")
    extra = [
        ("one-off investment", _gbp(s.one_off_gbp)),
        ("payback (simple)", format_value(s.payback_years, "years")),
        ("NPV against do nothing", _gbp(appraisal.npv_gbp if appraisal else None)),
        ("discounted payback", format_value(
            appraisal.discounted_payback_years if appraisal else None, "years")),
    ]  # fmt: skip
    return table + _table(("investment", ""), extra, "numbers")


def constraints_html(result: Result) -> str:
    """Each constraint's value against its limit, with the margin (negative: broken)."""
    s = result.solution
    if s is None:
        return '<p class="hint">No plan.</p>'
    rows = []
    for c in s.constraints:
        kind = CONSTRAINT_KINDS.get(c.type, "float")
        kind = "float" if kind == "text" else kind
        slack = constraint_slack(c)
        verdict = '<span class="ok">holds</span>' if c.holds else '<span class="bad">broken</span>'
        rows.append((escape(c.name), escape(c.type), format_value(c.value, kind),
                     format_value(c.limit, kind), format_value(slack, kind), verdict,
                     escape(c.detail)))  # fmt: skip
    head = ("constraint", "type", "value", "limit", "margin", "", "detail")
    return _table(head, rows, "numbers")


def options_html(result: Result, names: dict[str, str]) -> str:
    """The chosen option and the ranked alternatives, with cost and NPV."""
    s = result.solution
    npv = {a.name: a.npv_gbp for a in result.appraisal}
    best = s.objective_gbp if s is not None else None
    rows = []
    if s is not None:
        key = " + ".join(s.site_ids)
        rows.append(("chosen", _names(s.site_ids, names), escape(s.routing), _gbp(s.objective_gbp),
                     "", _gbp(npv.get(key)), "yes"))  # fmt: skip
    for rank, o in enumerate(result.alternatives, start=2 if s is not None else 1):
        key = " + ".join(o.sites)
        extra = _gbp(o.total_gbp - best) if best is not None else ""
        feasible = (
            "yes" if o.feasible else f'<span class="bad">no: {escape(", ".join(o.failed))}</span>'
        )
        rows.append((str(rank), _names(o.sites, names), escape(o.routing), _gbp(o.total_gbp), extra,
                     _gbp(npv.get(key)), feasible))  # fmt: skip
    head = ("rank", "rooms", "routing", "cost a year", "more than chosen", "NPV", "feasible")
    return _table(head, rows, "numbers options")


def _names(ids: Iterable[str], names: dict[str, str]) -> str:
    return escape(" + ".join(names.get(i, i) for i in ids))


def comparison_html(compared: Comparison) -> str:
    """The previous run and this one side by side, item by item (changes first marked)."""
    from siteopt.outputs.compare import shown_cells  # noqa: PLC0415 (lazy: only after two runs)

    rows = []
    section = None
    for row in compared.rows:
        a, b, delta = shown_cells(row)
        shown_section, section = ("" if row.section == section else row.section), row.section
        css = ' class="changed"' if delta else ""
        rows.append(
            (
                f"<b>{escape(shown_section)}</b>",
                escape(row.item),
                escape(a),
                escape(b),
                f"<span{css}>{escape(delta)}</span>",
            )
        )
    return _table(
        ("", "item", escape(compared.name_a), escape(compared.name_b), "change"), rows, "numbers"
    )

"""Run the benchmark suite: ``python -m benchmarks [--only NAME ...] [--repeats N]``.

Discovers every ``benchmarks/bench_*.py`` module that exposes ``suite_rows(repeats)``, runs them
one after another (never in parallel: ratios are measured side by side on the same machine) and
writes ``benchmarks/RESULTS.md`` atomically. ``--only locate`` runs ``bench_locate`` alone; with
``--only`` the other modules' rows are kept from the previous ``RESULTS.md``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

from benchmarks.suite import SuiteRow, machine
from siteopt.atomic import atomic_write_text

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
HEADER = "| module | task | siteopt s | peer | peer s | ratio | same answer | note |"


def discover() -> list[str]:
    """Names (``locate`` for ``bench_locate.py``) of the modules taking part, sorted."""
    found = []
    for path in sorted(HERE.glob("bench_*.py")):
        if "def suite_rows(" in path.read_text(encoding="utf-8"):
            found.append(path.stem.removeprefix("bench_"))
    return found


def cell(value: float | None, digits: int = 4) -> str:
    """A time or ratio for the table; ``—`` when there is none."""
    if value is None:
        return "—"
    return f"{value:.{digits}f}" if value < 100 else f"{value:,.0f}"


def row_line(module: str, row: SuiteRow) -> str:
    """One Markdown table row."""
    same = {True: "yes", False: "**NO**", None: "—"}[row.same_answer]
    ratio = "—"
    if row.ratio is not None:
        ratio = f"{row.ratio:,.1f}×" if row.ratio >= 1 else f"{row.ratio:.2g}×"
    cells = [
        module,
        row.task,
        cell(row.siteopt_s),
        row.peer,
        cell(row.peer_s),
        ratio,
        same,
        row.note.replace("|", "/"),
    ]
    return "| " + " | ".join(cells) + " |"


def previous_lines(keep: set[str]) -> dict[str, list[str]]:
    """Table rows of the current RESULTS.md whose module is in ``keep``, by module."""
    lines: dict[str, list[str]] = {}
    if not RESULTS.exists():
        return lines
    for line in RESULTS.read_text(encoding="utf-8").splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) > 2 and parts[1] in keep:
            lines.setdefault(parts[1], []).append(line)
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run the suite and write RESULTS.md."""
    names = discover()
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--only", action="append", choices=names, help="run this module only")
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats per row (median)")
    args = parser.parse_args(argv)
    chosen = args.only or names
    lines: dict[str, list[str]] = {}
    failures: list[str] = []
    for name in names:
        if name not in chosen:
            continue
        start = time.perf_counter()
        sys.stderr.write(f"benchmarks: {name} …\n")
        try:
            module = importlib.import_module(f"benchmarks.bench_{name}")
            rows: list[SuiteRow] = module.suite_rows(args.repeats)
        except Exception as exc:  # one failing module must not lose the others' rows
            failures.append(f"- `{name}` failed: {type(exc).__name__}: {exc}")
            continue
        lines[name] = [row_line(name, row) for row in rows]
        sys.stderr.write(f"benchmarks: {name} done in {time.perf_counter() - start:.0f} s\n")
    if args.only:
        lines |= previous_lines(set(names) - set(chosen))
    table = [line for name in names for line in lines.get(name, [])]
    text = "\n".join(
        [
            "# Benchmark suite",
            "",
            "`python -m benchmarks` (all modules) or `python -m benchmarks --only NAME`. Each row "
            "times siteopt and its peer on the same input in the same run; times are medians of "
            f"{args.repeats} repeats after one warm-up unless the note says otherwise; "
            "ratio = peer s / siteopt s (above 1: siteopt is faster); same answer = the two "
            "agree on the optimum (objective value; ties may pick different sites).",
            "",
            f"Machine: {machine()}.",
            "",
            HEADER,
            "|---|---|---:|---|---:|---:|---|---|",
            *table,
            "",
            *(["Modules that failed this run:", "", *failures, ""] if failures else []),
        ]
    )
    atomic_write_text(RESULTS, text)
    sys.stdout.write(text)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())

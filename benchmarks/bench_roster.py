"""Benchmark: one room's week at 30-minute resolution, 4 shift lengths x 48 start times a day.

Run with ``python -m benchmarks.bench_roster``. Times siteopt's CP-SAT roster (proven optimum,
one deterministic worker) on the BCH default's pooled one-room requirement and on each force's
own room, next to the LP relaxation of the same covering model (scipy HiGHS), which gives the
bound but not a whole-number rota. Writes ``benchmarks/RESULTS-roster.md``.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

from benchmarks.suite import SuiteRow
from siteopt.instance.loading import load_instance
from siteopt.queueing.shifts import (
    ShiftMenu,
    coverage_matrix,
    on_duty_needed,
    roster_week,
    shift_menu,
)
from siteopt.queueing.site_roster import requirement_for

RESULTS = Path(__file__).with_name("RESULTS-roster.md")
INSTANCE = Path(__file__).resolve().parents[1] / "instances" / "bch-2015.toml"


def cases() -> list[tuple[str, npt.NDArray[np.int64], ShiftMenu]]:
    """(name, requirement per 30 min, menu) for one pooled room and each force's own room."""
    instance = load_instance(INSTANCE)
    menu = shift_menu(instance)
    groups = [list(instance.forces)] + [[f] for f in instance.forces]
    return [("+".join(g), requirement_for(instance, g)[0], menu) for g in groups]


def lp_relaxation(need: npt.NDArray[np.int64], menu: ShiftMenu) -> float:
    """Paid hours of the LP relaxation of the covering model (HiGHS)."""
    from scipy.optimize import linprog  # noqa: PLC0415 (lazy: scipy is slow to import)

    shift_of, start_of = menu.options()
    lengths = np.asarray([menu.shifts[k].minutes // menu.interval_minutes for k in shift_of])
    matrix = coverage_matrix(start_of // menu.interval_minutes, lengths, len(need))
    rhs = on_duty_needed(need, menu.break_share)
    result = linprog(lengths, A_ub=-matrix, b_ub=-rhs, bounds=(0, None), method="highs")
    return float(result.fun) * menu.interval_minutes / 60


def timed(repeats: int, need: npt.NDArray[np.int64], menu: ShiftMenu) -> tuple[float, float, str]:
    """Median CP-SAT seconds, paid hours and status over ``repeats`` solves."""
    times, hours, status = [], 0.0, ""
    for _ in range(repeats):
        start = time.perf_counter()
        roster = roster_week(need, menu, time_limit_s=60.0)
        times.append(time.perf_counter() - start)
        hours, status = roster.paid_hours, roster.solution.status
    return statistics.median(times), hours, status


def timed_lp(repeats: int, need: npt.NDArray[np.int64], menu: ShiftMenu) -> tuple[float, float]:
    """Median LP seconds and LP paid hours."""
    times, hours = [], 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        hours = lp_relaxation(need, menu)
        times.append(time.perf_counter() - start)
    return statistics.median(times), hours


def suite_rows(repeats: int) -> list[SuiteRow]:
    """Rows for the benchmark suite: pooled BCH room, CP-SAT optimum against the LP relaxation."""
    name, need, menu = cases()[0]
    cp_s, hours, status = timed(repeats, need, menu)
    lp_s, lp_hours = timed_lp(repeats, need, menu)
    return [
        SuiteRow(
            task=f"roster one week, 30 min, 4 lengths x 48 starts ({name})",
            siteopt_s=cp_s,
            peer="no exact peer",
            peer_s=None,
            same_answer=None,
            note=(
                f"CP-SAT {status} {hours:,.1f} paid h, target 5 s; its LP relaxation (scipy "
                f"HiGHS, a fractional rota, not a roster) bounds {lp_hours:,.1f} h in {lp_s:.3f} s"
            ),
        )
    ]


def main() -> None:
    """Run every case and write the Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rows = []
    for name, need, menu in cases():
        cp_s, hours, status = timed(args.repeats, need, menu)
        lp_s, lp_hours = timed_lp(args.repeats, need, menu)
        options = len(menu.options()[0])
        rows.append(
            f"| {name} | {int(need.max())} | {options} | {status} | {hours:,.1f} | "
            f"{lp_hours:,.1f} | {cp_s:.2f} | {lp_s:.2f} |"
        )
    text = "\n".join(
        [
            "# WeekRoster benchmark",
            "",
            "One room's week at 30-minute resolution (336 intervals), the default menu: 8, 9, 10",
            "and 12-hour shifts starting every 30 minutes of every day (4 x 48 x 7 = 1,344",
            "options); requirement from the BCH default instance (Erlang, minimum crew 6, breaks",
            "relieved on shift). CP-SAT with one worker (deterministic), median of "
            f"{args.repeats} runs; the LP relaxation (HiGHS) of the same model for comparison.",
            "",
            f"Machine: {platform.processor() or platform.machine()}, Python "
            f"{platform.python_version()}.",
            "",
            "| room (forces) | peak agents | options | CP-SAT status | paid h | LP bound h "
            "| CP-SAT s | LP s |",
            "|---|---|---|---|---|---|---|---|",
            *rows,
            "",
        ]
    )
    RESULTS.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()

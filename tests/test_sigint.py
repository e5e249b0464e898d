"""Tests for siteopt.sigint: Ctrl-C still reaches Python after every CP-SAT solve."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SOLVES = {
    "direct": (
        "from ortools.sat.python import cp_model\n"
        "from siteopt.sigint import solve_keeping_sigint\n"
        "model = cp_model.CpModel()\n"
        "model.minimize(model.new_int_var(0, 5, 'x'))\n"
        "assert solve_keeping_sigint(cp_model.CpSolver(), model) == cp_model.OPTIMAL\n"
    ),
    "roster": (
        "from tests.queueing.test_roster import MENU, weekly_curve\n"
        "from siteopt.queueing.shifts import roster_week\n"
        "roster_week(weekly_curve(2, 6), MENU)\n"
    ),
}


@pytest.mark.parametrize("solve", sorted(SOLVES))
def test_ctrl_c_after_a_cp_sat_solve_raises_keyboard_interrupt(solve: str) -> None:
    """OR-Tools leaves SIGINT at the system default: Ctrl-C then killed the process (rc -2).

    ``signal.getsignal`` still reports Python's handler then, so only a real signal shows it.
    The roster's solve lacked the restore until #16's follow-up.
    """
    script = SOLVES[solve] + (
        "import os, signal, time\n"
        "try:\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    time.sleep(5)\n"
        "except KeyboardInterrupt:\n"
        "    print('interrupted')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=Path(__file__).parents[1],
    )
    assert (done.returncode, done.stdout) == (0, "interrupted\n"), done.stderr

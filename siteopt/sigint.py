"""Run CP-SAT without losing Ctrl-C: OR-Tools leaves SIGINT at the system default after a solve."""

from __future__ import annotations

import signal
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ortools.sat.python import cp_model

__all__ = ["solve_keeping_sigint"]


def solve_keeping_sigint(solver: cp_model.CpSolver, model: cp_model.CpModel) -> int:
    """Return ``solver.solve(model)``'s status, then give Ctrl-C back to Python's handler.

    Without this, a Ctrl-C after a solve killed the process outright: no cleanup of an output
    staging folder, no message, exit -2 (#16 item 6). Only the main thread may set handlers.
    """
    handler = signal.getsignal(signal.SIGINT)
    try:
        return int(solver.solve(model))
    finally:
        if handler is not None and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, handler)  # reinstalls Python's own C-level handler

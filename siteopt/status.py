"""One status vocabulary for every solver siteopt runs: :class:`Status`.

The optimiser (enumeration, CP-SAT), the location models, sweep rows, the JSON output contract
and the terminal all speak of the same four outcomes, with the same strings. Where a solution
was found without a proof, the proven relative gap goes next to the status
(:func:`status_note` says both in words).
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Status", "status_note"]


class Status(StrEnum):
    """The outcome of a solve.

    ``OPTIMAL``: a solution and the proof that none is better. ``FEASIBLE``: a solution, but the
    search stopped (time limit) before proving it optimal; its gap says how far from proven.
    ``INFEASIBLE``: the proof that no solution exists. ``UNKNOWN``: the search stopped before
    finding a solution or proving that none exists.
    """

    OPTIMAL = "OPTIMAL"
    FEASIBLE = "FEASIBLE"
    INFEASIBLE = "INFEASIBLE"
    UNKNOWN = "UNKNOWN"

    @property
    def found(self) -> bool:
        """Whether a solution was found (``OPTIMAL`` or ``FEASIBLE``)."""
        return self in (Status.OPTIMAL, Status.FEASIBLE)

    @property
    def proven(self) -> bool:
        """Whether the outcome is proven (``OPTIMAL`` or ``INFEASIBLE``)."""
        return self in (Status.OPTIMAL, Status.INFEASIBLE)


def status_note(status: Status, gap: float | None) -> str:
    """Return what a status (and its gap) means, in words for a report or a terminal.

    Parameters
    ----------
    status
        The outcome of the solve.
    gap
        Proven relative gap of the solution found, ``(cost - bound) / cost``; used with
        ``FEASIBLE`` only.

    Returns
    -------
    str
        For example ``"proved optimal"`` or ``"not proven optimal, gap 1.25 %"``.
    """
    if status is Status.OPTIMAL:
        return "proved optimal"
    if status is Status.FEASIBLE:
        shown = f"gap {100 * gap:.2f} %" if gap is not None else "gap unknown"
        return f"not proven optimal, {shown}"
    if status is Status.INFEASIBLE:
        return "proved infeasible"
    return "no solution found, none proven impossible"

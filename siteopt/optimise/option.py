"""One priced option: open sites, routing, who goes where, seats, agents, costs, failures.

Both exact solvers (:mod:`siteopt.optimise.options`, :mod:`siteopt.optimise.cpsat`) return
:class:`Option`; the constraints (:mod:`siteopt.optimise.constraints`) evaluate and describe
themselves on one.
"""

from __future__ import annotations

from dataclasses import dataclass

from siteopt.optimise.arrays import IntArray, Routing

__all__ = ["CAPACITY", "Option"]


#: Name under which an option that needs more seats than a building holds is reported.
CAPACITY = "seat capacity"


@dataclass(frozen=True, eq=False)
class Option:
    """One priced configuration: open sites, routing, who goes where, seats and agents.

    Attributes
    ----------
    sites
        Indices of the open sites.
    routing
        ``"pooled"`` or ``"by_force"``.
    assignment
        Open site (index) whose room each force's staff move to; by force, also where its
        calls go.
    seats
        Seats at each open site (same order as ``sites``).
    agents
        Agents per open site and interval, ``(len(sites), T)``.
    costs
        Cost components in money units a year: ``sites``, ``seats``, ``staff``, ``merge``,
        ``standby``, ``transition``.
    failed
        Names of the constraints the option breaks (empty when feasible).
    """

    sites: tuple[int, ...]
    routing: Routing
    assignment: tuple[int, ...]
    seats: tuple[int, ...]
    agents: IntArray
    costs: dict[str, int]
    failed: tuple[str, ...]

    @property
    def total(self) -> int:
        """Total cost a year in money units."""
        return sum(self.costs.values())

    @property
    def feasible(self) -> bool:
        """Whether the option meets every constraint and fits its buildings."""
        return not self.failed

    def room_groups(self) -> tuple[int, ...]:
        """Bit mask of the forces whose staff go to each open site (same order as ``sites``).

        By force (two or more rooms), also the forces whose calls each room answers.
        """
        return tuple(
            sum(1 << f for f, j in enumerate(self.assignment) if j == site) for site in self.sites
        )

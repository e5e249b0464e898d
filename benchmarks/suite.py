"""The one benchmark suite: every speed claim of siteopt measured side by side with its peer.

Each ``benchmarks/bench_*.py`` module that takes part exposes ``suite_rows(repeats: int) ->
list[SuiteRow]``; ``python -m benchmarks`` collects them into ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SuiteRow:
    """One measured task: siteopt's median time against its peer's on the same input."""

    task: str
    siteopt_s: float
    peer: str
    peer_s: float | None
    same_answer: bool | None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """Peer time over siteopt time (above 1: siteopt is faster)."""
        if self.peer_s is None or self.siteopt_s <= 0:
            return None
        return self.peer_s / self.siteopt_s

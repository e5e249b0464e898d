"""p-median: Lagrangian branch and bound started from greedy + interchange; the Elloumi MIP.

``auto`` runs an anytime exact search (:class:`_Search`):

1. a start: greedy additions then fast interchange (:mod:`~siteopt.location.interchange`);
2. the root: subgradient ascent on the Lagrangian bound of the radius formulation
   (:mod:`~siteopt.location.lagrangian`), its S* tried as a start, reduced-cost fixing that
   removes the sites no better solution opens (the lists are rebuilt on the survivors, so each
   round is cheaper), the radius doubled where a cap holds the bound down;
3. best-first branch and bound on "site j open / closed", each node warm-started from its
   parent's multipliers, with fixing at every node and complete enumeration once a node has
   few enough site sets left.

At the deadline it returns the best set found and the smallest bound of the open nodes.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from siteopt.location.base import (
    STOPPED,
    Deadline,
    _best_by_enumeration,
    _enumerated,
    _Found,
    _milp_sites,
    _nearest_of,
    _weighted,
)
from siteopt.location.coverage import _hitting_set
from siteopt.location.interchange import (
    greedy,
    interchange,
    row_chunks,
    set_cost,
    unreachable_penalty,
)
from siteopt.location.lagrangian import NearLists, Relaxed, ascend, fixings, near_lists, proves
from siteopt.location.matrix import LocateError
from siteopt.status import Status

if TYPE_CHECKING:
    from siteopt.location.matrix import CostMatrix


FloatArray = npt.NDArray[np.float64]


IntArray = npt.NDArray[np.int64]


BoolArray = npt.NDArray[np.bool_]


METHOD = "Lagrangian branch and bound"


_LOG = logging.getLogger(__name__)


# A node (or the root) with at most this many site sets × demand points is enumerated.
NODE_ENUMERATION_CELLS = 12_000_000


# Lists hold at most this many cells (12 bytes each) before the radius is cut.
LIST_CELLS = 40_000_000


# The Elloumi MIP is refused above this many level rows (HiGHS needs ~0.7 kB a row).
MIP_LEVEL_ROWS = 3_000_000


ROOT_ROUND = 60
ROOT_SMALLEST_STEP = 0.005
NODE_ITERATIONS = 60


# Share of the time the Lagrangian heuristic's interchanges may take.
HEURISTIC_SHARE = 0.25


def _solve_pmedian(
    matrix: CostMatrix, p: int | None, _within: float | None, method: str, deadline: Deadline
) -> _Found:
    assert p is not None
    times, w = _weighted(matrix)
    if not len(w):
        return _Found(tuple(range(p)), Status.OPTIMAL, "trivial (no weighted demand)")
    if method == "mip":
        return _with_heuristic_start(_pmedian_mip(times, w, p, deadline), times, w, p, deadline)
    if method == "enumerate":
        columns = np.ascontiguousarray(times.T)
        chosen, value, complete = _best_by_enumeration(
            lambda c: _nearest_of(columns, c) @ w, times.shape[1], p, len(w), deadline
        )
        return _enumerated(chosen, value, complete, _all_open_bound(times, w))
    return _Search(times, w, p, deadline).run()


def _with_heuristic_start(
    found: _Found, times: FloatArray, w: FloatArray, p: int, deadline: Deadline
) -> _Found:
    """A MIP stopped by the time limit: keep the better of its answer and greedy + interchange."""
    if found.status.proven:
        return found
    penalty = unreachable_penalty(times, w)
    start = interchange(times, w, greedy(times, w, p, penalty), penalty, deadline=deadline)
    bound = found.bound if found.bound is not None else _all_open_bound(times, w)
    name = found.method.split(":")[0]
    if found.chosen and set_cost(times, w, list(found.chosen)) <= set_cost(times, w, start):
        return _Found(found.chosen, Status.FEASIBLE, f"{name}: {STOPPED}", bound)
    if not math.isfinite(set_cost(times, w, start)):
        return found
    return _Found(tuple(start), Status.FEASIBLE, f"greedy + interchange ({name} {STOPPED})", bound)


def _all_open_bound(times: FloatArray, w: FloatArray) -> float:
    """Σ wᵢ minⱼ tᵢⱼ: the cost with every candidate open, a lower bound for any p."""
    return sum(float(w[rows] @ times[rows].min(axis=1)) for rows in row_chunks(*times.shape))


def _reach_counts(times: FloatArray) -> IntArray:
    """Per demand point, the number of candidates it can reach."""
    counts = np.empty(len(times), dtype=np.int64)
    for rows in row_chunks(*times.shape):
        counts[rows] = np.isfinite(times[rows]).sum(axis=1)
    return counts


def _radius(m: int, p: int, n: int) -> int:
    """How many nearest candidates each point lists at first (about 3 sites' worth of area)."""
    return max(1, min(m, math.ceil(3 * m / p) + 8, LIST_CELLS // max(n, 1)))


@dataclass(order=True)
class _Node:
    """A subproblem: sites fixed open and closed (positions in the search's columns)."""

    bound: float
    seq: int
    opened: BoolArray = field(compare=False)
    free: BoolArray = field(compare=False)
    lam: FloatArray = field(compare=False)


class _Search:
    """Anytime exact p-median search (see the module docstring)."""

    def __init__(self, times: FloatArray, w: FloatArray, p: int, deadline: Deadline) -> None:
        self.times, self.w, self.p, self.deadline = times, w, p, deadline
        n, m = times.shape
        self.columns: IntArray = np.arange(m)
        self.best: list[int] = []
        self.best_value = math.inf
        self.penalty = 0.0
        self.bound = -math.inf
        self.nodes = 0
        self.lists: NearLists | None = None
        self.tried: set[tuple[int, ...]] = set()
        self.heuristic_s = 0.0
        self.k = _radius(m, p, n)
        self.started = time.perf_counter()

    def _log(self, phase: str) -> None:
        """One debug line: phase, seconds, incumbent, bound, gap and sites left."""
        if _LOG.isEnabledFor(logging.DEBUG):
            gap = (self.best_value - self.bound) / self.best_value if self.best_value else 0.0
            _LOG.debug(
                "%s at %.2f s: incumbent %.8g, bound %.8g, gap %.4f %%, %d sites left, %d nodes",
                phase, time.perf_counter() - self.started, self.best_value, self.bound,
                100 * gap, len(self.columns), self.nodes,
            )  # fmt: skip

    # -- results -----------------------------------------------------------------------------

    def _found(self, *, proven: bool) -> _Found:
        method = METHOD
        if self.nodes:
            method += f" ({self.nodes} node{'s' if self.nodes > 1 else ''})"
        if not math.isfinite(self.best_value):
            return _Found((), Status.UNKNOWN, f"{method}: {STOPPED}")
        chosen = tuple(sorted(self.best))
        if proven:
            return _Found(chosen, Status.OPTIMAL, method)
        bound = min(max(self.bound, 0.0), self.best_value)
        return _Found(chosen, Status.FEASIBLE, f"{method}: {STOPPED}", bound)

    def _offer(self, chosen: list[int] | IntArray) -> bool:
        """Keep a site set (global numbers) when it beats the incumbent; whether it did."""
        assert len(chosen) == self.p, (len(chosen), self.p)
        value = set_cost(self.times, self.w, chosen)
        if value < self.best_value:
            self.best, self.best_value = sorted(int(j) for j in chosen), value
            return True
        return False

    # -- phases ------------------------------------------------------------------------------

    def run(self) -> _Found:
        """Search until proven or the deadline; the best set with its status and bound."""
        m = self.times.shape[1]
        p = self.p
        reach = _reach_counts(self.times)
        if (reach == 0).any():
            return _Found((), Status.INFEASIBLE, f"{METHOD}: a demand point reaches no site")
        if p == m:
            self._offer(list(range(m)))
            return self._found(proven=True)
        self.bound = _all_open_bound(self.times, self.w)
        if self._enumerable(m, p):
            return self._enumerate_all()
        self.penalty = unreachable_penalty(self.times, self.w)
        start = greedy(self.times, self.w, p, self.penalty)
        self._offer(interchange(self.times, self.w, start, self.penalty, deadline=self.deadline))
        self._log("greedy + interchange")
        if not math.isfinite(self.best_value) and not self._feasible_start(reach):
            if self.deadline.passed():
                return self._found(proven=False)
            return _Found((), Status.INFEASIBLE, f"{METHOD}: no {p} sites reach every point")
        if proves(self.bound, self.best_value):
            return self._found(proven=True)
        root = self._root()
        if root is None:
            return self._found(proven=not self.deadline.passed())
        return self._branch_and_bound(root)

    def _enumerable(self, f: int, r: int) -> bool:
        return math.comb(f, r) * len(self.w) <= NODE_ENUMERATION_CELLS

    def _enumerate_all(self) -> _Found:
        columns = np.ascontiguousarray(self.times.T)
        chosen, value, complete = _best_by_enumeration(
            lambda c: _nearest_of(columns, c) @ self.w,
            self.times.shape[1],
            self.p,
            len(self.w),
            self.deadline,
        )
        found = _enumerated(chosen, value, complete, self.bound)
        return _Found(found.chosen, found.status, f"{METHOD}: {found.method}", found.bound)

    def _feasible_start(self, reach: IntArray) -> bool:
        """Find p sites reaching every point (exhaustive search); interchange from them."""
        m = self.times.shape[1]
        if (reach >= m - self.p + 1).all():
            return True  # every p-set reaches every point
        patterns = np.unique(np.isfinite(self.times), axis=0)
        hit = _hitting_set(patterns, self.p, self.deadline)
        if not hit.chosen:
            return False
        padded = [*hit.chosen, *(j for j in range(m) if j not in hit.chosen)][: self.p]
        self._offer(padded)
        self._offer(interchange(self.times, self.w, padded, self.penalty, deadline=self.deadline))
        return math.isfinite(self.best_value)

    def _build_lists(self) -> NearLists:
        columns = None if len(self.columns) == self.times.shape[1] else self.columns
        k = min(self.k, len(self.columns))
        if len(self.columns) * len(self.w) <= LIST_CELLS // 4:
            k = len(self.columns)  # small enough to list everything: no caps
        self.lists = near_lists(self.times, self.w, k, columns)
        return self.lists

    def _start_lam(self) -> FloatArray:
        """Multipliers to start from: each point's weighted time to the incumbent's nearest."""
        lam: FloatArray = self.w * self.times[:, self.best].min(axis=1)
        return np.where(np.isfinite(lam), lam, 0.0)

    def _root(self) -> _Node | None:
        """Ascent, heuristic, fixing and list rebuilding at the root; the node to branch on.

        Rounds of :data:`ROOT_ROUND` ascent iterations, each followed by the Lagrangian
        heuristic and fixing; the lists are rebuilt on the surviving sites whenever a quarter
        of them went (or, with the radius doubled, when caps hold λ down). The root ends when
        the step factor falls below :data:`ROOT_SMALLEST_STEP`. ``None`` when the root already
        settles the search (proven, or the deadline passed).
        """
        lists = self._build_lists()
        m = len(self.columns)
        opened = np.zeros(m, dtype=bool)
        free = np.ones(m, dtype=bool)
        lam = self._start_lam()
        step = 2.0
        while step >= ROOT_SMALLEST_STEP:
            asc = ascend(
                lists, lam, opened=opened, free=free, p=self.p, incumbent=self.best_value,
                deadline=self.deadline, iterations=ROOT_ROUND, step=step,
                smallest_step=ROOT_SMALLEST_STEP,
            )  # fmt: skip
            lam, step = asc.lam, asc.step
            self.bound = max(self.bound, asc.bound)
            self._log(f"root ascent ({asc.iterations} iterations, step {step:.3g})")
            self._try_relaxed(asc.relaxed)
            self._log("root heuristic")
            if proves(self.bound, self.best_value) or self.deadline.passed():
                return None
            closed, fixed_open = fixings(asc.relaxed, free, self.best_value)
            free[closed] = False
            opened[fixed_open] = True
            free[fixed_open] = False
            capped = bool(((lam >= lists.cap) & (asc.relaxed.covered == 0)).any())
            keep = opened | free
            if keep.sum() < 0.75 * m or (capped and lists.cost.shape[1] < m):
                if capped:
                    self.k = min(2 * self.k, m)
                self.columns = self.columns[keep]
                opened, free = opened[keep], free[keep]
                lists = self._build_lists()
                m = len(self.columns)
        return _Node(self.bound, 0, opened, free, lam)

    def _try_relaxed(self, relaxed: Relaxed) -> None:
        """Lagrangian heuristic: interchange from S* (each S* once), among the surviving sites.

        Interchange is skipped while it has taken more than :data:`HEURISTIC_SHARE` of the
        time so far (S* itself is still offered).
        """
        chosen = tuple(sorted(self.columns[relaxed.chosen].tolist()))
        if len(chosen) != self.p or chosen in self.tried or self.deadline.passed():
            return
        self.tried.add(chosen)
        self._offer(list(chosen))
        if self.heuristic_s > HEURISTIC_SHARE * (time.perf_counter() - self.started):
            return
        began = time.perf_counter()
        self._interchange_from(chosen)
        self.heuristic_s += time.perf_counter() - began

    def _interchange_from(self, chosen: tuple[int, ...]) -> None:
        m = self.times.shape[1]
        if len(self.columns) <= m // 2:  # a copy of the surviving columns is small
            local = {int(j): k for k, j in enumerate(self.columns)}
            sub = self.times[:, self.columns]
            start = [local[j] for j in chosen]
            better = interchange(sub, self.w, start, self.penalty, deadline=self.deadline)
            self._offer(self.columns[better])
        else:
            self._offer(
                interchange(self.times, self.w, list(chosen), self.penalty, deadline=self.deadline)
            )

    # -- branch and bound --------------------------------------------------------------------

    def _branch_and_bound(self, root: _Node) -> _Found:
        heap: list[_Node] = [root]
        seq = itertools.count(1)
        while heap:
            self.bound = max(self.bound, heap[0].bound)
            if proves(self.bound, self.best_value):
                return self._found(proven=True)
            if self.deadline.passed():
                return self._found(proven=False)
            node = heapq.heappop(heap)
            if self.nodes % 50 == 0:
                self._log(f"branch and bound ({len(heap)} open)")
            if proves(node.bound, self.best_value):
                continue
            for child in self._expand(node):
                child.seq = next(seq)
                heapq.heappush(heap, child)
            if self.deadline.passed() and self.nodes:
                # the node may be half-done: its own bound still holds for what is left
                self.bound = min([node.bound, *(n.bound for n in heap)], default=self.best_value)
                return self._found(proven=False)
        self.bound = self.best_value
        return self._found(proven=True)

    def _expand(self, node: _Node) -> list[_Node]:
        """Bound, fix and enumerate or branch one node; its children still worth a look."""
        self.nodes += 1
        opened, free = node.opened.copy(), node.free.copy()
        r = self.p - int(opened.sum())
        if r < 0 or int(free.sum()) < r:
            return []
        if r == 0 or int(free.sum()) == r:
            self._offer(self.columns[opened if r == 0 else opened | free])
            return []
        if self._enumerable(int(free.sum()), r):
            return self._enumerate_node(node, opened, free, r)
        assert self.lists is not None
        asc = ascend(
            self.lists, node.lam, opened=opened, free=free, p=self.p, incumbent=self.best_value,
            deadline=self.deadline, iterations=NODE_ITERATIONS, step=0.5, patience=8,
        )  # fmt: skip
        bound = max(node.bound, asc.bound)
        self._offer(self.columns[asc.relaxed.chosen])
        if proves(bound, self.best_value):
            return []
        closed, fixed_open = fixings(asc.relaxed, free, self.best_value)
        free[closed] = False
        opened[fixed_open] = True
        free[fixed_open] = False
        if closed.size or fixed_open.size:
            return [_Node(bound, 0, opened, free, asc.lam)]
        return self._branch(asc.relaxed, bound, opened, free, asc.lam)

    def _branch(
        self, relaxed: Relaxed, bound: float, opened: BoolArray, free: BoolArray, lam: FloatArray
    ) -> list[_Node]:
        """Two children on the free site of S* whose closing raises L the most."""
        inside = relaxed.order[: relaxed.r]
        outside = relaxed.order[relaxed.r :]
        first_out = relaxed.rho[outside[0]] if len(outside) else math.inf
        lifts = relaxed.value - relaxed.rho[inside] + first_out
        j = int(inside[int(np.argmax(lifts))])
        with_j, without_j = opened.copy(), free.copy()
        with_j[j] = True
        free_with = free.copy()
        free_with[j] = False
        without_j[j] = False
        children = [_Node(bound, 0, with_j, free_with, lam)]
        closed_bound = max(bound, float(lifts.max()))
        if not proves(closed_bound, self.best_value):
            children.append(_Node(closed_bound, 0, opened, without_j, lam))
        return children

    def _enumerate_node(
        self, node: _Node, opened: BoolArray, free: BoolArray, r: int
    ) -> list[_Node]:
        """Score every choice of ``r`` free sites with the open ones; keep the node if cut off."""
        fixed = self.columns[opened]
        base = self.times[:, fixed].min(axis=1) if len(fixed) else np.full(len(self.w), np.inf)
        free_sites = self.columns[free]
        site_rows = np.ascontiguousarray(self.times[:, free_sites].T)

        def score(chunk: IntArray) -> FloatArray:
            out: FloatArray = np.minimum(_nearest_of(site_rows, chunk), base) @ self.w
            return out

        chosen, value, complete = _best_by_enumeration(
            score, len(free_sites), r, len(self.w), self.deadline
        )
        if chosen and math.isfinite(value):
            self._offer([*fixed.tolist(), *free_sites[list(chosen)].tolist()])
        return [] if complete else [node]


def _pmedian_mip(times: FloatArray, w: FloatArray, p: int, deadline: Deadline) -> _Found:
    """Elloumi's formulation with chained level variables, built with numpy.

    For demand point ``i`` with distinct sorted times D⁰ < D¹ < … (up to its (m−p+1)-th nearest
    candidate), ``z[i, l]`` = 1 when no site within Dˡ is open; cost wᵢ (Dˡ⁺¹ − Dˡ). Constraints:
    z[i, 0] + Σ_{tᵢⱼ = D⁰} yⱼ ≥ 1 and z[i, l] − z[i, l−1] + Σ_{tᵢⱼ = Dˡ} yⱼ ≥ 0. Refused (one
    clear error) above :data:`MIP_LEVEL_ROWS` level rows: HiGHS would need gigabytes.
    """
    from scipy.sparse import coo_matrix  # noqa: PLC0415 (lazy: scipy is slow to import)

    n, m = times.shape
    if n * (m - p + 1) > MIP_LEVEL_ROWS:
        msg = (
            f"pmedian: method mip: the Elloumi MIP of {n:,} weighted demand points × {m:,} "
            f"candidates has up to "
            f"{n * (m - p + 1):,} level rows, above the cap of {MIP_LEVEL_ROWS:,} (HiGHS would "
            "need several GB); use method auto (Lagrangian branch and bound, any size)"
        )
        raise LocateError(msg)
    order = np.argsort(times, axis=1, kind="stable")
    ranked = np.take_along_axis(times, order, axis=1)
    cap = ranked[:, m - p]
    kept = ranked <= cap[:, None]
    new_level = np.ones((n, m), dtype=bool)
    new_level[:, 1:] = ranked[:, 1:] != ranked[:, :-1]
    level = np.cumsum(new_level, axis=1) - 1
    levels = level[np.arange(n), kept.sum(axis=1) - 1] + 1  # distinct kept levels per point
    values = np.full((n, m), np.inf)
    at = kept & new_level
    values[np.nonzero(at)[0], level[at]] = ranked[at]
    if not np.isfinite(values[:, 0]).all():
        return _Found((), Status.INFEASIBLE, "HiGHS MIP (Elloumi)")
    n_z = levels - 1
    row_start = np.concatenate([[0], np.cumsum(n_z)[:-1]])
    rows = int(n_z.sum())
    point = np.repeat(np.arange(n), n_z)
    lvl = np.arange(rows) - row_start[point]
    gap = values[point, lvl + 1] - values[point, lvl]
    to_inf = ~np.isfinite(gap)  # next level unreachable: this z must be 0 (a site must be open)
    cost = np.concatenate([np.zeros(m), np.where(to_inf, 0.0, w[point] * gap)])
    upper = np.concatenate([np.ones(m), np.where(to_inf, 0.0, 1.0)])
    y_entries = kept & (level < (levels - 1)[:, None])
    yi, yk = np.nonzero(y_entries)
    r_idx = [np.arange(rows), np.nonzero(lvl > 0)[0], row_start[yi] + level[yi, yk]]
    c_idx = [m + np.arange(rows), m + np.nonzero(lvl > 0)[0] - 1, order[yi, yk]]
    vals = [np.ones(rows), -np.ones(int((lvl > 0).sum())), np.ones(len(yi))]
    # the cardinality row Σ y = p
    r_idx.append(np.full(m, rows))
    c_idx.append(np.arange(m))
    vals.append(np.ones(m))
    a = coo_matrix(
        (np.concatenate(vals), (np.concatenate(r_idx), np.concatenate(c_idx))),
        shape=(rows + 1, m + rows),
    ).tocsr()
    lower = np.concatenate([np.where(lvl == 0, 1.0, 0.0), [p]])
    upper_rows = np.concatenate([np.full(rows, np.inf), [p]])
    integrality = np.concatenate([np.ones(m), np.zeros(rows)])
    nearest = float(w @ values[:, 0])  # Σ wᵢ D⁰ᵢ: the constant the z costs are added to
    return _milp_sites(
        cost,
        a=a,
        lower=lower,
        upper_rows=upper_rows,
        upper_vars=upper,
        integrality=integrality,
        m=m,
        limit=deadline.remaining(),
        name="Elloumi",
        to_model=lambda dual: nearest + dual,
    )

"""Large p-median: siteopt's anytime Lagrangian branch and bound against spopt + HiGHS.

Run ``python -m benchmarks.bench_locate_scale`` (writes ``benchmarks/RESULTS-locate-scale.md``)
or ``python -m benchmarks --only locate_scale`` (rows in ``benchmarks/RESULTS.md``). Cases:

- synthetic regions (:mod:`benchmarks.synthetic`, seed 1): 5,000 × 200 with p = 5 and 10;
  35,000 × 500 with p = 10 and 43;
- the national matrix (issue 20): 34,753 LSOA demand points × the 416 OpenStreetMap police
  points of the ``england-wales`` dataset, drive minutes on its network, mid-2019 population;
  p = 10 and 43;
- reading a 30,000 × 500 cost-matrix CSV.

Every measurement runs in a fresh process, which loads the matrix from a ``.npy`` file made
once beforehand (so neither side pays for building it) and reports its wall times and peak
resident memory. siteopt: ``locate(matrix, "pmedian", p=p, time_limit=60)``. The peer: spopt's
``PMedian.from_cost_matrix`` (model build, timed apart) then ``solve(pulp.HiGHS(timeLimit=…))``
with :data:`PEER_LIMIT_S` (:data:`NATIONAL_PEER_LIMIT_S` on the national matrix, issue 20);
the parent watches its memory and stops it above :data:`PEER_MEMORY_GB` or when the build
passes :data:`PEER_BUILD_S`, and the row says so. The machine's load (``/proc/loadavg``)
before and after is written next to the table: it has 2 cores shared with other work.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.suite import SuiteRow, machine
from benchmarks.synthetic import synthetic_matrix
from siteopt.atomic import atomic_write_text

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "RESULTS-locate-scale.md"
LIMIT_S = 60.0
TARGET_GAP = 0.005
TARGET_GB = 2.0
PEER_LIMIT_S = float(os.environ.get("SITEOPT_BENCH_PEER_LIMIT", "60"))
NATIONAL_PEER_LIMIT_S = float(os.environ.get("SITEOPT_BENCH_NATIONAL_PEER_LIMIT", "600"))
PEER_BUILD_S = 600.0
PEER_MEMORY_GB = float(os.environ.get("SITEOPT_BENCH_PEER_MEMORY_GB", "8"))
SEED = 1


@dataclass(frozen=True)
class Case:
    """One p-median benchmark: a matrix (by name) and p."""

    matrix: str
    p: int
    peer_limit_s: float


CASES = [
    Case("synthetic 5,000 × 200", 5, PEER_LIMIT_S),
    Case("synthetic 5,000 × 200", 10, PEER_LIMIT_S),
    Case("synthetic 35,000 × 500", 10, PEER_LIMIT_S),
    Case("synthetic 35,000 × 500", 43, PEER_LIMIT_S),
    Case("national 34,753 × 416", 10, NATIONAL_PEER_LIMIT_S),
    Case("national 34,753 × 416", 43, NATIONAL_PEER_LIMIT_S),
]

_PRELUDE = """
import json, resource, sys, time
import numpy as np
def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
folder = sys.argv[1]
minutes = np.load(folder + "/minutes.npy")
weights = np.load(folder + "/weights.npy")
p, limit = int(sys.argv[2]), float(sys.argv[3])
"""

SITEOPT_CHILD = (
    _PRELUDE
    + """
from siteopt.location.matrix import CostMatrix
from siteopt.location.solve import locate
minutes.setflags(write=False)
weights.setflags(write=False)
n, m = minutes.shape
matrix = CostMatrix(minutes, weights, tuple(map(str, range(n))), tuple(map(str, range(m))), "bench")
start = time.perf_counter()
result = locate(matrix, "pmedian", p=p, time_limit=limit)
wall = time.perf_counter() - start
print(json.dumps({"status": str(result.status), "objective": result.objective,
    "bound": result.bound, "gap": result.gap, "wall_s": wall, "method": result.method,
    "sites": [int(s) for s in result.sites], "peak_mb": peak_mb()}), flush=True)
"""
)

PEER_CHILD = (
    _PRELUDE
    + """
import warnings
warnings.simplefilter("ignore")
import pulp
from spopt.locate import PMedian
start = time.perf_counter()
model = PMedian.from_cost_matrix(minutes, weights, p_facilities=p)
built = time.perf_counter()
print(json.dumps({"phase": "built", "build_s": built - start, "peak_mb": peak_mb()}), flush=True)
try:
    model.solve(pulp.HiGHS(msg=False, timeLimit=limit), results=False)
except RuntimeError:
    pass  # spopt raises when the solver's status is not optimal; the values may still be set
done = time.perf_counter()
chosen = [j for j, var in enumerate(model.fac_vars) if (var.value() or 0) > 0.5]
print(json.dumps({"phase": "solved", "build_s": built - start, "solve_s": done - built,
    "status": pulp.LpStatus[model.problem.status], "sites": chosen,
    "optimal": model.problem.sol_status == pulp.LpSolutionOptimal,
    "peak_mb": peak_mb()}), flush=True)
"""
)

CSV_CHILD = """
import json, resource, sys, time
from pathlib import Path
path, reader = Path(sys.argv[1]), sys.argv[2]
import pandas as pd
from siteopt.location import matrix as matrix_module
start = time.perf_counter()
if reader == "siteopt":
    shape = matrix_module.read_cost_matrix(path).minutes.shape
elif reader == "checked":
    header = matrix_module._header(path)
    shape = matrix_module._read_checked(path, header)[2].shape
else:
    shape = pd.read_csv(path).shape
print(json.dumps({"read_s": time.perf_counter() - start, "shape": list(shape),
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def load_average() -> str:
    """The 1, 5 and 15 minute load averages (2 cores: 2.0 means both busy)."""
    return " / ".join(Path("/proc/loadavg").read_text(encoding="utf-8").split()[:3])


def national_matrix() -> tuple[np.ndarray, np.ndarray]:
    """LSOA × OSM police point drive minutes (england-wales network) and mid-2019 population."""
    from siteopt.data import open_dataset  # noqa: PLC0415 (lazy: the dataset is large)
    from siteopt.network.points import Points, lsoa_points  # noqa: PLC0415 (lazy: see above)
    from siteopt.network.sources import embedded_network  # noqa: PLC0415 (lazy: see above)
    from siteopt.network.travel import travel_times  # noqa: PLC0415 (lazy: see above)

    dataset = open_dataset("england-wales")
    homes, populations = lsoa_points(dataset)
    sites = list(dataset.sites.values())
    targets = Points(
        tuple(s.id for s in sites),
        np.array([s.x for s in sites]),
        np.array([s.y for s in sites]),
    )
    minutes = travel_times(embedded_network(dataset), homes, targets).minutes
    return np.asarray(minutes, dtype=np.float64), populations[:, 1]


def prepare(name: str, folder: Path) -> Path:
    """Write the named matrix as ``minutes.npy`` + ``weights.npy``; return its folder."""
    out = folder / name.replace(" ", "-").replace(",", "").replace("×", "x")
    if (out / "minutes.npy").exists():
        return out
    out.mkdir(parents=True, exist_ok=True)
    if name.startswith("national"):
        minutes, weights = national_matrix()
    else:
        n, m = (int(v.replace(",", "")) for v in name.split()[1::2])
        matrix = synthetic_matrix(n, m, SEED)
        minutes, weights = np.asarray(matrix.minutes), np.asarray(matrix.weights)
    np.save(out / "minutes.npy", minutes)
    np.save(out / "weights.npy", weights)
    return out


def resident_mb(pid: int) -> float | None:
    """A process's resident memory (MB) from ``/proc``; ``None`` once it has ended."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_child(
    code: str, args: list[str], *, memory_gb: float, phase_limits: dict[str, float]
) -> dict[str, Any]:
    """Run a Python snippet in a fresh process; stop it above ``memory_gb`` or a phase's time.

    ``phase_limits`` maps the phase the child is in (``start`` until its first JSON line,
    then the line's ``phase``) to the seconds it may stay there. Returns the last JSON line
    with ``stopped`` (why the parent stopped it, or ``None``), ``peak_watched_mb`` and
    ``process_s`` added.
    """
    env = {"PYTHONPATH": str(ROOT), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    with tempfile.TemporaryFile(mode="w+") as out, tempfile.TemporaryFile(mode="w+") as err:
        child = subprocess.Popen(
            [sys.executable, "-c", code, *args], stdout=out, stderr=err, text=True, cwd=ROOT,
            env=env,
        )  # fmt: skip
        start = phase_start = time.perf_counter()
        phase, peak, stopped = "start", 0.0, None
        last: dict[str, Any] = {}
        while child.poll() is None:
            time.sleep(0.25)
            rss = resident_mb(child.pid)
            if rss is None:
                break
            peak = max(peak, rss)
            out.seek(0)
            lines = [line for line in out.read().splitlines() if line.startswith("{")]
            if lines and json.loads(lines[-1]).get("phase", phase) != phase:
                phase, phase_start = json.loads(lines[-1])["phase"], time.perf_counter()
            if rss > memory_gb * 1024:
                stopped = f"stopped above {memory_gb:g} GB while in phase {phase!r}"
            elif time.perf_counter() - phase_start > phase_limits.get(phase, float("inf")):
                stopped = f"stopped after {phase_limits[phase]:.0f} s in phase {phase!r}"
            if stopped:
                child.kill()
                break
        child.wait()
        out.seek(0)
        lines = [line for line in out.read().splitlines() if line.startswith("{")]
        if lines:
            last = json.loads(lines[-1])
        if child.returncode not in (0, None) and not stopped:
            err.seek(0)
            tail = err.read().strip().splitlines()[-1:] or ["(no message)"]
            stopped = f"failed: {tail[0][:160]}"
    last.update(stopped=stopped, peak_watched_mb=peak, process_s=time.perf_counter() - start)
    return last


def objective(folder: Path, sites: list[int]) -> float:
    """Σ w × time to the nearest of ``sites``, computed here for both tools."""
    minutes = np.load(folder / "minutes.npy", mmap_mode="r")
    weights = np.load(folder / "weights.npy")
    return float(weights @ np.asarray(minutes[:, sites]).min(axis=1))


def measure(case: Case, folder: Path) -> dict[str, Any]:
    """Both tools on one case."""
    data = prepare(case.matrix, folder)
    args = [str(data), str(case.p)]
    load = load_average().split(" / ")[0]
    ours = run_child(
        SITEOPT_CHILD, [*args, str(LIMIT_S)], memory_gb=PEER_MEMORY_GB,
        phase_limits={"start": LIMIT_S + 120},
    )  # fmt: skip
    peer = run_child(
        PEER_CHILD, [*args, str(case.peer_limit_s)], memory_gb=PEER_MEMORY_GB,
        phase_limits={"start": PEER_BUILD_S, "built": case.peer_limit_s + 300},
    )  # fmt: skip
    if peer.get("sites") and len(peer["sites"]) == case.p:
        peer["objective"] = objective(data, peer["sites"])
    return {"case": case, "ours": ours, "peer": peer, "load": load}


def _peer_words(peer: dict[str, Any], case: Case) -> str:
    if peer.get("phase") == "solved":
        what = "proven optimal" if peer["optimal"] else f"HiGHS status {peer['status']}"
        value = f", objective {peer['objective']:,.6g}" if "objective" in peer else ", no solution"
        return (
            f"built in {peer['build_s']:.0f} s, {what}{value} after {peer['solve_s']:.0f} s "
            f"(limit {case.peer_limit_s:g} s), peak {peer['peak_mb']:,.0f} MB"
        )
    where = peer.get("stopped") or "no output"
    if peer.get("phase") == "built":
        where += f" (model built in {peer['build_s']:.0f} s)"
    return f"{where}; peak watched {peer['peak_watched_mb']:,.0f} MB"


def suite_row(result: dict[str, Any]) -> SuiteRow:
    """One RESULTS.md row."""
    case, ours, peer = result["case"], result["ours"], result["peer"]
    peer_s = peer.get("build_s", 0) + peer.get("solve_s", 0) if "objective" in peer else None
    same = None
    if "objective" in peer and ours.get("objective") is not None:
        same = bool(np.isclose(peer["objective"], ours["objective"], rtol=1e-9))
    note = (
        f"one run each; siteopt {ours.get('status')} gap {100 * (ours.get('gap') or 0):.3f} %, "
        f"objective {ours.get('objective') or 0:,.6g}, peak {ours.get('peak_mb', 0):,.0f} MB; "
        f"spopt: {_peer_words(peer, case)}"
    )
    return SuiteRow(
        task=f"pmedian p = {case.p}, {case.matrix}, 60 s limit",
        siteopt_s=float(ours.get("wall_s", ours["process_s"])),
        peer="spopt + HiGHS",
        peer_s=peer_s,
        same_answer=same,
        note=note,
    )


def csv_results(folder: Path) -> dict[str, dict[str, Any]]:
    """Read a 30,000 × 500 CSV by siteopt, by pandas, and by the cell-by-cell checked reader."""
    path = folder / "costs-30000x500.csv"
    if not path.exists():
        import pandas as pd  # noqa: PLC0415 (lazy: pandas is slow to import)

        matrix = synthetic_matrix(30_000, 500, SEED)
        frame = pd.DataFrame(np.round(matrix.minutes, 3), columns=list(matrix.candidate_ids))
        frame.insert(0, "weight", matrix.weights)
        frame.insert(0, "id", list(matrix.demand_ids))
        frame.to_csv(path, index=False)
    return {
        reader: run_child(CSV_CHILD, [str(path), reader], memory_gb=8, phase_limits={})
        for reader in ("siteopt", "pandas", "checked")
    }


def csv_row(read: dict[str, dict[str, Any]]) -> SuiteRow:
    ours, pandas, checked = read["siteopt"], read["pandas"], read["checked"]
    return SuiteRow(
        task="read a 30,000 × 500 cost-matrix CSV (111 MB)",
        siteopt_s=ours["read_s"],
        peer="pandas.read_csv",
        peer_s=pandas["read_s"],
        same_answer=None,
        note=(
            f"peak {ours['peak_mb']:,.0f} MB vs pandas {pandas['peak_mb']:,.0f} MB (process, "
            f"imports included); siteopt's cell-by-cell checked reader (used only to name a "
            f"bad cell): {checked['read_s']:.1f} s, {checked['peak_mb']:,.0f} MB"
        ),
    )


def run_all(folder: Path) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]], str, str]:
    before = load_average()
    results = [measure(case, folder) for case in CASES]
    read = csv_results(folder)
    return results, read, before, load_average()


def suite_rows(repeats: int) -> list[SuiteRow]:
    """Rows of ``python -m benchmarks`` (each case run once: one 60 s anytime search)."""
    del repeats
    folder = Path(tempfile.gettempdir()) / "siteopt-bench-locate-scale"
    results, read, before, after = run_all(folder)
    write_results(results, read, before, after)
    return [*(suite_row(r) for r in results), csv_row(read)]


def table(results: list[dict[str, Any]]) -> list[str]:
    """The markdown table of RESULTS-locate-scale.md."""
    lines = [
        "| matrix | p | siteopt status | gap | objective | s | peak MB | target "
        "| spopt + HiGHS | same answer | spopt s ÷ siteopt s | load before |",
        "|---|---:|---|---:|---:|---:|---:|---|---|---|---:|---:|",
    ]
    for result in results:
        case, ours, peer = result["case"], result["ours"], result["peer"]
        gap = ours.get("gap")
        met = (
            gap is not None
            and gap <= TARGET_GAP
            and ours.get("wall_s", math.inf) <= LIMIT_S + 5
            and ours.get("peak_mb", math.inf) <= TARGET_GB * 1024
        )
        same = "—"
        if "objective" in peer and ours.get("objective") is not None:
            worse = 100 * (peer["objective"] / ours["objective"] - 1)
            same = "yes" if abs(worse) < 1e-7 else f"no (spopt {worse:+.3f} %)"
        ratio = "—"
        if "objective" in peer and ours.get("wall_s"):
            ratio = f"{(peer['build_s'] + peer['solve_s']) / ours['wall_s']:,.1f}×"
        lines.append(
            f"| {case.matrix} | {case.p} | {ours.get('status', ours.get('stopped'))} | "
            f"{100 * (gap or 0):.3f} % | {ours.get('objective') or 0:,.6g} | "
            f"{ours.get('wall_s', ours['process_s']):.1f} | {ours.get('peak_mb', 0):,.0f} | "
            f"{'met' if met else 'missed'} | {_peer_words(peer, case)} | {same} | {ratio} | "
            f"{result['load']} |"
        )
    return lines


def write_results(
    results: list[dict[str, Any]], read: dict[str, dict[str, Any]], before: str, after: str
) -> str:
    """Write RESULTS-locate-scale.md atomically; return its text."""
    row = csv_row(read)
    text = "\n".join(
        [
            "# Large p-median: siteopt against spopt + HiGHS",
            "",
            "`python -m benchmarks.bench_locate_scale` — every run a fresh process that loads "
            "the matrix from a `.npy` file; peak = the process's maximum resident memory. "
            f"siteopt: `locate(..., time_limit={LIMIT_S:g})`, status `OPTIMAL` when proven, "
            "else `FEASIBLE` with its proven gap. Target (issue 21): within the 60 s limit, gap "
            f"≤ {100 * TARGET_GAP:g} %, ≤ {TARGET_GB:g} GB. spopt: `PMedian.from_cost_matrix` then "
            "HiGHS through PuLP with its own time limit "
            f"({PEER_LIMIT_S:g} s synthetic, {NATIONAL_PEER_LIMIT_S:g} s national), stopped "
            f"above {PEER_MEMORY_GB:g} GB or a {PEER_BUILD_S:g} s build. The objectives of both "
            "are recomputed from the matrix.",
            "",
            f"Machine: {machine()}. Load average (1 / 5 / 15 min) before: {before}; after: "
            f"{after} (2 cores shared with other work).",
            "",
            *table(results),
            "",
            "Synthetic matrices: `benchmarks/synthetic.py`, seed 1 (towns with Zipf sizes, "
            "LSOA-like lognormal populations, road circuity and length-dependent speeds). "
            "National: 34,753 LSOAs × the 416 OpenStreetMap police points of `england-wales`, "
            "drive minutes on its network, mid-2019 population.",
            "",
            f"CSV: {row.task}: siteopt {row.siteopt_s:.2f} s, pandas {row.peer_s or 0:.2f} s; "
            f"{row.note}.",
            "",
        ]
    )
    atomic_write_text(RESULTS, text)
    return text


def main() -> int:
    """Run every case and write RESULTS-locate-scale.md."""
    folder = Path(tempfile.gettempdir()) / "siteopt-bench-locate-scale"
    results, read, before, after = run_all(folder)
    sys.stdout.write(write_results(results, read, before, after))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

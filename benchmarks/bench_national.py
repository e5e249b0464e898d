"""National benchmark: the england-wales dataset's network and a 34,753 × ~450 travel matrix, cold.

Run ``python -m benchmarks.bench_national [--shared ../shared/geodata]``; writes
``benchmarks/RESULTS-national.md``. Every measurement runs in a fresh Python process (cold: no
import, no cache) that reports its own wall times and peak resident memory:

1. ``build``: ``python -m geodata.build --dataset england-wales`` into a temporary folder (only
   when the raw inputs are present);
2. ``network``: reading the committed dataset's network files into a ``RoadNetwork``;
3. ``matrix``: drive times from all 34,753 LSOA demand points to 450 candidate points (the 416
   OpenStreetMap police points of the dataset and 34 LSOA points, one per 1,000 LSOAs), by
   :func:`siteopt.network.travel.travel_times` with the cache off.

Targets (issue #20): matrix ≤ 10 s cold and ≤ 2 GB on 2 cores. A check row compares, on the BCH
region, the national mesh's drive times with the BCH dataset's polygon mesh (same SRN).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.suite import SuiteRow, machine
from siteopt.atomic import atomic_write_text

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "RESULTS-national.md"
TARGET_S = 10.0
TARGET_GB = 2.0

_PRELUDE = """
import json, resource, sys, time
start = time.perf_counter()
def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""

NETWORK_CHILD = (
    _PRELUDE
    + """
from siteopt.data import open_dataset
from siteopt.network.sources import embedded_network
imported = time.perf_counter()
network = embedded_network(open_dataset("england-wales"))
done = time.perf_counter()
print(json.dumps({"import_s": imported - start, "network_s": done - imported,
    "total_s": done - start, "nodes": network.n_nodes, "edges": network.n_edges,
    "peak_mb": peak_mb()}))
"""
)

MATRIX_CHILD = (
    _PRELUDE
    + """
import numpy as np
from siteopt.data import open_dataset
from siteopt.network.points import Points, lsoa_points
from siteopt.network.sources import embedded_network
from siteopt.network.travel import travel_times
imported = time.perf_counter()
dataset = open_dataset("england-wales")
network = embedded_network(dataset)
loaded = time.perf_counter()
homes, _ = lsoa_points(dataset)
sites = list(dataset.sites.values())
extra = np.arange(0, len(homes), 1000)[: 450 - len(sites)]
targets = Points(
    tuple(s.id for s in sites) + tuple(homes.ids[i] for i in extra),
    np.concatenate([[s.x for s in sites], homes.x[extra]]),
    np.concatenate([[s.y for s in sites], homes.y[extra]]),
)
ready = time.perf_counter()
times = travel_times(network, homes, targets, cache=False)
done = time.perf_counter()
minutes = times.minutes
print(json.dumps({"import_s": imported - start, "network_s": loaded - imported,
    "points_s": ready - loaded, "matrix_s": done - ready, "total_s": done - start,
    "shape": list(minutes.shape), "unreachable": len(times.unreachable),
    "median_min": float(np.median(minutes)), "max_min": float(np.max(minutes)),
    "peak_mb": peak_mb()}))
"""
)

CHECK_CHILD = (
    _PRELUDE
    + """
import numpy as np
from siteopt.data import open_dataset
from siteopt.network.points import Points, lsoa_points
from siteopt.network.sources import embedded_network
from siteopt.network.travel import travel_times
bch = open_dataset("bch")
rooms = [s for s in bch.sites.values() if s.current_control_room]
targets = Points(tuple(s.id for s in rooms), [s.x for s in rooms], [s.y for s in rooms])
homes, _ = lsoa_points(bch)
old = travel_times(embedded_network(bch), homes, targets, cache=False).minutes
national = open_dataset("england-wales", forces=["bedfordshire", "cambridgeshire", "hertfordshire"])
nat_homes, _ = lsoa_points(national)
new = travel_times(embedded_network(national), nat_homes, targets, cache=False).minutes
order = [nat_homes.ids.index(c) for c in homes.ids]
ratio = new[order] / old
print(json.dumps({"pairs": int(ratio.size), "median_ratio": float(np.median(ratio)),
    "median_abs_pct": float(np.median(np.abs(ratio - 1)) * 100),
    "p90_abs_pct": float(np.percentile(np.abs(ratio - 1), 90) * 100),
    "total_s": time.perf_counter() - start}))
"""
)


def run_child(code: str) -> dict[str, float]:
    """Run a Python snippet in a fresh process (this repository first on the path)."""
    env_path = str(ROOT)
    result = subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "2"},
        cwd=ROOT,
    )
    measured: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return measured


def run_build(shared: Path) -> dict[str, float] | None:
    """Time ``python -m geodata.build --dataset england-wales`` into a temporary folder."""
    if not (shared / "national").is_dir():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        code = (
            _PRELUDE
            + "from geodata.build import main\n"
            + f"main(['--dataset', 'england-wales', '--shared', {str(shared)!r}, "
            + f"'--out', {str(Path(tmp) / 'ew')!r}])\n"
            + "print(json.dumps({'total_s': time.perf_counter() - start, "
            + "'peak_mb': peak_mb()}))\n"
        )
        return run_child(code)


def results_text(
    build: dict[str, float] | None,
    network: dict[str, float],
    matrix: dict[str, float],
    check: dict[str, float],
) -> str:
    """The RESULTS-national.md table."""
    rows = []
    if build is not None:
        rows.append(
            f"| dataset build (`python -m geodata.build --dataset england-wales`) | "
            f"{build['total_s']:.1f} | {build['peak_mb']:,.0f} | — |"
        )
    rows.append(
        f"| network: read {network['nodes']:,} nodes, {network['edges']:,} edges | "
        f"{network['network_s']:.2f} (+{network['import_s']:.2f} imports) | "
        f"{network['peak_mb']:,.0f} | — |"
    )
    shape = " × ".join(f"{n:,}" for n in matrix["shape"])  # type: ignore[attr-defined]
    within = matrix["total_s"] <= TARGET_S and matrix["peak_mb"] <= TARGET_GB * 1024
    rows.append(
        f"| matrix {shape}, cold (imports + network + Dijkstra) | {matrix['total_s']:.2f} "
        f"(Dijkstra + snapping {matrix['matrix_s']:.2f}) | {matrix['peak_mb']:,.0f} | "
        f"{'met' if within else 'missed'} (≤ {TARGET_S:g} s, ≤ {TARGET_GB:g} GB) |"
    )
    return "\n".join(
        [
            "# National benchmark (england-wales)",
            "",
            "`python -m benchmarks.bench_national` — every row a fresh process (cold: imports, "
            "no travel-time cache); peak = the process's maximum resident memory.",
            "",
            f"Machine: {machine()}.",
            "",
            "| task | wall s | peak MB | target |",
            "|---|---|---|---|",
            *rows,
            "",
            f"Matrix: {matrix['unreachable']:.0f} unreachable pairs; median drive time "
            f"{matrix['median_min']:.1f} min, longest {matrix['max_min']:.1f} min. Candidates: the "
            "416 OSM police points and 34 LSOA points (one per 1,000 LSOAs).",
            "",
            "Check on the BCH region ({pairs:,} LSOA → today's room pairs): the national "
            "Delaunay mesh against the BCH dataset's polygon mesh, national / BCH drive time: "
            "median ratio {median_ratio:.3f}, median absolute difference {median_abs_pct:.1f}%, "
            "90th percentile {p90_abs_pct:.1f}% (the two use different demand points: ONS "
            "population-weighted centroids against postcode means).".format(**check),
            "",
        ]
    )


def suite_rows(repeats: int) -> list[SuiteRow]:
    """The national matrix row of the benchmark suite (one cold run; no peer)."""
    del repeats  # a cold run cannot be repeated in one process
    matrix = run_child(MATRIX_CHILD)
    return [
        SuiteRow(
            task="national matrix 34,753 × 450, cold",
            siteopt_s=matrix["total_s"],
            peer="—",
            peer_s=None,
            same_answer=None,
            note=f"peak {matrix['peak_mb']:,.0f} MB; target ≤ {TARGET_S:g} s, ≤ {TARGET_GB:g} GB",
        )
    ]


def main(argv: list[str] | None = None) -> int:
    """Run the national benchmark and write RESULTS-national.md."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_national")
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "geodata")
    args = parser.parse_args(argv)
    build = run_build(args.shared)
    network = run_child(NETWORK_CHILD)
    matrix = run_child(MATRIX_CHILD)
    check = run_child(CHECK_CHILD)
    text = results_text(build, network, matrix, check)
    atomic_write_text(RESULTS, text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

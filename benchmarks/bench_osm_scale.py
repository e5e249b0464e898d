"""County-scale road files: a 1M-node OpenStreetMap extract read, and a 30,000 × 500 matrix on it.

``python -m benchmarks.bench_osm_scale`` writes ``benchmarks/RESULTS-osm-scale.md``. Every row runs
in a fresh process (imports included) and reports its wall time and peak resident memory, side by
side with the approach it replaces, in the same run:

- **read**: :func:`siteopt.network.sources.network_from_osm` (way tags and one WKB line per way
  from libosmium, the split vectorised) against a reader that keeps a Python tuple per node and
  splits ways in a Python loop (siteopt's reader before issue 21, kept here as the baseline);
- **matrix**: :func:`siteopt.network.travel.travel_times` (searches in chunks of ~64 MB, over
  the cores) against one scipy Dijkstra call over every target at once (the previous code).

The extract is synthetic and seeded (:func:`write_grid_extract`): a 450 × 450 street grid with
two shape nodes per block side (1,010,700 nodes, 135,000 ways, one-way rows, speed limits) near
Cambridge, so that its contracted graph (202,500 junctions) is about as dense as a real county's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from siteopt.atomic import atomic_write_text

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "RESULTS-osm-scale.md"
TARGETS = {"read": (8.0, None), "matrix": (60.0, 1.5)}  # seconds, GB (issue 21)

_PRELUDE = """
import json, resource, sys, time
start = time.perf_counter()
def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
def same_roads(net):
    # node numbering differs between readers: compare edges by their ends' places, in metres
    import hashlib
    import numpy as np
    ends = np.rint(np.column_stack([net.x[net.sources], net.y[net.sources], net.x[net.indices],
        net.y[net.indices], net.seconds * 100])).astype(np.int64)
    ends = ends[np.lexsort(ends.T[::-1])]
    return hashlib.sha256(ends.tobytes()).hexdigest()
"""

READ_CHILD = """
from siteopt.network.sources import network_from_osm
net = network_from_osm(sys.argv[1])
print(json.dumps({"total_s": time.perf_counter() - start, "peak_mb": peak_mb(),
    "nodes": net.n_nodes, "edges": net.n_edges, "roads": same_roads(net)}))
"""

# The baseline reader: a Python tuple per node and a Python loop over every node pair.
BASELINE_READ_CHILD = """
import itertools, math
import numpy as np, osmium
from siteopt.network.readers import EdgeList, _drivable, _oneway, parse_maxspeed, to_bng
from siteopt.network.sources import _network_from_file
from siteopt.roadclasses import edge_cap_kph
ways, locations = [], {}
for obj in osmium.FileProcessor(sys.argv[1]).with_locations():
    if not isinstance(obj, osmium.osm.Way):
        continue
    tags = {t.k: t.v for t in obj.tags}
    if not _drivable(tags):
        continue
    refs = []
    for node in obj.nodes:
        if node.location.valid():
            locations[node.ref] = (node.location.lon, node.location.lat)
            refs.append(node.ref)
    if len(refs) >= 2:
        cap = edge_cap_kph(tags["highway"], parse_maxspeed(tags.get("maxspeed")),
                           roundabout=tags.get("junction") in ("roundabout", "circular"))
        name = tags.get("ref") or tags.get("name", "")
        ways.append((refs, tags["highway"], _oneway(tags), name, cap))
uses = {}
for refs, *_ in ways:
    for ref in refs:
        uses[ref] = uses.get(ref, 0) + 1
    uses[refs[0]] += 1
    uses[refs[-1]] += 1
ids = sorted(locations)
index = {ref: i for i, ref in enumerate(ids)}
x, y = to_bng(np.array([locations[r][0] for r in ids]), np.array([locations[r][1] for r in ids]))
src, dst, metres, cls, names, two_way, caps = [], [], [], [], [], [], []
for refs, highway, oneway, name, cap in ways:
    refs = refs if oneway >= 0 else refs[::-1]
    start_node, length = index[refs[0]], 0.0
    for a, b in itertools.pairwise(refs):
        ia, ib = index[a], index[b]
        length += math.hypot(x[ib] - x[ia], y[ib] - y[ia])
        if uses[b] > 1:
            src.append(start_node); dst.append(ib); metres.append(length); cls.append(highway)
            names.append(name); two_way.append(oneway == 0); caps.append(cap)
            start_node, length = ib, 0.0
used = np.unique(np.concatenate([src, dst]))
remap = np.full(len(ids), -1, dtype=np.int64)
remap[used] = np.arange(len(used))
edges = EdgeList(x=x[used], y=y[used], src=remap[np.asarray(src)], dst=remap[np.asarray(dst)],
    metres=np.asarray(metres), road_class=cls, names=names, two_way=np.asarray(two_way),
    cap_kph=np.asarray(caps))
net = _network_from_file(edges, __import__("pathlib").Path(sys.argv[1]), "OpenStreetMap extract",
    None, one_way_data=True)
print(json.dumps({"total_s": time.perf_counter() - start, "peak_mb": peak_mb(),
    "nodes": net.n_nodes, "edges": net.n_edges, "roads": same_roads(net)}))
"""

MATRIX_CHILD = """
import os
import numpy as np
import siteopt.network.travel as travel
from siteopt.network.points import Points
from siteopt.network.sources import network_from_osm
net = network_from_osm(sys.argv[1])
if sys.argv[2] == "baseline":  # one Dijkstra call over every target at once, one process
    travel._CHUNK_BYTES = 2**62
    travel._PARALLEL_WORK = float("inf")
rng = np.random.default_rng(21)
def points(n, prefix):  # homes and sites up to 100 m off a random junction
    at = rng.integers(0, net.n_nodes, n)
    return Points(tuple(f"{prefix}{i}" for i in range(n)), net.x[at] + rng.uniform(-100, 100, n),
                  net.y[at] + rng.uniform(-100, 100, n))
homes, sites = points(30_000, "h"), points(500, "s")
built = time.perf_counter()
times = travel.travel_times(net, homes, sites, cache=False, allow_unreachable=True)
np.save(sys.argv[3], times.seconds)
workers_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest worker
print(json.dumps({"total_s": time.perf_counter() - start, "matrix_s": time.perf_counter() - built,
    "peak_mb": peak_mb() + (os.cpu_count() or 1) * workers_mb * (workers_mb > 0)}))
"""


def write_grid_extract(path: Path, *, side: int = 450, shape: int = 2, block: int = 3) -> None:
    """Write the seeded synthetic street-grid extract (``.osm.pbf``) described in the module."""
    import osmium  # noqa: PLC0415 (lazy: osmium is slow to import)

    rng = np.random.default_rng(1)
    lat0, lon0 = 52.0, -0.2
    dlat = 200 / 111_000
    dlon = 200 / (111_000 * np.cos(np.radians(52.1)))
    writer = osmium.SimpleWriter(str(path))
    node_id = 0
    junction = np.zeros((side, side), dtype=np.int64)
    for i in range(side):
        for j in range(side):
            node_id += 1
            junction[i, j] = node_id
            location = (lon0 + j * dlon, lat0 + i * dlat)
            writer.add_node(osmium.osm.mutable.Node(id=node_id, location=location))
    between: dict[tuple[str, int, int], list[int]] = {}
    for axis in ("row", "column"):
        for i in range(side):
            for j in range(side - 1):
                ids = []
                for k in range(1, shape + 1):
                    node_id += 1
                    ids.append(node_id)
                    f, wobble = k / (shape + 1), rng.normal(0, 2e-5)
                    if axis == "row":
                        location = (lon0 + (j + f) * dlon, lat0 + i * dlat + wobble)
                    else:
                        location = (lon0 + i * dlon + wobble, lat0 + (j + f) * dlat)
                    writer.add_node(osmium.osm.mutable.Node(id=node_id, location=location))
                between[axis, i, j] = ids
    classes = ["residential"] * 6 + ["tertiary", "secondary", "primary", "unclassified"]
    way_id = 0
    for axis in ("row", "column"):
        for i in range(side):
            for j0 in range(0, side - 1, block):
                line = junction[i] if axis == "row" else junction[:, i]
                refs = [int(line[j0])]
                for j in range(j0, min(j0 + block, side - 1)):
                    refs += [*between[axis, i, j], int(line[j + 1])]
                way_id += 1
                tags = {"highway": classes[way_id % len(classes)], "name": f"{axis} {i}"}
                if axis == "row" and i % 7 == 3:
                    tags["oneway"] = "yes"
                if way_id % 3 == 0:
                    tags["maxspeed"] = "30 mph"
                writer.add_way(osmium.osm.mutable.Way(id=way_id, nodes=refs, tags=tags))
    writer.close()


def run_child(code: str, *args: str) -> dict[str, float]:
    """Run a snippet in a fresh process with this repository first on the path."""
    result = subprocess.run(
        [sys.executable, "-c", _PRELUDE + code, *args],
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
    )
    if result.returncode != 0:
        raise RuntimeError(f"benchmark child failed:\n{result.stderr}")
    measured: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return measured


def load_average() -> str:
    """The 1 / 5 / 15-minute load averages (2 cores shared with other work)."""
    return " / ".join(f"{v:.2f}" for v in os.getloadavg())


def results_text(rows: dict[str, dict[str, float]], same: dict[str, bool], loads: str) -> str:
    """The Markdown of RESULTS-osm-scale.md."""
    read, old_read = rows["read"], rows["read-baseline"]
    matrix, old_matrix = rows["matrix"], rows["matrix-baseline"]

    def row(task: str, new: dict[str, float], old: dict[str, float], key: str, target: str) -> str:
        return (
            f"| {task} | {new[key]:.1f} | {new['peak_mb']:,.0f} | {old[key]:.1f} | "
            f"{old['peak_mb']:,.0f} | {old[key] / new[key]:.1f}× | "
            f"{old['peak_mb'] / new['peak_mb']:.1f}× | {target} |"
        )

    read_ok = read["total_s"] <= TARGETS["read"][0]
    matrix_ok = matrix["total_s"] <= TARGETS["matrix"][0] and matrix["peak_mb"] <= 1536
    return "\n".join(
        [
            "# County-scale road files",
            "",
            "`python -m benchmarks.bench_osm_scale` — every run a fresh process, imports "
            "included; peak = the process's maximum resident memory, plus for the matrix "
            "the number of cores × the largest worker process's (an upper bound: each worker "
            "holds the graph and one chunk of searches).",
            "",
            f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}. Load average before "
            f"the runs: {loads}.",
            "",
            f"Extract: synthetic street grid, 1,010,700 nodes → {read['nodes']:,} junction "
            f"nodes, {read['edges']:,} directed edges after contracting chains of shape nodes.",
            "",
            "| task | siteopt s | siteopt MB | before s | before MB | time ratio | memory "
            "ratio | target |",
            "|---|---:|---:|---:|---:|---:|---:|---|",
            row(
                "read the 1M-node extract into a network",
                read,
                old_read,
                "total_s",
                f"≤ 8 s: {'met' if read_ok else 'not met'}",
            ),
            row(
                "30,000 × 500 matrix, cold (read + snap + Dijkstra)",
                matrix,
                old_matrix,
                "total_s",
                f"≤ 60 s, ≤ 1.5 GB: {'met' if matrix_ok else 'not met'}",
            ),
            "",
            f"Same roads as the baseline reader (every edge's ends to the metre and its time to "
            f"0.01 s): {same['read']}. Same matrix as "
            f"one Dijkstra call over every target: {same['matrix']}. Dijkstra alone: "
            f"{matrix['matrix_s']:.1f} s here against {old_matrix['matrix_s']:.1f} s.",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    """Write the extract, run every row in a fresh process, write RESULTS-osm-scale.md."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_osm_scale")
    parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        extract = folder / "grid.osm.pbf"
        write_grid_extract(extract)
        loads = load_average()
        rows = {
            "read": run_child(READ_CHILD, str(extract)),
            "read-baseline": run_child(BASELINE_READ_CHILD, str(extract)),
            "matrix": run_child(MATRIX_CHILD, str(extract), "siteopt", str(folder / "a.npy")),
            "matrix-baseline": run_child(
                MATRIX_CHILD, str(extract), "baseline", str(folder / "b.npy")
            ),
        }
        same = {
            "read": rows["read"]["roads"] == rows["read-baseline"]["roads"],
            "matrix": bool(np.array_equal(np.load(folder / "a.npy"), np.load(folder / "b.npy"))),
        }
    text = results_text(rows, same, loads)
    atomic_write_text(RESULTS, text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

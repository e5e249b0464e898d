"""Benchmark: required agents for 168 intervals x 3 streams x 1,000 scenarios.

Run with ``python -m benchmarks.bench_staffing``. Compares siteopt's vectorised Erlang C search
with pyworkforce's ``ErlangC.required_positions`` (one Python call per cell) on the same inputs and
writes ``benchmarks/RESULTS-staffing.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt
import scipy

from benchmarks.suite import SuiteRow
from siteopt.queueing.agents import ServiceTarget, required_agents

INTERVALS, STREAMS, SCENARIOS = 168, 3, 1000
TARGET = ServiceTarget(share=0.8, wait_s=20.0)
RESULTS = Path(__file__).with_name("RESULTS-staffing.md")


def realistic_inputs(seed: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Rates (calls/hour, 0-400, daily/weekly profile with noise) and AHTs (120-600 s)."""
    rng = np.random.default_rng(seed)
    hour = np.arange(INTERVALS)
    daily = 0.55 - 0.45 * np.cos(2 * np.pi * (hour % 24 - 3) / 24)  # trough ~03:00
    weekly = np.where(hour >= 120, 1.15, 1.0)  # busier weekend
    peak = rng.uniform(50.0, 400.0, size=(1, STREAMS, SCENARIOS))
    noise = rng.gamma(20.0, 1.0 / 20.0, size=(INTERVALS, STREAMS, SCENARIOS))
    rates = np.clip((daily * weekly)[:, None, None] * peak * noise, 0.0, 400.0)
    rates[rng.random(rates.shape) < 0.01] = 0.0  # some empty intervals
    aht = rng.uniform(120.0, 600.0, size=(1, STREAMS, SCENARIOS))
    return rates, np.broadcast_to(aht, rates.shape)


def time_siteopt(
    rates: npt.NDArray[np.float64], aht: npt.NDArray[np.float64], repeats: int
) -> tuple[float, npt.NDArray[np.int64]]:
    times = []
    result = required_agents(rates, aht_s=aht, target=TARGET)
    for _ in range(repeats):
        start = time.perf_counter()
        result = required_agents(rates, aht_s=aht, target=TARGET)
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def time_pyworkforce(
    rates: npt.NDArray[np.float64], aht: npt.NDArray[np.float64]
) -> tuple[float, npt.NDArray[np.int64]]:
    from pyworkforce.queuing import ErlangC  # noqa: PLC0415 (lazy: pyworkforce is slow to import)

    out = np.zeros(rates.size, dtype=np.int64)
    start = time.perf_counter()
    for i, (rate, handling) in enumerate(zip(rates.tolist(), aht.tolist(), strict=True)):
        if rate > 0:  # pyworkforce rejects zero volumes; 0 agents needed
            # pyworkforce works in minutes; its "asa" argument is the service-level threshold.
            erlang = ErlangC(
                transactions=rate, aht=handling / 60.0, asa=TARGET.wait_s / 60.0, interval=60
            )
            out[i] = erlang.required_positions(service_level=TARGET.share)["raw_positions"]
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument(
        "--peer-cells", type=int, default=0, help="cells given to pyworkforce (0 = all 504,000)"
    )
    parser.add_argument("--seed", type=int, default=20240501)
    args = parser.parse_args()

    rates, aht = realistic_inputs(args.seed)
    cells = rates.size
    siteopt_s, siteopt_n = time_siteopt(rates, aht, args.repeats)

    rng = np.random.default_rng(args.seed + 1)
    n_peer = cells if args.peer_cells <= 0 else min(args.peer_cells, cells)
    sample = np.sort(rng.choice(cells, size=n_peer, replace=False))
    flat_rates, flat_aht = rates.ravel()[sample], aht.ravel()[sample]
    peer_s, peer_n = time_pyworkforce(flat_rates, flat_aht)
    sub_times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        required_agents(flat_rates, aht_s=flat_aht, target=TARGET)
        sub_times.append(time.perf_counter() - start)
    siteopt_sub_s = statistics.median(sub_times)
    mismatches = int(np.count_nonzero(peer_n != siteopt_n.ravel()[sample]))
    peer_full_s = peer_s / n_peer * cells
    extrapolated = n_peer < cells

    processor = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        models = [
            line.split(":", 1)[1].strip()
            for line in cpuinfo.read_text().splitlines()
            if line.startswith("model name")
        ]
        processor = f"{processor}, {models[0]}" if models else processor
    lines = [
        "# Staffing benchmark: required agents (Erlang C, 80 % within 20 s)",
        "",
        f"Machine: `{processor}`, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"numpy {np.__version__}, scipy {scipy.__version__}.",
        f"Inputs: {INTERVALS} intervals x {STREAMS} streams x {SCENARIOS} scenarios = {cells:,} "
        f"cells, seed {args.seed}; rates 0-400 calls/hour (daily profile x noise, 1 % empty), "
        "AHT 120-600 s per stream and scenario.",
        "",
        "| | cells | time (s) | per cell (us) |",
        "|---|---:|---:|---:|",
        f"| siteopt `required_agents`, median of {args.repeats} | {cells:,} | {siteopt_s:.3f} "
        f"| {siteopt_s / cells * 1e6:.3f} |",
        *(
            [
                f"| siteopt on the peer's sample, median of {args.repeats} | {n_peer:,} "
                f"| {siteopt_sub_s:.4f} | {siteopt_sub_s / n_peer * 1e6:.3f} |",
            ]
            if extrapolated
            else []
        ),
        f"| pyworkforce `ErlangC.required_positions`, one run | {n_peer:,} | {peer_s:.2f} "
        f"| {peer_s / n_peer * 1e6:.1f} |",
        *(
            [
                f"| pyworkforce extrapolated per cell to all cells | {cells:,} "
                f"| {peer_full_s:.1f} | |"
            ]
            if extrapolated
            else []
        ),
        "",
        f"Speed-up (pyworkforce / siteopt, all cells{', peer extrapolated' if extrapolated else ''}"
        f"): **{peer_full_s / siteopt_s:,.0f}x**.",
        f"Identical answers on the {n_peer:,} compared cells: **{mismatches == 0}** "
        f"({mismatches} differ).",
        "",
        "Reproduce: `python -m benchmarks.bench_staffing` (pyworkforce is a benchmark-only "
        "dependency).",
        "",
    ]
    text = "\n".join(lines)
    RESULTS.write_text(text, encoding="utf-8")
    sys.stdout.write(text)


def suite_rows(repeats: int) -> list[SuiteRow]:
    """Row of ``python -m benchmarks``: Erlang C agents for a sample of cells, same inputs."""
    seed, cells = 20240501, 50_000
    rates, aht = realistic_inputs(seed)
    pick = np.sort(np.random.default_rng(seed + 1).choice(rates.size, size=cells, replace=False))
    flat_rates, flat_aht = rates.ravel()[pick], aht.ravel()[pick]
    ours_s, ours = time_siteopt(flat_rates, flat_aht, repeats)
    peer_s, theirs = time_pyworkforce(flat_rates, flat_aht)
    return [
        SuiteRow(
            task=f"Erlang C required agents, {cells:,} cells (80 % in 20 s)",
            siteopt_s=ours_s,
            peer="pyworkforce ErlangC",
            peer_s=peer_s,
            same_answer=bool(np.array_equal(ours, theirs)),
            note=f"random sample of the {rates.size:,}-cell batch; peer timed once",
        )
    ]


if __name__ == "__main__":
    main()

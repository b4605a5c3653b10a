"""Throughput of ``socsim sweep`` and the speed-up of a second worker (design-space
exploration issue).

A 24-point grid on the conv layers of the zoo's AlexNet (conv1..conv5) on the
coarse-sparse design: Tn {16, 32} x SB size {32, 64} KiB x NIBin size {1, 4} KiB x DRAM
technology {LPDDR4, HBM2, DDR3}, run on the local process pool with 1 worker and with
2 workers, each into a fresh directory (nothing resumed). Measured per run: wall time of the whole sweep (validation, probe, worker
start-up, every point, the Parquet table; not the report), points per minute
(24 / wall x 60), the sum over points of their wall and CPU seconds in the workers
(CPU well below wall: the workers waited for a core), the points that reused their
worker's generated tensors, and the machine's 1-minute load average before and after
(the machine may be shared: a load above the core count means other work competed for
the cores, and the speed-up then says little about the sweep). Speed-up = wall with 1
worker / wall with 2 workers; target at least 1.7 on 2 cores. Also recorded, as an
estimate that does not depend on other work on the machine: the CPU seconds of all
points with 1 worker over those of the busiest worker with 2 (how evenly the work splits;
worker start-up and waiting are not in it).
"""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

TARGET_SPEEDUP = 1.7
SWEEP = {
    "arch": "coarse-sparse",
    "workloads": [{"network": "alexnet", "layers": ["conv1", "conv2", "conv3", "conv4", "conv5"]}],
    "axes": {"tn": [16, 32], "sb.size_bytes": [32768, 65536], "nibin.size_bytes": [1024, 4096],
             "dram.technology": ["lpddr4", "hbm2", "ddr3"]},
    "grid": "full",
    "objectives": ["energy_pj", "time_s"],
}


def _one(workers: int) -> dict:
    from soc.sweep.runner import run_sweep
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        outcome = run_sweep(SWEEP, Path(tmp) / "sweep", workers=workers, report=False)
        wall = time.perf_counter() - t0
    t = outcome.table
    return {"workers": workers, "points": int(outcome.evaluated), "failed": int(outcome.failed), "wall_s": wall,
            "points_per_minute": 60.0 * outcome.evaluated / wall,
            "point_wall_s_sum": float(t["run_wall_s"].sum()), "point_cpu_s_sum": float(t["run_cpu_s"].sum()),
            "busiest_worker_cpu_s": float(t.groupby("run_worker")["run_cpu_s"].sum().max()),
            "tensors_reused": int(t["run_tensors_reused"].fillna(False).astype(bool).sum()),
            "load_avg_1min_before": load_before, "load_avg_1min_after": os.getloadavg()[0]}


def run() -> dict:
    one = _one(1)
    two = _one(2)
    speedup = one["wall_s"] / two["wall_s"]
    return {
        "what": "socsim sweep: 24 points (tn x sb x nibin x dram) on AlexNet conv1-conv5, coarse-sparse, "
                "process pool with 1 and with 2 workers",
        "cpu_count": os.cpu_count(), "one_worker": one, "two_workers": two,
        "speedup_2_vs_1": speedup, "target_speedup": TARGET_SPEEDUP, "meets_target": speedup >= TARGET_SPEEDUP,
        "cpu_split_speedup_estimate": one["point_cpu_s_sum"] / two["busiest_worker_cpu_s"],
    }


if __name__ == "__main__":
    import json
    print(json.dumps(run(), indent=2))

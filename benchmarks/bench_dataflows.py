"""Wall time of the full dataflow comparison on AlexNet (docs/hardware.md §4, issue 4).

All six dataflows (WS, OS-A, OS-B, OS-C, NLR, RS) on all conv and FC layers of the
zoo's AlexNet at batch 16 on the spatial-16x16 design (256 PEs, equal-area storage,
spatial-normalized energy table): mapping
search, SimPy run and arithmetic check of every (layer, dataflow), two worker
processes (what ``socsim dataflows alexnet`` does). Measured: median wall time over
REPEATS runs (seconds); target under 60 s on a 2-core machine. Also recorded: the
MAC-weighted energy per MAC of each dataflow on the CONV and on the FC layers and its
ratio to the best (units of one MAC), and whether every checked output matched.
"""
from __future__ import annotations

import os
import statistics
import time

REPEATS = 2
TARGET_S = 60.0


def run() -> dict:
    from soc.arch import load_design
    from soc.spatial.compare import compare_layers, network_shapes, summarize

    cfg = load_design("spatial-16x16", kind="spatial")
    shapes = network_shapes("alexnet", 16)
    times, df = [], None
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        df = compare_layers(shapes, cfg, workers=2)
        times.append(time.perf_counter() - t0)
    wall = statistics.median(times)
    summary = summarize(df)
    return {
        "what": "socsim dataflows alexnet: 6 dataflows x 8 layers, batch 16, 256 PEs, 2 workers",
        "repeats": REPEATS, "cpu_count": os.cpu_count(),
        "wall_s_median": wall, "wall_s_all": times, "target_s": TARGET_S, "meets_target": wall < TARGET_S,
        "rows": len(df), "all_outputs_match_reference": bool(df.outputs_match_reference.all()),
        "energy_per_mac": {f"{r.kind}/{r.dataflow}": round(r.energy_per_mac, 4) for r in summary.itertuples()},
        "ratio_to_best": {f"{r.kind}/{r.dataflow}": round(r.ratio_to_best, 4) for r in summary.itertuples()},
    }


if __name__ == "__main__":
    import json
    print(json.dumps(run(), indent=2))

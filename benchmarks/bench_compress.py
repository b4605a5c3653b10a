"""Compression pipeline speed on AlexNet-sized data (seconds, wall clock).

Medians of ``REPEATS`` runs for the per-step timings, one run for whole networks.
Targets (recorded with ``meets_target``, never enforced): every step on AlexNet fc6
(4096 x 9216, 37.7 M weights) under 30 s, the whole synthetic AlexNet table under 300 s.
"""
from __future__ import annotations

import time

import numpy as np
from timing import median_s  # benchmarks/ is on sys.path (run.py)

from workloads.compress import huffman, jbig
from workloads.compress.pipeline import compress_synthetic, measured_targets
from workloads.compress.prune import prune
from workloads.compress.quantize import choose_k
from workloads.zoo import get_network

REPEATS = 3
STEP_TARGET_S = 30.0
NETWORK_TARGET_S = 300.0


def _time(fn, repeats=REPEATS) -> float:
    return median_s(fn, repeats)


def run() -> dict:
    rng = np.random.default_rng(0)
    w = rng.laplace(size=(4096, 9216)).astype(np.float32)
    out: dict = {"repeats": REPEATS, "step_target_s": STEP_TARGET_S, "fc6_steps_s": {}}
    steps = out["fc6_steps_s"]
    steps["prune_32x32_mean_90pct"] = _time(lambda: prune(w, 0.9, (32, 32)), 1)
    pruned = prune(w, 0.9, (32, 32))
    steps["prune_fine_grained_90pct"] = _time(lambda: prune(w, 0.9, (1, 1)), 1)
    steps["choose_k_local_64"] = _time(lambda: choose_k(pruned.weights, pruned.keep, n_sub=64), 1)
    q = choose_k(pruned.weights, pruned.keep, n_sub=64)
    codes = q.all_codes()
    steps["huffman_roundtrip_codes"] = _time(lambda: huffman.roundtrip_bytes(codes, q.k), 1)
    out["fc6_codes"] = int(codes.size)
    if jbig.available():
        steps["jbig_encode_decode_mask"] = _time(lambda: jbig.encode(pruned.keep), 1)
    out["fc6_all_steps_meet_target"] = all(v < STEP_TARGET_S for v in steps.values())
    for name in ("lenet5", "alexnet"):
        kinds = measured_targets(name)
        t0 = time.perf_counter()
        res = compress_synthetic(get_network(name), {k: 1 - v for k, v in kinds.items()})
        t = time.perf_counter() - t0
        from workloads.compress.report import total
        tot = total(res.layers)
        out[f"{name}_synthetic"] = {"seconds": round(t, 2), "meets_target": t < NETWORK_TARGET_S,
                                    "r_p": round(tot.r_p, 3), "r_q": round(tot.r_q, 3),
                                    "r_c": round(tot.r_c, 3), "r_irr": round(tot.r_irr, 3)}
    for key, value in steps.items():
        steps[key] = round(value, 3)
    return out


if __name__ == "__main__":
    import json
    print(json.dumps(run(), indent=2))

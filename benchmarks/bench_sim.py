"""Simulation speed of the two benchmark layers of the core simulator.

AlexNet fc6 size: 9216 -> 4096, 90 % weight sparsity in 32x32 blocks, 30 % zero inputs.
AlexNet conv3 size: 13x13x256 -> 384, 3x3, pad 1, 65 % weight sparsity in (16,1,1,1)
blocks, 37 % zero inputs. Tensors from workloads.sparsity (seed 0). Reported: median
wall time of ``simulate_layer`` over REPEATS runs (tiling, simulation and the reference
check), SimPy events, simulated cycles, and targets (< 2 s, < 100,000 events).
"""
from __future__ import annotations

import statistics
import time

REPEATS = 3
TARGET_S, TARGET_EVENTS = 2.0, 100_000


def _layers():
    from workloads.layers import FC, Conv
    from workloads.sparsity import layer_tensors
    return {
        "fc6": (FC("fc6", 9216, 4096), 0.10, 0.70, (32, 32)),
        "conv3": (Conv("conv3", 256, 384, 3, (13, 13), padding=1), 0.35, 0.63, (16, 1, 1, 1)),
    }, layer_tensors


def run() -> dict:
    from soc.arch import design as preset
    from soc.runtime.simulate import simulate_layer
    layers, layer_tensors = _layers()
    out = {}
    for name, (layer, wd, xd, block) in layers.items():
        tensors = layer_tensors(layer, wd, xd, block, seed=0)
        for p in ("coarse-sparse", "weight-sparse", "dense"):
            walls, r = [], None
            for _ in range(REPEATS):
                t = time.perf_counter()
                r = simulate_layer(layer, tensors, preset(p))
                walls.append(time.perf_counter() - t)
            wall = statistics.median(walls)
            out[f"{name}/{p}"] = {
                "wall_s_median": wall, "repeats": REPEATS, "sim_events": r.sim_events, "cycles": r.cycles,
                "useful_macs": r.useful_macs, "utilization": r.utilization, "energy_pj": r.energy_pj,
                "dram_bytes_read": r.dram_bytes_read, "dram_bytes_written": r.dram_bytes_written,
                "strategy": r.strategy, "outputs_match_reference": r.outputs_match_reference,
                "target_wall_s": TARGET_S, "target_events": TARGET_EVENTS,
                "meets_target": wall < TARGET_S and r.sim_events < TARGET_EVENTS,
            }
            print(f"  {name}/{p}: {wall:.2f} s, {r.sim_events} events, {r.cycles} cycles", flush=True)
    return out

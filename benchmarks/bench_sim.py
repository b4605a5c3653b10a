"""Simulation speed of the core simulator: two benchmark layers, and a whole network's
layers.

AlexNet fc6 size: 9216 -> 4096, 90 % weight sparsity in 32x32 blocks, 30 % zero inputs.
AlexNet conv3 size: 13x13x256 -> 384, 3x3, pad 1, 65 % weight sparsity in (16,1,1,1)
blocks, 37 % zero inputs. Tensors from workloads.sparsity (seed 0). Reported: median
wall time of ``simulate_layer`` over REPEATS runs (tiling, simulation and the reference
check), SimPy events, simulated cycles, and targets (< 2 s, < 100,000 events).

``network/alexnet/coarse-sparse``: the simulation of every layer of AlexNet in one
process, ``run_network`` on reference tensors generated once beforehand (so the
reference run, about 0.3 s of a whole run, is left out): median of NETWORK_REPEATS runs
after one warm-up, with the load average before and after (the machine is shared).
Command line: ``python benchmarks/bench_sim.py --network`` (that figure alone).
"""
from __future__ import annotations

import os
import statistics
import sys
import time

REPEATS = 3
TARGET_S, TARGET_EVENTS = 2.0, 100_000
NETWORK, NETWORK_DESIGN, NETWORK_REPEATS = "alexnet", "coarse-sparse", 5


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
    out[f"network/{NETWORK}/{NETWORK_DESIGN}"] = network_simulation()
    return out


def network_simulation() -> dict:
    """Wall time of simulating every layer of NETWORK on NETWORK_DESIGN (tensors given)."""
    from soc.arch import load_design
    from soc.runtime.network import reference_tensors, run_network
    from workloads.zoo import get_network
    net, cfg = get_network(NETWORK), load_design(NETWORK_DESIGN)
    tensors = list(reference_tensors(net, 0))
    load_before = os.getloadavg()
    run_network(net, cfg, tensors=iter(tensors))   # warm-up
    walls, outcome = [], None
    for _ in range(NETWORK_REPEATS):
        t = time.perf_counter()
        outcome = run_network(net, cfg, tensors=iter(tensors))
        walls.append(time.perf_counter() - t)
    assert outcome is not None
    s = outcome.summary
    wall = statistics.median(walls)
    print(f"  network/{NETWORK}/{NETWORK_DESIGN}: {wall:.2f} s (median of {NETWORK_REPEATS}), "
          f"{s['sim_events']} events, {s['cycles']} cycles", flush=True)
    return {"wall_s_median": wall, "wall_s_all": [round(w, 3) for w in walls], "repeats": NETWORK_REPEATS,
            "warm_up_runs": 1, "reference_tensors": "generated once beforehand, not timed",
            "sim_events": s["sim_events"], "cycles": s["cycles"], "energy_pj": s["energy_pj"],
            "outputs_match_reference": s["outputs_match_reference"],
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()]}


if __name__ == "__main__":
    import json
    print(json.dumps(network_simulation() if "--network" in sys.argv[1:] else run(), indent=2, default=float))

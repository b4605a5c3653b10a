"""Sample per-layer result dicts (the shape of LayerResult.to_dict()) for report tests.

Numbers are random but self-consistent: energy_by_component and energy_by_action each
sum to energy_pj, time_s = cycles / 1 GHz.
"""
from __future__ import annotations

import numpy as np

COMPONENTS = ["dram", "nbin", "sb", "nsm", "htree", "pe_mult", "pe_add", "nbout", "encoder"]
ACTIONS = ["read", "write", "mac", "add", "hop", "leakage"]


def sample_results(n_layers: int = 5, seed: int = 0, prefix: str = "L",
                   scale: float = 1.0) -> list[dict]:
    rng = np.random.default_rng(seed)
    results = []
    for i in range(n_layers):
        # Pooling layers use no multipliers and fewer components.
        pool = i % 3 == 2
        comps = COMPONENTS[:3] + COMPONENTS[-2:] if pool else COMPONENTS
        by_comp = {c: float(rng.uniform(1e3, 1e6) * scale) for c in comps}
        energy = float(sum(by_comp.values()))
        weights = rng.dirichlet(np.ones(len(ACTIONS)))
        by_action = {a: float(w * energy) for a, w in zip(ACTIONS, weights)}
        cycles = int(rng.integers(1_000, 100_000) * scale)
        useful = 0 if pool else int(rng.integers(10_000, 1_000_000))
        results.append({
            "name": f"{prefix}{i}_{'pool' if pool else 'conv'}",
            "kind": "pool" if pool else "conv",
            "cycles": cycles,
            "time_s": cycles / 1e9,
            "energy_pj": energy,
            "energy_by_component": by_comp,
            "energy_by_action": by_action,
            "useful_macs": useful,
            "skipped_macs": 0 if pool else int(rng.integers(0, 500_000)),
            "dram_bytes_read": int(rng.integers(1_000, 1_000_000)),
            "dram_bytes_written": int(rng.integers(1_000, 100_000)),
            "utilization": 0.0 if pool else float(rng.uniform(0.1, 0.95)),
            "outputs_match_reference": True,
            "sim_events": int(rng.integers(10, 10_000)),
            "wall_s": float(rng.uniform(0.001, 0.1)),
            "strategy": "none" if pool else ["output_reuse", "synapse_reuse", "input_reuse"][i % 3],
            "activity": [("dram", 0, cycles // 2, "load"), ("pe0", cycles // 4, cycles, "compute")],
        })
    return results

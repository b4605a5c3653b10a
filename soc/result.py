"""Results of simulating layers and networks: plain data, no SimPy, ready for reports."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from soc.compiler.program import Program, Tiling


@dataclass
class MatrixRun:
    """One matrix product of a layer run on the accelerator."""
    name: str
    cycles: int
    useful_macs: int       # multiplies performed (positions where both hardware masks are set)
    dense_macs: int        # multiplies of the dense layer
    effectual_macs: int    # multiplies whose two operands are both non-zero
    dram_bytes_read: int
    dram_bytes_written: int
    sim_events: int
    wall_s: float
    outputs: np.ndarray
    outputs_match_reference: bool
    tiling: Tiling
    program: Program
    activity: list
    buffer_peak_bytes: dict[str, int]
    activity_dropped: int = 0     # activity records beyond the accelerator's activity_limit
    counters: list = field(default_factory=list)   # (buffer, cycle, bytes held) samples


@dataclass
class LayerResult:
    """Per-layer result. Energies in pJ, time in s, traffic in bytes."""
    name: str
    kind: str
    arch: str
    cycles: int
    time_s: float
    energy_pj: float
    energy_by_component: dict[str, float]
    energy_by_action: dict[str, float]
    useful_macs: int
    skipped_macs: int
    effectual_macs: int
    dense_macs: int
    dram_bytes_read: int
    dram_bytes_written: int
    utilization: float
    outputs_match_reference: bool
    sim_events: int
    wall_s: float
    strategy: str
    tiling: dict[str, int]
    traffic_estimate: dict[str, dict[str, float]]
    buffer_peak_bytes: dict[str, int]
    # Chip area by component (mm^2, from the design's price table). area_mm2, power_mw
    # (average on-chip power: leakage, refresh and dynamic energy of every on-chip
    # component over the layer's time, DRAM excluded), dram_energy_pj and
    # entropy_decoder_area_mm2 follow from it and from the energies (__post_init__).
    area_by_component_mm2: dict[str, float] = field(default_factory=dict)
    area_mm2: float = 0.0
    power_mw: float = 0.0
    dram_energy_pj: float = 0.0
    entropy_decoder_area_mm2: float = 0.0
    #: {data type: pJ} (weights, inputs, outputs, psums, indexes, compute, control, static; see
    #: energy.ledger); sums to energy_pj.
    energy_by_data_type: dict[str, float] = field(default_factory=dict)
    #: The layer's aggregated ledger: (component, action, data_type, count, energy_pj) tuples.
    energy_entries: list = field(default_factory=list, repr=False)
    activity: list = field(default_factory=list, repr=False)
    #: Activity records left out by the accelerator's activity_limit (the trace says so).
    activity_dropped: int = field(default=0, repr=False)
    #: Buffer occupancy samples (buffer, cycle, bytes held), for the trace's counter tracks.
    counters: list = field(default_factory=list, repr=False)
    outputs: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.area_mm2 = float(sum(self.area_by_component_mm2.values()))
        self.entropy_decoder_area_mm2 = float(self.area_by_component_mm2.get("entropy-decoder", 0.0))
        self.dram_energy_pj = float(self.energy_by_component.get("dram", 0.0))
        self.power_mw = on_chip_power_mw(self.energy_pj, self.dram_energy_pj, self.time_s)

    @property
    def dram_bytes(self) -> int:
        return self.dram_bytes_read + self.dram_bytes_written

    def to_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in self.__dict__.items()
             if k not in ("activity", "outputs", "energy_entries", "counters", "activity_dropped")}
        d["dram_bytes"] = self.dram_bytes
        return d


def merge_entries(*groups) -> list[tuple[str, str, str, float, float]]:
    """Ledger entries (component, action, data_type, count, energy_pj) of several steps
    summed by (component, action, data_type), in order of first appearance."""
    out: dict[tuple[str, str, str], list[float]] = {}
    for entries in groups:
        for comp, act, dtype, count, energy in entries:
            e = out.setdefault((comp, act, dtype), [0.0, 0.0])
            e[0] += count
            e[1] += energy
    return [(c, a, d, n, e) for (c, a, d), (n, e) in out.items()]


def on_chip_power_mw(energy_pj: float, dram_energy_pj: float, time_s: float) -> float:
    """Average on-chip power (mW): energy without DRAM over time (pJ/s x 1e-9 = mW)."""
    return (energy_pj - dram_energy_pj) / time_s * 1e-9 if time_s > 0 else 0.0


# Quantities of a network that are sums over its layers (layers run one after another).
SUMMED = ("cycles", "time_s", "energy_pj", "dram_energy_pj", "useful_macs", "skipped_macs", "effectual_macs",
          "dense_macs", "dram_bytes_read", "dram_bytes_written", "dram_bytes", "sim_events", "wall_s")


def design_roofs(cfg: Any) -> dict[str, Any]:
    """The design figures the roofline and efficiency metrics need, as plain numbers:
    its compute roof (Tn x Tm x clock, MAC/s), DRAM roof (bytes/s), data word (bytes),
    and the Tn, Tm and clock they come from."""
    return {"compute_roof_macs_per_s": float(cfg.compute_roof_macs_per_s),
            "dram_roof_bytes_per_s": float(cfg.dram_roof_bytes_per_s), "word_bytes": int(cfg.word_bytes),
            "tn": int(cfg.tn), "tm": int(cfg.tm), "clock_ghz": float(cfg.clock_ghz)}


def summarize(results: list[LayerResult], roofs: dict[str, Any] | None = None) -> dict[str, Any]:
    """Network totals of layer results: the sums of :data:`SUMMED`, the cycle-weighted
    multiplier utilization, whether every layer matched its reference, energy by
    component, by action and by data type (pJ, largest first), the chip's area and its
    breakdown (mm^2), the average on-chip power over the whole run (mW, DRAM excluded),
    ``roofs`` (see :func:`design_roofs`) and the metrics of :mod:`reports.metrics`
    computed from them."""
    from reports.metrics import efficiency  # plain arithmetic on the totals
    if not results:
        return {"layers": 0}
    out: dict[str, Any] = {"layers": len(results)}
    for key in SUMMED:
        out[key] = sum(getattr(r, key) for r in results)
    cycles = out["cycles"]
    out["utilization"] = (sum(r.utilization * r.cycles for r in results) / cycles) if cycles else 0.0
    out["outputs_match_reference"] = all(r.outputs_match_reference for r in results)
    for attr in ("energy_by_component", "energy_by_action", "energy_by_data_type"):
        totals: dict[str, float] = {}
        for r in results:
            for k, v in getattr(r, attr).items():
                totals[k] = totals.get(k, 0.0) + float(v)
        out[attr] = dict(sorted(totals.items(), key=lambda kv: -kv[1]))
    areas = next((r.area_by_component_mm2 for r in results if r.area_by_component_mm2), {})
    out["area_mm2"] = float(sum(areas.values()))
    out["area_by_component_mm2"] = dict(areas)
    out["power_mw"] = on_chip_power_mw(out["energy_pj"], out["dram_energy_pj"], out["time_s"])
    if roofs:
        out.update(roofs)
    out.update(efficiency(out, roofs))
    return out

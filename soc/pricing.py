"""Per-action energy prices for one SoC config, from its design energy table (pJ).

DRAM energy follows the config's DRAM technology (pJ/bit of the design table's base
primitive table), so switching LPDDR4 to HBM2 changes the price, not the code.
"""
from __future__ import annotations

from energy.tables import DesignTable, PrimitiveTable, load_table
from soc.config import SoCConfig


class Pricing:
    def __init__(self, cfg: SoCConfig):
        table = load_table(cfg.energy_table)
        if not isinstance(table, DesignTable):
            raise ValueError(f"energy_table: {cfg.energy_table!r} is a {table.kind} table; the vector "
                             f"accelerator needs a design table (e.g. 'reference-65nm')")
        base = load_table(table.base)
        assert isinstance(base, PrimitiveTable)
        self.table = table
        self.dram_pj_per_byte = base.dram_per_bit(cfg.dram.technology) * 8
        self.cfg = cfg

    def __call__(self, component: str, action: str) -> float:
        return self.table.cost(component, action)

    def leakage_mw(self, memory: str, size_bytes: int) -> float:
        per_kb = self.table.static_value(f"{memory}_leak_mw_per_kb")
        return per_kb * size_bytes / 1024

    def refresh_stall(self) -> float:
        """Fraction of cycles the busiest eDRAM buffer on the compute path (NBin, NIBin, SIB,
        SB, NBout) spends refreshing: every word read and rewritten once per retention
        time at the buffer's bandwidth. Compute bursts stretch by this fraction."""
        cfg, worst = self.cfg, 0.0
        retention_cycles = self.table.static_value("edram_retention_s") * cfg.clock_ghz * 1e9
        for name in ("nbin", "nibin", "sib", "sb", "nbout"):
            buf = getattr(cfg, name)
            if buf.memory == "edram":
                refresh_cycles = 2 * buf.size_bytes * 8 / buf.bandwidth_bits
                worst = max(worst, refresh_cycles / retention_cycles)
        return worst

    def refresh_mw(self, component: str, size_bytes: int) -> float:
        """eDRAM refresh power: every word read and rewritten once per retention time."""
        words = size_bytes / self.cfg.word_bytes
        per_word = self(component, "read") + self(component, "write")
        return words * per_word / self.table.static_value("edram_retention_s") * 1e-9  # pJ/s -> mW

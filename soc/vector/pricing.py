"""Per-action energy prices of one vector design (pJ), from its energy source.

``energy.source: estimators`` (the default) prices every (component, action) from the
design's own attributes: buffer sizes, node and supply voltage, and DRAM technology
(see :mod:`energy.tables`, whose derivation rules are written next to each number).
``energy.source: table`` takes a fixed design table (a shipped name or a file); its DRAM
price is used when it has one, else the design's DRAM technology sets it.
"""
from __future__ import annotations

from functools import lru_cache

from energy.tables import DesignTable, PrimitiveTable, derive_design_table, load_table
from soc.arch.vector import VectorArch


@lru_cache(maxsize=256)
def _estimated(node_nm: float, vdd_v: float, sizes: tuple, dram: str) -> DesignTable:
    base = load_table("horowitz-45nm")
    assert isinstance(base, PrimitiveTable)
    data = derive_design_table(base, node_nm=node_nm, vdd_v=vdd_v, buffer_bytes=dict(sizes), dram=dram)
    return DesignTable.model_validate(data)


def design_table(cfg: VectorArch) -> DesignTable:
    """The (component, action) prices of ``cfg`` as a design table."""
    if cfg.energy.source == "table":
        table = load_table(cfg.energy.table)
        if not isinstance(table, DesignTable):
            raise ValueError(f"energy.table: {cfg.energy.table!r} is a {table.kind} table; the vector "
                             f"accelerator needs a design table (e.g. 'reference-65nm')")
        return table
    sizes = tuple((name, getattr(cfg, name).size_bytes) for name in ("nbin", "nbout", "sb", "nibin", "sib", "ib")
                  if getattr(cfg, name) is not None)
    return _estimated(cfg.node_nm, cfg.vdd_v, sizes, cfg.dram.technology)


class Pricing:
    def __init__(self, cfg: VectorArch):
        table = design_table(cfg)
        base = load_table(table.base)
        assert isinstance(base, PrimitiveTable)
        self.table = table
        if "dram" in table.components and cfg.energy.source == "table":
            self.dram_pj_per_byte = table.cost("dram", "read")
        else:
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
        for name in cfg.present_buffers:
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

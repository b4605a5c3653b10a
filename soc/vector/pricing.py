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


# --------------------------------------------------------------------------- checked before the first cycle
class PriceTableError(ValueError):
    """An energy source that cannot price the design using it (names the table file and
    the missing (component, action))."""


def booked_actions(cfg: VectorArch) -> list[tuple[str, str]]:
    """Every (component, action) a run of ``cfg`` may book, from its capabilities (the
    matrix actors of :mod:`soc.vector` and the element-wise cost of
    :mod:`soc.vector.elementwise`)."""
    wanted: list[tuple[str, str]] = []
    for name in cfg.present_buffers:
        wanted += [(name, "read"), (name, "write")]
    wanted += [("cp", "decode"), ("htree", "hop"), ("pe", "mac"), ("pe", "add"), ("pe", "nonlinear")]
    if cfg.weight_decoder == "lut":
        wanted.append(("pe", "decode"))
    if cfg.has_nsm:
        wanted += [("pe", "select"), ("nsm", "prefix-count"), ("nsm", "gather")]
        if cfg.compressed_neurons and cfg.shared_index:
            wanted.append(("nsm", "mask-and"))
    elif cfg.step_indexed:
        wanted.append(("pe", "index-step"))
    if cfg.compressed_neurons:
        wanted += [("encoder", "compare"), ("encoder", "compact")]
    if cfg.entropy_decoder.enabled:
        wanted.append(("entropy-decoder", "decode"))
    return wanted


def booked_static(cfg: VectorArch) -> list[str]:
    """The static values (leakage, eDRAM retention) a run of ``cfg`` reads from its table."""
    memories = sorted({getattr(cfg, name).memory for name in cfg.present_buffers})
    names = [f"{m}_leak_mw_per_kb" for m in memories] + ["pe_leak_mw"]
    if "edram" in memories:
        names.append("edram_retention_s")
    return names


def check_prices(cfg: VectorArch) -> Pricing:
    """Build the design's prices and ask for every (component, action) and static value
    the design books, so that an incomplete or unreadable table is refused before the
    first cycle, naming the table file and what it lacks. Returns the prices."""
    src = cfg.energy
    label = f"energy.table {src.table}" if src.source == "table" else f"energy.source {src.source}"
    try:
        price = Pricing(cfg)
    except (ValueError, KeyError, OSError) as exc:
        raise PriceTableError(f"{label}: {exc.args[0] if isinstance(exc, KeyError) else exc}") from None
    missing = []
    for component, action in booked_actions(cfg):
        try:
            value = price(component, action)
        except KeyError:
            missing.append(f"({component}, {action})")
            continue
        if not value >= 0 or value == float("inf"):
            raise PriceTableError(f"{label}: price of ({component}, {action}) must be a finite number >= 0 pJ, "
                                  f"got {value!r}")
    if missing:
        raise PriceTableError(f"{label}: no price for {', '.join(missing)}; a table for design {cfg.name} "
                              f"needs every (component, action) it books: "
                              f"{', '.join(f'{c}.{a}' for c, a in booked_actions(cfg))}")
    lacking = []
    for name in booked_static(cfg):
        try:
            price.table.static_value(name)
        except KeyError:
            lacking.append(name)
    if lacking:
        raise PriceTableError(f"{label}: no static value {', '.join(lacking)} (needed by design {cfg.name}: "
                              f"{', '.join(booked_static(cfg))})")
    return price

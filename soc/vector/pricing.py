"""The prices of one vector design: energy per (component, action) in pJ, leakage (mW)
and area (mm^2) per component, from its energy source.

* ``energy.source: estimators`` (default): the design's blocks
  (:mod:`soc.vector.components`) priced by :mod:`energy.estimators` from their
  attributes: buffer capacity, port width, banks and memory kind, widths, node, supply
  voltage, H-tree wire length, DRAM technology.
* ``energy.source: table``: a fixed design table (shipped name or file). Its energies
  are used as they are; its DRAM price when it has one, else the design's DRAM
  technology sets it; leakage from its static values (buffers per KB of their memory
  kind, PEs per PE); the entropy decoders' power as the design gives it; areas from the
  estimators (a design table has none).
* ``energy.source: accelergy``: an Accelergy ERT (and ART) file (:mod:`energy.accelergy`);
  without an ART, areas come from the estimators.

Every action the design's actors may book must be priced; a missing one is an error
naming the file, the component and the action, raised when the prices are built (before
any simulation starts). eDRAM buffers also pay refresh: every word read and rewritten
once per retention time, which steals buffer cycles (:meth:`Pricing.refresh_stall`).
"""
from __future__ import annotations

from functools import lru_cache

from energy.accelergy import AccelergyError, price_from_accelergy
from energy.estimators import Tech
from energy.estimators.memory import retention_s
from energy.ledger import EnergyLedger
from energy.pricetable import PriceTable, component_areas, price_components
from energy.tables import DesignTable, load_table
from soc.arch.vector import VectorArch
from soc.vector.components import vector_components


class PricingError(ValueError):
    """A price source that cannot price the design (names the file, component and action)."""


def _from_design_table(cfg: VectorArch, specs) -> PriceTable:
    try:
        table = load_table(cfg.energy.table)
    except ValueError as exc:
        raise PricingError(f"energy.table: {exc}") from None
    if not isinstance(table, DesignTable):
        raise PricingError(f"energy.table: {cfg.energy.table!r} is a {table.kind} table; the vector accelerator "
                           f"needs a design table (e.g. 'reference-65nm')")
    tech = Tech(cfg.node_nm, cfg.vdd_v)
    out = PriceTable(table.name, table.node_nm, table.vdd_v, f"table {cfg.energy.table}")
    estimated = price_components(cfg.name, specs, tech)
    areas = component_areas(specs, tech)
    for spec in specs:
        for action in spec.actions:
            if spec.name == "dram" and "dram" not in table.components:
                out.energy[("dram", action)] = estimated.cost("dram", action)
                out.derivation[("dram", action)] = "design's DRAM technology (the table has no DRAM price)"
                continue
            try:
                out.energy[(spec.name, action)] = table.cost(spec.name, action)
            except KeyError:
                raise PricingError(f"energy.table {cfg.energy.table}: no price for component {spec.name!r} "
                                   f"action {action!r}, which this design books") from None
            out.derivation[(spec.name, action)] = table.components[spec.name][action].derivation
            out.per[(spec.name, action)] = spec.per.get(action, "")
        if spec.memory is not None:
            per_kb = _static(table, f"{spec.memory}_leak_mw_per_kb", cfg)
            out.leakage_mw[spec.name] = per_kb * spec.size_bytes * spec.count / 1024
        elif spec.name == "pe":
            out.leakage_mw[spec.name] = _static(table, "pe_leak_mw", cfg) * spec.count
        elif spec.name == "entropy-decoder":
            out.leakage_mw[spec.name] = estimated.leakage_mw[spec.name]
        else:
            out.leakage_mw[spec.name] = 0.0
        out.area_mm2[spec.name] = areas[spec.name]
        out.counts[spec.name] = spec.count
    return out


def _static(table: DesignTable, name: str, cfg: VectorArch) -> float:
    try:
        return table.static_value(name)
    except KeyError:
        raise PricingError(f"energy.table {cfg.energy.table}: no static value {name!r}") from None


@lru_cache(maxsize=64)
def _price_table(key: str) -> PriceTable:
    cfg = VectorArch.model_validate_json(key)
    specs = vector_components(cfg)
    tech = Tech(cfg.node_nm, cfg.vdd_v)
    source = cfg.energy.source
    if source == "table":
        return _from_design_table(cfg, specs)
    if source == "accelergy":
        try:
            return price_from_accelergy(cfg.name, cfg.energy.ert, cfg.energy.art, specs, cfg.energy.names,
                                        cfg.cycle_s, tech)
        except AccelergyError as exc:
            raise PricingError(str(exc)) from None
    return price_components(cfg.name, specs, tech)


def price_table(cfg: VectorArch) -> PriceTable:
    """The resolved prices of ``cfg`` (cached per design)."""
    return _price_table(cfg.model_dump_json())


class Pricing:
    """What the actors ask: ``price(component, action)`` in pJ, per-component leakage,
    eDRAM refresh power and stall, DRAM pJ per byte."""

    def __init__(self, cfg: VectorArch):
        self.cfg = cfg
        self.table = price_table(cfg)
        self.specs = {s.name: s for s in vector_components(cfg)}
        self.dram_pj_per_byte = self.table.cost("dram", "read")

    def __call__(self, component: str, action: str) -> float:
        return self.table.cost(component, action)

    def leakage_mw(self, component: str) -> float:
        """Leakage of all instances of ``component`` (mW)."""
        return self.table.leakage_mw.get(component, 0.0)

    @property
    def area_by_component_mm2(self) -> dict[str, float]:
        return {c: a for c, a in self.table.area_mm2.items() if a > 0}

    @property
    def area_mm2(self) -> float:
        return self.table.total_area_mm2

    def edram_buffers(self) -> list[str]:
        return [n for n, s in self.specs.items() if s.memory == "edram"]

    def refresh_stall(self) -> float:
        """Fraction of cycles the busiest eDRAM buffer on the compute path (NBin, NIBin, SIB,
        SB, NBout) spends refreshing: every word read and rewritten once per retention
        time at the buffer's bandwidth. Compute bursts stretch by this fraction."""
        cfg, worst = self.cfg, 0.0
        retention_cycles = retention_s() * cfg.clock_ghz * 1e9
        for name in cfg.present_buffers:
            buf = getattr(cfg, name)
            if buf.memory == "edram":
                refresh_cycles = 2 * buf.size_bytes * 8 / buf.bandwidth_bits
                worst = max(worst, refresh_cycles / retention_cycles)
        return worst

    def refresh_mw(self, component: str) -> float:
        """eDRAM refresh power of all instances of ``component``: every word read and
        rewritten once per retention time."""
        spec = self.specs[component]
        words = spec.size_bytes * spec.count / self.cfg.word_bytes
        per_word = self(component, "read") + self(component, "write")
        return words * per_word / retention_s() * 1e-9  # pJ/s -> mW

    def static_mw(self) -> float:
        """Leakage plus refresh power of the whole chip (mW)."""
        return self.table.total_leakage_mw + sum(self.refresh_mw(c) for c in self.edram_buffers())

    def book_static(self, ledger: EnergyLedger, cycles: int) -> None:
        """Leakage of every component and refresh of every eDRAM buffer over ``cycles``."""
        seconds = cycles * self.cfg.cycle_s
        for comp in self.table.components():
            leak = self.leakage_mw(comp)
            if leak > 0:
                ledger.book_static(comp, leak, seconds)
        for comp in self.edram_buffers():
            ledger.book_static(comp, self.refresh_mw(comp), seconds, action="refresh")


# --------------------------------------------------------------------------- checked before the first cycle
PriceTableError = PricingError  # the name the design checks use


def booked_actions(cfg: VectorArch) -> list[tuple[str, str]]:
    """Every (component, action) a run of ``cfg`` may book: the actions of the blocks its
    capabilities give it (:func:`soc.vector.components.vector_components`)."""
    return [(spec.name, action) for spec in vector_components(cfg) for action in spec.actions]


def check_prices(cfg: VectorArch) -> Pricing:
    """Build the design's prices and ask for every (component, action) the design books,
    so that an unreadable or incomplete price source is refused before the first cycle,
    naming the file and what it lacks, and a price that is not a finite number >= 0 pJ
    is refused too. Returns the prices."""
    src = cfg.energy
    label = {"table": f"energy.table {src.table}", "accelergy": f"energy.ert {src.ert}"}.get(src.source,
                                                                                           f"energy.source {src.source}")
    try:
        price = Pricing(cfg)
    except PricingError:
        raise
    except (ValueError, KeyError, OSError) as exc:
        raise PricingError(f"{label}: {exc.args[0] if isinstance(exc, KeyError) else exc}") from None
    for component, action in booked_actions(cfg):
        try:
            value = price(component, action)
        except KeyError:
            raise PricingError(f"{label}: no price for component {component!r} action {action!r}, which design "
                               f"{cfg.name} books") from None
        if not 0 <= value < float("inf"):
            raise PricingError(f"{label}: price of component {component!r} action {action!r} must be a finite "
                               f"number >= 0 pJ, got {value!r}")
    return price

"""Estimators: monotone in what should raise a price, exact at their published points,
the CACTI area fit as stated, and the reference-65nm table reproduced within 2 %."""
from __future__ import annotations

import math

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from energy.estimators import EstimatorError, Tech, estimate
from energy.estimators.base import cell_um2, data
from energy.pricetable import price_components
from energy.tables import TABLE_DIR
from soc.arch import design
from soc.vector.components import vector_components
from soc.vector.pricing import Pricing

T65 = Tech(65, 1.0)
T45 = Tech(45, 0.9)


def sram(size, width=64, banks=1, tech=T65, memory="sram", word=16):
    return estimate(memory, {"size_bytes": size, "width_bits": width, "banks": banks, "word_bits": word}, tech)


# --------------------------------------------------------------------------- published points
def test_arithmetic_reproduces_horowitz_energy_and_area_at_45nm():
    pts = {("adder", 8): (0.03, 36), ("adder", 16): (0.05, 67), ("adder", 32): (0.1, 137),
           ("multiplier", 8): (0.2, 282), ("multiplier", 32): (3.1, 3495)}
    for (cls, bits), (pj, um2) in pts.items():
        e = estimate(cls, {"width": bits}, T45)
        action = "add" if cls == "adder" else "multiply"
        assert e.energy(action) == pytest.approx(pj) and e.area_mm2 * 1e6 == pytest.approx(um2)
    for fmt, bits in (("fp16", 16), ("fp32", 32)):
        assert estimate("adder", {"format": fmt}, T45).energy("add") == pytest.approx({16: 0.4, 32: 0.9}[bits])
        assert estimate("multiplier", {"format": fmt}, T45).energy("multiply") == pytest.approx({16: 1.1, 32: 3.7}[bits])
        assert estimate("multiplier", {"format": fmt}, T45).area_mm2 * 1e6 == pytest.approx({16: 1640, 32: 7700}[bits])
    # bf16: between int8 and fp16 multiply (8-bit significand against 11)
    bf16 = estimate("multiplier", {"format": "bf16"}, T45).energy("multiply")
    assert bf16 == pytest.approx(1.1 * (8 / 11) ** 2)


def test_sram_reproduces_the_published_access_energies_at_45nm():
    for size, pj in ((8192, 10.0), (32768, 20.0), (1 << 20, 100.0)):
        assert sram(size, word=64, tech=T45).energy("read") == pytest.approx(pj)
    assert sram(8192, word=32, tech=T45).energy("read") == pytest.approx(5.0)


def test_bit_cell_areas_are_the_published_ones():
    for p in data("memory")["area"]["cell_um2"]:
        assert cell_um2(p["node_nm"]) == pytest.approx(p["um2"])


def test_cacti_area_fit_is_what_the_points_give():
    from scipy.optimize import nnls
    area = data("memory")["area"]
    pts = np.array([(p["size_bytes"] * 8, p["width_bits"], p["mm2"]) for p in area["cacti_65nm_points"]], float)
    x = np.c_[pts[:, 0], pts[:, 1]] * 1e-6
    coef, _ = nnls(x / pts[:, 2:3], np.ones(len(pts)))
    fit = area["fit_65nm"]
    assert coef[0] == pytest.approx(fit["bit_um2"], rel=1e-4) and coef[1] == pytest.approx(fit["port_um2"], rel=1e-4)
    err = 100 * (x @ coef / pts[:, 2] - 1)
    assert math.sqrt((err ** 2).mean()) == pytest.approx(fit["rms_error_pct"], abs=0.05)
    assert abs(err).max() == pytest.approx(fit["max_error_pct"], abs=0.05)
    # and the estimator at 65 nm is that fit, point by point
    for size, width, mm2 in pts:
        est = estimate("sram", {"size_bytes": size / 8, "width_bits": width}, Tech(65, 1.0)).area_mm2
        assert est == pytest.approx((size * coef[0] + width * coef[1]) * 1e-6, rel=1e-3)
        assert abs(est / mm2 - 1) <= fit["max_error_pct"] / 100 + 1e-3


def test_edram_is_2_85_times_denser_than_sram():
    for size in (1024, 8192, 65536):
        assert sram(size).area_mm2 / sram(size, memory="edram").area_mm2 == pytest.approx(2.85)


def test_dram_by_technology_not_node_scaled():
    for tech, bit in (("lpddr4", 8.0), ("ddr3", 70.0), ("gddr5", 14.0), ("hbm2", 3.9)):
        for t in (T45, Tech(28, 0.8)):
            e = estimate("dram", {"technology": tech}, t)
            assert e.energy("read") == pytest.approx(8 * bit) and e.area_mm2 == 0
    with pytest.raises(EstimatorError, match="allowed|one of"):
        estimate("dram", {"technology": "sdram"})


def test_bad_attributes_name_the_class_and_range():
    with pytest.raises(EstimatorError, match="sram: attribute size_bytes"):
        estimate("sram", {"size_bytes": -1, "width_bits": 64})
    with pytest.raises(EstimatorError, match="unknown component class"):
        estimate("flux_capacitor", {})


# --------------------------------------------------------------------------- monotone
sizes = st.integers(min_value=64, max_value=1 << 22)


@settings(max_examples=40, deadline=None)
@given(small=sizes, factor=st.integers(2, 64), memory=st.sampled_from(["sram", "edram"]))
def test_larger_arrays_cost_more_per_access_leak_more_and_are_larger(small, factor, memory):
    a, b = sram(small, memory=memory), sram(small * factor, memory=memory)
    assert b.energy("read") > a.energy("read")
    assert b.leakage_mw > a.leakage_mw
    assert b.area_mm2 > a.area_mm2


@settings(max_examples=30, deadline=None)
@given(size=sizes, banks=st.sampled_from([2, 4, 8, 16]))
def test_banks_add_periphery_and_access_a_smaller_array(size, banks):
    one, many = sram(size, width=256), sram(size, width=256, banks=banks)
    assert many.area_mm2 > one.area_mm2 and many.leakage_mw > one.leakage_mw
    # a bank is smaller, so its array is cheaper; the bank mux adds a little
    array_only = sram(size // banks, width=256)
    assert many.energy("read") > array_only.energy("read")


@pytest.mark.parametrize("cls,attrs,action", [
    ("sram", {"size_bytes": 8192, "width_bits": 64}, "read"), ("edram", {"size_bytes": 8192, "width_bits": 64}, "read"),
    ("multiplier", {"width": 16}, "multiply"), ("adder", {"width": 32}, "add"),
    ("regfile", {"entries": 64, "width": 16}, "read"), ("mux", {"width": 16}, "select"),
    ("and_array", {"width": 256}, "and"), ("prefix_counter", {"width": 256, "count_bits": 8}, "count"),
    ("wire", {"width": 16, "length_mm": 0.5}, "transfer"), ("comparator", {"width": 16}, "compare")])
def test_a_newer_node_costs_less_energy_and_area(cls, attrs, action):
    old, new = estimate(cls, attrs, Tech(65, 1.0)), estimate(cls, attrs, Tech(28, 1.0))
    assert new.energy(action) < old.energy(action)
    assert new.area_mm2 < old.area_mm2
    assert estimate(cls, attrs, Tech(65, 0.8)).energy(action) == pytest.approx(old.energy(action) * 0.64)


def test_wider_units_cost_more():
    for cls, action in (("multiplier", "multiply"), ("adder", "add")):
        e = [estimate(cls, {"width": w}).energy(action) for w in (8, 16, 32)]
        assert e[0] < e[1] < e[2]
    assert estimate("regfile", {"entries": 64, "width": 16}).energy("read") > \
        estimate("regfile", {"entries": 16, "width": 16}).energy("read")


# --------------------------------------------------------------------------- the reference table
def reference_prices():
    """The reference accelerator of reference-65nm.yaml: docs/hardware.md §2.3 sizes, 4-bit codes
    (16-entry WDM tables), 65 nm, 1.0 V; its step-index adders and entropy decoders are
    those of the same parts in the weight-sparse design and with decoders enabled."""
    cfg = design("coarse-sparse", weight_bits=4)
    table = price_components("reference", vector_components(cfg), Tech(65, 1.0))
    for other in (design("weight-sparse"), cfg.with_changes(entropy_decoder={"enabled": True})):
        extra = price_components("other", vector_components(other), Tech(65, 1.0))
        for key, pj in extra.energy.items():
            table.energy.setdefault(key, pj)
    return cfg, table


def test_reference_65nm_table_comes_out_of_the_estimators_within_2_percent():
    shipped = yaml.safe_load((TABLE_DIR / "reference-65nm.yaml").read_text())
    cfg, table = reference_prices()
    checked = 0
    for comp, actions in shipped["components"].items():
        for action, cost in actions.items():
            # the instruction buffer is priced inside the control processor: its array here
            est = sram(1024).energy(action) if comp == "ib" else table.cost(comp, action)
            assert est == pytest.approx(cost["pj"], rel=0.02), (comp, action)
            checked += 1
    assert checked == sum(len(a) for a in shipped["components"].values()) == 29
    static = shipped["static"]
    assert sram(8192).leakage_mw / 8 == pytest.approx(static["sram_leak_mw_per_kb"]["value"], rel=0.02)
    assert sram(8192, memory="edram").leakage_mw / 8 == pytest.approx(static["edram_leak_mw_per_kb"]["value"], rel=0.02)
    assert table.leakage_mw["pe"] / cfg.tn == pytest.approx(static["pe_leak_mw"]["value"], rel=0.02)
    from energy.estimators.memory import retention_s
    assert retention_s() == pytest.approx(static["edram_retention_s"]["value"])


# --------------------------------------------------------------------------- what the simulator sees
def test_a_64kb_nibin_costs_more_per_read_than_a_1kb_one():
    small = Pricing(design("coarse-sparse"))("nibin", "read")
    big = Pricing(design("coarse-sparse", nibin={"size_bytes": 65536, "bandwidth_bits": 256}))("nibin", "read")
    assert small == pytest.approx(1.576198, rel=1e-5) and big > 2 * small


def test_components_follow_capabilities():
    def names(d):
        return {c.name for c in vector_components(d)}
    assert names(design("dense")) == {"nbin", "sb", "nbout", "dram", "htree", "pe", "cp"}
    assert names(design("coarse-sparse")) == {"nbin", "nibin", "sib", "sb", "nbout", "dram", "nsm", "htree", "pe",
                                              "encoder", "cp"}
    assert "entropy-decoder" in names(design("coarse-sparse", entropy_decoder={"enabled": True}))
    pe = {c.name: c for c in vector_components(design("weight-sparse"))}["pe"]
    assert set(pe.actions) == {"mac", "add", "nonlinear", "index-step", "neuron-select"}  # no WDM, no SSM
    pe = {c.name: c for c in vector_components(design("coarse-sparse"))}["pe"]
    assert {"decode", "select"} <= set(pe.actions)
    sb = {c.name: c for c in vector_components(design("coarse-sparse", tn=32))}["sb"]
    assert sb.count == 32


def test_area_is_per_component_and_entropy_decoders_are_as_given():
    cfg = design("coarse-sparse", entropy_decoder={"enabled": True})
    p = Pricing(cfg)
    assert p.area_by_component_mm2["entropy-decoder"] == pytest.approx(16 * 64 * 0.01)
    assert p.leakage_mw("entropy-decoder") == pytest.approx(16 * 64 * 0.1)
    assert p.area_mm2 == pytest.approx(sum(p.area_by_component_mm2.values()))
    assert p.area_by_component_mm2["sb"] == pytest.approx(16 * sram(32768, width=1024).area_mm2)

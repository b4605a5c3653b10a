"""Roofline and efficiency metrics: recomputed here from the raw counts and the design
file, and checked against the roofline's own bound on a simulated network."""
import math

import pandas as pd
import pytest

from reports.metrics import METRICS, efficiency, roofline_point
from soc.arch import design
from soc.session import run_into


def test_efficiency_by_hand():
    totals = {"useful_macs": 1000, "dense_macs": 4000, "effectual_macs": 500, "dram_bytes": 100,
              "time_s": 1e-6, "energy_pj": 2000.0, "area_mm2": 4.0, "accuracy": 0.9, "parameters": 300}
    roofs = {"compute_roof_macs_per_s": 256e9, "dram_roof_bytes_per_s": 16e9, "word_bytes": 2}
    m = efficiency(totals, roofs)
    assert set(m) == set(METRICS)
    assert m["operational_intensity"] == 10.0
    assert m["operational_intensity_dense"] == 40.0
    assert m["attained_macs_per_s"] == pytest.approx(1e9)
    assert m["roof_macs_per_s"] == pytest.approx(160e9) and m["bound"] == "memory"
    assert m["useful_macs_per_joule"] == pytest.approx(1000 / 2e-9)
    assert m["energy_per_useful_mac_pj"] == 2.0
    assert m["macs_per_s_per_mm2"] == pytest.approx(0.25e9)
    assert m["dram_accesses_per_mac"] == pytest.approx(0.05)
    assert m["effective_to_ideal_mac_ratio"] == 2.0
    assert m["dense_equivalent_macs_per_s"] == pytest.approx(4e9)
    assert m["average_power_mw"] == pytest.approx(2000e-12 / 1e-6 * 1e3)
    assert m["accuracy_per_joule"] == pytest.approx(0.9 / 2e-9)
    assert m["accuracy_per_parameter"] == pytest.approx(0.003)


def test_no_macs_or_no_time_gives_no_roofline_point():
    assert roofline_point(0, 100, 1e-6, 1e9, 1e9)["bound"] is None
    fused = roofline_point(100, 10, 0.0, 1e9, 1e9)
    assert fused["attained_macs_per_s"] is None and fused["bound"] == "compute"  # 10 MAC/B x 1e9 B/s > 1e9
    nodram = roofline_point(100, 0, 1e-6, 1e9, 1e9)
    assert nodram["operational_intensity"] is None and nodram["roof_macs_per_s"] == 1e9
    assert efficiency({"useful_macs": 5, "time_s": 1.0, "energy_pj": 1.0})["bound"] is None  # no roofs given


@pytest.fixture(scope="module", params=[("coarse-sparse", []), ("dense", []),
                                        ("coarse-sparse", ["dram.bandwidth_bytes_per_cycle=2"])],
                ids=["coarse-sparse", "dense", "narrow-dram"])
def lenet_run(request, tmp_path_factory):
    name, sets = request.param
    cfg = design(name, **({"dram": {"bandwidth_bytes_per_cycle": 2.0}} if sets else {}))
    out = tmp_path_factory.mktemp(name)
    outcome = run_into(out, "lenet5", cfg, report=False)
    return cfg, pd.read_csv(out / "layers.csv"), outcome.summary


def test_roofline_recomputed_from_counts_and_design(lenet_run):
    cfg, layers, summary = lenet_run
    peak = cfg.tn * cfg.tm * cfg.clock_ghz * 1e9
    bandwidth = cfg.dram.bandwidth_bytes_per_cycle * cfg.clock_ghz * 1e9
    mac_layers = layers[layers.useful_macs > 0]
    assert len(mac_layers) == 4  # lenet5: two conv, two fc
    for _, row in mac_layers.iterrows():
        intensity = row.useful_macs / (row.dram_bytes_read + row.dram_bytes_written)
        assert row.operational_intensity == pytest.approx(intensity, rel=1e-12)
        assert row.operational_intensity_dense == pytest.approx(row.dense_macs / row.dram_bytes, rel=1e-12)
        roof = min(peak, intensity * bandwidth)
        assert row.roof_macs_per_s == pytest.approx(roof, rel=1e-12)
        assert row.bound == ("compute" if peak <= intensity * bandwidth else "memory")
        assert row.attained_macs_per_s == pytest.approx(row.useful_macs / (row.cycles / (cfg.clock_ghz * 1e9)))
    no_macs = layers[layers.useful_macs == 0]
    assert no_macs.operational_intensity.isna().all() and no_macs.bound.isna().all()
    total = summary["useful_macs"] / summary["dram_bytes"]
    assert summary["operational_intensity"] == pytest.approx(total)
    assert summary["energy_per_useful_mac_pj"] == pytest.approx(summary["energy_pj"] / summary["useful_macs"])
    assert summary["useful_macs_per_joule"] == pytest.approx(summary["useful_macs"] / (summary["energy_pj"] * 1e-12))


def test_attained_never_exceeds_the_roof(lenet_run):
    cfg, layers, summary = lenet_run
    mac_layers = layers[layers.useful_macs > 0]
    assert (mac_layers.attained_macs_per_s <= mac_layers.roof_macs_per_s * (1 + 1e-12)).all()
    assert summary["attained_macs_per_s"] <= summary["roof_macs_per_s"] * (1 + 1e-12)
    if cfg.dram.bandwidth_bytes_per_cycle == 2.0:
        assert (mac_layers.bound == "memory").any()


def test_dense_design_does_more_macs_than_needed(lenet_run):
    cfg, layers, summary = lenet_run
    if cfg.name == "dense":
        assert summary["effective_to_ideal_mac_ratio"] > 1.5
    assert summary["effective_to_ideal_mac_ratio"] >= 1.0
    assert not math.isnan(summary["dram_accesses_per_mac"])

"""Area and power in every result, and the estimators' effect on whole runs: cycles of the
shipped designs unchanged, energy within 2 % of the fixed-table prices they replaced, and
the node now changing energy."""
from __future__ import annotations

import pytest

from soc.arch import design
from soc.runtime.network import run_network
from workloads.zoo import get_network

# LeNet-5 (seed 0) before the estimators, when every design was priced by the
# reference-65nm derivation at its buffer sizes: cycles and total energy (pJ).
BEFORE = {"coarse-sparse": (10178, 11377740.94), "weight-sparse": (13874, 17767565.05),
          "dense": (68580, 91171550.67)}


@pytest.fixture(scope="module")
def lenet_runs():
    net = get_network("lenet5")
    return {name: run_network(net, design(name)) for name in BEFORE}


@pytest.mark.parametrize("name", list(BEFORE))
def test_cycles_unchanged_and_energy_within_2_percent(lenet_runs, name):
    s = lenet_runs[name].summary
    cycles, energy = BEFORE[name]
    assert s["cycles"] == cycles
    assert s["energy_pj"] == pytest.approx(energy, rel=0.02)


def test_every_layer_reports_area_and_on_chip_power(lenet_runs):
    for r in lenet_runs["coarse-sparse"].results:
        assert r.area_mm2 == pytest.approx(sum(r.area_by_component_mm2.values())) and r.area_mm2 > 1
        assert {"nbin", "sb", "pe", "nsm", "encoder"} <= set(r.area_by_component_mm2)
        d = r.to_dict()
        assert {"area_mm2", "area_by_component_mm2", "power_mw", "dram_energy_pj"} <= set(d)
        if r.time_s:
            on_chip = r.energy_pj - r.energy_by_component.get("dram", 0.0)
            assert r.power_mw == pytest.approx(on_chip / r.time_s * 1e-9)
            assert r.dram_energy_pj == pytest.approx(r.energy_by_component["dram"])


def test_network_summary_reports_area_and_average_power(lenet_runs):
    s = lenet_runs["weight-sparse"].summary
    assert s["area_mm2"] == pytest.approx(sum(s["area_by_component_mm2"].values()))
    assert "nsm" not in s["area_by_component_mm2"]                 # weight-sparse has no neuron selector
    dram = s["energy_by_component"]["dram"]
    assert s["dram_energy_pj"] == pytest.approx(dram)
    assert s["power_mw"] == pytest.approx((s["energy_pj"] - dram) / s["time_s"] * 1e-9)
    assert lenet_runs["dense"].summary["area_mm2"] < lenet_runs["coarse-sparse"].summary["area_mm2"]


def test_node_now_changes_energy_but_not_cycles(lenet_runs):
    net = get_network("lenet5")
    at28 = run_network(net, design("coarse-sparse", node_nm=28)).summary
    at65 = lenet_runs["coarse-sparse"].summary
    assert at28["cycles"] == at65["cycles"]
    assert at28["energy_pj"] < at65["energy_pj"] * 0.9            # on-chip energy scales; DRAM does not
    assert at28["energy_by_component"]["dram"] == pytest.approx(at65["energy_by_component"]["dram"])
    assert at28["area_mm2"] < at65["area_mm2"] / 3


def test_entropy_decoder_area_matches_the_breakdown():
    net = get_network("lenet5")
    s = run_network(net, design("coarse-sparse", entropy_decoder={"enabled": True}), layers=["ip2"])
    r = s.results[0]
    assert r.entropy_decoder_area_mm2 == pytest.approx(r.area_by_component_mm2["entropy-decoder"])
    assert r.entropy_decoder_area_mm2 == pytest.approx(16 * 64 * 0.01)
    assert r.energy_by_component["entropy-decoder"] > 0


def test_edram_buffers_are_smaller_and_pay_refresh():
    net = get_network("lenet5")
    edram = design("coarse-sparse", sb={"size_bytes": 32768, "bandwidth_bits": 1024, "memory": "edram"})
    s = run_network(net, edram, layers=["ip1"]).summary
    sram = run_network(net, design("coarse-sparse"), layers=["ip1"]).summary
    assert s["area_by_component_mm2"]["sb"] == pytest.approx(sram["area_by_component_mm2"]["sb"] / 2.85)
    assert s["energy_by_action"].get("refresh", 0) > 0

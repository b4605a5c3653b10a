"""Every layer of LeNet-5, the MLP and Cifar10-quick through the programming model and the
compiler on all three presets: outputs equal to the reference, one row per layer, and
the totals add up."""
from __future__ import annotations

import math

import pytest

from soc.arch import design

PRESETS = ("coarse-sparse", "weight-sparse", "dense")
from soc.runtime.network import fusable_relus, run_network
from workloads.zoo import get_network

NETWORKS = ("lenet5", "mlp", "cifar10-quick")


@pytest.mark.parametrize("preset_name", PRESETS)
@pytest.mark.parametrize("network", NETWORKS)
def test_every_layer_matches_the_reference(network, preset_name):
    net = get_network(network)
    outcome = run_network(net, design(preset_name))
    assert [r.name for r in outcome.results] == [layer.name for layer in net.layers]
    for r in outcome.results:
        assert r.outputs_match_reference, f"{network} {r.name} on {preset_name}"
        assert r.arch == preset_name
    s = outcome.summary
    assert s["outputs_match_reference"] is True
    assert s["status"] == "ok"
    assert s["cycles"] == sum(r.cycles for r in outcome.results) > 0
    assert math.isclose(s["energy_pj"], sum(s["energy_by_component"].values()), rel_tol=1e-9)
    weighted = [r for r in outcome.results if r.kind in ("conv", "fc")]
    assert all(r.strategy in ("output-reuse", "synapse-reuse", "input-reuse") for r in weighted)
    assert s["useful_macs"] + s["skipped_macs"] == sum(r.dense_macs for r in outcome.results)
    assert s["useful_macs"] + s["skipped_macs"] == net.macs


def test_presets_order_as_the_hardware_predicts():
    """coarse-sparse skips pruned weights and zero neurons, weight-sparse only pruned
    weights, dense nothing: fewer MACs done, in that order."""
    net = get_network("cifar10-quick")
    macs = {p: run_network(net, design(p)).summary["useful_macs"] for p in PRESETS}
    assert macs["coarse-sparse"] < macs["weight-sparse"] < macs["dense"] == net.macs


def test_relu_after_conv_is_fused_and_costs_nothing_of_its_own():
    net = get_network("cifar10-quick")
    fused = fusable_relus(net)
    assert fused == {"relu2", "relu3"}  # relu1 follows a pooling layer
    outcome = run_network(net, design("coarse-sparse"))
    by_name = {r.name: r for r in outcome.results}
    assert by_name["relu2"].strategy == "fused" and by_name["relu2"].energy_pj == 0
    assert by_name["relu1"].strategy == "elementwise" and by_name["relu1"].energy_pj > 0
    assert by_name["conv2"].energy_by_action.get("nonlinear", 0) > 0


def test_results_are_deterministic_for_a_seed():
    net = get_network("mlp")
    a = run_network(net, design("coarse-sparse"), seed=4).summary
    b = run_network(net, design("coarse-sparse"), seed=4).summary
    c = run_network(net, design("coarse-sparse"), seed=5).summary
    assert a["cycles"] == b["cycles"] and a["energy_pj"] == b["energy_pj"]
    assert (a["cycles"], a["energy_pj"]) != (c["cycles"], c["energy_pj"])


@pytest.mark.parametrize("network", ["lstm", "gru"])
def test_recurrent_cells_run_their_products_on_the_accelerator(network):
    outcome = run_network(get_network(network), design("coarse-sparse"))
    (cell,) = outcome.results
    assert cell.outputs_match_reference
    assert cell.useful_macs > 0 and cell.energy_by_component["pe"] > 0

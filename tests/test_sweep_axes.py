"""The run axes: sparsity parameters of the generated tensors, the design axis, and the
spatial array's dataflows as a second engine."""
from __future__ import annotations

import pytest

from soc.sweep.runner import run_sweep


def test_sparsity_axes_change_the_work_done():
    spec = {"workloads": ["lenet5"], "axes": {"weight_density": [0.1, 0.5], "input_density": [0.3, 1.0],
                                              "block": [[4, 4], {"conv": [4, 1, 1, 1], "fc": [8, 8]}]},
            "metrics": ["useful_macs", "energy_pj", "time_s", "measured_weight_density"]}
    t = run_sweep(spec, None, workers=2).table
    assert (t.status == "ok").all() and len(t) == 8
    assert set(t.columns) >= {"useful_macs", "energy_pj", "time_s"} and "e_dram_pj" not in t.columns
    # the fraction of weights kept over the simulated layers is the one asked (block granularity aside)
    assert ((t.measured_weight_density - t.weight_density).abs() < 0.02).all()
    # block cells are stored as text when the values mix lists and mappings
    assert t.block.tolist()[:2] == ["[4, 4]", '{"conv": [4, 1, 1, 1], "fc": [8, 8]}']
    key = ["input_density", "block"]
    lo = t[t.weight_density == 0.1].set_index(key).useful_macs
    hi = t[t.weight_density == 0.5].set_index(key).useful_macs
    assert (hi > 2 * lo).all()  # five times the weights kept: far more multiplies done
    sparse_in = t[t.input_density == 0.3].set_index(["weight_density", "block"]).useful_macs
    dense_in = t[t.input_density == 1.0].set_index(["weight_density", "block"]).useful_macs
    assert (dense_in > sparse_in).all()


def test_generated_densities_are_the_ones_asked():
    from soc.sweep.evaluate import reference_tensors
    from soc.sweep.points import enumerate_points, make_task
    from soc.sweep.spec import load_spec
    spec = load_spec({"workloads": ["lenet5"], "axes": {"weight_density": [0.25], "input_density": [0.5],
                                                        "block": [[2, 2]]}}, probe=False)
    task = make_task(spec, enumerate_points(spec)[0])
    tensors = {t.layer.name: t for t in reference_tensors(task) if t is not None}
    ip1 = tensors["ip1"]
    assert ip1.weight_density == pytest.approx(0.25, abs=0.01)
    assert tensors["conv2"].weight_density == pytest.approx(0.25, abs=0.03)
    # inputs: the network input, and behind each ReLU (LeNet-5 has one, before ip2)
    assert tensors["conv1"].input_density == pytest.approx(0.5, abs=0.01)
    assert tensors["ip2"].input_density == pytest.approx(0.5, abs=0.01)
    # the FC block applies to the FC layers only: 2x2 blocks in ip1's mask
    keep = ip1.keep
    assert (keep[0::2, 0::2] == keep[1::2, 1::2]).all()


def test_arch_axis_and_a_combination_that_cannot_be_built():
    spec = {"workloads": [{"network": "lenet5", "layers": ["conv1", "conv2"]}],
            "axes": {"arch": ["coarse-sparse", "dense"], "neuron_format": ["bitmask", "dense"]}}
    t = run_sweep(spec, None, workers=1).table
    assert len(t) == 4
    by = t.set_index(["arch", "neuron_format"])
    assert by.loc[("coarse-sparse", "bitmask"), "status"] == "ok"
    # the dense design with bitmask neurons lacks the neuron selector: a failed point, kept with its error
    failed = t[t.status == "failed"]
    assert len(failed) >= 1 and failed.error.str.contains("ConfigError").all()
    assert by.loc[("dense", "dense"), "status"] == "ok"
    assert by.loc[("dense", "dense"), "energy_pj"] > 0


def test_dataflow_axis_runs_the_spatial_array():
    from soc.arch import load_design
    from soc.spatial.compare import network_shapes, run_one
    spec = {"workloads": [{"network": "lenet5", "layers": ["conv2"]}],
            "axes": {"dataflow": ["WS", "RS"], "batch": [2], "array.rows": [8, 16]},
            "objectives": ["energy", "latency"]}
    outcome = run_sweep(spec, None, workers=1)
    t = outcome.table
    assert outcome.spec.engine == "spatial" and (t.status == "ok").all()
    assert outcome.spec.raw.get("arch") is None and outcome.spec.base["name"] == "spatial-16x16"
    assert t.outputs_match_reference.all()
    shape = next(s for s in network_shapes("lenet5", 2) if s.name == "conv2")
    for _, row in t.iterrows():
        cfg = load_design("spatial-16x16", {"array.rows": int(row["array.rows"])}, kind="spatial")
        direct = run_one(shape, row.dataflow, cfg, check=False)
        assert row.cycles == direct["cycles"] and row.time_s == pytest.approx(direct["latency_s"])
        assert row.energy_mac_units == pytest.approx(direct["energy_per_mac"] * direct["macs"])
        assert row.edp_mac_s == pytest.approx(row.energy_mac_units * row.time_s)
    full = t[t["array.rows"] == 16].set_index("dataflow")
    assert full.energy_mac_units["RS"] < full.energy_mac_units["WS"]


def test_layer_files_in_other_tools_formats_keep_their_stated_densities():
    """A SCALE-Sim topology with a Sparsity column (N:M) and a Sparseloop problem with
    stated densities (tests/data/README.md): their layers are swept at the densities the
    files state, unless the weight_density axis overrides them."""
    from pathlib import Path
    data = Path(__file__).parent / "data"
    conv = str(data / "scalesim" / "sparsity" / "conv.csv")          # 2:4 -> half the weights kept
    t = run_sweep({"workloads": [conv], "axes": {"tn": [4, 8]}}, None, workers=1).table
    assert (t.status == "ok").all()
    assert t.measured_weight_density.tolist() == pytest.approx([0.5, 0.5], abs=0.05)
    dense = run_sweep({"workloads": [conv], "axes": {"weight_density": [1.0]}}, None, workers=1).table
    assert dense.measured_weight_density.iloc[0] == pytest.approx(1.0)
    from workloads.io import load_model
    problem = str(data / "timeloop" / "sparse" / "3-spmspm.yaml")   # states weight and input densities
    stated = next(iter(load_model(problem).stated.values()))
    t = run_sweep({"workloads": [problem], "axes": {"tn": [4]}}, None, workers=1).table
    assert (t.status == "ok").all()
    assert t.measured_weight_density.iloc[0] == pytest.approx(stated.weight, abs=0.05)
    assert t.measured_input_density.iloc[0] == pytest.approx(stated.input, abs=0.05)

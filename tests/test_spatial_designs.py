"""Spatial designs as files: the shipped designs (spatial-16x16, eyeriss), the equal-area
and fixed-storage modes, a design written here, and bad designs refused before any
simulation starts."""
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from soc.arch import ConfigError, design_names, load_design
from soc.cli import (
    UserError,
    app,
    commands,  # noqa: F401  (registers the sub-commands)
)
from soc.spatial import compare
from soc.spatial.compare import network_shapes, run_one
from soc.spatial.shapes import conv, fc

SPATIAL = ["eyeriss", "spatial-16x16"]

# `socsim dataflows alexnet --layer conv1 --out DIR` (256 PEs, batch 16, spatial-normalized)
# as computed before spatial designs became files; `time_s` is now called `latency_s`.
TODAY_CONV1 = {
    "WS": {"energy_per_mac": 9.949159779614325, "e_dram": 1.3367768595041323, "e_glb": 1.433801652892562, "e_noc": 4.178581267217631, "e_rf": 2.0, "e_alu": 1.0, "e_weights": 1.0133471074380165, "e_inputs": 4.11763085399449, "e_psums": 3.8181818181818183, "dram_accesses_per_mac": 0.006683884297520661, "cycles": 14015451, "time_s": 0.014015451000000002, "utilization": 0.47008476573461677, "pes_used": 253, "rf_bytes": 64, "glb_bytes": 589824, "storage_area": 655360.0, "mapping": 'rf[-] sp[M23 S11] glb[N16 M96 C3 Q55 R11 S11] glb_order=MCRSNPQ dram_order=MCRSNPQ RF=64B GLB=589824B'},  # noqa: E501
    "OSA": {"energy_per_mac": 11.226384809780754, "e_dram": 1.1358513762721125, "e_glb": 1.0905334335086416, "e_noc": 4.005509641873278, "e_rf": 3.994490358126722, "e_alu": 1.0, "e_weights": 3.3041322314049575, "e_inputs": 4.338230539808304, "e_psums": 2.5840220385674932, "dram_accesses_per_mac": 0.005679256881360562, "cycles": 12097023, "time_s": 0.012097023, "utilization": 0.5446339979679298, "pes_used": 256, "rf_bytes": 512, "glb_bytes": 131072, "storage_area": 655360.0, "mapping": 'rf[R11 S11] sp[P16 Q16] glb[C3 P16 Q55 R11 S11] glb_order=NMPQCRS dram_order=NPQMCRS RF=512B GLB=131072B'},  # noqa: E501
    "OSB": {"energy_per_mac": 10.382156102725222, "e_dram": 0.9669592240967146, "e_glb": 0.41519687862850657, "e_noc": 4.005509641873278, "e_rf": 3.994490358126722, "e_alu": 1.0, "e_weights": 3.198636363636361, "e_inputs": 3.599497700521367, "e_psums": 2.5840220385674932, "dram_accesses_per_mac": 0.004834796120483573, "cycles": 8006624, "time_s": 0.008006624, "utilization": 0.822874909574872, "pes_used": 256, "rf_bytes": 512, "glb_bytes": 131072, "storage_area": 655360.0, "mapping": 'rf[R11 S11] sp[M8 P8 Q4] glb[M96 C3 P8 Q8 R11 S11] glb_order=NMPQCRS dram_order=NMPQCRS RF=512B GLB=131072B'},  # noqa: E501
    "OSC": {"energy_per_mac": 11.010404457801151, "e_dram": 1.0256073127973955, "e_glb": 0.9847971450037565, "e_noc": 4.005509641873278, "e_rf": 3.994490358126722, "e_alu": 1.0, "e_weights": 3.8436363636363637, "e_inputs": 3.582746055597295, "e_psums": 2.5840220385674932, "dram_accesses_per_mac": 0.005128036563986977, "cycles": 9745328, "time_s": 0.009745328000000001, "utilization": 0.6760624167806358, "pes_used": 256, "rf_bytes": 64, "glb_bytes": 589824, "storage_area": 655360.0, "mapping": 'rf[S11] sp[N8 M32] glb[N8 M32 C3 P5 Q55 R11 S11] glb_order=NMPQCRS dram_order=NPQMCRS RF=64B GLB=589824B'},  # noqa: E501
    "NLR": {"energy_per_mac": 18.680730084466, "e_dram": 0.8845650342645084, "e_glb": 10.135008025408101, "e_noc": 6.661157024793388, "e_rf": 0.0, "e_alu": 1.0, "e_weights": 8.004256198347107, "e_inputs": 2.464352673997678, "e_psums": 7.212121212121212, "dram_accesses_per_mac": 0.004422825171322542, "cycles": 89980416, "time_s": 0.08998041600000001, "utilization": 0.0732209328749936, "pes_used": 192, "rf_bytes": 0, "glb_bytes": 655360, "storage_area": 655360.0, "mapping": 'rf[-] sp[M64 C3] glb[M96 C3 P11 Q55 R11 S11] glb_order=MCRSNPQ dram_order=MCRSNPQ RF=0B GLB=655360B'},  # noqa: E501
    "RS": {"energy_per_mac": 6.610151572069303, "e_dram": 1.2110113152562438, "e_glb": 0.19087579400314186, "e_noc": 0.39008264462809916, "e_rf": 3.8181818181818183, "e_alu": 1.0, "e_weights": 1.3537190082644628, "e_inputs": 1.6724105252373471, "e_psums": 2.5840220385674932, "dram_accesses_per_mac": 0.006055056576281219, "cycles": 12004780, "time_s": 0.012004780000000001, "utilization": 0.548818887143288, "pes_used": 165, "rf_bytes": 512, "glb_bytes": 131072, "storage_area": 655360.0, "mapping": 'rf[M4 Q14 S11] sp[M5 C3 R11] glb[M20 C3 P11 Q55 R11 S11] glb_order=NPQMCRS dram_order=NPQMCRS RF=512B GLB=131072B'},  # noqa: E501
}

# Eyeriss, JSSC 2017, AlexNet CONV layers at batch 4: MACs per layer (# of MAC, MOPs).
EYERISS_MOPS = {"conv1": 421.66, "conv2": 895.79, "conv3": 598.1, "conv4": 448.6, "conv5": 299.0}
# ... and the measured latency per layer (ms) at 200 MHz: processing, and total
# (processing plus the time the array waits for configuration and DRAM).
EYERISS_LATENCY_MS = {"conv1": (16.5, 20.9), "conv2": (39.2, 41.9), "conv3": (21.8, 23.6),
                      "conv4": (16.0, 18.4), "conv5": (10.0, 10.5)}


def argv(*args):
    return ["dataflows", *args]


def invoke(*args):
    return CliRunner().invoke(app, argv(*args))


@pytest.fixture
def no_simulation(monkeypatch):
    """Fail the test if a simulation starts."""
    def refuse(*a, **k):
        raise AssertionError("a simulation started before the bad input was refused")
    monkeypatch.setattr(compare, "compare_layers", refuse)
    monkeypatch.setattr(compare, "run_one", refuse)


def write_design(tmp_path: Path, **changes) -> Path:
    """eyeriss.yaml as a user's file, with top-level fields changed or added."""
    from soc.arch.loader import DESIGN_DIR
    data = yaml.safe_load((DESIGN_DIR / "eyeriss.yaml").read_text())
    data.update(changes)
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


# --- the shipped designs ------------------------------------------------------------------
def test_the_shipped_spatial_designs_are_listed_by_kind():
    assert sorted(design_names("spatial")) == SPATIAL
    assert not set(SPATIAL) & set(design_names("vector"))


@pytest.mark.parametrize("name", SPATIAL)
def test_every_shipped_spatial_design_validates_and_runs_an_alexnet_layer(name):
    cfg = load_design(name, kind="spatial")
    shape = network_shapes("alexnet", 2, "conv5")[0]
    for dataflow in ("RS", "NLR"):
        row = run_one(shape, dataflow, cfg)
        assert row["outputs_match_reference"] is True, row["mapping"]
        assert row["macs"] == shape.macs and row["cycles"] > 0
        assert row["design"] == name


def test_eyeriss_is_the_chip_as_built():
    e = load_design("eyeriss", kind="spatial")
    assert (e.array.rows, e.array.columns, e.pes) == (12, 14, 168)
    assert e.rf.split_bytes() == {"weights": 224 * 2, "inputs": 12 * 2, "psums": 24 * 2}
    assert e.glb.size_bytes == 108 * 1024 and e.storage == "fixed"
    assert e.clock_ghz * 1e9 == pytest.approx(200e6) and e.node_nm == 65
    assert e.zero_gating.enabled and e.zero_gating.condition_on == "inputs"
    assert e.noc.multicast


def test_spatial_16x16_reproduces_the_dataflow_comparison_exactly(tmp_path):
    res = invoke("alexnet", "--arch", "spatial-16x16", "--layer", "conv1", "--workers", "1", "--out", str(tmp_path))
    assert res.exit_code == 0, res.output
    df = pd.read_csv(tmp_path / "dataflows.csv").set_index("dataflow")
    assert list(df.index) == list(TODAY_CONV1)
    for dataflow, pinned in TODAY_CONV1.items():
        row = df.loc[dataflow]
        for col, value in pinned.items():
            got = row["latency_s" if col == "time_s" else col]
            assert got == value, (dataflow, col, got, value)
        assert row.outputs_match_reference
        assert row.storage == "equal-area"


def test_the_default_design_is_spatial_16x16_and_pes_is_a_shortcut(tmp_path):
    res = invoke("alexnet", "--layer", "conv5", "--dataflow", "RS", "--pes", "168", "--batch", "2",
                 "--no-check", "--workers", "1", "--out", str(tmp_path))
    assert res.exit_code == 0, res.output
    assert "spatial-16x16: 12x14 PEs" in res.output
    row = pd.read_csv(tmp_path / "dataflows.csv").iloc[0]
    assert row.design == "spatial-16x16" and row.pes_used <= 168


def test_eyeriss_fixed_storage_reports_latency_at_200_mhz(tmp_path):
    res = invoke("alexnet", "--arch", "eyeriss", "--batch", "4", "--layer", "conv1", "--dataflow", "RS,NLR",
                 "--workers", "1", "--out", str(tmp_path))
    assert res.exit_code == 0, res.output
    assert "eyeriss: 12x14 PEs at 200 MHz, fixed storage, batch 4" in res.output
    assert "latency_ms" in res.output
    df = pd.read_csv(tmp_path / "dataflows.csv").set_index("dataflow")
    for d in ("RS", "NLR"):
        row = df.loc[d]
        assert row.storage == "fixed" and row.outputs_match_reference
        assert row.latency_s == pytest.approx(row.cycles / 200e6, rel=1e-12)
        assert row.cycles == row.array_cycles + row.dram_cycles
        assert row.glb_bytes == 110592
        assert row.gated_macs > 0
    assert df.loc["RS", "rf_bytes"] == 448 + 24 + 48
    assert df.loc["NLR", "rf_bytes"] == 0          # NLR uses no RF, and the same GLB
    assert f"{df.loc['RS', 'latency_s'] * 1e3:.3f}" in res.output
    import json
    record = json.loads((tmp_path / "design.json").read_text())
    assert record["design"]["name"] == "eyeriss" and record["design"]["storage"] == "fixed"
    assert len(record["design_hash"]) == 16


def test_alexnet_conv_layers_have_the_macs_eyeriss_reports():
    for shape in network_shapes("alexnet", 4)[:5]:
        assert round(shape.macs / 1e6, 1) == round(EYERISS_MOPS[shape.name], 1)


def test_eyeriss_rs_latency_is_of_the_measured_order():
    """Not a fit: the model is built from the chip's parameters only, and this checks
    that its RS latency on each AlexNet CONV layer at batch 4 lies within a factor 1.5 of
    the measured total latency (docs/spatial-designs.md explains the differences)."""
    cfg = load_design("eyeriss", kind="spatial")
    for shape in network_shapes("alexnet", 4)[:5]:
        row = run_one(shape, "RS", cfg, check=False)
        processing, total = EYERISS_LATENCY_MS[shape.name]
        assert total / 1.5 < row["latency_s"] * 1e3 < total * 1.5, (shape.name, row["latency_s"])


# --- the fixed-storage mode ------------------------------------------------------------------
def test_fixed_storage_fits_every_tile_in_its_own_rf():
    from soc.spatial import DATAFLOWS
    from soc.spatial.search import candidates
    cfg = load_design("eyeriss", kind="spatial")
    shape = conv("c", N=2, C=16, M=32, H=13, W=13, R=3, padding=1)
    for dataflow in DATAFLOWS:
        seen = 0
        for m in candidates(shape, dataflow, cfg):
            words = m.tile_words(m.t0)
            if m.has_rf:
                assert words["weights"] <= 224 and words["inputs"] <= 12 and words["psums"] <= 24, m.describe()
                assert m.rf_bytes == 520
            else:
                assert dataflow == "NLR" and m.rf_bytes == 0
            assert m.glb_bytes == 110592 and m.fits(168)
            seen += 1
        assert seen > 0, dataflow


def test_fixed_storage_rs_takes_a_row_segment_sized_to_the_input_rf():
    from soc.spatial.search import best_mapping
    cfg = load_design("eyeriss", kind="spatial")
    m = best_mapping(network_shapes("alexnet", 4, "conv1")[0], "RS", cfg)
    # an 11-wide filter row at stride 4: 12 input words hold one output's window only
    assert m.t0["Q"] == 1 and m.tile_words(m.t0)["inputs"] <= 12


def test_a_design_without_rf_maps_only_nlr(tmp_path):
    path = write_design(tmp_path, rf=None, zero_gating={"enabled": False})
    cfg = load_design(path, kind="spatial")
    shape = conv("c", N=1, C=4, M=8, H=7, W=7, R=3)
    rows = {d: run_one(shape, d, cfg) for d in ("RS", "WS", "NLR")}
    assert rows["NLR"]["outputs_match_reference"] is True
    for d in ("RS", "WS"):
        assert pd.isna(rows[d]["cycles"]) and "no RF" in rows[d]["mapping"]


def test_equal_area_and_fixed_storage_differ_on_the_same_chip():
    fixed = load_design("eyeriss", kind="spatial")
    equal = load_design("eyeriss", ["storage=equal-area"], kind="spatial")
    shape = network_shapes("alexnet", 2, "conv3")[0]
    a, b = run_one(shape, "RS", fixed, check=False), run_one(shape, "RS", equal, check=False)
    assert a["glb_bytes"] == 110592 and b["glb_bytes"] != 110592
    assert b["storage_area"] <= equal.area_budget


# --- zero gating and multicast ------------------------------------------------------------
@pytest.mark.parametrize("operand", ["inputs", "weights"])
def test_zero_counts_equal_the_zeros_the_array_meets(operand):
    from soc.spatial.array import simulate_mapping
    from soc.spatial.functional import random_tensors
    from soc.spatial.gating import zero_macs
    from soc.spatial.search import best_mapping
    cfg = load_design("eyeriss", [f"zero_gating.condition_on={operand}"], kind="spatial")
    shape = conv("c", N=2, C=3, M=4, H=9, W=9, R=3, stride=2, padding=1)
    from dataclasses import replace
    shape = replace(shape, input_density=0.4, weight_density=0.5)
    w, x = random_tensors(shape, seed=4)
    m = replace(best_mapping(shape, "RS", cfg), zero_macs=zero_macs(shape, operand, x if operand == "inputs" else w))
    ex = simulate_mapping(m, cfg, tensors=(w, x)).execution
    observed = ex.zero_input_macs if operand == "inputs" else ex.zero_weight_macs
    assert observed == m.zero_macs > 0


def test_gating_saves_energy_but_no_cycles():
    shape = network_shapes("alexnet", 2, "conv3")[0]
    on = load_design("eyeriss", kind="spatial")
    off = load_design("eyeriss", ["zero_gating.enabled=false"], kind="spatial")
    full_cost = load_design("eyeriss", ["zero_gating.gated_energy=1.0"], kind="spatial")
    a, b, c = (run_one(shape, "RS", cfg, check=False) for cfg in (on, off, full_cost))
    assert a["mapping"] == b["mapping"] == c["mapping"]
    assert a["cycles"] == b["cycles"] == c["cycles"]
    assert a["e_alu"] < b["e_alu"] and a["e_rf"] < b["e_rf"] and a["energy_per_mac"] < b["energy_per_mac"]
    assert a["e_alu"] == pytest.approx(1 - a["gated_macs"] / shape.macs)
    assert c["energy_per_mac"] == pytest.approx(b["energy_per_mac"])
    assert a["e_dram"] == pytest.approx(b["e_dram"]) and a["e_noc"] == pytest.approx(b["e_noc"])


def test_without_multicast_the_glb_reads_once_per_destination():
    shape = conv("c", N=2, C=8, M=16, H=11, W=11, R=3, padding=1)
    base = load_design("spatial-16x16", kind="spatial")
    uni = load_design("spatial-16x16", ["noc.multicast=false"], kind="spatial")
    a, b = run_one(shape, "RS", base, check=False), run_one(shape, "RS", uni, check=False)
    assert b["glb_accesses"] > a["glb_accesses"]
    assert b["e_glb"] > a["e_glb"]


def test_node_and_supply_scale_a_primitive_table():
    from soc.spatial.accounting import level_costs
    base = level_costs("horowitz-45nm", 512, 131072)
    scaled = level_costs("horowitz-45nm", 512, 131072, node_nm=90, vdd_v=0.9)
    assert scaled["dram"] == base["dram"]                      # off-chip: not node scaled
    for level in ("alu", "rf", "glb", "noc"):
        assert scaled[level] == pytest.approx(2 * base[level])  # (90/45) x (0.9/0.9)^2
    assert level_costs("spatial-normalized", 512, 1, node_nm=28) == level_costs("spatial-normalized", 512, 1)


def test_a_split_rf_and_glb_banks_are_priced_by_their_own_sizes():
    from soc.spatial.accounting import level_costs
    c = level_costs("horowitz-45nm", 520, 110592, rf_split={"weights": 448, "inputs": 24, "psums": 48}, glb_banks=27)
    assert c["rf:inputs"] < c["rf:psums"] < c["rf:weights"]
    assert c["glb"] == pytest.approx(level_costs("horowitz-45nm", 520, 4096)["glb"])


# --- a design written here ---------------------------------------------------------------------
def test_a_design_file_written_here_runs(tmp_path):
    design = {
        "kind": "spatial", "name": "my-array", "description": "8x8, one shared RF, no multicast",
        "array": {"rows": 8, "columns": 8}, "word_bytes": 2, "clock_ghz": 0.5, "node_nm": 28, "vdd_v": 0.8,
        "rf": {"shared": {"size_bytes": 128}},
        "glb": {"size_bytes": 32768, "banks": 4, "bank_words_per_cycle": 8},
        "noc": {"multicast": False, "words_per_cycle": 16},
        "dram": {"bandwidth_bytes_per_cycle": 8.0, "latency_cycles": 50},
        "zero_gating": {"enabled": True, "condition_on": "weights", "gated_energy": 0.1},
        "storage": "fixed", "energy_table": "horowitz-45nm",
    }
    path = tmp_path / "my-array.yaml"
    path.write_text(yaml.safe_dump(design))
    res = invoke("alexnet", "--arch", str(path), "--layer", "conv4", "--batch", "1", "--workers", "1",
                 "--out", str(tmp_path / "out"))
    assert res.exit_code == 0, res.output
    df = pd.read_csv(tmp_path / "out" / "dataflows.csv")
    assert len(df) == 6 and (df.design == "my-array").all()
    mapped = df.dropna(subset=["cycles"])
    assert set(mapped.dataflow) == {"WS", "OSA", "OSB", "OSC", "NLR", "RS"}
    assert mapped.outputs_match_reference.all()
    assert mapped.latency_s.to_numpy() == pytest.approx((mapped.cycles / 0.5e9).to_numpy(), rel=1e-12)
    assert (mapped.gated_macs > 0).all()        # AlexNet's pruned weights gate MACs
    assert (mapped[mapped.dataflow != "NLR"].rf_bytes == 128).all()


# --- bad input -------------------------------------------------------------------------------------
@pytest.mark.parametrize("changes, needles", [
    ({"pe_rows": 12}, ["pe_rows", "unknown field"]),
    ({"array": {"rows": "twelve", "columns": 14}}, ["array.rows", "integer"]),
    ({"array": {"rows": 0, "columns": 14}}, ["array.rows", "greater than or equal to 1"]),
    ({"glb": {"size_bytes": -4096, "banks": 1, "bank_words_per_cycle": 4}}, ["glb.size_bytes", "greater than 0"]),
    ({"rf": {"weights": {"size_bytes": 448}, "inputs": {"size_bytes": 0}, "psums": {"size_bytes": 48}}},
     ["rf.inputs.size_bytes", "greater than 0"]),
    ({"rf": {"weights": {"size_bytes": 448}, "inputs": {"size_bytes": 1}, "psums": {"size_bytes": 48}}},
     ["rf.inputs.size_bytes", "at least one 2-byte word"]),
    ({"rf": {"shared": {"size_bytes": 4}}}, ["rf.shared.size_bytes", ">= 6 bytes"]),
    ({"storage": "elastic"}, ["storage", "'equal-area' or 'fixed'"]),
    ({"clock_ghz": 0}, ["clock_ghz", "greater than 0"]),
    ({"zero_gating": {"enabled": True, "condition_on": "outputs"}}, ["zero_gating.condition_on", "'inputs' or 'weights'"]),
    ({"energy_table": "no-such-table"}, ["energy_table", "allowed"]),
    ({"array": {"rows": 200, "columns": 200}}, ["array", "at most 16384"]),
])
def test_a_bad_design_file_is_refused_naming_the_field(tmp_path, no_simulation, changes, needles):
    path = write_design(tmp_path, **changes)
    res = invoke("alexnet", "--arch", str(path), "--out", str(tmp_path / "out"))
    assert isinstance(res.exception, UserError), res.output
    msg = str(res.exception)
    assert "\n" not in msg and str(path) in msg
    for needle in needles:
        assert needle in msg, msg


@pytest.mark.parametrize("sets, needles", [
    (["glb.sise_bytes=4096"], ["--set glb.sise_bytes", "unknown field of a spatial design", "glb.size_bytes"]),
    (["pes=64"], ["--set pes", "allowed:", "array.rows"]),
    (["rf.psums.size_bytes=1"], ["rf.psums.size_bytes", "at least one 2-byte word"]),
    (["noc.multicast=maybe"], ["noc.multicast", "boolean"]),
    (["dram.bandwidth_bytes_per_cycle=-1"], ["dram.bandwidth_bytes_per_cycle", "greater than 0"]),
])
def test_a_bad_set_is_refused_naming_the_field(tmp_path, no_simulation, sets, needles):
    args = [a for s in sets for a in ("--set", s)]
    res = invoke("alexnet", "--arch", "eyeriss", *args, "--out", str(tmp_path))
    assert isinstance(res.exception, UserError), res.output
    msg = str(res.exception)
    assert "\n" not in msg
    for needle in needles:
        assert needle in msg, msg


def test_a_vector_design_is_refused_naming_the_command_and_the_spatial_designs(tmp_path, no_simulation):
    res = invoke("alexnet", "--arch", "dense", "--out", str(tmp_path))
    assert isinstance(res.exception, UserError), res.output
    msg = str(res.exception)
    assert "socsim dataflows" in msg and "dense is a vector design" in msg
    assert "spatial-16x16" in msg and "eyeriss" in msg and "coarse-sparse" not in msg
    res = invoke("alexnet", "--arch", "no-such", "--out", str(tmp_path))
    assert "unknown design 'no-such'" in str(res.exception) and "eyeriss" in str(res.exception)


def test_a_bad_design_exits_2_with_one_line(tmp_path):
    path = write_design(tmp_path, rf={"shared": {"size_bytes": 2}})
    res = subprocess.run([sys.executable, "-c", "from soc.cli import main; main()", "dataflows", "alexnet",
                          "--arch", str(path), "--out", str(tmp_path / "out")],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "rf.shared.size_bytes" in lines[0], res.stderr
    assert not (tmp_path / "out").exists()


def test_python_api_keeps_the_equal_area_parameters():
    from soc.arch.spatial import make_spatial_config
    cfg = make_spatial_config(pes=64, baseline_rf_bytes=256, rf_choices=(64, 128, 256))
    assert (cfg.array.rows, cfg.array.columns) == (8, 8)
    assert cfg.area_budget == 64 * 256 * 4 + 64 * 256
    with pytest.raises(ConfigError, match="pes"):
        make_spatial_config(pes=0)
    assert fc("f", 1, 4, 2).input_density == 1.0


def test_input_density_option_sets_the_zeros_gating_meets(tmp_path):
    rows = {}
    for density in ("1.0", "0.25"):
        out = tmp_path / density
        res = invoke("alexnet", "--arch", "eyeriss", "--layer", "conv3", "--dataflow", "RS", "--batch", "1",
                     "--input-density", density, "--no-check", "--workers", "1", "--out", str(out))
        assert res.exit_code == 0, res.output
        rows[density] = pd.read_csv(out / "dataflows.csv").iloc[0]
    dense, sparse = rows["1.0"], rows["0.25"]
    assert dense.cycles == sparse.cycles
    assert sparse.gated_macs > 0.7 * sparse.macs > dense.gated_macs   # dense: padding zeros only
    assert sparse.energy_per_mac < dense.energy_per_mac
    res = invoke("alexnet", "--arch", "eyeriss", "--input-density", "0", "--out", str(tmp_path / "bad"))
    assert isinstance(res.exception, UserError) and "--input-density" in str(res.exception)

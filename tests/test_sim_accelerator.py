import gc
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from energy.ledger import EnergyLedger
from soc.arch import design
from soc.compiler.lowering import lower_conv, lower_fc
from soc.compiler.program import Tiling
from soc.runtime.simulate import collector_paused, simulate_conv, simulate_fc
from soc.vector.accelerator import VectorAccelerator
from soc.vector.buffer import BufferOverflowError
from tests.sim_layers import conv_layer, fc_layer

PRESETS = ["coarse-sparse", "weight-sparse", "dense"]


def test_nsm_worked_example_through_the_accelerator():
    # neuron mask 11101010, synapse mask 00110011, shared by a group of Tn = 4 outputs
    x = np.zeros((1, 8), np.int16)
    x[0, [0, 1, 2, 4, 6]] = [11, 12, 13, 15, 17]
    keep = np.zeros((4, 8), bool)
    keep[:, [2, 3, 6, 7]] = True
    w = np.where(keep, np.arange(1, 33, dtype=np.int16).reshape(4, 8), 0).astype(np.int16)
    r = simulate_fc("nsm", x, w, keep, design("coarse-sparse", tn=4, frac_bits=0), activation="none")
    assert r.outputs_match_reference
    assert r.useful_macs == 2 * 4            # positions 3 and 7, for each of the 4 outputs
    assert r.skipped_macs == 8 * 4 - 2 * 4
    assert r.outputs[0].tolist() == (x.astype(int) @ w.T.astype(int))[0].tolist()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), n_in=st.integers(8, 700), n_out=st.integers(1, 90),
       bo=st.sampled_from([1, 4, 16, 32]), bi=st.sampled_from([1, 8, 32]), wd=st.floats(0.05, 1.0),
       xd=st.floats(0.05, 1.0), batch=st.integers(1, 3), p=st.sampled_from(PRESETS))
def test_fc_outputs_equal_reference(seed, n_in, n_out, bo, bi, wd, xd, batch, p):
    x, w, keep = fc_layer(seed, n_in, n_out, (bo, bi), wd, xd, batch)
    r = simulate_fc("fc", x, w, keep, design(p))
    assert r.outputs_match_reference
    assert r.energy_pj == pytest.approx(sum(r.energy_by_component.values()))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), c_in=st.integers(1, 40), c_out=st.integers(1, 48), size=st.integers(3, 12),
       k=st.sampled_from([1, 3, 5]), stride=st.integers(1, 2), pad=st.integers(0, 2), groups=st.sampled_from([1, 2]),
       wd=st.floats(0.1, 1.0), xd=st.floats(0.1, 1.0), p=st.sampled_from(PRESETS))
def test_conv_outputs_equal_reference(seed, c_in, c_out, size, k, stride, pad, groups, wd, xd, p):
    c_in, c_out = c_in * groups, c_out * groups
    if size + 2 * pad < k:
        return
    x, w, keep = conv_layer(seed, c_in // groups, c_out, size, k, wd=wd, xd=xd)
    x = np.concatenate([x] * groups) if groups > 1 else x
    r = simulate_conv("conv", x, w, keep, design(p), stride=stride, padding=pad, groups=groups)
    assert r.outputs_match_reference


def test_useful_macs_are_mask_and_positions_times_outputs():
    x, w, keep = fc_layer(3, 300, 64, (16, 16), 0.3, 0.5, batch=2)
    r = simulate_fc("fc", x, w, keep, design("coarse-sparse"))
    group_mask = keep.reshape(4, 16, 300).any(axis=1)          # one shared index per 16 outputs
    both = (x != 0).astype(int) @ group_mask.T.astype(int)      # (batch, groups)
    assert r.useful_macs == int(both.sum()) * 16
    assert r.useful_macs + r.skipped_macs == 2 * 300 * 64


def test_ledger_total_equals_breakdowns_and_merges_by_layer():
    x, w, keep = conv_layer(1, 16, 32, 8, 3)
    ledger = EnergyLedger()
    r = simulate_conv("c1", x, w, keep, design("coarse-sparse"), padding=1, ledger=ledger)
    assert ledger.total_pj() == pytest.approx(r.energy_pj)
    assert ledger.by_layer().set_index("layer").loc["c1", "energy_pj"] == pytest.approx(r.energy_pj)
    assert ledger.by_action()["energy_pj"].sum() == pytest.approx(r.energy_pj)
    comps = set(r.energy_by_component)
    assert {"dram", "nbin", "nibin", "sib", "sb", "nsm", "htree", "pe", "nbout", "encoder", "cp"} <= comps
    assert r.energy_by_action["leakage"] > 0


def test_twice_the_pes_halves_a_compute_bound_layer():
    # blocks of 32 output channels: Tn = 16 and Tn = 32 share the same indexes, same work
    x, w, keep = conv_layer(2, 64, 128, 12, 3, block=(32, 1, 1, 1), wd=0.6, xd=0.8)
    fast_dram = {"dram": {"bandwidth_bytes_per_cycle": 4096.0, "latency_cycles": 0}}
    r16 = simulate_conv("c", x, w, keep, design("coarse-sparse", tn=16, **fast_dram), padding=1)
    r32 = simulate_conv("c", x, w, keep, design("coarse-sparse", tn=32, **fast_dram), padding=1)
    assert r16.outputs_match_reference and r32.outputs_match_reference
    assert r16.useful_macs == r32.useful_macs
    assert 0.45 < r32.cycles / r16.cycles < 0.6


def test_halving_dram_bandwidth_slows_a_dram_bound_layer():
    x, w, keep = fc_layer(4, 2048, 512, (32, 32), 0.2, 0.7)
    r16 = simulate_fc("fc", x, w, keep, design("coarse-sparse"))
    r8 = simulate_fc("fc", x, w, keep, design("coarse-sparse", dram={"bandwidth_bytes_per_cycle": 8.0}))
    assert r8.dram_bytes_read == r16.dram_bytes_read
    assert 1.7 < r8.cycles / r16.cycles < 2.1


def test_loads_overlap_compute():
    x, w, keep = conv_layer(5, 64, 96, 12, 3, wd=0.5, xd=0.7)
    cfg = design("coarse-sparse")
    part = lower_conv("c", x, w, keep, 1, 1)[0]
    from soc.compiler.tiling import choose
    tiling, _, tiles = choose(part, cfg)
    run = VectorAccelerator(cfg, EnergyLedger()).run(part, tiling, tiles)
    dram_busy = sum(e - s for a, s, e, _ in run.activity if a == "dram")
    nfu_busy = sum(e - s for a, s, e, _ in run.activity if a == "nfu")
    assert run.cycles < dram_busy + nfu_busy            # ping-pong: transfers hide behind compute
    assert run.cycles >= max(dram_busy, nfu_busy)


def test_overfilled_buffer_names_buffer_tile_and_sizes():
    x, w, keep = fc_layer(6, 4096, 64, (16, 16), 1.0, 1.0)
    part = lower_fc("fc", x, w, keep)[0]
    too_big = Tiling(p_tile=1, i_tile=4096, o_tile=64, strategy="output-reuse")
    with pytest.raises(BufferOverflowError, match=r"buffer (nbin|nibin|sb|sib).*tile .* needs \d+ bytes .* holds \d+ bytes"):
        VectorAccelerator(design("coarse-sparse"), EnergyLedger()).run(part, too_big)


def test_weight_sparse_load_imbalance_shows():
    # in every group of 16 outputs, one output keeps all its weights, the others 1/8
    rng = np.random.default_rng(7)
    n_in, n_out = 512, 64
    keep = rng.random((n_out, n_in)) < 0.125
    keep[::16] = True
    w = (rng.integers(1, 100, keep.shape) * keep).astype(np.int16)
    x = rng.integers(1, 100, (1, n_in)).astype(np.int16)
    fast = {"dram": {"bandwidth_bytes_per_cycle": 4096.0, "latency_cycles": 0}}
    r = simulate_fc("fc", x, w, keep, design("weight-sparse", **fast))
    assert r.outputs_match_reference
    slowest_bound = (n_out // 16) * -(-n_in // 16)       # every group waits for its full output
    assert r.cycles >= slowest_bound
    assert r.utilization < 0.35


def test_edram_books_refresh_and_dram_technology_changes_price():
    x, w, keep = fc_layer(8, 256, 64)
    def buf(size, bw):
        return {"size_bytes": size, "bandwidth_bits": bw, "memory": "edram"}
    cfg = design("coarse-sparse", nbin=buf(8192, 4096), nbout=buf(8192, 1024))
    r = simulate_fc("fc", x, w, keep, cfg)
    sram = simulate_fc("fc", x, w, keep, design("coarse-sparse"))
    assert r.energy_by_action.get("refresh", 0) > 0
    assert r.cycles > sram.cycles                      # refresh steals buffer cycles
    hbm = simulate_fc("fc", x, w, keep, design("coarse-sparse", dram={"technology": "hbm2"}))
    lp = simulate_fc("fc", x, w, keep, design("coarse-sparse"))
    assert hbm.energy_by_component["dram"] / lp.energy_by_component["dram"] == pytest.approx(3.9 / 8.0)


def test_results_are_deterministic():
    x, w, keep = conv_layer(9, 8, 32, 9, 3)
    a = simulate_conv("c", x, w, keep, design("coarse-sparse"), padding=1).to_dict()
    b = simulate_conv("c", x, w, keep, design("coarse-sparse"), padding=1).to_dict()
    for d in (a, b):
        d.pop("wall_s")
    assert a == b


@pytest.mark.parametrize("p", PRESETS)
def test_a_finished_layer_run_leaves_no_reference_cycle(p):
    """The actors, queues and tiles of a finished run are freed by reference counts (the
    garbage collector is paused while a layer runs): nothing of the run is left in a
    cycle for the collector."""
    x, w, keep = conv_layer(3, 32, 48, 11, 3)   # enough tiles for the pipeline to wait on loads
    gc.collect()
    gc.disable()
    try:
        gc.set_debug(gc.DEBUG_SAVEALL)
        r = simulate_conv("c", x, w, keep, design(p), padding=1)
        gc.collect()
        left = sorted({type(o).__qualname__ for o in gc.garbage if type(o).__module__.startswith(("soc.", "energy."))})
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert r.outputs_match_reference
    assert left == []


def test_the_collector_is_paused_while_layers_run_and_restored_after():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():       # another layer run at the same time
            assert not gc.isenabled()
        assert not gc.isenabled()      # back on only when the last run ends
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()      # left off when it was off
    finally:
        gc.enable()


def test_forcing_a_strategy_is_obeyed_and_unknown_is_refused():
    x, w, keep = conv_layer(10, 32, 64, 10, 3)
    for s in ("output-reuse", "synapse-reuse", "input-reuse"):
        r = simulate_conv("c", x, w, keep, design("coarse-sparse"), padding=1, strategy=s)
        assert r.strategy == s and r.outputs_match_reference
    with pytest.raises(ValueError, match="strategy.*allowed"):
        simulate_conv("c", x, w, keep, design("coarse-sparse"), padding=1, strategy="psum-reuse")


def test_cli_layer_writes_result_json(tmp_path):
    from soc.cli import (
        app,
        commands,  # noqa: F401
    )
    out = tmp_path / "r"
    res = CliRunner().invoke(app, ["layer", "--kind", "conv", "--in-channels", "32", "--out-channels", "32",
                                   "--size", "8", "--seed", "3", "--out", str(out)])
    assert res.exit_code == 0, res.output
    data = json.loads((out / "result.json").read_text())
    for key in ("cycles", "time_s", "energy_pj", "energy_by_component", "useful_macs", "skipped_macs",
                "dram_bytes_read", "dram_bytes_written", "utilization", "outputs_match_reference",
                "sim_events", "wall_s", "design", "design_hash", "socsim_version"):
        assert key in data
    assert data["outputs_match_reference"] is True
    assert sum(data["energy_by_component"].values()) == pytest.approx(data["energy_pj"])
    assert data["design"]["tn"] == 16 and data["design"]["name"] == "coarse-sparse"


@pytest.mark.parametrize("args, named", [
    (["--pes", "0"], "tn"),
    (["--weight-density", "1.5"], "density"),
    (["--preset", "sparse"], "unknown design"),
    (["--strategy", "any"], "strategy"),
    (["--block", "32"], "--block"),
])
def test_cli_layer_bad_input_exits_2_naming_the_field(tmp_path, args, named):
    import subprocess
    import sys
    res = subprocess.run([sys.executable, "-c", "from soc.cli import main; main()", "layer", "--n-in", "64",
                          "--n-out", "32", "--out", str(tmp_path), *args], capture_output=True, text=True)
    assert res.returncode == 2
    assert named in res.stderr


def test_entropy_decoder_trades_area_and_decode_rate_for_weight_bytes():
    x, w, keep = fc_layer(11, 2048, 256, (32, 32), 0.3, 0.7)
    plain = simulate_fc("fc", x, w, keep, design("coarse-sparse"))
    coded = simulate_fc("fc", x, w, keep, design("coarse-sparse", entropy_decoder={"enabled": True}))
    fast = {"dram": {"bandwidth_bytes_per_cycle": 4096.0}}
    many = simulate_fc("fc", x, w, keep, design("coarse-sparse", entropy_decoder={"enabled": True}, **fast))
    few = simulate_fc("fc", x, w, keep, design("coarse-sparse", entropy_decoder={"enabled": True, "per_pe": 1}, **fast))
    assert coded.outputs_match_reference and few.outputs_match_reference
    assert coded.dram_bytes_read < plain.dram_bytes_read
    assert coded.entropy_decoder_area_mm2 == pytest.approx(16 * 64 * 0.01) and plain.entropy_decoder_area_mm2 == 0
    assert coded.energy_by_component["entropy-decoder"] > 0
    assert few.cycles > 2 * many.cycles                 # one decoder per PE cannot keep up


def test_coarse_sparse_decodes_narrow_codes_and_baselines_store_raw_weights():
    from soc.arch.vector import ConfigError
    from soc.runtime.simulate import simulate_layer, snap_to_codebook
    from workloads.layers import Conv
    from workloads.sparsity import layer_tensors
    assert design("coarse-sparse").weight_bits == 6 and design("coarse-sparse").code_slot_bits == 8
    assert design("weight-sparse").weight_bits == 16 == design("dense").weight_bits
    with pytest.raises(ConfigError, match="weight_bits: 8-bit codes need a weight decoder"):
        design("dense", weight_bits=8)
    values = np.random.default_rng(0).standard_normal(5000).astype(np.float32)
    snapped = snap_to_codebook(values, 4)
    assert np.unique(snapped).size == 16 and np.abs(snapped - values).mean() < 0.1
    layer = Conv("c", 32, 64, 3, (10, 10), padding=1)
    tensors = layer_tensors(layer, 0.4, 0.5, (16, 1, 1, 1), seed=1)
    fast = {"dram": {"bandwidth_bytes_per_cycle": 4096.0}}
    narrow = simulate_layer(layer, tensors, design("coarse-sparse", **fast))
    wide = simulate_layer(layer, tensors, design("coarse-sparse", weight_bits=16, **fast))
    assert narrow.outputs_match_reference and wide.outputs_match_reference
    assert narrow.cycles < wide.cycles        # 8 codes per 64-bit slice decode faster than 1 raw weight


def test_non_square_stride_is_refused_not_approximated():
    from soc.runtime.simulate import simulate_layer
    from workloads.layers import Conv
    from workloads.sparsity import layer_tensors
    layer = Conv("c", 4, 16, 3, (8, 8), stride=(1, 2))
    with pytest.raises(ValueError, match="square stride"):
        simulate_layer(layer, layer_tensors(layer, 0.5, 0.5, (16, 1, 1, 1)), design("dense"))

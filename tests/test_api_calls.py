"""The programming model's descriptors and forward calls (soc.runtime.api)."""
from __future__ import annotations

import numpy as np
import pytest

from soc.arch.vector import ConfigError
from soc.runtime import api
from workloads import forward as ref
from workloads.layers import Conv
from workloads.sparsity import sparse_activations, to_fixed


def _t(shape, data=None, **kw):
    return api.Tensor(api.TensorDescriptor(shape, **kw), data)


def _grid(x, f=8):
    return (to_fixed(x, f).astype(np.float32) / (1 << f))


def test_conv_forward_writes_the_accelerator_output_and_matches_float_reference():
    h = api.Handle("coarse-sparse")
    x = _t((2, 3, 10, 10), sparse_activations((2, 3, 10, 10), 0.6, 1))
    w = api.Filter.generate(api.FilterDescriptor((16, 3, 3, 3), block=(16, 1, 1, 1)), 0.5, seed=2)
    y = _t((2, 16, 10, 10))
    r = api.conv_forward(h, api.ConvDescriptor(padding=1), x, w, y, name="c", activation="relu")
    assert r.outputs_match_reference and r.kind == "conv" and r.name == "c"
    # the same layer in float on the quantized operands (weights snapped to the codebook of
    # the preset's code width, then fixed point): equal within the output rounding
    from soc.compiler.lowering import weight_frac_bits
    from soc.runtime.simulate import snap_to_codebook
    snapped = np.zeros_like(w.weights)
    snapped[w.keep] = snap_to_codebook(w.weights[w.keep], h.config.weight_bits)
    s = weight_frac_bits(snapped[w.keep])
    wq = to_fixed(snapped, s).astype(np.float32) / (1 << s)
    expect = np.maximum(ref.conv_forward(Conv("c", 3, 16, 3, (10, 10), padding=1), _grid(x.data), wq), 0)
    assert np.max(np.abs(y.data - expect)) <= 1.0 / 256 + 1e-6
    assert h.results == [r] and h.ledger.total_pj() == pytest.approx(r.energy_pj)


def test_inner_product_and_to_dict_keys_match_layer_result():
    h = api.Handle("dense")
    x = _t((3, 4, 2, 2), sparse_activations((3, 4, 2, 2), 0.7, 0))
    w = api.Filter.generate(api.FilterDescriptor((32, 16), block=(8, 4)), 0.5, seed=1)
    y = _t((3, 32))
    r = api.inner_product_forward(h, api.InnerProductDescriptor(), x, w, y)
    assert r.outputs_match_reference and y.data.shape == (3, 32)
    pool = api.pooling_forward(h, api.PoolingDescriptor("max", 2, 2), x, _t((3, 4, 1, 1)))
    assert set(pool.to_dict()) == set(r.to_dict())
    assert [res.name for res in h.results] == ["fc1", "pool2"]


@pytest.mark.parametrize("call", ["max", "avg", "relu", "sigmoid", "tanh", "lrn", "bn", "add"])
def test_elementwise_calls_match_reference_and_book_costs(call):
    h = api.Handle("coarse-sparse")
    data = sparse_activations((2, 8, 6, 6), 0.5, 3) - np.float32(0.3)
    x = _t((2, 8, 6, 6), data)
    if call in ("max", "avg"):
        y = _t((2, 8, 3, 3))
        r = api.pooling_forward(h, api.PoolingDescriptor(call, 2, 2), x, y)
        expect = ref.pool_forward(__import__("workloads.layers", fromlist=["Pool"]).Pool("p", 8, (6, 6), 2, 2, mode=call), _grid(data))
    else:
        y = _t((2, 8, 6, 6))
        if call in ("relu", "sigmoid", "tanh"):
            r = api.activation_forward(h, api.ActivationDescriptor(call), x, y)
            fn = {"relu": lambda v: np.maximum(v, 0), "sigmoid": lambda v: 1 / (1 + np.exp(-v)), "tanh": np.tanh}[call]
            expect = fn(_grid(data))
        elif call == "lrn":
            r = api.lrn_forward(h, api.LRNDescriptor(), x, y)
            expect = _grid(data)  # alpha 1e-4: close to identity
        elif call == "bn":
            r = api.batchnorm_forward(h, api.BatchNormDescriptor(), x, y)
            g = _grid(data)
            expect = (g - g.mean(axis=(0, 2, 3), keepdims=True)) / np.sqrt(g.var(axis=(0, 2, 3), keepdims=True) + 1e-5)
        else:
            r = api.add_forward(h, api.AddDescriptor(), [x, x], y)
            expect = 2 * _grid(data)
    assert r.outputs_match_reference
    assert np.max(np.abs(y.data - expect)) <= 2.0 / 256 + (1e-3 if call == "lrn" else 0)
    assert r.cycles > 0 and r.dram_bytes_read > 0 and r.dram_bytes_written > 0
    assert r.energy_by_component["dram"] > 0 and r.energy_by_component["pe"] > 0
    assert sum(r.energy_by_component.values()) == pytest.approx(r.energy_pj)


def test_elementwise_cost_follows_the_stated_model():
    """Dense preset, ReLU on 4096 values: DRAM 8192 B each way (whole bursts), NFU
    4096 compares on 256 lanes, cycles = slowest stream + one DRAM latency."""
    h = api.Handle("dense")
    x = _t((1, 4096), np.ones((1, 4096), np.float32))
    r = api.activation_forward(h, api.ActivationDescriptor("relu"), x, _t((1, 4096)))
    cfg = h.config
    assert r.dram_bytes_read == r.dram_bytes_written == 8192
    assert r.tiling["nfu_cycles"] == 4096 // (cfg.tn * cfg.tm)
    dram_cycles = 2 * 8192 / cfg.dram.bandwidth_bytes_per_cycle
    assert r.cycles == max(dram_cycles, 4096 * 16 / cfg.nbin.bandwidth_bits, 4096 * 16 / cfg.nbout.bandwidth_bits,
                           r.tiling["nfu_cycles"]) + cfg.dram.latency_cycles


def test_sparse_activations_cost_less_dram_on_coarse_sparse_only():
    data = sparse_activations((1, 4096), 0.25, 0)
    got = {}
    for p in ("coarse-sparse", "dense"):
        h = api.Handle(p)
        got[p] = api.activation_forward(h, api.ActivationDescriptor("relu"), _t((1, 4096), data), _t((1, 4096))).dram_bytes_read
    assert got["coarse-sparse"] < got["dense"] / 2


def test_lstm_and_gru_cells():
    rng = np.random.default_rng(0)
    h = api.Handle("weight-sparse")
    x = _t((1, 20), rng.standard_normal((1, 20)).astype(np.float32))
    w = api.Filter.generate(api.FilterDescriptor((4 * 32, 20 + 16), block=(8, 4)), 0.5, seed=1)
    r, c = _t((1, 16)), _t((1, 32))
    res = api.lstm_cell_forward(h, api.LSTMDescriptor(32, proj_size=16), x, w, r,
                                peepholes=rng.standard_normal((3, 32)).astype(np.float32) * 0.1,
                                projection=(rng.standard_normal((16, 32)) / 6).astype(np.float32), cell=c)
    assert res.outputs_match_reference and res.kind == "lstm" and res.useful_macs > 0
    assert r.data.shape == (1, 16) and c.data.shape == (1, 32)
    wg = api.Filter.generate(api.FilterDescriptor((3 * 24, 20 + 24), block=(8, 4)), 0.5, seed=2)
    g = api.gru_cell_forward(h, api.GRUDescriptor(24), x, wg, _t((1, 24)), state=rng.standard_normal((1, 24)).astype(np.float32))
    assert g.outputs_match_reference and g.kind == "gru"
    # the gate products and the NFU step are all in the handle's ledger
    assert h.ledger.total_pj() == pytest.approx(res.energy_pj + g.energy_pj)


def test_static_sparse_flag_and_quantization_bits():
    x = _t((1, 64), sparse_activations((1, 64), 1.0, 0))
    w, keep = np.zeros((32, 64), np.float32), np.zeros((32, 64), bool)
    w[:, :16], keep[:, :16] = 0.5, True
    macs = {}
    for flag in (True, False):
        h = api.Handle("weight-sparse")
        f = api.Filter(api.FilterDescriptor((32, 64), static_sparse=flag), w, keep)
        macs[flag] = api.inner_product_forward(h, api.InnerProductDescriptor(), x, f, _t((1, 32))).useful_macs
    assert macs[True] == 32 * 16 and macs[False] == 32 * 64
    h = api.Handle("coarse-sparse")
    four_bit = api.Filter(api.FilterDescriptor((32, 64), bits=4), w, keep)  # one distinct value
    r = api.inner_product_forward(h, api.InnerProductDescriptor(), x, four_bit, _t((1, 32)))
    assert r.outputs_match_reference
    many = api.Filter(api.FilterDescriptor((32, 64), bits=2), np.linspace(-1, 1, 32 * 64, dtype=np.float32).reshape(32, 64))
    with pytest.raises(ValueError, match="bits=2 allows 4 distinct"):
        api.inner_product_forward(h, api.InnerProductDescriptor(), x, many, _t((1, 32)))


def test_bad_descriptors_and_calls_are_refused_by_name():
    with pytest.raises(ValueError, match="TensorDescriptor.placement"):
        api.TensorDescriptor((1, 4), placement="sram")
    with pytest.raises(ValueError, match="FilterDescriptor.bits"):
        api.FilterDescriptor((4, 4), bits=17)
    with pytest.raises(ValueError, match="FilterDescriptor.block"):
        api.FilterDescriptor((4, 4), block=(8, 1))
    with pytest.raises(ValueError, match="ConvDescriptor.stride"):
        api.ConvDescriptor(stride=0)
    with pytest.raises(ValueError, match="PoolingDescriptor.mode"):
        api.PoolingDescriptor("median")
    with pytest.raises(ValueError, match="allowed: relu, sigmoid, tanh"):
        api.ActivationDescriptor("gelu")
    with pytest.raises(ConfigError, match="unknown design .sparse.; allowed: activation-sparse, coarse-sparse-32pe, coarse-sparse"):
        api.Handle("sparse")
    with pytest.raises(ValueError, match="allowed: output-reuse, synapse-reuse, input-reuse"):
        api.Handle("dense", strategy="best")
    h = api.Handle("dense")
    x = _t((1, 8), np.ones((1, 8), np.float32))
    w = api.Filter(api.FilterDescriptor((4, 8)), np.ones((4, 8), np.float32))
    with pytest.raises(ValueError, match="output descriptor shape"):
        api.inner_product_forward(h, api.InnerProductDescriptor(), x, w, _t((1, 5)))
    with pytest.raises(ValueError, match="has no data"):
        api.inner_product_forward(h, api.InnerProductDescriptor(), _t((1, 8)), w, _t((1, 4)))
    with pytest.raises(ValueError, match="only 'relu' can be fused"):
        api.inner_product_forward(h, api.InnerProductDescriptor(), x, w, _t((1, 4)), activation="tanh")
    with pytest.raises(ValueError, match="data has shape"):
        _t((1, 8), np.ones((2, 8)))
    api.inner_product_forward(h, api.InnerProductDescriptor(), x, w, _t((1, 4)), name="a")
    with pytest.raises(ValueError, match="already used"):
        api.inner_product_forward(h, api.InnerProductDescriptor(), x, w, _t((1, 4)), name="a")


def test_data_placement_per_preset():
    from soc.arch import design
    assert api.data_placement(design("coarse-sparse"))["inputs"] == ("nbin", "nibin")
    assert api.data_placement(design("dense"))["weights"] == ("sb",)


def test_config_weight_width_applies_unless_the_filter_states_one():
    from soc.arch import design
    x = _t((1, 256), sparse_activations((1, 256), 0.7, 0))
    w = api.Filter.generate(api.FilterDescriptor((64, 256), block=(16, 16)), 0.5, seed=1)
    read = {}
    for bits in (16, 8):
        h = api.Handle(design("coarse-sparse", weight_bits=bits))
        read[bits] = api.inner_product_forward(h, api.InnerProductDescriptor(), x, w, _t((1, 64))).dram_bytes_read
    assert read[8] < read[16]
    h = api.Handle(design("coarse-sparse", weight_bits=8))
    stated = api.Filter(api.FilterDescriptor((64, 256), bits=16), w.weights, w.keep)
    assert api.inner_product_forward(h, api.InnerProductDescriptor(), x, stated, _t((1, 64))).dram_bytes_read == read[16]

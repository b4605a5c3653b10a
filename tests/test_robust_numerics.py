"""Numbers are finite or refused: NaN and infinity injected at every place a tensor enters
a layer, or comes out of one, stop the run with an error naming the layer and the tensor."""
from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from soc.arch import design
from soc.runtime import api
from soc.runtime.network import NetworkRunError, run_network
from workloads.finite import NonFiniteError
from workloads.layers import LRN
from workloads.sparsity import to_fixed
from workloads.zoo import get_network

BAD = {"nan": np.nan, "+inf": np.inf, "-inf": -np.inf}


def _poison(a, value, index=0) -> np.ndarray:
    a = np.array(a, np.float32, copy=True)
    a.flat[index] = value
    return a


@pytest.fixture
def handle():
    return api.Handle(design("coarse-sparse"))


@pytest.mark.parametrize("value", BAD.values(), ids=BAD.keys())
def test_to_fixed_never_turns_a_non_finite_value_into_a_number(value):
    with pytest.raises(NonFiniteError, match="finite"):
        to_fixed(np.array([1.0, value, 2.0]), 8)


@pytest.mark.parametrize("value", BAD.values(), ids=BAD.keys())
@pytest.mark.parametrize("where", ["input", "weights"])
def test_inner_product(handle, where, value):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 32)).astype(np.float32)
    w = rng.standard_normal((16, 32)).astype(np.float32) * 0.1
    if where == "input":
        x = _poison(x, value, 5)
    else:
        w = _poison(w, value, 7)
    with pytest.raises(NonFiniteError) as err:
        api.inner_product_forward(handle, api.InnerProductDescriptor(), api.Tensor(api.TensorDescriptor((1, 32)), x),
                                  api.Filter(api.FilterDescriptor((16, 32)), w), api.Tensor(api.TensorDescriptor((1, 16))),
                                  name="ip")
    assert "layer 'ip'" in str(err.value)
    assert ("input tensor" if where == "input" else "weights") in str(err.value)
    assert not handle.results  # nothing was recorded as if it had run


@pytest.mark.parametrize("value", BAD.values(), ids=BAD.keys())
@pytest.mark.parametrize("where", ["input", "weights"])
def test_convolution(handle, where, value):
    rng = np.random.default_rng(1)
    x = np.abs(rng.standard_normal((1, 4, 6, 6))).astype(np.float32)
    w = rng.standard_normal((8, 4, 3, 3)).astype(np.float32) * 0.1
    x, w = (_poison(x, value, 11), w) if where == "input" else (x, _poison(w, value, 3))
    with pytest.raises(NonFiniteError, match="layer 'cv'.*" + ("input tensor" if where == "input" else "weights")):
        api.conv_forward(handle, api.ConvDescriptor(padding=1), api.Tensor(api.TensorDescriptor((1, 4, 6, 6)), x),
                         api.Filter(api.FilterDescriptor((8, 4, 3, 3)), w),
                         api.Tensor(api.TensorDescriptor((1, 8, 6, 6))), name="cv")


@pytest.mark.parametrize("value", BAD.values(), ids=BAD.keys())
@pytest.mark.parametrize("call", ["pool", "act", "lrn", "bn", "add"])
def test_element_wise_inputs(handle, call, value):
    x = _poison(np.ones((1, 4, 4, 4)), value, 9)
    t = api.Tensor(api.TensorDescriptor((1, 4, 4, 4)), x)
    y = api.Tensor(api.TensorDescriptor((1, 4, 2, 2) if call == "pool" else (1, 4, 4, 4)))
    calls = {
        "pool": lambda: api.pooling_forward(handle, api.PoolingDescriptor(), t, y, name="L"),
        "act": lambda: api.activation_forward(handle, api.ActivationDescriptor("sigmoid"), t, y, name="L"),
        "lrn": lambda: api.lrn_forward(handle, api.LRNDescriptor(), t, y, name="L"),
        "bn": lambda: api.batchnorm_forward(handle, api.BatchNormDescriptor(), t, y, name="L"),
        "add": lambda: api.add_forward(handle, api.AddDescriptor(),
                                       [t, api.Tensor(api.TensorDescriptor((1, 4, 4, 4)), np.ones((1, 4, 4, 4)))], y,
                                       name="L"),
    }
    with pytest.raises(NonFiniteError, match="layer 'L': input tensor"):
        calls[call]()


@pytest.mark.parametrize("tensor", ["scale", "shift"])
@pytest.mark.parametrize("value", BAD.values(), ids=BAD.keys())
def test_batchnorm_scale_and_shift(handle, tensor, value):
    x = api.Tensor(api.TensorDescriptor((2, 3, 2, 2)), np.arange(24, dtype=np.float32).reshape(2, 3, 2, 2) / 10)
    y = api.Tensor(api.TensorDescriptor((2, 3, 2, 2)))
    extra = {tensor: _poison(np.ones(3), value, 1)}
    with pytest.raises(NonFiniteError, match=f"layer 'bn': {tensor}"):
        api.batchnorm_forward(handle, api.BatchNormDescriptor(), x, y, name="bn", **extra)


def test_a_value_a_layer_produces_is_checked(handle):
    """Finite operands whose result overflows float64: refused as the layer's output."""
    x = api.Tensor(api.TensorDescriptor((2, 3, 2, 2)), np.arange(24, dtype=np.float32).reshape(2, 3, 2, 2) / 10)
    y = api.Tensor(api.TensorDescriptor((2, 3, 2, 2)))
    with pytest.raises(NonFiniteError, match=r"layer 'bn': output \(computed\) holds .*inf"):
        api.batchnorm_forward(handle, api.BatchNormDescriptor(), x, y, name="bn", scale=np.full(3, 1e308),
                              shift=np.full(3, 1e308))


def test_huge_finite_values_saturate():
    assert to_fixed(np.array([1e308, -1e308, 3e38], np.float64), 8).tolist() == [32767, -32768, 32767]


@pytest.mark.parametrize("tensor", ["state", "peepholes", "projection"])
def test_lstm_operands(handle, tensor):
    hs, i, p = 8, 6, 4
    rng = np.random.default_rng(2)
    x = api.Tensor(api.TensorDescriptor((1, i)), rng.standard_normal((1, i)))
    w = api.Filter(api.FilterDescriptor((4 * hs, i + p)), rng.standard_normal((4 * hs, i + p)) * 0.1)
    y = api.Tensor(api.TensorDescriptor((1, p)))
    kw = {"peepholes": rng.standard_normal((3, hs)) * 0.1, "projection": rng.standard_normal((p, hs)) * 0.1,
          "state": (np.zeros((1, p)), np.zeros((1, hs)))}
    if tensor == "state":
        kw["state"] = (kw["state"][0], _poison(kw["state"][1], np.nan))
    else:
        kw[tensor] = _poison(kw[tensor], np.inf, 2)
    with pytest.raises(NonFiniteError, match="layer 'lstm'"):
        api.lstm_cell_forward(handle, api.LSTMDescriptor(hs, p, True), x, w, y, name="lstm", **kw)


def test_gru_state(handle):
    hs, i = 8, 6
    rng = np.random.default_rng(3)
    x = api.Tensor(api.TensorDescriptor((1, i)), rng.standard_normal((1, i)))
    w = api.Filter(api.FilterDescriptor((3 * hs, i + hs)), rng.standard_normal((3 * hs, i + hs)) * 0.1)
    with pytest.raises(NonFiniteError, match="layer 'gru': state h_prev"):
        api.gru_cell_forward(handle, api.GRUDescriptor(hs), x, w, api.Tensor(api.TensorDescriptor((1, hs))),
                             state=_poison(np.zeros((1, hs)), -np.inf), name="gru")


@pytest.mark.parametrize("param,value", [("alpha", np.nan), ("beta", np.inf), ("k", np.nan), ("alpha", -np.inf),
                                         ("k", 0.0), ("beta", -1.0)])
def test_layer_parameters(param, value):
    with pytest.raises(ValueError, match=param):
        LRN("n", (4, 4, 4), **{param: value})
    with pytest.raises(ValueError, match=param):
        api.lrn_forward(api.Handle("dense"), api.LRNDescriptor(**{param: value}),
                        api.Tensor(api.TensorDescriptor((1, 4, 4, 4)), np.ones((1, 4, 4, 4))),
                        api.Tensor(api.TensorDescriptor((1, 4, 4, 4))), name="n")


@pytest.mark.parametrize("tensor", ["weights", "inputs"])
@pytest.mark.parametrize("value", BAD.values(), ids=BAD.keys())
def test_a_network_run_stops_at_the_layer_given_non_finite_tensors(monkeypatch, tmp_path, tensor, value):
    """Tensors a model provides (here the reference tensors of lenet5's conv2) hold NaN or
    infinity: the run stops at that layer, naming it and the tensor, and the layers
    before it are kept with status failed."""
    import soc.runtime.network as network_module
    real = network_module.reference_tensors

    def poisoned(net, seed=0, **kwargs):
        for t in real(net, seed, **kwargs):
            if t.layer.name == "conv2":  # a compact run brings the kept weights alone
                attr = "kept" if tensor == "weights" and t.kept is not None else tensor
                t = replace(t, **{attr: _poison(getattr(t, attr), value, 4)})
            yield t

    monkeypatch.setattr(network_module, "reference_tensors", poisoned)
    with pytest.raises(NetworkRunError) as err:
        run_network(get_network("lenet5"), design("coarse-sparse"))
    assert err.value.layer == "conv2" and isinstance(err.value.error, NonFiniteError)
    assert ("weights" if tensor == "weights" else "input tensor") in str(err.value)
    assert [r.name for r in err.value.partial_results] == ["conv1", "pool1"]  # type: ignore[attr-defined]

    from soc.session import run_into
    with pytest.raises(NetworkRunError):
        run_into(tmp_path / "run", get_network("lenet5"), design("coarse-sparse"))
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["status"] == "failed" and summary["failure"]["layer"] == "conv2"
    assert summary["failure"]["error_type"] == "NonFiniteError" and summary["layers_completed"] == 2


@pytest.mark.parametrize("value", BAD.values(), ids=BAD.keys())
def test_an_onnx_models_own_weights_holding_nan_or_inf_are_refused(tmp_path, value, capsys):
    """A model file's weights (ONNX initializers) are tensors a model provides: the run
    stops at the layer that uses them, naming it and the tensor."""
    from onnx import TensorProto, helper, numpy_helper

    from soc.cli import run_cli
    rng = np.random.default_rng(0)
    w1 = rng.standard_normal((8, 3, 3, 3)).astype(np.float32)
    w2 = rng.standard_normal((10, 8 * 4 * 4)).astype(np.float32)
    w2[3, 7] = value
    nodes = [helper.make_node("Conv", ["x", "w1"], ["c1"], name="conv1", pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
             helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
             helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("Flatten", ["p1"], ["f1"], name="flat", axis=1),
             helper.make_node("Gemm", ["f1", "w2"], ["y"], name="fc", transB=1)]
    graph = helper.make_graph(nodes, "poisoned", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])],
                              initializer=[numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(w2, "w2")])
    path = tmp_path / "poisoned.onnx"
    path.write_bytes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString())
    code = run_cli(["run", str(path), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1].startswith("error: ") and "fc" in err[-1] and "weights" in err[-1], err
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["status"] == "failed" and summary["failure"]["error_type"] == "NonFiniteError"


def test_the_finite_check_is_not_fooled_by_huge_finite_values():
    """The quick check sums float32 values in float64, where they cannot overflow: large
    finite weights pass, and one NaN or infinity among them is still found."""
    from workloads.finite import describe_nonfinite
    a = np.full(100_000, np.finfo(np.float32).max, np.float32)
    assert describe_nonfinite(a) is None and describe_nonfinite(-a) is None
    for bad, what in ((np.nan, "1 NaN"), (np.inf, "1 +inf"), (-np.inf, "1 -inf")):
        b = a.copy()
        b[777] = bad
        assert describe_nonfinite(b).startswith(what) and "(777,)" in describe_nonfinite(b)
    assert describe_nonfinite(np.array([1e308, 1e308])) is None  # float64 takes the full check

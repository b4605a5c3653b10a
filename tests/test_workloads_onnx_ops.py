"""Hand-built ONNX graphs (onnx.helper) for every supported operator: the imported
network's reference forward pass, computed with the model's own weights, equals ONNX's
reference evaluator (onnx.reference.ReferenceEvaluator) on the same model and input."""
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

from workloads.io import OnnxImportError, UnsupportedOperatorError, load_onnx
from workloads.sparsity import run_network

RNG = np.random.default_rng(7)


def init(name, *shape, scale=0.3, positive=False):
    a = RNG.standard_normal(shape).astype(np.float32) * np.float32(scale)
    return numpy_helper.from_array(np.abs(a) + 0.5 if positive else a, name)


def const(name, values, dtype=np.int64):
    return numpy_helper.from_array(np.asarray(values, dtype), name)


def model(nodes, inits, in_shape, out="y", opset=15):
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(in_shape))],
                              [helper.make_tensor_value_info(out, TensorProto.FLOAT, None)], initializer=inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def check(m, in_shape, rtol=1e-4, atol=1e-5):
    """Import, run the reference forward pass on the model's weights, compare with ONNX."""
    x = RNG.standard_normal(in_shape).astype(np.float32)
    expect = ReferenceEvaluator(m).run(None, {"x": x})[0]
    net = load_onnx(m)
    run = run_network(net, inputs=x)
    got = run.outputs[net.order[-1].name]
    assert got.size == expect.size
    np.testing.assert_allclose(got.reshape(expect.shape), expect, rtol=rtol, atol=atol)
    assert all(s["weights_source"] in ("model", None) for s in run.sources.values())
    assert {s["activations_source"] for s in run.sources.values()} <= {"model-input", "forward"}
    return net


N = helper.make_node


def test_conv_grouped_depthwise_and_asymmetric_pads():
    nodes = [N("Conv", ["x", "w1", "b1"], ["c1"], name="grouped", kernel_shape=[3, 3], pads=[1, 1, 1, 1], group=2),
             N("Conv", ["c1", "w2"], ["c2"], name="depthwise", kernel_shape=[3, 3], pads=[0, 1, 1, 2], group=8,
               strides=[2, 2]),
             N("Conv", ["c2", "w3"], ["y"], name="same", kernel_shape=[3, 3], auto_pad="SAME_UPPER", strides=[2, 2])]
    m = model(nodes, [init("w1", 8, 2, 3, 3), init("b1", 8), init("w2", 8, 1, 3, 3), init("w3", 4, 8, 3, 3)],
              (1, 4, 11, 11))
    net = check(m, (1, 4, 11, 11))
    pad = net.layer("depthwise/pad")  # pads not all equal: an explicit Pad, then a conv without padding
    assert pad.pads == ((0, 0), (0, 1), (1, 2)) and net.layer("depthwise").padding_hw == (0, 0)
    assert net.layer("depthwise").groups == 8


def test_batchnorm_folds_into_conv_and_stays_after_a_join():
    bn = [init("g", 6), init("bt", 6), init("mu", 6), init("var", 6, positive=True)]
    nodes = [N("Conv", ["x", "w"], ["c"], name="conv", kernel_shape=[1, 1]),
             N("BatchNormalization", ["c", "g", "bt", "mu", "var"], ["b"], name="bn", epsilon=1e-3),
             N("Concat", ["b", "x"], ["cat"], name="cat", axis=1),
             N("BatchNormalization", ["cat", "g2", "bt2", "mu2", "var2"], ["y"], name="bn2")]
    bn2 = [init("g2", 9), init("bt2", 9), init("mu2", 9), init("var2", 9, positive=True)]
    net = check(model(nodes, [init("w", 6, 3, 1, 1), *bn, *bn2], (1, 3, 5, 5)), (1, 3, 5, 5))
    assert [l.kind for l in net.order] == ["conv", "concat", "bn"]  # bn folded, bn2 after the join is not


@pytest.mark.parametrize("trans_b", [0, 1])
def test_gemm_with_transposes_alpha_beta(trans_b):
    w = init("w", *((5, 12) if trans_b else (12, 5)))
    nodes = [N("Flatten", ["x"], ["f"], name="flat"),
             N("Gemm", ["f", "w", "c"], ["y"], name="fc", transB=trans_b, alpha=0.5, beta=2.0)]
    check(model(nodes, [w, init("c", 5)], (1, 3, 2, 2)), (1, 3, 2, 2))


def test_matmul_with_a_batch_and_bias():
    nodes = [N("MatMul", ["x", "w"], ["m"], name="mm"), N("Add", ["m", "b"], ["y"], name="bias")]
    net = check(model(nodes, [init("w", 6, 4), init("b", 4)], (1, 3, 7, 6)), (1, 3, 7, 6))
    fc = net.layer("mm")
    assert fc.lead == (3, 7) and fc.macs == 3 * 7 * 6 * 4 and len(net) == 1  # the bias folded into it


@pytest.mark.parametrize("op, attrs", [
    ("MaxPool", dict(kernel_shape=[3, 3], strides=[2, 2], pads=[0, 0, 1, 1])),
    ("AveragePool", dict(kernel_shape=[3, 3], strides=[1, 1], pads=[0, 0, 1, 1])),
    ("AveragePool", dict(kernel_shape=[3, 3], strides=[1, 1], pads=[1, 0, 2, 1], count_include_pad=1)),
    ("AveragePool", dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])),
    ("MaxPool", dict(kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1)),
    ("GlobalAveragePool", {}), ("GlobalMaxPool", {}),
])
def test_pooling(op, attrs):
    check(model([N(op, ["x"], ["y"], name="pool", **attrs)], [], (1, 3, 7, 7)), (1, 3, 7, 7))


@pytest.mark.parametrize("op, attrs, extra", [
    ("Relu", {}, []), ("Sigmoid", {}, []), ("Tanh", {}, []),
    ("Clip", {}, ["lo", "hi"]),  # ReLU6 with min/max inputs (opset >= 11)
    ("LeakyRelu", dict(alpha=0.2), []), ("PRelu", {}, ["slope"]),
    ("HardSigmoid", dict(alpha=0.3, beta=0.4), []), ("HardSwish", {}, []),
    ("Softmax", dict(axis=1), []), ("Softmax", {}, []),
])
def test_activations(op, attrs, extra):
    inits = {"lo": numpy_helper.from_array(np.array(0, np.float32), "lo"),
             "hi": numpy_helper.from_array(np.array(0.6, np.float32), "hi"), "slope": init("slope", 4, 1, 1)}
    m = model([N(op, ["x", *extra], ["y"], name="act", **attrs)], [inits[e] for e in extra], (1, 4, 3, 5))
    check(m, (1, 4, 3, 5))


def test_softmax_opset_11_flattens_from_its_axis():
    """Opset < 13 coerces the input to 2-D at ``axis`` (ONNX operator spec); the reference
    evaluator implements only the opset-13 rule, so the expected values are the spec's."""
    m = model([N("Softmax", ["x"], ["y"], name="sm", axis=1)], [], (1, 4, 3, 5), opset=11)
    x = RNG.standard_normal((1, 4, 3, 5)).astype(np.float32)
    flat = x.reshape(1, -1)
    expect = (np.exp(flat - flat.max()) / np.exp(flat - flat.max()).sum()).reshape(x.shape)
    net = load_onnx(m)
    got = run_network(net, inputs=x).outputs["sm"]
    np.testing.assert_allclose(got.reshape(x.shape), expect, rtol=1e-5, atol=1e-7)


def test_lrn():
    """ONNX LRN spec: square sums over channels [c - floor((size-1)/2), c + ceil((size-1)/2)]
    (written out here: the reference evaluator's LRN loops over the batch axis instead)."""
    size, alpha, beta, bias = 3, 1e-2, 0.75, 2.0
    m = model([N("LRN", ["x"], ["y"], name="lrn", size=size, alpha=alpha, beta=beta, bias=bias)], [], (1, 6, 4, 4))
    x = RNG.standard_normal((1, 6, 4, 4)).astype(np.float32)
    expect = np.empty_like(x)
    for c in range(6):
        lo, hi = max(0, c - (size - 1) // 2), min(6, c + -(-(size - 1) // 2) + 1)
        expect[:, c] = x[:, c] / (bias + alpha / size * np.square(x[:, lo:hi]).sum(axis=1)) ** beta
    got = run_network(load_onnx(m), inputs=x).outputs["lrn"]
    np.testing.assert_allclose(got, expect, rtol=1e-5)


def test_squeeze_and_excitation_with_broadcasting():
    nodes = [N("GlobalAveragePool", ["x"], ["g"], name="squeeze"),
             N("Conv", ["g", "w1"], ["e1"], name="reduce", kernel_shape=[1, 1]),
             N("Relu", ["e1"], ["e2"], name="relu"),
             N("Conv", ["e2", "w2"], ["e3"], name="expand", kernel_shape=[1, 1]),
             N("HardSigmoid", ["e3"], ["gate"], name="gate"),
             N("Mul", ["x", "gate"], ["s"], name="excite"),
             N("Sum", ["s", "x", "s"], ["t"], name="sum3"),
             N("Sub", ["t", "k"], ["u"], name="sub"),
             N("Div", ["u", "d"], ["y"], name="div")]
    inits = [init("w1", 2, 8, 1, 1), init("w2", 8, 2, 1, 1), init("k", 1, 8, 1, 1), init("d", 6, positive=True)]
    net = check(model(nodes, inits, (1, 8, 5, 6)), (1, 8, 5, 6))
    mul = net.layer("excite")
    assert mul.kind == "mul" and mul.input_shapes == ((8, 5, 6), (8, 1, 1))
    assert net.layer("sum3").operands == 3 and net.layer("div").const_shape == (6,)


def test_concat_split_slice_transpose_pad():
    nodes = [N("Split", ["x", "parts"], ["a", "b"], name="split", axis=1),          # (2,6,7) and (4,6,7)
             N("Slice", ["a", "st", "en", "ax", "sp"], ["s"], name="slice"),         # (2,3,6)
             N("Pad", ["s", "pads"], ["p"], name="pad", mode="reflect"),             # (2,5,7)
             N("Slice", ["b", "st2", "en2", "ax2"], ["b2"], name="rows"),           # (4,4,7)
             N("Pad", ["b2", "pads2", "val"], ["q"], name="padc"),                   # (4,5,7)
             N("Concat", ["p", "q"], ["c"], name="cat", axis=1),                     # (6,5,7)
             N("Reshape", ["c", "grp"], ["r"], name="group"),
             N("Transpose", ["r"], ["t"], name="shuffle", perm=[0, 2, 1, 3, 4]),
             N("Reshape", ["t", "back"], ["y"], name="ungroup")]
    inits = [const("parts", [2, 4]), const("st", [0, 1]), const("en", [6, 7]), const("ax", [2, 3]),
             const("sp", [2, 1]), const("pads", [0, 0, 1, 0, 0, 0, 1, 1]),
             const("st2", [1]), const("en2", [-1]), const("ax2", [2]), const("pads2", [0, 0, 1, 0, 0, 0, 0, 0]),
             numpy_helper.from_array(np.array(0.25, np.float32), "val"),
             const("grp", [1, 2, 3, 5, 7]), const("back", [1, 6, 5, 7])]
    net = check(model(nodes, inits, (1, 6, 6, 7)), (1, 6, 6, 7))
    assert [l.kind for l in net.order].count("slice") == 4  # two outputs of the split and two slices
    assert net.layer("shuffle").perm == (1, 0, 2, 3)


def test_pytorch_view_and_adaptive_pool_chains():
    """How PyTorch exports x.view(x.size(0), -1) after adaptive_avg_pool2d(1) and
    x.flatten(1): Shape -> Gather -> Unsqueeze -> Concat -> Reshape, folded as constants."""
    nodes = [N("Conv", ["x", "w"], ["c"], name="conv", kernel_shape=[3, 3]),
             N("GlobalAveragePool", ["c"], ["p"], name="adaptive_avg_pool"),
             N("Shape", ["p"], ["shp"], name="shape"),
             N("Constant", [], ["zero"], name="c0", value=numpy_helper.from_array(np.array(0, np.int64))),
             N("Gather", ["shp", "zero"], ["n"], name="gather", axis=0),
             N("Unsqueeze", ["n", "ax0"], ["n1"], name="unsq"),
             N("Constant", [], ["minus1"], name="c1", value=numpy_helper.from_array(np.array([-1], np.int64))),
             N("Concat", ["n1", "minus1"], ["target"], name="cat_shape", axis=0),
             N("Reshape", ["p", "target"], ["v"], name="view"),
             N("Gemm", ["v", "wfc", "bfc"], ["y"], name="fc", transB=1)]
    inits = [init("w", 5, 3, 3, 3), const("ax0", [0]), init("wfc", 4, 5), init("bfc", 4)]
    net = check(model(nodes, inits, (1, 3, 6, 6)), (1, 3, 6, 6))
    assert [l.kind for l in net.order] == ["conv", "pool", "fc"]


def test_squeeze_unsqueeze_flatten_views():
    nodes = [N("Unsqueeze", ["x", "ax"], ["u"], name="unsq"), N("Squeeze", ["u", "ax"], ["s"], name="sq"),
             N("Flatten", ["s"], ["f"], name="flat", axis=1), N("Relu", ["f"], ["y"], name="relu")]
    net = check(model(nodes, [const("ax", [2])], (1, 2, 3, 4)), (1, 2, 3, 4))
    assert len(net) == 1


@pytest.mark.parametrize("op", ["LSTM", "GRU"])
def test_recurrent_layers(op):
    t, i, h = 4, 5, 6
    gates = 4 if op == "LSTM" else 3
    inits = [init("W", 1, gates * h, i), init("R", 1, gates * h, h), init("B", 1, 2 * gates * h, scale=0.1)]
    attrs = dict(hidden_size=h) | ({"linear_before_reset": 1} if op == "GRU" else {})
    nodes = [N(op, ["x", "W", "R", "B"], ["seq", "last"], name="rnn", **attrs),
             N("Squeeze", ["last", "ax"], ["s"], name="sq"),
             N("Gemm", ["s", "wo"], ["y"], name="head", transB=1)]
    net = check(model(nodes, inits + [const("ax", [0]), init("wo", 3, h)], (t, 1, i)), (t, 1, i), rtol=1e-4, atol=1e-5)
    rnn = net.layer("rnn")
    assert rnn.seq_len == t and rnn.macs == t * rnn.cell.macs


def test_lstm_with_peepholes_sequence_output():
    t, i, h = 3, 4, 5
    inits = [init("W", 1, 4 * h, i), init("R", 1, 4 * h, h), init("B", 1, 8 * h, scale=0.1), init("P", 1, 3 * h)]
    nodes = [N("LSTM", ["x", "W", "R", "B", "", "", "", "P"], ["y"], name="lstm", hidden_size=h)]
    check(model(nodes, inits, (t, 1, i)), (t, 1, i))


# --------------------------------------------------------------------------- refusals
def test_every_unsupported_operator_is_named_on_one_line():
    nodes = [N("Relu", ["x"], ["a"], name="r"), N("Erf", ["a"], ["b"], name="erf1"),
             N("Erf", ["b"], ["c"], name="erf2"), N("NonZero", ["c"], ["y"], name="nz")]
    with pytest.raises(UnsupportedOperatorError) as err:
        load_onnx(model(nodes, [], (1, 4)))
    msg = str(err.value)
    assert "\n" not in msg and "'Erf' (nodes 'erf1', 'erf2')" in msg and "'NonZero' (node 'nz')" in msg


def test_light_model_error_names_the_file(tmp_path):
    nodes = [N("Relu", ["x"], ["a"], name="r"), N("Erf", ["a"], ["y"], name="erf")]
    path = tmp_path / "bad.onnx"
    onnx.save(model(nodes, [], (1, 4)), path)
    with pytest.raises(UnsupportedOperatorError, match=rf"^{path}: unsupported ONNX operator 'Erf' \(node 'erf'\)"):
        load_onnx(path)


def test_cycle_and_dangling_input_are_refused():
    cycle = [N("Relu", ["x"], ["a"], name="first"), N("Add", ["a", "c"], ["b"], name="join"),
             N("Relu", ["b"], ["c"], name="loop"), N("Relu", ["c"], ["y"], name="out")]
    with pytest.raises(OnnxImportError, match=r"cycle through node\(s\) 'join', 'loop'"):
        load_onnx(model(cycle, [], (1, 4)))
    dangling = [N("Add", ["x", "ghost"], ["y"], name="add")]
    with pytest.raises(OnnxImportError, match=r"node 'add' \(Add\) reads 'ghost', which no node produces"):
        load_onnx(model(dangling, [], (1, 4)))


def test_wrong_input_shape_names_the_expected_shape():
    net = load_onnx(model([N("Relu", ["x"], ["y"], name="r")], [], (1, 3, 4, 4)))
    with pytest.raises(ValueError, match=r"expected \(N, 3, 4, 4\) or \(3, 4, 4\)"):
        run_network(net, inputs=np.zeros((1, 3, 4, 5), np.float32))


def test_network_given_out_of_order_runs_in_dependency_order():
    from workloads.layers import FC, Add, Network, NetworkGraphError
    layers = [Add("join", (4,), inputs=("a", "b")), FC("b", 4, 4, inputs=("a",)), FC("a", 4, 4, inputs=("input",))]
    net = Network("n", layers, (4,))
    assert [l.name for l in net.order] == ["a", "b", "join"]
    assert net.consumers()["a"] == ["b", "join"] and net.output_shape == (4,)
    x = RNG.standard_normal((2, 4)).astype(np.float32)
    run = run_network(net, inputs=x)
    assert run.outputs["join"].shape == (2, 4)
    with pytest.raises(NetworkGraphError, match="cycle through a, b"):
        Network("n", [FC("a", 4, 4, inputs=("b",)), FC("b", 4, 4, inputs=("a",))], (4,))

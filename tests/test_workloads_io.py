import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from workloads.io import (
    OnnxImportError,
    TopologyError,
    UnsupportedOperatorError,
    load_network,
    load_onnx,
    load_topology_csv,
)
from workloads.layers import FC, LRN, Activation, Add, Conv, Pool


def _init(name, *shape):
    return numpy_helper.from_array(np.zeros(shape, np.float32), name)


def _model(nodes, inits, in_shape=(1, 3, 16, 16), out="y", out_shape=(1, 4)):
    graph = helper.make_graph(
        nodes, "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(in_shape))],
        [helper.make_tensor_value_info(out, TensorProto.FLOAT, list(out_shape))],
        initializer=inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def tiny_resnet():
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", kernel_shape=[3, 3],
                         pads=[1, 1, 1, 1], strides=[2, 2]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("LRN", ["r1"], ["n1"], name="norm1", size=3, alpha=1e-4, beta=0.75, bias=2.0),
        helper.make_node("Conv", ["n1", "w2"], ["c2"], name="conv2", kernel_shape=[3, 3],
                         pads=[1, 1, 1, 1], group=2),
        helper.make_node("BatchNormalization", ["c2", "g", "bt", "m", "v"], ["bn2"], name="bn2"),
        helper.make_node("Add", ["bn2", "n1"], ["s"], name="res"),
        helper.make_node("MaxPool", ["s"], ["p"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("AveragePool", ["p"], ["ap"], name="avg", kernel_shape=[3, 3], strides=[1, 1],
                         pads=[1, 1, 1, 1]),
        helper.make_node("GlobalAveragePool", ["ap"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["f"], name="flat"),
        helper.make_node("Gemm", ["f", "wfc", "bfc"], ["g1"], name="fc1", transB=1),
        helper.make_node("Sigmoid", ["g1"], ["sg"], name="sig"),
        helper.make_node("MatMul", ["sg", "wmm"], ["mm"], name="fc2"),
        helper.make_node("Add", ["mm", "bmm"], ["mmb"], name="bias2"),
        helper.make_node("Tanh", ["mmb"], ["y"], name="tanh"),
    ]
    inits = [_init("w1", 8, 3, 3, 3), _init("b1", 8), _init("w2", 8, 4, 3, 3),
             _init("g", 8), _init("bt", 8), _init("m", 8), _init("v", 8),
             _init("wfc", 10, 8), _init("bfc", 10), _init("wmm", 10, 4), _init("bmm", 4)]
    return _model(nodes, inits)


def test_onnx_model_becomes_a_network(tmp_path):
    model = tiny_resnet()
    onnx.checker.check_model(model)
    path = tmp_path / "tiny.onnx"
    onnx.save(model, path)
    net = load_network(path)
    kinds = [(l.name, type(l)) for l in net]
    # bn2 (trained statistics after a conv read by nothing else) is folded into conv2
    assert kinds == [("conv1", Conv), ("relu1", Activation), ("norm1", LRN), ("conv2", Conv),
                     ("res", Add), ("pool", Pool), ("avg", Pool), ("gap", Pool),
                     ("fc1", FC), ("sig", Activation), ("fc2", FC), ("tanh", Activation)]
    conv1, conv2 = net.layer("conv1"), net.layer("conv2")
    assert conv1.output_shape == (8, 8, 8) and conv1.stride == (2, 2)
    assert conv2.groups == 2 and conv2.weight_shape == (8, 4, 3, 3)
    assert net.layer("norm1").k == 2.0 and net.layer("norm1").size == 3
    assert net.layer("res").inputs == ("conv2", "norm1")
    assert net.layer("gap").output_shape == (8, 1, 1)
    assert (net.layer("fc1").in_features, net.layer("fc1").out_features) == (8, 10)
    assert (net.layer("fc2").in_features, net.layer("fc2").out_features) == (10, 4)
    assert net.output_shape == (4,)
    assert net.weights == 8 * 27 + 8 * 4 * 9 + 80 + 40  # biases and BN parameters not counted
    assert net.macs == 8 * 27 * 64 + 8 * 36 * 64 + 80 + 40


def test_unsupported_operator_is_named():
    model = _model([helper.make_node("Relu", ["x"], ["r"], name="act"),
                    helper.make_node("Erf", ["r"], ["y"], name="classifier")], [])
    with pytest.raises(UnsupportedOperatorError, match=r"'Erf' \(node 'classifier'\)"):
        load_onnx(model)


@pytest.mark.parametrize("attrs, message", [
    (dict(dilations=[2, 2]), "dilations"),
    (dict(auto_pad="SAME_SIDEWAYS"), "auto_pad"),
])
def test_unsupported_conv_attributes_are_named(attrs, message):
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="c", kernel_shape=[3, 3], **attrs)
    with pytest.raises(OnnxImportError, match=message):
        load_onnx(_model([node], [_init("w", 4, 3, 3, 3)]))


def test_a_file_that_is_not_onnx_is_refused(tmp_path):
    bad = tmp_path / "notes.onnx"
    bad.write_text("this is a text file, not a model\n" * 3)
    with pytest.raises(OnnxImportError, match="not an ONNX model"):
        load_onnx(bad)
    empty = tmp_path / "empty.onnx"
    empty.write_bytes(b"")
    with pytest.raises(OnnxImportError, match="not an ONNX model"):
        load_onnx(empty)
    with pytest.raises(OnnxImportError, match="no such"):
        load_onnx(tmp_path / "missing.onnx")


def test_reshape_with_constant_shape_and_fc_flattening():
    nodes = [helper.make_node("Constant", [], ["shape"], name="k",
                              value=numpy_helper.from_array(np.array([1, -1], np.int64))),
             helper.make_node("Reshape", ["x", "shape"], ["f"], name="reshape"),
             helper.make_node("Gemm", ["f", "w"], ["y"], name="fc", transB=1)]
    net = load_onnx(_model(nodes, [_init("w", 5, 48)], in_shape=(1, 3, 4, 4)))
    assert len(net) == 1 and net.layer("fc").in_features == 48


SCALE_SIM = """Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,
Conv1, 227, 227, 11, 11, 3, 96, 4,
Conv2, 31, 31, 5, 5, 96, 256, 1,
FC6, 1, 1, 1, 1, 9216, 4096, 1,
"""


def test_scale_sim_topology_imports(tmp_path):
    path = tmp_path / "alexnet_part.csv"
    path.write_text(SCALE_SIM)
    net = load_network(path)
    assert net.name == "alexnet_part" and [l.name for l in net] == ["Conv1", "Conv2", "FC6"]
    assert net.layer("Conv1").output_shape == (96, 55, 55)
    assert net.layer("Conv2").output_shape == (256, 27, 27)
    assert net.layer("FC6").macs == 9216 * 4096
    assert net.macs == 96 * 363 * 3025 + 256 * 96 * 25 * 729 + 9216 * 4096


@pytest.mark.parametrize("text, message", [
    ("Layer name, IFMAP Height, Filter Height\nc, 3, 3\n", "lacks column"),
    (SCALE_SIM.replace("227, 227, 11", "227, x, 11"), r"line 2: 'IFMAP Width' must be an integer"),
    (SCALE_SIM.replace("31, 31, 5", "31, 0, 5"), r"line 3: 'IFMAP Width' must be an integer >= 1"),
    (SCALE_SIM.replace("1, 1, 1, 1, 9216", "1, 1, 3, 1, 9216"), "line 4: filter 3x1 is larger"),
    ("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides\n"
     "c, 8, 8, 3, 3, 4, 4\n", "line 2: missing value for 'Strides'"),
    ("", "empty"),
])
def test_malformed_topology_rows_are_named(tmp_path, text, message):
    path = tmp_path / "t.csv"
    path.write_text(text)
    with pytest.raises(TopologyError, match=message):
        load_topology_csv(path)


def test_unknown_extension():
    with pytest.raises(ValueError, match="allowed: .onnx, .csv, .yaml"):
        load_network("model.pb")

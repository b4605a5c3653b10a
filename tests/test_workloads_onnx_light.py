"""The nine model graphs the ``onnx`` package ships (onnx/backend/test/data/light/) import,
and their weighted layers, MACs and weights equal a count made here from the ONNX graph
alone (ONNX's shape inference, no code of the importer)."""
import math
import os

import onnx
import pytest

from workloads.io import load_onnx

LIGHT = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "light")
MODELS = ["bvlc_alexnet", "densenet121", "inception_v1", "inception_v2", "resnet50", "shufflenet",
          "squeezenet", "vgg19", "zfnet512"]


def light_path(name):
    return os.path.join(LIGHT, f"light_{name}.onnx")


def independent_count(path):
    """(weighted layers, MACs, weights) of a model from onnx.shape_inference alone."""
    model = onnx.shape_inference.infer_shapes(onnx.load(path), data_prop=True)
    g = model.graph
    shapes = {}
    for vi in list(g.value_info) + list(g.input) + list(g.output):
        dims = vi.type.tensor_type.shape.dim
        if all(d.HasField("dim_value") for d in dims):
            shapes[vi.name] = [d.dim_value for d in dims]
    for init in g.initializer:
        shapes[init.name] = list(init.dims)
    layers = macs = weights = 0
    for node in g.node:
        if node.op_type == "Conv":
            w, y = shapes[node.input[1]], shapes[node.output[0]]
            layers += 1
            weights += math.prod(w)
            macs += math.prod(w) * math.prod(y[2:])  # per output position: C_out * C_in/g * Kh * Kw
        elif node.op_type in ("Gemm", "MatMul"):
            w = shapes[node.input[1]]
            layers += 1
            weights += math.prod(w)
            macs += math.prod(w) * math.prod(shapes[node.output[0]][:-1])
    return layers, macs, weights


@pytest.mark.parametrize("name", MODELS)
def test_light_model_imports_with_independent_counts(name):
    net = load_onnx(light_path(name))
    layers, macs, weights = independent_count(light_path(name))
    assert len(net.weighted_layers()) == layers
    assert net.macs == macs
    assert net.weights == weights
    assert net.input_shape == (3, 224, 224)
    assert math.prod(net.output_shape) == 1000
    # the light models replace trained weights by ConstantOfShape fills: placeholders
    assert all(getattr(l.param("weight"), "placeholder", False) for l in net.weighted_layers())


def test_branches_and_joins_are_kept():
    squeeze = load_onnx(light_path("squeezenet"))
    concats = [l for l in squeeze if l.kind == "concat"]
    assert len(concats) == 8 and all(len(c.inputs) == 2 for c in concats)  # fire modules: 1x1 and 3x3 expand
    inception = load_onnx(light_path("inception_v1"))
    assert sorted({len(l.inputs) for l in inception if l.kind == "concat"}) == [4]
    resnet = load_onnx(light_path("resnet50"))
    assert sum(1 for l in resnet if l.kind == "add" and len(l.inputs) == 2) == 16
    shuffle = load_onnx(light_path("shufflenet"))
    assert {l.perm for l in shuffle if l.kind == "transpose"} == {(1, 0, 2, 3)}  # channel shuffle
    assert sum(1 for l in shuffle.weighted_layers() if l.kind == "conv" and l.groups > 1) == 48


def test_asymmetric_pool_pads_are_lowered():
    alexnet = load_onnx(light_path("bvlc_alexnet"))
    pad = next(l for l in alexnet if l.kind == "pad")
    assert pad.value == -math.inf and pad.pads == ((0, 0), (0, 1), (0, 1))
    pool = alexnet.layer(alexnet.consumers()[pad.name][0])
    assert pool.kind == "pool" and pool.padding_hw == (0, 0)
    inception = load_onnx(light_path("inception_v1"))
    crop = next(l for l in inception if l.kind == "slice")   # 7x7 average pool of 6x6, pads (0, 0, 1, 1)
    pool = inception.layer(crop.inputs[0])
    assert pool.padding_hw == (1, 1) and not pool.count_include_pad and pool.out_hw == (2, 2)
    assert crop.region[1:] == ((1, 2, 1), (1, 2, 1)) and crop.output_shape == (1024, 1, 1)

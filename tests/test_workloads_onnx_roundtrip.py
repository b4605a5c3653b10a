"""Zoo networks written as ONNX graphs (in the test) import back with identical layers."""
import onnx
import pytest
from onnx import TensorProto, helper

from workloads.io import load_onnx
from workloads.layers import FC, LRN, Activation, Add, BatchNorm, Conv, Pool
from workloads.zoo import get_network

ACT = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh"}


def _shape_only(name, dims):
    """An initializer carrying only its dims (the importer reads shapes, never values)."""
    t = TensorProto()
    t.name, t.data_type = name, TensorProto.FLOAT
    t.dims.extend(dims)
    return t


def export(net):
    nodes, inits = [], []
    out = {"input": "input"}
    tensor_shape = {"input": net.input_shape}
    for i, layer in enumerate(net):
        srcs = net.producers(layer.name)
        x = out[srcs[0]]
        y = f"t_{layer.name}"
        if isinstance(layer, Conv):
            inits.append(_shape_only(f"W_{layer.name}", layer.weight_shape))
            p = layer.padding_hw
            nodes.append(helper.make_node("Conv", [x, f"W_{layer.name}"], [y], name=layer.name,
                                          kernel_shape=list(layer.kernel_hw), strides=list(layer.stride_hw),
                                          pads=[p[0], p[1], p[0], p[1]], group=layer.groups))
        elif isinstance(layer, FC):
            if len(tensor_shape[srcs[0]]) > 1:
                nodes.append(helper.make_node("Flatten", [x], [f"{x}_flat"], name=f"flatten{i}"))
                x = f"{x}_flat"
            inits.append(_shape_only(f"W_{layer.name}", layer.weight_shape))
            nodes.append(helper.make_node("Gemm", [x, f"W_{layer.name}"], [y], name=layer.name, transB=1))
        elif isinstance(layer, Pool):
            p = layer.padding_hw
            if layer.kernel_hw == layer.in_hw and layer.mode == "avg" and layer.out_hw == (1, 1):
                nodes.append(helper.make_node("GlobalAveragePool", [x], [y], name=layer.name))
            else:
                op = "MaxPool" if layer.mode == "max" else "AveragePool"
                nodes.append(helper.make_node(op, [x], [y], name=layer.name, kernel_shape=list(layer.kernel_hw),
                                              strides=list(layer.stride_hw), pads=[p[0], p[1], p[0], p[1]],
                                              ceil_mode=int(layer.ceil_mode)))
        elif isinstance(layer, Activation):
            nodes.append(helper.make_node(ACT[layer.function], [x], [y], name=layer.name))
        elif isinstance(layer, LRN):
            nodes.append(helper.make_node("LRN", [x], [y], name=layer.name, size=layer.size,
                                          alpha=layer.alpha, beta=layer.beta, bias=layer.k))
        elif isinstance(layer, BatchNorm):
            c = layer.shape[0]
            names = [f"{layer.name}_{s}" for s in ("scale", "bias", "mean", "var")]
            inits.extend(_shape_only(n, [c]) for n in names)
            nodes.append(helper.make_node("BatchNormalization", [x, *names], [y], name=layer.name))
        elif isinstance(layer, Add):
            nodes.append(helper.make_node("Add", [out[s] for s in srcs], [y], name=layer.name))
        else:
            raise AssertionError(layer)
        out[layer.name] = y
        tensor_shape[layer.name] = layer.output_shape
    graph = helper.make_graph(
        nodes, net.name,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, *net.input_shape])],
        [helper.make_tensor_value_info(out[net.layers[-1].name], TensorProto.FLOAT, [1, *net.output_shape])],
        initializer=inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


@pytest.mark.parametrize("name", ["lenet5", "mlp", "cifar10-quick", "alexnet", "vgg16", "resnet18", "resnet50"])
def test_zoo_network_survives_onnx(name, tmp_path):
    net = get_network(name)
    path = tmp_path / f"{name}.onnx"
    onnx.save(export(net), path)
    back = load_onnx(path)
    assert back.name == name
    assert [l.name for l in back] == [l.name for l in net]
    for a, b in zip(net, back):
        assert type(a) is type(b)
        assert (a.input_shape, a.output_shape, a.macs, a.weights) == (b.input_shape, b.output_shape,
                                                                      b.macs, b.weights), a.name
    assert (back.weights, back.macs) == (net.weights, net.macs)
    for layer in net:
        assert back.producers(layer.name) == net.producers(layer.name)

"""ONNX model -> :class:`~workloads.layers.Network` (layer shapes only; weights values are
not imported).

Supported operators: Conv, Gemm, MatMul (with a constant right operand), MaxPool,
AveragePool, GlobalAveragePool, Relu, Sigmoid, Tanh, LRN, BatchNormalization, Add,
Flatten and Reshape (shape-only: no layer), Dropout and Identity (identities at inference:
no layer), Constant (feeds Reshape). An ``Add`` with a constant operand is a bias and is
folded into the layer producing the other operand (biases are not counted as weights).
Anything else raises :class:`UnsupportedOperatorError` naming the operator and the node;
nothing is skipped silently. The model must have a single data input of rank 2 (N, F) or
4 (N, C, H, W); the batch axis is dropped.

Simplifications, stated: Conv and pooling need symmetric ``pads`` and ``auto_pad`` NOTSET;
Conv needs ``dilations`` of 1; Gemm needs ``transA`` = 0 (``alpha``/``beta`` only scale
values and do not change shapes); average pooling is described with Caffe's divisor
convention whatever ``count_include_pad`` says (only values differ, not shapes or MACs).
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from workloads.layers import (FC, LRN, NETWORK_INPUT, Activation, Add, BatchNorm, Conv, Layer,
                              Network, Pool)

SUPPORTED_OPS = ("Conv", "Gemm", "MatMul", "MaxPool", "AveragePool", "GlobalAveragePool",
                 "Relu", "Sigmoid", "Tanh", "LRN", "BatchNormalization", "Add", "Flatten",
                 "Reshape", "Dropout", "Identity", "Constant")


class OnnxImportError(ValueError):
    """The model cannot be described as a network (message names the node and problem)."""


class UnsupportedOperatorError(OnnxImportError):
    """The model uses an operator this importer does not describe."""


def _read_model(source) -> onnx.ModelProto:
    if isinstance(source, onnx.ModelProto):
        return source
    path = Path(source)
    if not path.is_file():
        raise OnnxImportError(f"{path}: no such ONNX file")
    data = path.read_bytes()
    try:
        model = onnx.load_model_from_string(data)
    except Exception as exc:  # protobuf DecodeError and friends
        raise OnnxImportError(f"{path}: not an ONNX model (cannot parse the protobuf: {exc})") from None
    if model.ir_version <= 0 or not model.graph.node:
        raise OnnxImportError(f"{path}: not an ONNX model (no IR version or no graph nodes)")
    return model


def _attrs(node) -> dict:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _hw_pads(node, attrs) -> tuple[int, int]:
    where = f"node {node.name!r} ({node.op_type})"
    auto = attrs.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    if auto not in ("NOTSET", ""):
        raise OnnxImportError(f"{where}: auto_pad={auto} is not supported; use explicit pads")
    pads = list(attrs.get("pads", [0, 0, 0, 0]))
    if len(pads) != 4 or pads[0] != pads[2] or pads[1] != pads[3]:
        raise OnnxImportError(f"{where}: pads {pads} must be 2-D and symmetric "
                              f"[top, left, bottom, right] with top == bottom, left == right")
    return (int(pads[0]), int(pads[1]))


class _Importer:
    def __init__(self, model: onnx.ModelProto, name: str):
        self.model = model
        self.name = name
        graph = model.graph
        self.consts: dict[str, np.ndarray | None] = {}
        self.const_shapes: dict[str, tuple] = {}
        for init in graph.initializer:
            self.const_shapes[init.name] = tuple(init.dims)
            self.consts[init.name] = None  # decoded lazily (only Reshape needs values)
        self._inits = {init.name: init for init in graph.initializer}
        data_inputs = [i for i in graph.input if i.name not in self.const_shapes]
        if len(data_inputs) != 1:
            raise OnnxImportError(f"model {name}: needs exactly one data input, has "
                                  f"{[i.name for i in data_inputs]}")
        dims = data_inputs[0].type.tensor_type.shape.dim
        shape = tuple(d.dim_value if d.HasField("dim_value") else -1 for d in dims)
        if len(shape) not in (2, 4) or any(s < 1 for s in shape[1:]):
            raise OnnxImportError(f"model {name}: input {data_inputs[0].name!r} must have a static "
                                  f"shape (N, F) or (N, C, H, W), got {shape}")
        self.input_shape = shape[1:]
        # tensor name -> (shape without batch, producing layer name)
        self.tensors = {data_inputs[0].name: (self.input_shape, NETWORK_INPUT)}
        self.layers: list[Layer] = []
        self.names: set[str] = set()

    # --- helpers -------------------------------------------------------------------------
    def value(self, tensor: str) -> np.ndarray:
        if tensor in self._inits and self.consts.get(tensor) is None:
            self.consts[tensor] = numpy_helper.to_array(self._inits[tensor])
        if tensor not in self.consts:
            raise OnnxImportError(f"tensor {tensor!r} must be a constant")
        return self.consts[tensor]

    def data(self, node, tensor: str) -> tuple[tuple, str]:
        if tensor not in self.tensors:
            raise OnnxImportError(f"node {node.name!r} ({node.op_type}): input {tensor!r} is not "
                                  f"produced by an earlier node or the graph input")
        return self.tensors[tensor]

    def weight_shape(self, node, tensor: str) -> tuple:
        if tensor not in self.const_shapes:
            raise OnnxImportError(f"node {node.name!r} ({node.op_type}): weight {tensor!r} must be an "
                                  f"initializer or Constant (weights computed at run time are not supported)")
        return self.const_shapes[tensor]

    def layer_name(self, node, index: int) -> str:
        base = node.name or f"{node.op_type.lower()}{index}"
        name, k = base, 1
        while name in self.names or name == NETWORK_INPUT:
            k += 1
            name = f"{base}_{k}"
        self.names.add(name)
        return name

    def inputs_for(self, producer: str) -> tuple:
        last = self.layers[-1].name if self.layers else NETWORK_INPUT
        return () if producer == last else (producer,)

    def emit(self, node, layer: Layer) -> None:
        self.layers.append(layer)
        self.tensors[node.output[0]] = (layer.output_shape, layer.name)

    def spatial(self, node, shape) -> tuple[int, int, int]:
        if len(shape) != 3:
            raise OnnxImportError(f"node {node.name!r} ({node.op_type}): needs a (C, H, W) input, "
                                  f"got {shape}")
        return shape

    # --- operators -----------------------------------------------------------------------
    def run(self) -> Network:
        for i, node in enumerate(self.model.graph.node):
            op = node.op_type
            handler = getattr(self, f"op_{op}", None)
            if handler is None or node.domain not in ("", "ai.onnx"):
                raise UnsupportedOperatorError(
                    f"unsupported ONNX operator {op!r} (node {node.name or '#' + str(i)!r}); "
                    f"supported: {', '.join(SUPPORTED_OPS)}")
            try:
                handler(node, i, _attrs(node))
            except OnnxImportError:
                raise
            except ValueError as exc:  # a layer refused its parameters
                raise OnnxImportError(f"node {node.name!r} ({op}): {exc}") from None
        if not self.layers:
            raise OnnxImportError(f"model {self.name}: no layer to describe")
        return Network(self.name, self.layers, self.input_shape)

    def op_Constant(self, node, i, attrs):
        if "value" not in attrs:
            raise OnnxImportError(f"node {node.name!r} (Constant): only the 'value' attribute is supported")
        arr = numpy_helper.to_array(attrs["value"])
        self.consts[node.output[0]] = arr
        self.const_shapes[node.output[0]] = arr.shape

    def op_Conv(self, node, i, attrs):
        shape, src = self.data(node, node.input[0])
        c, h, w = self.spatial(node, shape)
        o, cg, kh, kw = self.weight_shape(node, node.input[1])
        if any(d != 1 for d in attrs.get("dilations", [1, 1])):
            raise OnnxImportError(f"node {node.name!r} (Conv): dilations {attrs['dilations']} "
                                  f"are not supported (must be 1)")
        strides = tuple(attrs.get("strides", [1, 1]))
        group = int(attrs.get("group", 1))
        if cg * group != c:
            raise OnnxImportError(f"node {node.name!r} (Conv): weight has {cg} input channels per "
                                  f"group x {group} groups but the input has {c} channels")
        self.emit(node, Conv(self.layer_name(node, i), c, o, (kh, kw), (h, w), strides,
                             _hw_pads(node, attrs), group, inputs=self.inputs_for(src)))

    def _fc(self, node, i, in_features: int, out_features: int, shape, src):
        if math.prod(shape) != in_features:
            raise OnnxImportError(f"node {node.name!r} ({node.op_type}): input has {math.prod(shape)} "
                                  f"features but the weight expects {in_features}")
        self.emit(node, FC(self.layer_name(node, i), in_features, out_features,
                           inputs=self.inputs_for(src)))

    def op_Gemm(self, node, i, attrs):
        shape, src = self.data(node, node.input[0])
        if attrs.get("transA", 0):
            raise OnnxImportError(f"node {node.name!r} (Gemm): transA=1 is not supported")
        b = self.weight_shape(node, node.input[1])
        k, n = (b[1], b[0]) if attrs.get("transB", 0) else b
        self._fc(node, i, k, n, shape, src)

    def op_MatMul(self, node, i, attrs):
        shape, src = self.data(node, node.input[0])
        b = self.weight_shape(node, node.input[1])
        if len(b) != 2:
            raise OnnxImportError(f"node {node.name!r} (MatMul): right operand must be a 2-D "
                                  f"constant, got shape {b}")
        self._fc(node, i, b[0], b[1], shape, src)

    def _pool(self, node, i, attrs, mode):
        shape, src = self.data(node, node.input[0])
        c, h, w = self.spatial(node, shape)
        kernel = tuple(attrs["kernel_shape"])
        strides = tuple(attrs.get("strides", [1, 1]))
        if any(d != 1 for d in attrs.get("dilations", [1, 1])):
            raise OnnxImportError(f"node {node.name!r} ({node.op_type}): dilations are not supported")
        self.emit(node, Pool(self.layer_name(node, i), c, (h, w), kernel, strides,
                             _hw_pads(node, attrs), mode, bool(attrs.get("ceil_mode", 0)),
                             inputs=self.inputs_for(src)))

    def op_MaxPool(self, node, i, attrs):
        if len(node.output) > 1 and node.output[1]:
            raise OnnxImportError(f"node {node.name!r} (MaxPool): the Indices output is not supported")
        self._pool(node, i, attrs, "max")

    def op_AveragePool(self, node, i, attrs):
        self._pool(node, i, attrs, "avg")

    def op_GlobalAveragePool(self, node, i, attrs):
        shape, src = self.data(node, node.input[0])
        c, h, w = self.spatial(node, shape)
        self.emit(node, Pool(self.layer_name(node, i), c, (h, w), (h, w), 1, 0, "avg",
                             inputs=self.inputs_for(src)))

    def _act(self, node, i, function):
        shape, src = self.data(node, node.input[0])
        self.emit(node, Activation(self.layer_name(node, i), shape, function, inputs=self.inputs_for(src)))

    def op_Relu(self, node, i, attrs):
        self._act(node, i, "relu")

    def op_Sigmoid(self, node, i, attrs):
        self._act(node, i, "sigmoid")

    def op_Tanh(self, node, i, attrs):
        self._act(node, i, "tanh")

    def op_LRN(self, node, i, attrs):
        shape, src = self.data(node, node.input[0])
        self.emit(node, LRN(self.layer_name(node, i), shape, int(attrs["size"]),
                            float(attrs.get("alpha", 1e-4)), float(attrs.get("beta", 0.75)),
                            float(attrs.get("bias", 1.0)), inputs=self.inputs_for(src)))

    def op_BatchNormalization(self, node, i, attrs):
        shape, src = self.data(node, node.input[0])
        self.emit(node, BatchNorm(self.layer_name(node, i), shape, inputs=self.inputs_for(src)))

    def op_Add(self, node, i, attrs):
        a, b = node.input[0], node.input[1]
        const = [t for t in (a, b) if t in self.const_shapes]
        if len(const) == 2:
            raise OnnxImportError(f"node {node.name!r} (Add): both operands are constants")
        if const:  # bias: shape-only, folded into the producer of the other operand
            other = b if const[0] == a else a
            self.tensors[node.output[0]] = self.data(node, other)
            return
        (sa, pa), (sb, pb) = self.data(node, a), self.data(node, b)
        if sa != sb:
            raise OnnxImportError(f"node {node.name!r} (Add): operand shapes {sa} and {sb} differ "
                                  f"(broadcasting adds are not supported)")
        self.emit(node, Add(self.layer_name(node, i), sa, inputs=(pa, pb)))

    def _alias(self, node, shape):
        _, src = self.data(node, node.input[0])
        self.tensors[node.output[0]] = (tuple(int(d) for d in shape), src)

    def op_Flatten(self, node, i, attrs):
        shape, _ = self.data(node, node.input[0])
        if attrs.get("axis", 1) != 1:
            raise OnnxImportError(f"node {node.name!r} (Flatten): only axis=1 is supported")
        self._alias(node, (math.prod(shape),))

    def op_Reshape(self, node, i, attrs):
        shape, _ = self.data(node, node.input[0])
        try:
            target = [int(d) for d in self.value(node.input[1]).ravel()]
        except OnnxImportError:
            raise OnnxImportError(f"node {node.name!r} (Reshape): the target shape must be a "
                                  f"constant") from None
        full = (1, *shape)
        target = [full[k] if d == 0 else d for k, d in enumerate(target)]
        if target.count(-1) > 1:
            raise OnnxImportError(f"node {node.name!r} (Reshape): more than one -1 in {target}")
        if -1 in target:
            known = math.prod(d for d in target if d != -1)
            target[target.index(-1)] = math.prod(full) // max(1, known)
        if math.prod(target) != math.prod(full) or target[0] != 1:
            raise OnnxImportError(f"node {node.name!r} (Reshape): cannot reshape (N, "
                                  f"{', '.join(map(str, shape))}) to {target} keeping the batch axis")
        self._alias(node, target[1:])

    def op_Dropout(self, node, i, attrs):
        shape, _ = self.data(node, node.input[0])
        self._alias(node, shape)

    def op_Identity(self, node, i, attrs):
        shape, _ = self.data(node, node.input[0])
        self._alias(node, shape)


def load_onnx(source, name: str | None = None) -> Network:
    """Describe an ONNX model (a path or an ``onnx.ModelProto``) as a Network."""
    model = _read_model(source)
    if name is None:
        name = model.graph.name or (Path(source).stem if not isinstance(source, onnx.ModelProto) else "onnx")
    return _Importer(model, name).run()

"""Reading an ONNX graph: validation, dependency order, shape inference, constant folding.

- :func:`read_model` parses a file (or takes a ``ModelProto``) and refuses anything that
  is not a model, naming the file.
- :class:`GraphInfo` orders the nodes by their data dependencies (Kahn's algorithm; the
  file's order among nodes that are ready together), refusing a cycle or an input that
  nothing produces, names the graph's data input and runs ONNX's own shape inference
  (``onnx.shape_inference.infer_shapes`` with data propagation) on the model with its
  batch axis fixed to 1.
- Constants (:class:`Const`): initializers, ``Constant`` nodes, ``Shape`` of a tensor
  whose shape is static, and every node all of whose inputs are constants, evaluated by
  ONNX's reference evaluator (``onnx.reference.ReferenceEvaluator``): ``ConstantOfShape``
  fills, the ``Shape -> Gather -> Unsqueeze -> Concat -> Reshape`` chains of PyTorch's
  ``view``/``flatten``, constant ``Mul``/``Add``/``Unsqueeze`` of parameters. Small
  constants (at most :data:`EAGER_ELEMENTS` elements) are evaluated at once; larger ones
  (weights) keep their recipe and are evaluated each time a layer needs them, so that a
  model's weights are never all in memory at once.
- A constant is a *placeholder* when it carries a shape but no trained values: an
  initializer without data, or a ``ConstantOfShape`` fill (every element the same, as in
  the ``light`` test models the ``onnx`` package ships, whose weights are all 0.02);
  anything computed from a placeholder is one too.
"""
from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

EAGER_ELEMENTS = 1 << 16


class OnnxImportError(ValueError):
    """The model cannot be described as a network (message names the file, node and problem)."""


class UnsupportedOperatorError(OnnxImportError):
    """The model uses operators this importer does not describe (all of them are named)."""


def read_model(source) -> tuple[onnx.ModelProto, str]:
    """The model and the name used in error messages (the file path, or the graph name)."""
    if isinstance(source, onnx.ModelProto):
        return source, f"model {source.graph.name or 'onnx'}"
    path = Path(source)
    if not path.is_file():
        raise OnnxImportError(f"{path}: no such ONNX file")
    data = path.read_bytes()
    try:
        model = onnx.load_model_from_string(data)
    except Exception as exc:  # protobuf DecodeError and friends
        raise OnnxImportError(f"{path}: not an ONNX model (cannot parse the protobuf: {exc})") from None
    del data
    if model.ir_version <= 0 or not model.graph.node:
        raise OnnxImportError(f"{path}: not an ONNX model (no IR version or no graph nodes)")
    return model, str(path)


def node_label(node, index: int) -> str:
    return node.name or f"#{index} {node.op_type}"


def attributes(node) -> dict:
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _has_data(init: TensorProto) -> bool:
    if init.data_location == TensorProto.EXTERNAL:
        return True
    return any(len(getattr(init, f)) for f in ("raw_data", "float_data", "int32_data", "int64_data",
                                               "double_data", "uint64_data", "string_data"))


@dataclass
class Const:
    """A constant tensor: its shape, and its values now (``value``) or on demand (``load``)."""

    name: str
    shape: tuple
    dtype: np.dtype
    compute: Callable[[], np.ndarray] | None = None
    value: np.ndarray | None = field(default=None, repr=False)
    placeholder: bool = False
    loadable: bool = True

    def load(self) -> np.ndarray:
        if self.value is not None:
            return self.value
        if not self.loadable:
            raise OnnxImportError(f"constant {self.name!r} has a shape {self.shape} but no values")
        return np.asarray(self.compute())

    @property
    def size(self) -> int:
        return math.prod(self.shape)


@dataclass
class Derived:
    """A parameter computed from constants when it is loaded (a transposed or folded weight)."""

    shape: tuple
    fn: Callable[..., np.ndarray]
    sources: tuple

    @property
    def placeholder(self) -> bool:
        return any(getattr(s, "placeholder", False) for s in self.sources)

    @property
    def loadable(self) -> bool:
        return all(getattr(s, "loadable", True) for s in self.sources)

    def load(self) -> np.ndarray:
        out = np.asarray(self.fn(*[s.load() if hasattr(s, "load") else s for s in self.sources]), np.float32)
        if out.shape != tuple(self.shape):
            raise OnnxImportError(f"derived parameter has shape {out.shape}, expected {tuple(self.shape)}")
        return out


def _initializer_const(init: TensorProto) -> Const:
    dtype = helper.tensor_dtype_to_np_dtype(init.data_type)
    shape = tuple(int(d) for d in init.dims)
    if not _has_data(init) and math.prod(shape) > 0:
        return Const(init.name, shape, dtype, placeholder=True, loadable=False)
    if math.prod(shape) <= EAGER_ELEMENTS:
        return Const(init.name, shape, dtype, value=numpy_helper.to_array(init))
    return Const(init.name, shape, dtype, compute=lambda: numpy_helper.to_array(init))


class GraphInfo:
    """The checked graph: nodes in dependency order, the data input, inferred shapes."""

    def __init__(self, model: onnx.ModelProto, where: str):
        self.model, self.where = model, where
        graph = model.graph
        self.opsets = {o.domain or "": o.version for o in model.opset_import}
        self.opset = self.opsets.get("", self.opsets.get("ai.onnx", 1))
        self.consts: dict[str, Const] = {i.name: _initializer_const(i) for i in graph.initializer}
        data_inputs = [i for i in graph.input if i.name not in self.consts]
        if len(data_inputs) != 1:
            raise OnnxImportError(f"{where}: needs exactly one data input (graph inputs that are not "
                                  f"initializers), has {[i.name for i in data_inputs]}")
        self.input = data_inputs[0]
        self.order = self._dependency_order()

    def error(self, message: str) -> OnnxImportError:
        return OnnxImportError(f"{self.where}: {message}")

    def _dependency_order(self) -> list:
        nodes = list(self.model.graph.node)
        known = set(self.consts) | {self.input.name}
        producer: dict[str, int] = {}
        for i, node in enumerate(nodes):
            for out in node.output:
                if out:
                    producer[out] = i
        for i, node in enumerate(nodes):
            for name in node.input:
                if name and name not in known and name not in producer:
                    raise self.error(f"node {node_label(node, i)!r} ({node.op_type}) reads {name!r}, which no node "
                                     f"produces and is neither an initializer nor the graph input (a dangling input)")
        pending, readers = [], {}
        for i, node in enumerate(nodes):
            deps = {producer[n] for n in node.input if n and n in producer and n not in known}
            pending.append(len(deps))
            for d in deps:
                readers.setdefault(d, []).append(i)
        ready = [i for i, p in enumerate(pending) if p == 0]
        heapq.heapify(ready)
        order = []
        while ready:
            i = heapq.heappop(ready)
            order.append((i, nodes[i]))
            for j in readers.get(i, ()):
                pending[j] -= 1
                if pending[j] == 0:
                    heapq.heappush(ready, j)
        if len(order) != len(nodes):
            stuck = [node_label(n, i) for i, n in enumerate(nodes) if pending[i] > 0]
            raise self.error(f"the graph has a cycle through node(s) {', '.join(map(repr, stuck[:6]))}"
                             f"{' ...' if len(stuck) > 6 else ''}")
        return order

    def input_shape(self, batch_axis: bool) -> tuple[int, ...]:
        """The data input's full shape with its batch axis (axis 0, when ``batch_axis``) set to 1."""
        dims = self.input.type.tensor_type.shape.dim
        shape = []
        for k, d in enumerate(dims):
            if d.HasField("dim_value") and d.dim_value > 0:
                shape.append(int(d.dim_value))
            elif k == 0 and batch_axis:
                shape.append(1)
            else:
                raise self.error(f"input {self.input.name!r} must have a static shape apart from the batch "
                                 f"axis; axis {k} is {d.dim_param or '?'!s}")
        if not shape:
            raise self.error(f"input {self.input.name!r} has no shape")
        if batch_axis and shape[0] != 1:
            shape[0] = 1  # the network describes one sample; the batch is the simulator's
        return tuple(shape)

    def infer_shapes(self, input_shape: tuple[int, ...]) -> dict[str, tuple]:
        """Static full shapes of every tensor ONNX's shape inference can give."""
        model = onnx.ModelProto()
        model.CopyFrom(self.model) if self.model.ByteSize() < (1 << 26) else self._copy_without_data(model)
        graph = model.graph
        for vi in graph.input:
            if vi.name == self.input.name:
                vi.type.tensor_type.ClearField("shape")
                vi.type.tensor_type.shape.dim.extend(
                    [onnx.TensorShapeProto.Dimension(dim_value=d) for d in input_shape])
        del graph.value_info[:]
        try:
            inferred = onnx.shape_inference.infer_shapes(model, data_prop=True)
        except Exception as exc:
            raise self.error(f"ONNX shape inference failed: {str(exc).splitlines()[0]}") from None
        shapes = {}
        for vi in list(inferred.graph.value_info) + list(inferred.graph.output) + list(inferred.graph.input):
            t = vi.type.tensor_type
            if t.HasField("shape") and all(d.HasField("dim_value") for d in t.shape.dim):
                shapes[vi.name] = tuple(int(d.dim_value) for d in t.shape.dim)
        return shapes

    def _copy_without_data(self, model: onnx.ModelProto) -> None:
        """A copy of the graph whose large initializers keep their dims but not their data
        (shape inference needs only shapes; no second copy of the weights)."""
        model.CopyFrom(onnx.ModelProto(ir_version=self.model.ir_version, opset_import=self.model.opset_import))
        g = model.graph
        src = self.model.graph
        g.name = src.name
        g.node.extend(src.node)
        g.input.extend(src.input)
        g.output.extend(src.output)
        for init in src.initializer:
            if math.prod(init.dims) <= EAGER_ELEMENTS:
                g.initializer.append(init)
            else:
                t = g.initializer.add()
                t.name, t.data_type = init.name, init.data_type
                t.dims.extend(init.dims)
                if not any(vi.name == init.name for vi in src.input):
                    g.input.append(helper.make_tensor_value_info(init.name, init.data_type, list(init.dims)))

    def evaluate(self, node, values: dict[str, np.ndarray]) -> list[np.ndarray]:
        """Outputs of one node on constant inputs, by ONNX's reference evaluator."""
        from onnx.reference import ReferenceEvaluator
        ins = [helper.make_tensor_value_info(k, helper.np_dtype_to_tensor_dtype(np.asarray(v).dtype),
                                             list(np.shape(v))) for k, v in values.items()]
        outs = [helper.make_tensor_value_info(o, TensorProto.UNDEFINED, None) for o in node.output if o]
        graph = helper.make_graph([node], "fold", ins, outs)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid(d, v) for d, v in self.opsets.items()])
        model.ir_version = min(self.model.ir_version or 8, 10) if self.model.ir_version >= 3 else 8
        try:
            return ReferenceEvaluator(model).run(None, values)
        except Exception as exc:
            raise self.error(f"node {node.name or node.op_type!r} ({node.op_type}): cannot evaluate its "
                             f"constant inputs: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from None

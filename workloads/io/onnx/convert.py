"""ONNX nodes -> :mod:`workloads.layers` layers (see the package docstring for the rules)."""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import onnx

from workloads.io.onnx.graph import (
    Const,
    Derived,
    GraphInfo,
    OnnxImportError,
    UnsupportedOperatorError,
    attributes,
    node_label,
)
from workloads.layers import (
    FC,
    GRU,
    LRN,
    LSTM,
    NETWORK_INPUT,
    Activation,
    Add,
    BatchNorm,
    Concat,
    Conv,
    Layer,
    Mul,
    Network,
    Pad,
    Pool,
    Slice,
    Transpose,
)

#: Operators that become layers (or views) when they read computed data.
LAYER_OPS = ("Conv", "Gemm", "MatMul", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool",
             "Relu", "Sigmoid", "Tanh", "Clip", "LeakyRelu", "PRelu", "HardSigmoid", "HardSwish", "Softmax",
             "LRN", "BatchNormalization", "Add", "Sum", "Sub", "Mul", "Div", "Concat", "Split", "Slice",
             "Transpose", "Pad", "Flatten", "Reshape", "Squeeze", "Unsqueeze", "Dropout", "Identity",
             "LSTM", "GRU", "Shape")
#: Operators evaluated only on constants (any operator ONNX's reference evaluator runs is
#: folded when all its inputs are constant; these are the common ones, listed for docs).
FOLDED_OPS = ("Constant", "ConstantOfShape", "Shape", "Gather", "Unsqueeze", "Squeeze", "Concat", "Reshape",
              "Cast", "Mul", "Add", "Sub", "Div", "Slice")
SUPPORTED_OPS = LAYER_OPS + tuple(op for op in FOLDED_OPS if op not in LAYER_OPS)


@dataclass
class Data:
    """A computed tensor: its per-sample shape and the layer (or 'input') producing it."""
    shape: tuple
    producer: str


def _per_channel(shape: tuple, rank: int, channels: int) -> bool:
    """A constant of ``shape`` broadcast against a per-sample tensor of ``rank`` axes
    varies only along the first (channel) axis."""
    full = (1,) * (rank - len(shape)) + tuple(shape) if len(shape) <= rank else None
    return full is not None and all(d == 1 for d in full[1:]) and full[0] in (1, channels)


class Converter:
    """Walks the nodes in dependency order, folding constants and emitting layers."""

    def __init__(self, info: GraphInfo, name: str):
        self.info, self.name = info, name
        self.consts = info.consts
        self.layers: list[Layer] = []
        self.by_name: dict[str, int] = {}
        self.names: set[str] = set()
        self.readers: dict[str, int] = {}
        for _, node in info.order:
            for t in node.input:
                if t:
                    self.readers[t] = self.readers.get(t, 0) + 1
        for out in info.model.graph.output:
            self.readers[out.name] = self.readers.get(out.name, 0) + 1
        self.batch_axis = not any(n.op_type in ("LSTM", "GRU") and attributes(n).get("layout", 0) == 0
                                  for _, n in info.order)
        full = info.input_shape(self.batch_axis)
        self.input_shape = full[1:] if self.batch_axis else full
        if not self.input_shape:
            raise info.error(f"input {info.input.name!r} has only a batch axis")
        self.shapes = info.infer_shapes(full)
        self.tensors: dict[str, Data] = {info.input.name: Data(self.input_shape, NETWORK_INPUT)}

    # ----------------------------------------------------------------- helpers
    def fail(self, node, message: str) -> OnnxImportError:
        return self.info.error(f"node {node.name or node.op_type!r} ({node.op_type}): {message}")

    def full(self, shape: tuple) -> tuple:
        return (1, *shape) if self.batch_axis else tuple(shape)

    def sample_axis(self, node, axis: int, rank_full: int) -> int:
        """A full-tensor axis as a per-sample axis (refusing the batch axis)."""
        a = axis + rank_full if axis < 0 else axis
        if not 0 <= a < rank_full:
            raise self.fail(node, f"axis {axis} is outside [-{rank_full}, {rank_full - 1}]")
        if self.batch_axis:
            if a == 0:
                raise self.fail(node, "operating along the batch axis (axis 0) is not supported")
            return a - 1
        return a

    def data(self, node, tensor: str) -> Data:
        if tensor in self.tensors:
            return self.tensors[tensor]
        if tensor in self.consts:
            raise self.fail(node, f"input {tensor!r} is a constant where computed data is expected")
        raise self.fail(node, f"input {tensor!r} is not produced by an earlier node or the graph input")

    def const(self, node, tensor: str, what: str = "operand") -> Const:
        if tensor not in self.consts:
            raise self.fail(node, f"{what} {tensor!r} must be a constant (an initializer or computed from "
                                  f"constants only); computed {what}s are not supported")
        return self.consts[tensor]

    def value(self, node, tensor: str, what: str = "operand") -> np.ndarray:
        c = self.const(node, tensor, what)
        if not c.loadable:
            raise self.fail(node, f"{what} {tensor!r} has a shape but no values")
        return c.load()

    def optional(self, node, k: int):
        return node.input[k] if len(node.input) > k and node.input[k] else None

    def layer_name(self, node, index: int, suffix: str = "") -> str:
        base = (node.name or f"{node.op_type.lower()}{index}") + suffix
        name, k = base, 1
        while name in self.names or name == NETWORK_INPUT:
            k += 1
            name = f"{base}_{k}"
        self.names.add(name)
        return name

    def emit(self, layer: Layer, output: str | None) -> Layer:
        self.by_name[layer.name] = len(self.layers)
        self.layers.append(layer)
        if output:
            self.tensors[output] = Data(layer.output_shape, layer.name)
        return layer

    def replace(self, layer: Layer) -> None:
        self.layers[self.by_name[layer.name]] = layer

    def alias(self, node, shape) -> None:
        src = self.data(node, node.input[0])
        shape = tuple(int(d) for d in shape)
        if math.prod(shape) != math.prod(src.shape):
            raise self.fail(node, f"reshaping {src.shape} to {shape} changes the element count")
        self.tensors[node.output[0]] = Data(shape, src.producer)

    def only_reader(self, tensor: str) -> bool:
        return self.readers.get(tensor, 0) == 1

    def producer_layer(self, data: Data) -> Layer | None:
        return None if data.producer == NETWORK_INPUT else self.layers[self.by_name[data.producer]]

    # ----------------------------------------------------------------- main loop
    def run(self) -> Network:
        unsupported: dict[str, list[str]] = {}
        plan = []
        for index, node in self.info.order:
            if node.domain not in ("", "ai.onnx"):
                unsupported.setdefault(f"{node.domain}.{node.op_type}", []).append(node_label(node, index))
                continue
            plan.append((index, node))
        # constness is decided in order; collect every unsupported data-path operator first
        is_const = set(self.consts)
        data_ops = []
        for index, node in plan:
            ins = [t for t in node.input if t]
            if node.op_type == "Shape" or (all(t in is_const for t in ins) and not self._has_subgraph(node)):
                is_const.update(o for o in node.output if o)
            else:
                data_ops.append(node)
                if not hasattr(self, f"op_{node.op_type}"):
                    unsupported.setdefault(node.op_type, []).append(node_label(node, index))
        if unsupported:
            parts = [f"{op!r} (node{'s' if len(ns) > 1 else ''} {', '.join(map(repr, ns[:5]))}"
                     f"{f' and {len(ns) - 5} more' if len(ns) > 5 else ''})" for op, ns in unsupported.items()]
            raise UnsupportedOperatorError(
                f"{self.info.where}: unsupported ONNX operator{'s' if len(parts) > 1 else ''} {'; '.join(parts)}; "
                f"supported on computed data: {', '.join(LAYER_OPS)} (any operator on constants only is folded)")
        for index, node in plan:
            ins = [t for t in node.input if t]
            if node.op_type == "Shape" and ins and ins[0] in self.tensors:
                self.fold_shape(node)
            elif all(t in self.consts for t in ins) and not self._has_subgraph(node):
                self.fold(node)
            else:
                try:
                    getattr(self, f"op_{node.op_type}")(node, index, attributes(node))
                except OnnxImportError:
                    raise
                except ValueError as exc:  # a layer refused its parameters
                    raise self.fail(node, str(exc)) from None
        if not self.layers:
            raise self.info.error("no layer to describe (the graph computes nothing from its input)")
        try:
            return Network(self.name, self.layers, self.input_shape)
        except ValueError as exc:
            raise self.info.error(str(exc)) from None

    @staticmethod
    def _has_subgraph(node) -> bool:
        return any(a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS) for a in node.attribute)

    # ----------------------------------------------------------------- constants
    def fold_shape(self, node) -> None:
        src = self.tensors[node.input[0]]
        shape = np.array(self.full(src.shape), dtype=np.int64)
        attrs = attributes(node)
        start, end = attrs.get("start", 0), attrs.get("end", None)
        value = shape[start:end]
        self.consts[node.output[0]] = Const(node.output[0], value.shape, value.dtype, value=value)

    def fold(self, node) -> None:
        ins = [t for t in node.input if t]
        sources = [self.consts[t] for t in ins]
        placeholder = node.op_type == "ConstantOfShape" or any(
            s.placeholder for s in sources)
        loadable = all(s.loadable for s in sources)
        outs = [o for o in node.output if o]
        known = [self.shapes.get(o) for o in outs]
        small = all(s is not None and math.prod(s) <= (1 << 16) for s in known)
        info = self.info

        def compute(k: int, node=node, names=tuple(node.input)):
            values = {n: self.consts[n].load() for n in names if n}
            return info.evaluate(node, values)[k]

        if not loadable:
            if node.op_type in ("Identity", "Cast", "Unsqueeze", "Squeeze", "Reshape", "Flatten") and known[0]:
                self.consts[outs[0]] = Const(outs[0], known[0], sources[0].dtype, placeholder=True, loadable=False)
                return
            raise self.fail(node, f"reads constant(s) {[s.name for s in sources if not s.loadable]} that have a "
                                  f"shape but no values")
        if small or any(s is None for s in known):
            values = info.evaluate(node, {n: self.consts[n].load() for n in node.input if n})
            for o, v in zip(outs, values):
                v = np.asarray(v)
                self.consts[o] = Const(o, v.shape, v.dtype, value=v, placeholder=placeholder)
            return
        for k, (o, s) in enumerate(zip(outs, known)):
            dtype = sources[0].dtype if sources else np.dtype(np.float32)
            if node.op_type == "ConstantOfShape":
                attrs = attributes(node)
                dtype = onnx.numpy_helper.to_array(attrs["value"]).dtype if "value" in attrs else np.dtype(np.float32)
            self.consts[o] = Const(o, s, dtype, compute=lambda k=k, c=compute: c(k), placeholder=placeholder)

    def op_Constant(self, node, i, attrs):  # a Constant node always folds
        self.fold(node)

    # ----------------------------------------------------------------- weighted layers
    def spatial(self, node, data: Data) -> tuple[int, int, int]:
        shape = data.shape
        while len(shape) > 3 and shape[0] == 1:
            shape = shape[1:]
        if len(shape) != 3:
            raise self.fail(node, f"needs a (C, H, W) input per sample (2-D images only), got {data.shape}")
        return shape

    def pads(self, node, attrs, kernel, hw, strides) -> tuple[int, int, int, int]:
        """(top, left, bottom, right), resolving auto_pad."""
        auto = attrs.get("auto_pad", b"NOTSET")
        auto = auto.decode() if isinstance(auto, bytes) else auto
        if auto in ("NOTSET", ""):
            pads = [int(p) for p in attrs.get("pads", [0, 0, 0, 0])]
            if len(pads) != 4:
                raise self.fail(node, f"pads {pads} must be 2-D [top, left, bottom, right]")
            if min(pads) < 0:
                raise self.fail(node, f"negative pads {pads} are not supported")
            return tuple(pads)
        if auto == "VALID":
            return (0, 0, 0, 0)
        if auto in ("SAME_UPPER", "SAME_LOWER"):
            out = []
            for size, k, s in zip(hw, kernel, strides):
                total = max((math.ceil(size / s) - 1) * s + k - size, 0)
                small, big = total // 2, total - total // 2
                out.append((small, big) if auto == "SAME_UPPER" else (big, small))
            return (out[0][0], out[1][0], out[0][1], out[1][1])
        raise self.fail(node, f"auto_pad={auto} is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER")

    def explicit_pad(self, node, i, data: Data, pads, value: float) -> Data:
        """A Pad layer in front of a conv or pool whose padding the accelerator cannot take."""
        t, l, b, r = pads
        c, h, w = self.spatial(node, data)
        layer = Pad(self.layer_name(node, i, "/pad"), (c, h, w), ((0, 0), (t, b), (l, r)), "constant", value,
                    inputs=(data.producer,))
        self.emit(layer, None)
        return Data(layer.output_shape, layer.name)

    def op_Conv(self, node, i, attrs):
        x = self.data(node, node.input[0])
        wc = self.const(node, node.input[1], "weight")
        if len(wc.shape) != 4:
            raise self.fail(node, f"weight shape {wc.shape} is not 2-D convolution's (C_out, C_in/group, Kh, Kw)")
        o, cg, kh, kw = wc.shape
        c, h, w = self.spatial(node, x)
        if any(d != 1 for d in attrs.get("dilations", [1, 1])):
            raise self.fail(node, f"dilations {list(attrs['dilations'])} are not supported (must be 1)")
        strides = tuple(int(s) for s in attrs.get("strides", [1, 1]))
        group = int(attrs.get("group", 1))
        if cg * group != c:
            raise self.fail(node, f"weight has {cg} input channels per group x {group} groups but the input "
                                  f"has {c} channels")
        pads = self.pads(node, attrs, (kh, kw), (h, w), strides)
        padding = pads[0]
        if len(set(pads)) != 1:  # the accelerator's convolution takes one padding for every side
            x = self.explicit_pad(node, i, x, pads, 0.0)
            _, h, w = x.shape
            padding = 0
        params = {"weight": wc}
        if self.optional(node, 2):
            params["bias"] = self.const(node, node.input[2], "bias")
        layer = Conv(self.layer_name(node, i), c, o, (kh, kw), (h, w), strides, padding, group,
                     inputs=(x.producer,), params=params)
        self.emit(layer, node.output[0])

    def _fc(self, node, i, x: Data, weight, k: int, n: int, bias=None):
        lead = x.shape[:-1] if len(x.shape) > 1 and x.shape[-1] == k else ()
        if not lead and math.prod(x.shape) != k:
            raise self.fail(node, f"input has {math.prod(x.shape)} features but the weight expects {k}")
        params = {"weight": weight}
        if bias is not None:
            params["bias"] = bias
        self.emit(FC(self.layer_name(node, i), k, n, lead, inputs=(x.producer,), params=params), node.output[0])

    def op_Gemm(self, node, i, attrs):
        x = self.data(node, node.input[0])
        if attrs.get("transA", 0):
            raise self.fail(node, "transA=1 (a transposed data operand: its batch axis would be last) is not "
                                  "supported; transB is")
        bc = self.const(node, node.input[1], "weight")
        if len(bc.shape) != 2:
            raise self.fail(node, f"weight must be 2-D, got {bc.shape}")
        alpha, beta = float(attrs.get("alpha", 1.0)), float(attrs.get("beta", 1.0))
        if attrs.get("transB", 0):
            n, k = bc.shape
            weight = bc if alpha == 1.0 else Derived((n, k), lambda b: b * alpha, (bc,))
        else:
            k, n = bc.shape
            weight = Derived((n, k), lambda b: np.ascontiguousarray(b.T) * alpha, (bc,))
        bias = None
        if self.optional(node, 2):
            cc = self.const(node, node.input[2], "bias C")
            if math.prod(cc.shape) not in (1, n):
                raise self.fail(node, f"bias C of shape {cc.shape} is not per output ({n})")
            bias = Derived((n,), lambda c: np.broadcast_to(np.asarray(c, np.float32).reshape(-1), (n,)) * beta, (cc,))
        self._fc(node, i, x, weight, k, n, bias)

    def op_MatMul(self, node, i, attrs):
        a, b = node.input[0], node.input[1]
        if a in self.consts:
            raise self.fail(node, "the left operand is a constant: only data @ constant weights is supported")
        x = self.data(node, a)
        bc = self.const(node, b, "right operand")
        shape = bc.shape
        while len(shape) > 2 and shape[0] == 1:
            shape = shape[1:]
        if len(shape) != 2:
            raise self.fail(node, f"right operand must be a 2-D constant (K, N), got shape {bc.shape}")
        k, n = shape
        weight = Derived((n, k), lambda w: np.ascontiguousarray(np.asarray(w).reshape(k, n).T), (bc,))
        if x.shape[-1] != k:
            raise self.fail(node, f"input {x.shape} does not end with the weight's K={k}")
        self._fc(node, i, x, weight, k, n)

    # ----------------------------------------------------------------- pooling
    def _pool(self, node, i, attrs, mode):
        x = self.data(node, node.input[0])
        c, h, w = self.spatial(node, x)
        if len(node.output) > 1 and node.output[1]:
            raise self.fail(node, "the Indices output is not supported")
        kernel = tuple(int(k) for k in attrs["kernel_shape"])
        if len(kernel) != 2:
            raise self.fail(node, f"kernel_shape {list(kernel)} is not 2-D")
        strides = tuple(int(s) for s in attrs.get("strides", [1, 1]))
        if any(d != 1 for d in attrs.get("dilations", [1, 1])):
            raise self.fail(node, "dilations are not supported")
        ceil = bool(attrs.get("ceil_mode", 0))
        include = bool(attrs.get("count_include_pad", 0)) or mode == "max"  # no divisor in max pooling
        t, l, b, r = self.pads(node, attrs, kernel, (h, w), strides)
        name = self.layer_name(node, i)
        if t == b and l == r:
            layer = Pool(name, c, (h, w), kernel, strides, (t, l), mode, ceil, include, inputs=(x.producer,))
            self.emit(layer, node.output[0])
            return
        if mode == "max" or include:
            # pad explicitly (-inf for max: the padding never wins), then pool without padding
            x = self.explicit_pad(node, i, x, (t, l, b, r), -math.inf if mode == "max" else 0.0)
            layer = Pool(name, c, x.shape[1:], kernel, strides, 0, mode, ceil, True, inputs=(x.producer,))
            self.emit(layer, node.output[0])
            return
        # average excluding the padding: symmetric padding, then crop the windows that start
        # in the extra rows/columns (possible when the extra padding is a multiple of the stride)
        ph, pw = max(t, b), max(l, r)
        if (ph - t) % strides[0] or (pw - l) % strides[1]:
            raise self.fail(node, f"asymmetric pads {[t, l, b, r]} with count_include_pad=0 and strides "
                                  f"{list(strides)} cannot be lowered (the extra padding must be a multiple of the stride)")
        want = []
        for size, k, s, p0, p1 in ((h, kernel[0], strides[0], t, b), (w, kernel[1], strides[1], l, r)):
            span = size + p0 + p1 - k
            want.append((-(-span // s) if ceil else span // s) + 1)
        pool = Pool(self.layer_name(node, i, "/pool"), c, (h, w), kernel, strides, (ph, pw), mode, ceil, False,
                    inputs=(x.producer,))
        self.emit(pool, None)
        r0, c0 = (ph - t) // strides[0], (pw - l) // strides[1]
        region = ((0, c, 1), (r0, r0 + want[0], 1), (c0, c0 + want[1], 1))
        self.emit(Slice(name, pool.output_shape, region, inputs=(pool.name,)), node.output[0])

    def op_MaxPool(self, node, i, attrs):
        self._pool(node, i, attrs, "max")

    def op_AveragePool(self, node, i, attrs):
        self._pool(node, i, attrs, "avg")

    def _global(self, node, i, mode):
        x = self.data(node, node.input[0])
        c, h, w = self.spatial(node, x)
        self.emit(Pool(self.layer_name(node, i), c, (h, w), (h, w), 1, 0, mode, inputs=(x.producer,)), node.output[0])

    def op_GlobalAveragePool(self, node, i, attrs):
        self._global(node, i, "avg")

    def op_GlobalMaxPool(self, node, i, attrs):
        self._global(node, i, "max")

    # ----------------------------------------------------------------- activations
    def _act(self, node, i, function, **kw):
        x = self.data(node, node.input[0])
        params = kw.pop("params", None)
        self.emit(Activation(self.layer_name(node, i), x.shape, function, **kw, inputs=(x.producer,),
                             params=params), node.output[0])

    def op_Relu(self, node, i, attrs):
        self._act(node, i, "relu")

    def op_Sigmoid(self, node, i, attrs):
        self._act(node, i, "sigmoid")

    def op_Tanh(self, node, i, attrs):
        self._act(node, i, "tanh")

    def op_Clip(self, node, i, attrs):
        if self.info.opset < 11:
            low, high = attrs.get("min", -math.inf), attrs.get("max", math.inf)
        else:
            low = float(self.value(node, node.input[1], "min").reshape(())) if self.optional(node, 1) else -math.inf
            high = float(self.value(node, node.input[2], "max").reshape(())) if self.optional(node, 2) else math.inf
        self._act(node, i, "clip", low=float(low), high=float(high))

    def op_LeakyRelu(self, node, i, attrs):
        self._act(node, i, "leaky_relu", alpha=float(attrs.get("alpha", 0.01)))

    def op_PRelu(self, node, i, attrs):
        x = self.data(node, node.input[0])
        slope = self.const(node, node.input[1], "slope")
        s = slope.shape
        if len(s) > len(x.shape):  # a slope with the batch axis: drop it
            s = s[len(s) - len(x.shape):]
            slope = Derived(s, lambda v, s=s: np.asarray(v).reshape(s), (slope,))
        try:
            np.broadcast_shapes(x.shape, s)
        except ValueError:
            raise self.fail(node, f"slope shape {slope.shape} does not broadcast to the input {x.shape}") from None
        self._act(node, i, "prelu", params={"slope": slope})

    def op_HardSigmoid(self, node, i, attrs):
        self._act(node, i, "hard_sigmoid", alpha=float(attrs.get("alpha", 0.2)), beta=float(attrs.get("beta", 0.5)))

    def op_HardSwish(self, node, i, attrs):
        self._act(node, i, "hard_swish")

    def op_Softmax(self, node, i, attrs):
        x = self.data(node, node.input[0])
        rank = len(self.full(x.shape))
        if self.info.opset < 13:  # the input is seen as 2-D: [axes before axis, axes from axis on]
            a = self.sample_axis(node, int(attrs.get("axis", 1)), rank)
            view = (*x.shape[:a], math.prod(x.shape[a:])) if a > 0 else (math.prod(x.shape),)
            if a > 0 and math.prod(x.shape[:a]) == 1:
                view = (math.prod(x.shape),)
            layer = Activation(self.layer_name(node, i), view, "softmax", axis=-1, inputs=(x.producer,))
            self.emit(layer, None)
            self.tensors[node.output[0]] = Data(x.shape, layer.name)
            return
        a = self.sample_axis(node, int(attrs.get("axis", -1)), rank)
        self._act(node, i, "softmax", axis=a)

    def op_LRN(self, node, i, attrs):
        x = self.data(node, node.input[0])
        self.emit(LRN(self.layer_name(node, i), self.spatial(node, x), int(attrs["size"]),
                      float(attrs.get("alpha", 1e-4)), float(attrs.get("beta", 0.75)), float(attrs.get("bias", 1.0)),
                      inputs=(x.producer,)), node.output[0])

    # ----------------------------------------------------------------- batch norm and element-wise
    def op_BatchNormalization(self, node, i, attrs):
        x = self.data(node, node.input[0])
        if len([o for o in node.output if o]) > 1:
            raise self.fail(node, "training-mode outputs (running mean/var) are not supported")
        consts = [self.const(node, t, "parameter") for t in node.input[1:5]]
        eps = float(attrs.get("epsilon", 1e-5))
        c = x.shape[0]
        if any(math.prod(p.shape) != c for p in consts):
            raise self.fail(node, f"parameters {[p.shape for p in consts]} are not per channel ({c})")
        if not all(p.loadable for p in consts):  # statistics without values: standardise with the batch's
            self.emit(BatchNorm(self.layer_name(node, i), x.shape, inputs=(x.producer,)), node.output[0])
            return

        def scale_of(g, b, m, v):
            return (np.asarray(g, np.float64).reshape(-1) / np.sqrt(np.asarray(v, np.float64).reshape(-1) + eps))

        scale = Derived((c,), lambda g, b, m, v: scale_of(g, b, m, v), tuple(consts))
        shift = Derived((c,), lambda g, b, m, v: np.asarray(b, np.float64).reshape(-1)
                        - np.asarray(m, np.float64).reshape(-1) * scale_of(g, b, m, v), tuple(consts))
        if self.fold_affine(node, x, scale, shift):
            return
        self.emit(BatchNorm(self.layer_name(node, i), x.shape, True, inputs=(x.producer,),
                            params={"scale": scale, "shift": shift}), node.output[0])

    def fold_affine(self, node, x: Data, scale, shift) -> bool:
        """Fold a per-channel ``y = x * scale + shift`` into the layer producing ``x`` when
        nothing else reads it: a conv or FC with trained weights (weights and bias rescaled),
        or an affine batch norm. Returns whether it folded."""
        prod = self.producer_layer(x)
        tensor = node.input[0]
        if prod is None or not self.only_reader(tensor) or self.tensors[tensor].shape != prod.output_shape:
            return False
        c = prod.output_shape[-1] if isinstance(prod, FC) else prod.output_shape[0]
        if isinstance(prod, (Conv, FC)):
            weight, bias = prod.param("weight"), prod.param("bias")
            srcs = [s for s in (scale, shift) if s is not None]
            if weight is None or getattr(weight, "placeholder", True) or any(s.placeholder for s in srcs):
                return False
            one, zero = np.ones(c, np.float32), np.zeros(c, np.float32)
            sc = scale if scale is not None else one
            sh = shift if shift is not None else zero
            wshape = prod.weight_shape
            new_w = Derived(wshape, lambda w, s: np.asarray(w, np.float32) * np.asarray(s, np.float32).reshape(
                (-1,) + (1,) * (len(wshape) - 1)), (weight, sc))
            new_b = Derived((c,), lambda b, s, t: np.asarray(b, np.float32).reshape(-1) * np.asarray(s, np.float32)
                            + np.asarray(t, np.float32), (bias if bias is not None else zero, sc, sh))
            self.replace(dataclasses.replace(prod, params={**prod.params, "weight": new_w, "bias": new_b}))
        elif isinstance(prod, BatchNorm) and prod.affine:
            one, zero = np.ones(c, np.float32), np.zeros(c, np.float32)
            s0, t0 = prod.param("scale"), prod.param("shift")
            sc = scale if scale is not None else one
            sh = shift if shift is not None else zero
            new_s = Derived((c,), lambda a, s: np.asarray(a, np.float32) * np.asarray(s, np.float32), (s0, sc))
            new_t = Derived((c,), lambda b, s, t: np.asarray(b, np.float32) * np.asarray(s, np.float32)
                            + np.asarray(t, np.float32), (t0, sc, sh))
            self.replace(dataclasses.replace(prod, params={"scale": new_s, "shift": new_t}))
        else:
            return False
        self.tensors[node.output[0]] = Data(prod.output_shape, prod.name)
        return True

    def _const_operand(self, node, const: Const, out_rank_full: int):
        """A constant operand's per-sample shape (dropping a leading batch axis of 1)."""
        s = tuple(const.shape)
        if self.batch_axis and len(s) == out_rank_full:
            if s[0] != 1:
                raise self.fail(node, f"constant operand of shape {s} varies along the batch axis")
            s = s[1:]
        s = tuple(d for d in s)
        while len(s) > 1 and s[0] == 1:
            s = s[1:]
        return s or (1,)

    def _eltwise(self, node, i, cls, negate=False, invert=False):
        ins = [t for t in node.input if t]
        data = [t for t in ins if t not in self.consts]
        consts = [t for t in ins if t in self.consts]
        if not data:
            raise self.fail(node, "no computed operand")
        if negate or invert:  # Sub / Div: only a constant right operand
            if len(ins) != 2 or ins[1] not in self.consts:
                raise self.fail(node, f"{node.op_type} is supported with a constant right operand only")
        xs = [self.data(node, t) for t in data]
        out_full = self.shapes.get(node.output[0])
        shapes = [x.shape for x in xs]
        if len(consts) > 1:
            raise self.fail(node, "more than one constant operand")
        const = self.consts[consts[0]] if consts else None
        cshape = None
        if const is not None:
            rank = len(out_full) if out_full else len(self.full(max(shapes, key=len)))
            cshape = self._const_operand(node, const, rank)
            src = const
            if negate:
                const = Derived(cshape, lambda v: -np.asarray(v, np.float32).reshape(cshape), (src,))
            elif invert:
                const = Derived(cshape, lambda v: 1.0 / np.asarray(v, np.float32).reshape(cshape), (src,))
            else:
                const = Derived(cshape, lambda v: np.asarray(v, np.float32).reshape(cshape), (src,))
        try:
            out = tuple(int(d) for d in np.broadcast_shapes(*shapes, *((cshape,) if cshape else ())))
        except ValueError:
            raise self.fail(node, f"operand shapes {shapes} and constant {cshape} do not broadcast") from None
        if len(xs) == 1 and const is None:  # Sum of one input: a copy
            self.tensors[node.output[0]] = xs[0]
            return
        prod = self.producer_layer(xs[0]) if len(xs) == 1 else None
        last_axis = isinstance(prod, FC)  # an FC's outputs are its last axis; elsewhere channels come first
        per_output = cshape is not None and (
            (len(cshape) == 1 or all(d == 1 for d in cshape[:-1])) and cshape[-1] in (1, out[-1]) if last_axis
            else _per_channel(cshape, len(out), out[0]))
        if len(xs) == 1 and const is not None and shapes[0] == out and per_output:
            c = out[-1] if last_axis else out[0]
            full_c = Derived((c,), lambda v: np.broadcast_to(np.asarray(v, np.float32).reshape(-1), (c,)).copy(), (const,))
            if cls is Mul and self.fold_affine(node, xs[0], full_c, None):
                return
            if cls is Add and self.fold_affine(node, xs[0], None, full_c):
                return
        layer = cls(self.layer_name(node, i), out, tuple(shapes) if any(s != out for s in shapes) else (),
                    cshape or (), inputs=tuple(x.producer for x in xs),
                    params={"const": const} if const is not None else None)
        self.emit(layer, node.output[0])

    def op_Add(self, node, i, attrs):
        self._eltwise(node, i, Add)

    def op_Sum(self, node, i, attrs):
        self._eltwise(node, i, Add)

    def op_Sub(self, node, i, attrs):
        self._eltwise(node, i, Add, negate=True)

    def op_Mul(self, node, i, attrs):
        self._eltwise(node, i, Mul)

    def op_Div(self, node, i, attrs):
        self._eltwise(node, i, Mul, invert=True)

    # ----------------------------------------------------------------- data movement
    def op_Concat(self, node, i, attrs):
        ins = [t for t in node.input if t]
        if any(t in self.consts for t in ins):
            raise self.fail(node, "concatenating a constant with computed data is not supported")
        xs = [self.data(node, t) for t in ins]
        rank = len(self.full(xs[0].shape))
        axis = self.sample_axis(node, int(attrs["axis"]), rank)
        if len(xs) == 1:
            self.tensors[node.output[0]] = xs[0]
            return
        self.emit(Concat(self.layer_name(node, i), tuple(x.shape for x in xs), axis,
                         inputs=tuple(x.producer for x in xs)), node.output[0])

    def op_Split(self, node, i, attrs):
        x = self.data(node, node.input[0])
        rank = len(self.full(x.shape))
        axis = self.sample_axis(node, int(attrs.get("axis", 0)), rank)
        outs = list(node.output)
        if self.optional(node, 1):
            sizes = [int(s) for s in self.value(node, node.input[1], "split").reshape(-1)]
        elif "split" in attrs:
            sizes = [int(s) for s in attrs["split"]]
        else:
            n, size = len(outs), x.shape[axis]
            part = -(-size // n)
            sizes = [min(part, size - k * part) for k in range(n)]
        if len(sizes) != len(outs) or sum(sizes) != x.shape[axis] or min(sizes) < 1:
            raise self.fail(node, f"split sizes {sizes} do not divide axis of size {x.shape[axis]} into "
                                  f"{len(outs)} outputs")
        start = 0
        for k, (out, size) in enumerate(zip(outs, sizes)):
            region = tuple((start, start + size, 1) if a == axis else (0, d, 1) for a, d in enumerate(x.shape))
            start += size
            if not out:
                continue
            self.emit(Slice(self.layer_name(node, i, f"/{k}"), x.shape, region, inputs=(x.producer,)), out)

    def op_Slice(self, node, i, attrs):
        x = self.data(node, node.input[0])
        full = self.full(x.shape)
        if self.info.opset < 10:
            starts, ends = list(attrs["starts"]), list(attrs["ends"])
            axes = list(attrs.get("axes", range(len(starts))))
            steps = [1] * len(starts)
        else:
            starts = [int(v) for v in self.value(node, node.input[1], "starts").reshape(-1)]
            ends = [int(v) for v in self.value(node, node.input[2], "ends").reshape(-1)]
            axes = ([int(v) for v in self.value(node, node.input[3], "axes").reshape(-1)]
                    if self.optional(node, 3) else list(range(len(starts))))
            steps = ([int(v) for v in self.value(node, node.input[4], "steps").reshape(-1)]
                     if self.optional(node, 4) else [1] * len(starts))
        region = [(0, d, 1) for d in full]
        for s, e, a, st in zip(starts, ends, axes, steps):
            a = a + len(full) if a < 0 else a
            if st < 1:
                raise self.fail(node, f"step {st} on axis {a}: only positive steps are supported")
            r = range(full[a])[slice(s, e, st)]
            if len(r) == 0:
                raise self.fail(node, f"slice [{s}:{e}:{st}] of axis {a} (size {full[a]}) is empty")
            region[a] = (r.start, r.stop if r.stop <= full[a] else full[a], st)
        if self.batch_axis:
            if region[0] != (0, 1, 1):
                raise self.fail(node, "slicing the batch axis is not supported")
            region = region[1:]
        if all(r == (0, d, 1) for r, d in zip(region, x.shape)):
            self.tensors[node.output[0]] = x
            return
        self.emit(Slice(self.layer_name(node, i), x.shape, tuple(region), inputs=(x.producer,)), node.output[0])

    def op_Transpose(self, node, i, attrs):
        x = self.data(node, node.input[0])
        full = self.full(x.shape)
        perm = [int(p) for p in attrs.get("perm", list(range(len(full)))[::-1])]
        if sorted(perm) != list(range(len(full))):
            raise self.fail(node, f"perm {perm} is not a permutation of the {len(full)} axes of {full}")
        if self.batch_axis:
            if perm[0] != 0:
                raise self.fail(node, f"perm {perm} moves the batch axis (axis 0 must stay first)")
            perm = [p - 1 for p in perm[1:]]
        if perm == sorted(perm):
            self.tensors[node.output[0]] = x
            return
        self.emit(Transpose(self.layer_name(node, i), x.shape, tuple(perm), inputs=(x.producer,)), node.output[0])

    def op_Pad(self, node, i, attrs):
        x = self.data(node, node.input[0])
        full = self.full(x.shape)
        mode = attrs.get("mode", b"constant")
        mode = mode.decode() if isinstance(mode, bytes) else mode
        if self.info.opset < 11:
            pads, value = list(attrs["pads"]), float(attrs.get("value", 0.0))
            axes = list(range(len(full)))
        else:
            pads = [int(v) for v in self.value(node, node.input[1], "pads").reshape(-1)]
            value = float(self.value(node, node.input[2], "constant_value").reshape(())) if self.optional(node, 2) else 0.0
            axes = ([int(a) % len(full) for a in self.value(node, node.input[3], "axes").reshape(-1)]
                    if self.optional(node, 3) else list(range(len(full))))
        if len(pads) != 2 * len(axes):
            raise self.fail(node, f"pads {pads} must have 2 entries per padded axis ({len(axes)})")
        if min(pads) < 0:
            raise self.fail(node, f"negative pads {pads} (cropping) are not supported")
        per = [(0, 0)] * len(full)
        for k, a in enumerate(axes):
            per[a] = (pads[k], pads[k + len(axes)])
        if self.batch_axis:
            if per[0] != (0, 0):
                raise self.fail(node, "padding the batch axis is not supported")
            per = per[1:]
        if mode not in ("constant", "edge", "reflect"):
            raise self.fail(node, f"mode {mode!r} is not one of constant, edge, reflect")
        self.emit(Pad(self.layer_name(node, i), x.shape, tuple(per), mode, value, inputs=(x.producer,)),
                  node.output[0])

    # ----------------------------------------------------------------- views (no layer)
    def _view_from_full(self, node, full_out) -> None:
        full_out = tuple(int(d) for d in full_out)
        if self.batch_axis:
            if not full_out or full_out[0] != 1:
                raise self.fail(node, f"the result {full_out} does not keep the batch axis first")
            full_out = full_out[1:] or (1,)
        self.alias(node, full_out)

    def op_Reshape(self, node, i, attrs):
        x = self.data(node, node.input[0])
        full = self.full(x.shape)
        if self.info.opset < 5:
            target = [int(d) for d in attrs["shape"]]
        else:
            target = [int(d) for d in self.value(node, node.input[1], "target shape").reshape(-1)]
        allowzero = bool(attrs.get("allowzero", 0))
        target = [full[k] if d == 0 and not allowzero and k < len(full) else d for k, d in enumerate(target)]
        if target.count(-1) > 1:
            raise self.fail(node, f"more than one -1 in the target shape {target}")
        if -1 in target:
            known = math.prod(d for d in target if d != -1)
            target[target.index(-1)] = math.prod(full) // max(1, known)
        if math.prod(target) != math.prod(full):
            raise self.fail(node, f"cannot reshape {full} to {target}")
        self._view_from_full(node, target)

    def op_Flatten(self, node, i, attrs):
        x = self.data(node, node.input[0])
        full = self.full(x.shape)
        axis = int(attrs.get("axis", 1))
        axis = axis + len(full) if axis < 0 else axis
        self._view_from_full(node, (math.prod(full[:axis]), math.prod(full[axis:])))

    def _axes(self, node, attrs, k=1):
        if self.info.opset >= 13 and self.optional(node, k):
            return [int(a) for a in self.value(node, node.input[k], "axes").reshape(-1)]
        return [int(a) for a in attrs.get("axes", [])]

    def op_Squeeze(self, node, i, attrs):
        x = self.data(node, node.input[0])
        full = self.full(x.shape)
        axes = [a % len(full) for a in self._axes(node, attrs)] or [k for k, d in enumerate(full) if d == 1 and
                                                                     not (k == 0 and self.batch_axis)]
        if any(full[a] != 1 for a in axes):
            raise self.fail(node, f"cannot squeeze axes {axes} of {full} (not of size 1)")
        self._view_from_full(node, [d for k, d in enumerate(full) if k not in axes])

    def op_Unsqueeze(self, node, i, attrs):
        x = self.data(node, node.input[0])
        full = list(self.full(x.shape))
        axes = self._axes(node, attrs)
        rank = len(full) + len(axes)
        for a in sorted(a % rank for a in axes):
            full.insert(a, 1)
        self._view_from_full(node, full)

    def op_Dropout(self, node, i, attrs):
        if len(node.output) > 1 and node.output[1] and self.readers.get(node.output[1]):
            raise self.fail(node, "the mask output is read; only inference (identity) Dropout is supported")
        self.tensors[node.output[0]] = self.data(node, node.input[0])

    def op_Identity(self, node, i, attrs):
        self.tensors[node.output[0]] = self.data(node, node.input[0])

    def op_Shape(self, node, i, attrs):  # only reached when its input is unknown
        raise self.fail(node, "the shape of its input is not static")

    # ----------------------------------------------------------------- recurrent
    def _recurrent(self, node, i, attrs, gates: int):
        op = node.op_type
        x = self.data(node, node.input[0])
        direction = attrs.get("direction", b"forward")
        direction = direction.decode() if isinstance(direction, bytes) else direction
        if direction != "forward":
            raise self.fail(node, f"direction={direction} is not supported (forward only)")
        stateful = ((4, "sequence_lens"), (5, "initial_h")) + (((6, "initial_c"),) if op == "LSTM" else ())
        for k, what in stateful:
            if self.optional(node, k):
                raise self.fail(node, f"input {what} is not supported (a zero initial state, full-length sequences)")
        if any(a in attrs for a in ("activations", "clip")) or attrs.get("input_forget", 0):
            raise self.fail(node, "custom activations, clip and input_forget are not supported")
        w, r = self.const(node, node.input[1], "W"), self.const(node, node.input[2], "R")
        _, gh, i_size = w.shape
        h = gh // gates
        layout = int(attrs.get("layout", 0))
        full = self.full(x.shape)
        if len(full) != 3:
            raise self.fail(node, f"input X must be 3-D, got {full}")
        t_len, batch = (full[0], full[1]) if layout == 0 else (full[1], full[0])
        if batch != 1 or full[2] != i_size:
            raise self.fail(node, f"input X {full} must be a batch of 1 sequence of {i_size}-vectors "
                                  f"(layout {layout})")
        b = self.const(node, node.input[3], "B") if self.optional(node, 3) else None
        if op == "LSTM":
            order = [0, 2, 3, 1]  # ONNX i, o, f, c -> cell i, f, g(c), o
            p = self.const(node, node.input[7], "P") if self.optional(node, 7) else None
            weight = Derived((4 * h, i_size + h), lambda w_, r_: np.concatenate(
                [np.asarray(w_).reshape(4, h, i_size)[order].reshape(4 * h, i_size),
                 np.asarray(r_).reshape(4, h, h)[order].reshape(4 * h, h)], axis=1), (w, r))
            layer = LSTM(self.layer_name(node, i), t_len, i_size, h, p is not None, inputs=(x.producer,),
                         params={"weight": weight})
            params = dict(layer.params)
            if b is not None:
                params["bias"] = Derived((4 * h,), lambda b_: (np.asarray(b_).reshape(2, 4, h)[:, order].sum(0)
                                                                .reshape(-1)), (b,))
            if p is not None:  # ONNX peepholes i, o, f -> i, f, o
                params["peepholes"] = Derived((3, h), lambda p_: np.asarray(p_).reshape(3, h)[[0, 2, 1]], (p,))
        else:
            if int(attrs.get("linear_before_reset", 0)) != 1:
                raise self.fail(node, "linear_before_reset=0 is not supported (the GRU cell applies the reset "
                                      "gate after the recurrent product, as PyTorch exports it with 1)")
            order = [1, 0, 2]  # ONNX z, r, h -> cell r, z, n
            weight = Derived((3 * h, i_size + h), lambda w_, r_: np.concatenate(
                [np.asarray(w_).reshape(3, h, i_size)[order].reshape(3 * h, i_size),
                 np.asarray(r_).reshape(3, h, h)[order].reshape(3 * h, h)], axis=1), (w, r))
            layer = GRU(self.layer_name(node, i), t_len, i_size, h, inputs=(x.producer,), params={"weight": weight})
            params = dict(layer.params)
            if b is not None:
                def gru_bias(b_):
                    wb, rb = np.asarray(b_).reshape(2, 3, h)[:, order]
                    out = wb + rb
                    out[2] = wb[2]  # Rb_h stays inside the reset gate's product
                    return out.reshape(-1)
                params["bias"] = Derived((3 * h,), gru_bias, (b,))
                params["recurrent_bias"] = Derived((h,), lambda b_: np.asarray(b_).reshape(2, 3, h)[1, 2], (b,))
        layer = dataclasses.replace(layer, params=params)
        self.emit(layer, None)
        seq = Data(layer.output_shape, layer.name)
        y, y_h = node.output[0] if node.output else "", node.output[1] if len(node.output) > 1 else ""
        if len(node.output) > 2 and node.output[2] and self.readers.get(node.output[2]):
            raise self.fail(node, "the cell-state output Y_c is not supported")
        if y:  # Y: (T, 1, 1, H) (layout 0) or (1, T, 1, H) (layout 1): the same elements as (T, H)
            shape = self.shapes.get(y)
            self.tensors[y] = Data((shape[1:] if self.batch_axis else shape) if shape else seq.shape, layer.name)
        if y_h:  # the last step's hidden state
            last = Slice(self.layer_name(node, i, "/last"), layer.output_shape, ((t_len - 1, t_len, 1), (0, h, 1)),
                         inputs=(layer.name,))
            self.emit(last, None)
            self.tensors[y_h] = Data(last.output_shape, last.name)

    def op_LSTM(self, node, i, attrs):
        self._recurrent(node, i, attrs, 4)

    def op_GRU(self, node, i, attrs):
        self._recurrent(node, i, attrs, 3)

"""Typed, immutable layer descriptions that know their shapes, MAC counts and weight counts.

Conventions (all per sample, batch excluded):

- Activation shapes are ``(C, H, W)`` for spatial layers and ``(N,)`` for vectors.
- ``macs`` counts multiply-accumulates of the layer's weighted sums only: convolution,
  fully connected, and the gate/projection matrices (plus peephole products) of LSTM and
  GRU cells. Pooling, LRN, batch norm, activations and residual adds have ``macs == 0``;
  their element operations are in ``ops``.
- ``weights`` counts weight parameters without biases. Batch norm's per-channel scale and
  shift are treated as folded into the preceding convolution at inference and count 0.
- ``weight_shape`` is the shape of the (main) weight tensor: ``(C_out, C_in/groups, Kh, Kw)``
  for conv, ``(N_out, N_in)`` for FC, ``(4H, I+R)`` for an LSTM cell's stacked gate matrix
  (R = projection size, or H without projection), ``(3H, I+H)`` for a GRU cell;
  ``()`` for layers without weights.
- ``inputs`` names the layers whose outputs feed this one ("input" is the network input);
  empty means the previous layer in the network's list. A layer reads a producer's output
  through a row-major reshape when the element counts agree (a view, as ONNX Reshape,
  Flatten, Squeeze and Unsqueeze are: they describe no work and are no layer).
- ``params`` (optional, not part of a layer's identity) maps parameter names to the
  layer's own arrays: ``weight`` (of ``weight_shape``), ``bias``, a batch norm's
  ``scale``/``shift``, an element-wise layer's constant operand ``const``, a PReLU's
  ``slope``. A value is a NumPy array or a lazy source (any object with ``shape`` and
  ``load()``, see :func:`param_array`), so that an imported model's weights are read
  only when the layer runs. A source with ``placeholder = True`` carries a shape but no
  trained values (an initializer without data, or a ``ConstantOfShape`` fill).
- Data movement layers (:class:`Concat`, :class:`Slice`, :class:`Transpose`,
  :class:`Pad`) and element-wise layers take per-sample shapes of any rank.

Validation errors are ``ValueError`` naming the layer, the field and the allowed range.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterator, Union

import numpy as np

IntPair = Union[int, tuple]

NETWORK_INPUT = "input"


def _pair(value, layer: str, name: str) -> tuple[int, int]:
    if isinstance(value, bool):
        raise ValueError(f"{layer}: {name} must be an int or a pair of ints, got {value!r}")
    if isinstance(value, int):
        return (value, value)
    try:
        a, b = value
    except (TypeError, ValueError):
        raise ValueError(f"{layer}: {name} must be an int or a pair of ints, got {value!r}") from None
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (a, b)):
        raise ValueError(f"{layer}: {name} must be an int or a pair of ints, got {value!r}")
    return (a, b)


def _freeze(obj, *names: str) -> None:
    """Store list-valued size fields as tuples (frozen layers stay hashable)."""
    for name in names:
        value = getattr(obj, name)
        if isinstance(value, list):
            object.__setattr__(obj, name, tuple(value))


def _positive(layer: str, **values) -> None:
    for name, v in values.items():
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{layer}: {name} must be an integer >= 1, got {v!r}")


def _flag(layer: str, name: str, value) -> None:
    """A boolean parameter must be a boolean (never a string such as "no", which is truthy)."""
    if not isinstance(value, bool):
        raise ValueError(f"{layer}: {name} must be a boolean (true or false), got {value!r}")


def _real(layer: str, name: str, value, low: float, *, above: bool = False, high: float = 1e6) -> float:
    """A finite real parameter in [low, high] (or (low, high] with ``above``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{layer}: {name} must be a finite number, got {value!r}")
    if (value <= low if above else value < low) or value > high:
        interval = f"({low:g}, {high:g}]" if above else f"[{low:g}, {high:g}]"
        raise ValueError(f"{layer}: {name} must be in {interval}, got {value!r}")
    return float(value)


def _shape(value, layer: str) -> tuple[int, ...]:
    try:
        shape = tuple(value)
    except TypeError:
        raise ValueError(f"{layer}: shape must be a tuple of positive ints, got {value!r}") from None
    if len(shape) not in (1, 3) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 1
                                           for d in shape):
        raise ValueError(f"{layer}: shape must be (N,) or (C, H, W) of positive ints, got {value!r}")
    return shape


def _any_shape(value, layer: str, what: str = "shape") -> tuple[int, ...]:
    try:
        shape = tuple(value)
    except TypeError:
        raise ValueError(f"{layer}: {what} must be a tuple of positive ints, got {value!r}") from None
    if not shape or not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 1
                            for d in shape):
        raise ValueError(f"{layer}: {what} must be a non-empty tuple of positive ints, got {value!r}")
    return tuple(int(d) for d in shape)


def _numel(shape: tuple[int, ...]) -> int:
    return math.prod(shape)


def broadcast_shape(layer: str, *shapes: tuple[int, ...]) -> tuple[int, ...]:
    """NumPy/ONNX multidirectional broadcasting of per-sample shapes (aligned on the right)."""
    try:
        return tuple(int(d) for d in np.broadcast_shapes(*[tuple(s) for s in shapes]))
    except ValueError:
        raise ValueError(f"{layer}: operand shapes {' and '.join(map(str, shapes))} do not broadcast") from None


def param_array(source, dtype=np.float32) -> np.ndarray:
    """The values of a layer parameter: an array as is, a lazy source through ``load()``."""
    if source is None:
        raise ValueError("parameter has no values")
    if hasattr(source, "load"):
        return np.asarray(source.load(), dtype=dtype)
    return np.asarray(source, dtype=dtype)


def is_placeholder(source) -> bool:
    """True for a parameter that has a shape but no trained values."""
    return bool(getattr(source, "placeholder", False))


@dataclass(frozen=True)
class Layer:
    """Base of every layer: a name and, optionally, the names of the layers feeding it."""

    name: str
    inputs: tuple = field(default=(), kw_only=True)
    params: Any = field(default=None, kw_only=True, compare=False, hash=False, repr=False)

    kind = "layer"
    #: the layer reads a list of inputs (one array per producer)
    multi_input = False

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"layer name must be a non-empty string, got {self.name!r}")
        _freeze(self, "inputs")
        if not isinstance(self.inputs, tuple) or not all(isinstance(i, str) and i for i in self.inputs):
            raise ValueError(f"{self.name}: inputs must be a tuple of layer names, got {self.inputs!r}")

    @property
    def input_shape(self) -> tuple[int, ...]:
        raise NotImplementedError

    def input_shape_of(self, k: int) -> tuple[int, ...]:
        """Per-sample shape of the ``k``-th input (the same for every input by default)."""
        return self.input_shape

    @property
    def output_shape(self) -> tuple[int, ...]:
        raise NotImplementedError

    def param(self, name: str):
        """The parameter source ``name`` (None when the layer carries none)."""
        return (self.params or {}).get(name)

    @property
    def macs(self) -> int:
        return 0

    @property
    def weights(self) -> int:
        return 0

    @property
    def weight_shape(self) -> tuple[int, ...]:
        return ()

    @property
    def ops(self) -> int:
        """Element operations per sample (MACs for weighted layers)."""
        return self.macs

    def summary(self) -> dict:
        return {"name": self.name, "kind": self.kind, "input_shape": list(self.input_shape),
                "output_shape": list(self.output_shape), "macs": self.macs, "weights": self.weights}


@dataclass(frozen=True)
class Conv(Layer):
    """2-D convolution, zero padding on every side, ``groups`` independent channel groups."""

    in_channels: int
    out_channels: int
    kernel: IntPair
    in_hw: tuple
    stride: IntPair = 1
    padding: IntPair = 0
    groups: int = 1

    kind = "conv"

    def __post_init__(self) -> None:
        super().__post_init__()
        _freeze(self, "kernel", "in_hw", "stride", "padding")
        n = self.name
        _positive(n, in_channels=self.in_channels, out_channels=self.out_channels, groups=self.groups)
        kh, kw = _pair(self.kernel, n, "kernel")
        sh, sw = _pair(self.stride, n, "stride")
        ph, pw = _pair(self.padding, n, "padding")
        h, w = _pair(self.in_hw, n, "in_hw")
        object.__setattr__(self, "in_hw", (h, w))
        _positive(n, kernel=min(kh, kw), stride=min(sh, sw), in_hw=min(h, w))
        if min(ph, pw) < 0:
            raise ValueError(f"{n}: padding must be >= 0, got {self.padding!r}")
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(f"{n}: groups={self.groups} must divide in_channels={self.in_channels} "
                             f"and out_channels={self.out_channels}")
        if kh > h + 2 * ph or kw > w + 2 * pw:
            raise ValueError(f"{n}: kernel {kh}x{kw} is larger than the padded input "
                             f"{h + 2 * ph}x{w + 2 * pw}; kernel must be <= in_hw + 2*padding")

    @property
    def kernel_hw(self) -> tuple[int, int]:
        return _pair(self.kernel, self.name, "kernel")

    @property
    def stride_hw(self) -> tuple[int, int]:
        return _pair(self.stride, self.name, "stride")

    @property
    def padding_hw(self) -> tuple[int, int]:
        return _pair(self.padding, self.name, "padding")

    @property
    def out_hw(self) -> tuple[int, int]:
        (h, w), (kh, kw) = tuple(self.in_hw), self.kernel_hw
        (sh, sw), (ph, pw) = self.stride_hw, self.padding_hw
        return ((h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return (self.in_channels, *tuple(self.in_hw))

    @property
    def output_shape(self) -> tuple[int, ...]:
        return (self.out_channels, *self.out_hw)

    @property
    def weight_shape(self) -> tuple[int, ...]:
        return (self.out_channels, self.in_channels // self.groups, *self.kernel_hw)

    @property
    def weights(self) -> int:
        return _numel(self.weight_shape)

    @property
    def macs(self) -> int:
        return self.weights * _numel(self.out_hw)


@dataclass(frozen=True)
class FC(Layer):
    """Fully connected (inner product): ``y = W x`` with W of shape (out_features, in_features).

    ``lead`` (default none) are leading per-sample axes over which the same product is
    applied row by row (ONNX ``MatMul`` of a (..., M, K) tensor by a constant (K, N)):
    the input is ``(*lead, in_features)``, the output ``(*lead, out_features)``.
    """

    in_features: int
    out_features: int
    lead: tuple = ()

    kind = "fc"

    def __post_init__(self) -> None:
        super().__post_init__()
        _freeze(self, "lead")
        _positive(self.name, in_features=self.in_features, out_features=self.out_features)
        if self.lead:
            object.__setattr__(self, "lead", _any_shape(self.lead, self.name, "lead"))

    @property
    def rows(self) -> int:
        """Rows of the product per sample (the product of ``lead``; 1 without it)."""
        return _numel(self.lead) if self.lead else 1

    @property
    def input_shape(self) -> tuple[int, ...]:
        return (*self.lead, self.in_features)

    @property
    def output_shape(self) -> tuple[int, ...]:
        return (*self.lead, self.out_features)

    @property
    def weight_shape(self) -> tuple[int, ...]:
        return (self.out_features, self.in_features)

    @property
    def weights(self) -> int:
        return self.in_features * self.out_features

    @property
    def macs(self) -> int:
        return self.weights * self.rows


@dataclass(frozen=True)
class Pool(Layer):
    """Max or average pooling per channel.

    ``ceil_mode`` rounds the output size up (Caffe's convention); a window that starts
    inside the padded input but runs past it is clipped. Average pooling divides by the
    number of window positions inside the padded input (Caffe's convention, and ONNX's
    ``count_include_pad=1``); with ``count_include_pad=False`` by the number of positions
    inside the input itself (ONNX's default ``count_include_pad=0``).
    """

    channels: int
    in_hw: tuple
    kernel: IntPair
    stride: IntPair
    padding: IntPair = 0
    mode: str = "max"
    ceil_mode: bool = False
    count_include_pad: bool = True

    kind = "pool"

    def __post_init__(self) -> None:
        super().__post_init__()
        _freeze(self, "kernel", "in_hw", "stride", "padding")
        n = self.name
        _positive(n, channels=self.channels)
        kh, kw = _pair(self.kernel, n, "kernel")
        sh, sw = _pair(self.stride, n, "stride")
        ph, pw = _pair(self.padding, n, "padding")
        h, w = _pair(self.in_hw, n, "in_hw")
        object.__setattr__(self, "in_hw", (h, w))
        _positive(n, kernel=min(kh, kw), stride=min(sh, sw), in_hw=min(h, w))
        if self.mode not in ("max", "avg"):
            raise ValueError(f"{n}: mode must be 'max' or 'avg', got {self.mode!r}")
        _flag(n, "ceil_mode", self.ceil_mode)
        if min(ph, pw) < 0 or ph >= kh or pw >= kw:
            raise ValueError(f"{n}: padding must be in [0, kernel-1], got {self.padding!r} "
                             f"for kernel {kh}x{kw}")
        if kh > h + 2 * ph or kw > w + 2 * pw:
            raise ValueError(f"{n}: kernel {kh}x{kw} is larger than the padded input "
                             f"{h + 2 * ph}x{w + 2 * pw}; kernel must be <= in_hw + 2*padding")

    @property
    def kernel_hw(self) -> tuple[int, int]:
        return _pair(self.kernel, self.name, "kernel")

    @property
    def stride_hw(self) -> tuple[int, int]:
        return _pair(self.stride, self.name, "stride")

    @property
    def padding_hw(self) -> tuple[int, int]:
        return _pair(self.padding, self.name, "padding")

    @property
    def out_hw(self) -> tuple[int, int]:
        out = []
        for size, k, s, p in zip(tuple(self.in_hw), self.kernel_hw, self.stride_hw, self.padding_hw):
            span = size + 2 * p - k
            o = (-(-span // s) if self.ceil_mode else span // s) + 1
            if self.ceil_mode and (o - 1) * s >= size + p:
                o -= 1  # the last window must start inside the input or its left padding
            out.append(o)
        return tuple(out)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return (self.channels, *tuple(self.in_hw))

    @property
    def output_shape(self) -> tuple[int, ...]:
        return (self.channels, *self.out_hw)

    @property
    def ops(self) -> int:
        return _numel(self.output_shape) * _numel(self.kernel_hw)


ACTIVATION_FUNCTIONS = ("relu", "sigmoid", "tanh", "clip", "leaky_relu", "prelu", "hard_sigmoid",
                        "hard_swish", "softmax")


@dataclass(frozen=True)
class Activation(Layer):
    """Element-wise activation (softmax normalises along ``axis``).

    ``relu``, ``sigmoid``, ``tanh``; ``clip``: min(max(x, low), high) (ReLU6 is low=0,
    high=6); ``leaky_relu``: x if x >= 0 else alpha * x; ``prelu``: the same with a learned
    slope (parameter ``slope``, broadcast against the per-sample shape); ``hard_sigmoid``:
    max(0, min(1, alpha * x + beta)); ``hard_swish``: x * max(0, min(1, x / 6 + 1/2));
    ``softmax``: exp(x) / sum(exp(x)) along per-sample ``axis`` (negative counts from the end).
    """

    shape: tuple
    function: str = "relu"
    alpha: float = 0.0
    beta: float = 0.0
    low: float = -math.inf
    high: float = math.inf
    axis: int = -1

    kind = "act"

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "shape", _any_shape(self.shape, self.name))
        if self.function not in ACTIVATION_FUNCTIONS:
            raise ValueError(f"{self.name}: function must be one of {', '.join(ACTIVATION_FUNCTIONS)}, "
                             f"got {self.function!r}")
        if self.function == "clip" and not self.low <= self.high:
            raise ValueError(f"{self.name}: clip needs low <= high, got low={self.low}, high={self.high}")
        if self.function == "softmax" and not -len(self.shape) <= self.axis < len(self.shape):
            raise ValueError(f"{self.name}: softmax axis must be in [{-len(self.shape)}, {len(self.shape) - 1}] "
                             f"for shape {self.shape}, got {self.axis}")

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self.shape

    @property
    def output_shape(self) -> tuple[int, ...]:
        return self.shape

    @property
    def ops(self) -> int:
        return _numel(self.shape)


@dataclass(frozen=True)
class LRN(Layer):
    """Local response normalisation across channels (Caffe ACROSS_CHANNELS):
    ``b = a / (k + alpha/size * sum_window a^2) ** beta``."""

    shape: tuple
    size: int = 5
    alpha: float = 1e-4
    beta: float = 0.75
    k: float = 1.0

    kind = "lrn"

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "shape", _shape(self.shape, self.name))
        _positive(self.name, size=self.size)
        if self.size % 2 == 0:
            raise ValueError(f"{self.name}: size must be an odd integer >= 1, got {self.size}")
        # b = a / (k + alpha/size * sum a^2) ** beta: a positive base and a real power
        _real(self.name, "alpha", self.alpha, 0.0)
        _real(self.name, "beta", self.beta, 0.0, high=100.0)
        _real(self.name, "k", self.k, 0.0, above=True)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self.shape

    @property
    def output_shape(self) -> tuple[int, ...]:
        return self.shape

    @property
    def ops(self) -> int:
        return _numel(self.shape) * self.size


@dataclass(frozen=True)
class BatchNorm(Layer):
    """Per-channel batch normalisation (0 weights: its parameters are per channel).

    ``affine=False`` (the zoo's): standardise each channel with the batch's own statistics.
    ``affine=True`` (inference, as imported): ``y = x * scale + shift`` per channel
    (channel = first per-sample axis), with the stored statistics folded in:
    ``scale = gamma / sqrt(var + eps)``, ``shift = beta - mean * scale`` (parameters
    ``scale`` and ``shift``).
    """

    shape: tuple
    affine: bool = False

    kind = "bn"

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "shape", _any_shape(self.shape, self.name))

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self.shape

    @property
    def output_shape(self) -> tuple[int, ...]:
        return self.shape

    @property
    def ops(self) -> int:
        return _numel(self.shape)


@dataclass(frozen=True)
class Add(Layer):
    """Element-wise sum of two or more inputs (residual connection, ONNX Add and Sum).

    ``shape`` is the output shape; ``input_shapes`` (default: every input has ``shape``)
    lets inputs broadcast to it (NumPy rules, e.g. a (C, 1, 1) per-channel operand).
    ``const_shape`` (default none) adds a constant operand of that shape (parameter
    ``const``) to the data inputs, which then may be a single one.
    """

    shape: tuple
    input_shapes: tuple = ()
    const_shape: tuple = ()

    kind = "add"
    multi_input = True

    def __post_init__(self) -> None:
        super().__post_init__()
        _freeze(self, "input_shapes", "const_shape")
        n = self.name
        object.__setattr__(self, "shape", _any_shape(self.shape, n))
        if self.const_shape:
            object.__setattr__(self, "const_shape", _any_shape(self.const_shape, n, "const_shape"))
        need = 1 if self.const_shape else 2
        count = max(len(self.inputs), len(self.input_shapes), 1)
        if count < need:
            raise ValueError(f"{n}: an {type(self).__name__} needs inputs naming >= {need} layers"
                             f"{'' if self.const_shape else ' (or a const_shape)'}, got {self.inputs!r}")
        if self.input_shapes:
            shapes = tuple(_any_shape(s, n, "input_shapes entry") for s in self.input_shapes)
            object.__setattr__(self, "input_shapes", shapes)
            if self.inputs and len(shapes) != len(self.inputs):
                raise ValueError(f"{n}: {len(shapes)} input_shapes for {len(self.inputs)} inputs")
        else:
            shapes = (self.shape,) * count
        full = broadcast_shape(n, *shapes, *((self.const_shape,) if self.const_shape else ()))
        if full != self.shape:
            raise ValueError(f"{n}: inputs {shapes} broadcast to {full}, not to the output shape {self.shape}")

    @property
    def operands(self) -> int:
        """Number of data inputs."""
        return max(len(self.inputs), len(self.input_shapes), 1)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self.input_shape_of(0)

    def input_shape_of(self, k: int) -> tuple[int, ...]:
        return self.input_shapes[k] if self.input_shapes else self.shape

    @property
    def output_shape(self) -> tuple[int, ...]:
        return self.shape

    @property
    def ops(self) -> int:
        return _numel(self.shape) * (self.operands - 1 + (1 if self.const_shape else 0))


@dataclass(frozen=True)
class Mul(Add):
    """Element-wise product of inputs (with broadcasting and an optional constant operand,
    as :class:`Add`): squeeze-and-excitation gates, scale layers."""

    kind = "mul"


@dataclass(frozen=True)
class Concat(Layer):
    """Concatenation of the inputs along per-sample ``axis`` (data movement, no arithmetic)."""

    input_shapes: tuple
    axis: int = 0

    kind = "concat"
    multi_input = True

    def __post_init__(self) -> None:
        super().__post_init__()
        _freeze(self, "input_shapes")
        n = self.name
        shapes = tuple(_any_shape(s, n, "input_shapes entry") for s in self.input_shapes)
        object.__setattr__(self, "input_shapes", shapes)
        if not shapes:
            raise ValueError(f"{n}: a Concat needs at least one input shape")
        if self.inputs and len(self.inputs) != len(shapes):
            raise ValueError(f"{n}: {len(shapes)} input_shapes for {len(self.inputs)} inputs")
        rank = len(shapes[0])
        if not 0 <= self.axis < rank:
            raise ValueError(f"{n}: axis must be in [0, {rank - 1}] (per-sample axes), got {self.axis}")
        for s in shapes:
            if len(s) != rank or any(a != b for i, (a, b) in enumerate(zip(s, shapes[0])) if i != self.axis):
                raise ValueError(f"{n}: input shapes {shapes} differ outside axis {self.axis}")

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self.input_shapes[0]

    def input_shape_of(self, k: int) -> tuple[int, ...]:
        return self.input_shapes[k]

    @property
    def output_shape(self) -> tuple[int, ...]:
        out = list(self.input_shapes[0])
        out[self.axis] = sum(s[self.axis] for s in self.input_shapes)
        return tuple(out)


@dataclass(frozen=True)
class Slice(Layer):
    """A strided box of the input (ONNX Slice, and each output of Split): per per-sample
    axis a ``(start, stop, step)`` with 0 <= start, stop <= size, step >= 1 (data movement)."""

    shape: tuple
    region: tuple

    kind = "slice"

    def __post_init__(self) -> None:
        super().__post_init__()
        n = self.name
        object.__setattr__(self, "shape", _any_shape(self.shape, n))
        try:
            region = tuple(tuple(int(v) for v in r) for r in self.region)
        except (TypeError, ValueError):
            raise ValueError(f"{n}: region must be one (start, stop, step) per axis, got {self.region!r}") from None
        if len(region) != len(self.shape) or any(len(r) != 3 for r in region):
            raise ValueError(f"{n}: region must be one (start, stop, step) per axis of {self.shape}, got {region}")
        for size, (a, b, st) in zip(self.shape, region):
            if st < 1 or not 0 <= a < b <= size:
                raise ValueError(f"{n}: region {region} is not a non-empty box of {self.shape} "
                                 f"(0 <= start < stop <= size, step >= 1)")
        object.__setattr__(self, "region", region)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self.shape

    @property
    def output_shape(self) -> tuple[int, ...]:
        return tuple(len(range(a, b, st)) for a, b, st in self.region)


@dataclass(frozen=True)
class Transpose(Layer):
    """Permutation of the per-sample axes (data movement): output axis i is input axis perm[i]."""

    shape: tuple
    perm: tuple

    kind = "transpose"

    def __post_init__(self) -> None:
        super().__post_init__()
        _freeze(self, "perm")
        object.__setattr__(self, "shape", _any_shape(self.shape, self.name))
        perm = tuple(int(p) for p in self.perm)
        if sorted(perm) != list(range(len(self.shape))):
            raise ValueError(f"{self.name}: perm must be a permutation of 0..{len(self.shape) - 1}, got {self.perm!r}")
        object.__setattr__(self, "perm", perm)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self.shape

    @property
    def output_shape(self) -> tuple[int, ...]:
        return tuple(self.shape[p] for p in self.perm)


PAD_MODES = ("constant", "edge", "reflect")


@dataclass(frozen=True)
class Pad(Layer):
    """Padding (data movement): per per-sample axis ``(before, after)`` >= 0 elements;
    ``mode`` constant (``value``, -inf allowed: a max pool's padding), edge or reflect."""

    shape: tuple
    pads: tuple
    mode: str = "constant"
    value: float = 0.0

    kind = "pad"

    def __post_init__(self) -> None:
        super().__post_init__()
        n = self.name
        object.__setattr__(self, "shape", _any_shape(self.shape, n))
        try:
            pads = tuple((int(a), int(b)) for a, b in self.pads)
        except (TypeError, ValueError):
            raise ValueError(f"{n}: pads must be one (before, after) per axis, got {self.pads!r}") from None
        if len(pads) != len(self.shape) or min(min(p) for p in pads) < 0:
            raise ValueError(f"{n}: pads must be one (before, after) >= 0 per axis of {self.shape}, got {pads}")
        object.__setattr__(self, "pads", pads)
        if self.mode not in PAD_MODES:
            raise ValueError(f"{n}: mode must be one of {', '.join(PAD_MODES)}, got {self.mode!r}")
        if self.mode == "reflect" and any(max(p) >= s for p, s in zip(pads, self.shape)):
            raise ValueError(f"{n}: reflect padding {pads} must be smaller than the axis sizes {self.shape}")

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self.shape

    @property
    def output_shape(self) -> tuple[int, ...]:
        return tuple(s + a + b for s, (a, b) in zip(self.shape, self.pads))


MOVEMENT_KINDS = ("concat", "slice", "transpose", "pad")


@dataclass(frozen=True)
class LSTMCell(Layer):
    """One time step of an LSTM cell, optionally with peepholes and a projection (LSTMP).

    Gates i, f, g, o: ``W (4H, I+R) @ [x; r_prev]`` with R = ``proj_size`` (or H without
    projection); peepholes add 3 diagonal products (i, f from c_prev; o from c);
    the projection is ``r = W_p (P, H) @ h``. The recurrent state is internal: the input
    shape is ``(input_size,)`` and the output ``(P or H,)``.
    """

    input_size: int
    hidden_size: int
    proj_size: int = 0
    peepholes: bool = True

    kind = "lstm"

    def __post_init__(self) -> None:
        super().__post_init__()
        _positive(self.name, input_size=self.input_size, hidden_size=self.hidden_size)
        if isinstance(self.proj_size, bool) or not isinstance(self.proj_size, int) or self.proj_size < 0:
            raise ValueError(f"{self.name}: proj_size must be an integer >= 0, got {self.proj_size!r}")
        _flag(self.name, "peepholes", self.peepholes)

    @property
    def recurrent_size(self) -> int:
        return self.proj_size or self.hidden_size

    @property
    def input_shape(self) -> tuple[int, ...]:
        return (self.input_size,)

    @property
    def output_shape(self) -> tuple[int, ...]:
        return (self.recurrent_size,)

    @property
    def weight_shape(self) -> tuple[int, ...]:
        return (4 * self.hidden_size, self.input_size + self.recurrent_size)

    @property
    def weights(self) -> int:
        gates = _numel(self.weight_shape)
        peep = 3 * self.hidden_size if self.peepholes else 0
        return gates + peep + self.proj_size * self.hidden_size

    @property
    def macs(self) -> int:
        return self.weights


@dataclass(frozen=True)
class GRUCell(Layer):
    """One time step of a GRU cell: gates r, z, n from ``W (3H, I+H) @ [x; h_prev]``."""

    input_size: int
    hidden_size: int

    kind = "gru"

    def __post_init__(self) -> None:
        super().__post_init__()
        _positive(self.name, input_size=self.input_size, hidden_size=self.hidden_size)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return (self.input_size,)

    @property
    def output_shape(self) -> tuple[int, ...]:
        return (self.hidden_size,)

    @property
    def weight_shape(self) -> tuple[int, ...]:
        return (3 * self.hidden_size, self.input_size + self.hidden_size)

    @property
    def weights(self) -> int:
        return _numel(self.weight_shape)

    @property
    def macs(self) -> int:
        return self.weights


@dataclass(frozen=True)
class _Sequence(Layer):
    """A recurrent layer over a sequence of ``seq_len`` steps from a zero state, forward
    direction: each step is one ``cell``; input ``(seq_len, input_size)``, output the
    hidden state of every step, ``(seq_len, hidden_size)`` per sample. Weights are the
    cell's; MACs are ``seq_len`` cells'."""

    seq_len: int
    input_size: int
    hidden_size: int

    def __post_init__(self) -> None:
        super().__post_init__()
        _positive(self.name, seq_len=self.seq_len, input_size=self.input_size, hidden_size=self.hidden_size)

    @property
    def cell(self) -> Layer:
        raise NotImplementedError

    @property
    def input_shape(self) -> tuple[int, ...]:
        return (self.seq_len, self.input_size)

    @property
    def output_shape(self) -> tuple[int, ...]:
        return (self.seq_len, self.hidden_size)

    @property
    def weight_shape(self) -> tuple[int, ...]:
        return self.cell.weight_shape

    @property
    def weights(self) -> int:
        return self.cell.weights

    @property
    def macs(self) -> int:
        return self.seq_len * self.cell.macs


@dataclass(frozen=True)
class LSTM(_Sequence):
    """An LSTM sequence (ONNX ``LSTM``): each step is an :class:`LSTMCell`."""

    peepholes: bool = False

    kind = "lstm"

    @property
    def cell(self) -> LSTMCell:
        return LSTMCell(self.name, self.input_size, self.hidden_size, 0, self.peepholes)


@dataclass(frozen=True)
class GRU(_Sequence):
    """A GRU sequence (ONNX ``GRU`` with ``linear_before_reset=1``): each step is a
    :class:`GRUCell`."""

    kind = "gru"

    @property
    def cell(self) -> GRUCell:
        return GRUCell(self.name, self.input_size, self.hidden_size)


WEIGHTED_KINDS = ("conv", "fc", "lstm", "gru")


class NetworkGraphError(ValueError):
    """A network's connections do not form a graph that can run (a cycle, an unknown
    producer, a shape that does not fit)."""


@dataclass(frozen=True)
class Network:
    """Layers and their connections: a directed acyclic graph with branches and joins.

    Each layer's producers are named by its ``inputs`` (empty: the previous layer in the
    list, or the network input for the first). The list need not be in dependency order:
    :attr:`order` is a topological order (list order among layers that are ready at the
    same time), and a cycle or an unknown producer is refused naming the layers. Each
    input shape must equal its producer's output shape, or hold the same number of
    elements (read through a row-major reshape: a view). With ``connected=False`` the
    layers are independent (as in a SCALE-Sim topology file: every layer brings its own
    input) and are not chained. ``layers`` is stored as a tuple.
    """

    name: str
    layers: tuple
    input_shape: tuple
    connected: bool = True
    # set once in __post_init__: layer name -> position, and the dependency order
    _index: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    _order: tuple = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "layers", tuple(self.layers))
        object.__setattr__(self, "input_shape", tuple(self.input_shape))
        if not self.layers:
            raise ValueError(f"network {self.name}: needs at least one layer")
        names = [layer.name for layer in self.layers]
        for layer in self.layers:
            if not isinstance(layer, Layer):
                raise ValueError(f"network {self.name}: {layer!r} is not a Layer")
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"network {self.name}: duplicate layer names {dup}")
        if NETWORK_INPUT in names:
            raise ValueError(f"network {self.name}: '{NETWORK_INPUT}' is reserved for the network input")
        object.__setattr__(self, "_index", {n: i for i, n in enumerate(names)})
        if self.connected:
            object.__setattr__(self, "_order", self._topological_order())
            self._check_connections()
        else:
            object.__setattr__(self, "_order", self.layers)

    def _topological_order(self) -> tuple:
        """Kahn's algorithm; among ready layers the earliest in the list goes first."""
        import heapq
        pending: dict[str, int] = {}
        readers: dict[str, list[int]] = {}
        for i, layer in enumerate(self.layers):
            srcs = self.producers(layer.name)
            for src in srcs:
                if src != NETWORK_INPUT and src not in self._index:
                    raise NetworkGraphError(f"network {self.name}: layer {layer.name} reads {src!r}, "
                                            f"which is no layer of the network and not '{NETWORK_INPUT}'")
            deps = {s for s in srcs if s != NETWORK_INPUT}
            pending[layer.name] = len(deps)
            for s in deps:
                readers.setdefault(s, []).append(i)
        ready = [i for i, layer in enumerate(self.layers) if pending[layer.name] == 0]
        heapq.heapify(ready)
        order = []
        while ready:
            i = heapq.heappop(ready)
            order.append(self.layers[i])
            for j in readers.get(self.layers[i].name, ()):
                name = self.layers[j].name
                pending[name] -= 1
                if pending[name] == 0:
                    heapq.heappush(ready, j)
        if len(order) != len(self.layers):
            stuck = [layer.name for layer in self.layers if pending[layer.name] > 0]
            raise NetworkGraphError(f"network {self.name}: the connections form a cycle through "
                                    f"{', '.join(stuck[:8])}{' ...' if len(stuck) > 8 else ''}")
        return tuple(order)

    def _check_connections(self) -> None:
        shapes = {NETWORK_INPUT: self.input_shape}
        for layer in self._order:
            for k, src in enumerate(self.producers(layer.name)):
                have, want = shapes[src], layer.input_shape_of(k)
                if have != want and _numel(have) != _numel(want):
                    raise NetworkGraphError(f"network {self.name}: layer {layer.name} expects input shape "
                                            f"{want} but {src} produces {have}")
            shapes[layer.name] = layer.output_shape

    @property
    def order(self) -> tuple:
        """The layers in an order that runs every producer before its readers."""
        return self._order

    def producers(self, name: str) -> tuple[str, ...]:
        """Names of the layers (or 'input') whose outputs feed layer ``name``."""
        idx = self.index(name)
        layer = self.layers[idx]
        if layer.inputs:
            return layer.inputs
        return (self.layers[idx - 1].name if idx else NETWORK_INPUT,)

    def consumers(self) -> dict[str, list[str]]:
        """For each layer name (and 'input'), the layers reading its output, in run order."""
        out: dict[str, list[str]] = {NETWORK_INPUT: []}
        for layer in self.layers:
            out.setdefault(layer.name, [])
        for layer in self.order:
            for src in dict.fromkeys(self.producers(layer.name)):
                out[src].append(layer.name)
        return out

    def index(self, name: str) -> int:
        try:
            return self._index[name]
        except KeyError:
            raise KeyError(f"network {self.name} has no layer {name!r}") from None

    def layer(self, name: str) -> Layer:
        return self.layers[self.index(name)]

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    @property
    def output_shape(self) -> tuple[int, ...]:
        return self.order[-1].output_shape

    @property
    def macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    @property
    def weights(self) -> int:
        return sum(layer.weights for layer in self.layers)

    def weighted_layers(self) -> list[Layer]:
        return [layer for layer in self.order if layer.kind in WEIGHTED_KINDS]

    def summary(self) -> dict:
        return {"name": self.name, "layers": len(self.layers), "weights": self.weights,
                "macs": self.macs, "input_shape": list(self.input_shape)}

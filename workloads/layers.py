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
  empty means the previous layer in the network's list.

Validation errors are ``ValueError`` naming the layer, the field and the allowed range.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterator, Union

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


def _numel(shape: tuple[int, ...]) -> int:
    return math.prod(shape)


@dataclass(frozen=True)
class Layer:
    """Base of every layer: a name and, optionally, the names of the layers feeding it."""

    name: str
    inputs: tuple = field(default=(), kw_only=True)

    kind = "layer"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"layer name must be a non-empty string, got {self.name!r}")
        _freeze(self, "inputs")
        if not isinstance(self.inputs, tuple) or not all(isinstance(i, str) and i for i in self.inputs):
            raise ValueError(f"{self.name}: inputs must be a tuple of layer names, got {self.inputs!r}")

    @property
    def input_shape(self) -> tuple[int, ...]:
        raise NotImplementedError

    @property
    def output_shape(self) -> tuple[int, ...]:
        raise NotImplementedError

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
    """Fully connected (inner product): ``y = W x`` with W of shape (out_features, in_features)."""

    in_features: int
    out_features: int

    kind = "fc"

    def __post_init__(self) -> None:
        super().__post_init__()
        _positive(self.name, in_features=self.in_features, out_features=self.out_features)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return (self.in_features,)

    @property
    def output_shape(self) -> tuple[int, ...]:
        return (self.out_features,)

    @property
    def weight_shape(self) -> tuple[int, ...]:
        return (self.out_features, self.in_features)

    @property
    def weights(self) -> int:
        return self.in_features * self.out_features

    @property
    def macs(self) -> int:
        return self.weights


@dataclass(frozen=True)
class Pool(Layer):
    """Max or average pooling per channel.

    ``ceil_mode`` rounds the output size up (Caffe's convention); a window that starts
    inside the padded input but runs past it is clipped. Average pooling divides by the
    number of window positions inside the padded input (Caffe's convention).
    """

    channels: int
    in_hw: tuple
    kernel: IntPair
    stride: IntPair
    padding: IntPair = 0
    mode: str = "max"
    ceil_mode: bool = False

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


@dataclass(frozen=True)
class Activation(Layer):
    """Element-wise ReLU, sigmoid or tanh."""

    shape: tuple
    function: str = "relu"

    kind = "act"

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "shape", _shape(self.shape, self.name))
        if self.function not in ("relu", "sigmoid", "tanh"):
            raise ValueError(f"{self.name}: function must be 'relu', 'sigmoid' or 'tanh', "
                             f"got {self.function!r}")

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
    """Per-channel batch normalisation (scale and shift folded at inference: 0 weights)."""

    shape: tuple

    kind = "bn"

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "shape", _shape(self.shape, self.name))

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
    """Element-wise sum of two or more same-shaped inputs (residual connection)."""

    shape: tuple

    kind = "add"

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "shape", _shape(self.shape, self.name))
        if len(self.inputs) < 2:
            raise ValueError(f"{self.name}: an Add needs inputs naming >= 2 layers, got {self.inputs!r}")

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self.shape

    @property
    def output_shape(self) -> tuple[int, ...]:
        return self.shape

    @property
    def ops(self) -> int:
        return _numel(self.shape) * (len(self.inputs) - 1)


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


WEIGHTED_KINDS = ("conv", "fc", "lstm", "gru")


@dataclass(frozen=True)
class Network:
    """An ordered list of layers with their connections checked.

    Each layer's input shape must equal its producer's output shape, except that a vector
    layer (FC, LSTM, GRU) may take a spatial producer whose element count matches (an
    implicit flatten). With ``connected=False`` the layers are independent (as in a
    SCALE-Sim topology file: every layer brings its own input) and are not chained.
    ``layers`` is stored as a tuple.
    """

    name: str
    layers: tuple
    input_shape: tuple
    connected: bool = True

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
        if self.connected:
            self._check_connections()

    def _check_connections(self) -> None:
        shapes = {NETWORK_INPUT: self.input_shape}
        for i, layer in enumerate(self.layers):
            for src in self.producers(layer.name):
                if src not in shapes:
                    raise ValueError(f"network {self.name}: layer {layer.name} reads {src!r}, "
                                     f"which is not an earlier layer or '{NETWORK_INPUT}'")
                have, want = shapes[src], layer.input_shape
                flatten_ok = len(want) == 1 and _numel(have) == want[0]
                if have != want and not flatten_ok:
                    raise ValueError(f"network {self.name}: layer {layer.name} expects input shape "
                                     f"{want} but {src} produces {have}")
            shapes[layer.name] = layer.output_shape

    def producers(self, name: str) -> tuple[str, ...]:
        """Names of the layers (or 'input') whose outputs feed layer ``name``."""
        idx = self.index(name)
        layer = self.layers[idx]
        if layer.inputs:
            return layer.inputs
        return (self.layers[idx - 1].name if idx else NETWORK_INPUT,)

    def index(self, name: str) -> int:
        for i, layer in enumerate(self.layers):
            if layer.name == name:
                return i
        raise KeyError(f"network {self.name} has no layer {name!r}")

    def layer(self, name: str) -> Layer:
        return self.layers[self.index(name)]

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    @property
    def output_shape(self) -> tuple[int, ...]:
        return self.layers[-1].output_shape

    @property
    def macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    @property
    def weights(self) -> int:
        return sum(layer.weights for layer in self.layers)

    def weighted_layers(self) -> list[Layer]:
        return [layer for layer in self.layers if layer.kind in WEIGHTED_KINDS]

    def summary(self) -> dict:
        return {"name": self.name, "layers": len(self.layers), "weights": self.weights,
                "macs": self.macs, "input_shape": list(self.input_shape)}

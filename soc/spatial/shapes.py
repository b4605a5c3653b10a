"""The shape of a conv or FC layer as the spatial array sees it.

Loop dimensions (Eyeriss notation): N batch, M output channels (filters), C input
channels, P x Q output rows x columns (E x F), R x S filter rows x columns. An FC layer
is a conv with H = W = R = S = 1. A grouped convolution (``groups`` > 1) is
``groups`` independent convolutions of C/groups -> M/groups channels; the array runs
one group's shape and every count is multiplied by ``groups``.

Two workload statistics ride along: ``input_density`` and ``weight_density``, the
fractions of non-zero input activations and weights. They change nothing but the
energy of a design with zero gating (:mod:`soc.spatial.gating`).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

DIMS = ("N", "M", "C", "P", "Q", "R", "S")


@dataclass(frozen=True)
class LayerShape:
    name: str
    kind: str           # "conv" | "fc"
    N: int              # batch
    C: int              # input channels (per group)
    M: int              # output channels (per group)
    H: int              # input rows (unpadded)
    W: int              # input columns (unpadded)
    R: int = 1          # filter rows
    S: int = 1          # filter columns
    stride: int = 1
    padding: int = 0
    groups: int = 1
    input_density: float = 1.0   # fraction of non-zero input activations (padding not included)
    weight_density: float = 1.0  # fraction of non-zero weights

    def __post_init__(self) -> None:
        for field in ("N", "C", "M", "H", "W", "R", "S", "stride", "groups"):
            value = getattr(self, field)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"LayerShape.{field} must be an integer >= 1, got {value!r}")
        if self.padding < 0:
            raise ValueError(f"LayerShape.padding must be >= 0, got {self.padding!r}")
        for field in ("input_density", "weight_density"):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
                raise ValueError(f"LayerShape.{field} must be a number in (0, 1], got {value!r}")
        if self.kind not in ("conv", "fc"):
            raise ValueError(f"LayerShape.kind must be 'conv' or 'fc', got {self.kind!r}")
        if self.R > self.H + 2 * self.padding or self.S > self.W + 2 * self.padding:
            raise ValueError(f"LayerShape {self.name}: filter {self.R}x{self.S} larger than the padded input")

    @property
    def E(self) -> int:
        return (self.H + 2 * self.padding - self.R) // self.stride + 1

    @property
    def F(self) -> int:
        return (self.W + 2 * self.padding - self.S) // self.stride + 1

    @property
    def dims(self) -> dict[str, int]:
        """Loop bounds of one group: N, M, C, P (=E), Q (=F), R, S."""
        return {"N": self.N, "M": self.M, "C": self.C, "P": self.E, "Q": self.F, "R": self.R, "S": self.S}

    @property
    def macs(self) -> int:
        """MACs of the whole layer for the whole batch (padding positions included)."""
        return self.groups * self.N * self.M * self.C * self.E * self.F * self.R * self.S

    @property
    def weight_count(self) -> int:
        return self.groups * self.M * self.C * self.R * self.S

    @property
    def input_count(self) -> int:
        return self.groups * self.N * self.C * self.H * self.W

    @property
    def output_count(self) -> int:
        return self.groups * self.N * self.M * self.E * self.F

    def with_batch(self, n: int) -> "LayerShape":
        return replace(self, N=n)

    def reduced(self, batch: int, channels: int) -> "LayerShape":
        """A slice of this layer for checking arithmetic: at most ``batch`` samples,
        ``channels`` input and output channels per group and one group; rows, columns,
        filter size, stride and padding unchanged."""
        return replace(self, N=min(self.N, batch), C=min(self.C, channels), M=min(self.M, channels), groups=1)


def conv(name: str, N: int, C: int, M: int, H: int, W: int, R: int, S: int | None = None,
         stride: int = 1, padding: int = 0, groups: int = 1) -> LayerShape:
    return LayerShape(name, "conv", N, C, M, H, W, R, R if S is None else S, stride, padding, groups)


def fc(name: str, N: int, in_features: int, out_features: int) -> LayerShape:
    return LayerShape(name, "fc", N, in_features, out_features, 1, 1)


def from_layer(layer, batch: int, input_density: float = 1.0, weight_density: float = 1.0) -> LayerShape:
    """Adapter from ``workloads.layers.Conv`` / ``FC`` (see the interface contract)."""
    kind = getattr(layer, "kind", None)
    dens = {"input_density": input_density, "weight_density": weight_density}
    if kind == "fc":
        return replace(fc(layer.name, batch, int(layer.in_features), int(layer.out_features)), **dens)
    if kind == "conv":
        kernel = layer.kernel if isinstance(layer.kernel, tuple) else (layer.kernel, layer.kernel)
        g = int(getattr(layer, "groups", 1))
        if layer.in_channels % g or layer.out_channels % g:
            raise ValueError(f"layer {layer.name}: channels not divisible by groups={g}")
        h, w = layer.in_hw
        return LayerShape(layer.name, "conv", batch, layer.in_channels // g, layer.out_channels // g,
                          int(h), int(w), int(kernel[0]), int(kernel[1]), int(layer.stride),
                          int(layer.padding), g, **dens)
    raise ValueError(f"layer {getattr(layer, 'name', layer)!r}: the spatial array runs conv and fc layers, not {kind!r}")

"""A small helper that appends layers while tracking the current activation shape."""
from __future__ import annotations

from workloads.layers import FC, LRN, NETWORK_INPUT, Activation, Add, BatchNorm, Conv, Layer, Network, Pool


class NetworkBuilder:
    """Append layers in order; each call takes its input shape from the tracked tensor.

    ``source`` (a layer name) reads another layer's output instead of the last one;
    the builder then records it in the layer's ``inputs``.
    """

    def __init__(self, name: str, input_shape: tuple):
        self.name = name
        self.input_shape = tuple(input_shape)
        self.layers: list[Layer] = []
        self.shapes = {NETWORK_INPUT: self.input_shape}
        self.last = NETWORK_INPUT

    @property
    def shape(self) -> tuple:
        return self.shapes[self.last]

    def _src(self, source: str | None) -> tuple[tuple, tuple]:
        if source is None or source == self.last:
            return self.shapes[self.last], ()
        return self.shapes[source], (source,)

    def _add(self, layer: Layer) -> str:
        self.layers.append(layer)
        self.shapes[layer.name] = layer.output_shape
        self.last = layer.name
        return layer.name

    def conv(self, name, out_channels, kernel, stride=1, padding=0, groups=1, source=None) -> str:
        (c, h, w), inputs = self._src(source)
        return self._add(Conv(name, c, out_channels, kernel, (h, w), stride, padding, groups,
                              inputs=inputs))

    def fc(self, name, out_features, source=None) -> str:
        shape, inputs = self._src(source)
        n = 1
        for d in shape:
            n *= d
        return self._add(FC(name, n, out_features, inputs=inputs))

    def pool(self, name, kernel, stride, padding=0, mode="max", ceil_mode=False, source=None) -> str:
        (c, h, w), inputs = self._src(source)
        return self._add(Pool(name, c, (h, w), kernel, stride, padding, mode, ceil_mode,
                              inputs=inputs))

    def global_avg_pool(self, name, source=None) -> str:
        (c, h, w), inputs = self._src(source)
        return self._add(Pool(name, c, (h, w), (h, w), 1, 0, "avg", inputs=inputs))

    def act(self, name, function="relu", source=None) -> str:
        shape, inputs = self._src(source)
        return self._add(Activation(name, shape, function, inputs=inputs))

    def lrn(self, name, size=5, alpha=1e-4, beta=0.75, k=1.0, source=None) -> str:
        shape, inputs = self._src(source)
        return self._add(LRN(name, shape, size, alpha, beta, k, inputs=inputs))

    def bn(self, name, source=None) -> str:
        shape, inputs = self._src(source)
        return self._add(BatchNorm(name, shape, inputs=inputs))

    def add(self, name, *sources: str) -> str:
        return self._add(Add(name, self.shapes[sources[0]], inputs=tuple(sources)))

    def build(self) -> Network:
        return Network(self.name, self.layers, self.input_shape)

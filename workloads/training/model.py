"""A small NumPy network built from a :class:`workloads.layers.Network` description.

Supports the layers LeNet-5 and the MLP need: convolution (groups = 1, any stride and
padding, im2col), fully connected, max/average pooling (window = stride, no padding),
ReLU/tanh/sigmoid. The tensor is flattened when a vector layer follows a spatial one.
Other layer kinds raise a ValueError that names them. Biases are trained but are not
part of the compressed weights (weights count without bias, as in the layer contract).

Initialisation is He-normal for ReLU networks (Glorot-normal otherwise) from
``numpy.random.default_rng(seed)``; training is deterministic for a seed on a given
NumPy/BLAS build.
"""
from __future__ import annotations

import numpy as np


def _pair(v) -> tuple[int, int]:
    return (int(v), int(v)) if np.isscalar(v) else (int(v[0]), int(v[1]))


class ConvOp:
    def __init__(self, layer, rng, gain):
        if getattr(layer, "groups", 1) != 1:
            raise ValueError(f"layer {layer.name}: grouped convolution is not supported for training")
        self.name = layer.name
        self.kh, self.kw = _pair(layer.kernel)
        self.stride = int(getattr(layer, "stride", 1))
        self.padding = int(getattr(layer, "padding", 0))
        fan_in = layer.in_channels * self.kh * self.kw
        self.w = (rng.normal(size=(layer.out_channels, layer.in_channels, self.kh, self.kw))
                  * np.sqrt(gain / fan_in)).astype(np.float32)
        self.b = np.zeros(layer.out_channels, dtype=np.float32)

    def forward(self, x):
        p, s = self.padding, self.stride
        if p:
            x = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        n, c, h, w = x.shape
        win = np.lib.stride_tricks.sliding_window_view(x, (self.kh, self.kw), axis=(2, 3))[:, :, ::s, ::s]
        oh, ow = win.shape[2], win.shape[3]
        cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, -1)
        out = cols @ self.w.reshape(self.w.shape[0], -1).T + self.b
        self.cache = (x.shape, cols, oh, ow)
        return out.reshape(n, oh, ow, -1).transpose(0, 3, 1, 2)

    def backward(self, dout):
        xshape, cols, oh, ow = self.cache
        n, c, h, w = xshape
        d = dout.transpose(0, 2, 3, 1).reshape(n * oh * ow, -1)
        self.dw = (d.T @ cols).reshape(self.w.shape)
        self.db = d.sum(axis=0)
        dcols = (d @ self.w.reshape(self.w.shape[0], -1)).reshape(n, oh, ow, c, self.kh, self.kw)
        dx = np.zeros(xshape, dtype=np.float32)
        s = self.stride
        for i in range(self.kh):
            for j in range(self.kw):
                dx[:, :, i:i + s * oh:s, j:j + s * ow:s] += dcols[:, :, :, :, i, j].transpose(0, 3, 1, 2)
        p = self.padding
        return dx[:, :, p:h - p, p:w - p] if p else dx


class FCOp:
    def __init__(self, layer, rng, gain):
        self.name = layer.name
        self.w = (rng.normal(size=(layer.out_features, layer.in_features))
                  * np.sqrt(gain / layer.in_features)).astype(np.float32)
        self.b = np.zeros(layer.out_features, dtype=np.float32)

    def forward(self, x):
        self.shape = x.shape
        x = x.reshape(x.shape[0], -1)
        self.x = x
        return x @ self.w.T + self.b

    def backward(self, dout):
        self.dw = dout.T @ self.x
        self.db = dout.sum(axis=0)
        return (dout @ self.w).reshape(self.shape)


class PoolOp:
    def __init__(self, layer):
        k, s = _pair(layer.kernel), _pair(layer.stride)
        if k != s or getattr(layer, "padding", 0):
            raise ValueError(f"layer {layer.name}: only pooling with window = stride and no padding "
                             f"is supported for training (got kernel {k}, stride {s})")
        self.k = k
        self.mode = getattr(layer, "mode", "max")

    def forward(self, x):
        n, c, h, w = x.shape
        kh, kw = self.k
        v = x[:, :, :h - h % kh, :w - w % kw].reshape(n, c, h // kh, kh, w // kw, kw)
        self.xshape = x.shape
        if self.mode == "avg":
            return v.mean(axis=(3, 5))
        out = v.max(axis=(3, 5))
        self.argmask = v == out[:, :, :, None, :, None]
        return out

    def backward(self, dout):
        n, c, h, w = self.xshape
        kh, kw = self.k
        if self.mode == "avg":
            g = np.broadcast_to(dout[:, :, :, None, :, None] / (kh * kw),
                                (n, c, h // kh, kh, w // kw, kw))
        else:
            m = self.argmask
            g = m * (dout[:, :, :, None, :, None] / m.sum(axis=(3, 5), keepdims=True))
        dx = np.zeros(self.xshape, dtype=np.float32)
        dx[:, :, :h - h % kh, :w - w % kw] = g.reshape(n, c, h - h % kh, w - w % kw)
        return dx


class ActOp:
    def __init__(self, function):
        if function not in ("relu", "tanh", "sigmoid"):
            raise ValueError(f"activation {function!r} not supported; allowed relu, tanh, sigmoid")
        self.f = function

    def forward(self, x):
        if self.f == "relu":
            self.y = np.maximum(x, 0)
        elif self.f == "tanh":
            self.y = np.tanh(x)
        else:
            self.y = 1 / (1 + np.exp(-x))
        return self.y

    def backward(self, dout):
        if self.f == "relu":
            return dout * (self.y > 0)
        if self.f == "tanh":
            return dout * (1 - self.y ** 2)
        return dout * self.y * (1 - self.y)


class Model:
    """Trainable NumPy model; ``weighted`` maps layer name -> op with ``w`` (conv/fc)."""

    def __init__(self, network, seed: int = 0):
        rng = np.random.default_rng(seed)
        kinds = [layer.kind for layer in network.layers]
        functions = {getattr(l, "function", None) for l in network.layers if l.kind == "act"}
        gain = 2.0 if functions <= {"relu"} else 1.0
        self.network = network
        self.ops = []
        self.weighted = {}
        for layer in network.layers:
            if layer.kind == "conv":
                op = ConvOp(layer, rng, gain)
            elif layer.kind == "fc":
                op = FCOp(layer, rng, gain)
            elif layer.kind == "pool":
                op = PoolOp(layer)
            elif layer.kind == "act":
                op = ActOp(layer.function)
            else:
                raise ValueError(f"layer {layer.name} of kind {layer.kind!r} is not supported by the "
                                 f"NumPy trainer (supported: conv, fc, pool, act; network kinds {kinds})")
            if getattr(layer, "inputs", ()):
                raise ValueError(f"layer {layer.name}: branching networks are not supported for training")
            self.ops.append(op)
            if layer.kind in ("conv", "fc"):
                self.weighted[layer.name] = op
        self.masks: dict[str, np.ndarray] = {}

    def forward(self, x):
        for op in self.ops:
            x = op.forward(x)
        return x

    def backward(self, dout):
        for op in reversed(self.ops):
            dout = op.backward(dout)

    def predict(self, x, batch: int = 512) -> np.ndarray:
        return np.concatenate([self.forward(x[i:i + batch]).argmax(axis=1) for i in range(0, len(x), batch)])

    def accuracy(self, x, y) -> float:
        return float((self.predict(x) == y).mean())

    def get_weights(self) -> dict[str, np.ndarray]:
        return {name: op.w.copy() for name, op in self.weighted.items()}

    def set_weights(self, weights: dict[str, np.ndarray]) -> None:
        for name, w in weights.items():
            op = self.weighted[name]
            if w.shape != op.w.shape:
                raise ValueError(f"layer {name}: weights of shape {w.shape}, expected {op.w.shape}")
            op.w = np.asarray(w, dtype=np.float32).copy()

    def state(self) -> dict[str, np.ndarray]:
        out = {}
        for name, op in self.weighted.items():
            out[f"{name}.w"] = op.w
            out[f"{name}.b"] = op.b
        return out

    def load_state(self, state) -> None:
        for name, op in self.weighted.items():
            op.w = np.asarray(state[f"{name}.w"], dtype=np.float32).copy()
            op.b = np.asarray(state[f"{name}.b"], dtype=np.float32).copy()

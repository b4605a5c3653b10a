"""NumPy reference forward passes of every layer kind (float32, batch axis first).

``forward(layer, x, w=None, b=None, ...)`` returns the layer's output for ``x`` of shape
``(N, *layer.input_shape)`` (a vector layer also accepts any ``(N, ...)`` with the right
element count: an implicit flatten). Conventions:

- Convolution is im2col + BLAS matrix multiply per group, zero padding.
- Pooling follows Caffe: padded max pooling ignores the padding; average pooling
  divides by the number of window positions inside the padded input; ``ceil_mode``
  windows are clipped at the padded border.
- LRN is across channels: ``x / (k + alpha/size * sum of squares over size channels)**beta``.
- Batch norm (no stored statistics in a layer description) standardises each channel with
  the statistics of the batch itself, then applies ``w`` (scale) and ``b`` (shift) if
  given; with a single sample the statistics are over the spatial positions.
- LSTM/GRU cells run one time step from a zero state unless ``state`` is given.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from workloads.layers import (FC, LRN, Activation, Add, BatchNorm, Conv, GRUCell, Layer, LSTMCell,
                              Pool)


def _as_batch(layer: Layer, x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    want = layer.input_shape
    if x.shape[1:] == want:
        return x
    if len(want) == 1 and x.ndim >= 2 and int(np.prod(x.shape[1:])) == want[0]:
        return x.reshape(x.shape[0], want[0])
    raise ValueError(f"{layer.name}: input must have shape (N, {', '.join(map(str, want))}), "
                     f"got {x.shape}")


def _check_weights(layer: Layer, w) -> np.ndarray:
    if w is None:
        raise ValueError(f"{layer.name}: weights of shape {layer.weight_shape} are required")
    w = np.asarray(w, dtype=np.float32)
    if w.shape != layer.weight_shape:
        raise ValueError(f"{layer.name}: weights must have shape {layer.weight_shape}, got {w.shape}")
    return w


def conv_forward(layer: Conv, x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    x = _as_batch(layer, x)
    w = _check_weights(layer, w)
    n, c, _, _ = x.shape
    g = layer.groups
    (kh, kw), (sh, sw), (ph, pw) = layer.kernel_hw, layer.stride_hw, layer.padding_hw
    ho, wo = layer.out_hw
    if ph or pw:
        x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    win = sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw][:, :, :ho, :wo]
    cg = c // g
    # im2col: (g, N*Ho*Wo, C/g*Kh*Kw), one BLAS product per group
    cols = win.reshape(n, g, cg, ho, wo, kh, kw).transpose(1, 0, 3, 4, 2, 5, 6)
    cols = np.ascontiguousarray(cols).reshape(g, n * ho * wo, cg * kh * kw)
    og = layer.out_channels // g
    wmat = w.reshape(g, og, cg * kh * kw).transpose(0, 2, 1)
    out = np.matmul(cols, wmat)  # (g, N*Ho*Wo, O/g)
    out = out.reshape(g, n, ho, wo, og).transpose(1, 0, 4, 2, 3).reshape(n, layer.out_channels, ho, wo)
    if b is not None:
        out = out + np.asarray(b, dtype=np.float32).reshape(1, -1, 1, 1)
    return np.ascontiguousarray(out, dtype=np.float32)


def fc_forward(layer: FC, x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    x = _as_batch(layer, x)
    w = _check_weights(layer, w)
    out = x @ w.T
    if b is not None:
        out = out + np.asarray(b, dtype=np.float32)
    return out.astype(np.float32, copy=False)


def pool_forward(layer: Pool, x: np.ndarray) -> np.ndarray:
    x = _as_batch(layer, x)
    (kh, kw), (sh, sw), (ph, pw) = layer.kernel_hw, layer.stride_hw, layer.padding_hw
    ho, wo = layer.out_hw
    h, w = x.shape[2:]
    # extra right/bottom border so that ceil-mode windows exist (clipped below)
    eh = max(0, (ho - 1) * sh + kh - (h + 2 * ph))
    ew = max(0, (wo - 1) * sw + kw - (w + 2 * pw))
    if layer.mode == "max":
        xp = np.pad(x, ((0, 0), (0, 0), (ph, ph + eh), (pw, pw + ew)), constant_values=-np.inf)
        win = sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw][:, :, :ho, :wo]
        return win.max(axis=(4, 5)).astype(np.float32)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph + eh), (pw, pw + ew)))
    win = sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw][:, :, :ho, :wo]
    inside = np.pad(np.ones((h + 2 * ph, w + 2 * pw), np.float32), ((0, eh), (0, ew)))
    counts = sliding_window_view(inside, (kh, kw))[::sh, ::sw][:ho, :wo].sum(axis=(2, 3))
    return (win.sum(axis=(4, 5)) / counts).astype(np.float32)


def activation_forward(layer: Activation, x: np.ndarray) -> np.ndarray:
    x = _as_batch(layer, x)
    if layer.function == "relu":
        return np.maximum(x, 0, dtype=np.float32)
    if layer.function == "sigmoid":
        return (1.0 / (1.0 + np.exp(-x))).astype(np.float32)
    return np.tanh(x).astype(np.float32)


def lrn_forward(layer: LRN, x: np.ndarray) -> np.ndarray:
    x = _as_batch(layer, x)
    half = layer.size // 2
    sq = np.pad(np.square(x, dtype=np.float64), [(0, 0), (half, half)] + [(0, 0)] * (x.ndim - 2))
    csum = np.cumsum(sq, axis=1)
    csum = np.concatenate([np.zeros_like(csum[:, :1]), csum], axis=1)
    window = csum[:, layer.size:] - csum[:, :-layer.size]
    scale = (layer.k + layer.alpha / layer.size * window) ** layer.beta
    return (x / scale).astype(np.float32)


def batchnorm_forward(layer: BatchNorm, x: np.ndarray, w=None, b=None, eps: float = 1e-5) -> np.ndarray:
    x = _as_batch(layer, x)
    axes = (0,) + tuple(range(2, x.ndim)) if x.ndim > 2 else (0,)
    if x.ndim == 2 and x.shape[0] == 1:
        axes = (1,)  # a single vector sample: standardise over its elements
    mean = x.mean(axis=axes, keepdims=True, dtype=np.float64)
    var = x.var(axis=axes, keepdims=True, dtype=np.float64)
    out = (x - mean) / np.sqrt(var + eps)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if w is not None:
        out = out * np.asarray(w, np.float32).reshape(shape)
    if b is not None:
        out = out + np.asarray(b, np.float32).reshape(shape)
    return out.astype(np.float32)


def add_forward(layer: Add, xs) -> np.ndarray:
    arrays = [_as_batch(layer, x) for x in xs]
    if len(arrays) < 2:
        raise ValueError(f"{layer.name}: an Add needs >= 2 input arrays, got {len(arrays)}")
    out = arrays[0].copy()
    for a in arrays[1:]:
        out += a
    return out


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def lstm_forward(layer: LSTMCell, x, w, b=None, state=None, extra=None) -> np.ndarray:
    """One step. ``extra`` holds ``peepholes`` (3, H) for i, f, o and ``projection`` (P, H)."""
    x = _as_batch(layer, x)
    w = _check_weights(layer, w)
    n, h_size = x.shape[0], layer.hidden_size
    r_prev, c_prev = state if state is not None else (
        np.zeros((n, layer.recurrent_size), np.float32), np.zeros((n, h_size), np.float32))
    extra = extra or {}
    z = np.concatenate([x, r_prev], axis=1) @ w.T
    if b is not None:
        z = z + b
    zi, zf, zg, zo = np.split(z, 4, axis=1)
    if layer.peepholes:
        p = np.asarray(extra.get("peepholes", np.zeros((3, h_size))), np.float32)
        if p.shape != (3, h_size):
            raise ValueError(f"{layer.name}: peepholes must have shape (3, {h_size}), got {p.shape}")
        zi, zf = zi + p[0] * c_prev, zf + p[1] * c_prev
    c = _sigmoid(zf) * c_prev + _sigmoid(zi) * np.tanh(zg)
    if layer.peepholes:
        zo = zo + p[2] * c
    h = _sigmoid(zo) * np.tanh(c)
    if layer.proj_size:
        proj = extra.get("projection")
        if proj is None or np.shape(proj) != (layer.proj_size, h_size):
            raise ValueError(f"{layer.name}: extra['projection'] of shape "
                             f"({layer.proj_size}, {h_size}) is required")
        h = h @ np.asarray(proj, np.float32).T
    return h.astype(np.float32)


def gru_forward(layer: GRUCell, x, w, b=None, state=None) -> np.ndarray:
    """One step: r, z = sigmoid(W_rz [x; h]); n = tanh(W_nx x + r * (W_nh h)); h' = (1-z) n + z h."""
    x = _as_batch(layer, x)
    w = _check_weights(layer, w)
    hs, i = layer.hidden_size, layer.input_size
    h = state if state is not None else np.zeros((x.shape[0], hs), np.float32)
    xh = np.concatenate([x, h], axis=1)
    zrz = xh @ w[:2 * hs].T
    if b is not None:
        zrz = zrz + b[:2 * hs]
    r, z = _sigmoid(zrz[:, :hs]), _sigmoid(zrz[:, hs:])
    n = x @ w[2 * hs:, :i].T + r * (h @ w[2 * hs:, i:].T)
    if b is not None:
        n = n + b[2 * hs:]
    n = np.tanh(n)
    return ((1 - z) * n + z * h).astype(np.float32)


def forward(layer: Layer, x, w=None, b=None, **kwargs) -> np.ndarray:
    """Run any layer; ``x`` is a list of arrays for ``Add``."""
    if isinstance(layer, Conv):
        return conv_forward(layer, x, w, b)
    if isinstance(layer, FC):
        return fc_forward(layer, x, w, b)
    if isinstance(layer, Pool):
        return pool_forward(layer, x)
    if isinstance(layer, Activation):
        return activation_forward(layer, x)
    if isinstance(layer, LRN):
        return lrn_forward(layer, x)
    if isinstance(layer, BatchNorm):
        return batchnorm_forward(layer, x, w, b)
    if isinstance(layer, Add):
        return add_forward(layer, x)
    if isinstance(layer, LSTMCell):
        return lstm_forward(layer, x, w, b, **kwargs)
    if isinstance(layer, GRUCell):
        return gru_forward(layer, x, w, b, **kwargs)
    raise ValueError(f"{layer.name}: no reference forward for layer kind {layer.kind!r}")

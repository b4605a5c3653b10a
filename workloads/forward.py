"""NumPy reference forward passes of every layer kind (float32, batch axis first).

``forward(layer, x, w=None, b=None, ...)`` returns the layer's output for ``x`` of shape
``(N, *layer.input_shape)`` (any ``(N, ...)`` with the right element count is read through
a row-major reshape: a view). Layers reading several inputs (:class:`Add`, :class:`Mul`,
:class:`Concat`) take a list. Conventions:

- Convolution is im2col + BLAS matrix multiply per group, zero padding.
- Pooling follows Caffe: padded max pooling ignores the padding; average pooling
  divides by the number of window positions inside the padded input; ``ceil_mode``
  windows are clipped at the padded border.
- LRN is across channels: ``x / (k + alpha/size * sum of squares over size channels)**beta``.
- Batch norm (no stored statistics in a layer description) standardises each channel with
  the statistics of the batch itself, then applies ``w`` (scale) and ``b`` (shift) if
  given; with a single sample the statistics are over the spatial positions.
  An ``affine`` batch norm (imported, inference) is ``x * scale + shift`` per channel.
- LSTM/GRU cells run one time step from a zero state unless ``state`` is given; the
  sequence layers :class:`LSTM` and :class:`GRU` run their cells over every step.
- Parameters a layer carries itself (``params``: a PReLU's ``slope``, an element-wise
  layer's ``const``, an affine batch norm's ``scale``/``shift``) are used when the call
  does not give them.
- Data movement (concat, slice, transpose, pad) copies values exactly.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from workloads.layers import (
    FC,
    GRU,
    LRN,
    LSTM,
    Activation,
    Add,
    BatchNorm,
    Concat,
    Conv,
    GRUCell,
    Layer,
    LSTMCell,
    Mul,
    Pad,
    Pool,
    Slice,
    Transpose,
    param_array,
)


def _as_batch(layer: Layer, x: np.ndarray, k: int = 0) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    want = layer.input_shape_of(k)
    if x.shape[1:] == want:
        return x
    if x.ndim >= 1 and int(np.prod(x.shape[1:])) == int(np.prod(want)):
        return x.reshape(x.shape[0], *want)
    raise ValueError(f"{layer.name}: input must have shape (N, {', '.join(map(str, want))}), "
                     f"got {x.shape}")


def _param(layer: Layer, given, name: str):
    if given is not None:
        return np.asarray(given, np.float32)
    source = layer.param(name)
    return None if source is None else param_array(source)


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
    out = np.matmul(x, w.T)
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
    if layer.count_include_pad:
        inside = np.pad(np.ones((h + 2 * ph, w + 2 * pw), np.float32), ((0, eh), (0, ew)))
    else:  # only positions of the input itself count
        inside = np.pad(np.ones((h, w), np.float32), ((ph, ph + eh), (pw, pw + ew)))
    counts = sliding_window_view(inside, (kh, kw))[::sh, ::sw][:ho, :wo].sum(axis=(2, 3))
    return (win.sum(axis=(4, 5)) / counts).astype(np.float32)


def activation_function(layer: Activation, x: np.ndarray, slope=None) -> np.ndarray:
    """The activation's values for ``x`` (batch first), in the dtype of ``x`` (float32 or
    float64); ``slope`` is a PReLU's slope (default: the layer's ``slope`` parameter)."""
    f = layer.function
    one = x.dtype.type(1)
    if f == "relu":
        return np.maximum(x, 0)
    if f == "sigmoid":
        return one / (one + np.exp(-x))
    if f == "tanh":
        return np.tanh(x)
    if f == "clip":
        return np.clip(x, layer.low, layer.high).astype(x.dtype)
    if f == "leaky_relu":
        return np.where(x >= 0, x, x * x.dtype.type(layer.alpha))
    if f == "prelu":
        a = _param(layer, slope, "slope")
        if a is None:
            raise ValueError(f"{layer.name}: a PReLU needs its slope parameter")
        return np.where(x >= 0, x, x * a.astype(x.dtype))
    if f == "hard_sigmoid":
        return np.clip(x * x.dtype.type(layer.alpha) + x.dtype.type(layer.beta), 0, 1).astype(x.dtype)
    if f == "hard_swish":
        return x * np.clip(x / x.dtype.type(6) + x.dtype.type(0.5), 0, 1).astype(x.dtype)
    if f == "softmax":
        axis = layer.axis % len(layer.shape) + 1
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        return e / e.sum(axis=axis, keepdims=True)
    raise ValueError(f"{layer.name}: unknown activation {f!r}")


def activation_forward(layer: Activation, x: np.ndarray, slope=None) -> np.ndarray:
    x = _as_batch(layer, x)
    return np.asarray(activation_function(layer, x, slope), dtype=np.float32)


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
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if layer.affine:
        scale, shift = _param(layer, w, "scale"), _param(layer, b, "shift")
        out = x if scale is None else x * scale.reshape(shape)
        if shift is not None:
            out = out + shift.reshape(shape)
        return np.asarray(out, dtype=np.float32)
    axes = (0,) + tuple(range(2, x.ndim)) if x.ndim > 2 else (0,)
    if x.ndim == 2 and x.shape[0] == 1:
        axes = (1,)  # a single vector sample: standardise over its elements
    mean = x.mean(axis=axes, keepdims=True, dtype=np.float64)
    var = x.var(axis=axes, keepdims=True, dtype=np.float64)
    out = (x - mean) / np.sqrt(var + eps)
    if w is not None:
        out = out * np.asarray(w, np.float32).reshape(shape)
    if b is not None:
        out = out + np.asarray(b, np.float32).reshape(shape)
    return out.astype(np.float32)


def _operands(layer: Add, xs, const) -> list[np.ndarray]:
    xs = list(xs) if isinstance(xs, (list, tuple)) else [xs]
    if len(xs) != layer.operands:
        raise ValueError(f"{layer.name}: needs {layer.operands} input arrays, got {len(xs)}")
    arrays = [_as_batch(layer, x, k) for k, x in enumerate(xs)]
    if layer.const_shape:
        c = _param(layer, const, "const")
        if c is None:
            raise ValueError(f"{layer.name}: the constant operand of shape {layer.const_shape} is missing")
        arrays.append(c.reshape(1, *layer.const_shape))
    if len(arrays) < 2:
        raise ValueError(f"{layer.name}: an {type(layer).__name__} needs >= 2 operands, got {len(arrays)}")
    return arrays


def add_forward(layer: Add, xs, const=None) -> np.ndarray:
    """Sum (or, for a :class:`Mul`, product) of the inputs and the constant, broadcast."""
    arrays = _operands(layer, xs, const)
    n = arrays[0].shape[0]
    out = np.array(np.broadcast_to(arrays[0], (n, *layer.shape)), dtype=np.float32)
    for a in arrays[1:]:
        if isinstance(layer, Mul):
            out *= a
        else:
            out += a
    return out


def concat_forward(layer: Concat, xs) -> np.ndarray:
    if len(xs) != len(layer.input_shapes):
        raise ValueError(f"{layer.name}: needs {len(layer.input_shapes)} input arrays, got {len(xs)}")
    return np.concatenate([_as_batch(layer, x, k) for k, x in enumerate(xs)], axis=layer.axis + 1)


def slice_forward(layer: Slice, x) -> np.ndarray:
    x = _as_batch(layer, x)
    return np.ascontiguousarray(x[(slice(None),) + tuple(slice(a, b, st) for a, b, st in layer.region)])


def transpose_forward(layer: Transpose, x) -> np.ndarray:
    x = _as_batch(layer, x)
    return np.ascontiguousarray(x.transpose(0, *(p + 1 for p in layer.perm)))


def pad_forward(layer: Pad, x) -> np.ndarray:
    x = _as_batch(layer, x)
    pads = ((0, 0),) + layer.pads
    if layer.mode == "constant":
        return np.pad(x, pads, constant_values=np.float32(layer.value))
    return np.pad(x, pads, mode=layer.mode)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def lstm_forward(layer: LSTMCell, x, w, b=None, state=None, extra=None) -> np.ndarray:
    """One step. ``extra`` holds ``peepholes`` (3, H) for i, f, o and ``projection`` (P, H)."""
    return lstm_step(layer, x, w, b, state, extra)[0]


def lstm_step(layer: LSTMCell, x, w, b=None, state=None, extra=None) -> tuple[np.ndarray, np.ndarray]:
    """One step: (output r or h, cell state c)."""
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
    return h.astype(np.float32), c.astype(np.float32)


def gru_forward(layer: GRUCell, x, w, b=None, state=None, extra=None) -> np.ndarray:
    """One step: r, z = sigmoid(W_rz [x; h]); n = tanh(W_nx x + r * (W_nh h + b_nh)); h' = (1-z) n + z h.
    ``b`` (3H) adds to the r, z and n pre-activations; ``extra['recurrent_bias']`` (H) is
    ONNX's ``Rb_h`` (added to W_nh h inside the reset gate's product)."""
    x = _as_batch(layer, x)
    w = _check_weights(layer, w)
    hs, i = layer.hidden_size, layer.input_size
    h = state if state is not None else np.zeros((x.shape[0], hs), np.float32)
    xh = np.concatenate([x, h], axis=1)
    zrz = xh @ w[:2 * hs].T
    if b is not None:
        zrz = zrz + b[:2 * hs]
    r, z = _sigmoid(zrz[:, :hs]), _sigmoid(zrz[:, hs:])
    nh = h @ w[2 * hs:, i:].T
    if extra and extra.get("recurrent_bias") is not None:
        nh = nh + np.asarray(extra["recurrent_bias"], np.float32)
    n = x @ w[2 * hs:, :i].T + r * nh
    if b is not None:
        n = n + b[2 * hs:]
    n = np.tanh(n)
    return ((1 - z) * n + z * h).astype(np.float32)


def lstm_sequence_forward(layer: LSTM, x, w, b=None, extra=None) -> np.ndarray:
    """Every step's hidden state, (N, seq_len, H), from a zero state."""
    x = _as_batch(layer, x)
    cell, state, out = layer.cell, None, []
    for t in range(layer.seq_len):
        h, c = lstm_step(cell, x[:, t], w, b, state, extra)
        state = (h, c)
        out.append(h)
    return np.stack(out, axis=1)


def gru_sequence_forward(layer: GRU, x, w, b=None, extra=None) -> np.ndarray:
    x = _as_batch(layer, x)
    cell, h, out = layer.cell, None, []
    for t in range(layer.seq_len):
        h = gru_forward(cell, x[:, t], w, b, h, extra)
        out.append(h)
    return np.stack(out, axis=1)


def forward(layer: Layer, x, w=None, b=None, **kwargs) -> np.ndarray:
    """Run any layer; ``x`` is a list of arrays for layers with several inputs."""
    if isinstance(layer, Conv):
        return conv_forward(layer, x, w, b)
    if isinstance(layer, FC):
        return fc_forward(layer, x, w, b)
    if isinstance(layer, Pool):
        return pool_forward(layer, x)
    if isinstance(layer, Activation):
        return activation_forward(layer, x, **kwargs)
    if isinstance(layer, LRN):
        return lrn_forward(layer, x)
    if isinstance(layer, BatchNorm):
        return batchnorm_forward(layer, x, w, b)
    if isinstance(layer, Add):
        return add_forward(layer, x, **kwargs)
    if isinstance(layer, Concat):
        return concat_forward(layer, x)
    if isinstance(layer, Slice):
        return slice_forward(layer, x)
    if isinstance(layer, Transpose):
        return transpose_forward(layer, x)
    if isinstance(layer, Pad):
        return pad_forward(layer, x)
    if isinstance(layer, LSTMCell):
        return lstm_forward(layer, x, w, b, **kwargs)
    if isinstance(layer, GRUCell):
        return gru_forward(layer, x, w, b, **kwargs)
    if isinstance(layer, LSTM):
        return lstm_sequence_forward(layer, x, w, b, **kwargs)
    if isinstance(layer, GRU):
        return gru_sequence_forward(layer, x, w, b, **kwargs)
    raise ValueError(f"{layer.name}: no reference forward for layer kind {layer.kind!r}")

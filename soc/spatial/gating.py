"""Zero gating: how many MACs of a layer have a zero operand, counted on real data.

A design with ``zero_gating.enabled`` gates the MAC, the RF read of the other operand
and the partial-sum RF update whenever the operand named by ``condition_on`` is zero
(Eyeriss: a zero input activation; Chen et al., JSSC 2017, sec. V-C). The gated
actions still take their cycles; their energy is priced in
:mod:`soc.spatial.accounting`. What the model needs from the workload is the number of
MACs whose gating operand is zero. It is counted exactly on tensors:

* inputs: a MAC (n, m, c, p, q, r, s) reads the padded input (n, c, pU + r, qU + s);
  the input position (h, w) is read by ``cnt_h[h] x cnt_w[w]`` windows per output
  channel, so the count is ``M x sum over zero positions of cnt_h[h] cnt_w[w]``.
  Padding positions are zeros and are counted: the array moves them as words (see the
  loop-nest simplifications) and a zero is gated wherever it comes from.
* weights: every weight is used ``N x E x F`` times, so the count is that times the
  number of zero weights.

The full layer's data are synthetic, drawn at the layer's measured densities
(``LayerShape.input_density`` / ``weight_density``, set by
:func:`soc.spatial.compare.network_shapes` from :mod:`workloads.sparsity`): inputs are
ReLU-like activations (:func:`workloads.sparsity.sparse_activations`), weights are
coarse-grained pruned (:func:`workloads.sparsity.block_sparse_weights`). The
arithmetic check counts the same quantity pass by pass on the checked slice
(:class:`soc.spatial.functional.Execution`), and the tests compare the two.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from soc.spatial.shapes import LayerShape

GATING_OPERANDS = ("inputs", "weights")
GATED_READ = {"inputs": "weights", "weights": "inputs"}   # the RF read a zero operand saves


def _window_counts(size_padded: int, out: int, filt: int, stride: int) -> np.ndarray:
    """How many (output, filter) index pairs read each padded input position along one axis."""
    cnt = np.zeros(size_padded, dtype=np.int64)
    for p in range(out):
        cnt[p * stride:p * stride + filt] += 1
    return cnt


def zero_input_macs(shape: LayerShape, inputs: np.ndarray) -> int:
    """MACs of the whole layer whose input activation (or padding) is zero.
    ``inputs`` is (N, groups*C, H, W)."""
    sh, p = shape, shape.padding
    cnt_h = _window_counts(sh.H + 2 * p, sh.E, sh.R, sh.stride)
    cnt_w = _window_counts(sh.W + 2 * p, sh.F, sh.S, sh.stride)
    zero = np.pad(np.asarray(inputs) == 0, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=True)
    per_position = zero.sum(axis=(0, 1), dtype=np.int64)   # zeros per (h, w) over batch and all channels
    return int(sh.M * (cnt_h @ per_position @ cnt_w))


def zero_weight_macs(shape: LayerShape, weights: np.ndarray) -> int:
    """MACs of the whole layer whose weight is zero. ``weights`` is (groups*M, C, R, S) or (M, C)."""
    return int(np.count_nonzero(np.asarray(weights) == 0)) * shape.N * shape.E * shape.F


def zero_macs(shape: LayerShape, operand: str, tensor: np.ndarray) -> int:
    if operand == "inputs":
        return zero_input_macs(shape, tensor)
    if operand == "weights":
        return zero_weight_macs(shape, tensor)
    raise ValueError(f"zero_gating.condition_on must be one of {GATING_OPERANDS}, got {operand!r}")


@lru_cache(maxsize=64)
def layer_zero_macs(shape: LayerShape, operand: str, seed: int = 0) -> int:
    """:func:`zero_macs` on synthetic data at the layer's measured density (see module doc)."""
    from workloads.sparsity import block_sparse_weights, default_block, sparse_activations
    if operand == "inputs":
        x_shape = (shape.N, shape.groups * shape.C, shape.H, shape.W)
        if shape.input_density >= 1.0:
            x = np.ones(x_shape, dtype=np.float32)    # no zeros but the padding
        else:
            x = sparse_activations(x_shape, shape.input_density, seed)
        return zero_input_macs(shape, x)
    if operand == "weights":
        if shape.weight_density >= 1.0:
            return 0
        w_shape = ((shape.groups * shape.M, shape.C, shape.R, shape.S) if shape.kind == "conv"
                   else (shape.M, shape.C))
        w, _ = block_sparse_weights(w_shape, shape.weight_density, default_block(w_shape), seed)
        return zero_weight_macs(shape, w)
    raise ValueError(f"zero_gating.condition_on must be one of {GATING_OPERANDS}, got {operand!r}")

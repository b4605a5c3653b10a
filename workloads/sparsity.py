"""Realistic sparse weights and activations for any layer, reproducible from a seed.

Weights (:func:`block_sparse_weights`): dense weights are drawn as ``N(0, 1) * s * m``
where ``s = sqrt(2 / fan_in)`` (He initialisation scale) and ``m`` is a log-normal
magnitude field that is smooth across neighbouring blocks (a Gaussian-filtered random
field on the block grid, correlation length ``correlation`` blocks, log-std
``spread``). Large weights are therefore clustered locally and block means vary, as
docs/hardware.md §2.1 assumes. Coarse-grained pruning then removes whole non-overlapping blocks
(stride = block size) with the smallest mean |w| until the kept fraction is as close as
the block granularity allows to ``density``. For speed only the surviving blocks are drawn:
every block's mean |w| is first sampled from its distribution (mean of ``n`` half-normal
values, normal approximation), the blocks are selected on it, and the kept blocks' weights
are then drawn and rescaled so that their mean |w| equals the sampled one. Optionally whole input neurons are first
disconnected (static neuron sparsity, SNS), in units of one block along the input axis.

Activations (:func:`sparse_activations`): ``ReLU(f - t)`` of a random field ``f``
(smoothed over the last two axes for spatial tensors) with ``t`` chosen so that exactly
``round(density * size)`` values are non-zero.

Network runs (:func:`run_network`): every layer is executed in dependency order
(:attr:`workloads.layers.Network.order`) with the NumPy reference of
:mod:`workloads.forward`, on the model's own weights when the layer carries trained ones
(an imported ONNX model; optionally pruned first, :class:`PruneSpec`), otherwise on
block-sparse weights at the densities of
:mod:`workloads.density` (by default the measured rates of :data:`MEASURED_SPARSITY`);
layers that are independent (a SCALE-Sim or Timeloop layer list) each get their own
synthetic input at their input density; in a connected network, at each ReLU a scalar
bias (the quantile of its input) makes the zero fraction equal the input sparsity target
(by default the measured dynamic neuron sparsity) of the weighted layer it feeds, so the
zeros really come from ReLU. Each weighted layer's weights are rescaled
once so that its output has unit RMS over the batch (data-dependent initialisation, as in
LSUV), which keeps the values in the range of 16-bit fixed point.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from workloads.finite import NonFiniteError, describe_nonfinite
from workloads.forward import forward
from workloads.layers import (
    LSTM,
    NETWORK_INPUT,
    WEIGHTED_KINDS,
    Activation,
    Layer,
    LSTMCell,
    Network,
    is_placeholder,
    param_array,
)
from workloads.smoothing import gaussian_filter

# docs/hardware.md §1 (percent converted to fractions); None where the network has no such layers.
MEASURED_SPARSITY: dict[str, dict[str, float | None]] = {
    "lenet5": dict(conv_sss=0.8898, conv_sns=0.2539, conv_dns=0.0000,
                   fc_sss=0.9147, fc_sns=0.4770, fc_dns=0.1150),
    "mlp": dict(conv_sss=None, conv_sns=None, conv_dns=None,
                fc_sss=0.9013, fc_sns=0.4025, fc_dns=0.6631),
    "cifar10-quick": dict(conv_sss=0.9208, conv_sns=0.1149, conv_dns=0.3061,
                          fc_sss=0.9399, fc_sns=0.5773, fc_dns=0.1993),
    "alexnet": dict(conv_sss=0.6475, conv_sns=0.0000, conv_dns=0.3763,
                    fc_sss=0.8995, fc_sns=0.1575, fc_dns=0.2927),
    "vgg16": dict(conv_sss=0.6483, conv_sns=0.0000, conv_dns=0.5948,
                  fc_sss=0.9516, fc_sns=0.2218, fc_dns=0.4303),
    "resnet152": dict(conv_sss=0.4569, conv_sns=0.0000, conv_dns=0.5030,
                      fc_sss=0.0, fc_sns=0.0, fc_dns=0.2410),
}

# Networks without a measured row borrow one (stated here, used by `layer_sparsity`).
SPARSITY_SUBSTITUTES = {"resnet18": "resnet152", "resnet50": "resnet152"}

DEFAULT_CONV_BLOCK = (16, 1, 1, 1)  # (B_fout, B_fin, Bx, By): docs/hardware.md §2.1 typical conv block
DEFAULT_FC_BLOCK = (32, 32)         # (B_out, B_in): docs/hardware.md §2.1 typical FC block


def _rng(seed: int, *stream: int) -> np.random.Generator:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    return np.random.default_rng([int(seed), *stream])


def _check_density(name: str, density: float) -> float:
    try:
        d = float(density)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number in (0, 1], got {density!r}") from None
    if not 0.0 < d <= 1.0:
        raise ValueError(f"{name} must be in (0, 1], got {density!r}")
    return d


def _check_shape_block(shape, block) -> tuple[tuple[int, ...], tuple[int, ...]]:
    shape = tuple(int(s) for s in shape)
    if len(shape) not in (2, 4) or min(shape) < 1:
        raise ValueError(f"weight shape must be (N_out, N_in) or (C_out, C_in/groups, Kh, Kw) of "
                         f"positive sizes, got {shape}")
    block = tuple(int(b) for b in block)
    if len(block) != len(shape):
        want = "(B_out, B_in)" if len(shape) == 2 else "(B_fout, B_fin, Bx, By)"
        raise ValueError(f"block must be {want} for weight shape {shape}, got {block}")
    for axis, (b, s) in enumerate(zip(block, shape)):
        if b < 1 or b > s:
            raise ValueError(f"block size {b} on axis {axis} must be in [1, {s}] "
                             f"(the layer's size on that axis); block {block}, layer {shape}")
    return shape, block


MIN_BLOCKS_PER_AXIS = 4


def default_block(weight_shape: tuple[int, ...]) -> tuple[int, ...]:
    """docs/hardware.md §2.1 typical block ((16, 1, 1, 1) conv, (32, 32) FC), shrunk on small layers so
    that every axis has at least ``MIN_BLOCKS_PER_AXIS`` blocks (or blocks of size 1)."""
    base = DEFAULT_FC_BLOCK if len(weight_shape) == 2 else DEFAULT_CONV_BLOCK
    return tuple(max(1, min(b, s // MIN_BLOCKS_PER_AXIS)) for b, s in zip(base, weight_shape))


def _block_view(a: np.ndarray, grid, block) -> np.ndarray:
    """View (G0, B0, G1, B1, ...) of an array padded to grid*block."""
    return a.reshape([x for pair in zip(grid, block) for x in pair])


def _expand(per_block: np.ndarray, block) -> np.ndarray:
    """Index array to broadcast a per-block array against ``_block_view``."""
    return per_block.reshape([x for g in per_block.shape for x in (g, 1)])


def expand_blocks(blocks: np.ndarray, block: tuple[int, ...], shape: tuple[int, ...],
                  rows: tuple[int, int] | None = None) -> np.ndarray:
    """The keep mask of weights of ``shape`` pruned in whole blocks of ``block``, from the
    mask of surviving ``blocks`` (one per block; edge blocks cropped to the layer);
    ``rows=(lo, hi)``: only indices ``lo..hi-1`` of the first axis."""
    lo, hi = rows if rows is not None else (0, shape[0])
    first = lo // block[0]
    mask = blocks[first:-(-hi // block[0])]
    for axis, b in enumerate(block):
        mask = np.repeat(mask, b, axis=axis)
    offset = lo - first * block[0]
    return mask[(slice(offset, offset + hi - lo), *(slice(0, s) for s in shape[1:]))]


@dataclass(frozen=True)
class BlockSparse:
    """Weights pruned in whole blocks (:func:`block_sparse`): the dense ``weights``
    (float32, pruned ones exactly 0) and the mask of surviving ``blocks`` of size
    ``block``, from which the keep mask is expanded on request, all at once
    (:meth:`keep`) or one block row at a time (:meth:`kept`), so that a large layer's
    kept weights can be taken out without its full mask existing beside them."""

    weights: np.ndarray
    blocks: np.ndarray
    block: tuple[int, ...]

    def keep(self) -> np.ndarray:
        return np.ascontiguousarray(expand_blocks(self.blocks, self.block, self.weights.shape))

    def _row_slabs(self):
        rows, step = self.weights.shape[0], self.block[0]
        for lo in range(0, rows, step):
            hi = min(rows, lo + step)
            yield lo, hi, expand_blocks(self.blocks, self.block, self.weights.shape, (lo, hi))

    def kept(self) -> np.ndarray:
        """``weights[keep]`` (row-major), gathered one row of blocks at a time."""
        total = sum(int(np.count_nonzero(m)) for _, _, m in self._row_slabs())
        out = np.empty(total, dtype=np.float32)
        at = 0
        for lo, hi, m in self._row_slabs():
            part = self.weights[lo:hi][m]
            out[at:at + part.size] = part
            at += part.size
        return out


def block_sparse_weights(shape, density: float, block=None, seed: int = 0, *,
                         input_neuron_sparsity: float | None = None, correlation: float = 2.0,
                         spread: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Weights of ``shape`` with whole blocks removed to keep ``density`` of them:
    ``(weights float32, keep bool)`` of :func:`block_sparse`."""
    pruned = block_sparse(shape, density, block, seed, input_neuron_sparsity=input_neuron_sparsity,
                          correlation=correlation, spread=spread)
    return pruned.weights, pruned.keep()


def block_sparse(shape, density: float, block=None, seed: int = 0, *,
                 input_neuron_sparsity: float | None = None, correlation: float = 2.0,
                 spread: float = 0.5) -> BlockSparse:
    """Weights of ``shape`` with whole blocks removed to keep ``density`` of them.

    Returns a :class:`BlockSparse`; pruned weights are exactly 0. ``block`` is
    (B_out, B_in) for FC and (B_fout, B_fin, Bx, By) for conv (default: docs/hardware.md §2.1 typical
    block, see :func:`default_block`). ``input_neuron_sparsity`` (SNS), if given, is the
    fraction of input neurons (axis 1) to leave without any connection: the weakest whole
    block columns are disconnected and every other block column keeps at least its
    strongest block, so the measured SNS is the closest the block granularity allows (it
    can only come out higher if ``density`` is too small to connect every other column).
    With ``None`` the SNS is whatever the pruning leaves.
    """
    density = _check_density("density", density)
    shape, block = _check_shape_block(shape, block if block is not None else default_block(shape))
    sns = None if input_neuron_sparsity is None else float(input_neuron_sparsity)
    if sns is not None and not 0.0 <= sns < 1.0:
        raise ValueError(f"input_neuron_sparsity must be in [0, 1), got {input_neuron_sparsity!r}")
    rng = _rng(seed, 0)
    nd = len(shape)
    grid = tuple(-(-s // b) for s, b in zip(shape, block))
    padded = tuple(g * b for g, b in zip(grid, block))

    # smooth log-normal magnitude field on the block grid
    noise = rng.standard_normal(grid)
    sigma = [min(correlation, g / 4) if g > 1 else 0 for g in grid]
    field_ = gaussian_filter(noise, sigma, mode="wrap")
    field_ = (field_ - field_.mean()) / (field_.std() or 1.0)
    magnitude = np.exp(spread * field_)
    scale = magnitude * math.sqrt(2.0 / math.prod(shape[1:]))  # per-block std of w

    # real (unpadded) element count of every block
    counts = np.ones(grid, dtype=np.int64)
    for ax, (s, b, g) in enumerate(zip(shape, block, grid)):
        along = np.full(g, b, dtype=np.int64)
        along[-1] = s - (g - 1) * b
        counts = counts * along.reshape([-1 if i == ax else 1 for i in range(nd)])
    # mean |w| of each block: the mean of `counts` half-normal values (normal approximation)
    half_mean, half_var = math.sqrt(2.0 / math.pi), 1.0 - 2.0 / math.pi
    means = scale * np.maximum(half_mean + np.sqrt(half_var / counts) * rng.standard_normal(grid),
                               0.05 * half_mean)

    eligible = np.ones(grid, dtype=bool)
    forced = np.zeros(grid, dtype=bool)
    if sns is not None:
        _disconnect_inputs(eligible, magnitude, counts, shape, block, sns, density)
        # every connected block column keeps its strongest block
        moved = np.moveaxis(np.where(eligible, means, -np.inf), 1, 0).reshape(grid[1], -1)
        best = np.argmax(moved, axis=1)
        cols = np.nonzero(np.isfinite(moved[np.arange(grid[1]), best]))[0]
        forced_moved = np.zeros_like(moved, dtype=bool)
        forced_moved[cols, best[cols]] = True
        rest = tuple(g for i, g in enumerate(grid) if i != 1)
        forced = np.moveaxis(forced_moved.reshape(grid[1], *rest), 0, 1)

    keep_blocks = _select_blocks(means, counts, eligible, forced, density * math.prod(shape))

    # draw the surviving blocks only, then match each block's mean |w| to the one pruned on.
    # Blocks are drawn, scaled and scattered one slab of the first block axis at a time
    # (rows in memory order: far fewer cache and page misses; and no array of all the
    # kept values besides the weights). Drawing a slab at a time gives the same numbers
    # as one draw of all of them: the generator's stream is consumed in the same order.
    idx = np.nonzero(keep_blocks)
    kept_counts, kept_means = counts[keep_blocks], means[keep_blocks]
    w = np.zeros(padded, dtype=np.float32)
    wv = _block_view(w, grid, block)
    starts = np.searchsorted(idx[0], np.arange(grid[0] + 1))  # np.nonzero is row-major sorted
    for g0 in range(grid[0]):
        lo, hi = starts[g0], starts[g0 + 1]
        if lo == hi:
            continue
        values = rng.standard_normal((hi - lo, *block), dtype=np.float32)
        for ax, (s, b, g) in enumerate(zip(shape, block, grid)):
            last = idx[ax][lo:hi] == g - 1
            if s % b and last.any():  # zero the part of an edge block outside the layer (cropped below)
                cut = [slice(None)] * (nd + 1)
                cut[0] = np.nonzero(last)[0]
                cut[ax + 1] = slice(s - (g - 1) * b, None)
                values[tuple(cut)] = 0.0
        actual = np.abs(values).reshape(hi - lo, -1).sum(axis=1) / kept_counts[lo:hi]
        factor = (kept_means[lo:hi] / np.maximum(actual, 1e-12)).astype(np.float32)
        values *= factor.reshape((hi - lo,) + (1,) * nd)
        where = (slice(None),) + tuple(x for i in idx[1:] for x in (i[lo:hi], slice(None)))
        if nd == 2:  # a single advanced index stays in place: (B0, k, B1)
            values = values.transpose(1, 0, 2)
        wv[g0][where] = values
    if padded != shape:
        w = np.ascontiguousarray(w[tuple(slice(0, s) for s in shape)])
    return BlockSparse(w, keep_blocks, block)


def _disconnect_inputs(eligible, magnitude, counts, shape, block, sns, density) -> None:
    """Mark the weakest whole block columns (input axis 1) ineligible, closest to ``sns``."""
    nd = len(shape)
    grid = eligible.shape
    col_strength = magnitude.mean(axis=tuple(i for i in range(nd) if i != 1))
    col_width = np.full(grid[1], block[1])
    col_width[-1] = shape[1] - (grid[1] - 1) * block[1]
    order = np.argsort(col_strength, kind="stable")
    removed = np.concatenate([[0], np.cumsum(col_width[order])])  # inputs cut by the first j columns
    n_cols = int(np.argmin(np.abs(removed - sns * shape[1])))
    n_cols = min(n_cols, grid[1] - 1)  # always leave one column connected
    if n_cols:
        cut = [slice(None)] * nd
        cut[1] = order[:n_cols]
        eligible[tuple(cut)] = False
    available = counts[eligible].sum() / math.prod(shape)
    if density > available + 1e-12:
        raise ValueError(f"density {density} is larger than the {available:.4f} left after "
                         f"disconnecting input_neuron_sparsity={sns} of the inputs")


def _select_blocks(means, counts, eligible, forced, target: float) -> np.ndarray:
    """Keep the largest-mean eligible blocks (``forced`` ones first) whose total size is
    closest to ``target``."""
    lift = 2.0 * float(means.max()) + 1.0
    flat = np.where(eligible, means + lift * forced, -np.inf).ravel()
    order = np.argsort(-flat, kind="stable")
    cum = np.cumsum(counts.ravel()[order])
    k = int(np.searchsorted(cum, target)) + 1  # smallest prefix reaching the target
    k = min(k, int(eligible.sum()))
    if k > 1 and abs(cum[k - 2] - target) <= abs(cum[k - 1] - target):
        k -= 1
    keep = np.zeros(flat.size, dtype=bool)
    keep[order[:k]] = True
    return keep.reshape(means.shape)


def static_neuron_sparsity(keep: np.ndarray) -> float:
    """Fraction of input neurons (axis 1) with no kept weight at all."""
    keep = np.asarray(keep, dtype=bool)
    used = keep.any(axis=tuple(i for i in range(keep.ndim) if i != 1))
    return float(1.0 - used.mean())


def sparse_activations(shape, density: float, seed: int = 0, *, smooth: float = 1.0) -> np.ndarray:
    """Non-negative float32 array of ``shape`` with ``round(density * size)`` non-zeros."""
    density = _check_density("density", density)
    shape = tuple(int(s) for s in shape)
    if not shape or min(shape) < 1:
        raise ValueError(f"activation shape must have positive sizes, got {shape}")
    rng = _rng(seed, 1)
    f = rng.standard_normal(shape, dtype=np.float32)
    if len(shape) >= 3 and smooth > 0:
        sigma = [0.0] * (len(shape) - 2) + [smooth, smooth]
        f = gaussian_filter(f, sigma, mode="nearest")
        f /= f.std() or 1.0
    size = f.size
    k = min(size, max(1, round(density * size)))
    flat = f.ravel()
    if k == size:
        threshold = flat.min() - np.float32(0.5)
        return (f - threshold).astype(np.float32)
    part = np.argpartition(flat, size - k - 1)
    threshold = flat[part[size - k - 1]]  # the largest value that is cut
    out = np.zeros(size, dtype=np.float32)
    top = part[size - k:]
    out[top] = flat[top] - threshold
    # exact ties with the threshold would be zero; lift them to the smallest positive value
    out[top] = np.maximum(out[top], np.finfo(np.float32).tiny)
    return out.reshape(shape)


def measured_density(x: np.ndarray) -> float:
    """Fraction of non-zero entries."""
    return float(np.count_nonzero(x)) / max(1, np.size(x))


def to_fixed(x, frac_bits: int = 8) -> np.ndarray:
    """Q(15-f).f int16: round to nearest (ties to even), saturate to [-32768, 32767].
    NaN and infinity are refused (:class:`workloads.finite.NonFiniteError`)."""
    if isinstance(frac_bits, bool) or not isinstance(frac_bits, (int, np.integer)) or not 0 <= frac_bits <= 15:
        raise ValueError(f"frac_bits must be an integer in [0, 15], got {frac_bits!r}")
    a = np.asarray(x)
    problem = describe_nonfinite(a)
    if problem is not None:  # NaN would round to 0 and infinity saturate: never silently
        raise NonFiniteError(f"to_fixed: a tensor holds {problem}; every value must be finite")
    if a.dtype != np.float32:  # float32 stays float32: scaling by 2^f and rounding to int16 range are exact
        a = a.astype(np.float64)
    a = np.clip(a, -65536.0, 65536.0)  # saturates all the same, and 2^f x a cannot overflow
    scaled = np.rint(a * a.dtype.type(1 << frac_bits))
    np.clip(scaled, -32768, 32767, out=scaled)
    return scaled.astype(np.int16)


@dataclass(frozen=True)
class LayerTensors:
    """Tensors of one layer: ``weights`` (float32, ``layer.weight_shape``; empty for layers
    without weights), ``keep`` (bool mask of surviving weights), ``inputs`` (float32,
    ``(N, *shape)``; a list of such arrays for a layer with several inputs). ``extra``
    holds the layer's other parameters as used (``bias``, a batch norm's ``scale`` and
    ``shift``, an element-wise ``const``, a PReLU ``slope``, LSTM ``peepholes``...).
    ``source`` says where the weights and inputs came from and at what density
    (:func:`tensor_source`). ``kept``: the kept weights alone (``weights[keep]``,
    row-major) when ``weights`` is None (a compact run, :func:`iter_network`)."""

    layer: Layer
    weights: np.ndarray | None
    keep: np.ndarray
    inputs: np.ndarray
    seed: int = 0
    extra: dict = field(default_factory=dict)
    source: dict = field(default_factory=dict)
    kept: np.ndarray | None = None

    @property
    def weight_density(self) -> float:
        return float(self.keep.mean()) if self.keep.size else 1.0

    @property
    def input_density(self) -> float:
        if isinstance(self.inputs, (list, tuple)):
            return measured_density(np.concatenate([a.ravel() for a in self.inputs]))
        return measured_density(self.inputs)


def _recurrent_extra(layer: Layer, seed: int) -> dict:
    if isinstance(layer, LSTM):
        layer = layer.cell
    if not isinstance(layer, LSTMCell):
        return {}
    rng = _rng(seed, 3)
    extra = {}
    h = layer.hidden_size
    if layer.peepholes:
        extra["peepholes"] = (rng.standard_normal((3, h), dtype=np.float32) * np.float32(0.1))
    if layer.proj_size:
        extra["projection"] = (rng.standard_normal((layer.proj_size, h), dtype=np.float32)
                               * np.float32(math.sqrt(1.0 / h)))
    return extra


def layer_tensors(layer: Layer, weight_density: float = 1.0, input_density: float = 1.0,
                  block=None, seed: int = 0, *, batch: int = 1,
                  input_neuron_sparsity: float | None = None) -> LayerTensors:
    """Synthetic block-sparse weights and ReLU-like sparse inputs for one layer.

    For an LSTM cell ``weights`` is the stacked gate matrix (4H, I+R); its peephole and
    projection weights (dense) are in ``extra``. An ``Add`` gets one input per named input.
    """
    weight_density = _check_density("weight_density", weight_density)
    input_density = _check_density("input_density", input_density)
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ValueError(f"batch must be an integer >= 1, got {batch!r}")
    _rng(seed)
    if layer.weight_shape:
        w, keep = block_sparse_weights(layer.weight_shape, weight_density, block, seed,
                                       input_neuron_sparsity=input_neuron_sparsity)
    else:
        w, keep = np.zeros((0,), np.float32), np.zeros((0,), bool)
    inputs = _synthetic_inputs(layer, (batch,), input_density, seed)
    return LayerTensors(layer, w, keep, inputs, seed, _recurrent_extra(layer, seed))


def _synthetic_inputs(layer: Layer, lead: tuple, density: float, seed: int):
    """ReLU-like inputs of ``layer`` (one array per input of a layer with several)."""
    if layer.multi_input:
        count = max(len(layer.inputs), getattr(layer, "operands", 0), len(getattr(layer, "input_shapes", ())))
        return [sparse_activations((*lead, *layer.input_shape_of(k)), density, seed + 7919 * k)
                for k in range(count)]
    return sparse_activations((*lead, *layer.input_shape), density, seed)


def layer_sparsity(network: str, layer: Layer) -> dict[str, float]:
    """Measured (sss, sns, dns) for a layer of a zoo network, as fractions.

    Networks without a row of their own use :data:`SPARSITY_SUBSTITUTES`; networks with
    neither (lstm, gru, imported models) are dense with no forced zeros.
    """
    row = MEASURED_SPARSITY.get(SPARSITY_SUBSTITUTES.get(network, network))
    prefix = "conv" if layer.kind == "conv" else "fc"
    if row is None or row[f"{prefix}_sss"] is None:
        return dict(sss=0.0, sns=0.0, dns=0.0)
    return dict(sss=row[f"{prefix}_sss"], sns=row[f"{prefix}_sns"], dns=row[f"{prefix}_dns"])


def measured_layer_tensors(network: str, layer: Layer | str, seed: int = 0, *, batch: int = 1,
                           block=None) -> LayerTensors:
    """:func:`layer_tensors` at the measured SSS, SNS and DNS of a zoo network's layer kind
    (:func:`layer_sparsity`), without running the network (synthetic ReLU-like inputs)."""
    if isinstance(layer, str):
        from workloads.zoo import get_network
        layer = get_network(network).layer(layer)
    sp = layer_sparsity(network, layer)
    sns = sp["sns"] if layer.weight_shape else None
    return layer_tensors(layer, 1.0 - sp["sss"], 1.0 - sp["dns"], block, seed, batch=batch,
                         input_neuron_sparsity=sns)


@dataclass(frozen=True)
class NetworkRun:
    """Result of :func:`run_network`: per layer name, the weights, keep masks, outputs and
    the ReLU biases used; ``outputs['input']`` is the network input (of a connected
    network; independent layers have their own in ``inputs``); ``sources`` is each
    layer's :func:`tensor_source`."""

    network: Network
    seed: int
    weights: dict
    keep: dict
    outputs: dict
    relu_bias: dict
    extra: dict
    inputs: dict = field(default_factory=dict)
    sources: dict = field(default_factory=dict)

    def layer_inputs(self, name: str):
        if not self.network.connected:
            return self.inputs[name]
        srcs = self.network.producers(name)
        arrays = [self.outputs[s] for s in srcs]
        return arrays if self.network.layer(name).multi_input else arrays[0]

    def tensors(self, name: str) -> LayerTensors:
        layer = self.network.layer(name)
        w = self.weights.get(name, np.zeros((0,), np.float32))
        keep = self.keep.get(name, np.zeros((0,), bool))
        return LayerTensors(layer, w, keep, self.layer_inputs(name), self.seed, self.extra.get(name, {}),
                            self.sources.get(name, {}))


# --------------------------------------------------------------------------- weights of a run
PRUNE_METHODS = ("coarse", "fine")


@dataclass(frozen=True)
class PruneSpec:
    """Pruning applied to every weighted layer before a run: ``method`` coarse (whole
    blocks, ``block`` or the layer kind's default block of
    :mod:`workloads.compress.prune`) or fine (single weights), keeping ``density``."""

    method: str
    density: float
    block: tuple | None = None

    def __post_init__(self) -> None:
        if self.method not in PRUNE_METHODS:
            raise ValueError(f"prune method must be one of {', '.join(PRUNE_METHODS)}, got {self.method!r}")
        object.__setattr__(self, "density", _check_density("weight density", self.density))
        if self.block is not None:
            if self.method == "fine":
                raise ValueError("a block applies to coarse pruning only (fine pruning removes single weights)")
            block = tuple(int(b) for b in self.block)
            if len(block) not in (2, 4) or min(block) < 1:
                raise ValueError(f"block must be 4 positive sizes (B_fout, B_fin, Bx, By: convolutions) or 2 "
                                 f"(B_out, B_in: FC and recurrent layers), got {self.block!r}")
            object.__setattr__(self, "block", block)

    def block_for(self, layer: Layer) -> tuple[int, ...]:
        """The block pruning ``layer``'s weights: fine -> single weights; a given block
        applies to the layers whose weights have as many axes (4: convolutions, 2: FC and
        recurrent), clipped to each layer's size; other layers get their kind's default."""
        from workloads.compress.prune import default_block as prune_block
        shape = layer.weight_shape
        if self.method == "fine":
            return (1,) * len(shape)
        if self.block is None or len(self.block) != len(shape):
            return prune_block("fc" if len(shape) == 2 else "conv", shape)
        return tuple(min(b, s) for b, s in zip(self.block, shape))


WEIGHT_MODES = ("auto", "synthetic")


def model_weights(layer: Layer) -> bool:
    """True when a weighted layer carries trained weights (not a placeholder)."""
    src = layer.param("weight")
    return src is not None and not is_placeholder(src) and getattr(src, "loadable", True)


def _model_extra(layer: Layer) -> dict:
    """The layer's own non-weight parameters, loaded (biases, peepholes, ...)."""
    extra = {}
    for key, src in (layer.params or {}).items():
        if key == "weight" or not getattr(src, "loadable", True):
            continue
        extra[key] = param_array(src)
    return extra


def _forward_kwargs(layer: Layer, extra: dict) -> dict:
    """Keyword arguments of :func:`workloads.forward.forward` from a layer's parameters."""
    if layer.kind in ("lstm", "gru"):
        rec = {k: extra[k] for k in ("peepholes", "projection", "recurrent_bias") if k in extra}
        return {"extra": rec} if rec else {}
    if layer.kind in ("add", "mul") and "const" in extra:
        return {"const": extra["const"]}
    if layer.kind == "act" and "slope" in extra:
        return {"slope": extra["slope"]}
    return {}


def check_network_input(network: Network, x, where: str = "input") -> np.ndarray:
    """A user's network input as float32 ``(N, *network.input_shape)`` (a single sample
    without the batch axis is accepted); a wrong shape raises naming the expected one."""
    x = np.asarray(x)
    if x.dtype.kind not in "fiub":
        raise ValueError(f"{where}: must hold numbers, got dtype {x.dtype}")
    want = tuple(network.input_shape)
    if x.shape == want:
        x = x[None]
    if x.ndim != len(want) + 1 or x.shape[1:] != want or x.shape[0] < 1:
        raise ValueError(f"{where}: shape {x.shape} does not fit network {network.name}; expected "
                         f"(N, {', '.join(map(str, want))}) or ({', '.join(map(str, want))})")
    x = x.astype(np.float32)
    if not np.isfinite(x).all():
        raise ValueError(f"{where}: holds NaN or infinite values")
    return x


# --------------------------------------------------------------------------- network runs
def _next_weighted(network: Network, name: str, consumers: dict | None = None) -> Layer | None:
    """The first weighted layer reached from ``name``'s output along the graph (breadth
    first over readers, in run order)."""
    consumers = consumers if consumers is not None else network.consumers()
    seen, queue = {name}, list(consumers.get(name, ()))
    while queue:
        nxt = queue.pop(0)
        if nxt in seen:
            continue
        seen.add(nxt)
        layer = network.layer(nxt)
        if layer.kind in WEIGHTED_KINDS:
            return layer
        queue.extend(consumers.get(nxt, ()))
    return None


def _last_uses(network: Network) -> dict[str, int]:
    """Position in run order of the last layer reading each output."""
    last: dict[str, int] = {}
    for i, layer in enumerate(network.order):
        for src in network.producers(layer.name):
            last[src] = i
    return last


@dataclass(frozen=True)
class LayerStep:
    """One layer of a network run: its tensors, its output, and the ReLU bias it used."""
    tensors: LayerTensors
    output: np.ndarray
    relu_bias: float | None = None


def tensor_source(weights_source: str | None, keep: np.ndarray, inputs, activations_source: str,
                  density=None, input_target=None) -> dict:
    """Provenance of one layer's tensors, as the columns of its result row.

    ``weights_source``: ``synthetic`` (generated block-sparse), or ``model``/``pruned``
    for weights a model brings, None for a layer without weights; ``weight_density``: the
    fraction of weights kept, measured on the mask; ``density_source`` and
    ``density_origin``: where the weight density target came from
    (:data:`workloads.density.DENSITY_SOURCES`; None for a model's own weights).
    ``activations_source``: ``synthetic`` (generated at a target density),
    ``model-input`` (the network input the user gave) or ``forward`` (the outputs of
    earlier layers of the network run); ``input_density``: the fraction of non-zero inputs, measured;
    ``input_density_source``/``input_density_origin``: where the input density target
    came from (None when the input was not steered to a target). ``density`` and
    ``input_target`` are the :class:`workloads.density.LayerDensity` of the weights and of
    the input (``input_target`` None: not steered).
    """
    has_weights = weights_source is not None
    xs = inputs if isinstance(inputs, (list, tuple)) else [inputs]
    nonzero = sum(int(np.count_nonzero(a)) for a in xs)
    size = sum(int(np.size(a)) for a in xs)
    return {
        "weights_source": weights_source,
        "weight_density": float(np.mean(keep)) if has_weights and np.size(keep) else None,
        "density_source": density.weight_source if has_weights and density is not None else None,
        "density_origin": density.weight_origin if has_weights and density is not None else None,
        "activations_source": activations_source,
        "input_density": nonzero / max(1, size),
        "input_density_source": input_target.input_source if input_target is not None else None,
        "input_density_origin": input_target.input_origin if input_target is not None else None,
    }


class WeightedStep(NamedTuple):
    """A weighted layer of a reference run: its weights (None when only the kept ones
    were taken out, ``kept``), keep mask, other parameters, output, the source of the
    weights and the density target they were made for."""
    weights: np.ndarray | None
    keep: np.ndarray
    kept: np.ndarray | None
    extra: dict
    output: np.ndarray
    source: str
    density: Any


#: Layer kinds whose weights a compact run hands over as the kept ones alone.
COMPACT_KINDS = ("conv", "fc")


def _weighted_step(layer: Layer, x, d, block, layer_seed: int, weights: str = "auto",
                   prune: PruneSpec | None = None, compact: bool = False) -> WeightedStep:
    """The weights of a weighted layer and its output (:class:`WeightedStep`).

    The model's own weights when the layer carries trained ones (``weights="auto"``),
    pruned by ``prune`` if given; otherwise synthetic block-sparse weights at ``d.weight``
    (SNS ``d.sns``; with ``prune``: at its density in its blocks), the weights and the
    output scaled once so that the output has unit RMS. ``compact`` (a convolution or an
    FC layer): only the kept weights are handed over, and synthetic ones are taken out
    one row of blocks at a time before the keep mask is built, so that the dense
    weights never exist beside their full mask (for VGG-16's fc6: 411 MB of weights,
    103 MB of mask, 41 MB kept)."""
    from workloads.compress.prune import prune as prune_weights
    from workloads.density import OPTION, LayerDensity
    compact = compact and layer.kind in COMPACT_KINDS
    if prune is not None:
        d = LayerDensity(prune.density, d.input, OPTION, d.input_source,
                         f"--prune {prune.method} --weight-density {prune.density}", d.input_origin)
    if weights == "auto" and model_weights(layer):
        w = param_array(layer.param("weight"))
        if w.shape != layer.weight_shape:
            raise ValueError(f"{layer.name}: its weights have shape {w.shape}, expected {layer.weight_shape}")
        extra = _model_extra(layer)
        source = "model"
        keep = w != 0
        if prune is not None:
            res = prune_weights(w, 1.0 - prune.density, prune.block_for(layer))
            w, keep, source = res.weights, res.keep, "pruned"
        y = forward(layer, x, w, extra.get("bias"), **_forward_kwargs(layer, extra))
        if compact:
            return WeightedStep(None, keep, w[keep], extra, y, source, d)
        return WeightedStep(w, keep, None, extra, y, source, d)
    if prune is not None:
        lay_block, sns = prune.block_for(layer), None
    else:
        chosen = block.get(layer.name) if isinstance(block, dict) else block
        lay_block, sns = (chosen if chosen is not None else default_block(layer.weight_shape)), d.sns
    pruned = block_sparse(layer.weight_shape, d.weight, lay_block, layer_seed, input_neuron_sparsity=sns)
    extra = _recurrent_extra(layer, layer_seed)
    y = forward(layer, x, pruned.weights, **_forward_kwargs(layer, extra))
    rms = float(np.sqrt(np.mean(np.square(y, dtype=np.float64))))
    if rms > 0:
        pruned.weights[...] *= np.float32(1.0 / rms)
        y *= np.float32(1.0 / rms)
    if not compact:
        return WeightedStep(pruned.weights, pruned.keep(), None, extra, y, "synthetic", d)
    kept, blocks, used = pruned.kept(), pruned.blocks, pruned.block
    del pruned  # the dense weights go before the full mask is built
    keep = np.ascontiguousarray(expand_blocks(blocks, used, layer.weight_shape))
    return WeightedStep(None, keep, kept, extra, y, "synthetic", d)


def _layer_seed(seed: int, index: int) -> int:
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


def _check_batches(network: Network, batches) -> dict[str, int]:
    batches = dict(batches or {})
    for name, b in batches.items():
        network.layer(name)
        if isinstance(b, bool) or not isinstance(b, int) or b < 1:
            raise ValueError(f"layer {name}: batch must be an integer >= 1, got {b!r}")
    return batches


def iter_network(network: Network, seed: int = 0, *, batch: int = 1, sparsity: str | None = None,
                 block=None, keep_outputs: bool = True, densities=None, batches=None, inputs=None,
                 weights: str = "auto", prune: PruneSpec | None = None, compact: bool = False):
    """Run every layer once, in dependency order (:attr:`Network.order`), yielding a
    :class:`LayerStep` per layer.

    Weights: a layer carrying trained weights (an imported model's, ``weights="auto"``)
    computes with them (their zeros are its static sparsity), after ``prune`` if given;
    any other weighted layer gets synthetic block-sparse weights at its target density,
    scaled once so that its output has unit RMS. ``densities`` maps layer names to
    :class:`workloads.density.LayerDensity` targets (default:
    :func:`workloads.density.plan_densities` of the network, i.e. the measured rates of
    the :data:`MEASURED_SPARSITY` row ``sparsity``, default the network's name); with
    ``prune`` synthetic weights are generated at ``prune.density`` in its blocks.
    ``block`` (synthetic weights without ``prune``) is one pruning block for every
    weighted layer, or a mapping of layer names to blocks (a layer it does not name gets
    :func:`default_block`).

    A connected network: activations are a forward pass from ``inputs`` (an array
    ``(N, *network.input_shape)``, checked by :func:`check_network_input`) or from a
    deterministic synthetic input at the input density of the first weighted layer. A
    ReLU is biased so that the zeros reaching the next weighted layer along the graph are
    that layer's target (a plain ReLU when that target is the dense default, or when the
    input is the user's). With ``keep_outputs=False`` an output is dropped as soon as no
    later layer reads it and weights are loaded one layer at a time, so that a large
    network runs in the memory of a few layers. With ``compact=True`` a convolution or FC
    layer hands over its kept weights alone (:attr:`LayerTensors.kept`; ``weights`` None),
    the same values as ``weights[keep]`` of a run without it.

    Independent layers (``network.connected`` false, e.g. a SCALE-Sim topology): every
    layer gets its own synthetic input at its input density, ``batch`` times the layer's
    own batch in ``batches`` (default 1), and nothing passes between layers.
    """
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ValueError(f"batch must be an integer >= 1, got {batch!r}")
    if weights not in WEIGHT_MODES:
        raise ValueError(f"weights must be one of {', '.join(WEIGHT_MODES)}, got {weights!r}")
    if densities is None:
        from workloads.density import plan_densities
        densities = plan_densities(network, sparsity=sparsity)
    missing = [layer.name for layer in network.layers if layer.name not in densities]
    if missing:
        raise ValueError(f"network {network.name}: no densities for layer(s) {missing}")
    batches = _check_batches(network, batches)
    if not network.connected:
        if inputs is not None:
            raise ValueError(f"network {network.name}: independent layers have no network input to give")
        yield from _iter_independent(network, seed, batch, block, densities, batches, weights, prune, compact)
        return
    if batches:
        raise ValueError(f"network {network.name}: per-layer batches apply to independent layers only")
    from workloads.density import DENSE
    weighted = network.weighted_layers()
    first = weighted[0] if weighted else network.order[0]
    if inputs is not None:
        x0, origin = check_network_input(network, inputs), "model-input"
    else:
        x0, origin = sparse_activations((batch, *network.input_shape), densities[first.name].input, seed), "synthetic"
    outputs = {NETWORK_INPUT: x0}
    last = _last_uses(network)
    consumers = network.consumers()
    for i, layer in enumerate(network.order):
        srcs = network.producers(layer.name)
        x = [outputs[s] for s in srcs] if layer.multi_input else outputs[srcs[0]]
        layer_seed = _layer_seed(seed, network.index(layer.name))
        d = densities[layer.name]
        w, keep, kept, extra, bias, wsource = np.zeros((0,), np.float32), np.zeros((0,), bool), None, {}, None, None
        if layer.weight_shape:
            w, keep, kept, extra, y, wsource, d = _weighted_step(layer, x, d, block, layer_seed, weights, prune,
                                                                 compact)
        else:
            extra = _model_extra(layer)
            if isinstance(layer, Activation) and layer.function == "relu":
                consumer = _next_weighted(network, layer.name, consumers)
                bias = 0.0
                if (inputs is None and consumer is not None and densities[consumer.name].input_source != DENSE
                        and not model_weights(consumer)):
                    dns = 1.0 - densities[consumer.name].input
                    bias = -float(np.quantile(x, dns)) if dns > 0 else -float(np.min(x)) + 1e-6
                y = forward(layer, np.asarray(x) + np.float32(bias))
            elif layer.kind == "bn":
                y = forward(layer, x, extra.get("scale"), extra.get("shift"))
            else:
                y = forward(layer, x, **_forward_kwargs(layer, extra))
        from_input = NETWORK_INPUT in srcs
        target = (densities[first.name] if origin == "synthetic" else None) if from_input else \
            d if wsource == "synthetic" else None
        source = tensor_source(wsource, keep, x, origin if from_input else "forward",
                               d if wsource in ("synthetic", "pruned") else None, target)
        step = [LayerStep(LayerTensors(layer, w, keep, x, seed, extra, source, kept), y, bias)]
        del w, keep, kept, x, extra  # the step holds the layer's tensors alone (freed with it)
        yield step.pop()  # nothing here holds it while the consumer works: it may drop the weights
        outputs[layer.name] = y
        if not keep_outputs:
            for name in [n for n in outputs if last.get(n, -1) <= i and n != layer.name]:
                del outputs[name]


def _iter_independent(network: Network, seed: int, batch: int, block, densities, batches, weights="auto",
                      prune=None, compact: bool = False):
    for i, layer in enumerate(network.layers):
        layer_seed = _layer_seed(seed, i)
        d = densities[layer.name]
        x = _synthetic_inputs(layer, (batch * batches.get(layer.name, 1),), d.input, layer_seed)
        w, keep, kept, extra, wsource, dw = np.zeros((0,), np.float32), np.zeros((0,), bool), None, {}, None, d
        if layer.weight_shape:
            w, keep, kept, extra, y, wsource, dw = _weighted_step(layer, x, d, block, layer_seed, weights, prune,
                                                                  compact)
        else:
            y = forward(layer, x)
        source = tensor_source(wsource, keep, x, "synthetic", dw if wsource in ("synthetic", "pruned") else None, d)
        step = [LayerStep(LayerTensors(layer, w, keep, x, seed, extra, source, kept), y, None)]
        w = keep = kept = extra = x = y = None  # the consumer holds the step; it may drop the weights while it works
        yield step.pop()


def run_network(network: Network, seed: int = 0, *, batch: int = 1, sparsity: str | None = None,
                block=None, densities=None, batches=None, inputs=None, weights: str = "auto",
                prune: PruneSpec | None = None) -> NetworkRun:
    """Run every layer (see :func:`iter_network`) and keep every weight and output."""
    weights_d, keeps, biases, extras, layer_inputs, sources = {}, {}, {}, {}, {}, {}
    outputs: dict = {}
    for step in iter_network(network, seed, batch=batch, sparsity=sparsity, block=block,
                             densities=densities, batches=batches, inputs=inputs, weights=weights, prune=prune):
        t = step.tensors
        name = t.layer.name
        if network.connected and not outputs:
            srcs = network.producers(name)
            outputs[NETWORK_INPUT] = t.inputs[srcs.index(NETWORK_INPUT)] if t.layer.multi_input else t.inputs
        if not network.connected:
            layer_inputs[name] = t.inputs
        if t.layer.weight_shape:
            weights_d[name], keeps[name] = t.weights, t.keep
        if t.extra:
            extras[name] = t.extra
        if step.relu_bias is not None:
            biases[name] = step.relu_bias
        outputs[name] = step.output
        sources[name] = t.source
    return NetworkRun(network, seed, weights_d, keeps, outputs, biases, extras, layer_inputs, sources)


def network_activations(network: Network, seed: int = 0, **kwargs) -> dict[str, np.ndarray]:
    """Output of every layer (and 'input') from :func:`run_network`, keyed by layer name."""
    return run_network(network, seed, **kwargs).outputs


def network_layer_tensors(network: Network, seed: int = 0, **kwargs) -> dict[str, LayerTensors]:
    """Per layer: its run's weights and keep mask, and the inputs it really received."""
    run = run_network(network, seed, **kwargs)
    return {layer.name: run.tensors(layer.name) for layer in network.layers}

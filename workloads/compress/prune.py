"""Coarse-grained magnitude pruning (docs/hardware.md §2.1).

A window of ``block`` elements slides over a weight tensor with ``stride``; a window
whose score (mean |w| or max |w|) is among the lowest is removed whole, i.e. every
weight it covers is set to zero. Windows are removed in ascending order of score until
the removed fraction is as close as possible to the target sparsity. Block size 1 on
every axis is ordinary fine-grained pruning.

Layouts (the same as :mod:`workloads.sparsity`):

- fully connected: weights ``(N_out, N_in)``, block ``(B_out, B_in)``;
- convolution: weights ``(C_out, C_in/groups, Kh, Kw)``, block
  ``(B_fout, B_fin, Bx, By)``. docs/hardware.md §2.1's conv block ``(B_fin, B_fout, Bx, By) = (1, 16, 1, 1)``
  is ``(16, 1, 1, 1)`` in this order: 16 neighbouring output channels share one index.

Simplifications, stated here once:

- A window that runs past the end of an axis is truncated (its score uses only the
  weights it covers); windows that would only repeat part of the previous window are
  not generated. With ``stride < block`` windows overlap and a weight is removed when
  any window covering it is removed.
- Ties in score are broken by window position (row-major), so results are deterministic.
- Pruning never revives a weight: weights already zero stay zero, so iterating the
  pruner with a growing target keeps earlier masks (what fine-tuning between rounds
  needs).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

CRITERIA = ("mean", "max")

#: Default block per layer kind, in the weight layout above (docs/hardware.md §2.1 "typical blocks").
DEFAULT_BLOCK = {"fc": (32, 32), "conv": (16, 1, 1, 1)}


@dataclass(frozen=True)
class PruneResult:
    """Outcome of pruning one weight tensor.

    ``keep`` is the boolean mask of surviving weights; ``weights`` the tensor with the
    removed weights set to zero; ``density`` the measured fraction kept (0..1).
    """

    weights: np.ndarray
    keep: np.ndarray
    block: tuple[int, ...]
    stride: tuple[int, ...]
    criterion: str

    @property
    def density(self) -> float:
        return float(self.keep.mean()) if self.keep.size else 1.0

    @property
    def sparsity(self) -> float:
        return 1.0 - self.density


def default_block(kind: str, shape: Sequence[int]) -> tuple[int, ...]:
    """The default block (docs/hardware.md §2.1) for a layer ``kind`` ("fc" or "conv"), clipped to ``shape``.

    Clipping matters for small layers (LeNet-5's first conv has 6 output channels, fewer
    than the 16 of the default block); an explicit block is never clipped, it is checked.
    """
    if kind not in DEFAULT_BLOCK:
        raise ValueError(f"layer kind {kind!r} has no weight block; allowed kinds: {sorted(DEFAULT_BLOCK)}")
    block = DEFAULT_BLOCK[kind]
    if len(block) != len(shape):
        raise ValueError(f"a {kind} layer needs a {len(block)}-D weight tensor, got shape {tuple(shape)}")
    return tuple(min(b, int(d)) for b, d in zip(block, shape))


def check_block(shape: Sequence[int], block: Sequence[int], name: str = "block") -> tuple[int, ...]:
    """Validate a block (or stride) against a weight shape; return it as a tuple of ints."""
    shape = tuple(int(d) for d in shape)
    block = tuple(int(b) for b in block)
    if len(block) != len(shape):
        raise ValueError(f"{name} {block} has {len(block)} axes but the weights have shape {shape} "
                         f"({len(shape)} axes)")
    for axis, (b, d) in enumerate(zip(block, shape)):
        if b < 1:
            raise ValueError(f"{name} {block}: axis {axis} is {b}; every entry must be >= 1")
        if b > d:
            raise ValueError(f"{name} {block} is larger than the layer: axis {axis} is {b} but the "
                             f"weights have only {d} there (shape {shape}); allowed 1..{d}")
    return block


def check_sparsity(sparsity: float) -> float:
    """A target sparsity must lie in [0, 1) (density in (0, 1])."""
    s = float(sparsity)
    if not (0.0 <= s < 1.0) or np.isnan(s):
        raise ValueError(f"sparsity {sparsity} is outside its range [0, 1) "
                         f"(density = 1 - sparsity must be in (0, 1])")
    return s


def check_density(density: float) -> float:
    """A target density must lie in (0, 1]."""
    d = float(density)
    if not (0.0 < d <= 1.0) or np.isnan(d):
        raise ValueError(f"density {density} is outside its range (0, 1]")
    return d


def _window_counts(shape, block, stride) -> tuple[int, ...]:
    """Number of window starts per axis: 0, s, 2s, ... up to the first that reaches the end."""
    return tuple(1 + max(0, -(-(d - b) // s)) for d, b, s in zip(shape, block, stride))


def window_scores(weights: np.ndarray, block: Sequence[int], stride: Sequence[int] | None = None,
                  criterion: str = "mean") -> np.ndarray:
    """Score of every window (mean or max of |w| over the weights it covers).

    Returns an array with one entry per window position (one axis per weight axis).
    """
    if criterion not in CRITERIA:
        raise ValueError(f"criterion {criterion!r} is not allowed; allowed: {', '.join(CRITERIA)}")
    w = np.abs(np.asarray(weights, dtype=np.float64))
    block = check_block(w.shape, block)
    stride = check_block(w.shape, stride if stride is not None else block, "stride")
    counts = _window_counts(w.shape, block, stride)
    padded_shape = tuple((n - 1) * s + b for n, s, b in zip(counts, stride, block))
    padded = np.full(padded_shape, np.nan)
    padded[tuple(slice(0, d) for d in w.shape)] = w
    windows = np.lib.stride_tricks.sliding_window_view(padded, block)
    windows = windows[tuple(slice(None, None, s) for s in stride)]
    axes = tuple(range(w.ndim, 2 * w.ndim))
    if criterion == "mean":
        return np.nanmean(windows, axis=axes)
    return np.nanmax(windows, axis=axes)


def _removed_mask(removed_windows: np.ndarray, shape, block, stride) -> np.ndarray:
    """Element mask (True = removed) covered by the removed windows (separable box dilation)."""
    counts = removed_windows.shape
    padded_shape = tuple((n - 1) * s + b for n, s, b in zip(counts, stride, block))
    starts = np.zeros(padded_shape, dtype=np.int64)
    starts[tuple(slice(0, (n - 1) * s + 1, s) for n, s in zip(counts, stride))] = removed_windows
    cover = starts
    for axis, b in enumerate(block):
        if b == 1:
            continue
        c = np.cumsum(cover, axis=axis)
        shifted = np.zeros_like(c)
        src = [slice(None)] * c.ndim
        dst = [slice(None)] * c.ndim
        src[axis] = slice(0, c.shape[axis] - b)
        dst[axis] = slice(b, None)
        shifted[tuple(dst)] = c[tuple(src)]
        cover = c - shifted
    return cover[tuple(slice(0, d) for d in shape)] > 0


def _fine_removed(scores: np.ndarray, want: float) -> np.ndarray:
    """Fine-grained: remove the round(want) smallest scores; ties at the threshold go in
    position order (the result a stable sort would give, in O(n) with a partition)."""
    n = scores.size
    k = int(min(max(round(want), 0), n - 1))
    flat = scores.ravel()
    removed = np.zeros(n, dtype=bool)
    if k > 0:
        threshold = np.partition(flat, k - 1)[k - 1]
        below = flat < threshold
        removed |= below
        ties = np.flatnonzero(flat == threshold)[:k - int(below.sum())]
        removed[ties] = True
    return removed.reshape(scores.shape)


def _block_removed(w, want, block, stride, criterion) -> np.ndarray:
    """Remove whole windows in ascending score order until closest to ``want`` weights."""
    scores = window_scores(w, block, stride, criterion)
    order = np.argsort(scores, axis=None, kind="stable")
    total = w.size
    if stride == block:
        # Non-overlapping windows: removed count of the first k windows is a prefix sum of
        # window sizes (edge windows are truncated).
        extents = [np.minimum(b, d - np.arange(n) * b) for d, b, n in zip(w.shape, block, scores.shape)]
        sizes = extents[0]
        for e in extents[1:]:
            sizes = np.multiply.outer(sizes, e)
        removed = np.concatenate([[0], np.cumsum(np.asarray(sizes).ravel()[order])])

        def removed_count(k: int) -> int:
            return int(removed[k])
    else:
        def removed_count(k: int) -> int:
            sel = np.zeros(scores.size, dtype=np.int64)
            sel[order[:k]] = 1
            return int(_removed_mask(sel.reshape(scores.shape), w.shape, block, stride).sum())

    # Smallest k whose removal reaches the target; then pick k or k-1, whichever is closer.
    lo, hi = 0, scores.size
    while lo < hi:
        mid = (lo + hi) // 2
        if removed_count(mid) >= want:
            hi = mid
        else:
            lo = mid + 1
    k = lo
    if k > 0 and abs(removed_count(k - 1) - want) <= abs(removed_count(k) - want):
        k -= 1
    if removed_count(k) >= total:  # never remove the whole layer (density must stay > 0)
        k -= 1
    sel = np.zeros(scores.size, dtype=bool)
    sel[order[:max(k, 0)]] = True
    grid = sel.reshape(scores.shape)
    if stride == block:
        for axis, b in enumerate(block):
            grid = np.repeat(grid, b, axis=axis)
        return grid[tuple(slice(0, d) for d in w.shape)]
    return _removed_mask(grid.astype(np.int64), w.shape, block, stride)


def prune(weights: np.ndarray, sparsity: float, block: Sequence[int] | None = None,
          stride: Sequence[int] | None = None, criterion: str = "mean",
          kind: str | None = None) -> PruneResult:
    """Prune ``weights`` to ``sparsity`` (fraction removed, in [0, 1)) in whole blocks.

    ``block`` defaults to :func:`default_block` for ``kind`` ("fc"/"conv", inferred from
    the number of axes when not given); ``stride`` defaults to ``block`` (non-overlapping
    windows). The measured sparsity is the reachable one closest to the target (it is
    exact up to one block's worth of weights).
    """
    w = np.asarray(weights, dtype=np.float32)
    target = check_sparsity(sparsity)
    if block is None:
        kind = kind or {2: "fc", 4: "conv"}.get(w.ndim)
        if kind is None:
            raise ValueError(f"cannot infer a default block for a {w.ndim}-D weight tensor; give block=")
        block = default_block(kind, w.shape)
    block = check_block(w.shape, block)
    stride = check_block(w.shape, stride if stride is not None else block, "stride")
    if any(s > b for s, b in zip(stride, block)):
        raise ValueError(f"stride {stride} is larger than block {block} on some axis; weights "
                         f"between windows would never be scored (allowed 1..block)")
    total = w.size
    want = target * total
    if all(b == 1 for b in block):
        keep = ~_fine_removed(np.abs(w), want)
    else:
        keep = ~_block_removed(w, want, block, stride, criterion)
    keep &= w != 0  # weights already pruned stay pruned
    return PruneResult(weights=np.where(keep, w, np.float32(0)), keep=keep, block=block,
                       stride=stride, criterion=criterion)


def sparsity_schedule(target: float, rounds: int) -> list[float]:
    """Targets for iterative pruning: each round removes the same fraction of what is left.

    Round i (1-based) reaches sparsity ``1 - (1 - target) ** (i / rounds)``; the last is
    exactly ``target``.
    """
    target = check_sparsity(target)
    if rounds < 1:
        raise ValueError(f"rounds={rounds}; allowed rounds >= 1")
    return [1.0 - (1.0 - target) ** (i / rounds) for i in range(1, rounds + 1)]


def iterative_prune(weights: np.ndarray, target: float, rounds: int = 4,
                    block: Sequence[int] | None = None, stride: Sequence[int] | None = None,
                    criterion: str = "mean",
                    retrain: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None) -> PruneResult:
    """Prune in ``rounds`` steps up to ``target`` sparsity, calling ``retrain(weights, keep)``
    (which returns new weights, zero where ``keep`` is False) between rounds."""
    w = np.asarray(weights, dtype=np.float32)
    result = None
    for step in sparsity_schedule(target, rounds):
        result = prune(w, step, block, stride, criterion)
        w = result.weights
        if retrain is not None:
            w = np.where(result.keep, np.asarray(retrain(w, result.keep), dtype=np.float32), 0).astype(np.float32)
    assert result is not None
    return PruneResult(weights=w, keep=result.keep, block=result.block, stride=result.stride,
                       criterion=criterion)

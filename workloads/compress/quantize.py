"""Local and global weight quantization by k-means (SPEC section 5, step 2).

*Local* quantization splits a layer's weight matrix into sub-matrices and clusters the
surviving (non-pruned) weights of each sub-matrix into K centroids: one codebook per
sub-matrix, one ``ceil(log2 K)``-bit code per surviving weight. *Global* quantization is
the same with a single sub-matrix (one codebook per layer), for comparison.

Clustering is a deterministic 1-D Lloyd's algorithm with k-means++ seeding drawn from
``numpy.random.default_rng(seed)``: the same weights and seed give the same codebooks.

Sub-matrices. A 2-D view of the weights is used: ``(N_out, N_in)`` for FC and
``(C_out, C_in/groups*Kh*Kw)`` for conv. It is cut into a grid of ``rows x cols``
sub-matrices, as square as the requested count allows (64 -> 8 x 8), and never into
pieces that would hold fewer than ``min_weights_per_codebook`` surviving weights on
average (tiny layers get fewer sub-matrices, down to one). Ragged edges are spread
evenly (``numpy.array_split``).

Choosing K. :func:`choose_k` returns the smallest K from ``candidates`` whose
quantization meets the criterion: by default the relative RMS error of the surviving
weights, ``||w - q(w)|| / ||w|| <= max_rel_error``; a caller with trained weights passes
its own ``accept(dequantized) -> bool`` (e.g. "accuracy drop <= 0.5 points").
Codebook entries are stored as 32-bit floats (4 bytes each).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

CODEBOOK_ENTRY_BYTES = 4  # float32 centroids
DEFAULT_K_CANDIDATES = (2, 4, 8, 16, 32, 64, 128, 256)


def kmeans_1d(values: np.ndarray, k: int, seed: int = 0, iterations: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Cluster 1-D ``values`` into at most ``k`` centroids.

    Returns ``(centroids float32 sorted ascending, codes int)``. When there are fewer
    distinct values than ``k`` the codebook is the distinct values (exact).
    """
    x = np.asarray(values, dtype=np.float64).ravel()
    if k < 1:
        raise ValueError(f"k={k}; allowed k >= 1")
    if x.size == 0:
        return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
    distinct = np.unique(x)
    if distinct.size <= k:
        codes = np.searchsorted(distinct, x)
        return distinct.astype(np.float32), codes.astype(np.int64)
    rng = np.random.default_rng(seed)
    # k-means++ seeding
    centroids = [x[rng.integers(x.size)]]
    d2 = (x - centroids[0]) ** 2
    for _ in range(1, k):
        total = d2.sum()
        if total <= 0:
            break
        c = x[rng.choice(x.size, p=d2 / total)]
        centroids.append(c)
        d2 = np.minimum(d2, (x - c) ** 2)
    c = np.sort(np.asarray(centroids))
    for _ in range(iterations):
        codes = _nearest(x, c)
        sums = np.bincount(codes, weights=x, minlength=c.size)
        counts = np.bincount(codes, minlength=c.size)
        new = np.where(counts > 0, sums / np.maximum(counts, 1), c)
        new = np.sort(new)
        if np.allclose(new, c, rtol=0, atol=1e-12):
            c = new
            break
        c = new
    c = np.unique(c)  # merge centroids that collapsed onto each other
    codes = _nearest(x, c)
    return c.astype(np.float32), codes.astype(np.int64)


def _nearest(x: np.ndarray, sorted_centroids: np.ndarray) -> np.ndarray:
    """Index of the nearest centroid for each value (centroids sorted ascending)."""
    if sorted_centroids.size == 1:
        return np.zeros(x.size, dtype=np.int64)
    mids = (sorted_centroids[1:] + sorted_centroids[:-1]) / 2
    return np.searchsorted(mids, x).astype(np.int64)


def as_matrix(weights: np.ndarray) -> np.ndarray:
    """2-D view used for sub-matrices: (N_out, N_in) or (C_out, C_in*Kh*Kw)."""
    w = np.asarray(weights)
    return w.reshape(w.shape[0], -1) if w.ndim != 2 else w


def submatrix_grid(shape2d: Sequence[int], n_sub: int, n_surviving: int,
                   min_weights_per_codebook: int = 256) -> tuple[int, int]:
    """Grid ``(rows, cols)`` of sub-matrices for a 2-D weight view (see module doc)."""
    if n_sub < 1:
        raise ValueError(f"n_sub={n_sub}; allowed n_sub >= 1")
    n = max(1, min(n_sub, n_surviving // max(1, min_weights_per_codebook)))
    rows_dim, cols_dim = shape2d
    rows = min(rows_dim, max(1, int(round(math.sqrt(n)))))
    cols = min(cols_dim, max(1, n // rows))
    return rows, cols


@dataclass
class QuantizedLayer:
    """Codebooks and codes of one layer.

    ``codebooks[i]`` (float32) belongs to sub-matrix ``i`` (row-major over the grid);
    ``codes[i]`` are the codes of its surviving weights in row-major order of the
    sub-matrix. ``bits`` is the fixed code width, ``ceil(log2 K)`` (at least 1).
    """

    shape: tuple[int, ...]
    grid: tuple[int, int]
    k: int
    codebooks: list[np.ndarray]
    codes: list[np.ndarray]
    keep: np.ndarray
    dequantized: np.ndarray = field(repr=False)

    @property
    def bits(self) -> int:
        return max(1, math.ceil(math.log2(self.k)))

    @property
    def n_codes(self) -> int:
        return int(sum(c.size for c in self.codes))

    @property
    def codebook_bytes(self) -> int:
        return int(sum(cb.size for cb in self.codebooks)) * CODEBOOK_ENTRY_BYTES

    @property
    def code_bytes(self) -> int:
        """Bytes of the fixed-width codes, packed back to back."""
        return -(-self.n_codes * self.bits // 8)

    def all_codes(self) -> np.ndarray:
        return np.concatenate(self.codes) if self.codes else np.zeros(0, dtype=np.int64)


def _splits(n: int, parts: int) -> list[np.ndarray]:
    return np.array_split(np.arange(n), parts)


def quantize(weights: np.ndarray, keep: np.ndarray | None, k: int, n_sub: int = 64, seed: int = 0,
             min_weights_per_codebook: int = 256) -> QuantizedLayer:
    """Local k-means quantization of the surviving weights (``keep``) into K centroids per
    sub-matrix. ``n_sub=1`` is global quantization."""
    w = np.asarray(weights, dtype=np.float32)
    keep = np.ones(w.shape, dtype=bool) if keep is None else np.asarray(keep, dtype=bool)
    if keep.shape != w.shape:
        raise ValueError(f"keep mask shape {keep.shape} differs from weights shape {w.shape}")
    if k < 2:
        raise ValueError(f"k={k}; allowed k >= 2 (a 1-bit code needs two centroids)")
    w2, m2 = as_matrix(w), as_matrix(keep)
    grid = submatrix_grid(w2.shape, n_sub, int(keep.sum()), min_weights_per_codebook)
    out = np.zeros_like(w2)
    codebooks, codes = [], []
    for i, rows in enumerate(_splits(w2.shape[0], grid[0])):
        for j, cols in enumerate(_splits(w2.shape[1], grid[1])):
            sub_w = w2[np.ix_(rows, cols)]
            sub_m = m2[np.ix_(rows, cols)]
            vals = sub_w[sub_m]
            cb, cd = kmeans_1d(vals, k, seed=seed + 1009 * (i * grid[1] + j))
            codebooks.append(cb)
            codes.append(cd)
            deq = np.zeros_like(sub_w)
            deq[sub_m] = cb[cd] if cd.size else 0
            out[np.ix_(rows, cols)] = deq
    return QuantizedLayer(shape=w.shape, grid=grid, k=k, codebooks=codebooks, codes=codes,
                          keep=keep, dequantized=out.reshape(w.shape))


def global_quantize(weights: np.ndarray, keep: np.ndarray | None, k: int, seed: int = 0) -> QuantizedLayer:
    """One codebook for the whole layer (the baseline local quantization is compared with)."""
    return quantize(weights, keep, k, n_sub=1, seed=seed)


def relative_error(weights: np.ndarray, keep: np.ndarray, dequantized: np.ndarray) -> float:
    """``||w - q(w)|| / ||w||`` over the surviving weights."""
    w = np.asarray(weights, dtype=np.float64)[keep]
    q = np.asarray(dequantized, dtype=np.float64)[keep]
    norm = np.linalg.norm(w)
    return float(np.linalg.norm(w - q) / norm) if norm > 0 else 0.0


def choose_k(weights: np.ndarray, keep: np.ndarray | None, n_sub: int = 64, seed: int = 0,
             candidates: Sequence[int] = DEFAULT_K_CANDIDATES, max_rel_error: float = 0.05,
             accept: Callable[[np.ndarray], bool] | None = None) -> QuantizedLayer:
    """Quantize with the smallest K in ``candidates`` that meets the criterion (module doc);
    the largest candidate when none does."""
    if not candidates:
        raise ValueError("candidates is empty; give at least one K >= 2")
    if not (0 < max_rel_error < 1):
        raise ValueError(f"max_rel_error={max_rel_error}; allowed (0, 1)")
    keep = np.ones(np.shape(weights), dtype=bool) if keep is None else np.asarray(keep, dtype=bool)
    q = None
    for k in sorted(candidates):
        q = quantize(weights, keep, k, n_sub=n_sub, seed=seed)
        ok = accept(q.dequantized) if accept is not None else \
            relative_error(weights, keep, q.dequantized) <= max_rel_error
        if ok:
            return q
    assert q is not None
    return q

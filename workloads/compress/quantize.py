"""Local and global weight quantization by k-means (docs/hardware.md §5, step 2).

*Local* quantization splits a layer's weight matrix into sub-matrices and clusters the
surviving (non-pruned) weights of each sub-matrix into K centroids: one codebook per
sub-matrix, one ``ceil(log2 K)``-bit code per surviving weight. *Global* quantization is
the same with a single sub-matrix (one codebook per layer), for comparison.

Clustering is a deterministic 1-D Lloyd's algorithm with k-means++ seeding drawn from
``numpy.random.default_rng(seed)``: the same weights and seed give the same codebooks.
Lloyd's iterations use all surviving weights; the k-means++ seeds are drawn from at most
``MAX_SEED_SAMPLES`` of them (an evenly strided subset of the sorted weights, which keeps
the distribution's quantiles) so that seeding stays cheap on AlexNet-sized layers.

Sub-matrices. A 2-D view of the weights is used: ``(N_out, N_in)`` for FC and
``(C_out, C_in/groups*Kh*Kw)`` for conv. It is cut into a grid of ``rows x cols``
sub-matrices, as square as the requested count allows (64 -> 8 x 8), and never into
pieces that would hold fewer than ``min_weights_per_codebook`` surviving weights on
average (tiny layers get fewer sub-matrices, down to one). Ragged edges are spread
evenly (``numpy.array_split``).

Choosing K. :func:`choose_k` returns the smallest K from ``candidates`` whose
quantization meets the criterion: by default the relative RMS error of the surviving
weights, ``||w - q(w)|| / ||w|| <= max_rel_error`` (found by binary search over the
candidates, since the k-means error falls as K grows); a caller with trained weights passes
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
MAX_SEED_SAMPLES = 8192


def kmeans_1d(values: np.ndarray, k: int, seed: int = 0, iterations: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Cluster 1-D ``values`` into at most ``k`` centroids (Lloyd's, k-means++ seeding).

    Returns ``(centroids float32 sorted ascending, codes int)``. When there are fewer
    distinct values than ``k`` the codebook is the distinct values (exact). In 1-D every
    cluster is a contiguous range of the sorted values, so a Lloyd step is a binary search
    of the ``k - 1`` midpoints plus prefix sums: O(k log n) after one sort.
    """
    x = np.asarray(values, dtype=np.float64).ravel()
    if k < 1:
        raise ValueError(f"k={k}; allowed k >= 1")
    if x.size == 0:
        return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
    xs = np.sort(x)
    distinct = np.unique(xs)
    if distinct.size <= k:
        codes = np.searchsorted(distinct, x)
        return distinct.astype(np.float32), codes.astype(np.int64)
    rng = np.random.default_rng(seed)
    sample = xs if xs.size <= MAX_SEED_SAMPLES else \
        xs[np.linspace(0, xs.size - 1, MAX_SEED_SAMPLES).round().astype(np.int64)]
    # k-means++ seeding (on an evenly strided subset of the sorted values when large)
    centroids = [sample[rng.integers(sample.size)]]
    d2 = (sample - centroids[0]) ** 2
    for _ in range(1, k):
        total = d2.sum()
        if total <= 0:
            break
        c = sample[rng.choice(sample.size, p=d2 / total)]
        centroids.append(c)
        d2 = np.minimum(d2, (sample - c) ** 2)
    c = np.unique(np.asarray(centroids))
    prefix = np.concatenate([[0.0], np.cumsum(xs)])
    tol = 1e-9 * max(float(xs[-1] - xs[0]), 1e-30)
    for _ in range(iterations):
        bounds = np.concatenate([[0], np.searchsorted(xs, (c[1:] + c[:-1]) / 2), [xs.size]])
        counts = np.diff(bounds)
        sums = prefix[bounds[1:]] - prefix[bounds[:-1]]
        new = np.sort(np.where(counts > 0, sums / np.maximum(counts, 1), c))
        done = np.max(np.abs(new - c)) <= tol
        c = new
        if done:
            break
    c = np.unique(c)  # merge centroids that collapsed onto each other
    return c.astype(np.float32), _nearest(x, c.astype(np.float32).astype(np.float64))


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
    ``squared_error`` is the sum over surviving weights of ``(w - q(w))**2``.
    """

    shape: tuple[int, ...]
    grid: tuple[int, int]
    k: int
    codebooks: list[np.ndarray]
    codes: list[np.ndarray]
    keep: np.ndarray = field(repr=False)
    squared_error: float = 0.0
    _dequantized: np.ndarray | None = field(default=None, repr=False)

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

    @property
    def dequantized(self) -> np.ndarray:
        """The weights rebuilt from codebooks and codes (zero where pruned)."""
        if self._dequantized is None:
            m2 = as_matrix(self.keep)
            out = np.zeros(m2.shape, dtype=np.float32)
            for (rs, cs), cb, cd in zip(_grid_slices(m2.shape, self.grid), self.codebooks, self.codes):
                sub = out[rs, cs]
                sub[m2[rs, cs]] = cb[cd] if cd.size else 0
            self._dequantized = out.reshape(self.shape)
        return self._dequantized


def _grid_slices(shape2d, grid) -> list[tuple[slice, slice]]:
    """Row-major (rows, cols) slices of the sub-matrix grid (ragged edges spread evenly)."""
    def bounds(n, parts):
        edges = [len(a) for a in np.array_split(np.arange(n), parts)]
        starts = np.concatenate([[0], np.cumsum(edges)])
        return [slice(int(a), int(b)) for a, b in zip(starts[:-1], starts[1:])]
    return [(r, c) for r in bounds(shape2d[0], grid[0]) for c in bounds(shape2d[1], grid[1])]


class _SubMatrices:
    """Surviving weights of each sub-matrix, extracted once and reused for every K."""

    def __init__(self, weights, keep, n_sub, min_weights_per_codebook):
        w = np.asarray(weights, dtype=np.float32)
        keep = np.ones(w.shape, dtype=bool) if keep is None else np.asarray(keep, dtype=bool)
        if keep.shape != w.shape:
            raise ValueError(f"keep mask shape {keep.shape} differs from weights shape {w.shape}")
        self.shape, self.keep = w.shape, keep
        w2, m2 = as_matrix(w), as_matrix(keep)
        self.grid = submatrix_grid(w2.shape, n_sub, int(keep.sum()), min_weights_per_codebook)
        self.values = [w2[rs, cs][m2[rs, cs]].astype(np.float64) for rs, cs in _grid_slices(w2.shape, self.grid)]
        self.norm2 = float(sum(float(v @ v) for v in self.values))

    def quantize(self, k: int, seed: int) -> QuantizedLayer:
        if k < 2:
            raise ValueError(f"k={k}; allowed k >= 2 (a 1-bit code needs two centroids)")
        codebooks, codes, err = [], [], 0.0
        for i, vals in enumerate(self.values):
            cb, cd = kmeans_1d(vals, k, seed=seed + 1009 * i)
            codebooks.append(cb)
            codes.append(cd)
            if cd.size:
                d = vals - cb[cd]
                err += float(d @ d)
        return QuantizedLayer(shape=self.shape, grid=self.grid, k=k, codebooks=codebooks, codes=codes,
                              keep=self.keep, squared_error=err)


def refit_codebooks(q: QuantizedLayer, weights: np.ndarray) -> QuantizedLayer:
    """Same codes, new centroids: each centroid becomes the mean of the ``weights`` its
    code selects (the projection step of codebook fine-tuning); sizes are unchanged."""
    w2, m2 = as_matrix(np.asarray(weights, dtype=np.float32)), as_matrix(q.keep)
    codebooks, err = [], 0.0
    for (rs, cs), cb, cd in zip(_grid_slices(m2.shape, q.grid), q.codebooks, q.codes):
        vals = w2[rs, cs][m2[rs, cs]].astype(np.float64)
        if cd.size:
            counts = np.bincount(cd, minlength=cb.size)
            sums = np.bincount(cd, weights=vals, minlength=cb.size)
            cb = np.where(counts > 0, sums / np.maximum(counts, 1), cb).astype(np.float32)
            d = vals - cb[cd]
            err += float(d @ d)
        codebooks.append(cb)
    return QuantizedLayer(shape=q.shape, grid=q.grid, k=q.k, codebooks=codebooks, codes=q.codes,
                          keep=q.keep, squared_error=err)


def quantize(weights: np.ndarray, keep: np.ndarray | None, k: int, n_sub: int = 64, seed: int = 0,
             min_weights_per_codebook: int = 256) -> QuantizedLayer:
    """Local k-means quantization of the surviving weights (``keep``) into K centroids per
    sub-matrix. ``n_sub=1`` is global quantization."""
    if k < 2:
        raise ValueError(f"k={k}; allowed k >= 2 (a 1-bit code needs two centroids)")
    return _SubMatrices(weights, keep, n_sub, min_weights_per_codebook).quantize(k, seed)


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
    subs = _SubMatrices(weights, keep, n_sub, 256)
    ks = sorted(candidates)
    if accept is None:
        # The error falls as K grows: binary search for the smallest K that meets it.
        def error(q: QuantizedLayer) -> float:
            return float(np.sqrt(q.squared_error / subs.norm2)) if subs.norm2 > 0 else 0.0

        lo, hi, best = 0, len(ks) - 1, None
        while lo <= hi:
            mid = (lo + hi) // 2
            q = subs.quantize(ks[mid], seed)
            if error(q) <= max_rel_error:
                best, hi = q, mid - 1
            else:
                lo = mid + 1
        return best if best is not None else subs.quantize(ks[-1], seed)
    q = None
    for k in ks:
        q = subs.quantize(k, seed)
        if accept(q.dequantized):
            return q
    assert q is not None
    return q

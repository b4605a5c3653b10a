"""Compressed formats of the reference design (direct indexing, docs/hardware.md §1 and 2.2).

Neurons: non-zero values + a bitmask with one bit per position.
Synapses: groups of ``group_size`` consecutive outputs share one bitmask; each output
stores one weight per set bit of its group's mask (a stored weight may itself be zero).

The arrays of a ``CompressedSynapses`` are treated as immutable: the kernel's packed
view of them (``kernel_layout``) is built once and reused. ``compress_synapses`` returns
read-only arrays so that an in-place change fails loudly instead of going unseen.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np


@dataclass(frozen=True)
class CompressedNeurons:
    values: np.ndarray    # int16, non-zeros of all rows concatenated
    offsets: np.ndarray   # int64 (P+1,), row starts into values
    mask: np.ndarray      # uint8 (P, N_in), 1 = stored

    @property
    def rows(self) -> int:
        return self.mask.shape[0]

    @property
    def n_in(self) -> int:
        return self.mask.shape[1]

    @property
    def nnz(self) -> int:
        return int(self.values.size)

    def row_slice(self, r0: int, r1: int) -> "CompressedNeurons":
        """Rows r0..r1-1 alone: views of these values and masks, offsets from 0."""
        offsets = self.offsets[r0:r1 + 1]
        start = int(offsets[0])
        return CompressedNeurons(self.values[start:int(offsets[-1])], offsets - start, self.mask[r0:r1])


@dataclass(frozen=True)
class CompressedSynapses:
    mask: np.ndarray           # uint8 (G, N_in): one synapse bitmask per group
    group_starts: np.ndarray   # int64 (G+1,): first output of each group
    weights: np.ndarray        # int16: per group a (group size x nnz_g) row-major block
    weight_offsets: np.ndarray  # int64 (G,): start of each group's block in weights

    @property
    def groups(self) -> int:
        return self.mask.shape[0]

    @property
    def n_in(self) -> int:
        return self.mask.shape[1]

    @property
    def n_out(self) -> int:
        return int(self.group_starts[-1])

    @property
    def group_nnz(self) -> np.ndarray:
        return self.mask.sum(axis=1, dtype=np.int64)

    @property
    def group_sizes(self) -> np.ndarray:
        return np.diff(self.group_starts)

    def group_slice(self, g0: int, g1: int) -> "CompressedSynapses":
        """Groups g0..g1-1 alone (g0 < g1): views of these masks and weights, outputs and
        weight offsets counted from 0."""
        starts = self.group_starts[g0:g1 + 1]
        w0 = int(self.weight_offsets[g0])
        w1 = int(self.weight_offsets[g1]) if g1 < self.groups else self.weights.size
        arrays = dict(mask=self.mask[g0:g1], group_starts=starts - starts[0], weights=self.weights[w0:w1],
                      weight_offsets=self.weight_offsets[g0:g1] - w0)
        for a in arrays.values():
            a.setflags(write=False)  # type: ignore[attr-defined]
        return CompressedSynapses(**arrays)

    @cached_property
    def kernel_layout(self) -> tuple:
        """The compiled kernel's checked, bit-packed view of these synapses (N_in, packed
        masks, position starts, positions), built on first use and then reused."""
        from soc.kernels import _sparse_mac  # type: ignore[attr-defined]  # the compiled extension
        return _sparse_mac.prepare_synapses(self.mask, self.group_starts, self.weights,
                                            self.weight_offsets)

    def dense(self) -> np.ndarray:
        """The (N_out, N_in) int16 weight matrix with zeros at pruned positions."""
        w = np.zeros((self.n_out, self.n_in), dtype=np.int16)
        for g in range(self.groups):
            s, e = self.group_starts[g], self.group_starts[g + 1]
            cols = np.flatnonzero(self.mask[g])
            block = self.weights[self.weight_offsets[g]:self.weight_offsets[g] + (e - s) * cols.size]
            w[s:e][:, cols] = block.reshape(e - s, cols.size)
        return w


def compress_neurons(x: np.ndarray) -> CompressedNeurons:
    """Compress rows of int16 neurons (P, N_in): keep non-zeros and their bitmask."""
    x = np.ascontiguousarray(np.atleast_2d(x), dtype=np.int16)
    mask = x != 0
    counts = mask.sum(axis=1, dtype=np.int64)
    offsets = np.zeros(x.shape[0] + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return CompressedNeurons(values=np.ascontiguousarray(x[mask]), offsets=offsets,
                             mask=mask.view(np.uint8))


def decompress_neurons(c: CompressedNeurons) -> np.ndarray:
    x = np.zeros(c.mask.shape, dtype=np.int16)
    x[c.mask.astype(bool)] = c.values
    return x


def compress_synapses(w: np.ndarray, group_size: int, keep: np.ndarray | None = None, *,
                      group_mask: np.ndarray | None = None) -> CompressedSynapses:
    """Compress an (N_out, N_in) int16 weight matrix into groups of ``group_size`` outputs.

    ``keep`` (same shape, bool) marks the surviving (unpruned) positions; by default a
    position survives in a group when any output of the group has a non-zero there.
    ``group_mask`` (bool (G, N_in)), when the groups' shared masks are known already (a
    shared synapse index), is used as the masks instead (``keep`` is then ignored).
    The last group may be smaller when N_out is not a multiple of ``group_size``.
    """
    w = np.asarray(w, dtype=np.int16)
    if w.ndim != 2:
        raise ValueError(f"weights must be 2-D (N_out, N_in), got shape {w.shape}")
    if group_size < 1:
        raise ValueError(f"group_size must be >= 1, got {group_size}")
    n_out, n_in = w.shape
    starts = np.arange(0, n_out, group_size, dtype=np.int64)
    group_starts = np.append(starts, n_out).astype(np.int64)
    if group_mask is not None:
        mask = np.asarray(group_mask, dtype=bool)
        if mask.shape != (len(starts), n_in):
            raise ValueError(f"group_mask must have shape {(len(starts), n_in)} (groups x N_in), got {mask.shape}")
    else:
        keep = (w != 0) if keep is None else np.asarray(keep, dtype=bool)
        if group_size == 1:
            mask = keep
        else:
            mask = np.logical_or.reduceat(keep, starts, axis=0) if n_out else np.zeros((0, n_in), bool)
    sizes = np.diff(group_starts)
    # every output of a group stores its weights at its group's mask positions, in order;
    # row-major boolean selection lays out each group as a (size x nnz_g) block
    expanded = mask if group_size == 1 else np.repeat(mask, sizes, axis=0)
    weights = w[expanded] if n_out else np.zeros(0, np.int16)   # a new array: owned here
    offsets = np.zeros(len(starts), np.int64)
    if len(starts) > 1:
        np.cumsum((sizes * mask.sum(axis=1))[:-1], out=offsets[1:])
    arrays = dict(mask=np.array(mask, dtype=np.uint8, order="C"),
                  group_starts=group_starts,
                  weights=np.ascontiguousarray(weights, dtype=np.int16),
                  weight_offsets=offsets)
    for a in arrays.values():
        a.setflags(write=False)  # type: ignore[attr-defined]
    return CompressedSynapses(**arrays)

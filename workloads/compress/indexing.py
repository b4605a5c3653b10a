"""Direct-indexing bitmasks of pruned weights and their entropy coding.

The accelerator stores one synapse index bitmask per group of ``B_out`` output neurons
(docs/hardware.md §2.2, SIB): one bit per input position of the layer's 2-D weight view
(``(N_out, N_in)`` for FC, ``(C_out, C_in/groups*Kh*Kw)`` for conv). With coarse blocks
every row of a group has the same mask; with fine-grained pruning ``B_out = 1`` and the
index is the whole element mask.

Entropy coding of the index (:func:`coded_index_bytes`): the bitmask, read row-major, is
turned into alternating run lengths (first a run of 0s, then of 1s, ...); a run longer
than 255 is split as ``255, 0, rest`` so that every symbol fits a byte; the run symbols
are Huffman-coded (:mod:`workloads.compress.huffman`). When that would not be smaller
than the raw bitmask, the raw bitmask is kept (a container stores either), so coding
never makes an index bigger.
"""
from __future__ import annotations

import numpy as np

from workloads.compress import huffman

MAX_RUN = 255


def group_index(keep: np.ndarray, block_out: int) -> np.ndarray:
    """Index bitmask ``(ceil(N_out / block_out), N_in_flat)``: OR of each group's rows."""
    m = np.asarray(keep, dtype=bool)
    m = m.reshape(m.shape[0], -1)
    if block_out < 1:
        raise ValueError(f"block_out={block_out}; allowed >= 1")
    groups = -(-m.shape[0] // block_out)
    padded = np.zeros((groups * block_out, m.shape[1]), dtype=bool)
    padded[:m.shape[0]] = m
    return padded.reshape(groups, block_out, m.shape[1]).any(axis=1)


def raw_index_bytes(index: np.ndarray) -> int:
    """One bit per index position, packed."""
    return -(-int(np.asarray(index).size) // 8)


def run_lengths(bits: np.ndarray) -> np.ndarray:
    """Alternating run lengths (0-run first) with runs split to <= 255 (module doc)."""
    b = np.asarray(bits, dtype=bool).ravel()
    if b.size == 0:
        return np.zeros(0, dtype=np.int64)
    change = np.flatnonzero(np.diff(b.astype(np.int8))) + 1
    bounds = np.concatenate([[0], change, [b.size]])
    runs = np.diff(bounds)
    if b[0]:
        runs = np.concatenate([[0], runs])
    out = []
    for r in runs.tolist():
        while r > MAX_RUN:
            out.extend((MAX_RUN, 0))
            r -= MAX_RUN
        out.append(r)
    return np.asarray(out, dtype=np.int64)


def bits_from_runs(runs: np.ndarray) -> np.ndarray:
    """Inverse of :func:`run_lengths`."""
    runs = np.asarray(runs, dtype=np.int64)
    values = (np.arange(runs.size) % 2).astype(bool)
    return np.repeat(values, runs)


def coded_index_bytes(index: np.ndarray) -> tuple[int, str]:
    """Bytes of the entropy-coded index and the format chosen ("huffman-runs" or "raw").

    The run-length Huffman stream is decoded and compared with the input before its size
    is used."""
    idx = np.asarray(index, dtype=bool).ravel()
    raw = raw_index_bytes(idx)
    runs = run_lengths(idx)
    coded = huffman.roundtrip_bytes(runs, MAX_RUN + 1) if runs.size else 0
    if not np.array_equal(bits_from_runs(runs), idx):
        raise RuntimeError("index run-length round trip failed")
    return (coded, "huffman-runs") if coded < raw else (raw, "raw")

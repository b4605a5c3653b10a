"""The sparse MAC of the NSM + SSM + PEFU path: compiled kernel and NumPy reference.

Fixed point: neurons and weights are int16 in Q(15-f).f (``frac_bits`` = f, default 8);
products are exact; the accumulator is 48 bits and cannot overflow for up to
``MAX_INPUTS`` = 2^16 inputs per output (|product| <= 2^30, so |sum| < 2^46); the sum is
rounded to nearest with ties toward +infinity (add 2^(f-1), arithmetic shift right by f)
and saturated to [-32768, 32767]. The reference sums in float64 with BLAS, which is
exact because every partial sum stays below 2^53. How the compiled kernel computes the
same sums (bit-packed NSM, neurons gathered once per row and output group, AVX2 dot
products) is described in _sparse_mac.pyx.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from soc.kernels import _sparse_mac  # type: ignore[attr-defined]  # the compiled extension
from soc.kernels.formats import CompressedNeurons, CompressedSynapses

MAX_INPUTS = 1 << 16


@dataclass(frozen=True)
class MacResult:
    outputs: np.ndarray   # int16 (P, N_out)
    selected: np.ndarray  # int32 (P, G): useful positions per input row and output group
    useful_macs: int
    dense_macs: int

    @property
    def skipped_macs(self) -> int:
        return self.dense_macs - self.useful_macs


def _check(neurons: CompressedNeurons, synapses: CompressedSynapses, frac_bits: int) -> None:
    if neurons.n_in != synapses.n_in:
        raise ValueError(f"neuron rows have {neurons.n_in} inputs but synapse masks have {synapses.n_in}")
    if neurons.n_in > MAX_INPUTS:
        raise ValueError(f"N_in = {neurons.n_in} exceeds the 48-bit accumulator's safe range (<= {MAX_INPUTS})")
    if not 0 <= frac_bits <= 15:
        raise ValueError(f"frac_bits must be in [0, 15], got {frac_bits}")


def sparse_mac(neurons: CompressedNeurons, synapses: CompressedSynapses, frac_bits: int = 8,
               threads: int = 1) -> MacResult:
    """Run the compiled kernel on compressed neurons and synapses.

    ``threads``: threads over output groups (1 by default; 0 = OMP_NUM_THREADS or the
    core count). Outputs and counts are identical for every thread count. On a machine
    shared with other busy processes, more threads help only with
    OMP_WAIT_POLICY=passive (idle OpenMP threads otherwise spin and take CPU time). The kernel's
    packed view of the synapses is built on first use and kept on ``synapses``
    (see ``CompressedSynapses.kernel_layout``).
    """
    _check(neurons, synapses, frac_bits)
    if threads < 0:
        raise ValueError(f"threads must be >= 0 (0 = all cores), got {threads}")
    out, sel, useful = _sparse_mac.sparse_mac(
        neurons.values, neurons.offsets, neurons.mask, synapses.mask, synapses.group_starts,
        synapses.weights, synapses.weight_offsets, frac_bits, threads=threads,
        layout=synapses.kernel_layout)
    return MacResult(out, sel, useful, neurons.rows * synapses.n_out * neurons.n_in)


def sparse_mac_raw(neurons: CompressedNeurons, synapses: CompressedSynapses,
                   threads: int = 1) -> tuple[np.ndarray, int]:
    """Exact int64 partial sums (P, N_out) and the useful MAC count: what a PE accumulates
    over one input tile before the sum is final (see :func:`quantize`)."""
    _check(neurons, synapses, 0)
    if threads < 0:
        raise ValueError(f"threads must be >= 0 (0 = all cores), got {threads}")
    acc, _, useful = _sparse_mac.sparse_mac(
        neurons.values, neurons.offsets, neurons.mask, synapses.mask, synapses.group_starts,
        synapses.weights, synapses.weight_offsets, 0, True, threads=threads,
        layout=synapses.kernel_layout)
    return acc, useful


def sparse_mac_accumulate(neurons: CompressedNeurons, synapses: CompressedSynapses, acc: np.ndarray,
                          threads: int = 1) -> tuple[np.ndarray, int]:
    """Add the exact int64 sums of one burst into ``acc`` (P, N_out), in place, as a PE
    adds its products into the partial sums it holds; returns the selected counts per
    (row, synapse group) (int32 (P, G): the NSM's AND + prefix count of the masks) and
    the useful MAC count."""
    _check(neurons, synapses, 0)
    if threads < 0:
        raise ValueError(f"threads must be >= 0 (0 = all cores), got {threads}")
    _, sel, useful = _sparse_mac.sparse_mac(
        neurons.values, neurons.offsets, neurons.mask, synapses.mask, synapses.group_starts,
        synapses.weights, synapses.weight_offsets, 0, True, threads=threads,
        layout=synapses.kernel_layout, accumulate_into=acc)
    return sel, useful


def nsm_burst(sel: np.ndarray, floor_cycles: np.ndarray, outs: int, tn: int, tm: int
              ) -> tuple[int, int, np.ndarray, np.ndarray]:
    """Cycles of an NSM burst and its per-PE work (see ``_sparse_mac.nsm_burst``)."""
    return _sparse_mac.nsm_burst(sel, floor_cycles, outs, tn, tm)


#: One burst in one call of the compiled kernel: :func:`sparse_mac_accumulate` then
#: :func:`nsm_burst` on its selected counts, ``nsm_accumulate(neurons, synapses, acc,
#: floor_cycles, outs, tn, tm) -> (cycles, gathered, useful, pe_useful, pe_busy)``
#: (see ``_sparse_mac.nsm_accumulate``). Bound directly: the simulator calls it for every
#: burst, and a Python wrapper would cost as much as the kernel's work on a small tile.
nsm_accumulate = _sparse_mac.nsm_accumulate


def quantize(acc: np.ndarray, frac_bits: int) -> np.ndarray:
    """Round-to-nearest (ties up) shift by ``frac_bits`` and saturate to int16."""
    acc = np.asarray(acc, dtype=np.int64)
    if frac_bits:
        acc = acc + (1 << (frac_bits - 1))   # a new array, shifted and clipped in place
        acc >>= frac_bits
    else:
        acc = acc.copy()
    # two ufuncs rather than np.clip: the same values, without np.clip's wrapper (a
    # noticeable cost on the small tiles the encoder closes one by one)
    np.maximum(acc, -32768, out=acc)
    np.minimum(acc, 32767, out=acc)
    return acc.astype(np.int16)


CHUNK_ELEMENTS = 1 << 18       # weights converted to float64 at a time (a 2 MB buffer, reused while in cache)
ROW_CHUNK_ELEMENTS = 1 << 22   # inputs converted to float64 at a time (a 32 MB buffer: large products run fastest)


SINGLE_THREAD_MACS = 1 << 28  # a smaller product runs its BLAS calls on one thread (see reference_mac)
_BLAS = None


def _one_blas_thread():
    """A context limiting BLAS to one thread (threadpoolctl; kept between calls)."""
    global _BLAS
    if _BLAS is None:
        from threadpoolctl import ThreadpoolController
        _BLAS = ThreadpoolController()
    return _BLAS.limit(limits=1, user_api="blas")


def reference_mac(x: np.ndarray, w: np.ndarray, frac_bits: int = 8) -> np.ndarray:
    """Plain NumPy reference: dense x (P, N_in) int16 times dense w (N_out, N_in) int16.

    Sums in float64 with BLAS (exact below 2^53), a block of rows at a time against
    chunks of output rows converted into one reused buffer, so that neither the inputs
    nor the weights are ever held as float64 whole (a convolution's lowered inputs are
    the largest array of its layer)."""
    x = np.atleast_2d(x)
    if x.shape[1] > MAX_INPUTS:
        raise ValueError(f"N_in = {x.shape[1]} exceeds {MAX_INPUTS}")
    if x.shape[0] * x.shape[1] * w.shape[0] < SINGLE_THREAD_MACS:
        # a threaded BLAS waits for its second thread at every call: on a machine shared
        # with other work a small product can take tens of times longer than on one thread
        with _one_blas_thread():
            return _reference_mac(x, w, frac_bits)
    return _reference_mac(x, w, frac_bits)


def _reference_mac(x: np.ndarray, w: np.ndarray, frac_bits: int) -> np.ndarray:
    n_out, n_in = w.shape
    rows = x.shape[0]
    out = np.empty((rows, n_out), np.int16)
    step = max(1, CHUNK_ELEMENTS // max(1, n_in))
    whole = n_out <= 4 * step                      # small weights: convert them once
    wf = w.astype(np.float64) if whole else np.empty((min(step, n_out), n_in), np.float64)
    row_step = max(1, ROW_CHUNK_ELEMENTS // max(1, n_in))
    acc = np.empty((min(row_step, rows), n_out), np.float64)
    xbuf = np.empty((min(row_step, rows), n_in), np.float64)
    for p0 in range(0, rows, row_step):
        p1 = min(rows, p0 + row_step)
        xf = xbuf[:p1 - p0]
        np.copyto(xf, x[p0:p1], casting="unsafe")
        block = acc[:p1 - p0]
        if whole:
            np.matmul(xf, wf.T, out=block)
        else:
            for o0 in range(0, n_out, step):
                o1 = min(n_out, o0 + step)
                chunk = wf[:o1 - o0]
                np.copyto(chunk, w[o0:o1], casting="unsafe")
                np.matmul(xf, chunk.T, out=block[:, o0:o1])
        out[p0:p1] = quantize(block.astype(np.int64), frac_bits)
    return out


def count_effectual(x: np.ndarray, w: np.ndarray) -> int:
    """Products whose two operands are both non-zero: sum over inputs i of (rows with a
    non-zero x[:, i]) x (outputs with a non-zero w[:, i]), exact in int64."""
    x = np.atleast_2d(x)
    if x.shape[1] != w.shape[1]:
        raise ValueError(f"x has {x.shape[1]} inputs but w has {w.shape[1]}")
    return int(_nonzero_per_column(x) @ _nonzero_per_column(w))


COUNT_CHUNK_ELEMENTS = 1 << 22   # elements compared with zero at a time (a 4 MB mask)


def _nonzero_per_column(a: np.ndarray) -> np.ndarray:
    """Non-zero entries of each column of ``a`` (int64), counted a block of rows at a time
    (no temporary the size of ``a``): each block's mask is summed as bytes into int32 (a
    block has fewer than 2^31 rows), which is faster than ``np.count_nonzero(axis=0)``."""
    counts = np.zeros(a.shape[1], np.int64)
    step = max(1, COUNT_CHUNK_ELEMENTS // max(1, a.shape[1]))
    for r0 in range(0, a.shape[0], step):
        counts += np.add.reduce((a[r0:r0 + step] != 0).view(np.uint8), axis=0, dtype=np.int32)
    return counts

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


def quantize(acc: np.ndarray, frac_bits: int) -> np.ndarray:
    """Round-to-nearest (ties up) shift by ``frac_bits`` and saturate to int16."""
    acc = np.asarray(acc, dtype=np.int64)
    if frac_bits:
        acc = (acc + (1 << (frac_bits - 1))) >> frac_bits
    return np.clip(acc, -32768, 32767).astype(np.int16)


CHUNK_ELEMENTS = 1 << 21   # weights converted to float64 at a time (16 MB buffer, reused)


def reference_mac(x: np.ndarray, w: np.ndarray, frac_bits: int = 8) -> np.ndarray:
    """Plain NumPy reference: dense x (P, N_in) int16 times dense w (N_out, N_in) int16.

    Sums in float64 with BLAS (exact below 2^53), over chunks of output rows converted
    into one reused buffer, so a large layer never holds a float64 copy of its weights."""
    x = np.atleast_2d(x)
    if x.shape[1] > MAX_INPUTS:
        raise ValueError(f"N_in = {x.shape[1]} exceeds {MAX_INPUTS}")
    n_out, n_in = w.shape
    xf = x.astype(np.float64)
    acc = np.empty((x.shape[0], n_out), np.float64)
    step = max(1, CHUNK_ELEMENTS // max(1, n_in))
    buf = np.empty((min(step, n_out), n_in), np.float64)
    for o0 in range(0, n_out, step):
        o1 = min(n_out, o0 + step)
        chunk = buf[:o1 - o0]
        np.copyto(chunk, w[o0:o1], casting="unsafe")
        np.matmul(xf, chunk.T, out=acc[:, o0:o1])
    return quantize(acc.astype(np.int64), frac_bits)


def count_effectual(x: np.ndarray, w: np.ndarray) -> int:
    """Products whose two operands are both non-zero (float32 counts, exact below 2^24)."""
    x = np.atleast_2d(x)
    n_out, n_in = w.shape
    xf = (x != 0).astype(np.float32)
    step = max(1, CHUNK_ELEMENTS // max(1, n_in))
    buf = np.empty((min(step, n_out), n_in), np.float32)
    total = 0.0
    for o0 in range(0, n_out, step):
        o1 = min(n_out, o0 + step)
        chunk = buf[:o1 - o0]
        np.not_equal(w[o0:o1], 0, out=chunk, casting="unsafe")
        total += float((xf @ chunk.T).sum(dtype=np.float64))
    return int(total)

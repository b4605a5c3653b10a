"""Kernel throughput: useful MACs per second of the compiled sparse MAC kernel against
``scipy.sparse`` and dense NumPy doing the same layer.

Layers (issue 2 benchmark layers):

* ``fc6``: AlexNet fc6 size, 9216 -> 4096, 90 % weight sparsity in 32x32 blocks (exactly
  10 % of the blocks kept), 30 % zero inputs; batch 1 and batch 16.
* ``conv3``: AlexNet conv3 size, 13x13x256 -> 384, 3x3, pad 1, 65 % weight sparsity in
  (1,16,1,1) blocks (groups of 16 output channels share one mask over the 2304 window
  positions, exactly 35 % kept), 37 % zero inputs in the feature map; run as im2col rows
  (169 windows x 2304 inputs; the padding adds more zeros to border windows).

The kernel runs on the compressed formats with synapse groups of 16 outputs (B_fout = Tn =
16, docs/hardware.md §2.2/2.3; a 32-row FC block is two groups with the same mask), 16-bit fixed point
with 8 fraction bits. Compression is not timed for the kernel (weights are compressed
offline; neurons arrive compressed from the previous layer's encoder); the time of
``compress_neurons`` is reported separately. Likewise scipy's CSR matrix and the dense
weight matrices are built before timing and the inputs are already in each method's dtype.

The kernel is timed with one thread (its default) and with two (OpenMP over output
groups), and once more restricted to its portable C code path (what a CPU without AVX2
runs); the comparison with scipy uses the one-thread AVX2 (fastest available) time. scipy.sparse runs in one
thread; the dense float BLAS calls use OpenBLAS's threads (OPENBLAS_NUM_THREADS).

Metric: ``useful_macs_per_s`` = the layer's useful MACs (positions where both the neuron
and the weight are non-zero, times the outputs) divided by the method's wall time, the
same numerator for every method, so it is a rate of getting the same layer done. Times
are medians (s) over ``repeats`` repeats; a repeat averages ``calls`` back-to-back calls
so that it lasts at least ``MIN_REPEAT_S``.
"""
from __future__ import annotations

import os
import statistics
import time

import numpy as np
import scipy.sparse as sp

from soc.kernels import _sparse_mac, compress_neurons, compress_synapses, quantize, sparse_mac

SEED = 2024
FRAC_BITS = 8
GROUP = 16
REPEATS = 7
SLOW_REPEATS = 3      # for methods taking over SLOW_CALL_S per call
SLOW_CALL_S = 0.3
MIN_REPEAT_S = 0.05


def _nonzero_values(rng: np.random.Generator, shape, bound: int) -> np.ndarray:
    """Random int16 values in [-bound, -1] U [1, bound]: never zero, so the masks alone
    decide sparsity."""
    mag = rng.integers(1, bound + 1, size=shape, dtype=np.int16)
    sign = rng.integers(0, 2, size=shape, dtype=np.int8).astype(np.int16) * 2 - 1
    return mag * sign


def _exact_block_mask(rng: np.random.Generator, shape, keep_fraction: float) -> np.ndarray:
    """Boolean mask of ``shape`` blocks with exactly round(keep_fraction * size) set."""
    n = int(np.prod(shape))
    flat = np.zeros(n, dtype=bool)
    flat[rng.permutation(n)[:round(keep_fraction * n)]] = True
    return flat.reshape(shape)


def fc6_weights(seed: int = SEED):
    """(w (4096, 9216) int16, keep mask) of the fc6 benchmark layer."""
    rng = np.random.default_rng(seed)
    n_in, n_out, block = 9216, 4096, 32
    blocks = _exact_block_mask(rng, (n_out // block, n_in // block), 0.10)
    keep = np.kron(blocks, np.ones((block, block), dtype=bool))
    w = _nonzero_values(rng, (n_out, n_in), 2047) * keep
    return w, keep


def fc6_inputs(batch: int, seed: int = SEED) -> np.ndarray:
    """x (batch, 9216) int16 with 30 % zeros, the fc6 benchmark layer's inputs."""
    rng = np.random.default_rng(seed + 2)
    return _nonzero_values(rng, (batch, 9216), 4095) * (rng.random((batch, 9216)) >= 0.30)


def fc6_layer(batch: int, seed: int = SEED):
    """(x (batch, 9216) int16, w (4096, 9216) int16, keep mask) for the fc6 benchmark layer."""
    w, keep = fc6_weights(seed)
    return fc6_inputs(batch, seed), w, keep


def conv3_layer(seed: int = SEED):
    """(windows (169, 2304) int16, w (384, 2304) int16, keep mask) for the conv3 layer.

    Window positions are ordered (input channel, ky, kx), the same as the flattened
    (384, 256, 3, 3) weight tensor."""
    rng = np.random.default_rng(seed + 1)
    c_in, h, wd, c_out, k = 256, 13, 13, 384, 3
    fmap = _nonzero_values(rng, (c_in, h, wd), 4095) * (rng.random((c_in, h, wd)) >= 0.37)
    padded = np.pad(fmap.astype(np.int16), ((0, 0), (1, 1), (1, 1)))
    win = np.lib.stride_tricks.sliding_window_view(padded, (k, k), axis=(1, 2))  # (c, 13, 13, 3, 3)
    x = np.ascontiguousarray(win.transpose(1, 2, 0, 3, 4).reshape(h * wd, c_in * k * k))
    group_mask = _exact_block_mask(rng, (c_out // GROUP, c_in * k * k), 0.35)
    keep = np.repeat(group_mask, GROUP, axis=0)
    w = (_nonzero_values(rng, (c_out, c_in * k * k), 2047) * keep).astype(np.int16)
    return x, w, keep


def _median_time(fn) -> dict:
    fn()  # warm-up (and first-touch of any buffers)
    t0 = time.perf_counter()
    fn()
    once = time.perf_counter() - t0
    calls = max(1, int(MIN_REPEAT_S / max(once, 1e-9)))
    repeats = SLOW_REPEATS if once > SLOW_CALL_S else REPEATS
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        times.append((time.perf_counter() - t0) / calls)
    return {"median_s": statistics.median(times), "min_s": min(times), "repeats": repeats,
            "calls_per_repeat": calls}


def _portable(fn):
    """Run fn with the kernel restricted to its portable C code path (no AVX2)."""
    previous = _sparse_mac.force_portable(True)
    try:
        return fn()
    finally:
        _sparse_mac.force_portable(previous)


def bench_layer(name: str, x: np.ndarray, w: np.ndarray, keep: np.ndarray) -> dict:
    """Time the kernel, scipy.sparse CSR and dense NumPy on one layer."""
    neurons = compress_neurons(x)
    synapses = compress_synapses(w, GROUP, keep)
    t0 = time.perf_counter()
    synapses.kernel_layout  # built once per weight set (packed masks), like the compression
    layout_s = time.perf_counter() - t0
    result = sparse_mac(neurons, synapses, FRAC_BITS)
    useful = result.useful_macs
    exact = x.astype(np.float64) @ w.astype(np.float64).T
    matches = bool(np.array_equal(result.outputs, quantize(exact.astype(np.int64), FRAC_BITS)))

    batch = x.shape[0]
    xt64 = np.ascontiguousarray(x.T, dtype=np.float64)
    xt32 = np.ascontiguousarray(x.T, dtype=np.float32)
    xti = np.ascontiguousarray(x.T, dtype=np.int64)
    if batch == 1:  # the matrix-vector path of each library
        xt64, xt32, xti = xt64[:, 0].copy(), xt32[:, 0].copy(), xti[:, 0].copy()
    csr64 = sp.csr_matrix(w.astype(np.float64))
    csr32 = sp.csr_matrix(w.astype(np.float32))
    w64, w32, wi = w.astype(np.float64), w.astype(np.float32), w.astype(np.int64)

    methods = {
        "kernel_int16": lambda: sparse_mac(neurons, synapses, FRAC_BITS, threads=1),
        "kernel_int16_2threads": lambda: sparse_mac(neurons, synapses, FRAC_BITS, threads=2),
        "kernel_int16_portable_c": lambda: _portable(lambda: sparse_mac(neurons, synapses, FRAC_BITS)),
        "scipy_csr_float64": lambda: csr64 @ xt64,
        "scipy_csr_float32": lambda: csr32 @ xt32,
        "numpy_dense_float64_blas": lambda: w64 @ xt64,
        "numpy_dense_float32_blas": lambda: w32 @ xt32,
        "numpy_dense_int64": lambda: wi @ xti,
    }
    timings = {}
    for label, fn in methods.items():
        t = _median_time(fn)
        t["useful_macs_per_s"] = useful / t["median_s"]
        timings[label] = t
    compress_t = _median_time(lambda: compress_neurons(x))
    best_scipy = min(timings["scipy_csr_float64"]["median_s"], timings["scipy_csr_float32"]["median_s"])
    best_dense = min(timings[k]["median_s"] for k in timings if k.startswith("numpy_dense"))
    k_s = timings["kernel_int16"]["median_s"]
    return {
        "layer": name,
        "kernel_vs": "kernel_int16 (1 thread) against the faster of the two scipy CSR dtypes",
        "rows": int(batch), "n_in": int(x.shape[1]), "n_out": int(w.shape[0]), "group_size": GROUP,
        "weight_density": float(keep.mean()), "input_density": float((x != 0).mean()),
        "useful_macs": int(useful), "dense_macs": int(result.dense_macs),
        "weight_nnz": int(csr64.nnz),
        "kernel_matches_reference": matches,
        "timings": timings,
        "compress_neurons_s": compress_t["median_s"],
        "kernel_layout_once_s": layout_s,
        "kernel_speedup_vs_best_scipy": best_scipy / k_s,
        "kernel_speedup_vs_best_dense": best_dense / k_s,
        "target": "kernel faster than scipy.sparse (best of float64/float32 CSR)",
        "meets_target": bool(k_s < best_scipy),
    }


def run() -> dict:
    layers = {}
    w, keep = fc6_weights()
    layers["fc6_batch1"] = bench_layer("fc6", fc6_inputs(1), w, keep)
    layers["fc6_batch16"] = bench_layer("fc6", fc6_inputs(16), w, keep)
    xc, wc, keepc = conv3_layer()
    layers["conv3_im2col"] = bench_layer("conv3", xc, wc, keepc)
    return {
        "layers": layers,
        "units": "times in s (median over repeats), rates in useful MACs per s",
        "cpu_count": os.cpu_count(),
        "kernel_simd": "avx2" if _sparse_mac.has_avx2() else "portable C",
        "kernel_threads": "kernel_int16 uses 1 thread (the default); kernel_int16_2threads uses 2",
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS", "unset"),
        "load_average_1min_at_end": os.getloadavg()[0],
        "meets_target": all(v["meets_target"] for v in layers.values()),
    }


if __name__ == "__main__":
    import json
    print(json.dumps(run(), indent=2))

# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Codebook quantization helpers (see soc.runtime.simulate.snap_to_codebook).

``snap_sorted_bins``: every value replaced by the centroid of the bin its value falls
in among sorted bin edges (a branch-free binary search per value, several values side
by side).
"""
import numpy as np
cimport numpy as cnp
from libc.stdint cimport int64_t

cnp.import_array()

cdef enum:
    LANES = 16   # values searched side by side


def snap_sorted_bins(const float[::1] values, const float[::1] edges, const float[::1] centroids, out_array=None):
    """out[i] = centroids[number of edges <= values[i]]; edges sorted ascending, one fewer
    than centroids. ``out_array``: where to write (may be ``values`` itself: each value
    is read before its place is written); default a new array."""
    cdef Py_ssize_t n = values.shape[0], L = edges.shape[0], i, half
    if centroids.shape[0] != L + 1:
        raise ValueError(f"need one more centroid than edges, got {centroids.shape[0]} and {L}")
    out_arr = np.empty(n, dtype=np.float32) if out_array is None else out_array
    cdef float[::1] out = out_arr
    if out.shape[0] != n:
        raise ValueError(f"out_array has {out.shape[0]} values, values {n}")
    cdef float v
    cdef Py_ssize_t b, m
    if L == 0:
        out_arr[:] = centroids[0]
        return out_arr
    cdef Py_ssize_t block, i0, k, blocked = n - n % LANES
    cdef float vs[LANES]
    cdef Py_ssize_t bs[LANES]
    with nogil:
        # LANES values at a time: the searches are independent, so their dependent loads
        # overlap (the halving steps depend only on L, the same for every value)
        for block in range(n // LANES):
            i0 = block * LANES
            for k in range(LANES):
                vs[k] = values[i0 + k]
                bs[k] = 0
            m = L
            while m > 1:
                half = m >> 1
                for k in range(LANES):
                    bs[k] = bs[k] + half * (edges[bs[k] + half] <= vs[k])
                m = m - half
            for k in range(LANES):
                out[i0 + k] = centroids[bs[k] + (edges[bs[k]] <= vs[k])]
        for i in range(blocked, n):
            v = values[i]
            b = 0                   # branch-free search: edges[b] is the last candidate <= v
            m = L
            while m > 1:
                half = m >> 1
                b = b + half * (edges[b + half] <= v)
                m = m - half
            out[i] = centroids[b + (edges[b] <= v)]
    return out_arr

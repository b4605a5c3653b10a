# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Codebook quantization helpers (see soc.runtime.simulate.snap_to_codebook).

``bin_sums``: the float64 sum of each bin of a sorted array, adding its values in order
(the same additions, in the same order, as ``np.bincount(bins, weights=sorted)``).
``snap_sorted_bins``: every value replaced by the centroid of the bin its value falls
in among sorted bin edges (a branch-light binary search per value).
"""
import numpy as np
cimport numpy as cnp
from libc.stdint cimport int64_t

cnp.import_array()


def bin_sums(const float[::1] sorted_values, const int64_t[::1] first):
    """Sum of sorted_values[first[b]:first[b+1]] for every bin b, in float64, in order."""
    cdef Py_ssize_t k = first.shape[0] - 1, b, i
    out_arr = np.zeros(max(k, 0), dtype=np.float64)
    cdef double[::1] out = out_arr
    cdef double acc
    if first.shape[0] and first[first.shape[0] - 1] > sorted_values.shape[0]:
        raise ValueError("bin starts run past the values")
    with nogil:
        for b in range(k):
            acc = 0.0
            for i in range(first[b], first[b + 1]):
                acc += <double>sorted_values[i]
            out[b] = acc
    return out_arr


def snap_sorted_bins(const float[::1] values, const float[::1] edges, const float[::1] centroids):
    """out[i] = centroids[number of edges <= values[i]]; edges sorted ascending, one fewer
    than centroids."""
    cdef Py_ssize_t n = values.shape[0], L = edges.shape[0], i, half
    if centroids.shape[0] != L + 1:
        raise ValueError(f"need one more centroid than edges, got {centroids.shape[0]} and {L}")
    out_arr = np.empty(n, dtype=np.float32)
    cdef float[::1] out = out_arr
    cdef float v
    cdef Py_ssize_t b, m
    if L == 0:
        out_arr[:] = centroids[0]
        return out_arr
    with nogil:
        for i in range(n):
            v = values[i]
            b = 0                   # branch-free search: edges[b] is the last candidate <= v
            m = L
            while m > 1:
                half = m >> 1
                b = b + half * (edges[b + half] <= v)
                m = m - half
            out[i] = centroids[b + (edges[b] <= v)]
    return out_arr

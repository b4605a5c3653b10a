# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Sparse multiply-accumulate on the compressed formats of the reference design.

Formats (spec 2.2):
* neurons: for each of P input vectors (an FC input, or one conv window), the non-zero
  values ``neuron_values`` (int16, rows concatenated) with row starts ``neuron_offsets``
  (P+1) and the bitmask ``neuron_mask`` (P x N_in, uint8 0/1);
* synapses: outputs come in G groups of consecutive outputs (``group_starts``, G+1);
  a group shares one bitmask ``synapse_mask`` (G x N_in) and each output of the group
  stores one weight per set bit of that mask, in order: ``weights`` (int16) holds group
  g as a (group size x nnz_g) row-major block starting at ``weight_offsets[g]``.

Arithmetic (documented fixed point): neurons and weights are signed 16-bit Q(15-f).f;
products are exact 32-bit; the accumulator is 48 bits wide and never overflows for
N_in <= 2^16 (checked by the caller), so no saturation occurs inside the sum. The
result is rounded to nearest, ties toward +infinity (add 2^(f-1), arithmetic shift
right by f) and saturated to int16. The NumPy reference does the same.
"""
import numpy as np
cimport numpy as cnp
from libc.stdint cimport int16_t, int32_t, int64_t, uint8_t

cnp.import_array()


def sparse_mac(const int16_t[::1] neuron_values, const int64_t[::1] neuron_offsets,
               const uint8_t[:, ::1] neuron_mask, const uint8_t[:, ::1] synapse_mask,
               const int64_t[::1] group_starts, const int16_t[::1] weights,
               const int64_t[::1] weight_offsets, int frac_bits, bint raw=False):
    """Returns (outputs int16 (P, N_out), selected int32 (P, G), useful_macs int); with
    ``raw`` the outputs are the exact int64 sums, before rounding and saturation."""
    cdef Py_ssize_t P = neuron_mask.shape[0]
    cdef Py_ssize_t n_in = neuron_mask.shape[1]
    cdef Py_ssize_t G = synapse_mask.shape[0]
    cdef Py_ssize_t n_out = group_starts[G]
    out_arr = np.zeros((P, n_out), dtype=np.int16)
    raw_arr = np.zeros((P if raw else 0, n_out if raw else 0), dtype=np.int64)
    cdef int64_t[:, ::1] raw_out = raw_arr
    sel_arr = np.zeros((P, G), dtype=np.int32)
    cdef int16_t[:, ::1] out = out_arr
    cdef int32_t[:, ::1] sel = sel_arr
    # synapse prefix counts: rank of each set position inside its group's mask
    syn_rank_arr = np.zeros((G, n_in), dtype=np.int32)
    cdef int32_t[:, ::1] syn_rank = syn_rank_arr
    nflag_arr = np.empty(n_in, dtype=np.int32)
    sflag_arr = np.empty(n_in, dtype=np.int32)
    acc_arr = np.empty(max(1, n_out), dtype=np.int64)
    cdef int32_t[::1] nflag = nflag_arr
    cdef int32_t[::1] sflag = sflag_arr
    cdef int64_t[::1] acc = acc_arr
    cdef Py_ssize_t p, g, i, k, o, gsize, nnz_g, m
    cdef int32_t cnt, nrank
    cdef int64_t base, wbase, a, useful = 0
    cdef int64_t half = (1 << (frac_bits - 1)) if frac_bits > 0 else 0
    cdef int16_t x
    for g in range(G):
        cnt = 0
        for i in range(n_in):
            syn_rank[g, i] = cnt
            cnt += synapse_mask[g, i]
    with nogil:
        for p in range(P):
            base = neuron_offsets[p]
            for g in range(G):
                # NSM: AND the masks, read both prefix counts at the set positions
                m = 0
                nrank = 0
                for i in range(n_in):
                    if neuron_mask[p, i]:
                        if synapse_mask[g, i]:
                            nflag[m] = nrank
                            sflag[m] = syn_rank[g, i]
                            m += 1
                        nrank += 1
                sel[p, g] = <int32_t>m
                gsize = group_starts[g + 1] - group_starts[g]
                nnz_g = syn_rank[g, n_in - 1] + synapse_mask[g, n_in - 1] if n_in > 0 else 0
                useful += m * gsize
                # PEs: each output of the group multiplies the selected neurons by its weights
                for o in range(gsize):
                    wbase = weight_offsets[g] + o * nnz_g
                    a = 0
                    for k in range(m):
                        a += <int64_t>(<int32_t>neuron_values[base + nflag[k]] * <int32_t>weights[wbase + sflag[k]])
                    if raw:
                        raw_out[p, group_starts[g] + o] = a
                        continue
                    a = (a + half) >> frac_bits
                    if a > 32767:
                        a = 32767
                    elif a < -32768:
                        a = -32768
                    out[p, group_starts[g] + o] = <int16_t>a
    return (raw_arr if raw else out_arr), sel_arr, int(useful)

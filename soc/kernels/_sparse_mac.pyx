# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Sparse multiply-accumulate on the compressed formats of the reference design.

Formats (docs/hardware.md §2.2):
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

Implementation (_sparse_mac_core.h, _sparse_mac_group.h): masks are bit-packed into
64-bit words, so the NSM's AND + prefix count becomes AND + popcount per word, and the
count of selected positions per (row, group) comes from the masks alone. Per (row,
group) the neurons are gathered once and all outputs of the group reuse them: normally
the neuron at every set position of the group's synapse mask (zero where the neuron
mask is clear, an exact 0 product) is compacted into a buffer aligned with the group's
stored weights and each output is a contiguous SIMD dot product; when the selected
positions are under 5 % of the group's stored weights only they and their synapse
flags are gathered and each output sums over them. Both give the same exact sum. Sums
are kept in int64 (the 48-bit accumulator cannot overflow, so its value is the same);
the AVX2 dot product keeps exact int32 partial sums by splitting each neuron into its
high and low byte (see sm_dots_avx2). The outer loop runs over groups, so each group's
weights stay in cache for all rows; it runs without the GIL, on ``threads`` OpenMP
threads (default 1). Result and counts do not depend on the thread count or on which
code path (AVX2 or portable C) the CPU allows.
"""
import numpy as np
cimport numpy as cnp
from libc.stdint cimport int16_t, int32_t, int64_t, uint8_t, uint64_t
from libc.stdlib cimport calloc, free

cnp.import_array()


cdef extern from "_sparse_mac_core.h" nogil:
    ctypedef struct sm_args:
        int64_t P, n_in, W, G, n_out
        const uint64_t *nmask
        const uint64_t *smask
        const int32_t *spos
        const int64_t *spos_off
        const int16_t *xdense
        const int64_t *gstarts
        const int16_t *weights
        const int64_t *woff
        int frac_bits
        int16_t *out
        int64_t *raw
        int accumulate
        int32_t *sel
    int64_t sm_expand_neurons(int64_t P, int64_t n_in, int64_t W, const uint64_t *nmask,
                              const int16_t *values, const int64_t *offsets, int64_t n_values,
                              int16_t *xdense)
    int sm_run(const sm_args *a, int threads, int64_t *useful_out)
    int sm_cpu_has_avx2()
    int sm_force_portable
    void sm_init()
    void sm_pack_mask(int64_t rows, int64_t n_in, int64_t W, const uint8_t *mask, uint64_t *out)
    void sm_count_groups(int64_t G, int64_t W, const uint64_t *smask, int64_t *nnz)
    void sm_synapse_positions(int64_t G, int64_t W, const uint64_t *smask,
                              const int64_t *spos_off, int32_t *spos)


sm_init()


def _pack_rows(const uint8_t[:, ::1] mask, Py_ssize_t words):
    """(rows, N_in) byte mask (non-zero = set) -> (rows, words) uint64, bit b of word w =
    position 64w+b."""
    cdef Py_ssize_t rows = mask.shape[0], n_in = mask.shape[1]
    out_arr = np.empty((rows, words), dtype=np.uint64)
    cdef uint64_t[:, ::1] out = out_arr
    if rows and words:
        with nogil:
            sm_pack_mask(rows, n_in, words, &mask[0, 0], &out[0, 0])
    return out_arr


def has_avx2():
    """True when the AVX2 code path is used on this CPU."""
    return bool(sm_cpu_has_avx2())


def force_portable(bint enabled):
    """Use only the portable C code path (True) or the fastest one the CPU has (False);
    returns the previous setting. Results are identical; this exists to test both."""
    global sm_force_portable
    previous = bool(sm_force_portable)
    sm_force_portable = 1 if enabled else 0
    return previous


def prepare_synapses(const uint8_t[:, ::1] synapse_mask, const int64_t[::1] group_starts,
                     const int16_t[::1] weights, const int64_t[::1] weight_offsets):
    """Check the synapse arrays and build the kernel's view of them: (N_in, packed masks
    uint64 (G, W), position starts int64 (G+1), set positions int32). The result depends
    only on the synapses and may be reused for any number of neuron batches."""
    cdef Py_ssize_t G = synapse_mask.shape[0]
    cdef Py_ssize_t n_in = synapse_mask.shape[1]
    cdef Py_ssize_t W = (n_in + 63) // 64
    if group_starts.shape[0] != G + 1 or weight_offsets.shape[0] != G:
        raise ValueError(f"group_starts needs G+1 = {G + 1} entries and weight_offsets G = {G}, "
                         f"got {group_starts.shape[0]} and {weight_offsets.shape[0]}")
    cdef Py_ssize_t g
    cdef int64_t size, need, worst = 0
    if group_starts[0] != 0:
        raise ValueError(f"group_starts must start at 0, got {group_starts[0]}")
    for g in range(G):
        if group_starts[g + 1] < group_starts[g]:
            raise ValueError(f"group_starts must be non-decreasing (group {g})")
    smask_arr = _pack_rows(synapse_mask, W)
    cdef const uint64_t[:, ::1] smask = smask_arr
    spos_off_arr = np.empty(G + 1, dtype=np.int64)
    cdef int64_t[::1] spos_off = spos_off_arr
    spos_off[0] = 0
    if G and W:
        sm_count_groups(G, W, &smask[0, 0], &spos_off[1])   # counts, then running sums
    elif G:
        spos_off[1:] = 0
    for g in range(G):
        size = (group_starts[g + 1] - group_starts[g]) * spos_off[g + 1]
        if weight_offsets[g] < 0:
            raise ValueError(f"weight_offsets[{g}] = {weight_offsets[g]} is negative")
        need = weight_offsets[g] + size
        if need > worst:
            worst = need
        spos_off[g + 1] += spos_off[g]
    if worst > weights.shape[0]:
        raise ValueError(f"weights hold {weights.shape[0]} values but the group blocks need up to "
                         f"{worst} (weight_offsets + group size x mask count)")
    spos_arr = np.empty(max(1, spos_off[G]), dtype=np.int32)
    cdef int32_t[::1] spos = spos_arr
    if G and W:
        sm_synapse_positions(G, W, &smask[0, 0], &spos_off[0], &spos[0])
    return int(n_in), smask_arr, spos_off_arr, spos_arr


def sparse_mac(const int16_t[::1] neuron_values, const int64_t[::1] neuron_offsets,
               const uint8_t[:, ::1] neuron_mask, const uint8_t[:, ::1] synapse_mask,
               const int64_t[::1] group_starts, const int16_t[::1] weights,
               const int64_t[::1] weight_offsets, int frac_bits, bint raw=False, int threads=1,
               layout=None, accumulate_into=None):
    """Returns (outputs int16 (P, N_out), selected int32 (P, G), useful_macs int); with
    ``raw`` the outputs are the exact int64 sums, before rounding and saturation.

    ``threads``: OpenMP threads over output groups (<= 0: OMP_NUM_THREADS or the core
    count). ``layout``: the result of ``prepare_synapses`` for these synapses, or None
    to build it here. ``accumulate_into``: an int64 (P, N_out) C-contiguous array the
    exact sums are added to (implies ``raw``; it is also the returned outputs), as a PE
    adds a burst's products into the partial sums it holds."""
    cdef Py_ssize_t P = neuron_mask.shape[0]
    cdef Py_ssize_t n_in = neuron_mask.shape[1]
    cdef Py_ssize_t G = synapse_mask.shape[0]
    cdef Py_ssize_t W = (n_in + 63) // 64
    if not 0 <= frac_bits <= 15:
        raise ValueError(f"frac_bits must be in [0, 15], got {frac_bits}")
    if synapse_mask.shape[1] != n_in:
        raise ValueError(f"neuron masks have {n_in} inputs but synapse masks have {synapse_mask.shape[1]}")
    if neuron_offsets.shape[0] != P + 1:
        raise ValueError(f"neuron_offsets needs P+1 = {P + 1} entries, got {neuron_offsets.shape[0]}")
    if layout is None:
        layout = prepare_synapses(synapse_mask, group_starts, weights, weight_offsets)
    layout_n_in, smask_arr, spos_off_arr, spos_arr = layout
    if layout_n_in != n_in or smask_arr.shape[0] != G or spos_off_arr.shape[0] != G + 1:
        raise ValueError("layout was prepared for other synapses")
    cdef const uint64_t[:, ::1] smask = smask_arr
    cdef const int32_t[::1] spos = spos_arr
    cdef const int64_t[::1] spos_off = spos_off_arr
    cdef Py_ssize_t n_out = group_starts[G]
    nmask_arr = _pack_rows(neuron_mask, W)
    xdense_arr = np.zeros((P, 64 * W), dtype=np.int16)
    cdef int accumulate = accumulate_into is not None
    if accumulate:
        raw = True
        raw_arr = accumulate_into
        if raw_arr.dtype != np.int64 or raw_arr.shape != (P, n_out) or not raw_arr.flags.c_contiguous:
            raise ValueError(f"accumulate_into must be a C-contiguous int64 array of shape {(P, n_out)}, got "
                             f"{raw_arr.dtype} {raw_arr.shape}")
    else:
        raw_arr = np.empty((P if raw else 0, n_out), dtype=np.int64)
    out_arr = np.empty((0 if raw else P, n_out), dtype=np.int16)
    sel_arr = np.zeros((P, G), dtype=np.int32)

    cdef const uint64_t[:, ::1] nmask = nmask_arr
    cdef int16_t[:, ::1] xdense = xdense_arr
    cdef int16_t[:, ::1] out = out_arr
    cdef int64_t[:, ::1] raw_out = raw_arr
    cdef int64_t dummy64s = 0
    cdef int32_t[:, ::1] sel = sel_arr
    cdef sm_args a
    cdef int64_t useful = 0, bad
    cdef int rc
    cdef int16_t dummy16 = 0
    cdef int32_t dummy32 = 0
    cdef uint64_t dummy64 = 0
    a.P, a.n_in, a.W, a.G, a.n_out = P, n_in, W, G, n_out
    a.nmask = &nmask[0, 0] if P and W else &dummy64
    a.smask = &smask[0, 0] if G and W else &dummy64
    a.spos = &spos[0]
    a.spos_off = &spos_off[0]
    a.xdense = &xdense[0, 0] if P and W else &dummy16
    a.gstarts = &group_starts[0]
    a.weights = &weights[0] if weights.shape[0] else &dummy16
    a.woff = &weight_offsets[0] if G else &dummy64s
    a.frac_bits = frac_bits
    a.out = &out[0, 0] if (P and n_out and not raw) else &dummy16
    a.raw = (&raw_out[0, 0] if P and n_out else &dummy64s) if raw else NULL
    a.accumulate = accumulate
    a.sel = &sel[0, 0] if P and G else &dummy32
    with nogil:
        bad = sm_expand_neurons(P, n_in, W, a.nmask, &neuron_values[0] if neuron_values.shape[0] else &dummy16,
                                &neuron_offsets[0], neuron_values.shape[0], <int16_t *>a.xdense)
    if bad:
        raise ValueError(f"neuron row {-1 - bad}: neuron_offsets do not match the number of set mask "
                         f"bits (or run past the {neuron_values.shape[0]} stored values)")
    with nogil:
        rc = sm_run(&a, threads, &useful)
    if rc:
        raise MemoryError("sparse_mac: scratch buffers could not be allocated")
    return (raw_arr if raw else out_arr), sel_arr, int(useful)


cdef int64_t _tally_burst(const int32_t *sel, Py_ssize_t rows, Py_ssize_t G, const int64_t *floor_cycles,
                         int64_t outs, int tn, int tm, int64_t *colsel, int64_t *colper,
                         int64_t *useful, int64_t *busy, int64_t *gathered) noexcept nogil:
    """The NSM's accounting of one burst (see :func:`nsm_burst`), from the selected counts
    ``sel`` (rows x G, row-major): per group its selected positions (``colsel``) and PE
    cycles (``colper``), per PE its useful multiplies and busy cycles (added into
    ``useful``/``busy``), the selected positions in all (``gathered``); returns the cycles."""
    cdef Py_ssize_t r, g, j
    cdef int64_t s, pe, cycles = 0
    for r in range(rows):
        for g in range(G):
            s = sel[r * G + g]
            pe = (s + tm - 1) // tm
            if pe < floor_cycles[g]:
                pe = floor_cycles[g]
            colsel[g] += s
            colper[g] += pe
    gathered[0] = 0
    for g in range(G):
        cycles += colper[g]
        gathered[0] += colsel[g]
        for j in range(tn):
            if g * tn + j < outs:
                useful[j] += colsel[g]
                busy[j] += colper[g]
    return cycles


def nsm_burst(const int32_t[:, ::1] sel, const int64_t[::1] floor_cycles, int64_t outs, int tn, int tm):
    """Cycles and per-PE work of one burst through the NSM, from the selected counts
    ``sel`` (rows x output groups of Tn, from the masks: what the NSM's AND + prefix
    counts find). Per (row, group) the PEs need ceil(selected / Tm) cycles, and at least
    ``floor_cycles[g]`` (the mask scan, the SB read and the weight decoding of the
    group's stored weights); a burst lasts the sum over rows and groups. PE j computes
    outputs j, j + Tn, ... of the ``outs`` outputs, so group g's work counts for PE j
    when g * Tn + j < outs.

    Returns (cycles, selected positions in all, per-PE useful multiplies (Tn,) int64,
    per-PE busy cycles (Tn,) int64)."""
    cdef Py_ssize_t rows = sel.shape[0], G = sel.shape[1]
    if floor_cycles.shape[0] != G:
        raise ValueError(f"floor_cycles needs one entry per group ({G}), got {floor_cycles.shape[0]}")
    if tm < 1 or tn < 1:
        raise ValueError(f"tm and tn must be >= 1, got {tm} and {tn}")
    colsel_arr = np.zeros(G, dtype=np.int64)
    colper_arr = np.zeros(G, dtype=np.int64)
    useful_arr = np.zeros(tn, dtype=np.int64)
    busy_arr = np.zeros(tn, dtype=np.int64)
    cdef int64_t[::1] colsel = colsel_arr
    cdef int64_t[::1] colper = colper_arr
    cdef int64_t[::1] useful = useful_arr
    cdef int64_t[::1] busy = busy_arr
    cdef int64_t cycles = 0, gathered = 0
    cdef int32_t dummy32 = 0
    cdef int64_t dummy64 = 0
    with nogil:
        cycles = _tally_burst(&sel[0, 0] if rows and G else &dummy32, rows, G,
                              &floor_cycles[0] if G else &dummy64, outs, tn, tm,
                              &colsel[0] if G else &dummy64, &colper[0] if G else &dummy64,
                              &useful[0], &busy[0], &gathered)
    return int(cycles), int(gathered), useful_arr, busy_arr


cdef int _check_array(cnp.ndarray a, int typenum, int ndim, str what) except -1:
    """Refuse an array the raw-pointer entry point cannot read as it is."""
    if cnp.PyArray_TYPE(a) != typenum or cnp.PyArray_NDIM(a) != ndim or not cnp.PyArray_IS_C_CONTIGUOUS(a):
        raise ValueError(f"{what} must be a C-contiguous {ndim}-D {np.dtype(cnp.PyArray_DescrFromType(typenum))} "
                         f"array, got {(<object>a).dtype} with shape {(<object>a).shape}")
    return 0


def nsm_accumulate(neurons, synapses, cnp.ndarray acc, cnp.ndarray floor_cycles, int64_t outs, int tn, int tm):
    """One burst through the NSM and the PEs in one call: ``sparse_mac`` adding the exact
    products into ``acc`` (int64 (P, N_out), in place), then ``nsm_burst`` on the selected
    counts, which never leave C. ``neurons`` and ``synapses`` are a CompressedNeurons and
    a CompressedSynapses (its ``kernel_layout`` is used). Arrays are read through their
    data pointers (dtype, shape and contiguity checked), so a burst costs one call.

    Returns (cycles, selected positions in all, useful multiplies of all PEs, per-PE
    useful multiplies (Tn,) int64, per-PE busy cycles (Tn,) int64): what ``nsm_burst``
    returns with the per-PE sum in third place."""
    cdef cnp.ndarray values = neurons.values, offsets = neurons.offsets, nmask_u8 = neurons.mask
    layout = synapses.kernel_layout
    cdef cnp.ndarray smask_arr = layout[1], spos_off_arr = layout[2], spos_arr = layout[3]
    cdef cnp.ndarray gstarts = synapses.group_starts, weights = synapses.weights, woff = synapses.weight_offsets
    _check_array(values, cnp.NPY_INT16, 1, "neuron values")
    _check_array(offsets, cnp.NPY_INT64, 1, "neuron offsets")
    _check_array(nmask_u8, cnp.NPY_UINT8, 2, "neuron mask")
    _check_array(smask_arr, cnp.NPY_UINT64, 2, "packed synapse masks")
    _check_array(spos_off_arr, cnp.NPY_INT64, 1, "synapse position starts")
    _check_array(spos_arr, cnp.NPY_INT32, 1, "synapse positions")
    _check_array(gstarts, cnp.NPY_INT64, 1, "group starts")
    _check_array(weights, cnp.NPY_INT16, 1, "weights")
    _check_array(woff, cnp.NPY_INT64, 1, "weight offsets")
    _check_array(acc, cnp.NPY_INT64, 2, "accumulate_into")
    _check_array(floor_cycles, cnp.NPY_INT64, 1, "floor_cycles")
    cdef int64_t P = cnp.PyArray_DIM(nmask_u8, 0), n_in = cnp.PyArray_DIM(nmask_u8, 1)
    cdef int64_t G = cnp.PyArray_DIM(smask_arr, 0), W = (n_in + 63) // 64
    if <int64_t>layout[0] != n_in:
        raise ValueError(f"neuron rows have {n_in} inputs but synapse masks have {layout[0]}")
    if n_in > 65536:
        raise ValueError(f"N_in = {n_in} exceeds the 48-bit accumulator's safe range (<= 65536)")
    if (cnp.PyArray_DIM(smask_arr, 1) != W or cnp.PyArray_DIM(gstarts, 0) != G + 1
            or cnp.PyArray_DIM(woff, 0) != G or cnp.PyArray_DIM(spos_off_arr, 0) != G + 1):
        raise ValueError("kernel layout and synapse arrays disagree on the number of groups or mask words")
    if cnp.PyArray_DIM(offsets, 0) != P + 1:
        raise ValueError(f"neuron_offsets needs P+1 = {P + 1} entries, got {cnp.PyArray_DIM(offsets, 0)}")
    cdef const int64_t *gs = <const int64_t *>cnp.PyArray_DATA(gstarts)
    cdef int64_t n_out = gs[G]
    if cnp.PyArray_DIM(acc, 0) != P or cnp.PyArray_DIM(acc, 1) != n_out:
        raise ValueError(f"accumulate_into must have shape {(P, n_out)}, got {(<object>acc).shape}")
    if not cnp.PyArray_ISWRITEABLE(acc):
        raise ValueError("accumulate_into must be writeable")
    if cnp.PyArray_DIM(floor_cycles, 0) != G:
        raise ValueError(f"floor_cycles needs one entry per group ({G}), got {cnp.PyArray_DIM(floor_cycles, 0)}")
    if tm < 1 or tn < 1:
        raise ValueError(f"tm and tn must be >= 1, got {tm} and {tn}")
    cdef cnp.npy_intp tn_dim = tn
    pe_useful_arr = cnp.PyArray_ZEROS(1, &tn_dim, cnp.NPY_INT64, 0)
    pe_busy_arr = cnp.PyArray_ZEROS(1, &tn_dim, cnp.NPY_INT64, 0)
    cdef int64_t *pe_useful = <int64_t *>cnp.PyArray_DATA(pe_useful_arr)
    cdef int64_t *pe_busy = <int64_t *>cnp.PyArray_DATA(pe_busy_arr)
    cdef const int64_t *floor = <const int64_t *>cnp.PyArray_DATA(floor_cycles)
    cdef const uint8_t *nmask_bytes = <const uint8_t *>cnp.PyArray_DATA(nmask_u8)
    cdef uint64_t *nmask = <uint64_t *>calloc(max(1, P * W), sizeof(uint64_t))
    cdef int16_t *xdense = <int16_t *>calloc(max(1, P * 64 * W), sizeof(int16_t))
    cdef int32_t *sel = <int32_t *>calloc(max(1, P * G), sizeof(int32_t))
    cdef int64_t *colsel = <int64_t *>calloc(max(1, G), sizeof(int64_t))
    cdef int64_t *colper = <int64_t *>calloc(max(1, G), sizeof(int64_t))
    cdef int64_t bad = 0, useful = 0, cycles = 0, gathered = 0, total = 0
    cdef Py_ssize_t j
    cdef int rc = 0
    cdef sm_args a
    cdef int16_t dummy16 = 0
    if not (nmask and xdense and sel and colsel and colper):
        free(nmask); free(xdense); free(sel); free(colsel); free(colper)
        raise MemoryError("nsm_accumulate: scratch buffers could not be allocated")
    a.P, a.n_in, a.W, a.G, a.n_out = P, n_in, W, G, n_out
    a.nmask = nmask
    a.smask = <const uint64_t *>cnp.PyArray_DATA(smask_arr)
    a.spos = <const int32_t *>cnp.PyArray_DATA(spos_arr)
    a.spos_off = <const int64_t *>cnp.PyArray_DATA(spos_off_arr)
    a.xdense = xdense
    a.gstarts = gs
    a.weights = <const int16_t *>cnp.PyArray_DATA(weights) if cnp.PyArray_DIM(weights, 0) else &dummy16
    a.woff = <const int64_t *>cnp.PyArray_DATA(woff)
    a.frac_bits = 0
    a.out = &dummy16
    a.raw = <int64_t *>cnp.PyArray_DATA(acc)
    a.accumulate = 1
    a.sel = sel
    with nogil:
        if P and W:
            sm_pack_mask(P, n_in, W, nmask_bytes, nmask)
        bad = sm_expand_neurons(P, n_in, W, nmask, <const int16_t *>cnp.PyArray_DATA(values),
                                <const int64_t *>cnp.PyArray_DATA(offsets), cnp.PyArray_DIM(values, 0), xdense)
        if not bad:
            rc = sm_run(&a, 1, &useful)
        if not bad and not rc:
            cycles = _tally_burst(sel, P, G, floor, outs, tn, tm, colsel, colper, pe_useful, pe_busy, &gathered)
            for j in range(tn):
                total += pe_useful[j]
    free(nmask); free(xdense); free(sel); free(colsel); free(colper)
    if bad:
        raise ValueError(f"neuron row {-1 - bad}: neuron_offsets do not match the number of set mask "
                         f"bits (or run past the {cnp.PyArray_DIM(values, 0)} stored values)")
    if rc:
        raise MemoryError("nsm_accumulate: scratch buffers could not be allocated")
    return int(cycles), int(gathered), int(total), pe_useful_arr, pe_busy_arr

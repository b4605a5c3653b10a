"""The compiled helpers that replaced per-burst NumPy work give what the NumPy formulas
they replace give: the NSM's selected counts and burst cycles, partial sums added in
place (also in the one-call burst, ``nsm_accumulate``), the effectual-product count, and
the codebook snap (equal-population bins of the sorted values, ties included)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soc.kernels import (
    compress_neurons,
    compress_synapses,
    count_effectual,
    nsm_accumulate,
    nsm_burst,
    sparse_mac_accumulate,
    sparse_mac_raw,
)
from soc.runtime.simulate import snap_to_codebook


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10**6), rows=st.integers(1, 12), n_in=st.integers(1, 300), n_out=st.integers(1, 70),
       tn=st.sampled_from([1, 4, 16]), tm=st.sampled_from([1, 8, 16]), xd=st.floats(0, 1), wd=st.floats(0, 1))
def test_nsm_burst_and_accumulate_match_the_numpy_formulas(seed, rows, n_in, n_out, tn, tm, xd, wd):
    rng = np.random.default_rng(seed)
    x = (rng.integers(-300, 300, (rows, n_in)) * (rng.random((rows, n_in)) < xd)).astype(np.int16)
    groups = -(-n_out // tn)
    gk = rng.random((groups, n_in)) < wd
    keep = np.repeat(gk, tn, axis=0)[:n_out]
    w = (rng.integers(-300, 300, (n_out, n_in)) * keep).astype(np.int16)
    neurons, synapses = compress_neurons(x), compress_synapses(w, tn, keep)
    acc = rng.integers(-1000, 1000, (rows, n_out)).astype(np.int64)
    before = acc.copy()
    one_call = acc.copy()
    sel, useful = sparse_mac_accumulate(neurons, synapses, acc)
    raw, useful_raw = sparse_mac_raw(neurons, synapses)
    assert np.array_equal(acc, before + raw) and useful == useful_raw
    expected_sel = ((x != 0).astype(np.int64) @ gk.T.astype(np.int64))
    assert np.array_equal(sel, expected_sel)
    floor = rng.integers(0, 5, groups).astype(np.int64)
    cycles, gathered, pe_useful, pe_busy = nsm_burst(sel, floor, n_out, tn, tm)
    per = np.maximum(np.ceil(expected_sel / tm), floor[None, :])
    has = np.arange(groups * tn).reshape(groups, tn) < n_out
    assert cycles == int(per.sum()) and gathered == int(expected_sel.sum())
    assert np.array_equal(pe_busy, (per.sum(axis=0) @ has).astype(np.int64))
    per_out = np.repeat(expected_sel.sum(axis=0), tn)[:n_out]
    padded = np.zeros(groups * tn, np.int64)
    padded[:n_out] = per_out
    assert np.array_equal(pe_useful, padded.reshape(-1, tn).sum(axis=0))
    # the whole burst in one call: the same sums, cycles and per-PE work
    got = nsm_accumulate(neurons, synapses, one_call, floor, n_out, tn, tm)
    assert got[:3] == (cycles, gathered, int(pe_useful.sum()))
    assert np.array_equal(got[3], pe_useful) and np.array_equal(got[4], pe_busy)
    assert np.array_equal(one_call, acc)


def test_nsm_accumulate_refuses_arrays_it_cannot_read():
    x = np.array([[1, 0, 2]], np.int16)
    w = np.array([[1, 1, 0], [0, 1, 1]], np.int16)
    neurons, synapses = compress_neurons(x), compress_synapses(w, 2)
    floor = np.zeros(1, np.int64)
    with pytest.raises(ValueError, match="accumulate_into must be a C-contiguous 2-D int64"):
        nsm_accumulate(neurons, synapses, np.zeros((1, 2), np.int32), floor, 2, 2, 1)
    with pytest.raises(ValueError, match=r"accumulate_into must have shape \(1, 2\)"):
        nsm_accumulate(neurons, synapses, np.zeros((2, 2), np.int64), floor, 2, 2, 1)
    with pytest.raises(ValueError, match="floor_cycles needs one entry per group"):
        nsm_accumulate(neurons, synapses, np.zeros((1, 2), np.int64), np.zeros(3, np.int64), 2, 2, 1)
    with pytest.raises(ValueError, match="inputs but synapse masks have"):
        nsm_accumulate(compress_neurons(np.ones((1, 4), np.int16)), synapses, np.zeros((1, 2), np.int64),
                       floor, 2, 2, 1)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6), rows=st.integers(1, 20), n_in=st.integers(1, 200), n_out=st.integers(1, 50))
def test_count_effectual_is_the_count_of_nonzero_pairs(seed, rows, n_in, n_out):
    rng = np.random.default_rng(seed)
    x = (rng.integers(-3, 4, (rows, n_in))).astype(np.int16)
    w = (rng.integers(-3, 4, (n_out, n_in))).astype(np.int16)
    pairs = sum(int(np.count_nonzero(x[p] * w[o] != 0)) for p in range(rows) for o in range(n_out))
    assert count_effectual(x, w) == pairs


def _snap_by_definition(values: np.ndarray, bits: int) -> np.ndarray:
    """The definition, written out: equal-population bins of the sorted values (bin j holds
    ranks [ceil(j n / k), ceil((j + 1) n / k))), each value -> the mean of the bin that
    the number of bin edges <= it names (a run of equal values goes to the later bin)."""
    k, n = 1 << bits, values.size
    if n <= k:
        return values
    ordered = np.sort(values)
    bounds = [(j * n + k - 1) // k for j in range(k)] + [n]
    means = np.array([ordered[a:b].sum(dtype=np.float64) / (b - a) for a, b in zip(bounds[:-1], bounds[1:])],
                     dtype=values.dtype)
    edges = ordered[bounds[1:k]]
    return means[(values[:, None] >= edges[None, :]).sum(axis=1)]


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(1, 5000), bits=st.integers(1, 8),
       kind=st.sampled_from(["normal", "few-values", "fractions", "float64"]))
def test_snap_to_codebook_is_bit_identical_to_its_definition(seed, n, bits, kind):
    rng = np.random.default_rng(seed)
    v = {"normal": lambda: rng.standard_normal(n).astype(np.float32),
         "few-values": lambda: rng.integers(-3, 4, n).astype(np.float32),     # ties across bin edges
         "fractions": lambda: (rng.integers(-300, 300, n) / 7).astype(np.float32),
         "float64": lambda: rng.standard_normal(n)}[kind]()
    got, want = snap_to_codebook(v, bits), _snap_by_definition(v, bits)
    assert got.dtype == want.dtype and np.array_equal(got.view(np.uint8), want.view(np.uint8))
    if n > (1 << bits):
        assert np.unique(got).size <= (1 << bits)

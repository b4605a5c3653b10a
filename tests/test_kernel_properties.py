"""Property-based checks of the compiled sparse MAC kernel against the NumPy reference,
on both code paths (AVX2 and portable C) and both inner strategies (dense-in-group and
gather), including edge shapes and the extreme int16 values."""
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soc.kernels import _sparse_mac, compress_neurons, compress_synapses, reference_mac, sparse_mac, sparse_mac_raw
from soc.kernels.formats import CompressedNeurons

EXTREMES = np.array([-32768, -32767, -1, 1, 32766, 32767], dtype=np.int64)


@contextmanager
def _portable_only(enabled):
    previous = _sparse_mac.force_portable(enabled)
    try:
        yield
    finally:
        _sparse_mac.force_portable(previous)


@pytest.fixture(params=["fastest", "portable"])
def code_path(request):
    with _portable_only(request.param == "portable"):
        yield request.param


def _values(rng, shape, extreme_share):
    """int16 values: uniform over the full range, a share of them the extreme values."""
    v = rng.integers(-32768, 32768, size=shape)
    pick = rng.random(shape) < extreme_share
    v[pick] = rng.choice(EXTREMES, size=int(pick.sum()))
    return v


def _random_layer(rng, p, n_in, n_out, group, wd, xd, extreme_share, empty_rows):
    blocks = rng.random(((n_out + group - 1) // group, n_in)) < wd
    keep = np.repeat(blocks, group, axis=0)[:n_out]
    w = (_values(rng, (n_out, n_in), extreme_share) * keep).astype(np.int16)
    x = (_values(rng, (p, n_in), extreme_share) * (rng.random((p, n_in)) < xd)).astype(np.int16)
    if empty_rows:
        x[rng.random(p) < 0.5] = 0
    return x, w, keep


def _check_layer(x, w, keep, group, frac, threads=1):
    syn = compress_synapses(w, group, keep)
    r = sparse_mac(compress_neurons(x), syn, frac, threads=threads)
    assert r.outputs.dtype == np.int16 and r.outputs.shape == (x.shape[0], w.shape[0])
    assert np.array_equal(r.outputs, reference_mac(x, w, frac))
    both = (x != 0).astype(np.int64) @ syn.mask.T.astype(np.int64)
    assert np.array_equal(r.selected, both)
    assert r.useful_macs == int((both * syn.group_sizes[None, :]).sum())
    assert r.dense_macs == x.shape[0] * x.shape[1] * w.shape[0]
    return r


N_IN = st.one_of(st.integers(1, 200), st.sampled_from([63, 64, 65, 127, 128, 129, 191, 192, 193, 640, 1000]))


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), p=st.integers(1, 5), n_in=N_IN, n_out=st.integers(1, 40),
       group=st.integers(1, 20), wd=st.sampled_from([0.0, 0.05, 0.3, 0.7, 1.0]),
       xd=st.sampled_from([0.0, 0.02, 0.1, 0.5, 0.9, 1.0]), frac=st.sampled_from([0, 1, 7, 8, 14, 15]),
       extreme_share=st.sampled_from([0.0, 0.2, 1.0]), empty_rows=st.booleans())
@pytest.mark.parametrize("portable", [False, True], ids=["fastest", "portable"])
def test_bit_exact_on_random_layers(portable, seed, p, n_in, n_out, group, wd, xd, frac,
                                    extreme_share, empty_rows):
    rng = np.random.default_rng(seed)
    x, w, keep = _random_layer(rng, p, n_in, n_out, group, wd, xd, extreme_share, empty_rows)
    with _portable_only(portable):
        _check_layer(x, w, keep, group, frac)


def test_all_zero_masks_give_rounded_zero(code_path):
    x = np.zeros((3, 130), np.int16)
    w = np.zeros((7, 130), np.int16)
    r = _check_layer(x, w, np.zeros_like(w, bool), 3, 8)
    assert r.useful_macs == 0 and not r.outputs.any() and not r.selected.any()


def test_most_negative_products_do_not_wrap(code_path):
    # (-32768)^2 pairs are the one case where a 16-bit multiply-add pair overflows int32
    n_in = 1000
    x = np.full((2, n_in), -32768, np.int16)
    w = np.full((5, n_in), -32768, np.int16)
    w[1, 1::2] = 32767            # mixes 2^30 and -(2^30 - 2^15): sum is small and exact
    w[2, :] = 1
    for frac in (0, 15):
        r = _check_layer(x, w, np.ones_like(w, bool), 5, frac)
        assert r.outputs[0, 0] == 32767          # saturated
    acc = 500 * 2**30 - 500 * 32768 * 32767       # row 1 before rounding: 500 * 2^15
    assert reference_mac(x[:1], w[1:2], 15)[0, 0] == min(32767, (acc + 2**14) >> 15)


def test_rounding_ties_go_up_and_saturation(code_path):
    # 1 x 128 = 128 -> 0.5 at frac 8 rounds to 1; -128 -> -0.5 rounds to 0
    x = np.array([[1, 0], [-1, 0], [127, 0]], np.int16)
    w = np.array([[128, 0], [32767, 0]], np.int16)
    r = _check_layer(x, w, w != 0, 2, 8)
    assert r.outputs[:, 0].tolist() == [1, 0, 64]


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_thread_count_does_not_change_anything(seed):
    rng = np.random.default_rng(seed)
    x, w, keep = _random_layer(rng, 40, 700, 300, 16, 0.3, 0.6, 0.1, True)
    syn = compress_synapses(w, 16, keep)
    neurons = compress_neurons(x)
    one = sparse_mac(neurons, syn, 8, threads=1)
    for threads in (2, 3, 0):
        many = sparse_mac(neurons, syn, 8, threads=threads)
        assert np.array_equal(one.outputs, many.outputs)
        assert np.array_equal(one.selected, many.selected)
        assert one.useful_macs == many.useful_macs


def test_both_code_paths_agree_on_a_large_layer():
    rng = np.random.default_rng(7)
    x, w, keep = _random_layer(rng, 8, 2304, 96, 16, 0.35, 0.63, 0.05, False)
    syn = compress_synapses(w, 16, keep)
    neurons = compress_neurons(x)
    fast = sparse_mac(neurons, syn, 8)
    with _portable_only(True):
        portable = sparse_mac(neurons, syn, 8)
    assert np.array_equal(fast.outputs, portable.outputs)
    assert np.array_equal(fast.outputs, reference_mac(x, w, 8))


def test_selected_positions_count_the_and_of_both_masks():
    # 70 inputs (two mask words), two groups: both positions sets written out by hand
    x = np.zeros((1, 70), np.int16)
    x[0, [0, 5, 63, 64, 69]] = 1
    w = np.zeros((3, 70), np.int16)
    w[0:2, [5, 6, 63, 69]] = 2          # group 0: outputs 0, 1
    w[2, [0, 1, 64]] = 3                # group 1: output 2
    r = sparse_mac(compress_neurons(x), compress_synapses(w, 2), 0)
    assert r.selected.tolist() == [[3, 2]]      # {5, 63, 69} and {0, 64}
    assert r.useful_macs == 3 * 2 + 2 * 1
    assert r.outputs.tolist() == [[6, 6, 6]]


def test_compressed_synapses_are_read_only():
    syn = compress_synapses(np.ones((4, 8), np.int16), 2)
    with pytest.raises(ValueError, match="read-only"):
        syn.weights[0] = 5


def test_inconsistent_neuron_offsets_are_refused():
    x = compress_neurons(np.ones((2, 10), np.int16))
    bad = CompressedNeurons(values=x.values, offsets=np.array([0, 3, 20]), mask=x.mask)
    with pytest.raises(ValueError, match="neuron row 0"):
        sparse_mac(bad, compress_synapses(np.ones((2, 10), np.int16), 2))


def test_short_weights_are_refused():
    syn = compress_synapses(np.ones((4, 8), np.int16), 2)
    short = type(syn)(mask=syn.mask, group_starts=syn.group_starts, weights=syn.weights[:10],
                      weight_offsets=syn.weight_offsets)
    with pytest.raises(ValueError, match="weights hold 10 values"):
        sparse_mac(compress_neurons(np.ones((1, 8), np.int16)), short)


def test_negative_threads_are_refused():
    with pytest.raises(ValueError, match="threads"):
        sparse_mac(compress_neurons(np.ones((1, 8), np.int16)),
                   compress_synapses(np.ones((2, 8), np.int16), 2), threads=-1)


def test_long_rows_with_large_partial_sums_stay_exact(code_path):
    # partial sums of one sign far beyond 2^31 that cancel to a small result: any
    # 32-bit wrap inside the dot product would change the output
    n_in = 12800
    x = np.tile(np.array([255, 256], np.int16), (1, n_in // 2))
    w = np.tile(np.array([-32768, 32767], np.int16), (1, n_in // 2))
    r = _check_layer(x, w, np.ones_like(w, bool), 1, 15)
    exact = (n_in // 2) * (255 * -32768 + 256 * 32767)
    assert r.outputs[0, 0] == (exact + 2**14) >> 15 and abs(int(r.outputs[0, 0])) < 32767


def test_very_sparse_inputs_are_exact(code_path):
    # a handful of stored neurons against wide synapse masks: the kernel's gather strategy
    rng = np.random.default_rng(3)
    x = np.zeros((4, 3000), np.int16)
    for row in range(4):
        x[row, rng.choice(3000, 5 + row, replace=False)] = _values(rng, 5 + row, 0.5)
    w = _values(rng, (37, 3000), 0.2).astype(np.int16)
    r = _check_layer(x, w, np.ones_like(w, bool), 8, 8)
    assert r.selected[:, 0].tolist() == [5, 6, 7, 8]


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_in=N_IN, n_out=st.integers(1, 30), group=st.integers(1, 9),
       xd=st.sampled_from([0.02, 0.5, 1.0]))
def test_raw_sums_are_the_exact_int64_products(seed, n_in, n_out, group, xd):
    rng = np.random.default_rng(seed)
    x, w, keep = _random_layer(rng, 3, n_in, n_out, group, 0.5, xd, 0.2, False)
    syn = compress_synapses(w, group, keep)
    acc, useful = sparse_mac_raw(compress_neurons(x), syn)
    assert acc.dtype == np.int64
    assert np.array_equal(acc, x.astype(np.int64) @ w.astype(np.int64).T)
    assert useful == sparse_mac(compress_neurons(x), syn).useful_macs


def test_decreasing_group_starts_are_refused():
    syn = compress_synapses(np.ones((4, 8), np.int16), 2)
    bad = type(syn)(mask=syn.mask, group_starts=np.array([0, 3, 2]), weights=syn.weights,
                    weight_offsets=syn.weight_offsets)
    with pytest.raises(ValueError, match="non-decreasing"):
        sparse_mac(compress_neurons(np.ones((1, 8), np.int16)), bad)


@pytest.mark.parametrize("p, n_in, n_out", [(0, 70, 5), (3, 70, 0), (3, 0, 4)])
def test_empty_dimensions(p, n_in, n_out):
    x = np.ones((p, n_in), np.int16)
    w = np.ones((n_out, n_in), np.int16)
    r = sparse_mac(compress_neurons(x), compress_synapses(w, 2), 8)
    assert r.outputs.shape == (p, n_out) and not r.outputs.any() and r.useful_macs == 0

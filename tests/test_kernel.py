import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soc.kernels import compress_neurons, compress_synapses, decompress_neurons, quantize, reference_mac, sparse_mac


def test_nsm_worked_example_of_the_spec():
    # neuron mask 11101010 (n1 n2 n3 n5 n7), synapse mask 00110011 (positions 3 4 7 8)
    x = np.zeros((1, 8), np.int16)
    x[0, [0, 1, 2, 4, 6]] = [11, 12, 13, 15, 17]
    w = np.zeros((2, 8), np.int16)
    w[:, [2, 3, 6, 7]] = [[1, 2, 3, 4], [5, 6, 7, 8]]
    r = sparse_mac(compress_neurons(x), compress_synapses(w, group_size=2), frac_bits=0)
    assert r.selected.tolist() == [[2]]           # positions 3 and 7
    assert r.outputs.tolist() == [[13 * 1 + 17 * 3, 13 * 5 + 17 * 7]]
    assert r.useful_macs == 2 * 2 and r.dense_macs == 8 * 2


def _layer(rng, p, n_in, n_out, group, w_density, x_density):
    blocks = rng.random(((n_out + group - 1) // group, n_in)) < w_density
    keep = np.repeat(blocks, group, axis=0)[:n_out]
    w = (rng.integers(-2000, 2000, (n_out, n_in)) * keep).astype(np.int16)
    x = (rng.integers(-3000, 3000, (p, n_in)) * (rng.random((p, n_in)) < x_density)).astype(np.int16)
    return x, w, keep


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), p=st.integers(1, 6), n_in=st.integers(1, 300),
       n_out=st.integers(1, 70), group=st.integers(1, 33), wd=st.floats(0.0, 1.0),
       xd=st.floats(0.0, 1.0), frac=st.integers(0, 15))
def test_kernel_equals_reference_bit_for_bit(seed, p, n_in, n_out, group, wd, xd, frac):
    rng = np.random.default_rng(seed)
    x, w, keep = _layer(rng, p, n_in, n_out, group, wd, xd)
    syn = compress_synapses(w, group, keep)
    r = sparse_mac(compress_neurons(x), syn, frac)
    assert np.array_equal(r.outputs, reference_mac(x, w, frac))
    # useful MACs = positions where both masks are set, times the outputs of the group
    both = (x != 0).astype(np.int64) @ syn.mask.T.astype(np.int64)
    assert np.array_equal(r.selected, both)
    assert r.useful_macs == int((both * syn.group_sizes[None, :]).sum())
    assert np.array_equal(syn.dense(), w)
    # the groups' masks given directly (a shared index) compress to the same arrays
    unions = np.zeros((-(-n_out // group), n_in), bool)
    for g in range(unions.shape[0]):
        unions[g] = keep[g * group:(g + 1) * group].any(axis=0)
    given_masks = compress_synapses(w, group, group_mask=unions)
    for field in ("mask", "group_starts", "weights", "weight_offsets"):
        assert np.array_equal(getattr(given_masks, field), getattr(syn, field))


def test_group_mask_of_the_wrong_shape_is_refused():
    with pytest.raises(ValueError, match=r"group_mask must have shape \(2, 8\)"):
        compress_synapses(np.ones((4, 8), np.int16), 2, group_mask=np.ones((4, 8), bool))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), p=st.integers(1, 12), n_in=st.integers(1, 200), xd=st.floats(0.0, 1.0),
       data=st.data())
def test_a_row_slice_of_compressed_neurons_is_the_compressed_rows(seed, p, n_in, xd, data):
    rng = np.random.default_rng(seed)
    x = (rng.integers(-3000, 3000, (p, n_in)) * (rng.random((p, n_in)) < xd)).astype(np.int16)
    r0 = data.draw(st.integers(0, p - 1))
    r1 = data.draw(st.integers(r0 + 1, p))
    got, want = compress_neurons(x).row_slice(r0, r1), compress_neurons(x[r0:r1])
    for field in ("values", "offsets", "mask"):
        assert np.array_equal(getattr(got, field), getattr(want, field))
        assert getattr(got, field).flags.c_contiguous


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_in=st.integers(1, 200), n_out=st.integers(1, 70),
       group=st.integers(1, 17), wd=st.floats(0.0, 1.0), data=st.data())
def test_a_group_slice_of_compressed_synapses_is_the_compressed_outputs(seed, n_in, n_out, group, wd, data):
    rng = np.random.default_rng(seed)
    _, w, keep = _layer(rng, 1, n_in, n_out, group, wd, 0.5)
    groups = -(-n_out // group)
    g0 = data.draw(st.integers(0, groups - 1))
    g1 = data.draw(st.integers(g0 + 1, groups))
    o0, o1 = g0 * group, min(g1 * group, n_out)
    got = compress_synapses(w, group, keep).group_slice(g0, g1)
    want = compress_synapses(w[o0:o1], group, keep[o0:o1])
    for field in ("mask", "group_starts", "weights", "weight_offsets"):
        assert np.array_equal(getattr(got, field), getattr(want, field))
        assert getattr(got, field).flags.c_contiguous and not getattr(got, field).flags.writeable


def test_saturation_and_rounding():
    assert quantize(np.array([2**40, -(2**40)]), 8).tolist() == [32767, -32768]
    assert quantize(np.array([128, 127, -128, -129]), 8).tolist() == [1, 0, 0, -1]


def test_neuron_compression_round_trips():
    rng = np.random.default_rng(1)
    x = (rng.integers(-5, 5, (7, 40))).astype(np.int16)
    c = compress_neurons(x)
    assert c.nnz == np.count_nonzero(x)
    assert np.array_equal(decompress_neurons(c), x)


def test_mismatched_shapes_are_refused():
    x = np.ones((1, 8), np.int16)
    w = np.ones((4, 9), np.int16)
    with pytest.raises(ValueError, match="inputs"):
        sparse_mac(compress_neurons(x), compress_synapses(w, 2))

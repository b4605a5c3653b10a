"""Property tests: shapes and MAC counts agree with what the reference forward computes."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from workloads.forward import forward
from workloads.layers import Conv, Pool
from workloads.sparsity import block_sparse_weights


@st.composite
def conv_layers(draw):
    groups = draw(st.integers(1, 3))
    cin = groups * draw(st.integers(1, 3))
    cout = groups * draw(st.integers(1, 3))
    k = draw(st.integers(1, 4))
    pad = draw(st.integers(0, 2))
    h = draw(st.integers(max(1, k - 2 * pad), 9))
    w = draw(st.integers(max(1, k - 2 * pad), 9))
    stride = draw(st.integers(1, 3))
    return Conv("c", cin, cout, k, (h, w), stride, pad, groups)


@settings(max_examples=40, deadline=None)
@given(conv_layers())
def test_conv_forward_shape_and_macs(layer):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, *layer.input_shape)).astype(np.float32)
    w = np.ones(layer.weight_shape, np.float32)
    y = forward(layer, np.ones_like(x), w)
    assert y.shape == (1, *layer.output_shape)
    # with all-ones weights and inputs every output counts its multiplies; padding adds none
    if layer.padding == 0:
        assert y.sum() == layer.macs


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(0, 1), st.integers(3, 10),
       st.booleans(), st.sampled_from(["max", "avg"]))
def test_pool_forward_shape(k, s, p, size, ceil, mode):
    if p >= k or k > size + 2 * p:
        return
    layer = Pool("p", 2, (size, size), k, s, p, mode, ceil)
    y = forward(layer, np.ones((1, 2, size, size), np.float32))
    assert y.shape == (1, *layer.output_shape)
    if mode == "max" or p == 0:
        assert np.allclose(y, 1.0)  # padding never wins a max; clipped windows average to 1
    else:  # Caffe: the zero padding counts in the divisor of border windows
        assert (y > 0).all() and (y <= 1.0 + 1e-6).all()


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 40), st.integers(1, 40), st.integers(1, 8), st.integers(1, 8),
       st.floats(0.05, 1.0), st.integers(0, 2**31))
def test_block_sparse_density_is_the_closest_block_granularity_allows(n_out, n_in, b_out, b_in,
                                                                      density, seed):
    b_out, b_in = min(b_out, n_out), min(b_in, n_in)
    w, keep = block_sparse_weights((n_out, n_in), density, (b_out, b_in), seed)
    largest_block = b_out * b_in / (n_out * n_in)
    assert abs(keep.mean() - density) <= largest_block / 2 + 1e-9 or keep.sum() == b_out * b_in
    assert np.all(w[~keep] == 0)

import numpy as np
import pytest

from workloads.forward import forward
from workloads.layers import FC, LRN, Activation, Add, BatchNorm, Conv, GRUCell, LSTMCell, Pool


def naive_conv(x, w, stride, pad, groups):
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    ho, wo = (h + 2 * pad - kh) // stride + 1, (wd + 2 * pad - kw) // stride + 1
    out = np.zeros((n, o, ho, wo))
    og = o // groups
    for b in range(n):
        for oc in range(o):
            g = oc // og
            for i in range(ho):
                for j in range(wo):
                    patch = xp[b, g * cg:(g + 1) * cg, i * stride:i * stride + kh, j * stride:j * stride + kw]
                    out[b, oc, i, j] = np.sum(patch * w[oc])
    return out


@pytest.mark.parametrize("stride, pad, groups", [(1, 0, 1), (2, 1, 1), (1, 2, 2), (3, 1, 4)])
def test_conv_matches_direct_loops(stride, pad, groups):
    rng = np.random.default_rng(0)
    layer = Conv("c", 8, 12, 3, (9, 7), stride=stride, padding=pad, groups=groups)
    x = rng.standard_normal((2, *layer.input_shape)).astype(np.float32)
    w = rng.standard_normal(layer.weight_shape).astype(np.float32)
    got = forward(layer, x, w)
    assert got.shape == (2, *layer.output_shape)
    np.testing.assert_allclose(got, naive_conv(x, w, stride, pad, groups), rtol=1e-4, atol=1e-4)


def test_fc_flattens_spatial_input_and_adds_bias():
    rng = np.random.default_rng(1)
    layer = FC("f", 2 * 3 * 3, 5)
    x = rng.standard_normal((4, 2, 3, 3)).astype(np.float32)
    w = rng.standard_normal((5, 18)).astype(np.float32)
    b = np.arange(5, dtype=np.float32)
    np.testing.assert_allclose(forward(layer, x, w, b), x.reshape(4, 18) @ w.T + b, rtol=1e-5)
    with pytest.raises(ValueError, match="weights must have shape"):
        forward(layer, x, w.T)


def test_max_and_avg_pool_follow_caffe():
    x = np.arange(2 * 1 * 5 * 5, dtype=np.float32).reshape(2, 1, 5, 5)
    mp = Pool("m", 1, (5, 5), 3, 2, ceil_mode=True)  # 5 -> 2 windows of 3 plus nothing extra
    assert mp.output_shape == (1, 2, 2)
    np.testing.assert_array_equal(forward(mp, x)[0, 0], [[12, 14], [22, 24]])
    ap = Pool("a", 1, (4, 4), 3, 2, mode="avg", ceil_mode=True)  # last window clipped to 2 columns
    y = np.ones((1, 1, 4, 4), np.float32)
    y[0, 0, :, 3] = 4.0
    out = forward(ap, y)[0, 0]
    assert out.shape == (2, 2)
    assert out[0, 0] == pytest.approx(1.0) and out[0, 1] == pytest.approx((3 * 1 + 3 * 4) / 6)
    pad = Pool("p", 1, (3, 3), 3, 1, padding=1, mode="max")
    neg = -np.ones((1, 1, 3, 3), np.float32)
    assert (forward(pad, neg) == -1).all()  # padding never wins a max


def test_activations_lrn_bn_add():
    x = np.linspace(-2, 2, 24, dtype=np.float32).reshape(1, 6, 2, 2)
    assert (forward(Activation("r", (6, 2, 2)), x) >= 0).all()
    np.testing.assert_allclose(forward(Activation("t", (6, 2, 2), "tanh"), x), np.tanh(x), rtol=1e-6)
    lrn = LRN("l", (6, 2, 2), size=3, alpha=0.3, beta=0.75, k=2.0)
    ref = np.empty_like(x)
    for c in range(6):
        lo, hi = max(0, c - 1), min(6, c + 2)
        ref[:, c] = x[:, c] / (2.0 + 0.3 / 3 * np.sum(x[:, lo:hi] ** 2, axis=1)) ** 0.75
    np.testing.assert_allclose(forward(lrn, x), ref, rtol=1e-5)
    bn = forward(BatchNorm("b", (6, 2, 2)), x)
    np.testing.assert_allclose(bn.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    add = Add("s", (6, 2, 2), inputs=("a", "b"))
    np.testing.assert_allclose(forward(add, [x, x]), 2 * x)


def test_recurrent_cells_run_one_step():
    rng = np.random.default_rng(2)
    lstm = LSTMCell("l", 6, 8, proj_size=4)
    x = rng.standard_normal((3, 6)).astype(np.float32)
    w = rng.standard_normal(lstm.weight_shape).astype(np.float32)
    extra = {"peepholes": np.zeros((3, 8)), "projection": np.eye(4, 8)}
    h = forward(lstm, x, w, extra=extra)
    assert h.shape == (3, 4) and np.all(np.abs(h) < 1)
    # zero state, no peephole weight: h = sigmoid(o) * tanh(sigmoid(i) * tanh(g)), first 4 units
    z = np.concatenate([x, np.zeros((3, 4))], axis=1) @ w.T
    i, f, g, o = np.split(z, 4, axis=1)
    def s(v):
        return 1 / (1 + np.exp(-v))
    np.testing.assert_allclose(h, (s(o) * np.tanh(s(i) * np.tanh(g)))[:, :4], rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match="projection"):
        forward(lstm, x, w)
    gru = GRUCell("g", 6, 8)
    hg = forward(gru, x, rng.standard_normal(gru.weight_shape).astype(np.float32))
    assert hg.shape == (3, 8) and np.all(np.abs(hg) < 1)

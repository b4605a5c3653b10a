import numpy as np
import pytest

from workloads.compress.prune import default_block, iterative_prune, prune, sparsity_schedule, window_scores


def _weights(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


@pytest.mark.parametrize("block", [(1, 1), (16, 16), (32, 32)])
@pytest.mark.parametrize("target", [0.5, 0.9, 0.95])
def test_fc_density_within_one_percent(block, target):
    r = prune(_weights((300, 784)), target, block)
    assert abs(r.density - (1 - target)) <= 0.01
    assert np.all(r.weights[~r.keep] == 0)


@pytest.mark.parametrize("criterion", ["mean", "max"])
def test_conv_default_block_and_density(criterion):
    w = _weights((64, 32, 3, 3))
    r = prune(w, 0.8, criterion=criterion)
    assert r.block == (16, 1, 1, 1)
    assert abs(r.density - 0.2) <= 0.01
    # 16 neighbouring output channels share the same mask
    k = r.keep.reshape(4, 16, -1)
    assert np.all(k == k[:, :1])


def test_blocks_removed_whole_and_lowest_scores_go_first():
    w = _weights((64, 64))
    r = prune(w, 0.75, (16, 16))
    blocks = r.keep.reshape(4, 16, 4, 16).transpose(0, 2, 1, 3).reshape(16, -1)
    assert set(blocks.all(axis=1) | ~blocks.any(axis=1)) == {True}
    scores = window_scores(w, (16, 16)).ravel()
    kept = blocks.all(axis=1)
    assert scores[kept].min() >= scores[~kept].max()


def test_overlapping_stride_and_max_criterion_differ_from_mean():
    w = _weights((128, 128), seed=3)
    mean = prune(w, 0.9, (16, 16), criterion="mean")
    mx = prune(w, 0.9, (16, 16), criterion="max")
    assert not np.array_equal(mean.keep, mx.keep)
    ov = prune(w, 0.9, (16, 16), stride=(8, 8))
    assert abs(ov.density - 0.1) <= 0.01


def test_fine_grained_keeps_largest_magnitudes():
    w = _weights((50, 40))
    r = prune(w, 0.6, (1, 1))
    assert np.abs(w[r.keep]).min() >= np.abs(w[~r.keep]).max()


def test_default_block_is_clipped_for_small_layers():
    assert default_block("conv", (6, 1, 5, 5)) == (6, 1, 1, 1)
    assert default_block("fc", (10, 84)) == (10, 32)


def test_iterative_prune_keeps_earlier_masks():
    w = _weights((128, 256))
    seen = []

    def retrain(weights, keep):
        seen.append(keep.copy())
        return weights * 1.01

    r = iterative_prune(w, 0.9, rounds=3, block=(16, 16), retrain=retrain)
    assert len(seen) == 3
    for a, b in zip(seen, seen[1:]):
        assert not np.any(b & ~a)  # no weight revived
    assert abs(r.density - 0.1) <= 0.01
    assert sparsity_schedule(0.9, 3)[-1] == pytest.approx(0.9)


@pytest.mark.parametrize("kwargs, message", [
    (dict(sparsity=0.5, block=(64, 16)), "larger than the layer"),
    (dict(sparsity=0.5, block=(16,)), "axes"),
    (dict(sparsity=1.0, block=(8, 8)), "outside its range"),
    (dict(sparsity=-0.1, block=(8, 8)), "outside its range"),
    (dict(sparsity=0.5, block=(8, 8), criterion="median"), "criterion"),
    (dict(sparsity=0.5, block=(8, 8), stride=(16, 8)), "stride"),
])
def test_bad_input_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        prune(_weights((32, 64)), **kwargs)

"""Pipeline, report and training tests on tiny networks (fast)."""
import csv

import numpy as np
import pytest

from workloads.compress import jbig
from workloads.compress.pipeline import compress_layer, compress_trained, layer_block, trained_targets
from workloads.compress.prune import prune
from workloads.compress.report import COLUMNS, format_table, total, write_csv
from workloads.layers import FC, LRN, Conv, Pool
from workloads.layers import Activation as Act
from workloads.layers import Network as Net
from workloads.training.data import load_digits_for, resize_images
from workloads.training.model import Model
from workloads.training.train import fit

TINY_MLP = Net("tiny-mlp", [FC("fc1", 64, 128), Act("r1", (128,)), FC("fc2", 128, 64), Act("r2", (64,)),
                            FC("fc3", 64, 10)], (64,))
TINY_CNN = Net("tiny-cnn", [Conv("conv1", 1, 8, 3, (16, 16), padding=1), Act("r1", (8, 16, 16)),
                            Pool("p1", 8, (16, 16), 2, 2), Conv("conv2", 8, 16, 3, (8, 8)),
                            Act("r2", (16, 6, 6)), Pool("p2", 16, (6, 6), 2, 2, mode="avg"),
                            FC("fc1", 144, 10)], (1, 16, 16))


def _pruned_layer(shape=(256, 512), block=(16, 16), sparsity=0.9, seed=0):
    w = np.random.default_rng(seed).laplace(size=shape).astype(np.float32)
    return w, prune(w, sparsity, block), prune(w, sparsity, (1,) * len(shape))


def test_layer_report_ratios_consistent_and_sizes():
    w, coarse, fine = _pruned_layer()
    row, q, qg = compress_layer("fc", "fc", coarse.weights, coarse.keep, coarse.block, fine_keep=fine.keep)
    assert row.dense_bytes == 4 * w.size and row.weight_bytes_pruned == 4 * int(coarse.keep.sum())
    assert row.index_bytes_pruned == (256 // 16) * 512 // 8  # one bit per input per group of 16 outputs
    assert row.weight_bytes_quantized == -(-row.nonzero * q.bits // 8) + 4 * sum(cb.size for cb in q.codebooks)
    assert row.r_p <= row.r_q <= row.r_c
    assert row.weight_bytes_coded <= row.weight_bytes_quantized
    assert row.index_bytes_coded <= row.index_bytes_pruned
    assert q.k >= 2 and len(q.codebooks) == q.grid[0] * q.grid[1] > 1 and len(qg.codebooks) == 1
    if jbig.available():
        assert row.r_irr > 1


def test_total_row_and_csv(tmp_path):
    rows = []
    for i, shape in enumerate([(128, 256), (64, 128)]):
        w, coarse, fine = _pruned_layer(shape, seed=i)
        rows.append(compress_layer(f"fc{i}", "fc", coarse.weights, coarse.keep, coarse.block,
                                   fine_keep=fine.keep if jbig.available() else None)[0])
    t = total(rows)
    assert t.weights == 128 * 256 + 64 * 128
    assert t.weight_bytes_coded == sum(r.weight_bytes_coded for r in rows)
    assert t.r_c == pytest.approx(t.dense_bytes / (t.weight_bytes_coded + t.index_bytes_coded))
    path = write_csv(tmp_path / "c.csv", rows)
    with path.open() as fh:
        table = list(csv.DictReader(fh))
    assert [r["layer"] for r in table] == ["fc0", "fc1", "total"]
    for col in ("layer", "weights", "sparsity", "bits_per_weight", "weight_bytes_pruned", "index_bytes_pruned",
                "weight_bytes_quantized", "weight_bytes_coded", "index_bytes_coded", "r_p", "r_q", "r_c", "r_irr"):
        assert col in COLUMNS and col in table[0]
    assert "total" in format_table(rows)


def test_layer_block_defaults_and_bad_mask():
    assert layer_block("fc", (300, 784)) == (32, 32)
    assert layer_block("fc", (10, 84)) == (10, 16)
    assert layer_block("conv", (6, 1, 5, 5)) == (6, 1, 1, 1)
    w, coarse, _ = _pruned_layer((32, 32), (8, 8))
    with pytest.raises(ValueError, match="keep mask shape"):
        compress_layer("x", "fc", w, coarse.keep[:16], (8, 8))
    with pytest.raises(ValueError, match="larger than the layer"):
        compress_layer("x", "fc", w, coarse.keep, (64, 8))


def test_digits_resized_to_network_inputs():
    img = np.arange(64, dtype=np.float32).reshape(1, 8, 8)
    big = resize_images(img, (28, 28))
    assert big.shape == (1, 28, 28) and big[0, :2].sum() == 0 and big[0, 2, 2] == img[0, 0, 0]
    d = load_digits_for((1, 32, 32))
    assert d.x_train.shape == (1437, 1, 32, 32) and d.x_test.shape == (360, 1, 32, 32)
    assert load_digits_for((784,)).x_train.shape == (1437, 784)


def test_numpy_conv_gradient_matches_finite_differences():
    model = Model(TINY_CNN, seed=1)
    x = load_digits_for((1, 16, 16)).x_train[:4].astype(np.float64)
    conv = model.weighted["conv2"]
    out = model.forward(x)
    model.backward(np.ones_like(out))
    analytic = conv.dw[3, 2, 1, 1]
    eps = 1e-3
    conv.w[3, 2, 1, 1] += eps
    up = model.forward(x).sum()
    conv.w[3, 2, 1, 1] -= 2 * eps
    down = model.forward(x).sum()
    conv.w[3, 2, 1, 1] += eps
    assert analytic == pytest.approx((up - down) / (2 * eps), rel=2e-2, abs=1e-3)


def test_training_is_deterministic_and_learns():
    d = load_digits_for((64,))
    accs, weights = [], []
    for _ in range(2):
        m = Model(TINY_MLP, seed=3)
        fit(m, d.x_train, d.y_train, 3, seed=3)
        accs.append(m.accuracy(d.x_test, d.y_test))
        weights.append(m.get_weights()["fc1"])
    np.testing.assert_array_equal(weights[0], weights[1])
    assert accs[0] > 0.8


def test_masked_finetuning_keeps_pruned_weights_zero():
    d = load_digits_for((64,))
    m = Model(TINY_MLP, seed=0)
    mask = (np.random.default_rng(0).random((128, 64)) < 0.3).astype(np.float32)
    fit(m, d.x_train, d.y_train, 1, seed=0, masks={"fc1": mask})
    assert np.all(m.get_weights()["fc1"][mask == 0] == 0)


def test_unsupported_layer_named():
    with pytest.raises(ValueError, match="norm1"):
        Model(Net("x", [LRN("norm1", (4, 8, 8))], (4, 8, 8)))


@pytest.mark.skipif(not jbig.available(), reason="libjbig0 not installed")
def test_compress_trained_tiny_network(tmp_path, monkeypatch):
    monkeypatch.setenv("SOCSIM_CACHE", str(tmp_path))
    targets = trained_targets(TINY_MLP, {"fc": 0.8})
    assert targets == {"fc1": 0.8, "fc2": 0.8, "fc3": 0.5}
    blocks = {"fc1": (4, 4), "fc2": (4, 4), "fc3": (2, 4)}
    r = compress_trained(TINY_MLP, targets, rounds=2, finetune_epochs=1, train_epochs=4, n_sub=4, blocks=blocks)
    assert [row.layer for row in r.layers] == ["fc1", "fc2", "fc3"]
    for row, target in zip(r.layers, (0.8, 0.8, 0.5)):
        assert abs(row.sparsity - target) <= 0.01
        assert row.r_p <= row.r_q <= row.r_c
    acc = r.accuracy
    assert 0 <= acc["after"] <= 1 and acc["before"] > 0.8
    assert acc["before"] - acc["after"] < 0.15
    assert any(tmp_path.rglob("*.npz"))  # weights cached outside the repository

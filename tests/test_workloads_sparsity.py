import numpy as np
import pytest

from workloads.layers import FC, Add, Conv, LSTMCell, Pool
from workloads.sparsity import (
    MEASURED_SPARSITY,
    block_sparse_weights,
    default_block,
    layer_tensors,
    measured_density,
    network_layer_tensors,
    run_network,
    sparse_activations,
    static_neuron_sparsity,
    to_fixed,
)
from workloads.zoo import get_network


@pytest.mark.parametrize("shape, block, density", [
    ((4096, 9216), (32, 32), 0.1005),
    ((1000, 4096), (16, 16), 0.0484),
    ((384, 192, 3, 3), (16, 1, 1, 1), 0.3525),
    ((500, 800), (32, 32), 0.0853),
    ((50, 20, 5, 5), (16, 1, 1, 1), 0.1102),
    ((30, 50, 3, 3), (16, 4, 2, 2), 0.5),   # blocks that do not divide the layer
    ((64, 64), (1, 1), 0.25),               # block 1 = fine-grained
])
def test_block_sparse_density_within_one_percent(shape, block, density):
    w, keep = block_sparse_weights(shape, density, block, seed=3)
    assert w.shape == keep.shape == shape and w.dtype == np.float32 and keep.dtype == bool
    assert abs(keep.mean() - density) <= 0.01
    assert np.all(w[~keep] == 0)
    assert np.count_nonzero(w[keep]) == keep.sum()


def _blocks(keep, block):
    grid = [s // b for s, b in zip(keep.shape, block)]
    view = keep.reshape([x for pair in zip(grid, block) for x in pair])
    return view, tuple(range(1, 2 * len(block), 2))


@pytest.mark.parametrize("shape, block", [((256, 512), (32, 32)), ((64, 32, 3, 3), (16, 1, 1, 1))])
def test_whole_blocks_are_kept_or_removed(shape, block):
    w, keep = block_sparse_weights(shape, 0.3, block, seed=1)
    view, axes = _blocks(keep, block)
    per_block = view.mean(axis=axes)
    assert set(np.unique(per_block)) <= {0.0, 1.0}


def test_large_weights_are_clustered_and_block_means_vary():
    w, _ = block_sparse_weights((512, 512), 1.0, (16, 16), seed=0)
    view, axes = _blocks(np.abs(w), (16, 16))
    means = view.mean(axis=axes)
    assert means.std() / means.mean() > 0.3  # block means vary (i.i.d. weights give ~0.02)
    # neighbouring blocks are alike: lag-1 correlation of block means is clearly positive
    a, b = means[:, :-1].ravel(), means[:, 1:].ravel()
    assert np.corrcoef(a, b)[0, 1] > 0.5
    # the kept blocks are the ones with the largest mean |w|
    w2, keep2 = block_sparse_weights((512, 512), 0.2, (16, 16), seed=0)
    kept_means = _blocks(np.abs(w2), (16, 16))[0].mean(axis=axes)
    kept_blocks = _blocks(keep2, (16, 16))[0].mean(axis=axes) == 1
    assert kept_means[kept_blocks].min() > np.median(means)


def test_weights_are_reproducible_from_the_seed():
    a = block_sparse_weights((300, 784), 0.1, (32, 32), seed=11)
    b = block_sparse_weights((300, 784), 0.1, (32, 32), seed=11)
    c = block_sparse_weights((300, 784), 0.1, (32, 32), seed=12)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[1], c[1])


@pytest.mark.parametrize("shape, block, sns", [((4096, 9216), (32, 32), 0.1575),
                                               ((300, 784), (32, 16), 0.4025),
                                               ((50, 20, 5, 5), (16, 1, 1, 1), 0.25)])
def test_static_neuron_sparsity_hits_target(shape, block, sns):
    density = 0.1
    w, keep = block_sparse_weights(shape, density, block, seed=5, input_neuron_sparsity=sns)
    granularity = block[1] / shape[1]
    assert abs(static_neuron_sparsity(keep) - sns) <= granularity / 2 + 1e-9
    assert abs(keep.mean() - density) <= 0.01


@pytest.mark.parametrize("kwargs, message", [
    (dict(shape=(10, 10), density=0.0, block=(2, 2)), r"density must be in \(0, 1\]"),
    (dict(shape=(10, 10), density=1.5, block=(2, 2)), r"density must be in \(0, 1\]"),
    (dict(shape=(10, 10), density=0.5, block=(16, 2)), r"block size 16 on axis 0 must be in \[1, 10\]"),
    (dict(shape=(10, 10), density=0.5, block=(2, 2, 1, 1)), "block must be"),
    (dict(shape=(10, 10, 3), density=0.5, block=(2, 2, 1)), "weight shape"),
    (dict(shape=(10, 10), density=0.9, block=(2, 2), input_neuron_sparsity=0.5), "larger than"),
    (dict(shape=(10, 10), density=0.5, block=(2, 2), seed=-1), "seed"),
])
def test_bad_generator_input_is_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        block_sparse_weights(**kwargs)


def test_default_block_follows_spec_and_shrinks_on_small_layers():
    assert default_block((4096, 9216)) == (32, 32)
    assert default_block((512, 256, 3, 3)) == (16, 1, 1, 1)
    assert default_block((10, 500)) == (2, 32)


@pytest.mark.parametrize("shape, density", [((1, 96, 27, 27), 0.6237), ((4, 9216), 0.7073),
                                            ((2, 64, 56, 56), 0.497), ((1, 10), 1.0)])
def test_sparse_activations_density_and_sign(shape, density):
    a = sparse_activations(shape, density, seed=2)
    assert a.shape == shape and a.dtype == np.float32
    assert (a >= 0).all()
    assert abs(measured_density(a) - density) <= 0.01
    assert np.array_equal(a, sparse_activations(shape, density, seed=2))
    assert not np.array_equal(a, sparse_activations(shape, density, seed=3))


def test_to_fixed_rounds_and_saturates():
    x = np.array([0.5, -0.5, 1.0 / 256, 1.4 / 256, 1000.0, -1000.0, 127.99])
    np.testing.assert_array_equal(to_fixed(x), [128, -128, 1, 1, 32767, -32768, 32765])
    assert to_fixed(x).dtype == np.int16
    np.testing.assert_array_equal(to_fixed([0.75], frac_bits=2), [3])
    with pytest.raises(ValueError, match="frac_bits"):
        to_fixed(x, frac_bits=16)


def test_layer_tensors_for_each_layer_kind():
    conv = Conv("c", 96, 256, 5, (27, 27), padding=2, groups=2)
    t = layer_tensors(conv, 0.35, 0.6, seed=4, batch=2)
    assert t.weights.shape == conv.weight_shape and t.keep.shape == conv.weight_shape
    assert t.inputs.shape == (2, 96, 27, 27)
    assert abs(t.weight_density - 0.35) <= 0.01 and abs(t.input_density - 0.6) <= 0.01
    again = layer_tensors(conv, 0.35, 0.6, seed=4, batch=2)
    assert np.array_equal(t.weights, again.weights) and np.array_equal(t.inputs, again.inputs)
    pool = layer_tensors(Pool("p", 8, (6, 6), 2, 2), 1.0, 0.5)
    assert pool.weights.size == 0 and pool.inputs.shape == (1, 8, 6, 6)
    add = layer_tensors(Add("a", (4, 3, 3), inputs=("x", "y")), 1.0, 0.5)
    assert len(add.inputs) == 2 and not np.array_equal(add.inputs[0], add.inputs[1])
    lstm = layer_tensors(LSTMCell("l", 153, 1024, proj_size=512), 0.12, 1.0)
    assert lstm.weights.shape == (4096, 665)
    assert lstm.extra["projection"].shape == (512, 1024) and lstm.extra["peepholes"].shape == (3, 1024)
    with pytest.raises(ValueError, match="weight_density"):
        layer_tensors(FC("f", 4, 4), 0.0, 0.5)
    with pytest.raises(ValueError, match="block size"):
        layer_tensors(FC("f", 8, 8), 0.5, 0.5, block=(16, 16))


def test_measured_table_matches_spec():
    assert MEASURED_SPARSITY["alexnet"]["conv_sss"] == pytest.approx(0.6475)
    assert MEASURED_SPARSITY["vgg16"]["fc_dns"] == pytest.approx(0.4303)
    assert MEASURED_SPARSITY["mlp"]["conv_sss"] is None
    assert set(MEASURED_SPARSITY) == {"lenet5", "mlp", "cifar10-quick", "alexnet", "vgg16", "resnet152"}


def test_running_a_network_makes_relu_zeros_at_the_measured_rate():
    net = get_network("alexnet")
    run = run_network(net, seed=0)
    row = MEASURED_SPARSITY["alexnet"]
    # a ReLU directly feeding a weighted layer delivers the measured DNS of that layer kind
    fc7_in = run.tensors("fc7").inputs
    assert abs((1 - measured_density(fc7_in)) - row["fc_dns"]) <= 0.01
    conv4_in = run.tensors("conv4").inputs
    assert abs((1 - measured_density(conv4_in)) - row["conv_dns"]) <= 0.01
    # the zeros were made by ReLU: its input is signed, its output not
    assert (run.outputs["conv3"] < 0).any() and (run.outputs["relu3"] >= 0).all()
    # weights at the measured static sparsity, SNS as measured
    assert abs(run.tensors("fc6").weight_density - (1 - row["fc_sss"])) <= 0.01
    assert abs(static_neuron_sparsity(run.keep["fc6"]) - row["fc_sns"]) <= 0.01
    assert abs(run.tensors("conv2").weight_density - (1 - row["conv_sss"])) <= 0.01
    # values fit 16-bit fixed point Q7.8 without saturation
    assert max(float(np.abs(v).max()) for v in run.outputs.values()) < 127


def test_network_run_is_reproducible_and_covers_residual_adds():
    net = get_network("lenet5")
    a, b = network_layer_tensors(net, seed=9), network_layer_tensors(net, seed=9)
    for name in a:
        assert np.array_equal(a[name].weights, b[name].weights)
        assert np.array_equal(a[name].inputs, b[name].inputs)
    res = run_network(get_network("resnet18"), seed=1)
    add = res.tensors("layer1.0.add")
    assert len(add.inputs) == 2
    np.testing.assert_allclose(res.outputs["layer1.0.add"], add.inputs[0] + add.inputs[1], rtol=1e-6)


def test_measured_layer_tensors_use_the_table():
    from workloads.sparsity import measured_layer_tensors
    t = measured_layer_tensors("vgg16", "fc7", seed=1)
    row = MEASURED_SPARSITY["vgg16"]
    assert abs(t.weight_density - (1 - row["fc_sss"])) <= 0.01
    assert abs(t.input_density - (1 - row["fc_dns"])) <= 0.01
    assert abs(static_neuron_sparsity(t.keep) - row["fc_sns"]) <= 32 / 4096
    r50 = measured_layer_tensors("resnet50", "layer1.0.conv2")  # borrows ResNet-152's row
    assert abs(r50.weight_density - (1 - MEASURED_SPARSITY["resnet152"]["conv_sss"])) <= 0.01
    lstm = measured_layer_tensors("lstm", "lstm1")  # no measured row: dense
    assert lstm.weight_density == 1.0 and lstm.input_density == 1.0


# --------------------------------------------------------------------------- compact runs
@pytest.mark.parametrize("shape, block, density, sns", [
    ((4096, 9216), (32, 32), 0.1005, 0.1575),   # AlexNet fc6 at its measured rates
    ((500, 800), (32, 32), 0.0853, None),
    ((30, 50, 3, 3), (16, 4, 2, 2), 0.5, 0.2),  # blocks that do not divide the layer
    ((37, 11), (8, 3), 0.3, None),
])
def test_block_sparse_kept_weights_are_those_of_the_dense_mask(shape, block, density, sns):
    from workloads.sparsity import block_sparse, expand_blocks
    pruned = block_sparse(shape, density, block, seed=5, input_neuron_sparsity=sns)
    w, keep = block_sparse_weights(shape, density, block, seed=5, input_neuron_sparsity=sns)
    assert np.array_equal(pruned.weights, w) and np.array_equal(pruned.keep(), keep)
    assert np.array_equal(pruned.kept(), w[keep])
    # any band of rows expands to that band of the mask
    lo, hi = shape[0] // 3, shape[0] - 1
    assert np.array_equal(expand_blocks(pruned.blocks, pruned.block, shape, (lo, hi)), keep[lo:hi])


@pytest.mark.parametrize("name, kwargs", [
    ("lenet5", {}),
    ("cifar10-quick", {"batch": 2}),
    ("lenet5", {"prune": "coarse"}),
])
def test_a_compact_run_hands_over_the_kept_weights_of_the_dense_run(name, kwargs):
    """The same network run with and without ``compact``: every conv/FC layer's kept
    weights are the dense run's ``weights[keep]``, and masks, inputs, outputs and
    provenance are identical."""
    from workloads.sparsity import PruneSpec, iter_network
    if kwargs.get("prune"):
        kwargs = {**kwargs, "prune": PruneSpec(kwargs["prune"], 0.3)}
    net = get_network(name)
    dense = list(iter_network(net, 7, keep_outputs=False, **kwargs))
    compact = list(iter_network(net, 7, keep_outputs=False, compact=True, **kwargs))
    assert [s.tensors.layer.name for s in dense] == [s.tensors.layer.name for s in compact]
    for d, c in zip(dense, compact):
        td, tc = d.tensors, c.tensors
        assert np.array_equal(d.output, c.output) and td.source == tc.source
        assert np.array_equal(td.keep, tc.keep) and np.array_equal(np.asarray(td.inputs), np.asarray(tc.inputs))
        if td.layer.kind in ("conv", "fc"):
            assert tc.weights is None and np.array_equal(tc.kept, td.weights[td.keep])
        else:
            assert tc.kept is None

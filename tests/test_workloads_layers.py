import pytest

from workloads.layers import FC, LRN, Activation, Add, BatchNorm, Conv, GRUCell, LSTMCell, Network, Pool


def test_conv_shapes_macs_and_weights_with_stride_padding_groups():
    c = Conv("c", 96, 256, 5, (27, 27), stride=1, padding=2, groups=2)
    assert c.kind == "conv"
    assert c.input_shape == (96, 27, 27) and c.output_shape == (256, 27, 27)
    assert c.weight_shape == (256, 48, 5, 5)
    assert c.weights == 256 * 48 * 25
    assert c.macs == c.weights * 27 * 27
    s = Conv("s", 3, 96, 11, (227, 227), stride=4)
    assert s.output_shape == (96, 55, 55)
    r = Conv("r", 3, 8, (3, 5), (10, 12), stride=(2, 1), padding=(1, 2))
    assert r.output_shape == (8, 5, 12)


@pytest.mark.parametrize("kwargs, words", [
    (dict(kernel=9, in_hw=(5, 5)), "kernel"),
    (dict(groups=3), "groups"),
    (dict(stride=0), "stride"),
    (dict(padding=-1), "padding"),
    (dict(in_hw=(0, 4)), "in_hw"),
])
def test_conv_validation_names_the_field(kwargs, words):
    base = dict(name="bad", in_channels=4, out_channels=8, kernel=3, in_hw=(8, 8))
    base.update(kwargs)
    with pytest.raises(ValueError, match=words):
        Conv(**base)


def test_kernel_may_use_padding_but_not_exceed_it():
    assert Conv("ok", 1, 1, 7, (5, 5), padding=1).output_shape == (1, 1, 1)
    with pytest.raises(ValueError, match="larger than the padded input 7x7"):
        Conv("bad", 1, 1, 8, (5, 5), padding=1)


def test_fc_and_pool():
    f = FC("f", 9216, 4096)
    assert (f.input_shape, f.output_shape, f.weights, f.macs) == ((9216,), (4096,), 37748736, 37748736)
    p = Pool("p", 96, (55, 55), 3, 2)
    assert p.output_shape == (96, 27, 27) and p.macs == 0 and p.weights == 0
    # Caffe rounds pooled sizes up: cifar10-quick's 32 -> 16
    assert Pool("q", 32, (32, 32), 3, 2, ceil_mode=True).output_shape == (32, 16, 16)
    assert Pool("q", 32, (32, 32), 3, 2).output_shape == (32, 15, 15)
    assert Pool("r", 64, (112, 112), 3, 2, padding=1).output_shape == (64, 56, 56)
    with pytest.raises(ValueError, match="mode"):
        Pool("p", 1, (4, 4), 2, 2, mode="median")


def test_elementwise_layers_keep_their_shape_and_have_no_macs():
    for layer in (Activation("a", (3, 4, 4), "tanh"), LRN("l", (3, 4, 4)), BatchNorm("b", (3, 4, 4)),
                  Add("x", (3, 4, 4), inputs=("p", "q"))):
        assert layer.input_shape == layer.output_shape == (3, 4, 4)
        assert layer.macs == 0 and layer.weights == 0 and layer.ops > 0
    with pytest.raises(ValueError, match="function"):
        Activation("a", (4,), "gelu")
    with pytest.raises(ValueError, match="inputs"):
        Add("x", (4,))


def test_recurrent_cells():
    lstm = LSTMCell("l", 153, 1024, proj_size=512)
    assert lstm.weight_shape == (4096, 665)
    assert lstm.weights == 4096 * 665 + 3 * 1024 + 512 * 1024
    assert lstm.output_shape == (512,)
    plain = LSTMCell("p", 10, 20, peepholes=False)
    assert plain.weights == 4 * 20 * 30 and plain.output_shape == (20,)
    gru = GRUCell("g", 10, 20)
    assert gru.weights == gru.macs == 3 * 20 * 30


def test_layers_are_frozen():
    f = FC("f", 2, 3)
    with pytest.raises(Exception):
        f.in_features = 4


def test_network_checks_connections_and_sums():
    net = Network("n", [Conv("c", 1, 4, 3, (6, 6)), Activation("r", (4, 4, 4)), FC("f", 64, 10)], (1, 6, 6))
    assert net.macs == 4 * 9 * 16 + 640 and net.weights == 36 + 640
    assert net.layer("f").out_features == 10 and len(net) == 3
    assert net.producers("c") == ("input",) and net.producers("f") == ("r",)
    with pytest.raises(ValueError, match="expects input shape"):
        Network("n", [Conv("c", 1, 4, 3, (6, 6)), FC("f", 63, 10)], (1, 6, 6))
    with pytest.raises(ValueError, match="duplicate"):
        Network("n", [FC("f", 4, 4), FC("f", 4, 4)], (4,))
    with pytest.raises(ValueError, match="no layer of the network"):
        Network("n", [FC("f", 4, 4), Add("a", (4,), inputs=("f", "later"))], (4,))
    with pytest.raises(KeyError):
        net.layer("nope")


def test_residual_add_names_inputs():
    net = Network("res", [FC("a", 4, 4), FC("b", 4, 4), Add("s", (4,), inputs=("a", "b"))], (4,))
    assert net.producers("s") == ("a", "b")


def test_list_and_int_sizes_are_normalised_to_tuples():
    c = Conv("c", 3, 4, [3, 3], [8, 8], stride=[1, 1], inputs=["x"])
    assert c.in_hw == (8, 8) and c.kernel == (3, 3) and c.inputs == ("x",)
    assert Conv("d", 3, 4, 3, 8).input_shape == (3, 8, 8)
    assert hash(c) == hash(Conv("c", 3, 4, (3, 3), (8, 8), stride=(1, 1), inputs=("x",)))

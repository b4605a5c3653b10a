import pytest

from workloads.layers import Add, Conv
from workloads.zoo import get_network, list_networks

# (weights without biases, MACs of conv + fc + recurrent matrices) per sample.
PUBLISHED = {
    "lenet5": (430_500, 2_293_000),
    "mlp": (266_200, 266_200),
    "cifar10-quick": (145_376, 12_354_176),
    "alexnet": (60_954_656, 724_406_816),
    "vgg16": (138_344_128, 15_470_264_320),
    "resnet18": (11_678_912, 1_814_073_344),
    "resnet50": (25_502_912, 4_089_184_256),
    "resnet152": (60_040_384, 11_513_626_624),
    "lstm": (3_251_200, 3_251_200),
    "gru": (3_615_744, 3_615_744),
}


def test_every_contract_name_is_listed():
    assert list_networks() == list(PUBLISHED)


@pytest.mark.parametrize("name", list(PUBLISHED))
def test_totals_match_published(name):
    net = get_network(name)
    weights, macs = PUBLISHED[name]
    assert net.weights == weights
    assert net.macs == macs


def test_rounded_totals_from_the_literature():
    alex, vgg, r50 = get_network("alexnet"), get_network("vgg16"), get_network("resnet50")
    assert alex.weights / 1e6 == pytest.approx(61, abs=0.5)
    assert alex.macs / 1e6 == pytest.approx(724, abs=1)
    assert vgg.weights / 1e6 == pytest.approx(138, abs=0.5)
    assert vgg.macs / 1e9 == pytest.approx(15.5, abs=0.05)
    assert r50.weights / 1e6 == pytest.approx(25.5, abs=0.1)
    assert r50.macs / 1e9 == pytest.approx(4.1, abs=0.05)


def test_alexnet_layer_shapes():
    net = get_network("alexnet")
    assert net.layer("conv1").output_shape == (96, 55, 55)
    assert net.layer("conv2").groups == 2 and net.layer("conv4").groups == 2
    assert net.layer("conv5").groups == 2 and net.layer("conv3").groups == 1
    assert net.layer("pool5").output_shape == (256, 6, 6)
    assert net.layer("fc6").weight_shape == (4096, 9216)
    assert [l.kind for l in net].count("lrn") == 2


def test_resnet_blocks_have_projection_shortcuts_and_named_adds():
    net = get_network("resnet50")
    adds = [l for l in net if isinstance(l, Add)]
    assert len(adds) == 16
    projections = [l for l in net if isinstance(l, Conv) and "downsample" in l.name]
    assert len(projections) == 4
    first = net.layer("layer1.0.add")
    assert first.inputs == ("layer1.0.bn3", "layer1.0.downsample.bn")
    second = net.layer("layer1.1.add")
    assert second.inputs == ("layer1.1.bn3", "layer1.0.relu3")
    assert net.layer("layer2.0.conv2").stride == 2
    assert net.layer("avgpool").output_shape == (2048, 1, 1)
    assert len([l for l in get_network("resnet152") if isinstance(l, Add)]) == 50
    assert len([l for l in get_network("resnet18") if isinstance(l, Add)]) == 8


def test_cifar10_quick_follows_caffe_pool_rounding():
    net = get_network("cifar10-quick")
    assert [net.layer(p).output_shape for p in ("pool1", "pool2", "pool3")] == [
        (32, 16, 16), (32, 8, 8), (64, 4, 4)]
    assert net.layer("ip1").in_features == 1024


def test_unknown_name_lists_allowed_names():
    with pytest.raises(ValueError, match="alexnet"):
        get_network("googlenet")


def test_networks_are_fresh_and_equal():
    assert get_network("vgg16") == get_network("vgg16")

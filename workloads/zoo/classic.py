"""Classic feed-forward networks with their published layer shapes.

- ``lenet5``: Caffe's LeNet (examples/mnist/lenet.prototxt), the variant used in the
  compression literature (431 K weights): conv 20@5x5, max pool 2/2, conv 50@5x5,
  max pool 2/2, FC 800-500, ReLU, FC 500-10 on a 1x28x28 input. Like the prototxt it has
  no non-linearity after the convolutions.
- ``mlp``: 784-300-100-10 with ReLU between the layers (LeCun et al. 1998, "LeNet-300-100").
- ``cifar10-quick``: Caffe's examples/cifar10/cifar10_quick_train_test.prototxt; its pools
  round up (Caffe ``ceil`` output size): 32->16->8->4.
- ``alexnet``: Krizhevsky et al. 2012 as in Caffe's bvlc_alexnet, 3x227x227 input, conv2,
  conv4, conv5 with 2 groups, LRN (size 5, alpha 1e-4, beta 0.75) after conv1/conv2.
- ``vgg16``: Simonyan & Zisserman 2014, configuration D, 3x224x224 input.
Dropout is an identity at inference and is not listed.
"""
from __future__ import annotations

from workloads.layers import Network
from workloads.zoo.builder import NetworkBuilder


def lenet5() -> Network:
    b = NetworkBuilder("lenet5", (1, 28, 28))
    b.conv("conv1", 20, 5)
    b.pool("pool1", 2, 2)
    b.conv("conv2", 50, 5)
    b.pool("pool2", 2, 2)
    b.fc("ip1", 500)
    b.act("relu1")
    b.fc("ip2", 10)
    return b.build()


def mlp() -> Network:
    b = NetworkBuilder("mlp", (784,))
    b.fc("ip1", 300)
    b.act("relu1")
    b.fc("ip2", 100)
    b.act("relu2")
    b.fc("ip3", 10)
    return b.build()


def cifar10_quick() -> Network:
    b = NetworkBuilder("cifar10-quick", (3, 32, 32))
    b.conv("conv1", 32, 5, padding=2)
    b.pool("pool1", 3, 2, mode="max", ceil_mode=True)
    b.act("relu1")
    b.conv("conv2", 32, 5, padding=2)
    b.act("relu2")
    b.pool("pool2", 3, 2, mode="avg", ceil_mode=True)
    b.conv("conv3", 64, 5, padding=2)
    b.act("relu3")
    b.pool("pool3", 3, 2, mode="avg", ceil_mode=True)
    b.fc("ip1", 64)
    b.fc("ip2", 10)
    return b.build()


def alexnet() -> Network:
    b = NetworkBuilder("alexnet", (3, 227, 227))
    b.conv("conv1", 96, 11, stride=4)
    b.act("relu1")
    b.lrn("norm1", 5)
    b.pool("pool1", 3, 2)
    b.conv("conv2", 256, 5, padding=2, groups=2)
    b.act("relu2")
    b.lrn("norm2", 5)
    b.pool("pool2", 3, 2)
    b.conv("conv3", 384, 3, padding=1)
    b.act("relu3")
    b.conv("conv4", 384, 3, padding=1, groups=2)
    b.act("relu4")
    b.conv("conv5", 256, 3, padding=1, groups=2)
    b.act("relu5")
    b.pool("pool5", 3, 2)
    b.fc("fc6", 4096)
    b.act("relu6")
    b.fc("fc7", 4096)
    b.act("relu7")
    b.fc("fc8", 1000)
    return b.build()


def vgg16() -> Network:
    b = NetworkBuilder("vgg16", (3, 224, 224))
    for stage, (channels, convs) in enumerate([(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)], 1):
        for i in range(1, convs + 1):
            b.conv(f"conv{stage}_{i}", channels, 3, padding=1)
            b.act(f"relu{stage}_{i}")
        b.pool(f"pool{stage}", 2, 2)
    b.fc("fc6", 4096)
    b.act("relu6")
    b.fc("fc7", 4096)
    b.act("relu7")
    b.fc("fc8", 1000)
    return b.build()

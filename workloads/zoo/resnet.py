"""Residual networks (He et al. 2016) with the torchvision layout ("v1.5": in bottleneck
blocks the stride sits on the 3x3 convolution), 3x224x224 input.

Every convolution is followed by batch norm; a block's shortcut is the identity, or a
1x1 projection convolution + batch norm when the shape changes. The residual ``Add``
names both of its inputs. Stage widths: ResNet-18 basic blocks [2, 2, 2, 2];
ResNet-50 bottlenecks [3, 4, 6, 3]; ResNet-152 bottlenecks [3, 8, 36, 3].
"""
from __future__ import annotations

from workloads.layers import Network
from workloads.zoo.builder import NetworkBuilder


def _stem(b: NetworkBuilder) -> None:
    b.conv("conv1", 64, 7, stride=2, padding=3)
    b.bn("bn1")
    b.act("relu1")
    b.pool("maxpool", 3, 2, padding=1)


def _shortcut(b: NetworkBuilder, prefix: str, block_in: str, out_channels: int, stride: int) -> str:
    in_channels = b.shapes[block_in][0]
    if stride == 1 and in_channels == out_channels:
        return block_in
    b.conv(f"{prefix}.downsample.conv", out_channels, 1, stride=stride, source=block_in)
    return b.bn(f"{prefix}.downsample.bn")


def _basic(b: NetworkBuilder, prefix: str, channels: int, stride: int) -> None:
    block_in = b.last
    b.conv(f"{prefix}.conv1", channels, 3, stride=stride, padding=1)
    b.bn(f"{prefix}.bn1")
    b.act(f"{prefix}.relu1")
    b.conv(f"{prefix}.conv2", channels, 3, padding=1)
    main = b.bn(f"{prefix}.bn2")
    short = _shortcut(b, prefix, block_in, channels, stride)
    b.add(f"{prefix}.add", main, short)
    b.act(f"{prefix}.relu2")


def _bottleneck(b: NetworkBuilder, prefix: str, channels: int, stride: int) -> None:
    block_in = b.last
    b.conv(f"{prefix}.conv1", channels, 1)
    b.bn(f"{prefix}.bn1")
    b.act(f"{prefix}.relu1")
    b.conv(f"{prefix}.conv2", channels, 3, stride=stride, padding=1)
    b.bn(f"{prefix}.bn2")
    b.act(f"{prefix}.relu2")
    b.conv(f"{prefix}.conv3", channels * 4, 1)
    main = b.bn(f"{prefix}.bn3")
    short = _shortcut(b, prefix, block_in, channels * 4, stride)
    b.add(f"{prefix}.add", main, short)
    b.act(f"{prefix}.relu3")


def _resnet(name: str, block, counts: list[int]) -> Network:
    b = NetworkBuilder(name, (3, 224, 224))
    _stem(b)
    for stage, (channels, count) in enumerate(zip([64, 128, 256, 512], counts), 1):
        for i in range(count):
            stride = 2 if stage > 1 and i == 0 else 1
            block(b, f"layer{stage}.{i}", channels, stride)
    b.global_avg_pool("avgpool")
    b.fc("fc", 1000)
    return b.build()


def resnet18() -> Network:
    return _resnet("resnet18", _basic, [2, 2, 2, 2])


def resnet50() -> Network:
    return _resnet("resnet50", _bottleneck, [3, 4, 6, 3])


def resnet152() -> Network:
    return _resnet("resnet152", _bottleneck, [3, 8, 36, 3])

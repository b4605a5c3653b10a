"""The network zoo: published layer shapes of well-known networks.

``list_networks()`` gives the names; ``get_network(name)`` builds a fresh
:class:`~workloads.layers.Network` (an unknown name raises ``ValueError`` listing the
allowed ones).
"""
from __future__ import annotations

from typing import Callable

from workloads.layers import Network
from workloads.zoo.classic import alexnet, cifar10_quick, lenet5, mlp, vgg16
from workloads.zoo.recurrent import gru, lstm
from workloads.zoo.resnet import resnet18, resnet50, resnet152

_BUILDERS: dict[str, Callable[[], Network]] = {
    "lenet5": lenet5,
    "mlp": mlp,
    "cifar10-quick": cifar10_quick,
    "alexnet": alexnet,
    "vgg16": vgg16,
    "resnet18": resnet18,
    "resnet50": resnet50,
    "resnet152": resnet152,
    "lstm": lstm,
    "gru": gru,
}


def list_networks() -> list[str]:
    return list(_BUILDERS)


def get_network(name: str) -> Network:
    try:
        builder = _BUILDERS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown network {name!r}; allowed: {', '.join(_BUILDERS)}") from None
    return builder()


__all__ = ["list_networks", "get_network"]

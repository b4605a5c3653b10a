"""A custom small CNN written against the programming model (soc.runtime.api).

Two sparse convolutions with fused ReLU, max and average pooling, batch norm, a residual
add and a classifier, on a 3x16x16 input whose activations are 60 % non-zero.

    python workloads/examples/small_cnn.py --out out/small-cnn [--preset dense]
    socsim run workloads/examples/small_cnn.py --preset coarse-sparse --out out/small-cnn

``run(handle, seed)`` is what ``socsim run`` calls; every call appends one row to the
handle's results (and to layers.csv when the handle has a writer).
"""
from __future__ import annotations

from soc.runtime.api import (
    ActivationDescriptor,
    AddDescriptor,
    BatchNormDescriptor,
    ConvDescriptor,
    Filter,
    FilterDescriptor,
    InnerProductDescriptor,
    PoolingDescriptor,
    Tensor,
    TensorDescriptor,
    activation_forward,
    add_forward,
    batchnorm_forward,
    conv_forward,
    inner_product_forward,
    pooling_forward,
)
from workloads.sparsity import sparse_activations


def run(handle, seed: int = 0) -> Tensor:
    x = Tensor(TensorDescriptor((1, 3, 16, 16)), sparse_activations((1, 3, 16, 16), 0.6, seed))

    w1 = Filter.generate(FilterDescriptor((16, 3, 3, 3), block=(16, 1, 1, 1)), density=0.5, seed=seed + 1)
    c1 = Tensor(TensorDescriptor((1, 16, 16, 16)))
    conv_forward(handle, ConvDescriptor(padding=1), x, w1, c1, name="conv1", activation="relu")

    p1 = Tensor(TensorDescriptor((1, 16, 8, 8)))
    pooling_forward(handle, PoolingDescriptor("max", kernel=2, stride=2), c1, p1, name="pool1")

    w2 = Filter.generate(FilterDescriptor((16, 16, 3, 3), block=(16, 1, 1, 1)), density=0.35, seed=seed + 2)
    c2 = Tensor(TensorDescriptor((1, 16, 8, 8)))
    conv_forward(handle, ConvDescriptor(padding=1), p1, w2, c2, name="conv2")

    b2 = Tensor(TensorDescriptor((1, 16, 8, 8)))
    batchnorm_forward(handle, BatchNormDescriptor(), c2, b2, name="bn2")

    s2 = Tensor(TensorDescriptor((1, 16, 8, 8)))
    add_forward(handle, AddDescriptor(), [b2, p1], s2, name="residual")

    r2 = Tensor(TensorDescriptor((1, 16, 8, 8)))
    activation_forward(handle, ActivationDescriptor("relu"), s2, r2, name="relu2")

    p2 = Tensor(TensorDescriptor((1, 16, 4, 4)))
    pooling_forward(handle, PoolingDescriptor("avg", kernel=2, stride=2), r2, p2, name="pool2")

    w3 = Filter.generate(FilterDescriptor((10, 256), block=(2, 16)), density=0.25, seed=seed + 3)
    y = Tensor(TensorDescriptor((1, 10)))
    inner_product_forward(handle, InnerProductDescriptor(), Tensor(TensorDescriptor((1, 256)), p2.data.reshape(1, -1)),
                          w3, y, name="classifier")
    return y


if __name__ == "__main__":
    from workloads.examples import main
    main(__file__, "a small CNN")

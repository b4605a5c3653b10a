"""Small random layers for the simulator tests (int16, block-sparse weights, sparse inputs)."""
import numpy as np


def block_keep(rng, shape, block, density):
    grid = tuple(-(-s // b) for s, b in zip(shape, block))
    m = rng.random(grid) < density
    for ax, b in enumerate(block):
        m = np.repeat(m, b, axis=ax)
    return m[tuple(slice(0, s) for s in shape)]


def fc_layer(seed, n_in, n_out, block=(16, 16), wd=0.3, xd=0.6, batch=1):
    rng = np.random.default_rng(seed)
    keep = block_keep(rng, (n_out, n_in), block, wd)
    w = (rng.integers(-3000, 3000, keep.shape) * keep).astype(np.int16)
    x = (rng.integers(1, 3000, (batch, n_in)) * (rng.random((batch, n_in)) < xd)).astype(np.int16)
    return x, w, keep


def conv_layer(seed, c_in, c_out, size, k, block=(16, 1, 1, 1), wd=0.4, xd=0.6):
    rng = np.random.default_rng(seed)
    keep = block_keep(rng, (c_out, c_in, k, k), block, wd)
    w = (rng.integers(-3000, 3000, keep.shape) * keep).astype(np.int16)
    x = (rng.integers(1, 3000, (c_in, size, size)) * (rng.random((c_in, size, size)) < xd)).astype(np.int16)
    return x, w, keep

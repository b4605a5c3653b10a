"""Trained weights, regenerated deterministically and cached outside the repository.

No weights are committed: :func:`trained_model` trains the network from ``seed`` on the
digits data (:mod:`workloads.training.data`) and stores the result in
``$SOCSIM_CACHE`` (default ``~/.cache/socsim``) under a name that hashes the layer list,
seed and epochs, so a changed network or setting never reuses stale weights. Training
runs with BLAS limited to one thread (deterministic summation order, and faster than
threaded BLAS on small matrices): LeNet-5 takes about a minute on one core, the MLP
a few seconds.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from workloads.training.data import load_digits_for
from workloads.training.model import Model
from workloads.training.train import fit

DEFAULT_EPOCHS = 20
FORMAT_VERSION = 1


def cache_dir() -> Path:
    return Path(os.environ.get("SOCSIM_CACHE", Path.home() / ".cache" / "socsim")) / "weights"


def _key(network, seed: int, epochs: int) -> str:
    desc = repr([repr(layer) for layer in network.layers]) + repr(tuple(network.input_shape))
    h = hashlib.sha256(f"{FORMAT_VERSION}|{desc}|{seed}|{epochs}".encode()).hexdigest()[:16]
    return f"{network.name}-seed{seed}-e{epochs}-{h}.npz"


def trained_model(network, seed: int = 0, epochs: int = DEFAULT_EPOCHS, use_cache: bool = True) -> Model:
    """A :class:`Model` of ``network`` trained for ``epochs`` from ``seed`` (cached)."""
    model = Model(network, seed=seed)
    path = cache_dir() / _key(network, seed, epochs)
    if use_cache and path.exists():
        with np.load(path) as state:
            model.load_state(state)
        return model
    data = load_digits_for(tuple(network.input_shape))
    with threadpool_limits(1):
        fit(model, data.x_train, data.y_train, epochs, seed=seed)
    if use_cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, **model.state())
        os.replace(tmp, path)
    return model

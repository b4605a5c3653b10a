"""Training and masked fine-tuning of a :class:`~workloads.training.model.Model`.

Adam (lr 2e-3, betas 0.9/0.999) on softmax cross-entropy, mini-batches of 64 in an order
drawn from ``numpy.random.default_rng(seed)``. With masks set, pruned weights get no
gradient and are re-zeroed after every step, so fine-tuning never revives them.
BLAS runs on one thread while training: a fixed summation order (deterministic results
for a seed) and, for matrices this small, faster than threaded BLAS.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from threadpoolctl import threadpool_limits

from workloads.training.model import Model


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    z = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    n = len(labels)
    loss = float(-np.log(p[np.arange(n), labels] + 1e-12).mean())
    p[np.arange(n), labels] -= 1
    return loss, (p / n).astype(np.float32)


def fit(model: Model, x: np.ndarray, y: np.ndarray, epochs: int, seed: int = 0, lr: float = 2e-3,
        batch: int = 64, masks: dict[str, np.ndarray] | None = None,
        after_step: Callable[[Model], None] | None = None) -> list[float]:
    """Train ``epochs`` passes; returns the mean loss of each epoch. ``after_step(model)``
    runs after every optimizer step (e.g. to project weights back onto shared codebooks)."""
    with threadpool_limits(1):
        return _fit(model, x, y, epochs, seed, lr, batch, masks, after_step)


def _fit(model, x, y, epochs, seed, lr, batch, masks, after_step) -> list[float]:
    """Train ``epochs`` passes; returns the mean loss of each epoch."""
    if epochs < 0:
        raise ValueError(f"epochs={epochs}; allowed >= 0")
    rng = np.random.default_rng(seed)
    masks = masks or {}
    params = []
    for name, op in model.weighted.items():
        params.append((op, "w", masks.get(name)))
        params.append((op, "b", None))
    m = [np.zeros_like(getattr(op, attr)) for op, attr, _ in params]
    v = [np.zeros_like(getattr(op, attr)) for op, attr, _ in params]
    b1, b2, eps = 0.9, 0.999, 1e-8
    t = 0
    history = []
    for op, attr, mask in params:
        if mask is not None:
            setattr(op, attr, getattr(op, attr) * mask)
    for _ in range(epochs):
        order = rng.permutation(len(x))
        losses = []
        for start in range(0, len(x), batch):
            idx = order[start:start + batch]
            loss, d = softmax_cross_entropy(model.forward(x[idx]), y[idx])
            losses.append(loss)
            model.backward(d)
            t += 1
            for i, (op, attr, mask) in enumerate(params):
                g = getattr(op, "d" + attr)
                if mask is not None:
                    g = g * mask
                m[i] = b1 * m[i] + (1 - b1) * g
                v[i] = b2 * v[i] + (1 - b2) * g * g
                step = lr * (m[i] / (1 - b1 ** t)) / (np.sqrt(v[i] / (1 - b2 ** t)) + eps)
                new = getattr(op, attr) - step.astype(np.float32)
                if mask is not None:
                    new = new * mask
                setattr(op, attr, new.astype(np.float32))
            if after_step is not None:
                after_step(model)
        history.append(float(np.mean(losses)))
    return history

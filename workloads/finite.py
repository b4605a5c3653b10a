"""Numbers are finite or refused: the check every tensor passes before it is quantized.

The accelerator computes in 16-bit fixed point; rounding NaN to an integer gives 0 and an
infinity saturates, so a non-finite value would silently become a plausible number and a
reference computed from the same replaced values would still match. Every tensor a model
provides (weights, inputs, recurrent state, scales) and every value a layer computes in
floating point is checked with :func:`check_finite` before it is quantized, and
:func:`workloads.sparsity.to_fixed` refuses non-finite input as a last guard.
"""
from __future__ import annotations

import numpy as np


class NonFiniteError(ValueError):
    """A tensor holding NaN or infinity; the message names the layer and the tensor."""


def describe_nonfinite(a: np.ndarray) -> str | None:
    """``None`` when every value is finite, else what is wrong and where the first one is."""
    if a.dtype.kind not in "fc":
        return None
    if a.dtype.kind == "f" and a.dtype.itemsize <= 4 and np.isfinite(np.sum(a, dtype=np.float64)):
        return None  # the float64 sum of float32 values cannot overflow: it is finite when they all are
    bad = ~np.isfinite(a)
    if not bad.any():
        return None
    nans = int(np.isnan(a).sum())
    pos = int(np.isposinf(a).sum()) if a.dtype.kind == "f" else 0
    neg = int(np.isneginf(a).sum()) if a.dtype.kind == "f" else 0
    first = tuple(int(i) for i in np.argwhere(bad)[0])
    parts = [f"{n} {what}" for n, what in ((nans, "NaN"), (pos, "+inf"), (neg, "-inf")) if n]
    return f"{', '.join(parts)} of {a.size} values (first at index {first})"


def check_finite(data, layer: str, tensor: str) -> np.ndarray:
    """``data`` as an array, or :class:`NonFiniteError` naming ``layer`` and ``tensor``."""
    a = np.asarray(data)
    problem = describe_nonfinite(a)
    if problem is not None:
        raise NonFiniteError(f"layer {layer!r}: {tensor} holds {problem}; every value must be finite "
                             f"(NaN would become 0 and infinity would saturate in fixed point)")
    return a

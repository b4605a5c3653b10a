"""Gaussian smoothing of the random fields that synthetic weights and activations are drawn
from, in NumPy alone.

This computes what ``scipy.ndimage.gaussian_filter(a, sigma, mode=mode)`` (order 0,
truncate 4) computes, value for value: per axis, in axis order, a symmetric kernel
``exp(-x^2 / 2 sigma^2)`` normalised to sum 1 over ``|x| <= int(4 sigma + 0.5)``, the
line extended at its ends (``wrap``: periodically; ``nearest``: with its end values),
accumulated in float64 as the centre tap times its weight plus, from the outermost pair
of taps inwards, the sum of each pair times its weight, and rounded to the array's own
type after each axis. The test suite checks it against SciPy bit for bit. It is written
out here because importing ``scipy.ndimage`` costs about 0.2 s and 20 MB, more than
generating all of AlexNet's synthetic weights, and every run smooths a field.
"""
from __future__ import annotations

import numpy as np

MODES = {"wrap": "wrap", "nearest": "edge"}  # ndimage's name -> numpy.pad's
TRUNCATE = 4.0


def gaussian_kernel(sigma: float, radius: int) -> np.ndarray:
    """The normalised Gaussian weights at offsets ``-radius..radius``."""
    x = np.arange(-radius, radius + 1)
    phi = np.exp(-0.5 / (sigma * sigma) * x ** 2)
    return phi / phi.sum()


def _smooth_last_axis(x: np.ndarray, sigma: float, mode: str) -> np.ndarray:
    radius = int(TRUNCATE * sigma + 0.5)
    weights = gaussian_kernel(sigma, radius)
    n = x.shape[-1]
    line = np.pad(x.astype(np.float64), [(0, 0)] * (x.ndim - 1) + [(radius, radius)], mode=MODES[mode])
    acc = line[..., radius:radius + n] * weights[radius]
    for j in range(radius, 0, -1):  # outermost pair first
        acc += (line[..., radius - j:radius - j + n] + line[..., radius + j:radius + j + n]) * weights[radius - j]
    return acc


def gaussian_filter(a: np.ndarray, sigma, mode: str = "nearest") -> np.ndarray:
    """``a`` smoothed with a Gaussian of standard deviation ``sigma`` (one per axis, or
    one for all; axes with ``sigma <= 1e-15`` are left alone), same shape and type."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    a = np.asarray(a)
    sigmas = [float(s) for s in (sigma if np.iterable(sigma) else [sigma] * a.ndim)]
    if len(sigmas) != a.ndim:
        raise ValueError(f"sigma needs one value per axis ({a.ndim}), got {len(sigmas)}")
    out = a.copy()
    for axis, s in enumerate(sigmas):
        if s > 1e-15:
            smoothed = _smooth_last_axis(np.moveaxis(out, axis, -1), s, mode)
            out = np.ascontiguousarray(np.moveaxis(smoothed.astype(a.dtype), -1, axis))
    return out

"""The digits data set shipped with scikit-learn, resized for LeNet-5 and the MLP.

``sklearn.datasets.load_digits`` holds 1797 grey 8x8 images (values 0..16) of the ten
digits; nothing is downloaded. Images are scaled to 0..1, enlarged by nearest-neighbour
upsampling by ``s = H // 8`` and zero-padded evenly to the network's input size
``H x W``: 32x32 (LeNet-5) is an exact 4x upsample; 28x28 (the MLP's 784 inputs) is a 3x
upsample (24x24) with a 2-pixel border, then flattened row-major.

The split is fixed and stratified (``train_test_split(test_size=0.2, random_state=0)``):
1437 training and 360 test images, independent of the training seed.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

SPLIT_SEED = 0
TEST_FRACTION = 0.2


@dataclass(frozen=True)
class Digits:
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def resize_images(images8: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    """(N, 8, 8) -> (N, H, W) by nearest-neighbour upsampling and centred zero padding."""
    h, w = hw
    s = min(h, w) // 8
    if s < 1:
        raise ValueError(f"input size {hw} is smaller than the 8x8 digits; need at least 8x8")
    up = images8.repeat(s, axis=1).repeat(s, axis=2)
    out = np.zeros((images8.shape[0], h, w), dtype=np.float32)
    top, left = (h - up.shape[1]) // 2, (w - up.shape[2]) // 2
    out[:, top:top + up.shape[1], left:left + up.shape[2]] = up
    return out


@lru_cache(maxsize=8)
def load_digits_for(input_shape: tuple[int, ...]) -> Digits:
    """Digits shaped for a network input: ``(C, H, W)`` or ``(N,)`` with N a square."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    images = (data.images / 16.0).astype(np.float32)
    labels = data.target.astype(np.int64)
    shape = tuple(int(d) for d in input_shape)
    if len(shape) == 3:
        c, h, w = shape
        x = np.repeat(resize_images(images, (h, w))[:, None], c, axis=1)
    elif len(shape) == 1:
        side = int(round(np.sqrt(shape[0])))
        if side * side != shape[0]:
            raise ValueError(f"vector input of {shape[0]} features is not a square image")
        x = resize_images(images, (side, side)).reshape(len(images), -1)
    else:
        raise ValueError(f"unsupported input shape {shape}; expected (C, H, W) or (N,)")
    xtr, xte, ytr, yte = train_test_split(x, labels, test_size=TEST_FRACTION,
                                          random_state=SPLIT_SEED, stratify=labels)
    return Digits(np.ascontiguousarray(xtr), ytr, np.ascontiguousarray(xte), yte)

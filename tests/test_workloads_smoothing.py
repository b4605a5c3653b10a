"""The Gaussian smoothing of synthetic fields equals SciPy's ``gaussian_filter`` bit for
bit, for the modes, types and shapes the workloads use."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.ndimage import gaussian_filter as scipy_gaussian_filter

from workloads.smoothing import gaussian_filter


@settings(max_examples=150, deadline=None)
@given(shape=st.lists(st.integers(1, 24), min_size=1, max_size=4),
       sigmas=st.lists(st.sampled_from([0.0, 0.25, 0.5, 1.0, 1.7, 2.0, 3.0]), min_size=4, max_size=4),
       mode=st.sampled_from(["wrap", "nearest"]), dtype=st.sampled_from([np.float64, np.float32]),
       seed=st.integers(0, 2**32 - 1))
def test_equals_scipy_bit_for_bit(shape, sigmas, mode, dtype, seed):
    a = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    sigma = sigmas[:len(shape)]
    got, want = gaussian_filter(a, sigma, mode), scipy_gaussian_filter(a, sigma=sigma, mode=mode)
    assert got.dtype == want.dtype == a.dtype and got.shape == a.shape
    assert np.array_equal(got, want)


@pytest.mark.parametrize("shape, sigma, mode, dtype", [
    ((128, 288), (2.0, 2.0), "wrap", np.float64),               # AlexNet fc6's block grid
    ((24, 384, 3, 3), (2.0, 2.0, 0.75, 0.75), "wrap", np.float64),
    ((1, 3, 227, 227), (0.0, 0.0, 1.0, 1.0), "nearest", np.float32),  # an input image
])
def test_the_fields_of_real_layers(shape, sigma, mode, dtype):
    a = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    assert np.array_equal(gaussian_filter(a, sigma, mode), scipy_gaussian_filter(a, sigma=sigma, mode=mode))


def test_bad_arguments():
    with pytest.raises(ValueError, match="mode"):
        gaussian_filter(np.zeros(3), 1.0, "reflect")
    with pytest.raises(ValueError, match="one value per axis"):
        gaussian_filter(np.zeros((3, 3)), [1.0], "wrap")

"""A convolution tile whose windows lie wholly in the padding needs no input: its
footprint is empty (not the rest of the row, as a negative slice end would give), so
such a layer tiles and runs."""
import numpy as np

from soc.arch import design
from soc.compiler.lowering import lower_conv
from soc.runtime.simulate import simulate_conv
from tests.sim_layers import conv_layer


def test_window_in_padding_has_an_empty_footprint():
    x = np.arange(1, 3 * 12 * 12 + 1, dtype=np.int16).reshape(3, 12, 12)
    w = np.ones((1, 3, 1, 1), np.int16)
    part = lower_conv("c", x, w, np.ones(w.shape, bool), stride=2, padding=2)[0]
    assert part.footprint(0, 1, 0, 3) == (0, 0)          # output (0, 0) reads only padding
    positions, nonzero = part.footprint(9, 10, 0, 3)     # output (1, 1) reads input (0, 0)
    assert positions == 3 and nonzero == 3


def test_a_layer_with_windows_in_the_padding_runs_and_matches_the_reference():
    x, w, keep = conv_layer(0, 34, 1, 12, 1, wd=1.0, xd=0.5)
    r = simulate_conv("conv", x, w, keep, design("coarse-sparse"), stride=2, padding=2)
    assert r.outputs_match_reference

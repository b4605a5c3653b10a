"""The spatial array's arithmetic: every dataflow's outputs equal the NumPy reference,
and the closed-form loop-nest counts equal the counts observed pass by pass."""
import random

import numpy as np
import pytest

from soc.arch.spatial import make_spatial_config
from soc.spatial import DATAFLOWS
from soc.spatial.functional import execute_mapping, random_tensors, reference_conv
from soc.spatial.loopnest import DIMS, Mapping, count_words
from soc.spatial.search import best_mapping
from soc.spatial.shapes import conv, fc

SMALL = make_spatial_config(pes=16, baseline_rf_bytes=128, rf_choices=(32, 64, 128))
LAYERS = [
    conv("strided-padded", N=3, C=3, M=5, H=11, W=9, R=3, stride=2, padding=1),
    conv("wide-filter", N=2, C=4, M=6, H=9, W=9, R=5, stride=1, padding=2),
    conv("grouped", N=2, C=3, M=4, H=7, W=7, R=3, stride=1, padding=1, groups=2),
    conv("stride3-nopad", N=1, C=2, M=3, H=13, W=13, R=4, stride=3),
    fc("fc", N=5, in_features=40, out_features=24),
]


@pytest.mark.parametrize("dataflow", DATAFLOWS)
@pytest.mark.parametrize("layer", LAYERS, ids=lambda s: s.name)
def test_outputs_equal_reference(dataflow, layer):
    m = best_mapping(layer, dataflow, SMALL)
    w, x = random_tensors(layer, seed=3)
    ex = execute_mapping(m, w, x)
    ref = reference_conv(layer, w, x)
    assert ex.outputs.shape == ref.shape
    assert np.array_equal(ex.outputs, ref)
    assert ex.macs == layer.macs


def test_reference_matches_direct_loops():
    layer = conv("tiny", N=1, C=2, M=2, H=5, W=4, R=3, stride=2, padding=1)
    w, x = random_tensors(layer, seed=1)
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    out = reference_conv(layer, w, x)
    for m in range(2):
        for p in range(layer.E):
            for q in range(layer.F):
                v = sum(w[m, c, r, s] * xp[0, c, 2 * p + r, 2 * q + s]
                        for c in range(2) for r in range(3) for s in range(3))
                assert out[0, m, p, q] == v


def test_closed_form_counts_equal_pass_by_pass_counts():
    rnd = random.Random(7)
    for it in range(20):
        sh = rnd.choice(LAYERS[:4] + [fc("fc", 3, 10, 7)])
        has_rf = rnd.random() < 0.8
        pick = lambda: {x: rnd.choice([1, 1, 2, 3]) for x in DIMS}  # noqa: E731
        o1, o2 = list(DIMS), list(DIMS)
        rnd.shuffle(o1)
        rnd.shuffle(o2)
        m = Mapping("X", sh, pick() if has_rf else {}, pick(), pick(), tuple(o1), tuple(o2), has_rf, 10**6, 10**9)
        c = count_words(m)
        w, x = random_tensors(sh, it)
        ex = execute_mapping(m, w, x)
        assert np.array_equal(ex.outputs, reference_conv(sh, w, x)), m.describe()
        for level in ("F2", "F1", "F0"):
            for d in ("weights", "inputs", "psums"):
                assert getattr(c, level)[d] * sh.groups == pytest.approx(getattr(ex, level)[d]), (level, d, m.describe())
        assert ex.psum_glb_reads == pytest.approx(sh.groups * (c.F1["psums"] - c.outputs))
        assert ex.psum_dram_reads == pytest.approx(sh.groups * (c.F2["psums"] - c.outputs))


@pytest.mark.parametrize("dataflow", DATAFLOWS)
def test_the_simulated_array_computes_the_reference(dataflow):
    from soc.spatial.array import simulate_mapping
    layer = LAYERS[0]
    m = best_mapping(layer, dataflow, SMALL)
    w, x = random_tensors(layer, seed=5)
    for max_events in (2000, 3):   # one event per burst, and bursts merged into 3 transactions
        sim = simulate_mapping(m, SMALL, max_events=max_events, tensors=(w, x))
        assert np.array_equal(sim.execution.outputs, reference_conv(layer, w, x))
        assert sim.execution.macs == layer.macs

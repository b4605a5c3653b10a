"""Access counts of the dataflows: conservation, stationarity guarantees, agreement of
the SimPy run's ledger with the loop nest, and the fair storage budget."""
from functools import lru_cache

import pytest

from soc.arch.spatial import make_spatial_config
from soc.spatial import DATAFLOWS
from soc.spatial.accounting import accesses
from soc.spatial.area import storage_area
from soc.spatial.array import bursts, ledger_counts, simulate_mapping
from soc.spatial.loopnest import count_words
from soc.spatial.search import best_mapping as _best_mapping
from soc.spatial.search import candidates
from soc.spatial.shapes import conv, fc

CFG = make_spatial_config(pes=64, baseline_rf_bytes=256, rf_choices=(64, 128, 256))
LAYERS = [conv("c1", N=4, C=8, M=16, H=15, W=15, R=3, stride=2, padding=1),
          conv("c2", N=2, C=16, M=8, H=10, W=10, R=3, stride=1, padding=1),
          fc("f1", N=4, in_features=128, out_features=64)]


@lru_cache(maxsize=None)
def best_mapping(layer, dataflow, cfg):
    return _best_mapping(layer, dataflow, cfg)


@pytest.mark.parametrize("dataflow", DATAFLOWS)
@pytest.mark.parametrize("layer", LAYERS, ids=lambda s: s.name)
def test_conservation(dataflow, layer):
    m = best_mapping(layer, dataflow, CFG)
    acc = accesses(m)
    macs = layer.macs
    assert acc[("alu", "mac")] == macs
    if m.has_rf:   # every MAC reads one weight and one input at the RF
        assert acc[("rf", "read:weights")] == macs
        assert acc[("rf", "read:inputs")] == macs
    else:          # no RF: every MAC's operands arrive over the network
        assert acc[("noc", "deliver:weights")] == pytest.approx(macs)
        assert acc[("noc", "deliver:inputs")] == pytest.approx(macs)
    # every MAC updates one partial sum: accumulated in the RF, or sent on by the PE
    updates = acc.get(("rf", "read:psums"), 0) + acc[("noc", "send:psums")]
    assert updates == pytest.approx(macs)
    # every datum comes from DRAM at least once and every output reaches DRAM
    assert acc[("dram", "read:weights")] >= layer.weight_count
    assert acc[("dram", "write:psums")] >= layer.output_count
    assert acc.get(("dram", "read:psums"), 0) == pytest.approx(acc[("dram", "write:psums")] - layer.output_count)


@pytest.mark.parametrize("layer", LAYERS, ids=lambda s: s.name)
def test_ws_reads_each_weight_from_dram_once(layer):
    # weights of these layers fit the GLB: no WS mapping may read a weight from DRAM twice
    assert layer.weight_count * CFG.word_bytes < 64 * 1024
    seen = 0
    for m in candidates(layer, "WS", CFG):
        assert accesses(m)[("dram", "read:weights")] == layer.weight_count, m.describe()
        seen += 1
    assert seen > 0


@pytest.mark.parametrize("dataflow", ["OSA", "OSB", "OSC"])
@pytest.mark.parametrize("layer", LAYERS, ids=lambda s: s.name)
def test_os_never_moves_a_partial_sum_above_the_rf_before_it_is_final(dataflow, layer):
    seen = 0
    for m in candidates(layer, dataflow, CFG):
        acc = accesses(m)
        assert acc.get(("glb", "read:psums"), 0) == 0, m.describe()      # never read back
        assert acc.get(("dram", "read:psums"), 0) == 0
        assert acc.get(("noc", "deliver:psums"), 0) == 0
        assert acc[("glb", "write:psums")] == layer.output_count   # written once, when final
        assert acc[("dram", "write:psums")] == layer.output_count
        seen += 1
    assert seen > 0


@pytest.mark.parametrize("dataflow", DATAFLOWS)
def test_simulation_books_the_loop_nest_counts(dataflow):
    layer = LAYERS[0]
    m = best_mapping(layer, dataflow, CFG)
    sim = simulate_mapping(m, CFG)
    booked = ledger_counts(sim.ledger)
    acc = accesses(m)
    assert set(booked) == set(acc)
    for key, n in acc.items():
        assert booked[key] == pytest.approx(n), key
    # DRAM traffic walked burst by burst equals the closed form
    walk = bursts(m)
    c = count_words(m)
    for d in ("weights", "inputs"):
        assert sum(b.dram_read[d] for b in walk) == pytest.approx(c.F2[d])
    assert sum(b.dram_write for b in walk) == pytest.approx(c.F2["psums"])
    assert sum(b.macs for b in walk) == c.macs
    assert 0 < sim.utilization <= 1
    assert sim.cycles >= layer.macs / CFG.pes
    assert sim.energy["energy_per_mac"] == pytest.approx(
        sum(sim.energy[f"e_{x}"] for x in ("weights", "inputs", "psums", "alu")))


@pytest.mark.parametrize("dataflow", DATAFLOWS)
def test_every_dataflow_uses_the_same_storage_area_budget(dataflow):
    for layer in LAYERS:
        m = best_mapping(layer, dataflow, CFG)
        assert m.fits(CFG.pes)
        assert storage_area(CFG, m.rf_bytes, m.glb_bytes) <= CFG.area_budget
        assert storage_area(CFG, m.rf_bytes, m.glb_bytes) > 0.99 * CFG.area_budget
        assert (m.rf_bytes == 0) == (dataflow == "NLR")


def test_rs_beats_the_others_on_a_conv_layer():
    layer = conv("alexnet-conv3-like", N=4, C=32, M=48, H=13, W=13, R=3, padding=1)
    e = {d: simulate_mapping(best_mapping(layer, d, CFG), CFG).energy["energy_per_mac"] for d in DATAFLOWS}
    assert min(e, key=e.get) == "RS", e

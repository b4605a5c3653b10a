"""Energy by data type: every booking of the vector accelerator names the data it served,
and the breakdown adds up to the total."""
import pytest

from energy.ledger import ALL_TYPES, EnergyLedger
from soc.arch import design
from soc.runtime.simulate import simulate_conv, simulate_fc
from soc.vector.pricing import Pricing
from tests.sim_layers import conv_layer, fc_layer

PRESETS = ["coarse-sparse", "weight-sparse", "dense"]


def test_ledger_books_and_checks_data_types():
    led = EnergyLedger()
    led.book("sb", "read", 10, 2.0, data_type="weights")
    led.book("pe", "mac", 5, 1.0, data_type="compute")
    led.book_static("sb", 1.0, 1e-9)
    led.book("dram", "read", 3, 1.0)  # no data type given
    totals = led.data_type_totals()
    assert totals == pytest.approx({"weights": 20.0, "compute": 5.0, "static": 1.0, "unattributed": 3.0})
    assert led.by_data_type()["energy_pj"].sum() == pytest.approx(led.total_pj())
    assert led.count(data_type="weights") == 10
    with pytest.raises(ValueError, match="data type of sb/read"):
        led.book("sb", "read", 1, 1.0, data_type="weight")


@pytest.mark.parametrize("preset", PRESETS)
def test_every_booking_has_a_data_type_and_the_split_sums_to_the_total(preset):
    x, w, keep = conv_layer(5, 16, 32, 8, 3)
    ledger = EnergyLedger()
    r = simulate_conv("c1", x, w, keep, design(preset), padding=1, ledger=ledger)
    assert set(r.energy_by_data_type) <= set(ALL_TYPES) - {"unattributed"}
    assert sum(r.energy_by_data_type.values()) == pytest.approx(r.energy_pj, rel=1e-12)
    assert sum(e for *_, e in r.energy_entries) == pytest.approx(r.energy_pj, rel=1e-12)
    assert ledger.data_type_totals() == pytest.approx(r.energy_by_data_type)
    if preset == "dense":  # dense neurons and weights: no mask, no index anywhere
        assert "indexes" not in r.energy_by_data_type
    else:
        assert r.energy_by_data_type["indexes"] > 0


def _dram_bytes(result, action, data_type, cfg):
    pj = sum(e for c, a, d, _, e in result.energy_entries if c == "dram" and a == action and d == data_type)
    return pj / Pricing(cfg).dram_pj_per_byte


def test_dram_bytes_by_data_type_match_the_tensors():
    # dense design, one FC layer: every weight and input crosses DRAM at least once, and the
    # outputs are written once (16-bit words, each output tile padded to 64-byte bursts)
    cfg = design("dense")
    x, w, keep = fc_layer(2, 512, 96, (16, 16), 0.5, 0.6, batch=2)
    r = simulate_fc("fc", x, w, keep, cfg)
    weights = _dram_bytes(r, "read", "weights", cfg)
    inputs = _dram_bytes(r, "read", "inputs", cfg)
    outputs = _dram_bytes(r, "write", "outputs", cfg)
    assert weights >= 96 * 512 * 2
    assert inputs >= 2 * 512 * 2
    tiles = -(-2 // r.tiling["p_tile"]) * -(-96 // r.tiling["o_tile"])  # output tiles written
    assert 2 * 96 * 2 <= outputs < 2 * 96 * 2 + 64 * tiles
    assert weights + inputs == pytest.approx(r.dram_bytes_read - _dram_bytes(r, "read", "psums", cfg))


import pytest
import yaml

from energy import EnergyLedger, load_table
from energy.ledger import Tally
from energy.tables import TABLE_DIR, PrimitiveTable, available_tables, derive_design_table


def test_ledger_total_equals_every_breakdown():
    led = EnergyLedger()
    led.layer = "fc1"
    led.book("nbin", "read", 100, 4.5)
    led.book("pe", "mac", 1000, 1.4)
    led.book("pe", "add", 1000, 0.18, layer="fc2")
    led.book_static("nbin", power_mw=0.16, seconds=1e-6)
    total = led.total_pj()
    assert total == pytest.approx(100 * 4.5 + 1000 * 1.4 + 1000 * 0.18 + 0.16e-3 * 1e-6 * 1e12)
    for frame in (led.by_component(), led.by_action(), led.by_layer(), led.by_component_action()):
        assert frame["energy_pj"].sum() == pytest.approx(total)
    assert sum(led.component_totals().values()) == pytest.approx(total)
    assert led.count("pe", "mac") == 1000
    assert set(led.by_layer()["layer"]) == {"fc1", "fc2"}


def test_ledger_refuses_negative_bookings():
    led = EnergyLedger()
    with pytest.raises(ValueError, match="count"):
        led.book("pe", "mac", -1, 1.0)
    with pytest.raises(ValueError, match="energy per action"):
        led.book("pe", "mac", 1, -1.0)


def test_tally_books_what_the_ledger_would_in_first_booking_order():
    direct, summed = EnergyLedger(), EnergyLedger()
    tally = Tally(summed)
    mac = tally.account("pe", "mac", 1.5, "compute")
    for n in (3, 0.25, 7):
        direct.book("nbin", "read", n / 16, 0.5, data_type="inputs")
        tally.book("nbin", "read", n / 16, 0.5, data_type="inputs")
        direct.book("pe", "mac", n, 1.5, data_type="compute")
        tally.add(mac, n)
    tally.flush()
    assert summed.entries() == direct.entries()
    with pytest.raises(ValueError, match="data type of pe/mac"):
        tally.account("pe", "mac", 1.5, "bogus")
    with pytest.raises(ValueError, match="energy per action"):
        tally.account("pe", "mac", -1.0, "compute")


def test_ledger_merge_relabels_layer():
    a, b = EnergyLedger(), EnergyLedger()
    b.book("dram", "read", 64, 64.0)
    a.merge(b, layer="conv1")
    assert a.by_layer().set_index("layer").loc["conv1", "energy_pj"] == pytest.approx(4096.0)


def test_shipped_tables_load_and_validate():
    assert {"horowitz-45nm", "spatial-normalized", "reference-65nm"} <= set(available_tables())
    for name in available_tables():
        load_table(name)


def test_45nm_table_matches_the_published_numbers():
    t = load_table("horowitz-45nm")
    assert t.op("int_add", 16) == pytest.approx(0.05)
    assert t.op("int_mult", 32) == pytest.approx(3.1)
    # 16-bit multiply: log-log between 8 and 32 bits, about quadratic in width
    assert 0.7 < t.op("int_mult", 16) < 0.85
    assert t.sram_access(8192, 64) == pytest.approx(10.0)
    assert t.sram_access(32768, 64) == pytest.approx(20.0)
    assert t.sram_access(1 << 20, 64) == pytest.approx(100.0)
    assert t.dram_per_bit("hbm2") == pytest.approx(3.9)
    with pytest.raises(KeyError, match="allowed"):
        t.dram_per_bit("sdram")


def test_reference_65nm_file_is_its_documented_derivation():
    base = load_table("horowitz-45nm")
    assert isinstance(base, PrimitiveTable)
    derived = derive_design_table(base, node_nm=65, vdd_v=1.0)
    shipped = yaml.safe_load((TABLE_DIR / "reference-65nm.yaml").read_text())
    for comp, actions in derived["components"].items():
        for action, cost in actions.items():
            assert shipped["components"][comp][action]["pj"] == pytest.approx(cost["pj"], rel=1e-5), (comp, action)
    scale = (65 / 45) * (1.0 / 0.9) ** 2
    assert shipped["components"]["pe"]["mac"]["pj"] == pytest.approx(base.op("int_mult", 16) * scale, rel=1e-5)


def test_bad_table_names_the_field(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: normalized\nname: x\nunit: MAC\nsource: s\nlevels: {alu: -1}\n")
    with pytest.raises(ValueError, match="levels"):
        load_table(str(bad))
    with pytest.raises(ValueError, match="allowed"):
        load_table("no-such-table")

"""Validation of the spatial array's configuration, shapes and energy tables."""
import pytest

from soc.arch.spatial import make_spatial_config
from soc.arch.vector import ConfigError
from soc.spatial.accounting import level_costs
from soc.spatial.area import glb_bytes_for
from soc.spatial.shapes import LayerShape, conv


def test_defaults_follow_the_eyeriss_budget():
    cfg = make_spatial_config()
    assert cfg.pes == 256
    assert cfg.area_budget == 256 * 512 * cfg.rf_area_per_byte + 256 * 512
    assert glb_bytes_for(cfg, 512) == 256 * 512
    assert glb_bytes_for(cfg, 64) > glb_bytes_for(cfg, 512)


@pytest.mark.parametrize("field,value", [("pes", 0), ("pes", -3), ("word_bytes", 0),
                                         ("rf_area_per_byte", 0), ("clock_ghz", 0),
                                         ("rf_choices", (128, 64)), ("rf_choices", ())])
def test_bad_values_name_the_field(field, value):
    with pytest.raises(ConfigError, match=field if field != "rf_choices" or value else "rf_choices"):
        make_spatial_config(**{field: value})


def test_unknown_field_is_refused():
    with pytest.raises(ConfigError, match="unknown field"):
        make_spatial_config(pe_count=3)


def test_config_is_immutable():
    cfg = make_spatial_config()
    with pytest.raises(Exception):
        cfg.pes = 3


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="stride"):
        conv("x", 1, 1, 1, 5, 5, 3, stride=0)
    with pytest.raises(ValueError, match="larger than the padded input"):
        conv("x", 1, 1, 1, 2, 2, 5)
    with pytest.raises(ValueError, match="kind"):
        LayerShape("x", "pool", 1, 1, 1, 1, 1)


def test_output_size_with_stride_and_padding():
    s = conv("c", 16, 3, 96, 227, 227, 11, stride=4)
    assert (s.E, s.F) == (55, 55)
    s = conv("c", 1, 48, 128, 27, 27, 5, padding=2)
    assert (s.E, s.F) == (27, 27)


@pytest.mark.parametrize("table", ["spatial-normalized", "horowitz-45nm", "reference-65nm"])
def test_every_energy_table_prices_every_level(table):
    costs = level_costs(table, 512, 131072)
    assert set(costs) == {"alu", "rf", "noc", "glb", "dram"}
    assert all(v > 0 for v in costs.values())
    assert costs["dram"] > costs["glb"] > costs["rf"]


def test_normalized_table_is_the_spec():
    assert level_costs("spatial-normalized", 512, 1) == {"alu": 1, "rf": 1, "noc": 2, "glb": 6, "dram": 200}


def test_unknown_table_names_the_option():
    with pytest.raises(ValueError, match="energy_table"):
        level_costs("no-such-table", 512, 1024)

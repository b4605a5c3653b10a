import pytest

from soc.arch import ConfigError, design
from soc.arch import make_vector_arch as make_config


@pytest.mark.parametrize("fields, named", [
    ({"tn": 0}, "tn"),
    ({"nbin": {"size_bytes": 0, "bandwidth_bits": 256}}, "nbin.size_bytes"),
    ({"dram": {"bandwidth_bytes_per_cycle": -1.0}}, "dram.bandwidth_bytes_per_cycle"),
    ({"sb": {"size_bytes": 1024, "bandwidth_bits": 256, "memory": "flash"}}, "sb.memory"),
    ({"no_such_option": 1}, "no_such_option"),
])
def test_bad_values_are_refused_naming_the_field(fields, named):
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        make_config(**fields)


def test_defaults_follow_the_spec():
    c = design("coarse-sparse")
    assert (c.tn, c.tm, c.data_bits) == (16, 16, 16)
    assert c.nbin.size_bytes == 8192 and c.sb.size_bytes == 32768 and c.sib.size_bytes == 1024
    assert c.nbin.bandwidth_bits == 16 * 16 * 16
    assert c.htree_levels == 4


def test_unknown_preset_lists_the_allowed_ones():
    with pytest.raises(ConfigError, match="coarse-sparse"):
        design("sparse-ish")


def test_with_changes_is_validated_and_immutable():
    c = design("dense")
    d = c.with_changes(dram={"bandwidth_bytes_per_cycle": 8.0})
    assert d.dram.bandwidth_bytes_per_cycle == 8.0 and c.dram.bandwidth_bytes_per_cycle == 16.0
    with pytest.raises(ConfigError):
        c.with_changes(tn=-3)

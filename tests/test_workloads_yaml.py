import pytest

from workloads.io import NetworkFileError, load_network
from workloads.layers import Add, Conv, GRUCell

GOOD = """
name: small-cnn
input_shape: [3, 32, 32]
layers:
  - {type: conv, name: conv1, out_channels: 16, kernel: 3, padding: 1}
  - {type: bn, name: bn1}
  - {type: relu, name: relu1}
  - {type: pool, name: pool1, kernel: 2, stride: 2}
  - {type: conv, name: conv2, out_channels: 16, kernel: [3, 3], padding: 1, groups: 4}
  - {type: add, name: res, inputs: [conv2, pool1]}
  - {type: lrn, name: norm, size: 3}
  - {type: global_avg_pool, name: gap}
  - {type: fc, name: fc, out_features: 32}
  - {type: gru, name: cell, hidden_size: 8}
  - {type: sigmoid, name: out}
"""


def test_yaml_description_builds_a_network(tmp_path):
    path = tmp_path / "net.yaml"
    path.write_text(GOOD)
    net = load_network(path)
    assert net.name == "small-cnn" and len(net) == 11
    assert isinstance(net.layer("conv2"), Conv) and net.layer("conv2").groups == 4
    assert isinstance(net.layer("res"), Add) and net.layer("res").inputs == ("conv2", "pool1")
    assert isinstance(net.layer("cell"), GRUCell) and net.layer("cell").input_size == 32
    assert net.layer("gap").output_shape == (16, 1, 1)
    assert net.weights == 16 * 27 + 16 * 4 * 9 + 16 * 32 + 3 * 8 * 40


@pytest.mark.parametrize("text, message", [
    ("input_shape: [3, 8, 8]\nlayers:\n  - {type: conv5d, name: c}\n", "layer 1 \\(c\\): unknown type 'conv5d'"),
    ("input_shape: [3, 8, 8]\nlayers:\n  - {type: conv, name: c, kernel: 3}\n", "missing key\\(s\\) \\['out_channels'\\]"),
    ("input_shape: [3, 8, 8]\nlayers:\n  - {type: conv, name: c, out_channels: 4, kernel: 3, dilation: 2}\n",
     "unknown key\\(s\\) \\['dilation'\\]"),
    ("input_shape: [3, 8, 8]\nlayers:\n  - {type: conv, name: c, out_channels: 4, kernel: 9}\n",
     "layer 1 \\(c\\): c: kernel 9x9 is larger"),
    ("input_shape: [3, 8, 8]\nlayers:\n  - {type: relu, name: r, input: nowhere}\n", "not an earlier layer"),
    ("input_shape: [0, 8]\nlayers: []\n", "input_shape"),
    ("input_shape: [3, 8, 8]\nlayers: {a: 1\n", "not valid YAML"),
])
def test_bad_yaml_descriptions_are_named(tmp_path, text, message):
    path = tmp_path / "bad.yml"
    path.write_text(text)
    with pytest.raises(NetworkFileError, match=message):
        load_network(path)

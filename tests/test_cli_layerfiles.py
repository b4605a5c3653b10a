"""Layer lists of other tools run end to end: ``socsim run`` (and the other network
commands) on SCALE-Sim topologies and Timeloop problem files (written in those tools'
formats for these tests, tests/data/README.md) at the densities they state, ``socsim
layers``, and bad input exiting 2 with one line."""
import csv
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from soc.arch import design as preset
from soc.runtime.network import run_model
from workloads.io import load_model
from workloads.sparsity import default_block

DATA = Path(__file__).parent / "data"
SCALESIM = DATA / "scalesim"
TIMELOOP = DATA / "timeloop"


def socsim(*args):
    return subprocess.run([sys.executable, "-c", "from soc.cli import main; main()", *map(str, args)],
                          capture_output=True, text=True, timeout=600)


def rows(out: Path) -> list[dict]:
    with (out / "layers.csv").open() as fh:
        return list(csv.DictReader(fh))


def block_tolerance(layer) -> float:
    """Half the share of the largest pruning block: the closest the block granularity
    allows a weight density to come to its target."""
    return math.prod(default_block(layer.weight_shape)) / math.prod(layer.weight_shape) / 2 + 1e-9


def check_stated_densities(model, table: list[dict]) -> None:
    assert [r["name"] for r in table] == [l.name for l in model.network]
    for r, layer in zip(table, model.network):
        assert r["outputs_match_reference"] == "True", r["name"]
        assert r["weights_source"] == "synthetic" and r["activations_source"] == "synthetic"
        stated = model.stated.get(layer.name)
        if stated is not None and stated.weight is not None:
            assert r["density_source"] == "file" and r["density_origin"] == stated.weight_origin
            assert abs(float(r["weight_density"]) - stated.weight) <= block_tolerance(layer), r
        if stated is not None and stated.input is not None:
            assert r["input_density_source"] == "file"
            assert float(r["input_density"]) == pytest.approx(stated.input, abs=1e-3)


def instance(path: Path) -> dict:
    return yaml.safe_load(path.read_text())["problem"]["instance"]


def test_scalesim_convolution_form_runs_at_its_stated_sparsity(tmp_path):
    path = SCALESIM / "sparsity" / "alexnet_conv1.csv"  # AlexNet conv1, Sparsity 2:8
    r = socsim("run", path, "--out", tmp_path)
    assert r.returncode == 0, r.stderr
    assert "weights: synthetic at density 0.2498 (file)" in r.stdout  # 2:8 kept as closely as the blocks allow
    check_stated_densities(load_model(str(path)), rows(tmp_path))
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["status"] == "ok" and summary["connected"] is False
    assert summary["weights_source"] == "synthetic" and summary["density_source"] == "file"


def test_scalesim_gemm_and_conv_forms_together(tmp_path):
    files = [SCALESIM / "sparsity" / "gemm.csv", SCALESIM / "sparsity" / "conv.csv"]
    r = socsim("run", *files, "--preset", "weight-sparse", "--out", tmp_path)
    assert r.returncode == 0, r.stderr
    model = load_model([str(f) for f in files])
    table = rows(tmp_path)
    check_stated_densities(model, table)
    assert [float(t["weight_density"]) for t in table] == [0.75, 0.25, 0.5]  # 3:4, 1:4, 2:4: whole blocks here


def test_timeloop_folder_runs_at_its_stated_densities():
    model = load_model(str(TIMELOOP / "sparse"))
    outcome = run_model(model, preset("coarse-sparse"))
    files = list((TIMELOOP / "sparse").glob("*.yaml"))
    assert len(outcome.results) == len(files) and all(r.outputs_match_reference for r in outcome.results)
    table = [{**{k: str(v) for k, v in outcome.sources[r.name].items()}, "name": r.name,
              "outputs_match_reference": str(r.outputs_match_reference)} for r in outcome.results]
    check_stated_densities(model, table)
    spmspm = outcome.sources["3-spmspm"]  # A 16x12 and B 8x12: both densities whole blocks and elements
    assert spmspm["weight_density"] == 0.25 and spmspm["input_density"] == 0.5
    dense = outcome.sources["1-dot-product"]  # states nothing, no measured row: dense
    assert dense["density_source"] == "dense-default" and dense["weight_density"] == 1.0


def test_timeloop_batch_and_both_densities_run(tmp_path):
    """A batch of 4 through one tower of AlexNet's conv5 at the weight and input densities
    the file states (the output's density is not an input and is ignored)."""
    path = TIMELOOP / "alexnet_conv5_sparse.yaml"
    inst = instance(path)
    model = load_model(str(path))
    outcome = run_model(model, preset("coarse-sparse"))
    (res,) = outcome.results
    src = outcome.sources["alexnet_conv5_sparse"]
    layer = model.network.layers[0]
    assert res.outputs_match_reference and res.dense_macs == layer.macs * inst["N"]
    assert abs(src["weight_density"] - inst["densities"]["Weights"]["density"]) <= block_tolerance(layer)
    assert src["input_density"] == pytest.approx(inst["densities"]["Inputs"]["density"], abs=1e-4)


def test_options_override_the_file_and_the_measured_defaults(tmp_path):
    r = socsim("run", TIMELOOP / "sparse" / "3-spmspm.yaml", "--weight-density", "0.5",
               "--input-density", "0.25", "--out", tmp_path)
    assert r.returncode == 0, r.stderr
    (row,) = rows(tmp_path)
    assert (row["density_source"], row["density_origin"]) == ("option", "--weight-density")
    assert float(row["weight_density"]) == 0.5 and float(row["input_density"]) == 0.25
    assert row["input_density_source"] == "option"


def test_yaml_densities_reach_a_connected_network(tmp_path):
    net = tmp_path / "tiny.yaml"
    net.write_text("""name: tiny
input_shape: [8, 12, 12]
densities: {conv: {weight_density: 0.5, input_density: 0.6}}
layers:
  - {type: conv, name: c1, out_channels: 32, kernel: 3, padding: 1}
  - {type: relu, name: r1}
  - {type: conv, name: c2, out_channels: 32, kernel: 3, padding: 1, input_density: 0.3}
  - {type: relu, name: r2}
  - {type: fc, name: f, out_features: 10}
""")
    r = socsim("run", net, "--out", tmp_path / "o")
    assert r.returncode == 0, r.stderr
    table = {t["name"]: t for t in rows(tmp_path / "o")}
    assert table["c1"]["density_source"] == "file" and float(table["c1"]["weight_density"]) == 0.5
    assert float(table["c1"]["input_density"]) == pytest.approx(0.6, abs=1e-3)
    assert table["c1"]["activations_source"] == "synthetic" and table["c2"]["activations_source"] == "forward"
    assert float(table["c2"]["input_density"]) == pytest.approx(0.3, abs=0.01)  # the ReLU before it, biased
    assert table["f"]["density_source"] == "dense-default"  # no measured row for 'tiny'


CONV_HEADER = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
NOT_A_CONV = (TIMELOOP / "refused" / "outer_sum.yaml").read_text()  # Z[M+K] = A[M] B[K]
BAD_INPUTS = [  # (file name, its text, further arguments, message)
    ("t.csv", CONV_HEADER + "Conv1, 8, 8, 3, 3, 4, 4, 1\n", [], "t.csv: line 2: the row does not end with ','"),
    ("t.csv", "Layer, M, N, K,\nG, 8, eight, 4,\n", [], "t.csv: line 2: 'N' must be an integer >= 1, got 'eight'"),
    ("p.yaml", NOT_A_CONV, [], "p.yaml: problem.shape.data_spaces: the projection is not a convolution or a matrix "
                               "product"),
    (None, None, ["--weight-density", "1.5"], "--weight-density: density must be in (0, 1], got 1.5"),
    (None, None, ["--input-density", "0"], "--input-density: density must be in (0, 1], got 0.0"),
    ("n.yaml", "input_shape: [4]\nlayers:\n  - {type: fc, name: f, out_features: 2, weight_density: 1.2}\n", [],
     "n.yaml: layer 1 (f): weight_density: density must be in (0, 1], got 1.2"),
    ("d.yaml", "problem:\n  shape:\n    dimensions: [M, N, K]\n    data_spaces:\n"
               "    - {name: A, projection: [[[M]], [[K]]]}\n    - {name: B, projection: [[[N]], [[K]]]}\n"
               "    - {name: Z, projection: [[[M]], [[N]]], read_write: true}\n"
               "  instance: {M: 4, N: 4, K: 4, densities: {B: {density: 0}}}\n", [],
     "d.yaml: problem.instance.densities.B.density: density must be in (0, 1], got 0"),
]


@pytest.mark.parametrize("command, name, text, args, message", [
    *[("run", *case) for case in BAD_INPUTS],
    ("explain", *BAD_INPUTS[2]), ("layers", *BAD_INPUTS[0]), ("compare", *BAD_INPUTS[3]),
    ("dataflows", *BAD_INPUTS[1]), ("compress", *BAD_INPUTS[2]),
])
def test_bad_input_exits_2_with_one_line(tmp_path, command, name, text, args, message):
    if name is not None:
        (tmp_path / name).write_text(text)
    model = tmp_path / name if name is not None else TIMELOOP / "sparse"
    extra = ["--out", tmp_path / "o"] if command in ("run", "compare", "dataflows", "compress") else []
    r = socsim(command, model, *args, *extra)
    assert r.returncode == 2, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines
    assert not list((tmp_path / "o").rglob("*.csv"))  # refused before any simulation


def test_layers_lists_every_kind_of_model(tmp_path):
    from onnx import TensorProto, helper, numpy_helper
    w = numpy_helper.from_array(np.ones((4, 3, 3, 3), np.float32), "w")
    graph = helper.make_graph([helper.make_node("Conv", ["x", "w"], ["y"], name="conv", pads=[1, 1, 1, 1])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 8, 8])], [w])
    onnx_path = tmp_path / "m.onnx"
    onnx_path.write_bytes(helper.make_model(graph).SerializeToString())
    cases = {"alexnet": "conv1", str(SCALESIM / "gemm" / "single.csv"): "attn_qkv",
             str(TIMELOOP / "AlexNet"): "conv1", str(onnx_path): "conv",
             str(TIMELOOP / "resnet18_conv1.yaml"): "resnet18_conv1"}
    for spec, first in cases.items():
        r = socsim("layers", spec, "--json")
        assert r.returncode == 0, r.stderr
        data = json.loads(r.stdout)
        layer = data["layers"][0]
        assert layer["name"] == first
        assert {"input_shape", "output_shape", "macs", "weights", "weights_source", "weight_density",
                "density_source", "input_density", "input_density_source"} <= set(layer)
    path = TIMELOOP / "alexnet_conv5_sparse.yaml"
    inst = instance(path)
    data = json.loads(socsim("layers", str(path), "--json").stdout)
    (layer,) = data["layers"]
    assert layer["batch"] == inst["N"] and layer["macs"] == math.prod(inst[d] for d in "CMRSNPQ")
    assert (layer["weight_density"], layer["input_density"]) == (inst["densities"]["Weights"]["density"],
                                                                 inst["densities"]["Inputs"]["density"])
    table = socsim("layers", str(SCALESIM / "sparsity" / "gemm.csv"))
    assert table.returncode == 0 and "proj#2" in table.stdout and "0.25 file" in table.stdout
    # a workload script is run once and every forward call it makes is listed; the MACs of
    # its weighted layers are recomputed here from their shapes
    script = json.loads(socsim("layers", "workloads/examples/small_cnn.py", "--json").stdout)
    assert script["format"] == "script" and script["run_on"] == "coarse-sparse"
    rows = {r["name"]: r for r in script["layers"]}
    assert [r["kind"] for r in script["layers"]] == ["conv", "pool", "conv", "bn", "add", "act", "pool", "fc"]
    conv1 = rows["conv1"]
    c_out, h, w = conv1["output_shape"]
    c_in = conv1["input_shape"][0]
    assert conv1["macs"] == c_out * h * w * c_in * 3 * 3 and conv1["weights"] == c_out * c_in * 9
    fc = rows["classifier"]
    assert fc["macs"] == fc["input_shape"][0] * fc["output_shape"][0] == fc["weights"]


def test_dataflows_compress_and_explain_take_the_same_sources(tmp_path):
    r = socsim("dataflows", SCALESIM / "sparsity" / "conv.csv", "--pes", "16", "--batch", "1",
               "--dataflow", "WS,RS", "--workers", "1", "--out", tmp_path / "df")
    assert r.returncode == 0, r.stderr
    with (tmp_path / "df" / "dataflows.csv").open() as fh:
        df = list(csv.DictReader(fh))
    assert {d["layer"] for d in df} == {"conv_2of4"} and all(d["outputs_match_reference"] == "True" for d in df)
    r = socsim("explain", TIMELOOP / "sparse", "--layer", "3-spmspm", "--json")
    assert r.returncode == 0, r.stderr
    explained = json.loads(r.stdout)
    assert explained["layer"] == "3-spmspm"
    assert explained["tensors"]["weight_density"] == 0.25 and explained["tensors"]["density_source"] == "file"
    from workloads.compress import jbig
    if jbig.available():
        r = socsim("compress", SCALESIM / "sparsity" / "gemm.csv", "--out", tmp_path / "c", "--quiet")
        assert r.returncode == 0, r.stderr
        with (tmp_path / "c" / "compression.csv").open() as fh:
            sparsity = {row["layer"]: float(row["sparsity"]) for row in csv.DictReader(fh)}
        assert sparsity["proj"] == pytest.approx(0.25) and sparsity["proj#2"] == pytest.approx(0.75)

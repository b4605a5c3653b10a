"""Imported ONNX graphs through the simulator (soc.network.run_network): branches and
joins in dependency order, every operator's API lowering, the model's own weights (their
zeros skipped), pruning, and the source columns of every row."""
import csv
import json
import os

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from typer.testing import CliRunner

from soc.arch import design as preset
from soc.runtime.network import run_network
from workloads.io import load_onnx
from workloads.sparsity import PruneSpec

LIGHT = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "light")
N = helper.make_node
RNG = np.random.default_rng(3)


def model(nodes, inits, in_shape, opset=15):
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(in_shape))],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], initializer=inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def arr(name, a):
    return numpy_helper.from_array(np.asarray(a), name)


def rnd(name, *shape, scale=0.3):
    return arr(name, (RNG.standard_normal(shape) * scale).astype(np.float32))


@pytest.mark.parametrize("name", ["squeezenet", "shufflenet", "inception_v1"])
def test_light_model_runs_end_to_end(name):
    """Fire modules, channel shuffles with grouped convolutions, inception branches: every
    layer simulated in dependency order on coarse-sparse, outputs matching the reference."""
    net = load_onnx(os.path.join(LIGHT, f"light_{name}.onnx"))
    out = run_network(net, preset("coarse-sparse"))
    assert out.summary["outputs_match_reference"] is True
    rows = {r.name: r for r in out.results}
    assert set(rows) == {l.name for l in net}
    # the light models carry ConstantOfShape fills, not trained weights: synthetic, and said so
    assert out.summary["weights_source"] == "synthetic" and out.summary["activations_source"] == "forward,synthetic"
    src = out.sources
    assert all(src[l.name]["weights_source"] == "synthetic" for l in net.weighted_layers())
    first = net.order[0].name
    assert src[first]["activations_source"] == "synthetic"
    assert all(s["activations_source"] == "forward" for n, s in src.items() if n != first)
    assert out.summary["skipped_macs"] > 0  # ReLU zeros


def every_operator_model():
    nodes = [N("Conv", ["x", "w1", "b1"], ["c1"], name="conv", kernel_shape=[3, 3], pads=[0, 0, 1, 1]),
             N("BatchNormalization", ["c1", "g", "bt", "mu", "var"], ["n1"], name="bn"),
             N("Relu", ["n1"], ["r1"], name="relu"),
             N("MaxPool", ["r1"], ["p1"], name="pool", kernel_shape=[2, 2], strides=[2, 2], pads=[0, 0, 1, 1]),
             N("Split", ["p1", "parts"], ["s1", "s2"], name="split", axis=1),
             N("Conv", ["s1", "wd"], ["d1"], name="depthwise", kernel_shape=[3, 3], pads=[1, 1, 1, 1], group=4),
             N("Clip", ["d1", "lo", "hi"], ["d2"], name="relu6"),
             N("LeakyRelu", ["s2"], ["l1"], name="leaky", alpha=0.1),
             N("PRelu", ["l1", "slope"], ["l2"], name="prelu"),
             N("Concat", ["d2", "l2"], ["cat"], name="cat", axis=1),
             N("Reshape", ["cat", "grp"], ["g5"], name="grp"),
             N("Transpose", ["g5"], ["t5"], name="shuffle", perm=[0, 2, 1, 3, 4]),
             N("Reshape", ["t5", "back"], ["sh"], name="ungrp"),
             N("GlobalAveragePool", ["sh"], ["gap"], name="gap"),
             N("HardSigmoid", ["gap"], ["gate"], name="gate"),
             N("Mul", ["sh", "gate"], ["se"], name="excite"),
             N("Add", ["se", "sh"], ["res"], name="residual"),
             N("Mul", ["res", "scale"], ["sc"], name="scale"),
             N("HardSwish", ["sc"], ["hs"], name="hswish"),
             N("Pad", ["hs", "pads"], ["pd"], name="pad"),
             N("AveragePool", ["pd"], ["ap"], name="avg", kernel_shape=[2, 2], strides=[2, 2]),
             N("Flatten", ["ap"], ["f"], name="flat"),
             N("Gemm", ["f", "wfc", "bfc"], ["z"], name="fc", transB=1),
             N("Tanh", ["z"], ["t"], name="tanh"),
             N("Unsqueeze", ["t", "ax"], ["u"], name="unsq"),
             N("MatMul", ["u", "wmm"], ["mm"], name="matmul"),
             N("Sigmoid", ["mm"], ["sg"], name="sig"),
             N("Softmax", ["sg"], ["y"], name="softmax")]
    inits = [rnd("w1", 8, 3, 3, 3), rnd("b1", 8), rnd("g", 8), rnd("bt", 8), rnd("mu", 8),
             arr("var", np.abs(RNG.standard_normal(8)).astype(np.float32) + 0.5),
             arr("parts", np.array([4, 4], np.int64)), rnd("wd", 4, 1, 3, 3),
             arr("lo", np.array(0, np.float32)), arr("hi", np.array(0.5, np.float32)), rnd("slope", 4, 1, 1),
             arr("grp", np.array([1, 2, 4, 4, 4], np.int64)), arr("back", np.array([1, 8, 4, 4], np.int64)),
             rnd("scale", 8, 1, 1), arr("pads", np.array([0, 0, 0, 0, 0, 0, 0, 0], np.int64)),
             rnd("wfc", 12, 32), rnd("bfc", 12), arr("ax", np.array([1], np.int64)), rnd("wmm", 12, 6)]
    return model(nodes, inits, (1, 3, 8, 8))


def test_every_operator_runs_through_the_api_with_the_models_weights():
    net = load_onnx(every_operator_model())
    x = np.abs(RNG.standard_normal((2, 3, 8, 8))).astype(np.float32)
    out = run_network(net, preset("coarse-sparse"), inputs=x)
    bad = [(r.name, r.kind) for r in out.results if not r.outputs_match_reference]
    assert not bad
    kinds = {l.kind for l in net}
    assert {"conv", "pad", "pool", "slice", "act", "concat", "transpose", "mul", "add", "fc"} <= kinds
    src = out.sources
    assert src["conv"]["weights_source"] == "model" and src["fc"]["weights_source"] == "model"
    assert src["relu"]["weights_source"] is None and src["relu"]["weight_density"] is None
    assert src["conv/pad"]["activations_source"] == "model-input" and src["conv/pad"]["input_density"] == 1.0
    assert src["fc"]["activations_source"] == "forward" and src["conv"]["density_source"] is None
    assert out.summary["weights_source"] == "model" and out.summary["activations_source"] == "forward,model-input"


@pytest.mark.parametrize("op", ["LSTM", "GRU"])
def test_recurrent_sequence_runs_step_by_step(op):
    t, i, h = 3, 8, 16
    g = 4 if op == "LSTM" else 3
    attrs = dict(hidden_size=h) | ({"linear_before_reset": 1} if op == "GRU" else {})
    m = model([N(op, ["x", "W", "R"], ["y"], name="rnn", **attrs)], [rnd("W", 1, g * h, i), rnd("R", 1, g * h, h)],
              (t, 1, i))
    net = load_onnx(m)
    out = run_network(net, preset("coarse-sparse"), inputs=RNG.standard_normal((t, 1, i)).astype(np.float32))
    assert [r.name for r in out.results] == [f"rnn/t{k}" for k in range(t)]
    assert out.summary["outputs_match_reference"] is True
    assert out.sources["rnn"]["weights_source"] == "model"


def _zero_pattern(shape, group=16):
    """80 % exact zeros, whole groups of `group` consecutive outputs at once (the
    coarse-sparse PEs share one synapse mask per group of Tn = 16 outputs)."""
    idx = np.indices(shape)
    return ((idx[0] // group) + idx[1:].sum(axis=0)) % 5 != 0


@pytest.mark.parametrize("preset_name", ["coarse-sparse", "weight-sparse"])
def test_models_zero_weights_are_exactly_the_skipped_macs(preset_name):
    w = RNG.standard_normal((32, 40)).astype(np.float32)
    zeros = _zero_pattern(w.shape)
    w[zeros] = 0.0
    assert abs(zeros.mean() - 0.8) < 0.01
    wc = RNG.standard_normal((32, 3, 3, 3)).astype(np.float32)
    zc = _zero_pattern(wc.shape)
    wc[zc] = 0.0
    batch = 2
    fc = load_onnx(model([N("Gemm", ["x", "w"], ["y"], name="fc", transB=1)], [arr("w", w)], (1, 40)))
    x = np.abs(RNG.standard_normal((batch, 40))).astype(np.float32) + 0.5   # no zero activations
    out = run_network(fc, preset(preset_name), inputs=x)
    res = out.results[0]
    assert res.skipped_macs == int(zeros.sum()) * batch
    assert res.useful_macs == int((~zeros).sum()) * batch
    src = out.sources["fc"]
    assert src["weights_source"] == "model" and src["weight_density"] == pytest.approx(1 - zeros.mean(), abs=1e-6)
    conv = load_onnx(model([N("Conv", ["x", "w"], ["y"], name="conv", kernel_shape=[3, 3])], [arr("w", wc)],
                           (1, 3, 7, 7)))
    xc = np.abs(RNG.standard_normal((1, 3, 7, 7))).astype(np.float32) + 0.5
    res = run_network(conv, preset(preset_name), inputs=xc).results[0]
    assert res.skipped_macs == int(zc.sum()) * 5 * 5      # every weight meets every one of the 5x5 outputs
    assert res.outputs_match_reference


def test_prune_coarse_and_fine_on_the_models_weights():
    w = RNG.standard_normal((64, 48)).astype(np.float32)
    net = load_onnx(model([N("Gemm", ["x", "w"], ["y"], name="fc", transB=1)], [arr("w", w)], (1, 48)))
    x = np.abs(RNG.standard_normal((1, 48))).astype(np.float32) + 0.5
    for spec in (PruneSpec("fine", 0.3), PruneSpec("coarse", 0.5, (16, 4))):
        out = run_network(net, preset("coarse-sparse"), inputs=x, prune=spec)
        src = out.sources["fc"]
        assert src["weights_source"] == "pruned" and src["weight_density"] == pytest.approx(spec.density, abs=0.02)
        assert src["density_source"] == "option" and src["density_origin"].startswith(f"--prune {spec.method}")
        assert out.summary["weights_source"] == "pruned" and "prune" in out.summary
        assert out.results[0].outputs_match_reference
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        PruneSpec("coarse", 1.5)


# --------------------------------------------------------------------------- the command line
def _cli(*args):
    from soc.cli import (
        app,
        commands,  # noqa: F401
    )
    return CliRunner().invoke(app, list(args))


def test_cli_run_with_input_prune_and_source_columns(tmp_path):
    path = tmp_path / "m.onnx"
    w = RNG.standard_normal((16, 3, 3, 3)).astype(np.float32)
    nodes = [N("Conv", ["x", "w"], ["c"], name="conv", kernel_shape=[3, 3]), N("Relu", ["c"], ["y"], name="relu")]
    onnx.save(model(nodes, [arr("w", w)], (1, 3, 6, 6)), path)
    x = tmp_path / "x.npy"
    np.save(x, np.abs(RNG.standard_normal((3, 6, 6))).astype(np.float32))
    out = tmp_path / "out"
    res = _cli("run", str(path), "--out", str(out), "--input", str(x), "--prune", "fine", "--weight-density", "0.25")
    assert res.exit_code == 0, res.output
    assert "weights: pruned" in res.output and "activations: forward,model-input" in res.output
    rows = list(csv.DictReader(open(out / "layers.csv")))
    assert {"weights_source", "weight_density", "activations_source", "input_density"} <= set(rows[0])
    assert rows[0]["weights_source"] == "pruned" and float(rows[0]["weight_density"]) == pytest.approx(0.25, abs=0.01)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["weights_source"] == "pruned" and summary["activations_source"] == "forward,model-input"


def test_cli_refuses_bad_input_shape_and_density(tmp_path):
    import subprocess
    import sys
    path = tmp_path / "m.onnx"
    onnx.save(model([N("Relu", ["x"], ["y"], name="relu")], [], (1, 3, 4, 4)), path)
    bad = tmp_path / "bad.npy"
    np.save(bad, np.zeros((1, 3, 4, 5), np.float32))

    def socsim(*args):
        return subprocess.run([sys.executable, "-c", "from soc.cli import main; main()", *args],
                              capture_output=True, text=True)
    r = socsim("run", str(path), "--out", str(tmp_path / "o"), "--input", str(bad))
    assert r.returncode == 2 and f"--input {bad}" in r.stderr and "expected (N, 3, 4, 4)" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    r = socsim("run", str(path), "--out", str(tmp_path / "o"), "--prune", "coarse", "--weight-density", "0")
    assert r.returncode == 2 and "--weight-density: density must be in (0, 1]" in r.stderr
    r = socsim("compare", str(path), "--out", str(tmp_path / "o"), "--prune", "fine", "--weight-density", "1.5")
    assert r.returncode == 2 and "--weight-density: density must be in (0, 1]" in r.stderr

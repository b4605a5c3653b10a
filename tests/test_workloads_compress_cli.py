"""``socsim compress`` end to end on synthetic weights (fast), and its input errors."""
import csv
import subprocess
import sys

import pytest

from workloads.compress import jbig
from workloads.compress.pipeline import compress_synthetic, measured_targets, trained_targets
from workloads.zoo import get_network


def _socsim(*args):
    return subprocess.run([sys.executable, "-c", "from soc.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=300)


@pytest.mark.skipif(not jbig.available(), reason="libjbig0 not installed")
def test_cli_synthetic_lenet5_writes_table(tmp_path):
    out = tmp_path / "lenet5"
    r = _socsim("compress", "lenet5", "--out", str(out), "--weights", "synthetic", "--quiet")
    assert r.returncode == 0, r.stderr
    with (out / "compression.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    net = get_network("lenet5")
    assert [row["layer"] for row in rows] == [l.name for l in net.weighted_layers()] + ["total"]
    assert int(rows[-1]["weights"]) == net.weights
    for row in rows:
        r_p, r_q, r_c = float(row["r_p"]), float(row["r_q"]), float(row["r_c"])
        assert r_p <= r_q <= r_c
        assert float(row["r_irr"]) > 1
    conv2 = next(row for row in rows if row["layer"] == "conv2")
    assert abs(float(conv2["sparsity"]) - measured_targets("lenet5")["conv"]) <= 0.01
    assert not (out / "accuracy.json").exists()  # synthetic weights: no accuracy


@pytest.mark.parametrize("args, message", [
    (["compress", "nosuchnet", "--out", "x"], "nosuchnet"),
    (["compress", "lenet5", "--out", "x", "--weights", "random"], "--weights"),
    (["compress", "lenet5", "--out", "x", "--criterion", "median"], "--criterion"),
    (["compress", "resnet18", "--out", "x"], "no measured sparsity"),
])
def test_cli_bad_input_exit_2(args, message, tmp_path):
    r = _socsim(*[a if a != "x" else str(tmp_path / "o") for a in args])
    assert r.returncode == 2
    assert message in r.stderr


def test_trained_targets_cap_classifier():
    t = trained_targets(get_network("lenet5"), measured_targets("lenet5"))
    assert t == {"conv1": 0.8898, "conv2": 0.8898, "ip1": 0.9147, "ip2": 0.5}


@pytest.mark.skipif(not jbig.available(), reason="libjbig0 not installed")
def test_compress_synthetic_densities_and_errors():
    net = get_network("cifar10-quick")
    res = compress_synthetic(net, {"conv": 0.3, "fc": 0.1}, n_sub=16)
    for row, layer in zip(res.layers, net.weighted_layers()):
        target = 0.7 if layer.kind == "conv" else 0.9
        if row.weights >= 20000:
            assert abs(row.sparsity - target) <= 0.01
        assert row.r_irr > 1
    with pytest.raises(ValueError, match=r"conv: density 1.5 is outside its range \(0, 1\]"):
        compress_synthetic(net, {"conv": 1.5, "fc": 0.1})


@pytest.mark.parametrize("args, message", [
    (["--weights", "synthetic", "--fc-block", "600x16"], "layer ip1: block (600, 16) is larger than the layer"),
    (["--weights", "synthetic", "--conv-block", "16x1"], "--conv-block"),
    (["--weights", "synthetic", "--fc-stride", "8x8"], "trained weights only"),
])
def test_cli_block_options_errors(args, message, tmp_path):
    r = _socsim("compress", "lenet5", "--out", str(tmp_path / "o"), *args)
    assert r.returncode == 2
    assert message in r.stderr


@pytest.mark.skipif(not jbig.available(), reason="libjbig0 not installed")
def test_cli_explicit_fc_block_is_used(tmp_path):
    r = _socsim("compress", "lenet5", "--out", str(tmp_path), "--weights", "synthetic", "--fc-block", "8x8",
                "--quiet")
    assert r.returncode == 0, r.stderr
    with (tmp_path / "compression.csv").open() as fh:
        rows = {row["layer"]: row for row in csv.DictReader(fh)}
    assert rows["ip1"]["block"] == "8x8" and rows["conv2"]["block"] == "16x1x1x1"


@pytest.mark.skipif(not jbig.available(), reason="libjbig0 not installed")
def test_cli_trained_writes_accuracy_json(tmp_path, monkeypatch):
    """The trained route end to end, on a tiny stand-in for the MLP (seconds, not minutes)."""
    import json

    import typer
    from typer.testing import CliRunner

    import workloads.zoo
    from soc.cli.compress import compress
    from workloads.layers import FC, Activation, Network

    tiny = Network("mlp", [FC("fc1", 64, 128), Activation("r1", (128,)), FC("fc2", 128, 64),
                           Activation("r2", (64,)), FC("fc3", 64, 10)], (64,))
    monkeypatch.setattr(workloads.zoo, "get_network", lambda name: tiny)
    monkeypatch.setenv("SOCSIM_CACHE", str(tmp_path / "cache"))
    app = typer.Typer()
    app.callback()(lambda: None)
    app.command()(compress)
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["compress", "mlp", "--out", str(out), "--rounds", "2",
                                 "--finetune-epochs", "1", "--submatrices", "4", "--quiet"])
    assert r.exit_code == 0, r.output
    acc = json.loads((out / "accuracy.json").read_text())
    assert 0.5 < acc["before"] <= 1 and 0 <= acc["after"] <= 1
    with (out / "compression.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [row["layer"] for row in rows] == ["fc1", "fc2", "fc3", "total"]

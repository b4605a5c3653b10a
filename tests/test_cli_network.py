"""socsim run / compare / explain / demo and the example workload scripts."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from soc.cli import (
    UserError,
    app,
    commands,  # noqa: F401  (registers the sub-commands)
)

ROOT = Path(__file__).resolve().parents[1]
SUMMARY_KEYS = {"cycles", "time_s", "energy_pj", "energy_by_component", "dram_bytes", "useful_macs", "skipped_macs",
                "outputs_match_reference", "wall_s", "peak_rss_mb", "arch", "network", "status"}


def _socsim(*args: str) -> subprocess.CompletedProcess:
    """The installed console script's entry point (UserError -> exit 2) in a subprocess."""
    return subprocess.run([sys.executable, "-c", "from soc.cli import main; main()", *args],
                          capture_output=True, text=True, cwd=ROOT)


def test_run_writes_summary_layers_and_report(tmp_path):
    res = CliRunner().invoke(app, ["run", "lenet5", "--preset", "weight-sparse", "--out", str(tmp_path), "--seed", "1"])
    assert res.exit_code == 0, res.output
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert SUMMARY_KEYS <= set(summary)
    assert summary["status"] == "ok" and summary["arch"] == "weight-sparse" and summary["network"] == "lenet5"
    assert summary["outputs_match_reference"] is True and summary["peak_rss_mb"] > 0
    rows = list(csv.DictReader(open(tmp_path / "layers.csv")))
    assert [r["name"] for r in rows] == ["conv1", "pool1", "conv2", "pool2", "ip1", "relu1", "ip2"]
    assert rows[0]["strategy"] in ("output-reuse", "synapse-reuse", "input-reuse")
    assert sum(int(r["cycles"]) for r in rows) == summary["cycles"]
    html = (tmp_path / "report.html").read_text()
    assert "<html" in html.lower() and "http://" not in html and "https://" not in html


def test_run_selected_layers_with_forced_strategy(tmp_path):
    res = CliRunner().invoke(app, ["run", "mlp", "--out", str(tmp_path), "--layers", "ip1,ip2",
                                   "--strategy", "input-reuse", "--pes", "8"])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(open(tmp_path / "layers.csv")))
    assert [(r["name"], r["strategy"]) for r in rows] == [("ip1", "input-reuse"), ("ip2", "input-reuse")]


def test_compare_writes_ratios_against_dense(tmp_path):
    res = CliRunner().invoke(app, ["compare", "mlp", "--presets", "coarse-sparse,weight-sparse,dense",
                                   "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    rows = {r["arch"]: r for r in csv.DictReader(open(tmp_path / "compare.csv"))}
    assert set(rows) == {"coarse-sparse", "weight-sparse", "dense"}
    for r in rows.values():
        assert {"arch", "cycles", "energy_pj", "speedup_vs_dense", "energy_ratio_vs_dense"} <= set(r)
    assert float(rows["dense"]["speedup_vs_dense"]) == 1.0
    dense = json.loads((tmp_path / "dense" / "summary.json").read_text())
    cs = json.loads((tmp_path / "coarse-sparse" / "summary.json").read_text())
    assert float(rows["coarse-sparse"]["speedup_vs_dense"]) == pytest.approx(dense["cycles"] / cs["cycles"])
    assert float(rows["coarse-sparse"]["energy_ratio_vs_dense"]) == pytest.approx(dense["energy_pj"] / cs["energy_pj"])
    assert (tmp_path / "report.html").exists()


def test_explain_json_and_text():
    res = CliRunner().invoke(app, ["explain", "cifar10-quick", "--layer", "conv2", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert set(data["strategies"]) == {"output_reuse", "synapse_reuse", "input_reuse"}
    assert data["chosen"] == min(data["strategies"], key=data["strategies"].get).replace("_", "-") or \
        data["strategies"][data["chosen"].replace("-", "_")] == min(data["strategies"].values())
    assert {"p_tile", "i_tile", "o_tile"} <= set(data["tiling"])
    forced = json.loads(CliRunner().invoke(app, ["explain", "cifar10-quick", "--layer", "conv2", "--json",
                                                 "--strategy", "input-reuse"]).output)
    assert forced["chosen"] == "input-reuse" and forced["forced"]
    text = CliRunner().invoke(app, ["explain", "lenet5", "--preset", "dense"]).output
    assert "layer conv1" in text and "layer ip2" in text and "<- chosen" in text


@pytest.mark.parametrize("args, message", [
    (["run", "mlp", "--preset", "sparse"], "unknown design 'sparse'; allowed: activation-sparse, coarse-sparse-32pe, coarse-sparse, dense, weight-sparse"),
    (["run", "mlp", "--strategy", "best"], "allowed: output-reuse, synapse-reuse, input-reuse"),
    (["run", "nosuchnet"], "allowed: lenet5, mlp"),
    (["compare", "mlp", "--presets", "dense,fast"], "unknown design 'fast'"),
    (["explain", "mlp", "--layer", "relu1"], "no tiling"),
    (["explain", "mlp", "--layer", "ip7"], "has no layer 'ip7'"),
    (["run", "mlp", "--layers", "ip1,ip9"], "unknown layer(s) ['ip9']"),
])
def test_bad_input_gives_a_clear_message(args, message, tmp_path):
    res = CliRunner().invoke(app, [*args, *(["--out", str(tmp_path)] if args[0] in ("run", "compare") else [])])
    assert isinstance(res.exception, UserError), res.output
    assert message in str(res.exception)


def test_user_errors_exit_with_status_2():
    res = _socsim("run", "mlp", "--preset", "sparse")
    assert res.returncode == 2
    assert res.stderr.strip() == ("error: --arch: unknown design 'sparse'; allowed: activation-sparse, "
                                  "coarse-sparse-32pe, coarse-sparse, dense, weight-sparse, or a .yaml design file")


def _user_error(*args) -> str:
    res = CliRunner().invoke(app, list(args))
    assert isinstance(res.exception, UserError), res.output
    return str(res.exception)


def test_malformed_workload_scripts(tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("def run(handle:\n    pass\n")
    assert "syntax error at line 1" in _user_error("run", str(broken), "--out", str(tmp_path / "o1"))
    norun = tmp_path / "norun.py"
    norun.write_text("x = 1\n")
    assert "must define a function run(handle)" in _user_error("run", str(norun), "--out", str(tmp_path / "o2"))
    failing = tmp_path / "failing.py"
    failing.write_text(
        "import numpy as np\nfrom soc.runtime import api\n"
        "def run(handle):\n"
        "    x = api.Tensor(api.TensorDescriptor((1, 8)), np.ones((1, 8), np.float32))\n"
        "    y = api.Tensor(api.TensorDescriptor((1, 8)))\n"
        "    api.activation_forward(handle, api.ActivationDescriptor('relu'), x, y, name='first')\n"
        "    w = api.Filter(api.FilterDescriptor((4, 9)), np.ones((4, 9), np.float32))\n"
        "    api.inner_product_forward(handle, api.InnerProductDescriptor(), y, w,\n"
        "                              api.Tensor(api.TensorDescriptor((1, 4))), name='second')\n")
    out = tmp_path / "o3"
    message = _user_error("run", str(failing), "--out", str(out))
    assert "layer 'second'" in message and "filter must be (N_out, 8)" in message
    rows = list(csv.DictReader(open(out / "layers.csv")))
    assert [r["name"] for r in rows] == ["first"]
    assert json.loads((out / "summary.json").read_text())["status"] == "failed"


@pytest.mark.parametrize("script", ["small_cnn.py", "lstm_step.py"])
def test_example_scripts_run_standalone_and_through_socsim(script, tmp_path):
    path = ROOT / "workloads" / "examples" / script
    res = subprocess.run([sys.executable, str(path), "--out", str(tmp_path / "a"), "--preset", "dense"],
                         capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    a = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert a["outputs_match_reference"] is True and a["arch"] == "dense"
    res = CliRunner().invoke(app, ["run", str(path), "--out", str(tmp_path / "b")])
    assert res.exit_code == 0, res.output
    b = json.loads((tmp_path / "b" / "summary.json").read_text())
    assert b["outputs_match_reference"] is True and b["cycles"] < a["cycles"]  # sparse beats dense
    assert (tmp_path / "b" / "report.html").exists()


def test_yaml_network_file_runs(tmp_path):
    net = tmp_path / "net.yaml"
    net.write_text("name: tiny-yaml\ninput_shape: [64]\nlayers:\n"
                   "  - {type: fc, name: fc1, out_features: 32}\n"
                   "  - {type: relu, name: relu1}\n"
                   "  - {type: fc, name: fc2, out_features: 10}\n")
    res = CliRunner().invoke(app, ["run", str(net), "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(open(tmp_path / "o" / "layers.csv")))
    assert [r["name"] for r in rows] == ["fc1", "relu1", "fc2"]
    assert rows[1]["strategy"] == "fused"

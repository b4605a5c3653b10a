"""Designs as files: every shipped design validates and runs, a user's file equals the
shipped design it copies, a design that exists only as a file runs with no code change,
the simulator never branches on a design's name, and bad designs are refused by field."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from soc.arch import ConfigError, design_names, design_record, design_yaml, load_design
from soc.cli import (
    UserError,
    app,
    commands,  # noqa: F401
)
from soc.runtime.network import run_network
from workloads.zoo import get_network

ROOT = Path(__file__).resolve().parents[1]
# Cycles of LeNet-5 (seed 0, batch 1) on the three designs, measured with the preset strings
# these design files replaced (the same numbers before and after the change).
LENET5_CYCLES = {"coarse-sparse": 10178, "weight-sparse": 13874, "dense": 68580}


@pytest.mark.parametrize("name", design_names("vector"))
def test_every_shipped_vector_design_runs_lenet5_and_matches_the_reference(name):
    outcome = run_network(get_network("lenet5"), load_design(name))
    assert outcome.summary["outputs_match_reference"] is True
    assert all(r.arch == name for r in outcome.results)
    if name in LENET5_CYCLES:
        assert outcome.summary["cycles"] == LENET5_CYCLES[name]


def test_a_users_copy_of_a_design_gives_the_shipped_result(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(design_yaml(load_design("weight-sparse")))
    mine = run_network(get_network("lenet5"), load_design(path)).summary
    shipped = run_network(get_network("lenet5"), load_design("weight-sparse")).summary
    for key in ("cycles", "energy_pj", "dram_bytes", "useful_macs"):
        assert mine[key] == shipped[key]


ACTIVATION_ONLY = """
kind: vector
name: my-activation-skipper
tn: 16
tm: 16
nibin: {size_bytes: 2048, bandwidth_bits: 256}
sib: null
neuron_format: bitmask
weight_format: dense
skip_zero_activations: true
weight_bits: 16
weight_decoder: none
encoder: true
"""


def test_a_design_that_exists_only_as_a_file_runs(tmp_path):
    path = tmp_path / "skipper.yaml"
    path.write_text(ACTIVATION_ONLY)
    cfg = load_design(path)
    outcome = run_network(get_network("lenet5"), cfg)
    s = outcome.summary
    assert s["outputs_match_reference"] is True
    dense = run_network(get_network("lenet5"), load_design("dense")).summary
    sparse = run_network(get_network("lenet5"), load_design("coarse-sparse")).summary
    # skips zero activations but multiplies every weight: between the two
    assert sparse["useful_macs"] < s["useful_macs"] < dense["useful_macs"]
    assert "sib" not in s["energy_by_component"] and "nibin" in s["energy_by_component"]


def test_no_design_name_is_compared_in_the_simulator():
    pattern = re.compile(r"""(preset|\.name)\s*[!=]=\s*["'](coarse-sparse|weight-sparse|dense)|"""
                         r"""["'](coarse-sparse|weight-sparse|dense)["']\s*[!=]=""")
    offenders = []
    for path in (ROOT / "soc").rglob("*.py"):
        if "cli" in path.parts:
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line) or re.search(r"\bcfg\.preset\b|\.preset\s*[!=]=", line):
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


def test_set_overrides_follow_todays_field_names():
    d = load_design("coarse-sparse", ["tn=32", "nibin.size_bytes=4096", "dram.technology=hbm2", "node_nm=28"])
    assert (d.tn, d.nibin.size_bytes, d.dram.technology, d.node_nm) == (32, 4096, "hbm2", 28)


def test_design_record_is_stable_and_changes_with_the_design():
    a, b = design_record(load_design("dense")), design_record(load_design("dense"))
    c = design_record(load_design("dense", ["tn=8"]))
    assert a["design_hash"] == b["design_hash"] != c["design_hash"]
    assert a["design"]["name"] == "dense" and a["socsim_version"]


def test_shipped_designs_round_trip_through_show(tmp_path):
    for name in design_names():
        text = CliRunner().invoke(app, ["arch", "show", name]).output
        path = tmp_path / f"{name}.yaml"
        path.write_text(text)
        assert load_design(path) == load_design(name)


def test_arch_list_json():
    res = CliRunner().invoke(app, ["arch", "list", "--json"])
    rows = json.loads(res.output)
    assert {"coarse-sparse", "weight-sparse", "dense"} <= {r["name"] for r in rows}
    assert all(r["kind"] in ("vector", "spatial") for r in rows)


def test_run_records_the_resolved_design(tmp_path):
    res = CliRunner().invoke(app, ["run", "lenet5", "--arch", "dense", "--set", "dram.technology=hbm2",
                                   "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["arch"] == "dense" and summary["design"]["dram"]["technology"] == "hbm2"
    assert summary["design_hash"] == design_record(load_design("dense", ["dram.technology=hbm2"]))["design_hash"]


def test_compare_takes_several_archs(tmp_path):
    path = tmp_path / "skipper.yaml"
    path.write_text(ACTIVATION_ONLY)
    res = CliRunner().invoke(app, ["compare", "lenet5", "--arch", "dense", "--arch", str(path),
                                   "--out", str(tmp_path / "cmp")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "cmp" / "my-activation-skipper" / "summary.json").is_file()


BAD = [
    ("unknown_field: 1\n", "unknown_field: unknown field"),
    ("tn: sixteen\n", "tn: Input should be a valid integer"),
    ("tn: 16.5\n", "tn: Input should be a valid integer"),
    ("skip_zero_activations: 'yes'\n", "skip_zero_activations: Input should be a valid boolean"),
    ("nbin: {size_bytes: -1, bandwidth_bits: 256}\n", "nbin.size_bytes: Input should be greater than 0"),
    ("nbin: {size_bytes: 0, bandwidth_bits: 256}\n", "nbin.size_bytes: Input should be greater than 0"),
    ("sib: null\n", "sib: a shared-bitmask weight format needs an SIB"),
    ("weight_format: step-indexed\n", "step-indexed weights are walked per PE against dense neurons"),
    ("dram: {technology: sdram}\n", "dram.technology"),
    ("dram: {bandwidth_bytes_per_cycle: .inf}\n", "dram.bandwidth_bytes_per_cycle"),
    ("dram: {burst_bytes: 1073741824}\n", "dram.burst_bytes: Input should be less than or equal to 4096"),
    ("node_nm: 1\n", "node_nm: Input should be greater than or equal to 5"),
]


@pytest.mark.parametrize("extra, named", BAD)
def test_bad_design_files_are_refused_naming_the_field(tmp_path, extra, named):
    data = yaml.safe_load((ROOT / "soc/arch/designs/coarse-sparse.yaml").read_text())
    data.update(yaml.safe_load(extra))
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError) as info:
        load_design(path)
    message = str(info.value)
    assert named in message and str(path) in message and "\n" not in message


@pytest.mark.parametrize("args, named", [
    (["--set", "nibin.size=4096"], "--set nibin.size: unknown field of a vector design; allowed: "),
    (["--set", "tn"], "--set: expected PATH=VALUE"),
    (["--set", "tn=0"], "tn: Input should be greater than or equal to 1"),
    (["--arch", "no-such-design"], "--arch: unknown design 'no-such-design'"),
    (["--arch", "missing.yaml"], "--arch: design file missing.yaml: no such file"),
])
def test_bad_cli_designs_exit_2_before_simulating(args, named):
    res = CliRunner().invoke(app, ["run", "lenet5", *args, "--out", "/nonexistent/never-written"])
    assert isinstance(res.exception, UserError), res.output
    assert named in str(res.exception)


def test_bad_set_path_is_one_line_on_stderr_with_exit_2():
    res = subprocess.run([sys.executable, "-m", "soc.cli", "run", "lenet5", "--set", "tn.x=1"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and res.stderr.startswith("error: --set tn.x: unknown field")

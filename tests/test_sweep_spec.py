"""Bad sweep input exits 2 with one line naming the field and what is allowed, before
any point runs (no output directory is created)."""
from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest

from soc.sweep.errors import SweepError
from soc.sweep.points import enumerate_points
from soc.sweep.spec import load_spec
from tests.sweep_helpers import socsim_main

BASE = "workloads: [lenet5]\n"

CASES = {
    "unknown axis path": (BASE + "axes: {nibin.size: [1024]}\n", ["axes.nibin.size: unknown axis",
                                                                   "nibin.size_bytes"]),
    "empty axis": (BASE + "axes: {tn: []}\n", ["axes.tn: an axis needs at least one value"]),
    "axis not a list": (BASE + "axes: {tn: 32}\n", ["axes.tn: an axis is a list of values"]),
    "wrong type": (BASE + "axes: {tn: [16, sixteen]}\n", ["axes.tn[1]", "valid integer", "'sixteen'"]),
    "out of range": (BASE + "axes: {nibin.size_bytes: [0]}\n", ["axes.nibin.size_bytes[0]", "greater than 0"]),
    "bad run axis": (BASE + "axes: {weight_density: [0.5, 1.5]}\n", ["axes.weight_density[1]", "(0, 1]"]),
    "bad strategy": (BASE + "axes: {strategy: [fastest]}\n", ["axes.strategy[0]", "output-reuse"]),
    "objective not a metric": (BASE + "axes: {tn: [16]}\nobjectives: [energy_pj, speed]\n",
                               ["objectives[1]: 'speed' is not a metric", "energy_pj", "cycles"]),
    "constraint on unknown metric": (BASE + "axes: {tn: [16]}\nconstraints: ['chip_mm2 <= 5']\n",
                                     ["constraints[0]: 'chip_mm2' is not a metric"]),
    "constraint syntax": (BASE + "constraints: ['energy_pj is small']\n", ["constraints[0]", "METRIC OP NUMBER"]),
    "unknown field": (BASE + "axis: {tn: [16]}\n", ["axis: unknown field", "axes"]),
    "unknown workload": ("workloads: [lenet7]\n", ["workloads[0]", "lenet5"]),
    "unknown layer": ("workloads: [{network: lenet5, layers: [conv9]}]\n", ["workloads[0].layers", "conv1"]),
    "random too large": (BASE + "axes: {tn: [16, 32]}\nrandom: {points: 3, seed: 1}\n",
                         ["random.points: must be <= 2"]),
    "two coverings": (BASE + "axes: {tn: [16, 32]}\ngrid: full\nrandom: 1\n", ["give one of grid, random and search"]),
    "search without axes": (BASE + "search: {trials: 4}\n", ["axes: a search needs at least one axis"]),
    "vector axis on spatial": (BASE + "axes: {dataflow: [RS], strategy: [null]}\n",
                               ["axes.strategy", "vector accelerator only"]),
    "unknown dataflow": (BASE + "axes: {dataflow: [XY]}\n", ["axes.dataflow[0]", "RS"]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_sweep_file_exits_2_with_one_line(name, tmp_path):
    text, needles = CASES[name]
    path = tmp_path / "sweep.yaml"
    path.write_text(text)
    out = tmp_path / "out"
    code, stdout, err = socsim_main("sweep", str(path), "--out", str(out), "--workers", "1")
    assert code == 2, (stdout, err)
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert str(path) in err
    for needle in needles:
        assert needle in err, (needle, err)
    assert not out.exists()  # refused before anything ran or was written


def test_unreachable_scheduler_is_named_within_the_timeout(tmp_path):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    path = tmp_path / "sweep.yaml"
    path.write_text(BASE + "axes: {tn: [16]}\n")
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", "from soc.cli import main; main()", "sweep", str(path), "--out",
                           str(tmp_path / "out"), "--scheduler", f"tcp://127.0.0.1:{port}", "--timeout", "2"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert f"--scheduler tcp://127.0.0.1:{port}: cannot reach the Dask scheduler within 2 s" in proc.stderr
    assert proc.stderr.count("\n") == 1
    assert time.monotonic() - t0 < 60
    assert not (tmp_path / "out").exists()


def test_engine_options_are_checked(tmp_path):
    path = tmp_path / "sweep.yaml"
    path.write_text(BASE + "axes: {tn: [16]}\n")
    for args, needle in [(["--dask", "cloud"], "--dask: allowed: local"),
                         (["--workers", "0"], "--workers: must be an integer >= 1"),
                         (["--dask", "local", "--scheduler", "tcp://127.0.0.1:1"], "give one")]:
        code, _, err = socsim_main("sweep", str(path), "--out", str(tmp_path / "o"), *args)
        assert code == 2 and needle in err, err


def test_a_combination_that_needs_another_axis_is_accepted():
    """neuron_format: dense clashes with the base design's skip_zero_activations, which
    another axis changes: the value is accepted, and the combinations that cannot be built
    are failed points, not a refused sweep."""
    spec = load_spec({"workloads": ["lenet5"], "axes": {"neuron_format": ["bitmask", "dense"],
                                                        "skip_zero_activations": [True, False]}}, probe=False)
    assert len(enumerate_points(spec)) == 4
    with pytest.raises(SweepError, match=r"axes.neuron_format\[0\]"):
        load_spec({"workloads": ["lenet5"], "axes": {"neuron_format": ["sparse"]}}, probe=False)


def test_grid_and_random_points():
    spec = load_spec({"workloads": ["lenet5", "mlp"], "axes": {"tn": [8, 16, 32], "seed": [0, 1]}}, probe=False)
    points = enumerate_points(spec)
    assert len(points) == 12 and [p.index for p in points] == list(range(12))
    assert points[0].values == (("tn", 8), ("seed", 0)) and points[1].values == (("tn", 8), ("seed", 1))
    assert points[6].workload == "mlp"
    assert len({p.point_id for p in points}) == 12
    r = load_spec({"workloads": ["lenet5", "mlp"], "axes": {"tn": [8, 16, 32], "seed": [0, 1]},
                   "random": {"points": 5, "seed": 3}}, probe=False)
    a, b = enumerate_points(r), enumerate_points(r)
    assert [p.point_id for p in a] == [p.point_id for p in b]
    assert {p.point_id for p in a} <= {p.point_id for p in points} and len(a) == 5

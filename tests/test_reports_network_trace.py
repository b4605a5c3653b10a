"""A whole-network trace: valid Chrome Trace Event Format JSON, one track per actor,
every layer marked, counters for DRAM bandwidth and buffer occupancy, a size limit."""
import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from reports.trace import TraceRun, TraceTooLarge, write_network_trace
from soc.arch import design
from soc.cli import (
    app,
    commands,  # noqa: F401  (registers the sub-commands)
)
from soc.session import run_into, write_trace

PHASES = {"X", "M", "C", "i"}


@pytest.fixture(scope="module")
def lenet(tmp_path_factory):
    cfg = design("coarse-sparse")
    outcome = run_into(tmp_path_factory.mktemp("run"), "lenet5", cfg, report=False)
    return cfg, outcome


def _check_trace_format(trace: dict) -> None:
    """What the Trace Event Format (JSON object form) requires of each event."""
    assert isinstance(trace["traceEvents"], list) and trace["displayTimeUnit"] in ("ns", "ms")
    for ev in trace["traceEvents"]:
        assert ev["ph"] in PHASES and isinstance(ev["name"], str) and isinstance(ev["pid"], int)
        if ev["ph"] == "X":
            assert isinstance(ev["tid"], int) and ev["ts"] >= 0 and ev["dur"] >= 0
        if ev["ph"] == "C":
            assert ev["ts"] >= 0 and all(isinstance(v, (int, float)) for v in ev["args"].values())
        if ev["ph"] == "M":
            assert ev["name"] in ("process_name", "process_sort_index", "thread_name", "thread_sort_index")


def test_network_trace_is_valid_with_a_track_per_actor_and_every_layer(lenet, tmp_path):
    cfg, outcome = lenet
    info = write_trace(tmp_path / "trace.json", [("lenet5 on coarse-sparse", cfg, outcome.results)])
    text = (tmp_path / "trace.json").read_text()
    trace = json.loads(text)
    _check_trace_format(trace)
    assert info["bytes"] == len(text.encode()) and info["events"] == len(trace["traceEvents"])
    events = trace["traceEvents"]
    threads = {e["tid"]: e["args"]["name"] for e in events if e["name"] == "thread_name"}
    assert len(threads) == len(set(threads.values()))  # one track per actor
    actors = {a[0] for r in outcome.results for a in r.activity}
    assert set(threads.values()) == actors | {"layers"}
    by_track = {}
    for e in events:
        if e["ph"] == "X":
            by_track.setdefault(threads[e["tid"]], []).append(e)
    marks = by_track["layers"]
    assert [m["name"] for m in marks] == [r.name for r in outcome.results]  # every layer, in order
    clock_us = 1 / (cfg.clock_ghz * 1e3)
    start = 0
    for m, r in zip(marks, outcome.results):
        assert m["ts"] == pytest.approx(start * clock_us) and m["dur"] == pytest.approx(r.cycles * clock_us)
        start += r.cycles
    for actor in actors:  # each actor's events lie within the layer they belong to
        for e in by_track[actor]:
            mark = next(m for m in marks if m["name"] == e["args"]["layer"])
            assert mark["ts"] - 1e-9 <= e["ts"] and e["ts"] + e["dur"] <= mark["ts"] + mark["dur"] + 1e-6
    counters = {e["name"] for e in events if e["ph"] == "C"}
    assert "DRAM bandwidth (GB/s)" in counters
    assert {"nbin occupancy (bytes)", "sb occupancy (bytes)", "nbout occupancy (bytes)"} <= counters
    peak = max(e["args"]["GB/s"] for e in events if e["name"] == "DRAM bandwidth (GB/s)")
    assert 0 < peak <= cfg.dram.bandwidth_bytes_per_cycle * cfg.clock_ghz + 1e-9
    sb = [e["args"]["bytes"] for e in events if e["name"] == "sb occupancy (bytes)"]
    assert max(sb) <= cfg.sb.size_bytes and min(sb) == 0
    assert trace["otherData"]["truncated"] is False and trace["otherData"]["dropped_events"] == 0


def test_trace_layers_selects_activity_and_size_limit_refuses(lenet, tmp_path):
    cfg, outcome = lenet
    write_trace(tmp_path / "t.json", [("x", cfg, outcome.results)], layers=["conv2"])
    events = json.loads((tmp_path / "t.json").read_text())["traceEvents"]
    acts = [e for e in events if e["ph"] == "X" and e.get("cat") != "layer"]
    assert acts and {e["args"]["layer"] for e in acts} == {"conv2"}
    assert len([e for e in events if e.get("cat") == "layer"]) == len(outcome.results)
    with pytest.raises(TraceTooLarge, match="--trace-limit-mb"):
        write_trace(tmp_path / "big.json", [("x", cfg, outcome.results)], limit_mb=0.01)
    assert not list(tmp_path.glob("*big*"))  # nothing half-written is left
    with pytest.raises(ValueError, match="unknown layer"):
        write_trace(tmp_path / "u.json", [("x", cfg, outcome.results)], layers=["nope"])


def test_dropped_activity_is_reported(tmp_path):
    run = TraceRun("x", 1.0, [{"name": "a", "cycles": 10, "activity": [("nfu", 0, 5, "b")], "activity_dropped": 7}])
    info = write_network_trace(tmp_path / "t.json", [run])
    other = json.loads((tmp_path / "t.json").read_text())["otherData"]
    assert info["truncated"] and other["truncated"] and other["dropped_events"] == 7


def test_cli_compare_trace_has_one_process_per_design(tmp_path):
    out = tmp_path / "cmp"
    res = CliRunner().invoke(app, ["compare", "lenet5", "--arch", "coarse-sparse", "--arch", "dense",
                                   "--out", str(out), "--trace", "--trace-layers", "conv1,ip1"])
    assert res.exit_code == 0, res.output
    assert "trace.json" in res.output and "MB" in res.output
    trace = json.loads((out / "trace.json").read_text())
    _check_trace_format(trace)
    procs = {e["args"]["name"] for e in trace["traceEvents"] if e["name"] == "process_name"}
    assert procs == {"lenet5 on coarse-sparse", "lenet5 on dense"}
    bad = subprocess.run([sys.executable, "-c", "from soc.cli import main; main()", "run", "lenet5", "--out",
                          str(tmp_path / "r"), "--trace", "--trace-layers", "conv9"], capture_output=True, text=True)
    assert bad.returncode == 2 and "conv9" in bad.stderr and not (tmp_path / "r").exists()


def test_a_run_without_a_trace_keeps_no_activity_and_the_same_results():
    """Activity records feed a trace alone: a run that drops them reports the same."""
    from soc.runtime.network import run_network
    from workloads.zoo import get_network
    net, cfg = get_network("lenet5"), design("coarse-sparse")
    kept = run_network(net, cfg, seed=3)
    dropped = run_network(net, cfg, seed=3, keep_activity=False)
    assert any(r.activity for r in kept.results) and not any(r.activity or r.counters for r in dropped.results)
    volatile = ("wall_s", "peak_rss_mb")
    assert ({k: v for k, v in kept.summary.items() if k not in volatile}
            == {k: v for k, v in dropped.summary.items() if k not in volatile})
    rows = [[{k: v for k, v in r.to_dict().items() if k not in volatile} for r in run.results]
            for run in (kept, dropped)]
    assert rows[0] == rows[1]

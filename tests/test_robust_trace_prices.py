"""Traces say what they hold, and design tables price every action the design books
(the DRAM price of an ``energy.source: table`` design is the table's)."""
from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from reports.trace import chrome_trace, write_chrome_trace
from soc.arch import design, design_names
from soc.runtime.api import Handle
from soc.runtime.network import reference_tensors, run_layer
from soc.vector.components import vector_components
from soc.vector.pricing import PriceTableError, booked_actions, check_prices
from workloads.zoo import get_network

ROOT = Path(__file__).resolve().parents[1]
TABLE = yaml.safe_load((ROOT / "energy/tables/reference-65nm.yaml").read_text())


# --------------------------------------------------------------------------- traces
def test_a_trace_larger_than_its_cap_says_truncated_with_the_number_dropped():
    records = [("pe", i, i + 1, f"op{i}") for i in range(2500)]
    other = chrome_trace(records, clock_ghz=1.0, max_events=1000)["otherData"]
    assert other["truncated"] is True and other["dropped_events"] == 1500
    assert other["events_total"] == 2500 and other["events_kept"] == 1000 and "1500 dropped" in other["note"]


def test_records_the_simulator_left_out_count_as_dropped():
    records = [("dram", i, i + 2, "x") for i in range(10)]
    whole = chrome_trace(records, clock_ghz=1.0)["otherData"]
    assert whole["truncated"] is False and whole["dropped_events"] == 0
    cut = chrome_trace(records, clock_ghz=1.0, dropped_upstream=7)["otherData"]
    assert cut["truncated"] is True and cut["dropped_events"] == 7 and cut["events_total"] == 17
    with pytest.raises(ValueError, match="dropped_upstream"):
        chrome_trace(records, clock_ghz=1.0, dropped_upstream=-1)


def test_layer_trace_beyond_the_simulators_cap_is_marked_and_warned(tmp_path):
    """A convolution with small buffers makes more activities than the simulator keeps
    (20,000 per layer): the trace says so and the command warns."""
    out = tmp_path / "layer"
    res = subprocess.run([sys.executable, "-m", "soc.cli", "layer", "--kind", "conv", "--in-channels", "64",
                          "--out-channels", "64", "--size", "48", "--set", "nbin.size_bytes=1024",
                          "--set", "sb.size_bytes=2048", "--trace", "--out", str(out)],
                         capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    other = json.loads((out / "trace.json").read_text())["otherData"]
    assert other["truncated"] is True and other["dropped_events"] > 0
    assert other["events_kept"] == 20000 and other["events_total"] == 20000 + other["dropped_events"]
    warning = [line for line in res.stderr.splitlines() if line.startswith("warning:")]
    assert len(warning) == 1 and '"truncated": true' in warning[0] and str(other["dropped_events"]) in warning[0]


def test_write_chrome_trace_returns_the_truncation(tmp_path):
    info = write_chrome_trace(tmp_path / "t.json", [("a", 0, 1, "x")] * 5, clock_ghz=1.0, max_events=2)
    assert info["truncated"] and info["dropped_events"] == 3


# --------------------------------------------------------------------------- prices
def _table_design(tmp_path: Path, mutate, name="custom") -> object:
    table = copy.deepcopy(TABLE)
    mutate(table)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(table))
    return design("coarse-sparse", energy={"source": "table", "table": str(path)})


def test_a_tables_dram_price_is_used(tmp_path):
    """Setting the table's DRAM price to 0 makes DRAM energy 0 (it was ignored once)."""
    from soc.runtime.network import run_network
    net = get_network("mlp")
    priced = run_network(net, _table_design(tmp_path, lambda t: None, "same")).summary
    free = run_network(net, _table_design(tmp_path, lambda t: t["components"]["dram"].update(
        read={**t["components"]["dram"]["read"], "pj": 0.0}, write={**t["components"]["dram"]["write"], "pj": 0.0}),
        "free")).summary
    assert priced["energy_by_component"]["dram"] == pytest.approx(priced["dram_bytes"] * 64.0)
    assert free["energy_by_component"].get("dram", 0.0) == 0.0
    assert free["cycles"] == priced["cycles"]


def test_an_incomplete_table_is_refused_naming_the_file_and_the_action(tmp_path):
    cfg = _table_design(tmp_path, lambda t: t["components"]["pe"].pop("mac"), "nomac")
    with pytest.raises(PriceTableError, match=r"nomac\.yaml.*'pe' action 'mac'"):
        check_prices(cfg)


@pytest.mark.parametrize("name", design_names("vector"))
@pytest.mark.parametrize("changes", [{}, {"nbin": {"memory": "edram"}, "sb": {"memory": "edram"}},
                                     {"entropy_decoder": {"enabled": True}}], ids=["as-shipped", "edram", "huffman"])
def test_the_check_covers_what_a_run_books(name, changes):
    """Every (component, action) a real run books is in what the check asks the price
    source for, and static power is booked only for the design's blocks; shipped designs
    pass the check."""
    cfg = design(name, **changes)
    check_prices(cfg)
    handle = Handle(cfg)
    net = get_network("cifar10-quick")
    for t in reference_tensors(net, 0):
        run_layer(handle, t)
    booked = {(b.component, b.action) for b in handle.ledger.bookings() if b.count > 0}
    dynamic = {ca for ca in booked if ca[1] not in ("leakage", "refresh")}
    assert dynamic <= set(booked_actions(cfg))
    static_components = {c for c, a in booked if a in ("leakage", "refresh")}
    assert static_components <= {spec.name for spec in vector_components(cfg)}


def test_a_network_trace_beyond_the_simulators_cap_is_marked_and_warned(tmp_path):
    """The whole-network trace (socsim run --trace) of a layer with more activities than
    the simulator keeps says truncated, with the number dropped, and warns on stderr."""
    net = tmp_path / "bigconv.yaml"
    net.write_text("name: bigconv\ninput_shape: [64, 48, 48]\nlayers:\n"
                   "  - {type: conv, name: c1, out_channels: 64, kernel: 3, padding: 1}\n")
    out = tmp_path / "run"
    res = subprocess.run([sys.executable, "-m", "soc.cli", "run", str(net), "--trace", "--set", "nbin.size_bytes=1024",
                          "--set", "sb.size_bytes=2048", "--out", str(out)], capture_output=True, text=True,
                         timeout=600, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    trace = json.loads((out / "trace.json").read_text())
    other = trace["otherData"]
    assert other["truncated"] is True and other["dropped_events"] > 0
    warning = [line for line in res.stderr.splitlines() if line.startswith("warning:")]
    assert len(warning) == 1 and f'"dropped_events": {other["dropped_events"]}' in warning[0]

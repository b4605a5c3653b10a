"""Chrome trace export: valid JSON, one sorted track per actor, microseconds, size cap."""
from __future__ import annotations

import json
import random

import pytest
from reports_samples import sample_results

from reports.trace import Activity, chrome_trace, network_activity, write_chrome_trace


def _records(n=400, seed=0):
    rng = random.Random(seed)
    actors = ["dram", "nbin", "sb", "htree", "pe0", "pe1", "encoder"]
    recs = []
    for i in range(n):
        start = rng.randrange(0, 100_000)
        recs.append((rng.choice(actors), start, start + rng.randrange(0, 500), f"op{i}",
                     f"layer{i % 3}"))
    return recs


def _x_events(trace):
    return [e for e in trace["traceEvents"] if e["ph"] == "X"]


def test_trace_file_is_valid_and_sorted_per_actor(tmp_path):
    recs = _records()
    info = write_chrome_trace(tmp_path / "run.trace.json", recs, clock_ghz=1.0, process_name="alexnet")
    trace = json.loads((tmp_path / "run.trace.json").read_text())
    assert info["truncated"] is False and info["events_kept"] == len(recs)
    assert trace["otherData"]["events_total"] == len(recs)
    events = _x_events(trace)
    assert len(events) == len(recs)
    names = {e["tid"]: e["args"]["name"] for e in trace["traceEvents"]
             if e["ph"] == "M" and e["name"] == "thread_name"}
    assert sorted(names.values()) == sorted({r[0] for r in recs})  # one track per actor
    by_tid: dict[int, list[float]] = {}
    for e in events:
        assert set(e) >= {"name", "ph", "pid", "tid", "ts", "dur"}
        assert e["dur"] >= 0
        by_tid.setdefault(e["tid"], []).append(e["ts"])
    for ts in by_tid.values():
        assert ts == sorted(ts)
    # Every record appears on its actor's track with the right label.
    got = sorted((names[e["tid"]], e["args"]["start_cycle"], e["name"]) for e in events)
    assert got == sorted((r[0], r[1], r[3]) for r in recs)


def test_timestamps_are_microseconds_from_cycles_and_clock():
    trace = chrome_trace([("pe0", 2_000, 5_000, "compute")], clock_ghz=2.0)
    (event,) = _x_events(trace)
    # 2000 cycles at 2 GHz = 1 us; 3000 cycles = 1.5 us.
    assert event["ts"] == pytest.approx(1.0)
    assert event["dur"] == pytest.approx(1.5)


def test_cap_keeps_earliest_events_and_says_so(tmp_path):
    recs = _records(1000, seed=3)
    info = write_chrome_trace(tmp_path / "t.json", recs, clock_ghz=1.0, max_events=100)
    trace = json.loads((tmp_path / "t.json").read_text())
    events = _x_events(trace)
    assert len(events) == 100
    other = trace["otherData"]
    assert other["truncated"] is True and info["truncated"] is True
    assert other["events_total"] == 1000 and other["events_kept"] == 100
    assert "truncated" in other["note"]
    cut = other["truncated_at_cycle"]
    kept_starts = sorted(e["args"]["start_cycle"] for e in events)
    all_starts = sorted(r[1] for r in recs)
    assert kept_starts == all_starts[:100] and cut == all_starts[99]
    assert any(e["ph"] == "i" and "truncated" in e["name"] for e in trace["traceEvents"])
    # The cap bounds the file: well under what the full trace would take.
    full = tmp_path / "full.json"
    write_chrome_trace(full, recs, clock_ghz=1.0)
    assert (tmp_path / "t.json").stat().st_size < full.stat().st_size / 5


def test_network_activity_places_layers_end_to_end():
    results = sample_results(3)
    acts = list(network_activity(results))
    offset = 0
    i = 0
    for r in results:
        for actor, start, end, label in r["activity"]:
            a = acts[i]
            assert a == Activity(actor, start + offset, end + offset, label, r["name"])
            i += 1
        offset += r["cycles"]
    assert i == len(acts)
    trace = chrome_trace(acts, clock_ghz=1.0)
    assert {e["cat"] for e in _x_events(trace)} == {r["name"] for r in results}


@pytest.mark.parametrize("records, kwargs, message", [
    ([("pe0", 10, 5, "x")], {}, "end_cycle 5 is before start_cycle 10"),
    ([("pe0", -1, 5, "x")], {}, "start_cycle"),
    ([("", 0, 5, "x")], {}, "actor"),
    ([("pe0", 0, 5)], {}, "expected"),
    ([{"actor": "pe0", "start_cycle": 0}], {}, "end_cycle"),
    ([("pe0", 0, 5, "x")], {"clock_ghz": 0}, "clock_ghz"),
    ([("pe0", 0, 5, "x")], {"max_events": 0}, "max_events"),
])
def test_bad_input_is_refused(records, kwargs, message):
    with pytest.raises(ValueError, match=message):
        chrome_trace(records, **({"clock_ghz": 1.0} | kwargs))

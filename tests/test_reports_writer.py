"""The incremental run writer keeps finished layers on disk whatever happens later."""
from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from reports_samples import sample_results

from reports.tables import component_columns, layer_table, network_summary
from reports.writer import RunWriter


def test_rows_are_on_disk_after_each_layer(tmp_path):
    results = sample_results(4)
    writer = RunWriter(tmp_path)
    for i, r in enumerate(results):
        writer.add_layer(r)
        df = pd.read_csv(tmp_path / "layers.csv")
        assert list(df["name"]) == [x["name"] for x in results[: i + 1]]
    text = (tmp_path / "layers.csv").read_text()
    assert text.count("name,kind") == 1  # one header


def test_csv_matches_layer_table_including_late_components(tmp_path):
    # Layer 2 is a pooling layer with fewer components; start with it so later
    # layers widen the header.
    results = sample_results(6)
    results = [results[2]] + results[:2] + results[3:]
    writer = RunWriter(tmp_path)
    for r in results:
        writer.add_layer(r)
    written = pd.read_csv(tmp_path / "layers.csv")
    expected = layer_table(results)
    assert list(written.columns) == list(expected.columns)
    comps = component_columns(written)
    for col in ["cycles", "energy_pj", "useful_macs", "dram_bytes"] + comps:
        assert written[col].tolist() == pytest.approx(expected[col].tolist(), rel=1e-15)
    for _, row in written.iterrows():
        assert math.isclose(row[comps].sum(), row["energy_pj"], rel_tol=1e-12)


def test_failure_keeps_earlier_layers_and_is_recorded(tmp_path):
    results = sample_results(5)
    with pytest.raises(RuntimeError, match="buffer NBin overfilled"):
        with RunWriter(tmp_path) as writer:
            for r in results:
                writer.begin_layer(r["name"])
                if r["name"] == results[3]["name"]:
                    raise RuntimeError("buffer NBin overfilled")
                writer.add_layer(r)
    df = pd.read_csv(tmp_path / "layers.csv")
    assert list(df["name"]) == [r["name"] for r in results[:3]]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["status"] == "failed"
    assert summary["failure"] == {"layer": results[3]["name"], "error_type": "RuntimeError",
                                  "message": "buffer NBin overfilled"}
    assert summary["layers_completed"] == 3
    assert summary["cycles"] == sum(r["cycles"] for r in results[:3])


def test_rows_survive_a_killed_process(tmp_path):
    # The process dies hard (no exception handling, no finish) after two layers.
    script = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from reports.writer import RunWriter
        from reports_samples import sample_results
        w = RunWriter({str(tmp_path)!r})
        for r in sample_results(2):
            w.add_layer(r)
        os._exit(3)
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).parent.parent)
    assert proc.returncode == 3
    df = pd.read_csv(tmp_path / "layers.csv")
    assert len(df) == 2
    assert not (tmp_path / "summary.json").exists()


def test_finish_writes_summary(tmp_path):
    results = sample_results(3)
    writer = RunWriter(tmp_path)
    for r in results:
        writer.add_layer(r)
    path = writer.finish(writer.summary() | {"peak_rss_mb": 123.4})
    data = json.loads(path.read_text())
    expected = network_summary(results)
    assert data["status"] == "ok" and data["peak_rss_mb"] == 123.4
    for key in ("cycles", "dram_bytes", "useful_macs", "skipped_macs", "outputs_match_reference"):
        assert data[key] == expected[key]
    assert data["energy_by_component"] == pytest.approx(expected["energy_by_component"])
    assert data["energy_by_action"] == pytest.approx(expected["energy_by_action"])
    with pytest.raises(RuntimeError, match="already finished"):
        writer.add_layer(results[0])


def test_invalid_layer_is_refused_and_not_written(tmp_path):
    results = sample_results(2)
    writer = RunWriter(tmp_path)
    writer.add_layer(results[0])
    bad = dict(results[1], utilization=2.0)
    with pytest.raises(ValueError, match="utilization"):
        writer.add_layer(bad)
    assert len(pd.read_csv(tmp_path / "layers.csv")) == 1
    path = writer.finish(failed_layer=bad["name"], error=ValueError("bad layer"))
    data = json.loads(path.read_text())
    assert data["failure"]["layer"] == bad["name"] and data["layers"] == 1


def test_a_new_run_replaces_old_files(tmp_path):
    first = RunWriter(tmp_path)
    for r in sample_results(3):
        first.add_layer(r)
    first.finish()
    second = RunWriter(tmp_path)
    assert not (tmp_path / "summary.json").exists()  # no stale summary while running
    second.add_layer(sample_results(1, prefix="X")[0])
    assert list(pd.read_csv(tmp_path / "layers.csv")["name"]) == ["X0_conv"]

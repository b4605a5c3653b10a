"""A sweep killed halfway resumes and completes without evaluating again the points
already done; a directory that holds another sweep is refused."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pandas as pd

from soc.sweep.runner import run_sweep
from soc.sweep.store import read_results_dir
from tests.sweep_helpers import LENET12, deterministic, socsim_main

KILL_AFTER = 4  # rows on disk before the sweep is killed


def test_killed_sweep_resumes_without_recomputing(tmp_path):
    out = tmp_path / "sweep"
    proc = subprocess.Popen([sys.executable, "-c", "from soc.cli import main; main()", "sweep", str(LENET12),
                             "--out", str(out), "--workers", "1", "--no-progress"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            parts = list((out / "results.parquet").glob("part-*.parquet")) if (out / "results.parquet").is_dir() else []
            if len(parts) >= KILL_AFTER:
                break
            time.sleep(0.05)
        assert proc.poll() is None, f"the sweep ended before it could be killed: {proc.stderr.read()!r}"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its worker processes
        proc.wait()
    before = read_results_dir(out / "results.parquet")
    done = len(before)
    assert KILL_AFTER <= done < 12

    outcome = run_sweep(LENET12, out, workers=2)
    assert outcome.skipped == done
    assert outcome.evaluated == 12 - done  # the evaluations of this run: only the missing points
    t = outcome.table
    assert sorted(t["point"]) == list(range(12)) and t["point_id"].is_unique
    # rows of the killed run are kept as they were (same worker and timing: not recomputed)
    kept = t.set_index("point_id").loc[before["point_id"], ["run_worker", "run_wall_s"]]
    pd.testing.assert_frame_equal(kept.reset_index(drop=True),
                                  before[["run_worker", "run_wall_s"]].reset_index(drop=True))
    # compacted into one file, and the whole table equals an uninterrupted sweep's rows
    assert len(list((out / "results.parquet").glob("part-*.parquet"))) == 1
    again = run_sweep(LENET12, out, workers=1)
    assert again.evaluated == 0 and again.skipped == 12
    pd.testing.assert_frame_equal(deterministic(again.table), deterministic(t))


def test_directory_of_another_sweep_is_refused(tmp_path):
    spec = {"workloads": ["lenet5"], "axes": {"tn": [16]}, "objectives": ["energy_pj", "time_s"]}
    out = tmp_path / "s"
    run_sweep(spec, out, workers=1, report=False)
    (tmp_path / "other.yaml").write_text("workloads: [lenet5]\naxes: {tn: [16, 32]}\n")
    code, _, err = socsim_main("sweep", str(tmp_path / "other.yaml"), "--out", str(out))
    assert code == 2
    assert err.count("\n") == 1
    assert "holds another sweep" in err and "axes.tn: [16] recorded, [16, 32] given" in err

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    code, _, err = socsim_main("sweep", str(tmp_path / "other.yaml"), "--out", str(foreign))
    assert code == 2 and "not empty and holds no sweep" in err

"""One run per output directory, clean reruns, normal permissions, and the record an
interrupted run leaves (SIGINT and SIGTERM sent to a real ``socsim run`` process)."""
from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from soc.arch import design
from soc.rundir import LOCK_NAME, OutputDirError, claim
from soc.session import run_into

ROOT = Path(__file__).resolve().parents[1]
FAILING_SCRIPT = """
import numpy as np
from soc.runtime import api

def run(handle):
    x = api.Tensor(api.TensorDescriptor((1, 64)), np.ones((1, 64), np.float32))
    w = api.Filter(api.FilterDescriptor((32, 64)), np.full((32, 64), 0.01, np.float32))
    y = api.Tensor(api.TensorDescriptor((1, 32)))
    api.inner_product_forward(handle, api.InnerProductDescriptor(), x, w, y, name="ip1")
    raise RuntimeError("the script fails after its first layer")
"""


def _socsim(*args: str, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "soc.cli", *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _wait_for(predicate, what: str, limit_s: float = 300.0) -> None:
    """Poll until ``predicate()``; fail (not hang) if it never comes."""
    deadline = time.monotonic() + limit_s
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


def _rows(out: Path) -> list[dict]:
    path = out / "layers.csv"
    return list(csv.DictReader(open(path))) if path.exists() else []


def test_a_second_run_into_a_directory_in_use_is_refused_naming_the_holder(tmp_path):
    out = tmp_path / "shared"
    first = _socsim("run", "alexnet", "--out", str(out), cwd=tmp_path)
    try:
        _wait_for(lambda: (out / LOCK_NAME).exists() and (out / LOCK_NAME).read_text().strip(), "the first run's lock")
        second = subprocess.run([sys.executable, "-m", "soc.cli", "run", "lenet5", "--out", str(out)], cwd=tmp_path,
                                capture_output=True, text=True, timeout=300)
        assert second.returncode == 2
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1 and "in use by another run" in lines[0] and f"pid {first.pid}" in lines[0], lines
        assert "run alexnet" in lines[0]
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=300)
    # the directory holds the first run's record only: every row is an alexnet layer
    summary = json.loads((out / "summary.json").read_text())
    assert summary["network"] == "alexnet"
    assert [r["name"] for r in _rows(out)] == summary["finished_layers"]


def test_claim_refuses_another_thread_and_allows_nesting_in_one(tmp_path):
    import threading
    errors = []
    with claim(tmp_path / "d"):
        with claim(tmp_path / "d"):  # nested in the same thread: allowed (compare -> run)
            pass

        def other():
            try:
                with claim(tmp_path / "d"):
                    pass
            except OutputDirError as exc:
                errors.append(str(exc))
        t = threading.Thread(target=other)
        t.start()
        t.join()
    assert errors and "in use" in errors[0]
    with claim(tmp_path / "d"):  # released
        pass


def test_a_rerun_after_a_failure_leaves_nothing_of_the_earlier_run(tmp_path):
    out = tmp_path / "run"
    cfg = design("coarse-sparse")
    run_into(out, "mlp", cfg)
    for name in ("report.html", "network.csv", "energy_by_component.csv", "plots"):
        assert (out / name).exists(), name
    (out / "notes.txt").write_text("mine")
    script = tmp_path / "fails.py"
    script.write_text(FAILING_SCRIPT)
    with pytest.raises(Exception, match="fails after its first layer"):
        run_into(out, script, cfg)
    present = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert present == ["layers.csv", "notes.txt", "summary.json"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "failed" and summary["layers_completed"] == 1
    assert [r["name"] for r in _rows(out)] == ["ip1"]
    assert (out / "notes.txt").read_text() == "mine"  # what socsim did not write is left alone
    # and a successful rerun replaces the failed record
    run_into(out, "mlp", cfg)
    assert json.loads((out / "summary.json").read_text())["status"] == "ok"
    assert (out / "report.html").exists()


def test_results_get_the_users_normal_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        run_into(tmp_path / "run", "mlp", design("dense"), report=False)
    finally:
        os.umask(old)
    for name in ("layers.csv", "summary.json"):
        assert (tmp_path / "run" / name).stat().st_mode & 0o777 == 0o644, name


@pytest.mark.parametrize("sig,code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_run_keeps_its_record(tmp_path, sig, code):
    out = tmp_path / "run"
    proc = _socsim("run", "alexnet", "--out", str(out), cwd=tmp_path)
    try:
        _wait_for(lambda: len(_rows(out)) >= 2, "two finished layers")
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == code, err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith(f"error: interrupted by {sig.name}"), err
    assert err.strip().splitlines()[-1] == errors[0]
    summary = json.loads((out / "summary.json").read_text())
    rows = _rows(out)
    assert summary["status"] == "interrupted"
    assert summary["failure"]["message"] == f"interrupted by {sig.name}"
    assert summary["layers_completed"] == len(rows) >= 2
    assert summary["finished_layers"] == [r["name"] for r in rows]
    running = summary["failure"]["layer"]
    names = ["conv1", "relu1", "norm1", "pool1", "conv2", "relu2", "norm2", "pool2", "conv3", "relu3", "conv4",
             "relu4", "conv5", "relu5", "pool5", "fc6", "relu6", "fc7", "relu7", "fc8"]
    assert running == names[len(rows)], (running, len(rows))
    assert f"during layer '{running}'" in errors[0]
    assert not (out / "report.html").exists()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_a_rows_write_is_delivered_after_it(sig):
    """A layer's row is written and counted whole: a signal arriving inside
    ``signals_deferred`` is raised only when the block is left, to the handlers of before."""
    from soc.interrupts import RunInterrupted, signals_deferred, signals_raise
    done = []
    with pytest.raises(RunInterrupted) as err:
        with signals_raise():
            with signals_deferred():
                os.kill(os.getpid(), sig)
                time.sleep(0.05)  # the handler would have run by now
                done.append("row written")
            time.sleep(1.0)  # delivered on leaving the block
    assert done == ["row written"] and err.value.signum == sig
    with signals_deferred():  # nothing held: leaving raises nothing
        done.append("again")


def test_a_runs_peak_memory_is_its_own_not_its_parents():
    """``peak_rss_mb`` in a summary is the process's own high-water mark: a run started from
    a process that once held far more memory does not report that process's peak (Linux's
    ru_maxrss would, since a subprocess shares its parent's memory until exec)."""
    import numpy as np
    big = np.ones(400 * 2**20 // 8)  # 400 MB, touched
    code = "from soc.runtime.network import peak_rss_mb; print(peak_rss_mb())"
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           cwd=Path(__file__).resolve().parents[1])
    assert big.sum() > 0 and float(child.stdout) < 200

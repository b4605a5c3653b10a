"""The same 12-point grid (Tn x NIBin size x DRAM technology on LeNet-5) gives the same
rows on the process pool, on a dask.distributed cluster of two worker processes (a real
scheduler and real workers, started and stopped here) and on one worker."""
from __future__ import annotations

import pandas as pd
import pytest

from soc.sweep.runner import run_sweep
from tests.sweep_helpers import LENET12, deterministic


@pytest.fixture(scope="module")
def pool_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("pool")
    return run_sweep(LENET12, out, workers=2)


def test_process_pool_rows(pool_run):
    t = pool_run.table
    assert pool_run.evaluated == 12 and pool_run.failed == 0 and pool_run.skipped == 0
    assert t["point"].tolist() == list(range(12))
    assert (t["status"] == "ok").all() and t["outputs_match_reference"].all()
    # grid order: the last axis fastest
    assert t["dram.technology"].tolist()[:3] == ["lpddr4", "hbm2", "ddr3"]
    assert t["tn"].tolist() == [16] * 6 + [32] * 6
    # more PEs: fewer cycles; HBM2 costs less DRAM energy than DDR3 on the same design
    assert (t[t.tn == 32].cycles.max()) < (t[t.tn == 16].cycles.min())
    by_tech = t.groupby("dram.technology").e_dram_pj.mean()
    assert by_tech["hbm2"] < by_tech["ddr3"]
    # points that share the workload and seed reused its tensors in their worker
    assert t["run_tensors_reused"].sum() >= 12 - 2
    assert {"cycles", "energy_pj", "dram_bytes", "useful_macs", "edp_pj_s"} <= set(t.columns)


def test_rows_match_a_direct_run(pool_run):
    """The sweep's row is what run_network gives for that design (tensors from a cache or not)."""
    from soc.arch import load_design
    from soc.runtime.network import run_network
    from workloads.zoo import get_network
    row = pool_run.table.iloc[10]
    cfg = load_design("coarse-sparse", {"tn": int(row.tn), "nibin.size_bytes": int(row["nibin.size_bytes"]),
                                        "dram.technology": row["dram.technology"]}, kind="vector")
    s = run_network(get_network("lenet5"), cfg, seed=0).summary
    assert row.cycles == s["cycles"] and row.energy_pj == s["energy_pj"] and row.dram_bytes == s["dram_bytes"]


def test_dask_cluster_with_two_worker_processes(pool_run, tmp_path):
    from distributed import LocalCluster
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        outcome = run_sweep(LENET12, tmp_path / "dask", scheduler=cluster.scheduler_address)
        workers = set(outcome.table["run_worker"])
    assert outcome.evaluated == 12
    assert len(workers) == 2  # both worker processes evaluated points
    pd.testing.assert_frame_equal(deterministic(outcome.table), deterministic(pool_run.table))


def test_dask_local_with_one_worker(pool_run, tmp_path):
    outcome = run_sweep(LENET12, tmp_path / "one", dask="local", workers=1)
    assert outcome.evaluated == 12 and len(set(outcome.table["run_worker"])) == 1
    pd.testing.assert_frame_equal(deterministic(outcome.table), deterministic(pool_run.table))
    # the table written to disk is the one returned
    disk = pd.read_parquet(tmp_path / "one" / "results.parquet")
    pd.testing.assert_frame_equal(deterministic(disk), deterministic(outcome.table.drop(columns="pareto")))

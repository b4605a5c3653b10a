"""A multi-objective search (Optuna NSGA-II on the sweep's engine) is reproducible for a
fixed seed, whatever the engine, and a rerun into its directory evaluates nothing."""
from __future__ import annotations

import pandas as pd

from soc.sweep.runner import run_sweep
from tests.sweep_helpers import deterministic

SEARCH = {
    "workloads": ["lenet5"],
    "axes": {"tn": [8, 16, 32, 64], "nibin.size_bytes": [512, 1024, 4096],
             "dram.technology": ["lpddr4", "hbm2", "ddr3", "gddr5"]},
    "search": {"trials": 10, "population": 4, "seed": 5},
    "objectives": ["energy", "latency"],
    "constraints": ["dram_bytes <= 200000"],
}


def test_search_is_reproducible_and_resumable(tmp_path):
    first = run_sweep(SEARCH, tmp_path / "a", workers=2)
    t = first.table
    assert first.points == 10 and 1 <= first.evaluated <= 10
    assert len(t) == first.evaluated and t.point_id.is_unique
    assert t.point.tolist() == list(range(len(t)))
    assert first.spec.search.objectives == ("energy_pj", "time_s")
    assert t.feasible.notna().all() and t.pareto.any()
    # same seed, other engine and worker count: the same proposals and rows
    second = run_sweep(SEARCH, None, dask="local", workers=1)
    pd.testing.assert_frame_equal(deterministic(second.table), deterministic(t))
    # another seed explores other points
    other = run_sweep({**SEARCH, "search": {**SEARCH["search"], "seed": 6}}, None, workers=2)
    assert list(other.table.point_id) != list(t.point_id)
    # a rerun replays the trials from the table and evaluates nothing
    again = run_sweep(SEARCH, tmp_path / "a", workers=2)
    assert again.evaluated == 0 and again.skipped == len(t)
    pd.testing.assert_frame_equal(deterministic(again.table), deterministic(t))

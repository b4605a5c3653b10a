"""The Pareto set against a brute-force dominance check on random data."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soc.sweep.pareto import front_mask, non_dominated, pareto_table


def brute_force(v: np.ndarray) -> np.ndarray:
    """Definition: i is on the front iff no j is <= everywhere and < somewhere (rows with
    NaN neither count nor dominate)."""
    n = len(v)
    valid = ~np.isnan(v).any(axis=1)
    keep = np.zeros(n, dtype=bool)
    for i in range(n):
        if not valid[i]:
            continue
        keep[i] = not any(valid[j] and np.all(v[j] <= v[i]) and np.any(v[j] < v[i]) for j in range(n) if j != i)
    return keep


@pytest.mark.parametrize("k", [2, 3, 4])
@pytest.mark.parametrize("seed", range(6))
def test_random_clouds(k, seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    v = rng.normal(size=(n, k))
    if seed % 2:  # few distinct values: many ties and duplicates
        v = np.round(v * 2) / 2
    if seed % 3 == 0:
        v[rng.random(n) < 0.1, rng.integers(k)] = np.nan
    assert np.array_equal(non_dominated(v), brute_force(v))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6), st.integers(0, 6)), min_size=0, max_size=40),
       st.sampled_from([2, 3]))
def test_small_integer_grids(points, k):
    v = np.array([p[:k] for p in points], dtype=float).reshape(len(points), k)
    assert np.array_equal(non_dominated(v), brute_force(v))


def test_blocked_pairwise_matches_on_many_points():
    """More points than one block of the pairwise comparison."""
    import soc.sweep.pareto as pareto
    rng = np.random.default_rng(7)
    v = rng.random((1300, 3))
    v[:, 2] = 1.0 - v[:, 0] + 0.05 * rng.random(1300)  # a real trade-off: a large front
    got = non_dominated(v)
    assert got.sum() > 20
    assert np.array_equal(got, brute_force(v))
    assert len(v) > pareto.BLOCK


def test_front_ignores_failed_and_infeasible_rows():
    df = pd.DataFrame({"point": [0, 1, 2, 3], "point_id": list("abcd"), "workload": ["w"] * 4,
                       "status": ["ok", "ok", "failed", "ok"], "feasible": [True, False, None, True],
                       "e": [5.0, 1.0, 0.0, 2.0], "t": [1.0, 1.0, 0.0, 3.0]})
    assert front_mask(df, ["e", "t"]).tolist() == [True, False, False, True]
    table = pareto_table(df, [("e", "t")], ["point", "point_id", "workload"])
    assert table["point"].tolist() == [3, 0]  # sorted by x
    assert set(table.columns) >= {"front", "x", "y", "x_value", "y_value"}


def test_summary_flattening_is_generic():
    """Any numeric summary key is a metric (so an area or power estimate becomes one as
    soon as the summaries carry it); nested mappings become flat columns."""
    from soc.sweep.metrics import add_derived, flatten_summary
    summary = {"cycles": 10, "time_s": 2e-6, "energy_pj": 5.0, "area_mm2": 3.5, "power_mw": 120.0,
               "energy_by_component": {"dram": 2.0}, "energy_by_action": {"read": 1.5},
               "area_by_component_mm2": {"nbin": 0.25}, "weight_density": 0.4, "wall_s": 9.0, "seed": 3,
               "status": "ok", "outputs_match_reference": True}
    m = add_derived(flatten_summary(summary), "vector")
    assert m == {"cycles": 10, "time_s": 2e-6, "energy_pj": 5.0, "area_mm2": 3.5, "power_mw": 120.0,
                 "e_dram_pj": 2.0, "action_read_pj": 1.5, "area_nbin_mm2": 0.25, "measured_weight_density": 0.4,
                 "edp_pj_s": 5.0 * 2e-6}

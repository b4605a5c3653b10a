"""Tables made from per-layer results: flattening, totals, comparisons, bad input."""
from __future__ import annotations

import math

import pandas as pd
import pytest
from reports_samples import sample_results

from reports.tables import (
    LAYER_COLUMNS,
    component_columns,
    design_comparison,
    energy_by_action_table,
    energy_by_component_table,
    layer_table,
    network_summary,
)


def test_layer_table_flattens_components_and_rows_sum_to_energy():
    results = sample_results(6)
    df = layer_table(results)
    assert list(df["name"]) == [r["name"] for r in results]
    assert list(df.columns[: len(LAYER_COLUMNS)]) == list(LAYER_COLUMNS)
    comps = component_columns(df)
    assert comps and all(c.startswith("e_") and c.endswith("_pj") for c in comps)
    # Pool layers lack some components: those cells are 0 pJ, not NaN.
    assert not df[comps].isna().any().any()
    for _, row in df.iterrows():
        assert math.isclose(row[comps].sum(), row["energy_pj"], rel_tol=1e-12)
    assert (df["dram_bytes"] == df["dram_bytes_read"] + df["dram_bytes_written"]).all()
    # Non-scalar extras (activity) are not table columns.
    assert "activity" not in df.columns


def test_extra_keys_are_kept_and_mappings_flattened():
    results = sample_results(2)
    results[0]["tile_bytes"] = 4096
    for r in results:
        r["tiling"] = {"tr": 4, "tm": 16}
        r["traffic_estimate"] = {"output_reuse": {"dram_bytes": 100.0}, "input_reuse": {"dram_bytes": 90.0}}
    df = layer_table(results)
    assert df.loc[0, "tile_bytes"] == 4096
    assert pd.isna(df.loc[1, "tile_bytes"])
    assert list(df["tiling.tm"]) == [16, 16]
    assert list(df["traffic_estimate.input_reuse.dram_bytes"]) == [90.0, 90.0]
    assert not [c for c in df.columns if c.startswith("e_") and c.endswith("_pj") and "." in c]


def test_network_summary_totals_are_consistent():
    results = sample_results(7)
    df = layer_table(results)
    s = network_summary(results)
    assert s["layers"] == 7
    assert s["cycles"] == sum(r["cycles"] for r in results)
    assert math.isclose(s["energy_pj"], sum(r["energy_pj"] for r in results), rel_tol=1e-12)
    assert math.isclose(sum(s["energy_by_component"].values()), s["energy_pj"], rel_tol=1e-12)
    assert math.isclose(sum(s["energy_by_action"].values()), s["energy_pj"], rel_tol=1e-12)
    assert s["dram_bytes"] == sum(r["dram_bytes_read"] + r["dram_bytes_written"] for r in results)
    # Utilization: useful MAC slots over all slots (cycles-weighted), not the plain mean.
    expected = sum(r["utilization"] * r["cycles"] for r in results) / sum(r["cycles"] for r in results)
    assert math.isclose(s["utilization"], expected, rel_tol=1e-12)
    assert 0 <= s["utilization"] <= 1
    assert s["outputs_match_reference"] is True
    # A summary built from the table equals the one from raw results (minus actions).
    s2 = network_summary(df)
    assert "energy_by_action" not in s2
    assert {k: v for k, v in s.items() if k != "energy_by_action"} == s2


def test_outputs_match_reference_is_all_layers():
    results = sample_results(4)
    results[2]["outputs_match_reference"] = False
    assert network_summary(results)["outputs_match_reference"] is False


def test_breakdown_tables_sum_to_network_energy():
    results = sample_results(5)
    total = sum(r["energy_pj"] for r in results)
    by_comp = energy_by_component_table(results)
    by_act = energy_by_action_table(results)
    for t, key in ((by_comp, "component"), (by_act, "action")):
        assert list(t.columns) == [key, "energy_pj", "share_pct"]
        assert math.isclose(t["energy_pj"].sum(), total, rel_tol=1e-12)
        assert math.isclose(t["share_pct"].sum(), 100.0, rel_tol=1e-12)
        assert t["energy_pj"].is_monotonic_decreasing


def test_design_comparison_ratios():
    summaries = {
        "coarse-sparse": network_summary(sample_results(3, seed=1, scale=1.0)),
        "weight-sparse": network_summary(sample_results(3, seed=1, scale=2.0)),
        "dense": network_summary(sample_results(3, seed=1, scale=4.0)),
    }
    cmp = design_comparison(summaries)
    assert list(cmp.columns[:5]) == ["arch", "cycles", "energy_pj", "speedup_vs_dense", "energy_ratio_vs_dense"]
    row = cmp.set_index("arch")
    assert row.loc["dense", "speedup_vs_dense"] == 1.0
    assert row.loc["dense", "energy_ratio_vs_dense"] == 1.0
    cs, d = summaries["coarse-sparse"], summaries["dense"]
    assert math.isclose(row.loc["coarse-sparse", "speedup_vs_dense"], d["cycles"] / cs["cycles"])
    assert math.isclose(row.loc["coarse-sparse", "energy_ratio_vs_dense"], d["energy_pj"] / cs["energy_pj"])
    assert row.loc["coarse-sparse", "speedup_vs_dense"] > 1
    cmp2 = design_comparison(summaries, baselines=["dense", "weight-sparse"])
    assert "speedup_vs_weight-sparse" in cmp2.columns
    assert "energy_ratio_vs_weight-sparse" in cmp2.columns


def test_design_comparison_rejects_unknown_baseline():
    summaries = {"coarse-sparse": network_summary(sample_results(2))}
    with pytest.raises(ValueError, match="baseline design 'dense'"):
        design_comparison(summaries, baselines=["dense"])
    # Without dense, the first design is the default baseline.
    assert "speedup_vs_coarse-sparse" in design_comparison(summaries).columns


@pytest.mark.parametrize("mutate, message", [
    (lambda r: r.pop("cycles"), "missing field"),
    (lambda r: r.update(energy_pj=r["energy_pj"] * 1.5), "energy_by_component sums to"),
    (lambda r: r.update(utilization=1.5), "utilization"),
    (lambda r: r.update(dram_bytes_read=-1), "dram_bytes_read"),
    (lambda r: r["energy_by_component"].update(dram=float("nan")), "energy_by_component"),
])
def test_bad_results_name_the_field(mutate, message):
    results = sample_results(3)
    mutate(results[1])
    with pytest.raises(ValueError, match=message) as info:
        layer_table(results)
    assert results[1]["name"] in str(info.value)


def test_object_with_to_dict_is_accepted():
    class Result:
        def __init__(self, d):
            self._d = d

        def to_dict(self):
            return self._d

    results = sample_results(2)
    assert layer_table([Result(r) for r in results]).equals(layer_table(results))

"""Plots: right kind of figure, units on the axes, PNG output, bad tables refused."""
from __future__ import annotations

import numpy as np
import pytest
from reports_samples import sample_results

from reports.plots import (
    cycles_by_layer_figure,
    design_ratios_figure,
    energy_by_component_figure,
    energy_unit,
    figure_png,
    run_figures,
    save_figures,
)
from reports.tables import component_columns, design_comparison, layer_table, network_summary

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _comparison():
    return design_comparison({
        "coarse-sparse": network_summary(sample_results(3, seed=1, scale=1.0)),
        "weight-sparse": network_summary(sample_results(3, seed=1, scale=2.0)),
        "dense": network_summary(sample_results(3, seed=1, scale=4.0)),
    })


def test_energy_unit_choice():
    assert energy_unit(500.0) == ("pJ", 1.0)
    assert energy_unit(2.5e6) == ("µJ", 1e6)
    assert energy_unit(3e9) == ("mJ", 1e9)


def test_energy_stack_heights_equal_layer_energy_and_unit_is_on_axis():
    df = layer_table(sample_results(5))
    fig = energy_by_component_figure(df)
    ax = fig.axes[0]
    unit, scale = energy_unit(df["energy_pj"].max())
    assert ax.get_ylabel() == f"energy ({unit})"
    # One filled step patch per component; the top of the last one, sampled at each
    # bar, is the layer's total energy in the axis unit.
    steps = [p for p in ax.patches if p.get_label() and not p.get_label().startswith("_")]
    assert len(steps) == len(component_columns(df))
    values, edges, _ = steps[-1].get_data()
    tops = values[0::2]
    assert tops == pytest.approx(df["energy_pj"].to_numpy() / scale, rel=1e-9)
    centres = (edges[0:-1:2] + edges[1::2]) / 2
    assert centres == pytest.approx(np.arange(len(df)))
    # Each component's band height equals its column.
    first_values, _, first_base = steps[0].get_data()
    first_col = sorted(component_columns(df), key=lambda c: -df[c].sum())[0]
    assert (first_values - first_base)[0::2] == pytest.approx(df[first_col].to_numpy() / scale, rel=1e-9)
    assert [t.get_text() for t in ax.get_xticklabels()] == list(df["name"])


def test_cycles_figure_and_many_layers_thin_labels():
    results = sample_results(150)
    df = layer_table(results)
    df.loc[df.index[::10], "cycles"] = 0  # layers that take no time (fused) get no bar
    fig = cycles_by_layer_figure(df)
    ax = fig.axes[0]
    assert ax.get_ylabel().startswith("cycles")
    assert len(ax.containers[0]) == 135
    assert len(ax.get_xticklabels()) <= 60


def test_design_ratios_figure_bars_match_table():
    cmp = _comparison()
    fig = design_ratios_figure(cmp)
    ax = fig.axes[0]
    speed, energy = ax.containers[0], ax.containers[1]
    assert [b.get_height() for b in speed] == pytest.approx(cmp["speedup_vs_dense"].tolist())
    assert [b.get_height() for b in energy] == pytest.approx(cmp["energy_ratio_vs_dense"].tolist())
    with pytest.raises(ValueError, match="speedup_vs_nope"):
        design_ratios_figure(cmp, baseline="nope")


def test_png_output_and_no_pyplot(tmp_path):
    df = layer_table(sample_results(4))
    figs = run_figures(df, _comparison())
    assert set(figs) == {"energy_by_component", "cycles_by_layer", "design_ratios"}
    paths = save_figures(figs, tmp_path / "plots")
    for path in paths.values():
        data = path.read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 5000
        assert b"matplotlib.org" not in data
    assert figure_png(figs["cycles_by_layer"]).startswith(PNG_MAGIC)


def test_empty_or_wrong_table_is_refused():
    df = layer_table(sample_results(2))
    with pytest.raises(ValueError, match="empty"):
        cycles_by_layer_figure(df.iloc[0:0])
    with pytest.raises(ValueError, match="e_<component>_pj"):
        energy_by_component_figure(df.drop(columns=component_columns(df)))

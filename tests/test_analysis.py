"""The Python API: flat DataFrames, Figures, energy breakdowns that sum to the total,
accuracy metrics, and the notebook-style example in docs/ runs."""
import json
import os
import runpy
from numbers import Number
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.figure import Figure

from soc.analysis import COMPARISON_PLOTS, RUN_PLOTS, compare, run
from soc.session import AccuracyError, load_accuracy

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def lenet():
    return run("lenet5", "coarse-sparse")


def _flat(df: pd.DataFrame) -> None:
    for col in df.columns:
        for v in df[col]:
            assert v is None or isinstance(v, (str, bool, Number)) or pd.isna(v), (col, type(v))


def test_layers_and_summary_are_flat(lenet):
    layers = lenet.layers()
    assert len(layers) == 7 and list(layers["name"])[:2] == ["conv1", "pool1"]
    _flat(layers)
    assert {"tiling.p_tile", "e_dram_pj", "data_weights_pj", "operational_intensity", "bound"} <= set(layers.columns)
    summary = lenet.summary()
    assert len(summary) == 1
    _flat(summary)
    assert summary["energy_pj"].iloc[0] == pytest.approx(layers["energy_pj"].sum())


@pytest.mark.parametrize("by", ["component", "action", "data_type", "layer", ["layer", "data_type"]])
def test_energy_breakdowns_sum_to_the_total(lenet, by):
    df = lenet.energy(by=by)
    _flat(df)
    total = lenet.outcome.summary["energy_pj"]
    assert df["energy_pj"].sum() == pytest.approx(total, rel=1e-12)
    assert df["share_pct"].sum() == pytest.approx(100.0)


def test_breakdowns_agree_with_each_other(lenet):
    by_comp = lenet.energy("component").set_index("component")["energy_pj"]
    assert by_comp.to_dict() == pytest.approx(lenet.outcome.summary["energy_by_component"])
    by_type = lenet.energy("data_type").set_index("data_type")["energy_pj"]
    assert by_type.to_dict() == pytest.approx(lenet.outcome.summary["energy_by_data_type"])
    layers = lenet.layers()
    per_layer = lenet.energy("layer").set_index("layer")["energy_pj"]
    for _, row in layers[layers.energy_pj > 0].iterrows():
        assert per_layer[row["name"]] == pytest.approx(row.energy_pj)
        types = [c for c in layers.columns if c.startswith("data_")]
        assert sum(row[c] for c in types) == pytest.approx(row.energy_pj)
    with pytest.raises(ValueError, match="allowed keys"):
        lenet.energy(by="colour")


def test_plots_are_figures(lenet):
    for kind in RUN_PLOTS:
        assert isinstance(lenet.plot(kind), Figure)
    with pytest.raises(ValueError, match="allowed"):
        lenet.plot("pie")


def test_comparison_frames_and_accuracy_flag():
    c = compare("mlp", ["coarse-sparse", "dense"], accuracy={"coarse-sparse": 0.95, "dense": 0.97})
    table = c.table()
    _flat(table)
    assert list(table["arch"]) == ["coarse-sparse", "dense"] and "speedup_vs_dense" in table
    assert set(c.layers()["arch"]) == {"coarse-sparse", "dense"}
    ratios = c.layer_ratios()
    assert (ratios["speedup"] > 0).all() and (ratios["cycles"] > 0).all()
    pairs = c.accuracy_pairs()
    assert len(pairs) == 1 and bool(pairs["flagged"].iloc[0])
    s = c.runs["dense"].outcome.summary
    assert s["accuracy_per_joule"] == pytest.approx(0.97 / (s["energy_pj"] * 1e-12))
    assert s["accuracy_per_parameter"] == pytest.approx(0.97 / 266_200)
    for kind in ("layer_ratios", "energy_by_design_component", "roofline", "area_power"):
        assert kind in COMPARISON_PLOTS and isinstance(c.plot(kind), Figure)


def test_accuracy_from_a_compression_result(tmp_path):
    (tmp_path / "accuracy.json").write_text(json.dumps({"before": 0.97, "after": 0.96}))
    pd.DataFrame([{"layer": "fc1", "nonzero": 900}, {"layer": "total", "nonzero": 1000}]).to_csv(
        tmp_path / "compression.csv", index=False)
    assert load_accuracy(str(tmp_path)) == (0.96, 1000)
    assert load_accuracy("0.5") == (0.5, None)
    for bad in ("1.5", "nope", str(tmp_path / "missing.json")):
        with pytest.raises(AccuracyError, match="--accuracy"):
            load_accuracy(bad)


def test_notebook_example_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SOCSIM_EXAMPLE_OUT", str(tmp_path))
    runpy.run_path(str(ROOT / "docs" / "examples" / "notebook.py"), run_name="__main__")
    assert sorted(os.listdir(tmp_path)) == ["energy_by_data_type.png", "energy_by_design_component.png",
                                            "layer_ratios.png", "roofline.png"]
    assert "speedup_vs_dense" in capsys.readouterr().out

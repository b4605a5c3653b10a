"""Plots: right kind of figure, units on the axes, PNG output, bad tables refused."""
from __future__ import annotations

import re
import struct

import numpy as np
import pytest
from reports_samples import sample_results

from reports.plots import (
    cycles_by_layer_figure,
    design_ratios_figure,
    energy_by_component_figure,
    energy_unit,
    figure_png,
    log_axis,
    new_figure,
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


def _mathtext_as_plain(label: str) -> str:
    """matplotlib's mathtext log label (``$\\mathdefault{2\\times10^{-1}}$``) as the plain
    text a reader sees (``2×10⁻¹``)."""
    text = label.replace("$", "").replace("\\mathdefault{", "", 1)
    text = text[:-1] if text.endswith("}") else text
    text = text.replace("\\times", "×").replace("\\minus", "−")
    return re.sub(r"\^\{(-?\d+)\}", lambda m: m.group(1).translate(str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")),
                  text)


@pytest.mark.parametrize("limits", [(1e-2, 1e3), (3.0, 40.0), (20.0, 60.0), (0.7, 1.3e5)])
def test_log_tick_labels_say_what_matplotlibs_own_say(limits):
    """Plain-text log labels: the same ticks labelled, with the same text, as matplotlib's
    default mathtext formatter (including the minor ticks it labels on short axes)."""
    from matplotlib.ticker import LogFormatterSciNotation

    labels = {}
    for formatter in ("plain", "default"):
        fig = new_figure(6, 4)
        ax = fig.add_subplot(1, 1, 1)
        ax.set_yscale("log")
        if formatter == "plain":
            log_axis(ax.yaxis)
        else:
            assert isinstance(ax.yaxis.get_major_formatter(), LogFormatterSciNotation)
        ax.set_ylim(*limits)
        fig.canvas.draw()
        labels[formatter] = [(t.get_position()[1], t.get_text()) for t in ax.yaxis.get_ticklabels(which="both")]
    plain = [(y, text) for y, text in labels["plain"] if text]
    default = [(y, _mathtext_as_plain(text)) for y, text in labels["default"] if text]
    assert plain == default and len(plain) >= 2
    assert not any("$" in text for _, text in plain)


@pytest.fixture(scope="module")
def lenet_figures(tmp_path_factory):
    """Every figure of a LeNet-5 run report and of a comparison of two designs."""
    from reports.bundle import comparison_figures
    from reports.tables import design_comparison
    from soc.arch import design
    from soc.result import design_roofs
    from soc.session import energy_entries, run_into

    runs = {}
    for name in ("coarse-sparse", "dense"):
        cfg = design(name)
        outcome = run_into(tmp_path_factory.mktemp(name), "lenet5", cfg, report=False)
        table = layer_table([r.to_dict() for r in outcome.results], design_roofs(cfg))
        runs[name] = (cfg, outcome, table)
    cfg, outcome, table = runs["coarse-sparse"]
    figures = {f"run/{k}": f for k, f in run_figures(table, entries=energy_entries(outcome.results),
                                                       summary=outcome.summary, roofs=design_roofs(cfg),
                                                       design=cfg.name).items()}
    summaries = {n: o.summary for n, (_, o, _) in runs.items()}
    comparison = design_comparison(summaries)
    tables = {n: t for n, (_, _, t) in runs.items()}
    figures.update({f"compare/{k}": f for k, f in comparison_figures(
        comparison, summaries, tables, None, "dense", {n: design_roofs(c) for n, (c, _, _) in runs.items()}).items()})
    return figures


def test_figures_are_laid_out_and_drawn_once(lenet_figures):
    for name, fig in lenet_figures.items():
        calls = {"layout": 0, "draw": 0}
        engine, draw = fig.get_layout_engine(), fig.draw

        def count(what, fn):
            def counted(*args, **kwargs):
                calls[what] += 1
                return fn(*args, **kwargs)
            return counted

        engine.execute = count("layout", engine.execute)
        fig.draw = count("draw", draw)
        try:
            png = figure_png(fig)
        finally:
            del engine.execute, fig.draw
        assert calls == {"layout": 1, "draw": 1}, name
        width, height = struct.unpack(">II", png[16:24])
        assert (width, height) == tuple(round(v * fig.dpi) for v in fig.get_size_inches()), name


def _texts(fig):
    """Every text a reader sees: titles, axis labels, tick labels in view, legends,
    annotations and bar labels."""
    texts = list(fig.texts) + ([fig._suptitle] if fig._suptitle is not None else [])
    for ax in fig.axes:
        texts += [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label]
        for axis, coord in ((ax.xaxis, 0), (ax.yaxis, 1)):
            lo, hi = sorted(axis.get_view_interval())
            texts += [t for t in axis.get_ticklabels(which="both")  # the locator's ticks beyond the view are not drawn
                      if lo - 1e-9 * abs(hi - lo) <= t.get_position()[coord] <= hi + 1e-9 * abs(hi - lo)]
        texts += list(ax.texts)
        legend = ax.get_legend()
        if legend is not None:
            texts += list(legend.get_texts()) + [legend.get_title()]
    return [t for t in texts if t.get_visible() and t.get_text()]


def test_no_text_is_cut_off(lenet_figures):
    """Drawn at its own size (no cropping afterwards), every figure keeps every label,
    title, legend entry and annotation inside the picture."""
    for name, fig in lenet_figures.items():
        figure_png(fig)
        renderer = fig.canvas.get_renderer()
        width, height = fig.canvas.get_width_height()
        texts = _texts(fig)
        assert len(texts) >= 6, name
        for text in texts:
            box = text.get_window_extent(renderer)
            assert box.x0 >= -1 and box.y0 >= -1 and box.x1 <= width + 1 and box.y1 <= height + 1, \
                (name, text.get_text(), box.extents, (width, height))

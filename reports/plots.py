"""Plots (matplotlib, Agg canvas, never a display) made from report tables.

Figures are built as ``matplotlib.figure.Figure`` objects with an Agg canvas attached,
without pyplot (so the global backend is neither used nor changed), so nothing opens a window, no global figure registry grows, and the
module works on a headless machine. Each function takes the DataFrames of
``reports.tables`` and returns a Figure; :func:`save_figure` writes a PNG and
:func:`figure_png` gives the PNG bytes (used by the HTML report).

Energy axes are in pJ, nJ, uJ or mJ, whichever keeps the largest bar between 1 and
1000; the unit is written on the axis. PNGs carry no software/URL metadata.
"""
from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Mapping

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from reports.tables import component_columns, component_of

#: (name, pJ per unit), smallest first.
ENERGY_UNITS: tuple[tuple[str, float], ...] = (("pJ", 1.0), ("nJ", 1e3), ("uJ", 1e6), ("mJ", 1e9), ("J", 1e12))

#: Above this many layers, only every n-th layer name is printed on the x axis.
MAX_LABELLED_LAYERS = 60

DPI = 110


def energy_unit(max_pj: float) -> tuple[str, float]:
    """The unit (name, pJ per unit) that puts ``max_pj`` in [1, 1000)."""
    chosen = ENERGY_UNITS[0]
    for name, scale in ENERGY_UNITS:
        if max_pj >= scale:
            chosen = (name, scale)
    return chosen


def _new_figure(n_bars: int, height: float = 4.5) -> Figure:
    width = min(max(6.0, 0.28 * n_bars + 2.5), 24.0)
    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def _layer_axis(ax, names: list[str]) -> None:
    x = np.arange(len(names))
    step = max(1, int(np.ceil(len(names) / MAX_LABELLED_LAYERS)))
    ax.set_xticks(x[::step])
    ax.set_xticklabels(names[::step], rotation=60, ha="right", fontsize=7 if len(names) > 20 else 8)
    ax.set_xlim(-0.6, len(names) - 0.4)
    ax.set_xlabel("layer" + (f" (every {step}th name shown)" if step > 1 else ""))


def _require(df: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: table lacks column(s) {missing}")
    if df.empty:
        raise ValueError(f"{what}: table is empty")


def energy_by_component_figure(layers: pd.DataFrame, title: str = "Energy by component per layer") -> Figure:
    """Stacked bars: for each layer, its energy split by component (unit on the y axis)."""
    comps = component_columns(layers)
    _require(layers, ["name", "energy_pj"], "energy_by_component_figure")
    if not comps:
        raise ValueError("energy_by_component_figure: table has no e_<component>_pj columns")
    names = [str(n) for n in layers["name"]]
    unit, scale = energy_unit(float(layers["energy_pj"].max()))
    # Largest components first in the stack and legend.
    comps = sorted(comps, key=lambda c: -float(layers[c].sum()))
    fig = _new_figure(len(names), height=5.0)
    ax = fig.add_subplot(1, 1, 1)
    # One filled step patch per component (bars of width 0.8 with zero-height gaps
    # between them) instead of one rectangle per layer and component: deep networks
    # would otherwise draw tens of thousands of patches.
    edges = np.empty(2 * len(names) + 1)
    edges[0::2] = np.arange(len(names) + 1) - 0.4  # bar i spans [i - 0.4, i + 0.4]
    edges[1::2] = np.arange(len(names)) + 0.4
    bottom = np.zeros(len(names))
    colors = matplotlib.colormaps["tab20"].resampled(max(len(comps), 2))
    for i, col in enumerate(comps):
        top = bottom + layers[col].to_numpy(dtype=float) / scale
        values = np.empty(2 * len(names))
        base = np.empty(2 * len(names))
        values[0::2], base[0::2] = top, bottom
        values[1::2], base[1::2] = top, top  # gap: zero height
        ax.stairs(values, edges, baseline=base, fill=True, label=component_of(col), color=colors(i))
        bottom = top
    ax.set_ylim(0, float(bottom.max()) * 1.05 if bottom.max() > 0 else 1.0)
    ax.set_ylabel(f"energy ({unit})")
    ax.set_title(title)
    _layer_axis(ax, names)
    ax.legend(fontsize=7, ncol=1, loc="upper left", bbox_to_anchor=(1.01, 1.0), title="component")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def cycles_by_layer_figure(layers: pd.DataFrame, title: str = "Cycles per layer",
                           log_scale: bool | None = None) -> Figure:
    """Bars of simulated cycles per layer. ``log_scale`` defaults to on when layers differ
    by more than 1000x."""
    _require(layers, ["name", "cycles"], "cycles_by_layer_figure")
    names = [str(n) for n in layers["name"]]
    cycles = layers["cycles"].to_numpy(dtype=float)
    if log_scale is None:
        positive = cycles[cycles > 0]
        log_scale = positive.size > 0 and positive.max() / positive.min() > 1e3
    fig = _new_figure(len(names))
    ax = fig.add_subplot(1, 1, 1)
    ax.bar(np.arange(len(names)), cycles, width=0.8, color="#4878a8")
    if log_scale:
        ax.set_yscale("log")
    ax.set_ylabel("cycles" + (" (log scale)" if log_scale else ""))
    ax.set_title(title)
    _layer_axis(ax, names)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def design_ratios_figure(comparison: pd.DataFrame, baseline: str | None = None,
                         title: str | None = None) -> Figure:
    """Grouped bars per design: speedup and energy ratio against ``baseline`` (both
    baseline / design, so > 1 is better than the baseline; the line at 1 marks parity).
    ``baseline`` defaults to the first baseline in the comparison table."""
    _require(comparison, ["arch"], "design_ratios_figure")
    if baseline is None:
        found = [c[len("speedup_vs_"):] for c in comparison.columns if c.startswith("speedup_vs_")]
        if not found:
            raise ValueError("design_ratios_figure: comparison has no speedup_vs_<baseline> column")
        baseline = found[0]
    speed_col, energy_col = f"speedup_vs_{baseline}", f"energy_ratio_vs_{baseline}"
    _require(comparison, [speed_col, energy_col], "design_ratios_figure")
    designs = [str(p) for p in comparison["arch"]]
    fig = Figure(figsize=(max(6.5, 1.6 * len(designs) + 2.0), 4.5), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    x = np.arange(len(designs))
    w = 0.38
    speed = comparison[speed_col].to_numpy(dtype=float)
    energy = comparison[energy_col].to_numpy(dtype=float)
    b1 = ax.bar(x - w / 2, speed, w, label=f"speedup (cycles {baseline} / cycles design)", color="#4878a8")
    b2 = ax.bar(x + w / 2, energy, w, label=f"energy ratio (energy {baseline} / energy design)", color="#e3a33b")
    for bars in (b1, b2):
        ax.bar_label(bars, fmt="%.2fx", fontsize=8)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_xticks(x)
    ax.set_xticklabels(designs)
    ax.set_ylabel(f"ratio vs {baseline} (x, higher is better)")
    ax.set_title(title or f"Speedup and energy ratio against {baseline}")
    ax.set_ylim(0, max(1.0, float(np.nanmax(np.concatenate([speed, energy])))) * 1.18)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2, frameon=False)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def cycles_by_layer_designs_figure(layers_by_design: Mapping[str, pd.DataFrame],
                                   title: str = "Cycles per layer on each design",
                                   log_scale: bool | None = None) -> Figure:
    """Grouped bars: for each layer (in the first design's order), its cycles on each
    design. Layers are matched by name; a layer missing from a design has no bar."""
    if not layers_by_design:
        raise ValueError("cycles_by_layer_designs_figure: no designs given")
    for design, df in layers_by_design.items():
        _require(df, ["name", "cycles"], f"cycles_by_layer_designs_figure ({design})")
    designs = list(layers_by_design)
    names = [str(n) for n in layers_by_design[designs[0]]["name"]]
    table = np.full((len(designs), len(names)), np.nan)
    for p, design in enumerate(designs):
        by_name = dict(zip(layers_by_design[design]["name"].astype(str),
                           layers_by_design[design]["cycles"].astype(float)))
        table[p] = [by_name.get(n, np.nan) for n in names]
    if log_scale is None:
        positive = table[np.isfinite(table) & (table > 0)]
        log_scale = positive.size > 0 and positive.max() / positive.min() > 1e3
    fig = _new_figure(len(names) * max(1, len(designs)) // 2 + len(names))
    ax = fig.add_subplot(1, 1, 1)
    width = 0.8 / len(designs)
    colors = matplotlib.colormaps["tab10"]
    x = np.arange(len(names))
    for p, design in enumerate(designs):
        ax.bar(x - 0.4 + width * (p + 0.5), np.nan_to_num(table[p]), width, label=design, color=colors(p % 10))
    if log_scale:
        ax.set_yscale("log")
    ax.set_ylabel("cycles" + (" (log scale)" if log_scale else ""))
    ax.set_title(title)
    _layer_axis(ax, names)
    ax.legend(fontsize=8, title="arch")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def figure_png(fig: Figure) -> bytes:
    """PNG bytes of a figure (no software/URL metadata in the file)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    return buf.getvalue()


def save_figure(fig: Figure, path: str | os.PathLike) -> Path:
    """Write a figure as PNG to ``path`` (parent directories created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(figure_png(fig))
    return path


def run_figures(layers: pd.DataFrame, comparison: pd.DataFrame | None = None) -> dict[str, Figure]:
    """The standard figures of a run, by file stem: ``energy_by_component``,
    ``cycles_by_layer`` and, given a comparison, ``design_ratios``."""
    figures = {
        "energy_by_component": energy_by_component_figure(layers),
        "cycles_by_layer": cycles_by_layer_figure(layers),
    }
    if comparison is not None:
        figures["design_ratios"] = design_ratios_figure(comparison)
    return figures


def save_figures(figures: Mapping[str, Figure], out_dir: str | os.PathLike) -> dict[str, Path]:
    """Save each figure as ``out_dir/<name>.png``; returns the paths by name."""
    return {name: save_figure(fig, Path(out_dir) / f"{name}.png") for name, fig in figures.items()}

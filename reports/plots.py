"""Plots (matplotlib, Agg canvas, never a display) made from report tables.

Figures are built as ``matplotlib.figure.Figure`` objects with an Agg canvas attached,
without pyplot (so the global backend is neither used nor changed), so nothing opens a
window, no global figure registry grows, and the module works on a headless machine.
Each function takes plain data (the DataFrames of ``reports.tables``, mappings of
summaries) and returns a Figure, for a notebook to show or :func:`save_figure` to write
as PNG; :func:`figure_png` gives the PNG bytes (used by the HTML report).

Energy axes are in pJ, nJ, µJ, mJ or J, whichever keeps the largest bar between 1 and
1000; the unit is written on the axis. Layers that take no time (ReLUs fused into their
producer) are left out of per-layer bars. Components, actions and data types keep one
colour in every figure. PNGs carry no software/URL metadata.
"""
from __future__ import annotations

import io
import math
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine, TightLayoutEngine
from matplotlib.patches import StepPatch
from matplotlib.ticker import LogFormatter, LogLocator

from reports.tables import component_columns, component_of, energy_by_layer_table
from reports.units import ENERGY_UNITS, energy_unit, prefix  # noqa: F401  (ENERGY_UNITS re-exported)

#: Above this many layers, only every n-th layer name is printed on the x axis.
MAX_LABELLED_LAYERS = 60

DPI = 110

#: Fixed colours so that a component, action or data type looks the same in every figure.
COLORS: dict[str, str] = {
    # components
    "dram": "#4e79a7", "nbin": "#f28e2b", "nibin": "#ffbe7d", "sb": "#59a14f", "sib": "#8cd17d",
    "nbout": "#b6992d", "nsm": "#e15759", "htree": "#ff9d9a", "pe": "#79706e", "encoder": "#d37295",
    "cp": "#bab0ac", "ib": "#d4a6c8", "entropy-decoder": "#9d7660", "leakage": "#2f2f2f",
    # data types
    "weights": "#59a14f", "inputs": "#f28e2b", "outputs": "#b07aa1", "psums": "#edc948",
    "indexes": "#76b7b2", "compute": "#79706e", "control": "#bab0ac", "static": "#2f2f2f",
    "unattributed": "#ff0000",
    # spatial levels
    "alu": "#79706e", "rf": "#e15759", "noc": "#76b7b2", "glb": "#f28e2b",
}


def color_for(key: str, index: int) -> Any:
    """The fixed colour of a known name, else the index-th colour of tab20."""
    return COLORS.get(key, matplotlib.colormaps["tab20"](index % 20))


def _figure_for_bars(n_bars: int, height: float = 4.5) -> Figure:
    width = min(max(6.5, 0.28 * n_bars + 3.0), 24.0)
    return new_figure(width, height)


def new_figure(width: float, height: float) -> Figure:
    """A ``width`` x ``height`` inch figure at :data:`DPI` on its own Agg canvas, laid
    out when it is drawn (matplotlib's tight layout engine: tick labels, axis labels,
    titles and legends beside the axes are kept inside the figure). The layout is
    computed once per drawing, so a PNG costs one layout and one draw. (The engine
    gets ``rect=None``, as ``Figure.tight_layout()`` does: with its default rectangle,
    the whole figure, it would measure every label twice for the same result.)"""
    fig = Figure(figsize=(width, height), dpi=DPI, layout=TightLayoutEngine(rect=None))
    FigureCanvasAgg(fig)
    return fig


_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


class PlainLogFormatter(LogFormatter):
    """Log-axis tick labels as plain text with Unicode superscripts (``10³``,
    ``2×10⁻¹``), where matplotlib's default (``LogFormatterSciNotation``) writes the
    same in mathtext (``$10^{3}$``): the labels read the same, and no TeX-like
    expression has to be parsed and laid out for each one. Which ticks get a label is
    :class:`matplotlib.ticker.LogFormatter`'s choice, as for the default (the decades,
    and some minor ticks when an axis spans about one decade)."""

    def __init__(self, base: float = 10.0, labelOnlyBase: bool = False) -> None:
        super().__init__(base, labelOnlyBase=labelOnlyBase)
        self.log_base = float(base)

    def __call__(self, x: float, pos: int | None = None) -> str:
        if x == 0 or not super().__call__(x, pos):  # LogFormatter leaves this tick unlabelled
            return "0" if x == 0 else ""
        sign = "−" if x < 0 else ""
        x, base = abs(x), self.log_base
        fx = math.log(x) / math.log(base)
        decade = _close_to_int(fx)
        exponent = round(fx) if decade else math.floor(fx)
        if abs(fx) < matplotlib.rcParams["axes.formatter.min_exponent"]:
            return f"{sign}{x:g}"
        power = f"{base:g}{str(exponent).translate(_SUPERSCRIPT)}"
        if decade:
            return sign + power
        coeff = base ** (fx - exponent)
        return f"{sign}{round(coeff) if _close_to_int(coeff) else coeff:g}×{power}"


def _close_to_int(x: float) -> bool:
    return abs(x - round(x)) < 1e-10


def log_axis(axis, minor: Sequence[float] | None = None) -> None:
    """Plain-text labels (:class:`PlainLogFormatter`) on a log-scaled ``ax.xaxis`` or
    ``ax.yaxis`` (call after ``set_xscale("log")``, which resets them). ``minor``: the
    multiples of each decade that get a minor tick (default matplotlib's 2 to 9)."""
    base = getattr(axis.get_transform(), "base", 10)
    if minor is not None:
        axis.set_minor_locator(LogLocator(base, subs=tuple(minor)))
    axis.set_major_formatter(PlainLogFormatter(base))
    axis.set_minor_formatter(PlainLogFormatter(base, labelOnlyBase=False))  # as matplotlib's log scale


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


def _timed(layers: pd.DataFrame) -> pd.DataFrame:
    """The layers that take time (a fused ReLU's row has 0 cycles and 0 pJ)."""
    if "cycles" in layers.columns:
        kept = layers[(layers["cycles"] > 0) | (layers.get("energy_pj", 0) > 0)]
        return kept if not kept.empty else layers
    return layers


def stacked_bars_figure(table: pd.DataFrame, *, title: str, legend_title: str,
                        ylabel: str = "energy", energy: bool = True) -> Figure:
    """Stacked bars: one bar per row of ``table`` (index = bar names), one band per
    column (largest total first), energies scaled to one unit on the y axis."""
    if table.empty or table.shape[1] == 0:
        raise ValueError(f"{title}: nothing to plot")
    names = [str(n) for n in table.index]
    cols = sorted(table.columns, key=lambda c: -float(table[c].sum()))
    totals = table[cols].sum(axis=1).to_numpy(dtype=float)
    unit, scale = energy_unit(float(totals.max())) if energy else ("", 1.0)
    fig = _figure_for_bars(len(names), height=5.0)
    ax = fig.add_subplot(1, 1, 1)
    # One filled step patch per column (bars of width 0.8 with zero-height gaps between
    # them) instead of one rectangle per bar and column: deep networks would otherwise
    # draw tens of thousands of patches. The patches are added as they are, without
    # ``ax.stairs`` measuring every step for the data limits (the limits are set here:
    # that measuring cost 0.4 s a figure for 500 layers).
    edges = np.empty(2 * len(names) + 1)
    edges[0::2] = np.arange(len(names) + 1) - 0.4  # bar i spans [i - 0.4, i + 0.4]
    edges[1::2] = np.arange(len(names)) + 0.4
    bottom = np.zeros(len(names))
    for i, col in enumerate(cols):
        top = bottom + table[col].to_numpy(dtype=float) / scale
        values = np.empty(2 * len(names))
        base = np.empty(2 * len(names))
        values[0::2], base[0::2] = top, bottom
        values[1::2], base[1::2] = top, top  # gap: zero height
        ax.add_artist(StepPatch(values, edges, baseline=base, fill=True, label=str(col),
                                facecolor=color_for(str(col), i), linewidth=0))  # as ax.stairs(fill=True)
        bottom = top
    ax.update_datalim([(edges[0], 0.0), (edges[-1], float(bottom.max()))])
    ax.set_ylim(0, float(bottom.max()) * 1.05 if bottom.max() > 0 else 1.0)
    ax.set_ylabel(f"{ylabel} ({unit})" if unit else ylabel)
    ax.set_title(title)
    _layer_axis(ax, names)
    ax.legend(fontsize=7, ncol=1, loc="upper left", bbox_to_anchor=(1.01, 1.0), title=legend_title)
    ax.grid(axis="y", alpha=0.3)
    return fig


def energy_by_component_figure(layers: pd.DataFrame, title: str = "Energy by component per layer") -> Figure:
    """Stacked bars: for each layer that takes time, its energy split by component (the
    ``e_<component>_pj`` columns of a per-layer table; unit on the y axis)."""
    comps = component_columns(layers)
    _require(layers, ["name", "energy_pj"], "energy_by_component_figure")
    if not comps:
        raise ValueError("energy_by_component_figure: table has no e_<component>_pj columns")
    df = _timed(layers)
    table = pd.DataFrame({component_of(c): df[c].to_numpy(dtype=float) for c in comps},
                         index=[str(n) for n in df["name"]])
    return stacked_bars_figure(table, title=title, legend_title="component")


def energy_by_layer_figure(entries: pd.DataFrame, by: str = "component", title: str | None = None,
                           layers: Sequence[str] | None = None) -> Figure:
    """Stacked bars per layer from the long-form energy table
    (:func:`reports.tables.energy_entries_table`), split by ``component`` (static energy
    of every block apart as ``leakage``), ``action`` or ``data_type``. ``layers`` fixes
    the order (default: order of appearance); layers without energy are left out."""
    table = energy_by_layer_table(entries, by, layers=layers)
    table = table[table.sum(axis=1) > 0]
    what = {"component": "component", "action": "action", "data_type": "data type"}[by]
    return stacked_bars_figure(table, title=title or f"Energy by {what} per layer", legend_title=what)


def _hbar(ax, totals: Mapping[str, float], title: str) -> None:
    items = sorted(((str(k), float(v)) for k, v in totals.items() if float(v) > 0), key=lambda kv: kv[1])
    total = sum(v for _, v in items)
    unit, scale = energy_unit(max((v for _, v in items), default=1.0))
    y = np.arange(len(items))
    bars = ax.barh(y, [v / scale for _, v in items], color=[color_for(k, i) for i, (k, _) in enumerate(items)])
    ax.bar_label(bars, labels=[f"{100 * v / total:.1f} %" for _, v in items], fontsize=7, padding=2)
    ax.set_yticks(y)
    ax.set_yticklabels([k for k, _ in items], fontsize=8)
    ax.set_xlabel(f"energy ({unit})")
    ax.set_title(title, fontsize=10)
    ax.set_xlim(0, max((v / scale for _, v in items), default=1.0) * 1.2)
    ax.grid(axis="x", alpha=0.3)


def network_breakdown_figure(by_component: Mapping[str, float], by_data_type: Mapping[str, float] | None = None,
                             title: str = "Where the energy goes (whole network)") -> Figure:
    """Horizontal bars of the network's energy by component and, when given, by data
    type, each bar labelled with its share of the total."""
    if not by_component:
        raise ValueError("network_breakdown_figure: no energy by component")
    panels = 2 if by_data_type else 1
    fig = new_figure(5.2 * panels + 0.6, 4.2)
    _hbar(fig.add_subplot(1, panels, 1), by_component, "by component")
    if by_data_type:
        _hbar(fig.add_subplot(1, panels, 2), by_data_type, "by data type")
    fig.suptitle(title)
    return fig


def roofline_figure(points: pd.DataFrame, roofs: Mapping[str, Mapping[str, float]],
                    title: str = "Roofline: every layer against its design's roofs",
                    label_points: bool = True) -> Figure:
    """Log-log roofline. ``points`` has ``name``, ``operational_intensity`` (useful MACs
    per DRAM byte), ``attained_macs_per_s`` and, for several designs, ``arch``;
    ``roofs`` maps each design to its ``compute_roof_macs_per_s`` and
    ``dram_roof_bytes_per_s``. Each design's roof is drawn as min(compute roof,
    intensity x bandwidth); each layer with MACs is a marker (named when few)."""
    _require(points, ["name", "operational_intensity", "attained_macs_per_s"], "roofline_figure")
    if not roofs:
        raise ValueError("roofline_figure: no design roofs given")
    pts = points.dropna(subset=["operational_intensity", "attained_macs_per_s"])
    pts = pts[(pts["operational_intensity"] > 0) & (pts["attained_macs_per_s"] > 0)]
    if pts.empty:
        raise ValueError("roofline_figure: no layer with MACs, DRAM traffic and time to place")
    designs = list(roofs)
    oi = pts["operational_intensity"].to_numpy(dtype=float)
    ridges = [r["compute_roof_macs_per_s"] / r["dram_roof_bytes_per_s"] for r in roofs.values()]
    lo = 10 ** math.floor(math.log10(min(oi.min(), *ridges) / 2))
    hi = 10 ** math.ceil(math.log10(max(oi.max(), *ridges) * 2))
    peak = max(r["compute_roof_macs_per_s"] for r in roofs.values())
    pname, pscale = prefix(peak)
    fig = new_figure(8.5, 5.5)
    ax = fig.add_subplot(1, 1, 1)
    x = np.logspace(math.log10(lo), math.log10(hi), 400)
    colors = matplotlib.colormaps["tab10"]
    markers = "osD^v<>pX*"
    same: dict[tuple[float, float], list[str]] = {}  # designs sharing one roof get one line
    for design in designs:
        r = roofs[design]
        same.setdefault((float(r["compute_roof_macs_per_s"]), float(r["dram_roof_bytes_per_s"])), []).append(design)
    for i, ((peak_d, bw), names) in enumerate(same.items()):
        roof = np.minimum(peak_d, x * bw) / pscale
        color = "black" if len(same) == 1 else colors(designs.index(names[0]) % 10)
        ax.plot(x, roof, color=color, linewidth=1.8, linestyle="-" if i == 0 else "--",
                label=f"{', '.join(names)} roof ({peak_d / pscale:g} {pname}MAC/s, {bw / 1e9:g} GB/s; "
                      f"ridge {peak_d / bw:g} MAC/B)")
    for d, design in enumerate(designs):
        sub = pts[pts["arch"] == design] if "arch" in pts.columns and len(designs) > 1 else pts
        ax.scatter(sub["operational_intensity"], sub["attained_macs_per_s"] / pscale, s=28,
                   color=colors(d % 10), marker=markers[d % len(markers)], edgecolor="black", linewidth=0.4,
                   zorder=3, label=f"{design} layers" if len(designs) > 1 else "layers")
        if label_points and len(sub) <= 40:
            for _, row in sub.iterrows():
                ax.annotate(str(row["name"]), (row["operational_intensity"], row["attained_macs_per_s"] / pscale),
                            fontsize=6, xytext=(3, 3), textcoords="offset points", color="#333333")
    ax.set_xscale("log")
    ax.set_yscale("log")
    # Minor ticks and grid lines at 2 and 5 times each decade: read as easily as all eight
    # (2 to 9), and a third less of this figure to lay out and draw.
    log_axis(ax.xaxis, minor=(2, 5))
    log_axis(ax.yaxis, minor=(2, 5))
    ax.set_xlim(lo, hi)
    ymin = min(float(pts["attained_macs_per_s"].min()) / pscale / 3, lo * min(r["dram_roof_bytes_per_s"]
                                                                             for r in roofs.values()) / pscale)
    ax.set_ylim(max(ymin, peak / pscale / 1e4), peak / pscale * 2)
    ax.set_xlabel("operational intensity (useful MACs per DRAM byte)")
    ax.set_ylabel(f"attained {pname}MAC/s (useful MACs / time)")
    ax.set_title(title)
    ax.grid(which="both", alpha=0.25)
    ax.legend(fontsize=7, loc="lower right")
    return fig


def cycles_by_layer_figure(layers: pd.DataFrame, title: str = "Cycles per layer",
                           log_scale: bool | None = None) -> Figure:
    """Bars of simulated cycles per layer, leaving out layers that take no time.
    ``log_scale`` defaults to on when layers differ by more than 10x."""
    _require(layers, ["name", "cycles"], "cycles_by_layer_figure")
    df = layers[layers["cycles"] > 0]
    if df.empty:
        raise ValueError("cycles_by_layer_figure: no layer takes any cycles")
    names = [str(n) for n in df["name"]]
    cycles = df["cycles"].to_numpy(dtype=float)
    if log_scale is None:
        log_scale = cycles.max() / cycles.min() > 10
    fig = _figure_for_bars(len(names))
    ax = fig.add_subplot(1, 1, 1)
    kinds = [str(k) for k in df["kind"]] if "kind" in df.columns else ["layer"] * len(names)
    palette = {k: matplotlib.colormaps["tab10"](i % 10) for i, k in enumerate(dict.fromkeys(kinds))}
    ax.bar(np.arange(len(names)), cycles, width=0.8, color=[palette[k] for k in kinds])
    if log_scale:
        ax.set_yscale("log")
        log_axis(ax.yaxis)
    if len(palette) > 1:
        from matplotlib.patches import Patch
        ax.legend(handles=[Patch(color=c, label=k) for k, c in palette.items()], fontsize=7, title="kind")
    ax.set_ylabel("cycles" + (" (log scale)" if log_scale else ""))
    ax.set_title(title)
    _layer_axis(ax, names)
    ax.grid(axis="y", alpha=0.3)
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
    fig = new_figure(max(6.5, 1.6 * len(designs) + 2.0), 4.5)
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
    return fig


def layer_ratios_figure(ratios: pd.DataFrame, baseline: str,
                        title: str | None = None) -> Figure:
    """Per layer, each design's speed-up and energy ratio against ``baseline`` (the
    table of :func:`reports.tables.layer_ratios`, which leaves out layers that take no
    time), grouped bars on a log axis; the line at 1 is parity, above is better."""
    _require(ratios, ["name", "arch", "speedup", "energy_ratio"], "layer_ratios_figure")
    designs = [d for d in dict.fromkeys(ratios["arch"]) if d != baseline]
    if not designs:
        raise ValueError("layer_ratios_figure: no design besides the baseline")
    names = list(dict.fromkeys(ratios["name"]))
    fig = new_figure(min(max(7.0, 0.35 * len(names) * len(designs) + 3.0), 24.0), 7.5)
    colors = matplotlib.colormaps["tab10"]
    width = 0.8 / len(designs)
    x = np.arange(len(names))
    for panel, (col, label) in enumerate((("speedup", f"speed-up vs {baseline}"),
                                          ("energy_ratio", f"energy ratio vs {baseline}"))):
        ax = fig.add_subplot(2, 1, panel + 1)
        for d, design in enumerate(designs):
            sub = ratios[ratios["arch"] == design].set_index("name")[col]
            values = np.array([float(sub.get(n, np.nan)) for n in names])
            ax.bar(x - 0.4 + width * (d + 0.5), np.where(np.isfinite(values), values, np.nan), width,
                   label=design, color=colors((d + 1) % 10), bottom=0)
        ax.set_yscale("log")
        _ratio_ticks(ax)
        ax.axhline(1.0, color="black", linewidth=0.8)
        ax.set_ylabel(f"{label}\n(x, log scale)", fontsize=8)
        ax.grid(axis="y", which="both", alpha=0.3)
        if panel == 0:
            ax.set_title(title or f"Per-layer speed-up and energy ratio against {baseline} "
                                  "(layers that take no time left out)")
            ax.legend(fontsize=7, title="design", loc="upper left", bbox_to_anchor=(1.01, 1.0))
            ax.set_xticks(x)
            ax.set_xticklabels([])
            ax.set_xlim(-0.6, len(names) - 0.4)
        else:
            _layer_axis(ax, names)
    return fig


def _ratio_ticks(ax) -> None:
    """Ratio axis on a log scale, labelled 0.5x, 1x, 2x, 5x, 10x ..."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}x"))
    ax.yaxis.set_minor_formatter(NullFormatter())


def energy_by_design_figure(breakdowns: Mapping[str, Mapping[str, float]], what: str = "component",
                            title: str | None = None) -> Figure:
    """One stacked bar per design: its network energy split by ``what`` (the mappings
    {design: {component or data type: pJ}}), side by side on one energy axis."""
    if not breakdowns:
        raise ValueError("energy_by_design_figure: no designs given")
    table = pd.DataFrame({d: pd.Series(b, dtype=float) for d, b in breakdowns.items()}).fillna(0.0).T
    cols = sorted(table.columns, key=lambda c: -float(table[c].sum()))
    unit, scale = energy_unit(float(table.sum(axis=1).max()))
    fig = new_figure(max(6.0, 1.3 * len(table) + 3.5), 4.8)
    ax = fig.add_subplot(1, 1, 1)
    x = np.arange(len(table))
    bottom = np.zeros(len(table))
    for i, col in enumerate(cols):
        values = table[col].to_numpy(dtype=float) / scale
        ax.bar(x, values, 0.6, bottom=bottom, label=str(col), color=color_for(str(col), i))
        bottom += values
    for xi, total in zip(x, bottom):
        ax.annotate(f"{total:,.4g} {unit}", (xi, total), ha="center", va="bottom", fontsize=8,
                    xytext=(0, 2), textcoords="offset points")
    ax.set_xticks(x)
    ax.set_xticklabels([str(d) for d in table.index])
    ax.set_ylabel(f"energy ({unit})")
    ax.set_ylim(0, float(bottom.max()) * 1.12 if bottom.max() > 0 else 1.0)
    ax.set_title(title or f"Network energy by {what.replace('_', ' ')} on each design")
    ax.legend(fontsize=7, title=what.replace("_", " "), loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.grid(axis="y", alpha=0.3)
    return fig


def area_power_figure(comparison: pd.DataFrame, title: str = "Area and power of each design") -> Figure:
    """Bars per design: average power over the run (energy / time, mW) and, when the
    comparison has it, the design's area (mm^2)."""
    _require(comparison, ["arch"], "area_power_figure")
    panels = [("average_power_mw", "average power (mW)")]
    if "area_mm2" in comparison.columns and comparison["area_mm2"].notna().any():
        panels.append(("area_mm2", "area (mm²)"))
    panels = [(c, label) for c, label in panels if c in comparison.columns]
    if not panels:
        raise ValueError("area_power_figure: comparison has neither average_power_mw nor area_mm2")
    designs = [str(d) for d in comparison["arch"]]
    fig = new_figure(max(6.0, 3.2 * len(panels) + 0.8 * len(designs)), 4.0)
    colors = matplotlib.colormaps["tab10"]
    for i, (col, label) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), i + 1)
        values = comparison[col].to_numpy(dtype=float)
        bars = ax.bar(np.arange(len(designs)), values, 0.6, color=[colors(d % 10) for d in range(len(designs))])
        ax.bar_label(bars, fmt="%.4g", fontsize=8)
        ax.set_xticks(np.arange(len(designs)))
        ax.set_xticklabels(designs, fontsize=8)
        ax.set_ylabel(label, fontsize=8)
        ax.set_ylim(0, np.nanmax(values) * 1.18 if np.isfinite(values).any() and np.nanmax(values) > 0 else 1)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(title)
    return fig


def cycles_by_layer_designs_figure(layers_by_design: Mapping[str, pd.DataFrame],
                                   title: str = "Cycles per layer on each design",
                                   log_scale: bool | None = None) -> Figure:
    """Grouped bars: for each layer (in the first design's order) that takes time on
    some design, its cycles on each design. Layers are matched by name; a layer missing
    from a design has no bar. Log scale by default when cycles differ by over 10x."""
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
    busy = np.nan_to_num(table).max(axis=0) > 0
    names = [n for n, b in zip(names, busy) if b]
    table = table[:, busy]
    if log_scale is None:
        positive = table[np.isfinite(table) & (table > 0)]
        log_scale = positive.size > 0 and positive.max() / positive.min() > 10
    fig = _figure_for_bars(len(names) * max(1, len(designs)) // 2 + len(names))
    ax = fig.add_subplot(1, 1, 1)
    width = 0.8 / len(designs)
    colors = matplotlib.colormaps["tab10"]
    x = np.arange(len(names))
    for p, design in enumerate(designs):
        values = np.where(table[p] > 0, table[p], np.nan)
        ax.bar(x - 0.4 + width * (p + 0.5), values, width, label=design, color=colors(p % 10))
    if log_scale:
        ax.set_yscale("log")
        log_axis(ax.yaxis)
    ax.set_ylabel("cycles" + (" (log scale)" if log_scale else ""))
    ax.set_title(title)
    _layer_axis(ax, names)
    ax.legend(fontsize=8, title="arch")
    ax.grid(axis="y", alpha=0.3)
    return fig


#: Columns of a dataflow comparison (``socsim dataflows``) for the Eyeriss-style breakdowns.
SPATIAL_LEVELS = ("alu", "rf", "noc", "glb", "dram")
SPATIAL_TYPES = ("alu", "weights", "inputs", "psums")


def spatial_breakdown_figure(df: pd.DataFrame, by: str = "level",
                             title: str | None = None) -> Figure:
    """Energy per MAC of each dataflow, stacked by storage level (ALU, RF, NoC, GLB,
    DRAM) or by data type (weights, inputs, partial sums, with the ALU apart), one panel
    per layer kind (MAC-weighted over the layers of that kind), as in Chen et al.,
    ISCA 2016. ``df`` is the dataflow table: ``kind, layer, dataflow, macs``,
    ``energy_per_mac`` and the ``e_<level>`` / ``e_<type>`` columns (units of one ALU MAC)."""
    if by not in ("level", "data_type"):
        raise ValueError(f"spatial_breakdown_figure: by must be 'level' or 'data_type', got {by!r}")
    keys = SPATIAL_LEVELS if by == "level" else SPATIAL_TYPES
    cols = [f"e_{k}" for k in keys]
    _require(df, ["kind", "layer", "dataflow", "macs", "energy_per_mac"] + cols, "spatial_breakdown_figure")
    df = df.dropna(subset=["energy_per_mac"])
    kinds = list(dict.fromkeys(df["kind"]))
    fig = new_figure(6.0 * max(1, len(kinds)), 4.6)
    for i, kind in enumerate(kinds):
        ax = fig.add_subplot(1, max(1, len(kinds)), i + 1)
        sums = spatial_breakdown_table(df[df["kind"] == kind], by)
        order = list(sums.index)
        bottom = np.zeros(len(order))
        for j, key in enumerate(keys):
            values = sums[key].to_numpy(dtype=float)
            ax.bar(order, values, 0.6, bottom=bottom, label=key if key != "alu" else "ALU (MACs)",
                   color=color_for(key, j))
            bottom += values
        layers = ", ".join(dict.fromkeys(df[df["kind"] == kind]["layer"]))
        ax.set_title(f"{str(kind).upper()} layers ({layers})", fontsize=8)
        ax.set_ylabel("energy per MAC (units of one ALU MAC)")
        ax.legend(fontsize=7)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(title or ("Energy per MAC by storage level" if by == "level" else "Energy per MAC by data type"))
    return fig


def spatial_breakdown_table(df: pd.DataFrame, by: str = "level") -> pd.DataFrame:
    """MAC-weighted energy per MAC of each dataflow (rows, in order of appearance) by
    level or data type (columns), over the rows of ``df``."""
    keys = SPATIAL_LEVELS if by == "level" else SPATIAL_TYPES
    df = df.dropna(subset=["energy_per_mac"])
    order = list(dict.fromkeys(df["dataflow"]))
    weighted = df[[f"e_{k}" for k in keys]].multiply(df["macs"], axis=0)
    weighted["dataflow"] = df["dataflow"]
    sums = weighted.groupby("dataflow")[[f"e_{k}" for k in keys]].sum().loc[order]
    sums = sums.div(df.groupby("dataflow")["macs"].sum().loc[order], axis=0)
    sums.columns = list(keys)
    return sums


def figure_png(fig: Figure) -> bytes:
    """PNG bytes of a figure at :data:`DPI` (no software/URL metadata in the file).

    A figure of :func:`new_figure` is laid out and drawn once, on its own canvas, and
    the pixels written as they are (``savefig`` would lay it out and draw it a second
    time first). Any other figure goes through ``savefig`` cropped to what it shows
    (``bbox_inches="tight"``)."""
    buf = io.BytesIO()
    canvas = fig.canvas
    if type(canvas) is FigureCanvasAgg and _laid_out_when_drawn(fig):
        canvas.draw()
        _write_png(buf, np.asarray(canvas.buffer_rgba()), fig.dpi)
    else:
        fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    return buf.getvalue()


#: zlib level of the PNGs: 3 takes two thirds of the time of Pillow's default 6 for
#: files 6 % larger (figures of flat colours compress well at any level).
PNG_COMPRESS_LEVEL = 3


def _write_png(out: io.BytesIO, rgba: np.ndarray, dpi: float) -> None:
    """The pixels of a drawn canvas as PNG: RGB when every pixel is opaque (a figure's
    white background: a quarter fewer bytes to compress), else RGBA; no text chunks."""
    from PIL import Image
    opaque = bool((rgba[..., 3] == 255).all())
    pixels = np.ascontiguousarray(rgba[..., :3]) if opaque else np.ascontiguousarray(rgba)
    Image.fromarray(pixels).save(out, format="png", dpi=(dpi, dpi), compress_level=PNG_COMPRESS_LEVEL)


def _laid_out_when_drawn(fig: Figure) -> bool:
    """A figure as :func:`new_figure` makes it: a layout engine that places everything
    as it draws, at :data:`DPI`."""
    return isinstance(fig.get_layout_engine(), (TightLayoutEngine, ConstrainedLayoutEngine)) and fig.dpi == DPI


def save_figure(fig: Figure, path: str | os.PathLike) -> Path:
    """Write a figure as PNG to ``path`` (parent directories created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(figure_png(fig))
    return path


def run_figures(layers: pd.DataFrame, comparison: pd.DataFrame | None = None, *,
                entries: pd.DataFrame | None = None, summary: Mapping[str, Any] | None = None,
                roofs: Mapping[str, float] | None = None, design: str = "design") -> dict[str, Figure]:
    """The figures of one run, by file stem: ``energy_by_component`` (per layer; from
    ``entries`` when given, with leakage apart), ``energy_by_action`` and
    ``energy_breakdown`` (network by component and data type) when ``entries`` are
    given, ``roofline`` when ``roofs`` are given and a layer has MACs, ``cycles_by_layer``
    and, given a comparison, ``design_ratios``."""
    figures: dict[str, Figure] = {}
    names = [str(n) for n in layers["name"]]
    if entries is not None and not entries.empty:
        figures["energy_by_component"] = energy_by_layer_figure(entries, "component", layers=names)
        figures["energy_by_action"] = energy_by_layer_figure(entries, "action", layers=names)
        by_comp = energy_by_layer_table(entries, "component").sum(axis=0).to_dict()
        by_type = energy_by_layer_table(entries, "data_type").sum(axis=0).to_dict()
        figures["energy_breakdown"] = network_breakdown_figure(by_comp, by_type)
    else:
        figures["energy_by_component"] = energy_by_component_figure(layers)
        if summary and summary.get("energy_by_component"):
            figures["energy_breakdown"] = network_breakdown_figure(summary["energy_by_component"],
                                                                   summary.get("energy_by_data_type"))
    if roofs and "operational_intensity" in layers.columns and layers["operational_intensity"].notna().any():
        figures["roofline"] = roofline_figure(layers, {design: roofs})
    figures["cycles_by_layer"] = cycles_by_layer_figure(layers)
    if comparison is not None:
        figures["design_ratios"] = design_ratios_figure(comparison)
    return figures


def save_figures(figures: Mapping[str, Figure], out_dir: str | os.PathLike) -> dict[str, Path]:
    """Save each figure as ``out_dir/<name>.png``; returns the paths by name."""
    return {name: save_figure(fig, Path(out_dir) / f"{name}.png") for name, fig in figures.items()}

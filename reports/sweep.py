"""Plots and the HTML report of a design-space sweep, made from its results table.

Input is plain data: the table (one row per point: identity columns, one column per
axis, ``status``, ``feasible``, metric columns), the axis names, the objectives and the
two-objective fronts with, for each, which rows are on it. Nothing here knows how the
points were simulated.

Figures (matplotlib Figure objects with an Agg canvas, as in :mod:`reports.plots`):

* ``front_<x>__<y>``: every evaluated point of one pair of metrics; points on the
  front in colour joined by the front's staircase, dominated points grey, points that
  violate a constraint as grey crosses. An axis spanning more than two decades is
  logarithmic.
* ``axis_effects``: for every axis, the median of the energy and of the latency metric
  over the points that share each value of the axis, with the range (min to max) over
  all the other axes as a bar: how much each axis moves each metric on its own.

The report (``report.html``) is self-contained like the run report (:mod:`reports.html`):
summary, the front plots and the table of each front, the axis effects, the best point
per objective, the failed points with their errors, and the sweep as recorded.
"""
from __future__ import annotations

import html
import json
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from reports.html import CSS, png_data_uri, table_html
from reports.plots import figure_png, log_axis, new_figure

FRONT_COLOUR = "#1f77b4"
GREY = "#b8b8b8"
LOG_DECADES = 2.0


def _ok(df: pd.DataFrame) -> pd.Series:
    return df["status"].eq("ok") if "status" in df else pd.Series(True, index=df.index)


def _feasible(df: pd.DataFrame) -> pd.Series:
    if "feasible" not in df:
        return pd.Series(True, index=df.index)
    return df["feasible"].fillna(False).astype(bool)


def _maybe_log(ax, values: np.ndarray, which: str) -> None:
    v = values[np.isfinite(values) & (values > 0)]
    if len(v) and v.max() / v.min() > 10 ** LOG_DECADES:
        getattr(ax, f"set_{which}scale")("log")
        log_axis(getattr(ax, f"{which}axis"))


def front_figure(df: pd.DataFrame, x: str, y: str, on_front: pd.Series, title: str | None = None) -> Figure:
    """One pair of metrics: the front in colour, dominated points grey, infeasible crosses."""
    fig = new_figure(6.4, 4.8)
    ax = fig.add_subplot(1, 1, 1)
    ok = _ok(df) & df[x].notna() & df[y].notna()
    feas = _feasible(df)
    on = ok & on_front.reindex(df.index, fill_value=False).astype(bool)
    dominated = ok & feas & ~on
    infeasible = ok & ~feas
    if infeasible.any():
        ax.scatter(df.loc[infeasible, x], df.loc[infeasible, y], marker="x", color=GREY, s=22,
                   label=f"violates a constraint ({int(infeasible.sum())})")
    if dominated.any():
        ax.scatter(df.loc[dominated, x], df.loc[dominated, y], color=GREY, s=18, label=f"dominated ({int(dominated.sum())})")
    if on.any():
        front = df.loc[on, [x, y]].astype(float).sort_values([x, y])
        ax.step(front[x], front[y], where="post", color=FRONT_COLOUR, linewidth=1.2, alpha=0.7)
        ax.scatter(front[x], front[y], color=FRONT_COLOUR, s=30, zorder=3, label=f"Pareto front ({len(front)})")
    _maybe_log(ax, df.loc[ok, x].astype(float).to_numpy(), "x")
    _maybe_log(ax, df.loc[ok, y].astype(float).to_numpy(), "y")
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title(title or f"{y} against {x} (both minimized)")
    ax.grid(True, alpha=0.3)
    if ok.any():
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "no evaluated point", ha="center", va="center", transform=ax.transAxes)
    return fig


def _value_order(values: pd.Series) -> list:
    uniq = list(dict.fromkeys(values.tolist()))
    try:
        return sorted(uniq)
    except TypeError:
        return uniq


def axis_effects_figure(df: pd.DataFrame, axes: Sequence[str], metrics: Sequence[str]) -> Figure:
    """Per axis (rows) and metric (columns): median and range of the metric per value."""
    axes = [a for a in axes if a in df.columns]
    metrics = [m for m in metrics if m in df.columns]
    ok = df[_ok(df)].copy()
    for axis in axes:  # a null axis value (e.g. strategy: null) is a value of its own
        ok[axis] = ok[axis].map(lambda v: "null" if v is None or (isinstance(v, float) and np.isnan(v)) else v)
    rows, cols = max(1, len(axes)), max(1, len(metrics))
    fig = new_figure(4.2 * cols, 2.6 * rows)
    for i, axis in enumerate(axes):
        order = _value_order(ok[axis]) if axis in ok else []
        for j, metric in enumerate(metrics):
            ax = fig.add_subplot(rows, cols, i * cols + j + 1)
            groups = [ok.loc[ok[axis] == v, metric].astype(float) for v in order]
            med = [g.median() if len(g) else np.nan for g in groups]
            lo = [m - g.min() if len(g) else 0 for m, g in zip(med, groups)]
            hi = [g.max() - m if len(g) else 0 for m, g in zip(med, groups)]
            xs = np.arange(len(order))
            ax.errorbar(xs, med, yerr=[lo, hi], fmt="o-", color=FRONT_COLOUR, ecolor=GREY, capsize=3)
            ax.set_xticks(xs)
            ax.set_xticklabels([str(v) for v in order], fontsize=8, rotation=30 if len(order) > 4 else 0)
            ax.set_xlabel(axis, fontsize=9)
            ax.set_ylabel(f"{metric}\n(median, range)", fontsize=8)
            ax.grid(True, alpha=0.3)
    if not axes or not metrics:
        ax = fig.add_subplot(1, 1, 1)
        ax.text(0.5, 0.5, "no axis or metric to show", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
    fig.suptitle("Effect of each axis (median over the other axes; bar: min to max)", fontsize=10)
    return fig


def front_name(x: str, y: str) -> str:
    return f"front_{x}__{y}"


def sweep_figures(df: pd.DataFrame, *, axes: Sequence[str], pairs: Sequence[tuple[str, str]],
                  fronts: Mapping[tuple[str, str], pd.Series], effect_metrics: Sequence[str]) -> dict[str, Figure]:
    figures: dict[str, Figure] = {}
    for x, y in pairs:
        if (x, y) in fronts:
            figures[front_name(x, y)] = front_figure(df, x, y, fronts[(x, y)])
    figures["axis_effects"] = axis_effects_figure(df, axes, effect_metrics)
    return figures


def _summary_counts(df: pd.DataFrame) -> dict[str, int]:
    ok = _ok(df)
    return {"points": len(df), "ok": int(ok.sum()), "failed": int((~ok).sum()),
            "violating a constraint": int((ok & ~_feasible(df)).sum())}


def render_sweep_report(df: pd.DataFrame, *, title: str, axes: Sequence[str], objectives: Sequence[str],
                        constraints: Sequence[str], pairs: Sequence[tuple[str, str]],
                        fronts: Mapping[tuple[str, str], pd.Series], figures: Mapping[str, Figure | bytes],
                        id_columns: Sequence[str], record: Mapping[str, Any] | None = None) -> str:
    """The report as one HTML string (module doc)."""
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             f"<title>{html.escape(title)}</title>", f"<style>{CSS}</style></head><body>",
             f"<h1>{html.escape(title)}</h1>",
             '<p class="sub">Every objective is minimized. Units are in the metric names: _pj picojoules, '
             "_s seconds, _mm2 square millimetres, _mac_units energy of one ALU MAC of the energy table.</p>"]
    counts = _summary_counts(df)
    parts.append("<h2>Summary</h2>")
    parts.append(table_html(pd.DataFrame([{**counts, "objectives": ", ".join(objectives),
                                           "constraints": "; ".join(constraints) or "none",
                                           "axes": ", ".join(axes) or "none"}])))
    ok = df[_ok(df) & _feasible(df)]
    best = []
    for m in objectives:
        if m in ok and ok[m].notna().any():
            r = ok.loc[ok[m].astype(float).idxmin()]
            best.append({"objective": m, "best": r[m], **{c: r[c] for c in id_columns if c in r}})
    if best:
        parts += ["<h2>Best point per objective</h2>", table_html(pd.DataFrame(best))]
    for x, y in pairs:
        name = front_name(x, y)
        if name not in figures:
            continue
        fig = figures[name]
        png = fig if isinstance(fig, (bytes, bytearray)) else figure_png(fig)
        parts.append(f"<h2>Front: {html.escape(y)} against {html.escape(x)}</h2>")
        parts.append(f'<figure><img alt="{html.escape(name)}" src="{png_data_uri(bytes(png))}"><figcaption>'
                     "Coloured: non-dominated points (feasible ones only); grey: dominated; crosses: violate a "
                     "constraint.</figcaption></figure>")
        on = df[fronts[(x, y)].reindex(df.index, fill_value=False).astype(bool)]
        cols = [c for c in id_columns if c in on] + [x, y]
        parts.append(table_html(on[cols].sort_values(x)))
    if "axis_effects" in figures:
        fig = figures["axis_effects"]
        png = fig if isinstance(fig, (bytes, bytearray)) else figure_png(fig)
        parts += ["<h2>Effect of each axis</h2>",
                  f'<figure><img alt="axis effects" src="{png_data_uri(bytes(png))}"><figcaption>Median of the '
                  "metric over the points sharing each value of the axis; bar: min to max over the other axes."
                  "</figcaption></figure>"]
    failed = df[~_ok(df)]
    if not failed.empty:
        cols = [c for c in id_columns if c in failed] + ["error"]
        parts += [f"<h2>Failed points ({len(failed)})</h2>", table_html(failed[cols])]
    if record is not None:
        parts += ["<h2>Sweep as recorded</h2>",
                  f"<pre>{html.escape(json.dumps(record, indent=2, default=str))}</pre>"]
    parts.append("</body></html>")
    return "\n".join(parts)


def write_sweep_report(out_dir: str | os.PathLike, df: pd.DataFrame, **kwargs: Any) -> dict[str, Path]:
    """Write ``report.html`` and ``plots/<figure>.png`` into ``out_dir``; returns the paths.
    Keyword arguments as :func:`render_sweep_report` except ``figures`` (built here from
    ``effect_metrics``)."""
    out = Path(out_dir)
    effect_metrics = kwargs.pop("effect_metrics")
    figures = sweep_figures(df, axes=kwargs["axes"], pairs=kwargs["pairs"], fronts=kwargs["fronts"],
                            effect_metrics=effect_metrics)
    pngs = {name: figure_png(fig) for name, fig in figures.items()}
    paths: dict[str, Path] = {}
    plots = out / "plots"
    plots.mkdir(parents=True, exist_ok=True)
    for name, png in pngs.items():
        path = plots / f"{name}.png"
        path.write_bytes(png)
        paths[name] = path
    text = render_sweep_report(df, figures=pngs, **kwargs)
    report = out / "report.html"
    tmp = report.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, report)
    paths["report"] = report
    return paths

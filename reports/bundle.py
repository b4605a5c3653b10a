"""Write every report file of a run or of a design comparison in one call.

``write_run_outputs`` (after the layers.csv / summary.json of ``reports.writer``):
``network.csv`` (one row: the network summary's scalar quantities),
``energy_by_component.csv`` and ``energy_by_action.csv`` (network breakdowns, pJ and
percent of the total), ``plots/*.png`` and ``report.html``.

``write_comparison_outputs``: ``compare.csv`` (one row per design: design, cycles,
energy_pj, speedup_vs_<baseline>, energy_ratio_vs_<baseline> ...), ``plots/*.png`` and
``report.html`` (the comparison report).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import pandas as pd

from reports.html import write_comparison_report, write_report
from matplotlib.figure import Figure

from reports.plots import (
    cycles_by_layer_designs_figure, figure_png, design_ratios_figure, run_figures,
)
from reports.tables import (
    energy_by_action_table, energy_by_component_table, layer_table, design_comparison,
)

PLOTS_DIR = "plots"


def _as_table(layers: pd.DataFrame | Iterable[Any]) -> pd.DataFrame:
    return layers if isinstance(layers, pd.DataFrame) else layer_table(layers)


def _save_pngs(figures: Mapping[str, Figure], plots_dir: Path, paths: dict[str, Path]) -> dict[str, bytes]:
    """Render each figure to PNG once: write plots_dir/<name>.png and return the bytes
    (which the HTML report embeds)."""
    plots_dir.mkdir(parents=True, exist_ok=True)
    pngs: dict[str, bytes] = {}
    for name, fig in figures.items():
        pngs[name] = figure_png(fig)
        path = plots_dir / f"{name}.png"
        path.write_bytes(pngs[name])
        paths[f"plot_{name}"] = path
    return pngs


def network_row(summary: Mapping[str, Any]) -> pd.DataFrame:
    """The scalar quantities of a network summary as a one-row DataFrame."""
    return pd.DataFrame([{k: v for k, v in summary.items() if not isinstance(v, (Mapping, list, tuple))}])


def write_run_outputs(out_dir: str | os.PathLike, *, layers: pd.DataFrame | Iterable[Any],
                      summary: Mapping[str, Any], title: str, config: Any = None,
                      comparison: pd.DataFrame | None = None,
                      notes: Sequence[str] = ()) -> dict[str, Path]:
    """Write network.csv, energy_by_component.csv, energy_by_action.csv (when the
    summary has ``energy_by_action``), plots/*.png and report.html; returns the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    table = _as_table(layers)
    paths: dict[str, Path] = {}
    paths["network_csv"] = out / "network.csv"
    network_row(summary).to_csv(paths["network_csv"], index=False)
    paths["energy_by_component_csv"] = out / "energy_by_component.csv"
    energy_by_component_table(table).to_csv(paths["energy_by_component_csv"], index=False)
    by_action = summary.get("energy_by_action")
    if isinstance(by_action, Mapping) and by_action:
        paths["energy_by_action_csv"] = out / "energy_by_action.csv"
        energy_by_action_table(by_action).to_csv(paths["energy_by_action_csv"], index=False)
    pngs = _save_pngs(run_figures(table, comparison), out / PLOTS_DIR, paths)
    paths["report_html"] = write_report(out / "report.html", title=title, summary=summary, layers=table,
                                        config=config, figures=pngs, comparison=comparison, notes=notes)
    return paths


def write_comparison_outputs(out_dir: str | os.PathLike, *, summaries: Mapping[str, Mapping[str, Any]],
                             title: str,
                             layers_by_design: Mapping[str, pd.DataFrame | Iterable[Any]] | None = None,
                             baselines: Sequence[str] | None = None, config: Any = None,
                             notes: Sequence[str] = ()) -> dict[str, Path]:
    """Write compare.csv, plots/*.png and report.html for network summaries
    {design: summary}; returns the paths (``compare_csv`` ...)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    comparison = design_comparison(summaries, baselines)
    paths: dict[str, Path] = {"compare_csv": out / "compare.csv"}
    comparison.to_csv(paths["compare_csv"], index=False)
    tables = {p: _as_table(t) for p, t in (layers_by_design or {}).items()}
    figures = {"design_ratios": design_ratios_figure(comparison)}
    if tables:
        figures["cycles_by_layer_designs"] = cycles_by_layer_designs_figure(tables)
    pngs = _save_pngs(figures, out / PLOTS_DIR, paths)
    paths["report_html"] = write_comparison_report(out / "report.html", title=title, comparison=comparison,
                                                   summaries=summaries, layers_by_design=tables or None,
                                                   config=config, figures=pngs, notes=notes)
    return paths

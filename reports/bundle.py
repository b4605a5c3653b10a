"""Write every report file of a run or of a design comparison in one call.

``write_run_outputs`` (after the layers.csv / summary.json of ``reports.writer``):
``network.csv`` (one row: the network summary's scalar quantities), the network energy
breakdowns ``energy_by_component.csv`` (with its dynamic and static parts when the
run's ledger is given), ``energy_by_action.csv`` and ``energy_by_data_type.csv``
(columns: the key, ``energy_pj``, ``share_pct`` of the total), ``energy_by_layer.csv``
(the run's aggregated ledger in long form: layer, component, action, data_type, count,
energy_pj), ``plots/*.png`` and ``report.html``. Every CSV keeps base units (pJ,
cycles, bytes), named in its header.

``write_comparison_outputs``: ``compare.csv`` (one row per design: design, cycles,
energy_pj, speedup_vs_<baseline>, energy_ratio_vs_<baseline> ...), ``layer_ratios.csv``
(per layer and design: speed-up and energy ratio against the first baseline),
``energy_by_component.csv`` and ``energy_by_data_type.csv`` (one row per design and
key), ``accuracy_pairs.csv`` (when two designs know their accuracy), ``plots/*.png``
and ``report.html`` (the comparison report).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import pandas as pd
from matplotlib.figure import Figure

from reports.html import write_comparison_report, write_report
from reports.plots import (
    area_power_figure,
    cycles_by_layer_designs_figure,
    design_ratios_figure,
    energy_by_design_figure,
    figure_png,
    layer_ratios_figure,
    roofline_figure,
    run_figures,
)
from reports.tables import (
    ACCURACY_THRESHOLD,
    LEAKAGE,
    accuracy_pairs,
    design_comparison,
    energy_breakdown,
    energy_by_action_table,
    energy_by_component_table,
    energy_by_data_type_table,
    layer_ratios,
    layer_table,
)

PLOTS_DIR = "plots"


def _as_table(layers: pd.DataFrame | Iterable[Any], roofs: Mapping[str, Any] | None = None) -> pd.DataFrame:
    return layers if isinstance(layers, pd.DataFrame) else layer_table(layers, roofs)


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


def component_split_table(entries: pd.DataFrame) -> pd.DataFrame:
    """Network energy per component from the long-form ledger: ``component, energy_pj,
    dynamic_pj, static_pj, share_pct`` (static: leakage and refresh), largest first."""
    static = entries["data_type"] == "static"
    total = energy_breakdown(entries, "component")
    dyn = entries[~static].groupby("component")["energy_pj"].sum()
    sta = entries[static].groupby("component")["energy_pj"].sum()
    total["dynamic_pj"] = total["component"].map(dyn).fillna(0.0)
    total["static_pj"] = total["component"].map(sta).fillna(0.0)
    return total[["component", "energy_pj", "dynamic_pj", "static_pj", "share_pct"]]


def energy_tables(layers: pd.DataFrame, summary: Mapping[str, Any],
                  entries: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """The network breakdowns {component, data type, action: table} of a run."""
    tables: dict[str, pd.DataFrame] = {}
    if entries is not None and not entries.empty:
        tables["component"] = component_split_table(entries)
        tables["data type"] = energy_breakdown(entries, "data_type")
        tables["action"] = energy_breakdown(entries, "action")
        return tables
    tables["component"] = energy_by_component_table(layers)
    if isinstance(summary.get("energy_by_data_type"), Mapping) and summary["energy_by_data_type"]:
        tables["data type"] = energy_by_data_type_table(summary["energy_by_data_type"])
    if isinstance(summary.get("energy_by_action"), Mapping) and summary["energy_by_action"]:
        tables["action"] = energy_by_action_table(summary["energy_by_action"])
    return tables


def write_run_outputs(out_dir: str | os.PathLike, *, layers: pd.DataFrame | Iterable[Any],
                      summary: Mapping[str, Any], title: str, config: Any = None,
                      comparison: pd.DataFrame | None = None,
                      notes: Sequence[str] = (), entries: pd.DataFrame | None = None,
                      roofs: Mapping[str, Any] | None = None) -> dict[str, Path]:
    """Write network.csv, energy_by_{component,data_type,action}.csv (those the data
    allow), energy_by_layer.csv (given ``entries``, the long-form ledger of
    :func:`reports.tables.energy_entries_table`), plots/*.png and report.html; returns
    the paths. ``roofs`` are the design's (:data:`reports.metrics.ROOF_KEYS`), for the
    roofline."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    table = _as_table(layers, roofs)
    paths: dict[str, Path] = {}
    paths["network_csv"] = out / "network.csv"
    network_row(summary).to_csv(paths["network_csv"], index=False)
    tables = energy_tables(table, summary, entries)
    for what, df in tables.items():
        key = what.replace(" ", "_")
        paths[f"energy_by_{key}_csv"] = out / f"energy_by_{key}.csv"
        df.to_csv(paths[f"energy_by_{key}_csv"], index=False)
    if entries is not None:
        paths["energy_by_layer_csv"] = out / "energy_by_layer.csv"
        entries.to_csv(paths["energy_by_layer_csv"], index=False)
    figures = run_figures(table, comparison, entries=entries, summary=summary, roofs=roofs,
                          design=str(summary.get("arch", "design")))
    pngs = _save_pngs(figures, out / PLOTS_DIR, paths)
    paths["report_html"] = write_report(out / "report.html", title=title, summary=summary, layers=table,
                                        config=config, figures=pngs, comparison=comparison, notes=notes,
                                        energy_tables=tables)
    return paths


def comparison_figures(comparison: pd.DataFrame, summaries: Mapping[str, Mapping[str, Any]],
                       tables: Mapping[str, pd.DataFrame], ratios: pd.DataFrame | None,
                       baseline: str | None, roofs_by_design: Mapping[str, Mapping[str, Any]] | None = None
                       ) -> dict[str, Figure]:
    """The figures of a comparison, by file stem (those the data allow)."""
    figures: dict[str, Figure] = {"design_ratios": design_ratios_figure(comparison)}
    if ratios is not None and baseline is not None and (ratios["arch"] != baseline).any():
        figures["layer_ratios"] = layer_ratios_figure(ratios, baseline)
    if tables:
        figures["cycles_by_layer_designs"] = cycles_by_layer_designs_figure(tables)
    by_comp = {d: s["energy_by_component"] for d, s in summaries.items() if s.get("energy_by_component")}
    if by_comp:
        figures["energy_by_design_component"] = energy_by_design_figure(by_comp, "component")
    by_type = {d: s["energy_by_data_type"] for d, s in summaries.items() if s.get("energy_by_data_type")}
    if by_type:
        figures["energy_by_design_data_type"] = energy_by_design_figure(by_type, "data_type")
    roofs = {d: r for d, r in (roofs_by_design or {}).items() if r}
    if roofs and tables:
        points = pd.concat([t.assign(arch=d) for d, t in tables.items() if d in roofs
                            and "operational_intensity" in t.columns], ignore_index=True)
        if not points.empty and (points["operational_intensity"].fillna(0) > 0).any():
            figures["roofline"] = roofline_figure(points, roofs, label_points=len(roofs) == 1)
    if "average_power_mw" in comparison.columns or "area_mm2" in comparison.columns:
        figures["area_power"] = area_power_figure(comparison)
    return figures


def write_comparison_outputs(out_dir: str | os.PathLike, *, summaries: Mapping[str, Mapping[str, Any]],
                             title: str,
                             layers_by_design: Mapping[str, pd.DataFrame | Iterable[Any]] | None = None,
                             baselines: Sequence[str] | None = None, config: Any = None,
                             notes: Sequence[str] = (),
                             roofs_by_design: Mapping[str, Mapping[str, Any]] | None = None,
                             accuracy_threshold: float = ACCURACY_THRESHOLD) -> dict[str, Path]:
    """Write compare.csv, layer_ratios.csv, energy_by_{component,data_type}.csv,
    accuracy_pairs.csv (when known), plots/*.png and report.html for network summaries
    {design: summary}; returns the paths (``compare_csv`` ...)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    comparison = design_comparison(summaries, baselines)
    baseline = next((c[len("speedup_vs_"):] for c in comparison.columns if c.startswith("speedup_vs_")), None)
    paths: dict[str, Path] = {"compare_csv": out / "compare.csv"}
    comparison.to_csv(paths["compare_csv"], index=False)
    roofs_by_design = roofs_by_design or {}
    tables = {p: _as_table(t, roofs_by_design.get(p)) for p, t in (layers_by_design or {}).items()}
    ratios = layer_ratios(tables, baseline) if tables and baseline in tables else None
    if ratios is not None:
        paths["layer_ratios_csv"] = out / "layer_ratios.csv"
        ratios.to_csv(paths["layer_ratios_csv"], index=False)
    for key in ("component", "data_type"):
        rows = [{"arch": d, key: k, "energy_pj": float(v), "share_pct": 100.0 * float(v) / float(s["energy_pj"])}
                for d, s in summaries.items() for k, v in (s.get(f"energy_by_{key}") or {}).items()
                if float(s.get("energy_pj") or 0) > 0]
        if rows:
            paths[f"energy_by_{key}_csv"] = out / f"energy_by_{key}.csv"
            pd.DataFrame(rows).to_csv(paths[f"energy_by_{key}_csv"], index=False)
    accuracy = accuracy_pairs(summaries, accuracy_threshold)
    if not accuracy.empty:
        paths["accuracy_pairs_csv"] = out / "accuracy_pairs.csv"
        accuracy.to_csv(paths["accuracy_pairs_csv"], index=False)
    figures = comparison_figures(comparison, summaries, tables, ratios, baseline, roofs_by_design)
    pngs = _save_pngs(figures, out / PLOTS_DIR, paths)
    paths["report_html"] = write_comparison_report(
        out / "report.html", title=title, comparison=comparison, summaries=summaries,
        layers_by_design=tables or None, config=config, figures=pngs, notes=notes,
        accuracy=accuracy, accuracy_threshold=accuracy_threshold, layer_ratios=ratios)
    return paths


__all__ = ["write_run_outputs", "write_comparison_outputs", "network_row", "comparison_figures", "energy_tables",
           "component_split_table", "LEAKAGE"]

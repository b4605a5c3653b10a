"""One self-contained HTML report of a run.

The page needs no network and no other file: CSS is inline, plots are embedded as
base64 PNG ``data:`` URIs, tables are plain HTML, and there is no script, no external
stylesheet, font or link. Every text that comes from data (layer names, config values,
error messages) is HTML-escaped.

Run report sections: run summary (with the failure, if the run failed), design
comparison (when given), plots, energy by component and by action for the network,
per-layer table, and the configuration used (pretty-printed JSON). Comparison report:
comparison table, each design's summary side by side, ratio and cycles plots, and per
design a collapsible section (plain ``<details>``) with its plot and layer table.
"""
from __future__ import annotations

import base64
import html
import json
import math
import os
from numbers import Integral, Number
from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd
from matplotlib.figure import Figure

from reports.plots import (
    cycles_by_layer_designs_figure, energy_by_component_figure, figure_png, design_ratios_figure,
    run_figures,
)
from reports.tables import energy_by_action_table, energy_by_component_table

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       margin: 1.5em auto; max-width: 1400px; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 1.6em; }
p.sub { color: #666; margin-top: 0; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; }
th { background: #f2f4f7; text-align: left; position: sticky; top: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr:nth-child(even) td { background: #fafbfc; }
.scroll { overflow-x: auto; max-height: 70vh; overflow-y: auto; }
.fail { background: #fde8e8; border: 1px solid #e0a0a0; padding: 0.7em 1em; border-radius: 4px; }
.ok { color: #1a7f37; font-weight: 600; }
.bad { color: #b42318; font-weight: 600; }
figure { margin: 1em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.85em; }
pre { background: #f6f8fa; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
.note { color: #555; font-size: 0.85em; }
"""

FIGURE_CAPTIONS = {
    "energy_by_component": "Energy of each layer split by component (unit on the axis).",
    "cycles_by_layer": "Simulated accelerator cycles of each layer.",
    "cycles_by_layer_designs": "Simulated cycles of each layer on each design.",
    "design_ratios": "Speedup (baseline cycles / design cycles) and energy ratio "
                     "(baseline energy / design energy) of each design; above 1 is better than the baseline.",
}


def format_value(value: Any) -> str:
    """Human-readable, escaped text of one cell: integers with thousands separators,
    floats to 4 significant digits, booleans as yes/no."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Integral):
        return f"{int(value):,}"
    if isinstance(value, Number):
        v = float(value)
        if v == 0:
            return "0"
        if 1e-3 <= abs(v) < 1e6:
            return f"{v:.4g}"
        return f"{v:.4e}"
    return html.escape(str(value))


def _is_number(value: Any) -> bool:
    return isinstance(value, Number) and not isinstance(value, bool)


def table_html(df: pd.DataFrame, caption: str | None = None) -> str:
    """A DataFrame as an escaped HTML table (numbers right-aligned, formatted)."""
    parts = ['<div class="scroll"><table>']
    if caption:
        parts.append(f"<caption>{html.escape(caption)}</caption>")
    parts.append("<thead><tr>" + "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns) + "</tr></thead>")
    parts.append("<tbody>")
    for row in df.itertuples(index=False, name=None):
        cells = []
        for value in row:
            if hasattr(value, "item") and not isinstance(value, (str, bytes)):
                value = value.item()  # NumPy scalar -> Python
            css = ' class="num"' if _is_number(value) else ""
            cells.append(f"<td{css}>{format_value(value)}</td>")
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</tbody></table></div>")
    return "\n".join(parts)


def _key_value_html(items: Mapping[str, Any]) -> str:
    rows = []
    for key, value in items.items():
        if hasattr(value, "item") and not isinstance(value, (str, bytes)):
            value = value.item()
        if key == "outputs_match_reference" and isinstance(value, bool):
            text = '<span class="ok">yes</span>' if value else '<span class="bad">NO</span>'
        else:
            text = format_value(value)
        css = ' class="num"' if _is_number(value) else ""
        rows.append(f"<tr><th>{html.escape(str(key))}</th><td{css}>{text}</td></tr>")
    return '<table class="kv">' + "".join(rows) + "</table>"


def png_data_uri(png: bytes) -> str:
    """A PNG as a ``data:image/png;base64,...`` URI."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _figure_html(name: str, figure: Figure | bytes) -> str:
    png = figure if isinstance(figure, (bytes, bytearray)) else figure_png(figure)
    caption = FIGURE_CAPTIONS.get(name, name.replace("_", " "))
    return (f'<figure><img alt="{html.escape(name)}" src="{png_data_uri(bytes(png))}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def _config_dict(config: Any) -> Any:
    dump = getattr(config, "model_dump", None)
    if callable(dump):
        return dump()
    return config


def _page_head(title: str, notes: Sequence[str]) -> list[str]:
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{html.escape(title)}</title>", f"<style>{CSS}</style></head><body>",
           f"<h1>{html.escape(title)}</h1>",
           '<p class="sub">Units: energy in pJ, time in s, DRAM traffic in bytes, cycles of the '
           "accelerator clock, utilization as a fraction of multiplier slots (0..1).</p>"]
    for note in notes:
        out.append(f'<p class="note">{html.escape(str(note))}</p>')
    return out


def _failure_html(summary: Mapping[str, Any], who: str = "") -> str:
    failure = summary.get("failure")
    if not isinstance(failure, Mapping):
        return ""
    return ('<div class="fail"><strong>Run ' + (html.escape(who) + " " if who else "") + "failed</strong> at layer "
            f"<code>{html.escape(str(failure.get('layer')))}</code>: "
            f"{html.escape(str(failure.get('error_type', 'Error')))}: "
            f"{html.escape(str(failure.get('message', '')))}<br>"
            "The results shown are those of the layers completed before the failure.</div>")


def _scalars(summary: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in summary.items() if not isinstance(v, (Mapping, list, tuple))}


def _comparison_html(comparison: pd.DataFrame) -> list[str]:
    return ["<h2>Preset comparison</h2>",
            '<p class="note">speedup_vs_B = cycles of B / cycles of the design; '
            "energy_ratio_vs_B = energy of B / energy of the design (above 1: better than B).</p>",
            table_html(comparison)]


def _figures_html(figures: Mapping[str, Figure | bytes]) -> list[str]:
    if not figures:
        return []
    return ["<h2>Plots</h2>"] + [_figure_html(name, fig) for name, fig in figures.items()]


def _config_html(config: Any) -> list[str]:
    if config is None:
        return []
    text = json.dumps(_config_dict(config), indent=2, default=str, sort_keys=False)
    return ["<h2>Configuration used</h2>", f"<pre>{html.escape(text)}</pre>"]


def render_report(*, title: str, summary: Mapping[str, Any], layers: pd.DataFrame,
                  config: Mapping[str, Any] | Any | None = None,
                  figures: Mapping[str, Figure | bytes] | None = None,
                  comparison: pd.DataFrame | None = None,
                  notes: Sequence[str] = ()) -> str:
    """The report of one run as one HTML string.

    ``summary`` is a network summary (``tables.network_summary`` plus anything the run
    adds, e.g. ``peak_rss_mb``; a ``failure`` entry is shown prominently). ``layers`` is
    the per-layer table (``tables.layer_table``). ``config`` is the configuration used
    (a mapping, or a pydantic model). ``figures`` defaults to ``plots.run_figures``;
    values may be Figures or PNG bytes. ``comparison`` is a ``tables.design_comparison``
    table. ``notes`` are extra lines shown under the title.
    """
    summary = dict(summary)
    if figures is None:
        figures = run_figures(layers, comparison)
    out = _page_head(title, notes)
    out.append(_failure_html(summary))
    out.append("<h2>Run summary</h2>")
    out.append(_key_value_html(_scalars(summary)))
    if comparison is not None:
        out.extend(_comparison_html(comparison))
    out.extend(_figures_html(figures))
    out.append("<h2>Energy by component (network)</h2>")
    out.append(table_html(energy_by_component_table(layers)))
    by_action = summary.get("energy_by_action")
    if isinstance(by_action, Mapping) and by_action:
        out.append("<h2>Energy by action (network)</h2>")
        out.append(table_html(energy_by_action_table(by_action)))
    out.append(f"<h2>Per-layer results ({len(layers)} layers)</h2>")
    out.append(table_html(layers))
    out.extend(_config_html(config))
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def render_comparison_report(*, title: str, comparison: pd.DataFrame,
                             summaries: Mapping[str, Mapping[str, Any]],
                             layers_by_design: Mapping[str, pd.DataFrame] | None = None,
                             config: Mapping[str, Any] | Any | None = None,
                             figures: Mapping[str, Figure | bytes] | None = None,
                             notes: Sequence[str] = ()) -> str:
    """The report of a design comparison as one HTML string.

    Shows the comparison table, the network summary of each design side by side, the
    plots (default: design ratios, plus cycles per layer on each design when
    ``layers_by_design`` is given), and for each design a collapsible section
    (``<details>``, no script) with its energy by component plot and per-layer table.
    ``config`` maps design -> configuration used (or is one shared configuration).
    """
    if figures is None:
        figures = {"design_ratios": design_ratios_figure(comparison)}
        if layers_by_design:
            figures["cycles_by_layer_designs"] = cycles_by_layer_designs_figure(layers_by_design)
    out = _page_head(title, notes)
    for design, summary in summaries.items():
        out.append(_failure_html(summary, who=f"on {design}"))
    out.extend(_comparison_html(comparison))
    out.append("<h2>Network summary per design</h2>")
    per_design = {p: _scalars(s) for p, s in summaries.items()}
    quantities = list(dict.fromkeys(k for values in per_design.values() for k in values))
    side = pd.DataFrame({"quantity": quantities} | {
        p: pd.Series([values.get(q) for q in quantities], dtype=object) for p, values in per_design.items()})
    out.append(table_html(side))
    out.extend(_figures_html(figures))
    for design, layers in (layers_by_design or {}).items():
        out.append(f"<details><summary><strong>{html.escape(design)}</strong>: "
                   f"per-layer results ({len(layers)} layers)</summary>")
        out.append(_figure_html("energy_by_component", energy_by_component_figure(
            layers, title=f"Energy by component per layer ({design})")))
        out.append(table_html(layers))
        out.append("</details>")
    out.extend(_config_html(config))
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _write_text(path: str | os.PathLike, text: str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_report(path: str | os.PathLike, **kwargs: Any) -> Path:
    """Render with :func:`render_report` and write UTF-8 to ``path``; returns the path."""
    return _write_text(path, render_report(**kwargs))


def write_comparison_report(path: str | os.PathLike, **kwargs: Any) -> Path:
    """Render with :func:`render_comparison_report` and write UTF-8 to ``path``."""
    return _write_text(path, render_comparison_report(**kwargs))

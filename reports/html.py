"""One self-contained HTML report of a run or of a design comparison.

The page needs no network and no other file: CSS is inline, plots are embedded as
base64 PNG ``data:`` URIs, tables are plain HTML, and there is no script, no external
stylesheet, font or link. Every text that comes from data (layer names, config values,
error messages) is HTML-escaped.

Units a person reads: energies are shown in the largest unit that keeps a column's
numbers readable (pJ, nJ, µJ, mJ, J), times in ns to s, rates with SI prefixes, and the
unit is in the column header (the file's column name is the header's tooltip). Files
keep exact base units. Tables fit the page: every table sits in its own box that
scrolls sideways when it is wider than the page, long headers wrap, and figures shrink
to the page width, so the page itself never scrolls sideways.

Run report sections (``id``): ``summary`` (with the failure, if the run failed),
``comparison`` (when given), ``energy-breakdown`` (where the energy goes: network by
component and data type, per layer by component and by action, the tables),
``roofline`` (plot and per-layer table), ``efficiency``, ``area-power``, ``timing``,
``layers``, ``glossary``, ``config``. Comparison report: ``comparison``, ``accuracy``
(when two designs know their accuracy), ``per-layer`` (speed-up and energy ratio per
layer), ``energy-breakdown`` (each design's energy by component and data type side by
side), ``roofline`` (every design's layers on their roofs), ``area-power``,
``designs`` (a collapsible section per design), ``glossary``, ``config``.
"""
from __future__ import annotations

import base64
import html
import json
import math
import os
from numbers import Integral, Number
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import pandas as pd
from matplotlib.figure import Figure

from reports.glossary import SECTIONS, describe
from reports.metrics import METRICS
from reports.plots import (
    cycles_by_layer_designs_figure,
    design_ratios_figure,
    energy_by_component_figure,
    figure_png,
    run_figures,
)
from reports.tables import (
    energy_by_action_table,
    energy_by_component_table,
    energy_by_data_type_table,
)
from reports.units import energy_unit, prefix, time_unit

CSS = """
*, *::before, *::after { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       margin: 1.5em auto; max-width: 1400px; padding: 0 1em; color: #222; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; overflow-wrap: anywhere; }
h2 { font-size: 1.25em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 1.8em; }
h3 { font-size: 1.05em; margin: 1.2em 0 0.3em; }
p, li, figcaption, summary { overflow-wrap: anywhere; }
p.sub { color: #666; margin-top: 0; }
nav.toc { font-size: 0.85em; color: #555; }
nav.toc span { margin-right: 0.9em; white-space: nowrap; }
.scroll { overflow-x: auto; max-width: 100%; max-height: 75vh; overflow-y: auto; margin: 0.5em 0;
          border: 1px solid #eee; }
table { border-collapse: collapse; font-size: 0.82em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.5em; vertical-align: top; }
th { background: #f2f4f7; text-align: left; position: sticky; top: 0; font-weight: 600;
     max-width: 12em; white-space: normal; overflow-wrap: break-word; }
td { max-width: 30em; overflow-wrap: break-word; }
td.short { white-space: nowrap; }
td.text { min-width: 10em; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.kv th { position: static; max-width: 22em; }
tr:nth-child(even) td { background: #fafbfc; }
.fail { background: #fde8e8; border: 1px solid #e0a0a0; padding: 0.7em 1em; border-radius: 4px; }
.flag { background: #fff4e0; border: 1px solid #e0b060; padding: 0.5em 1em; border-radius: 4px; }
.ok { color: #1a7f37; font-weight: 600; }
.bad { color: #b42318; font-weight: 600; }
.grid { display: flex; flex-wrap: wrap; gap: 1em; align-items: flex-start; }
.grid > div { flex: 1 1 22em; min-width: 0; }
figure { margin: 1em 0; max-width: 100%; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; display: block; }
figcaption { color: #555; font-size: 0.85em; }
pre { background: #f6f8fa; padding: 0.8em; overflow-x: auto; font-size: 0.85em; max-width: 100%; }
.note { color: #555; font-size: 0.85em; }
details { margin: 0.6em 0; }
table.glossary td:first-child { font-family: ui-monospace, monospace; white-space: nowrap; }
table.glossary td { max-width: 60em; }
"""

FIGURE_CAPTIONS = {
    "energy_breakdown": "Energy of the whole network by component and by data type, with each one's share.",
    "energy_by_component": "Energy of each layer split by component; the static energy (leakage, eDRAM refresh) "
                           "of every block is gathered as leakage. Layers that take no time are left out.",
    "energy_by_action": "Energy of each layer split by action (read, write, mac, hop, leakage ...).",
    "roofline": "Roofline: each layer with MACs at its operational intensity (useful MACs per DRAM byte) and "
                "attained MAC/s, under the design's compute roof (Tn x Tm x clock) and DRAM bandwidth roof.",
    "cycles_by_layer": "Simulated accelerator cycles of each layer (log scale when they differ by over 10x; "
                       "layers that take no time are left out).",
    "cycles_by_layer_designs": "Simulated cycles of each layer on each design.",
    "design_ratios": "Speedup (baseline cycles / design cycles) and energy ratio "
                     "(baseline energy / design energy) of each design; above 1 is better than the baseline.",
    "layer_ratios": "Per-layer speed-up and energy ratio of each design against the baseline, log axis; layers "
                    "that take no time are left out.",
    "energy_by_design_component": "Network energy by component on each design, side by side.",
    "energy_by_design_data_type": "Network energy by data type on each design, side by side.",
    "area_power": "Average power over the run (energy / time) and, when estimated, the area of each design.",
}


# ----------------------------------------------------------------------------- formatting
def format_value(value: Any) -> str:
    """Human-readable, escaped text of one cell: integers and large numbers with
    thousands separators, other floats to 4 significant digits, booleans as yes/no."""
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
        if math.isinf(v):
            return "∞" if v > 0 else "-∞"
        if abs(v) >= 1e4:
            return f"{v:,.0f}"
        if abs(v) >= 1e-4:
            return f"{v:.4g}"
        return f"{v:.3g}"
    return html.escape(str(value))


def _is_number(value: Any) -> bool:
    return isinstance(value, Number) and not isinstance(value, bool)


def _plain(value: Any) -> Any:
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()  # NumPy scalar -> Python
    return value


RATES = {"attained_macs_per_s": "MAC/s", "roof_macs_per_s": "MAC/s", "dense_equivalent_macs_per_s": "MAC/s",
         "compute_roof_macs_per_s": "MAC/s", "useful_macs_per_joule": "MAC/J",
         "macs_per_s_per_mm2": "MAC/s/mm²", "dram_roof_bytes_per_s": "B/s", "accuracy_per_joule": "/J"}
FIXED_UNITS = {"operational_intensity": "MAC/B", "operational_intensity_dense": "MAC/B",
               "energy_per_useful_mac_pj": "pJ/MAC", "average_power_mw": "mW", "power_mw": "mW",
               "peak_rss_mb": "MB", "clock_ghz": "GHz", "share_pct": "%", "dram_accesses_per_mac": "accesses/MAC",
               "cycles": "cycles"}


def column_display(name: str, values: Sequence[Any]) -> tuple[str, Callable[[Any], Any]]:
    """The header text (with its unit) and the value scaling of one column for display."""
    nums = [abs(float(v)) for v in values if _is_number(v) and math.isfinite(float(v))]
    largest = max(nums) if nums else 0.0
    if name in FIXED_UNITS:
        base = name[:-3] if name.endswith("_pj") else name[:-3] if name.endswith(("_mw", "_mb")) else name
        base = base.removesuffix("_pct").removesuffix("_ghz")
        return f"{base} ({FIXED_UNITS[name]})", lambda v: v
    if name in RATES:
        pname, scale = prefix(largest)
        return f"{name.removesuffix('_per_s').removesuffix('_per_joule')} ({pname}{RATES[name]})", \
            lambda v: v / scale if _is_number(v) else v
    if name.endswith("_pj") or name == "energy_pj":
        unit, scale = energy_unit(largest)
        return f"{name[:-3]} ({unit})", lambda v: v / scale if _is_number(v) else v
    if name.endswith("_s") and name in ("time_s", "wall_s"):
        unit, scale = time_unit(largest)
        return f"{name[:-2]} ({unit})", lambda v: v / scale if _is_number(v) else v
    if name.endswith("_bytes") or "_bytes_" in name or name.startswith("buffer_peak_bytes."):
        return f"{name} (B)", lambda v: v
    if name.endswith("_mm2"):
        return f"{name[:-4]} (mm²)", lambda v: v
    if name == "utilization" or name == "roof_fraction":
        return f"{name} (%)", lambda v: 100.0 * v if _is_number(v) else v
    return name, lambda v: v


def _breakable(text: str) -> str:
    """Escaped text with a line-break opportunity after each ``_``, ``.`` and ``-``."""
    out = html.escape(text)
    for ch in ("_", ".", "-"):
        out = out.replace(ch, ch + "<wbr>")
    return out


def _header_cell(name: str, text: str) -> str:
    entry = describe(name)
    tip = name + (f": {entry[2]}" if entry else "")
    return f'<th title="{html.escape(tip)}">{_breakable(text)}</th>'


def table_html(df: pd.DataFrame, caption: str | None = None) -> str:
    """A DataFrame as an escaped HTML table in its own scrolling box: numbers
    right-aligned and formatted, each column in a readable unit named in its header."""
    parts = ['<div class="scroll"><table>']
    if caption:
        parts.append(f"<caption>{html.escape(caption)}</caption>")
    displays = [column_display(str(c), [_plain(v) for v in df[c].tolist()]) for c in df.columns]
    parts.append("<thead><tr>" + "".join(_header_cell(str(c), d[0]) for c, d in zip(df.columns, displays))
                 + "</tr></thead>")
    parts.append("<tbody>")
    for row in df.itertuples(index=False, name=None):
        cells = []
        for value, (_, scale) in zip(row, displays):
            value = _plain(value)
            if _is_number(value):
                value = scale(value)
            css = ' class="num"' if _is_number(value) else ""
            text = format_value(value)
            if not css:
                css = ' class="short"' if len(text) <= 24 else ' class="text"'
            cells.append(f"<td{css}>{text}</td>")
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</tbody></table></div>")
    return "\n".join(parts)


def _key_value_html(items: Mapping[str, Any]) -> str:
    rows = []
    for key, value in items.items():
        value = _plain(value)
        header, scale = column_display(str(key), [value])
        if key == "outputs_match_reference" and isinstance(value, bool):
            text = '<span class="ok">yes</span>' if value else '<span class="bad">NO</span>'
        else:
            text = format_value(scale(value) if _is_number(value) else value)
        css = ' class="num"' if _is_number(value) else ""
        entry = describe(str(key))
        tip = f' title="{html.escape(entry[2])}"' if entry else ""
        rows.append(f"<tr><th{tip}>{html.escape(header)}</th><td{css}>{text}</td></tr>")
    return '<div class="scroll"><table class="kv">' + "".join(rows) + "</table></div>"


def png_data_uri(png: bytes) -> str:
    """A PNG as a ``data:image/png;base64,...`` URI."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _figure_html(name: str, figure: Figure | bytes) -> str:
    png = figure if isinstance(figure, (bytes, bytearray)) else figure_png(figure)
    caption = FIGURE_CAPTIONS.get(name, name.replace("_", " "))
    return (f'<figure id="fig-{html.escape(name)}"><img alt="{html.escape(name)}" '
            f'src="{png_data_uri(bytes(png))}"><figcaption>{html.escape(caption)}</figcaption></figure>')


def _config_dict(config: Any) -> Any:
    dump = getattr(config, "model_dump", None)
    if callable(dump):
        return dump()
    return config


SECTION_TITLES = {
    "summary": "Run summary", "comparison": "Design comparison", "accuracy": "Accuracy",
    "energy-breakdown": "Where the energy goes", "roofline": "Roofline", "efficiency": "Efficiency",
    "area-power": "Area and power", "timing": "Cycles per layer", "per-layer": "Per-layer comparison",
    "designs": "Each design", "layers": "Per-layer results", "glossary": "Glossary",
    "config": "Configuration used",
}


def _page_head(title: str, notes: Sequence[str], sections: Sequence[str]) -> list[str]:
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{html.escape(title)}</title>", f"<style>{CSS}</style></head><body>",
           f"<h1>{html.escape(title)}</h1>",
           '<p class="sub">Each column header names its unit: energy in pJ, nJ, µJ or mJ (whichever keeps the '
           "column readable), time in ns to s, rates with SI prefixes (G = 10<sup>9</sup>). The CSV and JSON "
           "files keep exact base units (pJ, s, cycles, bytes). Hover a header for its definition; the "
           "glossary at the end defines every column.</p>",
           '<nav class="toc">' + "".join(f"<span>{html.escape(SECTION_TITLES.get(s, s))}</span>"
                                         for s in sections) + "</nav>"]
    for note in notes:
        out.append(f'<p class="note">{html.escape(str(note))}</p>')
    return out


def _section(sid: str, title: str | None = None) -> str:
    return f'<h2 id="{sid}">{html.escape(title or SECTION_TITLES[sid])}</h2>'


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
    return [_section("comparison"),
            '<p class="note">speedup_vs_B = cycles of B / cycles of the design; '
            "energy_ratio_vs_B = energy of B / energy of the design (above 1: better than B).</p>",
            table_html(comparison)]


def _config_html(config: Any) -> list[str]:
    if config is None:
        return []
    text = json.dumps(_config_dict(config), indent=2, default=str, sort_keys=False)
    return [_section("config"), f"<pre>{html.escape(text)}</pre>"]


def glossary_html(columns: Sequence[str] | None = None) -> list[str]:
    """The glossary section: every entry (``columns`` given: the entries those columns
    use, then the rest collapsed)."""
    used: set[str] = set()
    for c in columns or ():
        entry = describe(str(c))
        if entry:
            used.add(entry[0])
    out = [_section("glossary"),
           '<p class="note">Units are those of the files (CSV, JSON); the tables above rescale energy, time '
           "and rates and say so in their headers. Also in docs/glossary.md.</p>"]
    def table(items) -> str:
        rows = "".join(f"<tr><td>{html.escape(c)}</td><td>{html.escape(u)}</td><td>{html.escape(d)}</td></tr>"
                       for c, u, d in items)
        return ('<div class="scroll"><table class="glossary"><thead><tr><th>column</th><th>unit</th>'
                f"<th>meaning</th></tr></thead><tbody>{rows}</tbody></table></div>")

    for title, items in SECTIONS:
        chosen = [i for i in items if not used or i[0] in used]
        if chosen:
            out.append(f"<h3>{html.escape(title)}</h3>" + table(chosen))
    if used:
        rest = [(c, u, d) for _, items in SECTIONS for c, u, d in items if c not in used]
        out.append(f"<details><summary>Other columns of socsim's files ({len(rest)}: compression, dataflows, "
                   f"comparisons ...)</summary>{table(rest)}</details>")
    return out


#: Columns of the per-layer table shown in full view (every column is in layers.csv and
#: in the collapsible table below it).
LAYER_VIEW = ("name", "kind", "strategy", "cycles", "time_s", "energy_pj", "useful_macs", "skipped_macs",
              "dram_bytes", "utilization", "operational_intensity", "attained_macs_per_s", "bound",
              "energy_per_useful_mac_pj", "outputs_match_reference")
ROOFLINE_VIEW = ("name", "kind", "operational_intensity", "operational_intensity_dense", "attained_macs_per_s",
                 "roof_macs_per_s", "bound", "roof_fraction", "utilization")
EFFICIENCY_VIEW = ("useful_macs_per_joule", "energy_per_useful_mac_pj", "macs_per_s_per_mm2", "utilization",
                   "dram_accesses_per_mac", "effective_to_ideal_mac_ratio", "dense_equivalent_macs_per_s",
                   "average_power_mw", "accuracy", "parameters", "accuracy_per_joule", "accuracy_per_parameter")


def _view(df: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    return df[[c for c in columns if c in df.columns]]


def _pick(figures: Mapping[str, Figure | bytes], names: Sequence[str]) -> list[str]:
    return [_figure_html(n, figures[n]) for n in names if n in figures]


def _area_power_html(summaries: Mapping[str, Mapping[str, Any]]) -> list[str]:
    rows = []
    for design, s in summaries.items():
        row = {"arch": design}
        for key in ("area_mm2", "power_mw", "average_power_mw", "macs_per_s_per_mm2", "entropy_decoder_area_mm2"):
            if s.get(key) is not None:
                row[key] = s[key]
        comps = s.get("area_by_component_mm2")
        if isinstance(comps, Mapping):
            row.update({f"area_by_component_mm2.{k}": v for k, v in comps.items()})
        rows.append(row)
    out = [table_html(pd.DataFrame(rows))]
    if not any(s.get("area_mm2") is not None for s in summaries.values()):
        out.append('<p class="note">Area: the results carry no area_mm2 (no area estimate for these designs), '
                   "so the area and MAC/s per mm² are not shown. Average power is energy / time of the run.</p>")
    return out


# ----------------------------------------------------------------------------- run report
def render_report(*, title: str, summary: Mapping[str, Any], layers: pd.DataFrame,
                  config: Mapping[str, Any] | Any | None = None,
                  figures: Mapping[str, Figure | bytes] | None = None,
                  comparison: pd.DataFrame | None = None,
                  notes: Sequence[str] = (),
                  energy_tables: Mapping[str, pd.DataFrame] | None = None) -> str:
    """The report of one run as one HTML string.

    ``summary`` is a network summary (``tables.network_summary`` plus anything the run
    adds, e.g. ``peak_rss_mb``; a ``failure`` entry is shown prominently). ``layers`` is
    the per-layer table (``tables.layer_table``). ``config`` is the configuration used
    (a mapping, or a pydantic model). ``figures`` defaults to ``plots.run_figures``;
    values may be Figures or PNG bytes. ``comparison`` is a ``tables.design_comparison``
    table. ``energy_tables`` are the network breakdowns to show (default: by component,
    data type and action from the layers and the summary). ``notes`` are extra lines
    shown under the title.
    """
    summary = dict(summary)
    if figures is None:
        figures = run_figures(layers, comparison, summary=summary)
    if energy_tables is None:
        energy_tables = {"component": energy_by_component_table(layers)}
        if isinstance(summary.get("energy_by_data_type"), Mapping) and summary["energy_by_data_type"]:
            energy_tables["data type"] = energy_by_data_type_table(summary["energy_by_data_type"])
        if isinstance(summary.get("energy_by_action"), Mapping) and summary["energy_by_action"]:
            energy_tables["action"] = energy_by_action_table(summary["energy_by_action"])
    sections = ["summary"] + (["comparison"] if comparison is not None else []) + [
        "energy-breakdown", "roofline", "efficiency", "area-power", "timing", "layers", "glossary"] + (
        ["config"] if config is not None else [])
    out = _page_head(title, notes, sections)
    out.append(_failure_html(summary))
    scalars = _scalars(summary)
    out.append(_section("summary"))
    out.append(_key_value_html({k: v for k, v in scalars.items() if k not in METRICS}))
    if comparison is not None:
        out.extend(_comparison_html(comparison))

    out.append(_section("energy-breakdown"))
    out += _pick(figures, ["energy_breakdown", "energy_by_component", "energy_by_action"])
    out.append('<div class="grid">')
    for what, table in energy_tables.items():
        out.append(f"<div><h3>Network energy by {html.escape(what)}</h3>{table_html(table)}</div>")
    out.append("</div>")

    out.append(_section("roofline"))
    out += _pick(figures, ["roofline"])
    if "roofline" not in figures:
        out.append('<p class="note">No roofline: the run has no layer with MACs, or the design\'s roofs are '
                   "not known.</p>")
    roof = {k: summary[k] for k in ("compute_roof_macs_per_s", "dram_roof_bytes_per_s", "operational_intensity",
                                    "attained_macs_per_s", "roof_macs_per_s", "bound", "roof_fraction")
            if summary.get(k) is not None}
    if roof:
        out.append("<h3>Whole network</h3>" + _key_value_html(roof))
    mac_layers = layers[layers["useful_macs"] > 0] if "useful_macs" in layers.columns else layers
    if "operational_intensity" in layers.columns and not mac_layers.empty:
        out.append("<h3>Layers with MACs</h3>" + table_html(_view(mac_layers, ROOFLINE_VIEW)))

    out.append(_section("efficiency"))
    out.append(_key_value_html({k: summary[k] for k in EFFICIENCY_VIEW if summary.get(k) is not None}))
    if summary.get("accuracy") is None:
        out.append('<p class="note">Accuracy is not known for this run, so accuracy per joule and per parameter '
                   "are not shown (give --accuracy to socsim run).</p>")

    out.append(_section("area-power"))
    out += _area_power_html({str(summary.get("arch", "design")): summary})

    out.append(_section("timing"))
    out += _pick(figures, ["cycles_by_layer", "design_ratios"])
    shown = {"energy_breakdown", "energy_by_component", "energy_by_action", "roofline", "cycles_by_layer",
             "design_ratios"}
    out += [_figure_html(n, f) for n, f in figures.items() if n not in shown]

    out.append(_section("layers", f"Per-layer results ({len(layers)} layers)"))
    out.append(table_html(_view(layers, LAYER_VIEW)))
    out.append(f"<details><summary>Every column ({len(layers.columns)}; also in layers.csv)</summary>"
               f"{table_html(layers)}</details>")
    out += glossary_html(list(layers.columns) + list(scalars))
    out.extend(_config_html(config))
    out.append("</body></html>")
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------- comparison report
def render_comparison_report(*, title: str, comparison: pd.DataFrame,
                             summaries: Mapping[str, Mapping[str, Any]],
                             layers_by_design: Mapping[str, pd.DataFrame] | None = None,
                             config: Mapping[str, Any] | Any | None = None,
                             figures: Mapping[str, Figure | bytes] | None = None,
                             notes: Sequence[str] = (),
                             accuracy: pd.DataFrame | None = None,
                             accuracy_threshold: float | None = None,
                             layer_ratios: pd.DataFrame | None = None) -> str:
    """The report of a design comparison as one HTML string.

    Shows the comparison table, accuracy pairs (``accuracy``, from
    ``tables.accuracy_pairs``, flagged above ``accuracy_threshold``), the per-layer
    ratios (``layer_ratios``), the network summary of each design side by side, the
    figures (default: design ratios and cycles per layer; :mod:`reports.bundle` adds
    the breakdown, roofline, area and power figures), and for each design a collapsible
    section (``<details>``, no script) with its energy by component plot and per-layer
    table. ``config`` maps design -> configuration used (or is one shared configuration).
    """
    if figures is None:
        figures = {"design_ratios": design_ratios_figure(comparison)}
        if layers_by_design:
            figures["cycles_by_layer_designs"] = cycles_by_layer_designs_figure(layers_by_design)
    has_accuracy = accuracy is not None and not accuracy.empty
    sections = ["comparison"] + (["accuracy"] if has_accuracy else []) + [
        "per-layer", "energy-breakdown", "roofline", "area-power", "summary"] + (
        ["designs"] if layers_by_design else []) + ["glossary"] + (["config"] if config is not None else [])
    out = _page_head(title, notes, sections)
    for design, summary in summaries.items():
        out.append(_failure_html(summary, who=f"on {design}"))
    out.extend(_comparison_html(comparison))
    out += _pick(figures, ["design_ratios"])

    if has_accuracy:
        out.append(_section("accuracy"))
        flagged = accuracy[accuracy["flagged"]]
        limit = f"{100 * accuracy_threshold:g} percentage points" if accuracy_threshold is not None else "the threshold"
        if not flagged.empty:
            pairs = ", ".join(f"{a} vs {b} ({100 * d:+.2f} points)" for a, b, d in
                              zip(flagged["design_a"], flagged["design_b"], flagged["difference"]))
            out.append(f'<div class="flag"><strong>Accuracy differs by more than {html.escape(limit)}</strong>: '
                       f"{html.escape(pairs)}. Their speed and energy are not like for like.</div>")
        else:
            out.append(f'<p class="note">No pair of designs differs in accuracy by more than {html.escape(limit)}.</p>')
        out.append(table_html(accuracy))

    out.append(_section("per-layer"))
    out += _pick(figures, ["layer_ratios", "cycles_by_layer_designs"])
    if layer_ratios is not None and not layer_ratios.empty:
        out.append("<details><summary>Per-layer ratios as a table (also in layer_ratios.csv)</summary>"
                   f"{table_html(layer_ratios)}</details>")

    out.append(_section("energy-breakdown"))
    out += _pick(figures, ["energy_by_design_component", "energy_by_design_data_type"])
    per_type = {d: s.get("energy_by_data_type") for d, s in summaries.items()
                if isinstance(s.get("energy_by_data_type"), Mapping)}
    per_comp = {d: s.get("energy_by_component") for d, s in summaries.items()
                if isinstance(s.get("energy_by_component"), Mapping)}
    for what, table in (("component", per_comp), ("data type", per_type)):
        if table:
            df = pd.DataFrame({d: pd.Series(b, dtype=float) for d, b in table.items()}).fillna(0.0)
            df = df.loc[df.sum(axis=1).sort_values(ascending=False).index]
            df.insert(0, what.replace(" ", "_"), df.index)
            df.columns = [what.replace(" ", "_")] + [f"{d}_pj" for d in table]
            out.append(f"<h3>Network energy by {html.escape(what)} on each design</h3>"
                       + table_html(df.reset_index(drop=True)))

    out.append(_section("roofline"))
    out += _pick(figures, ["roofline"])
    if "roofline" not in figures:
        out.append('<p class="note">No roofline: no design has a layer with MACs and known roofs.</p>')

    out.append(_section("area-power"))
    out += _pick(figures, ["area_power"])
    out += _area_power_html(summaries)

    out.append(_section("summary", "Network summary per design"))
    per_design = {p: _scalars(s) for p, s in summaries.items()}
    quantities = list(dict.fromkeys(k for values in per_design.values() for k in values))
    rows = []
    for q in quantities:
        values = [_plain(per_design[p].get(q)) for p in per_design]
        header, scale = column_display(q, values)
        rows.append([header] + [scale(v) if _is_number(v) else v for v in values])
    side = pd.DataFrame([{"quantity": r[0], **{p: v for p, v in zip(per_design, r[1:])}} for r in rows],
                        dtype=object)
    out.append(table_html(side))

    shown = {"design_ratios", "layer_ratios", "cycles_by_layer_designs", "energy_by_design_component",
             "energy_by_design_data_type", "roofline", "area_power"}
    out += [_figure_html(n, f) for n, f in figures.items() if n not in shown]
    if layers_by_design:
        out.append(_section("designs"))
    for design, layers in (layers_by_design or {}).items():
        out.append(f"<details><summary><strong>{html.escape(design)}</strong>: "
                   f"per-layer results ({len(layers)} layers)</summary>")
        out.append(_figure_html("energy_by_component", energy_by_component_figure(
            layers, title=f"Energy by component per layer ({design})")))
        out.append(table_html(_view(layers, LAYER_VIEW)))
        out.append("</details>")
    columns = list(comparison.columns) + quantities
    for layers in (layers_by_design or {}).values():
        columns += list(layers.columns)
    out += glossary_html(columns)
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

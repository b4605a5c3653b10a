"""Tables (pandas DataFrames) made from per-layer simulation results.

Input is plain data: one mapping per simulated layer, as produced by
``LayerResult.to_dict()`` (an object with a ``to_dict()`` method is accepted too).
Required keys (see ``REQUIRED_KEYS``): name, kind, cycles, time_s, energy_pj,
energy_by_component {component: pJ}, energy_by_action {action: pJ}, useful_macs,
skipped_macs, dram_bytes_read, dram_bytes_written, utilization (0..1),
outputs_match_reference, sim_events, wall_s, strategy. Extra scalar keys (numbers,
strings, booleans, None) are kept as further columns; extra mappings (a tiling, a
traffic estimate per strategy, buffer peaks) are flattened into ``key.sub`` (and
``key.sub.subsub``) columns; lists (such as ``activity``) are left out of tables: traces
have their own output.

Units are in the column names: ``_pj`` picojoules, ``_s`` seconds, ``_bytes`` bytes,
``cycles`` accelerator clock cycles, ``_macs`` multiply-accumulates; ``utilization``
is a fraction in [0, 1]. Energy per component of a layer becomes a column
``e_<component>_pj``; a component a layer did not use is 0 pJ in that layer's row.
Energy per data type (``energy_by_data_type``: weights, inputs, outputs, psums,
indexes, compute, control, static) becomes ``data_<type>_pj``. Given the design's roofs
(:data:`reports.metrics.ROOF_KEYS`), rows and summaries also carry the roofline and
efficiency metrics of :mod:`reports.metrics` (``operational_intensity``,
``attained_macs_per_s``, ``roof_macs_per_s``, ``bound``, ``useful_macs_per_joule``,
``energy_per_useful_mac_pj``, ``macs_per_s_per_mm2`` ...). ``docs/glossary.md`` defines
every column.

Simplifications stated here:
- Layers run one after another, so network cycles, time and energy are sums over
  layers (no overlap between consecutive layers is modelled by these tables).
- Network utilization is total useful MACs over total multiplier slots, i.e. each
  layer's utilization weighted by its cycles (multiplier-cycle slots; the number of
  multipliers is fixed within one run). Layers without multiplies (pooling,
  activations) count as idle slots. This is the multiplier-slot-weighted mean, not the
  plain mean of layer utilizations.
"""
from __future__ import annotations

import math
from typing import Any, Iterable, Mapping, Sequence

import pandas as pd

from reports.rows import (  # noqa: F401  (re-exported: the row functions are part of this module's API)
    COMPONENT_PREFIX,
    COMPONENT_SUFFIX,
    DATA_TYPE_PREFIX,
    ENERGY_SUM_RTOL,
    INTEGER_COLUMNS,
    LAYER_COLUMNS,
    MAX_FLATTEN_DEPTH,
    OPTIONAL_SUMMED,
    REQUIRED_KEYS,
    SUMMED_COLUMNS,
    as_result_dict,
    component_column,
    component_columns,
    component_of,
    data_type_column,
    data_type_columns,
    data_type_of,
    energy_by_action_totals,
    is_component_column,
    is_data_type_column,
    is_energy_column,
    layer_row,
    result_dicts,
    row_columns,
    rows_summary,
)


def layer_table(results: Iterable[Any], roofs: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Per-layer table: one row per layer, ``LAYER_COLUMNS`` then extra scalar keys and
    metrics, then ``e_<component>_pj`` columns (components in order of first appearance;
    0 pJ where a layer did not use a component) and ``data_<type>_pj`` columns."""
    rows = [layer_row(r, i, roofs) for i, r in enumerate(result_dicts(results))]
    return rows_to_frame(rows)


def rows_to_frame(rows: Sequence[Mapping]) -> pd.DataFrame:
    """Flat layer rows (from :func:`layer_row`) as a DataFrame in :func:`row_columns` order."""
    columns = row_columns(rows)
    energy_cols = [c for c in columns if is_energy_column(c) and c not in LAYER_COLUMNS]
    df = pd.DataFrame([dict(r) for r in rows], columns=columns)
    if energy_cols:
        df[energy_cols] = df[energy_cols].fillna(0.0).astype(float)
    return df


def _layers_frame(layers: pd.DataFrame | Iterable[Any]) -> pd.DataFrame:
    if isinstance(layers, pd.DataFrame):
        missing = [c for c in LAYER_COLUMNS if c not in layers.columns]
        if missing:
            raise ValueError(f"per-layer table lacks column(s) {missing}; build it with layer_table()")
        if layers.empty:
            raise ValueError("per-layer table is empty (need at least one layer)")
        return layers
    return layer_table(layers)


def network_utilization(layers: pd.DataFrame) -> float:
    """Multiplier-slot-weighted utilization: sum(u_i * cycles_i) / sum(cycles_i)."""
    cycles = layers["cycles"].astype(float)
    total = float(cycles.sum())
    if total == 0:
        return 0.0
    return float((layers["utilization"].astype(float) * cycles).sum() / total)


def network_summary(layers: pd.DataFrame | Iterable[Any],
                    energy_by_action: Mapping[str, float] | None = None,
                    roofs: Mapping[str, Any] | None = None) -> dict:
    """Network totals as a JSON-ready dict.

    ``layers`` is a per-layer table or the layer results themselves. Keys: ``layers``
    (count), the sums of ``SUMMED_COLUMNS`` (cycles, time_s, energy_pj, useful_macs,
    skipped_macs, dram_bytes_read, dram_bytes_written, dram_bytes, sim_events, wall_s),
    ``utilization`` (see :func:`network_utilization`), ``outputs_match_reference``
    (True only if every layer matched), ``energy_by_component`` {component: pJ} and,
    when known, ``energy_by_action`` {action: pJ}; ``energy_by_data_type`` when the
    rows have ``data_<type>_pj`` columns; the design's area (``area_mm2``, the same for
    every layer) when the rows carry it; then the metrics of :mod:`reports.metrics`
    (the roofline ones given ``roofs``). When ``layers`` are raw results, energy by
    action is computed from them; a table alone does not carry it.
    """
    if not isinstance(layers, pd.DataFrame):
        results = result_dicts(layers)
        if energy_by_action is None:
            energy_by_action = energy_by_action_totals(results)
        return rows_summary([layer_row(r, i, roofs) for i, r in enumerate(results)], energy_by_action, roofs)
    return rows_summary(_layers_frame(layers).to_dict("records"), energy_by_action, roofs)


def _breakdown_frame(totals: Mapping[str, float], key: str) -> pd.DataFrame:
    df = pd.DataFrame({key: list(totals.keys()), "energy_pj": [float(v) for v in totals.values()]})
    total = float(df["energy_pj"].sum())
    df["share_pct"] = 100.0 * df["energy_pj"] / total if total > 0 else 0.0
    return df.sort_values("energy_pj", ascending=False, kind="stable").reset_index(drop=True)


def energy_by_component_table(layers: pd.DataFrame | Iterable[Any]) -> pd.DataFrame:
    """Network energy per component: columns ``component, energy_pj, share_pct``
    (percent of the network total), largest first."""
    df = _layers_frame(layers)
    return _breakdown_frame({component_of(c): float(df[c].sum()) for c in component_columns(df)}, "component")


def energy_by_data_type_table(layers: pd.DataFrame | Iterable[Any] | Mapping[str, float]) -> pd.DataFrame:
    """Network energy per data type: columns ``data_type, energy_pj, share_pct``, largest
    first. Takes a per-layer table (its ``data_<type>_pj`` columns), the layer results, or
    an already summed {data type: pJ} mapping."""
    if isinstance(layers, Mapping):
        return _breakdown_frame({str(k): float(v) for k, v in layers.items()}, "data_type")
    df = _layers_frame(layers)
    return _breakdown_frame({data_type_of(c): float(df[c].sum()) for c in data_type_columns(df)}, "data_type")


def energy_by_action_table(results: Iterable[Any] | Mapping[str, float]) -> pd.DataFrame:
    """Network energy per action: columns ``action, energy_pj, share_pct``, largest first.
    Takes the layer results, or an already summed {action: pJ} mapping."""
    if isinstance(results, Mapping):
        totals = {str(k): float(v) for k, v in results.items()}
    else:
        totals = energy_by_action_totals(results)
    return _breakdown_frame(totals, "action")


def design_comparison(summaries: Mapping[str, Mapping[str, Any]],
                      baselines: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per design from network summaries {design: summary}.

    Columns: ``design, cycles, energy_pj``, then per baseline B
    ``speedup_vs_B = cycles_B / cycles_preset`` and
    ``energy_ratio_vs_B = energy_pj_B / energy_pj_preset`` (both > 1 mean the design
    is faster / uses less energy than B), then ``time_s``, ``dram_bytes``,
    ``outputs_match_reference``, ``layers`` and ``status`` (``failed`` marks a design
    whose run stopped early: its totals cover only the layers completed) when the
    summaries have them.
    ``baselines`` default: ``("dense",)`` if a ``dense`` design is present, else the
    first design. A baseline must be one of the designs.
    """
    if not summaries:
        raise ValueError("no design summaries given (need at least one design)")
    designs = list(summaries)
    if baselines is None:
        baselines = ("dense",) if "dense" in summaries else (designs[0],)
    for b in baselines:
        if b not in summaries:
            raise ValueError(f"baseline design {b!r} is not among the compared designs {designs}")
    for p, s in summaries.items():
        for key in ("cycles", "energy_pj"):
            if key not in s:
                raise ValueError(f"summary of design {p!r} lacks {key!r}")
            if not float(s[key]) > 0:
                raise ValueError(f"summary of design {p!r}: {key!r} must be > 0 to form ratios, got {s[key]!r}")
    rows = []
    for p, s in summaries.items():
        row: dict[str, Any] = {"arch": p, "cycles": int(s["cycles"]), "energy_pj": float(s["energy_pj"])}
        for b in baselines:
            base = summaries[b]
            row[f"speedup_vs_{b}"] = float(base["cycles"]) / float(s["cycles"])
            row[f"energy_ratio_vs_{b}"] = float(base["energy_pj"]) / float(s["energy_pj"])
        for key in COMPARISON_EXTRAS:
            if s.get(key) is not None:
                row[key] = s[key]
        rows.append(row)
    return pd.DataFrame(rows)


#: Summary quantities shown for each design in a comparison, when the summaries have them.
COMPARISON_EXTRAS: tuple[str, ...] = (
    "time_s", "dram_bytes", "utilization", "attained_macs_per_s", "useful_macs_per_joule",
    "energy_per_useful_mac_pj", "average_power_mw", "power_mw", "area_mm2", "macs_per_s_per_mm2",
    "accuracy", "outputs_match_reference", "layers", "status",
)

#: Accuracy difference (fraction, 0.005 = half a percentage point) above which a
#: comparison flags a pair of designs: about the run-to-run spread of a retrained small
#: network, and the drop the compression pipeline allows by default.
ACCURACY_THRESHOLD = 0.005


def accuracy_pairs(summaries: Mapping[str, Mapping[str, Any]],
                   threshold: float = ACCURACY_THRESHOLD) -> pd.DataFrame:
    """Every pair of designs whose summaries both know ``accuracy`` (fraction 0..1):
    ``design_a, design_b, accuracy_a, accuracy_b, difference`` (a - b) and ``flagged``
    (|difference| > ``threshold``). Empty when fewer than two designs know it."""
    if not (0 <= threshold < 1):
        raise ValueError(f"accuracy threshold must be a fraction in [0, 1), got {threshold!r}")
    known = [(d, float(s["accuracy"])) for d, s in summaries.items() if s.get("accuracy") is not None]
    rows = []
    for i, (a, acc_a) in enumerate(known):
        for b, acc_b in known[i + 1:]:
            rows.append({"design_a": a, "design_b": b, "accuracy_a": acc_a, "accuracy_b": acc_b,
                         "difference": acc_a - acc_b, "flagged": abs(acc_a - acc_b) > threshold})
    return pd.DataFrame(rows, columns=["design_a", "design_b", "accuracy_a", "accuracy_b", "difference", "flagged"])


def layer_ratios(layers_by_design: Mapping[str, pd.DataFrame], baseline: str) -> pd.DataFrame:
    """Per layer (in the baseline's order) and design: cycles, energy, speed-up
    (baseline cycles / design cycles) and energy ratio (baseline energy / design energy).
    Layers that take no time on the baseline or on a design (ReLUs fused into their
    producer) are left out. Columns: ``name, kind, arch, cycles, energy_pj, speedup,
    energy_ratio``."""
    if baseline not in layers_by_design:
        raise ValueError(f"baseline design {baseline!r} is not among {list(layers_by_design)}")
    base = _layers_frame(layers_by_design[baseline]).set_index("name")
    rows = []
    for design, layers in layers_by_design.items():
        df = _layers_frame(layers).set_index("name")
        for name in base.index:
            if name not in df.index:
                continue
            b, d = base.loc[name], df.loc[name]
            if not (b["cycles"] > 0 and d["cycles"] > 0):
                continue
            rows.append({"name": name, "kind": d["kind"], "arch": design, "cycles": int(d["cycles"]),
                         "energy_pj": float(d["energy_pj"]),
                         "speedup": float(b["cycles"]) / float(d["cycles"]),
                         "energy_ratio": (float(b["energy_pj"]) / float(d["energy_pj"])
                                          if d["energy_pj"] > 0 else math.nan)})
    return pd.DataFrame(rows, columns=["name", "kind", "arch", "cycles", "energy_pj", "speedup", "energy_ratio"])


#: Columns of the long-form energy table (one row per layer, component, action, data type).
ENTRY_COLUMNS: tuple[str, ...] = ("layer", "component", "action", "data_type", "count", "energy_pj")


def energy_entries_table(entries_by_layer: Iterable[tuple[str, Iterable[Sequence[Any]]]]) -> pd.DataFrame:
    """The aggregated ledger of a run in long form: one row per (layer, component,
    action, data type) with its ``count`` (of the action; bytes for DRAM, 16-bit words for
    buffers) and ``energy_pj``. ``entries_by_layer`` yields (layer name, entries) with
    entries (component, action, data_type, count, energy_pj)."""
    rows = []
    for layer, entries in entries_by_layer:
        for i, entry in enumerate(entries):
            if len(entry) != 5:
                raise ValueError(f"layer {layer!r}: energy entry #{i} must be (component, action, data_type, "
                                 f"count, energy_pj), got {entry!r}")
            comp, action, dtype, count, pj = entry
            rows.append((str(layer), str(comp), str(action), str(dtype), float(count), float(pj)))
    return pd.DataFrame(rows, columns=list(ENTRY_COLUMNS))


ENERGY_KEYS: tuple[str, ...] = ("layer", "component", "action", "data_type")


def energy_breakdown(entries: pd.DataFrame, by: str | Sequence[str] = "component") -> pd.DataFrame:
    """Energy of a long-form table (:func:`energy_entries_table`) summed by one or more of
    ``layer, component, action, data_type``: those columns, ``energy_pj`` and
    ``share_pct`` (percent of the total), largest first (by layer: in layer order)."""
    keys = [by] if isinstance(by, str) else list(by)
    bad = [k for k in keys if k not in ENERGY_KEYS]
    if not keys or bad:
        raise ValueError(f"energy breakdown by {bad or keys!r}: allowed keys are {', '.join(ENERGY_KEYS)}")
    if entries.empty:
        return pd.DataFrame(columns=keys + ["energy_pj", "share_pct"])
    df = entries.groupby(keys, as_index=False, sort=False)["energy_pj"].sum()
    total = float(df["energy_pj"].sum())
    df["share_pct"] = 100.0 * df["energy_pj"] / total if total > 0 else 0.0
    if "layer" not in keys:
        df = df.sort_values("energy_pj", ascending=False, kind="stable")
    return df.reset_index(drop=True)


#: Name under which the per-layer "by component" views gather every block's static energy.
LEAKAGE = "leakage"


def energy_by_layer_table(entries: pd.DataFrame, by: str = "component",
                          layers: Sequence[str] | None = None) -> pd.DataFrame:
    """Energy (pJ) per layer (rows) and component, action or data type (columns) from
    the long-form table of :func:`energy_entries_table`. By component, the static energy
    of every block (data type ``static``: leakage, refresh) is gathered in one column
    ``leakage``, so the dynamic energy of each block and the static energy of the chip
    read apart. ``layers`` gives the row order (default: order of appearance); a layer
    without entries gets a row of zeros."""
    if by not in ("component", "action", "data_type"):
        raise ValueError(f"energy by layer: 'by' must be component, action or data_type, got {by!r}")
    df = entries
    key = df[by]
    if by == "component":
        key = df["component"].where(df["data_type"] != "static", LEAKAGE)
    sums = df["energy_pj"].groupby([df["layer"], key.rename("_key")], sort=False).sum()
    table = sums.unstack("_key", fill_value=0.0)  # columns in order of first appearance
    order = list(layers) if layers is not None else list(dict.fromkeys(df["layer"]))
    table = table.reindex(order, fill_value=0.0)
    table.columns.name = by
    table.index.name = "layer"
    return table.astype(float)

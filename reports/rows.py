"""Per-layer rows as plain dicts: validation, flattening, column order and network
totals, without pandas.

This is the part of :mod:`reports.tables` that a run needs while it simulates: the
incremental writer (:mod:`reports.writer`) turns each layer result into a row, writes
it to ``layers.csv`` with the csv module and sums the rows for ``summary.json``, so
neither pandas nor pyarrow is loaded before the report is made. :mod:`reports.tables`
builds its DataFrames from these rows and re-exports these names. Keys, units and the
simplifications of the network totals are described there.
"""
from __future__ import annotations

import math
from numbers import Number
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from reports.metrics import METRICS, efficiency

REQUIRED_KEYS: tuple[str, ...] = (
    "name", "kind", "cycles", "time_s", "energy_pj", "energy_by_component",
    "energy_by_action", "useful_macs", "skipped_macs", "dram_bytes_read",
    "dram_bytes_written", "utilization", "outputs_match_reference", "sim_events",
    "wall_s", "strategy",
)

#: Columns of the per-layer table, in order, before the ``e_<component>_pj`` columns.
LAYER_COLUMNS: tuple[str, ...] = (
    "name", "kind", "strategy", "cycles", "time_s", "energy_pj", "useful_macs",
    "skipped_macs", "dram_bytes_read", "dram_bytes_written", "dram_bytes",
    "utilization", "outputs_match_reference", "sim_events", "wall_s",
)

#: Additive quantities summed over layers for a network summary.
SUMMED_COLUMNS: tuple[str, ...] = (
    "cycles", "time_s", "energy_pj", "useful_macs", "skipped_macs", "dram_bytes_read",
    "dram_bytes_written", "dram_bytes", "sim_events", "wall_s",
)
#: Further additive quantities, summed when the rows have them.
OPTIONAL_SUMMED: tuple[str, ...] = ("dense_macs", "effectual_macs")

INTEGER_COLUMNS: frozenset[str] = frozenset(
    {"cycles", "useful_macs", "skipped_macs", "dram_bytes_read", "dram_bytes_written",
     "dram_bytes", "sim_events", "dense_macs", "effectual_macs"})

COMPONENT_PREFIX = "e_"
COMPONENT_SUFFIX = "_pj"
DATA_TYPE_PREFIX = "data_"

#: Relative tolerance for "energy_by_component sums to energy_pj" (float summation order).
ENERGY_SUM_RTOL = 1e-6


class _ColumnFamily:
    """Energy columns named ``<prefix><key>_pj`` (components, data types): the column of
    a key, whether a column is one, a table's such columns in order, a column's key."""

    def __init__(self, prefix: str):
        self.prefix = prefix

    def column(self, key: str) -> str:
        return f"{self.prefix}{key}{COMPONENT_SUFFIX}"

    def holds(self, column: str) -> bool:
        return (column.startswith(self.prefix) and column.endswith(COMPONENT_SUFFIX)
                and len(column) > len(self.prefix) + len(COMPONENT_SUFFIX))

    def columns(self, table: Any) -> list[str]:
        return [c for c in getattr(table, "columns", table) if self.holds(c)]

    def key(self, column: str) -> str:
        return column[len(self.prefix):-len(COMPONENT_SUFFIX)]


_COMPONENTS = _ColumnFamily(COMPONENT_PREFIX)
_DATA_TYPES = _ColumnFamily(DATA_TYPE_PREFIX)


# ``e_<component>_pj``: a component's energy in pJ; ``data_<type>_pj``: a data type's.
# ``*_columns`` take a per-layer table (a DataFrame, or the column names) and keep its order.
component_column = _COMPONENTS.column
is_component_column = _COMPONENTS.holds
component_columns = _COMPONENTS.columns
component_of = _COMPONENTS.key            # the inverse of component_column
data_type_column = _DATA_TYPES.column
is_data_type_column = _DATA_TYPES.holds
data_type_columns = _DATA_TYPES.columns
data_type_of = _DATA_TYPES.key            # the inverse of data_type_column


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, bool, Number))


#: Nested mappings of extra keys are flattened into ``key.sub`` columns to this depth.
MAX_FLATTEN_DEPTH = 2


def _flatten(prefix: str, mapping: Mapping, depth: int) -> dict[str, Any]:
    """``{"tiling": {"tm": 16}}`` -> ``{"tiling.tm": 16}``; non-scalar leaves and levels
    deeper than ``MAX_FLATTEN_DEPTH`` are left out."""
    out: dict[str, Any] = {}
    for sub, value in mapping.items():
        name = f"{prefix}.{sub}"
        if _is_scalar(value):
            out[name] = value
        elif isinstance(value, Mapping) and depth < MAX_FLATTEN_DEPTH:
            out.update(_flatten(name, value, depth + 1))
    return out


def as_result_dict(result: Any, index: int = 0) -> dict:
    """A layer result as a plain dict (accepts a mapping or an object with ``to_dict()``)."""
    if isinstance(result, Mapping):
        return dict(result)
    to_dict = getattr(result, "to_dict", None)
    if callable(to_dict):
        data = to_dict()
        if isinstance(data, Mapping):
            return dict(data)
    raise TypeError(f"layer result #{index} must be a mapping or have to_dict(); got {type(result).__name__}")


def _check_energy_map(where: str, key: str, mapping: Any) -> dict[str, float]:
    if not isinstance(mapping, Mapping):
        raise ValueError(f"{where}: '{key}' must be a mapping of name -> pJ, got {type(mapping).__name__}")
    out: dict[str, float] = {}
    for name, value in mapping.items():
        if not isinstance(value, Number) or isinstance(value, bool) or not math.isfinite(float(value)):
            raise ValueError(f"{where}: {key}[{name!r}] must be a finite number of pJ, got {value!r}")
        if float(value) < 0:
            raise ValueError(f"{where}: {key}[{name!r}] must be >= 0 pJ, got {value}")
        out[str(name)] = float(value)
    return out


def layer_row(result: Any, index: int = 0, roofs: Mapping[str, Any] | None = None) -> dict:
    """One flat table row (a dict) for one layer result; validates the result.

    Raises ``ValueError`` naming the layer and the field when a required key is
    missing, a number is negative or not finite, utilization is outside [0, 1], or
    energy_by_component (or energy_by_data_type, when given) does not sum to energy_pj
    (relative tolerance ``ENERGY_SUM_RTOL``). With ``roofs`` (the design's
    :data:`reports.metrics.ROOF_KEYS`) the row gets the roofline metrics too.
    """
    data = as_result_dict(result, index)
    where = f"layer result #{index} ({data.get('name', '?')!r})"
    missing = [k for k in REQUIRED_KEYS if k not in data]
    if missing:
        raise ValueError(f"{where}: missing field(s) {missing}; required: {list(REQUIRED_KEYS)}")
    for key in SUMMED_COLUMNS:
        if key == "dram_bytes":
            continue
        value = data[key]
        if not isinstance(value, Number) or isinstance(value, bool) or not math.isfinite(float(value)) or value < 0:
            raise ValueError(f"{where}: '{key}' must be a finite number >= 0, got {value!r}")
    util = data["utilization"]
    if not isinstance(util, Number) or not (0.0 <= float(util) <= 1.0 + 1e-9):
        raise ValueError(f"{where}: 'utilization' must be a fraction in [0, 1], got {util!r}")
    by_comp = _check_energy_map(where, "energy_by_component", data["energy_by_component"])
    _check_energy_map(where, "energy_by_action", data["energy_by_action"])
    energy = float(data["energy_pj"])
    comp_sum = math.fsum(by_comp.values())
    if abs(comp_sum - energy) > ENERGY_SUM_RTOL * max(1.0, abs(energy)):
        raise ValueError(f"{where}: energy_by_component sums to {comp_sum!r} pJ but energy_pj is {energy!r} pJ")
    by_type = _check_energy_map(where, "energy_by_data_type", data.get("energy_by_data_type") or {})
    type_sum = math.fsum(by_type.values())
    if by_type and abs(type_sum - energy) > ENERGY_SUM_RTOL * max(1.0, abs(energy)):
        raise ValueError(f"{where}: energy_by_data_type sums to {type_sum!r} pJ but energy_pj is {energy!r} pJ")

    row: dict[str, Any] = {
        "name": str(data["name"]), "kind": str(data["kind"]), "strategy": str(data["strategy"]),
        "cycles": int(data["cycles"]), "time_s": float(data["time_s"]), "energy_pj": energy,
        "useful_macs": int(data["useful_macs"]), "skipped_macs": int(data["skipped_macs"]),
        "dram_bytes_read": int(data["dram_bytes_read"]),
        "dram_bytes_written": int(data["dram_bytes_written"]),
        "dram_bytes": int(data["dram_bytes_read"]) + int(data["dram_bytes_written"]),
        "utilization": min(float(util), 1.0),
        "outputs_match_reference": bool(data["outputs_match_reference"]),
        "sim_events": int(data["sim_events"]), "wall_s": float(data["wall_s"]),
    }
    for key, value in data.items():
        if key in row or key in REQUIRED_KEYS or key in METRICS or key == "energy_by_data_type":
            continue
        if _is_scalar(value):
            row[key] = value
        elif isinstance(value, Mapping):
            row.update(_flatten(str(key), value, depth=1))
    row.update(efficiency(row, roofs))
    for comp, pj in by_comp.items():
        row[component_column(comp)] = pj
    for dtype, pj in by_type.items():
        row[data_type_column(dtype)] = pj
    return row


def result_dicts(results: Iterable[Any]) -> list[dict]:
    """Layer results as plain dicts (:func:`as_result_dict`); at least one is required."""
    dicts = [as_result_dict(r, i) for i, r in enumerate(results)]
    if not dicts:
        raise ValueError("no layer results given (need at least one layer)")
    return dicts


def is_energy_column(key: str) -> bool:
    """An ``e_<component>_pj`` or ``data_<type>_pj`` column (0 pJ where a layer lacks it)."""
    return is_component_column(key) or is_data_type_column(key)


def row_columns(rows: Sequence[Mapping]) -> list[str]:
    """Column order for flat layer rows: ``LAYER_COLUMNS``, extra keys (metrics among
    them), ``e_*_pj`` columns, ``data_*_pj`` columns."""
    comp_cols: list[str] = []
    type_cols: list[str] = []
    extra_cols: list[str] = []
    for row in rows:
        for key in row:
            if key in LAYER_COLUMNS:
                continue
            target = type_cols if is_data_type_column(key) else comp_cols if is_energy_column(key) else extra_cols
            if key not in target:
                target.append(key)
    return list(LAYER_COLUMNS) + extra_cols + comp_cols + type_cols


def energy_by_action_totals(results: Iterable[Any]) -> dict[str, float]:
    """Network energy per action (pJ), summed over layers, largest first."""
    totals: dict[str, float] = {}
    for i, r in enumerate(result_dicts(results)):
        where = f"layer result #{i} ({r.get('name', '?')!r})"
        for act, pj in _check_energy_map(where, "energy_by_action", r.get("energy_by_action", {})).items():
            totals[act] = totals.get(act, 0.0) + pj
    return dict(sorted(totals.items(), key=lambda kv: -kv[1]))


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _column_sum(rows: Sequence[Mapping], key: str, integer: bool) -> int | float:
    """Sum of one column over the rows, a missing value counting 0. Whole numbers are
    summed exactly; floats with NumPy's pairwise summation, as a DataFrame column sums."""
    values = [0 if _missing(r.get(key)) else r[key] for r in rows]
    if integer and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
        return int(sum(int(v) for v in values))
    total = float(np.asarray(values, dtype=float).sum())
    return int(total) if integer else total


def rows_summary(rows: Sequence[Mapping], energy_by_action: Mapping[str, float] | None = None,
                 roofs: Mapping[str, Any] | None = None) -> dict:
    """Network totals of flat layer rows (:func:`layer_row`), as a JSON-ready dict: the
    keys of :func:`reports.tables.network_summary`, which gives the same for a table."""
    if not rows:
        raise ValueError("per-layer table is empty (need at least one layer)")
    columns = row_columns(rows)
    present = {key for row in rows for key in row}
    summary: dict[str, Any] = {"layers": len(rows)}
    for col in SUMMED_COLUMNS + tuple(c for c in OPTIONAL_SUMMED if c in present):
        summary[col] = _column_sum(rows, col, col in INTEGER_COLUMNS)
    cycles = np.asarray([float(r["cycles"]) for r in rows])
    utilization = np.asarray([float(r["utilization"]) for r in rows])
    total_cycles = float(cycles.sum())
    summary["utilization"] = float((utilization * cycles).sum() / total_cycles) if total_cycles else 0.0
    summary["outputs_match_reference"] = all(bool(r.get("outputs_match_reference")) for r in rows)
    summary["energy_by_component"] = {component_of(c): _column_sum(rows, c, False)
                                      for c in component_columns(columns)}
    if energy_by_action is not None:
        summary["energy_by_action"] = {str(k): float(v) for k, v in energy_by_action.items()}
    if data_type_columns(columns):
        summary["energy_by_data_type"] = {data_type_of(c): _column_sum(rows, c, False)
                                          for c in data_type_columns(columns)}
    areas = [float(r["area_mm2"]) for r in rows if not _missing(r.get("area_mm2"))]
    if areas:
        summary["area_mm2"] = max(areas)
    summary.update(efficiency(summary, roofs))
    return summary

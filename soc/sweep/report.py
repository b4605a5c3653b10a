"""The files a finished sweep writes next to its table: ``pareto.csv`` and the report
(``report.html`` and ``plots/``), made from the table and the canonical sweep stored in
it, so that ``socsim sweep --report DIR`` rebuilds them from ``DIR/results.parquet``
alone."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from soc.sweep.metrics import front_pairs
from soc.sweep.pareto import front_mask, pareto_table
from soc.sweep.points import ID_COLUMNS
from soc.sweep.store import PARETO, read_table

#: Energy and latency metric of each engine, for the axis-effects plot.
EFFECT_METRICS = {"vector": ("energy_pj", "time_s"), "spatial": ("energy_mac_units", "time_s")}


def write_outputs(out: Path, table: pd.DataFrame, canonical: dict) -> dict[str, Path]:
    """Write ``out/pareto.csv`` and the report; returns the paths written."""
    from reports.sweep import write_sweep_report
    engine = canonical.get("engine", "vector")
    axes = list(canonical.get("axes", {}))
    ids = [*ID_COLUMNS, *axes]
    objectives = list(canonical.get("objectives", []))
    pairs = front_pairs(engine, objectives, table.columns)
    fronts = {p: front_mask(table, list(p)) for p in pairs}
    out.mkdir(parents=True, exist_ok=True)
    pareto = pareto_table(table, pairs, [c for c in ids if c in table.columns])
    pareto.to_csv(out / PARETO, index=False)
    workloads = ", ".join(w["label"] for w in canonical.get("workloads", []))
    title = f"Sweep of {canonical.get('arch') or 'the default design'} on {workloads} ({engine} engine)"
    paths = write_sweep_report(out, table, title=title, axes=axes, objectives=objectives,
                               constraints=list(canonical.get("constraints", [])), pairs=pairs, fronts=fronts,
                               id_columns=ids, record=canonical, effect_metrics=EFFECT_METRICS[engine])
    return {"pareto": out / PARETO, **paths}


def rebuild_report(out: str | Path) -> dict[str, Path]:
    """Rebuild pareto.csv and the report of a sweep directory from its table alone."""
    table, canonical = read_table(out)
    return write_outputs(Path(out), table, canonical)

"""Metrics of a sweep point: a run's summary flattened into numeric columns, the derived
energy-delay product, objective names (with their short aliases) and constraints.

A metric is any numeric key of the summary an engine returns for a point, so a quantity
added to the summaries later (an area or a power estimate) becomes a metric of every
sweep without a change here. Nested mappings are flattened: energy by component becomes
``e_<component>_pj`` (the column names of :mod:`reports.tables`), energy by action
``action_<action>_pj``, a mapping ``<what>_by_<part>_<unit>`` becomes ``<what>_<sub>_<unit>``
(``area_by_component_mm2`` -> ``area_nbin_mm2`` ...), any other mapping ``<key>_<sub>``;
a key named like a run axis
gets the prefix ``measured_`` (``measured_weight_density``: the fraction of weights
kept over the simulated layers, whatever the axis asked). Keys that differ from run to
run of the same point (wall time, memory) are not metrics; the sweep records its own
provenance in ``run_*`` columns instead.

Derived metric (stated here): ``edp_pj_s`` = ``energy_pj`` x ``time_s`` (energy-delay
product, pJ.s) on the vector engine; ``edp_mac_s`` = ``energy_mac_units`` x ``time_s``
on the spatial engine.
"""
from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass
from numbers import Number
from typing import Any, Callable, Iterable, Mapping

from soc.sweep.errors import SweepError

#: Summary keys that are not metrics: they change from one run of a point to the next,
#: or they identify the run rather than measure it.
NOT_METRICS = frozenset({"wall_s", "peak_rss_mb", "seed", "strategy_forced", "status", "arch", "network",
                         "sim_wall_s"})

#: Axes that are not design paths (defined here: a summary key of the same name, such as
#: the measured ``weight_density``, becomes the metric ``measured_<name>``).
RUN_AXES = ("arch", "dataflow", "batch", "seed", "weight_density", "input_density", "block", "strategy")

#: Short names accepted in ``objectives`` and ``constraints``, per engine.
ALIASES: dict[str, dict[str, str]] = {
    "vector": {"energy": "energy_pj", "latency": "time_s", "delay": "time_s", "area": "area_mm2",
               "power": "power_mw", "edp": "edp_pj_s"},
    "spatial": {"energy": "energy_mac_units", "latency": "time_s", "delay": "time_s", "area": "storage_area",
                "edp": "edp_mac_s"},
}

#: The fronts written to pareto.csv besides every pair of objectives (when both metrics
#: exist): energy against latency, and energy-delay product against area.
DEFAULT_PAIRS: dict[str, tuple[tuple[str, str], ...]] = {
    "vector": (("energy_pj", "time_s"), ("edp_pj_s", "area_mm2")),
    "spatial": (("energy_mac_units", "time_s"), ("edp_mac_s", "storage_area")),
}


def front_pairs(engine: str, objectives: Iterable[str], available: Iterable[str]) -> list[tuple[str, str]]:
    """The two-objective fronts of a sweep: the engine's default pairs, then every pair of
    objectives, each when both metrics are ``available``."""
    have = set(available)
    objs = list(objectives)
    pairs = [p for p in DEFAULT_PAIRS.get(engine, ()) if set(p) <= have]
    for i in range(len(objs)):
        for j in range(i + 1, len(objs)):
            p = (objs[i], objs[j])
            if set(p) <= have and p not in pairs and (p[1], p[0]) not in pairs:
                pairs.append(p)
    return pairs


def _is_number(value: Any) -> bool:
    return isinstance(value, Number) and not isinstance(value, bool)


_BY_PART = re.compile(r"^([a-z0-9]+)_by_[a-z]+_([a-z0-9]+)$")  # area_by_component_mm2 -> area, mm2


def flatten_summary(summary: Mapping[str, Any]) -> dict[str, float]:
    """The numeric keys of a summary as flat metric columns (module doc for the names)."""
    out: dict[str, float] = {}
    for key, value in summary.items():
        if key in NOT_METRICS:
            continue
        if isinstance(value, Mapping):
            for sub, v in value.items():
                if not _is_number(v):
                    continue
                unit = _BY_PART.match(key)
                if key == "energy_by_component":
                    out[f"e_{sub}_pj"] = float(v)
                elif key == "energy_by_action":
                    out[f"action_{sub}_pj"] = float(v)
                elif unit:
                    out[f"{unit.group(1)}_{sub}_{unit.group(2)}"] = float(v)
                else:
                    out[f"{key}_{sub}"] = float(v)
        elif _is_number(value):
            name = f"measured_{key}" if key in RUN_AXES else key
            out[name] = value if isinstance(value, int) else float(value)
    return out


def add_derived(metrics: dict[str, float], engine: str) -> dict[str, float]:
    """``metrics`` with the energy-delay product of its engine added."""
    energy = "energy_pj" if engine == "vector" else "energy_mac_units"
    name = "edp_pj_s" if engine == "vector" else "edp_mac_s"
    if energy in metrics and "time_s" in metrics:
        metrics[name] = float(metrics[energy]) * float(metrics["time_s"])
    return metrics


def resolve_metric(name: str, engine: str) -> str:
    """A metric name with its alias expanded (``energy`` -> ``energy_pj`` ...)."""
    return ALIASES.get(engine, {}).get(name, name)


def check_metric(name: Any, known: Iterable[str], engine: str, where: str) -> str:
    """``name`` (alias expanded) if it is a known metric, else :class:`SweepError`."""
    known = sorted(known)
    if not isinstance(name, str):
        raise SweepError(f"{where}: a metric name is a string, got {name!r}")
    metric = resolve_metric(name, engine)
    if metric not in known:
        aliases = ", ".join(f"{a}={m}" for a, m in ALIASES.get(engine, {}).items() if m in known)
        raise SweepError(f"{where}: {name!r} is not a metric of this sweep ({engine} engine); allowed: "
                         f"{', '.join(known)}" + (f" (aliases: {aliases})" if aliases else ""))
    return metric


OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt, "==": operator.eq, "!=": operator.ne}
_CONSTRAINT = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(<=|>=|==|!=|<|>)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")


@dataclass(frozen=True)
class Constraint:
    """``metric op bound``, e.g. ``area_mm2 <= 5``. A point violating it is kept in the
    table (``feasible`` false) and left out of the Pareto fronts."""
    metric: str
    op: str
    bound: float

    @property
    def text(self) -> str:
        return f"{self.metric} {self.op} {self.bound:g}"

    def holds(self, row: Mapping[str, Any]) -> bool:
        value = row.get(self.metric)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return False
        return bool(OPERATORS[self.op](float(value), self.bound))

    def violation(self, row: Mapping[str, Any]) -> float:
        """How far a row is from satisfying the constraint (<= 0: satisfied), for the
        search's constrained dominance."""
        value = row.get(self.metric)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return math.inf
        v = float(value)
        if self.op in ("<=", "<"):
            gap = v - self.bound
            return gap if self.op == "<=" or gap != 0 else 1e-12
        if self.op in (">=", ">"):
            gap = self.bound - v
            return gap if self.op == ">=" or gap != 0 else 1e-12
        if self.op == "==":
            return abs(v - self.bound)
        return 0.0 if v != self.bound else 1.0


def parse_constraint(text: Any, known: Iterable[str], engine: str, where: str) -> Constraint:
    """``"area_mm2 <= 5"`` as a :class:`Constraint` on a known metric (aliases allowed)."""
    if not isinstance(text, str):
        raise SweepError(f"{where}: a constraint is a string 'METRIC OP NUMBER' (OP one of "
                         f"{', '.join(OPERATORS)}), got {text!r}")
    m = _CONSTRAINT.match(text)
    if not m:
        raise SweepError(f"{where}: {text!r} is not 'METRIC OP NUMBER' (OP one of {', '.join(OPERATORS)}; "
                         f"for example 'area_mm2 <= 5')")
    metric = check_metric(m.group(1), known, engine, where)
    return Constraint(metric, m.group(2), float(m.group(3)))

"""What every estimator shares: the technology point, the result of one estimate,
the data files, and the scaling rules.

Scaling rules (stated once, used by every estimator):

* Dynamic energy follows C*V^2 with C proportional to feature size, from the primitive
  table's node and voltage (45 nm, 0.9 V): ``(node / 45) * (vdd / 0.9)^2``.
* Area follows the published 6T SRAM bit-cell area of the node (``data/memory.yaml``,
  log-log between the published nodes), for memories and logic alike.
* Leakage power is proportional to area, with a density scaled as
  ``(node / 65) * (vdd / 1.0)`` from its 65 nm, 1.0 V calibration.
* Off-chip DRAM energy is not scaled.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import yaml

from energy.tables import PrimitiveTable, load_table, loglog

DATA_DIR = Path(__file__).parent / "data"


class EstimatorError(ValueError):
    """An estimator asked for a class it does not know, or given attributes out of range."""


@dataclass(frozen=True)
class Tech:
    """A technology point: node (nm) and supply voltage (V)."""
    node_nm: float = 65.0
    vdd_v: float = 1.0


@dataclass(frozen=True)
class Estimate:
    """One instance of a component class: energy per action (pJ), leakage (mW), area (mm^2),
    and how each was obtained."""
    energy_pj: Mapping[str, float]
    leakage_mw: float
    area_mm2: float
    derivation: Mapping[str, str] = field(default_factory=dict)

    def energy(self, action: str) -> float:
        try:
            return self.energy_pj[action]
        except KeyError:
            raise EstimatorError(f"no action {action!r}; allowed: {', '.join(sorted(self.energy_pj))}") from None


@lru_cache(maxsize=None)
def data(name: str) -> dict:
    """A data file of ``energy/estimators/data`` (``memory``, ``arithmetic``, ...)."""
    return yaml.safe_load((DATA_DIR / f"{name}.yaml").read_text())


def primitive() -> PrimitiveTable:
    table = load_table("horowitz-45nm")
    assert isinstance(table, PrimitiveTable)
    return table


def energy_scale(tech: Tech) -> float:
    """C*V^2 scaling of dynamic energy from the primitive table's node and voltage."""
    base = primitive()
    return (tech.node_nm / base.node_nm) * (tech.vdd_v / base.vdd_v) ** 2


def cell_um2(node_nm: float) -> float:
    """Published 6T SRAM bit-cell area at ``node_nm`` (log-log between published nodes)."""
    return loglog({float(p["node_nm"]): float(p["um2"]) for p in data("memory")["area"]["cell_um2"]}, node_nm)


def area_scale(from_nm: float, tech: Tech) -> float:
    """Area of a layout drawn at ``from_nm`` when built at ``tech.node_nm``."""
    return cell_um2(tech.node_nm) / cell_um2(from_nm)


def leakage_scale(tech: Tech) -> float:
    """Leakage density relative to its 65 nm, 1.0 V calibration."""
    return (tech.node_nm / 65.0) * (tech.vdd_v / 1.0)


def fa_bit_pj() -> float:
    """Energy of one full-adder bit at 45 nm, 0.9 V: int_add(8) / 8 (see data/logic.yaml)."""
    return primitive().op("int_add", 8) / 8


def fa_bit_um2() -> float:
    """Area of one full-adder bit at 45 nm: area of int_add(8) / 8."""
    return float(data("arithmetic")["area_um2_45nm"]["int_add"][8]) / 8


def logic_leakage_mw(area_mm2: float, tech: Tech) -> float:
    """Leakage of logic of ``area_mm2`` (at its node) at the logic leakage density."""
    return area_mm2 * float(data("logic")["logic_leak_mw_per_mm2_65nm"]) * leakage_scale(tech)


def need(attrs: Mapping[str, Any], name: str, cls: str, *, low: float = 1, high: float = 1 << 40) -> float:
    """A numeric attribute, checked against its range."""
    if name not in attrs:
        raise EstimatorError(f"{cls}: attribute {name!r} is required")
    value = attrs[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise EstimatorError(f"{cls}: attribute {name} must be a number in [{low:g}, {high:g}], got {value!r}")
    return float(value)

"""Price tables, Accelergy-like: a list of component instances (name, count, and the
primitive parts each instance is built of, each with an estimator class and its
attributes) becomes, per (component, action), an energy in pJ, and per component a
leakage power (mW) and an area (mm^2), both totals over the component's instances.

An action of a component is a sum of actions of its parts (``Use``): a PE's ``mac`` is
one ``multiply`` of its multiplier part, the H-tree's ``hop`` is one word's share of a
``transfer`` over one wire segment. Leakage and area of an instance are the sums over
its parts (each part counted ``count`` times per instance).

Three sources fill a table: the estimators (:func:`price_components`), a fixed design
table (:func:`from_design_table`) and an Accelergy ERT/ART pair
(:mod:`energy.accelergy`). Whatever the source, the actors read the same object.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from energy.estimators import Tech, estimate


@dataclass(frozen=True)
class Part:
    """A primitive inside each instance of a component: ``count`` copies of ``cls``."""
    name: str
    cls: str
    attributes: Mapping[str, Any]
    count: int = 1


@dataclass(frozen=True)
class Use:
    """One action of a component uses ``times`` x ``action`` of its part ``part``."""
    part: str
    action: str
    times: float = 1.0


@dataclass(frozen=True)
class ComponentSpec:
    """A block of the design: ``count`` identical instances built of ``parts``, and its
    actions as uses of the parts, with the unit each action is counted in."""
    name: str
    count: int
    parts: tuple[Part, ...]
    actions: Mapping[str, tuple[Use, ...]]
    per: Mapping[str, str] = field(default_factory=dict)
    memory: str | None = None         # "sram" / "edram" for a buffer (refresh), else None
    size_bytes: int = 0               # capacity of one instance (buffers)


@dataclass
class PriceTable:
    """Energy per (component, action) in pJ; leakage (mW) and area (mm^2) per component,
    totals over its instances; where every number came from."""
    name: str
    node_nm: float
    vdd_v: float
    source: str
    energy: dict[tuple[str, str], float] = field(default_factory=dict)
    leakage_mw: dict[str, float] = field(default_factory=dict)
    area_mm2: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    per: dict[tuple[str, str], str] = field(default_factory=dict)
    derivation: dict[tuple[str, str], str] = field(default_factory=dict)

    def cost(self, component: str, action: str) -> float:
        try:
            return self.energy[(component, action)]
        except KeyError:
            raise KeyError(f"price table {self.name} ({self.source}) has no energy for ({component!r}, {action!r})") from None

    def components(self) -> list[str]:
        return list(dict.fromkeys([c for c, _ in self.energy] + list(self.area_mm2) + list(self.leakage_mw)))

    def actions(self, component: str) -> list[str]:
        return [a for c, a in self.energy if c == component]

    @property
    def total_area_mm2(self) -> float:
        return float(sum(self.area_mm2.values()))

    @property
    def total_leakage_mw(self) -> float:
        return float(sum(self.leakage_mw.values()))

    def as_dict(self) -> dict:
        """JSON-ready: per component its count, energies per action, leakage and area."""
        comps = {}
        for comp in self.components():
            comps[comp] = {"count": self.counts.get(comp, 1),
                           "energy_pj": {a: self.energy[(comp, a)] for a in self.actions(comp)},
                           "per": {a: self.per.get((comp, a), "") for a in self.actions(comp)},
                           "leakage_mw": self.leakage_mw.get(comp, 0.0),
                           "area_mm2": self.area_mm2.get(comp, 0.0)}
        return {"name": self.name, "source": self.source, "node_nm": self.node_nm, "vdd_v": self.vdd_v,
                "components": comps, "total_leakage_mw": self.total_leakage_mw,
                "total_area_mm2": self.total_area_mm2}


def _part_estimates(spec: ComponentSpec, tech: Tech):
    return {p.name: (p, estimate(p.cls, p.attributes, tech)) for p in spec.parts}


def price_components(name: str, components: list[ComponentSpec], tech: Tech) -> PriceTable:
    """Price every component from its parts' estimators."""
    table = PriceTable(name, tech.node_nm, tech.vdd_v, "estimators")
    for spec in components:
        parts = _part_estimates(spec, tech)
        for action, uses in spec.actions.items():
            total, hows = 0.0, []
            for use in uses:
                part, est = parts[use.part]
                total += est.energy(use.action) * use.times
                times = "" if use.times == 1 else f"{use.times:g} x "
                hows.append(f"{times}{use.part}.{use.action} [{part.cls}: {est.derivation.get(use.action, '')}]")
            table.energy[(spec.name, action)] = total
            table.derivation[(spec.name, action)] = " + ".join(hows)
            if action in spec.per:
                table.per[(spec.name, action)] = spec.per[action]
        table.leakage_mw[spec.name] = spec.count * sum(p.count * e.leakage_mw for p, e in parts.values())
        table.area_mm2[spec.name] = spec.count * sum(p.count * e.area_mm2 for p, e in parts.values())
        table.counts[spec.name] = spec.count
    return table


def component_areas(components: list[ComponentSpec], tech: Tech) -> dict[str, float]:
    """Area (mm^2, all instances) of each component from the estimators."""
    return {spec.name: spec.count * sum(p.count * e.area_mm2 for p, e in _part_estimates(spec, tech).values())
            for spec in components}

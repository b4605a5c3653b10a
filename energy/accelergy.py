"""Accelergy interoperability: read an Accelergy energy reference table (ERT) and area
reference table (ART) as the prices of a design, and write a design's prices as an
ERT/ART pair.

File format (as Accelergy 0.3/0.4 writes it)::

    ERT:
      version: '0.4'
      tables:
        - name: system_top_level.shared_glb[1..1]
          actions:
            - {name: read, arguments: {}, energy: 32.377775}      # pJ per action
            - {name: leak, arguments: {global_cycle_seconds: 1e-09}, energy: 0.005353}
    ART:
      version: '0.4'
      tables:
        - {name: system_top_level.shared_glb[1..1], area: 429745.625}   # um^2 per instance

Energies are pJ per action of one instance; ``leak`` is pJ per cycle of one instance
(the cycle is the action's ``global_cycle_seconds`` argument, else the design's clock);
areas are um^2 per instance. Instance counts come from the design, not from the
``[1..N]`` range of the name.

Mapping. A socsim component finds its ERT table by the ``names`` of the design's
``energy`` block (``{pe: system_top_level.mac}``), else by its own name, else by the
aliases of :data:`COMPONENT_ALIASES`; a name matches a table's full name, its name
without the ``[..]`` range, or its last dotted segment (exact case first, then any
case). A socsim action finds its ERT
action by ``names["component.action"]`` (an action name), else by its own name, else
by the aliases of :data:`ACTION_ALIASES`. A value may end in ``*FACTOR`` to scale the
Accelergy energy to socsim's unit (``dram: "system_top_level.DRAM*0.125"``: a 64-bit
DRAM word priced per byte). An action listed with several argument combinations uses
the one without arguments (timing arguments aside), else the most expensive one.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from energy.estimators import Tech
from energy.pricetable import ComponentSpec, PriceTable, component_areas

VERSION = "0.4"
TIMING_ARGUMENTS = ("global_cycle_seconds", "action_latency_cycles", "cycle_seconds")
COMPONENT_ALIASES: dict[str, tuple[str, ...]] = {
    "dram": ("DRAM", "main_memory", "offchip"),
    "pe": ("mac", "PE"),
    "htree": ("noc", "network", "NoC"),
}
ACTION_ALIASES: dict[str, tuple[str, ...]] = {
    "read": ("read",),
    "write": ("write", "update", "fill"),
    "mac": ("mac", "mac_random", "compute", "multiply"),
    "add": ("add", "accumulate"),
    "hop": ("hop", "transfer"),
    "decode": ("decode", "read"),
    "compare": ("compare",),
    "nonlinear": ("nonlinear", "read"),
}


class AccelergyError(ValueError):
    """An ERT or ART that cannot be read, or lacks what the design needs; the message
    names the file, the component and the action."""


def _strip_range(name: str) -> str:
    return re.sub(r"\[[^\]]*\]$", "", name)


def _base(name: str) -> str:
    return _strip_range(name).split(".")[-1]


def _find(keys: Iterable[str], name: str) -> str | None:
    keys = list(keys)
    for fold in (str, str.casefold):
        for key in keys:
            if fold(name) in (fold(key), fold(_strip_range(key)), fold(_base(key))):
                return key
    return None


def _load(path: str | Path, key: str) -> list[dict]:
    path = Path(path)
    if not path.is_file():
        raise AccelergyError(f"{path}: no such {key} file")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise AccelergyError(f"{path}:{f' line {mark.line + 1}' if mark else ''} not valid YAML") from None
    if not isinstance(data, dict) or not isinstance(data.get(key), dict) or \
            not isinstance(data[key].get("tables"), list):
        raise AccelergyError(f"{path}: not an Accelergy {key} (expected '{key}: {{version: ..., tables: [...]}}')")
    for i, entry in enumerate(data[key]["tables"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise AccelergyError(f"{path}: {key}.tables[{i}]: each entry needs a 'name'")
    return data[key]["tables"]


def _number(path: Path, where: str, value: Any) -> float:
    """A number >= 0; YAML 1.1 reads '1e-09' (no dot) as a string, so numeric strings count."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise AccelergyError(f"{path}: {where}: must be a number >= 0, got {value!r}")
    return float(value)


class ERT:
    """An Accelergy energy reference table: per component, per action, the energy (pJ)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.tables: dict[str, dict[str, list[tuple[dict, float]]]] = {}
        for i, entry in enumerate(_load(self.path, "ERT")):
            actions: dict[str, list[tuple[dict, float]]] = {}
            for j, act in enumerate(entry.get("actions") or []):
                if not isinstance(act, dict) or "name" not in act or "energy" not in act:
                    raise AccelergyError(f"{self.path}: {entry['name']}: actions[{j}] needs 'name' and 'energy'")
                energy = _number(self.path, f"{entry['name']}.{act['name']}.energy", act["energy"])
                actions.setdefault(str(act["name"]), []).append((dict(act.get("arguments") or {}), energy))
            self.tables[entry["name"]] = actions

    def find(self, name: str) -> str | None:
        """The table matching ``name`` (full name, without range, or last segment; exact
        case first, then any case)."""
        return _find(self.tables, name)

    def energy(self, table: str, action: str) -> tuple[float, dict] | None:
        """(pJ, arguments) of ``action`` of ``table``: the entry without arguments (timing
        arguments aside), else the most expensive one."""
        entries = self.tables[table].get(action)
        if not entries:
            return None
        plain = [(a, e) for a, e in entries if not (set(a) - set(TIMING_ARGUMENTS))]
        args, energy = plain[0] if plain else max(entries, key=lambda ae: ae[1])
        return energy, args


class ART:
    """An Accelergy area reference table: per component, the area of one instance (um^2)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.areas: dict[str, float] = {}
        for entry in _load(self.path, "ART"):
            if "area" not in entry:
                raise AccelergyError(f"{self.path}: {entry['name']}: needs 'area'")
            self.areas[entry["name"]] = _number(self.path, f"{entry['name']}.area", entry["area"])

    def find(self, name: str) -> str | None:
        return _find(self.areas, name)


def _scaled(value: str) -> tuple[str, float]:
    name, star, factor = value.rpartition("*")
    if star and re.fullmatch(r"\s*[0-9.eE+-]+\s*", factor):
        return name.strip(), float(factor)
    return value.strip(), 1.0


def _component(ert_or_art, comp: str, names: Mapping[str, str]) -> tuple[str | None, float, list[str]]:
    tried = []
    if comp in names:
        target, factor = _scaled(names[comp])
        tried.append(target)
        return ert_or_art.find(target), factor, tried
    for candidate in (comp,) + COMPONENT_ALIASES.get(comp, ()):
        tried.append(candidate)
        found = ert_or_art.find(candidate)
        if found is not None:
            return found, 1.0, tried
    return None, 1.0, tried


def price_from_accelergy(name: str, ert_path: str | Path, art_path: str | Path | None,
                         components: Iterable[ComponentSpec], names: Mapping[str, str], cycle_s: float,
                         tech: Tech) -> PriceTable:
    """The price table of ``components`` from an ERT (and ART). Every action of every
    component must be found; areas come from the ART when given, else the estimators."""
    components = list(components)
    ert = ERT(ert_path)
    art = ART(art_path) if art_path else None
    table = PriceTable(name, tech.node_nm, tech.vdd_v, f"accelergy {ert.path}" + (f" + {art.path}" if art else ""))
    fallback_area = component_areas(components, tech) if art is None else {}
    known = {c.name for c in components} | {f"{c.name}.{a}" for c in components for a in c.actions}
    unknown = sorted(set(names) - known)
    if unknown:
        raise AccelergyError(f"energy.names: {', '.join(unknown)}: not a component or component.action of this "
                             f"design; allowed: {', '.join(sorted(known))}")
    for spec in components:
        found, factor, tried = _component(ert, spec.name, names)
        if found is None:
            raise AccelergyError(f"{ert.path}: no component for socsim component {spec.name!r} (looked for "
                                 f"{', '.join(repr(t) for t in tried)}; give energy.names.{spec.name}); "
                                 f"the ERT has: {', '.join(ert.tables)}")
        for action in spec.actions:
            key = f"{spec.name}.{action}"
            act_factor, candidates = 1.0, (action,) + ACTION_ALIASES.get(action, ())
            table_name = found
            if key in names:
                target, act_factor = _scaled(names[key])
                owner, _, act = target.rpartition(".")
                if owner and ert.find(owner) is not None:
                    table_name, candidates = ert.find(owner), (act,)
                else:
                    candidates = (target,)
            got = None
            for candidate in dict.fromkeys(candidates):
                got = ert.energy(table_name, candidate)
                if got is not None:
                    break
            if got is None:
                raise AccelergyError(
                    f"{ert.path}: component {table_name!r} (socsim {spec.name}) has no action for {action!r} "
                    f"(looked for {', '.join(repr(c) for c in dict.fromkeys(candidates))}; give "
                    f"energy.names.{key}); it has: {', '.join(ert.tables[table_name]) or 'no actions'}")
            energy, args = got
            scale = act_factor if key in names else factor
            table.energy[(spec.name, action)] = energy * scale
            table.per[(spec.name, action)] = spec.per.get(action, "")
            table.derivation[(spec.name, action)] = f"{ert.path}: {table_name}.{candidate}" + \
                (f" x {scale:g}" if scale != 1 else "")
        leak = ert.energy(found, "leak")
        per_instance = 0.0
        if leak is not None:
            seconds = _number(ert.path, f"{found}.leak.arguments.global_cycle_seconds",
                              leak[1].get("global_cycle_seconds", cycle_s))
            per_instance = leak[0] * 1e-9 / seconds     # pJ per cycle -> mW
        table.leakage_mw[spec.name] = per_instance * spec.count
        table.counts[spec.name] = spec.count
        if art is not None:
            target = _component(art, spec.name, names)[0]
            table.area_mm2[spec.name] = (art.areas[target] * 1e-6 * spec.count) if target else 0.0
        else:
            table.area_mm2[spec.name] = fallback_area[spec.name]
    return table


def write_ert(table: PriceTable, path: str | Path, cycle_s: float, prefix: str) -> Path:
    """Write ``table`` as an Accelergy ERT: per instance, pJ per action and ``leak`` pJ per cycle."""
    tables = []
    for comp in table.components():
        count = table.counts.get(comp, 1)
        actions = [{"name": a, "arguments": {}, "energy": float(table.energy[(comp, a)])} for a in table.actions(comp)]
        leak_mw = table.leakage_mw.get(comp, 0.0) / count
        actions.append({"name": "leak", "arguments": {"global_cycle_seconds": cycle_s, "action_latency_cycles": 1},
                        "energy": float(leak_mw * cycle_s * 1e9)})
        tables.append({"name": f"{prefix}.{comp}[1..{count}]", "actions": actions})
    path = Path(path)
    path.write_text(yaml.safe_dump({"ERT": {"version": VERSION, "tables": tables}}, sort_keys=False))
    return path


def write_art(table: PriceTable, path: str | Path, prefix: str) -> Path:
    """Write ``table``'s areas as an Accelergy ART: um^2 per instance."""
    tables = [{"name": f"{prefix}.{comp}[1..{table.counts.get(comp, 1)}]",
               "area": float(table.area_mm2.get(comp, 0.0) / table.counts.get(comp, 1) * 1e6)}
              for comp in table.components()]
    path = Path(path)
    path.write_text(yaml.safe_dump({"ART": {"version": VERSION, "tables": tables}}, sort_keys=False))
    return path

"""Choose each dataflow's best legal mapping of a layer within the hardware budget.

For every rule a dataflow allows (:mod:`soc.spatial.dataflows`), the RF gets the
smallest size in ``SpatialArch.rf_choices`` that holds the PE's tile (none for NLR)
and the GLB gets the rest of the storage area (:mod:`soc.spatial.area`). The GLB tile
starts as the whole layer and shrinks along the rule's preferred dimensions, one
divisor step at a time, until it fits. Among all fitting mappings the one with the
lowest total energy per MAC (closed-form counts, the chosen energy table) wins; ties go
to fewer compute cycles. The search is exhaustive over the rule lists, so it is
deterministic.
"""
from __future__ import annotations

from soc.spatial import area
from soc.spatial.accounting import accesses, energy_per_mac
from soc.arch.spatial import SpatialArch
from soc.spatial.dataflows import nlr, os as os_, rs, ws
from soc.spatial.loopnest import Mapping, count_words
from soc.spatial.shapes import LayerShape

RULES = {"WS": ws.rules, "OSA": os_.rules_a, "OSB": os_.rules_b, "OSC": os_.rules_c,
         "NLR": nlr.rules, "RS": rs.rules}


class NoMapping(ValueError):
    """No mapping of the dataflow fits the layer on this hardware."""


def _mapping(name: str, sh: LayerShape, rule, glb: dict, rf_bytes: int, glb_bytes: int, wb: int) -> Mapping:
    return Mapping(name, sh, rule.rf, rule.sp, glb, rule.glb_order, rule.dram_order, rule.has_rf,
                   rf_bytes, glb_bytes, wb)


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def _shrink(name, sh, rule, prefs, rf_bytes, glb_bytes, wb, probe: Mapping) -> Mapping | None:
    """Shrink the GLB tile along ``prefs`` until it fits: the first dimension is cut to
    the largest divisor of its pass-tile count that fits (down to 1, then the next)."""
    t1, n1, D = probe.t1, probe.n1, probe.D
    glb = dict(n1)
    glb.update({x: min(v, n1[x]) for x, v in (rule.fixed_glb or {}).items()})

    def fits() -> bool:
        t2 = {x: min(glb[x] * t1[x], D[x]) for x in D}
        return sum(probe.tile_words(t2).values()) * wb <= glb_bytes

    for x in prefs:
        if fits():
            break
        divs = [d for d in _divisors(n1[x]) if d <= glb[x]]
        lo, hi = 0, len(divs) - 1       # binary search for the largest fitting divisor
        best = None
        while lo <= hi:
            mid = (lo + hi) // 2
            glb[x] = divs[mid]
            if fits():
                best, lo = divs[mid], mid + 1
            else:
                hi = mid - 1
        glb[x] = best if best is not None else 1
    if not fits():
        return None
    return _mapping(name, sh, rule, glb, rf_bytes, glb_bytes, wb)


def candidates(shape: LayerShape, dataflow: str, cfg: SpatialArch):
    """Every fitting mapping of ``dataflow`` (deduplicated), in a fixed order."""
    if dataflow not in RULES:
        raise ValueError(f"dataflow must be one of {sorted(RULES)}, got {dataflow!r}")
    wb = cfg.word_bytes
    seen = set()
    for rule in RULES[dataflow](shape, cfg.pes):
        probe = _mapping(dataflow, shape, rule, {}, 0, 0, wb)
        if probe.pes_used > cfg.pes:
            continue
        if rule.has_rf:
            need = probe.rf_words_needed * wb
            fitting = [b for b in cfg.rf_choices if b >= need]
            if not fitting:
                continue
            rf_bytes = fitting[0]
        else:
            rf_bytes = 0
        glb_bytes = area.glb_bytes_for(cfg, rf_bytes)
        for prefs in rule.shrink:
            m = _shrink(dataflow, shape, rule, prefs, rf_bytes, glb_bytes, wb, probe)
            if m is None:
                continue
            key = (tuple(m.t0.values()), tuple(m.spx.values()), tuple(m.g.values()),
                   m.glb_order, m.dram_order, m.has_rf, rf_bytes)
            if key in seen:
                continue
            seen.add(key)
            yield m


def best_mapping(shape: LayerShape, dataflow: str, cfg: SpatialArch) -> Mapping:
    """The lowest-energy fitting mapping of ``dataflow`` for ``shape``."""
    best, best_key = None, None
    for m in candidates(shape, dataflow, cfg):
        c = count_words(m)
        key = (round(energy_per_mac(m, cfg.energy_table, accesses(m, c)), 9), c.compute_cycles)
        if best_key is None or key < best_key:
            best, best_key = m, key
    if best is None:
        raise NoMapping(f"no {dataflow} mapping of layer {shape.name} fits {cfg.pes} PEs and the storage budget")
    return best

"""Choose each dataflow's best legal mapping of a layer within the hardware budget.

For every rule a dataflow allows (:mod:`soc.spatial.dataflows`) the storage comes from
the design's ``storage`` mode:

* ``equal-area``: the RF gets the smallest size in ``SpatialArch.rf_choices`` that
  holds the PE's tile (none for NLR) and the GLB gets the rest of the storage area
  (:mod:`soc.spatial.area`);
* ``fixed``: the RFs and the GLB are the design's; a rule whose PE tile does not fit
  (each data type in its own RF, or all in the shared one) is skipped, and the rule
  generators add tiles sized to the RFs (:func:`rf_words`). NLR uses no RF.

The GLB tile
starts as the whole layer and shrinks along the rule's preferred dimensions, one
divisor step at a time, until it fits. Among all fitting mappings the one with the
lowest total energy per MAC (closed-form counts, the chosen energy table) wins; ties go
to fewer compute cycles. The search is exhaustive over the rule lists, so it is
deterministic.
"""
from __future__ import annotations

from soc.arch.spatial import SpatialArch
from soc.spatial import area
from soc.spatial.accounting import accesses, energy_per_mac
from soc.spatial.dataflows import nlr, rs, ws
from soc.spatial.dataflows import os as os_
from soc.spatial.gating import GATED_READ, layer_zero_macs
from soc.spatial.loopnest import DIMS, Mapping, count_words, divisors
from soc.spatial.shapes import LayerShape

RULES = {"WS": ws.rules, "OSA": os_.rules_a, "OSB": os_.rules_b, "OSC": os_.rules_c,
         "NLR": nlr.rules, "RS": rs.rules}


class NoMapping(ValueError):
    """No mapping of the dataflow fits the layer on this hardware."""


def _mapping(name: str, sh: LayerShape, rule, glb: dict, rf_bytes: int, glb_bytes: int, hw: dict) -> Mapping:
    return Mapping(name, sh, rule.rf, rule.sp, glb, rule.glb_order, rule.dram_order, rule.has_rf,
                   rf_bytes, glb_bytes, **hw)


def hardware(shape: LayerShape, cfg: SpatialArch) -> dict:
    """The Mapping fields that come from the design: word size, split RF (fixed storage),
    GLB banks, multicast, and the MACs a zero operand gates (see soc.spatial.gating)."""
    fixed_split = cfg.rf.split_bytes() if cfg.storage == "fixed" and cfg.rf is not None else None
    hw = {"word_bytes": cfg.word_bytes, "rf_split": fixed_split, "glb_banks": cfg.glb.banks,
          "multicast": cfg.noc.multicast}
    gating = cfg.zero_gating
    if gating.enabled:
        hw["zero_macs"] = float(layer_zero_macs(shape, gating.condition_on, cfg.seed))
        hw["gated_read"] = GATED_READ[gating.condition_on]
    return hw


def rf_words(cfg: SpatialArch) -> dict[str, int] | None:
    """Words each data type may hold in a PE under fixed storage ({"shared": n} for one
    RF); None in the equal-area mode (the RF size is searched there)."""
    if cfg.storage != "fixed" or cfg.rf is None:
        return None
    split = cfg.rf.split_bytes()
    if split is None:
        return {"shared": cfg.rf.total_bytes // cfg.word_bytes}
    return {d: b // cfg.word_bytes for d, b in split.items()}


def _divisors(n: int) -> tuple[int, ...]:
    return divisors(n)


def _shrink(name, sh, rule, prefs, rf_bytes, glb_bytes, hw, probe: Mapping) -> Mapping | None:
    """Shrink the GLB tile along ``prefs`` until it fits: the first dimension is cut to
    the largest divisor of its pass-tile count that fits (down to 1, then the next)."""
    glb = _shrunk_glb(sh, rule, prefs, glb_bytes, hw["word_bytes"], probe)
    return None if glb is None else _mapping(name, sh, rule, glb, rf_bytes, glb_bytes, hw)


def _shrunk_glb(sh, rule, prefs, glb_bytes, wb, probe: Mapping) -> dict | None:
    """The GLB tile of :func:`_shrink` (None when nothing fits). It depends on the PE and
    pass tiles, the rule's GLB bounds and the shrink order, not on the loop orders."""
    t1, n1, D = probe.t1, probe.n1, probe.D
    glb = dict(n1)
    glb.update({x: min(v, n1[x]) for x, v in (rule.fixed_glb or {}).items()})

    U = sh.stride
    (t1n, t1m, t1c, t1p, t1q, t1r, t1s), (dn, dm, dc, dp, dq, dr, ds) = ([t[x] for x in DIMS] for t in (t1, D))

    def fits() -> bool:  # the GLB tile's words (Mapping.tile_words of t2), inlined: called very often
        n, m, c = min(glb["N"] * t1n, dn), min(glb["M"] * t1m, dm), min(glb["C"] * t1c, dc)
        p, q = min(glb["P"] * t1p, dp), min(glb["Q"] * t1q, dq)
        r, s = min(glb["R"] * t1r, dr), min(glb["S"] * t1s, ds)
        words = m * c * r * s + n * c * ((p - 1) * U + r) * ((q - 1) * U + s) + n * m * p * q
        return words * wb <= glb_bytes

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
    return glb


def _storage(rule, probe: Mapping, cfg: SpatialArch) -> tuple[int, int] | None:
    """(RF bytes per PE, GLB bytes) of a rule's mappings, or None when its PE tile fits no RF."""
    if cfg.storage == "fixed":
        if not rule.has_rf:
            return 0, cfg.glb.size_bytes
        if cfg.rf is None or not probe.rf_fits():
            return None
        return cfg.rf.total_bytes, cfg.glb.size_bytes
    if not rule.has_rf:
        return 0, area.glb_bytes_for(cfg, 0)
    need = probe.rf_words_needed * cfg.word_bytes
    fitting = [b for b in cfg.rf_choices if b >= need]
    if not fitting:
        return None
    return fitting[0], area.glb_bytes_for(cfg, fitting[0])


def _tiling(dataflow: str, shape: LayerShape, rule, cfg: SpatialArch, hw: dict) -> tuple:
    """(RF bytes, GLB bytes, the GLB tile for each shrink order) of a rule's tiling, or ()
    when it uses too many PEs or its PE tile fits no RF."""
    probe = _mapping(dataflow, shape, rule, {}, cfg.rf_bytes_per_pe, 0, hw)
    if probe.pes_used > cfg.pes:
        return ()
    storage = _storage(rule, probe, cfg)
    if storage is None:
        return ()
    rf_bytes, glb_bytes = storage
    return rf_bytes, glb_bytes, [_shrunk_glb(shape, rule, prefs, glb_bytes, hw["word_bytes"], probe)
                                 for prefs in rule.shrink]


def candidates(shape: LayerShape, dataflow: str, cfg: SpatialArch):
    """Every fitting mapping of ``dataflow`` (deduplicated), in a fixed order."""
    if dataflow not in RULES:
        raise ValueError(f"dataflow must be one of {sorted(RULES)}, got {dataflow!r}")
    hw = hardware(shape, cfg)
    seen = set()
    # Rules that differ only in their loop orders share the PE and pass tiles, the storage
    # split and the shrunk GLB tiles: those are worked out once per tiling.
    tilings: dict = {}
    for rule in RULES[dataflow](shape, cfg.pes, rf_words(cfg)):
        tiling_key = (tuple(rule.rf.items()), tuple(rule.sp.items()),
                      tuple((rule.fixed_glb or {}).items()), rule.has_rf, rule.shrink)
        known = tilings.get(tiling_key)
        if known is None:
            known = tilings[tiling_key] = _tiling(dataflow, shape, rule, cfg, hw)
        if not known:
            continue
        rf_bytes, glb_bytes, shrunk = known
        for glb in shrunk:
            if glb is None:
                continue
            m = _mapping(dataflow, shape, rule, glb, rf_bytes, glb_bytes, hw)
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
        key = (round(energy_per_mac(m, cfg, accesses(m, c)), 9), c.compute_cycles)
        if best_key is None or key < best_key:
            best, best_key = m, key
    if best is None:
        where = ("the storage budget" if cfg.storage == "equal-area" else
                 "no RF" if cfg.rf is None else f"the design's RFs ({_rf_text(cfg)}) and {cfg.glb.size_bytes} B GLB")
        raise NoMapping(f"no {dataflow} mapping of layer {shape.name} fits {cfg.pes} PEs and {where}")
    return best


def _rf_text(cfg: SpatialArch) -> str:
    split = cfg.rf.split_bytes()
    if split is None:
        return f"{cfg.rf.total_bytes} B shared"
    return ", ".join(f"{d} {b} B" for d, b in split.items())

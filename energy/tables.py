"""Energy tables: data files (YAML) loaded and validated at start.

Three kinds of table ship in ``energy/tables/``:

* ``primitive`` (``horowitz-45nm``): energies of arithmetic operations, SRAM accesses and
  DRAM bits at one technology node, straight from the published source.
* ``normalized`` (``spatial-normalized``): energy per access of each storage level of a
  spatial PE array in units of one MAC.
* ``design`` (``reference-65nm``): the price of every (component, action) of the
  reference accelerator. Its numbers are *derived* from a primitive table by
  :func:`derive_design_table`; the scaling rules are written in that function and next
  to each number in the YAML file, and a test checks the file against the derivation.

Scaling rules (all explicit, all here):

* word width: arithmetic energy is interpolated log-log between the published widths
  (multipliers grow ~quadratically, adders ~linearly); SRAM access energy is linear in
  the accessed width.
* buffer size: SRAM access energy is interpolated log-log in capacity between the
  published sizes (and extrapolated with the nearest segment's slope).
* node: dynamic energy scales as C*V^2 with C proportional to feature size:
  ``(node / base_node) * (vdd / base_vdd)^2``. Off-chip DRAM energy is not node scaled.
"""
from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Literal, Mapping

import yaml
from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, ValidationError

TABLE_DIR = Path(__file__).parent / "tables"


class EnergyTableError(ValueError):
    """An energy table file that cannot be read or is invalid (one line naming the file and field)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class SramPoint(_Strict):
    size_bytes: PositiveFloat
    width_bits: PositiveFloat
    pj: PositiveFloat


class DramAccess(_Strict):
    width_bits: PositiveFloat
    pj: PositiveFloat


def loglog(points: Mapping[float, float] | list[tuple[float, float]], x: float) -> float:
    """Piecewise power law through ``points`` (exact at each; log-log interpolation), the
    nearest segment's slope outside them."""
    pts = sorted(points.items() if isinstance(points, Mapping) else points)
    if len(pts) == 1:
        return pts[0][1]
    if x <= pts[0][0]:
        (x0, y0), (x1, y1) = pts[0], pts[1]
    elif x >= pts[-1][0]:
        (x0, y0), (x1, y1) = pts[-2], pts[-1]
    else:
        i = next(i for i in range(1, len(pts)) if pts[i][0] >= x)
        (x0, y0), (x1, y1) = pts[i - 1], pts[i]
    if x0 == x1:
        return y0
    slope = math.log(y1 / y0) / math.log(x1 / x0)
    return y0 * (x / x0) ** slope


class PrimitiveTable(_Strict):
    kind: Literal["primitive"]
    name: str
    node_nm: PositiveFloat
    vdd_v: PositiveFloat
    unit: Literal["pJ"]
    source: str
    ops: dict[str, dict[int, PositiveFloat]]
    sram: list[SramPoint] = Field(min_length=1)
    dram_access: DramAccess
    dram_pj_per_bit: dict[str, PositiveFloat]
    wire_pj_per_bit_mm: PositiveFloat

    def op(self, name: str, bits: int) -> float:
        """Energy (pJ) of one ``name`` operation on ``bits``-bit operands."""
        if name not in self.ops:
            raise KeyError(f"unknown operation {name!r}; table {self.name} has {sorted(self.ops)}")
        return loglog([(float(b), float(e)) for b, e in self.ops[name].items()], float(bits))

    def sram_access(self, size_bytes: float, width_bits: float) -> float:
        """Energy (pJ) of one access of ``width_bits`` to an SRAM of ``size_bytes``."""
        per_bit = [(p.size_bytes, p.pj / p.width_bits) for p in self.sram]
        # several widths at one size: keep the widest (most efficient) point per size
        best: dict[float, float] = {}
        for size, e in per_bit:
            best[size] = min(e, best.get(size, math.inf))
        return loglog(list(best.items()), size_bytes) * width_bits

    def dram_per_bit(self, technology: str) -> float:
        try:
            return self.dram_pj_per_bit[technology]
        except KeyError:
            raise KeyError(f"unknown DRAM technology {technology!r}; allowed: {sorted(self.dram_pj_per_bit)}") from None


class NormalizedTable(_Strict):
    kind: Literal["normalized"]
    name: str
    unit: Literal["MAC"]
    source: str
    levels: dict[Literal["alu", "rf", "noc", "glb", "dram"], PositiveFloat]

    def cost(self, level: str) -> float:
        return self.levels[level]  # type: ignore[index]


class ActionCost(_Strict):
    pj: float = Field(ge=0)
    per: str
    derivation: str


class StaticValue(_Strict):
    value: float = Field(ge=0)
    unit: str
    derivation: str


class DesignTable(_Strict):
    kind: Literal["design"]
    name: str
    node_nm: PositiveFloat
    vdd_v: PositiveFloat
    unit: Literal["pJ"]
    base: str
    components: dict[str, dict[str, ActionCost]]
    static: dict[str, StaticValue] = {}

    def cost(self, component: str, action: str) -> float:
        try:
            return self.components[component][action].pj
        except KeyError:
            raise KeyError(f"table {self.name} has no cost for ({component!r}, {action!r})") from None

    def static_value(self, name: str) -> float:
        """A static parameter (leakage power in mW, retention time in s, ...); see its unit."""
        try:
            return self.static[name].value
        except KeyError:
            raise KeyError(f"table {self.name} has no static value {name!r}") from None


EnergyTable = PrimitiveTable | NormalizedTable | DesignTable
_KINDS = {"primitive": PrimitiveTable, "normalized": NormalizedTable, "design": DesignTable}


def available_tables() -> list[str]:
    return sorted(p.stem for p in TABLE_DIR.glob("*.yaml"))


def load_table_file(path: Path) -> EnergyTable:
    try:
        data = yaml.safe_load(Path(path).read_text())
    except OSError as exc:
        raise EnergyTableError(f"energy table {path}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise EnergyTableError(f"energy table {path}: not a text file (byte {exc.start} is not UTF-8)") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}:" if mark is not None else ""
        raise EnergyTableError(f"energy table {path}:{where} not valid YAML "
                               f"({getattr(exc, 'problem', None) or exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("kind"), str) or data.get("kind") not in _KINDS:
        got = data.get("kind") if isinstance(data, dict) else type(data).__name__
        raise EnergyTableError(f"energy table {path}: kind: must be one of {sorted(_KINDS)}; got {got!r}")
    try:
        model: type[BaseModel] = _KINDS[data["kind"]]
        return model.model_validate(data)  # type: ignore[return-value]
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}; got {e.get('input')!r}"[:300]
                             for e in exc.errors()[:5])
        raise EnergyTableError(f"energy table {path}: {problems}") from None


@lru_cache(maxsize=None)
def load_table(name: str) -> EnergyTable:
    """Load a shipped table by name (file stem) or a YAML file by path."""
    path = Path(name)
    if not path.suffix:
        path = TABLE_DIR / f"{name}.yaml"
        if not path.exists():
            raise EnergyTableError(f"unknown energy table {name!r}; allowed: {', '.join(available_tables())}, "
                                   f"or a .yaml table file")
    return load_table_file(path)


# ----------------------------------------------------------------------------------
# Derivation of the reference design's table from a primitive table.
# ----------------------------------------------------------------------------------
WORD_BITS = 16
ACC_BITS = 32
HOP_MM = 0.5            # length of one H-tree hop (mm); an assumption of the floorplan
EDRAM_RETENTION_S = 40e-6  # eDRAM retention time: every word is refreshed once per period
# Static power not in the primitive source. CACTI-style estimates at 65 nm (LSTP cells),
# scaled to other nodes like dynamic energy; documented as assumptions, not measurements.
SRAM_LEAK_MW_PER_KB_65 = 0.02
EDRAM_LEAK_MW_PER_KB_65 = 0.005
PE_LEAK_MW_65 = 0.05


def node_scale(base: PrimitiveTable, node_nm: float, vdd_v: float) -> float:
    """C*V^2 scaling of dynamic energy from the base table's node to ``node_nm`` at ``vdd_v``."""
    return (node_nm / base.node_nm) * (vdd_v / base.vdd_v) ** 2


def derive_design_table(base: PrimitiveTable, node_nm: float = 65, vdd_v: float = 1.0,
                        buffer_bytes: dict[str, int] | None = None, dram: str = "lpddr4") -> dict:
    """Price every (component, action) of the reference accelerator.

    Returns the YAML-ready dict of a ``design`` table. Buffer sizes default to docs/hardware.md §2.3.
    """
    sizes = {"nbin": 8192, "nbout": 8192, "sb": 32768, "nibin": 1024, "sib": 1024, "ib": 1024}
    sizes.update(buffer_bytes or {})
    s = node_scale(base, node_nm, vdd_v)
    sfmt = f"x{s:.4f} node scale ({node_nm:g}/{base.node_nm:g} nm)*({vdd_v:g}/{base.vdd_v:g} V)^2"
    comps: dict[str, dict[str, dict]] = {}

    def put(comp: str, action: str, pj: float, per: str, how: str) -> None:
        comps.setdefault(comp, {})[action] = {"pj": round(pj, 6), "per": per, "derivation": how}

    for buf, size in sizes.items():
        e = base.sram_access(size, WORD_BITS) * s
        how = f"SRAM {size} B, {WORD_BITS}-bit access: log-log in size, linear in width from {base.name}; {sfmt}"
        put(buf, "read", e, f"{WORD_BITS}-bit word", how)
        put(buf, "write", e, f"{WORD_BITS}-bit word", how)
    dram_bit = base.dram_per_bit(dram)
    for action in ("read", "write"):
        put("dram", action, dram_bit * 8, "byte", f"{dram} {dram_bit} pJ/bit x 8 (off-chip: not node scaled)")
    add8 = base.op("int_add", 8) * s
    put("nsm", "mask-and", add8 / 32, "mask bit",
        f"1-bit AND ~ 1/4 of a full-adder bit; full-adder bit = int_add(8)/8; {sfmt}")
    put("nsm", "prefix-count", add8, "mask bit",
        f"one 8-bit add per position of the running count = int_add(8); {sfmt}")
    put("nsm", "gather", add8, "selected neuron", f"16-bit mux select ~ int_add(8); {sfmt}")
    hop = WORD_BITS * base.wire_pj_per_bit_mm * HOP_MM * s
    put("htree", "hop", hop, f"{WORD_BITS}-bit word per hop",
        f"{WORD_BITS} bits x {base.wire_pj_per_bit_mm} pJ/bit/mm x {HOP_MM} mm per hop; {sfmt}")
    mult = base.op("int_mult", WORD_BITS) * s
    put("pe", "mac", mult, "16x16 multiply", f"int_mult({WORD_BITS}) log-log between 8 and 32 bits; {sfmt}")
    put("pe", "add", base.op("int_add", ACC_BITS) * s, "adder-tree or accumulator add",
        f"int_add({ACC_BITS}) (accumulator width); {sfmt}")
    put("pe", "decode", base.op("int_add", WORD_BITS) * s, "weight decoded by WDM look-up",
        f"16-entry LUT read ~ int_add({WORD_BITS}); {sfmt}")
    put("pe", "select", add8, "weight selected by SSM", f"16-bit mux select ~ int_add(8); {sfmt}")
    put("pe", "nonlinear", base.op("int_add", WORD_BITS) * s, "output", f"table look-up ~ int_add({WORD_BITS}); {sfmt}")
    put("pe", "index-step", base.op("int_add", WORD_BITS) * s, "step index walked (weight-sparse)",
        f"step add ~ int_add({WORD_BITS}); {sfmt}")
    put("pe", "neuron-select", add8, "neuron selected for a weight by the indexing module (weight-sparse)",
        f"16-bit mux select ~ int_add(8); {sfmt}")
    put("encoder", "compare", base.op("int_add", WORD_BITS) * s, "output checked for zero",
        f"zero compare ~ int_add({WORD_BITS}); {sfmt}")
    put("encoder", "compact", add8, "non-zero output", f"compaction mux ~ int_add(8); {sfmt}")
    put("cp", "decode", base.sram_access(sizes["ib"], 64) * s, "instruction",
        f"64-bit read of the {sizes['ib']} B instruction buffer; {sfmt}")
    put("entropy-decoder", "decode", base.op("int_add", WORD_BITS) * 2 * s, "code word",
        f"table walk ~ 2 x int_add({WORD_BITS}); {sfmt}")

    leak_scale = node_nm / 65
    static = {
        "sram_leak_mw_per_kb": {"value": SRAM_LEAK_MW_PER_KB_65 * leak_scale, "unit": "mW per KB",
                                "derivation": "CACTI-style LSTP estimate at 65 nm, linear in node (assumption)"},
        "edram_leak_mw_per_kb": {"value": EDRAM_LEAK_MW_PER_KB_65 * leak_scale, "unit": "mW per KB",
                                 "derivation": "eDRAM cell leakage ~1/4 of SRAM (assumption); refresh booked separately"},
        "pe_leak_mw": {"value": PE_LEAK_MW_65 * leak_scale, "unit": "mW per PE",
                       "derivation": "logic leakage estimate at 65 nm (assumption)"},
        "edram_retention_s": {"value": EDRAM_RETENTION_S, "unit": "s",
                              "derivation": "eDRAM retention time; each word is read and rewritten once per period"},
    }
    return {"kind": "design", "name": f"reference-{node_nm:g}nm", "node_nm": node_nm, "vdd_v": vdd_v,
            "unit": "pJ", "base": base.name, "components": comps, "static": static}



if __name__ == "__main__":  # pragma: no cover
    import sys
    base = load_table("horowitz-45nm")
    data = derive_design_table(base)  # type: ignore[arg-type]
    sys.stdout.write("# Reference accelerator energy per action (pJ) and static power (mW), derived from\n"
                     "# horowitz-45nm by energy.tables.derive_design_table; each number carries its derivation.\n"
                     "# Regenerate: python -m energy.tables > energy/tables/reference-65nm.yaml\n")
    sys.stdout.write(yaml.safe_dump(data, sort_keys=False, width=200))

"""From words moved to accesses per level and data type, and to energy.

Levels are the ledger's components: ``dram``, ``glb``, ``noc``, ``rf``, ``alu``; actions
are ``read:<dtype>``, ``write:<dtype>``, ``deliver:<dtype>`` (array network, one per
destination PE), ``send:psums`` (a PE sends a partial sum to a neighbour or the GLB),
``mac`` (a partial sum arriving from a neighbour PE is the accumulator's start value
there, so spatial accumulation costs no extra add, as in the Eyeriss model), and for
the GLB side of
DRAM traffic of partial sums ``read-out:psums`` / ``write-in:psums``. The energy by
data type covers the storage levels (DRAM, GLB, NoC, RF); the ALU is its own term, so total = weights + inputs + psums + ALU.

Per level energy costs come from an energy table (:mod:`energy.tables`):

* ``normalized`` tables (``spatial-normalized``): the level costs as given (unit: MAC).
* ``primitive`` tables (``horowitz-45nm``): ALU = 16-bit multiply + 32-bit add;
  RF = SRAM access of the RF size, GLB = SRAM access of the GLB size (both 16-bit,
  log-log interpolated by :meth:`PrimitiveTable.sram_access`); NoC = 16 bits over
  1 mm of wire; DRAM = the table's DRAM access scaled linearly to 16 bits.
* ``design`` tables (``reference-65nm``): ALU = pe.mac + pe.add, RF = nbin.read (the
  smallest buffer), GLB = sb.read, NoC = htree.hop, DRAM = 2 x dram.read (per byte).

RF accesses follow the Eyeriss accounting (Chen et al., ISCA 2016, sec. VI-A): every
MAC reads its weight and its input from the RF (a word delivered by the network and
used once still passes through the RF); a partial sum that visits a PE and is updated
there d times costs 2 (d - 1) RF accesses (read + write per accumulation after the
first), i.e. 2 (MACs - psum visits); the network delivery that fills the RF is booked
at the network, not again at the RF.

The ledger holds pJ for primitive and design tables and MAC units for normalized ones;
energy per MAC is always reported in units of one ALU MAC of the same table.
"""
from __future__ import annotations

from energy.ledger import EnergyLedger
from energy.tables import DesignTable, NormalizedTable, PrimitiveTable, load_table
from soc.spatial.loopnest import DTYPES, Counts, Mapping, count_words

LEVELS = ("dram", "glb", "noc", "rf", "alu")
NOC_WIRE_MM = 1.0  # assumed distance GLB -> PE over the array network (mm)


def level_costs(table_name: str, rf_bytes: int, glb_bytes: int, word_bits: int = 16) -> dict[str, float]:
    """Energy per access of each level (units of the table: MAC or pJ)."""
    try:
        table = load_table(table_name)
    except (ValueError, FileNotFoundError) as exc:
        raise ValueError(f"energy_table: {exc}") from None
    if isinstance(table, NormalizedTable):
        return {lvl: table.cost(lvl) for lvl in LEVELS}
    if isinstance(table, PrimitiveTable):
        return {"alu": table.op("int_mult", word_bits) + table.op("int_add", 2 * word_bits),
                "rf": table.sram_access(max(rf_bytes, 1), word_bits),
                "glb": table.sram_access(glb_bytes, word_bits),
                "noc": word_bits * table.wire_pj_per_bit_mm * NOC_WIRE_MM,
                "dram": table.dram_access.pj * word_bits / table.dram_access.width_bits}
    if isinstance(table, DesignTable):
        return {"alu": table.cost("pe", "mac") + table.cost("pe", "add"),
                "rf": table.cost("nbin", "read"), "glb": table.cost("sb", "read"),
                "noc": table.cost("htree", "hop"), "dram": 2 * table.cost("dram", "read")}
    raise ValueError(f"energy_table: unsupported table kind of {table_name!r}")


def accesses(m: Mapping, c: Counts | None = None) -> dict[tuple[str, str], float]:
    """{(level, action): count} for the whole layer (all groups)."""
    c = c or count_words(m)
    g = m.shape.groups
    out: dict[tuple[str, str], float] = {}

    def add(level: str, action: str, n: float) -> None:
        if n:
            out[(level, action)] = out.get((level, action), 0.0) + n * g

    for d in ("weights", "inputs"):
        add("dram", f"read:{d}", c.F2[d])
        add("glb", f"write:{d}", c.F2[d])
        add("glb", f"read:{d}", c.F1[d])
        add("noc", f"deliver:{d}", c.F0[d])
        if m.has_rf:
            add("rf", f"read:{d}", c.macs)
    O = c.outputs
    f2, f1, f0 = c.F2["psums"], c.F1["psums"], c.F0["psums"]
    add("dram", "write:psums", f2)
    add("dram", "read:psums", f2 - O)
    add("glb", "write:psums", f1)            # from the array
    add("glb", "read:psums", f1 - O)         # back to the array for more accumulation
    add("glb", "read-out:psums", f2)         # to DRAM (evicted or final)
    add("glb", "write-in:psums", f2 - O)     # back from DRAM
    add("noc", "deliver:psums", f1 - O)
    add("noc", "send:psums", f0)
    if m.has_rf:  # accumulations inside the PE: all MACs but the one per psum visit
        add("rf", "read:psums", c.macs - f0)
        add("rf", "write:psums", c.macs - f0)
    add("alu", "mac", c.macs)
    return out


def energy(m: Mapping, acc: dict[tuple[str, str], float], table_name: str) -> dict[tuple[str, str], float]:
    costs = level_costs(table_name, m.rf_bytes, m.glb_bytes, 8 * m.word_bytes)
    return {k: n * costs[k[0]] for k, n in acc.items()}


def energy_per_mac(m: Mapping, table_name: str, acc: dict | None = None) -> float:
    """Total energy per MAC in units of one ALU MAC (the search objective)."""
    acc = acc or accesses(m)
    costs = level_costs(table_name, m.rf_bytes, m.glb_bytes, 8 * m.word_bytes)
    return sum(n * costs[lvl] for (lvl, _), n in acc.items()) / (costs["alu"] * m.shape.macs)


def book(ledger: EnergyLedger, m: Mapping, acc: dict[tuple[str, str], float], table_name: str,
         share: float = 1.0, layer: str | None = None) -> None:
    """Book ``share`` of every access of ``acc`` in the ledger at the table's level costs."""
    costs = level_costs(table_name, m.rf_bytes, m.glb_bytes, 8 * m.word_bytes)
    for (lvl, action), n in acc.items():
        dtype = action.split(":")[1] if ":" in action else "compute"  # the ALU's MACs
        ledger.book(lvl, action, n * share, costs[lvl], layer=layer, data_type=dtype)


def breakdown(ledger: EnergyLedger, m: Mapping, table_name: str) -> dict[str, float]:
    """Energy per MAC (units of one ALU MAC) by level and by data type, from the ledger."""
    costs = level_costs(table_name, m.rf_bytes, m.glb_bytes, 8 * m.word_bytes)
    unit = costs["alu"] * m.shape.macs
    out = {f"e_{lvl}": 0.0 for lvl in LEVELS}
    out.update({f"e_{d}": 0.0 for d in DTYPES})
    for b in ledger.bookings():
        out[f"e_{b.component}"] += b.energy_pj / unit
        if ":" in b.action and b.component != "alu":
            out[f"e_{b.action.split(':')[1]}"] += b.energy_pj / unit
    out["energy_per_mac"] = sum(out[f"e_{lvl}"] for lvl in LEVELS)
    return out

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

* ``normalized`` tables (``spatial-normalized``): the level costs as given (unit: MAC);
  a normalized table has no node, so the design's node does not scale it.
* ``primitive`` tables (``horowitz-45nm``): ALU = 16-bit multiply + 32-bit add;
  RF = SRAM access of the RF size (a split RF: of each data type's RF), GLB = SRAM
  access of one GLB bank (both 16-bit, log-log interpolated by
  :meth:`PrimitiveTable.sram_access`); NoC = 16 bits over 1 mm of wire; DRAM = the
  table's DRAM access scaled linearly to 16 bits.
* ``design`` tables (``reference-65nm``): ALU = pe.mac + pe.add, RF = nbin.read (the
  smallest buffer), GLB = sb.read, NoC = htree.hop, DRAM = 2 x dram.read (per byte).

Primitive and design tables are scaled from the table's node and supply to the
design's ``node_nm`` and ``vdd_v`` (when given) by :func:`energy.tables.node_scale`'s
rule, C V^2: ``(node / table node) x (vdd / table vdd)^2``, on-chip levels only
(off-chip DRAM is not node scaled).

RF accesses follow the Eyeriss accounting (Chen et al., ISCA 2016, sec. VI-A): every
MAC reads its weight and its input from the RF (a word delivered by the network and
used once still passes through the RF); a partial sum that visits a PE and is updated
there d times costs 2 (d - 1) RF accesses (read + write per accumulation after the
first), i.e. 2 (MACs - psum visits); the network delivery that fills the RF is booked
at the network, not again at the RF.

Without multicast (``noc.multicast: false``) the GLB reads a weight or input word once
per destination PE (F0 reads instead of F1) and the network injects every copy.

Zero gating (``zero_gating``; Eyeriss JSSC 2017 sec. V-C, modelled as Sparseloop
models gating): of the MACs whose gating operand is zero (``Mapping.zero_macs``,
counted exactly on the layer's data by :mod:`soc.spatial.gating`), the MAC, the RF read
of the other operand and the partial-sum RF read and write are booked as ``gated-*``
actions at ``gated_energy`` x their normal cost; they still take their cycles. The
partial-sum RF accesses gated are that share of all partial-sum RF accesses
(the zero operands are taken as spread evenly over a partial sum's accumulations).

The ledger holds pJ for primitive and design tables and MAC units for normalized ones;
energy per MAC is always reported in units of one ALU MAC of the same table.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from energy.ledger import EnergyLedger
from energy.tables import DesignTable, NormalizedTable, PrimitiveTable, load_table
from soc.spatial.loopnest import DTYPES, Counts, Mapping, count_words

if TYPE_CHECKING:
    from soc.arch.spatial import SpatialArch

LEVELS = ("dram", "glb", "noc", "rf", "alu")
NOC_WIRE_MM = 1.0  # assumed distance GLB -> PE over the array network (mm)
GATED = "gated-"   # prefix of the actions a zero operand gates


def level_costs(table_name: str, rf_bytes: int, glb_bytes: int, word_bits: int = 16, *,
                rf_split: dict[str, int] | None = None, glb_banks: int = 1,
                node_nm: float | None = None, vdd_v: float | None = None) -> dict[str, float]:
    """Energy per access of each level (units of the table: MAC or pJ). A split RF adds
    ``rf:<dtype>`` entries priced by each data type's RF size (primitive tables)."""
    try:
        table = load_table(table_name)
    except (ValueError, FileNotFoundError) as exc:
        raise ValueError(f"energy_table: {exc}") from None
    if isinstance(table, NormalizedTable):
        return {lvl: table.cost(lvl) for lvl in LEVELS}
    if isinstance(table, PrimitiveTable):
        costs = {"alu": table.op("int_mult", word_bits) + table.op("int_add", 2 * word_bits),
                 "rf": table.sram_access(max(rf_bytes, 1), word_bits),
                 "glb": table.sram_access(glb_bytes / glb_banks, word_bits),
                 "noc": word_bits * table.wire_pj_per_bit_mm * NOC_WIRE_MM,
                 "dram": table.dram_access.pj * word_bits / table.dram_access.width_bits}
        for d, size in (rf_split or {}).items():
            costs[f"rf:{d}"] = table.sram_access(size, word_bits)
    elif isinstance(table, DesignTable):
        costs = {"alu": table.cost("pe", "mac") + table.cost("pe", "add"),
                 "rf": table.cost("nbin", "read"), "glb": table.cost("sb", "read"),
                 "noc": table.cost("htree", "hop"), "dram": 2 * table.cost("dram", "read")}
    else:
        raise ValueError(f"energy_table: unsupported table kind of {table_name!r}")
    scale = ((node_nm / table.node_nm if node_nm is not None else 1.0)
             * ((vdd_v / table.vdd_v) ** 2 if vdd_v is not None else 1.0))
    if scale != 1.0:   # C V^2 scaling of on-chip dynamic energy; DRAM is off-chip
        costs = {k: v if k == "dram" else v * scale for k, v in costs.items()}
    return costs


def mapping_costs(m: Mapping, cfg: "SpatialArch") -> dict[str, float]:
    """The level costs of a mapping on a design (its RF, GLB bank, node and supply)."""
    return level_costs(cfg.energy_table, m.rf_bytes, m.glb_bytes, 8 * m.word_bytes,
                       rf_split=m.rf_split if m.has_rf else None, glb_banks=m.glb_banks,
                       node_nm=cfg.node_nm, vdd_v=cfg.vdd_v)


def action_cost(costs: dict[str, float], level: str, action: str, gated_energy: float = 0.0) -> float:
    """Energy of one access: the level's cost (a split RF: the data type's RF); a gated
    action costs ``gated_energy`` times that."""
    gated = action.startswith(GATED)
    if gated:
        action = action[len(GATED):]
    cost = costs.get(f"{level}:{action.partition(':')[2]}", costs[level]) if level == "rf" else costs[level]
    return cost * gated_energy if gated else cost


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
        add("glb", f"read:{d}", c.F1[d] if m.multicast else c.F0[d])
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
    if m.zero_macs:
        _gate(out, m, c.macs * g)
    return out


def _gate(out: dict[tuple[str, str], float], m: Mapping, macs: float) -> None:
    """Move the gated share of the MACs and RF accesses to ``gated-*`` actions."""
    z = min(m.zero_macs, macs)
    share = z / macs
    moves = [(("alu", "mac"), z)]
    if m.has_rf:
        moves.append((("rf", f"read:{m.gated_read}"), z))
        for action in ("read:psums", "write:psums"):
            moves.append((("rf", action), out.get(("rf", action), 0.0) * share))
    for (level, action), n in moves:
        if n:
            out[(level, action)] -= n
            out[(level, GATED + action)] = n


def energy(m: Mapping, acc: dict[tuple[str, str], float], cfg: "SpatialArch") -> dict[tuple[str, str], float]:
    costs = mapping_costs(m, cfg)
    ge = cfg.zero_gating.gated_energy
    return {k: n * action_cost(costs, k[0], k[1], ge) for k, n in acc.items()}


def energy_per_mac(m: Mapping, cfg: "SpatialArch", acc: dict | None = None) -> float:
    """Total energy per MAC in units of one ALU MAC (the search objective)."""
    acc = acc or accesses(m)
    costs = mapping_costs(m, cfg)
    ge = cfg.zero_gating.gated_energy
    return sum(n * action_cost(costs, lvl, a, ge) for (lvl, a), n in acc.items()) / (costs["alu"] * m.shape.macs)


def book(ledger: EnergyLedger, m: Mapping, acc: dict[tuple[str, str], float], cfg: "SpatialArch",
         share: float = 1.0, layer: str | None = None) -> None:
    """Book ``share`` of every access of ``acc`` in the ledger at the design's level costs."""
    costs = mapping_costs(m, cfg)
    ge = cfg.zero_gating.gated_energy
    for (lvl, action), n in acc.items():
        dtype = action.split(":")[1] if ":" in action else "compute"  # the ALU's MACs
        ledger.book(lvl, action, n * share, action_cost(costs, lvl, action, ge), layer=layer, data_type=dtype)


def breakdown(ledger: EnergyLedger, m: Mapping, cfg: "SpatialArch") -> dict[str, float]:
    """Energy per MAC (units of one ALU MAC) by level and by data type, from the ledger."""
    costs = mapping_costs(m, cfg)
    unit = costs["alu"] * m.shape.macs
    out = {f"e_{lvl}": 0.0 for lvl in LEVELS}
    out.update({f"e_{d}": 0.0 for d in DTYPES})
    for b in ledger.bookings():
        out[f"e_{b.component}"] += b.energy_pj / unit
        if ":" in b.action and b.component != "alu":
            out[f"e_{b.action.split(':')[1]}"] += b.energy_pj / unit
    out["energy_per_mac"] = sum(out[f"e_{lvl}"] for lvl in LEVELS)
    return out

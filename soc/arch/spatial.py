"""The spatial PE array as validated, immutable data (docs/hardware.md §4).

A design is one YAML file (``kind: spatial``; see ``docs/spatial-designs.md``): a grid
of ``array.rows`` x ``array.columns`` PEs, each with register files (``rf``: one shared
by every data type, or one per data type: weights, inputs, partial sums), a global
buffer (``glb``: size, banks), an array network (``noc``: multicast or not), DRAM, a
clock, a technology node, and whether zero operands gate the MAC and the RF accesses
(``zero_gating``). What the simulator does follows from these attributes, never from
the design's name.

``storage`` says how the dataflows use the on-chip storage:

* ``equal-area``: the design's RFs and GLB define a storage *area* budget
  (``pes x RF bytes x rf_area_per_byte + GLB bytes x glb_area_per_byte``); every
  dataflow gets its own split of that area: the smallest RF in ``rf_choices`` that holds
  its PE tile, shared by all data types, and the rest as GLB (NLR: no RF, all GLB). This
  is the fair comparison of Chen, Emer, Sze (ISCA 2016, sec. VI-A).
* ``fixed``: the RFs and GLB are used as the design gives them (a chip as built); a
  dataflow's tile of each data type must fit that data type's RF (or, with a shared RF,
  all tiles together must fit it); NLR uses no RF and the same GLB.

Every field is checked when a design is built; a wrong value raises
:class:`~soc.arch.errors.ConfigError` naming the field and what is allowed. Unknown
fields are refused, never silently ignored.
"""
from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from soc.arch.errors import ConfigError, validated  # noqa: F401 (re-exported)

STORAGE_MODES = ("equal-area", "fixed")
RF_DTYPES = ("weights", "inputs", "psums")
MAX_PES = 16384


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class ArrayConfig(_Frozen):
    """The PE grid. Mappings fold their logical PE arrangement onto it freely: only the
    PE count ``rows x columns`` limits a mapping (see soc/spatial/README.md)."""
    rows: int = Field(16, ge=1, le=1024, description="PE rows")
    columns: int = Field(16, ge=1, le=1024, description="PE columns")


class RFConfig(_Frozen):
    """One register file (scratch pad) of every PE."""
    size_bytes: int = Field(gt=0, le=65536, description="capacity per PE in bytes (1 B to 64 KiB)")


class RegisterFiles(_Frozen):
    """A PE's register files: ``shared`` (one RF for weights, inputs and partial sums)
    or one per data type (``weights``, ``inputs``, ``psums``; all three given)."""
    shared: Optional[RFConfig] = None
    weights: Optional[RFConfig] = None
    inputs: Optional[RFConfig] = None
    psums: Optional[RFConfig] = None

    @model_validator(mode="after")
    def _one_layout(self) -> "RegisterFiles":
        split = [d for d in RF_DTYPES if getattr(self, d) is not None]
        if self.shared is not None and split:
            raise ValueError(f"rf: give either rf.shared or rf.weights/inputs/psums, not both (got shared and "
                             f"{', '.join(split)})")
        if self.shared is None and len(split) != 3:
            missing = [d for d in RF_DTYPES if d not in split]
            raise ValueError(f"rf: a split RF needs all of rf.weights, rf.inputs, rf.psums (missing: "
                             f"{', '.join(missing)}), or give rf.shared; rf: null means no RF")
        return self

    @property
    def is_shared(self) -> bool:
        return self.shared is not None

    @property
    def total_bytes(self) -> int:
        """RF bytes per PE over all data types."""
        if self.shared is not None:
            return self.shared.size_bytes
        return sum(getattr(self, d).size_bytes for d in RF_DTYPES)

    def split_bytes(self) -> dict[str, int] | None:
        """Bytes per data type of a split RF; None for a shared one."""
        if self.shared is not None:
            return None
        return {d: getattr(self, d).size_bytes for d in RF_DTYPES}


class GlbConfig(_Frozen):
    """The global buffer: one pool of ``size_bytes`` that every data type shares,
    built of ``banks`` equal banks. Banks read or write in parallel, so the GLB moves
    ``banks x bank_words_per_cycle`` words per cycle; one access touches one bank (its
    energy in a primitive table is that of an SRAM of the bank's size)."""
    size_bytes: int = Field(131072, gt=0, le=1 << 30, description="capacity in bytes (1 B to 1 GiB)")
    banks: int = Field(1, ge=1, le=1024, description="equal banks the capacity is split into")
    bank_words_per_cycle: int = Field(32, ge=1, le=4096, description="words one bank reads or writes per cycle")

    @property
    def words_per_cycle(self) -> int:
        return self.banks * self.bank_words_per_cycle


class NocConfig(_Frozen):
    """The array network between the GLB and the PEs."""
    multicast: bool = Field(True, description="one GLB read reaches every PE that needs the word; "
                                              "false: the GLB reads and sends a word once per destination PE")
    words_per_cycle: int = Field(64, ge=1, le=65536, description="words the network injects per cycle")


class SpatialDramConfig(_Frozen):
    bandwidth_bytes_per_cycle: float = Field(16.0, gt=0, le=4096, allow_inf_nan=False,
                                             description="bytes per core cycle")
    latency_cycles: int = Field(100, ge=0, le=1_000_000, description="cycles added to every transfer")


class ZeroGating(_Frozen):
    """Eyeriss-style data gating (Chen et al., JSSC 2017, sec. V-C), modelled as
    Sparseloop models gating (Wu et al., MICRO 2022): when the operand named by
    ``condition_on`` is zero, the MAC, the RF read of the other operand and the
    partial-sum RF update (read and write) are gated; the zero operand itself is still
    read (that is how the zero is seen). A gated action still takes its cycle (latency
    is unchanged) and costs ``gated_energy`` x its normal energy."""
    enabled: bool = False
    condition_on: Literal["inputs", "weights"] = Field(
        "inputs", description="which zero operand gates: inputs (Eyeriss) or weights")
    gated_energy: float = Field(0.0, ge=0, le=1, allow_inf_nan=False,
                                description="fraction of an action's energy that a gated action still costs")


def _default_rf() -> RegisterFiles:
    return RegisterFiles(shared=RFConfig(size_bytes=512))


class SpatialArch(_Frozen):
    """A spatial PE array: the 16 x 16 array of the dataflow comparison by default."""
    kind: Literal["spatial"] = "spatial"
    name: str = Field("spatial", min_length=1, max_length=80, description="design name (shown in results)")
    description: str = ""

    array: ArrayConfig = ArrayConfig()
    word_bytes: int = Field(2, ge=1, le=8, description="bytes per weight/activation/partial sum word")
    clock_ghz: float = Field(1.0, gt=0, le=10, allow_inf_nan=False)
    node_nm: Optional[float] = Field(None, ge=5, le=250, allow_inf_nan=False,
                                     description="technology node (nm); null: the energy table's own node")
    vdd_v: Optional[float] = Field(None, ge=0.4, le=2.0, allow_inf_nan=False,
                                   description="supply voltage (V); null: the energy table's own supply")
    rf: Optional[RegisterFiles] = Field(default_factory=_default_rf, description="per-PE register files (null: none)")
    glb: GlbConfig = GlbConfig()
    noc: NocConfig = NocConfig()
    dram: SpatialDramConfig = SpatialDramConfig()
    zero_gating: ZeroGating = ZeroGating()
    storage: Literal["equal-area", "fixed"] = Field(
        "equal-area", description="equal-area: each dataflow splits the design's storage area its own way; "
                                  "fixed: the RF and GLB sizes as given")
    # --- the equal-area search (see soc.spatial.area) ---
    rf_area_per_byte: float = Field(4.0, gt=0, le=1000, allow_inf_nan=False,
                                    description="RF area per byte, in units of GLB-SRAM area per byte")
    glb_area_per_byte: float = Field(1.0, gt=0, le=1000, allow_inf_nan=False,
                                     description="GLB area per byte (the area unit)")
    rf_choices: tuple[int, ...] = Field((64, 128, 256, 512), min_length=1, max_length=64, strict=False,
                                        description="RF sizes per PE (bytes) a dataflow may pick (equal-area)")
    # --- energy ---
    energy_table: str = Field("spatial-normalized", min_length=1,
                              description="energy table: a shipped name or a table .yaml file")
    # --- arithmetic check ---
    check_batch: int = Field(2, ge=1, le=1024, description="batch of the reduced layer whose outputs are checked")
    check_channels: int = Field(8, ge=1, le=4096, description="channels (C and M) of the reduced checked layer")
    seed: int = Field(0, ge=0, le=2**32 - 1)

    @field_validator("energy_table")
    @classmethod
    def _table_exists(cls, name: str) -> str:
        from energy.tables import load_table
        try:
            load_table(name)
        except (ValueError, FileNotFoundError, OSError) as exc:
            raise ValueError(str(exc).splitlines()[0]) from None
        return name

    @model_validator(mode="after")
    def _consistent(self) -> "SpatialArch":
        wb = self.word_bytes
        if self.pes > MAX_PES:
            raise ValueError(f"array: rows x columns must be at most {MAX_PES} PEs, got "
                             f"{self.array.rows} x {self.array.columns} = {self.pes}")
        if self.rf is not None:
            if self.rf.shared is not None and self.rf.shared.size_bytes < 3 * wb:
                raise ValueError(f"rf.shared.size_bytes: a shared RF holds at least one {wb}-byte word of each "
                                 f"data type (>= {3 * wb} bytes), got {self.rf.shared.size_bytes}")
            for d, size in (self.rf.split_bytes() or {}).items():
                if size < wb:
                    raise ValueError(f"rf.{d}.size_bytes: must hold at least one {wb}-byte word "
                                     f"(>= {wb} bytes), got {size}")
        if self.glb.size_bytes < self.glb.banks * wb:
            raise ValueError(f"glb.size_bytes: {self.glb.banks} banks need at least one {wb}-byte word each "
                             f"(>= {self.glb.banks * wb} bytes), got {self.glb.size_bytes}")
        if any(b <= 0 for b in self.rf_choices):
            raise ValueError(f"rf_choices: must all be > 0 bytes, got {list(self.rf_choices)}")
        if self.rf_choices != tuple(sorted(set(self.rf_choices))):
            raise ValueError(f"rf_choices: must be strictly increasing, got {list(self.rf_choices)}")
        if self.storage == "equal-area":
            if self.rf_choices[0] < 3 * wb:
                raise ValueError(f"rf_choices: an RF holds at least one {wb}-byte word of each data type "
                                 f"(>= {3 * wb} bytes), got {self.rf_choices[0]}")
            if self.rf_area_per_byte * max(self.rf_choices) * self.pes >= self.area_budget:
                raise ValueError(f"rf_choices: the largest RF ({max(self.rf_choices)} B per PE) leaves no area for "
                                 f"the GLB (budget {self.area_budget:g} area units = {self.pes} PEs x "
                                 f"{self.rf_bytes_per_pe} B RF x {self.rf_area_per_byte:g} + {self.glb.size_bytes} B "
                                 f"GLB x {self.glb_area_per_byte:g})")
        return self

    # --- what the attributes imply -----------------------------------------------------
    @property
    def pes(self) -> int:
        return self.array.rows * self.array.columns

    @property
    def rf_bytes_per_pe(self) -> int:
        return self.rf.total_bytes if self.rf is not None else 0

    @property
    def area_budget(self) -> float:
        """On-chip storage area of the design (GLB-byte units): pes x RF + GLB."""
        return (self.pes * self.rf_bytes_per_pe * self.rf_area_per_byte
                + self.glb.size_bytes * self.glb_area_per_byte)

    @property
    def cycle_s(self) -> float:
        return 1e-9 / self.clock_ghz

    @property
    def glb_words_per_cycle(self) -> int:
        return self.glb.words_per_cycle

    @property
    def noc_words_per_cycle(self) -> int:
        return self.noc.words_per_cycle

    @property
    def dram_bytes_per_cycle(self) -> float:
        return self.dram.bandwidth_bytes_per_cycle

    @property
    def dram_latency_cycles(self) -> int:
        return self.dram.latency_cycles


def square_array(pes: int) -> dict[str, int]:
    """The most nearly square rows x columns grid of ``pes`` PEs (rows <= columns):
    256 -> 16 x 16, 168 -> 12 x 14, 16 -> 4 x 4, a prime p -> 1 x p."""
    if isinstance(pes, bool) or not isinstance(pes, int) or pes < 1:
        raise ConfigError(f"pes: must be an integer >= 1, got {pes!r}")
    rows = max(r for r in range(1, int(pes ** 0.5) + 1) if pes % r == 0)
    return {"rows": rows, "columns": pes // rows}


def make_spatial_config(**fields: Any) -> SpatialArch:
    """Build a :class:`SpatialArch`, turning validation failures into :class:`ConfigError`.

    Two shortcuts keep the equal-area study's original parameters working:

    * ``pes=N``: ``array={"rows": r, "columns": c}``, the most nearly square grid of N
      PEs (:func:`square_array`);
    * ``baseline_rf_bytes=B``: the area budget's baseline, a shared RF of B bytes per PE
      and a GLB of ``pes x B`` bytes (``rf={"shared": {"size_bytes": B}}``,
      ``glb.size_bytes = pes x B``).
    """
    if "pes" in fields:
        if "array" in fields:
            raise ConfigError("pes: give either pes or array, not both")
        fields["array"] = square_array(fields.pop("pes"))
    if "baseline_rf_bytes" in fields:
        if "rf" in fields:
            raise ConfigError("baseline_rf_bytes: give either baseline_rf_bytes or rf, not both")
        b = fields.pop("baseline_rf_bytes")
        if isinstance(b, bool) or not isinstance(b, int) or b < 1:
            raise ConfigError(f"baseline_rf_bytes: must be an integer >= 1 byte, got {b!r}")
        array = fields.get("array", {})
        rows_cols = array if isinstance(array, dict) else array.model_dump()
        pes = rows_cols.get("rows", 16) * rows_cols.get("columns", 16)
        glb = dict(fields.get("glb", {}))
        glb["size_bytes"] = pes * b
        fields["rf"] = {"shared": {"size_bytes": b}}
        fields["glb"] = glb
    return validated(SpatialArch, "spatial design", **fields)

"""The vector accelerator as validated, immutable data (docs/hardware.md §2, 2.3, 2.4).

A design is one YAML file (``kind: vector``; see ``docs/architecture-files.md``). Every
block is an entry with its attributes, and what the simulator does follows from the
design's *capabilities*, never from its name:

* ``neuron_format``: ``dense`` (every activation stored and moved) or ``bitmask``
  (non-zeros plus a bitmask, docs/hardware.md §1: NBin holds the values, NIBin the mask, and the
  encoder writes outputs so).
* ``weight_format``: ``dense``, ``step-indexed`` (each PE walks its own step index and
  skips pruned weights; the indexes are not shared, so PEs do unequal work), or
  ``shared-bitmask`` (one synapse bitmask per group of Tn outputs in SIB, docs/hardware.md §2.1).
* ``skip_zero_activations``: the NSM selects only positions whose neuron is non-zero.
* ``weight_bits`` and ``weight_decoder``: width of the stored weight codes and whether
  a WDM look-up table decodes them (codes narrower than 16 bits need one).
* ``encoder``: the output encoder that compacts non-zeros and builds the mask.
* ``entropy_decoder``: optional Huffman decoders in front of each PE's WDM (docs/hardware.md §2.3).

The neuron selector (NSM) is present when it has work: a shared synapse index to AND,
or zero activations to skip. Combinations the data path cannot carry are refused when
the design is built (for example a shared-bitmask weight format without an SIB).

Every field is checked when a design is built; a wrong value raises
:class:`~soc.arch.errors.ConfigError` naming the field and what is allowed. Unknown
fields are refused, never silently ignored.
"""
from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator

from soc.arch.errors import ConfigError, describe_error, validated  # noqa: F401 (re-exported)

DRAM_TECHNOLOGIES = ("lpddr4", "ddr3", "gddr5", "hbm2")
NEURON_FORMATS = ("dense", "bitmask")
WEIGHT_FORMATS = ("dense", "step-indexed", "shared-bitmask")
# Buffers of the vector accelerator; the compute path reads the first five.
BUFFERS = ("nbin", "nibin", "sib", "sb", "nbout")
ALL_BUFFERS = BUFFERS + ("ib",)


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class BufferConfig(_Frozen):
    """An on-chip buffer. ``bandwidth_bits`` is per cycle; capacity in bytes."""
    size_bytes: int = Field(gt=0, le=1 << 30, description="capacity in bytes (1 B to 1 GiB)")
    bandwidth_bits: int = Field(gt=0, le=1 << 20, description="bits per cycle")
    banks: int = Field(1, ge=1, le=1024, description="independent banks the capacity is split into")
    memory: Literal["sram", "edram"] = "sram"
    ping_pong: bool = True

    @property
    def half_bytes(self) -> int:
        """Capacity of one ping-pong half (the whole buffer when not double-buffered)."""
        return self.size_bytes // 2 if self.ping_pong else self.size_bytes


class DramConfig(_Frozen):
    technology: Literal["lpddr4", "ddr3", "gddr5", "hbm2"] = "lpddr4"
    bandwidth_bytes_per_cycle: float = Field(16.0, gt=0, le=4096, allow_inf_nan=False,
                                             description="bytes per core cycle")
    latency_cycles: int = Field(100, ge=0, le=1_000_000)
    burst_bytes: int = Field(64, gt=0, le=4096, description="transfers are rounded up to whole bursts")


class HTreeConfig(_Frozen):
    """The broadcast tree from the NSM to the Tn PEs: log2(Tn) levels (docs/hardware.md §2.2)."""
    hop_cycles: int = Field(1, ge=0, le=1000, description="latency of one H-tree level (cycles)")
    wire_mm_per_level: float = Field(0.5, gt=0, le=100, allow_inf_nan=False,
                                     description="wire length of one level (mm), for its energy and area")


class EntropyDecoderConfig(_Frozen):
    """Optional Huffman decoders in front of each PE's WDM (docs/hardware.md §2.3): SB and DRAM hold
    entropy-coded weight codes; each decoder yields one code word per cycle."""
    enabled: bool = False
    per_pe: int = Field(64, ge=1, le=4096, description="decoder instances per PE (Tm x 4 keeps up with the WDM)")
    saving: float = Field(0.25, ge=0, lt=1, description="fraction of weight-code bytes saved by Huffman coding")
    area_mm2: float = Field(0.01, ge=0, le=100, allow_inf_nan=False,
                            description="area of one decoder instance (mm^2, assumption)")
    power_mw: float = Field(0.1, ge=0, le=1000, allow_inf_nan=False,
                            description="static power of one decoder instance (mW, assumption)")


class EnergySource(_Frozen):
    """Where the design's prices come from: the estimators (default: energy, leakage and
    area follow every attribute), a fixed design table (shipped name or file), or an
    Accelergy ERT (and optional ART) file with a component-name mapping."""
    source: Literal["estimators", "table", "accelergy"] = "estimators"
    table: Optional[str] = Field(None, description="design table name or file (source: table)")
    ert: Optional[str] = Field(None, description="Accelergy ERT YAML file (source: accelergy)")
    art: Optional[str] = Field(None, description="Accelergy ART YAML file (source: accelergy)")
    names: dict[str, str] = Field(default_factory=dict,
                                  description="socsim component -> Accelergy component name")

    @model_validator(mode="after")
    def _consistent(self) -> "EnergySource":
        if self.source == "table" and not self.table:
            raise ValueError("energy.table: source 'table' needs a table name or file")
        if self.source == "accelergy" and not self.ert:
            raise ValueError("energy.ert: source 'accelergy' needs an ERT file")
        return self


def _buffer(size: int, bits: int) -> BufferConfig:
    return BufferConfig(size_bytes=size, bandwidth_bits=bits)


class VectorArch(_Frozen):
    """A vector accelerator: the reference coarse-sparse design by default (docs/hardware.md §2.3)."""
    kind: Literal["vector"] = "vector"
    name: str = Field("custom", min_length=1, max_length=80, description="design name (shown in results)")
    description: str = ""
    tn: int = Field(16, ge=1, le=4096, description="number of PEs")
    tm: int = Field(16, ge=1, le=1024, description="multipliers per PE")
    data_bits: Literal[8, 16] = 16
    acc_bits: Literal[48] = Field(48, description="accumulator width (bits); see soc.kernels")
    frac_bits: int = Field(8, ge=0, le=15, description="fractional bits of the neurons' Q-format "
                                                      "(weights get a per-layer format, see soc.compiler.lowering)")
    clock_ghz: float = Field(1.0, gt=0, le=10, allow_inf_nan=False)
    node_nm: float = Field(65, ge=5, le=250, allow_inf_nan=False, description="technology node (nm)")
    vdd_v: float = Field(1.0, ge=0.4, le=2.0, allow_inf_nan=False, description="supply voltage (V)")
    nbin: BufferConfig = _buffer(8192, 16 * 16 * 16)
    nbout: BufferConfig = _buffer(8192, 4 * 16 * 16)
    sb: BufferConfig = Field(_buffer(32768, 4 * 16 * 16), description="synapse buffer of one PE")
    nibin: Optional[BufferConfig] = Field(_buffer(1024, 16 * 16), description="neuron index buffer (null: none)")
    sib: Optional[BufferConfig] = Field(_buffer(1024, 16 * 16), description="synapse index buffer (null: none)")
    ib: BufferConfig = Field(_buffer(1024, 64), description="instruction buffer of the control processor")
    dram: DramConfig = DramConfig()
    htree: HTreeConfig = HTreeConfig()
    # --- capabilities ---
    neuron_format: Literal["dense", "bitmask"] = "bitmask"
    weight_format: Literal["dense", "step-indexed", "shared-bitmask"] = "shared-bitmask"
    skip_zero_activations: bool = True
    weight_bits: int = Field(6, ge=1, le=16, description="bits per stored weight code")
    weight_decoder: Literal["none", "lut"] = Field("lut", description="WDM look-up table decoding weight codes")
    encoder: bool = Field(True, description="output encoder: compacts non-zeros and builds the mask")
    entropy_decoder: EntropyDecoderConfig = EntropyDecoderConfig()
    energy: EnergySource = EnergySource()

    @model_validator(mode="after")
    def _consistent(self) -> "VectorArch":
        word = self.data_bits
        if self.nbin.bandwidth_bits < word:
            raise ValueError(f"nbin.bandwidth_bits must be >= one {word}-bit word, got {self.nbin.bandwidth_bits}")
        if self.sb.bandwidth_bits < word:
            raise ValueError(f"sb.bandwidth_bits must be >= one {word}-bit word, got {self.sb.bandwidth_bits}")
        if self.weight_bits < 16 and self.weight_decoder == "none":
            raise ValueError(f"weight_bits: {self.weight_bits}-bit codes need a weight decoder "
                             f"(set weight_decoder: lut, or weight_bits: 16)")
        if self.skip_zero_activations and self.neuron_format != "bitmask":
            raise ValueError("skip_zero_activations: the neuron selector finds zero activations from the "
                             "neuron bitmask (allowed with neuron_format: bitmask only)")
        if self.neuron_format == "bitmask" and not self.skip_zero_activations:
            raise ValueError("neuron_format: bitmask neurons are read through the neuron selector, which "
                             "skips zero activations (set skip_zero_activations: true, or neuron_format: dense)")
        if self.neuron_format == "bitmask" and not self.encoder:
            raise ValueError("encoder: bitmask neurons are written by the output encoder "
                             "(set encoder: true, or neuron_format: dense)")
        if self.weight_format == "step-indexed" and self.neuron_format != "dense":
            raise ValueError("weight_format: step-indexed weights are walked per PE against dense neurons; "
                             "with bitmask neurons use weight_format: shared-bitmask or dense")
        if self.compressed_neurons and self.nibin is None:
            raise ValueError("nibin: bitmask neurons need an NIBin for their mask "
                             "(give nibin: {size_bytes: ..., bandwidth_bits: ...}, or neuron_format: dense)")
        if self.shared_index and self.sib is None:
            raise ValueError("sib: a shared-bitmask weight format needs an SIB for the synapse index "
                             "(give sib: {size_bytes: ..., bandwidth_bits: ...}, or another weight_format)")
        return self

    # --- what the capabilities imply ----------------------------------------------
    @property
    def compressed_neurons(self) -> bool:
        """Activations are stored as non-zeros plus a bitmask (NBin + NIBin, encoder output)."""
        return self.neuron_format == "bitmask"

    @property
    def shared_index(self) -> bool:
        """Weights share one synapse bitmask per group of Tn outputs (in SIB)."""
        return self.weight_format == "shared-bitmask"

    @property
    def step_indexed(self) -> bool:
        return self.weight_format == "step-indexed"

    @property
    def has_nsm(self) -> bool:
        """The neuron selector has work: AND with a shared index, or skip zero activations."""
        return self.shared_index or self.skip_zero_activations

    @property
    def present_buffers(self) -> tuple[str, ...]:
        """The compute-path buffers this design has (NIBin and SIB may be absent)."""
        return tuple(b for b in BUFFERS if getattr(self, b) is not None)

    @property
    def entropy_decoder_instances(self) -> int:
        return self.tn * self.entropy_decoder.per_pe if self.entropy_decoder.enabled else 0

    @property
    def code_slot_bits(self) -> int:
        """Bits a weight code occupies in SB: codes are aligned to 4, 8 or 16 bits (docs/hardware.md §2.2)."""
        return 4 if self.weight_bits <= 4 else 8 if self.weight_bits <= 8 else 16

    @property
    def weight_code_bits(self) -> float:
        """Average bits a stored weight occupies in SB and DRAM (after entropy coding)."""
        ed = self.entropy_decoder
        return self.code_slot_bits * ((1 - ed.saving) if ed.enabled else 1.0)

    @property
    def word_bytes(self) -> int:
        return self.data_bits // 8

    @property
    def htree_levels(self) -> int:
        return max(1, (self.tn - 1).bit_length())

    @property
    def cycle_s(self) -> float:
        return 1e-9 / self.clock_ghz

    @property
    def compute_roof_macs_per_s(self) -> float:
        """Tn x Tm multipliers at the clock: the design's peak MAC/s."""
        return self.tn * self.tm * self.clock_ghz * 1e9

    @property
    def dram_roof_bytes_per_s(self) -> float:
        return self.dram.bandwidth_bytes_per_cycle * self.clock_ghz * 1e9

    def with_changes(self, **changes: Any) -> "VectorArch":
        """A validated copy with some fields changed (nested: ``{"dram": {...}}``)."""
        data = self.model_dump()
        for key, value in changes.items():
            if isinstance(value, dict) and isinstance(data.get(key), dict):
                data[key] = {**data[key], **value}
            else:
                data[key] = value
        return make_vector_arch(**data)


def make_vector_arch(**fields: Any) -> VectorArch:
    """Build a :class:`VectorArch`, turning validation failures into :class:`ConfigError`."""
    return validated(VectorArch, "vector design", **fields)

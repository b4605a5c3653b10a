"""Validated, immutable configuration of the simulated SoC (spec section 2.3) and presets.

Every field is checked when a config is built; a wrong value raises
:class:`ConfigError` naming the field and what is allowed. Unknown fields are refused,
never silently ignored.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

PRESETS = ("coarse-sparse", "weight-sparse", "dense")
# Width of the coarse-sparse preset's weight codes: local quantization of AlexNet picks
# K = 64 centroids for most layers (6-bit codes; see workloads.compress and
# `make compress-table`), stored in 8-bit slots (codes are aligned to 4 bits, spec 2.2).
CODE_BITS = 6
DRAM_TECHNOLOGIES = ("lpddr4", "ddr3", "gddr5", "hbm2")


class ConfigError(ValueError):
    """A configuration value outside its allowed range."""


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BufferConfig(_Frozen):
    """An on-chip buffer. ``bandwidth_bits`` is per cycle; capacity in bytes."""
    size_bytes: int = Field(gt=0, description="capacity in bytes")
    bandwidth_bits: int = Field(gt=0, description="bits per cycle")
    memory: Literal["sram", "edram"] = "sram"
    ping_pong: bool = True

    @property
    def half_bytes(self) -> int:
        """Capacity of one ping-pong half (the whole buffer when not double-buffered)."""
        return self.size_bytes // 2 if self.ping_pong else self.size_bytes


class DramConfig(_Frozen):
    technology: Literal["lpddr4", "ddr3", "gddr5", "hbm2"] = "lpddr4"
    bandwidth_bytes_per_cycle: float = Field(16.0, gt=0, description="bytes per core cycle")
    latency_cycles: int = Field(100, ge=0)
    burst_bytes: int = Field(64, gt=0, description="transfers are rounded up to whole bursts")


class SoCConfig(_Frozen):
    """The reference accelerator and its baselines (spec 2.3, 2.4)."""
    preset: Literal["coarse-sparse", "weight-sparse", "dense"] = "coarse-sparse"
    tn: int = Field(16, ge=1, le=4096, description="number of PEs")
    tm: int = Field(16, ge=1, le=1024, description="multipliers per PE")
    data_bits: Literal[8, 16] = 16
    acc_bits: Literal[48] = Field(48, description="accumulator width (bits); see soc.kernels")
    frac_bits: int = Field(8, ge=0, le=15, description="fractional bits of the neurons' Q-format (weights get a per-layer format, see soc.simulate)")
    clock_ghz: float = Field(1.0, gt=0, le=10)
    node_nm: float = Field(65, gt=0)
    energy_table: str = "reference-65nm"
    nbin: BufferConfig = BufferConfig(size_bytes=8192, bandwidth_bits=16 * 16 * 16)
    nbout: BufferConfig = BufferConfig(size_bytes=8192, bandwidth_bits=4 * 16 * 16)
    sb: BufferConfig = BufferConfig(size_bytes=32768, bandwidth_bits=4 * 16 * 16)
    nibin: BufferConfig = BufferConfig(size_bytes=1024, bandwidth_bits=16 * 16)
    sib: BufferConfig = BufferConfig(size_bytes=1024, bandwidth_bits=16 * 16)
    dram: DramConfig = DramConfig()
    htree_hop_cycles: int = Field(1, ge=0, description="latency of one H-tree level")
    # Optional Huffman decoders in front of each PE's WDM (spec 2.3): the SB and DRAM hold
    # entropy-coded weight codes, each decoder yields one code word per cycle.
    entropy_decoder: bool = False
    entropy_decoders_per_pe: int = Field(64, ge=1, le=4096, description="decoder instances per PE (Tm x 4 keeps up with the WDM)")
    entropy_saving: float = Field(0.25, ge=0, lt=1, description="fraction of weight-code bytes saved by Huffman coding")
    entropy_decoder_area_mm2: float = Field(0.01, ge=0, description="area of one decoder instance (mm^2, assumption)")
    entropy_decoder_power_mw: float = Field(0.1, ge=0, description="static power of one decoder instance (mW, assumption)")
    weight_bits: int = Field(None, ge=1, le=16, validate_default=False,
                             description="bits per weight code; default: CODE_BITS for coarse-sparse, 16 otherwise")

    @model_validator(mode="before")
    @classmethod
    def _default_code_width(cls, data: Any) -> Any:
        """coarse-sparse stores locally-quantized weight codes that its WDM decodes; the
        baselines store raw 16-bit weights."""
        if isinstance(data, dict) and data.get("weight_bits") is None:
            data = {**data, "weight_bits": CODE_BITS if data.get("preset", "coarse-sparse") == "coarse-sparse" else 16}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> "SoCConfig":
        if self.preset != "coarse-sparse" and self.weight_bits != 16:
            raise ValueError(f"weight_bits: the {self.preset} preset has no weight decoder and stores raw "
                             f"weights (allowed: 16), got {self.weight_bits}")
        word = self.data_bits
        if self.nbin.bandwidth_bits < word:
            raise ValueError(f"nbin.bandwidth_bits must be >= one {word}-bit word, got {self.nbin.bandwidth_bits}")
        if self.sb.bandwidth_bits < word:
            raise ValueError(f"sb.bandwidth_bits must be >= one {word}-bit word, got {self.sb.bandwidth_bits}")
        return self

    @property
    def entropy_decoder_instances(self) -> int:
        return self.tn * self.entropy_decoders_per_pe if self.entropy_decoder else 0

    @property
    def code_slot_bits(self) -> int:
        """Bits a weight code occupies in SB: codes are aligned to 4, 8 or 16 bits (spec 2.2)."""
        return 4 if self.weight_bits <= 4 else 8 if self.weight_bits <= 8 else 16

    @property
    def weight_code_bits(self) -> float:
        """Average bits a stored weight occupies in SB and DRAM (after entropy coding)."""
        return self.code_slot_bits * ((1 - self.entropy_saving) if self.entropy_decoder else 1.0)

    @property
    def word_bytes(self) -> int:
        return self.data_bits // 8

    @property
    def htree_levels(self) -> int:
        return max(1, (self.tn - 1).bit_length())

    @property
    def cycle_s(self) -> float:
        return 1e-9 / self.clock_ghz

    def with_changes(self, **changes: Any) -> "SoCConfig":
        """A validated copy with some fields changed (nested: ``{"dram": {...}}``)."""
        data = self.model_dump()
        for key, value in changes.items():
            if isinstance(value, dict) and isinstance(data.get(key), dict):
                data[key] = {**data[key], **value}
            else:
                data[key] = value
        return make_config(**data)


def describe_error(err: dict, model: str) -> str:
    """One pydantic error as 'field: what is wrong (allowed: ...); got value'."""
    field = ".".join(str(p) for p in err["loc"]) or "config"
    if err["type"] == "extra_forbidden":
        return f"{field}: unknown field (not a {model} option)"
    ctx = err.get("ctx") or {}
    allowed = f" (allowed: {ctx['expected']})" if "expected" in ctx else ""
    return f"{field}: {err['msg']}{allowed}; got {err.get('input')!r}"


def validated(model: type[BaseModel], label: str, **fields: Any):
    """Build ``model``, turning validation failures into one :class:`ConfigError`."""
    try:
        return model(**fields)
    except ValidationError as exc:
        raise ConfigError(f"invalid {label}: " + "; ".join(describe_error(e, model.__name__)
                                                           for e in exc.errors())) from None


def make_config(**fields: Any) -> SoCConfig:
    """Build a :class:`SoCConfig`, turning validation failures into :class:`ConfigError`."""
    return validated(SoCConfig, "SoC config", **fields)


def preset(name: str, **overrides: Any) -> SoCConfig:
    """The config of a named preset (spec 2.4), with optional validated overrides."""
    if name not in PRESETS:
        raise ConfigError(f"preset: unknown preset {name!r}; allowed: {', '.join(PRESETS)}")
    return make_config(preset=name, **overrides)

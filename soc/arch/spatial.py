"""Validated, immutable configuration of the spatial PE array.

Same rules as :mod:`soc.arch.vector`: pydantic, frozen, unknown fields refused, and every
bad value raises :class:`soc.arch.errors.ConfigError` naming the field and what is allowed.
"""
from __future__ import annotations

from typing import Any

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from soc.arch.errors import ConfigError, validated  # noqa: F401 (re-exported)


class SpatialArch(BaseModel):
    """The array, its storage area budget and its timing parameters.

    Storage sizes are bytes, bandwidths words (``word_bytes`` each) or bytes per cycle.
    """
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    kind: Literal["spatial"] = "spatial"
    name: str = Field("spatial", min_length=1, max_length=80, description="design name (shown in results)")
    description: str = ""

    pes: int = Field(256, ge=1, le=16384, description="number of PEs")
    word_bytes: int = Field(2, ge=1, le=8, description="bytes per weight/activation/partial sum word")
    # --- storage area model (see soc.spatial.area) ---
    rf_area_per_byte: float = Field(4.0, gt=0, le=1e6, description="RF area per byte, in units of GLB-SRAM area per byte")
    glb_area_per_byte: float = Field(1.0, gt=0, le=1e6, description="GLB area per byte (the area unit)")
    baseline_rf_bytes: int = Field(512, ge=0, le=65536,
                                   description="RF bytes per PE of the baseline area budget; GLB = pes x this")
    rf_choices: tuple[int, ...] = Field((64, 128, 256, 512), min_length=1,
                                        description="RF sizes per PE (bytes) a dataflow may pick")
    # --- energy ---
    energy_table: str = "spatial-normalized"
    # --- timing ---
    clock_ghz: float = Field(1.0, gt=0, le=10)
    glb_words_per_cycle: int = Field(32, ge=1, le=1 << 20, description="GLB read+write ports, words per cycle")
    noc_words_per_cycle: int = Field(64, ge=1, le=1 << 20, description="array network deliveries per cycle")
    dram_bytes_per_cycle: float = Field(16.0, gt=0, le=4096)
    dram_latency_cycles: int = Field(100, ge=0, le=1_000_000)
    # --- arithmetic check ---
    check_batch: int = Field(2, ge=1, le=1024, description="batch of the reduced layer whose outputs are checked")
    check_channels: int = Field(8, ge=1, le=4096, description="channels (C and M) of the reduced checked layer")
    seed: int = Field(0, ge=0, le=2**32 - 1)

    @field_validator("rf_choices", mode="before")
    @classmethod
    def _list_as_tuple(cls, value: Any) -> Any:
        """A YAML list of sizes is the tuple (strict mode takes tuples only)."""
        return tuple(value) if isinstance(value, list) else value

    @model_validator(mode="after")
    def _consistent(self) -> "SpatialArch":
        if any(b <= 0 for b in self.rf_choices):
            raise ValueError(f"rf_choices must all be > 0 bytes, got {self.rf_choices}")
        if self.rf_choices != tuple(sorted(set(self.rf_choices))):
            raise ValueError(f"rf_choices must be strictly increasing, got {self.rf_choices}")
        if self.rf_area_per_byte * max(self.rf_choices) * self.pes > self.area_budget:
            raise ValueError("rf_choices: the largest RF leaves no area for the GLB "
                             f"(budget {self.area_budget:g} area units)")
        return self

    @property
    def area_budget(self) -> float:
        """Total on-chip storage area (GLB-byte units): pes x RF(baseline) + GLB(pes x baseline)."""
        b = self.baseline_rf_bytes * self.pes
        return b * self.rf_area_per_byte + b * self.glb_area_per_byte

    @property
    def cycle_s(self) -> float:
        return 1e-9 / self.clock_ghz


def make_spatial_config(**fields: Any) -> SpatialArch:
    """Build a :class:`SpatialArch`, turning validation failures into :class:`ConfigError`."""
    return validated(SpatialArch, "spatial config", **fields)

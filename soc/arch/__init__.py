"""Architectures as data: the schemas of the vector accelerator and the spatial array,
the shipped design files (``soc/arch/designs/*.yaml``), and loading with overrides."""
from __future__ import annotations

from typing import Any

from soc.arch.errors import ConfigError
from soc.arch.loader import (
    Design,
    allowed_paths,
    design_names,
    design_record,
    design_yaml,
    list_designs,
    load_design,
    parse_sets,
)
from soc.arch.spatial import SpatialArch, make_spatial_config
from soc.arch.vector import BUFFERS, DRAM_TECHNOLOGIES, BufferConfig, DramConfig, VectorArch, make_vector_arch


def design(name: str = "coarse-sparse", **changes: Any) -> VectorArch:
    """A shipped vector design (or a design file) with validated keyword changes
    (nested blocks as dicts: ``design("dense", dram={"technology": "hbm2"})``)."""
    base = load_design(name, kind="vector")
    assert isinstance(base, VectorArch)
    return base.with_changes(**changes) if changes else base


__all__ = ["ConfigError", "Design", "VectorArch", "SpatialArch", "BufferConfig", "DramConfig", "BUFFERS",
           "DRAM_TECHNOLOGIES", "design", "load_design", "list_designs", "design_names", "design_yaml",
           "design_record", "allowed_paths", "parse_sets", "make_vector_arch", "make_spatial_config"]

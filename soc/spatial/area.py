"""Storage area model used to compare dataflows at equal on-chip storage area.

Area is measured in units of one byte of global-buffer SRAM. A byte of PE register
file costs ``rf_area_per_byte`` units (default 4):

* a PE register file is small (64-512 B) and multi-ported (read of two operands and a
  read-modify-write of a partial sum every cycle), built from latches/flip-flops or a
  small register-file macro; such a bit cell is several times the area of a dense
  6T SRAM cell, and a tiny array amortizes its decoders and sense logic over few bits;
* the GLB is a large single-ported SRAM whose periphery is amortized over ~100 KB.

The budget is the design's own storage, ``pes x Area(RF) + Area(GLB)``
(:attr:`SpatialArch.area_budget`); ``spatial-16x16`` is the Eyeriss comparison (Chen,
Emer, Sze, ISCA 2016, sec. VI-A): ``pes x Area(512 B RF) + Area(pes x 512 B GLB)``. In
the equal-area mode each dataflow may pick any RF size in ``SpatialArch.rf_choices``
(0 for NLR, which has no RF) and gets the rest of the budget as GLB. RF sizes above
512 B are not offered by default because the normalized cost of 1 MAC per RF access is
the cost of a ~0.5 KB RF. In the fixed-storage mode the design's sizes are used as
given and the budget only reports the design's area.
"""
from __future__ import annotations

from soc.arch.spatial import SpatialArch


def storage_area(cfg: SpatialArch, rf_bytes: int, glb_bytes: int) -> float:
    """Area (GLB-byte units) of ``pes`` RFs of ``rf_bytes`` plus a GLB of ``glb_bytes``."""
    return cfg.pes * rf_bytes * cfg.rf_area_per_byte + glb_bytes * cfg.glb_area_per_byte


def glb_bytes_for(cfg: SpatialArch, rf_bytes: int) -> int:
    """The GLB size (bytes) left by the area budget when every PE has ``rf_bytes`` of RF."""
    left = cfg.area_budget - cfg.pes * rf_bytes * cfg.rf_area_per_byte
    if left <= 0:
        raise ValueError(f"rf_bytes={rf_bytes} per PE uses the whole storage area budget")
    return int(left // cfg.glb_area_per_byte)

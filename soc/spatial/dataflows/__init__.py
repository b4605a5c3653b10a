"""The dataflows: each module lists the mappings its dataflow allows for a layer.

A dataflow fixes *what stays where*: which data a PE keeps in its RF and iterates over
(``rf``), which dimensions are spread over the PEs (``sp``, and so what the array
network multicasts and where partial sums are accumulated spatially), and the order
of the GLB- and DRAM-level loops (which data stay in the GLB). The numbers inside
those rules (tile sizes, spatial split, RF size within the area budget) are chosen by
:func:`soc.spatial.search.best_mapping` for the lowest energy, as in the Eyeriss
comparison where every dataflow gets its best mapping on the same hardware budget.
"""
from __future__ import annotations

from dataclasses import dataclass
from math import ceil
from typing import Callable, Iterator

from soc.spatial.shapes import LayerShape


@dataclass(frozen=True)
class Rule:
    """One family of mappings: RF tile, spatial split, loop orders, GLB-shrink orders."""
    rf: dict
    sp: dict
    glb_order: tuple[str, ...]
    dram_order: tuple[str, ...]
    shrink: tuple[tuple[str, ...], ...]   # dims whose GLB tile may shrink, in order of preference
    fixed_glb: dict | None = None         # GLB tile bounds the dataflow imposes (pass tiles per GLB tile)
    has_rf: bool = True


def pow2(limit: int) -> list[int]:
    """1, 2, 4, ... up to ``limit`` (and ``limit`` itself)."""
    out, v = [], 1
    while v < limit:
        out.append(v)
        v *= 2
    out.append(max(1, limit))
    return sorted(set(out))


def fractions(n: int, parts: int = 4) -> list[int]:
    """n, ceil(n/2), ceil(n/4), ... (``parts`` values at most)."""
    return sorted({ceil(n / 2 ** k) for k in range(parts)})


RuleGen = Callable[[LayerShape, int, "dict | None"], Iterator[Rule]]
"""A dataflow's rules for a layer on ``pes`` PEs. The third argument is the RF words per
data type of a fixed-storage design (``{"weights": w, "inputs": i, "psums": p}`` or
``{"shared": n}``), None in the equal-area mode; a generator may add tiles sized to it
(the search skips any tile that does not fit)."""

"""Spatial PE array (docs/hardware.md §4): a grid of PEs with register files, an array
network that multicasts, a global buffer and DRAM, running the WS, OS (A/B/C), NLR
and RS dataflows on a spatial design (:mod:`soc.arch.spatial`): compared at equal PE
count and equal on-chip storage area, or on a chip's own storage.

Public entry points:

* :func:`soc.spatial.compare.compare_layer` / :func:`compare_network` -> DataFrame rows
* :func:`soc.spatial.search.best_mapping` -> the cheapest legal mapping of a dataflow
* :func:`soc.spatial.array.simulate_mapping` -> SimPy run (cycles, ledger)
* :func:`soc.spatial.functional.execute_mapping` -> pass-by-pass arithmetic and counts
"""
from soc.arch.spatial import SpatialArch, make_spatial_config  # noqa: F401
from soc.spatial.shapes import LayerShape, from_layer  # noqa: F401

DATAFLOWS = ("WS", "OSA", "OSB", "OSC", "NLR", "RS")

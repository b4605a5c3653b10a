"""Compression pipeline (docs/hardware.md §5): coarse-grained pruning, local quantization,
Huffman coding of codes and indexes, JBIG irregularity, per-layer/network reports.

Modules: :mod:`.prune`, :mod:`.quantize`, :mod:`.huffman`, :mod:`.indexing`,
:mod:`.jbig`, :mod:`.report`, :mod:`.pipeline`.
"""

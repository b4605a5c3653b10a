"""Tile contents and sizes per design: what a load really brings into each buffer.

* ``coarse-sparse``: NBin holds the non-zero neurons of the tile's input footprint,
  NIBin its bitmask; SIB holds one synapse bitmask per group of Tn outputs; each PE's SB
  holds the compressed weights of its outputs (codes of ``weight_bits``).
* ``weight-sparse``: NBin holds every neuron of the footprint (zeros are not skipped);
  each PE's SB holds its outputs' non-zero weights and their step indexes
  (``STEP_INDEX_BITS`` each); no NIBin/SIB.
* ``dense``: NBin holds every neuron; SB every weight; no indexes.

Sizes are real (counted from the data); :func:`estimate` gives the dense x density
estimates that the compiler's traffic model uses (docs/hardware.md §6).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from soc.arch.vector import VectorArch
from soc.compiler.lowering import MatrixLayer
from soc.compiler.program import Tiling
from soc.kernels import CompressedNeurons, CompressedSynapses, compress_synapses

STEP_INDEX_BITS = 8   # step index width of the weight-sparse baseline (per non-zero weight)


def _ceil_bytes(bits: int) -> int:
    return -(-bits // 8)


@dataclass
class InputTile:
    p: int
    i: int
    neurons: CompressedNeurons   # rows of the tile, as the PEs see them (per design)
    nbin_bytes: int              # footprint values held in NBin (and moved from DRAM)
    nibin_bytes: int             # footprint bitmask held in NIBin (and moved from DRAM)

    @property
    def dram_bytes(self) -> int:
        return self.nbin_bytes + self.nibin_bytes


@dataclass
class WeightTile:
    o: int
    i: int
    synapses: CompressedSynapses       # the tile's outputs in order, one weight row each
    out_stored: np.ndarray             # (outputs,) stored weights per output
    sb_bytes: np.ndarray               # (Tn,) SB bytes of PE j (outputs j, j+Tn, ...)
    sib_bytes: int
    group_mask: np.ndarray             # uint8 (groups, i_tile): shared synapse masks (coarse)

    @property
    def outputs(self) -> int:
        return int(self.out_stored.size)

    @property
    def dram_bytes(self) -> int:
        return int(self.sb_bytes.sum()) + self.sib_bytes

    def per_pe(self, values: np.ndarray, tn: int) -> np.ndarray:
        """Sum a per-output quantity over each PE's outputs (PE j has j, j+Tn, ...)."""
        padded = np.zeros(-(-values.size // tn) * tn, dtype=values.dtype)
        padded[:values.size] = values
        return padded.reshape(-1, tn).sum(axis=0)


class TileMaker:
    """Cuts a matrix layer into the tiles of a tiling, for one design."""

    def __init__(self, layer: MatrixLayer, cfg: VectorArch, tiling: Tiling, *, weight_tiles: dict | None = None):
        """``weight_tiles``: a dict shared by the tile makers of matrices with the same
        weights and keep mask (the images of a batch, lowered one by one): a weight tile,
        with its kernel layout, is then built once for all of them (per tile size)."""
        self.layer, self.cfg, self.tiling = layer, cfg, tiling
        self.pr = tiling.ranges(layer.p, tiling.p_tile)
        self.ir = tiling.ranges(layer.n_in, tiling.i_tile)
        self.orr = tiling.ranges(layer.n_out, tiling.o_tile)
        self._inputs: dict[tuple[int, int], InputTile] = {}
        self._input_columns: dict[int, CompressedNeurons] = {}
        shared = weight_tiles if weight_tiles is not None else {}
        self._weights: dict[tuple[int, int], WeightTile] = shared.setdefault((tiling.o_tile, tiling.i_tile), {})
        self._weight_columns: dict[int, tuple] = shared.setdefault(("columns", tiling.i_tile), {})

    @cached_property
    def group_keep(self) -> np.ndarray:
        """Shared synapse mask per group of Tn outputs (coarse-sparse): the union of the
        unpruned positions of the group's outputs. With blocks of B_out = k x Tn outputs
        the union is exact; otherwise stored zeros appear and are multiplied (counted)."""
        return self.layer.group_keep(self.cfg.tn)

    def input_tile(self, p: int, i: int) -> InputTile:
        key = (p, i)
        if key not in self._inputs:
            (p0, p1), (i0, i1) = self.pr[p], self.ir[i]
            neurons = self._input_column(i).row_slice(p0, p1)
            positions, nnz = self.layer.footprint(p0, p1, i0, i1)
            word = self.cfg.word_bytes
            if self.cfg.compressed_neurons:
                tile = InputTile(p, i, neurons, nnz * word, _ceil_bytes(positions))
            else:  # every neuron is stored and multiplied
                tile = InputTile(p, i, neurons, positions * word, 0)
            self._inputs[key] = tile
        return self._inputs[key]

    def _input_column(self, i: int) -> CompressedNeurons:
        """Every row at the matrix columns of input tile i, as the PEs see them (per
        design), compressed in one go: rows are stored one after another, so each row
        tile's neurons are a run of these (:meth:`CompressedNeurons.row_slice`)."""
        column = self._input_columns.get(i)
        if column is None:
            i0, i1 = self.ir[i]
            rows = self.layer.rows[:, i0:i1]
            if self.cfg.compressed_neurons:
                mask = rows != 0
                column = CompressedNeurons(rows[mask], _offsets(mask.sum(1)), mask.view(np.uint8))
            else:  # every neuron is stored and multiplied
                column = CompressedNeurons(np.ascontiguousarray(rows).ravel(),
                                           _offsets(np.full(rows.shape[0], rows.shape[1])),
                                           np.ones(rows.shape, np.uint8))
            self._input_columns[i] = column
        return column

    def weight_tile(self, o: int, i: int) -> WeightTile:
        key = (o, i)
        if key not in self._weights:
            (o0, o1), (i0, i1) = self.orr[o], self.ir[i]
            cfg, tn = self.cfg, self.cfg.tn
            column, stored, size = self._weight_column(i)
            # an output tile starts at a multiple of Tn (and ends at one, or at N_out)
            syn = column.group_slice(o0 // size, -(-o1 // size))
            stored = stored[o0:o1]
            bits_per = cfg.weight_code_bits + (STEP_INDEX_BITS if cfg.step_indexed else 0)
            gk = syn.mask if cfg.shared_index else np.zeros((0, i1 - i0), np.uint8)
            tile = WeightTile(o, i, syn, stored, np.zeros(tn, np.int64), 0, gk)
            tile.sb_bytes = np.ceil(tile.per_pe(stored, tn) * bits_per / 8).astype(np.int64)
            tile.sib_bytes = gk.shape[0] * _ceil_bytes(i1 - i0) if cfg.shared_index else 0
            self._weights[key] = tile
        return self._weights[key]

    def _weight_column(self, i: int) -> tuple[CompressedSynapses, np.ndarray, int]:
        """Every output's weights at the matrix columns of input tile i, compressed in one
        go, with the weights each output stores and the group size: groups are stored one
        after another, so each weight tile's synapses are a run of these groups
        (:meth:`CompressedSynapses.group_slice`). Outputs that share one mask (a shared
        index, or dense weights) form groups of Tn for the kernel, which then gathers the
        neurons once per group; step-indexed weights keep one mask per output."""
        column = self._weight_columns.get(i)
        if column is None:
            cfg, tn = self.cfg, self.cfg.tn
            i0, i1 = self.ir[i]
            w = self.layer.weights[:, i0:i1]
            if cfg.shared_index:
                syn, size = compress_synapses(w, tn, group_mask=self.group_keep[:, i0:i1]), tn
            elif cfg.step_indexed:
                syn, size = compress_synapses(w, 1, self.layer.keep[:, i0:i1]), 1
            else:
                syn, size = compress_synapses(w, tn, group_mask=np.ones((-(-w.shape[0] // tn), i1 - i0), bool)), tn
            column = self._weight_columns[i] = (syn, np.repeat(syn.group_nnz, syn.group_sizes), size)
        return column

    @property
    def whole_reduction(self) -> bool:
        """One input tile spans all of N_in: every output is final after one burst."""
        return len(self.ir) == 1

    def output_shape(self, p: int, o: int) -> tuple[int, int]:
        (p0, p1), (o0, o1) = self.pr[p], self.orr[o]
        return p1 - p0, o1 - o0


def _offsets(counts: np.ndarray) -> np.ndarray:
    off = np.zeros(len(counts) + 1, np.int64)
    np.cumsum(counts, out=off[1:])
    return off

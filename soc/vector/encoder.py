"""The output encoder on NBout, with the PEs' non-linear unit in front of it.

When an output tile is final: round and saturate the exact sums (the configured fixed-point format),
apply the layer's non-linear function, then (coarse-sparse) build the non-zero mask,
compact the non-zeros and write both to DRAM; the baselines write dense outputs. Not
final: the exact partial sums go to DRAM at accumulator width and come back later.
NBout is read at its bandwidth (4 x Tn words per cycle by default).
"""
from __future__ import annotations

import math

import numpy as np

from soc.kernels import quantize
from soc.vector.tokens import OutputVisit

ACTIVATIONS = ("relu", "none")


def activate(y: np.ndarray, function: str) -> np.ndarray:
    if function == "relu":
        y = np.maximum(y, 0)
        return y if y.dtype == np.int16 else y.astype(np.int16)
    if function == "none":
        return y
    raise ValueError(f"activation: unknown {function!r}; allowed: {', '.join(ACTIVATIONS)}")


class Encoder:
    def __init__(self, cfg, ledger, price, nbout, dram, activation: str, frac_bits: int):
        self.cfg, self.ledger, self.price = cfg, ledger, price
        self.nbout, self.dram = nbout, dram
        self.activation, self.frac_bits = activation, frac_bits
        self.read_bits = cfg.nbout.bandwidth_bits   # NBout bits read per cycle
        self._nonlinear = ledger.account("pe", "nonlinear", price("pe", "nonlinear"), "compute")
        if cfg.compressed_neurons:
            self._compare = ledger.account("encoder", "compare", price("encoder", "compare"), "outputs")
            self._compact = ledger.account("encoder", "compact", price("encoder", "compact"), "outputs")

    def read_cycles(self, visit: OutputVisit) -> int:
        """Cycles to read an output tile out of NBout at its bandwidth."""
        return math.ceil(visit.rows * visit.outs * visit.entry_bytes / 2 * 16 / self.read_bits)

    def close(self, visit: OutputVisit, final: bool) -> int:
        """Drain an output tile, read out of NBout, to DRAM (called in the cycle the read
        ends); returns the cycle its data has crossed the DRAM channel."""
        cfg, n = self.cfg, visit.rows * visit.outs
        key = (visit.op.p, visit.op.o)
        held = "outputs" if visit.entry_bytes == cfg.word_bytes else "psums"  # final words or partial sums
        self.nbout.read(n * visit.entry_bytes / 2, held)
        if not final:
            self.dram.regions[("psum", key)] = visit.psums      # the visit is over: no copy needed
            return self.dram.transfer(n * cfg.acc_bits // 8, write=True, label=f"psum {key}", data="psums")
        y = activate(quantize(visit.psums, self.frac_bits), self.activation)
        self.ledger.add(self._nonlinear, n)
        if cfg.compressed_neurons:  # the encoder compacts non-zeros and builds the mask
            mask = y != 0
            values = y[mask]
            self.ledger.add(self._compare, n)
            self.ledger.add(self._compact, values.size)
            parts = [("outputs", values.size * cfg.word_bytes), ("indexes", math.ceil(n / 8))]
            self.dram.regions[("out", key)] = (values, np.packbits(mask, axis=None), mask.shape)
        else:
            parts = [("outputs", n * cfg.word_bytes)]
            self.dram.regions[("out", key)] = y
        return self.dram.transfer(sum(b for _, b in parts), write=True, label=f"out {key}",
                                  data=[p for p in parts if p[1]])


def read_outputs(regions: dict, shape: tuple[int, int], p_ranges, o_ranges) -> np.ndarray:
    """Assemble a layer's outputs from what the encoder wrote to simulated DRAM."""
    y = np.zeros(shape, np.int16)
    for pi, (p0, p1) in enumerate(p_ranges):
        for oi, (o0, o1) in enumerate(o_ranges):
            stored = regions[("out", (pi, oi))]
            if isinstance(stored, tuple):   # compressed: the non-zeros go where the mask says
                values, packed, tshape = stored
                mask = np.unpackbits(packed, count=tshape[0] * tshape[1]).reshape(tshape).view(bool)
                y[p0:p1, o0:o1][mask] = values
            else:
                y[p0:p1, o0:o1] = stored
    return y

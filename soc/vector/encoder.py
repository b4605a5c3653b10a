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
        return np.maximum(y, 0).astype(np.int16)
    if function == "none":
        return y
    raise ValueError(f"activation: unknown {function!r}; allowed: {', '.join(ACTIVATIONS)}")


class Encoder:
    def __init__(self, env, cfg, ledger, price, nbout, dram, activation: str, frac_bits: int):
        self.env, self.cfg, self.ledger, self.price = env, cfg, ledger, price
        self.nbout, self.dram = nbout, dram
        self.activation, self.frac_bits = activation, frac_bits

    def close(self, visit: OutputVisit, final: bool):
        """SimPy process: drain an output tile from NBout to DRAM."""
        cfg, n = self.cfg, visit.rows * visit.outs
        key = (visit.op.p, visit.op.o)
        entry_words = visit.entry_bytes / 2
        held = "outputs" if visit.entry_bytes == cfg.word_bytes else "psums"  # final words or partial sums
        self.nbout.read(n * entry_words, held)
        read_cycles = math.ceil(n * entry_words * 16 / cfg.nbout.bandwidth_bits)
        if not final:
            yield self.env.timeout(read_cycles)
            self.dram.regions[("psum", key)] = visit.psums.copy()
            yield from self.dram.transfer(n * cfg.acc_bits // 8, write=True, label=f"psum {key}", data="psums")
            return
        y = activate(quantize(visit.psums, self.frac_bits), self.activation)
        self.ledger.book("pe", "nonlinear", n, self.price("pe", "nonlinear"), data_type="compute")
        if cfg.compressed_neurons:  # the encoder compacts non-zeros and builds the mask
            mask = y != 0
            values = y[mask]
            self.ledger.book("encoder", "compare", n, self.price("encoder", "compare"), data_type="outputs")
            self.ledger.book("encoder", "compact", values.size, self.price("encoder", "compact"), data_type="outputs")
            parts = [("outputs", values.size * cfg.word_bytes), ("indexes", math.ceil(n / 8))]
            self.dram.regions[("out", key)] = (values, np.packbits(mask, axis=None), mask.shape)
        else:
            parts = [("outputs", n * cfg.word_bytes)]
            self.dram.regions[("out", key)] = y
        yield self.env.timeout(read_cycles)
        yield from self.dram.transfer(sum(b for _, b in parts), write=True, label=f"out {key}",
                                      data=[p for p in parts if p[1]])


def read_outputs(regions: dict, shape: tuple[int, int], p_ranges, o_ranges) -> np.ndarray:
    """Assemble a layer's outputs from what the encoder wrote to simulated DRAM."""
    y = np.zeros(shape, np.int16)
    for pi, (p0, p1) in enumerate(p_ranges):
        for oi, (o0, o1) in enumerate(o_ranges):
            stored = regions[("out", (pi, oi))]
            if isinstance(stored, tuple):
                values, packed, tshape = stored
                mask = np.unpackbits(packed, count=tshape[0] * tshape[1]).reshape(tshape).astype(bool)
                tile = np.zeros(tshape, np.int16)
                tile[mask] = values
            else:
                tile = stored
            y[p0:p1, o0:o1] = tile
    return y

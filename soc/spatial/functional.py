"""Pass-by-pass execution of a mapping: the real arithmetic and the counts it implies.

The executor walks the loop nest of a :class:`~soc.spatial.loopnest.Mapping` exactly:
DRAM loops over GLB tiles, GLB loops over processing passes. Each pass multiplies the
weights and inputs of its tile into the partial sums the PEs hold; partial sums live
where the dataflow says: in the RF tile while the pass sequence keeps them there,
drained to the GLB copy when that tile leaves the array, and to the DRAM copy when the
GLB tile leaves the chip (read back on later fetches). The layer output is what ends
up in DRAM. Every fetch is decided by the same reuse rule as the closed form (a data
type is fetched when a dimension it depends on changes), here by observing the
indices pass after pass, so the two are independent derivations that tests compare.

Data are small integers held in float64, so every sum is exact in any order and the
array's outputs must equal the reference bit for bit.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from math import ceil
from typing import Iterator

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from soc.spatial.loopnest import DTYPES, RELEVANT, Mapping
from soc.spatial.shapes import LayerShape


def random_tensors(shape: LayerShape, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Integer-valued weights (groups*M, C, R, S) in [-8, 8] and inputs (N, groups*C, H, W) in [-8, 8].
    A layer whose ``input_density`` or ``weight_density`` is below 1 gets that share of
    its values kept (the rest set to zero, drawn independently), so that zero gating is
    exercised on the checked data."""
    rng = np.random.default_rng(seed)
    g = shape.groups
    w = rng.integers(-8, 9, size=(g * shape.M, shape.C, shape.R, shape.S)).astype(np.float64)
    x = rng.integers(-8, 9, size=(shape.N, g * shape.C, shape.H, shape.W)).astype(np.float64)
    for a, density, stream in ((w, shape.weight_density, 1), (x, shape.input_density, 2)):
        if density < 1.0:
            a[np.random.default_rng([seed, stream]).random(a.shape) >= density] = 0.0
    return w, x


def reference_conv(shape: LayerShape, weights: np.ndarray, inputs: np.ndarray) -> np.ndarray:
    """Plain NumPy convolution (cross-correlation) with stride, zero padding and groups:
    returns (N, groups*M, E, F)."""
    p, U = shape.padding, shape.stride
    xp = np.pad(inputs, ((0, 0), (0, 0), (p, p), (p, p)))
    out = np.zeros((shape.N, shape.groups * shape.M, shape.E, shape.F))
    for gi in range(shape.groups):
        xs = xp[:, gi * shape.C:(gi + 1) * shape.C]
        ws = weights[gi * shape.M:(gi + 1) * shape.M]
        for r in range(shape.R):
            for s in range(shape.S):
                patch = xs[:, :, r:r + (shape.E - 1) * U + 1:U, s:s + (shape.F - 1) * U + 1:U]
                out[:, gi * shape.M:(gi + 1) * shape.M] += np.einsum("ncpq,mc->nmpq", patch, ws[:, :, r, s])
    return out


@dataclass
class Execution:
    outputs: np.ndarray
    F2: dict[str, float] = field(default_factory=lambda: dict.fromkeys(DTYPES, 0.0))
    F1: dict[str, float] = field(default_factory=lambda: dict.fromkeys(DTYPES, 0.0))
    F0: dict[str, float] = field(default_factory=lambda: dict.fromkeys(DTYPES, 0.0))
    psum_glb_reads: float = 0.0     # partial sums read back from the GLB into the array
    psum_dram_reads: float = 0.0    # partial sums read back from DRAM into the GLB
    passes: int = 0
    macs: int = 0
    zero_input_macs: int = 0        # MACs whose input (or padding) was zero
    zero_weight_macs: int = 0       # MACs whose weight was zero


def _windows(t0: dict, ext: dict, U: int) -> float:
    """Sum over the PEs of one pass of their input-window words (sliding windows per PE)."""
    out = 1.0
    for a, b in (("P", "R"), ("Q", "S")):
        na, nb = ceil(ext[a] / t0[a]), ceil(ext[b] / t0[b])
        out *= U * nb * (ext[a] - na) + na * ext[b]
    return out * ext["N"] * ext["C"]


def execute_mapping(m: Mapping, weights: np.ndarray, inputs: np.ndarray) -> Execution:
    """Run every pass of ``m`` on real data; returns the outputs (N, groups*M, E, F) and counts."""
    res = new_execution(m)
    for _ in run_bursts(m, weights, inputs, res):
        pass
    return res


def new_execution(m: Mapping) -> Execution:
    sh = m.shape
    return Execution(np.zeros((sh.N, sh.groups * sh.M, sh.E, sh.F)))


def run_bursts(m: Mapping, weights: np.ndarray, inputs: np.ndarray, res: Execution) -> Iterator[None]:
    """Generator: executes one GLB-tile burst (all its passes) per step, groups in turn,
    accumulating into ``res``; the outputs of a group are in ``res.outputs`` once its
    last burst has run. The SimPy PE-array actor drives it burst by burst."""
    sh = m.shape
    U, pad = sh.stride, sh.padding
    D, t0, t1, g, n1, n2 = m.D, m.t0, m.t1, m.g, m.n1, m.n2
    for gi in range(sh.groups):
        W = weights[gi * sh.M:(gi + 1) * sh.M]
        xp = np.pad(inputs[:, gi * sh.C:(gi + 1) * sh.C], ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        V = sliding_window_view(xp, (sh.R, sh.S), axis=(2, 3))[:, :, ::U, ::U]  # n c p q r s
        dram = np.zeros((sh.N, sh.M, sh.E, sh.F))
        glb = np.zeros_like(dram)
        drained_to_glb = np.zeros(dram.shape, dtype=bool)
        drained_to_dram = np.zeros(dram.shape, dtype=bool)
        last_rf: dict[str, tuple | None] = dict.fromkeys(DTYPES)
        last_glb: dict[str, tuple | None] = dict.fromkeys(DTYPES)
        rf_region: tuple | None = None
        rf_value: np.ndarray | None = None
        glb_region: tuple | None = None

        def rng(x: str, lo: int, size: int) -> tuple[int, int]:
            return lo, min(lo + size, D[x])

        def oslice(reg: tuple) -> tuple:
            return tuple(slice(a, b) for a, b in reg)

        def drain_rf() -> None:
            nonlocal rf_region
            if rf_region is not None:
                glb[oslice(rf_region)] = rf_value
                drained_to_glb[oslice(rf_region)] = True
                rf_region = None

        def drain_glb() -> None:
            nonlocal glb_region
            if glb_region is not None:
                dram[oslice(glb_region)] = glb[oslice(glb_region)]
                drained_to_dram[oslice(glb_region)] = True
                glb_region = None

        dram_ranges = [range(n2[x]) for x in m.dram_order]
        walk = list(itertools.product(*dram_ranges))
        for bi, gidx in enumerate(walk):
            G = dict(zip(m.dram_order, gidx))
            ext2 = {x: rng(x, G[x] * g[x] * t1[x], g[x] * t1[x]) for x in D}
            e2 = {x: b - a for x, (a, b) in ext2.items()}
            new_glb = {}
            for d in DTYPES:
                key = tuple(G[x] for x in sorted(RELEVANT[d]))
                new_glb[d] = key != last_glb[d]
                if new_glb[d]:
                    last_glb[d] = key
                    if d != "psums":
                        res.F2[d] += m.tile_words(e2)[d]
            glb_ranges = [range(G[x] * g[x], min((G[x] + 1) * g[x], n1[x])) for x in m.glb_order]
            for cidx in itertools.product(*glb_ranges):
                ci = dict(zip(m.glb_order, cidx))
                reg = {x: rng(x, ci[x] * t1[x], t1[x]) for x in D}
                e1 = {x: b - a for x, (a, b) in reg.items()}
                words1 = m.tile_words(e1)
                fetch = {}
                for d in DTYPES:
                    key = tuple(ci[x] for x in sorted(RELEVANT[d]))
                    fetch[d] = (key != last_rf[d]) or not m.has_rf
                    last_rf[d] = key
                # partial sums: drain the RF tile, move the GLB tile, fetch the new RF tile
                if fetch["psums"]:
                    drain_rf()
                    if new_glb["psums"]:
                        new_glb["psums"] = False
                        drain_glb()
                        glb_region = tuple(ext2[x] for x in "NMPQ")
                        s2 = oslice(glb_region)
                        res.F2["psums"] += dram[s2].size
                        res.psum_dram_reads += int(drained_to_dram[s2].sum())
                        glb[s2] = np.where(drained_to_dram[s2], dram[s2], 0.0)
                        drained_to_glb[s2] = drained_to_dram[s2]
                    rf_region = tuple(reg[x] for x in "NMPQ")
                    s1 = oslice(rf_region)
                    res.psum_glb_reads += int(drained_to_glb[s1].sum())
                    rf_value = np.where(drained_to_glb[s1], glb[s1], 0.0)
                    res.F1["psums"] += words1["psums"]
                    active = 1
                    for x in "CRS":
                        active *= ceil(e1[x] / t0[x])
                    res.F0["psums"] += words1["psums"] * active
                for d in ("weights", "inputs"):
                    if fetch[d]:
                        res.F1[d] += words1[d]
                        if d == "weights":
                            per_pe = words1[d]
                            for x in "NPQ":
                                per_pe *= ceil(e1[x] / t0[x])
                        else:
                            per_pe = _windows(t0, e1, U) * ceil(e1["M"] / t0["M"])
                        res.F0[d] += per_pe
                # the pass itself
                (n0, n1_), (m0, m1), (c0, c1), (p0, p1), (q0, q1), (r0, r1), (s0, s1_) = (
                    reg[x] for x in "NMCPQRS")
                X = V[n0:n1_, c0:c1, p0:p1, q0:q1, r0:r1, s0:s1_]
                Wt = W[m0:m1, c0:c1, r0:r1, s0:s1_]
                rf_value = rf_value + np.moveaxis(np.tensordot(X, Wt, axes=([1, 4, 5], [1, 2, 3])), -1, 1)
                res.passes += 1
                res.macs += X.size * (m1 - m0)
                res.zero_input_macs += int(np.count_nonzero(X == 0)) * (m1 - m0)
                res.zero_weight_macs += int(np.count_nonzero(Wt == 0)) * (n1_ - n0) * (p1 - p0) * (q1 - q0)
            if bi == len(walk) - 1:
                drain_rf()
                drain_glb()
                res.outputs[:, gi * sh.M:(gi + 1) * sh.M] = dram
            yield

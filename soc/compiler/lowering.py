"""Lower a layer (FC or convolution) to the matrix form the vector accelerator computes.

Every output neuron is a dot product of one input row (an FC input vector, or one
convolution window flattened channel-major: c, ky, kx) with one weight row. A layer
becomes ``rows`` (P x N_in int16, zeros kept) and ``weights`` (N_out x N_in int16) with
its ``keep`` mask (unpruned positions). Grouped convolutions lower to one matrix per
group. The input footprint of a tile (the distinct input neurons it needs, which is
what the DMA loads into NBin) is computed from the real activation map, so overlapping
convolution windows are loaded once per tile: that is input reuse in NBin.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class ConvGeometry:
    channels: int   # input channels of this group
    height: int
    width: int
    kernel: tuple[int, int]
    stride: int
    padding: int
    out_hw: tuple[int, int]


@dataclass
class MatrixLayer:
    """One matrix product of a layer: outputs (P x N_out) = rows (P x N_in) . weights^T."""
    name: str
    kind: str                      # "fc" or "conv"
    rows: np.ndarray               # int16 (P, N_in)
    weights: np.ndarray            # int16 (N_out, N_in)
    keep: np.ndarray               # bool (N_out, N_in): unpruned positions
    inputs: np.ndarray             # int16: FC (B, N_in); conv (C, H, W) of this group
    geometry: ConvGeometry | None = None
    batch: int = 1
    shift: int = 8                 # fractional bits of the weights: the product shift
    _nz_cumsum: np.ndarray | None = field(default=None, repr=False)

    @property
    def p(self) -> int:
        return self.rows.shape[0]

    @property
    def n_in(self) -> int:
        return self.rows.shape[1]

    @property
    def n_out(self) -> int:
        return self.weights.shape[0]

    def group_keep(self, tn: int) -> np.ndarray:
        """The shared synapse mask of each group of ``tn`` consecutive outputs: the union of
        their unpruned positions (bool, (ceil(N_out / tn), N_in)). Cached per tn."""
        cache = self.__dict__.setdefault("_group_keep", {})
        if tn not in cache:
            n_out, n_in = self.keep.shape
            groups = -(-n_out // tn)
            padded = self.keep
            if groups * tn != n_out:
                padded = np.zeros((groups * tn, n_in), bool)
                padded[:n_out] = self.keep
            cache[tn] = padded.reshape(groups, tn, n_in).any(axis=1)
        return cache[tn]

    @property
    def row_block(self) -> int:
        """Rows that share input footprint rows: one output row of a conv map, one FC input."""
        return self.geometry.out_hw[1] if self.geometry else 1

    @property
    def in_block(self) -> int:
        """Input positions per tiling step along N_in: one channel's window for conv, 1 for FC."""
        g = self.geometry
        return g.kernel[0] * g.kernel[1] if g else 1

    def footprint(self, p0: int, p1: int, i0: int, i1: int) -> tuple[int, int]:
        """(positions, non-zeros) of the distinct input neurons that rows [p0, p1) need
        at matrix columns [i0, i1)."""
        g = self.geometry
        if g is None:
            block = self.rows[p0:p1, i0:i1]
            return block.size, int(np.count_nonzero(block))
        kh, kw = g.kernel
        f = g.out_hw[1]
        c0, c1 = i0 // (kh * kw), -(-i1 // (kh * kw))
        e0, e1 = p0 // f, (p1 - 1) // f + 1
        r0 = max(0, e0 * g.stride - g.padding)
        r1 = max(r0, min(g.height, (e1 - 1) * g.stride - g.padding + kh))  # windows all in padding: none
        q0, q1 = 0, g.width
        if e1 - e0 == 1:  # part of one output row: only the columns its windows cover
            f0, f1 = p0 - e0 * f, p1 - e0 * f
            q0 = max(0, f0 * g.stride - g.padding)
            q1 = max(q0, min(g.width, (f1 - 1) * g.stride - g.padding + kw))
        slab = self.inputs[c0:c1, r0:r1, q0:q1]
        return slab.size, int(np.count_nonzero(slab))


def im2col(x: np.ndarray, kernel: tuple[int, int], stride: int, padding: int) -> np.ndarray:
    """(C, H, W) -> (E*F, C*kh*kw) windows, channel-major columns (c, ky, kx)."""
    c, h, w = x.shape
    kh, kw = kernel
    xp = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))
    e = (h + 2 * padding - kh) // stride + 1
    f = (w + 2 * padding - kw) // stride + 1
    s = xp.strides
    win = np.lib.stride_tricks.as_strided(
        xp, shape=(e, f, c, kh, kw), strides=(s[1] * stride, s[2] * stride, s[0], s[1], s[2]), writeable=False)
    return np.ascontiguousarray(win.reshape(e * f, c * kh * kw))


def lower_fc(name: str, x: np.ndarray, w: np.ndarray, keep: np.ndarray) -> list[MatrixLayer]:
    """x: (B, N_in) int16, w/keep: (N_out, N_in)."""
    x = np.ascontiguousarray(np.atleast_2d(x), dtype=np.int16)
    if x.shape[1] != w.shape[1]:
        raise ValueError(f"layer {name}: input has {x.shape[1]} features but weights expect {w.shape[1]}")
    return [MatrixLayer(name, "fc", x, np.ascontiguousarray(w, np.int16), np.asarray(keep, bool), x,
                        batch=x.shape[0])]


def lower_conv(name: str, x: np.ndarray, w: np.ndarray, keep: np.ndarray, stride: int = 1,
               padding: int = 0, groups: int = 1) -> list[MatrixLayer]:
    """x: (C, H, W) int16 (one image); w/keep: (C_out, C_in/groups, kh, kw)."""
    x = np.asarray(x, dtype=np.int16)
    c, h, wd = x.shape
    c_out, c_in_g, kh, kw = w.shape
    if c != c_in_g * groups:
        raise ValueError(f"layer {name}: input has {c} channels but weights expect {c_in_g} x {groups} groups")
    if c_out % groups:
        raise ValueError(f"layer {name}: groups={groups} must divide the {c_out} output channels")
    e = (h + 2 * padding - kh) // stride + 1
    f = (wd + 2 * padding - kw) // stride + 1
    if e < 1 or f < 1:
        raise ValueError(f"layer {name}: kernel {kh}x{kw} larger than the padded {h}x{wd} input")
    out_g = c_out // groups
    parts = []
    for g in range(groups):
        xg = np.ascontiguousarray(x[g * c_in_g:(g + 1) * c_in_g])
        wg = w[g * out_g:(g + 1) * out_g].reshape(out_g, -1)
        kg = keep[g * out_g:(g + 1) * out_g].reshape(out_g, -1)
        geo = ConvGeometry(c_in_g, h, wd, (kh, kw), stride, padding, (e, f))
        label = name if groups == 1 else f"{name}/g{g}"
        parts.append(MatrixLayer(label, "conv", im2col(xg, (kh, kw), stride, padding),
                                 np.ascontiguousarray(wg, np.int16), np.asarray(kg, bool), xg, geo))
    return parts


def weight_frac_bits(w: np.ndarray) -> int:
    """Per-layer fixed-point format of the weights: the most fractional bits (<= 15) that
    keep max |w| inside int16. The kernel shifts products right by this many bits, so
    outputs keep the neurons' Q-format (a per-layer weight scale, as fixed-point
    deployments use)."""
    peak = float(max(w.max(), -w.min())) if w.size else 0.0
    if peak == 0.0:
        return 15
    return int(max(0, min(15, np.floor(np.log2(32767.0 / peak)))))

"""Loop tiling and the reuse-strategy traffic model (docs/hardware.md §6).

Tile sizes of sparse data are estimated as dense size x density (the compiler does not
look at individual values when it plans); the chosen tiling is then checked against the
real tile contents and shrunk until every real tile fits its ping-pong half. The DRAM
traffic of a strategy is the number of tiles of each operand times how often the loop
nest reloads it (the stationary operand once; partial sums twice, read and written).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from soc.arch.vector import VectorArch
from soc.compiler.lowering import MatrixLayer
from soc.compiler.program import STRATEGIES, Tiling
from soc.compiler.tiles import STEP_INDEX_BITS, TileMaker


class TilingError(ValueError):
    """No tiling of the layer fits the buffers."""


@dataclass(frozen=True)
class Densities:
    inputs: float    # fraction of non-zero input neurons
    weights: float   # fraction of stored weights (shared group masks for coarse-sparse)
    outputs: float   # expected fraction of non-zero outputs (for the encoder's output bytes)


def psum_bytes(cfg: VectorArch) -> int:
    return cfg.acc_bits // 8


def nbout_entry_bytes(cfg: VectorArch, whole_reduction: bool) -> int:
    """Bytes one output occupies in NBout: a final word when a tile's whole reduction runs
    in one burst (the PE accumulators hold the running sum), else a partial sum at
    accumulator width (it must survive between bursts)."""
    return cfg.word_bytes if whole_reduction else psum_bytes(cfg)


def measure_densities(layer: MatrixLayer, cfg: VectorArch) -> Densities:
    d_in = float(np.count_nonzero(layer.inputs)) / max(1, layer.inputs.size)
    if cfg.shared_index:
        d_w = float(layer.group_keep(cfg.tn).mean()) if layer.n_out else 0.0
    elif cfg.step_indexed:
        d_w = float(layer.keep.mean())
    else:
        d_w = 1.0
    return Densities(d_in, d_w, d_in)


@dataclass(frozen=True)
class TileEstimate:
    nbin: float
    nibin: float
    sb_per_pe: float
    sib: float
    nbout: float


def _footprint_positions(layer: MatrixLayer, rows: int, cols: int) -> int:
    g = layer.geometry
    if g is None:
        return rows * cols
    f = g.out_hw[1]
    channels = -(-cols // (g.kernel[0] * g.kernel[1]))
    if rows < f:  # part of an output row (a tile may straddle two rows: counted as one)
        return channels * min(g.height, g.kernel[0]) * min(g.width, (rows - 1) * g.stride + g.kernel[1])
    out_rows = -(-rows // f)
    in_rows = min(g.height, (out_rows - 1) * g.stride + g.kernel[0])
    return channels * in_rows * g.width


def estimate_tile(layer: MatrixLayer, cfg: VectorArch, d: Densities, rows: int, cols: int, outs: int) -> TileEstimate:
    word = cfg.word_bytes
    pos = _footprint_positions(layer, rows, cols)
    per_pe_outputs = -(-outs // cfg.tn)
    if cfg.compressed_neurons:
        nbin, nibin = pos * d.inputs * word, pos / 8
    else:
        nbin, nibin = pos * word, 0.0
    sib = 0.0
    if cfg.shared_index:
        sb = per_pe_outputs * cols * d.weights * cfg.weight_code_bits / 8
        sib = -(-outs // cfg.tn) * cols / 8
    elif cfg.step_indexed:
        sb = per_pe_outputs * cols * d.weights * (cfg.weight_code_bits + STEP_INDEX_BITS) / 8
    else:
        sb = per_pe_outputs * cols * cfg.weight_code_bits / 8
    return TileEstimate(nbin, nibin, sb, sib, rows * outs * nbout_entry_bytes(cfg, cols >= layer.n_in))


TILE_BUFFERS = ("nbin", "nibin", "sb", "sib", "nbout")


def fits(est: TileEstimate, cfg: VectorArch, budget: dict[str, float] | None = None) -> bool:
    """Does an estimated tile fit every half, each scaled by its ``budget`` fraction?"""
    b = budget or {}
    need = {"nbin": est.nbin, "nibin": est.nibin, "sb": est.sb_per_pe, "sib": est.sib, "nbout": est.nbout}
    return all(need[n] <= getattr(cfg, n).half_bytes * b.get(n, 1.0) if getattr(cfg, n) is not None else need[n] == 0
               for n in TILE_BUFFERS)


def _sizes(n: int, step: int) -> list[tuple[int, int]]:
    """Distinct tile sizes along one axis and how many tiles have each: (size, count)."""
    full, rest = divmod(n, step)
    return [(step, full)] + ([(rest, 1)] if rest else []) if full else [(rest, 1)]


def _input_total(layer: MatrixLayer, cfg: VectorArch, d: Densities, p_tile: int, i_tile: int) -> float:
    """Estimated bytes of all input tiles (values + masks), each loaded once."""
    total = 0.0
    for r, rc in _sizes(layer.p, p_tile):
        for c, cc in _sizes(layer.n_in, i_tile):
            e = estimate_tile(layer, cfg, d, r, c, cfg.tn)
            total += rc * cc * (e.nbin + e.nibin)
    return total


def _weight_total(layer: MatrixLayer, cfg: VectorArch, d: Densities, o_tile: int, i_tile: int) -> float:
    """Estimated bytes of all weight tiles (every PE's SB + SIB), each loaded once."""
    total = 0.0
    for o, oc in _sizes(layer.n_out, o_tile):
        for c, cc in _sizes(layer.n_in, i_tile):
            e = estimate_tile(layer, cfg, d, 1, c, o)
            total += oc * cc * (e.sb_per_pe * cfg.tn + e.sib)
    return total


def _strategy_traffic(layer: MatrixLayer, cfg: VectorArch, d: Densities, tiling: Tiling,
                      x_total: float, w_total: float) -> dict[str, float]:
    n_p, n_i, n_o = (-(-n // t) for n, t in ((layer.p, tiling.p_tile), (layer.n_in, tiling.i_tile),
                                             (layer.n_out, tiling.o_tile)))
    return _reuse_traffic(tiling.strategy, n_p, n_i, n_o, x_total, w_total, *_output_bytes(layer, cfg, d))


def _output_bytes(layer: MatrixLayer, cfg: VectorArch, d: Densities) -> tuple[float, float]:
    """Bytes of the whole output as partial sums (accumulator width) and as written final."""
    n_y = layer.p * layer.n_out
    y_psum = n_y * psum_bytes(cfg)
    y_final = (n_y * d.outputs * cfg.word_bytes + n_y / 8) if cfg.compressed_neurons else n_y * cfg.word_bytes
    return y_psum, y_final


def _reuse_traffic(s: str, n_p: int, n_i: int, n_o: int, x_total: float, w_total: float,
                   y_psum: float, y_final: float) -> dict[str, float]:
    """DRAM bytes by operand of a loop nest of n_p x n_i x n_o tiles under strategy ``s``."""
    if s == "output-reuse":
        x = x_total if (n_p == 1 and n_i == 1) else n_o * x_total
        w = w_total if n_i == 1 else n_p * w_total
        psum = 0.0
    elif s == "synapse-reuse":
        w = w_total
        x = x_total if (n_p == 1 and n_i == 1) else n_o * x_total
        psum = 0.0 if n_p == 1 else 2 * (n_i - 1) * y_psum
    elif s == "input-reuse":
        x = x_total
        w = w_total if (n_o == 1 and n_i == 1) else n_p * w_total
        psum = 0.0 if n_o == 1 else 2 * (n_i - 1) * y_psum
    else:
        raise ValueError(f"strategy: unknown {s!r}; allowed: {', '.join(STRATEGIES)}")
    return {"inputs": x, "weights": w, "partial_sums": psum, "outputs": y_final,
            "total": x + w + psum + y_final}


def traffic(layer: MatrixLayer, cfg: VectorArch, d: Densities, tiling: Tiling) -> dict[str, float]:
    """Estimated DRAM bytes of a tiling under its strategy, by operand."""
    return _strategy_traffic(layer, cfg, d, tiling, _input_total(layer, cfg, d, tiling.p_tile, tiling.i_tile),
                             _weight_total(layer, cfg, d, tiling.o_tile, tiling.i_tile))


def _candidates(n: int, unit: int) -> list[int]:
    """Powers of two times ``unit`` below ``n``, and ``n``."""
    out, k = [], unit
    while k < n:
        out.append(k)
        k *= 2
    out.append(n)
    return sorted(set(out))


def output_candidates(n_out: int, tn: int) -> list[int]:
    """Output-tile sizes: 1 to 16 groups of Tn, then powers of two of Tn, and N_out."""
    small = {k * tn for k in range(1, 17) if k * tn < n_out}
    return sorted(small | set(_candidates(n_out, tn)))


def row_candidates(layer: MatrixLayer) -> list[int]:
    """Row-tile sizes: whole output rows (powers of two of them) and, for convolutions,
    the divisors of one output row, so that a tile smaller than a row never straddles two
    rows (its input footprint stays one window-row high)."""
    out = set(_candidates(layer.p, layer.row_block))
    if layer.geometry is not None:
        f = layer.row_block
        out |= {d for d in range(1, f) if f % d == 0}
    return sorted(out)


def plan(layer: MatrixLayer, cfg: VectorArch, strategy: str,
         budget: dict[str, float] | None = None) -> tuple[Tiling, dict[str, float]]:
    """The tiling of least estimated traffic for one strategy (ties: fewest tiles) whose
    estimated tiles fit the buffer halves scaled by ``budget``."""
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy: unknown {strategy!r}; allowed: {', '.join(STRATEGIES)}")
    return plan_all(layer, cfg, budget, (strategy,))[strategy]


def plan_all(layer: MatrixLayer, cfg: VectorArch, budget: dict[str, float] | None = None,
             strategies: tuple[str, ...] = STRATEGIES) -> dict[str, tuple[Tiling, dict[str, float]]]:
    """:func:`plan` for several strategies in one walk over the candidate tilings: whether
    a tile fits does not depend on the strategy, and the bytes of all input tiles (of all
    weight tiles) depend only on the row and input (output and input) tile sizes, so each
    is estimated once."""
    d = measure_densities(layer, cfg)
    b = budget or {}
    halves = [(n, getattr(cfg, n).half_bytes * b.get(n, 1.0) if getattr(cfg, n) is not None else None)
              for n in TILE_BUFFERS]
    best: dict[str, tuple] = {}
    x_totals: dict[tuple[int, int], float] = {}
    w_totals: dict[tuple[int, int], float] = {}
    outs = output_candidates(layer.n_out, cfg.tn)   # ascending
    y_psum, y_final = _output_bytes(layer, cfg, d)
    rows, n_in, n_out = layer.p, layer.n_in, layer.n_out
    for p in row_candidates(layer):
        for i in _candidates(n_in, layer.in_block):
            for o in outs:
                est = estimate_tile(layer, cfg, d, p, i, o)
                need = {"nbin": est.nbin, "nibin": est.nibin, "sb": est.sb_per_pe, "sib": est.sib, "nbout": est.nbout}
                if not all(need[n] <= cap if cap is not None else need[n] == 0 for n, cap in halves):
                    break   # every estimate grows with the output tile: a larger one fits no better
                x = x_totals.get((p, i))
                if x is None:
                    x = x_totals[(p, i)] = _input_total(layer, cfg, d, p, i)
                w = w_totals.get((o, i))
                if w is None:
                    w = w_totals[(o, i)] = _weight_total(layer, cfg, d, o, i)
                n_p, n_i, n_o = -(-rows // p), -(-n_in // i), -(-n_out // o)
                tiles = n_p * n_i * n_o
                for s in strategies:
                    tr = _reuse_traffic(s, n_p, n_i, n_o, x, w, y_psum, y_final)
                    key = (round(tr["total"]), tiles)
                    if s not in best or key < best[s][0]:
                        best[s] = (key, Tiling(p, i, o, s), tr)
    if not best:
        raise TilingError(
            f"layer {layer.name}: no tiling fits the buffers (smallest tile: 1 row x "
            f"{layer.in_block} inputs x {cfg.tn} outputs needs {estimate_tile(layer, cfg, d, 1, layer.in_block, cfg.tn)}; "
            f"half capacities " + " ".join(f"{n}={getattr(cfg, n).half_bytes}" for n in TILE_BUFFERS
                                           if getattr(cfg, n) is not None) + " bytes"
            + (f"; budget after real tiles overflowed: {budget}" if budget else "") + ")")
    return {s: (best[s][1], best[s][2]) for s in strategies}


def real_overflow(tm: TileMaker) -> dict[str, float]:
    """For every buffer some real tile overflows: its largest tile / the half capacity."""
    cfg = tm.cfg
    peak = dict.fromkeys(("nbin", "nibin", "sb", "sib"), 0)
    for p in range(len(tm.pr)):
        for i in range(len(tm.ir)):
            t = tm.input_tile(p, i)
            peak["nbin"] = max(peak["nbin"], t.nbin_bytes)
            peak["nibin"] = max(peak["nibin"], t.nibin_bytes)
    for o in range(len(tm.orr)):
        for i in range(len(tm.ir)):
            w = tm.weight_tile(o, i)
            peak["sb"] = max(peak["sb"], int(w.sb_bytes.max()))
            peak["sib"] = max(peak["sib"], w.sib_bytes)
    ratios = {n: v / getattr(cfg, n).half_bytes for n, v in peak.items() if getattr(cfg, n) is not None}
    return {n: r for n, r in ratios.items() if r > 1.0}


def choose(layer: MatrixLayer, cfg: VectorArch, strategy: str | None = None, *, weight_tiles: dict | None = None
           ) -> tuple[Tiling, dict[str, dict[str, float]], TileMaker]:
    """Plan every strategy and pick the least-traffic one (or the forced one). Estimates use
    mean densities, so a real tile can be larger than planned; then the overflowing
    buffer's budget shrinks by the overflow ratio and every strategy is planned again, so
    the choice and the traffic returned are those of the tiling that really runs.
    Returns the tiling, every strategy's estimated traffic, and the tile maker holding the
    real tiles (reused by the simulation). ``weight_tiles``: see :class:`TileMaker` (weight
    tiles shared by matrices with the same weights, such as the images of a batch)."""
    if strategy is not None and strategy not in STRATEGIES:
        raise ValueError(f"strategy: unknown {strategy!r}; allowed: {', '.join(STRATEGIES)}")
    budget: dict[str, float] = {}
    for _ in range(24):
        plans = plan_all(layer, cfg, budget)
        chosen = strategy or min(STRATEGIES, key=lambda s: plans[s][1]["total"])
        t = plans[chosen][0]
        tm = TileMaker(layer, cfg, t, weight_tiles=weight_tiles)
        over = real_overflow(tm)
        if not over:
            return t, {s: tr for s, (_, tr) in plans.items()}, tm
        for name, ratio in over.items():
            budget[name] = budget.get(name, 1.0) / ratio * 0.98
    raise TilingError(f"layer {layer.name}: real tiles still overflow {sorted(over)} after re-planning "
                      f"with budgets {budget}")

"""What the compiler decides for one layer: its tiling, the estimated DRAM traffic of each
reuse strategy (bytes, docs/hardware.md §6 model of :func:`soc.compiler.tiling.traffic`) and the
strategy chosen (least traffic, or the forced one).

A layer is lowered exactly as :func:`soc.runtime.simulate.simulate_layer` lowers it (fixed-point
neurons and weights, one matrix per convolution group and image); the traffic of a layer
is the sum over its matrices; the tiling shown is the first matrix's (every group of a
layer has the same shape).
"""
from __future__ import annotations

from soc.arch.vector import VectorArch
from soc.compiler.lowering import MatrixLayer, lower_conv, lower_fc, weight_frac_bits
from soc.compiler.program import STRATEGIES
from soc.compiler.tiling import choose


def strategy_key(strategy: str) -> str:
    """``output-reuse`` -> ``output_reuse`` (the JSON keys)."""
    return strategy.replace("-", "_")


def lower_layer(layer, tensors, cfg: VectorArch) -> list[MatrixLayer]:
    """The matrix parts of an FC or conv layer with its tensors, as the simulator builds them."""
    from workloads.sparsity import to_fixed
    if layer.kind not in ("fc", "conv"):
        raise ValueError(f"layer {layer.name!r} is a {layer.kind!r} layer: it runs on the NFU element by "
                         f"element and has no tiling; explain takes conv and fc layers")
    shift = weight_frac_bits(tensors.weights)
    w = to_fixed(tensors.weights, shift)
    x = to_fixed(tensors.inputs, cfg.frac_bits)
    if layer.kind == "fc":
        parts = lower_fc(layer.name, x.reshape(x.shape[0], -1), w, tensors.keep)
    else:
        parts = []
        for image in x:
            parts += lower_conv(layer.name, image, w, tensors.keep, layer.stride_hw[0], layer.padding_hw[0],
                                layer.groups)
    for p in parts:
        p.shift = shift
    return parts


def explain_parts(name: str, parts: list[MatrixLayer], cfg: VectorArch, strategy: str | None = None) -> dict:
    """Tiling, per-strategy traffic (bytes, summed over the parts) and the choice."""
    totals = {s: 0.0 for s in STRATEGIES}
    by_operand = {s: {} for s in STRATEGIES}
    tiling = chosen = None
    for part in parts:
        t, traffic, _ = choose(part, cfg, strategy)
        if tiling is None:
            tiling, chosen = t, t.strategy
        for s in STRATEGIES:
            totals[s] += traffic[s]["total"]
            for k, v in traffic[s].items():
                by_operand[s][k] = by_operand[s].get(k, 0.0) + v
    first = parts[0]
    return {
        "layer": name, "arch": cfg.name, "matrices": len(parts),
        "matrix_shape": {"rows": first.p, "inputs": first.n_in, "outputs": first.n_out},
        "tiling": {"p_tile": tiling.p_tile, "i_tile": tiling.i_tile, "o_tile": tiling.o_tile,
                   "tiles": {"p": -(-first.p // tiling.p_tile), "i": -(-first.n_in // tiling.i_tile),
                             "o": -(-first.n_out // tiling.o_tile)}},
        "strategies": {strategy_key(s): round(totals[s]) for s in STRATEGIES},
        "traffic_by_operand": {strategy_key(s): {k: round(v) for k, v in by_operand[s].items()} for s in STRATEGIES},
        "chosen": chosen, "forced": strategy is not None,
    }


def format_explanation(e: dict) -> str:
    t = e["tiling"]
    lines = [f"layer {e['layer']} on {e['arch']}: {e['matrices']} matrix product(s) of "
             f"{e['matrix_shape']['rows']} rows x {e['matrix_shape']['inputs']} inputs -> "
             f"{e['matrix_shape']['outputs']} outputs",
             f"  tiling: {t['p_tile']} rows x {t['i_tile']} inputs x {t['o_tile']} outputs per tile "
             f"({t['tiles']['p']} x {t['tiles']['i']} x {t['tiles']['o']} tiles)",
             "  estimated DRAM traffic (bytes): inputs / weights / partial sums / outputs = total"]
    for key, total in e["strategies"].items():
        ops = e["traffic_by_operand"][key]
        mark = "  <- chosen" + (" (forced)" if e["forced"] else " (least traffic)") if key == strategy_key(e["chosen"]) else ""
        lines.append(f"    {key:<14} {ops['inputs']:>12,} / {ops['weights']:>12,} / {ops['partial_sums']:>12,} / "
                     f"{ops['outputs']:>10,} = {total:>13,}{mark}")
    return "\n".join(lines)

"""``socsim compress NETWORK --out DIR``: the compression pipeline on a zoo network.

Writes ``DIR/compression.csv`` (one row per conv/fc layer plus ``total``; columns in
:mod:`workloads.compress.report`) and, for networks with trained weights (lenet5, mlp),
``DIR/accuracy.json`` (test accuracy ``before`` and ``after`` compression, fractions
0..1). Other networks use synthetic weights at the measured sparsities of SPEC section 1.
Prints the table unless ``--quiet``.
"""
from __future__ import annotations

import json
from pathlib import Path

import typer

from soc.cli import UserError, app
from soc.cli.netopts import SEED_MAX

TRAINED = ("lenet5", "mlp")


def _dims(option: str, text: str, axes: int) -> tuple[int, ...] | None:
    """Parse "16x16" style sizes; None when empty."""
    if not text:
        return None
    try:
        dims = tuple(int(v) for v in text.lower().split("x"))
    except ValueError:
        dims = ()
    if len(dims) != axes or min(dims) < 1:
        raise UserError(f"{option} {text!r}: expected {axes} positive integers joined by 'x' "
                        f"(e.g. {'x'.join(['16'] * 2) if axes == 2 else '16x1x1x1'})")
    return dims


def mode_is_synthetic(network: str, weights: str) -> bool:
    return weights == "synthetic" or (weights == "auto" and network not in TRAINED)


@app.command()
def compress(
    network: str = typer.Argument(..., help="zoo network name, e.g. lenet5, mlp, alexnet"),
    out: Path = typer.Option(..., "--out", help="output directory"),
    weights: str = typer.Option("auto", help="trained | synthetic | auto (trained for lenet5/mlp)"),
    seed: int = typer.Option(0, min=0, max=SEED_MAX, help="seed for training, synthetic weights and k-means"),
    rounds: int = typer.Option(4, min=1, max=100, help="pruning rounds (trained weights)"),
    finetune_epochs: int = typer.Option(3, min=0, max=1000, help="fine-tuning epochs after each pruning round"),
    criterion: str = typer.Option("mean", help="block pruning criterion: mean | max"),
    submatrices: int = typer.Option(64, min=1, max=65536, help="sub-matrices per layer for local quantization"),
    max_accuracy_drop: float = typer.Option(0.005, min=0.0, max=1.0, help="K choice: allowed training-accuracy drop (0..1)"),
    fc_block: str = typer.Option("", help="FC block B_out x B_in, e.g. 16x16 (default 32x32, 16x16 for small layers)"),
    conv_block: str = typer.Option("", help="conv block B_fout x B_fin x Bx x By, e.g. 16x1x1x1 (default)"),
    fc_stride: str = typer.Option("", help="FC window stride (default = block), e.g. 8x8"),
    conv_stride: str = typer.Option("", help="conv window stride (default = block)"),
    quiet: bool = typer.Option(False, "--quiet", help="do not print the table"),
) -> None:
    """Prune, quantize and entropy-code a network's weights; report sizes and ratios."""
    from workloads.compress import jbig

    if not 0 <= max_accuracy_drop <= 1:  # a range check alone lets nan through
        raise UserError(f"--max-accuracy-drop: must be a fraction in [0, 1], got {max_accuracy_drop!r}")
    try:
        from workloads.zoo import get_network
    except ImportError as exc:  # pragma: no cover - only before the zoo exists
        raise UserError(f"the network zoo (workloads.zoo) is not available: {exc}") from exc
    if weights not in ("auto", "trained", "synthetic"):
        raise UserError(f"--weights {weights!r} is not allowed; allowed: auto, trained, synthetic")
    if criterion not in ("mean", "max"):
        raise UserError(f"--criterion {criterion!r} is not allowed; allowed: mean, max")
    blocks = {k: v for k, v in (("fc", _dims("--fc-block", fc_block, 2)),
                                 ("conv", _dims("--conv-block", conv_block, 4))) if v}
    strides = {k: v for k, v in (("fc", _dims("--fc-stride", fc_stride, 2)),
                                  ("conv", _dims("--conv-stride", conv_stride, 4))) if v}
    if strides and mode_is_synthetic(network, weights):
        raise UserError("--fc-stride/--conv-stride apply to pruning of trained weights only "
                        "(synthetic weights come pruned in non-overlapping blocks)")
    try:
        jbig.library()
    except jbig.JbigUnavailable as exc:
        raise UserError(str(exc)) from exc
    from soc.rundir import claim
    try:
        net = get_network(network)
        with claim(out) as rundir:  # writable and ours before the pipeline runs
            rundir.register("compression.csv", "accuracy.json")
            _compress(net, network, out, weights, seed, rounds, finetune_epochs, criterion, submatrices,
                      max_accuracy_drop, blocks, strides, quiet)
    except ValueError as exc:
        raise UserError(str(exc)) from exc


def _compress(net, network: str, out: Path, weights: str, seed: int, rounds: int, finetune_epochs: int,
              criterion: str, submatrices: int, max_accuracy_drop: float, blocks: dict, strides: dict,
              quiet: bool) -> None:
    from workloads.compress.pipeline import (compress_synthetic, compress_trained, measured_targets,
                                             trained_targets)
    from workloads.compress.report import format_table, write_csv
    mode = ("trained" if network in TRAINED else "synthetic") if weights == "auto" else weights
    kinds = measured_targets(network)

    def log(msg: str) -> None:
        if not quiet:
            typer.echo(msg, err=True)

    if mode == "trained":
        result = compress_trained(net, trained_targets(net, kinds), seed=seed, rounds=rounds,
                                  finetune_epochs=finetune_epochs, criterion=criterion,
                                  n_sub=submatrices, max_accuracy_drop=max_accuracy_drop,
                                  blocks=blocks, strides=strides, log=log)
    else:
        result = compress_synthetic(net, {k: 1.0 - v for k, v in kinds.items()}, seed=seed,
                                    n_sub=submatrices, blocks=blocks, log=log)
    write_csv(out / "compression.csv", result.layers)
    if result.accuracy is not None:
        (out / "accuracy.json").write_text(json.dumps(result.accuracy, indent=2) + "\n")
    if not quiet:
        typer.echo(format_table(result.layers, title=f"{network} ({result.notes.get('weights')}), bytes"))
        if result.accuracy is not None:
            a = result.accuracy
            typer.echo(f"test accuracy: before {a['before']:.4f}, after pruning {a['after_pruning']:.4f}, "
                       f"after compression {a['after']:.4f} (global codebooks: "
                       f"{a['after_global_quantization']:.4f}; {a['test_samples']} test images)")
        typer.echo(f"wrote {out / 'compression.csv'}")

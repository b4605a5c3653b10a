"""``socsim compress MODEL --out DIR``: the compression pipeline on a model's weights.

MODEL is any model argument of ``socsim run`` (zoo name, YAML/CSV/ONNX file, Timeloop
problem files or folder). Writes ``DIR/compression.csv`` (one row per conv/fc layer plus
``total``; columns in :mod:`workloads.compress.report`) and, for zoo networks with
trained weights (lenet5, mlp), ``DIR/accuracy.json`` (test accuracy ``before`` and
``after`` compression, fractions 0..1, and accuracy per parameter before (dense
weights) and after (non-zero weights); ``socsim run NETWORK --accuracy DIR`` adds accuracy
per joule of an inference). Other models use synthetic weights: a zoo
network at the measured sparsities of docs/hardware.md §1 per layer kind, any other model at
the densities of :mod:`workloads.density` (``--weight-density``, else what the file
states, else the measured defaults). Prints the table unless ``--quiet``.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from soc.cli import UserError, app
from soc.cli.netopts import MODEL_HELP, SEED_MAX, parse_density, plan, resolve_model, spec_of

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
    network: List[str] = typer.Argument(..., help=MODEL_HELP),
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
    weight_density: Optional[float] = typer.Option(None, help="synthetic weights: fraction kept, in (0, 1], "
                                                   "every layer (default: the file's, else measured)"),
    quiet: bool = typer.Option(False, "--quiet", help="do not print the table"),
) -> None:
    """Prune, quantize and entropy-code a network's weights; report sizes and ratios."""
    from workloads.compress import jbig
    from workloads.compress.pipeline import compress_synthetic, compress_trained, measured_targets, trained_targets
    from workloads.compress.report import format_table, write_csv

    if weights not in ("auto", "trained", "synthetic"):
        raise UserError(f"--weights {weights!r} is not allowed; allowed: auto, trained, synthetic")
    if criterion not in ("mean", "max"):
        raise UserError(f"--criterion {criterion!r} is not allowed; allowed: mean, max")
    wd = parse_density("--weight-density", weight_density)
    model = resolve_model(spec_of(network), "compress")
    name = model.name
    trainable = model.format == "zoo" and name in TRAINED
    if weights == "trained" and not trainable:
        raise UserError(f"--weights trained: only the zoo networks {', '.join(TRAINED)} have trained weights; "
                        f"use --weights synthetic for {name}")
    mode = ("trained" if trainable else "synthetic") if weights == "auto" else weights
    if wd is not None and mode == "trained":
        raise UserError("--weight-density applies to synthetic weights (use --weights synthetic)")
    blocks = {k: v for k, v in (("fc", _dims("--fc-block", fc_block, 2)),
                                 ("conv", _dims("--conv-block", conv_block, 4))) if v}
    strides = {k: v for k, v in (("fc", _dims("--fc-stride", fc_stride, 2)),
                                  ("conv", _dims("--conv-stride", conv_stride, 4))) if v}
    if strides and mode == "synthetic":
        raise UserError("--fc-stride/--conv-stride apply to pruning of trained weights only "
                        "(synthetic weights come pruned in non-overlapping blocks)")
    if not 0 <= max_accuracy_drop <= 1:  # a range check alone lets nan through
        raise UserError(f"--max-accuracy-drop: must be a fraction in [0, 1], got {max_accuracy_drop!r}")
    try:
        jbig.library()
    except jbig.JbigUnavailable as exc:
        raise UserError(str(exc)) from exc
    from soc.rundir import claim
    with claim(out) as rundir:  # writable and ours before the pipeline runs
        rundir.register("compression.csv", "accuracy.json")
        try:
            net = model.network

            def log(msg: str) -> None:
                if not quiet:
                    typer.echo(msg, err=True)

            if mode == "trained":
                kinds = measured_targets(name)
                result = compress_trained(net, trained_targets(net, kinds), seed=seed, rounds=rounds,
                                          finetune_epochs=finetune_epochs, criterion=criterion,
                                          n_sub=submatrices, max_accuracy_drop=max_accuracy_drop,
                                          blocks=blocks, strides=strides, log=log)
            elif model.format == "zoo" and wd is None:
                kinds = measured_targets(name)
                result = compress_synthetic(net, {k: 1.0 - v for k, v in kinds.items()}, seed=seed,
                                            n_sub=submatrices, blocks=blocks, log=log)
            else:
                targets = plan(model, wd)
                density = {l.name: targets[l.name].weight for l in net.layers if l.kind in ("conv", "fc")}
                result = compress_synthetic(net, density, seed=seed, n_sub=submatrices, blocks=blocks, log=log)
        except ValueError as exc:
            raise UserError(str(exc)) from exc
        write_csv(out / "compression.csv", result.layers)
        if result.accuracy is not None:
            # accuracy per stored parameter: before (dense weights) and after (non-zero weights kept)
            dense = sum(row.weights for row in result.layers)
            kept = sum(row.nonzero for row in result.layers)
            result.accuracy.update({"parameters_before": dense, "parameters_after": kept,
                                    "accuracy_per_parameter_before": result.accuracy["before"] / dense,
                                    "accuracy_per_parameter_after": result.accuracy["after"] / kept})
            (out / "accuracy.json").write_text(json.dumps(result.accuracy, indent=2) + "\n")
        if not quiet:
            typer.echo(format_table(result.layers, title=f"{name} ({result.notes.get('weights')}), bytes"))
            if result.accuracy is not None:
                a = result.accuracy
                typer.echo(f"test accuracy: before {a['before']:.4f}, after pruning {a['after_pruning']:.4f}, "
                           f"after compression {a['after']:.4f} (global codebooks: "
                           f"{a['after_global_quantization']:.4f}; {a['test_samples']} test images)")
            typer.echo(f"wrote {out / 'compression.csv'}")

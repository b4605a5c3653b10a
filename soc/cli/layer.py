"""``socsim layer``: simulate one generated FC or convolution layer on a design.

Defaults are the two benchmark layers: AlexNet fc6 (9216 -> 4096, 10 % weights kept in
32x32 blocks, 70 % non-zero inputs) and AlexNet conv3 (13x13x256 -> 384, 3x3, pad 1,
35 % weights kept in (16, 1, 1, 1) blocks, 63 % non-zero inputs).
"""
from __future__ import annotations

import json
import time
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from soc.cli import UserError, app
from soc.cli.netopts import ARCH_HELP, PRESET_HELP, SEED_MAX, SET_HELP, resolve_design
from soc.compiler.program import STRATEGIES

MAX_WEIGHTS = 1 << 28  # 1 GiB of float32 weights


class Kind(str, Enum):
    fc = "fc"
    conv = "conv"


def parse_block(text: str, dims: int, field: str = "--block") -> tuple[int, ...]:
    try:
        block = tuple(int(v) for v in text.lower().replace(",", "x").split("x"))
    except ValueError:
        raise UserError(f"{field}: expected {dims} integers separated by 'x' (e.g. "
                        f"{'32x32' if dims == 2 else '16x1x1x1'}), got {text!r}") from None
    if len(block) != dims or min(block) < 1:
        raise UserError(f"{field}: expected {dims} positive integers separated by 'x', got {text!r}")
    return block


def shortcut_sets(dram_bandwidth: Optional[float], memory: Optional[str], buffers: tuple[str, ...]) -> list[str]:
    """``--dram-bandwidth`` and ``--memory`` as the ``--set`` overrides they stand for
    (``--memory`` sets every compute-path buffer the design has)."""
    over: list[str] = []
    if dram_bandwidth is not None:
        over.append(f"dram.bandwidth_bytes_per_cycle={dram_bandwidth}")
    if memory is not None:
        if memory not in ("sram", "edram"):
            raise UserError(f"--memory: must be sram or edram, got {memory!r}")
        over += [f"{name}.memory={memory}" for name in buffers]
    return over


@app.command()
def layer(
    kind: Kind = typer.Option(Kind.fc, help="layer type"),
    n_in: int = typer.Option(9216, min=1, max=1 << 20, help="fc: input neurons"),
    n_out: int = typer.Option(4096, min=1, max=1 << 20, help="fc: output neurons"),
    in_channels: int = typer.Option(256, min=1, max=65536, help="conv: input channels"),
    out_channels: int = typer.Option(384, min=1, max=65536, help="conv: output channels"),
    size: int = typer.Option(13, min=1, max=4096, help="conv: input height = width"),
    kernel: int = typer.Option(3, min=1, max=64, help="conv: kernel height = width"),
    stride: int = typer.Option(1, min=1, max=64, help="conv: stride"),
    padding: int = typer.Option(1, min=0, max=64, help="conv: padding"),
    batch: int = typer.Option(1, min=1, max=1024, help="inputs per run (fc: rows of one matrix; conv: images in turn)"),
    block: Optional[str] = typer.Option(None, help="pruning block: fc BoutxBin (32x32), conv BfoutxBfinxBxxBy (16x1x1x1)"),
    weight_density: Optional[float] = typer.Option(None, help="fraction of weights kept, in (0, 1] (fc 0.10, conv 0.35)"),
    input_density: Optional[float] = typer.Option(None, help="fraction of non-zero inputs, in (0, 1] (fc 0.70, conv 0.63)"),
    arch: Optional[str] = typer.Option(None, "--arch", help=ARCH_HELP),
    preset: Optional[str] = typer.Option(None, "--preset", help=PRESET_HELP),
    sets: Optional[list[str]] = typer.Option(None, "--set", help=SET_HELP),
    strategy: Optional[str] = typer.Option(None, help=f"force a reuse strategy: {', '.join(STRATEGIES)}"),
    pes: Optional[int] = typer.Option(None, help="number of PEs (Tn)"),
    dram_bandwidth: Optional[float] = typer.Option(None, help="DRAM bytes per cycle"),
    memory: Optional[str] = typer.Option(None, help="on-chip buffer memory: sram | edram"),
    seed: int = typer.Option(0, min=0, max=SEED_MAX, help="seed of the generated tensors"),
    out: Path = typer.Option(Path("out/layer"), help="output directory (result.json)"),
    trace: bool = typer.Option(False, help="also write trace.json (actor timeline, Chrome trace format)"),
) -> None:
    """Simulate one generated layer and write OUT/result.json."""
    from soc.rundir import claim
    from soc.runtime.simulate import simulate_layer
    from workloads.layers import FC, Conv
    from workloads.sparsity import layer_tensors

    if strategy is not None and strategy not in STRATEGIES:
        raise UserError(f"--strategy: unknown {strategy!r}; allowed: {', '.join(STRATEGIES)}")
    for option, value in (("--weight-density", weight_density), ("--input-density", input_density)):
        if value is not None and not 0 < value <= 1:  # also refuses nan
            raise UserError(f"{option}: must be a fraction in (0, 1], got {value!r}")
    if dram_bandwidth is not None and not 0 < dram_bandwidth <= 4096:
        raise UserError(f"--dram-bandwidth: must be in (0, 4096] bytes per cycle, got {dram_bandwidth!r}")
    weights = n_in * n_out if kind is Kind.fc else out_channels * in_channels * kernel * kernel
    if weights > MAX_WEIGHTS:
        raise UserError(f"--{'n-in x --n-out' if kind is Kind.fc else 'out-channels x --in-channels x --kernel^2'}: "
                        f"{weights:,} weights; allowed: at most {MAX_WEIGHTS:,} (2^28)")
    cfg = resolve_design(arch, preset, sets, pes)
    if dram_bandwidth is not None or memory is not None:
        extra = shortcut_sets(dram_bandwidth, memory, cfg.present_buffers)
        cfg = resolve_design(arch, preset, [*(sets or []), *extra], pes)
    try:
        if kind is Kind.fc:
            spec = FC("fc", n_in, n_out)
            blk = parse_block(block or "32x32", 2)
            wd, xd = weight_density if weight_density is not None else 0.10, input_density if input_density is not None else 0.70
        else:
            spec = Conv("conv", in_channels, out_channels, kernel, (size, size), stride=stride, padding=padding)
            blk = parse_block(block or "16x1x1x1", 4)
            wd, xd = weight_density if weight_density is not None else 0.35, input_density if input_density is not None else 0.63
        with claim(out) as rundir:  # writable and ours before the first cycle
            t0 = time.perf_counter()
            tensors = layer_tensors(spec, wd, xd, blk, seed, batch=batch)
            gen_s = time.perf_counter() - t0
            result = simulate_layer(spec, tensors, cfg, strategy=strategy)
            _write(out, rundir, result, cfg, kind, blk, seed, gen_s, tensors, trace)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def _write(out: Path, rundir, result, cfg, kind: "Kind", blk, seed: int, gen_s: float, tensors, trace: bool) -> None:
    """result.json (and trace.json), then the one-line summary."""
    from soc.arch import design_record
    rundir.register("result.json", "trace.json")
    data = result.to_dict()
    data.update({"generate_s": gen_s, "seed": seed, "weight_density": tensors.weight_density,
                 "input_density": tensors.input_density, "block": list(blk),
                 **design_record(cfg)})
    (out / "result.json").write_text(json.dumps(data, indent=2, default=float))
    if trace:
        from reports.trace import write_chrome_trace
        info = write_chrome_trace(out / "trace.json", [(*a, result.name) for a in result.activity],
                                  clock_ghz=cfg.clock_ghz, dropped_upstream=result.activity_dropped)
        if info["truncated"]:
            typer.echo(f"warning: {out / 'trace.json'}: {info['note']} (\"truncated\": true, "
                       f"\"dropped_events\": {info['dropped_events']})", err=True)
    typer.echo(f"{result.name} ({kind.value}, {cfg.name}): {result.cycles:,} cycles, {result.time_s * 1e6:.1f} us, "
               f"{result.energy_pj / 1e6:.3f} uJ, utilization {result.utilization:.1%}, "
               f"MACs {result.useful_macs:,} done / {result.skipped_macs:,} skipped, "
               f"DRAM {result.dram_bytes_read:,} B read / {result.dram_bytes_written:,} B written, "
               f"outputs match reference: {result.outputs_match_reference}")
    typer.echo(f"wrote {out / 'result.json'}")

"""``socsim run NETWORK``: simulate a whole network (zoo name, network file or workload
script) on one design and write layers.csv, summary.json and report.html."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from soc.cli import UserError, app
from soc.cli.netopts import (
    ACCURACY_HELP,
    ARCH_HELP,
    BLOCK_HELP,
    INPUT_HELP,
    MODEL_HELP,
    PRESET_HELP,
    PRUNE_HELP,
    SEED_MAX,
    SET_HELP,
    TRACE_HELP,
    TRACE_LAYERS_HELP,
    TRACE_LIMIT_HELP,
    check_trace_options,
    load_input,
    parse_accuracy,
    parse_density,
    parse_layers,
    parse_prune,
    parse_strategy,
    resolve_design,
    resolve_network,
    spec_of,
    write_trace_or_exit,
)
from soc.compiler.program import STRATEGIES


def run_one(spec, cfg, out: Path, *, strategy=None, seed: int = 0, layers=None, progress: bool = True,
            weight_density: Optional[float] = None, input_density: Optional[float] = None, target=None,
            inputs=None, input_path=None, prune=None, accuracy: tuple[float, int | None] | None = None,
            keep_activity: bool = True):
    """Run one model on one design into ``out``; user errors and failed layers exit 2
    after the rows already simulated were written. ``target``: the model already resolved.
    ``inputs`` (read from ``input_path``) is checked against the network's input shape
    before anything runs; ``prune`` (a :class:`workloads.sparsity.PruneSpec`) prunes a
    model's own weights first; ``accuracy``: (fraction, parameters) of
    :func:`soc.session.load_accuracy`; ``keep_activity``: keep the
    activity records a trace is made of (a network's run drops them otherwise)."""
    from soc.cli.netopts import plan
    from soc.interrupts import RunInterrupted
    from soc.runtime.network import NetworkRunError, WorkloadScriptError
    from soc.session import run_into
    from workloads.sparsity import check_network_input
    target = target if target is not None else resolve_network(spec)
    acc = {"accuracy": accuracy[0], "parameters": accuracy[1]} if accuracy is not None else {}
    try:
        if isinstance(target, Path):
            if layers:
                raise UserError("--layers applies to networks, not to workload scripts")
            if weight_density is not None or input_density is not None:
                raise UserError("--weight-density/--input-density apply to models, not to workload scripts "
                                "(a script makes its own tensors)")
            if inputs is not None or prune is not None:
                raise UserError("--input and --prune apply to models, not to workload scripts")
            return run_into(out, target, cfg, seed=seed, strategy=strategy, progress=progress, **acc)
        if inputs is not None:
            if not target.network.connected:
                raise UserError("--input applies to a connected network, not to independent layers")
            inputs = check_network_input(target.network, inputs, f"--input {input_path}")
        densities = plan(target, weight_density, input_density)
        return run_into(out, target.network, cfg, seed=seed, strategy=strategy, layers=layers, progress=progress,
                        densities=densities, batches=target.batches or None, inputs=inputs, prune=prune,
                        keep_activity=keep_activity, **acc)
    except RunInterrupted as exc:
        exc.record = _kept(out, "interrupted")  # type: ignore[attr-defined]
        raise
    except NetworkRunError as exc:
        raise UserError(f"{exc}; the layers simulated before it are kept in {out / 'layers.csv'} and "
                        f"{out / 'summary.json'} (status failed)") from None
    except WorkloadScriptError as exc:
        raise UserError(str(exc)) from None
    except ValueError as exc:
        raise UserError(str(exc)) from None


def _kept(out: Path, status: str) -> str:
    """Where the record of a stopped run is, for the one-line message."""
    import json
    try:
        s = json.loads((out / "summary.json").read_text())
        n, layer = s.get("layers_completed", 0), (s.get("failure") or {}).get("layer")
    except (OSError, ValueError):
        return f"see {out}"
    during = f" during layer {layer!r}" if layer else ""
    return (f"{n} finished layer(s) kept in {out / 'layers.csv'}{during}; {out / 'summary.json'} says "
            f"status {status}")


def print_summary(s: dict, out: Path) -> None:
    typer.echo(f"{s['network']} on {s['arch']}: {s['cycles']:,} cycles ({s['time_s'] * 1e3:.3f} ms), "
               f"{s['energy_pj'] / 1e6:,.2f} µJ, DRAM {s['dram_bytes']:,} B, MACs {s['useful_macs']:,} done / "
               f"{s['skipped_macs']:,} skipped, outputs match reference: {s['outputs_match_reference']}, "
               f"wall {s['wall_s']:.1f} s, peak RSS {s['peak_rss_mb']:.0f} MB")
    if "area_mm2" in s:
        typer.echo(f"area {s['area_mm2']:.2f} mm^2, average on-chip power {s['power_mw']:.1f} mW "
                   f"(DRAM energy {s['dram_energy_pj'] / 1e6:,.2f} µJ, not included)")
    if s.get("prune"):
        typer.echo(f"pruned: {s['prune']}")
    if s.get("weights_source"):
        wd, xd = s.get("weight_density"), s.get("input_density")
        typer.echo(f"weights: {s['weights_source']}"
                   + (f" at density {wd:.4f}" if wd is not None else "")
                   + (f" ({s['density_source']})" if s.get("density_source") else "")
                   + f"; activations: {s.get('activations_source')}"
                   + (f" at density {xd:.4f}" if xd is not None else "")
                   + (f" ({s['input_density_source']})" if s.get("input_density_source") else ""))
    typer.echo(f"wrote {out / 'layers.csv'}, {out / 'summary.json'}, {out / 'report.html'}")


@app.command()
def run(
    network: List[str] = typer.Argument(..., help=MODEL_HELP + ", or a .py workload script"),
    arch: Optional[str] = typer.Option(None, "--arch", help=ARCH_HELP),
    preset: Optional[str] = typer.Option(None, "--preset", help=PRESET_HELP),
    sets: Optional[list[str]] = typer.Option(None, "--set", help=SET_HELP),
    out: Path = typer.Option(Path("out/run"), help="output directory"),
    strategy: Optional[str] = typer.Option(None, help=f"force a reuse strategy: {', '.join(STRATEGIES)}"),
    seed: int = typer.Option(0, min=0, max=SEED_MAX, help="seed of the synthetic weights and inputs"),
    pes: Optional[int] = typer.Option(None, help="number of PEs (Tn)"),
    layers: Optional[str] = typer.Option(None, help="simulate only these layers (comma-separated names)"),
    weight_density: Optional[float] = typer.Option(None, help="fraction of synthetic weights kept, in (0, 1], "
                                                   "for every layer (default: the file's, else measured); "
                                                   "with --prune: of the model's weights"),
    input_density: Optional[float] = typer.Option(None, help="fraction of non-zero synthetic inputs, in (0, 1], "
                                                  "for every layer (default: the file's, else measured)"),
    input: Optional[Path] = typer.Option(None, "--input", help=INPUT_HELP),
    prune: Optional[str] = typer.Option(None, help=PRUNE_HELP),
    block: Optional[str] = typer.Option(None, help=BLOCK_HELP),
    trace: bool = typer.Option(False, "--trace", help=TRACE_HELP),
    trace_layers: Optional[str] = typer.Option(None, "--trace-layers", help=TRACE_LAYERS_HELP),
    trace_limit_mb: float = typer.Option(100.0, "--trace-limit-mb", help=TRACE_LIMIT_HELP),
    accuracy: Optional[str] = typer.Option(None, "--accuracy", help=ACCURACY_HELP),
) -> None:
    """Simulate a whole network on a design: OUT/layers.csv, OUT/summary.json, OUT/report.html
    (and OUT/trace.json with --trace)."""
    cfg = resolve_design(arch, preset, sets, pes)
    wd = parse_density("--weight-density", weight_density)
    xd = parse_density("--input-density", input_density)
    prune_spec = parse_prune(prune, wd, block)
    spec = spec_of(network)
    chosen = check_trace_options(spec, trace, trace_layers, trace_limit_mb)
    acc = parse_accuracy(accuracy) if accuracy is not None else None
    outcome = run_one(spec, cfg, out, strategy=parse_strategy(strategy), seed=seed,
                      layers=parse_layers(layers), weight_density=wd, input_density=xd,
                      inputs=load_input(input), input_path=input, prune=prune_spec, accuracy=acc,
                      keep_activity=trace)
    print_summary(outcome.summary, out)
    if trace:
        write_trace_or_exit(out / "trace.json", [(f"{outcome.summary['network']} on {cfg.name}", cfg,
                                                  outcome.results)], chosen, trace_limit_mb)

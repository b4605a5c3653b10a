"""``socsim run NETWORK``: simulate a whole network (zoo name, network file or workload
script) on one design and write layers.csv, summary.json and report.html."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from soc.cli import UserError, app
from soc.cli.netopts import (ARCH_HELP, PRESET_HELP, SET_HELP, TRACE_HELP, TRACE_LAYERS_HELP, TRACE_LIMIT_HELP,
                             ACCURACY_HELP, check_trace_options, parse_accuracy, parse_layers, parse_strategy, resolve_design, resolve_network,
                             write_trace_or_exit)
from soc.compiler.program import STRATEGIES


def run_one(spec: str, cfg, out: Path, *, strategy=None, seed: int = 0, layers=None, progress: bool = True,
            accuracy: tuple[float, int | None] | None = None):
    """Run one network on one config into ``out``; user errors and failed layers exit 2
    after the rows already simulated were written. ``accuracy``: (fraction, parameters)
    of :func:`soc.session.load_accuracy`."""
    from soc.runtime.network import NetworkRunError, WorkloadScriptError
    from soc.session import run_into
    target = resolve_network(spec)
    acc = {"accuracy": accuracy[0], "parameters": accuracy[1]} if accuracy is not None else {}
    try:
        if isinstance(target, Path):
            if layers:
                raise UserError("--layers applies to networks, not to workload scripts")
            return run_into(out, target, cfg, seed=seed, strategy=strategy, progress=progress, **acc)
        return run_into(out, target, cfg, seed=seed, strategy=strategy, layers=layers, progress=progress, **acc)
    except NetworkRunError as exc:
        raise UserError(f"{exc}; the layers simulated before it are kept in {out / 'layers.csv'} and "
                        f"{out / 'summary.json'} (status failed)") from None
    except WorkloadScriptError as exc:
        raise UserError(str(exc)) from None
    except ValueError as exc:
        raise UserError(str(exc)) from None


def print_summary(s: dict, out: Path) -> None:
    typer.echo(f"{s['network']} on {s['arch']}: {s['cycles']:,} cycles ({s['time_s'] * 1e3:.3f} ms), "
               f"{s['energy_pj'] / 1e6:,.2f} µJ, DRAM {s['dram_bytes']:,} B, MACs {s['useful_macs']:,} done / "
               f"{s['skipped_macs']:,} skipped, outputs match reference: {s['outputs_match_reference']}, "
               f"wall {s['wall_s']:.1f} s, peak RSS {s['peak_rss_mb']:.0f} MB")
    typer.echo(f"wrote {out / 'layers.csv'}, {out / 'summary.json'}, {out / 'report.html'}")


@app.command()
def run(
    network: str = typer.Argument(..., help="zoo network name, .yaml/.onnx/.csv network file, or .py workload script"),
    arch: Optional[str] = typer.Option(None, "--arch", help=ARCH_HELP),
    preset: Optional[str] = typer.Option(None, "--preset", help=PRESET_HELP),
    sets: Optional[list[str]] = typer.Option(None, "--set", help=SET_HELP),
    out: Path = typer.Option(Path("out/run"), help="output directory"),
    strategy: Optional[str] = typer.Option(None, help=f"force a reuse strategy: {', '.join(STRATEGIES)}"),
    seed: int = typer.Option(0, help="seed of the synthetic weights and inputs"),
    pes: Optional[int] = typer.Option(None, help="number of PEs (Tn)"),
    layers: Optional[str] = typer.Option(None, help="simulate only these layers (comma-separated names)"),
    trace: bool = typer.Option(False, "--trace", help=TRACE_HELP),
    trace_layers: Optional[str] = typer.Option(None, "--trace-layers", help=TRACE_LAYERS_HELP),
    trace_limit_mb: float = typer.Option(100.0, "--trace-limit-mb", help=TRACE_LIMIT_HELP),
    accuracy: Optional[str] = typer.Option(None, "--accuracy", help=ACCURACY_HELP),
) -> None:
    """Simulate a whole network on a design: OUT/layers.csv, OUT/summary.json, OUT/report.html
    (and OUT/trace.json with --trace)."""
    cfg = resolve_design(arch, preset, sets, pes)
    chosen = check_trace_options(network, trace, trace_layers, trace_limit_mb)
    acc = parse_accuracy(accuracy) if accuracy is not None else None
    outcome = run_one(network, cfg, out, strategy=parse_strategy(strategy), seed=seed, layers=parse_layers(layers),
                      accuracy=acc)
    print_summary(outcome.summary, out)
    if trace:
        write_trace_or_exit(out / "trace.json", [(f"{outcome.summary['network']} on {cfg.name}", cfg,
                                                  outcome.results)], chosen, trace_limit_mb)

"""``socsim run NETWORK``: simulate a whole network (zoo name, network file or workload
script) on one preset and write layers.csv, summary.json and report.html."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from soc.cli import UserError, app
from soc.cli.netopts import load_input, make_config, parse_layers, parse_prune, parse_strategy, resolve_network
from soc.compiler.program import STRATEGIES
from soc.config import PRESETS


def run_one(spec: str, cfg, out: Path, *, strategy=None, seed: int = 0, layers=None, progress: bool = True,
            inputs=None, input_path=None, prune=None):
    """Run one network on one config into ``out``; user errors and failed layers exit 2
    after the rows already simulated were written. ``inputs`` (loaded from
    ``input_path``) is checked against the network's input shape before anything runs."""
    from soc.network import NetworkRunError, WorkloadScriptError, run_network, run_script
    from workloads.sparsity import check_network_input
    target = resolve_network(spec)
    try:
        if isinstance(target, Path):
            if layers:
                raise UserError("--layers applies to networks, not to workload scripts")
            if inputs is not None or prune is not None:
                raise UserError("--input and --prune apply to networks, not to workload scripts")
            return run_script(target, cfg, seed=seed, strategy=strategy, out=out, progress=progress)
        if inputs is not None:
            inputs = check_network_input(target, inputs, f"--input {input_path}")
        return run_network(target, cfg, seed=seed, strategy=strategy, layers=layers, out=out, progress=progress,
                           inputs=inputs, prune=prune)
    except NetworkRunError as exc:
        raise UserError(f"{exc}; the layers simulated before it are kept in {out / 'layers.csv'} and "
                        f"{out / 'summary.json'} (status failed)") from None
    except WorkloadScriptError as exc:
        raise UserError(str(exc)) from None
    except ValueError as exc:
        raise UserError(str(exc)) from None


def print_summary(s: dict, out: Path) -> None:
    typer.echo(f"{s['network']} on {s['preset']}: {s['cycles']:,} cycles ({s['time_s'] * 1e3:.3f} ms), "
               f"{s['energy_pj'] / 1e6:.2f} uJ, DRAM {s['dram_bytes']:,} B, MACs {s['useful_macs']:,} done / "
               f"{s['skipped_macs']:,} skipped, outputs match reference: {s['outputs_match_reference']}, "
               f"wall {s['wall_s']:.1f} s, peak RSS {s['peak_rss_mb']:.0f} MB")
    if "weights_source" in s:
        density = s.get("weight_density")
        typer.echo(f"weights: {s['weights_source']}" + (f" (density {density:.3f})" if density is not None else "")
                   + (f", pruned {s['prune']}" if s.get("prune") else "")
                   + f"; activations: {s['activations_source']} (input density {s['input_density']:.3f})")
    typer.echo(f"wrote {out / 'layers.csv'}, {out / 'summary.json'}, {out / 'report.html'}")


@app.command()
def run(
    network: str = typer.Argument(..., help="zoo network name, .yaml/.onnx/.csv network file, or .py workload script"),
    preset: str = typer.Option("coarse-sparse", help=" | ".join(PRESETS)),
    out: Path = typer.Option(Path("out/run"), help="output directory"),
    strategy: Optional[str] = typer.Option(None, help=f"force a reuse strategy: {', '.join(STRATEGIES)}"),
    seed: int = typer.Option(0, help="seed of the synthetic weights and inputs"),
    pes: Optional[int] = typer.Option(None, help="number of PEs (Tn)"),
    layers: Optional[str] = typer.Option(None, help="simulate only these layers (comma-separated names)"),
    input: Optional[Path] = typer.Option(None, "--input", help="network input as a .npy array, (N, *input shape) "
                                         "or one sample; default: a deterministic synthetic input"),
    prune: Optional[str] = typer.Option(None, help="prune the model's weights first: coarse (whole blocks) | fine"),
    weight_density: Optional[float] = typer.Option(None, help="with --prune: fraction of weights kept, in (0, 1]"),
    block: Optional[str] = typer.Option(None, help="with --prune coarse: block sizes, e.g. 16,1,1,1 (conv) or "
                                        "32,32 (fc); default per layer kind"),
) -> None:
    """Simulate a whole network on a preset: OUT/layers.csv, OUT/summary.json, OUT/report.html."""
    cfg = make_config(preset, pes)
    spec = parse_prune(prune, weight_density, block)
    outcome = run_one(network, cfg, out, strategy=parse_strategy(strategy), seed=seed, layers=parse_layers(layers),
                      inputs=load_input(input), input_path=input, prune=spec)
    print_summary(outcome.summary, out)

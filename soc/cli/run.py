"""``socsim run NETWORK``: simulate a whole network (zoo name, network file or workload
script) on one design and write layers.csv, summary.json and report.html."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from soc.cli import UserError, app
from soc.cli.netopts import (ARCH_HELP, PRESET_HELP, SEED_MAX, SET_HELP, parse_layers, parse_strategy, resolve_design,
                             resolve_network)
from soc.compiler.program import STRATEGIES


def run_one(spec: str, cfg, out: Path, *, strategy=None, seed: int = 0, layers=None, progress: bool = True):
    """Run one network on one config into ``out``; user errors and failed layers exit 2
    after the rows already simulated were written."""
    from soc.interrupts import RunInterrupted
    from soc.runtime.network import NetworkRunError, WorkloadScriptError
    from soc.session import run_into
    target = resolve_network(spec)
    try:
        if isinstance(target, Path):
            if layers:
                raise UserError("--layers applies to networks, not to workload scripts")
            return run_into(out, target, cfg, seed=seed, strategy=strategy, progress=progress)
        return run_into(out, target, cfg, seed=seed, strategy=strategy, layers=layers, progress=progress)
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
               f"{s['energy_pj'] / 1e6:.2f} uJ, DRAM {s['dram_bytes']:,} B, MACs {s['useful_macs']:,} done / "
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
    seed: int = typer.Option(0, min=0, max=SEED_MAX, help="seed of the synthetic weights and inputs"),
    pes: Optional[int] = typer.Option(None, help="number of PEs (Tn)"),
    layers: Optional[str] = typer.Option(None, help="simulate only these layers (comma-separated names)"),
) -> None:
    """Simulate a whole network on a design: OUT/layers.csv, OUT/summary.json, OUT/report.html."""
    cfg = resolve_design(arch, preset, sets, pes)
    outcome = run_one(network, cfg, out, strategy=parse_strategy(strategy), seed=seed, layers=parse_layers(layers))
    print_summary(outcome.summary, out)

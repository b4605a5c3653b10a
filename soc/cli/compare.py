"""``socsim compare NETWORK --presets a,b,c``: the same network on several presets; writes
OUT/<preset>/ (a full run each) and OUT/compare.csv + OUT/report.html (speedup and energy
ratios against dense, and against weight-sparse when it is compared)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from soc.cli import app
from soc.cli.netopts import load_input, make_config, parse_presets, parse_prune, parse_strategy
from soc.compiler.program import STRATEGIES
from soc.config import PRESETS


def compare_presets(network: str, presets: list[str], out: Path, *, strategy=None, seed: int = 0,
                    pes: Optional[int] = None, inputs=None, input_path=None, prune=None) -> dict:
    """Run ``network`` on every preset and write the comparison; returns the paths."""
    from reports.bundle import write_comparison_outputs
    from soc.cli.run import print_summary, run_one
    summaries, tables = {}, {}
    for name in presets:
        sub = out / name
        outcome = run_one(network, make_config(name, pes), sub, strategy=strategy, seed=seed, inputs=inputs,
                          input_path=input_path, prune=prune)
        print_summary(outcome.summary, sub)
        summaries[name] = outcome.summary
        tables[name] = [r.to_dict() for r in outcome.results]
    baselines = [b for b in ("dense", "weight-sparse") if b in summaries] or None
    title = f"{outcome.summary['network']}: " + " vs ".join(presets)
    paths = write_comparison_outputs(out, summaries=summaries, title=title, layers_by_preset=tables,
                                     baselines=baselines)
    import pandas as pd
    table = pd.read_csv(paths["compare_csv"])
    cols = [c for c in table.columns if c in ("preset", "cycles", "energy_pj") or c.startswith(("speedup_vs", "energy_ratio_vs"))]
    typer.echo(table[cols].to_string(index=False))
    typer.echo(f"wrote {paths['compare_csv']}, {paths['report_html']}")
    return paths


@app.command()
def compare(
    network: str = typer.Argument(..., help="zoo network name, network file or workload script"),
    presets: str = typer.Option(",".join(PRESETS), help="comma-separated presets"),
    out: Path = typer.Option(Path("out/compare"), help="output directory"),
    strategy: Optional[str] = typer.Option(None, help=f"force a reuse strategy: {', '.join(STRATEGIES)}"),
    seed: int = typer.Option(0, help="seed of the synthetic weights and inputs"),
    pes: Optional[int] = typer.Option(None, help="number of PEs (Tn)"),
    input: Optional[Path] = typer.Option(None, "--input", help="network input as a .npy array; default synthetic"),
    prune: Optional[str] = typer.Option(None, help="prune the model's weights first: coarse | fine"),
    weight_density: Optional[float] = typer.Option(None, help="with --prune: fraction of weights kept, in (0, 1]"),
    block: Optional[str] = typer.Option(None, help="with --prune coarse: block sizes, e.g. 16,1,1,1 or 32,32"),
) -> None:
    """Run a network on several presets and write compare.csv and a comparison report."""
    spec = parse_prune(prune, weight_density, block)
    compare_presets(network, parse_presets(presets), out, strategy=parse_strategy(strategy), seed=seed, pes=pes,
                    inputs=load_input(input), input_path=input, prune=spec)

"""``socsim compare NETWORK --presets a,b,c``: the same network on several presets; writes
OUT/<preset>/ (a full run each) and OUT/compare.csv + OUT/report.html (speedup and energy
ratios against dense, and against weight-sparse when it is compared)."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from soc.cli import app
from soc.cli.netopts import (MODEL_HELP, make_config, parse_density, parse_presets, parse_strategy,
                             resolve_network, spec_of)
from soc.compiler.program import STRATEGIES
from soc.config import PRESETS


def compare_presets(network, presets: list[str], out: Path, *, strategy=None, seed: int = 0,
                    pes: Optional[int] = None, weight_density: Optional[float] = None,
                    input_density: Optional[float] = None) -> dict:
    """Run ``network`` (any model argument) on every preset and write the comparison;
    returns the paths."""
    from reports.bundle import write_comparison_outputs
    from soc.cli.run import print_summary, run_one
    summaries, tables = {}, {}
    target = resolve_network(network)
    for name in presets:
        sub = out / name
        outcome = run_one(network, make_config(name, pes), sub, strategy=strategy, seed=seed, target=target,
                          weight_density=weight_density, input_density=input_density)
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
    network: List[str] = typer.Argument(..., help=MODEL_HELP + ", or a .py workload script"),
    presets: str = typer.Option(",".join(PRESETS), help="comma-separated presets"),
    out: Path = typer.Option(Path("out/compare"), help="output directory"),
    strategy: Optional[str] = typer.Option(None, help=f"force a reuse strategy: {', '.join(STRATEGIES)}"),
    seed: int = typer.Option(0, help="seed of the synthetic weights and inputs"),
    pes: Optional[int] = typer.Option(None, help="number of PEs (Tn)"),
    weight_density: Optional[float] = typer.Option(None, help="fraction of synthetic weights kept, in (0, 1]"),
    input_density: Optional[float] = typer.Option(None, help="fraction of non-zero synthetic inputs, in (0, 1]"),
) -> None:
    """Run a network on several presets and write compare.csv and a comparison report."""
    chosen = parse_presets(presets)
    wd = parse_density("--weight-density", weight_density)
    xd = parse_density("--input-density", input_density)
    compare_presets(spec_of(network), chosen, out, strategy=parse_strategy(strategy), seed=seed, pes=pes,
                    weight_density=wd, input_density=xd)

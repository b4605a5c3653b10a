"""``socsim compare NETWORK --arch A --arch B`` (or ``--designs a,b,c``): the same network on
several designs; writes OUT/<design>/ (a full run each) and OUT/compare.csv + OUT/report.html (speedup and energy
ratios against dense, and against weight-sparse when it is compared)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from soc.cli import app
from soc.cli.netopts import SEED_MAX, SET_HELP, parse_strategy, resolve_designs
from soc.compiler.program import STRATEGIES
from soc.arch import VectorArch


def compare_designs(network: str, designs: list[VectorArch], out: Path, *, strategy=None, seed: int = 0) -> dict:
    """Run ``network`` on every design and write the comparison; returns the paths."""
    from reports.bundle import write_comparison_outputs
    from soc.cli.run import print_summary, run_one
    from soc.rundir import claim
    summaries, tables = {}, {}
    with claim(out) as rundir:  # one comparison per directory; each design's run claims its own
        rundir.register(*(d.name for d in designs))
        for cfg in designs:
            name = cfg.name
            sub = out / name
            outcome = run_one(network, cfg, sub, strategy=strategy, seed=seed)
            print_summary(outcome.summary, sub)
            summaries[name] = outcome.summary
            tables[name] = [r.to_dict() for r in outcome.results]
        baselines = [b for b in ("dense", "weight-sparse") if b in summaries] or None
        title = f"{outcome.summary['network']}: " + " vs ".join(d.name for d in designs)
        paths = write_comparison_outputs(out, summaries=summaries, title=title, layers_by_design=tables,
                                         baselines=baselines)
        rundir.register(*paths.values())
    import pandas as pd
    table = pd.read_csv(paths["compare_csv"])
    cols = [c for c in table.columns if c in ("arch", "cycles", "energy_pj") or c.startswith(("speedup_vs", "energy_ratio_vs"))]
    typer.echo(table[cols].to_string(index=False))
    typer.echo(f"wrote {paths['compare_csv']}, {paths['report_html']}")
    return paths


@app.command()
def compare(
    network: str = typer.Argument(..., help="zoo network name, network file or workload script"),
    archs: Optional[list[str]] = typer.Option(None, "--arch", help="a design to compare (repeatable): a shipped "
                                              "name or a .yaml file; default: coarse-sparse, weight-sparse, dense"),
    presets: Optional[str] = typer.Option(None, "--presets", help="comma-separated designs (alias of repeated --arch)"),
    sets: Optional[list[str]] = typer.Option(None, "--set", help=SET_HELP + "; applies to every design"),
    out: Path = typer.Option(Path("out/compare"), help="output directory"),
    strategy: Optional[str] = typer.Option(None, help=f"force a reuse strategy: {', '.join(STRATEGIES)}"),
    seed: int = typer.Option(0, min=0, max=SEED_MAX, help="seed of the synthetic weights and inputs"),
    pes: Optional[int] = typer.Option(None, help="number of PEs (Tn)"),
) -> None:
    """Run a network on several designs and write compare.csv and a comparison report."""
    designs = resolve_designs(archs, presets, sets, pes)
    compare_designs(network, designs, out, strategy=parse_strategy(strategy), seed=seed)

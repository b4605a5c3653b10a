"""``socsim compare NETWORK --arch A --arch B`` (or ``--designs a,b,c``): the same network on
several designs; writes OUT/<design>/ (a full run each) and OUT/compare.csv + OUT/report.html (speedup and energy
ratios against dense, and against weight-sparse when it is compared)."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from soc.cli import app
from soc.cli.netopts import (BLOCK_HELP, INPUT_HELP, MODEL_HELP, PRUNE_HELP, SEED_MAX, SET_HELP, load_input, parse_density,
                             parse_prune, parse_strategy, resolve_designs, resolve_network, spec_of)
from soc.compiler.program import STRATEGIES
from soc.arch import VectorArch


def compare_designs(network, designs: list[VectorArch], out: Path, *, strategy=None, seed: int = 0,
                    weight_density: Optional[float] = None, input_density: Optional[float] = None,
                    inputs=None, input_path=None, prune=None) -> dict:
    """Run ``network`` (any model argument) on every design and write the comparison;
    returns the paths."""
    from reports.bundle import write_comparison_outputs
    from soc.cli.run import print_summary, run_one
    from soc.rundir import claim
    summaries, tables = {}, {}
    target = resolve_network(network)
    with claim(out) as rundir:  # one comparison per directory; each design's run claims its own
        rundir.register(*(d.name for d in designs))
        for cfg in designs:
            name = cfg.name
            sub = out / name
            outcome = run_one(network, cfg, sub, strategy=strategy, seed=seed, target=target,
                              weight_density=weight_density, input_density=input_density, inputs=inputs,
                              input_path=input_path, prune=prune)
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
    network: List[str] = typer.Argument(..., help=MODEL_HELP + ", or a .py workload script"),
    archs: Optional[list[str]] = typer.Option(None, "--arch", help="a design to compare (repeatable): a shipped "
                                              "name or a .yaml file; default: coarse-sparse, weight-sparse, dense"),
    presets: Optional[str] = typer.Option(None, "--presets", help="comma-separated designs (alias of repeated --arch)"),
    sets: Optional[list[str]] = typer.Option(None, "--set", help=SET_HELP + "; applies to every design"),
    out: Path = typer.Option(Path("out/compare"), help="output directory"),
    strategy: Optional[str] = typer.Option(None, help=f"force a reuse strategy: {', '.join(STRATEGIES)}"),
    seed: int = typer.Option(0, min=0, max=SEED_MAX, help="seed of the synthetic weights and inputs"),
    pes: Optional[int] = typer.Option(None, help="number of PEs (Tn)"),
    weight_density: Optional[float] = typer.Option(None, help="fraction of synthetic weights kept, in (0, 1]"),
    input_density: Optional[float] = typer.Option(None, help="fraction of non-zero synthetic inputs, in (0, 1]"),
    input: Optional[Path] = typer.Option(None, "--input", help=INPUT_HELP),
    prune: Optional[str] = typer.Option(None, help=PRUNE_HELP),
    block: Optional[str] = typer.Option(None, help=BLOCK_HELP),
) -> None:
    """Run a network on several designs and write compare.csv and a comparison report."""
    designs = resolve_designs(archs, presets, sets, pes)
    wd = parse_density("--weight-density", weight_density)
    xd = parse_density("--input-density", input_density)
    spec = parse_prune(prune, wd, block)
    compare_designs(spec_of(network), designs, out, strategy=parse_strategy(strategy), seed=seed,
                    weight_density=wd, input_density=xd, inputs=load_input(input), input_path=input, prune=spec)

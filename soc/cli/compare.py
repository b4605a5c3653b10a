"""``socsim compare NETWORK --arch A --arch B`` (or ``--designs a,b,c``): the same network on
several designs; writes OUT/<design>/ (a full run each) and OUT/compare.csv + OUT/report.html (speedup and energy
ratios against dense, and against weight-sparse when it is compared)."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, List, Optional

import typer

from soc.cli import UserError, app
from soc.cli.netopts import (
    BLOCK_HELP,
    INPUT_HELP,
    MODEL_HELP,
    PRUNE_HELP,
    SEED_MAX,
    SET_HELP,
    TRACE_HELP,
    TRACE_LAYERS_HELP,
    TRACE_LIMIT_HELP,
    check_trace_options,
    load_input,
    parse_density,
    parse_design_accuracies,
    parse_prune,
    parse_strategy,
    resolve_designs,
    resolve_network,
    spec_of,
)
from soc.compiler.program import STRATEGIES

if TYPE_CHECKING:  # the design schemas (pydantic) are imported when a command runs
    from soc.arch import VectorArch


def compare_designs(network, designs: list[VectorArch], out: Path, *, strategy=None, seed: int = 0,
                    weight_density: Optional[float] = None, input_density: Optional[float] = None,
                    inputs=None, input_path=None, prune=None,
                    trace: bool = False, trace_layers: list[str] | None = None, trace_limit_mb: float = 100.0,
                    accuracies: dict | None = None, accuracy_threshold: float = 0.005) -> dict:
    """Run ``network`` (any model argument) on every design and write the comparison
    (and, with ``trace``, OUT/trace.json: one process per design); returns the paths."""
    from reports.bundle import write_comparison_outputs
    from soc.cli.run import print_summary, run_one
    from soc.result import design_roofs
    summaries, tables, roofs, runs = {}, {}, {}, []
    from soc.rundir import check_writable, claim
    target = resolve_network(network)
    for cfg in designs:  # every design's directory can be written before anything is touched
        check_writable(out / cfg.name)
    with claim(out) as rundir:  # one comparison per directory; each design's run claims its own
        rundir.register(*(d.name for d in designs), "trace.json")
        for cfg in designs:
            name = cfg.name
            sub = out / name
            outcome = run_one(network, cfg, sub, strategy=strategy, seed=seed, target=target,
                              weight_density=weight_density, input_density=input_density, inputs=inputs,
                              input_path=input_path, prune=prune, accuracy=(accuracies or {}).get(name),
                              keep_activity=trace)
            print_summary(outcome.summary, sub)
            summaries[name] = outcome.summary
            tables[name] = [r.to_dict() for r in outcome.results]
            roofs[name] = design_roofs(cfg)
            if trace:
                runs.append((f"{outcome.summary['network']} on {name}", cfg, outcome.results))
        baselines = [b for b in ("dense", "weight-sparse") if b in summaries] or None
        title = f"{outcome.summary['network']}: " + " vs ".join(d.name for d in designs)
        paths = write_comparison_outputs(out, summaries=summaries, title=title, layers_by_design=tables,
                                         baselines=baselines, roofs_by_design=roofs,
                                         accuracy_threshold=accuracy_threshold)
        rundir.register(*paths.values())
        import pandas as pd
        table = pd.read_csv(paths["compare_csv"])
        cols = [c for c in table.columns if c in ("arch", "cycles", "energy_pj") or c.startswith(("speedup_vs", "energy_ratio_vs"))]
        shown = table[cols].rename(columns={"energy_pj": "energy_uJ"})
        shown["energy_uJ"] = shown["energy_uJ"] / 1e6
        typer.echo(shown.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
        if "accuracy_pairs_csv" in paths:
            pairs = pd.read_csv(paths["accuracy_pairs_csv"])
            for row in pairs[pairs["flagged"]].itertuples():
                typer.echo(f"accuracy differs by more than {accuracy_threshold:g}: {row.design_a} "
                           f"{row.accuracy_a:.4f} vs {row.design_b} {row.accuracy_b:.4f}")
        typer.echo(f"wrote {paths['compare_csv']}, {paths['report_html']}")
        if trace:
            from soc.cli.netopts import write_trace_or_exit
            info = write_trace_or_exit(out / "trace.json", runs, trace_layers, trace_limit_mb)
            paths["trace_json"] = info["path"]
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
    trace: bool = typer.Option(False, "--trace", help=TRACE_HELP + "; one process per design"),
    trace_layers: Optional[str] = typer.Option(None, "--trace-layers", help=TRACE_LAYERS_HELP),
    trace_limit_mb: float = typer.Option(100.0, "--trace-limit-mb", help=TRACE_LIMIT_HELP),
    accuracy: Optional[list[str]] = typer.Option(None, "--accuracy", help="DESIGN=VALUE (repeatable): a design's "
                                                 "accuracy, a fraction in [0, 1] or a socsim compress output "
                                                 "directory"),
    accuracy_threshold: float = typer.Option(0.005, "--accuracy-threshold", help="flag designs whose accuracies "
                                             "differ by more than this fraction (default 0.005: half a point)"),
) -> None:
    """Run a network on several designs and write compare.csv and a comparison report."""
    designs = resolve_designs(archs, presets, sets, pes)
    wd = parse_density("--weight-density", weight_density)
    xd = parse_density("--input-density", input_density)
    prune_spec = parse_prune(prune, wd, block)
    spec = spec_of(network)
    chosen = check_trace_options(spec, trace, trace_layers, trace_limit_mb)
    if not (0 <= accuracy_threshold < 1):
        raise UserError(f"--accuracy-threshold must be a fraction in [0, 1), got {accuracy_threshold}")
    accuracies = parse_design_accuracies(accuracy, [d.name for d in designs])
    compare_designs(spec, designs, out, strategy=parse_strategy(strategy), seed=seed,
                    weight_density=wd, input_density=xd, inputs=load_input(input), input_path=input, prune=prune_spec,
                    trace=trace, trace_layers=chosen, trace_limit_mb=trace_limit_mb, accuracies=accuracies,
                    accuracy_threshold=accuracy_threshold)

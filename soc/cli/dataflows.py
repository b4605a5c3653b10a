"""``socsim dataflows``: compare the spatial-array dataflows on a network's layers."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from soc.cli import UserError, app
from soc.cli.netopts import MODEL_HELP, spec_of


@app.command()
def dataflows(network: List[str] = typer.Argument(..., help=MODEL_HELP),
              layer: Optional[str] = typer.Option(None, "--layer", help="one conv/fc layer by name"),
              pes: int = typer.Option(256, "--pes", help="number of PEs"),
              batch: int = typer.Option(16, "--batch", help="batch size N (every layer)"),
              energy_table: str = typer.Option("spatial-normalized", "--energy-table",
                                               help="energy table (see energy/tables)"),
              dataflow: Optional[str] = typer.Option(None, "--dataflow",
                                                     help="comma-separated subset of WS,OSA,OSB,OSC,NLR,RS"),
              no_check: bool = typer.Option(False, "--no-check", help="skip the arithmetic check"),
              workers: int = typer.Option(2, "--workers", help="worker processes"),
              out: Path = typer.Option(..., "--out", help="output directory")) -> None:
    """Energy per MAC (by level and data type), DRAM accesses, cycles and utilization of
    WS, OS-A/B/C, NLR and RS at equal PEs, storage area and batch; writes
    OUT/dataflows.csv and two plots."""
    from soc.arch.vector import ConfigError
    from soc.spatial import DATAFLOWS
    from soc.spatial.compare import compare_layers, network_shapes, summarize
    from soc.arch.spatial import make_spatial_config
    from soc.spatial.plots import write_plots

    if batch < 1:
        raise UserError(f"--batch must be >= 1, got {batch}")
    if workers < 1:
        raise UserError(f"--workers must be >= 1, got {workers}")
    chosen = DATAFLOWS
    if dataflow:
        chosen = tuple(d.strip().upper() for d in dataflow.split(",") if d.strip())
        bad = [d for d in chosen if d not in DATAFLOWS]
        if bad:
            raise UserError(f"--dataflow: unknown {bad}; allowed: {', '.join(DATAFLOWS)}")
    try:
        cfg = make_spatial_config(pes=pes, energy_table=energy_table)
        from soc.spatial.accounting import level_costs
        level_costs(energy_table, 512, 131072)
    except (ConfigError, ValueError) as exc:
        raise UserError(str(exc)) from None
    try:
        shapes = network_shapes(spec_of(network), batch, layer)
    except ImportError as exc:
        raise UserError(f"the network zoo is not available ({exc})") from None
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if not shapes:
        raise UserError(f"network {network!r} has no conv or fc layers")
    df = compare_layers(shapes, cfg, chosen, check=not no_check, workers=workers)
    out.mkdir(parents=True, exist_ok=True)
    df.to_csv(out / "dataflows.csv", index=False)
    plots = write_plots(df, out)
    summary = summarize(df)
    summary.to_csv(out / "dataflows_summary.csv", index=False)
    typer.echo(summary.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    typer.echo(f"wrote {out / 'dataflows.csv'}, {out / 'dataflows_summary.csv'}, " + ", ".join(str(p) for p in plots))

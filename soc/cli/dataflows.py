"""``socsim dataflows``: compare the spatial-array dataflows on a network's layers."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from soc.cli import UserError, app


@app.command()
def dataflows(network: str = typer.Argument(..., help="network of the zoo, e.g. alexnet"),
              layer: Optional[str] = typer.Option(None, "--layer", help="one conv/fc layer by name"),
              pes: int = typer.Option(256, "--pes", help="number of PEs"),
              batch: int = typer.Option(16, "--batch", help="batch size N"),
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

    from soc.rundir import claim
    if not 1 <= batch <= 4096:
        raise UserError(f"--batch: must be in [1, 4096], got {batch}")
    if not 1 <= workers <= 64:
        raise UserError(f"--workers: must be in [1, 64], got {workers}")
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
        shapes = network_shapes(network, batch, layer)
    except ImportError as exc:
        raise UserError(f"the network zoo is not available ({exc})") from None
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if not shapes:
        raise UserError(f"network {network!r} has no conv or fc layers")
    try:
        with claim(out) as rundir:  # writable and ours before the first layer is mapped
            rundir.register("dataflows.csv", "dataflows_summary.csv")
            df = compare_layers(shapes, cfg, chosen, check=not no_check, workers=workers)
            df.to_csv(out / "dataflows.csv", index=False)
            plots = write_plots(df, out)
            rundir.register(*plots)
            summary = summarize(df)
            summary.to_csv(out / "dataflows_summary.csv", index=False)
    except OSError as exc:
        raise UserError(f"--out {out}: {exc}") from None
    typer.echo(summary.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    typer.echo(f"wrote {out / 'dataflows.csv'}, {out / 'dataflows_summary.csv'}, " + ", ".join(str(p) for p in plots))

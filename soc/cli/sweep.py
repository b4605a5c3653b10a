"""``socsim sweep FILE --out DIR``: run (or resume) a design-space sweep; ``socsim sweep
--report DIR``: rebuild a sweep's pareto.csv and report from its table alone."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from soc.cli import UserError, app


@app.command()
def sweep(
    file: Optional[Path] = typer.Argument(None, help="sweep file (YAML; see docs/sweeps.md)"),
    out: Optional[Path] = typer.Option(None, "--out", help="output directory (results.parquet, pareto.csv, "
                                                           "report.html); rerun into it to resume"),
    workers: Optional[int] = typer.Option(None, "--workers", help="worker processes (default: the core count; "
                                                                  "with --dask local: its workers)"),
    dask: Optional[str] = typer.Option(None, "--dask", help="'local': run on a dask.distributed LocalCluster"),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="run on an existing Dask cluster: "
                                                                      "tcp://HOST:PORT of its scheduler"),
    timeout: float = typer.Option(10.0, "--timeout", help="seconds to wait for the Dask scheduler and a worker"),
    retry_failed: bool = typer.Option(False, "--retry-failed", help="evaluate again the points recorded as failed"),
    cache_mb: int = typer.Option(1024, "--cache-mb", help="per-worker budget (MB) of generated tensors kept "
                                                          "for reuse"),
    report: Optional[Path] = typer.Option(None, "--report", help="rebuild DIR/pareto.csv and DIR/report.html "
                                                                 "from DIR/results.parquet alone"),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="live progress on stderr"),
) -> None:
    """Sweep designs, workloads and sparsity: every point's row in OUT/results.parquet (a
    Parquet dataset), the fronts in OUT/pareto.csv, plots and OUT/report.html."""
    from soc.sweep.errors import SweepError
    try:
        if report is not None:
            if file is not None or out is not None:
                raise UserError("--report DIR rebuilds a report from DIR alone; give no sweep file or --out with it")
            from soc.sweep.report import rebuild_report
            paths = rebuild_report(report)
            typer.echo("wrote " + ", ".join(str(p) for k, p in paths.items() if k in ("pareto", "report")))
            return
        if file is None:
            raise UserError("sweep: give a sweep FILE and --out DIR (or --report DIR)")
        if out is None:
            raise UserError("--out: give the output directory of the sweep")
        if cache_mb < 0:
            raise UserError(f"--cache-mb: must be >= 0, got {cache_mb}")
        from soc.sweep.runner import run_sweep
        outcome = run_sweep(file, out, workers=workers, dask=dask, scheduler=scheduler, timeout=timeout,
                            progress=progress, retry_failed=retry_failed, cache_mb=cache_mb)
    except SweepError as exc:
        raise UserError(str(exc)) from None
    except KeyboardInterrupt:
        typer.echo(f"interrupted: the points finished so far are kept in {out}; run the same command again "
                   f"to resume", err=True)
        raise typer.Exit(130)
    t = outcome.table
    ok = int((t["status"] == "ok").sum()) if not t.empty else 0
    typer.echo(f"{outcome.points} points on {outcome.engine}: {outcome.evaluated} evaluated now "
               f"({outcome.failed} failed), {outcome.skipped} already in {out}; {ok} ok in the table; "
               f"{outcome.wall_s:.1f} s ({outcome.points_per_minute:.1f} points/min)")
    typer.echo(f"wrote {out / 'results.parquet'}, {out / 'pareto.csv'}, {out / 'report.html'}")

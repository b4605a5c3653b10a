"""``socsim demo``: AlexNet on coarse-sparse and the two baselines, with the comparison report
(what ``make demo`` runs)."""
from __future__ import annotations

from pathlib import Path

import typer

from soc.cli import app
from soc.cli.netopts import DEFAULT_COMPARISON, SEED_MAX, resolve_designs


@app.command()
def demo(out: Path = typer.Option(Path("out/demo"), help="output directory"),
         seed: int = typer.Option(0, min=0, max=SEED_MAX, help="seed of the synthetic weights and inputs")) -> None:
    """AlexNet on coarse-sparse, weight-sparse and dense: OUT/compare.csv and OUT/report.html."""
    from soc.cli.compare import compare_designs
    compare_designs("alexnet", resolve_designs(list(DEFAULT_COMPARISON), None), out, seed=seed)

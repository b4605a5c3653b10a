"""``socsim demo``: AlexNet on coarse-sparse and the two baselines, with the comparison report
(what ``make demo`` runs)."""
from __future__ import annotations

from pathlib import Path

import typer

from soc.cli import app
from soc.config import PRESETS


@app.command()
def demo(out: Path = typer.Option(Path("out/demo"), help="output directory"),
         seed: int = typer.Option(0, help="seed of the synthetic weights and inputs")) -> None:
    """AlexNet on coarse-sparse, weight-sparse and dense: OUT/compare.csv and OUT/report.html."""
    from soc.cli.compare import compare_presets
    compare_presets("alexnet", list(PRESETS), out, seed=seed)

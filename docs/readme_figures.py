"""Regenerate the README's AlexNet figures under docs/ (``make readme-figures``).

AlexNet (batch 1, seed 0, synthetic weights and activations at the measured
sparsities) on coarse-sparse, weight-sparse and dense, through the Python API
(:mod:`soc.analysis`); writes:

- ``alexnet-energy-breakdown.png``: coarse-sparse's network energy by component and by
  data type;
- ``alexnet-energy-by-layer.png``: coarse-sparse's energy per layer by component;
- ``alexnet-roofline.png``: every layer of the three designs on their roofline;
- ``alexnet-layer-ratios.png``: per-layer speed-up and energy ratio against dense;
- ``alexnet-cycles-by-layer.png``: cycles per layer on the three designs (log scale).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from reports.plots import save_figure
from soc.analysis import compare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs"))
    parser.add_argument("--network", default="alexnet")
    args = parser.parse_args()
    c = compare(args.network, ["coarse-sparse", "weight-sparse", "dense"])
    ref = c.runs["coarse-sparse"]
    name = args.network
    figures = {
        f"{name}-energy-breakdown": ref.plot("energy_breakdown"),
        f"{name}-energy-by-layer": ref.plot("energy_by_component"),
        f"{name}-roofline": c.plot("roofline"),
        f"{name}-layer-ratios": c.plot("layer_ratios"),
        f"{name}-cycles-by-layer": c.plot("cycles_by_layer_designs"),
    }
    for stem, fig in figures.items():
        print(save_figure(fig, args.out / f"{stem}.png"))
    print(c.table()[["arch", "cycles", "energy_pj", "speedup_vs_dense", "energy_ratio_vs_dense",
                     "operational_intensity" if "operational_intensity" in c.table() else "utilization"]]
          .to_string(index=False))


if __name__ == "__main__":
    main()

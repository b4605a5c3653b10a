"""The two comparison plots: stacked energy per MAC by level and by data type, per
dataflow (summed over the layers of each kind with MAC weights), one panel per kind."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

LEVEL_COLS = ["e_alu", "e_rf", "e_noc", "e_glb", "e_dram"]
TYPE_COLS = ["e_alu", "e_weights", "e_inputs", "e_psums"]


def _stacked(df: pd.DataFrame, cols: list[str], title: str, path: Path) -> None:
    df = df.dropna(subset=["energy_per_mac"])
    kinds = list(dict.fromkeys(df.kind))
    fig, axes = plt.subplots(1, max(1, len(kinds)), figsize=(6 * max(1, len(kinds)), 4.5), squeeze=False)
    for ax, kind in zip(axes[0], kinds):
        part = df[df.kind == kind]
        order = list(dict.fromkeys(part.dataflow))
        weighted = part[cols].multiply(part.macs, axis=0)
        weighted["dataflow"] = part.dataflow
        sums = weighted.groupby("dataflow")[cols].sum().loc[order]
        sums = sums.div(part.groupby("dataflow").macs.sum().loc[order], axis=0)
        bottom = None
        for col in cols:
            ax.bar(order, sums[col], bottom=bottom, label=col[2:])
            bottom = sums[col] if bottom is None else bottom + sums[col]
        ax.set_title(f"{kind.upper()} layers ({', '.join(dict.fromkeys(part.layer))})", fontsize=8)
        ax.set_ylabel("energy per MAC (units of one MAC)")
        ax.legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_plots(df: pd.DataFrame, out_dir: Path) -> list[Path]:
    out_dir = Path(out_dir)
    p1, p2 = out_dir / "energy_by_level.png", out_dir / "energy_by_type.png"
    _stacked(df, LEVEL_COLS, "Energy per MAC by storage level", p1)
    _stacked(df, TYPE_COLS, "Energy per MAC by data type", p2)
    return [p1, p2]

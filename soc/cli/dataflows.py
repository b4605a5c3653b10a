"""``socsim dataflows``: the spatial-array dataflows on a network's layers, on a spatial
design (``--arch NAME|FILE``, ``--set PATH=VALUE``)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from soc.cli import UserError, app
from soc.cli.netopts import MODEL_HELP, parse_density, spec_of

DEFAULT_DESIGN = "spatial-16x16"


def spatial_design(arch: str, sets: list[str], pes: Optional[int], energy_table: Optional[str]):
    """The spatial design of ``--arch`` with ``--set`` overrides; ``--pes`` and
    ``--energy-table`` are shortcuts of ``--set array.rows=R --set array.columns=C`` and
    ``--set energy_table=...``. Every error is one line naming the field (exit 2)."""
    from soc.arch import ConfigError, design_names, load_design
    from soc.arch.spatial import square_array

    allowed = f"allowed: {', '.join(design_names('spatial'))}, or a spatial design .yaml file"
    if Path(arch).suffix.lower() not in (".yaml", ".yml") and arch not in design_names():
        raise UserError(f"socsim dataflows --arch: unknown design {arch!r}; {allowed}")
    overrides = list(sets or [])
    try:
        base = load_design(arch)
        if base.kind != "spatial":
            raise UserError(f"socsim dataflows --arch: {arch} is a {base.kind} design; the dataflows run on "
                            f"the spatial PE array ({allowed})")
        if pes is not None:
            grid = square_array(pes)
            overrides += [f"array.rows={grid['rows']}", f"array.columns={grid['columns']}"]
        if energy_table is not None:
            overrides.append(f"energy_table={energy_table}")
        return load_design(arch, overrides, kind="spatial")
    except ConfigError as exc:
        msg = str(exc)
        if pes is not None and msg.startswith("pes:"):
            msg = "--" + msg
        raise UserError(msg) from None


@app.command()
def dataflows(network: List[str] = typer.Argument(..., help=MODEL_HELP),
              arch: str = typer.Option(DEFAULT_DESIGN, "--arch",
                                       help="spatial design: a shipped name (spatial-16x16, eyeriss) or a .yaml file"),
              sets: Optional[list[str]] = typer.Option(None, "--set", help="override a design field: PATH=VALUE "
                                                       "(repeatable; e.g. storage=fixed, glb.size_bytes=65536)"),
              layer: Optional[str] = typer.Option(None, "--layer", help="one conv/fc layer by name"),
              pes: Optional[int] = typer.Option(None, "--pes", help="number of PEs (shortcut of --set "
                                                "array.rows=R --set array.columns=C, the most square grid)"),
              batch: int = typer.Option(16, "--batch", help="batch size N (every layer)"),
              energy_table: Optional[str] = typer.Option(None, "--energy-table",
                                                         help="energy table (shortcut of --set energy_table=...)"),
              weight_density: Optional[float] = typer.Option(None, help="fraction of non-zero synthetic weights, "
                                                             "in (0, 1] (zero gating only)"),
              input_density: Optional[float] = typer.Option(None, help="fraction of non-zero synthetic inputs, "
                                                            "in (0, 1] (zero gating only)"),
              dataflow: Optional[str] = typer.Option(None, "--dataflow",
                                                     help="comma-separated subset of WS,OSA,OSB,OSC,NLR,RS"),
              no_check: bool = typer.Option(False, "--no-check", help="skip the arithmetic check"),
              workers: int = typer.Option(2, "--workers", help="worker processes"),
              out: Path = typer.Option(..., "--out", help="output directory")) -> None:
    """Energy per MAC (by level and data type), DRAM accesses, cycles, latency and
    utilization of WS, OS-A/B/C, NLR and RS on a spatial design: in the equal-area mode
    at equal PEs, storage area and batch; in the fixed-storage mode on the design's own
    RFs and GLB. Writes OUT/dataflows.csv, OUT/dataflows_summary.csv, the Eyeriss-style
    breakdowns OUT/energy_by_level.csv and OUT/energy_by_data_type.csv (per layer kind and
    dataflow, MAC-weighted) with their plots, and OUT/design.json (the resolved design,
    its hash and the socsim version)."""
    import pandas as pd

    from reports.plots import save_figure, spatial_breakdown_figure, spatial_breakdown_table
    from soc.arch import design_record
    from soc.rundir import claim
    from soc.spatial import DATAFLOWS
    from soc.spatial.compare import compare_layers, latency_table, network_shapes, summarize
    if not 1 <= batch <= 4096:
        raise UserError(f"--batch: must be in [1, 4096], got {batch}")
    if not 1 <= workers <= 64:
        raise UserError(f"--workers: must be in [1, 64], got {workers}")
    chosen = DATAFLOWS
    if dataflow:
        chosen = tuple(d.strip().upper() for d in dataflow.split(",") if d.strip())
        bad = [d for d in chosen if d not in DATAFLOWS]
        if bad or not chosen:
            raise UserError(f"--dataflow: unknown {bad or dataflow!r}; allowed: {', '.join(DATAFLOWS)}")
    cfg = spatial_design(arch, sets or [], pes, energy_table)
    try:
        shapes = network_shapes(spec_of(network), batch, layer,
                                weight_density=parse_density("--weight-density", weight_density),
                                input_density=parse_density("--input-density", input_density))
    except ImportError as exc:
        raise UserError(f"the network zoo is not available ({exc})") from None
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if not shapes:
        raise UserError(f"network {network!r} has no conv or fc layers")
    with claim(out) as rundir:  # writable and ours before the first layer is mapped
        rundir.register("dataflows.csv", "dataflows_summary.csv", "design.json", "energy_by_level.csv",
                        "energy_by_data_type.csv")
        df = compare_layers(shapes, cfg, chosen, check=not no_check, workers=workers)
        df.to_csv(out / "dataflows.csv", index=False)
        (out / "design.json").write_text(json.dumps(design_record(cfg), indent=2) + "\n")
        plots, tables = [], []
        for by, stem, csv_name in (("level", "energy_by_level", "energy_by_level.csv"),
                                   ("data_type", "energy_by_type", "energy_by_data_type.csv")):
            plots.append(save_figure(spatial_breakdown_figure(df, by), out / f"{stem}.png"))
            rows = []
            for kind, part in df.dropna(subset=["energy_per_mac"]).groupby("kind", sort=False):
                t = spatial_breakdown_table(part, by)
                t.insert(0, "dataflow", t.index)
                t.insert(0, "kind", kind)
                t["energy_per_mac"] = t[[c for c in t.columns if c not in ("kind", "dataflow")]].sum(axis=1)
                rows.append(t.reset_index(drop=True))
            if rows:
                pd.concat(rows, ignore_index=True).to_csv(out / csv_name, index=False)
                tables.append(out / csv_name)
        rundir.register(*tables, *plots)
        summary = summarize(df)
        summary.to_csv(out / "dataflows_summary.csv", index=False)
        typer.echo(f"{cfg.name}: {cfg.array.rows}x{cfg.array.columns} PEs at {cfg.clock_ghz * 1e3:g} MHz, "
                   f"{cfg.storage} storage, batch {batch}")
        typer.echo(latency_table(df).to_string(index=False))
        typer.echo(summary.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        typer.echo(f"wrote {out / 'dataflows.csv'}, {out / 'dataflows_summary.csv'}, {out / 'design.json'}, "
                   + ", ".join(str(p) for p in [*tables, *plots]))

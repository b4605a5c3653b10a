"""``socsim arch``: the shipped designs and how to start your own.

``arch list [--json]`` lists the shipped designs with their kind; ``arch show NAME|FILE
[--set PATH=VALUE ...]`` prints a design as complete YAML (every field, defaults
included) to copy and edit.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from soc.cli import UserError, app
from soc.cli.netopts import SET_HELP

arch_app = typer.Typer(no_args_is_help=True, add_completion=False,
                       help="Shipped designs: list them, print one as YAML, price its components.")
app.add_typer(arch_app, name="arch")


@arch_app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """The shipped designs: name, kind (vector or spatial) and description."""
    from soc.arch import list_designs
    rows = list_designs()
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        typer.echo(f"{r['name']:<{width}}  {r['kind']:<7}  {r['description']}")


@arch_app.command("show")
def show(design: str = typer.Argument(..., help="a shipped design name or a design .yaml file"),
         sets: Optional[list[str]] = typer.Option(None, "--set", help=SET_HELP)) -> None:
    """Print a design as complete YAML: every field, with the defaults filled in."""
    from soc.arch import ConfigError, design_yaml, load_design
    try:
        typer.echo(design_yaml(load_design(design, sets or [])), nl=False)
    except ConfigError as exc:
        raise UserError(str(exc)) from None


@arch_app.command("price")
def price(design: str = typer.Argument(..., help="a shipped design name or a design .yaml file"),
          sets: Optional[list[str]] = typer.Option(None, "--set", help=SET_HELP),
          as_json: bool = typer.Option(False, "--json", help="print JSON"),
          ert: Optional[Path] = typer.Option(None, "--ert", help="also write the prices as an Accelergy ERT file"),
          art: Optional[Path] = typer.Option(None, "--art", help="also write the areas as an Accelergy ART file")
          ) -> None:
    """The resolved prices of a design: energy per action of every component (pJ), its
    leakage (mW) and area (mm^2), and the totals."""
    from energy.accelergy import write_art, write_ert
    from soc.arch import ConfigError, VectorArch, load_design
    from soc.vector.pricing import PricingError, price_table
    try:
        cfg = load_design(design, sets or [], kind="vector")
        assert isinstance(cfg, VectorArch)
        table = price_table(cfg)
    except (ConfigError, PricingError) as exc:
        raise UserError(str(exc)) from None
    prefix = cfg.name
    written = []
    try:
        if ert is not None:
            written.append(write_ert(table, ert, cfg.cycle_s, prefix))
        if art is not None:
            written.append(write_art(table, art, prefix))
    except OSError as exc:
        raise UserError(f"{exc.filename}: cannot write ({exc.strerror})") from None
    if as_json:
        typer.echo(json.dumps(table.as_dict(), indent=2))
    else:
        _print_price(table)
    for path in written:
        typer.echo(f"wrote {path}", err=as_json)


def _print_price(table) -> None:
    from rich.console import Console
    from rich.table import Table
    out = Table(title=f"{table.name}: {table.source}, {table.node_nm:g} nm, {table.vdd_v:g} V",
                title_justify="left")
    for col, justify in (("component", "left"), ("count", "right"), ("action", "left"), ("pJ", "right"),
                         ("per", "left"), ("leakage mW", "right"), ("area mm^2", "right")):
        out.add_column(col, justify=justify)
    for comp in table.components():
        actions = table.actions(comp) or [""]
        for i, action in enumerate(actions):
            first = i == 0
            out.add_row(comp if first else "", str(table.counts.get(comp, 1)) if first else "", action,
                        f"{table.energy[(comp, action)]:.6g}" if action else "", table.per.get((comp, action), ""),
                        f"{table.leakage_mw.get(comp, 0.0):.4g}" if first else "",
                        f"{table.area_mm2.get(comp, 0.0):.4g}" if first else "", end_section=i == len(actions) - 1)
    out.add_row("total", "", "", "", "", f"{table.total_leakage_mw:.4g}", f"{table.total_area_mm2:.4g}")
    Console(width=140).print(out)

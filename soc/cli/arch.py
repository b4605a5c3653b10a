"""``socsim arch``: the shipped designs and how to start your own.

``arch list [--json]`` lists the shipped designs with their kind; ``arch show NAME|FILE
[--set PATH=VALUE ...]`` prints a design as complete YAML (every field, defaults
included) to copy and edit.
"""
from __future__ import annotations

import json
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

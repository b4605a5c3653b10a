"""The ``socsim`` command: a thin layer over workloads, soc, energy and reports.

Each sub-command lives in its own module and registers itself on :data:`app`.
Errors in user input exit with status 2 and a message naming the problem.
"""
from __future__ import annotations

import sys

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Simulate sparse neural-network accelerator SoCs: latency, energy, dataflows.")


def _print_version(value: bool) -> None:
    if value:
        from soc import __version__
        typer.echo(f"socsim {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                       help="print the version and exit")) -> None:
    """Simulate sparse neural-network accelerator SoCs: latency, energy, dataflows."""


class UserError(Exception):
    """Bad input from the user: reported as one clear line, exit status 2."""


def main() -> None:
    from soc.cli import commands  # noqa: F401  (registers the sub-commands)
    try:
        app()
    except UserError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)

"""The ``socsim`` command: a thin layer over workloads, soc, energy and reports.

Each sub-command lives in its own module and registers itself on :data:`app`.

Exit status and messages (:func:`run_cli`):

* 0: done.
* 2: bad input: a command-line option, a design, a network, an energy table, an output
  directory. One line on stderr, ``error: ...``, naming the file, field or option, what
  was given and what is allowed. Raised as :class:`UserError`, or as any ``ValueError``
  subclass of the project's own packages (``ConfigError``, ``NetworkFileError``, ...).
  A layer that fails during a network run also exits 2, after its rows were written.
* 130 / 143: stopped by SIGINT / SIGTERM; ``summary.json`` records the run as
  interrupted. One line on stderr.
* 1: an internal error (a bug): one line naming the exception.

``--debug`` (or ``SOCSIM_DEBUG=1``) adds the Python traceback to any of these.
"""
from __future__ import annotations

import gc
import os
import sys
import traceback

import typer

# Plain (click) help and error formatting: rich's help renderer takes longer to import than
# the rest of the command line, and `socsim --help` should answer at once.
app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="Simulate sparse neural-network accelerator SoCs: latency, energy, dataflows.")

_STATE = {"debug": False}
PROJECT_PACKAGES = ("soc", "workloads", "energy", "reports")


def _print_version(value: bool) -> None:
    if value:
        from soc import __version__
        typer.echo(f"socsim {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                       help="print the version and exit"),
          debug: bool = typer.Option(False, "--debug", help="print the Python traceback of an error")) -> None:
    """Simulate sparse neural-network accelerator SoCs: latency, energy, dataflows."""
    _STATE["debug"] = _STATE["debug"] or debug


class UserError(Exception):
    """Bad input from the user: reported as one clear line, exit status 2."""


def is_input_error(exc: BaseException) -> bool:
    """A bad-input error: :class:`UserError`, or a ``ValueError`` subclass that one of the
    project's packages defines (each module's own typed error)."""
    if isinstance(exc, UserError):
        return True
    return (isinstance(exc, ValueError) and type(exc) is not ValueError
            and type(exc).__module__.split(".")[0] in PROJECT_PACKAGES)


def one_line(text: object) -> str:
    """A message on one line (pydantic and YAML errors may carry newlines)."""
    return " ".join(str(text).split())


def run_cli(argv: list[str] | None = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``) and return its exit status;
    errors are printed as one line on stderr (see the module docstring)."""
    try:  # typer >= 0.22 carries its own copy of click
        from typer._click import exceptions as click_errors  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - older typer on click
        from click import exceptions as click_errors  # type: ignore[no-redef]

    from soc.cli import commands  # noqa: F401  (registers the sub-commands)
    from soc.interrupts import RunInterrupted, signals_raise
    args = list(sys.argv[1:] if argv is None else argv)
    _STATE["debug"] = "--debug" in args or os.environ.get("SOCSIM_DEBUG", "") not in ("", "0")

    def fail(message: str, code: int) -> int:
        if _STATE["debug"]:
            traceback.print_exc()
        typer.echo(f"error: {one_line(message)}", err=True)
        return code

    try:
        with signals_raise():
            rv = app(args=args, prog_name="socsim", standalone_mode=False)
    except click_errors.UsageError as exc:
        if type(exc).__name__ == "NoArgsIsHelpError" and exc.ctx is not None:
            typer.echo(exc.ctx.get_help(), err=True)
            return 2
        where = f"{exc.ctx.command_path}: " if exc.ctx is not None else ""
        return fail(where + exc.format_message(), 2)
    except RunInterrupted as exc:
        return fail(f"{exc}; {getattr(exc, 'record', 'nothing was written')}", exc.exit_code)
    except KeyboardInterrupt:
        return fail("interrupted by SIGINT", 130)
    except Exception as exc:
        if type(exc).__name__ == "Abort":
            return fail("aborted", 1)
        if is_input_error(exc):
            return fail(str(exc), 2)
        return fail(f"internal error: {type(exc).__name__}: {exc} (run again with --debug for the traceback)", 1)
    return rv if isinstance(rv, int) else 0


def main() -> None:
    status = run_cli()
    # Everything is written and closed: spare the interpreter's last garbage collection,
    # a walk over every object of the run for nothing (0.25 s after a report, about a
    # tenth of `socsim run alexnet`). Objects are still freed; only cycles are left to exit.
    gc.freeze()
    sys.exit(status)

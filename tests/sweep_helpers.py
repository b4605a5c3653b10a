"""Shared helpers of the sweep tests."""
from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path

import pandas as pd

DATA = Path(__file__).parent / "data" / "sweeps"
LENET12 = DATA / "lenet12.yaml"


def deterministic(df: pd.DataFrame) -> pd.DataFrame:
    """A results table without the provenance columns (run_*), sorted by point."""
    cols = [c for c in df.columns if not c.startswith("run_")]
    return df[cols].sort_values("point").reset_index(drop=True)


def socsim_main(*args: str) -> tuple[int, str, str]:
    """``socsim ARGS`` through the console entry point, in this process: (exit status,
    stdout, stderr)."""
    from soc.cli import main
    out, err = io.StringIO(), io.StringIO()
    argv = sys.argv
    sys.argv = ["socsim", *args]
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = argv
    return code, out.getvalue(), err.getvalue()

"""Design-space exploration: sweeps and multi-objective search over design, workload and
sparsity parameters, on a local process pool or Dask, with Pareto fronts.

The module is callable: ``soc.sweep(spec)`` runs a sweep (a sweep file or a mapping of
its fields) and returns its table as a pandas DataFrame (:func:`soc.sweep.runner.sweep`).

Parts: :mod:`~soc.sweep.spec` (the sweep file, validated once), :mod:`~soc.sweep.points`
(points and tasks), :mod:`~soc.sweep.evaluate` (the point -> row function),
:mod:`~soc.sweep.engines` (process pool, Dask), :mod:`~soc.sweep.store` (the resumable
Parquet table), :mod:`~soc.sweep.pareto`, :mod:`~soc.sweep.search` (NSGA-II),
:mod:`~soc.sweep.runner`, :mod:`~soc.sweep.report`. The format is in ``docs/sweeps.md``.
"""
from __future__ import annotations

import sys
import types
from typing import Any

from soc.sweep.errors import SweepError


def sweep(spec: Any, out: Any = None, **options: Any):
    """Run a sweep and return its table (see :func:`soc.sweep.runner.sweep`)."""
    from soc.sweep.runner import sweep as _sweep
    return _sweep(spec, out, **options)


def run_sweep(spec: Any, out: Any = None, **options: Any):
    """Run a sweep and return a :class:`~soc.sweep.runner.SweepOutcome`."""
    from soc.sweep.runner import run_sweep as _run
    return _run(spec, out, **options)


def load_spec(source: Any):
    """A validated :class:`~soc.sweep.spec.SweepSpec` from a sweep file or mapping."""
    from soc.sweep.spec import load_spec as _load
    return _load(source)


class _CallableModule(types.ModuleType):
    """``soc.sweep`` is both this package and the function ``soc.sweep(spec)``."""

    def __call__(self, spec: Any, out: Any = None, **options: Any):
        return sweep(spec, out, **options)


sys.modules[__name__].__class__ = _CallableModule

__all__ = ["SweepError", "sweep", "run_sweep", "load_spec"]

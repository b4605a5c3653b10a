"""Run a sweep: validate it, claim the output directory, evaluate the points not yet
done on an engine, append each row as it finishes, then compact the table and write
pareto.csv and the report.

Order of checks (all before any point runs): the sweep file, the engine options, the
output directory (another sweep's, or foreign files), then the engine itself (a Dask
scheduler that cannot be reached within the time-out).

Resuming: the rows already in ``DIR/results.parquet`` are points done (failed ones too,
unless ``retry_failed``); only the others are evaluated. Progress (points done, failed,
time left) is drawn on stderr when asked for.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from soc.sweep.engines import DEFAULT_TIMEOUT_S, make_engine
from soc.sweep.pareto import front_mask
from soc.sweep.points import DEFAULT_CACHE_MB, ID_COLUMNS, enumerate_points, make_task, tasks_in_run_order
from soc.sweep.spec import SweepSpec, load_spec
from soc.sweep.store import ResultStore


@dataclass
class SweepOutcome:
    """What a sweep run did. ``table``: every row of the sweep (this run's and earlier
    ones'), sorted by point, with a ``pareto`` column (on the front of all objectives)."""
    table: pd.DataFrame
    spec: SweepSpec
    out: Path | None
    engine: str
    points: int
    evaluated: int
    skipped: int
    failed: int
    wall_s: float
    paths: dict = field(default_factory=dict)

    @property
    def points_per_minute(self) -> float:
        return 60.0 * self.evaluated / self.wall_s if self.wall_s > 0 else 0.0


class _Progress:
    """Done / failed / time left on stderr (rich), or nothing."""

    def __init__(self, enabled: bool, total: int, title: str):
        self.bar = None
        self.failed = 0
        if enabled and total:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TextColumn("failed {task.fields[failed]}"), TimeElapsedColumn(),
                                TextColumn("left"), TimeRemainingColumn(), console=Console(stderr=True))
            self.bar.start()
            self.task = self.bar.add_task(title, total=total, failed=0)

    def step(self, failed: bool) -> None:
        self.failed += int(failed)
        if self.bar is not None:
            self.bar.update(self.task, advance=1, failed=self.failed)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


def id_columns(spec_axes) -> list[str]:
    return [*ID_COLUMNS, *spec_axes]


def run_sweep(source: str | Path | Mapping[str, Any] | SweepSpec, out: str | Path | None = None, *,
              workers: int | None = None, dask: str | None = None, scheduler: str | None = None,
              timeout: float = DEFAULT_TIMEOUT_S, progress: bool = False, retry_failed: bool = False,
              cache_mb: int = DEFAULT_CACHE_MB, report: bool = True) -> SweepOutcome:
    """Run (or resume) the sweep of ``source`` into ``out`` (module doc). ``out`` None
    keeps the rows in memory only. Raises :class:`~soc.sweep.errors.SweepError` for bad
    input, before any point runs."""
    t0 = time.perf_counter()
    spec = source if isinstance(source, SweepSpec) else load_spec(source)
    engine = make_engine(workers=workers, dask=dask, scheduler=scheduler, timeout=timeout)
    store = ResultStore(out, spec.canonical())
    store.check()
    engine.start()
    evaluated = failed = skipped = total = 0
    bar = None
    try:
        store.claim(spec.raw, spec.label)
        existing = store.read()
        if existing.empty:
            done: set[str] = set()
        elif retry_failed:
            done = set(existing.loc[existing["status"] == "ok", "point_id"])
        else:
            done = set(existing["point_id"])

        def make(point):
            return make_task(spec, point, cache_mb=cache_mb)

        if spec.cover == "search":
            from soc.sweep.search import run_search
            known = {row["point_id"]: row for row in existing.to_dict("records") if row["point_id"] in done}
            total = spec.search.trials * len(spec.workloads)
            bar = _Progress(progress, total, f"search {Path(spec.label).name}")
            for task, row, new in run_search(spec, engine, known, make):
                if new:
                    store.append([row])
                    evaluated += 1
                    failed += row["status"] != "ok"
                else:
                    bar.step(row.get("status") != "ok")
            skipped = len(done)
        else:
            points = enumerate_points(spec)
            total = len(points)
            todo = [p for p in points if p.point_id not in done]
            skipped = total - len(todo)
            bar = _Progress(progress, len(todo), f"{Path(spec.label).name} ({skipped} done before)"
                            if skipped else Path(spec.label).name)
            for task, row in engine.imap_unordered(tasks_in_run_order([make(p) for p in todo])):
                store.append([row])
                evaluated += 1
                failed += row["status"] != "ok"
                bar.step(row["status"] != "ok")
    finally:
        if bar is not None:
            bar.close()
        engine.close()
    store.compact()
    table = store.read()
    paths: dict[str, Path] = {}
    if out is not None and report:
        from soc.sweep.report import write_outputs
        paths = write_outputs(Path(out), table, spec.canonical())
    if not table.empty:
        table["pareto"] = front_mask(table, spec.objectives)
    return SweepOutcome(table, spec, Path(out) if out is not None else None, engine.describe(), total, evaluated,
                        skipped, failed, time.perf_counter() - t0, paths)


def sweep(spec: str | Path | Mapping[str, Any], out: str | Path | None = None, **options: Any) -> pd.DataFrame:
    """Run a sweep (a sweep file, or a mapping of its fields) and return its table: one
    row per point, flat columns (identity, axes, status, metrics, ``run_*`` provenance,
    ``pareto``), sorted by point. Options as :func:`run_sweep` (``workers``, ``dask``,
    ``scheduler``, ``progress`` ...)."""
    return run_sweep(spec, out, **options).table

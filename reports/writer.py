"""Incremental writer of a run's results: layers.csv row by row, then summary.json.

Each layer's row is appended to ``layers.csv`` as soon as the layer finishes and the
file is flushed and fsync'ed, so the rows of layers already simulated are on disk even
if a later layer fails or the process is killed. The header is written with the first
row. A later layer may book energy into a component no earlier layer used (a conv
layer after a pooling layer): the file is then rewritten once with the wider header
(atomically: a temporary file renamed over the old one), earlier rows getting 0 pJ
for the new component; rows are otherwise only ever appended.

Rows are plain dicts (:mod:`reports.rows`) written with the csv module, and the summary
is summed from them, so a run loads neither pandas nor pyarrow while it simulates;
:meth:`RunWriter.table` gives the DataFrame for the report afterwards.

``finish(summary)`` writes ``summary.json`` (atomically). Given a failure (the layer
that failed and the error), ``summary.json`` records it with ``"status": "failed"``;
used as a context manager, an exception escaping the block is recorded that way and
re-raised.
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Mapping

import numpy as np

from reports.rows import as_result_dict, is_energy_column, layer_row, row_columns, rows_summary

if TYPE_CHECKING:
    import pandas as pd

LAYERS_CSV = "layers.csv"
SUMMARY_JSON = "summary.json"


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, Path):
        return str(value)
    return str(value)


def _clean_json(value: Any) -> Any:
    """Non-finite floats become None so the file is strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): _clean_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean_json(v) for v in value]
    return value


def write_json_atomic(path: str | os.PathLike, data: Any) -> Path:
    """Write ``data`` as indented strict JSON via a temporary file renamed into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(_clean_json(data), indent=2, default=_json_default, allow_nan=False)
    _write_text_atomic(path, text + "\n")
    return path


def _new_file_mode() -> int:
    """The mode ``open()`` gives a new file: 0666 less the process's umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _write_text_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _new_file_mode())  # mkstemp creates 0600; results get the user's normal mode
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _csv_cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return repr(value)  # shortest round-trip representation
    return value


class RunWriter:
    """Writes ``out_dir/layers.csv`` incrementally and ``out_dir/summary.json`` at the end.

    Usage::

        with RunWriter(out) as writer:
            for layer in network.layers:
                writer.begin_layer(layer.name)
                writer.add_layer(simulate_layer(...).to_dict())
            writer.finish(writer.summary() | {"peak_rss_mb": rss})
    """

    def __init__(self, out_dir: str | os.PathLike, *, layers_file: str = LAYERS_CSV,
                 summary_file: str = SUMMARY_JSON, roofs: Mapping[str, Any] | None = None) -> None:
        """``roofs``: the design's compute and DRAM roofs and word size
        (:data:`reports.metrics.ROOF_KEYS`); with them every row and the summary carry the
        roofline metrics."""
        self.roofs = dict(roofs) if roofs else None
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.layers_path = self.out_dir / layers_file
        self.summary_path = self.out_dir / summary_file
        self._rows: list[dict] = []
        self._actions: dict[str, float] = {}
        self._header: list[str] | None = None
        self._current_layer: str | None = None
        self._finished = False
        for old in (self.layers_path, self.summary_path):
            if old.exists():
                old.unlink()  # a new run never mixes with, or is mistaken for, an old one

    # -- per layer -------------------------------------------------------------
    @property
    def rows(self) -> list[dict]:
        """Rows written so far (copies)."""
        return [dict(r) for r in self._rows]

    @property
    def current_layer(self) -> str | None:
        """The layer announced by :meth:`begin_layer` and not yet added."""
        return self._current_layer

    def begin_layer(self, name: str) -> None:
        """Announce the layer about to be simulated (so a failure can name it)."""
        self._current_layer = str(name)

    def add_layer(self, result: Any) -> dict:
        """Validate one layer result, append its row to layers.csv, flush to disk; returns the row."""
        self._check_open()
        data = as_result_dict(result, len(self._rows))
        row = layer_row(data, len(self._rows), self.roofs)
        # on disk first, then counted: a row that could not be written is not counted
        rows = [*self._rows, row]
        if self._header is None or any(c not in self._header for c in row):
            self._rewrite(row_columns(rows), rows)
        else:
            self._append(row)
        self._rows = rows
        for act, pj in data.get("energy_by_action", {}).items():
            self._actions[str(act)] = self._actions.get(str(act), 0.0) + float(pj)
        self._current_layer = None
        return dict(row)

    def _line(self, row: Mapping, header: list[str]) -> str:
        buf = io.StringIO()
        cells = []
        for col in header:
            value = row.get(col)
            if value is None and is_energy_column(col):
                value = 0.0
            cells.append(_csv_cell(value))
        csv.writer(buf, lineterminator="\n").writerow(cells)
        return buf.getvalue()

    def _append(self, row: Mapping) -> None:
        assert self._header is not None
        with open(self.layers_path, "a", encoding="utf-8", newline="") as fh:
            fh.write(self._line(row, self._header))
            fh.flush()
            os.fsync(fh.fileno())

    def _rewrite(self, header: list[str], rows: list) -> None:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow(header)
        text = buf.getvalue() + "".join(self._line(r, header) for r in rows)
        _write_text_atomic(self.layers_path, text)
        self._header = header

    def table(self) -> "pd.DataFrame":
        """Per-layer table (as ``tables.layer_table``) of the layers written so far
        (the first call loads pandas: nothing else here needs it)."""
        from reports.tables import rows_to_frame
        return rows_to_frame(self._rows)

    # -- end of run ------------------------------------------------------------
    def summary(self) -> dict:
        """Network summary of the layers written so far (see tables.network_summary;
        summed from the rows, without pandas)."""
        if not self._rows:
            raise ValueError("no layer has been written yet, so there is no summary")
        return rows_summary(self._rows, energy_by_action=dict(self._actions), roofs=self.roofs)

    def finish(self, summary: Mapping[str, Any] | None = None, *, failed_layer: str | None = None,
               error: BaseException | str | None = None) -> Path:
        """Write summary.json and return its path.

        ``summary`` defaults to :meth:`summary` of the layers written (an empty summary
        with ``layers: 0`` when none was). With ``error`` (and ``failed_layer``, else the
        layer announced by :meth:`begin_layer`), the file also gets ``status: "failed"``
        and ``failure: {layer, error_type, message}`` (``status: "interrupted"`` when the
        error is a ``KeyboardInterrupt`` or carries ``run_status = "interrupted"``: the
        layer is the one that was running); otherwise ``status: "ok"``. Always
        records ``layers_completed`` (rows in layers.csv).
        """
        self._check_open()
        if summary is None:
            summary = self.summary() if self._rows else {"layers": 0}
        data = dict(summary)
        data["layers_completed"] = len(self._rows)
        if error is not None:
            # A run stopped by a signal says so (an exception carrying run_status, or Ctrl-C).
            interrupted = (getattr(error, "run_status", None) == "interrupted"
                           or isinstance(error, KeyboardInterrupt))
            data["status"] = "interrupted" if interrupted else "failed"
            message = str(error) or ("interrupted by SIGINT" if isinstance(error, KeyboardInterrupt)
                                     else type(error).__name__)
            data["failure"] = {
                "layer": failed_layer if failed_layer is not None else self._current_layer,
                "error_type": type(error).__name__ if isinstance(error, BaseException) else "Error",
                "message": message,
            }
        else:
            data.setdefault("status", "ok")
        self._finished = True
        return write_json_atomic(self.summary_path, data)

    def _check_open(self) -> None:
        if self._finished:
            raise RuntimeError(f"run in {self.out_dir} is already finished ({self.summary_path} written)")

    def __enter__(self) -> "RunWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> Literal[False]:
        if exc is not None and not self._finished:
            self.finish(error=exc)
        return False

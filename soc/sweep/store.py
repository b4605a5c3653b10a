"""The output directory of a sweep: the sweep it holds, and its results table.

Layout of ``DIR``:

* ``sweep.yaml``: the sweep as given and its canonical form (what decides the rows:
  engine, design and network digests, axes, coverage, objectives, constraints, kept
  metrics). A sweep whose canonical form differs is refused, naming the first
  difference; a directory that holds files but no ``sweep.yaml`` is refused too.
* ``results.parquet/``: the results table as a Parquet dataset (a directory of Parquet
  files, read whole by ``pandas.read_parquet`` or ``pyarrow.parquet.read_table``). Each
  batch of finished points is one more file, written to a temporary name and renamed,
  so a sweep killed at any moment leaves only complete files. When a sweep ends the
  files are compacted into one. Every file carries the canonical sweep in its schema
  metadata (key ``socsim.sweep``), so the report can be rebuilt from the table alone.
* ``pareto.csv``, ``report.html``, ``plots/``: written at the end (:mod:`soc.sweep.runner`).

Reading concatenates the files with type promotion (a column that is all null in one
file takes its type from the others) and keeps, for a point found twice, its last row.
"""
from __future__ import annotations

import json
import os
import re
import uuid
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from soc.sweep.errors import SweepError

RESULTS = "results.parquet"
SPEC_FILE = "sweep.yaml"
PARETO = "pareto.csv"
REPORT = "report.html"
METADATA_KEY = b"socsim.sweep"
_PART = re.compile(r"^part-(\d{6})-([0-9a-z-]+)\.parquet$")
COMPACT_TAG = "zz-compact"  # sorts after the hex tags of the parts it replaces


def describe_difference(old: Any, new: Any, path: str = "") -> str | None:
    """The first place two canonical sweeps differ, as 'field: A recorded, B given'."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in list(old) + [k for k in new if k not in old]:
            if key not in new:
                return f"{path}{key}: {old[key]!r} recorded, absent in the given sweep"
            if key not in old:
                return f"{path}{key}: absent in the recorded sweep, {new[key]!r} given"
            diff = describe_difference(old[key], new[key], f"{path}{key}.")
            if diff:
                return diff
        return None
    if old != new:
        return f"{path.rstrip('.') or 'sweep'}: {old!r} recorded, {new!r} given"
    return None


def _plain(obj: Any) -> Any:
    return json.loads(json.dumps(obj, default=str))


class ResultStore:
    """Rows of one sweep in ``out`` (module doc), or in memory when ``out`` is None."""

    def __init__(self, out: str | Path | None, canonical: dict):
        self.out = Path(out) if out is not None else None
        self.canonical = _plain(canonical)
        self.memory: list[dict] = []
        self._seq = 0

    # ------------------------------------------------------------------ directory
    @property
    def results_dir(self) -> Path:
        assert self.out is not None
        return self.out / RESULTS

    def check(self) -> None:
        """Refuse ``out`` if it holds another sweep, or files that are not a sweep's
        (writes nothing)."""
        if self.out is None:
            return
        import yaml
        record = self.out / SPEC_FILE
        if self.out.exists() and not self.out.is_dir():
            raise SweepError(f"--out {self.out}: exists and is not a directory")
        if record.is_file():
            try:
                held = yaml.safe_load(record.read_text()) or {}
            except yaml.YAMLError:
                raise SweepError(f"--out {self.out}: {record} is not readable YAML; use another directory") from None
            diff = describe_difference(held.get("canonical"), self.canonical)
            if diff:
                raise SweepError(f"--out {self.out}: holds another sweep ({held.get('file', '?')}); differs at "
                                 f"{diff}; use another directory or the same sweep file")
        elif self.out.is_dir() and any(self.out.iterdir()):
            raise SweepError(f"--out {self.out}: not empty and holds no sweep ({SPEC_FILE} missing); "
                             f"use a new or empty directory")

    def claim(self, raw: dict, label: str) -> None:
        """Record the sweep in ``out`` (first run) and prepare the results dataset."""
        if self.out is None:
            return
        import yaml
        self.check()
        record = self.out / SPEC_FILE
        if not record.is_file():
            self.out.mkdir(parents=True, exist_ok=True)
            text = yaml.safe_dump({"file": label, "sweep": _plain(raw), "canonical": self.canonical},
                                  sort_keys=False, width=120)
            tmp = record.with_suffix(".tmp")
            tmp.write_text(text)
            os.replace(tmp, record)
        self.results_dir.mkdir(exist_ok=True)
        self._seq = max((s for s, _, _ in self._parts()), default=0)

    def _parts(self) -> list[tuple[int, str, Path]]:
        if self.out is None or not self.results_dir.is_dir():
            return []
        parts = []
        for p in self.results_dir.iterdir():
            m = _PART.match(p.name)
            if m:
                parts.append((int(m.group(1)), m.group(2), p))
        return sorted(parts)

    # ------------------------------------------------------------------ writing
    def append(self, rows: Iterable[dict]) -> None:
        rows = list(rows)
        if not rows:
            return
        if self.out is None:
            self.memory.extend(rows)
            return
        import pyarrow as pa
        import pyarrow.parquet as pq
        table = pa.Table.from_pylist(rows)
        table = table.replace_schema_metadata({METADATA_KEY: json.dumps(self.canonical).encode()})
        self._seq += 1
        path = self.results_dir / f"part-{self._seq:06d}-{uuid.uuid4().hex[:8]}.parquet"
        tmp = path.with_name("." + path.name + ".tmp")
        pq.write_table(table, tmp)
        os.replace(tmp, path)

    def compact(self) -> None:
        """Replace the part files by one (same rows; a point found twice keeps its last row)."""
        parts = self._parts()
        if self.out is None or len(parts) <= 1:
            return
        import pyarrow as pa
        import pyarrow.parquet as pq
        df = self.read()
        table = pa.Table.from_pandas(df, preserve_index=False)
        table = table.replace_schema_metadata({METADATA_KEY: json.dumps(self.canonical).encode()})
        path = self.results_dir / f"part-{parts[-1][0]:06d}-{COMPACT_TAG}.parquet"
        tmp = path.with_name("." + path.name + ".tmp")
        pq.write_table(table, tmp)
        os.replace(tmp, path)
        for _, _, p in parts:
            if p != path:
                p.unlink()

    # ------------------------------------------------------------------ reading
    def read(self) -> pd.DataFrame:
        if self.out is None:
            df = pd.DataFrame(self.memory)
        else:
            df = read_results_dir(self.results_dir)
        return tidy(df, self.canonical)

    def done_ids(self, *, include_failed: bool = True) -> set[str]:
        df = self.read()
        if df.empty:
            return set()
        if not include_failed:
            df = df[df["status"] == "ok"]
        return set(df["point_id"].astype(str))


def read_results_dir(path: str | Path) -> pd.DataFrame:
    """Every part file of a results dataset, concatenated with type promotion."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    path = Path(path)
    files = sorted(p for p in path.iterdir() if _PART.match(p.name)) if path.is_dir() else []
    if not files:
        return pd.DataFrame()
    tables = [pq.read_table(p) for p in files]
    table = pa.concat_tables(tables, promote_options="permissive")
    return table.replace_schema_metadata(None).to_pandas()


#: Columns after the identity and axis columns, before the metrics.
STATUS_COLUMNS = ("status", "error", "outputs_match_reference", "feasible")


def column_order(columns, canonical: dict | None) -> list[str]:
    """The table's columns in a fixed order, whatever order the rows arrived in: identity,
    axes, status, the kept metrics (in the order of the sweep's ``metrics``, else
    alphabetical), anything else, then the ``run_*`` provenance columns."""
    from soc.sweep.points import ID_COLUMNS
    canonical = canonical or {}
    have = list(columns)
    lead = [*ID_COLUMNS, *canonical.get("axes", {}), *STATUS_COLUMNS, *canonical.get("metrics", [])]
    first = [c for c in dict.fromkeys(lead) if c in have]
    rest = sorted(c for c in have if c not in first and not c.startswith("run_"))
    runs = sorted(c for c in have if c.startswith("run_"))
    return first + rest + runs


def tidy(df: pd.DataFrame, canonical: dict | None = None) -> pd.DataFrame:
    """Rows sorted by point, one per point (the last one written), columns in
    :func:`column_order`."""
    if df.empty or "point_id" not in df:
        return df
    df = df.drop_duplicates("point_id", keep="last")
    df = df[column_order(df.columns, canonical)]
    return df.sort_values("point", kind="stable").reset_index(drop=True)


def read_table(out: str | Path) -> tuple[pd.DataFrame, dict]:
    """The results table of a sweep directory (or of its ``results.parquet``) and the
    canonical sweep stored in it, from the table alone."""
    import pyarrow.parquet as pq
    path = Path(out)
    data = path / RESULTS if (path / RESULTS).exists() else path
    files = sorted(p for p in data.iterdir() if _PART.match(p.name)) if data.is_dir() else []
    if not files:
        raise SweepError(f"--report {out}: no sweep results here ({RESULTS} with part files); "
                         f"give the --out directory of a sweep")
    meta = pq.read_schema(files[-1]).metadata or {}
    if METADATA_KEY not in meta:
        raise SweepError(f"--report {out}: {files[-1].name} is not a socsim sweep table (no {METADATA_KEY.decode()} "
                         f"metadata)")
    canonical = json.loads(meta[METADATA_KEY])
    return tidy(read_results_dir(data), canonical), canonical

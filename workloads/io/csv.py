"""SCALE-Sim topology CSV -> independent convolution layers.

Both forms SCALE-Sim reads (``scalesim/topology_utils.py``, v2 and v3) are accepted;
the form is told by the header, whose column names are matched case- and
space-insensitively:

- convolution: ``Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width,
  Channels, Num Filter, Strides,`` (or ``Stride height, Stride width`` instead of
  ``Strides``, as SCALE-Sim writes a topology back);
- GEMM: ``Layer, M, N, K,`` (first column ``Layer`` or ``Layer name``).

Either may end with a ``Sparsity`` column written ``N:M`` (N non-zero weights in every M,
SCALE-Sim v3): the layer's weight density is N/M (density source ``file``). The
accelerator prunes in coarse blocks, so the density is kept but not the N:M pattern
(stated simplification).

Trailing commas: SCALE-Sim drops the last field of every row (``row.split(',')[:-1]``),
so its files end every line with a comma. When the header ends with one, every row must
too (a row without it would lose its last value in SCALE-Sim); when the header does not,
a trailing comma on a row is still accepted. Blank lines are skipped.

Semantics, as in SCALE-Sim:

- A convolution row is a ``Conv`` of the stated IFMAP size (it already includes any
  padding). SCALE-Sim's output size is ``ceil((H - R + U) / U)``, which counts a last
  window that runs past the IFMAP when ``(H - R)`` is not a multiple of the stride ``U``
  (AlexNet's 224-pixel Conv1: 55 outputs, not 54). Such a layer gets the zero padding
  ``ceil(((out - 1) * U + R - H) / 2)`` on every side, the smallest that gives the same
  output size, so MACs and weights equal SCALE-Sim's (stated simplification: the
  windows are centred instead of running off one edge).
- A layer whose name contains ``DP`` is depthwise: SCALE-Sim runs one single-channel
  layer per channel; here it is one grouped ``Conv`` with ``groups = Channels`` and
  ``Channels * Num Filter`` outputs (the same MACs and weights).
- A GEMM row ``M, N, K`` (SCALE-Sim: IFMAP M x K, filter 1 x K, 1 channel, N filters) is
  a 1x1 ``Conv`` of K input channels to N output channels over M x 1 positions: M*N*K
  MACs and K*N weights (the filter operand), the M rows of the left operand being the
  layer's input.
- Rows are independent layers (each states its own input), so the network is built with
  ``connected=False``. A repeated layer name gets ``#2``, ``#3``... appended.

Every malformed value raises :class:`TopologyError` naming the file, the line, the
column and what is allowed.
"""
from __future__ import annotations

import csv as _csv
import math
from pathlib import Path

from workloads.density import StatedDensity
from workloads.layers import Conv, Network

CONV_COLUMNS = ("Layer name", "IFMAP Height", "IFMAP Width", "Filter Height", "Filter Width",
                "Channels", "Num Filter", "Strides")
GEMM_COLUMNS = ("Layer", "M", "N", "K")
COLUMNS = CONV_COLUMNS  # the convolution form, for messages and older callers
SPARSITY = "Sparsity"
_NAME_KEYS = ("layer name", "layer")
_STRIDE_PAIR = ("Stride height", "Stride width")


class TopologyError(ValueError):
    """A malformed topology file (message names the file, line and column)."""


def _key(text: str) -> str:
    return " ".join(text.strip().lower().split())


def _rows(path: Path) -> list[tuple[int, list[str]]]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = _csv.reader(fh)
        rows = []
        try:
            for row in reader:
                if any(c.strip() for c in row):
                    rows.append((reader.line_num, row))
        except _csv.Error as exc:
            raise TopologyError(f"{path}: line {reader.line_num}: not valid CSV ({exc})") from None
        except UnicodeDecodeError as exc:
            raise TopologyError(f"{path}: not a text file ({exc.reason})") from None
    return rows


class _Table:
    """The header's columns and the checks every row goes through."""

    def __init__(self, path: Path, line: int, header: list[str]):
        self.path = path
        self.trailing = len(header) > 1 and not header[-1].strip()
        names = header[:-1] if self.trailing else header
        blank = [k + 1 for k, h in enumerate(names) if not h.strip()]
        if blank:
            raise TopologyError(f"{path}: line {line}: header column {blank[0]} has no name; "
                                f"expected {', '.join(CONV_COLUMNS)}, or {', '.join(GEMM_COLUMNS)} "
                                f"(optionally followed by {SPARSITY})")
        self.names = [h.strip() for h in names]
        self.index = {_key(h): k for k, h in enumerate(self.names)}
        keys = set(self.index)
        if {"m", "n", "k"} <= keys:
            self.form, wanted = "gemm", [c for c in GEMM_COLUMNS[1:]]
        else:
            self.form = "conv"
            wanted = list(CONV_COLUMNS[1:-1])
            if "strides" not in keys and not all(_key(c) in keys for c in _STRIDE_PAIR):
                wanted.append("Strides")
        missing = [c for c in wanted if _key(c) not in keys]
        self.name_column = next((k for k in _NAME_KEYS if k in keys), None)
        if self.name_column is None:
            missing.insert(0, "Layer name")
        if missing:
            raise TopologyError(
                f"{path}: line {line}: header lacks column(s) {', '.join(missing)}; expected "
                f"{', '.join(CONV_COLUMNS)} (convolution) or {', '.join(GEMM_COLUMNS)} (GEMM), "
                f"optionally followed by {SPARSITY}")

    def check_row(self, line: int, row: list[str]) -> list[str]:
        n = len(self.names)
        extra = row[n:]
        if any(c.strip() for c in extra):
            raise TopologyError(f"{self.path}: line {line}: {len(row) - sum(1 for c in row[n:] if not c.strip())} "
                                f"values, but the header names {n} columns ({', '.join(self.names)})")
        if self.trailing and len(row) == n:
            raise TopologyError(f"{self.path}: line {line}: the row does not end with ',' as the header "
                                f"does (SCALE-Sim drops the last field of every row, so its value "
                                f"{row[-1].strip()!r} for '{self.names[-1]}' would be lost); end the row with ','")
        return row

    def has(self, column: str) -> bool:
        return _key(column) in self.index

    def cell(self, line: int, row: list[str], column: str) -> str:
        k = self.index[_key(column)]
        if k >= len(row) or not row[k].strip():
            raise TopologyError(f"{self.path}: line {line}: missing value for '{self.names[k]}'")
        return row[k].strip()

    def number(self, line: int, row: list[str], column: str) -> int:
        text = self.cell(line, row, column)
        k = self.index[_key(column)]
        try:
            value = int(text)
        except ValueError:
            raise TopologyError(f"{self.path}: line {line}: '{self.names[k]}' must be an integer >= 1, "
                                f"got {text!r}") from None
        if value < 1:
            raise TopologyError(f"{self.path}: line {line}: '{self.names[k]}' must be an integer >= 1, "
                                f"got {value}")
        return value

    def sparsity(self, line: int, row: list[str]) -> tuple[float, str] | None:
        if not self.has(SPARSITY):
            return None
        text = self.cell(line, row, SPARSITY)
        parts = text.split(":")
        try:
            n, m = (int(p) for p in parts)
        except ValueError:
            n = m = 0
        if len(parts) != 2 or not 1 <= n <= m:
            raise TopologyError(f"{self.path}: line {line}: '{SPARSITY}' must be N:M with integers "
                                f"1 <= N <= M (N non-zero weights in every M), got {text!r}")
        return n / m, f"{self.path.name} line {line} {SPARSITY} {text}"


def _out_and_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """SCALE-Sim's output size along one axis and the padding that gives it."""
    out = math.ceil((size - kernel + stride) / stride)
    need = (out - 1) * stride + kernel - size
    return out, (need + 1) // 2


def _conv_row(t: _Table, line: int, row: list[str], name: str) -> Conv:
    ih, iw = t.number(line, row, "IFMAP Height"), t.number(line, row, "IFMAP Width")
    fh, fw = t.number(line, row, "Filter Height"), t.number(line, row, "Filter Width")
    channels, filters = t.number(line, row, "Channels"), t.number(line, row, "Num Filter")
    if t.has("Strides"):
        sh = sw = t.number(line, row, "Strides")
    else:
        sh, sw = t.number(line, row, _STRIDE_PAIR[0]), t.number(line, row, _STRIDE_PAIR[1])
    if fh > ih or fw > iw:
        raise TopologyError(f"{t.path}: line {line}: filter {fh}x{fw} is larger than the IFMAP "
                            f"{ih}x{iw} (layer {name!r}); filter must be <= IFMAP")
    (oh, ph), (ow, pw) = _out_and_padding(ih, fh, sh), _out_and_padding(iw, fw, sw)
    groups = channels if "DP" in name else 1
    layer = Conv(name, channels, filters * groups, (fh, fw), (ih, iw), (sh, sw) if sh != sw else sh,
                 (ph, pw) if ph != pw else ph, groups)
    assert layer.out_hw == (oh, ow), (layer.out_hw, oh, ow)
    return layer


def _gemm_row(t: _Table, line: int, row: list[str], name: str) -> Conv:
    m, n, k = (t.number(line, row, c) for c in ("M", "N", "K"))
    return Conv(name, k, n, 1, (m, 1))


def read_topology_csv(path, name: str | None = None):
    """The layers of a SCALE-Sim topology and the weight densities it states
    (a :class:`workloads.io.model.LoadedModel`)."""
    from workloads.io.model import LoadedModel
    path = Path(path)
    if not path.is_file():
        raise TopologyError(f"{path}: no such topology file")
    rows = _rows(path)
    if not rows:
        raise TopologyError(f"{path}: empty topology file; expected a header with columns "
                            f"{', '.join(CONV_COLUMNS)} or {', '.join(GEMM_COLUMNS)}")
    table = _Table(path, *rows[0])
    layers, seen, stated = [], {}, {}
    for line, row in rows[1:]:
        table.check_row(line, row)
        base = table.cell(line, row, "Layer name" if table.name_column == "layer name" else "Layer")
        seen[base] = seen.get(base, 0) + 1
        layer_name = base if seen[base] == 1 else f"{base}#{seen[base]}"
        try:
            layer = (_gemm_row if table.form == "gemm" else _conv_row)(table, line, row, layer_name)
        except ValueError as exc:
            if isinstance(exc, TopologyError):
                raise
            raise TopologyError(f"{path}: line {line}: {exc}") from None
        sparsity = table.sparsity(line, row)
        if sparsity is not None:
            stated[layer_name] = StatedDensity(weight=sparsity[0], weight_origin=sparsity[1])
        layers.append(layer)
    if not layers:
        raise TopologyError(f"{path}: no layer rows after the header")
    network = Network(name or path.stem, layers, layers[0].input_shape, connected=False)
    return LoadedModel(network, "scale-sim", (str(path),), stated)


def load_topology_csv(path, name: str | None = None) -> Network:
    """The independent layers of a SCALE-Sim topology (see :func:`read_topology_csv`)."""
    return read_topology_csv(path, name).network

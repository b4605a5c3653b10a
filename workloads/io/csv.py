"""SCALE-Sim topology CSV -> :class:`~workloads.layers.Network` of independent conv layers.

Columns (header names matched case- and space-insensitively, in any order; a trailing
empty column, as SCALE-Sim writes, and unknown extra columns are ignored):
``Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels,
Num Filter, Strides``. Each row becomes a ``Conv`` with padding 0 (SCALE-Sim's IFMAP
sizes already include any padding) and the same stride in both directions. Rows are
independent layers (every row gives its own input size), so the network is built with
``connected=False``. A fully connected layer is written in SCALE-Sim as a 1x1 IFMAP with
a 1x1 filter and is described as such a convolution (same MACs and weights).
"""
from __future__ import annotations

import csv as _csv
from pathlib import Path

from workloads.layers import Conv, Network

COLUMNS = ("Layer name", "IFMAP Height", "IFMAP Width", "Filter Height", "Filter Width",
           "Channels", "Num Filter", "Strides")


class TopologyError(ValueError):
    """A malformed topology file (message names the file, line and column)."""


def _key(text: str) -> str:
    return " ".join(text.strip().lower().split())


def load_topology_csv(path, name: str | None = None) -> Network:
    path = Path(path)
    if not path.is_file():
        raise TopologyError(f"{path}: no such topology file")
    with path.open(newline="") as fh:
        rows = [(n, row) for n, row in enumerate(_csv.reader(fh), 1) if any(c.strip() for c in row)]
    if not rows:
        raise TopologyError(f"{path}: empty topology file; expected a header with columns "
                            f"{', '.join(COLUMNS)}")
    header_line, header = rows[0]
    index = {_key(h): k for k, h in enumerate(header) if h.strip()}
    missing = [c for c in COLUMNS if _key(c) not in index]
    if missing:
        raise TopologyError(f"{path}: line {header_line}: header lacks column(s) {', '.join(missing)}; "
                            f"expected {', '.join(COLUMNS)}")
    layers, seen = [], set()
    for line, row in rows[1:]:
        def cell(column: str) -> str:
            k = index[_key(column)]
            if k >= len(row) or not row[k].strip():
                raise TopologyError(f"{path}: line {line}: missing value for '{column}'")
            return row[k].strip()

        def number(column: str) -> int:
            text = cell(column)
            try:
                value = int(text)
            except ValueError:
                raise TopologyError(f"{path}: line {line}: '{column}' must be an integer >= 1, "
                                    f"got {text!r}") from None
            if value < 1:
                raise TopologyError(f"{path}: line {line}: '{column}' must be an integer >= 1, got {value}")
            return value

        layer_name = cell("Layer name")
        if layer_name in seen:
            raise TopologyError(f"{path}: line {line}: duplicate layer name {layer_name!r}")
        seen.add(layer_name)
        ih, iw = number("IFMAP Height"), number("IFMAP Width")
        fh, fw = number("Filter Height"), number("Filter Width")
        channels, filters, stride = number("Channels"), number("Num Filter"), number("Strides")
        if fh > ih or fw > iw:
            raise TopologyError(f"{path}: line {line}: filter {fh}x{fw} is larger than the IFMAP "
                                f"{ih}x{iw} (layer {layer_name!r}); filter must be <= IFMAP")
        try:
            layers.append(Conv(layer_name, channels, filters, (fh, fw), (ih, iw), stride))
        except ValueError as exc:
            raise TopologyError(f"{path}: line {line}: {exc}") from None
    if not layers:
        raise TopologyError(f"{path}: no layer rows after the header")
    return Network(name or path.stem, layers, layers[0].input_shape, connected=False)

"""Import user networks: ONNX models and SCALE-Sim topology CSV files."""
from __future__ import annotations

from pathlib import Path

from workloads.io.csv import TopologyError, load_topology_csv
from workloads.io.onnx import OnnxImportError, UnsupportedOperatorError, load_onnx
from workloads.layers import Network


def load_network(path) -> Network:
    """Pick the importer from the file extension (.onnx or .csv)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".onnx":
        return load_onnx(path)
    if suffix == ".csv":
        return load_topology_csv(path)
    raise ValueError(f"{path}: unknown network file type {suffix!r}; allowed: .onnx, .csv")


__all__ = ["load_network", "load_onnx", "load_topology_csv", "OnnxImportError",
           "UnsupportedOperatorError", "TopologyError"]

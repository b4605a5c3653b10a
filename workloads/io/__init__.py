"""Import user networks: ONNX models, SCALE-Sim topology CSV files, YAML descriptions."""
from __future__ import annotations

from pathlib import Path

from workloads.io.csv import TopologyError, load_topology_csv
from workloads.io.yaml import NetworkFileError, load_network_yaml, network_from_dict
from workloads.layers import Network

_ONNX_NAMES = ("load_onnx", "OnnxImportError", "UnsupportedOperatorError")


def __getattr__(name: str):
    """The ONNX importer (and the onnx package) is loaded on first use."""
    if name in _ONNX_NAMES:
        from workloads.io import onnx as _onnx
        return getattr(_onnx, name)
    raise AttributeError(f"module 'workloads.io' has no attribute {name!r}")


def load_network(path) -> Network:
    """Pick the importer from the file extension (.onnx, .csv, .yaml or .yml)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".onnx":
        from workloads.io.onnx import load_onnx
        return load_onnx(path)
    if suffix == ".csv":
        return load_topology_csv(path)
    if suffix in (".yaml", ".yml"):
        return load_network_yaml(path)
    raise ValueError(f"{path}: unknown network file type {suffix!r}; allowed: .onnx, .csv, .yaml, .yml")


__all__ = ["load_network", "load_onnx", "load_topology_csv", "load_network_yaml", "network_from_dict",
           "OnnxImportError", "UnsupportedOperatorError", "TopologyError", "NetworkFileError"]

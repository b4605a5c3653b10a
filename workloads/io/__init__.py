"""Import user networks: ONNX models, SCALE-Sim topology CSV files, YAML descriptions."""
from __future__ import annotations

from pathlib import Path

from workloads.io.csv import TopologyError, load_topology_csv
from workloads.io.onnx import OnnxImportError, UnsupportedOperatorError, load_onnx
from workloads.io.yaml import NetworkFileError, load_network_yaml, network_from_dict
from workloads.layers import Network


def load_network(path) -> Network:
    """Pick the importer from the file extension (.onnx, .csv, .yaml or .yml)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".onnx":
        return load_onnx(path)
    if suffix == ".csv":
        return load_topology_csv(path)
    if suffix in (".yaml", ".yml"):
        return load_network_yaml(path)
    raise ValueError(f"{path}: unknown network file type {suffix!r}; allowed: .onnx, .csv, .yaml, .yml")


__all__ = ["load_network", "load_onnx", "load_topology_csv", "load_network_yaml", "network_from_dict",
           "OnnxImportError", "UnsupportedOperatorError", "TopologyError", "NetworkFileError"]

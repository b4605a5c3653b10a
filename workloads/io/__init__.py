"""Import user networks: ONNX models, SCALE-Sim topology CSV files, YAML descriptions."""
from __future__ import annotations

from pathlib import Path

from workloads.io.csv import TopologyError, load_topology_csv
from workloads.io.onnx import OnnxImportError, UnsupportedOperatorError, load_onnx
from workloads.io.yaml import NetworkFileError, load_network_yaml, network_from_dict
from workloads.layers import Network


def load_network(path) -> Network:
    """Pick the importer from the file extension (.onnx, .csv, .yaml or .yml).

    A malformed file raises the importer's own error naming the file: an ONNX graph whose
    structure the importer trips over (a missing input, an attribute of the wrong type)
    is reported as such rather than as a bare Python error."""
    suffix = Path(path).suffix.lower()
    if suffix == ".onnx":
        try:
            return load_onnx(path)
        except OnnxImportError:
            raise
        except (KeyError, IndexError, TypeError, AttributeError, ValueError, ArithmeticError) as exc:
            raise OnnxImportError(f"{path}: malformed ONNX graph ({type(exc).__name__}: {exc})") from None
    if suffix == ".csv":
        try:
            return load_topology_csv(path)
        except UnicodeDecodeError as exc:
            raise TopologyError(f"{path}: not a text file (byte {exc.start} is not UTF-8)") from None
    if suffix in (".yaml", ".yml"):
        return load_network_yaml(path)
    raise ValueError(f"{path}: unknown network file type {suffix!r}; allowed: .onnx, .csv, .yaml, .yml")


__all__ = ["load_network", "load_onnx", "load_topology_csv", "load_network_yaml", "network_from_dict",
           "OnnxImportError", "UnsupportedOperatorError", "TopologyError", "NetworkFileError"]

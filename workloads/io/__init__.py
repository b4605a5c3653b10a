"""Import user networks: ONNX models, YAML descriptions, and layer lists of other tools
(SCALE-Sim topology CSV files, Timeloop/Sparseloop problem files).

:func:`load_model` resolves every model argument the command line takes:

- a zoo network name (``alexnet``);
- a ``.yaml``/``.yml`` file: a Timeloop problem when it has a top-level ``problem``
  mapping, otherwise a network description (:mod:`workloads.io.yaml`);
- a ``.csv`` SCALE-Sim topology (:mod:`workloads.io.csv`);
- an ``.onnx`` model (:mod:`workloads.io.onnx`);
- a folder of Timeloop problem files;
- several of the layer lists above (comma-separated in one argument, or given as
  several arguments): their layers are concatenated, as independent layers.
"""
from __future__ import annotations

from pathlib import Path

from workloads.io.csv import TopologyError, load_topology_csv, read_topology_csv
from workloads.io.model import LoadedModel
from workloads.io.timeloop import TimeloopProblemError, load_timeloop, read_timeloop
from workloads.io.yaml import (
    NetworkFileError,
    load_network_yaml,
    network_from_dict,
    read_network_dict,
    read_network_yaml,
)
from workloads.layers import Network

FILE_TYPES = (".onnx", ".csv", ".yaml", ".yml")
_ONNX_NAMES = ("load_onnx", "OnnxImportError", "UnsupportedOperatorError")


def __getattr__(name: str):
    """The ONNX importer (and the onnx package, slow to import) is loaded on first use."""
    if name in _ONNX_NAMES:
        from workloads.io import onnx as _onnx
        return getattr(_onnx, name)
    raise AttributeError(f"module 'workloads.io' has no attribute {name!r}")


class ModelSpecError(ValueError):
    """A model argument that names nothing loadable (message says what is allowed)."""


def _allowed() -> str:
    from workloads.zoo import list_networks
    return (f"allowed: {', '.join(list_networks())} (zoo networks), a .yaml/.yml/.onnx/.csv file, "
            f"a folder of Timeloop problem files, or several layer lists separated by commas")


def load_network(path) -> Network:
    """The network of one file, the importer picked from its extension (.onnx, .csv,
    .yaml or .yml; a .yaml with a top-level ``problem`` is a Timeloop problem).

    A malformed file raises the importer's own error naming the file: an ONNX graph whose
    structure the importer trips over (a missing input, an attribute of the wrong type)
    is reported as such rather than as a bare Python error."""
    return load_file(path).network


def load_file(path) -> LoadedModel:
    """One model file (see :func:`load_network`) or a folder of Timeloop problem files."""
    path = Path(path)
    if path.is_dir():
        return read_timeloop(path)
    suffix = path.suffix.lower()
    if suffix == ".onnx":
        from workloads.io.onnx import OnnxImportError, load_onnx
        try:
            return LoadedModel(load_onnx(path), "onnx", (str(path),))
        except OnnxImportError:
            raise
        except (KeyError, IndexError, TypeError, AttributeError, ValueError, ArithmeticError) as exc:
            raise OnnxImportError(f"{path}: malformed ONNX graph ({type(exc).__name__}: {exc})") from None
    if suffix == ".csv":
        try:
            return read_topology_csv(path)
        except UnicodeDecodeError as exc:
            raise TopologyError(f"{path}: not a text file (byte {exc.start} is not UTF-8)") from None
    if suffix in (".yaml", ".yml"):
        import yaml as _yaml
        if not path.is_file():
            raise NetworkFileError(f"{path}: no such network file")
        try:
            data = _yaml.safe_load(path.read_text(encoding="utf-8", errors="replace"))
        except _yaml.YAMLError as exc:
            if "{{" in path.read_text(encoding="utf-8", errors="replace"):
                return read_timeloop(path)  # refused with the reason (templates)
            raise NetworkFileError(f"{path}: not valid YAML ({exc})") from None
        if isinstance(data, dict) and "problem" in data:
            return read_timeloop(path)
        return read_network_yaml(path, data)
    raise NetworkFileError(f"{path}: unknown network file type {suffix!r}; allowed: .onnx, .csv, .yaml, .yml")


def _items(spec) -> list[str]:
    items = [spec] if isinstance(spec, (str, Path)) else list(spec)
    out: list[str] = []
    for item in items:
        text = str(item)
        if "," in text and not Path(text).exists():
            out.extend(t.strip() for t in text.split(",") if t.strip())
        else:
            out.append(text)
    if not out:
        raise ModelSpecError(f"no model given; {_allowed()}")
    return out


def _one(item: str) -> LoadedModel:
    from workloads.zoo import get_network, list_networks
    path = Path(item)
    if path.is_dir():
        return read_timeloop(path)
    if path.suffix.lower() in FILE_TYPES:
        if not path.is_file():
            raise ModelSpecError(f"network file {item}: no such file")
        return load_file(path)
    if item in list_networks():
        return LoadedModel(get_network(item), "zoo")
    if path.exists():
        raise ModelSpecError(f"{item}: unknown network file type {path.suffix!r}; {_allowed()}")
    raise ModelSpecError(f"unknown network {item!r}; {_allowed()}")


def load_model(spec) -> LoadedModel:
    """A model from one argument or several (module doc); several are concatenated as
    independent layers and must each be a layer list (SCALE-Sim or Timeloop)."""
    items = _items(spec)
    if len(items) == 1:
        return _one(items[0])
    if all(Path(i).suffix.lower() in (".yaml", ".yml") or Path(i).is_dir() for i in items):
        try:
            return read_timeloop(items)
        except TimeloopProblemError as exc:
            if "not a Timeloop problem" not in str(exc):
                raise
    models = [_one(i) for i in items]
    return concatenate(models)


def concatenate(models: list[LoadedModel]) -> LoadedModel:
    """Independent layer lists joined in order (layer names must stay unique)."""
    for m in models:
        if m.network.connected:
            where = m.paths[0] if m.paths else m.name
            raise ModelSpecError(f"{where}: a connected network ({m.format}) cannot be combined with other "
                                 f"models; only layer lists (SCALE-Sim topologies, Timeloop problem files) can")
    layers, stated, batches, owner = [], {}, {}, {}
    for m in models:
        where = m.paths[0] if m.paths else m.name
        for layer in m.network.layers:
            if layer.name in owner:
                raise ModelSpecError(f"{where}: layer name {layer.name!r} is already used by {owner[layer.name]}; "
                                     f"layer names must be unique across the files")
            owner[layer.name] = where
            layers.append(layer)
        stated.update(m.stated)
        batches.update(m.batches)
    name = "+".join(m.name for m in models)
    network = Network(name, layers, layers[0].input_shape, connected=False)
    formats = sorted({m.format for m in models})
    return LoadedModel(network, "+".join(formats), tuple(p for m in models for p in m.paths), stated, batches)


__all__ = ["load_model", "load_file", "load_network", "load_onnx", "load_topology_csv", "read_topology_csv",
           "load_timeloop", "read_timeloop", "load_network_yaml", "read_network_yaml", "network_from_dict",
           "read_network_dict", "concatenate", "LoadedModel", "ModelSpecError", "OnnxImportError",
           "UnsupportedOperatorError", "TopologyError", "TimeloopProblemError", "NetworkFileError"]

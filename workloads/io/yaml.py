"""YAML network description -> :class:`~workloads.layers.Network`.

Format (shapes are inferred layer by layer, so only each layer's own parameters are given)::

    name: small-cnn
    input_shape: [3, 32, 32]          # (C, H, W) or (N,)
    layers:
      - {type: conv, name: conv1, out_channels: 16, kernel: 3, padding: 1}
      - {type: bn, name: bn1}
      - {type: relu, name: relu1}
      - {type: pool, name: pool1, kernel: 2, stride: 2, mode: max}
      - {type: conv, name: conv2, out_channels: 16, kernel: 3, padding: 1}
      - {type: add, name: res, inputs: [conv2, pool1]}
      - {type: global_avg_pool, name: gap}
      - {type: fc, name: fc, out_features: 10}

Densities of the synthetic weights and inputs (optional; see :mod:`workloads.density`)::

    densities:                        # per layer kind: conv, fc, lstm, gru
      conv: {weight_density: 0.35, input_density: 0.6}
      fc: {weight_density: 0.1}
    layers:
      - {type: fc, name: fc8, out_features: 10, weight_density: 0.5}   # this layer only

A layer's own ``weight_density``/``input_density`` beats its kind's; both are allowed on
conv, fc, lstm and gru layers and must lie in (0, 1]. They are densities the file
states (density source ``file``): a run-wide ``--weight-density``/``--input-density``
still overrides them, and layers without one take the measured defaults. A weighted
layer's input density is reached by biasing the ReLU that feeds it (the network input
for the first weighted layer).

Types: conv (out_channels, kernel, stride=1, padding=0, groups=1), fc (out_features),
pool (kernel, stride, padding=0, mode=max|avg, ceil_mode=false), global_avg_pool,
relu / sigmoid / tanh, lrn (size=5, alpha, beta, k), bn, add (inputs: two or more layer
names), lstm (hidden_size, proj_size=0, peepholes=true), gru (hidden_size). Any layer may
give ``input: NAME`` to read another layer's output instead of the previous one.
Unknown types or keys are refused with the layer's position and name.
"""
from __future__ import annotations

from pathlib import Path

from workloads.density import DensityError, StatedDensity, check_density
from workloads.io.yamlfile import read_yaml
from workloads.layers import WEIGHTED_KINDS, GRUCell, LSTMCell, Network
from workloads.limits import check_network as check_limits
from workloads.zoo.builder import NetworkBuilder

DENSITY_KEYS = ("weight_density", "input_density")

_PARAMS = {
    "conv": ({"out_channels", "kernel"}, {"stride", "padding", "groups"}),
    "fc": ({"out_features"}, set()),
    "pool": ({"kernel", "stride"}, {"padding", "mode", "ceil_mode"}),
    "global_avg_pool": (set(), set()),
    "relu": (set(), set()), "sigmoid": (set(), set()), "tanh": (set(), set()),
    "lrn": (set(), {"size", "alpha", "beta", "k"}),
    "bn": (set(), set()),
    "add": ({"inputs"}, set()),
    "lstm": ({"hidden_size"}, {"proj_size", "peepholes"}),
    "gru": ({"hidden_size"}, set()),
}


class NetworkFileError(ValueError):
    """A malformed YAML network description (message names the layer and key)."""


def _size(value):
    return tuple(value) if isinstance(value, list) else value


def _densities(block, where: str) -> dict[str, tuple[float, str]]:
    """The densities of a mapping with weight_density / input_density keys."""
    out = {}
    for key in DENSITY_KEYS:
        if key in block:
            try:
                out[key] = (check_density(block[key], f"{where}: {key}"), f"{where} {key}")
            except DensityError as exc:
                raise NetworkFileError(str(exc)) from None
    return out


def _kind_densities(spec: dict) -> dict[str, dict]:
    block = spec.get("densities")
    if block is None:
        return {}
    if not isinstance(block, dict):
        raise NetworkFileError("densities must map layer kinds (conv, fc, lstm, gru) to "
                               "{weight_density, input_density}")
    out = {}
    for kind, values in block.items():
        if kind not in WEIGHTED_KINDS:
            raise NetworkFileError(f"densities: unknown layer kind {kind!r}; allowed: {', '.join(WEIGHTED_KINDS)}")
        if not isinstance(values, dict) or not values or set(values) - set(DENSITY_KEYS):
            raise NetworkFileError(f"densities.{kind}: must be a mapping with weight_density and/or "
                                   f"input_density, got {values!r}")
        out[kind] = _densities(values, f"densities.{kind}")
    return out


def read_network_dict(spec: dict, default_name: str = "network") -> tuple[Network, dict[str, StatedDensity]]:
    """The network of a description and the densities it states per layer name."""
    if not isinstance(spec, dict):
        raise NetworkFileError("a network description must be a mapping with input_shape and layers")
    unknown = set(spec) - {"name", "input_shape", "layers", "densities"}
    if unknown:
        raise NetworkFileError(f"unknown top-level key(s) {sorted(unknown)}; allowed: name, input_shape, "
                               f"layers, densities")
    if not isinstance(spec.get("name", default_name), str) or not spec.get("name", default_name):
        raise NetworkFileError(f"name: must be a non-empty string, got {spec.get('name')!r}")
    shape = spec.get("input_shape")
    if not isinstance(shape, list) or len(shape) not in (1, 3) or not all(
            isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 1 << 20 for d in shape):
        raise NetworkFileError(f"input_shape: must be [C, H, W] or [N] of integers in [1, 2^20], got {shape!r}")
    layers = spec.get("layers")
    if not isinstance(layers, list) or not layers:
        raise NetworkFileError("layers must be a non-empty list")
    per_kind = _kind_densities(spec)
    per_layer: dict[str, dict] = {}
    b = NetworkBuilder(str(spec.get("name", default_name)), tuple(shape))
    for pos, entry in enumerate(layers, 1):
        where = f"layer {pos}"
        if not isinstance(entry, dict) or "type" not in entry or "name" not in entry:
            raise NetworkFileError(f"{where}: must be a mapping with at least 'type' and 'name'")
        kind, name = entry["type"], entry["name"]
        if not isinstance(name, str) or not name:
            raise NetworkFileError(f"{where}: name: must be a non-empty string, got {name!r}")
        where = f"layer {pos} ({name})"
        if not isinstance(kind, str) or kind not in _PARAMS:
            raise NetworkFileError(f"{where}: unknown type {kind!r}; allowed: {', '.join(_PARAMS)}")
        required, optional = _PARAMS[kind]
        given = set(entry) - {"type", "name", "input", *DENSITY_KEYS}
        missing, extra = required - given, given - required - optional
        if missing:
            raise NetworkFileError(f"{where}: missing key(s) {sorted(missing)} for type {kind}")
        if extra:
            raise NetworkFileError(f"{where}: unknown key(s) {sorted(extra)} for type {kind}; "
                                   f"allowed: {sorted(required | optional | set(DENSITY_KEYS))}")
        dens = [k for k in DENSITY_KEYS if k in entry]
        if dens and kind not in ("conv", "fc", "lstm", "gru"):
            raise NetworkFileError(f"{where}: {', '.join(dens)} applies to conv, fc, lstm and gru layers, "
                                   f"not to type {kind}")
        if dens:
            per_layer[name] = _densities(entry, where)
        src = entry.get("input")
        if src is not None and (not isinstance(src, str) or src not in b.shapes):
            raise NetworkFileError(f"{where}: input {src!r} is not an earlier layer or 'input'")
        p = {k: _size(v) for k, v in entry.items() if k not in ("type", "name", "input", *DENSITY_KEYS)}
        try:
            _append(b, kind, name, src, p)
        except (ValueError, TypeError) as exc:
            raise NetworkFileError(f"{where}: {exc}") from None
    try:
        network = b.build()
        check_limits(network)
    except ValueError as exc:
        raise NetworkFileError(str(exc)) from None
    stated = {}
    for layer in network.layers:
        if layer.kind not in WEIGHTED_KINDS:
            continue
        found = {**per_kind.get(layer.kind, {}), **per_layer.get(layer.name, {})}
        if found:
            w, x = found.get("weight_density"), found.get("input_density")
            stated[layer.name] = StatedDensity(w[0] if w else None, x[0] if x else None,
                                               w[1] if w else "", x[1] if x else "")
    return network, stated


def network_from_dict(spec: dict, default_name: str = "network") -> Network:
    return read_network_dict(spec, default_name)[0]


def _append(b: NetworkBuilder, kind: str, name: str, src, p: dict) -> None:
    if kind == "conv":
        b.conv(name, p["out_channels"], p["kernel"], p.get("stride", 1), p.get("padding", 0),
               p.get("groups", 1), source=src)
    elif kind == "fc":
        b.fc(name, p["out_features"], source=src)
    elif kind == "pool":
        b.pool(name, p["kernel"], p["stride"], p.get("padding", 0), p.get("mode", "max"),
               p.get("ceil_mode", False), source=src)
    elif kind == "global_avg_pool":
        b.global_avg_pool(name, source=src)
    elif kind in ("relu", "sigmoid", "tanh"):
        b.act(name, kind, source=src)
    elif kind == "lrn":
        b.lrn(name, p.get("size", 5), p.get("alpha", 1e-4), p.get("beta", 0.75), p.get("k", 1.0), source=src)
    elif kind == "bn":
        b.bn(name, source=src)
    elif kind == "add":
        inputs = p["inputs"]
        if not isinstance(inputs, tuple) or len(inputs) < 2 or any(i not in b.shapes for i in inputs):
            raise ValueError(f"inputs must list >= 2 earlier layer names, got {list(inputs) if isinstance(inputs, tuple) else inputs!r}")
        b.add(name, *inputs)
    elif kind in ("lstm", "gru"):
        shape, inputs = b._src(src)
        if len(shape) != 1:
            raise ValueError(f"a {kind} cell needs a vector input, got shape {shape}")
        if kind == "lstm":
            cell = LSTMCell(name, shape[0], p["hidden_size"], p.get("proj_size", 0),
                            p.get("peepholes", True), inputs=inputs)
        else:
            cell = GRUCell(name, shape[0], p["hidden_size"], inputs=inputs)
        b._add(cell)


def read_network_yaml(path, data=None):
    """The network of a YAML file and the densities it states (a
    :class:`workloads.io.model.LoadedModel`); ``data``: the file already parsed."""
    from workloads.io.model import LoadedModel
    path = Path(path)
    if data is None:
        if not path.is_file():
            raise NetworkFileError(f"{path}: no such network file")
        data = read_yaml(path, NetworkFileError)
    try:
        network, stated = read_network_dict(data, path.stem)
    except NetworkFileError as exc:
        raise NetworkFileError(f"{path}: {exc}") from None
    stated = {n: StatedDensity(s.weight, s.input, f"{path.name} {s.weight_origin}" if s.weight_origin else "",
                               f"{path.name} {s.input_origin}" if s.input_origin else "")
              for n, s in stated.items()}
    return LoadedModel(network, "yaml", (str(path),), stated)


def load_network_yaml(path) -> Network:
    return read_network_yaml(path).network

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

Types: conv (out_channels, kernel, stride=1, padding=0, groups=1), fc (out_features),
pool (kernel, stride, padding=0, mode=max|avg, ceil_mode=false), global_avg_pool,
relu / sigmoid / tanh, lrn (size=5, alpha, beta, k), bn, add (inputs: two or more layer
names), lstm (hidden_size, proj_size=0, peepholes=true), gru (hidden_size). Any layer may
give ``input: NAME`` to read another layer's output instead of the previous one.
Unknown types or keys are refused with the layer's position and name.
"""
from __future__ import annotations

from pathlib import Path

import yaml as _yaml

from workloads.layers import GRUCell, LSTMCell, Network
from workloads.limits import check_network as check_limits
from workloads.zoo.builder import NetworkBuilder

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


def network_from_dict(spec: dict, default_name: str = "network") -> Network:
    if not isinstance(spec, dict):
        raise NetworkFileError("a network description must be a mapping with input_shape and layers")
    unknown = set(spec) - {"name", "input_shape", "layers"}
    if unknown:
        raise NetworkFileError(f"unknown top-level key(s) {sorted(unknown)}; allowed: name, input_shape, layers")
    if not isinstance(spec.get("name", default_name), str) or not spec.get("name", default_name):
        raise NetworkFileError(f"name: must be a non-empty string, got {spec.get('name')!r}")
    shape = spec.get("input_shape")
    if not isinstance(shape, list) or len(shape) not in (1, 3) or not all(
            isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 1 << 20 for d in shape):
        raise NetworkFileError(f"input_shape: must be [C, H, W] or [N] of integers in [1, 2^20], got {shape!r}")
    layers = spec.get("layers")
    if not isinstance(layers, list) or not layers:
        raise NetworkFileError("layers must be a non-empty list")
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
        given = set(entry) - {"type", "name", "input"}
        missing, extra = required - given, given - required - optional
        if missing:
            raise NetworkFileError(f"{where}: missing key(s) {sorted(missing)} for type {kind}")
        if extra:
            raise NetworkFileError(f"{where}: unknown key(s) {sorted(extra)} for type {kind}; "
                                   f"allowed: {sorted(required | optional)}")
        src = entry.get("input")
        if src is not None and (not isinstance(src, str) or src not in b.shapes):
            raise NetworkFileError(f"{where}: input {src!r} is not an earlier layer or 'input'")
        p = {k: _size(v) for k, v in entry.items() if k not in ("type", "name", "input")}
        try:
            _append(b, kind, name, src, p)
        except (ValueError, TypeError) as exc:
            raise NetworkFileError(f"{where}: {exc}") from None
    try:
        net = b.build()
        check_limits(net)
    except ValueError as exc:
        raise NetworkFileError(str(exc)) from None
    return net


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


def load_network_yaml(path) -> Network:
    path = Path(path)
    if not path.is_file():
        raise NetworkFileError(f"{path}: no such network file")
    try:
        spec = _yaml.safe_load(path.read_text())
    except _yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}:" if mark is not None else ""
        raise NetworkFileError(f"{path}:{where} not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    except UnicodeDecodeError as exc:
        raise NetworkFileError(f"{path}: not a text file (byte {exc.start} is not UTF-8)") from None
    try:
        return network_from_dict(spec, path.stem)
    except NetworkFileError as exc:
        raise NetworkFileError(f"{path}: {exc}") from None

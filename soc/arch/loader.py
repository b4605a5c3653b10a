"""Designs as files: load a shipped design by name or a user's YAML file, apply ``--set``
overrides, print a design back as complete YAML, and hash it for reproducibility.

A design file names its ``kind`` (``vector`` or ``spatial``); the rest is validated by
that kind's schema (:mod:`soc.arch.vector`, :mod:`soc.arch.spatial`). Overrides are
dotted paths with today's field names (``tn=32``, ``nibin.size_bytes=4096``,
``dram.technology=hbm2``, ``node_nm=28``); their values are read as YAML scalars
(``32`` is an integer, ``true`` a boolean, ``null`` removes an optional block) and then
validated like the file. A wrong path lists the allowed ones.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Iterable, Mapping, Union

import yaml
from pydantic import BaseModel

from soc.arch.errors import ConfigError, describe_error
from soc.arch.spatial import SpatialArch
from soc.arch.vector import VectorArch
from workloads.io.yamlfile import read_yaml

DESIGN_DIR = Path(__file__).parent / "designs"
KINDS: dict[str, type[BaseModel]] = {"vector": VectorArch, "spatial": SpatialArch}
Design = Union[VectorArch, SpatialArch]


def list_designs() -> list[dict[str, str]]:
    """The shipped designs: name, kind and one-line description."""
    rows = []
    for path in sorted(DESIGN_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        rows.append({"name": path.stem, "kind": data.get("kind", "?"), "description": data.get("description", "")})
    return rows


def design_names(kind: str | None = None) -> list[str]:
    return [d["name"] for d in list_designs() if kind is None or d["kind"] == kind]


def _read(source: str | Path, kind: str | None = None) -> tuple[dict, str]:
    """The raw mapping of a design and a label for errors (the file path, or the name);
    an unknown name lists the shipped designs of ``kind`` (all kinds when None)."""
    path = Path(source)
    if path.suffix.lower() not in (".yaml", ".yml"):
        shipped = DESIGN_DIR / f"{source}.yaml"
        if not shipped.is_file():
            raise ConfigError(f"--arch: unknown design {str(source)!r}; allowed: {', '.join(design_names(kind))}, "
                              f"or a .yaml design file")
        path = shipped
    elif not path.is_file():
        raise ConfigError(f"--arch: design file {path}: no such file")
    data = read_yaml(path, ConfigError)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a design file is a mapping of fields (kind: vector|spatial, ...), "
                          f"got {type(data).__name__}")
    return data, str(path)


def _paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Every dotted field path of a schema (nested blocks expanded)."""
    out = []
    for name, field in model.model_fields.items():
        sub = _submodel(field.annotation)
        if sub is not None:
            out.extend(_paths(sub, f"{prefix}{name}."))
        out.append(f"{prefix}{name}")
    return out


def _submodel(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


def allowed_paths(kind: str = "vector") -> list[str]:
    return _paths(KINDS[kind])


def parse_sets(sets: Iterable[str] | Mapping[str, Any]) -> dict[str, Any]:
    """``["a.b=1", ...]`` (or a mapping path -> value) as {path: value}, values read as YAML."""
    if isinstance(sets, Mapping):
        return dict(sets)
    out: dict[str, Any] = {}
    for item in sets:
        path, sep, text = item.partition("=")
        path = path.strip()
        if not sep or not path:
            raise ConfigError(f"--set: expected PATH=VALUE (for example tn=32 or nibin.size_bytes=4096), got {item!r}")
        try:
            value = yaml.safe_load(text) if text.strip() else ""
        except yaml.YAMLError:
            value = text
        out[path] = value
    return out


def apply_sets(data: dict, sets: Mapping[str, Any], kind: str, label: str) -> dict:
    """A copy of ``data`` with every dotted path set; unknown paths are refused."""
    model = KINDS[kind]
    allowed = set(allowed_paths(kind))
    data = json.loads(json.dumps(data))  # deep copy of plain data
    for path, value in sets.items():
        if path not in allowed or path == "kind":
            leaves = sorted(p for p in allowed if p != "kind" and not any(q.startswith(p + ".") for q in allowed))
            raise ConfigError(f"--set {path}: unknown field of a {kind} design; allowed: {', '.join(leaves)}")
        keys = path.split(".")
        node = data
        for key in keys[:-1]:
            if not isinstance(node.get(key), dict):
                default = model.model_fields[key].default if node is data else None
                base = default.model_dump() if isinstance(default, BaseModel) else {}
                node[key] = base if node.get(key) is None else node[key]
            node = node[key]
        node[keys[-1]] = value
    return data


def build(data: dict, label: str) -> Design:
    """Validate a design mapping with its kind's schema; errors name ``label`` and the field."""
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        raise ConfigError(f"{label}: kind: must be one of {', '.join(KINDS)}, got {kind!r}")
    model = KINDS[kind]
    try:
        return model.model_validate(data)  # type: ignore[return-value]
    except Exception as exc:
        errors = getattr(exc, "errors", None)
        if errors is None:
            raise ConfigError(f"{label}: {exc}") from None
        raise ConfigError(f"{label}: " + "; ".join(describe_error(e, f"{kind} design") for e in errors())) from None


def load_design(source: str | Path | Design = "coarse-sparse", sets: Iterable[str] | Mapping[str, Any] = (),
                *, kind: str | None = None) -> Design:
    """A validated design from a shipped name, a YAML file or a design object, with overrides.

    ``kind`` (``vector`` or ``spatial``), when given, is required of the result."""
    if isinstance(source, BaseModel):
        data, label = source.model_dump(mode="json"), f"design {getattr(source, 'name', '?')}"
    else:
        data, label = _read(source, kind)
    overrides = parse_sets(sets)
    if overrides:
        kind_given = data.get("kind", "vector")
        if not isinstance(kind_given, str) or kind_given not in KINDS:
            raise ConfigError(f"{label}: kind: must be one of {', '.join(KINDS)}, got {kind_given!r}")
        data = apply_sets(data, overrides, kind_given, label)
        label = f"{label} with --set {', '.join(f'{k}={v}' for k, v in overrides.items())}"
    design = build(data, label)
    if kind is not None and design.kind != kind:
        raise ConfigError(f"--arch: {label} is a {design.kind} design; this command needs a {kind} design "
                          f"(allowed: {', '.join(design_names(kind))}, or a {kind} design file)")
    return design


def design_yaml(design: Design) -> str:
    """The complete design as YAML (what ``socsim arch show`` prints): every field."""
    return yaml.safe_dump(design.model_dump(mode="json"), sort_keys=False, width=120)


def design_record(design: Design) -> dict:
    """The fully resolved design, its hash and the socsim version, for result files."""
    from soc import __version__
    data = design.model_dump(mode="json")
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]
    return {"design": data, "design_hash": digest, "socsim_version": __version__}

"""The sweep file: read once, validated once, resolved into what every point needs.

A sweep file is YAML (``docs/sweeps.md`` for the format)::

    arch: coarse-sparse            # a shipped design or a design file
    workloads: [lenet5]            # zoo names, network files, or {network: alexnet, layers: [conv1]}
    axes:
      tn: [16, 32]                 # any --set path of the design ...
      dram.technology: [lpddr4, hbm2]
      seed: [0, 1]                 # ... or arch, dataflow, batch, seed, weight_density,
                                   #     input_density, block, strategy
    grid: full                     # or random: {points: 20, seed: 1}, or search: {trials: 50, seed: 1}
    objectives: [energy_pj, time_s, area_mm2]
    constraints: ["area_mm2 <= 10"]
    metrics: [energy_pj, cycles]   # which metrics to keep (default: all)

Field names may be added but never changed: users' files depend on them. Every error is
a :class:`~soc.sweep.errors.SweepError` of one line naming the file, the field and what
is allowed, raised before any point runs.

Engines: a sweep whose axes include ``dataflow`` runs the spatial array (one simulation
per dataflow, :mod:`soc.spatial.compare`) on a spatial design; any other sweep runs the
vector accelerator (:func:`soc.runtime.network.run_network`). The metric names of the
chosen engine are learned by running it on a tiny probe network before the sweep
(:func:`soc.sweep.evaluate.probe_metrics`), so that objectives and constraints are checked
against what the engine really reports.
"""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from soc.sweep.errors import SweepError
from soc.sweep.metrics import RUN_AXES, Constraint, check_metric, front_pairs, parse_constraint

#: Top-level fields of a sweep file.
FIELDS = ("name", "description", "arch", "workloads", "axes", "grid", "random", "search", "objectives",
          "constraints", "metrics")
#: Run axes that only the vector engine has.
VECTOR_ONLY_AXES = ("block", "strategy")
#: The spatial design a sweep with a dataflow axis runs when it names none.
DEFAULT_SPATIAL = "spatial-16x16"
SEARCH_FIELDS = ("trials", "seed", "population", "objectives")
RANDOM_FIELDS = ("points", "seed")
DEFAULT_OBJECTIVES = {"vector": ["energy_pj", "time_s"], "spatial": ["energy_mac_units", "time_s"]}


@dataclass(frozen=True)
class Workload:
    """A network of the sweep, resolved on the machine that reads the file (so that
    workers need no file), with what its file states (per layer densities ``stated``,
    per layer ``batches`` of independent layers; :class:`workloads.io.model.LoadedModel`)
    and a digest of all of it."""
    label: str
    network: Any
    layers: tuple[str, ...] | None
    digest: str
    stated: dict = field(default_factory=dict)
    batches: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Axis:
    """One axis: its name (a design path or a run axis) and its values as given.
    ``column`` is how the values are stored in the results table: ``int``, ``float``,
    ``bool``, ``str``, or ``json`` (text) for anything else or a mix of types."""
    name: str
    values: tuple
    column: str

    def cell(self, value: Any) -> Any:
        if value is None:
            return None
        if self.column == "json":
            return json.dumps(value, sort_keys=True)
        if self.column == "float":
            return float(value)
        return value


@dataclass(frozen=True)
class Search:
    trials: int
    seed: int
    population: int
    objectives: tuple[str, ...]


@dataclass
class SweepSpec:
    """A validated sweep (see the module doc). ``designs`` maps each ``arch`` axis value
    (or ``None`` for the base) to its resolved design data."""
    label: str
    raw: dict
    engine: str
    base: dict
    designs: dict
    workloads: list[Workload]
    axes: list[Axis]
    cover: str
    random_points: int = 0
    random_seed: int = 0
    search: Search | None = None
    objectives: list[str] = field(default_factory=list)
    constraints: list[Constraint] = field(default_factory=list)
    metrics: list[str] | None = None
    known_metrics: list[str] = field(default_factory=list)

    @property
    def axis_names(self) -> list[str]:
        return [a.name for a in self.axes]

    @property
    def grid_size(self) -> int:
        return len(self.workloads) * math.prod(len(a.values) for a in self.axes)

    @property
    def pairs(self) -> list[tuple[str, str]]:
        """The two-objective fronts written to pareto.csv (:func:`front_pairs`)."""
        return front_pairs(self.engine, self.objectives, self.kept_metrics)

    @property
    def kept_metrics(self) -> list[str]:
        """Metrics stored in the table: ``metrics`` (default all) plus the objectives and
        the constrained metrics."""
        if self.metrics is None:
            return list(self.known_metrics)
        keep = list(self.metrics)
        for m in [*self.objectives, *(c.metric for c in self.constraints),
                  *(self.search.objectives if self.search else ())]:
            if m not in keep:
                keep.append(m)
        return keep

    def canonical(self) -> dict:
        """Everything that decides the rows, as plain data: what is recorded in the output
        directory and compared when a sweep resumes."""
        designs = {("base" if k is None else str(k)): _digest(v) for k, v in self.designs.items()}
        cover: dict[str, Any] = {"kind": self.cover}
        if self.cover == "random":
            cover.update(points=self.random_points, seed=self.random_seed)
        if self.search is not None:
            cover.update(trials=self.search.trials, seed=self.search.seed, population=self.search.population,
                         objectives=list(self.search.objectives))
        return {
            "engine": self.engine,
            "arch": self.raw.get("arch") or self.base.get("name"),
            "designs": designs,
            "workloads": [{"label": w.label, "layers": list(w.layers) if w.layers else None, "digest": w.digest}
                          for w in self.workloads],
            "axes": {a.name: list(a.values) for a in self.axes},
            "cover": cover,
            "objectives": list(self.objectives),
            "constraints": [c.text for c in self.constraints],
            "metrics": self.kept_metrics,
        }


def _digest(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]


# --------------------------------------------------------------------------- reading
def read_spec_file(path: str | Path) -> tuple[dict, str]:
    from workloads.io.yamlfile import read_yaml
    path = Path(path)
    if not path.is_file():
        raise SweepError(f"sweep file {path}: no such file")
    data = read_yaml(path, SweepError)
    if not isinstance(data, dict):
        raise SweepError(f"{path}: a sweep file is a mapping with fields {', '.join(FIELDS)}; "
                         f"got {type(data).__name__}")
    return data, str(path)


def load_spec(source: str | Path | Mapping[str, Any], *, probe: bool = True) -> SweepSpec:
    """A validated :class:`SweepSpec` from a sweep file or a mapping of its fields."""
    if isinstance(source, Mapping):
        data, label = dict(source), "sweep"
    else:
        data, label = read_spec_file(source)
    return validate(data, label, probe=probe)


def _err(label: str, where: str, what: str) -> SweepError:
    return SweepError(f"{label}: {where}: {what}")


def _int(value: Any, lo: int, label: str, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < lo:
        raise _err(label, where, f"must be an integer >= {lo}, got {value!r}")
    return value


def validate(data: dict, label: str, *, probe: bool = True) -> SweepSpec:
    unknown = [k for k in data if k not in FIELDS]
    if unknown:
        raise _err(label, str(unknown[0]), f"unknown field; allowed: {', '.join(FIELDS)}")
    axes_raw = data.get("axes") or {}
    if not isinstance(axes_raw, dict):
        raise _err(label, "axes", f"a mapping of axis -> list of values, got {type(axes_raw).__name__}")
    engine = "spatial" if "dataflow" in axes_raw else "vector"
    base = _base_design(data.get("arch"), engine, label)
    workloads = _workloads(data.get("workloads"), engine, label)
    axes, designs = _axes(axes_raw, base, engine, label)
    spec = SweepSpec(label=label, raw=data, engine=engine, base=base, designs=designs, workloads=workloads,
                     axes=axes, cover="grid")
    _cover(data, spec, label)
    if probe:
        from soc.sweep.evaluate import probe_metrics
        known: set[str] = set()
        for key, design in designs.items():
            try:
                known |= probe_metrics(engine, design)
            except Exception as exc:  # the design cannot run at all: say so before any point
                what = "arch" if key is None else f"axes.arch ({key})"
                raise _err(label, what, f"the design cannot run a probe layer: {type(exc).__name__}: {exc}")
        spec.known_metrics = sorted(known)
        _objectives(data, spec, label)
    return spec


# --------------------------------------------------------------------------- parts
def _base_design(arch: Any, engine: str, label: str) -> dict:
    from soc.arch import ConfigError, load_design
    if arch is None:
        arch = DEFAULT_SPATIAL if engine == "spatial" else "coarse-sparse"
    if not isinstance(arch, str):
        raise _err(label, "arch", f"a shipped design name or a design .yaml file, got {arch!r}")
    try:
        design = load_design(arch, kind=engine)
    except ConfigError as exc:
        hint = " (the axis dataflow runs the spatial array, which needs a spatial design)" if engine == "spatial" else ""
        raise _err(label, "arch", f"{exc}{hint}")
    return design.model_dump(mode="json")


def _model_digest(model: Any) -> str:
    text = repr((model.network, sorted(model.stated.items()), sorted(model.batches.items())))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _workloads(raw: Any, engine: str, label: str) -> list[Workload]:
    from soc.runtime.network import WorkloadScriptError, resolve
    if not isinstance(raw, list) or not raw:
        raise _err(label, "workloads", "a non-empty list of zoo network names, network files (.yaml, .onnx, .csv) "
                                       f"or {{network: NAME, layers: [...]}}; got {raw!r}")
    out: list[Workload] = []
    for i, item in enumerate(raw):
        where = f"workloads[{i}]"
        layers = None
        if isinstance(item, dict):
            extra = [k for k in item if k not in ("network", "layers")]
            if extra or "network" not in item:
                raise _err(label, where, f"a workload mapping has fields network (required) and layers; got "
                                         f"{sorted(item)}")
            name, layers = item["network"], item.get("layers")
            if layers is not None and (not isinstance(layers, list) or not layers
                                       or not all(isinstance(n, str) for n in layers)):
                raise _err(label, f"{where}.layers", f"a non-empty list of layer names, got {layers!r}")
        else:
            name = item
        if not isinstance(name, str):
            raise _err(label, where, f"a zoo network name or a network file, got {name!r}")
        if name.endswith(".py"):
            raise _err(label, where, f"{name}: workload scripts cannot be swept; allowed: zoo names, network "
                                     f"files (.yaml, .onnx, .csv) and Timeloop problem folders")
        try:
            model = resolve(name)
        except (ValueError, WorkloadScriptError) as exc:
            raise _err(label, where, str(exc))
        except Exception as exc:  # an importer's own error type (malformed file)
            raise _err(label, where, f"{name}: {type(exc).__name__}: {exc}")
        network = model.network
        names = [layer.name for layer in network.layers]
        if layers is not None:
            bad = [n for n in layers if n not in names]
            if bad:
                raise _err(label, f"{where}.layers", f"unknown layer(s) {bad} of {network.name}; allowed: "
                                                      f"{', '.join(names)}")
        chosen = [l for l in network.layers if layers is None or l.name in layers]
        if engine == "spatial" and not any(l.kind in ("conv", "fc") for l in chosen):
            raise _err(label, where, f"the spatial array runs conv and fc layers; {name} selects none")
        wl_label = name if layers is None else f"{name}[{','.join(layers)}]"
        out.append(Workload(wl_label, network, tuple(layers) if layers else None, _model_digest(model),
                            dict(model.stated), dict(model.batches)))
    labels = [w.label for w in out]
    dup = sorted({l for l in labels if labels.count(l) > 1})
    if dup:
        raise _err(label, "workloads", f"listed twice: {dup}")
    return out


def _column_kind(values: tuple) -> str:
    present = [v for v in values if v is not None]
    if not present:
        return "json"
    if all(isinstance(v, bool) for v in present):
        return "bool"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return "int"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return "float"
    if all(isinstance(v, str) for v in present):
        return "str"
    return "json"


def _axes(raw: dict, base: dict, engine: str, label: str) -> tuple[list[Axis], dict]:
    from soc.arch import allowed_paths
    allowed = [p for p in allowed_paths(engine) if p != "kind"]
    designs: dict = {None: base}
    axes = []
    for name, values in raw.items():
        where = f"axes.{name}"
        if not isinstance(name, str):
            raise _err(label, f"axes.{name!r}", "an axis name is a string (a design path or a run axis)")
        if name not in RUN_AXES and name not in allowed:
            leaves = sorted(p for p in allowed if not any(q.startswith(p + ".") for q in allowed))
            raise _err(label, where, f"unknown axis; allowed: {', '.join(RUN_AXES)}, or a {engine} design path: "
                                     f"{', '.join(leaves)}")
        if not isinstance(values, list):
            raise _err(label, where, f"an axis is a list of values, got {values!r}")
        if not values:
            raise _err(label, where, "an axis needs at least one value; got an empty list")
        seen = [json.dumps(v, sort_keys=True, default=str) for v in values]
        dup = sorted({s for s in seen if seen.count(s) > 1})
        if dup:
            raise _err(label, where, f"value(s) listed twice: {', '.join(dup)}")
        for i, v in enumerate(values):
            _check_value(name, v, f"{where}[{i}]", base, engine, label, designs)
        if name == "arch":
            designs.pop(None, None)
        axes.append(Axis(name, tuple(values), _column_kind(tuple(values))))
    return axes, designs


def _check_value(name: str, v: Any, where: str, base: dict, engine: str, label: str, designs: dict) -> None:
    from soc.compiler.program import STRATEGIES
    if name in VECTOR_ONLY_AXES and engine != "vector":
        raise _err(label, where.split("[")[0], "applies to the vector accelerator only; this sweep runs the "
                                               "spatial array (it has a dataflow axis)")
    if name == "arch":
        from soc.arch import ConfigError, load_design
        if not isinstance(v, str):
            raise _err(label, where, f"a shipped design name or a design .yaml file, got {v!r}")
        try:
            designs[v] = load_design(v, kind=engine).model_dump(mode="json")
        except ConfigError as exc:
            raise _err(label, where, str(exc))
    elif name == "dataflow":
        from soc.spatial import DATAFLOWS
        if v not in DATAFLOWS:
            raise _err(label, where, f"unknown dataflow {v!r}; allowed: {', '.join(DATAFLOWS)}")
    elif name == "batch":
        _int(v, 1, label, where)
    elif name == "seed":
        _int(v, 0, label, where)
    elif name in ("weight_density", "input_density"):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v <= 1:
            raise _err(label, where, f"a density in (0, 1], got {v!r}")
    elif name == "block":
        check_block(v, label, where)
    elif name == "strategy":
        if v is not None and v not in STRATEGIES:
            raise _err(label, where, f"unknown strategy {v!r}; allowed: {', '.join(STRATEGIES)}, or null "
                                     f"(the compiler's choice)")
    else:
        check_design_value(base, engine, name, v, label, where)


def check_block(v: Any, label: str, where: str) -> None:
    """A block is [B_out, B_in] (FC layers), [B_fout, B_fin, Bx, By] (conv layers) or a
    mapping {conv: [...4], fc: [...2]}; layers of the other kind keep their default."""
    def ok(b, n):
        return (isinstance(b, list) and len(b) == n
                and all(isinstance(x, int) and not isinstance(x, bool) and x >= 1 for x in b))
    if isinstance(v, dict):
        bad = [k for k in v if k not in ("conv", "fc")]
        if bad or not v:
            raise _err(label, where, f"a block mapping has keys conv and/or fc, got {sorted(map(str, v))}")
        if "conv" in v and not ok(v["conv"], 4):
            raise _err(label, f"{where}.conv", f"[B_fout, B_fin, Bx, By] of integers >= 1, got {v['conv']!r}")
        if "fc" in v and not ok(v["fc"], 2):
            raise _err(label, f"{where}.fc", f"[B_out, B_in] of integers >= 1, got {v['fc']!r}")
        return
    if not (ok(v, 2) or ok(v, 4)):
        raise _err(label, where, f"a block is [B_out, B_in] (fc), [B_fout, B_fin, Bx, By] (conv) of integers "
                                 f">= 1, or {{conv: [...], fc: [...]}}; got {v!r}")


def check_design_value(base: dict, engine: str, path: str, value: Any, label: str, where: str) -> None:
    """Refuse a value that its field can never take (wrong type, out of range). A value
    that only clashes with another field of the base design is accepted: another axis
    may change that field, and a combination that cannot be built fails as its point."""
    from pydantic import ValidationError

    from soc.arch.errors import describe_error
    from soc.arch.loader import KINDS, apply_sets
    try:
        data = apply_sets(base, {path: value}, engine, label)
        KINDS[engine].model_validate(data)
    except ValidationError as exc:
        field_errors = [e for e in exc.errors() if e["loc"]]
        if field_errors:
            raise _err(label, where, "; ".join(describe_error(e, f"{engine} design") for e in field_errors))
    except Exception as exc:
        raise _err(label, where, str(exc))


def _cover(data: dict, spec: SweepSpec, label: str) -> None:
    given = [k for k in ("grid", "random", "search") if data.get(k) is not None]
    if len(given) > 1:
        raise _err(label, given[1], f"give one of grid, random and search; got {' and '.join(given)}")
    if not given or given[0] == "grid":
        if data.get("grid", "full") != "full":
            raise _err(label, "grid", f"allowed: full (or use random: or search:), got {data['grid']!r}")
        spec.cover = "grid"
        return
    if given[0] == "random":
        r = data["random"]
        if isinstance(r, int) and not isinstance(r, bool):
            r = {"points": r}
        if not isinstance(r, dict):
            raise _err(label, "random", f"a number of points or {{points: N, seed: S}}, got {r!r}")
        bad = [k for k in r if k not in RANDOM_FIELDS]
        if bad:
            raise _err(label, f"random.{bad[0]}", f"unknown field; allowed: {', '.join(RANDOM_FIELDS)}")
        n = _int(r.get("points"), 1, label, "random.points")
        if n > spec.grid_size:
            raise _err(label, "random.points", f"must be <= {spec.grid_size} (the points of the full grid), got {n}")
        spec.cover, spec.random_points = "random", n
        spec.random_seed = _int(r.get("seed", 0), 0, label, "random.seed")
        return
    s = data["search"]
    if not isinstance(s, dict):
        raise _err(label, "search", f"a mapping {{trials: N, seed: S, population: P, objectives: [...]}}, got {s!r}")
    bad = [k for k in s if k not in SEARCH_FIELDS]
    if bad:
        raise _err(label, f"search.{bad[0]}", f"unknown field; allowed: {', '.join(SEARCH_FIELDS)}")
    if not spec.axes:
        raise _err(label, "axes", "a search needs at least one axis to choose values from")
    trials = _int(s.get("trials"), 1, label, "search.trials")
    population = _int(s.get("population", max(2, min(50, trials // 4))), 2, label, "search.population")
    spec.cover = "search"
    spec.search = Search(trials, _int(s.get("seed", 0), 0, label, "search.seed"), population,
                         tuple(s.get("objectives") or ()))


def _objectives(data: dict, spec: SweepSpec, label: str) -> None:
    known, engine = spec.known_metrics, spec.engine

    def metric_list(key: str, value: Any) -> list[str]:
        if not isinstance(value, list) or not value:
            raise _err(label, key, f"a non-empty list of metric names, got {value!r}")
        names = [check_metric(v, known, engine, f"{label}: {key}[{i}]") for i, v in enumerate(value)]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise _err(label, key, f"listed twice: {dup}")
        return names

    objectives = data.get("objectives")
    spec.objectives = (metric_list("objectives", objectives) if objectives is not None
                       else [m for m in DEFAULT_OBJECTIVES[engine] if m in known])
    if spec.search is not None:
        s_obj = (metric_list("search.objectives", list(spec.search.objectives)) if spec.search.objectives
                 else list(spec.objectives))
        spec.search = Search(spec.search.trials, spec.search.seed, spec.search.population, tuple(s_obj))
    constraints = data.get("constraints") or []
    if not isinstance(constraints, list):
        raise _err(label, "constraints", f"a list of 'METRIC OP NUMBER' strings, got {constraints!r}")
    spec.constraints = [parse_constraint(c, known, engine, f"{label}: constraints[{i}]")
                        for i, c in enumerate(constraints)]
    if data.get("metrics") is not None:
        spec.metrics = metric_list("metrics", data["metrics"])

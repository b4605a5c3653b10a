"""Points of a sweep and the self-contained task that evaluates one.

A point is a workload and one value per axis. Its ``point_id`` is a digest of exactly
those (so the same point has the same id in every run of the sweep and on every
engine); its ``index`` is its place in the sweep: the grid order (workloads outermost,
then the axes in the order of the file, the last axis fastest), the order of the sampled
points of a random sweep (sorted by grid order), or the order in which a search first
proposed it.

A :class:`Task` carries everything a worker needs (the design as data, the network
object, the run parameters), so that a worker on another machine needs no file.
"""
from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from typing import Any, Iterator

from soc.sweep.metrics import Constraint
from soc.sweep.spec import SweepSpec

#: Identity columns of every row, before the axis columns.
ID_COLUMNS = ("point", "point_id", "workload")
#: Default budget of the per-worker cache of generated tensors (MB).
DEFAULT_CACHE_MB = 1024


@dataclass(frozen=True)
class Point:
    index: int
    workload: str
    values: tuple[tuple[str, Any], ...]
    point_id: str

    def value(self, axis: str, default: Any = None) -> Any:
        for name, v in self.values:
            if name == axis:
                return v
        return default


def make_point_id(workload: str, values: tuple[tuple[str, Any], ...]) -> str:
    text = json.dumps([workload, [[k, v] for k, v in values]], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def make_point(index: int, workload: str, values: tuple[tuple[str, Any], ...]) -> Point:
    return Point(index, workload, values, make_point_id(workload, values))


def grid_point(spec: SweepSpec, flat: int, index: int | None = None) -> Point:
    """The ``flat``-th point of the full grid (mixed-radix decoding, last axis fastest)."""
    chosen = []
    rest = flat
    for axis in reversed(spec.axes):
        rest, k = divmod(rest, len(axis.values))
        chosen.append((axis.name, axis.values[k]))
    workload = spec.workloads[rest].label
    return make_point(flat if index is None else index, workload, tuple(reversed(chosen)))


def enumerate_points(spec: SweepSpec) -> list[Point]:
    """Every point of a grid or random sweep, in index order (a search proposes its own)."""
    if spec.cover == "grid":
        return [grid_point(spec, i) for i in range(spec.grid_size)]
    if spec.cover == "random":
        picks = sorted(random.Random(spec.random_seed).sample(range(spec.grid_size), spec.random_points))
        return [grid_point(spec, flat, i) for i, flat in enumerate(picks)]
    raise ValueError(f"points of a {spec.cover} sweep are proposed by the search")


@dataclass(frozen=True)
class Task:
    """One point with everything needed to evaluate it (see the module doc)."""
    engine: str
    cells: dict
    design: dict
    sets: dict
    network: Any
    network_digest: str
    layers: tuple[str, ...] | None
    seed: int = 0
    batch: int = 1
    strategy: str | None = None
    weight_density: float | None = None
    input_density: float | None = None
    block: Any = None
    dataflow: str | None = None
    keep: tuple[str, ...] | None = None
    constraints: tuple[Constraint, ...] = ()
    cache_mb: int = DEFAULT_CACHE_MB
    stated: dict = field(default_factory=dict)
    batches: dict = field(default_factory=dict)

    @property
    def index(self) -> int:
        return int(self.cells["point"])

    @property
    def point_id(self) -> str:
        return str(self.cells["point_id"])

    @property
    def tensor_key(self) -> tuple:
        """What the generated tensors depend on: the network, the layers to reach, the seed,
        the batch, and the sparsity parameters (never the design)."""
        return (self.network_digest, self.layers, self.seed, self.batch, self.weight_density, self.input_density,
                json.dumps(self.block, sort_keys=True))


def make_task(spec: SweepSpec, point: Point, *, cache_mb: int = DEFAULT_CACHE_MB) -> Task:
    from soc.sweep.spec import RUN_AXES
    workload = next(w for w in spec.workloads if w.label == point.workload)
    values = dict(point.values)
    cells: dict[str, Any] = {"point": point.index, "point_id": point.point_id, "workload": point.workload}
    for axis in spec.axes:
        cells[axis.name] = axis.cell(values[axis.name])
    arch = values.get("arch")
    design = spec.designs[arch] if "arch" in values else spec.base
    sets = {k: v for k, v in point.values if k not in RUN_AXES}
    seed = values.get("seed", 0)
    if spec.engine == "spatial" and "seed" in values:
        sets["seed"] = seed  # the spatial array's check tensors come from the design's seed
    return Task(engine=spec.engine, cells=cells, design=design, sets=sets, network=workload.network,
                network_digest=workload.digest, layers=workload.layers, seed=seed, batch=values.get("batch", 1),
                strategy=values.get("strategy"), weight_density=values.get("weight_density"),
                input_density=values.get("input_density"), block=values.get("block"),
                dataflow=values.get("dataflow"), keep=tuple(spec.kept_metrics),
                constraints=tuple(spec.constraints), cache_mb=cache_mb, stated=workload.stated,
                batches=workload.batches)


def tasks_in_run_order(tasks: list[Task]) -> Iterator[Task]:
    """Tasks grouped by the tensors they need (then by index), so that a worker meets the
    points that share generated tensors one after another."""
    first: dict[tuple, int] = {}
    for t in tasks:
        first.setdefault(t.tensor_key, len(first))
    yield from sorted(tasks, key=lambda t: (first[t.tensor_key], t.index))

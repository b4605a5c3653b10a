"""One point -> one row: the pure function every engine runs.

:func:`evaluate` builds the point's design (the base or ``arch`` design with the design
axes applied), runs its workload on the engine of the sweep and returns a flat row: the
point's identity and axis columns, ``status`` (``ok`` or ``failed``), ``error`` (the
exception, one line, for a failed point), ``outputs_match_reference``, ``feasible``
(every constraint holds), the metrics (:mod:`soc.sweep.metrics`), and the provenance
columns ``run_wall_s`` (seconds this evaluation took), ``run_cpu_s`` (CPU seconds of
the worker process in it; well below ``run_wall_s`` when other work shares the cores),
``run_worker`` (host:pid) and
``run_tensors_reused`` (the workload's tensors came from this worker's cache). Only the
``run_*`` columns differ between two evaluations of the same point; every other column
is a function of the point alone. A point that raises is a failed row, never an
exception: one point cannot stop a sweep.

Engines:

* vector: :func:`soc.runtime.network.run_network` on the reference tensors of
  :func:`workloads.sparsity.iter_network` (the network's measured sparsity, or the
  densities and block of the point's ``weight_density``, ``input_density`` and
  ``block``). The tensors depend on the workload, seed, batch and sparsity parameters
  but never on the design, so each worker keeps the ones it generated
  (:class:`TensorCache`, least recently used first out, ``cache_mb`` per worker) and
  points that share them reuse them. Generation stops at the last layer the workload
  selects.
* spatial: every conv and fc layer of the workload through
  :func:`soc.spatial.compare.run_one` with the point's dataflow (best mapping, simulated,
  arithmetic checked), each layer at its densities (which matter to a design with zero
  gating). Totals: energies are ``energy_per_mac`` x MACs summed over layers (unit: one
  ALU MAC of the design's energy table), cycles, time, DRAM bytes, GLB accesses and
  gated MACs summed, utilization weighted by cycles, ``storage_area`` the largest over
  layers (in the equal-area mode every dataflow gets the same budget; a layer may use
  less of it).
"""
from __future__ import annotations

import math
import os
import socket
import time
from collections import OrderedDict
from typing import Any, Callable

import numpy as np

from soc.sweep.metrics import add_derived, flatten_summary
from soc.sweep.points import Task

#: Longest error message kept in a row (characters).
MAX_ERROR_CHARS = 2000


# --------------------------------------------------------------------------- tensor cache
def _nbytes(obj: Any) -> int:
    if isinstance(obj, np.ndarray):
        return int(obj.nbytes)
    if isinstance(obj, (list, tuple)):
        return sum(_nbytes(o) for o in obj)
    if isinstance(obj, dict):
        return sum(_nbytes(o) for o in obj.values())
    return 0


def tensors_nbytes(tensors: list) -> int:
    return sum(_nbytes(t.weights) + _nbytes(t.kept) + _nbytes(t.keep) + _nbytes(t.inputs) + _nbytes(t.extra)
               for t in tensors if t is not None)


class TensorCache:
    """Generated tensors of this process, by :attr:`Task.tensor_key`; least recently used
    entries leave first when the total passes the budget. An entry larger than the whole
    budget is used once and not kept."""

    def __init__(self) -> None:
        self.entries: OrderedDict[tuple, tuple[list, int]] = OrderedDict()
        self.bytes = 0
        self.generated = 0
        self.reused = 0

    def get(self, key: tuple, make: Callable[[], list], budget_bytes: int) -> tuple[list, bool]:
        if key in self.entries:
            self.entries.move_to_end(key)
            self.reused += 1
            return self.entries[key][0], True
        value = make()
        self.generated += 1
        size = tensors_nbytes(value)
        if size <= budget_bytes:
            self.entries[key] = (value, size)
            self.bytes += size
            while self.bytes > budget_bytes and self.entries:
                _, (_, freed) = self.entries.popitem(last=False)
                self.bytes -= freed
        return value, False

    def clear(self) -> None:
        self.entries.clear()
        self.bytes = 0


CACHE = TensorCache()


# --------------------------------------------------------------------------- vector engine
def generation_options(task: Task) -> dict:
    """Keyword arguments of :func:`workloads.sparsity.iter_network` for the point: the
    densities of :func:`workloads.density.plan_densities` (the point's
    ``weight_density``/``input_density``, else what the workload's file states, else the
    network's measured rates), the independent layers' own batches, and the block."""
    from workloads.density import plan_densities
    opts: dict[str, Any] = {"densities": plan_densities(
        task.network, task.stated,
        weight_density=None if task.weight_density is None else float(task.weight_density),
        input_density=None if task.input_density is None else float(task.input_density))}
    if task.batches:
        opts["batches"] = task.batches
    if task.block is not None:
        opts["block"] = layer_blocks(task.network, task.block)
    return opts


def layer_blocks(network, block: Any) -> dict[str, tuple[int, ...]]:
    """Per weighted layer, its pruning block: a conv block ``[B_fout, B_fin, Bx, By]``
    applies to conv layers, an FC block ``[B_out, B_in]`` to FC and recurrent layers, a
    mapping ``{conv: ..., fc: ...}`` to each; layers it does not cover keep their default
    block. Stated simplification: a block larger than a layer on some axis is cut to the
    layer's size there (one block spans that axis)."""
    from workloads.sparsity import default_block
    if isinstance(block, dict):
        by_rank = {4: block.get("conv"), 2: block.get("fc")}
    else:
        by_rank = {len(block): block}
    out = {}
    for layer in network.layers:
        shape = layer.weight_shape
        if not shape:
            continue
        chosen = by_rank.get(len(shape))
        out[layer.name] = (tuple(max(1, min(int(b), s)) for b, s in zip(chosen, shape)) if chosen is not None
                           else default_block(shape))
    return out


def reference_tensors(task: Task) -> list:
    """Per layer of the network in dependency order, the tensors of the reference run up
    to the last layer the workload selects (``None`` for a layer it does not select, and
    after it)."""
    from workloads.sparsity import iter_network
    network = task.network
    names = [layer.name for layer in network.order]  # the order of the run, as run_network reads them
    chosen = set(task.layers) if task.layers else set(names)
    last = max(i for i, n in enumerate(names) if n in chosen)
    out: list = [None] * len(names)
    steps = iter_network(network, task.seed, batch=task.batch, keep_outputs=False, compact=True,
                         **generation_options(task))
    for i, step in enumerate(steps):
        if step.tensors.layer.name != names[i]:
            raise RuntimeError(f"reference run of {network.name}: layer {step.tensors.layer.name} came where "
                               f"{names[i]} was expected")
        if names[i] in chosen:
            out[i] = step.tensors
        if i >= last:
            break
    steps.close()
    return out


def _design(task: Task):
    from soc.arch.loader import apply_sets, build
    label = f"design {task.design.get('name', '?')}"
    if task.sets:
        label += " with " + ", ".join(f"{k}={v}" for k, v in task.sets.items())
    return build(apply_sets(task.design, task.sets, task.engine, label), label)


def run_vector(task: Task) -> tuple[dict, bool]:
    from soc.runtime.network import run_network
    cfg = _design(task)
    tensors, reused = CACHE.get(task.tensor_key, lambda: reference_tensors(task), task.cache_mb << 20)
    outcome = run_network(task.network, cfg, seed=task.seed, strategy=task.strategy,
                          layers=list(task.layers) if task.layers else None, batch=task.batch,
                          batches=task.batches or None, tensors=tensors, keep_activity=False)
    return outcome.summary, reused


# --------------------------------------------------------------------------- spatial engine
SPATIAL_ENERGY_KEYS = ("e_dram", "e_glb", "e_noc", "e_rf", "e_alu", "e_weights", "e_inputs", "e_psums")
#: Per-layer counts of the spatial array's rows that add up over layers.
SPATIAL_SUMMED = ("sim_events", "array_cycles", "dram_cycles", "dram_bytes", "glb_accesses", "gated_macs")


def run_spatial(task: Task) -> dict:
    from soc.spatial.compare import run_one
    from soc.spatial.shapes import from_layer
    from workloads.density import plan_densities
    cfg = _design(task)
    chosen = [layer for layer in task.network.layers if layer.kind in ("conv", "fc")
              and (task.layers is None or layer.name in task.layers)]
    if not chosen:
        raise ValueError(f"network {task.network.name}: no conv or fc layer to run on the spatial array")
    densities = plan_densities(task.network, task.stated,
                               weight_density=None if task.weight_density is None else float(task.weight_density),
                               input_density=None if task.input_density is None else float(task.input_density))
    rows = []
    for layer in chosen:
        batch = task.batch * task.batches.get(layer.name, 1)
        d = densities[layer.name]
        row = run_one(from_layer(layer, batch, input_density=d.input, weight_density=d.weight), task.dataflow, cfg,
                      check=True)
        e = row.get("energy_per_mac")
        if e is None or (isinstance(e, float) and math.isnan(e)):
            raise ValueError(f"layer {layer.name}: no {task.dataflow} mapping fits ({row.get('mapping')})")
        rows.append(row)
    macs = sum(int(r["macs"]) for r in rows)
    cycles = sum(int(r["cycles"]) for r in rows)
    summary: dict[str, Any] = {
        "layers": len(rows), "macs": macs,
        "energy_mac_units": sum(r["energy_per_mac"] * r["macs"] for r in rows),
        "cycles": cycles, "time_s": sum(r["latency_s"] for r in rows),
        "dram_accesses": sum(r["dram_accesses_per_mac"] * r["macs"] for r in rows),
        "utilization": (sum(r["utilization"] * r["cycles"] for r in rows) / cycles) if cycles else 0.0,
        "storage_area": max(r["storage_area"] for r in rows),
        "outputs_match_reference": all(bool(r["outputs_match_reference"]) for r in rows),
    }
    for key in SPATIAL_SUMMED:
        summary[key] = sum(r[key] for r in rows)
    for key in SPATIAL_ENERGY_KEYS:
        summary[f"{key}_mac_units"] = sum(r[key] * r["macs"] for r in rows)
    summary["energy_per_mac"] = summary["energy_mac_units"] / macs if macs else 0.0
    return summary


# --------------------------------------------------------------------------- the point function
def metrics_of(engine: str, summary: dict) -> dict[str, float]:
    return add_derived(flatten_summary(summary), engine)


def evaluate(task: Task) -> dict:
    """The row of one point (module doc). Never raises for a failing point."""
    t0, c0 = time.perf_counter(), time.process_time()
    row: dict[str, Any] = dict(task.cells)
    reused = None
    try:
        if task.engine == "vector":
            summary, reused = run_vector(task)
        else:
            summary = run_spatial(task)
        metrics = metrics_of(task.engine, summary)
        keep = set(task.keep) if task.keep else None
        row.update(status="ok", error=None, outputs_match_reference=bool(summary.get("outputs_match_reference")),
                   feasible=all(c.holds(metrics) for c in task.constraints))
        row.update({k: v for k, v in metrics.items() if keep is None or k in keep})
    except Exception as exc:
        text = " ".join(f"{type(exc).__name__}: {exc}".split())
        row.update(status="failed", error=text[:MAX_ERROR_CHARS], outputs_match_reference=None, feasible=None)
    row.update(run_wall_s=time.perf_counter() - t0, run_cpu_s=time.process_time() - c0,
               run_worker=f"{socket.gethostname()}:{os.getpid()}", run_tensors_reused=reused)
    return row


# --------------------------------------------------------------------------- metric names
def _probe_network():
    from workloads.layers import Network
    from workloads.zoo.builder import NetworkBuilder
    b = NetworkBuilder("probe", (2, 8, 8))
    b.conv("conv", 4, 3)
    b.act("relu")
    b.pool("pool", 2, 2)
    b.fc("fc", 8)
    return Network(b.name, b.layers, b.input_shape)


def probe_metrics(engine: str, design: dict) -> set[str]:
    """The metric names ``engine`` reports, from a run of a four-layer probe network
    (conv, ReLU, pooling, FC; milliseconds) on ``design``."""
    network = _probe_network()
    task = Task(engine=engine, cells={"point": -1, "point_id": "probe", "workload": "probe"}, design=design,
                sets={}, network=network, network_digest="probe", layers=None,
                dataflow="RS" if engine == "spatial" else None, cache_mb=0)
    summary = run_vector(task)[0] if engine == "vector" else run_spatial(task)
    return set(metrics_of(engine, summary))

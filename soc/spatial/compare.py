"""Fair comparison of the dataflows on a layer or a network.

Every dataflow runs the same layer on the same number of PEs, the same total storage
area (:mod:`soc.spatial.area`) and the same batch; each gets its best mapping
(:mod:`soc.spatial.search`), which is then simulated on the actors
(:mod:`soc.spatial.array`) and its arithmetic checked against the NumPy reference.

Arithmetic check: executing every pass of a full AlexNet layer at batch 16 in NumPy
would take minutes, so the check runs the *same mapping* (same tile sizes, spatial
split and loop orders) on a slice of the layer: ``check_batch`` samples and
``check_channels`` input and output channels of one group, filter size, stride and
padding unchanged; while the slice still has more than ``MAX_CHECK_PASSES`` passes the
channels are halved, then the output rows and columns (the input is cropped to match). The ``checked_on`` column says which slice was checked
("full" when the layer has at most ``MAX_CHECK_PASSES`` passes and ``MAX_CHECK_MACS``
MACs and is checked whole).
"""
from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace

import numpy as np
import pandas as pd

from soc.arch.spatial import SpatialArch
from soc.spatial import DATAFLOWS
from soc.spatial.array import ledger_counts, simulate_mapping
from soc.spatial.functional import random_tensors, reference_conv
from soc.spatial.gating import zero_macs
from soc.spatial.loopnest import Mapping
from soc.spatial.noc import patterns
from soc.spatial.search import NoMapping, best_mapping
from soc.spatial.shapes import LayerShape, from_layer

COLUMNS = ["layer", "kind", "dataflow", "macs", "energy_per_mac", "e_dram", "e_glb", "e_noc", "e_rf",
           "e_alu", "e_weights", "e_inputs", "e_psums", "dram_accesses_per_mac", "cycles", "latency_s",
           "utilization", "outputs_match_reference", "checked_on", "pes_used", "rf_bytes", "glb_bytes",
           "storage_area", "noc_weights", "noc_inputs", "noc_psums", "mapping", "sim_events", "wall_s",
           "array_cycles", "dram_cycles", "dram_bytes", "glb_accesses", "gated_macs", "design", "storage"]
MAX_CHECK_PASSES = 3000
MAX_CHECK_MACS = 20_000_000


def on_shape(m: Mapping, shape: LayerShape, zero_macs: float = 0.0) -> Mapping:
    """The same mapping (tile sizes, spatial split, orders, storage, hardware) applied to
    another shape whose gating operand has ``zero_macs`` zero MACs."""
    return replace(m, shape=shape, zero_macs=zero_macs, notes={})


def _crop(shape: LayerShape, rows: int, cols: int) -> LayerShape:
    """The layer cut to ``rows`` x ``cols`` outputs (same filter, stride, padding)."""
    U, p = shape.stride, shape.padding
    h = max(1, (rows - 1) * U + shape.R - 2 * p)
    w = max(1, (cols - 1) * U + shape.S - 2 * p)
    return replace(shape, H=min(shape.H, h), W=min(shape.W, w))


def check_arithmetic(m: Mapping, cfg: SpatialArch) -> tuple[bool, str]:
    """Run the mapping on the actors with real data on a slice of its layer (the PE array
    computes every pass of every burst); compare the array's outputs with the reference."""
    full = m.shape
    channels = cfg.check_channels
    small = full.reduced(cfg.check_batch, channels)
    if m.passes <= MAX_CHECK_PASSES and full.macs <= MAX_CHECK_MACS:
        small = full
    while on_shape(m, small).passes > MAX_CHECK_PASSES and channels > 1:
        channels //= 2
        small = full.reduced(cfg.check_batch, channels)
    while on_shape(m, small).passes > MAX_CHECK_PASSES and (small.E > 1 or small.F > 1):
        small = _crop(small, max(1, small.E // 2), max(1, small.F // 2))
    w, x = random_tensors(small, cfg.seed)
    sm = on_shape(m, small, checked_zero_macs(small, cfg, w, x))
    outputs = simulate_mapping(sm, cfg, tensors=(w, x)).execution.outputs
    ok = bool(np.array_equal(outputs, reference_conv(small, w, x)))
    where = ("full" if small == full else
             f"N{small.N} C{small.C} M{small.M} E{small.E} F{small.F} groups1 ({sm.passes} passes)")
    return ok, where


def checked_zero_macs(shape: LayerShape, cfg: SpatialArch, weights, inputs) -> float:
    """MACs of the checked data whose gating operand is zero (0 without zero gating)."""
    gating = cfg.zero_gating
    if not gating.enabled:
        return 0.0
    return float(zero_macs(shape, gating.condition_on, inputs if gating.condition_on == "inputs" else weights))


def run_one(shape: LayerShape, dataflow: str, cfg: SpatialArch, check: bool = True) -> dict:
    """One row of the comparison table."""
    from soc.spatial.area import storage_area
    t0 = time.perf_counter()
    row = {"layer": shape.name, "kind": shape.kind, "dataflow": dataflow, "macs": shape.macs,
           "design": cfg.name, "storage": cfg.storage}
    try:
        m = best_mapping(shape, dataflow, cfg)
    except NoMapping as exc:
        row.update({c: np.nan for c in COLUMNS if c not in row})
        row["mapping"] = str(exc)
        return row
    sim = simulate_mapping(m, cfg)
    ok, where = check_arithmetic(m, cfg) if check else (None, "not checked")
    pat = patterns(m)
    row.update(sim.energy)
    counts = ledger_counts(sim.ledger)
    row.update({"dram_accesses_per_mac": sim.dram_accesses_per_mac, "cycles": sim.cycles,
                "latency_s": sim.time_s, "utilization": sim.utilization, "outputs_match_reference": ok,
                "checked_on": where, "pes_used": m.pes_used, "rf_bytes": m.rf_bytes, "glb_bytes": m.glb_bytes,
                "storage_area": storage_area(cfg, m.rf_bytes, m.glb_bytes),
                "noc_weights": pat["weights"], "noc_inputs": pat["inputs"], "noc_psums": pat["psums"],
                "mapping": m.describe(), "sim_events": sim.sim_events,
                "array_cycles": sim.array_cycles, "dram_cycles": sim.dram_cycles,
                "dram_bytes": sim.dram_accesses_per_mac * shape.macs * cfg.word_bytes,
                "glb_accesses": sum(n for (lvl, _), n in counts.items() if lvl == "glb"),
                "gated_macs": m.zero_macs,
                "wall_s": time.perf_counter() - t0})
    return row


def _job(args):
    return run_one(*args)


def compare_layers(shapes: list[LayerShape], cfg: SpatialArch, dataflows=DATAFLOWS,
                   check: bool = True, workers: int | None = None) -> pd.DataFrame:
    """Every dataflow on every layer; rows in (layer, dataflow) order. ``workers`` > 1 runs
    the (layer, dataflow) jobs in worker processes (results are identical)."""
    for d in dataflows:
        if d not in DATAFLOWS:
            raise ValueError(f"dataflow must be one of {DATAFLOWS}, got {d!r}")
    jobs = [(s, d, cfg, check) for s in shapes for d in dataflows]
    # heaviest searches first so that the two workers finish together
    order = sorted(range(len(jobs)), key=lambda i: (jobs[i][1] != "RS", i))
    workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    if workers > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = dict(zip(order, pool.map(_job, [jobs[i] for i in order], chunksize=1)))
        rows = [results[i] for i in range(len(jobs))]
    else:
        rows = [_job(j) for j in jobs]
    return pd.DataFrame(rows, columns=COLUMNS)


def network_shapes(network, batch: int, layer: str | None = None, *, weight_density: float | None = None,
                   input_density: float | None = None) -> list[LayerShape]:
    """The conv and FC layers of a model as shapes (``layer`` picks one by name).

    ``network``: a zoo name or any model argument :func:`workloads.io.load_model` takes
    (network file, Timeloop problem files or folder, several layer lists), or a loaded
    :class:`~workloads.layers.Network`. Every layer runs at ``batch``. Each shape carries
    its layer's weight and input densities as every socsim run chooses them
    (:func:`workloads.density.plan_densities`: the options, else the model file, else the
    network's measured rates, else dense); they matter only to a design with zero gating."""
    from workloads.density import plan_densities
    from workloads.layers import Network
    stated = {}
    if isinstance(network, Network):
        net = network
    else:
        from workloads.io import load_model
        loaded = load_model(network)
        net, stated = loaded.network, loaded.stated
    densities = plan_densities(net, stated, weight_density=weight_density, input_density=input_density)
    layers = [lay for lay in net.layers if getattr(lay, "kind", None) in ("conv", "fc")]
    if layer is not None:
        names = [lay.name for lay in layers]
        if layer not in names:
            raise ValueError(f"layer {layer!r} is not a conv or fc layer of {net.name}; allowed: {names}")
        layers = [lay for lay in layers if lay.name == layer]
    shapes = []
    for lay in layers:
        if lay.kind == "conv" and (lay.stride_hw[0] != lay.stride_hw[1] or lay.padding_hw[0] != lay.padding_hw[1]):
            raise ValueError(f"layer {lay.name}: the spatial array takes one stride and one padding for both "
                             f"axes, got stride {lay.stride_hw}, padding {lay.padding_hw}")
        d = densities[lay.name]
        shapes.append(from_layer(lay, batch, input_density=d.input, weight_density=d.weight))
    return shapes


def summarize(df: pd.DataFrame) -> pd.DataFrame:
    """Energy per MAC of each dataflow over the CONV and the FC layers (MAC-weighted mean)
    and its ratio to the best dataflow of that kind."""
    rows = []
    for kind, part in df.dropna(subset=["energy_per_mac"]).groupby("kind"):
        for d, sub in part.groupby("dataflow", sort=False):
            e = float((sub.energy_per_mac * sub.macs).sum() / sub.macs.sum())
            rows.append({"kind": kind, "dataflow": d, "energy_per_mac": e})
    out = pd.DataFrame(rows)
    if not out.empty:
        best = out.groupby("kind").energy_per_mac.transform("min")
        out["ratio_to_best"] = out.energy_per_mac / best
    return out


def latency_table(df: pd.DataFrame) -> pd.DataFrame:
    """Per layer and dataflow: cycles, latency (ms) at the design's clock, PEs used,
    utilization and energy per MAC; then a total row per dataflow (layers run one after
    another). Layers a dataflow cannot map show no numbers."""
    cols = ["layer", "dataflow", "cycles", "latency_ms", "pes_used", "utilization", "energy_per_mac"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    out = df.assign(latency_ms=df.latency_s * 1e3)[cols].copy()
    totals = []
    for d, part in df.groupby("dataflow", sort=False):
        ok = part.dropna(subset=["cycles"])
        if len(ok) < len(part) or ok.empty or len(part) < 2:
            continue
        totals.append({"layer": "total", "dataflow": d, "cycles": ok.cycles.sum(),
                       "latency_ms": ok.latency_s.sum() * 1e3, "pes_used": np.nan,
                       "utilization": float((ok.utilization * ok.cycles).sum() / ok.cycles.sum()),
                       "energy_per_mac": float((ok.energy_per_mac * ok.macs).sum() / ok.macs.sum())})
    if totals:
        out = pd.concat([out, pd.DataFrame(totals)], ignore_index=True)
    out["cycles"] = out.cycles.map(lambda v: "-" if pd.isna(v) else f"{int(v):,}")
    out["latency_ms"] = out.latency_ms.map(lambda v: "-" if pd.isna(v) else f"{v:.3f}")
    out["pes_used"] = out.pes_used.map(lambda v: "" if pd.isna(v) else f"{int(v)}")
    out["utilization"] = out.utilization.map(lambda v: "-" if pd.isna(v) else f"{v:.3f}")
    out["energy_per_mac"] = out.energy_per_mac.map(lambda v: "-" if pd.isna(v) else f"{v:.3f}")
    return out

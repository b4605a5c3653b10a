"""Simulate one layer on the vector accelerator: lower, compile, run, collect."""
from __future__ import annotations

import gc
import threading
import time
from contextlib import contextmanager
from typing import Iterator

import numpy as np

from energy.ledger import EnergyLedger
from soc.arch.vector import VectorArch
from soc.compiler.lowering import MatrixLayer, lower_conv, lower_fc, weight_frac_bits
from soc.compiler.tiling import choose
from soc.result import LayerResult, MatrixRun
from soc.vector.accelerator import VectorAccelerator


def simulate_matrices(name: str, kind: str, parts: list[MatrixLayer], cfg: VectorArch, *,
                      strategy: str | None = None, activation: str = "relu",
                      ledger: EnergyLedger | None = None) -> LayerResult:
    """Run the matrix parts of one layer (one per convolution group) one after another."""
    own = EnergyLedger()
    own.layer = name
    acc = VectorAccelerator(cfg, own, activation)
    wall = time.perf_counter()
    with collector_paused():
        runs, traffic = _run_parts(acc, parts, cfg, strategy)
        if ledger is not None:
            ledger.merge(own, layer=name)
        result = _layer_result(name, kind, cfg, acc, runs, traffic, wall)
        del runs   # the runs' programs and tiles are freed here, before the collector is back on
    return result


def _run_parts(acc: VectorAccelerator, parts: list[MatrixLayer], cfg: VectorArch,
               strategy: str | None) -> tuple[list[MatrixRun], dict]:
    """Plan and run every part; returns the runs and the last part's traffic estimates."""
    runs, traffic = [], {}
    shared: dict = {}   # weight tiles of matrices with the same weights (the images of a batch)
    for part in parts:
        key = (part.weights.__array_interface__["data"][0], part.weights.shape, part.weights.strides,
               part.keep.__array_interface__["data"][0], part.keep.strides)
        tiling, traffic, tiles = choose(part, cfg, strategy, weight_tiles=shared.setdefault(key, {}))
        runs.append(acc.run(part, tiling, tiles))
    return runs, traffic


def _layer_result(name: str, kind: str, cfg: VectorArch, acc: VectorAccelerator, runs: list[MatrixRun],
                  traffic: dict, wall: float) -> LayerResult:
    """The layer's result from its parts' runs and the ledger they booked into."""
    own = acc.ledger
    cycles = sum(r.cycles for r in runs)
    useful = sum(r.useful_macs for r in runs)
    dense = sum(r.dense_macs for r in runs)
    t = runs[0].tiling
    peaks: dict[str, int] = {}
    for r in runs:
        for k, v in r.buffer_peak_bytes.items():
            peaks[k] = max(peaks.get(k, 0), v)
    outputs = np.concatenate([r.outputs for r in runs], axis=1) if runs else None
    return LayerResult(
        name=name, kind=kind, arch=cfg.name, cycles=cycles, time_s=cycles * cfg.cycle_s,
        energy_pj=own.total_pj(), energy_by_component=own.component_totals(),
        energy_by_action=own.action_totals(), energy_by_data_type=own.data_type_totals(),
        energy_entries=own.entries(), useful_macs=useful, skipped_macs=dense - useful,
        effectual_macs=sum(r.effectual_macs for r in runs), dense_macs=dense,
        dram_bytes_read=sum(r.dram_bytes_read for r in runs),
        dram_bytes_written=sum(r.dram_bytes_written for r in runs),
        utilization=useful / (cycles * cfg.tn * cfg.tm) if cycles else 0.0,
        outputs_match_reference=all(r.outputs_match_reference for r in runs),
        sim_events=sum(r.sim_events for r in runs), wall_s=time.perf_counter() - wall,
        strategy=t.strategy, tiling={"p_tile": t.p_tile, "i_tile": t.i_tile, "o_tile": t.o_tile},
        traffic_estimate=traffic, buffer_peak_bytes=peaks,
        activity=_end_to_end(runs, "activity"), activity_dropped=sum(r.activity_dropped for r in runs),
        counters=_end_to_end(runs, "counters"), outputs=outputs,
        area_by_component_mm2=acc.price.area_by_component_mm2)


class _Pauses:
    """Layer runs in progress that paused the collector (threads may run layers at once:
    the collector is back on when the last of them ends, and only if it was on before the
    first began)."""
    lock = threading.Lock()
    count = 0
    resume = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while the parts of a layer are planned and
    simulated (and back on afterwards, if it was on). A run makes tens of thousands of
    short-lived objects and long activity lists, and nothing it drops is held only by a
    reference cycle (tokens, entries, tiles and, once it ends, the run's actors and queues
    are freed by their reference counts); the collector's passes over them cost about a
    tenth of the simulation time and found nothing."""
    with _Pauses.lock:
        if _Pauses.count == 0:
            _Pauses.resume = gc.isenabled()
            gc.disable()
        _Pauses.count += 1
    try:
        yield
    finally:
        with _Pauses.lock:
            _Pauses.count -= 1
            if _Pauses.count == 0 and _Pauses.resume:
                gc.enable()


def _end_to_end(runs: list, attr: str) -> list:
    """Activity (or counter samples) of the parts of a layer, each part placed after the
    ones before it (parts run one after another; each counts cycles from 0)."""
    out: list = []
    offset = 0
    for r in runs:
        records = getattr(r, attr)
        if offset == 0:          # the first part (or parts that took no time) stays where it is
            out += records
        elif attr == "activity":
            out += [(rec[0], rec[1] + offset, rec[2] + offset, *rec[3:]) for rec in records]
        else:
            out += [(rec[0], rec[1] + offset, rec[2]) for rec in records]
        offset += r.cycles
    return out


def _shifted(parts: list[MatrixLayer], shift: int) -> list[MatrixLayer]:
    if not 0 <= shift <= 15:
        raise ValueError(f"shift (weight fractional bits) must be in [0, 15], got {shift}")
    for part in parts:
        part.shift = shift
    return parts


def simulate_fc(name: str, x: np.ndarray, w: np.ndarray, keep: np.ndarray, cfg: VectorArch, *,
                shift: int | None = None, **kw) -> LayerResult:
    """x (B, N_in) int16; w, keep (N_out, N_in). Products are shifted right by ``shift``
    (the weights' fractional bits; default ``cfg.frac_bits``)."""
    parts = _shifted(lower_fc(name, x, w, keep), cfg.frac_bits if shift is None else shift)
    return simulate_matrices(name, "fc", parts, cfg, **kw)


def simulate_conv(name: str, x: np.ndarray, w: np.ndarray, keep: np.ndarray, cfg: VectorArch, *,
                  stride: int = 1, padding: int = 0, groups: int = 1, shift: int | None = None, **kw) -> LayerResult:
    """x (C, H, W) int16; w, keep (C_out, C_in/groups, kh, kw); ``shift`` as for :func:`simulate_fc`."""
    parts = _shifted(lower_conv(name, x, w, keep, stride, padding, groups), cfg.frac_bits if shift is None else shift)
    return simulate_matrices(name, "conv", parts, cfg, **kw)


SNAP_CHUNK = 1 << 22


def codebook(ordered: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """(centroids, edges) of the equal-population codebook of 2^bits entries of the values
    ``ordered`` (sorted, flat): bin j holds ranks [ceil(j n / k), ceil((j + 1) n / k));
    its centroid is their mean; ``edges`` are the first values of bins 1..k-1."""
    k = 1 << bits
    n = ordered.size
    starts = (np.arange(k, dtype=np.int64) * n + k - 1) // k
    bounds = np.append(starts, n)
    centroids = np.array([ordered[a:b].sum(dtype=np.float64) / (b - a) for a, b in zip(bounds[:-1], bounds[1:])],
                         dtype=ordered.dtype)
    return centroids, ordered[starts[1:]].copy()


def apply_codebook(values: np.ndarray, centroids: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Replace, in place and in chunks, every value of the flat array ``values`` by the
    centroid of its bin (the number of edges <= value)."""
    k = centroids.size
    if (k <= 256 and values.dtype == np.float32 and centroids.dtype == np.float32 and values.ndim == 1
            and values.flags.c_contiguous and values.flags.writeable):
        from soc.kernels import _codebook  # type: ignore[attr-defined]  # the same count of edges per value, compiled
        return _codebook.snap_sorted_bins(values, np.ascontiguousarray(edges, np.float32), centroids, values)
    for a in range(0, values.size, SNAP_CHUNK):
        part = values[a:a + SNAP_CHUNK]
        if k <= 256:  # counted edge by edge: faster than a binary search per value
            idx = np.zeros(part.size, np.uint8)
            for edge in edges:
                idx += part >= edge
        else:
            idx = np.searchsorted(edges, part, side="right")
        part[...] = centroids[idx]
    return values


def snap_to_codebook(values: np.ndarray, bits: int) -> np.ndarray:
    """Replace every value by the centroid of its bin in a codebook of 2^bits entries.

    The codebook is one per layer, of equal-population bins of the sorted values (each
    centroid the mean of its bin): what a code of ``bits`` bits can decode to through the
    WDM's look-up table. (The compression pipeline's local k-means codebooks, one per
    sub-matrix, quantize with less error; the simulator needs the values to be exactly
    2^bits distinct ones so that its arithmetic is that of the decoded weights.)
    Equal values share a bin (the later one, when a run of equal values straddles a bin
    edge). The bins are found in chunks: a 100M-weight layer needs no index array."""
    flat = np.asarray(values).ravel()
    if flat.size <= (1 << bits):
        return values
    centroids, edges = codebook(np.sort(flat), bits)
    return apply_codebook(flat.copy(), centroids, edges).reshape(np.shape(values))


def simulate_layer(layer, tensors, cfg: VectorArch, *, strategy: str | None = None, activation: str = "relu",
                   ledger: EnergyLedger | None = None) -> LayerResult:
    """Simulate a ``workloads.layers`` FC or Conv layer with its ``LayerTensors`` (or any
    object with ``keep``, ``inputs`` and either ``weights`` or ``kept``, the kept weights
    alone in row-major order).

    Float tensors become fixed point: neurons in Q(15-f).f with f = ``cfg.frac_bits``,
    weights with :func:`weight_frac_bits`; with codes narrower than 16 bits the surviving
    weights are first snapped to a codebook of 2^weight_bits values
    (:func:`snap_to_codebook`). FC layers take the whole batch as rows; a
    convolution runs the images of a batch one after another (weights are reloaded per
    image).
    """
    from workloads.sparsity import to_fixed  # workloads feed the simulator, never the reverse

    kind = getattr(layer, "kind", None)
    if kind not in ("fc", "conv"):
        raise ValueError(f"layer {getattr(layer, 'name', layer)!r}: the vector accelerator runs fc and conv "
                         f"layers, not {kind!r}")
    keep = tensors.keep
    given = getattr(tensors, "kept", None)  # the kept weights alone (row-major), when given so

    def kept_values() -> np.ndarray:
        """A float32 copy of the kept weights, in layer order."""
        if given is not None:
            return np.array(given, dtype=np.float32, copy=True).ravel()
        return np.asarray(tensors.weights[keep], np.float32)

    # Pruned weights are exactly zero: convert only the rest. Memory: one float copy of the
    # kept weights at a time (a 100M-weight layer): sorted in place for the codebook, then
    # taken again in layer order, snapped, scaled and rounded in place (= to_fixed).
    kept = kept_values()
    if cfg.weight_bits < 16 and kept.size > (1 << cfg.weight_bits):  # codes decode to 2^bits values (WDM table)
        kept.sort()
        centroids, edges = codebook(kept, cfg.weight_bits)
        del kept
        kept = apply_codebook(kept_values(), centroids, edges)
    shift = weight_frac_bits(kept)
    kept *= np.float32(1 << shift)
    np.rint(kept, out=kept)
    np.clip(kept, -32768, 32767, out=kept)
    codes = kept.astype(np.int16)
    del kept
    w = np.zeros(keep.shape, np.int16)
    w[keep] = codes
    del codes
    x = to_fixed(tensors.inputs, cfg.frac_bits)
    if kind == "fc":
        parts = lower_fc(layer.name, x.reshape(x.shape[0], -1), w, keep)
    else:
        if layer.stride_hw[0] != layer.stride_hw[1] or layer.padding_hw[0] != layer.padding_hw[1]:
            raise ValueError(f"layer {layer.name}: the vector accelerator's lowering takes square stride and "
                             f"padding (allowed: equal height and width), got stride {layer.stride_hw}, "
                             f"padding {layer.padding_hw}")
        parts = []
        for image in x:
            parts += lower_conv(layer.name, image, w, keep, layer.stride_hw[0], layer.padding_hw[0], layer.groups)
    return simulate_matrices(layer.name, kind, _shifted(parts, shift), cfg, strategy=strategy,
                             activation=activation, ledger=ledger)

"""Run a whole network through the programming model (:mod:`soc.runtime.api`) on a design.

Order: layers run in dependency order (:attr:`workloads.layers.Network.order`), so a
graph with branches and joins (Inception, DenseNet, SqueezeNet's fire modules,
ShuffleNet) runs every producer before its readers.

Tensors: every layer gets the weights and the inputs of a reference run of the network
with the semantics of :func:`workloads.sparsity.iter_network`. A layer that carries
trained weights (an imported ONNX model) computes with them: their zeros are its static
sparsity, the design's quantization makes the codes; ``prune`` prunes them first with
:mod:`workloads.compress.prune`. Other weighted layers get synthetic block-sparse weights
at their target densities (by default the network's measured sparsities, docs/hardware.md §1; none for
networks without a measured row), each scaled once so its output has unit RMS, and every
ReLU biased so that the zeros reaching the next weighted layer are its target. The
activations are a forward pass from the input the user gave (``inputs``) or from a
deterministic synthetic one. The reference run is streamed (one layer's weights loaded at
a time, an activation dropped as soon as no later layer reads it) so that VGG fits in
memory. Each layer is simulated on the input it received in that run (quantized to
16-bit fixed point); its own outputs are checked against the NumPy reference of the same
fixed-point layer. The accelerator's convolution and inner product have no bias input: a
model's biases shape the reference activations but are not added by the simulated layer
(its outputs are compared with the reference of the layer without bias; stated
simplification).

Lowering: data movement layers (concat, slice, transpose, pad) run through
``transform_forward``; element-wise products (``Mul``) through ``add_forward`` with
``op="mul"``; a constant operand is one more input tensor read from DRAM; an FC over
leading axes (``MatMul`` with a batch) is one inner product whose rows are the batch
times those axes; an LSTM/GRU sequence is one cell call per step, each step's state
feeding the next (one row per step, named ``<layer>/t<k>``).

Independent layers (a SCALE-Sim topology, Timeloop problem files): every layer gets its
own synthetic input at its input density and its own batch, nothing passes between
layers, and every layer's outputs are checked on their own. The densities of each layer
come from :mod:`workloads.density` (run-wide option, what the model file states,
measured defaults).

Provenance: every row the listener hears of also has ``weights_source``,
``weight_density`` (measured on the mask), ``density_source``, ``density_origin``,
``activations_source``, ``input_density`` (measured), ``input_density_source`` and
``input_density_origin`` (:func:`workloads.sparsity.tensor_source`); the summary has the
same keys over the network (densities over all weighted layers).

ReLU fusion: a ReLU that directly follows a convolution or inner product whose output
nothing else reads runs in the PEs' non-linear unit of that layer (threshold 0: the
accelerator's kernel has no bias input, so the fused layer's output zeros are those of a
plain ReLU, while the next layer's input carries the measured sparsity of the reference
run; stated simplification). The ReLU's own row has kind ``act``, strategy ``fused``
and zero cycles and energy (its work is in the producer's ``pe`` ``nonlinear`` action).

Results: a :class:`RunOutcome` (the network summary and every layer's result); an
optional ``listener`` hears of each layer as it starts and finishes. Memory: a layer's
tensors are held only while it runs (a convolution or inner product hands the
simulator its kept weights alone, so its dense weights are freed first), and the
results of a network run keep no output arrays (each layer's outputs were checked; the
next layer's input is the reference run's). This module writes
no files: :mod:`soc.session` turns a run into ``layers.csv``, ``summary.json`` and the
report. Network totals are sums over layers (layers run one after another):
``wall_s`` is the wall time of the whole run (reference tensors and simulation;
seconds) and ``peak_rss_mb`` the process's peak resident memory so far
(``resource.getrusage``, MB).
"""
from __future__ import annotations

import dataclasses
import resource
import runpy
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

import numpy as np

from soc.arch.vector import VectorArch
from soc.kernels import MAX_INPUTS
from soc.result import LayerResult, design_roofs, summarize
from soc.runtime import api
from soc.runtime.prefetch import prefetch
from workloads.finite import check_finite
from workloads.layers import (
    FC,
    GRU,
    LRN,
    LSTM,
    MOVEMENT_KINDS,
    Activation,
    Add,
    BatchNorm,
    Concat,
    Conv,
    GRUCell,
    Layer,
    LSTMCell,
    Mul,
    Network,
    Pad,
    Pool,
    Slice,
    Transpose,
)
from workloads.sparsity import LayerTensors, PruneSpec, iter_network

if TYPE_CHECKING:
    from workloads.io.model import LoadedModel


class NetworkRunError(RuntimeError):
    """A layer of a network run failed; the message names it. Earlier rows are kept."""

    def __init__(self, layer: str, kind: str, error: BaseException):
        self.layer, self.kind, self.error = layer, kind, error
        super().__init__(f"layer {layer!r} ({kind}) failed: {type(error).__name__}: {error}")


class WorkloadScriptError(ValueError):
    """A workload script that cannot be loaded or lacks ``run(handle)``."""


class NetworkCheckError(ValueError):
    """A network the design cannot run, found before the first cycle (names the layer)."""


RUNNABLE = (Conv, FC, Pool, Activation, LRN, BatchNorm, Add, LSTM, GRU, LSTMCell, GRUCell)  # and MOVEMENT_KINDS


def check_network(network: Network, cfg: VectorArch, layers: list[str] | None = None) -> None:
    """Refuse, before anything is simulated, every layer the accelerator cannot run:
    a kind without an API call, or a convolution with different strides or paddings on
    the two axes (its lowering takes one of each)."""
    from workloads.limits import LayerLimitError, check_layer
    chosen = _select(network, layers)
    for layer in network.layers:
        if chosen is not None and layer.name not in chosen:
            continue
        where = f"network {network.name}, layer {layer.name!r} ({layer.kind})"
        try:
            check_layer(layer, f"network {network.name}")
        except LayerLimitError as exc:
            raise NetworkCheckError(str(exc)) from None
        if isinstance(layer, (Conv, FC, LSTMCell, GRUCell)):
            reduction = int(np.prod(layer.weight_shape[1:]))
            if reduction > MAX_INPUTS:
                raise NetworkCheckError(f"{where}: {reduction:,} inputs per output (weight shape {layer.weight_shape}); "
                                        f"allowed: at most {MAX_INPUTS:,}, the range the 48-bit accumulator sums "
                                        f"exactly")
        if not isinstance(layer, RUNNABLE) and layer.kind not in MOVEMENT_KINDS:
            raise NetworkCheckError(f"{where}: no API call for this layer kind; allowed kinds: "
                                    f"{', '.join(sorted({c.kind for c in RUNNABLE} | set(MOVEMENT_KINDS)))}")
        if isinstance(layer, Conv):
            if layer.stride_hw[0] != layer.stride_hw[1]:
                raise NetworkCheckError(f"{where}: stride {layer.stride_hw}: the accelerator's convolution takes "
                                        f"one stride for both axes (allowed: equal height and width)")
            if layer.padding_hw[0] != layer.padding_hw[1]:
                raise NetworkCheckError(f"{where}: padding {layer.padding_hw}: the accelerator's convolution takes "
                                        f"one padding for both axes (allowed: equal height and width)")


SEED_MAX = 2**32 - 1


def check_seed(seed: int) -> int:
    """A seed of NumPy's generator: an integer in [0, 2^32 - 1]."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= SEED_MAX:
        raise NetworkCheckError(f"seed: must be an integer in [0, {SEED_MAX}], got {seed!r}")
    return int(seed)


# --------------------------------------------------------------------------- reference tensors
def reference_tensors(network: Network, seed: int = 0, *, batch: int = 1, densities=None,
                      batches=None, inputs=None, prune: PruneSpec | None = None,
                      weights: str = "auto", compact: bool = True) -> Iterator[LayerTensors]:
    """Per layer in dependency order, the tensors of a reference run: those of
    :func:`workloads.sparsity.iter_network`, streamed (an output is dropped once no later
    layer reads it, weights are loaded one layer at a time; with ``compact`` a
    convolution or FC layer brings its kept weights alone, which is all the simulator
    reads). ``densities``: per layer :class:`workloads.density.LayerDensity` (default:
    the measured rates); ``batches``: each independent layer's own batch; ``inputs``,
    ``prune``, ``weights``: as :func:`workloads.sparsity.iter_network`."""
    for step in iter_network(network, seed, batch=batch, keep_outputs=False, densities=densities,
                             batches=batches, inputs=inputs, prune=prune, weights=weights, compact=compact):
        box = [step.tensors]
        step = None  # noqa: F841 - hold nothing while the consumer works: it may drop the weights
        yield box.pop()


# --------------------------------------------------------------------------- one layer through the API
def fusable_relus(network: Network) -> set[str]:
    """Names of ReLU layers that run fused in their producer's PEs (none when the layers
    are independent)."""
    if not network.connected:
        return set()
    readers: dict[str, int] = {}
    for layer in network.layers:
        for src in network.producers(layer.name):
            readers[src] = readers.get(src, 0) + 1
    fused = set()
    order = network.order
    for prev, layer in zip(order, order[1:]):  # the ReLU runs right after its producer
        if (isinstance(layer, Activation) and layer.function == "relu" and prev.kind in ("conv", "fc")
                and not getattr(prev, "lead", ()) and network.producers(layer.name) == (prev.name,)
                and readers.get(prev.name) == 1):
            fused.add(layer.name)
    return fused


def _saturate_infinite_pads(network: Network, layer: Layer, t: LayerTensors) -> LayerTensors:
    """The one place an infinity is a value: a constant pad of -inf (or +inf), as ONNX
    pads max pooling, stands for the extreme of the 16-bit grid. The reference run's
    tensor read from such a pad gets its infinities saturated (NaN is still refused);
    every other non-finite value stops the run (see :mod:`workloads.finite`)."""
    producers = [network.layer(p) for p in network.producers(layer.name) if p != "input"]
    if not any(isinstance(p, Pad) and p.mode == "constant" and np.isinf(p.value) for p in producers):
        return t

    def sat(a):
        return np.nan_to_num(np.asarray(a), nan=np.nan, posinf=65536.0, neginf=-65536.0)

    inputs = [sat(a) for a in t.inputs] if isinstance(t.inputs, (list, tuple)) else sat(t.inputs)
    return dataclasses.replace(t, inputs=inputs)


def fused_record(layer: Layer, producer: LayerResult) -> LayerResult:
    """The row of a ReLU done by its producer's non-linear unit: no cycles or energy of its own."""
    return LayerResult(
        name=layer.name, kind=layer.kind, arch=producer.arch, cycles=0, time_s=0.0, energy_pj=0.0,
        energy_by_component={}, energy_by_action={}, useful_macs=0, skipped_macs=0, effectual_macs=0,
        dense_macs=0, dram_bytes_read=0, dram_bytes_written=0, utilization=0.0,
        outputs_match_reference=producer.outputs_match_reference, sim_events=0, wall_s=0.0,
        strategy="fused", tiling={}, traffic_estimate={}, buffer_peak_bytes={},
        area_by_component_mm2=dict(producer.area_by_component_mm2))


def _tensor(data: np.ndarray) -> api.Tensor:
    return api.Tensor(api.TensorDescriptor(data.shape), data)


def _out(batch: int, layer: Layer) -> api.Tensor:
    return api.Tensor(api.TensorDescriptor((batch, *layer.output_shape)))


def _view(x, batch: int, shape) -> np.ndarray:
    """A producer's output read as ``(batch, *shape)`` (a row-major view)."""
    return np.asarray(x, np.float32).reshape(batch, *shape)


def _recurrent(handle: api.Handle, t: LayerTensors, x: np.ndarray, batch: int) -> LayerResult:
    """An LSTM/GRU sequence: one cell call per step, the state carried between steps."""
    layer = t.layer
    assert isinstance(layer, (LSTM, GRU))
    x = _view(x, batch, layer.input_shape)
    w = api.Filter(api.FilterDescriptor(layer.weight_shape), t.weights, t.keep)
    h = layer.hidden_size
    state, cell, result = None, None, None
    for step in range(layer.seq_len):
        y = api.Tensor(api.TensorDescriptor((batch, h)))
        xt = _tensor(np.ascontiguousarray(x[:, step]))
        name = f"{layer.name}/t{step}"
        if isinstance(layer, LSTM):
            c = api.Tensor(api.TensorDescriptor((batch, h)))
            desc = api.LSTMDescriptor(h, 0, layer.peepholes)
            result = api.lstm_cell_forward(handle, desc, xt, w, y, name=name, cell=c,
                                           state=None if state is None else (state, cell),
                                           peepholes=t.extra.get("peepholes"))
            cell = c.data
        else:
            result = api.gru_cell_forward(handle, api.GRUDescriptor(h), xt, w, y, name=name, state=state)
        state = y.data
    return result


def run_layer(handle: api.Handle, t: LayerTensors, *, fuse_relu: bool = False,
              kept: np.ndarray | None = None) -> LayerResult:
    """One workloads layer with its tensors, through the matching API call. ``kept``: the
    kept weights of a convolution or inner product alone (row-major), given instead of
    ``t.weights`` (then None; a compact reference run's tensors bring them as ``t.kept``)."""
    layer = t.layer
    kept = kept if kept is not None else t.kept

    def weights() -> api.Filter:
        desc = api.FilterDescriptor(layer.weight_shape)
        return api.Filter(desc, t.weights, t.keep) if kept is None else api.Filter.from_kept(desc, t.keep, kept)

    if layer.multi_input:
        batch = np.asarray(t.inputs[0]).shape[0]
    else:
        x = np.asarray(t.inputs, np.float32)
        batch = x.shape[0]
    y = _out(batch, layer)
    name = layer.name
    act = "relu" if fuse_relu else None
    if isinstance(layer, Conv):
        if layer.stride_hw[0] != layer.stride_hw[1] or layer.padding_hw[0] != layer.padding_hw[1]:
            raise ValueError(f"{name}: the accelerator's convolution takes one stride and one padding for "
                             f"both axes, got stride {layer.stride_hw}, padding {layer.padding_hw}")
        w = weights()
        conv = api.ConvDescriptor(layer.stride_hw[0], layer.padding_hw[0], layer.groups)
        return api.conv_forward(handle, conv, _tensor(_view(x, batch, layer.input_shape)), w, y, name=name,
                                activation=act)
    if isinstance(layer, FC):
        w = weights()
        rows = batch * layer.rows
        xt = _tensor(x.reshape(rows, layer.in_features))
        yt = api.Tensor(api.TensorDescriptor((rows, layer.out_features)))
        result = api.inner_product_forward(handle, api.InnerProductDescriptor(), xt, w, yt, name=name,
                                           activation=act)
        y.set(yt.data.reshape(y.desc.shape))
        return result
    if isinstance(layer, Pool):
        desc = api.PoolingDescriptor(layer.mode, layer.kernel, layer.stride, layer.padding, layer.ceil_mode,
                                     layer.count_include_pad)
        return api.pooling_forward(handle, desc, _tensor(_view(x, batch, layer.input_shape)), y, name=name)
    if isinstance(layer, Activation):
        desc = api.ActivationDescriptor(layer.function, layer.alpha, layer.beta, layer.low, layer.high, layer.axis)
        return api.activation_forward(handle, desc, _tensor(_view(x, batch, layer.input_shape)), y, name=name,
                                      slope=t.extra.get("slope"))
    if isinstance(layer, LRN):
        desc = api.LRNDescriptor(layer.size, layer.alpha, layer.beta, layer.k)
        return api.lrn_forward(handle, desc, _tensor(_view(x, batch, layer.input_shape)), y, name=name)
    if isinstance(layer, BatchNorm):
        return api.batchnorm_forward(handle, api.BatchNormDescriptor(affine=layer.affine),
                                     _tensor(_view(x, batch, layer.input_shape)), y, name=name,
                                     scale=t.extra.get("scale"), shift=t.extra.get("shift"))
    if isinstance(layer, Add):  # Add and Mul
        xs = [_tensor(_view(a, batch, layer.input_shape_of(k))) for k, a in enumerate(t.inputs)]
        if layer.const_shape:
            rank = len(layer.shape)
            cshape = (1,) * (rank - len(layer.const_shape)) + tuple(layer.const_shape)
            xs.append(_tensor(np.asarray(t.extra["const"], np.float32).reshape(1, *cshape)))
        return api.add_forward(handle, api.AddDescriptor("mul" if isinstance(layer, Mul) else "add"), xs, y,
                               name=name)
    if layer.kind in MOVEMENT_KINDS:
        arrays = t.inputs if layer.multi_input else [t.inputs]
        shapes = tuple(layer.input_shape_of(k) for k in range(len(arrays)))
        if isinstance(layer, Concat):
            desc = api.TransformDescriptor("concat", shapes, axis=layer.axis)
        elif isinstance(layer, Slice):
            desc = api.TransformDescriptor("slice", shapes, region=layer.region)
        elif isinstance(layer, Transpose):
            desc = api.TransformDescriptor("transpose", shapes, perm=layer.perm)
        else:
            assert isinstance(layer, Pad)
            desc = api.TransformDescriptor("pad", shapes, pads=layer.pads, mode=layer.mode, value=layer.value)
        xs = [_tensor(_view(a, batch, s)) for a, s in zip(arrays, shapes)]
        return api.transform_forward(handle, desc, xs, y, name=name)
    if isinstance(layer, (LSTM, GRU)):
        return _recurrent(handle, t, x, batch)
    if isinstance(layer, LSTMCell):
        w = api.Filter(api.FilterDescriptor(layer.weight_shape), t.weights, t.keep)
        desc = api.LSTMDescriptor(layer.hidden_size, layer.proj_size, layer.peepholes)
        return api.lstm_cell_forward(handle, desc, _tensor(x.reshape(batch, -1)), w, y, name=name,
                                     peepholes=t.extra.get("peepholes"), projection=t.extra.get("projection"))
    if isinstance(layer, GRUCell):
        w = api.Filter(api.FilterDescriptor(layer.weight_shape), t.weights, t.keep)
        return api.gru_cell_forward(handle, api.GRUDescriptor(layer.hidden_size), _tensor(x.reshape(batch, -1)),
                                    w, y, name=name)
    raise ValueError(f"{name}: no API call for layer kind {layer.kind!r}")


# --------------------------------------------------------------------------- whole runs
_LIBC = None


def release_free_memory() -> None:
    """Give the memory freed by the last layer back to the operating system (glibc keeps
    freed arrays below its adaptive mmap threshold, up to 32 MB each, in the heap);
    nothing where glibc is not the allocator."""
    global _LIBC
    if _LIBC is None:
        try:
            import ctypes
            _LIBC = ctypes.CDLL("libc.so.6")
            _LIBC.malloc_trim.argtypes = [ctypes.c_size_t]
        except (OSError, AttributeError):
            _LIBC = False
    if _LIBC:
        _LIBC.malloc_trim(0)


def peak_rss_mb() -> float:
    """Peak resident set size of this process (MB): Linux's ``VmHWM``, the high-water mark
    of this program's own memory. ``ru_maxrss`` is the fallback elsewhere; on Linux it
    also keeps the peak of the process that started this one (a Python parent's
    ``subprocess`` shares its memory until exec), so a run started from a large process
    would report that process's peak."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


@dataclass
class RunOutcome:
    """What a run produced: the network summary and the per-layer results (and, when a
    session wrote them to a directory, that directory and the files written)."""
    summary: dict
    results: list[LayerResult]
    out_dir: Path | None = None
    paths: dict = field(default_factory=dict)
    roofs: dict = field(default_factory=dict)   # the design's roofs (soc.result.design_roofs)
    sources: dict = field(default_factory=dict)


class _SourceColumns:
    """A listener whose rows also get the columns in :attr:`columns` (where the layer's
    weights and activations came from, see :func:`workloads.sparsity.tensor_source`)."""

    def __init__(self, listener):
        self._listener = listener
        self.columns: dict = {}

    def begin_layer(self, name: str) -> None:
        self._listener.begin_layer(name)

    def add_layer(self, row):
        return self._listener.add_layer({**dict(row), **self.columns})

    def __getattr__(self, name):
        return getattr(self._listener, name)


def sources_summary(sources: dict, counts: dict) -> dict:
    """Network-level provenance: the distinct sources (comma-joined) and the densities
    over every weighted layer (kept weights / weights, non-zero inputs / inputs)."""
    def distinct(key: str) -> str | None:
        values = sorted({str(v[key]) for v in sources.values() if v.get(key) is not None})
        return ",".join(values) if values else None

    kept = sum(k for k, _, _, _ in counts.values())
    total = sum(t for _, t, _, _ in counts.values())
    nonzero = sum(n for _, _, n, _ in counts.values())
    size = sum(z for _, _, _, z in counts.values())
    return {"weights_source": distinct("weights_source"),
            "weight_density": kept / total if total else None,
            "density_source": distinct("density_source"),
            "activations_source": distinct("activations_source"),
            "input_density": nonzero / size if size else None,
            "input_density_source": distinct("input_density_source")}


def _select(network: Network, layers: list[str] | None) -> set[str] | None:
    if not layers:
        return None
    names = {layer.name for layer in network.layers}
    unknown = [n for n in layers if n not in names]
    if unknown:
        raise NetworkCheckError(f"--layers: unknown layer(s) {unknown} in network {network.name}; "
                         f"allowed: {', '.join(layer.name for layer in network.layers)}")
    return set(layers)


class _Progress:
    """A rich progress bar on stderr when asked for and stderr is a terminal, otherwise
    nothing (a bar written to a file or a pipe is noise, and rich takes a while to import)."""

    def __init__(self, enabled: bool, total: int, title: str):
        self.bar = None
        if enabled and sys.stderr.isatty():
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), transient=False)
            self.bar.start()
            self.task = self.bar.add_task(title, total=total)

    def step(self, text: str) -> None:
        if self.bar is not None:
            self.bar.update(self.task, advance=1, description=text)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def execute(title: str, network_name: str, cfg: VectorArch, steps: Callable[[api.Handle, _Progress], None], *,
            total: int, listener=None, strategy: str | None, progress: bool, seed: int,
            meta: dict | None = None) -> RunOutcome:
    """Shared driver: a handle (announcing each layer to ``listener``), the steps, then the
    network summary. On any failure or interrupt the exception is re-raised with the
    summary of what was simulated attached as ``partial_summary`` (layers done, meta).
    ``meta``: further summary keys, which the steps may fill in as they go."""
    t0 = time.perf_counter()
    handle = api.Handle(cfg, listener=listener, strategy=strategy)
    bar = _Progress(progress, total, title)
    extra = meta if meta is not None else {}
    meta = {"arch": cfg.name, "network": network_name, "seed": seed, "strategy_forced": strategy}
    roofs = design_roofs(cfg)
    try:
        steps(handle, bar)
    except BaseException as exc:  # a failed layer, or an interrupt: keep what was simulated
        bar.close()
        exc.partial_summary = {**summarize(handle.results, roofs), **meta, **extra,  # type: ignore[attr-defined]
                               "wall_s": time.perf_counter() - t0, "peak_rss_mb": peak_rss_mb()}
        exc.partial_results = list(handle.results)  # type: ignore[attr-defined]
        raise
    bar.close()
    summary = {**summarize(handle.results, roofs), **meta, **extra, "wall_s": time.perf_counter() - t0,
               "peak_rss_mb": peak_rss_mb(), "status": "ok"}
    return RunOutcome(summary, handle.results, roofs=roofs)


def run_network(network: Network, cfg: VectorArch, *, seed: int = 0, strategy: str | None = None,
                layers: list[str] | None = None, listener=None, progress: bool = False,
                batch: int = 1, densities=None, batches=None, inputs=None, prune: PruneSpec | None = None,
                weights: str = "auto", tensors: Iterable[LayerTensors | None] | None = None,
                keep_activity: bool = True) -> RunOutcome:
    """Simulate every layer (or the ``layers`` named) of ``network`` on ``cfg``, in
    dependency order.

    ``densities`` (per layer :class:`workloads.density.LayerDensity`, default the measured
    rates) and ``batches`` (each independent layer's own batch) go to the reference run;
    ``inputs``: the network input (``(N, *input_shape)``; default a synthetic one);
    ``prune``: prune the model's weights first; ``weights="synthetic"`` ignores a model's
    own weights.
    Every row the listener hears of, the outcome's ``sources`` and its summary say where
    the weights and activations came from and at what density
    (:func:`workloads.sparsity.tensor_source`).

    ``tensors``, when given, replaces the reference run: per layer in dependency order
    (:attr:`Network.order`), the :class:`~workloads.sparsity.LayerTensors` that
    :func:`reference_tensors` would yield (``None`` for a layer that is not simulated).
    Several designs can so be run on tensors generated once (the arguments of the
    reference run then only describe them).

    ``keep_activity=False`` drops each layer's activity records and buffer counters once
    it has run (they feed a trace and nothing else; VGG-16 gathers about 60 MB of them)."""
    api.check_strategy(strategy)
    check_seed(seed)
    check_network(network, cfg, layers)
    chosen = _select(network, layers)
    fused = fusable_relus(network)
    order = network.order
    todo = [l for l in order if chosen is None or l.name in chosen]
    columns = _SourceColumns(listener) if listener is not None else None
    sources: dict = {}
    counts: dict = {}
    meta: dict = {"connected": network.connected}
    if prune is not None:
        meta["prune"] = (f"{prune.method} to weight density {prune.density}"
                         + (f" in blocks {list(prune.block)}" if prune.block else ""))

    def steps(handle: api.Handle, bar: _Progress) -> None:
        if tensors is not None:
            return run_steps(handle, bar, iter(tensors))
        # the reference run makes the next layer's tensors while this one is simulated
        with prefetch(reference_tensors(network, seed, batch=batch, densities=densities, batches=batches,
                                        inputs=inputs, prune=prune, weights=weights), "reference-run") as stream:
            return run_steps(handle, bar, stream)

    def run_steps(handle: api.Handle, bar: _Progress, stream: Iterator[LayerTensors | None]) -> None:
        last: LayerResult | None = None
        for index, layer in enumerate(order):
            if chosen is None or layer.name in chosen:
                handle.begin(layer.name)  # its reference tensors are part of running it
            try:
                t = next(stream)
            except Exception as exc:  # reference tensors of this layer could not be built
                raise NetworkRunError(layer.name, layer.kind, exc) from exc
            if chosen is not None and layer.name not in chosen:
                last = None
                continue
            sources[layer.name] = t.source
            if columns is not None:
                columns.columns = dict(t.source)
            if layer.weight_shape and t.source:
                xs = t.inputs if isinstance(t.inputs, (list, tuple)) else [t.inputs]
                size = sum(int(np.size(a)) for a in xs)
                counts[layer.name] = (int(np.count_nonzero(t.keep)), int(np.size(t.keep)),
                                      round(t.source["input_density"] * size), size)
            kept = None
            try:
                if isinstance(layer, (Conv, FC)) and (t.kept is not None or np.size(t.weights)):
                    # hand the simulator the kept weights alone (a compact reference run brings
                    # nothing else; the dense float32 weights are the largest array of a run:
                    # 411 MB for VGG16's fc6), once every one of them is known to be finite
                    kept = t.kept if t.kept is not None else t.weights[t.keep]  # type: ignore[index]
                    check_finite(kept, layer.name, "weights")
                    t = replace(t, weights=None, kept=None)  # type: ignore[type-var]  # t is a LayerTensors here
                if layer.name in fused and last is not None and last.name == order[index - 1].name:
                    handle.begin(layer.name)
                    result = handle.record(fused_record(layer, last))
                else:
                    nxt = order[index + 1] if index + 1 < len(order) else None
                    fuse = (nxt is not None and nxt.name in fused
                            and (chosen is None or nxt.name in chosen))
                    result = run_layer(handle, _saturate_infinite_pads(network, layer, t), fuse_relu=fuse, kept=kept)
            except Exception as exc:
                raise NetworkRunError(layer.name, layer.kind, exc) from exc
            del t, kept
            result.outputs = None  # checked against the reference; the next layer's input is the reference run's
            if not keep_activity:
                result.activity, result.counters = [], []
            release_free_memory()
            last = result
            meta.update(sources_summary(sources, counts))
            bar.step(f"{network.name} {layer.name}")

    outcome = execute(f"{network.name} on {cfg.name}", network.name, cfg, steps, total=len(todo),
                      listener=columns, strategy=strategy, progress=progress, seed=seed, meta=meta)
    outcome.sources = sources
    return outcome


def load_script(path: str | Path) -> Callable[..., Any]:
    """The ``run(handle)`` function of a workload script (a Python file using the API)."""
    path = Path(path)
    if not path.is_file():
        raise WorkloadScriptError(f"workload script {path}: no such file")
    try:
        namespace = runpy.run_path(str(path), run_name="socsim_workload")
    except SyntaxError as exc:
        raise WorkloadScriptError(f"workload script {path}: syntax error at line {exc.lineno}: {exc.msg}") from None
    except Exception as exc:
        raise WorkloadScriptError(f"workload script {path}: failed to load: {type(exc).__name__}: {exc}") from None
    run = namespace.get("run")
    if not callable(run):
        raise WorkloadScriptError(f"workload script {path}: must define a function run(handle) that makes "
                                  f"soc.runtime.api forward calls on the handle")
    return run


def run_script(path: str | Path, cfg: VectorArch, *, seed: int = 0, strategy: str | None = None,
               listener=None, progress: bool = False, fn: Callable[..., Any] | None = None) -> RunOutcome:
    """Run a workload script's ``run(handle, seed=...)`` (seed passed when it accepts one);
    ``fn``: its ``run`` function when already loaded (:func:`load_script`)."""
    import inspect
    api.check_strategy(strategy)
    check_seed(seed)
    fn = fn if fn is not None else load_script(path)
    name = Path(path).stem

    def steps(handle: api.Handle, bar: _Progress) -> None:
        try:
            if "seed" in inspect.signature(fn).parameters:
                fn(handle, seed=seed)
            else:
                fn(handle)
        except Exception as exc:
            failed = handle.current_layer
            raise NetworkRunError(failed or f"{name} (after {len(handle.results)} layers)", "script", exc) from exc
        if not handle.results:
            raise NetworkRunError(name, "script", WorkloadScriptError(
                f"workload script {path}: run(handle) made no forward call"))

    return execute(f"{name} on {cfg.name}", name, cfg, steps, total=0, listener=listener, strategy=strategy,
                   progress=False, seed=seed)


def resolve(spec) -> "LoadedModel | Path":
    """A workload script (.py) as its path, or any model :func:`workloads.io.load_model`
    takes (zoo name, network file, Timeloop folder, several layer lists) as a
    :class:`workloads.io.model.LoadedModel`."""
    from workloads.io import load_model
    items = [spec] if isinstance(spec, (str, Path)) else list(spec)
    if len(items) == 1 and Path(str(items[0])).suffix == ".py":
        path = Path(str(items[0]))
        if not path.is_file():
            raise WorkloadScriptError(f"workload script {path}: no such file")
        return path
    if any(Path(str(i)).suffix == ".py" for i in items):
        raise WorkloadScriptError("a workload script runs alone; it cannot be combined with other models")
    return load_model(items)


def model_run_args(model, *, weight_density: float | None = None, input_density: float | None = None) -> dict:
    """The ``densities`` and ``batches`` of :func:`run_network` for a
    :class:`workloads.io.model.LoadedModel`: what its file states, overridden by
    ``weight_density``/``input_density`` (see :mod:`workloads.density`)."""
    from workloads.density import plan_densities
    densities = plan_densities(model.network, model.stated, weight_density=weight_density,
                               input_density=input_density)
    return {"densities": densities, "batches": model.batches or None}


def run_model(model, cfg: VectorArch, *, weight_density: float | None = None,
              input_density: float | None = None, **kwargs) -> RunOutcome:
    """Run a :class:`workloads.io.model.LoadedModel` (see :func:`model_run_args`)."""
    args = model_run_args(model, weight_density=weight_density, input_density=input_density)
    return run_network(model.network, cfg, **args, **kwargs)


def run_any(spec, cfg: VectorArch, **kwargs) -> RunOutcome:
    """Run a zoo name, a network file, layer lists or a workload script (see :func:`resolve`)."""
    target = resolve(spec)
    if isinstance(target, Path):
        for key in ("layers", "batch", "weight_density", "input_density"):
            kwargs.pop(key, None)
        return run_script(target, cfg, **kwargs)
    return run_model(target, cfg, **kwargs)

"""Run a whole network through the programming model (:mod:`soc.compiler.api`) on a preset.

Order: layers run in dependency order (:attr:`workloads.layers.Network.order`), so a
graph with branches and joins (Inception, DenseNet, SqueezeNet's fire modules,
ShuffleNet) runs every producer before its readers.

Tensors: every layer gets the weights and the inputs of a reference run of the network
with the semantics of :func:`workloads.sparsity.iter_network`. A layer that carries
trained weights (an imported ONNX model) computes with them: their zeros are its static
sparsity, the preset's quantization makes the codes; ``prune`` prunes them first with
:mod:`workloads.compress.prune`. Other weighted layers get synthetic block-sparse weights
at the network's measured sparsities (spec 1; none for networks without a measured row),
scaled once so that the layer's output has unit RMS, and (with a measured row) every ReLU
is biased so that the zeros reaching the next weighted layer are the measured dynamic
neuron sparsity. The activations are a forward pass from the input the user gave
(``inputs``) or from a deterministic synthetic one. Each row of layers.csv and the
summary say which: ``weights_source`` (model | pruned | synthetic | none),
``weight_density``, ``activations_source`` (model-input | synthetic-input),
``input_density``. The reference run is streamed (one layer's weights loaded at a time,
an activation dropped as soon as no later layer reads it) so that VGG fits in memory.
Each layer is simulated on the input it received in that run (quantized to 16-bit fixed
point); its own outputs are checked against the NumPy reference of the same fixed-point
layer. The accelerator's convolution and inner product have no bias input: a model's
biases shape the reference activations but are not added by the simulated layer (its
outputs are compared with the reference of the layer without bias; stated simplification).

Lowering: data movement layers (concat, slice, transpose, pad) run through
``transform_forward``; element-wise products (``Mul``) through ``add_forward`` with
``op="mul"``; a constant operand is one more input tensor read from DRAM; an FC over
leading axes (``MatMul`` with a batch) is one inner product whose rows are the batch
times those axes; an LSTM/GRU sequence is one cell call per step, each step's state
feeding the next (one row per step, named ``<layer>/t<k>``).

ReLU fusion: a ReLU that directly follows a convolution or inner product whose output
nothing else reads runs in the PEs' non-linear unit of that layer (threshold 0: the
accelerator's kernel has no bias input, so the fused layer's output zeros are those of a
plain ReLU, while the next layer's input carries the measured sparsity of the reference
run; stated simplification). The ReLU's own row has kind ``act``, strategy ``fused``
and zero cycles and energy (its work is in the producer's ``pe`` ``nonlinear`` action).

Results: one row per layer appended to ``layers.csv`` as the layer finishes
(:class:`reports.writer.RunWriter`), ``summary.json`` at the end (``status`` ok or
failed; on a failure the error names the layer and the rows already written stay), then
the report files of :func:`reports.bundle.write_run_outputs` (``report.html`` ...).
Network totals are sums over layers (layers run one after another). In summary.json
``wall_s`` is the wall time of the whole run (reference tensors and simulation, not the
report files; seconds) and ``peak_rss_mb`` the process's peak resident memory so far
(``resource.getrusage``, MB).
"""
from __future__ import annotations

import resource
import runpy
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from soc.compiler import api
from soc.config import SoCConfig
from soc.result import LayerResult
from workloads.layers import (GRU, LRN, LSTM, MOVEMENT_KINDS, Activation, Add, BatchNorm, Concat, Conv, FC,
                              GRUCell, Layer, LSTMCell, Mul, Network, Pad, Pool, Slice, Transpose)
from workloads.sparsity import LayerTensors, PruneSpec, iter_network, measured_density


class NetworkRunError(RuntimeError):
    """A layer of a network run failed; the message names it. Earlier rows are kept."""

    def __init__(self, layer: str, kind: str, error: BaseException):
        self.layer, self.kind, self.error = layer, kind, error
        super().__init__(f"layer {layer!r} ({kind}) failed: {type(error).__name__}: {error}")


class WorkloadScriptError(ValueError):
    """A workload script that cannot be loaded or lacks ``run(handle)``."""


# --------------------------------------------------------------------------- reference tensors
def reference_tensors(network: Network, seed: int = 0, *, batch: int = 1, inputs=None,
                      prune: PruneSpec | None = None, weights: str = "auto") -> Iterator[LayerTensors]:
    """Per layer in dependency order, the tensors of a reference run: those of
    :func:`workloads.sparsity.iter_network`, streamed (an output is dropped once no later
    layer reads it, weights are loaded one layer at a time)."""
    for step in iter_network(network, seed, batch=batch, keep_outputs=False, inputs=inputs, prune=prune,
                             weights=weights):
        yield step.tensors


# --------------------------------------------------------------------------- one layer through the API
def fusable_relus(network: Network) -> set[str]:
    """Names of ReLU layers that run fused in their producer's PEs: the ReLU reads only a
    convolution or inner product (without leading axes) that nothing else reads, and runs
    right after it."""
    readers: dict[str, int] = {}
    for layer in network.layers:
        for src in network.producers(layer.name):
            readers[src] = readers.get(src, 0) + 1
    fused = set()
    order = network.order
    for prev, layer in zip(order, order[1:]):
        if (isinstance(layer, Activation) and layer.function == "relu" and prev.kind in ("conv", "fc")
                and not getattr(prev, "lead", ()) and network.producers(layer.name) == (prev.name,)
                and readers.get(prev.name) == 1):
            fused.add(layer.name)
    return fused


def fused_record(layer: Layer, producer: LayerResult) -> LayerResult:
    """The row of a ReLU done by its producer's non-linear unit: no cycles or energy of its own."""
    return LayerResult(
        name=layer.name, kind=layer.kind, preset=producer.preset, cycles=0, time_s=0.0, energy_pj=0.0,
        energy_by_component={}, energy_by_action={}, useful_macs=0, skipped_macs=0, effectual_macs=0,
        dense_macs=0, dram_bytes_read=0, dram_bytes_written=0, utilization=0.0,
        outputs_match_reference=producer.outputs_match_reference, sim_events=0, wall_s=0.0,
        strategy="fused", tiling={}, traffic_estimate={}, buffer_peak_bytes={})


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


def run_layer(handle: api.Handle, t: LayerTensors, *, fuse_relu: bool = False) -> LayerResult:
    """One workloads layer with its tensors, through the matching API call."""
    layer = t.layer
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
        w = api.Filter(api.FilterDescriptor(layer.weight_shape), t.weights, t.keep)
        conv = api.ConvDescriptor(layer.stride_hw[0], layer.padding_hw[0], layer.groups)
        return api.conv_forward(handle, conv, _tensor(_view(x, batch, layer.input_shape)), w, y, name=name,
                                activation=act)
    if isinstance(layer, FC):
        w = api.Filter(api.FilterDescriptor(layer.weight_shape), t.weights, t.keep)
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


def row_info(t: LayerTensors) -> dict:
    """The source columns of a layer's row."""
    weighted = bool(t.layer.weight_shape)
    return {"weights_source": t.weights_source if weighted else "none",
            "weight_density": round(t.weight_density, 6) if weighted else None,
            "activations_source": t.activations_source, "input_density": round(t.input_density, 6)}


class SourceTally:
    """Network-level statement of where weights and activations came from."""

    def __init__(self) -> None:
        self.weight_sources: dict[str, int] = {}
        self.kept = self.total = 0
        self.activations_source = ""
        self.input_density: float | None = None

    def add(self, t: LayerTensors, first: bool) -> None:
        if first:
            self.activations_source = t.activations_source
            arrays = t.inputs if t.layer.multi_input else [t.inputs]
            self.input_density = round(measured_density(np.asarray(arrays[0])), 6)
        if t.layer.weight_shape:
            self.weight_sources[t.weights_source] = self.weight_sources.get(t.weights_source, 0) + 1
            self.kept += int(np.count_nonzero(t.keep))
            self.total += int(t.keep.size)

    def summary(self) -> dict:
        srcs = self.weight_sources
        if not srcs:
            source = "none"
        elif len(srcs) == 1:
            source = next(iter(srcs))
        else:
            source = "mixed (" + ", ".join(f"{k}: {v} layers" for k, v in sorted(srcs.items())) + ")"
        return {"weights_source": source,
                "weight_density": round(self.kept / self.total, 6) if self.total else None,
                "activations_source": self.activations_source, "input_density": self.input_density}


# --------------------------------------------------------------------------- whole runs
def peak_rss_mb() -> float:
    """Peak resident set size of this process (MB; ru_maxrss is KB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


@dataclass
class RunOutcome:
    """What a run produced: the summary written to summary.json and the per-layer results."""
    summary: dict
    results: list[LayerResult]
    out_dir: Path | None
    paths: dict = field(default_factory=dict)


def _select(network: Network, layers: list[str] | None) -> set[str] | None:
    if not layers:
        return None
    names = {layer.name for layer in network.layers}
    unknown = [n for n in layers if n not in names]
    if unknown:
        raise ValueError(f"--layers: unknown layer(s) {unknown} in network {network.name}; "
                         f"allowed: {', '.join(layer.name for layer in network.layers)}")
    return set(layers)


class _Progress:
    """A rich progress bar on stderr when asked for, otherwise nothing."""

    def __init__(self, enabled: bool, total: int, title: str):
        self.bar = None
        if enabled:
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


def _summary(writer, extra: dict) -> dict:
    base = writer.summary() if writer is not None and writer.rows else {"layers": 0}
    return {**base, **extra}


def execute(title: str, network_name: str, cfg: SoCConfig, steps: Callable[[api.Handle, _Progress], None], *,
            total: int, out: str | Path | None, strategy: str | None, progress: bool, seed: int,
            report: bool = True, extra_summary: Callable[[], dict] | None = None) -> RunOutcome:
    """Shared driver: a handle (with a RunWriter when ``out`` is given), the steps, then
    summary.json (ok or failed) and the report files. ``extra_summary`` adds keys to the
    summary once the steps ran (or failed)."""
    from reports.writer import RunWriter
    t0 = time.perf_counter()
    writer = RunWriter(out) if out is not None else None
    handle = api.Handle(cfg, writer=writer, strategy=strategy)
    bar = _Progress(progress, total, title)
    meta = {"preset": cfg.preset, "network": network_name, "seed": seed, "strategy_forced": strategy}
    try:
        steps(handle, bar)
    except BaseException as exc:  # a failed layer, or an interrupt: keep what was simulated
        bar.close()
        if writer is not None:
            more = extra_summary() if extra_summary is not None else {}
            summary = _summary(writer, meta | more | {"wall_s": time.perf_counter() - t0, "peak_rss_mb": peak_rss_mb()})
            if isinstance(exc, NetworkRunError):
                writer.finish(summary, failed_layer=exc.layer, error=exc.error)
            else:
                writer.finish(summary, error=exc)
        raise
    bar.close()
    more = extra_summary() if extra_summary is not None else {}
    summary = {**(handle_summary(handle)), **meta, **more, "wall_s": time.perf_counter() - t0,
               "peak_rss_mb": peak_rss_mb(), "status": "ok"}
    outcome = RunOutcome(summary, handle.results, Path(out) if out is not None else None)
    if writer is not None:
        summary = {**writer.summary(), **summary}
        outcome.summary = summary
        writer.finish(summary)
        if report:
            from reports.bundle import write_run_outputs
            outcome.paths = write_run_outputs(out, layers=writer.table(), summary=summary,
                                              title=f"{network_name} on {cfg.preset}", config=cfg)
    return outcome


def handle_summary(handle: api.Handle) -> dict:
    """Network totals of a handle's results (same keys as reports.tables.network_summary)."""
    from reports.tables import network_summary
    if not handle.results:
        return {"layers": 0}
    return network_summary([r.to_dict() for r in handle.results])


def run_network(network: Network, cfg: SoCConfig, *, seed: int = 0, strategy: str | None = None,
                layers: list[str] | None = None, out: str | Path | None = None, progress: bool = False,
                report: bool = True, batch: int = 1, inputs=None, prune: PruneSpec | None = None,
                weights: str = "auto") -> RunOutcome:
    """Simulate every layer (or the ``layers`` named) of ``network`` on ``cfg``, in
    dependency order. ``inputs``: the network input (``(N, *input_shape)``; default a
    synthetic one); ``prune``: prune the model's weights first; ``weights="synthetic"``
    ignores a model's own weights."""
    api.check_strategy(strategy)
    chosen = _select(network, layers)
    fused = fusable_relus(network)
    order = network.order
    todo = [l for l in order if chosen is None or l.name in chosen]
    tally = SourceTally()

    def steps(handle: api.Handle, bar: _Progress) -> None:
        last: LayerResult | None = None
        tensors = reference_tensors(network, seed, batch=batch, inputs=inputs, prune=prune, weights=weights)
        for index, layer in enumerate(order):
            try:
                t = next(tensors)
            except Exception as exc:  # reference tensors of this layer could not be built
                raise NetworkRunError(layer.name, layer.kind, exc) from exc
            tally.add(t, index == 0)
            if chosen is not None and layer.name not in chosen:
                last = None
                continue
            handle.row_info = row_info(t)
            try:
                if layer.name in fused and last is not None and last.name == order[index - 1].name:
                    handle.begin(layer.name)
                    result = handle.record(fused_record(layer, last))
                else:
                    nxt = order[index + 1] if index + 1 < len(order) else None
                    fuse = (nxt is not None and nxt.name in fused
                            and (chosen is None or nxt.name in chosen))
                    result = run_layer(handle, t, fuse_relu=fuse)
            except Exception as exc:
                raise NetworkRunError(layer.name, layer.kind, exc) from exc
            finally:
                handle.row_info = {}
            last = result
            bar.step(f"{network.name} {layer.name}")

    return execute(f"{network.name} on {cfg.preset}", network.name, cfg, steps, total=len(todo), out=out,
                   strategy=strategy, progress=progress, seed=seed, report=report,
                   extra_summary=lambda: {**tally.summary(), **({"prune": f"{prune.method} to density {prune.density}"
                                                                 + (f" in blocks {list(prune.block)}" if prune.block else "")}
                                                              if prune is not None else {})})


def load_script(path: str | Path) -> Callable[[api.Handle], Any]:
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
                                  f"soc.compiler.api forward calls on the handle")
    return run


def run_script(path: str | Path, cfg: SoCConfig, *, seed: int = 0, strategy: str | None = None,
               out: str | Path | None = None, progress: bool = False, report: bool = True) -> RunOutcome:
    """Run a workload script's ``run(handle, seed=...)`` (seed passed when it accepts one)."""
    import inspect
    api.check_strategy(strategy)
    fn = load_script(path)
    name = Path(path).stem

    def steps(handle: api.Handle, bar: _Progress) -> None:
        try:
            if "seed" in inspect.signature(fn).parameters:
                fn(handle, seed=seed)
            else:
                fn(handle)
        except Exception as exc:
            failed = handle.writer.current_layer if handle.writer is not None else None
            raise NetworkRunError(failed or f"{name} (after {len(handle.results)} layers)", "script", exc) from exc
        if not handle.results:
            raise NetworkRunError(name, "script", WorkloadScriptError(
                f"workload script {path}: run(handle) made no forward call"))

    return execute(f"{name} on {cfg.preset}", name, cfg, steps, total=0, out=out, strategy=strategy,
                   progress=False, seed=seed, report=report)


def resolve(spec: str) -> Network | Path:
    """A zoo network name, a network file (.yaml/.yml/.onnx/.csv) or a workload script (.py)."""
    from workloads.io import load_network
    from workloads.zoo import get_network, list_networks
    path = Path(spec)
    if path.suffix == ".py":
        if not path.is_file():
            raise WorkloadScriptError(f"workload script {spec}: no such file")
        return path
    if path.suffix.lower() in (".yaml", ".yml", ".onnx", ".csv"):
        if not path.is_file():
            raise ValueError(f"network file {spec}: no such file")
        return load_network(path)
    if spec in list_networks():
        return get_network(spec)
    raise ValueError(f"unknown network {spec!r}; allowed: {', '.join(list_networks())}, "
                     f"or a .yaml/.yml/.onnx/.csv network file, or a .py workload script")


def run_any(spec: str, cfg: SoCConfig, **kwargs) -> RunOutcome:
    """Run a zoo name, a network file or a workload script (see :func:`resolve`)."""
    target = resolve(spec)
    if isinstance(target, Path):
        kwargs.pop("layers", None)
        kwargs.pop("batch", None)
        return run_script(target, cfg, **kwargs)
    return run_network(target, cfg, **kwargs)

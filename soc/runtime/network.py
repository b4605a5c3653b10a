"""Run a whole network through the programming model (:mod:`soc.runtime.api`) on a design.

Tensors: every layer gets the weights and the inputs of a reference run of the network
with the semantics of :func:`workloads.sparsity.run_network`: block-sparse weights at the
network's measured sparsities (spec 1; none for networks without a measured row), each
weighted layer's weights scaled once so its output has unit RMS, and every ReLU biased so
that the zeros reaching the next weighted layer are the measured dynamic neuron sparsity.
The reference run is streamed (one layer's weights at a time, an activation dropped as
soon as no later layer reads it) so that VGG16 fits in memory. Each layer is simulated on
the input it received in that run (quantized to 16-bit fixed point); its own outputs are
checked against the NumPy reference of the same fixed-point layer.

ReLU fusion: a ReLU that directly follows a convolution or inner product whose output
nothing else reads runs in the PEs' non-linear unit of that layer (threshold 0: the
accelerator's kernel has no bias input, so the fused layer's output zeros are those of a
plain ReLU, while the next layer's input carries the measured sparsity of the reference
run; stated simplification). The ReLU's own row has kind ``act``, strategy ``fused``
and zero cycles and energy (its work is in the producer's ``pe`` ``nonlinear`` action).

Results: a :class:`RunOutcome` (the network summary and every layer's result); an
optional ``listener`` hears of each layer as it starts and finishes. This module writes
no files: :mod:`soc.session` turns a run into ``layers.csv``, ``summary.json`` and the
report. Network totals are sums over layers (layers run one after another):
``wall_s`` is the wall time of the whole run (reference tensors and simulation;
seconds) and ``peak_rss_mb`` the process's peak resident memory so far
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

from soc.runtime import api
from soc.arch.vector import VectorArch
from soc.kernels import MAX_INPUTS
from soc.result import LayerResult, summarize
from workloads.layers import (LRN, Activation, Add, BatchNorm, Conv, FC,
                              GRUCell, Layer, LSTMCell, Network, Pool)
from workloads.sparsity import LayerTensors, iter_network


class NetworkRunError(RuntimeError):
    """A layer of a network run failed; the message names it. Earlier rows are kept."""

    def __init__(self, layer: str, kind: str, error: BaseException):
        self.layer, self.kind, self.error = layer, kind, error
        super().__init__(f"layer {layer!r} ({kind}) failed: {type(error).__name__}: {error}")


class WorkloadScriptError(ValueError):
    """A workload script that cannot be loaded or lacks ``run(handle)``."""


class NetworkCheckError(ValueError):
    """A network the design cannot run, found before the first cycle (names the layer)."""


RUNNABLE = (Conv, FC, Pool, Activation, LRN, BatchNorm, Add, LSTMCell, GRUCell)


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
        if not isinstance(layer, RUNNABLE):
            raise NetworkCheckError(f"{where}: no API call for this layer kind; allowed kinds: "
                                    f"{', '.join(sorted({c.kind for c in RUNNABLE}))}")
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
def reference_tensors(network: Network, seed: int = 0, *, batch: int = 1) -> Iterator[LayerTensors]:
    """Per layer in order, the tensors of a reference run: those of
    :func:`workloads.sparsity.run_network`, streamed (an output is dropped once no later
    layer reads it)."""
    for step in iter_network(network, seed, batch=batch, keep_outputs=False):
        yield step.tensors


# --------------------------------------------------------------------------- one layer through the API
def fusable_relus(network: Network) -> set[str]:
    """Names of ReLU layers that run fused in their producer's PEs."""
    readers: dict[str, int] = {}
    for layer in network.layers:
        for src in network.producers(layer.name):
            readers[src] = readers.get(src, 0) + 1
    fused = set()
    for prev, layer in zip(network.layers, network.layers[1:]):
        if (isinstance(layer, Activation) and layer.function == "relu" and prev.kind in ("conv", "fc")
                and network.producers(layer.name) == (prev.name,) and readers.get(prev.name) == 1):
            fused.add(layer.name)
    return fused


def fused_record(layer: Layer, producer: LayerResult) -> LayerResult:
    """The row of a ReLU done by its producer's non-linear unit: no cycles or energy of its own."""
    return LayerResult(
        name=layer.name, kind=layer.kind, arch=producer.arch, cycles=0, time_s=0.0, energy_pj=0.0,
        energy_by_component={}, energy_by_action={}, useful_macs=0, skipped_macs=0, effectual_macs=0,
        dense_macs=0, dram_bytes_read=0, dram_bytes_written=0, utilization=0.0,
        outputs_match_reference=producer.outputs_match_reference, sim_events=0, wall_s=0.0,
        strategy="fused", tiling={}, traffic_estimate={}, buffer_peak_bytes={})


def _tensor(data: np.ndarray) -> api.Tensor:
    return api.Tensor(api.TensorDescriptor(data.shape), data)


def _out(batch: int, layer: Layer) -> api.Tensor:
    return api.Tensor(api.TensorDescriptor((batch, *layer.output_shape)))


def run_layer(handle: api.Handle, t: LayerTensors, *, fuse_relu: bool = False) -> LayerResult:
    """One workloads layer with its tensors, through the matching API call."""
    layer = t.layer
    if isinstance(layer, Add):
        xs = [_tensor(np.asarray(a, np.float32)) for a in t.inputs]
        batch = xs[0].desc.batch
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
        return api.conv_forward(handle, conv, _tensor(x), w, y, name=name, activation=act)
    if isinstance(layer, FC):
        w = api.Filter(api.FilterDescriptor(layer.weight_shape), t.weights, t.keep)
        xt = _tensor(x.reshape(batch, -1))
        return api.inner_product_forward(handle, api.InnerProductDescriptor(), xt, w, y, name=name, activation=act)
    if isinstance(layer, Pool):
        desc = api.PoolingDescriptor(layer.mode, layer.kernel, layer.stride, layer.padding, layer.ceil_mode)
        return api.pooling_forward(handle, desc, _tensor(x), y, name=name)
    if isinstance(layer, Activation):
        return api.activation_forward(handle, api.ActivationDescriptor(layer.function),
                                      _tensor(x.reshape(batch, *layer.input_shape)), y, name=name)
    if isinstance(layer, LRN):
        desc = api.LRNDescriptor(layer.size, layer.alpha, layer.beta, layer.k)
        return api.lrn_forward(handle, desc, _tensor(x), y, name=name)
    if isinstance(layer, BatchNorm):
        return api.batchnorm_forward(handle, api.BatchNormDescriptor(), _tensor(x), y, name=name)
    if isinstance(layer, Add):
        return api.add_forward(handle, api.AddDescriptor(), xs, y, name=name)
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
def peak_rss_mb() -> float:
    """Peak resident set size of this process (MB; ru_maxrss is KB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


@dataclass
class RunOutcome:
    """What a run produced: the network summary and the per-layer results (and, when a
    session wrote them to a directory, that directory and the files written)."""
    summary: dict
    results: list[LayerResult]
    out_dir: Path | None = None
    paths: dict = field(default_factory=dict)


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


def execute(title: str, network_name: str, cfg: VectorArch, steps: Callable[[api.Handle, _Progress], None], *,
            total: int, listener=None, strategy: str | None, progress: bool, seed: int) -> RunOutcome:
    """Shared driver: a handle (announcing each layer to ``listener``), the steps, then the
    network summary. On any failure or interrupt the exception is re-raised with the
    summary of what was simulated attached as ``partial_summary`` (layers done, meta)."""
    t0 = time.perf_counter()
    handle = api.Handle(cfg, listener=listener, strategy=strategy)
    bar = _Progress(progress, total, title)
    meta = {"arch": cfg.name, "network": network_name, "seed": seed, "strategy_forced": strategy}
    try:
        steps(handle, bar)
    except BaseException as exc:  # a failed layer, or an interrupt: keep what was simulated
        bar.close()
        exc.partial_summary = {**summarize(handle.results), **meta,  # type: ignore[attr-defined]
                               "wall_s": time.perf_counter() - t0, "peak_rss_mb": peak_rss_mb()}
        exc.partial_results = list(handle.results)  # type: ignore[attr-defined]
        raise
    bar.close()
    summary = {**summarize(handle.results), **meta, "wall_s": time.perf_counter() - t0,
               "peak_rss_mb": peak_rss_mb(), "status": "ok"}
    return RunOutcome(summary, handle.results)


def run_network(network: Network, cfg: VectorArch, *, seed: int = 0, strategy: str | None = None,
                layers: list[str] | None = None, listener=None, progress: bool = False,
                batch: int = 1) -> RunOutcome:
    """Simulate every layer (or the ``layers`` named) of ``network`` on ``cfg``."""
    api.check_strategy(strategy)
    check_seed(seed)
    check_network(network, cfg, layers)
    chosen = _select(network, layers)
    fused = fusable_relus(network)
    todo = [l for l in network.layers if chosen is None or l.name in chosen]

    def steps(handle: api.Handle, bar: _Progress) -> None:
        last: LayerResult | None = None
        tensors = reference_tensors(network, seed, batch=batch)
        for index, layer in enumerate(network.layers):
            if chosen is None or layer.name in chosen:
                handle.begin(layer.name)  # its reference tensors are part of running it
            try:
                t = next(tensors)
            except Exception as exc:  # reference tensors of this layer could not be built
                raise NetworkRunError(layer.name, layer.kind, exc) from exc
            if chosen is not None and layer.name not in chosen:
                last = None
                continue
            try:
                if layer.name in fused and last is not None and last.name == network.layers[index - 1].name:
                    handle.begin(layer.name)
                    result = handle.record(fused_record(layer, last))
                else:
                    nxt = network.layers[index + 1] if index + 1 < len(network.layers) else None
                    fuse = (nxt is not None and nxt.name in fused
                            and (chosen is None or nxt.name in chosen))
                    result = run_layer(handle, t, fuse_relu=fuse)
            except Exception as exc:
                raise NetworkRunError(layer.name, layer.kind, exc) from exc
            last = result
            bar.step(f"{network.name} {layer.name}")

    return execute(f"{network.name} on {cfg.name}", network.name, cfg, steps, total=len(todo), listener=listener,
                   strategy=strategy, progress=progress, seed=seed)


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


def run_any(spec: str, cfg: VectorArch, **kwargs) -> RunOutcome:
    """Run a zoo name, a network file or a workload script (see :func:`resolve`)."""
    target = resolve(spec)
    if isinstance(target, Path):
        kwargs.pop("layers", None)
        kwargs.pop("batch", None)
        return run_script(target, cfg, **kwargs)
    return run_network(target, cfg, **kwargs)

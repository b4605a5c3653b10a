"""The programming model: a cuDNN-style library API over the simulated accelerator (docs/hardware.md §6).

Describe the data, describe the operation, then call a forward function::

    h = Handle("coarse-sparse")
    x = Tensor(TensorDescriptor((1, 3, 32, 32)), data)                 # float32, batch first
    w = Filter(FilterDescriptor((32, 3, 5, 5), bits=16), weights, keep)
    y = Tensor(TensorDescriptor((1, 32, 32, 32)))
    result = conv_forward(h, ConvDescriptor(padding=2), x, w, y, activation="relu")
    y.data      # the layer's output as the accelerator computed it (float32 view of int16)

Every forward call returns a :class:`soc.result.LayerResult` (same ``to_dict()`` keys for
every kind), books its energy into ``handle.ledger`` and, when the handle has a
:class:`reports.writer.RunWriter`, appends its row to ``layers.csv`` at once.

Numbers: tensors hold float32 values; the accelerator computes in 16-bit fixed point:
neurons in Q(15-f).f with f = ``config.frac_bits``, weights with a per-layer format
(:func:`soc.runtime.simulate.weight_frac_bits`). A tensor's data is rounded to that grid on the
way in and output data lies on it, so chaining calls loses nothing further.

What runs where:

* ``conv_forward`` / ``inner_product_forward``: lowered, tiled, compiled and run by the
  SimPy model of the accelerator (:func:`soc.runtime.simulate.simulate_layer`); a ReLU given as
  ``activation`` is fused into the PEs' non-linear unit. Outputs are checked bit for
  bit against the NumPy reference of the same fixed-point layer.
* ``pooling_forward``, ``activation_forward``, ``lrn_forward``, ``batchnorm_forward``,
  ``add_forward`` (sum or product, with broadcasting): on the NFU, with the
  transaction-level cost of :mod:`soc.vector.elementwise`. The NFU result is computed in fixed point (max pooling, ReLU
  and add on the int16 values, exactly; average pooling, sigmoid/tanh, LRN and batch norm
  in float64 from the int16 inputs, rounded once to the output grid: the NFU's dividers
  and look-up tables are modelled as exact to one output LSB, a stated simplification)
  and checked against ``workloads.forward`` run in float32 on the same (dequantized)
  inputs and rounded to the grid: equal for the exact operations, within
  ``ROUNDING_TOLERANCE_LSB`` for the others (float32 vs float64 and ties in rounding).
* ``lstm_cell_forward`` / ``gru_cell_forward``: the gate matrix-vector products (and an
  LSTM projection) run on the accelerator as FC products (dense activations, no fused
  non-linearity); the gate arithmetic runs on the NFU in fixed point. The cell output is
  checked against ``workloads.forward`` on the same quantized operands within
  ``RECURRENT_TOLERANCE_LSB`` (each matrix product rounds its sums to 16 bits before the
  gates see them, and the projection sums those roundings again; measured: at most 1 LSB
  on the zoo's lstm and gru and on workloads/examples/lstm_step.py).
* ``transform_forward``: data movement (concatenation, slicing, transposition, padding):
  every input is read from DRAM and the output written back through NBin/NBout by the
  NFU without arithmetic (:mod:`soc.vector.elementwise` with no operations); values are copied
  exactly. A concatenation is modelled as a copy (a producer writing straight into its
  slice of the joined tensor would save it: stated simplification).

Descriptor flags: ``TensorDescriptor.dynamic_sparse`` says whether a tensor's zeros may be
skipped and stored compressed: only a design with bitmask neurons (an NSM and an encoder)
can (the others always store and multiply every neuron). ``FilterDescriptor.static_sparse``
says whether pruned weights (``keep`` False) are removed: with False every weight is
stored and multiplied on every design. ``placement`` names where a tensor lives between
calls; the compiler places each tile on chip itself (inputs NBin/NIBin, weights SB/SIB,
outputs NBout: see :func:`data_placement`).
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Sequence

import numpy as np

from energy.ledger import EnergyLedger
from soc.arch import VectorArch, load_design
from soc.compiler.lowering import lower_fc, weight_frac_bits
from soc.compiler.program import STRATEGIES
from soc.result import LayerResult
from soc.runtime.simulate import simulate_layer, simulate_matrices
from soc.vector.elementwise import combine, run_elementwise
from workloads import forward as ref
from workloads.finite import check_finite
from workloads.layers import (
    ACTIVATION_FUNCTIONS,
    FC,
    LRN,
    Activation,
    Add,
    BatchNorm,
    Concat,
    Conv,
    GRUCell,
    Layer,
    LSTMCell,
    Mul,
    Pad,
    Pool,
    Slice,
    Transpose,
)
from workloads.sparsity import block_sparse_weights, to_fixed

PLACEMENTS = ("dram",)
ROUNDING_TOLERANCE_LSB = 1
RECURRENT_TOLERANCE_LSB = 4
ACTIVATIONS = ACTIVATION_FUNCTIONS
TRANSFORMS = ("concat", "slice", "transpose", "pad")


# --------------------------------------------------------------------------- descriptors
def _shape(shape, what: str, dims: tuple[int, ...]) -> tuple[int, ...]:
    try:
        out = tuple(int(s) for s in shape)
    except (TypeError, ValueError):
        raise ValueError(f"{what}: shape must be a tuple of positive integers, got {shape!r}") from None
    if len(out) not in dims or min(out) < 1:
        raise ValueError(f"{what}: shape must have {' or '.join(map(str, dims))} positive sizes, got {shape!r}")
    return out


@dataclass(frozen=True)
class TensorDescriptor:
    """An activation tensor, batch first: (N, C, H, W) or (N, F) (element-wise and data
    movement calls also take other ranks, up to 6 axes).

    ``dynamic_sparse``: its zeros (ReLU) may be skipped and stored compressed (used by the
    designs with bitmask neurons). ``placement``: where it lives between calls (``"dram"``)."""
    shape: tuple
    dynamic_sparse: bool = True
    placement: str = "dram"

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", _shape(self.shape, "TensorDescriptor", (2, 3, 4, 5, 6)))
        if self.placement not in PLACEMENTS:
            raise ValueError(f"TensorDescriptor.placement: unknown {self.placement!r}; allowed: {', '.join(PLACEMENTS)}")

    @property
    def batch(self) -> int:
        return self.shape[0]

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return self.shape[1:]


@dataclass(frozen=True)
class FilterDescriptor:
    """Weights: (C_out, C_in/groups, Kh, Kw) for a convolution, (N_out, N_in) for an inner
    product or a recurrent cell's stacked gate matrix.

    ``static_sparse``: pruned weights (keep False) are removed from storage and work.
    ``bits``: width of the stored weight codes (1..16; None: the config's ``weight_bits``);
    below 16 the weights must take at most 2**bits distinct values (the PE's WDM decodes
    codes by look-up table; the check is skipped when the width comes from the config,
    which then states the quantization of the whole run).
    ``block``: the pruning block ((B_out, B_in) or (B_fout, B_fin, Bx, By)) used by
    :meth:`Filter.generate`."""
    shape: tuple
    static_sparse: bool = True
    bits: int | None = None
    block: tuple | None = None
    placement: str = "dram"

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", _shape(self.shape, "FilterDescriptor", (2, 4)))
        if self.bits is not None and (isinstance(self.bits, bool) or not isinstance(self.bits, int)
                                      or not 1 <= self.bits <= 16):
            raise ValueError(f"FilterDescriptor.bits must be an integer in [1, 16], got {self.bits!r}")
        if self.block is not None:
            block = tuple(int(b) for b in self.block)
            if len(block) != len(self.shape) or any(not 1 <= b <= s for b, s in zip(block, self.shape)):
                raise ValueError(f"FilterDescriptor.block must have {len(self.shape)} sizes, each in [1, the "
                                 f"filter's size on that axis {self.shape}], got {self.block!r}")
            object.__setattr__(self, "block", block)
        if self.placement not in PLACEMENTS:
            raise ValueError(f"FilterDescriptor.placement: unknown {self.placement!r}; allowed: {', '.join(PLACEMENTS)}")


@dataclass(frozen=True)
class ConvDescriptor:
    stride: int = 1
    padding: int = 0
    groups: int = 1

    def __post_init__(self) -> None:
        for name, lo in (("stride", 1), ("padding", 0), ("groups", 1)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < lo:
                raise ValueError(f"ConvDescriptor.{name} must be an integer >= {lo}, got {v!r}")


@dataclass(frozen=True)
class InnerProductDescriptor:
    """A fully-connected layer: y = W x (inputs flattened per sample)."""


@dataclass(frozen=True)
class PoolingDescriptor:
    mode: str = "max"
    kernel: int = 2
    stride: int = 2
    padding: int = 0
    ceil_mode: bool = False
    count_include_pad: bool = True  # average pooling divides by the padded window (False: by the input's part)

    def __post_init__(self) -> None:
        if self.mode not in ("max", "avg"):
            raise ValueError(f"PoolingDescriptor.mode must be 'max' or 'avg', got {self.mode!r}")


@dataclass(frozen=True)
class ActivationDescriptor:
    """An element-wise activation (see :class:`workloads.layers.Activation` for each
    function and its ``alpha``, ``beta``, ``low``, ``high``; softmax normalises along
    per-sample ``axis``)."""
    function: str = "relu"
    alpha: float = 0.0
    beta: float = 0.0
    low: float = -np.inf
    high: float = np.inf
    axis: int = -1

    def __post_init__(self) -> None:
        if self.function not in ACTIVATIONS:
            raise ValueError(f"ActivationDescriptor.function: unknown {self.function!r}; allowed: {', '.join(ACTIVATIONS)}")


@dataclass(frozen=True)
class LRNDescriptor:
    size: int = 5
    alpha: float = 1e-4
    beta: float = 0.75
    k: float = 1.0


@dataclass(frozen=True)
class BatchNormDescriptor:
    """Standardise each channel with the batch's statistics (as ``workloads.forward``),
    then scale and shift; with ``affine`` (inference, statistics folded into the scale
    and shift) only ``x * scale + shift``."""
    eps: float = 1e-5
    affine: bool = False


@dataclass(frozen=True)
class AddDescriptor:
    """Element-wise sum (``op="add"``) or product (``op="mul"``) of two or more tensors,
    saturating; every input broadcasts to the output's shape (NumPy rules)."""
    op: str = "add"

    def __post_init__(self) -> None:
        if self.op not in ("add", "mul"):
            raise ValueError(f"AddDescriptor.op must be 'add' or 'mul', got {self.op!r}")


@dataclass(frozen=True)
class TransformDescriptor:
    """Data movement, per sample (batch axis excluded; ``shapes`` are the per-sample
    shapes the inputs are viewed as, row-major): ``concat`` along ``axis``; ``slice`` a
    box ``region`` ((start, stop, step) per axis); ``transpose`` by ``perm``; ``pad`` by
    ``pads`` ((before, after) per axis) in ``mode`` constant (``value``; -inf pads with
    the most negative number), edge or reflect."""
    op: str
    shapes: tuple
    axis: int = 0
    region: tuple = ()
    perm: tuple = ()
    pads: tuple = ()
    mode: str = "constant"
    value: float = 0.0

    def __post_init__(self) -> None:
        if self.op not in TRANSFORMS:
            raise ValueError(f"TransformDescriptor.op: unknown {self.op!r}; allowed: {', '.join(TRANSFORMS)}")

    def layer(self, name: str):
        """The :mod:`workloads.layers` description of this movement."""
        ins = tuple(f"in{k}" for k in range(len(self.shapes)))
        if self.op == "concat":
            return Concat(name, self.shapes, self.axis, inputs=ins)
        if self.op == "slice":
            return Slice(name, self.shapes[0], self.region)
        if self.op == "transpose":
            return Transpose(name, self.shapes[0], self.perm)
        return Pad(name, self.shapes[0], self.pads, self.mode, self.value)


@dataclass(frozen=True)
class LSTMDescriptor:
    hidden_size: int
    proj_size: int = 0
    peepholes: bool = True


@dataclass(frozen=True)
class GRUDescriptor:
    hidden_size: int


# --------------------------------------------------------------------------- data
@dataclass
class Tensor:
    """A tensor: its descriptor and its float32 data (None until an operation writes it)."""
    desc: TensorDescriptor
    data: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.data is not None:
            self.data = self._check(self.data)

    def _check(self, data) -> np.ndarray:
        a = np.asarray(data, dtype=np.float32)
        if a.shape != self.desc.shape:
            raise ValueError(f"tensor data has shape {a.shape} but its descriptor says {self.desc.shape}")
        return a

    def set(self, data) -> None:
        self.data = self._check(data)

    def required(self, what: str, tensor: str = "input tensor") -> np.ndarray:
        """The data, which must be present and finite (``what`` names the layer)."""
        if self.data is None:
            raise ValueError(f"{what}: the input tensor {self.desc.shape} has no data")
        return check_finite(self.data, what, tensor)


@dataclass
class Filter:
    """Weights (float32) and their keep mask (True = not pruned).

    :meth:`from_kept` makes a filter from its keep mask and the kept weights alone (row-
    major order); its ``weights`` are then None and :meth:`dense` builds them on request,
    so that a large pruned layer need not be held densely while it is simulated."""
    desc: FilterDescriptor
    weights: np.ndarray | None
    keep: np.ndarray | None = None
    kept: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.weights is None:
            keep = np.asarray(self.keep, dtype=bool) if self.keep is not None else None
            if keep is None or self.kept is None:
                raise ValueError("Filter: give the weights, or the keep mask and the kept weights")
            if keep.shape != self.desc.shape:
                raise ValueError(f"filter keep mask has shape {keep.shape} but the descriptor says {self.desc.shape}")
            kept = np.asarray(self.kept, dtype=np.float32).ravel()
            if kept.size != int(np.count_nonzero(keep)):
                raise ValueError(f"filter: {kept.size} kept weights for a keep mask with {np.count_nonzero(keep)} "
                                 f"set positions")
            self.keep, self.kept = keep, kept
            return
        w = np.asarray(self.weights, dtype=np.float32)
        if w.shape != self.desc.shape:
            raise ValueError(f"filter weights have shape {w.shape} but the descriptor says {self.desc.shape}")
        keep = (w != 0) if self.keep is None else np.asarray(self.keep, dtype=bool)
        if keep.shape != w.shape:
            raise ValueError(f"filter keep mask has shape {keep.shape}, weights {w.shape}")
        self.weights, self.keep = w, keep

    @classmethod
    def generate(cls, desc: FilterDescriptor, density: float, seed: int = 0) -> "Filter":
        """Block-sparse synthetic weights keeping ``density`` of them in ``desc.block``s."""
        w, keep = block_sparse_weights(desc.shape, density, desc.block, seed)
        return cls(desc, w, keep)

    @classmethod
    def from_kept(cls, desc: FilterDescriptor, keep: np.ndarray, kept: np.ndarray) -> "Filter":
        """A filter given by its keep mask and its kept weights in row-major order (the
        pruned ones are zero)."""
        return cls(desc, None, keep, kept)

    def dense(self) -> np.ndarray:
        """The (float32) weights, pruned ones zero."""
        if self.weights is not None:
            return self.weights
        w = np.zeros(self.keep.shape, np.float32)
        w[self.keep] = self.kept
        return w

    def kept_values(self) -> np.ndarray:
        """The weights at the positions of :meth:`effective_keep`, in row-major order."""
        if self.weights is not None:
            return self.weights[self.effective_keep()]
        return self.kept if self.desc.static_sparse else self.dense().ravel()

    def effective_keep(self) -> np.ndarray:
        return self.keep if self.desc.static_sparse else np.ones(self.keep.shape, bool)


# --------------------------------------------------------------------------- handle
class Handle:
    """Owns the design, the energy ledger of every call, the results in call order, an
    optional listener (told ``begin_layer(name)`` before each call and ``add_layer(row)``
    after it, e.g. a writer of layers.csv) and an optional forced reuse strategy."""

    def __init__(self, config: VectorArch | str = "coarse-sparse", *, listener=None, strategy: str | None = None,
                 writer=None):
        if isinstance(config, str):
            config = load_design(config, kind="vector")  # a shipped design name or a design file
        if not isinstance(config, VectorArch):
            raise TypeError(f"config must be a VectorArch or a design name, got {type(config).__name__}")
        check_strategy(strategy)
        from soc.vector.pricing import price_table
        price_table(config)  # every action the design books is priced (PricingError) before any call runs
        self.config = config
        self.ledger = EnergyLedger()
        self.listener = listener if listener is not None else writer
        self.strategy = strategy
        self.current_layer: str | None = None
        self.described: list[Layer] = []  # the layer of every call, in call order
        self.results: list[LayerResult] = []

    @property
    def frac_bits(self) -> int:
        return self.config.frac_bits

    def name(self, name: str | None, kind: str) -> str:
        """The call's layer name (default: kind + call number), announced to the listener
        first so that a failure in the call is reported under it."""
        if name is None:
            name = f"{kind}{len(self.results) + 1}"
        self.begin(name)
        if any(r.name == name for r in self.results):
            raise ValueError(f"layer name {name!r} is already used in this handle")
        return name

    def begin(self, name: str, layer: Layer | None = None) -> None:
        """Announce the call ``name``; ``layer`` (the workloads layer the call describes)
        is kept in :attr:`described`, so a script's layers can be listed."""
        self.current_layer = name
        if layer is not None:
            self.described.append(layer)
        if self.listener is not None:
            self.listener.begin_layer(name)

    def record(self, result: LayerResult) -> LayerResult:
        self.results.append(result)
        if self.listener is not None:
            self.listener.add_layer(result.to_dict())
        return result

    def fixed(self, x: np.ndarray, *, layer: str | None = None, tensor: str = "tensor") -> np.ndarray:
        """``x`` in the neurons' fixed-point format; with ``layer``, a non-finite value is
        refused naming the layer and ``tensor``."""
        if layer is not None:
            check_finite(x, layer, tensor)
        return to_fixed(x, self.frac_bits)

    def real(self, q: np.ndarray) -> np.ndarray:
        return (np.asarray(q, np.float64) / (1 << self.frac_bits)).astype(np.float32)


def check_strategy(strategy: str | None) -> None:
    if strategy is not None and strategy not in STRATEGIES:
        raise ValueError(f"strategy: unknown {strategy!r}; allowed: {', '.join(STRATEGIES)}")


def data_placement(cfg: VectorArch) -> dict[str, tuple[str, ...]]:
    """Where the compiler places each operand's tiles on chip for a design (docs/hardware.md §6)."""
    return {"inputs": ("nbin", "nibin") if cfg.compressed_neurons else ("nbin",),
            "weights": ("sb", "sib") if cfg.shared_index else ("sb",),
            "outputs": ("nbout",)}


# --------------------------------------------------------------------------- helpers
def _filter_config(handle: Handle, w: Filter, what: str) -> VectorArch:
    cfg = handle.config
    bits = w.desc.bits
    if bits is None:
        return cfg
    if bits < 16:
        shift = weight_frac_bits(w.dense())
        distinct = np.unique(to_fixed(w.kept_values(), shift)).size
        if distinct > 2 ** bits:
            raise ValueError(f"{what}: FilterDescriptor.bits={bits} allows {2 ** bits} distinct weights, "
                             f"the filter has {distinct}; quantize it first or raise bits")
    return cfg if bits == cfg.weight_bits else cfg.with_changes(weight_bits=bits)


def _check_output(y: Tensor, shape: tuple[int, ...], what: str) -> None:
    if y.desc.shape != tuple(shape):
        raise ValueError(f"{what}: output descriptor shape {y.desc.shape} does not match the operation's "
                         f"output shape {tuple(shape)}")


def _fused(activation: str | ActivationDescriptor | None, what: str) -> str:
    if activation is None:
        return "none"
    fn = activation.function if isinstance(activation, ActivationDescriptor) else activation
    if fn != "relu":
        raise ValueError(f"{what}: only 'relu' can be fused into the PEs' non-linear unit, got {fn!r}; "
                         f"run sigmoid/tanh with activation_forward")
    return "relu"


# --------------------------------------------------------------------------- matrix layers
def conv_forward(handle: Handle, conv: ConvDescriptor, x: Tensor, w: Filter, y: Tensor, *,
                 name: str | None = None, activation: str | ActivationDescriptor | None = None,
                 strategy: str | None = None) -> LayerResult:
    """Convolution on the accelerator; ``activation="relu"`` fuses ReLU into the PEs."""
    name = handle.name(name, "conv")
    xd = x.required(name)
    if len(x.desc.shape) != 4 or len(w.desc.shape) != 4:
        raise ValueError(f"{name}: a convolution needs a (N, C, H, W) input and a 4-D filter")
    n, c, hh, ww = x.desc.shape
    c_out, c_in_g, kh, kw = w.desc.shape
    layer = Conv(name, c, c_out, (kh, kw), (hh, ww), stride=conv.stride, padding=conv.padding, groups=conv.groups)
    if layer.weight_shape != w.desc.shape:
        raise ValueError(f"{name}: filter shape {w.desc.shape} does not fit the input (expected {layer.weight_shape})")
    _check_output(y, (n, *layer.output_shape), name)
    act = _fused(activation, name)
    check_finite(w.weights if w.weights is not None else w.kept, name, "weights")
    cfg = _filter_config(handle, w, name)
    check_strategy(strategy)
    handle.begin(name, layer)
    tensors = SimpleNamespace(kept=w.kept_values(), keep=w.effective_keep(), inputs=xd)
    result = simulate_layer(layer, tensors, cfg, strategy=strategy or handle.strategy, activation=act,
                            ledger=handle.ledger)
    e, f = layer.out_hw
    out = result.outputs.reshape(e * f, n, c_out).transpose(1, 2, 0).reshape(n, c_out, e, f)
    y.set(handle.real(out))
    result.outputs = out
    return handle.record(result)


def inner_product_forward(handle: Handle, ip: InnerProductDescriptor, x: Tensor, w: Filter, y: Tensor, *,
                          name: str | None = None, activation: str | ActivationDescriptor | None = None,
                          strategy: str | None = None) -> LayerResult:
    """Fully-connected layer on the accelerator (the batch forms the rows of one matrix)."""
    name = handle.name(name, "fc")
    xd = x.required(name)
    n = x.desc.batch
    n_in = int(np.prod(x.desc.sample_shape))
    if len(w.desc.shape) != 2 or w.desc.shape[1] != n_in:
        raise ValueError(f"{name}: filter must be (N_out, {n_in}) for this input, got {w.desc.shape}")
    layer = FC(name, n_in, w.desc.shape[0])
    _check_output(y, (n, layer.out_features), name)
    act = _fused(activation, name)
    check_finite(w.weights if w.weights is not None else w.kept, name, "weights")
    cfg = _filter_config(handle, w, name)
    check_strategy(strategy)
    handle.begin(name, layer)
    tensors = SimpleNamespace(kept=w.kept_values(), keep=w.effective_keep(), inputs=xd.reshape(n, n_in))
    result = simulate_layer(layer, tensors, cfg, strategy=strategy or handle.strategy, activation=act,
                            ledger=handle.ledger)
    y.set(handle.real(result.outputs))
    return handle.record(result)


def matrix_product(handle: Handle, name: str, xq: np.ndarray, w: np.ndarray, keep: np.ndarray,
                   cfg: VectorArch | None = None) -> tuple[LayerResult, np.ndarray, int]:
    """One FC product xq (B, N_in) int16 . w^T on the accelerator, no fused non-linearity:
    returns the result, the int16 outputs (neuron Q-format) and the weights' format."""
    cfg = cfg or handle.config
    shift = weight_frac_bits(w)
    parts = lower_fc(name, xq, to_fixed(w, shift), keep)
    for p in parts:
        p.shift = shift
    res = simulate_matrices(name, "fc", parts, cfg, strategy=handle.strategy, activation="none", ledger=handle.ledger)
    return res, res.outputs, shift


# --------------------------------------------------------------------------- element-wise layers
def _elementwise(handle: Handle, name: str, kind: str, xs_q: Sequence[np.ndarray], yq: np.ndarray,
                 ref_q: np.ndarray, tol: int, ops: dict[str, int], y: Tensor, wall: float) -> LayerResult:
    diff = int(np.max(np.abs(yq.astype(np.int32) - ref_q.astype(np.int32)))) if yq.size else 0
    result = run_elementwise(name, kind, xs_q, yq, ops, handle.config, matches=diff <= tol,
                             ledger=handle.ledger, wall_start=wall)
    y.set(handle.real(yq))
    return handle.record(result)


def pooling_forward(handle: Handle, pool: PoolingDescriptor, x: Tensor, y: Tensor, *,
                    name: str | None = None) -> LayerResult:
    """Max pooling (compare per window position) or average pooling (add per position,
    one multiply by 1/count per output) on the NFU."""
    name = handle.name(name, "pool")
    xd = x.required(name)
    if len(x.desc.shape) != 4:
        raise ValueError(f"{name}: pooling needs a (N, C, H, W) input, got {x.desc.shape}")
    n, c, hh, ww = x.desc.shape
    layer = Pool(name, c, (hh, ww), pool.kernel, pool.stride, pool.padding, pool.mode, pool.ceil_mode,
                 pool.count_include_pad)
    _check_output(y, (n, *layer.output_shape), name)
    handle.begin(name, layer)
    wall = time.perf_counter()
    xq = handle.fixed(xd)
    if pool.mode == "max":   # exact: the maximum of integers
        yq = ref.pool_forward(layer, xq.astype(np.float32)).astype(np.int16)
        ops, tol = {"compare": n * layer.ops}, 0
    else:
        yq = np.clip(np.rint(ref.pool_forward(layer, xq.astype(np.float32)).astype(np.float64)), -32768, 32767).astype(np.int16)
        ops, tol = {"add": n * layer.ops, "multiply": n * int(np.prod(layer.output_shape))}, ROUNDING_TOLERANCE_LSB
    ref_q = handle.fixed(ref.pool_forward(layer, handle.real(xq)), layer=name,
                         tensor="reference output")
    return _elementwise(handle, name, "pool", [xq], yq, ref_q, tol, ops, y, wall)


def activation_forward(handle: Handle, act: ActivationDescriptor, x: Tensor, y: Tensor, *,
                       name: str | None = None, slope: np.ndarray | None = None) -> LayerResult:
    """Element-wise activation on the NFU. ReLU: one compare per element, exact. Clip:
    two compares. Sigmoid/tanh: one table look-up per element. Leaky ReLU / PReLU
    (``slope`` broadcast per sample): a compare and a multiply. Hard sigmoid: a multiply,
    an add, two compares; hard swish: that and one more multiply. Softmax: one table
    look-up (exp) and one add per element, one reciprocal per normalised vector and one
    multiply per element. All but ReLU are computed in float64 from the int16 inputs and
    rounded once to the output grid (the NFU's tables are modelled exact to one LSB)."""
    name = handle.name(name, "act")
    xd = x.required(name)
    layer = Activation(name, x.desc.sample_shape, act.function, act.alpha, act.beta, act.low, act.high, act.axis)
    _check_output(y, x.desc.shape, name)
    handle.begin(name, layer)
    wall = time.perf_counter()
    xq = handle.fixed(xd)
    n = xq.size
    fn = act.function
    if fn == "relu":
        yq, tol = np.maximum(xq, 0).astype(np.int16), 0
    else:
        v = xq.astype(np.float64) / (1 << handle.frac_bits)
        yq = to_fixed(check_finite(ref.activation_function(layer, v, slope), name, "output (computed)"),
                      handle.frac_bits)
        tol = ROUNDING_TOLERANCE_LSB
    if fn == "relu":
        ops = {"compare": n}
    elif fn == "clip":
        ops = {"compare": 2 * n}
    elif fn in ("sigmoid", "tanh"):
        ops = {"nonlinear": n}
    elif fn in ("leaky_relu", "prelu"):
        ops = {"compare": n, "multiply": n}
    elif fn == "hard_sigmoid":
        ops = {"multiply": n, "add": n, "compare": 2 * n}
    elif fn == "hard_swish":
        ops = {"multiply": 2 * n, "add": n, "compare": 2 * n}
    else:  # softmax
        vectors = n // x.desc.sample_shape[layer.axis] if x.desc.sample_shape else 1
        ops = {"nonlinear": n + vectors, "add": n, "multiply": n}
    ref_q = handle.fixed(ref.activation_forward(layer, handle.real(xq), slope), layer=name,
                         tensor="reference output")
    return _elementwise(handle, name, "act", [xq], yq, ref_q, tol, ops, y, wall)


def lrn_forward(handle: Handle, lrn: LRNDescriptor, x: Tensor, y: Tensor, *, name: str | None = None) -> LayerResult:
    """Cross-channel LRN: per element ``size`` squares and adds, one power by table, one
    multiply."""
    name = handle.name(name, "lrn")
    xd = x.required(name)
    layer = LRN(name, x.desc.sample_shape, lrn.size, lrn.alpha, lrn.beta, lrn.k)
    _check_output(y, x.desc.shape, name)
    handle.begin(name, layer)
    wall = time.perf_counter()
    xq = handle.fixed(xd)
    v = xq.astype(np.float64) / (1 << handle.frac_bits)
    half = lrn.size // 2
    sq = np.pad(v * v, [(0, 0), (half, half)] + [(0, 0)] * (v.ndim - 2))
    csum = np.concatenate([np.zeros_like(sq[:, :1]), np.cumsum(sq, axis=1)], axis=1)
    scale = (lrn.k + lrn.alpha / lrn.size * (csum[:, lrn.size:] - csum[:, :-lrn.size])) ** lrn.beta
    yq = to_fixed(check_finite(v / scale, name, "output (computed)"), handle.frac_bits)
    ref_q = handle.fixed(ref.lrn_forward(layer, handle.real(xq)), layer=name,
                         tensor="reference output")
    ops = {"multiply": xq.size * (lrn.size + 1), "add": xq.size * lrn.size, "nonlinear": xq.size}
    return _elementwise(handle, name, "lrn", [xq], yq, ref_q, ROUNDING_TOLERANCE_LSB, ops, y, wall)


def batchnorm_forward(handle: Handle, bn: BatchNormDescriptor, x: Tensor, y: Tensor, *,
                      scale: np.ndarray | None = None, shift: np.ndarray | None = None,
                      name: str | None = None) -> LayerResult:
    """Batch norm with the batch's statistics: per element 3 adds and 2 multiplies (mean,
    variance, standardise, scale, shift), one reciprocal square root per channel."""
    name = handle.name(name, "bn")
    xd = x.required(name)
    layer = BatchNorm(name, x.desc.sample_shape, bn.affine)
    _check_output(y, x.desc.shape, name)
    handle.begin(name, layer)
    wall = time.perf_counter()
    xq = handle.fixed(xd)
    v = xq.astype(np.float64) / (1 << handle.frac_bits)
    bshape = (1, -1) + (1,) * (v.ndim - 2)
    channels = x.desc.shape[1]
    if bn.affine:  # inference: the statistics are in scale and shift; per element one multiply and one add
        out = v
        if scale is not None:
            out = out * check_finite(np.asarray(scale, np.float64), name, "scale").reshape(bshape)
        if shift is not None:
            out = out + check_finite(np.asarray(shift, np.float64), name, "shift").reshape(bshape)
        ops = {"add": xq.size, "multiply": xq.size}
    else:
        axes = (0,) + tuple(range(2, v.ndim)) if v.ndim > 2 else (0,)
        if v.ndim == 2 and v.shape[0] == 1:
            axes = (1,)
        out = (v - v.mean(axis=axes, keepdims=True)) / np.sqrt(v.var(axis=axes, keepdims=True) + bn.eps)
        if scale is not None:
            out = out * check_finite(np.asarray(scale, np.float64), name, "scale").reshape(bshape)
        if shift is not None:
            out = out + check_finite(np.asarray(shift, np.float64), name, "shift").reshape(bshape)
        ops = {"add": 3 * xq.size, "multiply": 2 * xq.size, "nonlinear": channels}
    yq = to_fixed(check_finite(out, name, "output (computed)"), handle.frac_bits)
    ref_q = handle.fixed(ref.batchnorm_forward(layer, handle.real(xq), scale, shift, eps=bn.eps), layer=name,
                         tensor="reference output")
    return _elementwise(handle, name, "bn", [xq], yq, ref_q, ROUNDING_TOLERANCE_LSB, ops, y, wall)


def add_forward(handle: Handle, add: AddDescriptor, xs: Sequence[Tensor], y: Tensor, *,
                name: str | None = None) -> LayerResult:
    """Saturating element-wise sum (exact: (k - 1) adds per output element) or product
    ((k - 1) multiplies per output element, each rounded to the grid) of >= 2 tensors,
    each broadcast to the output's shape (a (N, C, 1, 1) gate, a per-channel constant).
    Every input is read from DRAM at its own size."""
    name = handle.name(name, add.op)
    if len(xs) < 2:
        raise ValueError(f"{name}: add_forward needs >= 2 input tensors, got {len(xs)}")
    shape = y.desc.shape
    for t in xs:
        try:
            ok = np.broadcast_shapes(t.desc.shape, shape) == tuple(shape)
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(f"{name}: every input must broadcast to the output shape {shape}, got "
                             f"{[t.desc.shape for t in xs]}")
    handle.begin(name)
    wall = time.perf_counter()
    qs = [handle.fixed(t.required(name)) for t in xs]
    cls = Mul if add.op == "mul" else Add
    layer = cls(name, shape[1:], tuple(tuple(t.desc.shape[1:]) for t in xs),
                inputs=tuple(f"in{i}" for i in range(len(xs))))
    handle.described.append(layer)
    if add.op == "add":
        acc = np.zeros(shape, np.int32)
        for q in qs:
            acc += q.astype(np.int32)  # broadcasts
        yq, tol = np.clip(acc, -32768, 32767).astype(np.int16), 0
    else:
        acc = np.ones(shape, np.float64)
        for q in qs:
            acc = acc * (q.astype(np.float64) / (1 << handle.frac_bits))
        yq, tol = to_fixed(acc, handle.frac_bits), ROUNDING_TOLERANCE_LSB
    ref_q = handle.fixed(ref.add_forward(layer, [handle.real(q) for q in qs]), layer=name,
                         tensor="reference output")
    ops = {"add" if add.op == "add" else "multiply": (len(xs) - 1) * yq.size}
    return _elementwise(handle, name, add.op, qs, yq, ref_q, tol, ops, y, wall)


def transform_forward(handle: Handle, desc: TransformDescriptor, xs: Sequence[Tensor], y: Tensor, *,
                      name: str | None = None) -> LayerResult:
    """Data movement on the DMA/NFU path without arithmetic (see the module docstring);
    the int16 values are copied exactly (a -inf pad value is the most negative int16)."""
    name = handle.name(name, desc.op)
    if len(xs) != len(desc.shapes):
        raise ValueError(f"{name}: {len(desc.shapes)} input shapes described, {len(xs)} tensors given")
    layer = desc.layer(name)
    batch = xs[0].desc.batch
    for k, t in enumerate(xs):
        if t.desc.batch != batch or int(np.prod(t.desc.sample_shape)) != int(np.prod(desc.shapes[k])):
            raise ValueError(f"{name}: input {k} {t.desc.shape} does not hold a batch of {batch} x {desc.shapes[k]}")
    out = (batch, *layer.output_shape)
    if int(np.prod(y.desc.shape)) != int(np.prod(out)) or y.desc.batch != batch:
        raise ValueError(f"{name}: output descriptor shape {y.desc.shape} does not hold the result {out}")
    handle.begin(name, layer)
    wall = time.perf_counter()
    qs = [handle.fixed(t.required(name)).reshape(batch, *desc.shapes[k]) for k, t in enumerate(xs)]
    moved = layer
    # An infinite constant pad (ONNX pads max pooling with -inf) stands for the extreme of
    # the int16 grid: the one place a stated infinity is a value, so it saturates on purpose.
    infinite_pad = isinstance(layer, Pad) and layer.mode == "constant" and np.isinf(layer.value)
    if isinstance(layer, Pad) and layer.mode == "constant":  # the fill value on the int16 grid
        fill = (32767 if layer.value > 0 else -32768) if infinite_pad else handle.fixed(np.array([layer.value]))[0]
        moved = dataclasses.replace(layer, value=float(fill))
    args = [q.astype(np.float32) for q in qs] if isinstance(layer, Concat) else qs[0].astype(np.float32)
    yq = ref.forward(moved, args).astype(np.int16)
    real = [handle.real(q) for q in qs] if isinstance(layer, Concat) else handle.real(qs[0])
    expect = ref.forward(layer, real)
    if infinite_pad:
        expect = np.nan_to_num(expect, nan=np.nan, posinf=65536.0, neginf=-65536.0)
    ref_q = handle.fixed(expect, layer=name, tensor="reference output")
    return _elementwise(handle, name, desc.op, qs, yq.reshape(y.desc.shape), ref_q.reshape(y.desc.shape), 0, {},
                        y, wall)


# --------------------------------------------------------------------------- recurrent cells
def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _gate_step(handle: Handle, name: str, inputs_q: Sequence[np.ndarray], yq: np.ndarray,
               ops: dict[str, int], matches: bool, wall: float) -> LayerResult:
    return run_elementwise(f"{name}/gates", "gates", inputs_q, yq, ops, handle.config, matches=matches,
                           ledger=handle.ledger, wall_start=wall)


def lstm_cell_forward(handle: Handle, desc: LSTMDescriptor, x: Tensor, w: Filter, y: Tensor, *,
                      state: tuple[np.ndarray, np.ndarray] | None = None, peepholes: np.ndarray | None = None,
                      projection: np.ndarray | None = None, cell: Tensor | None = None,
                      name: str | None = None) -> LayerResult:
    """One LSTM step: gate product W (4H, I+R) . [x; r_prev] and projection W_p (P, H) . h on
    the accelerator; sigmoid/tanh, peepholes and the cell update on the NFU. ``state`` is
    (r_prev (N, R), c_prev (N, H)), zeros if omitted. ``y`` gets r (N, P or H); ``cell``, if
    given, gets the new cell state c (N, H) (kept on the fixed-point grid) for the next step."""
    name = handle.name(name, "lstm")
    xd = x.required(name).reshape(x.desc.batch, -1)
    n, i_size = xd.shape
    layer = LSTMCell(name, i_size, desc.hidden_size, desc.proj_size, desc.peepholes)
    hs, rs = desc.hidden_size, layer.recurrent_size
    if w.desc.shape != layer.weight_shape:
        raise ValueError(f"{name}: gate filter must be {layer.weight_shape}, got {w.desc.shape}")
    _check_output(y, (n, rs), name)
    r_prev, c_prev = state if state is not None else (np.zeros((n, rs), np.float32), np.zeros((n, hs), np.float32))
    if desc.peepholes and (peepholes is None or np.shape(peepholes) != (3, hs)):
        raise ValueError(f"{name}: peepholes of shape (3, {hs}) are required (LSTMDescriptor.peepholes=True)")
    if desc.proj_size and (projection is None or np.shape(projection) != (desc.proj_size, hs)):
        raise ValueError(f"{name}: projection of shape ({desc.proj_size}, {hs}) is required")
    check_finite(w.weights if w.weights is not None else w.kept, name, "weights")
    for tensor, value in (("state r_prev", r_prev), ("state c_prev", c_prev), ("peepholes", peepholes),
                          ("projection", projection)):
        if value is not None:
            check_finite(value, name, tensor)
    cfg = _filter_config(handle, w, name)
    handle.begin(name, layer)
    f = handle.frac_bits
    xr_q = handle.fixed(np.concatenate([xd, np.asarray(r_prev, np.float32)], axis=1))
    gates, zq, wshift = matrix_product(handle, f"{name}/gates-product", xr_q, w.dense(), w.effective_keep(), cfg)
    wall = time.perf_counter()
    z = zq.astype(np.float64) / (1 << f)
    cq = handle.fixed(c_prev).astype(np.float64) / (1 << f)
    zi, zf, zg, zo = np.split(z, 4, axis=1)
    p = np.asarray(peepholes, np.float64) if desc.peepholes else None
    if p is not None:
        zi, zf = zi + p[0] * cq, zf + p[1] * cq
    c = check_finite(_sigmoid(zf) * cq + _sigmoid(zi) * np.tanh(zg), name, "cell state c (computed)")
    if p is not None:
        zo = zo + p[2] * c
    hq = to_fixed(check_finite(_sigmoid(zo) * np.tanh(c), name, "output h (computed)"), f)
    if cell is not None:
        if cell.desc.shape != (n, hs):
            raise ValueError(f"{name}: cell tensor must be ({n}, {hs}), got {cell.desc.shape}")
        cell.set(handle.real(to_fixed(c, f)))
    ops = {"nonlinear": 5 * n * hs, "multiply": 3 * n * hs + (3 * n * hs if p is not None else 0),
           "add": n * hs + (3 * n * hs if p is not None else 0)}
    steps = [gates, _gate_step(handle, name, [zq], hq, ops, True, wall)]
    out_q = hq
    if desc.proj_size:
        proj, out_q, _ = matrix_product(handle, f"{name}/projection", hq, np.asarray(projection, np.float32),
                                        np.ones((desc.proj_size, hs), bool), cfg)
        steps.append(proj)
    # reference: the float forward on the same quantized operands
    wq = to_fixed(w.dense(), wshift).astype(np.float32) / np.float32(1 << wshift)
    extra = {}
    if p is not None:
        extra["peepholes"] = np.asarray(peepholes, np.float32)
    if desc.proj_size:
        ps = weight_frac_bits(np.asarray(projection, np.float32))
        extra["projection"] = to_fixed(projection, ps).astype(np.float32) / np.float32(1 << ps)
    expect = ref.lstm_forward(layer, handle.real(xr_q[:, :i_size]), wq * w.effective_keep(),
                              state=(handle.real(xr_q[:, i_size:]), handle.real(handle.fixed(c_prev))), extra=extra)
    diff = int(np.max(np.abs(out_q.astype(np.int32) - handle.fixed(expect).astype(np.int32))))
    result = combine(name, "lstm", steps, handle.config)
    result.outputs_match_reference = result.outputs_match_reference and diff <= RECURRENT_TOLERANCE_LSB
    result.outputs = out_q
    y.set(handle.real(out_q))
    return handle.record(result)


def gru_cell_forward(handle: Handle, desc: GRUDescriptor, x: Tensor, w: Filter, y: Tensor, *,
                     state: np.ndarray | None = None, name: str | None = None) -> LayerResult:
    """One GRU step: products W_rz (2H, I+H) . [x; h], W_nx (H, I) . x and W_nh (H, H) . h on
    the accelerator; r, z, n and h' = (1 - z) n + z h on the NFU. ``y`` gets h' (N, H)."""
    name = handle.name(name, "gru")
    xd = x.required(name).reshape(x.desc.batch, -1)
    n, i_size = xd.shape
    layer = GRUCell(name, i_size, desc.hidden_size)
    hs = desc.hidden_size
    if w.desc.shape != layer.weight_shape:
        raise ValueError(f"{name}: gate filter must be {layer.weight_shape}, got {w.desc.shape}")
    _check_output(y, (n, hs), name)
    h_prev = np.zeros((n, hs), np.float32) if state is None else check_finite(np.asarray(state, np.float32),
                                                                               name, "state h_prev")
    check_finite(w.weights if w.weights is not None else w.kept, name, "weights")
    cfg = _filter_config(handle, w, name)
    handle.begin(name, layer)
    f = handle.frac_bits
    keep = w.effective_keep()
    xq, hq = handle.fixed(xd), handle.fixed(h_prev)
    # one weight format for the whole gate matrix, as the reference sees it
    wshift = weight_frac_bits(w.dense())
    w_grid = to_fixed(w.dense(), wshift).astype(np.float32) / np.float32(1 << wshift)
    rz, rzq, _ = _product_fixed(handle, f"{name}/rz-product", np.concatenate([xq, hq], axis=1),
                                w_grid[:2 * hs], keep[:2 * hs], wshift, cfg)
    nx, nxq, _ = _product_fixed(handle, f"{name}/nx-product", xq, w_grid[2 * hs:, :i_size], keep[2 * hs:, :i_size], wshift, cfg)
    nh, nhq, _ = _product_fixed(handle, f"{name}/nh-product", hq, w_grid[2 * hs:, i_size:], keep[2 * hs:, i_size:], wshift, cfg)
    wall = time.perf_counter()
    scale = float(1 << f)
    r, z = _sigmoid(rzq[:, :hs] / scale), _sigmoid(rzq[:, hs:] / scale)
    cand = np.tanh(nxq / scale + r * (nhq / scale))
    out_q = to_fixed(check_finite((1 - z) * cand + z * (hq / scale), name, "output h (computed)"), f)
    ops = {"nonlinear": 3 * n * hs, "multiply": 3 * n * hs, "add": 3 * n * hs}
    gates = _gate_step(handle, name, [rzq, nxq, nhq], out_q, ops, True, wall)
    expect = ref.gru_forward(layer, handle.real(xq), w_grid * keep, state=handle.real(hq))
    diff = int(np.max(np.abs(out_q.astype(np.int32) - handle.fixed(expect).astype(np.int32))))
    result = combine(name, "gru", [rz, nx, nh, gates], handle.config)
    result.outputs_match_reference = result.outputs_match_reference and diff <= RECURRENT_TOLERANCE_LSB
    result.outputs = out_q
    y.set(handle.real(out_q))
    return handle.record(result)


def _product_fixed(handle: Handle, name: str, xq: np.ndarray, w_grid: np.ndarray, keep: np.ndarray, shift: int,
                   cfg: VectorArch) -> tuple[LayerResult, np.ndarray, int]:
    """An FC product whose weights are already on the grid of ``shift`` fractional bits."""
    parts = lower_fc(name, xq, to_fixed(w_grid, shift), keep)
    for p in parts:
        p.shift = shift
    res = simulate_matrices(name, "fc", parts, cfg, strategy=handle.strategy, activation="none", ledger=handle.ledger)
    return res, res.outputs, shift


__all__ = [
    "TensorDescriptor", "FilterDescriptor", "ConvDescriptor", "InnerProductDescriptor", "PoolingDescriptor",
    "ActivationDescriptor", "LRNDescriptor", "BatchNormDescriptor", "AddDescriptor", "TransformDescriptor",
    "LSTMDescriptor", "transform_forward",
    "GRUDescriptor", "Tensor", "Filter", "Handle", "data_placement", "conv_forward", "inner_product_forward",
    "pooling_forward", "activation_forward", "lrn_forward", "batchnorm_forward", "add_forward",
    "lstm_cell_forward", "gru_cell_forward", "matrix_product", "ROUNDING_TOLERANCE_LSB",
    "RECURRENT_TOLERANCE_LSB",
]

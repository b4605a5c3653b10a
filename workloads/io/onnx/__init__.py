"""ONNX model -> :class:`~workloads.layers.Network`, with the model's own weights attached.

Reading (:mod:`workloads.io.onnx.graph`): the nodes are put in dependency order (a
cycle or an input nothing produces is refused naming the node), ONNX's shape inference
runs with the batch axis fixed to 1, and every node whose inputs are all constants is
folded with ONNX's reference evaluator (``ConstantOfShape``, PyTorch's
``Shape -> Gather -> Unsqueeze -> Concat -> Reshape`` chains, constant arithmetic on
parameters). Operators that read computed data become layers
(:mod:`workloads.io.onnx.convert`); when some have no layer description the error lists
every one of them with its nodes, on one line.

Layers, per operator:

- ``Conv`` (2-D, grouped and depthwise; ``auto_pad`` resolved): a :class:`Conv`. The
  accelerator's convolution takes one padding for every side, so pads that are not all
  equal become an explicit :class:`Pad` layer (data movement) in front of a convolution
  without padding.
- ``Gemm`` (``transB`` 0 or 1, ``alpha``/``beta`` folded into the weight and bias;
  ``transA=1`` is refused: it would put the batch axis last), ``MatMul`` by a constant
  (K, N) matrix, with any leading batch axes on the data operand: :class:`FC` (``lead``).
- ``MaxPool``, ``AveragePool``, ``GlobalAveragePool``, ``GlobalMaxPool``: :class:`Pool`.
  Asymmetric pads: max pooling and average pooling with ``count_include_pad=1`` get an
  explicit :class:`Pad` (-inf for max) and pool without padding; average pooling with
  ``count_include_pad=0`` pools with the larger padding on both sides and a
  :class:`Slice` crops the windows that start in the extra rows/columns (refused when
  the extra padding is not a multiple of the stride).
- ``Relu``, ``Sigmoid``, ``Tanh``, ``Clip`` (ReLU6), ``LeakyRelu``, ``PRelu``,
  ``HardSigmoid``, ``HardSwish``, ``Softmax``: :class:`Activation`. ``LRN``: :class:`LRN`.
- ``BatchNormalization`` (inference): folded into the preceding convolution or FC when
  nothing else reads that layer's output and both carry trained values; otherwise an
  affine :class:`BatchNorm` (``x * scale + shift`` per channel). A batch norm whose
  statistics have no values standardises with the batch's own statistics.
- ``Add``, ``Sum``, ``Sub`` (constant right operand), ``Mul``, ``Div`` (constant right
  operand), with broadcasting: :class:`Add` / :class:`Mul`. A per-channel constant
  operand folds into the producing convolution, FC or batch norm when possible (a bias,
  a scale); otherwise it is the layer's constant operand.
- ``Concat``, ``Split`` (one :class:`Slice` per output), ``Slice`` (positive steps),
  ``Transpose``, ``Pad`` (constant, edge, reflect): data movement layers. The batch axis
  must stay in place.
- ``Flatten``, ``Reshape``, ``Squeeze``, ``Unsqueeze``, ``Dropout``, ``Identity``: no
  layer; the next layer reads its producer's output through a reshape (a view).
- ``LSTM`` and ``GRU`` (forward direction, zero initial state, no ``sequence_lens``; GRU
  with ``linear_before_reset=1`` as PyTorch exports it): :class:`LSTM` / :class:`GRU`
  over the whole sequence; ``Y_h`` is a :class:`Slice` of the last step. Gates are
  reordered to the cells' (ONNX i, o, f, c -> i, f, g, o; z, r, h -> r, z, n).

Batch: the data input's axis 0 is the batch (dropped from the per-sample shapes) except
in a model with an ``LSTM``/``GRU`` of ``layout=0`` (sequence first), where the whole
tensor is one sample. Only a single data input is supported.

Weights: each layer carries its parameters (``layer.params``) as lazy sources: an
initializer is decoded, a folded constant evaluated, each time the layer runs, and never
kept. A parameter without trained values (an initializer without data, a
``ConstantOfShape`` fill as in the onnx package's ``light`` test models) is a
placeholder: the simulator then gives the layer synthetic weights and says so.
"""
from __future__ import annotations

from pathlib import Path

import onnx

from workloads.io.onnx.convert import LAYER_OPS, SUPPORTED_OPS, Converter
from workloads.io.onnx.graph import GraphInfo, OnnxImportError, UnsupportedOperatorError, read_model
from workloads.layers import Network


def load_onnx(source, name: str | None = None) -> Network:
    """Describe an ONNX model (a path or an ``onnx.ModelProto``) as a Network."""
    model, where = read_model(source)
    if name is None:
        name = model.graph.name or (Path(source).stem if not isinstance(source, onnx.ModelProto) else "onnx")
    return Converter(GraphInfo(model, where), name).run()


__all__ = ["load_onnx", "OnnxImportError", "UnsupportedOperatorError", "SUPPORTED_OPS", "LAYER_OPS"]

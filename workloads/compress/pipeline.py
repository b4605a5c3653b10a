"""The compression pipeline end to end (docs/hardware.md §5) for one layer or a network.

Two routes for a network:

- :func:`compress_trained` (LeNet-5, the MLP): real weights trained on digits
  (:mod:`workloads.training`), coarse-grained pruning iterated over ``rounds`` with
  masked fine-tuning between rounds, then local quantization with K chosen per layer by
  accuracy (the smallest K that keeps training-set accuracy within
  ``max_accuracy_drop`` of the pruned network, layers taken in order with earlier ones
  already quantized; the test set is only used for the reported accuracies), then
  ``codebook_epochs`` of codebook fine-tuning (codes fixed; after every training step
  each centroid is replaced by the mean of the weights sharing it, the projection form
  of trained quantization), then Huffman coding of the codes. The fine-grained mask for R(Irr) prunes the same trained dense
  weights to the sparsity the coarse pruning reached.
- :func:`compress_synthetic` (any zoo network, e.g. AlexNet): weights from
  :func:`workloads.sparsity.block_sparse_weights` at a given density (the measured SSS
  of docs/hardware.md §1), already block-sparse, so no pruning step runs; K is chosen by the
  relative-error criterion of :func:`workloads.compress.quantize.choose_k`. The
  fine-grained mask for R(Irr) is the same generator with block size 1 at that density.

Only conv and fc layers carry compressible weights here; other layers are skipped.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from workloads.compress import huffman, indexing, jbig
from workloads.compress.prune import check_block, check_density, check_sparsity, prune, sparsity_schedule
from workloads.compress.quantize import DEFAULT_K_CANDIDATES, QuantizedLayer, choose_k, quantize, refit_codebooks
from workloads.compress.report import LayerCompression

WEIGHTED_KINDS = ("conv", "fc")
#: Highest sparsity given by :func:`trained_targets` to a final fc (classifier) layer.
CLASSIFIER_MAX_SPARSITY = 0.5


def weight_shape(layer) -> tuple[int, ...]:
    """Weight tensor shape of a conv/fc layer description (contract layouts)."""
    if layer.kind == "fc":
        return (int(layer.out_features), int(layer.in_features))
    if layer.kind == "conv":
        k = layer.kernel
        kh, kw = (k, k) if np.isscalar(k) else k
        groups = int(getattr(layer, "groups", 1))
        return (int(layer.out_channels), int(layer.in_channels) // groups, int(kh), int(kw))
    raise ValueError(f"layer {layer.name} of kind {layer.kind!r} has no weight tensor to compress")


def layer_block(kind: str, shape: Sequence[int]) -> tuple[int, ...]:
    """Default block per layer: conv (16, 1, 1, 1); fc (32, 32) when both dimensions are
    at least 128, else (16, 16) (docs/hardware.md §2.1 gives both as typical); clipped to the layer."""
    if kind == "conv":
        base = (16, 1, 1, 1)
    elif kind == "fc":
        base = (32, 32) if min(shape) >= 128 else (16, 16)
    else:
        raise ValueError(f"layer kind {kind!r} has no weight block; allowed: conv, fc")
    return tuple(min(b, int(d)) for b, d in zip(base, shape))


def _fmt_tuple(t) -> str:
    return "x".join(str(int(v)) for v in t)


def compress_layer(name: str, kind: str, weights: np.ndarray, keep: np.ndarray, block: Sequence[int],
                   fine_keep: np.ndarray | None = None, n_sub: int = 64, seed: int = 0,
                   k_candidates: Sequence[int] = DEFAULT_K_CANDIDATES, max_rel_error: float = 0.05,
                   accept: Callable[[np.ndarray], bool] | None = None,
                   accept_global: Callable[[np.ndarray], bool] | None = None,
                   ) -> tuple[LayerCompression, QuantizedLayer, QuantizedLayer]:
    """Quantize (local and global) and code one pruned layer; returns its report row and
    the local and global quantizations. Every coded size comes from a verified round trip."""
    w = np.asarray(weights, dtype=np.float32)
    keep = np.asarray(keep, dtype=bool)
    if keep.shape != w.shape:
        raise ValueError(f"layer {name}: keep mask shape {keep.shape} differs from weights {w.shape}")
    block = check_block(w.shape, block)
    nnz = int(keep.sum())
    index = indexing.group_index(keep, block[0])
    index_raw = indexing.raw_index_bytes(index)
    index_coded, index_format = indexing.coded_index_bytes(index)

    q = choose_k(w, keep, n_sub=n_sub, seed=seed, candidates=k_candidates,
                 max_rel_error=max_rel_error, accept=accept)
    qg = choose_k(w, keep, n_sub=1, seed=seed, candidates=k_candidates,
                  max_rel_error=max_rel_error, accept=accept_global)
    same_k_global = qg if qg.k == q.k else quantize(w, keep, q.k, n_sub=1, seed=seed)
    norm2 = float(np.square(w[keep].astype(np.float64)).sum())

    def rel(x: QuantizedLayer) -> float:
        return float(np.sqrt(x.squared_error / norm2)) if norm2 > 0 else 0.0

    codes = q.all_codes()
    huff = huffman.roundtrip_bytes(codes, q.k) if codes.size else 0
    if codes.size and huff < q.code_bytes:
        code_bytes, code_format = huff, "huffman"
    else:
        code_bytes, code_format = q.code_bytes, "fixed"

    jf = jc = 0
    if fine_keep is not None:
        fine_keep = np.asarray(fine_keep, dtype=bool)
        jf = jbig.encoded_bytes(fine_keep.reshape(fine_keep.shape[0], -1))
        jc = jbig.encoded_bytes(keep.reshape(keep.shape[0], -1))

    row = LayerCompression(
        layer=name, kind=kind, shape=_fmt_tuple(w.shape), block=_fmt_tuple(block),
        weights=int(w.size), nonzero=nnz, k=q.k, codebooks=len(q.codebooks),
        bits_per_weight=float(q.bits), coded_bits_per_weight=8.0 * code_bytes / nnz if nnz else 0.0,
        dense_bytes=4 * int(w.size), weight_bytes_pruned=4 * nnz, index_bytes_pruned=index_raw,
        weight_bytes_quantized=q.code_bytes + q.codebook_bytes, codebook_bytes=q.codebook_bytes,
        weight_bytes_coded=code_bytes + q.codebook_bytes, index_bytes_coded=index_coded,
        code_format=code_format, index_format=index_format, k_global=qg.k,
        bits_per_weight_global=float(qg.bits),
        weight_bytes_quantized_global=qg.code_bytes + qg.codebook_bytes,
        jbig_bytes_fine=jf, jbig_bytes_coarse=jc, quant_rel_error=rel(q),
        quant_rel_error_global_same_k=rel(same_k_global))
    return row, q, qg


@dataclass
class NetworkCompression:
    """Result for a network: per-layer rows, and accuracies when the weights are trained."""

    network: str
    layers: list[LayerCompression]
    accuracy: dict | None = None
    notes: dict = field(default_factory=dict)


def weighted_layers(network) -> list:
    layers = [l for l in network.layers if l.kind in WEIGHTED_KINDS]
    if not layers:
        raise ValueError(f"network {network.name} has no conv or fc layer to compress")
    return layers


def _layer_option(options: dict | None, layer, shape, what: str) -> tuple[int, ...] | None:
    """A block/stride given for this layer by name, or for its kind ("conv"/"fc"); checked
    against the weight shape (error names the layer)."""
    value = (options or {}).get(layer.name) or (options or {}).get(layer.kind)
    if value is None:
        return None
    try:
        return check_block(shape, value, what)
    except ValueError as exc:
        raise ValueError(f"layer {layer.name}: {exc}") from None


def _targets(network, targets) -> dict[str, float]:
    layers = weighted_layers(network)
    if isinstance(targets, dict) and set(targets) >= {l.name for l in layers}:
        return {l.name: check_sparsity(targets[l.name]) for l in layers}
    if isinstance(targets, dict) and set(targets) <= set(WEIGHTED_KINDS):
        missing = [k for k in {l.kind for l in layers} if k not in targets]
        if missing:
            raise ValueError(f"no target sparsity for layer kind(s) {missing} of {network.name}")
        return {l.name: check_sparsity(targets[l.kind]) for l in layers}
    raise ValueError("targets must map every conv/fc layer name, or the kinds 'conv'/'fc', to a sparsity in [0, 1)")


def measured_targets(network_name: str) -> dict[str, float]:
    """Target SSS per layer kind from docs/hardware.md §1 (workloads.sparsity.MEASURED_SPARSITY)."""
    from workloads.sparsity import MEASURED_SPARSITY

    if network_name not in MEASURED_SPARSITY:
        raise ValueError(f"no measured sparsity for network {network_name!r}; known: "
                         f"{', '.join(sorted(MEASURED_SPARSITY))}")
    m = MEASURED_SPARSITY[network_name]
    return {"conv": float(m.get("conv_sss") or 0.0), "fc": float(m.get("fc_sss") or 0.0)}


def trained_targets(network, kind_targets: dict[str, float]) -> dict[str, float]:
    """Per-layer targets for trained pruning: each conv/fc layer gets its kind's target,
    except a final fc layer (the classifier, about 0.4 % of LeNet-5's or the MLP's weights),
    which gets at most :data:`CLASSIFIER_MAX_SPARSITY`. With shared blocks, a 90 %-sparse
    classifier loses whole input ranges for every class at once and accuracy collapses
    (measured on the MLP: 97 % -> 61 % test accuracy); pruned to 50 % it stays within about
    one point."""
    layers = weighted_layers(network)
    out = _targets(network, kind_targets)
    last = network.layers[-1] if network.layers[-1].kind in WEIGHTED_KINDS else None
    if last is None:  # e.g. a trailing activation: the classifier is the last weighted layer
        last = layers[-1]
    if last.kind == "fc":
        out[last.name] = min(out[last.name], CLASSIFIER_MAX_SPARSITY)
    return out


def compress_trained(network, targets: dict, seed: int = 0, rounds: int = 4, finetune_epochs: int = 3,
                     criterion: str = "mean", blocks: dict[str, Sequence[int]] | None = None,
                     strides: dict[str, Sequence[int]] | None = None,
                     n_sub: int = 64, max_accuracy_drop: float = 0.005, train_epochs: int | None = None,
                     k_candidates: Sequence[int] = DEFAULT_K_CANDIDATES, use_cache: bool = True,
                     codebook_epochs: int = 2, log: Callable[[str], None] | None = None) -> NetworkCompression:
    """Train (or load cached) weights, prune with fine-tuning, quantize, code (module doc).

    ``targets`` maps layer names or kinds ("conv", "fc") to a sparsity in [0, 1);
    ``blocks`` and ``strides`` map layer names or kinds to a block / stride (defaults:
    :func:`layer_block`, stride = block).
    Accuracies in the result are test-set fractions (0..1)."""
    from threadpoolctl import threadpool_limits

    from workloads.training.data import load_digits_for
    from workloads.training.train import fit
    from workloads.training.weights import DEFAULT_EPOCHS, trained_model

    log = log or (lambda msg: None)
    layers = weighted_layers(network)
    per_layer = _targets(network, targets)
    if not (0 <= max_accuracy_drop < 1):
        raise ValueError(f"max_accuracy_drop={max_accuracy_drop}; allowed [0, 1)")
    shapes = {l.name: weight_shape(l) for l in layers}
    blocks = {l.name: _layer_option(blocks, l, shapes[l.name], "block") or layer_block(l.kind, shapes[l.name])
              for l in layers}
    strides = {l.name: _layer_option(strides, l, shapes[l.name], "stride") or blocks[l.name] for l in layers}
    data = load_digits_for(tuple(network.input_shape))
    log(f"{network.name}: training ({train_epochs or DEFAULT_EPOCHS} epochs, seed {seed})")
    model = trained_model(network, seed=seed, epochs=train_epochs or DEFAULT_EPOCHS, use_cache=use_cache)
    dense = model.get_weights()
    acc_before = model.accuracy(data.x_test, data.y_test)

    masks: dict[str, np.ndarray] = {}
    with threadpool_limits(1):
        schedules = {n: sparsity_schedule(per_layer[n], rounds) for n in per_layer}
        for r in range(rounds):
            current = model.get_weights()
            new = {}
            for n in per_layer:
                res = prune(current[n], schedules[n][r], blocks[n], strides[n], criterion=criterion)
                masks[n], new[n] = res.keep, res.weights
            model.set_weights(new)
            fit(model, data.x_train, data.y_train, finetune_epochs, seed=seed + 1 + r,
                masks={n: m.astype(np.float32) for n, m in masks.items()})
            log(f"{network.name}: pruning round {r + 1}/{rounds}: test accuracy "
                f"{model.accuracy(data.x_test, data.y_test):.4f}")
        pruned = model.get_weights()
        pruned_state = {k: v.copy() for k, v in model.state().items()}  # weights and biases
        acc_pruned = model.accuracy(data.x_test, data.y_test)
        train_base = model.accuracy(data.x_train, data.y_train)

        def acceptor(name: str, state: dict):
            def accept(deq: np.ndarray) -> bool:
                model.set_weights({**state, name: deq})
                return model.accuracy(data.x_train, data.y_train) >= train_base - max_accuracy_drop
            return accept

        local_state, global_state = dict(pruned), dict(pruned)
        local_q, global_q = {}, {}
        rows = []
        for l in layers:
            n = l.name
            density = float(masks[n].mean())
            fine = prune(dense[n], 1.0 - density, (1,) * dense[n].ndim).keep
            row, q, qg = compress_layer(n, l.kind, pruned[n], masks[n], blocks[n], fine_keep=fine,
                                        n_sub=n_sub, seed=seed, k_candidates=k_candidates,
                                        accept=acceptor(n, local_state),
                                        accept_global=acceptor(n, global_state))
            local_state[n] = q.dequantized
            global_state[n] = qg.dequantized
            local_q[n], global_q[n] = q, qg
            rows.append(row)
            log(f"{network.name}: {n}: sparsity {row.sparsity:.4f}, K {row.k} (global {row.k_global}), "
                f"r_c {row.r_c:.2f}, r_irr {row.r_irr:.2f}")
        acc_quantized = {}
        for label, quantized in (("global", global_q), ("local", local_q)):
            model.load_state(pruned_state)
            model.set_weights({n: q.dequantized for n, q in quantized.items()})
            acc_quantized[label] = model.accuracy(data.x_test, data.y_test)
            if codebook_epochs:
                def project(m, quantized=quantized):
                    current = m.get_weights()
                    for n in quantized:
                        quantized[n] = refit_codebooks(quantized[n], current[n])
                    m.set_weights({n: q.dequantized for n, q in quantized.items()})

                fit(model, data.x_train, data.y_train, codebook_epochs, seed=seed + 100,
                    masks={n: m.astype(np.float32) for n, m in masks.items()}, after_step=project)
            acc_quantized[label + "_tuned"] = model.accuracy(data.x_test, data.y_test)
        acc_global = acc_quantized["global_tuned"]
        acc_after = acc_quantized["local_tuned"]
        for row in rows:  # codes (and so every size) are unchanged; the codebooks were re-fitted
            q = local_q[row.layer]
            assert q.codebook_bytes == row.codebook_bytes
    accuracy = {"before": acc_before, "after_pruning": acc_pruned, "after": acc_after,
                "after_quantization_before_codebook_tuning": acc_quantized["local"],
                "after_global_quantization": acc_global, "codebook_epochs": codebook_epochs, "test_samples": int(len(data.y_test)),
                "train_samples": int(len(data.y_train)), "seed": seed, "rounds": rounds,
                "finetune_epochs": finetune_epochs, "criterion": criterion,
                "max_accuracy_drop": max_accuracy_drop,
                "data": "sklearn.datasets.load_digits, fixed stratified 80/20 split"}
    return NetworkCompression(network=network.name, layers=rows, accuracy=accuracy,
                              notes={"weights": "trained"})


def compress_synthetic(network, density: dict, seed: int = 0, blocks: dict[str, Sequence[int]] | None = None,
                       n_sub: int = 64, max_rel_error: float = 0.05,
                       k_candidates: Sequence[int] = DEFAULT_K_CANDIDATES,
                       log: Callable[[str], None] | None = None) -> NetworkCompression:
    """Compress synthetic block-sparse weights; ``density`` maps layer names or kinds to
    the fraction of weights kept, in (0, 1] (module doc)."""
    from workloads.sparsity import block_sparse_weights

    log = log or (lambda msg: None)
    layers = weighted_layers(network)
    for key, value in density.items():
        try:
            check_density(value)
        except ValueError as exc:
            raise ValueError(f"{key}: {exc}") from None
    per_layer = {n: 1.0 - s for n, s in _targets(network, {k: 1.0 - v for k, v in density.items()}).items()}
    rows = []
    for i, l in enumerate(layers):
        shape = weight_shape(l)
        block = _layer_option(blocks, l, shape, "block") or layer_block(l.kind, shape)
        w, keep = block_sparse_weights(shape, per_layer[l.name], block, seed + i)
        _, fine = block_sparse_weights(shape, per_layer[l.name], (1,) * len(shape), seed + i)
        row, _, _ = compress_layer(l.name, l.kind, w, keep, block, fine_keep=fine, n_sub=n_sub,
                                   seed=seed, k_candidates=k_candidates, max_rel_error=max_rel_error)
        rows.append(row)
        log(f"{network.name}: {l.name}: sparsity {row.sparsity:.4f}, K {row.k}, r_c {row.r_c:.2f}, "
            f"r_irr {row.r_irr:.2f}")
    return NetworkCompression(network=network.name, layers=rows, accuracy=None,
                              notes={"weights": "synthetic (workloads.sparsity.block_sparse_weights)"})

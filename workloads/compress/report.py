"""Per-layer and per-network compression figures (docs/hardware.md §5, step 4).

All sizes are bytes. ``dense_bytes`` is the original layer at 32 bits per weight.
After each step (weights + indexes + codebooks are all counted):

- pruned: ``weight_bytes_pruned`` = surviving weights x 4 bytes (32-bit);
  ``index_bytes_pruned`` = the direct-indexing bitmask, one bit per input position per
  group of B_out outputs (:mod:`workloads.compress.indexing`);
- quantized: ``weight_bytes_quantized`` = fixed-width codes (``bits_per_weight`` each,
  packed) + codebooks (``codebook_bytes``, 32-bit entries); the index is unchanged;
- coded: ``weight_bytes_coded`` = Huffman-coded codes + Huffman table + codebooks, and
  ``index_bytes_coded`` = the run-length Huffman-coded index. A coded stream that would
  not be smaller than its fixed-width form is stored fixed-width (``code_format`` /
  ``index_format`` say which), so coding never enlarges a layer.

Ratios: ``r_p = dense / (weight_bytes_pruned + index_bytes_pruned)``,
``r_q = dense / (weight_bytes_quantized + index_bytes_pruned)``,
``r_c = dense / (weight_bytes_coded + index_bytes_coded)``; ``r_q_global`` is ``r_q``
with one codebook per layer. ``quant_rel_error`` is ``||w - q(w)|| / ||w||`` over the
surviving weights for the local codebooks, ``quant_rel_error_global_same_k`` the same for
one codebook with the same K (local versus global at equal bits). ``r_irr`` = JBIG bytes of the fine-grained mask / JBIG
bytes of the coarse-grained mask at the same sparsity (:mod:`workloads.compress.jbig`).
The ``total`` row sums bytes over layers and recomputes every ratio from the sums;
its ``bits_per_weight`` is the code width averaged over surviving weights.
"""
from __future__ import annotations

import csv
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Iterable

COLUMNS = ("layer", "kind", "shape", "block", "weights", "nonzero", "sparsity", "k", "codebooks",
           "bits_per_weight", "coded_bits_per_weight", "dense_bytes", "weight_bytes_pruned",
           "index_bytes_pruned", "weight_bytes_quantized", "codebook_bytes",
           "weight_bytes_coded", "index_bytes_coded", "code_format", "index_format", "r_p", "r_q",
           "r_c", "k_global", "bits_per_weight_global", "weight_bytes_quantized_global",
           "r_q_global", "quant_rel_error", "quant_rel_error_global_same_k", "jbig_bytes_fine",
           "jbig_bytes_coarse", "r_irr")


@dataclass
class LayerCompression:
    layer: str
    kind: str
    shape: str
    block: str
    weights: int
    nonzero: int
    k: int
    codebooks: int
    bits_per_weight: float
    coded_bits_per_weight: float
    dense_bytes: int
    weight_bytes_pruned: int
    index_bytes_pruned: int
    weight_bytes_quantized: int
    codebook_bytes: int
    weight_bytes_coded: int
    index_bytes_coded: int
    code_format: str
    index_format: str
    k_global: int
    bits_per_weight_global: float
    weight_bytes_quantized_global: int
    jbig_bytes_fine: int
    jbig_bytes_coarse: int
    quant_rel_error: float = 0.0
    quant_rel_error_global_same_k: float = 0.0

    @property
    def sparsity(self) -> float:
        return 1.0 - self.nonzero / self.weights if self.weights else 0.0

    @property
    def r_p(self) -> float:
        return self.dense_bytes / (self.weight_bytes_pruned + self.index_bytes_pruned)

    @property
    def r_q(self) -> float:
        return self.dense_bytes / (self.weight_bytes_quantized + self.index_bytes_pruned)

    @property
    def r_q_global(self) -> float:
        return self.dense_bytes / (self.weight_bytes_quantized_global + self.index_bytes_pruned)

    @property
    def r_c(self) -> float:
        return self.dense_bytes / (self.weight_bytes_coded + self.index_bytes_coded)

    @property
    def r_irr(self) -> float:
        return self.jbig_bytes_fine / self.jbig_bytes_coarse if self.jbig_bytes_coarse else float("nan")

    def row(self) -> dict:
        d = asdict(self)
        for name in ("sparsity", "r_p", "r_q", "r_c", "r_q_global", "r_irr"):
            d[name] = getattr(self, name)
        if self.kind == "network":  # K and codebook count are per layer only
            d["k"] = d["k_global"] = d["codebooks"] = ""
            d["quant_rel_error"] = d["quant_rel_error_global_same_k"] = ""
        return {c: d[c] for c in COLUMNS}


def total(layers: list[LayerCompression], name: str = "total") -> LayerCompression:
    """Network row: byte counts summed, ratios recomputed from the sums."""
    nz = sum(l.nonzero for l in layers)

    def wavg(attr):
        return sum(getattr(l, attr) * l.nonzero for l in layers) / nz if nz else 0.0

    summed = {f.name: sum(getattr(l, f.name) for l in layers) for f in fields(LayerCompression)
              if f.type in ("int", int) and f.name not in ("k", "k_global")}
    # per-layer errors have no network total
    return LayerCompression(layer=name, kind="network", shape="", block="", k=0, k_global=0,
                            quant_rel_error=float("nan"), quant_rel_error_global_same_k=float("nan"),
                            bits_per_weight=wavg("bits_per_weight"),
                            coded_bits_per_weight=wavg("coded_bits_per_weight"),
                            bits_per_weight_global=wavg("bits_per_weight_global"),
                            code_format="", index_format="", **summed)


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.6g}"
    return v


def write_csv(path: str | Path, layers: list[LayerCompression]) -> Path:
    """One row per layer plus the ``total`` row."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS)
        w.writeheader()
        for l in list(layers) + [total(layers)]:
            w.writerow({k: _fmt(v) for k, v in l.row().items()})
    return path


TABLE_COLUMNS = ("layer", "weights", "sparsity", "k", "bits_per_weight", "coded_bits_per_weight",
                 "weight_bytes_pruned", "index_bytes_pruned", "weight_bytes_quantized",
                 "weight_bytes_coded", "index_bytes_coded", "r_p", "r_q", "r_q_global", "r_c", "r_irr")


def format_table(layers: Iterable[LayerCompression], title: str = "") -> str:
    """Plain-text table of the main columns (layers + total)."""
    rows = [l.row() for l in list(layers) + [total(list(layers))]]
    heads = {"bits_per_weight": "bits", "coded_bits_per_weight": "coded_bits",
             "weight_bytes_pruned": "w_B_pruned", "index_bytes_pruned": "idx_B_pruned",
             "weight_bytes_quantized": "w_B_quant", "weight_bytes_coded": "w_B_coded",
             "index_bytes_coded": "idx_B_coded", "r_q_global": "r_q_glob"}
    cells = [[heads.get(c, c) for c in TABLE_COLUMNS]]
    for r in rows:
        out = []
        for c in TABLE_COLUMNS:
            v = r[c]
            if c == "sparsity":
                out.append(f"{100 * v:.2f}%")
            elif isinstance(v, float):
                out.append(f"{v:.2f}")
            else:
                out.append(str(v))
        cells.append(out)
    widths = [max(len(row[i]) for row in cells) for i in range(len(TABLE_COLUMNS))]
    lines = [title] if title else []
    for j, row in enumerate(cells):
        lines.append("  ".join(v.rjust(w) for v, w in zip(row, widths)))
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)

"""Timeloop / Sparseloop problem files (``problem: {shape, instance}``, format v0.4) ->
independent layers.

One problem file is one layer, named after the file. Several files (or a folder of
them, read in natural name order: ``2.yaml`` before ``10.yaml``) are a list of
independent layers (``connected=False``), each with its own input.

The problem's ``shape`` is recognised from its projections, not from its names:

- a **convolution**: the operand with sliding ranks (a rank that is the sum of a filter
  term ``R*Wdilation`` and an output term ``P*Wstride``) is the input, the other operand
  the weights, the ``read_write`` data space the output. Dimensions only in the input and
  output are the batch (N), in the input and weights the input channels (C), in the
  weights and output the output channels (M), in all three the groups (G). One or two
  sliding ranks are allowed; their order in the output's projection gives height then
  width (Timeloop's ``Outputs[N][M][Q][P]``: Q rows, P columns, so S is the filter
  height and R its width). The input size is the footprint of the projection,
  ``(P - 1) * stride + (R - 1) * dilation + 1``, unless the instance gives ``H``/``W``
  and ``Hpad``/``Wpad`` that produce the same output size (then those). Dilation must
  be 1 (the accelerator's convolution has none).
- a **matrix product**: every rank a single dimension with no coefficient. Dimensions in
  both operands and not the output are the reduction (K); in one operand and the output,
  its free dimension; in all three, groups. The weights are the operand named
  ``Weights``/``Filter``, else the first operand listed (``A`` of ``Z[M][N] = A[M][K]
  B[N][K]``). It becomes a 1x1 ``Conv`` of K input channels to M output channels over
  the other operand's free positions (N x 1): the same MACs and weights.
- anything else exits with an error naming the file and what is allowed.

Dimensions missing from ``instance`` are 1, as in Timeloop; coefficients take their
``default`` unless the instance sets them. A batch dimension becomes the layer's own
batch (:attr:`workloads.io.model.LoadedModel.batches`). ``instance.densities`` gives the
weights' and the input's densities (``{density: x, distribution: ...}`` or a number);
the accelerator prunes in coarse blocks, so the density is kept but not the named
distribution (stated simplification); the output's density is not an input here (the
outputs are computed) and is ignored. Files using the Timeloop front-end's templates
(``{{include_text(...)}}``, ``<<<:``) are refused: give the expanded problem.
"""
from __future__ import annotations

import math
import re
from pathlib import Path

import yaml as _yaml

from workloads.density import DensityError, StatedDensity, check_density
from workloads.layers import Conv, Network

ALLOWED = ("allowed: a convolution (Weights[C][M][R][S], Inputs[N][C][R*Wdilation+P*Wstride]"
           "[S*Hdilation+Q*Hstride], Outputs[N][M][Q][P], optionally a group dimension in all three) "
           "or a matrix product (A[M][K], B[N][K], Z[M][N])")
WEIGHT_NAMES = ("weights", "weight", "filter", "filters")
SUFFIXES = (".yaml", ".yml")


class TimeloopProblemError(ValueError):
    """A Timeloop problem file that cannot be read (message names the file and field)."""


class _NotSupported(Exception):
    pass


def _natural(path: Path) -> list:
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", path.name)]


def is_problem(data) -> bool:
    """Whether parsed YAML is a Timeloop problem (a mapping with a top-level ``problem``)."""
    return isinstance(data, dict) and "problem" in data


def problem_files(spec) -> list[Path]:
    """The problem files of a file, a folder, or a list of those."""
    items = [spec] if isinstance(spec, (str, Path)) else list(spec)
    files: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            found = sorted((f for f in p.iterdir() if f.is_file() and f.suffix.lower() in SUFFIXES), key=_natural)
            if not found:
                raise TimeloopProblemError(f"{p}: folder holds no .yaml/.yml problem file")
            files.extend(found)
        elif p.is_file():
            files.append(p)
        else:
            raise TimeloopProblemError(f"{p}: no such problem file or folder")
    return files


def _load(path: Path) -> dict:
    text = path.read_text(encoding="utf-8", errors="replace")
    if "{{" in text or "<<<:" in text:
        raise TimeloopProblemError(f"{path}: uses Timeloop front-end templates ({{{{...}}}} or '<<<:'), which "
                                   f"are not expanded here; give the expanded problem as plain YAML")
    try:
        data = _yaml.safe_load(text)
    except _yaml.YAMLError as exc:
        raise TimeloopProblemError(f"{path}: not valid YAML ({exc})") from None
    if not is_problem(data):
        raise TimeloopProblemError(f"{path}: not a Timeloop problem file (no top-level 'problem' mapping)")
    return data


def _positive(path: Path, field: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise TimeloopProblemError(f"{path}: {field} must be an integer >= 1, got {value!r}")
    return value


class _Problem:
    """The parsed shape and instance of one problem file."""

    def __init__(self, path: Path, data: dict):
        self.path = path
        problem = data["problem"]
        if not isinstance(problem, dict) or not isinstance(problem.get("shape"), dict):
            raise TimeloopProblemError(f"{path}: problem.shape must be a mapping with dimensions and data_spaces")
        shape = problem["shape"]
        instance = problem.get("instance", {})
        if not isinstance(instance, dict):
            raise TimeloopProblemError(f"{path}: problem.instance must be a mapping")
        dims = shape.get("dimensions")
        if not isinstance(dims, list) or not dims or not all(isinstance(d, str) for d in dims):
            raise TimeloopProblemError(f"{path}: problem.shape.dimensions must be a list of names")
        self.dims = list(dims)
        self.coef_names = set()
        self.coef = {}
        for k, c in enumerate(shape.get("coefficients") or []):
            if not isinstance(c, dict) or not isinstance(c.get("name"), str):
                raise TimeloopProblemError(f"{path}: problem.shape.coefficients[{k}] must be a mapping with a name")
            self.coef_names.add(c["name"])
            self.coef[c["name"]] = c.get("default", 1)
        self.instance = instance
        self.size = {}
        for d in self.dims:
            self.size[d] = _positive(path, f"problem.instance.{d}", instance.get(d, 1))
        for name in self.coef_names:
            if name in instance:
                self.coef[name] = instance[name]
            _positive(path, f"problem.instance.{name}" if name in instance else
                      f"problem.shape.coefficients {name} default", self.coef[name])
        spaces = shape.get("data_spaces")
        if not isinstance(spaces, list) or not all(isinstance(s, dict) and isinstance(s.get("name"), str)
                                                   for s in spaces):
            raise TimeloopProblemError(f"{path}: problem.shape.data_spaces must be a list of named data spaces")
        self.spaces = []  # (name, ranks, read_write); rank = list of (dim, coefficient name or None)
        for s in spaces:
            ranks = [self._rank(s["name"], i, r) for i, r in enumerate(s.get("projection") or [])]
            self.spaces.append((s["name"], ranks, bool(s.get("read_write", False))))

    def _rank(self, space: str, i: int, rank) -> list[tuple[str, str | None]]:
        where = f"{self.path}: problem.shape.data_spaces {space} projection rank {i}"
        if not isinstance(rank, list) or not rank:
            raise TimeloopProblemError(f"{where}: must be a list of terms like [[P, Wstride], [R]]")
        terms = []
        for term in rank:
            if not isinstance(term, list) or not 1 <= len(term) <= 2 or not all(isinstance(t, str) for t in term):
                raise TimeloopProblemError(f"{where}: a term must be [dimension] or [dimension, coefficient], "
                                           f"got {term!r}")
            dims = [t for t in term if t in self.dims]
            coefs = [t for t in term if t in self.coef_names]
            if len(dims) != 1 or len(dims) + len(coefs) != len(term):
                raise TimeloopProblemError(f"{where}: term {term!r} must name one dimension of "
                                           f"{self.dims} and at most one coefficient of {sorted(self.coef_names)}")
            terms.append((dims[0], coefs[0] if coefs else None))
        return terms


def _space_dims(ranks) -> list[str]:
    return [d for rank in ranks for d, _ in rank]


def _roles(p: _Problem, spaces: dict) -> dict[str, tuple[bool, ...]]:
    """Per dimension: in which of the given data spaces (by role) it appears."""
    sets = {role: set(_space_dims(ranks)) for role, ranks in spaces.items()}
    return {d: tuple(d in sets[role] for role in spaces) for d in p.dims}


def _product(p: _Problem, dims) -> int:
    return math.prod(p.size[d] for d in dims)


def _matrix_product(p: _Problem, out, operands) -> tuple[Conv, int, dict]:
    for name, ranks, _ in [out, *operands]:
        seen = _space_dims(ranks)
        if len(seen) != len(set(seen)):
            raise _NotSupported(f"data space {name} names a dimension twice")
    wi = next((i for i, s in enumerate(operands) if s[0].lower() in WEIGHT_NAMES), 0)
    w, x = operands[wi], operands[1 - wi]
    roles = _roles(p, {"w": w[1], "x": x[1], "o": out[1]})
    k_dims, m_dims, n_dims, g_dims = [], [], [], []
    for d, (in_w, in_x, in_o) in roles.items():
        target = {(True, True, False): k_dims, (True, False, True): m_dims, (False, True, True): n_dims,
                  (True, True, True): g_dims}.get((in_w, in_x, in_o))
        if target is None:
            if p.size[d] > 1:
                raise _NotSupported(f"dimension {d} (size {p.size[d]}) appears only in "
                                    f"{[s[0] for s, f in zip((w, x, out), (in_w, in_x, in_o)) if f] or 'no data space'}")
            continue
        target.append(d)
    g, k, m, n = (_product(p, ds) for ds in (g_dims, k_dims, m_dims, n_dims))
    layer = Conv(p.path.stem, g * k, g * m, 1, (n, 1), groups=g)
    return layer, 1, {"weights": w[0], "inputs": x[0], "outputs": out[0]}


def _axis_input(p: _Problem, out_dim: str, filt_dim: str, stride_name: str | None,
                dil: int) -> tuple[int, int]:
    """Input size and padding along one sliding axis."""
    stride = p.coef[stride_name] if stride_name else 1
    P, R = p.size[out_dim], p.size[filt_dim]
    footprint = (P - 1) * stride + (R - 1) * dil + 1
    prefix = stride_name[0] if stride_name and stride_name[0] in "HW" else None
    if prefix and prefix in p.instance:
        size, pad = p.instance[prefix], p.instance.get(f"{prefix}pad", 0)
        if (isinstance(size, int) and isinstance(pad, int) and size >= 1 and pad >= 0
                and (size + 2 * pad - R) // stride + 1 == P and R <= size + 2 * pad):
            return size, pad
    return footprint, 0


def _convolution(p: _Problem, out, operands) -> tuple[Conv, int, dict]:
    sliding = [i for i, s in enumerate(operands) if any(len(r) > 1 for r in s[1])]
    if len(sliding) != 1:
        raise _NotSupported("exactly one operand (the input) may have sliding ranks (sums of terms)")
    x, w = operands[sliding[0]], operands[1 - sliding[0]]
    for name, ranks, _ in (w, out):
        if any(len(r) != 1 or r[0][1] is not None for r in ranks):
            raise _NotSupported(f"the ranks of {name} must be single dimensions without coefficients")
    w_dims, o_dims = set(_space_dims(w[1])), set(_space_dims(out[1]))
    axes = []  # (output dim, filter dim, stride coefficient, dilation coefficient)
    plain_x = []
    for rank in x[1]:
        if len(rank) == 1:
            if rank[0][1] is not None:
                raise _NotSupported(f"input rank {rank[0][0]}*{rank[0][1]} scales a dimension outside a sliding sum")
            plain_x.append(rank[0][0])
            continue
        if len(rank) != 2:
            raise _NotSupported("a sliding input rank must be the sum of two terms (filter and output)")
        (a, ca), (b, cb) = rank
        if a in w_dims and a not in o_dims and b in o_dims and b not in w_dims:
            axes.append((b, a, cb, ca))
        elif b in w_dims and b not in o_dims and a in o_dims and a not in w_dims:
            axes.append((a, b, ca, cb))
        else:
            raise _NotSupported(f"sliding rank {a}+{b} must add a filter dimension (in {w[0]} only) and "
                                f"an output dimension (in {out[0]} only)")
    if len(axes) > 2:
        raise _NotSupported(f"{len(axes)} sliding axes; a convolution here has at most 2")
    sliding_dims = {d for ax in axes for d in ax[:2]}
    roles = _roles(p, {"w": w[1], "x": [[(d, None)] for d in plain_x], "o": out[1]})
    c_dims, m_dims, n_dims, g_dims = [], [], [], []
    for d, (in_w, in_x, in_o) in roles.items():
        if d in sliding_dims:
            continue
        target = {(True, True, False): c_dims, (True, False, True): m_dims, (False, True, True): n_dims,
                  (True, True, True): g_dims}.get((in_w, in_x, in_o))
        if target is None:
            if p.size[d] > 1:
                raise _NotSupported(f"dimension {d} (size {p.size[d]}) is not a batch, channel, group, "
                                    f"filter or output dimension")
            continue
        target.append(d)
    out_order = _space_dims(out[1])
    axes.sort(key=lambda ax: out_order.index(ax[0]))
    for _, _, _, dil_name in axes:
        dil = p.coef[dil_name] if dil_name else 1
        if dil != 1:
            raise TimeloopProblemError(f"{p.path}: problem.instance.{dil_name} = {dil}: dilated convolution is not "
                                       f"supported (the accelerator's convolution has no dilation); allowed: 1")
    sizes = [_axis_input(p, o, f, s, 1) for o, f, s, _ in axes]
    kernel = [p.size[f] for _, f, _, _ in axes]
    strides = [p.coef[s] if s else 1 for _, _, s, _ in axes]
    if len(axes) == 1:  # one sliding axis: a 1 x W convolution (the height's stride is moot)
        sizes, kernel, strides = [(1, 0), *sizes], [1, *kernel], [strides[0], *strides]
    (ih, ph), (iw, pw) = sizes
    kh, kw = kernel
    sh, sw = strides
    g, c, m, n = (_product(p, ds) for ds in (g_dims, c_dims, m_dims, n_dims))
    layer = Conv(p.path.stem, g * c, g * m, (kh, kw), (ih, iw), sh if sh == sw else (sh, sw),
                 ph if ph == pw else (ph, pw), g)
    return layer, n, {"weights": w[0], "inputs": x[0], "outputs": out[0]}


def _layer(path: Path) -> tuple[Conv, int, StatedDensity | None]:
    p = _Problem(path, _load(path))
    outs = [s for s in p.spaces if s[2]]
    operands = [s for s in p.spaces if not s[2]]
    try:
        if len(outs) != 1 or len(operands) != 2:
            raise _NotSupported(f"{len(p.spaces)} data spaces with {len(outs)} read_write; "
                                f"expected two operands and one read_write output")
        if all(len(r) == 1 and r[0][1] is None for s in p.spaces for r in s[1]):
            layer, batch, roles = _matrix_product(p, outs[0], operands)
        else:
            layer, batch, roles = _convolution(p, outs[0], operands)
    except _NotSupported as exc:
        raise TimeloopProblemError(f"{path}: problem.shape.data_spaces: the projection is not a convolution "
                                   f"or a matrix product ({exc}); {ALLOWED}") from None
    except ValueError as exc:
        if isinstance(exc, TimeloopProblemError):
            raise
        raise TimeloopProblemError(f"{path}: {exc}") from None
    return layer, batch, _densities(p, roles)


def _densities(p: _Problem, roles: dict) -> StatedDensity | None:
    given = p.instance.get("densities")
    if given is None:
        return None
    where = f"{p.path}: problem.instance.densities"
    if not isinstance(given, dict):
        raise TimeloopProblemError(f"{where} must be a mapping from data space to {{density: x}}")
    names = [s[0] for s in p.spaces]
    values = {}
    for space, spec in given.items():
        if space not in names:
            raise TimeloopProblemError(f"{where}: unknown data space {space!r}; allowed: {', '.join(names)}")
        value = spec.get("density") if isinstance(spec, dict) else spec
        field = f"{where}.{space}" + (".density" if isinstance(spec, dict) else "")
        if value is None:
            raise TimeloopProblemError(f"{field}: missing 'density'")
        try:
            values[space] = (check_density(value, field), field)
        except DensityError as exc:
            raise TimeloopProblemError(str(exc)) from None
    w = values.get(roles["weights"])
    x = values.get(roles["inputs"])
    if w is None and x is None:
        return None
    origin = lambda v: f"{p.path.name} {v[1].split(': ', 1)[1]}"  # noqa: E731
    return StatedDensity(weight=w[0] if w else None, input=x[0] if x else None,
                         weight_origin=origin(w) if w else "", input_origin=origin(x) if x else "")


def read_timeloop(spec, name: str | None = None):
    """Independent layers of one or more problem files or folders, with the densities and
    batches they state (a :class:`workloads.io.model.LoadedModel`)."""
    from workloads.io.model import LoadedModel
    files = problem_files(spec)
    layers, stated, batches, origin = [], {}, {}, {}
    for path in files:
        layer, batch, density = _layer(path)
        lname = layer.name
        if lname in origin:
            lname = f"{path.parent.name}/{path.stem}"
            if lname in origin:
                raise TimeloopProblemError(f"{path}: layer name {lname!r} is already used by {origin[lname]}")
            from dataclasses import replace
            layer = replace(layer, name=lname)
        origin[lname] = path
        layers.append(layer)
        if batch > 1:
            batches[lname] = batch
        if density is not None:
            stated[lname] = density
    if name is None:
        items = [spec] if isinstance(spec, (str, Path)) else list(spec)
        first = Path(items[0])
        parents = {f.parent.resolve() for f in files}
        if first.is_dir() and len(items) == 1:
            name = first.resolve().name
        elif len(files) == 1:
            name = first.stem
        elif len(parents) == 1:
            name = files[0].resolve().parent.name or "timeloop"
        else:
            name = "+".join(f.stem for f in files)
    network = Network(name, layers, layers[0].input_shape, connected=False)
    return LoadedModel(network, "timeloop", tuple(str(f) for f in files), stated, batches)


def load_timeloop(spec, name: str | None = None) -> Network:
    """The independent layers of Timeloop problem files (see :func:`read_timeloop`)."""
    return read_timeloop(spec, name).network

"""Shared parsing for the network commands (run, compare, explain, dataflows, compress,
layers, demo): designs, strategies, layer lists, densities and the model argument, each
refused with a clear message."""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from soc.cli import UserError
from soc.compiler.program import STRATEGIES

if TYPE_CHECKING:  # the design schemas (pydantic) are imported when a command runs, not for --help
    from soc.arch import VectorArch

# Seeds of NumPy's generator.
SEED_MAX = 2**32 - 1

# The designs `compare` and `demo` run when none is named: the reference and its baselines.
DEFAULT_COMPARISON = ("coarse-sparse", "weight-sparse", "dense")


def parse_strategy(strategy: Optional[str]) -> Optional[str]:
    if strategy is not None and strategy not in STRATEGIES:
        raise UserError(f"--strategy: unknown {strategy!r}; allowed: {', '.join(STRATEGIES)}")
    return strategy


ARCH_HELP = "design: a shipped name (socsim arch list) or a design .yaml file"
SET_HELP = "override a design field: PATH=VALUE (repeatable; e.g. tn=32, nibin.size_bytes=4096, dram.technology=hbm2)"
PRESET_HELP = "alias of --arch"


def _design(name: str, sets: list[str], pes: Optional[int]) -> VectorArch:
    from soc.arch import ConfigError, VectorArch, load_design
    overrides = list(sets or [])
    if pes is not None:
        overrides.append(f"tn={pes}")
    from soc.vector.pricing import PricingError, check_prices
    try:
        d = load_design(name, overrides, kind="vector")
        assert isinstance(d, VectorArch)
        check_prices(d)  # every action the design books must be priced before anything runs
    except (ConfigError, PricingError) as exc:
        raise UserError(f"{name}: {exc}" if isinstance(exc, PricingError) else str(exc)) from None
    return d


def resolve_design(arch: Optional[str], preset: Optional[str] = None, sets: Optional[list[str]] = None,
                   pes: Optional[int] = None) -> VectorArch:
    """The vector design of ``--arch`` (or its alias ``--preset``) with ``--set`` overrides."""
    if arch is not None and preset is not None and arch != preset:
        raise UserError(f"--preset is an alias of --arch; give one design, got --arch {arch} and --preset {preset}")
    return _design(arch or preset or "coarse-sparse", sets or [], pes)


def resolve_designs(archs: Optional[list[str]], presets: Optional[str], sets: Optional[list[str]] = None,
                    pes: Optional[int] = None) -> list[VectorArch]:
    """The designs of ``compare``: repeated ``--arch`` values and/or ``--presets a,b,c``
    (default: the three shipped designs), each with the same ``--set`` overrides."""
    names = list(archs or [])
    if presets is not None:
        listed = [p.strip() for p in presets.split(",") if p.strip()]
        if not listed:
            from soc.arch import design_names
            raise UserError(f"--presets: give one or more of {', '.join(design_names('vector'))} separated by commas")
        names += listed
    if not names:
        names = list(DEFAULT_COMPARISON)
    designs = [_design(n, sets or [], pes) for n in names]
    seen: dict[str, str] = {}
    for n, d in zip(names, designs):
        if d.name in seen:
            raise UserError(f"--arch: two designs are named {d.name!r} ({seen[d.name]} and {n}); give each "
                            f"design file its own name")
        seen[d.name] = n
    return designs


def parse_layers(text: Optional[str]) -> Optional[list[str]]:
    if text is None:
        return None
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise UserError("--layers: give one or more layer names separated by commas")
    return names


MODEL_HELP = ("zoo network name, .yaml/.onnx/.csv network file, Timeloop problem file(s) or folder "
              "(several layer lists: repeat the argument or separate with commas)")


def spec_of(network) -> "str | list[str]":
    """The model argument as given: one string, or the list when it was repeated."""
    items = [network] if isinstance(network, str) else list(network)
    return items[0] if len(items) == 1 else items


def resolve_network(spec):
    """A workload script's path, or a :class:`workloads.io.model.LoadedModel` (a zoo network,
    a network file, Timeloop problem files or a folder of them, several layer lists)."""
    from soc.runtime.network import WorkloadScriptError, resolve
    try:
        return resolve(spec)
    except (ValueError, WorkloadScriptError) as exc:
        raise UserError(str(exc)) from None
    except Exception as exc:  # an importer's own error type (malformed file)
        raise UserError(f"{spec}: {type(exc).__name__}: {exc}") from None


TRACE_HELP = ("write OUT/trace.json: one Chrome/Perfetto trace of the whole network (a track per actor, layers "
              "marked, DRAM bandwidth and buffer occupancy as counters)")
TRACE_LAYERS_HELP = "trace only these layers' activity (comma-separated names; every layer is still marked)"
TRACE_LIMIT_HELP = "refuse a trace of this many MB or more (default 100)"


def check_trace_options(spec: str, trace: bool, layers: Optional[str], limit_mb: float) -> Optional[list[str]]:
    """The ``--trace-layers`` names, checked against the network before any simulation
    (a workload script's layers are known only after it ran), and the size limit."""
    if not trace and (layers is not None):
        raise UserError("--trace-layers needs --trace")
    if not (limit_mb > 0):
        raise UserError(f"--trace-limit-mb must be > 0 MB, got {limit_mb}")
    names = parse_layers(layers) if layers is not None else None
    if names:
        target = resolve_network(spec)
        network = getattr(target, "network", target)  # a loaded model, or a workload script's path
        if not hasattr(network, "layers"):
            return names
        allowed = [layer.name for layer in network.layers]
        unknown = [n for n in names if n not in allowed]
        if unknown:
            raise UserError(f"--trace-layers: unknown layer(s) {unknown} in {spec}; allowed: {', '.join(allowed)}")
    return names


def write_trace_or_exit(path, runs, layers, limit_mb) -> dict:
    """Write the network trace; a trace over the size limit or an unknown layer exits 2."""
    import typer

    from soc.session import write_trace
    try:
        info = write_trace(path, runs, layers=layers, limit_mb=limit_mb)
    except ValueError as exc:  # includes reports.trace.TraceTooLarge
        raise UserError(str(exc)) from None
    note = f", {info['dropped_events']:,} activity records not kept (truncated)" if info["truncated"] else ""
    typer.echo(f"wrote {path} ({info['mb']:.1f} MB, {info['events']:,} events{note})")
    if info["truncated"]:
        typer.echo(f"warning: {path}: \"truncated\": true, \"dropped_events\": {info['dropped_events']} (activity "
                   f"records the simulator did not keep; the trace holds the rest)", err=True)
    return info


ACCURACY_HELP = ("the network's accuracy, when known: a fraction in [0, 1], or the output directory of socsim "
                 "compress (its accuracy.json and compression.csv); adds accuracy per joule and per parameter")


def parse_accuracy(spec: str) -> tuple[float, int | None]:
    from soc.session import AccuracyError, load_accuracy
    try:
        return load_accuracy(spec)
    except AccuracyError as exc:
        raise UserError(str(exc)) from None


def parse_design_accuracies(specs: Optional[list[str]], designs: list[str]) -> dict[str, tuple[float, int | None]]:
    """``--accuracy DESIGN=VALUE`` (repeatable) for compare: each design's accuracy."""
    out: dict[str, tuple[float, int | None]] = {}
    for spec in specs or []:
        name, sep, value = spec.partition("=")
        if not sep or not value:
            raise UserError(f"--accuracy {spec!r}: expected DESIGN=VALUE (VALUE a fraction in [0, 1] or a socsim "
                            f"compress output directory); designs: {', '.join(designs)}")
        if name not in designs:
            raise UserError(f"--accuracy {spec!r}: {name!r} is not a compared design; allowed: {', '.join(designs)}")
        out[name] = parse_accuracy(value)
    return out


def resolve_model(spec, command: str):
    """Like :func:`resolve_network`, refusing a workload script (``command`` needs layers)."""
    from pathlib import Path
    target = resolve_network(spec)
    if isinstance(target, Path):
        raise UserError(f"{command} takes a model (zoo network, network file, Timeloop problem files), "
                        f"not a workload script: a script's layers exist only when it runs "
                        f"(`socsim run {target}` writes one row per call to layers.csv)")
    return target


def parse_density(option: str, value: Optional[float]) -> Optional[float]:
    if value is None:
        return None
    from workloads.density import DensityError, check_density
    try:
        return check_density(value, option)
    except DensityError as exc:
        raise UserError(str(exc)) from None


def plan(model, weight_density: Optional[float] = None, input_density: Optional[float] = None) -> dict:
    """Per layer, the density targets of a loaded model (option > file > measured)."""
    from workloads.density import DensityError, plan_densities
    try:
        return plan_densities(model.network, model.stated,
                              weight_density=parse_density("--weight-density", weight_density),
                              input_density=parse_density("--input-density", input_density))
    except DensityError as exc:
        raise UserError(str(exc)) from None


PRUNE_HELP = "prune the model's own weights first: coarse (whole blocks) | fine (single weights); needs --weight-density"
BLOCK_HELP = ("with --prune coarse: block sizes, 4 for convolutions (e.g. 16,1,1,1) or 2 for FC/recurrent layers "
              "(e.g. 32,32); default per layer kind")
INPUT_HELP = "network input as a .npy array, (N, *input shape) or one sample; default: a deterministic synthetic input"


def parse_prune(prune: Optional[str], density: Optional[float], block: Optional[str]):
    """--prune coarse|fine --weight-density D [--block B0,B1,...] -> a PruneSpec (or None)."""
    from workloads.sparsity import PRUNE_METHODS, PruneSpec
    if prune is None:
        if block is not None:
            raise UserError("--block applies with --prune coarse")
        return None
    if prune not in PRUNE_METHODS:
        raise UserError(f"--prune: unknown method {prune!r}; allowed: {', '.join(PRUNE_METHODS)}")
    if density is None:
        raise UserError("--prune needs --weight-density D, the fraction of weights kept, in (0, 1]")
    density = parse_density("--weight-density", density)
    blk = None
    if block is not None:
        try:
            blk = tuple(int(b) for b in block.split(","))
        except ValueError:
            raise UserError(f"--block: {block!r} must be comma-separated integers, e.g. 16,1,1,1 or 32,32") from None
    try:
        return PruneSpec(prune, density, blk)
    except ValueError as exc:
        raise UserError(f"--prune: {exc}") from None


def load_input(path):
    """--input FILE.npy: the network input as an array (checked against the network before the run)."""
    if path is None:
        return None
    from pathlib import Path

    import numpy as np
    p = Path(path)
    if not p.is_file():
        raise UserError(f"--input {p}: no such file")
    try:
        return np.load(p, allow_pickle=False)
    except Exception as exc:
        raise UserError(f"--input {p}: not a NumPy .npy array ({type(exc).__name__}: {exc})") from None

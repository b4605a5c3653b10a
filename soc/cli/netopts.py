"""Shared parsing for the network commands (run, compare, explain, dataflows, compress,
layers, demo): presets, strategies, layer lists, densities and the model argument, each
refused with a clear message."""
from __future__ import annotations

from typing import Optional

from soc.cli import UserError
from soc.compiler.program import STRATEGIES
from soc.config import PRESETS, ConfigError, SoCConfig, preset as make_preset


def parse_strategy(strategy: Optional[str]) -> Optional[str]:
    if strategy is not None and strategy not in STRATEGIES:
        raise UserError(f"--strategy: unknown {strategy!r}; allowed: {', '.join(STRATEGIES)}")
    return strategy


def parse_presets(text: str) -> list[str]:
    names = [p.strip() for p in text.split(",") if p.strip()]
    if not names:
        raise UserError(f"--presets: give one or more of {', '.join(PRESETS)} separated by commas")
    bad = [p for p in names if p not in PRESETS]
    if bad:
        raise UserError(f"--presets: unknown preset(s) {', '.join(map(repr, bad))}; allowed: {', '.join(PRESETS)}")
    if len(set(names)) != len(names):
        raise UserError(f"--presets: a preset is named twice in {text!r}")
    return names


def make_config(name: str, pes: Optional[int] = None) -> SoCConfig:
    if name not in PRESETS:
        raise UserError(f"--preset: unknown preset {name!r}; allowed: {', '.join(PRESETS)}")
    try:
        return make_preset(name, **({"tn": pes} if pes is not None else {}))
    except ConfigError as exc:
        raise UserError(str(exc)) from None


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
    from soc.network import WorkloadScriptError, resolve
    try:
        return resolve(spec)
    except (ValueError, WorkloadScriptError) as exc:
        raise UserError(str(exc)) from None
    except Exception as exc:  # an importer's own error type (malformed file)
        raise UserError(f"{spec}: {type(exc).__name__}: {exc}") from None


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

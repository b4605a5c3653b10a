"""Shared parsing for the network commands (run, compare, explain, demo): presets,
strategies, layer lists and the network argument, each refused with a clear message."""
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


def resolve_network(spec: str):
    """A zoo network, an imported network file, or the path of a workload script."""
    from soc.network import WorkloadScriptError, resolve
    try:
        return resolve(spec)
    except (ValueError, WorkloadScriptError) as exc:
        raise UserError(str(exc)) from None
    except Exception as exc:  # an importer's own error type (malformed file)
        raise UserError(f"{spec}: {type(exc).__name__}: {exc}") from None


def parse_prune(prune: Optional[str], density: Optional[float], block: Optional[str]):
    """--prune coarse|fine --weight-density D [--block B0,B1,...] -> a PruneSpec (or None)."""
    from workloads.sparsity import PRUNE_METHODS, PruneSpec
    if prune is None:
        if density is not None or block is not None:
            raise UserError("--weight-density and --block apply with --prune coarse|fine")
        return None
    if prune not in PRUNE_METHODS:
        raise UserError(f"--prune: unknown method {prune!r}; allowed: {', '.join(PRUNE_METHODS)}")
    if density is None:
        raise UserError("--prune needs --weight-density D, the fraction of weights kept, in (0, 1]")
    if not 0.0 < density <= 1.0:
        raise UserError(f"--weight-density: {density} is outside (0, 1] (the fraction of weights kept)")
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


def load_input(path) -> "object | None":
    """--input FILE.npy: the network input as an array (checked against the network later)."""
    if path is None:
        return None
    import numpy as np
    from pathlib import Path
    p = Path(path)
    if not p.is_file():
        raise UserError(f"--input {p}: no such file")
    try:
        return np.load(p, allow_pickle=False)
    except Exception as exc:
        raise UserError(f"--input {p}: not a NumPy .npy array ({type(exc).__name__}: {exc})") from None

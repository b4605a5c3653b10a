"""Shared parsing for the network commands (run, compare, explain, demo): designs,
strategies, layer lists and the network argument, each refused with a clear message."""
from __future__ import annotations

from typing import Optional

from soc.cli import UserError
from soc.compiler.program import STRATEGIES
from soc.arch import ConfigError, VectorArch, design_names, load_design

# Seeds of NumPy's generator.
SEED_MAX = 2**32 - 1

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
    overrides = list(sets or [])
    if pes is not None:
        overrides.append(f"tn={pes}")
    from soc.vector.pricing import PriceTableError, check_prices
    try:
        d = load_design(name, overrides, kind="vector")
        assert isinstance(d, VectorArch)
        check_prices(d)  # a table that cannot price this design is refused before the first cycle
    except (ConfigError, PriceTableError) as exc:
        raise UserError(f"{name}: {exc}" if isinstance(exc, PriceTableError) else str(exc)) from None
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


def resolve_network(spec: str):
    """A zoo network, an imported network file, or the path of a workload script."""
    from soc.runtime.network import WorkloadScriptError, resolve
    try:
        return resolve(spec)
    except (ValueError, WorkloadScriptError) as exc:
        raise UserError(str(exc)) from None
    except Exception as exc:  # an importer's own error type (malformed file)
        raise UserError(f"{spec}: {type(exc).__name__}: {exc}") from None

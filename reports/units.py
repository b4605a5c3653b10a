"""Units a person reads: energy, time and rates scaled to the unit that keeps numbers
readable. Files keep exact base units (pJ, s, cycles, bytes); these scalings are for
figures and the HTML report only.
"""
from __future__ import annotations

import math

#: (name, pJ per unit), smallest first.
ENERGY_UNITS: tuple[tuple[str, float], ...] = (("pJ", 1.0), ("nJ", 1e3), ("µJ", 1e6), ("mJ", 1e9), ("J", 1e12))
#: (name, seconds per unit), smallest first.
TIME_UNITS: tuple[tuple[str, float], ...] = (("ns", 1e-9), ("µs", 1e-6), ("ms", 1e-3), ("s", 1.0))
#: (prefix, factor), smallest first, for rates such as MAC/s.
PREFIXES: tuple[tuple[str, float], ...] = (("", 1.0), ("k", 1e3), ("M", 1e6), ("G", 1e9), ("T", 1e12), ("P", 1e15))


def _pick(largest: float, units: tuple[tuple[str, float], ...]) -> tuple[str, float]:
    chosen = units[0]
    if not math.isfinite(largest):
        return chosen
    for name, scale in units:
        if abs(largest) >= scale:
            chosen = (name, scale)
    return chosen


def energy_unit(max_pj: float) -> tuple[str, float]:
    """The unit (name, pJ per unit) that puts ``max_pj`` in [1, 1000)."""
    return _pick(max_pj, ENERGY_UNITS)


def time_unit(max_s: float) -> tuple[str, float]:
    """The unit (name, seconds per unit) that puts ``max_s`` in [1, 1000)."""
    return _pick(max_s, TIME_UNITS)


def prefix(max_value: float) -> tuple[str, float]:
    """The SI prefix (name, factor) that puts ``max_value`` in [1, 1000)."""
    return _pick(max_value, PREFIXES)

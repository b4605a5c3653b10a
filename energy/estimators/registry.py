"""The estimator classes by name, and the one entry point :func:`estimate`."""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable, Mapping

from energy.estimators.base import Estimate, EstimatorError, Tech

Estimator = Callable[[Mapping[str, Any], Tech], Estimate]
ESTIMATORS: dict[str, Estimator] = {}


def register(name: str) -> Callable[[Estimator], Estimator]:
    def wrap(fn: Estimator) -> Estimator:
        ESTIMATORS[name] = fn
        return fn
    return wrap


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    return value


@lru_cache(maxsize=4096)
def _cached(cls: str, frozen: tuple, node_nm: float, vdd_v: float) -> Estimate:
    return ESTIMATORS[cls](dict(frozen), Tech(node_nm, vdd_v))


def estimate(cls: str, attributes: Mapping[str, Any], tech: Tech = Tech()) -> Estimate:
    """Energy per action, leakage and area of one instance of ``cls`` with ``attributes``."""
    if cls not in ESTIMATORS:
        raise EstimatorError(f"unknown component class {cls!r}; allowed: {', '.join(sorted(ESTIMATORS))}")
    return _cached(cls, _freeze(attributes), float(tech.node_nm), float(tech.vdd_v))


def classes() -> list[str]:
    return sorted(ESTIMATORS)

"""Integer and floating-point adders and multipliers, and comparators, by operand width.

Energy: the published 45 nm points (``horowitz-45nm``) log-log in width, C*V^2 scaled.
Area: the published 45 nm areas (``data/arithmetic.yaml``), log-log in width, scaled
with the bit-cell area of the node. Leakage: at the logic leakage density.
bfloat16 is derived from fp16 by significand width (``data/arithmetic.yaml``).
"""
from __future__ import annotations

from typing import Any, Mapping

from energy.estimators.base import (
    Estimate,
    EstimatorError,
    Tech,
    area_scale,
    data,
    energy_scale,
    logic_leakage_mw,
    loglog,
    need,
    primitive,
)
from energy.estimators.registry import register

FLOAT_FORMATS = ("fp16", "bf16", "fp32")


def _areas(op: str) -> dict[float, float]:
    return {float(k): float(v) for k, v in data("arithmetic")["area_um2_45nm"][op].items()}


def _int_op(op: str, bits: float) -> tuple[float, float]:
    """(pJ, um^2) at 45 nm of an integer ``op`` on ``bits``-bit operands."""
    return primitive().op(op, bits), loglog(_areas(op), bits)


def _float_op(op: str, fmt: str) -> tuple[float, float]:
    """(pJ, um^2) at 45 nm of a floating-point ``op`` ('float_add' or 'float_mult')."""
    if fmt not in FLOAT_FORMATS:
        raise EstimatorError(f"format must be one of {', '.join(FLOAT_FORMATS)}, got {fmt!r}")
    if fmt == "bf16":
        rule = data("arithmetic")["bf16_from_fp16"]
        ratio = rule["significand_bits"]["bf16"] / rule["significand_bits"]["fp16"]
        exponent = rule["multiplier_exponent"] if op == "float_mult" else rule["adder_exponent"]
        pj, um2 = _float_op(op, "fp16")
        return pj * ratio ** exponent, um2 * ratio ** exponent
    bits = 16 if fmt == "fp16" else 32
    return primitive().ops[op][bits], _areas(op)[bits]


def _estimate(action: str, pj45: float, um2_45: float, tech: Tech, how: str) -> Estimate:
    area = um2_45 * area_scale(45, tech) * 1e-6
    return Estimate({action: pj45 * energy_scale(tech)}, logic_leakage_mw(area, tech), area,
                    {action: f"{how}; C*V^2 scaled", "area": f"{how} area; cell-area scaled from 45 nm",
                     "leakage": "area x logic leakage density"})


def _format(attrs: Mapping[str, Any]) -> str | None:
    fmt = attrs.get("format", "int")
    return None if fmt == "int" else str(fmt)


@register("multiplier")
def multiplier(attrs: Mapping[str, Any], tech: Tech) -> Estimate:
    """A multiplier: ``width`` bits (integer) or ``format`` fp16|bf16|fp32. Action ``multiply``."""
    fmt = _format(attrs)
    if fmt is None:
        bits = need(attrs, "width", "multiplier", high=64)
        pj, um2 = _int_op("int_mult", bits)
        return _estimate("multiply", pj, um2, tech, f"int_mult({bits:g}) log-log in width from Horowitz 45 nm")
    pj, um2 = _float_op("float_mult", fmt)
    return _estimate("multiply", pj, um2, tech, f"{fmt} multiply from Horowitz 45 nm")


@register("adder")
def adder(attrs: Mapping[str, Any], tech: Tech) -> Estimate:
    """An adder: ``width`` bits (integer) or ``format`` fp16|bf16|fp32. Action ``add``."""
    fmt = _format(attrs)
    if fmt is None:
        bits = need(attrs, "width", "adder", high=128)
        pj, um2 = _int_op("int_add", bits)
        return _estimate("add", pj, um2, tech, f"int_add({bits:g}) log-log in width from Horowitz 45 nm")
    pj, um2 = _float_op("float_add", fmt)
    return _estimate("add", pj, um2, tech, f"{fmt} add from Horowitz 45 nm")


@register("comparator")
def comparator(attrs: Mapping[str, Any], tech: Tech) -> Estimate:
    """A ``width``-bit comparator (zero or magnitude compare): an adder's carry chain.
    Action ``compare``."""
    bits = need(attrs, "width", "comparator", high=128)
    pj, um2 = _int_op("int_add", bits)
    return _estimate("compare", pj, um2, tech, f"compare = carry chain of int_add({bits:g})")

"""The one error type of a design that cannot be built, and how pydantic's errors become it."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError


class ConfigError(ValueError):
    """A design (or any configuration) value outside its allowed range; the message is one
    line naming the file (when there is one), the field and what is allowed."""


def describe_error(err: dict, model: str) -> str:
    """One pydantic error as 'field: what is wrong (allowed: ...); got value'."""
    field = ".".join(str(p) for p in err["loc"])
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if not field:  # a check across fields: its message names them
        return msg
    if err["type"] == "extra_forbidden":
        return f"{field}: unknown field (not a {model} option)"
    ctx = err.get("ctx") or {}
    allowed = f" (allowed: {ctx['expected']})" if "expected" in ctx else ""
    return f"{field}: {msg}{allowed}; got {err.get('input')!r}"


def validated(model: type[BaseModel], label: str, **fields: Any):
    """Build ``model``, turning validation failures into one :class:`ConfigError`."""
    try:
        return model(**fields)
    except ValidationError as exc:
        raise ConfigError(f"invalid {label}: " + "; ".join(describe_error(e, model.__name__)
                                                           for e in exc.errors())) from None

"""socsim: a discrete-event simulator of neural-network accelerator systems-on-chip."""
from __future__ import annotations

try:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as _version
    __version__ = _version("socsim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"


def __getattr__(name: str):
    """``soc.sweep`` (the sweep package, callable as ``soc.sweep(spec) -> DataFrame``) is
    imported on first use, so that ``import soc`` stays fast."""
    if name == "sweep":
        import importlib
        return importlib.import_module("soc.sweep")
    raise AttributeError(f"module 'soc' has no attribute {name!r}")

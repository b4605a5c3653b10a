"""socsim: a discrete-event simulator of neural-network accelerator systems-on-chip."""
from __future__ import annotations


def __getattr__(name: str):
    """``__version__`` is looked up on first use (importlib.metadata is slow to import);
    ``soc.sweep`` (the sweep package, callable as ``soc.sweep(spec) -> DataFrame``) is
    imported on first use, so that ``import soc`` stays fast."""
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError
        from importlib.metadata import version as _version
        try:
            value = _version("socsim")
        except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
            value = "0+unknown"
        globals()["__version__"] = value
        return value
    if name == "sweep":
        import importlib
        return importlib.import_module("soc.sweep")
    raise AttributeError(f"module 'soc' has no attribute {name!r}")

"""socsim: a discrete-event simulator of neural-network accelerator systems-on-chip."""
from __future__ import annotations



def __getattr__(name: str):
    """``__version__`` is looked up on first use (importlib.metadata is slow to import)."""
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version
        try:
            value = version("socsim")
        except PackageNotFoundError:  # pragma: no cover - a source tree without install
            value = "0+unknown"
        globals()["__version__"] = value
        return value
    raise AttributeError(f"module 'soc' has no attribute {name!r}")

"""Imports every sub-command module so that each registers itself on the app."""
from soc.cli import (
    arch,  # noqa: F401
    compare,  # noqa: F401
    compress,  # noqa: F401
    dataflows,  # noqa: F401
    demo,  # noqa: F401
    explain,  # noqa: F401
    layer,  # noqa: F401
    layers,  # noqa: F401
    run,  # noqa: F401
    sweep,  # noqa: F401
    zoo,  # noqa: F401
)

"""Imports every sub-command module so that each registers itself on the app."""
from soc.cli import layer  # noqa: F401
from soc.cli import zoo  # noqa: F401
from soc.cli import compress  # noqa: F401
from soc.cli import dataflows  # noqa: F401
from soc.cli import run  # noqa: F401
from soc.cli import compare  # noqa: F401
from soc.cli import explain  # noqa: F401
from soc.cli import demo  # noqa: F401
from soc.cli import layers  # noqa: F401
from soc.cli import arch  # noqa: F401

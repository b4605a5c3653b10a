"""The one error type of a sweep that cannot start."""
from __future__ import annotations


class SweepError(ValueError):
    """A sweep file, option or output directory that cannot be used. The message is one
    line naming the file (when there is one), the field and what is allowed; the CLI
    prints it and exits with status 2 before any point runs."""

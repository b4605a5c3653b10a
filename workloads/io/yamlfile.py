"""Reading a YAML file with every failure as one line that names the file."""
from __future__ import annotations

from pathlib import Path
from typing import Any


def read_yaml(path: str | Path, error: type[Exception]) -> Any:
    """The parsed YAML of ``path``. A file that cannot be read, is not UTF-8 text or is not
    valid YAML raises ``error`` with one line naming the file (and the line of a syntax
    error). Whether the file exists is the caller's to check, with its own wording."""
    import yaml
    path = Path(path)
    try:
        return yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}:" if mark is not None else ""
        raise error(f"{path}:{where} not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not a text file (byte {exc.start} is not UTF-8)") from None
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror})") from None

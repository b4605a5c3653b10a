"""One run per output directory: claim it, check it can be written, clear what an earlier
run left there.

:func:`claim` is a context manager every command that writes into a directory enters
before it simulates anything:

* **Writable.** The directory is created (with its parents) and a probe file is written
  and removed in it. A path that is a file, a parent that is a file, or a directory
  without write permission is refused with :class:`OutputDirError` (one line naming the
  path and the reason), before the first cycle.
* **Locked.** An exclusive ``flock`` on ``DIR/.socsim.lock`` is held for the whole run.
  A second run into the same directory is refused; the lock file names the holder (pid,
  host, command and start time), and the refusal quotes it. The kernel drops the lock
  when its process ends, however it ends, so a killed run never leaves a stale lock.
  (``flock`` is advisory and local: two machines writing one network-file-system
  directory are not kept apart; stated limitation.)
* **Clean.** The files an earlier run wrote (listed in ``DIR/.socsim-manifest.json``)
  and every file name a socsim command writes (:data:`ARTIFACTS`) are removed, so that
  nothing in the directory describes another run. Files socsim does not write are left
  alone. The manifest of the new run is written as the run registers its files
  (:meth:`RunDir.register`), so the next run can remove them.

Files are written with the user's normal permissions (``0666`` less the umask).
"""
from __future__ import annotations

import datetime as _dt
import errno
import fcntl
import json
import os
import shutil
import socket
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

LOCK_NAME = ".socsim.lock"
MANIFEST_NAME = ".socsim-manifest.json"
# Every file or folder a socsim command writes into its output directory (a run, a
# comparison, a layer, a sweep, the compression table, the dataflow comparison).
ARTIFACTS = (
    "layers.csv", "summary.json", "report.html", "network.csv", "energy_by_component.csv",
    "energy_by_action.csv", "plots", "trace.json", "result.json", "compare.csv", "compression.csv",
    "accuracy.json", "dataflows.csv", "dataflows_summary.csv", "design.yaml", "design.json",
)


class OutputDirError(ValueError):
    """An output directory that cannot be used: not creatable, not writable, or in use."""


def file_mode() -> int:
    """The mode a new file gets from ``open()``: 0666 less the process's umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def check_writable(out: str | os.PathLike, option: str = "--out") -> Path:
    """Create ``out`` (and its parents) and prove a file can be written in it."""
    path = Path(out)
    for parent in [path, *path.parents]:
        if parent.exists() and not parent.is_dir():
            what = "is" if parent == path else f"is inside {parent}, which is"
            raise OutputDirError(f"{option} {path}: {what} a file, not a directory "
                                 f"(allowed: a directory that can be created and written)")
        if parent.exists():
            break
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputDirError(f"{option} {path}: cannot create the directory ({exc.strerror}; "
                             f"allowed: a directory that can be created and written)") from None
    probe = path / f".socsim-probe-{os.getpid()}-{threading.get_ident()}"
    try:
        with open(probe, "w") as fh:
            fh.write("probe\n")
        probe.unlink()
    except OSError as exc:
        raise OutputDirError(f"{option} {path}: cannot write in the directory ({exc.strerror}; "
                             f"allowed: a directory that can be created and written)") from None
    return path


# Directories this process holds: path -> (thread id, depth), so that a command which
# claims a directory can call code that claims it again (compare -> run) in the same
# thread, while another thread or process is refused.
_HELD: dict[str, list] = {}
_HELD_LOCK = threading.Lock()


class RunDir:
    """A claimed output directory (see :func:`claim`)."""

    def __init__(self, path: Path, fd: int | None):
        self.path, self._fd = path, fd
        self._files: list[str] = []

    def register(self, *paths: str | os.PathLike) -> None:
        """Record files this run wrote (relative to the directory or absolute inside it)."""
        changed = False
        for p in paths:
            p = Path(p)
            try:
                rel = str(p.resolve().relative_to(self.path.resolve())) if p.is_absolute() else str(p)
            except ValueError:
                continue
            top = rel.split(os.sep)[0]
            if top and top not in self._files:
                self._files.append(top)
                changed = True
        if changed:
            _write_manifest(self.path, self._files)


def _holder_text() -> str:
    command = " ".join(Path(a).name if i == 0 else a for i, a in enumerate(sys.argv)) or "python"
    started = _dt.datetime.now().isoformat(timespec="seconds")
    return json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "command": command[:300],
                       "started": started})


def _describe_holder(lock_path: Path) -> str:
    try:
        info = json.loads(lock_path.read_text() or "{}")
    except (OSError, ValueError):
        return "another socsim run"
    if not isinstance(info, dict) or "pid" not in info:
        return "another socsim run"
    return (f"pid {info.get('pid')} on {info.get('host', '?')} ({info.get('command', '?')!s}, "
            f"since {info.get('started', '?')})")


def _write_manifest(path: Path, files: list[str]) -> None:
    data = json.dumps({"files": sorted(files)}, indent=1) + "\n"
    tmp = path / f".{MANIFEST_NAME}.{os.getpid()}"
    tmp.write_text(data)
    os.replace(tmp, path / MANIFEST_NAME)


def clear_artifacts(path: Path) -> list[str]:
    """Remove what an earlier run wrote (its manifest and the known artifact names)."""
    names = set(ARTIFACTS)
    try:
        listed = json.loads((path / MANIFEST_NAME).read_text()).get("files", [])
        names.update(n for n in listed if isinstance(n, str) and n and "/" not in n and n not in (".", ".."))
    except (OSError, ValueError, AttributeError):
        pass
    removed = []
    for name in sorted(names):
        target = path / name
        if name in (LOCK_NAME,) or not (target.exists() or target.is_symlink()):
            continue
        try:
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            else:
                target.unlink()
        except OSError as exc:
            raise OutputDirError(f"--out {path}: cannot remove {name} of an earlier run ({exc.strerror})") from None
        removed.append(name)
    for stray in path.glob(f".{MANIFEST_NAME}.*"):
        stray.unlink(missing_ok=True)
    (path / MANIFEST_NAME).unlink(missing_ok=True)
    return removed


@contextmanager
def claim(out: str | os.PathLike, option: str = "--out", *, clear: bool = True) -> Iterator[RunDir]:
    """Hold ``out`` for one run: writable, locked, cleared of an earlier run's files."""
    path = check_writable(out, option)
    key = str(path.resolve())
    me = threading.get_ident()
    with _HELD_LOCK:
        held = _HELD.get(key)
        if held is not None and held[0] == me:
            held[1] += 1
            nested = True
        elif held is not None:
            raise OutputDirError(f"{option} {path}: in use by another run in this process; "
                                 f"give each run its own output directory")
        else:
            nested = False
    if nested:
        try:
            yield RunDir(path, None)
        finally:
            with _HELD_LOCK:
                _HELD[key][1] -= 1
        return
    lock_path = path / LOCK_NAME
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise OutputDirError(f"{option} {path}: cannot create the lock file {LOCK_NAME} ({exc.strerror})") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise OutputDirError(f"{option} {path}: in use by another run: {_describe_holder(lock_path)}; wait "
                                 f"for it to finish or give another output directory") from None
        raise OutputDirError(f"{option} {path}: cannot lock the directory ({exc.strerror})") from None
    with _HELD_LOCK:
        _HELD[key] = [me, 1]
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, _holder_text().encode(), 0)
        if clear:
            clear_artifacts(path)
        yield RunDir(path, fd)
    finally:
        with _HELD_LOCK:
            _HELD.pop(key, None)
        try:
            os.ftruncate(fd, 0)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

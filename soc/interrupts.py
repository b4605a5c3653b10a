"""SIGINT and SIGTERM as one exception that a run records before it stops.

:func:`signals_raise` installs handlers that raise :class:`RunInterrupted` in the main
thread, so a run unwinds like any failure: the runtime attaches what was simulated
(``partial_summary``), :mod:`soc.session` writes ``summary.json`` with
``status: interrupted``, the layers finished and the layer that was running, and the
CLI prints one line and exits 128 + the signal number (130 for SIGINT, 143 for SIGTERM).

``RunInterrupted`` derives from ``BaseException`` (like ``KeyboardInterrupt``), so that
code catching ``Exception`` to report a failed layer does not mistake it for one, and
the command-line framework does not swallow it either.
"""
from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Iterator


class RunInterrupted(BaseException):
    """The run was stopped by a signal; ``signum`` is its number."""

    run_status = "interrupted"  # what a result file records (see reports.writer)

    def __init__(self, signum: int):
        self.signum = signum
        self.signal_name = signal.Signals(signum).name
        super().__init__(f"interrupted by {self.signal_name}")

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def _raise(signum, frame) -> None:
    raise RunInterrupted(signum)


@contextmanager
def signals_raise(signums: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)) -> Iterator[None]:
    """While inside, the given signals raise :class:`RunInterrupted` (main thread only;
    elsewhere, a no-op). The previous handlers are restored on exit."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, _raise) for s in signums}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


@contextmanager
def signals_deferred(signums: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)) -> Iterator[None]:
    """While inside, the given signals are held and the first one to arrive is delivered
    again on leaving, to the handlers that were in place before: a block that must finish
    whole (a layer's row written to its file and counted) is not cut in two. Main thread
    only; elsewhere, a no-op."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {s: signal.signal(s, lambda signum, frame: caught.append(signum)) for s in signums}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if caught:
            signal.raise_signal(caught[0])

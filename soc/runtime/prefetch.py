"""Make the next item of an iterator on a background thread while the caller works on
the current one.

A network run alternates two kinds of work: the reference run makes a layer's tensors
(NumPy: random weights, the forward pass; much of it in C with the GIL released) and the
simulator runs the layer (Python). :func:`prefetch` lets the first proceed one layer
ahead on a second core while the second runs. It changes nothing in what is made: the
items are made by the same iterator, in the same order, one at a time, and handed over in
order; an exception raised while making an item is raised to the caller when it asks for
that item. At most one item is made ahead, so one more layer's tensors are alive at a
time than without it.
"""
from __future__ import annotations

import threading
from typing import Iterator, TypeVar

T = TypeVar("T")

_DONE = object()


class Prefetch(Iterator[T]):
    """An iterator over ``source``'s items, each made while the previous one is used.
    :meth:`close` (also on leaving a ``with`` block) stops making items: the item being
    made is finished and dropped, the source is closed on the background thread."""

    def __init__(self, source: Iterator[T], name: str = "prefetch"):
        self._source = source
        self._wanted = threading.Semaphore(0)     # one permit per item the caller may receive next
        self._ready = threading.Semaphore(0)      # released when ``_slot`` holds an item
        self._slot: list = []
        self._closed = False
        self._finished = False
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._wanted.release()                    # make the first item right away
        self._thread.start()

    def _work(self) -> None:
        while True:
            self._wanted.acquire()
            if self._closed:
                break
            try:
                item = next(self._source)
            except StopIteration:
                self._slot.append((_DONE, None))
                self._ready.release()
                break
            except BaseException as exc:  # handed to the caller with the item it stands for
                self._slot.append((None, exc))
                self._ready.release()
                break
            if self._closed:  # the caller left while it was being made
                del item
                break
            self._slot.append((item, None))
            del item  # the caller holds the only reference once it takes it
            self._ready.release()
        close = getattr(self._source, "close", None)
        if close is not None:
            close()

    def __next__(self) -> T:
        if self._finished:
            raise StopIteration
        self._ready.acquire()
        item, exc = self._slot.pop()
        if exc is not None or item is _DONE:
            self._finished = True
            if exc is not None:
                raise exc
            raise StopIteration
        self._wanted.release()  # make the next one while the caller works on this one
        return item

    def close(self) -> None:
        """Stop making items; returns at once (the background thread finishes its
        current item, drops it and closes the source)."""
        if not self._closed:
            self._closed = True
            self._finished = True
            self._wanted.release()

    def __enter__(self) -> "Prefetch[T]":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def prefetch(source: Iterator[T], name: str = "prefetch") -> Prefetch[T]:
    """``source``'s items, each made on a background thread while the caller uses the
    previous one (see :class:`Prefetch`)."""
    return Prefetch(iter(source), name)

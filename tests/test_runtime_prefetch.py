"""The reference run's prefetcher: same items, same order, errors where they belong,
never more than one item ahead, and a closed prefetcher closes its source."""
from __future__ import annotations

import threading

import pytest

from soc.runtime.prefetch import prefetch


def test_items_arrive_in_order_and_end():
    assert list(prefetch(iter(range(50)))) == list(range(50))
    assert list(prefetch(iter([]))) == []


def test_at_most_one_item_is_made_ahead():
    made: list[int] = []
    gate = threading.Event()

    def source():
        for i in range(6):
            made.append(i)
            yield i

    stream = prefetch(source())
    for i in range(6):
        assert next(stream) == i
        gate.wait(0.05)  # give the background thread time to run ahead if it would
        assert len(made) <= i + 2
    with pytest.raises(StopIteration):
        next(stream)


def test_an_error_is_raised_with_the_item_it_stands_for():
    def source():
        yield 1
        yield 2
        raise ValueError("layer 3 is bad")

    stream = prefetch(source())
    assert next(stream) == 1 and next(stream) == 2
    with pytest.raises(ValueError, match="layer 3 is bad"):
        next(stream)
    with pytest.raises(StopIteration):
        next(stream)


def test_closing_stops_the_source():
    closed = threading.Event()

    def source():
        try:
            for i in range(1000):
                yield i
        finally:
            closed.set()

    with prefetch(source()) as stream:
        assert next(stream) == 0
    assert closed.wait(5)
    with pytest.raises(StopIteration):
        next(stream)

"""How the vector accelerator's actors keep time: facts, dispatch queues and timed wakes
on a SimPy clock.

The actors (control processor, DMA engines, the NSM -> H-tree -> NFU pipeline, the
encoder) are state machines, not one SimPy process each. When an actor learns what it
waits for, it computes *when* its next step happens instead of sleeping until then:

* a :class:`Fact` is a moment that is known once some actor has worked it out (a tile
  ready in its buffer, an output tile's last burst done, a buffer half freed). Every
  fact is worked out no later, in simulated time, than the moment it names, so an
  actor that derives a later moment from facts never derives one in the past;
* the compute pipeline only combines facts (it has no shared resource), so a burst
  costs no SimPy event at all: its NSM, H-tree and NFU times follow from the
  recurrences of three stages joined by one-entry queues (see
  :mod:`soc.vector.pipeline`);
* the one resource several actors contend for is the DRAM channel, served in the order
  of requests. A request must therefore be made at its own simulated time, after
  every earlier one: an actor whose next DRAM request lies in the future sleeps until
  then with one timed SimPy event (:meth:`Timeline.at`). That is the event that
  stands for a DMA transfer.

Simplification stated: requests made in the same cycle are served in the order in
which the actors reach them in that cycle, which is not always the order of a model
with one SimPy process per actor (it resumes processes in the order their wake-up
events were created). Only ties are affected: measured on LeNet-5, AlexNet, VGG16 and
ResNet18 on the three shipped designs, whole-network cycles differ from that model by
the amounts listed in docs/performance.md (the regression pin allows 1 %).
"""
from __future__ import annotations

from bisect import bisect_right, insort
from collections import deque
from typing import Any, Callable


class Timeline:
    """The simulated clock of one layer run (a SimPy environment) and the list of actors
    to resume in the current cycle."""

    def __init__(self, env) -> None:
        self.env = env
        self.now: int = env.now   # the cycle the actors are being run in (set when the clock resumes them)
        self._soon: deque[Callable[[], None]] = deque()

    def soon(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` in the current cycle, after whatever is running now."""
        self._soon.append(fn)

    def at(self, t: int, fn: Callable[[], None]) -> None:
        """Run ``fn`` at simulated time ``t`` (not before now): in this cycle, or by one
        timed SimPy event."""
        delay = t - self.now
        if delay < 0:
            raise RuntimeError(f"an actor asked to act at cycle {t}, before the current cycle {self.now}")
        if delay == 0:
            self._soon.append(fn)
            return
        ev = self.env.timeout(delay)
        ev.callbacks.append(lambda _ev: self._run(fn))

    def _run(self, fn: Callable[[], None]) -> None:
        self.now = self.env.now
        fn()
        self.drain()

    def start(self, fn: Callable[[], None]) -> None:
        self._run(fn)

    def drain(self) -> None:
        soon = self._soon
        while soon:
            soon.popleft()()


class Fact:
    """A moment that becomes known once: ``time`` is None until it is set; actors that
    need it ``watch`` it and are resumed (in the cycle it is set in) when it is."""
    __slots__ = ("timeline", "time", "_watchers")

    def __init__(self, timeline: Timeline) -> None:
        self.timeline = timeline
        self.time: int | None = None
        self._watchers: list[Callable[[], None]] = []

    def set(self, t: int) -> None:
        self.time = t
        if self._watchers:
            for fn in self._watchers:
                self.timeline.soon(fn)
            self._watchers.clear()

    def watch(self, fn: Callable[[], None]) -> None:
        self._watchers.append(fn)


class Actor:
    """Base of the state-machine actors: ``advance`` does as much as is known and returns;
    ``kick`` asks for it in the current cycle, ``wake_at`` at a later one."""

    name = "actor"

    def __init__(self, timeline: Timeline) -> None:
        self.timeline = timeline
        self._soon = timeline._soon       # the current cycle's to-do list (see kick)
        self._kicked = False
        self._wake: int | None = None
        self._cur: Any = None             # the work in hand (None: idle)
        # what the work in hand waits for, in words, or a function that says it (the words
        # are only needed when a run stalls, so a busy actor does not build them each time)
        self._waiting: str | Callable[[], str] = ""

    def advance(self) -> None:  # pragma: no cover - every actor defines it
        raise NotImplementedError

    def waiting_for(self) -> str | None:
        """What the actor waits for (None when it holds no work: idle), for the watchdog."""
        if self._cur is None:
            return None
        if self._wake is not None and self._wake >= self.timeline.env.now:
            return f"a delay ending at cycle {self._wake:,}"
        return self.waiting_words() or "a signal from another actor that never came"

    def waiting_words(self) -> str:
        """What the work in hand waits for, in words ("" when not said)."""
        return self._waiting() if callable(self._waiting) else self._waiting

    @staticmethod
    def take(queue: "DispatchQueue", free: int) -> tuple[Any, int] | None:
        """The next entry of ``queue`` and the cycle it is taken (when it is put, or when
        the actor is ``free`` if later), or None while the queue is empty."""
        entries = queue.entries
        if not entries:
            return None
        put = entries[0][0]
        start = free if free > put else put
        return queue.pop(start), start

    def kick(self) -> None:
        """Ask for ``advance`` in the current cycle (once, however often it is asked)."""
        if not self._kicked:
            self._kicked = True
            self._soon.append(self._run)

    def _run(self) -> None:
        self._kicked = False
        self.advance()

    def wake_at(self, t: int) -> None:
        """Resume at cycle ``t`` (a pending earlier wake covers it)."""
        if self._wake is not None and self._wake <= t and self._wake >= self.timeline.now:
            return
        self._wake = t
        self.timeline.at(t, self._on_wake)

    def _on_wake(self) -> None:
        if self._wake == self.timeline.now:
            self._wake = None
        self.advance()


class DispatchQueue:
    """A CP dispatch queue of ``depth`` entries between the control processor (the one
    producer) and one actor. An entry occupies its slot from the cycle it is put until
    the cycle its consumer takes it, which may be a known later cycle (the consumer
    then takes it ahead of time: ``pop(t)`` with t in the future)."""

    def __init__(self, timeline: Timeline, depth: int, name: str = "") -> None:
        self.timeline, self.depth, self.name = timeline, depth, name
        self.entries: deque[tuple[int, Any]] = deque()   # (cycle put, item)
        self._leaves: list[int] = []                     # cycles at which taken entries leave, sorted
        self.consumer: Actor | None = None
        self.producer: Actor | None = None               # waiting for a slot

    def room_at(self, t: int) -> int | None:
        """The first cycle >= t with a free slot, or None while that depends on an entry
        not yet taken."""
        leaves = self._leaves
        if leaves:
            gone = bisect_right(leaves, t)   # entries that have left by cycle t
            if gone:
                del leaves[:gone]
        held = len(self.entries) + len(leaves)
        if held < self.depth:
            return t
        if len(self.entries) >= self.depth:
            return None
        return leaves[held - self.depth]

    def detach(self) -> None:
        """Forget the consumer and any waiting producer (the run is over): the queue and its
        actors refer to each other, and without that cycle a finished run is freed by
        reference counts, not left for the garbage collector."""
        self.consumer = self.producer = None

    def describe_full(self) -> str:
        """What a producer waiting for a slot waits for, in words."""
        return f"room in queue {self.name!r} (full: {len(self.entries)} of {self.depth})"

    def put(self, t: int, item: Any) -> None:
        self.entries.append((t, item))
        if self.consumer is not None:
            self.consumer.kick()

    def pop(self, t: int) -> Any:
        """Take the head entry; its slot frees at cycle ``t``."""
        _, item = self.entries.popleft()
        insort(self._leaves, t)
        if self.producer is not None:
            producer, self.producer = self.producer, None
            producer.kick()
        return item

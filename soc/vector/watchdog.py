"""No silent stall: run a layer's SimPy environment under a watchdog.

A layer's simulation ends when no event is pending: every actor waits for work on an
empty dispatch queue and the control processor has issued its whole program. Two ways
it can fail to get there are caught here and raised as :class:`SimulationStall`, whose
message names every actor still waiting and what each waits for:

* **deadlock**: no event is pending but work remains (the control processor has not
  finished, a queue still holds work, or an actor waits on something other than an
  empty queue: a buffer half, the DRAM channel, another actor's signal);
* **runaway time**: the next event lies beyond a bound derived from the layer
  (:func:`cycle_bound`), far above any cycle count the layer can legitimately take.

What "finished" means and what each actor waits for comes from a :class:`Watch`:
:class:`ProcessWatch` reads it off actors that are SimPy processes; actors kept as state
machines on the same SimPy clock provide their own (the loop only needs the clock).

For tests, :func:`inject_fault` makes the next simulations stall on purpose
(``"deadlock"``: the PEs never free what they hold; ``"livelock"``: an extra process
keeps time moving without progress). It is a test hook: nothing in socsim sets it.
"""
from __future__ import annotations

import math
import threading
from contextlib import contextmanager
from typing import Callable, Iterator, Mapping, Protocol

import simpy
from simpy.resources.resource import Request
from simpy.resources.store import StoreGet, StorePut

FAULTS = ("deadlock", "livelock")
_fault = threading.local()


class SimulationStall(RuntimeError):
    """A simulation that can make no further progress; the message names the waiting actors."""


@contextmanager
def inject_fault(kind: str) -> Iterator[None]:
    """Test hook: simulations started inside this block stall in the way ``kind`` names."""
    if kind not in FAULTS:
        raise ValueError(f"inject_fault: unknown fault {kind!r}; allowed: {', '.join(FAULTS)}")
    previous = getattr(_fault, "kind", None)
    _fault.kind = kind
    try:
        yield
    finally:
        _fault.kind = previous


def injected_fault() -> str | None:
    return getattr(_fault, "kind", None)


def cycle_bound(*, instructions: int, dense_macs: int, tm: int, onchip_bytes: int, bytes_per_cycle: float,
                latency_cycles: int, hop_cycles: int, levels: int) -> int:
    """An upper bound on the cycles of one matrix layer, far above what it can take.

    Everything serialised: each instruction moving at most the whole on-chip storage over
    the DRAM channel and waiting the full latency and the H-tree's depth, plus every
    dense MAC done by a single PE's Tm multipliers; times 8 for slack (eDRAM refresh
    stalls stretch compute by less than that)."""
    per_instruction = onchip_bytes / bytes_per_cycle + latency_cycles + hop_cycles * levels + 64
    return int(8 * (instructions * per_instruction + math.ceil(dense_macs / tm)) + 100_000)


def describe_wait(event: simpy.Event | None, names: Mapping[int, str]) -> str:
    """What an actor blocked on ``event`` waits for, in words."""
    if event is None:
        return "nothing (finished)"
    resource = getattr(event, "resource", None)
    name = names.get(id(resource), type(resource).__name__ if resource is not None else "")
    if isinstance(event, StoreGet):
        return f"work from queue {name!r} (empty)"
    if isinstance(event, StorePut):
        return f"room in queue {name!r} (full: {len(resource.items)} of {resource.capacity})"
    if isinstance(event, Request):
        return f"{name} ({resource.count} of {resource.capacity} in use, {len(resource.queue)} waiting)"
    if isinstance(event, simpy.Timeout):
        return f"a delay ending at cycle {event._delay + event.env.now:,.0f}"  # type: ignore[attr-defined]
    label = names.get(id(event))
    if label:
        return label
    if isinstance(event, simpy.events.Condition):  # e.g. the NSM waiting for its tiles
        pending = sum(1 for e in event._events if not e.triggered)  # type: ignore[attr-defined]
        return f"{pending} of {len(event._events)} signals (tiles or output space) that never came"  # type: ignore[attr-defined]
    return "a signal from another actor that never came"


def _idle(event: simpy.Event | None) -> bool:
    """Waiting for work on an empty queue: how every actor ends a finished layer."""
    return isinstance(event, StoreGet) and not event.resource.items


class Watch(Protocol):
    """What the watchdog asks of the actors of a run: whether the work is complete, and
    what each actor still waits for (``"name waits for ..."``, and idle ones)."""

    def finished(self) -> bool: ...

    def report(self) -> str: ...


class ProcessWatch:
    """:class:`Watch` of actors that are SimPy processes: a layer is finished when the
    ``driver`` (the control processor) has ended and every other actor waits for work on
    an empty queue. ``names`` names queues, buffers and channels by ``id``; ``signals``
    says, per actor, what a plain event it waits on stands for."""

    def __init__(self, actors: Mapping[str, simpy.Process], driver: str, names: Mapping[int, str],
                 signals: Mapping[str, str] | None = None):
        self.actors, self.driver, self.names, self.signals = actors, driver, names, signals or {}

    def finished(self) -> bool:
        return not any(p.is_alive and (n == self.driver or not _idle(p.target)) for n, p in self.actors.items())

    def _wait(self, n: str, p: simpy.Process) -> str:
        target = p.target
        if n in self.signals and type(target) is simpy.Event and id(target) not in self.names:
            return self.signals[n]
        return describe_wait(target, self.names)

    def report(self) -> str:
        waiting = [f"{n} waits for {self._wait(n, p)}" for n, p in self.actors.items()
                   if p.is_alive and not _idle(p.target)]
        idle = [n for n, p in self.actors.items() if p.is_alive and _idle(p.target)]
        tail = f"; idle: {', '.join(idle)}" if idle else ""
        return f"{'; '.join(waiting) if waiting else 'no actor is blocked'}{tail}"


def run_watched(env: simpy.Environment, *, layer: str, bound: int, watch: Watch,
                complete: Callable[[], bool] = lambda: True) -> None:
    """Run ``env`` until no event is pending, raising :class:`SimulationStall` when the
    actors' work is not finished then (a deadlock), or when simulated time would pass
    ``bound`` cycles. ``complete`` is a last check that the work is whole (every output
    written). The message names every actor still waiting and what it waits for."""
    peek, step = env.peek, env.step
    while True:
        when = peek()
        if when == math.inf:
            break
        if when > bound:
            raise SimulationStall(f"layer {layer!r}: simulation stalled: simulated time passed {bound:,} cycles, "
                                  f"the bound derived from the layer, without finishing; {watch.report()}")
        step()
    if not watch.finished() or not complete():
        raise SimulationStall(f"layer {layer!r}: simulation stalled: no event is pending at cycle {env.now:,.0f} "
                              f"but work remains; {watch.report()}")

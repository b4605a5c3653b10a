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

For tests, :func:`inject_fault` makes the next simulations stall on purpose
(``"deadlock"``: the PEs never free what they hold; ``"livelock"``: an extra process
keeps time moving without progress). It is a test hook: nothing in socsim sets it.
"""
from __future__ import annotations

import math
import threading
from contextlib import contextmanager
from typing import Callable, Iterator, Mapping

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


def run_watched(env: simpy.Environment, *, layer: str, bound: int, actors: Mapping[str, simpy.Process],
                driver: str, names: Mapping[int, str], finished: Callable[[], bool] = lambda: True,
                signals: Mapping[str, str] | None = None) -> None:
    """Run ``env`` until no event is pending, raising :class:`SimulationStall` on a deadlock
    or when simulated time would pass ``bound`` cycles. ``driver`` names the actor whose
    process must have ended (the control processor); ``finished`` is a last check that
    the work is complete (every output written); ``signals`` says, per actor, what a
    plain event it waits on stands for."""
    peek, step = env.peek, env.step
    while True:
        when = peek()
        if when == math.inf:
            break
        if when > bound:
            raise SimulationStall(_message(layer, f"simulated time passed {bound:,} cycles, the bound derived "
                                                  f"from the layer, without finishing", actors, names, signals))
        step()
    stuck = {n: p for n, p in actors.items() if p.is_alive and (n == driver or not _idle(p.target))}
    if stuck or not finished():
        raise SimulationStall(_message(layer, f"no event is pending at cycle {env.now:,.0f} but work remains",
                                       actors, names, signals))


def _message(layer: str, what: str, actors: Mapping[str, simpy.Process], names: Mapping[int, str],
             signals: Mapping[str, str] | None = None) -> str:
    signals = signals or {}

    def wait(n: str, p: simpy.Process) -> str:
        target = p.target
        if n in signals and type(target) is simpy.Event and id(target) not in names:
            return signals[n]
        return describe_wait(target, names)

    waiting = [f"{n} waits for {wait(n, p)}" for n, p in actors.items() if p.is_alive and not _idle(p.target)]
    idle = [n for n, p in actors.items() if p.is_alive and _idle(p.target)]
    tail = f"; idle: {', '.join(idle)}" if idle else ""
    return (f"layer {layer!r}: simulation stalled: {what}; "
            f"{'; '.join(waiting) if waiting else 'no actor is blocked'}{tail}")

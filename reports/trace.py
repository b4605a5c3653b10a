"""Timeline of the actors' activity as a Chrome Trace Event Format JSON file.

The file opens in chrome://tracing and in Perfetto (ui.perfetto.dev, "Open trace
file"). Input is plain data: activity records ``(actor, start_cycle, end_cycle, label)``
or ``(actor, start_cycle, end_cycle, label, layer)`` (tuples, mappings with those keys,
or objects with those attributes), cycles counted on the accelerator clock.

Output (JSON object format): one process ``pid`` 1 named after the run; one track
(``tid``) per actor, numbered in order of the actor's first appearance in the records
and named with ``thread_name`` metadata events; each activity a complete event
(``"ph": "X"``) with ``ts`` and ``dur`` in microseconds = cycles / (clock_GHz x 1e3),
``name`` the label, ``cat`` the layer (or ``activity``), and ``args`` carrying the
layer and the exact cycles. Events are written sorted by track, then start time.

Bounded size: at most ``max_events`` activity events are written (default 100,000,
about 20 MB). When there are more, the ``max_events`` earliest by start cycle are kept
(a complete prefix of the timeline, so what is shown is exact up to the cut), the
file's ``otherData`` says ``"truncated": true`` with the total and kept counts,
``dropped_events`` and the cycle of the cut, and a global instant event marks the cut on
the timeline. Activities the producer already left out (``dropped_upstream``: the
simulator keeps a bounded number per layer) count as dropped too: a trace says
``"truncated": false`` only when it holds every activity. Selection
streams over the records keeping a heap of ``max_events`` entries, so memory does not
grow with the number of records.

Simplification: layers simulated one after another each count cycles from 0;
:func:`network_activity` places them end to end (layer i starts at the sum of the
cycles of layers before it), which assumes no overlap between consecutive layers.
"""
from __future__ import annotations

import heapq
import json
import math
import os
from dataclasses import dataclass
from numbers import Number
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

DEFAULT_MAX_EVENTS = 100_000
MAX_LABEL_CHARS = 200
PID = 1


@dataclass(frozen=True)
class Activity:
    """One busy interval of one actor, in accelerator cycles [start_cycle, end_cycle]."""
    actor: str
    start_cycle: float
    end_cycle: float
    label: str
    layer: str | None = None


def as_activity(record: Any, index: int = 0) -> Activity:
    """Normalise one record (tuple of 4 or 5, mapping, or object) and validate it."""
    if isinstance(record, Activity):
        act = record
    elif isinstance(record, Mapping):
        try:
            act = Activity(record["actor"], record["start_cycle"], record["end_cycle"],
                           record.get("label", ""), record.get("layer"))
        except KeyError as err:
            raise ValueError(f"activity record #{index}: missing key {err.args[0]!r} "
                             "(need actor, start_cycle, end_cycle, label[, layer])") from None
    elif isinstance(record, (tuple, list)):
        if len(record) not in (4, 5):
            raise ValueError(f"activity record #{index}: expected (actor, start_cycle, end_cycle, label"
                             f"[, layer]), got {len(record)} items")
        act = Activity(*record)
    elif all(hasattr(record, a) for a in ("actor", "start_cycle", "end_cycle")):
        act = Activity(record.actor, record.start_cycle, record.end_cycle,
                       getattr(record, "label", ""), getattr(record, "layer", None))
    else:
        raise TypeError(f"activity record #{index}: unsupported type {type(record).__name__}")
    if not isinstance(act.actor, str) or not act.actor:
        raise ValueError(f"activity record #{index}: actor must be a non-empty string, got {act.actor!r}")
    for field in ("start_cycle", "end_cycle"):
        value = getattr(act, field)
        if not isinstance(value, Number) or isinstance(value, bool) or not math.isfinite(float(value)) or value < 0:
            raise ValueError(f"activity record #{index} ({act.actor}): {field} must be a finite number "
                             f">= 0 cycles, got {value!r}")
    if act.end_cycle < act.start_cycle:
        raise ValueError(f"activity record #{index} ({act.actor}): end_cycle {act.end_cycle} "
                         f"is before start_cycle {act.start_cycle}")
    return act


_PLAIN_NUMBERS = (int, float)


def _fields(record: Any, index: int) -> tuple[str, float, float, Any, Any]:
    """(actor, start, end, label, layer) of a record; a fast path for well-formed tuples
    and Activity objects, else the full :func:`as_activity` check (and its error)."""
    kind = type(record)
    if kind is tuple and 4 <= len(record) <= 5:
        actor, start, end, label = record[0], record[1], record[2], record[3]
        layer = record[4] if len(record) == 5 else None
    elif kind is Activity:
        actor, start, end, label, layer = (record.actor, record.start_cycle, record.end_cycle,
                                           record.label, record.layer)
    else:
        a = as_activity(record, index)
        return a.actor, a.start_cycle, a.end_cycle, a.label, a.layer
    if (type(actor) is str and actor and type(start) in _PLAIN_NUMBERS and type(end) in _PLAIN_NUMBERS
            and 0 <= start <= end < math.inf):
        return actor, start, end, label, layer
    a = as_activity(record, index)  # raises the precise error (or accepts e.g. NumPy numbers)
    return a.actor, a.start_cycle, a.end_cycle, a.label, a.layer


def network_activity(results: Iterable[Any]) -> Iterator[Activity]:
    """Activities of consecutive layers placed end to end on one timeline.

    ``results`` are layer results (mappings or objects) with ``name``, ``cycles`` and
    ``activity`` (records whose cycles count from the layer's start; pass the result
    objects, since ``LayerResult.to_dict()`` leaves the activity out). Each record is
    shifted by the cycles of the layers before it and tagged with its layer name
    (unless the record names a layer itself).
    """
    offset = 0
    for i, result in enumerate(results):
        get = result.get if isinstance(result, Mapping) else (lambda k, d=None, r=result: getattr(r, k, d))
        name, cycles = get("name"), get("cycles")
        if name is None or cycles is None:
            raise ValueError(f"layer result #{i}: needs 'name' and 'cycles' to place its activity")
        for j, rec in enumerate(get("activity", None) or ()):
            a = as_activity(rec, j)
            yield Activity(a.actor, a.start_cycle + offset, a.end_cycle + offset, a.label,
                           a.layer if a.layer is not None else str(name))
        offset += cycles


def _check_clock(clock_ghz: float) -> float:
    if not isinstance(clock_ghz, Number) or isinstance(clock_ghz, bool) or not (0 < float(clock_ghz) < math.inf):
        raise ValueError(f"clock_ghz must be a finite number > 0 (GHz), got {clock_ghz!r}")
    return float(clock_ghz)


def chrome_trace(records: Iterable[Any], *, clock_ghz: float, max_events: int = DEFAULT_MAX_EVENTS,
                 process_name: str = "socsim", metadata: Mapping[str, Any] | None = None,
                 dropped_upstream: int = 0) -> dict:
    """Build the trace as a dict (``traceEvents``, ``displayTimeUnit``, ``otherData``).

    ``dropped_upstream``: activities the producer of ``records`` already left out (a
    simulator that keeps a bounded number); they count as dropped, so that the trace
    never claims to be complete when it is not."""
    clock_ghz = _check_clock(clock_ghz)
    if isinstance(dropped_upstream, bool) or not isinstance(dropped_upstream, int) or dropped_upstream < 0:
        raise ValueError(f"dropped_upstream must be an integer >= 0, got {dropped_upstream!r}")
    if not isinstance(max_events, int) or isinstance(max_events, bool) or max_events < 1:
        raise ValueError(f"max_events must be an integer >= 1, got {max_events!r}")
    us_per_cycle = 1.0 / (clock_ghz * 1e3)

    tids: dict[str, int] = {}
    total = 0

    def keyed() -> Iterator[tuple]:
        nonlocal total
        for i, rec in enumerate(records):
            actor, start, end, label, layer = _fields(rec, i)
            tid = tids.get(actor)
            if tid is None:
                tid = tids[actor] = len(tids) + 1
            total += 1
            yield (start, end, tid, i, label, layer)

    # Earliest by (start, end, track, input order); the input index makes keys unique.
    kept = heapq.nsmallest(max_events, keyed())
    dropped = total - len(kept) + dropped_upstream
    total += dropped_upstream
    truncated = dropped > 0
    kept.sort(key=lambda k: (k[2], k[0], k[1], k[3]))

    events: list[dict] = [{"name": "process_name", "ph": "M", "pid": PID, "tid": 0,
                           "args": {"name": str(process_name)}}]
    names = {tid: actor for actor, tid in tids.items()}
    for tid in sorted({k[2] for k in kept}):
        events.append({"name": "thread_name", "ph": "M", "pid": PID, "tid": tid, "args": {"name": names[tid]}})
        events.append({"name": "thread_sort_index", "ph": "M", "pid": PID, "tid": tid,
                       "args": {"sort_index": tid}})
    for start, end, tid, _, label, layer in kept:
        args: dict[str, Any] = {"start_cycle": start, "end_cycle": end}
        if layer is not None:
            args["layer"] = str(layer)
        events.append({"name": str(label)[:MAX_LABEL_CHARS], "cat": str(layer) if layer is not None else "activity",
                       "ph": "X", "pid": PID, "tid": tid, "ts": start * us_per_cycle,
                       "dur": (end - start) * us_per_cycle, "args": args})

    other: dict[str, Any] = dict(metadata or {})
    other.update({"clock_ghz": clock_ghz, "time_unit": "microseconds (ts = cycles / (clock_GHz * 1e3))",
                  "actors": len(tids), "events_total": total, "events_kept": len(kept),
                  "max_events": max_events, "truncated": truncated, "dropped_events": dropped})
    if truncated:
        cut = max(k[0] for k in kept) if kept else 0
        other["truncated_at_cycle"] = cut
        other["note"] = (f"trace truncated: kept the {len(kept)} earliest of {total} activities "
                         f"({dropped} dropped); activities after cycle {cut:g} are not shown")
        events.append({"name": other["note"], "ph": "i", "s": "g", "pid": PID, "tid": 0,
                       "ts": cut * us_per_cycle})
    return {"traceEvents": events, "displayTimeUnit": "ns", "otherData": other}


def write_chrome_trace(path: str | os.PathLike, records: Iterable[Any], *, clock_ghz: float,
                       max_events: int = DEFAULT_MAX_EVENTS, process_name: str = "socsim",
                       metadata: Mapping[str, Any] | None = None, dropped_upstream: int = 0) -> dict:
    """Write the trace JSON to ``path``; returns its ``otherData`` (counts, ``truncated``,
    ``dropped_events`` and the truncation note, which the caller should show as a warning)."""
    trace = chrome_trace(records, clock_ghz=clock_ghz, max_events=max_events,
                         process_name=process_name, metadata=metadata, dropped_upstream=dropped_upstream)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(trace, fh, separators=(",", ":"), default=str, allow_nan=False)
    os.replace(tmp, path)
    return trace["otherData"]

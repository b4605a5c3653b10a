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

Whole networks (:func:`write_network_trace`, ``socsim run --trace`` and ``socsim
compare --trace``): one process per run (design), a ``layers`` track marking every
layer, a track per actor, and counter tracks of the DRAM bandwidth in use and of each
buffer's occupancy; events are streamed to disk one at a time, the size is reported,
and a trace that reaches the size limit (default 100 MB) is refused and removed. The
trace says ``"truncated": true`` and ``dropped_events`` when the simulator kept fewer
activity records than it made (its per-layer activity limit).

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


# ----------------------------------------------------------------------------- whole networks
#: Traces of this size (MB) or more are refused unless the caller raises the limit.
DEFAULT_LIMIT_MB = 100.0
#: The DRAM bandwidth counter is sampled in this many bins over each run.
BANDWIDTH_BINS = 2000
LAYERS_TRACK = "layers"


class TraceTooLarge(ValueError):
    """A trace that would reach its size limit; nothing is left on disk."""


@dataclass
class TraceRun:
    """One run to place in a network trace (plain data): a process named ``name``, the
    design's clock and DRAM bytes per cycle, and its layers in order, each a mapping
    with ``name``, ``cycles`` and optionally ``kind``, ``energy_pj``, ``dram_bytes``,
    ``activity`` (records as for :func:`as_activity`, cycles from the layer's start),
    ``counters`` ((buffer, cycle, bytes held) samples) and ``activity_dropped``."""
    name: str
    clock_ghz: float
    layers: list
    dram_bytes_per_cycle: float | None = None


class _Stream:
    """Writes a JSON array of events to a file one event at a time, counting bytes."""

    def __init__(self, fh, limit_bytes: int, what: str):
        self.fh, self.limit, self.what = fh, limit_bytes, what
        self.bytes = 0
        self.events = 0

    def write(self, text: str) -> None:
        self.bytes += len(text.encode("utf-8"))
        if self.bytes >= self.limit:
            raise TraceTooLarge(f"{self.what}: the trace reaches the {self.limit / 1e6:g} MB limit after "
                                f"{self.events:,} events; choose layers (--trace-layers) or raise the limit "
                                f"(--trace-limit-mb)")
        self.fh.write(text)

    def event(self, ev: dict) -> None:
        self.write(("," if self.events else "") + "\n" + json.dumps(ev, separators=(",", ":"), default=str,
                                                                    allow_nan=False))
        self.events += 1


def _bandwidth_samples(intervals: list[tuple[float, float]], t0: float, t1: float, bin_cycles: float,
                       bytes_per_cycle: float, clock_ghz: float) -> Iterator[tuple[float, float]]:
    """(cycle, GB/s) at the start of each bin of [t0, t1): the DRAM channel moves
    ``bytes_per_cycle`` while a transfer holds it, so a bin's bandwidth is its busy
    fraction times the peak."""
    if t1 <= t0:
        return
    n = max(1, math.ceil((t1 - t0) / bin_cycles))
    busy = [0.0] * n
    for s, e in intervals:
        s, e = max(s, t0), min(e, t1)
        i = min(n - 1, int((s - t0) // bin_cycles))
        while s < e:  # walk the bins the interval covers (the index always advances)
            edge = e if i >= n - 1 else min(e, t0 + (i + 1) * bin_cycles)
            busy[i] += max(0.0, edge - s)
            s, i = edge, i + 1
    for i, b in enumerate(busy):
        width = min(bin_cycles, t1 - (t0 + i * bin_cycles))
        yield t0 + i * bin_cycles, (b / width if width > 0 else 0.0) * bytes_per_cycle * clock_ghz


def write_network_trace(path: str | os.PathLike, runs: list[TraceRun], *, layers: Iterable[str] | None = None,
                        limit_mb: float = DEFAULT_LIMIT_MB) -> dict:
    """Stream one Chrome/Perfetto trace of whole networks to ``path``.

    Each run is a process (several runs: designs side by side); in it a ``layers``
    track marks every layer (a complete event spanning its cycles, zero-length for a
    layer that takes no time), every actor has its own track, and counter tracks show
    the DRAM bandwidth in use (GB/s, in ``BANDWIDTH_BINS`` bins per run) and each
    buffer's occupancy (bytes per copy). Layers run one after another: layer i starts at
    the sum of the cycles before it. ``layers`` selects the layers whose activity and
    counters are written (every layer is still marked). Events are written to disk as
    they are made; a trace that reaches ``limit_mb`` megabytes is refused
    (:class:`TraceTooLarge`) and removed. Returns what was written: ``path``,
    ``bytes``, ``events``, ``truncated`` and ``dropped_events`` (activity records the
    simulator did not keep: see its activity limit).
    """
    if not (isinstance(limit_mb, Number) and not isinstance(limit_mb, bool) and 0 < float(limit_mb) < math.inf):
        raise ValueError(f"trace size limit must be a number of MB > 0, got {limit_mb!r}")
    chosen = set(layers) if layers is not None else None
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    dropped = 0
    per_run = []
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            out = _Stream(fh, int(float(limit_mb) * 1e6), str(path))
            out.write('{"displayTimeUnit":"ns","traceEvents":[')
            for pid, run in enumerate(runs, start=1):
                clock = _check_clock(run.clock_ghz)
                us = 1.0 / (clock * 1e3)
                out.event({"name": "process_name", "ph": "M", "pid": pid, "tid": 0, "args": {"name": run.name}})
                out.event({"name": "process_sort_index", "ph": "M", "pid": pid, "tid": 0, "args": {"sort_index": pid}})
                tids = {LAYERS_TRACK: 1}
                out.event({"name": "thread_name", "ph": "M", "pid": pid, "tid": 1, "args": {"name": LAYERS_TRACK}})
                total = sum(float(l.get("cycles") or 0) for l in run.layers)
                bin_cycles = max(1.0, total / BANDWIDTH_BINS)
                offset, events_before, run_dropped, last_gbps = 0.0, out.events, 0, None
                for i, layer in enumerate(run.layers):
                    name, cycles = layer.get("name"), layer.get("cycles")
                    if name is None or cycles is None:
                        raise ValueError(f"{run.name}: layer #{i} needs 'name' and 'cycles'")
                    cycles = float(cycles)
                    args = {k: layer[k] for k in ("kind", "cycles", "energy_pj", "dram_bytes") if k in layer}
                    out.event({"name": str(name), "cat": "layer", "ph": "X", "pid": pid, "tid": 1,
                               "ts": offset * us, "dur": cycles * us, "args": {**args, "start_cycle": offset}})
                    if chosen is None or name in chosen:
                        run_dropped += int(layer.get("activity_dropped") or 0)
                        dram: list[tuple[float, float]] = []
                        for j, rec in enumerate(layer.get("activity") or ()):
                            actor, start, end, label, _ = _fields(rec, j)
                            if actor not in tids:
                                tids[actor] = len(tids) + 1
                                out.event({"name": "thread_name", "ph": "M", "pid": pid, "tid": tids[actor],
                                           "args": {"name": actor}})
                            if actor == "dram":
                                dram.append((start + offset, end + offset))
                            out.event({"name": str(label)[:MAX_LABEL_CHARS], "cat": str(name), "ph": "X",
                                       "pid": pid, "tid": tids[actor], "ts": (start + offset) * us,
                                       "dur": (end - start) * us,
                                       "args": {"layer": str(name), "start_cycle": start + offset,
                                                "end_cycle": end + offset}})
                        if run.dram_bytes_per_cycle and cycles > 0:
                            if dram:
                                samples = _bandwidth_samples(dram, offset, offset + cycles, bin_cycles,
                                                             float(run.dram_bytes_per_cycle), clock)
                            elif layer.get("dram_bytes"):  # a transaction-level layer: its average
                                samples = iter([(offset, float(layer["dram_bytes"]) / cycles * clock)])
                            else:
                                samples = iter(())
                            for t, gbps in samples:
                                gbps = round(gbps, 6)
                                if gbps != last_gbps:  # a counter holds its value until the next sample
                                    out.event({"name": "DRAM bandwidth (GB/s)", "ph": "C", "pid": pid,
                                               "ts": round(t * us, 6), "args": {"GB/s": gbps}})
                                    last_gbps = gbps
                        held: dict[str, float] = {}
                        for buffer, t, value in layer.get("counters") or ():
                            if buffer not in held:
                                out.event({"name": f"{buffer} occupancy (bytes)", "ph": "C", "pid": pid,
                                           "ts": offset * us, "args": {"bytes": 0}})
                            held[buffer] = value
                            out.event({"name": f"{buffer} occupancy (bytes)", "ph": "C", "pid": pid,
                                       "ts": (float(t) + offset) * us, "args": {"bytes": value}})
                        for buffer in held:  # every buffer is empty when its layer ends
                            out.event({"name": f"{buffer} occupancy (bytes)", "ph": "C", "pid": pid,
                                       "ts": (offset + cycles) * us, "args": {"bytes": 0}})
                    offset += cycles
                if run.dram_bytes_per_cycle:
                    out.event({"name": "DRAM bandwidth (GB/s)", "ph": "C", "pid": pid, "ts": offset * us,
                               "args": {"GB/s": 0}})
                dropped += run_dropped
                per_run.append({"process": run.name, "pid": pid, "layers": len(run.layers), "cycles": offset,
                                "actors": [a for a in tids if a != LAYERS_TRACK],
                                "events": out.events - events_before, "dropped_events": run_dropped})
            other = {"time_unit": "microseconds (ts = cycles / (clock_GHz * 1e3))", "runs": per_run,
                     "layers_selected": sorted(chosen) if chosen is not None else "all",
                     "events": out.events, "truncated": dropped > 0, "dropped_events": dropped}
            if dropped:
                other["note"] = (f"{dropped:,} activity records were not kept by the simulator (its activity "
                                 "limit per layer); the tracks of those layers end early")
            out.write('\n],"otherData":' + json.dumps(other, default=str) + "}\n")
            size = out.bytes
            events = out.events
        os.replace(tmp, path)
    except BaseException:
        if tmp.exists():
            tmp.unlink()
        raise
    return {"path": path, "bytes": size, "mb": size / 1e6, "events": events, "truncated": dropped > 0,
            "dropped_events": dropped, "runs": per_run}

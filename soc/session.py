"""A run written to a directory: the runtime's results turned into files.

This is the application layer above the runtime and the reports: it runs a network or a
workload script (:mod:`soc.runtime.network`) with a :class:`reports.writer.RunWriter`
listening, so ``layers.csv`` grows a row as each layer finishes; then it writes
``summary.json`` (``status`` ok, or failed/interrupted with the layers already
simulated kept) and the report files of :func:`reports.bundle.write_run_outputs`.
``summary.json`` also records the fully resolved design, its hash and the socsim
version, so that a result can be reproduced.

The directory is claimed first (:func:`soc.rundir.claim`): it must be writable, no other
run may be using it, and what an earlier run left there is removed before the first
cycle, so every file in it describes this run. A run stopped by SIGINT or SIGTERM
(:class:`soc.interrupts.RunInterrupted`) records ``status: interrupted`` with the layers
finished and the layer that was running.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from soc.arch import VectorArch, design_record
from soc.result import design_roofs
from soc.rundir import claim
from soc.runtime.api import check_strategy
from soc.runtime.network import (
    NetworkRunError,
    RunOutcome,
    check_network,
    check_seed,
    load_script,
    resolve,
    run_network,
    run_script,
)
from workloads.layers import Network

if TYPE_CHECKING:
    import pandas as pd

    from reports.writer import RunWriter
    from workloads.io.model import LoadedModel


def run_into(out: str | Path, target: "Network | Path | str | LoadedModel", cfg: VectorArch, *, report: bool = True,
             accuracy: float | None = None, parameters: int | None = None, **kwargs: Any) -> RunOutcome:
    """Run ``target`` (a network, a workload script path, a loaded model, or a name/file
    that :func:`soc.runtime.network.resolve` accepts) on ``cfg`` into directory ``out``.
    ``accuracy`` (fraction 0..1, when known) and ``parameters`` (weights stored) add
    accuracy per joule and per parameter to the summary."""
    from reports.writer import LAYERS_CSV, SUMMARY_JSON, RunWriter
    if isinstance(target, str):
        target = resolve(target)
    if not isinstance(target, (Network, Path)):  # a loaded model: its network at the densities it states
        from soc.runtime.network import model_run_args
        for key, value in model_run_args(target).items():
            kwargs.setdefault(key, value)
        target = target.network
    out = Path(out)
    # every input checked before the directory is touched (a refused run leaves the last one intact)
    check_strategy(kwargs.get("strategy"))
    check_seed(kwargs.get("seed", 0))
    if isinstance(target, Network):
        check_network(target, cfg, kwargs.get("layers"))
    else:
        kwargs["fn"] = load_script(target)  # a script that cannot load is refused here
    with claim(out) as rundir:
        rundir.register(LAYERS_CSV, SUMMARY_JSON)
        writer = _WholeRows(RunWriter(out, roofs=design_roofs(cfg)))
        record = design_record(cfg)
        try:
            if isinstance(target, Path):
                kwargs.pop("layers", None)
                kwargs.pop("batch", None)
                outcome = run_script(target, cfg, listener=writer, **kwargs)
            else:
                outcome = run_network(target, cfg, listener=writer, **kwargs)
        except BaseException as exc:
            partial = getattr(exc, "partial_summary", {"layers": 0})
            summary = {**(writer.summary() if writer.rows else {}), **partial, **record,
                       "finished_layers": [r["name"] for r in writer.rows]}
            if isinstance(exc, NetworkRunError):
                writer.finish(summary, failed_layer=exc.layer, error=exc.error)
            else:
                writer.finish(summary, failed_layer=_running(target, writer, kwargs.get("layers")), error=exc)
            raise
        summary = {**writer.summary(), **outcome.summary, **record}
        if accuracy is not None:
            add_accuracy(summary, accuracy, parameters if parameters is not None else getattr(target, "weights", None))
        writer.finish(summary)
        outcome.summary, outcome.out_dir = summary, out
        if report:
            from reports.bundle import write_run_outputs
            outcome.paths = write_run_outputs(out, layers=writer.table(), summary=summary,
                                              title=f"{summary['network']} on {cfg.name}", config=cfg,
                                              entries=energy_entries(outcome.results), roofs=design_roofs(cfg))
            rundir.register(*outcome.paths.values())
    return outcome


class _WholeRows:
    """A run writer whose rows are written and counted whole: a signal arriving while a
    layer's row goes to layers.csv is delivered once it is there, so the file, the row
    count and summary.json's ``layers_completed`` always agree."""

    def __init__(self, writer: "RunWriter"):
        self._writer = writer

    def add_layer(self, result: Any) -> dict:
        from soc.interrupts import signals_deferred
        with signals_deferred():
            return self._writer.add_layer(result)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._writer, name)


def _running(target: Network | Path, writer, layers: list[str] | None) -> str | None:
    """The layer a run was in when it stopped: for a network, the first of its layers not
    finished (a stop between two layers names the one about to run); for a script, the
    layer its last call announced."""
    done = {r["name"] for r in writer.rows}
    if isinstance(target, Network):
        pending = [la.name for la in target.order if (not layers or la.name in layers) and la.name not in done]
        return pending[0] if pending else None
    current = writer.current_layer
    return current if current not in done else None


def energy_entries(results) -> "pd.DataFrame":
    """The aggregated ledger of a run's layers in long form (one row per layer,
    component, action and data type; see :func:`reports.tables.energy_entries_table`)."""
    from reports.tables import energy_entries_table
    return energy_entries_table((r.name, r.energy_entries) for r in results)


def trace_layers(results) -> list[dict]:
    """The layers of a run as the plain data a network trace needs."""
    return [{"name": r.name, "kind": r.kind, "cycles": r.cycles, "energy_pj": r.energy_pj,
             "dram_bytes": r.dram_bytes, "activity": r.activity, "counters": r.counters,
             "activity_dropped": r.activity_dropped} for r in results]


def write_trace(path: str | Path, runs: list[tuple[str, VectorArch, list]], *, layers: list[str] | None = None,
                limit_mb: float | None = None) -> dict:
    """One Chrome/Perfetto trace of whole-network runs (``(title, design, results)``
    each; several: one process per design), streamed to ``path`` by
    :func:`reports.trace.write_network_trace`. ``layers`` selects the layers whose
    activity is written; a name that no run has is refused before anything is written."""
    from reports.trace import DEFAULT_LIMIT_MB, TraceRun, write_network_trace
    if layers:
        known = {r.name for _, _, results in runs for r in results}
        unknown = [n for n in layers if n not in known]
        if unknown:
            raise ValueError(f"--trace-layers: unknown layer(s) {unknown}; allowed: "
                             f"{', '.join(dict.fromkeys(r.name for _, _, rs in runs for r in rs))}")
    trace_runs = [TraceRun(title, cfg.clock_ghz, trace_layers(results), cfg.dram.bandwidth_bytes_per_cycle)
                  for title, cfg, results in runs]
    return write_network_trace(path, trace_runs, layers=layers,
                               limit_mb=DEFAULT_LIMIT_MB if limit_mb is None else limit_mb)


class AccuracyError(ValueError):
    """An --accuracy value that is neither a fraction nor a compression result."""


def load_accuracy(spec: str | float) -> tuple[float, int | None]:
    """(accuracy, parameters) from a fraction in [0, 1], or from the output of ``socsim
    compress`` (its directory or its ``accuracy.json``: the test accuracy ``after``
    compression, and from ``compression.csv`` beside it the non-zero weights of the
    ``total`` row)."""
    import json
    if isinstance(spec, (int, float)) and not isinstance(spec, bool):
        value, params = float(spec), None
    else:
        path = Path(str(spec))
        if path.is_dir():
            path = path / "accuracy.json"
        if path.suffix == ".json" or path.exists():
            if not path.is_file():
                raise AccuracyError(f"--accuracy {spec}: no such file (give a fraction in [0, 1], or the output "
                                    f"directory of socsim compress, or its accuracy.json)")
            try:
                data = json.loads(path.read_text())
                value = float(data["after"] if "after" in data else data["accuracy"])
            except (ValueError, KeyError, TypeError) as exc:
                raise AccuracyError(f"--accuracy {path}: expected a JSON object with 'after' (socsim compress) "
                                    f"or 'accuracy', a fraction in [0, 1] ({type(exc).__name__}: {exc})") from None
            params = None
            table = path.parent / "compression.csv"
            if table.is_file():
                import pandas as pd
                rows = pd.read_csv(table)
                total = rows[rows["layer"] == "total"]
                if not total.empty:
                    params = int(total["nonzero"].iloc[0])
        else:
            try:
                value, params = float(str(spec)), None
            except ValueError:
                raise AccuracyError(f"--accuracy {spec!r}: give a fraction in [0, 1], or the output directory "
                                    f"of socsim compress, or its accuracy.json") from None
    if not (0.0 <= value <= 1.0):
        raise AccuracyError(f"--accuracy: accuracy must be a fraction in [0, 1], got {value}")
    return value, params


def add_accuracy(summary: dict, accuracy: float, parameters: int | None = None) -> dict:
    """Put ``accuracy`` and ``parameters`` in a network summary and recompute its
    metrics (accuracy per joule and per parameter); returns the summary."""
    from reports.metrics import efficiency
    summary["accuracy"] = float(accuracy)
    if parameters is not None:
        summary["parameters"] = int(parameters)
    roofs = {k: summary[k] for k in ("compute_roof_macs_per_s", "dram_roof_bytes_per_s", "word_bytes")
             if k in summary}
    summary.update(efficiency(summary, roofs or None))
    return summary

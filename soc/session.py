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
from typing import Any

from soc.arch import VectorArch, design_record
from soc.rundir import claim
from soc.runtime.api import check_strategy
from soc.runtime.network import (NetworkRunError, RunOutcome, check_network, check_seed, load_script, resolve,
                                 run_network, run_script)
from workloads.layers import Network


def run_into(out: str | Path, target: Network | Path | str, cfg: VectorArch, *, report: bool = True,
             **kwargs: Any) -> RunOutcome:
    """Run ``target`` (a network, a workload script path, a loaded model, or a name/file
    that :func:`soc.runtime.network.resolve` accepts) on ``cfg`` into directory ``out``."""
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
        writer = RunWriter(out)
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
        writer.finish(summary)
        outcome.summary, outcome.out_dir = summary, out
        if report:
            from reports.bundle import write_run_outputs
            outcome.paths = write_run_outputs(out, layers=writer.table(), summary=summary,
                                              title=f"{summary['network']} on {cfg.name}", config=cfg)
            rundir.register(*outcome.paths.values())
    return outcome


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

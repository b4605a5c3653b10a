"""Cost of the report pipeline on a synthetic deep network (no simulation involved).

Synthetic per-layer results shaped like LayerResult.to_dict() (values random but
self-consistent: components sum to the layer energy) for 500 layers, about the layer
count of ResNet-152 with its batch-norm, activation and add layers. Measured (median of
REPEATS runs, seconds of wall time and of this process's CPU time, the latter
being the better figure on a shared machine): writing layers.csv incrementally (one fsync per layer) plus
summary.json; tables + plots + self-contained report.html; a Chrome trace from 1,000,000
activity records with the default cap of 100,000 events. Sizes are in bytes.

The report files of a real run (``alexnet``): AlexNet on coarse-sparse is simulated once
and the arguments ``soc.session.run_into`` gives ``reports.bundle.write_run_outputs``
are kept; then each of REPEATS fresh processes imports the report modules (pandas,
matplotlib: ``import_s``) and writes the report files (network and energy CSVs, five
figures, report.html: ``write_s``, wall and CPU), as ``socsim run`` does after its last
layer. Target: ``write_s`` <= 0.4 s (2-core machine).

    python benchmarks/bench_reports.py [--only synthetic|alexnet]
"""
from __future__ import annotations

import json
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

LAYERS = 500
ACTIVITIES = 1_000_000
REPEATS = 3
ROOT = Path(__file__).resolve().parents[1]
ALEXNET_WRITE_TARGET_S = 0.4
COMPONENTS = ["dram", "nbin", "nibin", "sib", "sb", "nsm", "htree", "pe_mult", "pe_add",
              "pe_nfu", "nbout", "encoder", "cp"]
ACTIONS = ["read", "write", "mac", "add", "compare", "hop", "leakage"]


def _results(n: int, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        by_comp = {c: float(v) for c, v in zip(COMPONENTS, rng.uniform(1e3, 1e7, len(COMPONENTS)))}
        energy = float(sum(by_comp.values()))
        by_action = {a: float(w * energy) for a, w in zip(ACTIONS, rng.dirichlet(np.ones(len(ACTIONS))))}
        cycles = int(rng.integers(1_000, 1_000_000))
        out.append({"name": f"layer{i:03d}", "kind": "conv", "cycles": cycles, "time_s": cycles / 1e9,
                    "energy_pj": energy, "energy_by_component": by_comp, "energy_by_action": by_action,
                    "useful_macs": int(rng.integers(1e5, 1e8)), "skipped_macs": int(rng.integers(0, 1e8)),
                    "dram_bytes_read": int(rng.integers(1e3, 1e7)), "dram_bytes_written": int(rng.integers(1e3, 1e6)),
                    "utilization": float(rng.uniform(0, 1)), "outputs_match_reference": True,
                    "sim_events": int(rng.integers(10, 1e4)), "wall_s": 0.01, "strategy": "output_reuse"})
    return out


def _activities(n: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, 10**9, n)
    durs = rng.integers(0, 10_000, n)
    actors = [f"pe{i}" for i in range(16)] + ["dram", "nbin", "sb", "htree", "encoder"]
    idx = rng.integers(0, len(actors), n)
    for s, d, a in zip(starts.tolist(), durs.tolist(), idx.tolist()):
        yield (actors[a], s, s + d, "burst")


def _median(fn) -> tuple[float, float, object]:
    """Median wall seconds, median CPU seconds of this process, last value."""
    walls, cpus, value = [], [], None
    for _ in range(REPEATS):
        t0, c0 = time.perf_counter(), time.process_time()
        value = fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus), value


def run(only: str | None = None) -> dict:
    """Both parts (``only``: ``synthetic`` or ``alexnet``)."""
    out: dict = {}
    if only in (None, "synthetic"):
        out.update(synthetic())
    if only in (None, "alexnet"):
        out["alexnet"] = alexnet_report()
    return out


def synthetic() -> dict:
    from reports.bundle import write_run_outputs
    from reports.trace import write_chrome_trace
    from reports.writer import RunWriter

    results = _results(LAYERS)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)

        def write_layers():
            writer = RunWriter(out / "run")
            for r in results:
                writer.add_layer(r)
            writer.finish()
            return writer

        t_writer, c_writer, writer = _median(write_layers)
        t_report, c_report, paths = _median(lambda: write_run_outputs(
            out / "run", layers=writer.table(), summary=writer.summary(), title="synthetic 500 layers"))
        t_trace, c_trace, info = _median(lambda: write_chrome_trace(out / "run.trace.json", _activities(ACTIVITIES),
                                                           clock_ghz=1.0))
        return {
            "what": f"report pipeline on {LAYERS} synthetic layers; trace from {ACTIVITIES} activities",
            "repeats": REPEATS,
            "layers_csv_and_summary_wall_s": round(t_writer, 4),
            "layers_csv_and_summary_cpu_s": round(c_writer, 4),
            "tables_plots_html_wall_s": round(t_report, 4),
            "tables_plots_html_cpu_s": round(c_report, 4),
            "report_html_bytes": paths["report_html"].stat().st_size,
            "layers_csv_bytes": (out / "run" / "layers.csv").stat().st_size,
            "trace_wall_s": round(t_trace, 4),
            "trace_cpu_s": round(c_trace, 4),
            "trace_bytes": (out / "run.trace.json").stat().st_size,
            "trace_events_kept": info["events_kept"],
            "trace_truncated": info["truncated"],
        }


# One fresh process: import the report modules, then write the report files of the
# captured run (argv: the pickled arguments, the output directory).
_WRITE = """
import pickle, sys, time, json
t0, c0 = time.perf_counter(), time.process_time()
from reports.bundle import write_run_outputs
t1, c1 = time.perf_counter(), time.process_time()
with open(sys.argv[1], "rb") as fh:
    kwargs = pickle.load(fh)
t2, c2 = time.perf_counter(), time.process_time()
write_run_outputs(sys.argv[2], **kwargs)
t3, c3 = time.perf_counter(), time.process_time()
# VmHWM, not ru_maxrss: the latter keeps the peak of the forked parent across exec
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(json.dumps({"import_s": t1 - t0, "import_cpu_s": c1 - c0, "write_s": t3 - t2, "write_cpu_s": c3 - c2,
                  "peak_rss_mb": hwm / 1024}))
"""


def alexnet_report(repeats: int = REPEATS) -> dict:
    """Report files of an AlexNet run on coarse-sparse, written by ``repeats`` fresh processes."""
    import reports.bundle
    from soc.arch import design
    from soc.session import run_into

    with tempfile.TemporaryDirectory(prefix="socsim-bench-reports-") as tmp:
        args = Path(tmp) / "write_run_outputs.pickle"
        write = reports.bundle.write_run_outputs

        def capture(out_dir, **kwargs):
            with open(args, "wb") as fh:
                pickle.dump(kwargs, fh)
            return write(out_dir, **kwargs)

        reports.bundle.write_run_outputs = capture  # run_into imports it when the layers are done
        try:
            run_into(Path(tmp) / "run", "alexnet", design("coarse-sparse"))
        finally:
            reports.bundle.write_run_outputs = write
        runs = []
        for i in range(repeats):
            proc = subprocess.run([sys.executable, "-c", _WRITE, str(args), str(Path(tmp) / f"report{i}")],
                                  cwd=ROOT, capture_output=True, text=True, check=True)
            runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        out_dir = Path(tmp) / "report0"
        files = sorted(p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*") if p.is_file())
        html_bytes = (out_dir / "report.html").stat().st_size
    result = {key: round(statistics.median(r[key] for r in runs), 4) for key in runs[0]}
    result.update({"what": "report files of AlexNet on coarse-sparse (write_run_outputs) in a fresh process",
                   "repeats": repeats, "files": files, "report_html_bytes": html_bytes,
                   "target_write_s": ALEXNET_WRITE_TARGET_S,
                   "meets_target": result["write_s"] <= ALEXNET_WRITE_TARGET_S})
    return result


if __name__ == "__main__":
    import argparse
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", choices=("synthetic", "alexnet"), default=None)
    print(json.dumps(run(parser.parse_args().only), indent=2))

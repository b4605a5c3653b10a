"""Whole command-line runs, start-up included, beside the same runs of an earlier commit.

What is measured (``run()``, collected by ``make bench``): for each command below, the
median of ``REPEATS`` runs of a fresh ``socsim`` process (Python start-up, imports,
the simulation and the report files), its peak resident memory (``VmHWM`` of that
child, written by it as it exits; ``ru_maxrss`` from ``os.wait4`` where there is no
/proc, which on Linux would also keep this process's own peak; the median over the runs) and, for ``socsim run``, the SimPy
events of the run (``sim_events`` of its summary.json).

The earlier figures are measured in the same benchmark run on the same machine: the
commit ``BASELINE`` (the code before this performance work; override with
``--baseline REV`` or the ``SOCSIM_BENCH_BASELINE`` environment variable) is exported
with ``git archive`` into a cache directory, its compiled kernel is built there with
this environment's Python, and its commands run from there (``PYTHONPATH`` first).
``--no-baseline`` skips it. The load average of the machine before and after is
recorded: on a machine shared with other work the wall times mean little.

    python benchmarks/bench_cli.py [--only run_alexnet,help] [--repeats 3] [--no-baseline]

Targets (on the 2-core machine): ``socsim run alexnet`` (coarse-sparse) <= 3.0 s,
<= 300 MB, <= 50,000 SimPy events; ``socsim run vgg16`` <= 12 s, <= 600 MB; ``socsim
dataflows alexnet`` (all six dataflows, arithmetic check) <= 4 s; ``socsim --help``
<= 0.25 s. Nothing here fails on a slow machine: the numbers are the result.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "8f3d5b8"   # designs as data + runtime (the restructured code, before this performance work)
REPEATS = 3
COMMANDS = {
    "run_alexnet": ["run", "alexnet", "--preset", "coarse-sparse", "--out", "{out}"],
    "run_vgg16": ["run", "vgg16", "--preset", "coarse-sparse", "--out", "{out}"],
    "dataflows_alexnet": ["dataflows", "alexnet", "--out", "{out}"],
    "help": ["--help"],
}
TARGETS = {
    "run_alexnet": {"wall_s": 3.0, "peak_rss_mb": 300.0, "sim_events": 50_000},
    "run_vgg16": {"wall_s": 12.0, "peak_rss_mb": 600.0},
    "dataflows_alexnet": {"wall_s": 4.0},
    "help": {"wall_s": 0.25},
}
# The child writes its own peak (VmHWM) to the file named by SOCSIM_BENCH_HWM as it exits:
# ru_maxrss from wait4 would also keep the peak of this benchmark process, which the child
# shares until exec (a large runner would inflate every figure).
_LAUNCH = ("import atexit, os, sys\n"
           "def _hwm():\n"
           "    with open('/proc/self/status') as fh, open(os.environ['SOCSIM_BENCH_HWM'], 'w') as out:\n"
           "        out.write(next(l.split()[1] for l in fh if l.startswith('VmHWM')))\n"
           "if os.path.exists('/proc/self/status'):\n"
           "    atexit.register(_hwm)\n"
           "sys.argv[0] = 'socsim'\n"
           "from soc.cli import main\n"
           "main()")


def load_average() -> list[float]:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:  # pragma: no cover - not on every platform
        return []


def run_once(args: list[str], cwd: Path, env: dict) -> dict:
    """One fresh process: wall seconds, peak RSS (MB) and, for a run, its SimPy events."""
    with tempfile.TemporaryDirectory(prefix="socsim-bench-") as tmp:
        argv = [a.replace("{out}", str(Path(tmp) / "out")) for a in args]
        hwm = Path(tmp) / "hwm"
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", _LAUNCH, *argv], cwd=cwd,
                                env={**env, "SOCSIM_BENCH_HWM": str(hwm)},
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise RuntimeError(f"socsim {' '.join(args)} exited {proc.returncode}: {err.strip()[-400:]}")
        peak_kb = int(hwm.read_text()) if hwm.is_file() else usage.ru_maxrss
        out = {"wall_s": wall, "peak_rss_mb": peak_kb / 1024.0}
        summary = Path(tmp) / "out" / "summary.json"
        if summary.is_file():
            data = json.loads(summary.read_text())
            out["sim_events"] = int(data.get("sim_events", 0))
            out["cycles"] = int(data.get("cycles", 0))
        return out


def measure(name: str, cwd: Path, env: dict, repeats: int) -> dict:
    runs = [run_once(COMMANDS[name], cwd, env) for _ in range(repeats)]
    res = {"wall_s": statistics.median(r["wall_s"] for r in runs),
           "wall_s_all": [round(r["wall_s"], 3) for r in runs],
           "peak_rss_mb": statistics.median(r["peak_rss_mb"] for r in runs)}
    for key in ("sim_events", "cycles"):
        if key in runs[0]:
            res[key] = runs[0][key]
    return res


def baseline_tree(rev: str) -> Path:
    """The commit ``rev`` exported and built (kept in a cache directory between runs)."""
    full = subprocess.run(["git", "rev-parse", rev], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "socsim-bench" / full[:12]
    if not (cache / ".built").exists():
        cache.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "archive", full], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(cache)], input=archive, check=True)
        subprocess.run([sys.executable, "setup.py", "-q", "build_ext", "--inplace"], cwd=cache, check=True,
                       capture_output=True)
        (cache / ".built").write_text(full)
    return cache


def _env(tree: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(tree) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def run(only: list[str] | None = None, repeats: int = REPEATS, baseline: str | None = None) -> dict:
    names = [n for n in COMMANDS if not only or n in only]
    rev = baseline if baseline is not None else os.environ.get("SOCSIM_BENCH_BASELINE", BASELINE)
    result: dict = {"repeats": repeats, "cpu_count": os.cpu_count(), "platform": platform.platform(),
                    "load_average_before": load_average(), "commands": {}}
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    trees = {"current": (ROOT, head)}
    if rev:
        trees["baseline"] = (baseline_tree(rev), rev)
    for name in names:
        entry: dict = {"command": "socsim " + " ".join(a for a in COMMANDS[name] if "{out}" not in a),
                       "targets": TARGETS[name]}
        for label, (tree, commit) in trees.items():
            try:
                entry[label] = {"commit": commit, **measure(name, tree, _env(tree), repeats)}
            except RuntimeError as exc:  # keep the other figures
                entry[label] = {"commit": commit, "error": str(exc)}
                print(f"[bench_cli] {name} {label}: {exc}", flush=True)
                continue
            print(f"[bench_cli] {name} {label}: {entry[label]['wall_s']:.2f} s, "
                  f"{entry[label]['peak_rss_mb']:.0f} MB", flush=True)
        cur = entry["current"]
        if "error" not in cur:
            entry["meets_target"] = {k: cur.get(k, float("inf")) <= v for k, v in TARGETS[name].items()}
            if "wall_s" in entry.get("baseline", {}):
                entry["speedup"] = round(entry["baseline"]["wall_s"] / cur["wall_s"], 2)
        result["commands"][name] = entry
    result["load_average_after"] = load_average()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="", help=f"comma-separated subset of {', '.join(COMMANDS)}")
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--baseline", default=None, help=f"earlier commit to measure beside (default {BASELINE})")
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    only = [s.strip() for s in args.only.split(",") if s.strip()] or None
    print(json.dumps(run(only, args.repeats, "" if args.no_baseline else args.baseline), indent=2))


if __name__ == "__main__":
    main()

"""Run every benchmark module (benchmarks/bench_*.py) and write one JSON file.

Each module exposes ``run() -> dict`` returning its measurements (wall times are
medians of repeated runs, stated in seconds, with the repeat count). Targets are
recorded next to the measurement with a ``meets_target`` flag; nothing here fails
on a slow machine, the numbers are the result.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))  # bench modules share benchmarks/timing.py


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=str(HERE / "results.json"))
    parser.add_argument("--only", default="", help="comma-separated module names (bench_x) to run")
    args = parser.parse_args()
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    results: dict = {"machine": {"python": sys.version.split()[0], "platform": platform.platform(),
                                 "processor": platform.processor()},
                     "started": time.strftime("%Y-%m-%dT%H:%M:%S")}
    failed = []
    for path in sorted(HERE.glob("bench_*.py")):
        if only and path.stem not in only:
            continue
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        assert spec.loader is not None
        spec.loader.exec_module(module)
        print(f"[bench] {path.stem} ...", flush=True)
        try:
            results[path.stem] = module.run()
        except Exception as exc:  # keep the other benchmarks' results
            results[path.stem] = {"error": repr(exc)}
            failed.append(path.stem)
        Path(args.out).write_text(json.dumps(results, indent=2, default=float))
    print(json.dumps(results, indent=2, default=float))
    print(f"[bench] results written to {args.out}")
    if failed:
        sys.exit(f"benchmarks failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()

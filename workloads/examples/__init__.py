"""Example workload scripts written against the programming model (``soc.runtime.api``).

Each script defines ``run(handle, seed=0)`` and runs standalone with
``python workloads/examples/<name>.py --out DIR [--preset P] [--seed N]`` (see :func:`main`)
or through ``socsim run workloads/examples/<name>.py``.
"""
from __future__ import annotations

import argparse
import sys


def main(script: str, what: str) -> None:
    """Command line of an example script: run it on a preset into --out (layers.csv,
    summary.json, report.html). Bad input exits with status 2 and a clear message."""
    from soc.arch import design_names, load_design
    from soc.runtime.network import NetworkRunError
    from soc.session import run_into
    parser = argparse.ArgumentParser(description=f"Simulate {what} on the accelerator.")
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--arch", "--preset", dest="arch", default="coarse-sparse",
                        help="a shipped design (" + ", ".join(design_names("vector")) + ") or a design .yaml file")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    try:
        outcome = run_into(args.out, script, load_design(args.arch, kind="vector"), seed=args.seed)
    except NetworkRunError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    s = outcome.summary
    print(f"{s['network']} on {s['arch']}: {s['cycles']:,} cycles, {s['energy_pj'] / 1e6:.3f} uJ, "
          f"outputs match reference: {s['outputs_match_reference']}; wrote {args.out}/summary.json, "
          f"layers.csv, report.html")

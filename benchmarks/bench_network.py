"""Whole networks on the accelerator: wall time and peak memory, and the closing comparison.

``run()`` (collected by ``make bench``): whole AlexNet and whole VGG16 on ``coarse-
sparse`` through :func:`soc.runtime.network.run_network` (reference tensors streamed,
every layer simulated, no report files), each in a fresh Python process so that its peak
resident memory (``peak_rss_mb`` of its summary: VmHWM, the process's own high-water
mark) is its own. One run each (a VGG16 run takes minutes): seconds of wall time, with
the share spent building the reference tensors and the slowest layers. Targets (issue
5): AlexNet < 10 s, VGG16 < 60 s on the 2-core machine.

Command line:

    python benchmarks/bench_network.py                      # the two timings, as run() does
    python benchmarks/bench_network.py --profile alexnet    # cProfile of one run, top 25 by cumulative time
    python benchmarks/bench_network.py --closing --out DIR  # AlexNet and VGG16 on the three presets:
                                                            # DIR/<net>/compare.csv + report.html and
                                                            # DIR/closing.csv (all rows, ratios of
                                                            # coarse-sparse against dense and weight-sparse)
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

TARGETS_S = {"alexnet": 10.0, "vgg16": 60.0}
ROOT = Path(__file__).resolve().parents[1]

_CHILD = """
import json, time
from soc.arch import design as preset
from soc.runtime.network import run_network
from workloads.zoo import get_network
t0 = time.perf_counter()
o = run_network(get_network({net!r}), preset("coarse-sparse"))
layers = sorted(((r.name, r.wall_s) for r in o.results), key=lambda x: -x[1])
print(json.dumps({{"wall_s": time.perf_counter() - t0, "peak_rss_mb": o.summary["peak_rss_mb"],
                  "simulate_s": sum(w for _, w in layers), "cycles": o.summary["cycles"],
                  "energy_pj": o.summary["energy_pj"], "sim_events": o.summary["sim_events"],
                  "outputs_match_reference": o.summary["outputs_match_reference"],
                  "slowest_layers_s": dict((n, round(w, 2)) for n, w in layers[:5])}}))
"""


def time_network(net: str) -> dict:
    res = subprocess.run([sys.executable, "-c", _CHILD.format(net=net)], capture_output=True, text=True, cwd=ROOT)
    if res.returncode != 0:
        raise RuntimeError(f"{net}: {res.stderr.strip().splitlines()[-1] if res.stderr.strip() else res.returncode}")
    data = json.loads(res.stdout.strip().splitlines()[-1])
    data["reference_tensors_s"] = round(data["wall_s"] - data["simulate_s"], 2)
    data["target_s"] = TARGETS_S[net]
    data["meets_target"] = data["wall_s"] < TARGETS_S[net]
    data["repeats"] = 1
    return data


def run() -> dict:
    return {"preset": "coarse-sparse", "networks": {net: time_network(net) for net in TARGETS_S}}


def profile(net: str, top: int = 25) -> None:
    import cProfile
    import pstats

    from soc.arch import design as preset
    from soc.runtime.network import run_network
    from workloads.zoo import get_network
    prof = cProfile.Profile()
    prof.enable()
    run_network(get_network(net), preset("coarse-sparse"))
    prof.disable()
    pstats.Stats(prof).sort_stats("cumulative").print_stats(top)


def closing(out: Path) -> None:
    import pandas as pd

    from soc.cli.compare import compare_designs
    from soc.cli.netopts import DEFAULT_COMPARISON, resolve_designs
    frames = []
    for net in ("alexnet", "vgg16"):
        paths = compare_designs(net, resolve_designs(list(DEFAULT_COMPARISON), None), out / net)
        table = pd.read_csv(paths["compare_csv"])
        table.insert(0, "network", net)
        frames.append(table)
    table = pd.concat(frames, ignore_index=True)
    table.to_csv(out / "closing.csv", index=False)
    cols = ["network", "arch", "cycles", "energy_pj", "speedup_vs_dense", "energy_ratio_vs_dense",
            "speedup_vs_weight-sparse", "energy_ratio_vs_weight-sparse"]
    print(table[cols].to_string(index=False))
    print(f"wrote {out / 'closing.csv'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", choices=sorted(TARGETS_S), help="cProfile one whole-network run")
    parser.add_argument("--closing", action="store_true", help="AlexNet and VGG16 on the three presets")
    parser.add_argument("--out", default="out/closing", help="output directory of --closing")
    args = parser.parse_args()
    if args.profile:
        profile(args.profile)
    elif args.closing:
        closing(Path(args.out))
    else:
        print(json.dumps(run(), indent=2))


if __name__ == "__main__":
    main()

"""The regression pin: what whole networks cost on the shipped vector designs.

A pin records, for every (network, design) run, the total and per-layer cycles, DRAM
bytes read and written, energy (pJ), and the energy ledger's *counts* per (layer,
component, action, data type). Counts are independent of the energy prices, so a pin keeps
checking the model when the prices change (a new estimator): counts and bytes must
stay exact, cycles within :data:`CYCLE_TOLERANCE`. Energy in pJ is compared wherever
the price of an action is the one the pin was taken with (then the same counts must
give the same energy); an action whose price changed is reported as repriced, not as
a mismatch. Static energy (leakage, refresh) is power x time: it is checked through
its power (energy / cycles), which must match the pin's unless the layer was repriced.

Write a pin (from the code of the current checkout)::

    python tests/regression_pin.py                         # all networks x designs
    python tests/regression_pin.py --networks lenet5 --archs dense --out /tmp/pin.json

Compare a checkout against the pin without pytest::

    python tests/regression_pin.py --check [--networks alexnet]

The test is tests/test_regression_pin.py.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIN_PATH = ROOT / "tests" / "data" / "regression_pin.json"
NETWORKS = ("lenet5", "alexnet", "vgg16", "resnet18")
ARCHS = ("coarse-sparse", "weight-sparse", "dense")
STATIC_ACTIONS = ("leakage", "refresh")
CYCLE_TOLERANCE = 0.01      # relative; the issue allows 1 % where a coarser event explains it
ENERGY_RTOL = 1e-9          # same counts x same prices, summed in another order
COUNT_RTOL = 1e-12          # counts are sums of whole or dyadic numbers (exact), except the shares of a
                            # DRAM transfer carrying several data types (bytes x part / total)
PRICE_RTOL = 1e-12
SEED = 0


def measure(network: str, arch: str, seed: int = SEED) -> dict:
    """Run ``network`` on the shipped design ``arch`` and return its pin record."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from soc.arch import design
    from soc.runtime.network import run_network
    from workloads.zoo import get_network

    t0 = time.perf_counter()
    outcome = run_network(get_network(network), design(arch), seed=seed)
    wall = time.perf_counter() - t0
    layers: dict[str, dict] = {}
    for r in outcome.results:
        layers[r.name] = {"cycles": int(r.cycles), "dram_bytes_read": int(r.dram_bytes_read),
                          "dram_bytes_written": int(r.dram_bytes_written), "energy_pj": float(r.energy_pj),
                          "counts": {}, "dynamic_pj": {}, "static_pj": {}}
    for r in outcome.results:
        rec = layers[r.name]
        for component, action, data_type, count, energy in r.energy_entries:
            key = f"{component}/{action}/{data_type}"
            if action in STATIC_ACTIONS:
                rec["static_pj"][key] = rec["static_pj"].get(key, 0.0) + float(energy)
            else:
                rec["counts"][key] = rec["counts"].get(key, 0.0) + float(count)
                rec["dynamic_pj"][key] = rec["dynamic_pj"].get(key, 0.0) + float(energy)
    s = outcome.summary
    return {"cycles": int(s["cycles"]), "dram_bytes_read": int(s["dram_bytes_read"]),
            "dram_bytes_written": int(s["dram_bytes_written"]), "energy_pj": float(s["energy_pj"]),
            "outputs_match_reference": bool(s["outputs_match_reference"]),
            "sim_events": int(s["sim_events"]), "wall_s": round(wall, 2), "layers": layers}


def _close(a: float, b: float, rtol: float) -> bool:
    return abs(a - b) <= rtol * max(abs(a), abs(b), 1e-300)


def compare(pin: dict, new: dict, *, cycle_tolerance: float = CYCLE_TOLERANCE) -> tuple[list[str], list[str]]:
    """(mismatches, notes) of a run ``new`` against its ``pin`` record (both from :func:`measure`).

    Mismatches: a layer added or missing, DRAM bytes or ledger counts not equal, cycles
    off by more than ``cycle_tolerance``, energy off where the prices are the pin's,
    outputs no longer matching the reference. Notes: cycles that moved within the
    tolerance, actions repriced since the pin."""
    bad: list[str] = []
    notes: list[str] = []
    if not new["outputs_match_reference"]:
        bad.append("outputs no longer match the reference")
    if list(pin["layers"]) != list(new["layers"]):
        bad.append(f"layers differ: pinned {list(pin['layers'])}, now {list(new['layers'])}")
        return bad, notes
    for name, p in pin["layers"].items():
        n = new["layers"][name]
        for k in ("dram_bytes_read", "dram_bytes_written"):
            if p[k] != n[k]:
                bad.append(f"{name}: {k} {n[k]} != pinned {p[k]}")
        if p["cycles"] != n["cycles"]:
            off = (n["cycles"] - p["cycles"]) / max(1, p["cycles"])
            (bad if abs(off) > cycle_tolerance else notes).append(
                f"{name}: cycles {n['cycles']} vs pinned {p['cycles']} ({off:+.3%})")
        if set(p["counts"]) != set(n["counts"]):
            bad.append(f"{name}: ledger actions differ: only pinned {sorted(set(p['counts']) - set(n['counts']))}, "
                       f"only now {sorted(set(n['counts']) - set(p['counts']))}")
            continue
        repriced = False
        for key, count in p["counts"].items():
            if not _close(n["counts"][key], count, COUNT_RTOL):
                bad.append(f"{name}: {key} count {n['counts'][key]!r} != pinned {count!r}")
                continue
            if count == 0:
                continue
            if not _close(n["dynamic_pj"][key] / count, p["dynamic_pj"][key] / count, PRICE_RTOL):
                repriced = True
                notes.append(f"{name}: {key} repriced ({p['dynamic_pj'][key] / count:.6g} -> "
                             f"{n['dynamic_pj'][key] / count:.6g} pJ each)")
            elif not _close(n["dynamic_pj"][key], p["dynamic_pj"][key], ENERGY_RTOL):
                bad.append(f"{name}: {key} energy {n['dynamic_pj'][key]!r} pJ != pinned {p['dynamic_pj'][key]!r}")
        if set(p["static_pj"]) != set(n["static_pj"]):   # blocks with a leakage price changed: repriced
            notes.append(f"{name}: static energy of other blocks (pinned {sorted(p['static_pj'])}, now "
                         f"{sorted(n['static_pj'])})")
            continue
        if repriced or not p["cycles"]:
            continue
        for key, pj in p["static_pj"].items():  # power = energy / time must be unchanged
            if not _close(n["static_pj"][key] / n["cycles"], pj / p["cycles"], ENERGY_RTOL):
                bad.append(f"{name}: {key} static power changed ({pj / p['cycles']!r} -> "
                           f"{n['static_pj'][key] / n['cycles']!r} pJ per cycle) without a repricing")
    for k in ("dram_bytes_read", "dram_bytes_written"):
        if pin[k] != new[k]:
            bad.append(f"total {k} {new[k]} != pinned {pin[k]}")
    off = (new["cycles"] - pin["cycles"]) / max(1, pin["cycles"])
    if abs(off) > cycle_tolerance:
        bad.append(f"total cycles {new['cycles']} vs pinned {pin['cycles']} ({off:+.3%})")
    return bad, notes


def reprice(pinned: dict, new: dict) -> dict:
    """The pinned record with the energies of ``new`` (same counts, other prices): every
    dynamic energy from ``new``, every static energy at ``new``'s power over the pinned
    cycles; cycles, bytes and counts stay the pin's."""
    out = json.loads(json.dumps(pinned))
    total = 0.0
    for name, rec in out["layers"].items():
        n = new["layers"][name]
        rec["dynamic_pj"] = dict(n["dynamic_pj"])
        rec["static_pj"] = {k: (v / n["cycles"] * rec["cycles"] if n["cycles"] else v) for k, v in n["static_pj"].items()}
        rec["energy_pj"] = sum(rec["dynamic_pj"].values()) + sum(rec["static_pj"].values())
        total += rec["energy_pj"]
    out["energy_pj"] = total
    return out


def _commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()
        return head + ("+changes" if dirty else "")
    except OSError:
        return "unknown"


def load_pin(path: Path = PIN_PATH) -> dict:
    return json.loads(Path(path).read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--networks", default=",".join(NETWORKS))
    parser.add_argument("--archs", default=",".join(ARCHS))
    parser.add_argument("--out", default=str(PIN_PATH))
    parser.add_argument("--check", action="store_true", help="compare against the pin at --out instead of writing")
    parser.add_argument("--reprice", action="store_true",
                        help="keep the pin's cycles, bytes and counts, and take its energies at the prices of "
                             "this checkout (refused where the counts or bytes differ)")
    args = parser.parse_args()
    nets = [n for n in args.networks.split(",") if n]
    archs = [a for a in args.archs.split(",") if a]
    out = Path(args.out)
    if args.check:
        pin = load_pin(out)
        failed = 0
        for net in nets:
            for arch in archs:
                bad, notes = compare(pin["runs"][f"{net}/{arch}"], rec := measure(net, arch, pin["seed"]))
                status = "ok" if not bad else "MISMATCH"
                print(f"{net}/{arch}: {status}, cycles {rec['cycles']} (pinned {pin['runs'][f'{net}/{arch}']['cycles']}), "
                      f"{rec['sim_events']} events, {rec['wall_s']} s", flush=True)
                for line in bad + notes:
                    print("   ", line)
                failed += bool(bad)
        sys.exit(1 if failed else 0)
    if args.reprice:
        pin = load_pin(out)
        for net in nets:
            for arch in archs:
                key = f"{net}/{arch}"
                rec = measure(net, arch, pin["seed"])
                bad, _ = compare(pin["runs"][key], rec)
                if bad:
                    sys.exit(f"{key}: not repriced, the run differs from the pin:\n  " + "\n  ".join(bad))
                pin["runs"][key] = reprice(pin["runs"][key], rec)
                pin.setdefault("prices_from", {})[key] = _commit()
                print(f"{key}: repriced, {pin['runs'][key]['energy_pj']:.6g} pJ", flush=True)
                out.write_text(json.dumps(pin, indent=1) + "\n")
        return
    pin = json.loads(out.read_text()) if out.exists() else {}
    pin.update({"about": "tests/regression_pin.py: per network and design, cycles, DRAM bytes, energy and the "
                         "energy ledger's counts per (layer, component, action)",
                "seed": SEED, "cycle_tolerance": CYCLE_TOLERANCE})
    runs = pin.setdefault("runs", {})
    commits = pin.setdefault("commits", {})
    for net in nets:
        for arch in archs:
            rec = measure(net, arch)
            runs[f"{net}/{arch}"] = rec
            commits[f"{net}/{arch}"] = _commit()
            print(f"{net}/{arch}: {rec['cycles']} cycles, {rec['energy_pj']:.6g} pJ, "
                  f"{rec['dram_bytes_read'] + rec['dram_bytes_written']} DRAM bytes, {rec['sim_events']} events, "
                  f"{rec['wall_s']} s", flush=True)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(pin, indent=1, sort_keys=False) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
